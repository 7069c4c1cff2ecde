"""TabularNetClassifier and TabularNetRegressor: the networks with defaults
for tabular data and the preprocessing built in.

They are DenseNet estimators in everything (parameters, fitted attributes,
methods) but three: ``X`` is a raw table, turned into network inputs by a
:class:`~skdense._preprocessing.TabularPreprocessor` fitted with the network
(``preprocessor_``); the defaults are the measured recipe of
``benchmarks/bench_tabular.py`` rather than MLP's; and the regressor trains
on standardised targets whatever its loss (but Poisson's).
"""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import inspect

import numpy as np
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, check_X_y

from ._classifier import DenseNetClassifier
from ._docs import tabular_doc
from ._preprocessing import TabularPreprocessor
from ._regressor import DenseNetRegressor
from ._validation import X_FORMATS, errors_name


def _float_type(dtype):
    """``dtype`` as NumPy's float32 or float64 type; anything else refused."""
    try:
        kind = np.dtype(dtype)
    except TypeError:
        kind = None
    if kind not in (np.float32, np.float64):
        raise ValueError(
            f"dtype must be 'float32' or 'float64' (the network's precision); "
            f"got {dtype!r}."
        )
    return kind.type


def _store_parameters(estimator, values):
    """Set each constructor parameter of ``estimator`` from ``values``, the
    constructor's ``locals()``: scikit-learn's convention, written once."""
    for name in inspect.signature(type(estimator)).parameters:
        setattr(estimator, name, values[name])


def _preprocessing_parameters(estimator):
    """The :class:`TabularPreprocessor` parameters ``estimator`` asks for."""
    return dict(
        categorical_features=estimator.categorical_features,
        numeric_scaling=estimator.numeric_scaling,
        piecewise_linear_bins=estimator.piecewise_linear_bins,
        dtype=_float_type(estimator.dtype),
    )


def _check_preprocessing_kept(estimator):
    """Refuse a continued fit (warm_start, partial_fit) whose preprocessing
    parameters differ from those its fitted preprocessing was made with:
    the weights were trained on the inputs that preprocessing gives."""
    fitted = estimator.preprocessor_.get_params()
    changes = [
        f"{name}={getattr(estimator, name)!r}, the model's preprocessing was "
        f"fitted with {_shown(fitted[name])}"
        for name, value in _preprocessing_parameters(estimator).items()
        if not _same(value, fitted[name])
    ]
    if changes:
        raise ValueError(
            "Cannot continue training (warm_start=True or partial_fit): "
            + "; ".join(changes)
            + ". The preprocessing changes only in a fresh fit: call fit with "
            "warm_start=False."
        )


def _same(given, fitted):
    if isinstance(given, (str, type)) or isinstance(fitted, (str, type)):
        return given == fitted
    return np.array_equal(
        np.asarray(given, dtype=object), np.asarray(fitted, dtype=object)
    )


def _shown(value):
    """``value`` as the user would write it (a dtype by its name)."""
    return repr(np.dtype(value).name) if isinstance(value, type) else repr(value)


class _TabularInput:
    """The raw table in, the preprocessed network inputs out."""

    def _validate_features(self, X, reset):
        if reset:
            parameters = _preprocessing_parameters(self)
            self.preprocessor_ = TabularPreprocessor(**parameters).fit(X)
            self.n_features_in_ = self.preprocessor_.n_features_in_
            self.__dict__.pop("feature_names_in_", None)
            if hasattr(self.preprocessor_, "feature_names_in_"):
                self.feature_names_in_ = self.preprocessor_.feature_names_in_
        check_is_fitted(self, "preprocessor_")
        return self.preprocessor_.transform(X)

    def _validate_X_y(self, X, y, reset, **y_options):
        if not reset:
            _check_preprocessing_kept(self)
        with errors_name("X"):
            X = self._validate_features(X, reset)
        with errors_name("y"):
            return check_X_y(X, y, **X_FORMATS, **y_options)

    @available_if(lambda self: self._check_solver())
    def partial_fit(self, X, y, *args, **kwargs):
        """Train one epoch on the block ``X``, ``y``; see the DenseNet
        estimator's ``partial_fit`` for the arguments.

        The preprocessing is fitted by the first call (or by ``fit``) and
        kept by the next ones. A block trains as it is, without a validation
        split, whatever ``early_stopping`` says (which only ``fit`` uses).
        """
        early_stopping = self.early_stopping
        self.early_stopping = False
        try:
            return super().partial_fit(X, y, *args, **kwargs)
        finally:
            self.early_stopping = early_stopping

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        tags.input_tags.allow_nan = True
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        return tags


class TabularNetClassifier(_TabularInput, DenseNetClassifier):
    # The docstring is set below the class, from its signature.

    def __init__(
        self,
        *,
        hidden_layer_sizes=(256, 256, 256),
        activation="relu",
        solver="adam",
        alpha=0.0,
        batch_size="auto",
        learning_rate="coslog",
        learning_rate_init=0.04,
        power_t=0.5,
        max_iter=100,
        shuffle=True,
        random_state=None,
        tol=0.0001,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.2,
        beta_1=0.9,
        beta_2=0.95,
        epsilon=1e-08,
        n_iter_no_change=100,
        max_fun=15000,
        penalty="l2",
        l1_ratio=0.5,
        keep_prob=1.0,
        input_keep_prob=1.0,
        scoring=None,
        class_weight=None,
        n_threads="auto",
        mc_samples=100,
        max_norm=None,
        warmup_iter=0,
        label_smoothing=0.1,
        parametrization="ntk",
        input_scale=True,
        categorical_features="from_dtype",
        numeric_scaling="robust",
        piecewise_linear_bins=0,
        dtype="float32",
    ):
        _store_parameters(self, locals())


class TabularNetRegressor(_TabularInput, DenseNetRegressor):
    # The docstring is set below the class, from its signature.

    def __init__(
        self,
        *,
        loss="squared_error",
        hidden_layer_sizes=(256, 256, 256),
        activation="mish",
        solver="adam",
        alpha=0.0,
        batch_size="auto",
        learning_rate="coslog",
        learning_rate_init=0.04,
        power_t=0.5,
        max_iter=100,
        shuffle=True,
        random_state=None,
        tol=0.0001,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.2,
        beta_1=0.9,
        beta_2=0.95,
        epsilon=1e-08,
        n_iter_no_change=100,
        max_fun=15000,
        penalty="l2",
        l1_ratio=0.5,
        keep_prob=1.0,
        input_keep_prob=1.0,
        scoring=None,
        n_threads="auto",
        mc_samples=100,
        max_norm=None,
        warmup_iter=0,
        quantile=None,
        variance_power=0.5,
        calibrate_std=True,
        parametrization="ntk",
        input_scale=True,
        categorical_features="from_dtype",
        numeric_scaling="robust",
        piecewise_linear_bins=16,
        dtype="float32",
    ):
        _store_parameters(self, locals())

    def _standardises_targets(self):
        """Every loss but Poisson's (whose log link needs y's own scale)
        trains on standardised targets."""
        return self.loss != "poisson"


TabularNetClassifier.__doc__ = tabular_doc(TabularNetClassifier, DenseNetClassifier)
TabularNetRegressor.__doc__ = tabular_doc(TabularNetRegressor, DenseNetRegressor)
