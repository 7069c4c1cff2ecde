"""DenseNetClassifier: labels, class weights and probabilities over the base."""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.metrics import accuracy_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import (
    check_classification_targets,
    type_of_target,
    unique_labels,
)
from sklearn.utils.validation import check_array, check_is_fitted, column_or_1d

from ._base import BaseDenseNet
from ._callbacks import with_callbacks
from ._docs import RUNTIME_PARAMETERS, SHARED_PARAMETERS
from ._losses import OUTPUTS
from ._targets import Targets, class_sample_weights
from ._validation import errors_name


class DenseNetClassifier(ClassifierMixin, BaseDenseNet):
    __doc__ = f"""Deep dense network classifier with dropout, L1, L2 and elastic net.

    A drop-in superset of :class:`sklearn.neural_network.MLPClassifier`: every
    parameter of it has the same name, default and meaning, and the fitted
    attributes have the same layout. With ``penalty='l2'`` and
    ``keep_prob=1.0`` (the defaults) the objective is exactly MLPClassifier's.
    It adds ``penalty``, ``l1_ratio``, ``keep_prob`` and ``class_weight``.

    The objective for a batch with sample weights ``s`` is::

        sum_i s_i * loss_i / sum_i s_i + alpha / sum_i s_i * sum_l R(W_l)

    with ``R`` the penalty below, applied to weights and never to intercepts.

    Parameters
    ----------
{SHARED_PARAMETERS}
    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes, multiplied into ``sample_weight``. ``'balanced'``
        uses ``n_samples / (n_classes * np.bincount(y))``. Not for multilabel
        targets; ``'balanced'`` is not available in ``partial_fit``.

    label_smoothing : float, default=0.0
        Label smoothing of the training targets, in [0, 1): each one-hot
        target becomes ``(1 - label_smoothing) * y + label_smoothing / K``,
        ``K`` the number of classes (2 for each logistic output, binary and
        multilabel), as ``torch.nn.CrossEntropyLoss(label_smoothing=...)``
        does. It changes what training fits, never the validation loss nor
        the score that early stopping watches; 0 trains on the labels as they
        are. RealMLP (Holzmüller et al., 2024) uses 0.1.

{RUNTIME_PARAMETERS}
    Attributes
    ----------
    classes_ : ndarray or list of ndarray of shape (n_classes,)
        Class labels.

    loss_ : float
        Loss at the end of the last epoch (penalty included).

    best_loss_ : float or None
        Minimum loss reached; None when ``early_stopping=True``.

    loss_curve_ : list of float
        Loss at the end of each epoch (each iteration for lbfgs).

    validation_scores_ : list of float or None
        Validation accuracy per epoch when ``early_stopping=True``.

    best_validation_score_ : float or None
        Best validation score (``scoring``; accuracy by default) when
        ``early_stopping=True``.

    validation_loss_curve_ : list of float or None
        Validation loss (penalty excluded) at the end of each epoch, when
        ``early_stopping=True``.

    t_ : int
        Number of training samples seen by the stochastic solvers.

    coefs_ : list of ndarray of shape (n_fan_in, n_fan_out)
        Weight matrix of each layer.

    intercepts_ : list of ndarray of shape (n_fan_out,)
        Intercept vector of each layer.

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Names of features seen during fit, when ``X`` has string column names.

    n_iter_ : int
        Number of epochs (or lbfgs iterations) of the last fit.

    n_layers_ : int
        Number of layers, input and output included.

    n_outputs_ : int
        Number of outputs.

    out_activation_ : str
        Output activation: ``'logistic'`` or ``'softmax'``.

    hidden_activation_ : str or list of str
        The hidden activation the model was trained with (``activation`` at
        fit time); prediction reads it, whatever ``set_params`` said since.

    See Also
    --------
    sklearn.neural_network.MLPClassifier : The classifier this one extends.

    Examples
    --------
    >>> from sklearn.datasets import make_moons
    >>> from skdense import DenseNetClassifier
    >>> X, y = make_moons(n_samples=300, noise=0.2, random_state=0)
    >>> clf = DenseNetClassifier((64, 64), keep_prob=0.8, learning_rate_init=0.01,
    ...                          random_state=0).fit(X[:200], y[:200])
    >>> clf.predict_proba(X[200:203]).shape
    (3, 2)
    >>> bool(clf.score(X[200:], y[200:]) > 0.9)
    True
    """

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
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
        label_smoothing=0.0,
        parametrization="standard",
        input_scale=False,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.penalty = penalty
        self.l1_ratio = l1_ratio
        self.keep_prob = keep_prob
        self.input_keep_prob = input_keep_prob
        self.scoring = scoring
        self.n_threads = n_threads
        self.mc_samples = mc_samples
        self.max_norm = max_norm
        self.warmup_iter = warmup_iter
        self.class_weight = class_weight
        self.label_smoothing = label_smoothing
        self.parametrization = parametrization
        self.input_scale = input_scale

    # ----------------------------------------------------------- targets

    def _validate_input(self, X, y, incremental, reset, classes):
        X, y = self._validate_X_y(X, y, reset, multi_output=True)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if not incremental and (reset or not hasattr(self, "classes_")):
            self._set_classes(y)
        elif not hasattr(self, "classes_"):
            self._set_partial_fit_classes(y, classes)
        else:
            self._check_target_kind(y)
            self._check_known_classes(y, classes)
        return X, y, self._targets(y)

    def _check_target_kind(self, y):
        """Refuse labels of another kind than the model's (an indicator matrix
        for a binary or multiclass model, or the reverse)."""
        fitted = self._label_binarizer.y_type_
        given = type_of_target(y)
        if (fitted == "multilabel-indicator") != (given == "multilabel-indicator"):
            raise ValueError(
                f"y is a {given!r} target, but the model was fitted on a "
                f"{fitted!r} target: pass labels of the same kind, or refit "
                "with warm_start=False."
            )

    def _targets(self, y):
        """Class codes (or the multilabel indicator) of the labels ``y``."""
        if self._label_binarizer.y_type_ == "multilabel-indicator":
            indicator = self._label_binarizer.transform(y)
            return Targets(np.asarray(indicator, dtype=bool), indicator.shape[1])
        n_outputs = 1 if len(self.classes_) <= 2 else len(self.classes_)
        return Targets(np.searchsorted(self.classes_, y), n_outputs)

    def _set_partial_fit_classes(self, y, classes):
        if classes is None:
            raise ValueError(
                "classes must be passed on the first call to partial_fit: the "
                "list of every label the model will see, e.g. np.unique(y_all)."
            )
        self._set_classes(y if type_of_target(y).startswith("multilabel") else classes)
        self._check_known_classes(y, None)

    def _set_classes(self, labels):
        self._label_binarizer = LabelBinarizer().fit(labels)
        self.classes_ = self._label_binarizer.classes_

    def _check_known_classes(self, y, classes):
        if classes is not None and not np.array_equal(
            np.unique(classes), self.classes_
        ):
            raise ValueError(
                f"classes={classes!r} differs from the classes of the earlier "
                f"calls, {self.classes_!r}."
            )
        labels = unique_labels(y) if y.ndim == 2 else np.unique(y)
        if self.warm_start and not set(labels) == set(self.classes_):
            raise ValueError(
                "warm_start can only be used where `y` has the same classes as in "
                f"the previous call to fit. Previously got {self.classes_}, `y` has "
                f"{labels}."
            )
        unknown = np.setdiff1d(labels, self.classes_)
        if len(unknown):
            raise ValueError(
                f"y has labels {unknown!r} that are not among the classes "
                f"{self.classes_!r} of the earlier calls."
            )

    def _label_smoothing(self):
        return self.label_smoothing

    def _output_activation(self):
        return (
            "softmax" if self._label_binarizer.y_type_ == "multiclass" else "logistic"
        )

    def _target_weights(self, targets, sample_weight, incremental, dtype):
        if self.class_weight is None:
            return sample_weight
        return class_sample_weights(
            self.class_weight, self.classes_, targets, sample_weight, incremental
        ).astype(dtype)

    def _stratify(self, y, targets):
        # As scikit-learn's MLP, stratify single-output targets only; by the
        # user's labels, so that an error names them.
        return y if targets.n_outputs == 1 and targets.is_codes else None

    def _validation_y(self, targets):
        if targets.is_codes:
            return self.classes_[targets.values]
        return targets.values

    def _validation_targets(self, y_val, dtype, targets):
        with errors_name("y_val"):
            y_val = check_array(y_val, ensure_2d=False, dtype=None)
            if y_val.ndim == 2 and y_val.shape[1] == 1:
                y_val = column_or_1d(y_val)
        multilabel = self._label_binarizer.y_type_ == "multilabel-indicator"
        if multilabel and (y_val.ndim != 2 or y_val.shape[1] != len(self.classes_)):
            raise ValueError(
                f"y_val must be a label indicator matrix with {len(self.classes_)} "
                f"columns, as y is; got shape {y_val.shape}."
            )
        labels = np.unique(y_val) if not multilabel else self.classes_
        unknown = np.setdiff1d(labels, self.classes_)
        if len(unknown):
            raise ValueError(
                f"y_val has labels {unknown!r} that are not among the classes "
                f"{self.classes_!r} of y."
            )
        return y_val, self._targets(y_val).dense(dtype)

    def _default_score(self, output, validation, loss):
        y_pred = self._labels(output)
        return accuracy_score(
            validation.y, y_pred, sample_weight=validation.sample_weight
        )

    # ----------------------------------------------------------- public API

    @with_callbacks
    def fit(
        self,
        X,
        y,
        sample_weight=None,
        *,
        X_val=None,
        y_val=None,
        sample_weight_val=None,
    ):
        """Fit the network to data matrix ``X`` and labels ``y``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data. float32 data trains in float32.

        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels, or a label indicator matrix for multilabel targets.

        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample; a weight of ``k`` is the same
            as ``k`` copies of the sample, dropout included.

        X_val : {array-like, sparse matrix} of shape (n_val, n_features), \
                default=None
            Your own validation set for early stopping, used instead of
            splitting ``validation_fraction`` off the training data, as in
            :class:`~sklearn.ensemble.HistGradientBoostingClassifier`. Needs
            ``early_stopping=True`` (and ``solver='adam'`` or ``'sgd'``);
            otherwise it is refused. Pass ``y_val`` with it.

        y_val : array-like of shape (n_val,) or (n_val, n_outputs), default=None
            Targets of ``X_val``.

        sample_weight_val : array-like of shape (n_val,), default=None
            Weights of the validation samples.

        Returns
        -------
        self : DenseNetClassifier
            The fitted estimator.
        """
        held_out = (X_val, y_val, sample_weight_val)
        return self._fit(X, y, sample_weight, incremental=False, held_out=held_out)

    @available_if(lambda est: est._check_solver())
    @with_callbacks
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Train for one epoch over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.

        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels, or a label indicator matrix.

        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample.

        classes : array-like of shape (n_classes,), default=None
            Every label across all calls; required on the first call (except
            for multilabel targets) and optional afterwards.

        Returns
        -------
        self : DenseNetClassifier
            The updated estimator.
        """
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def predict(self, X):
        """Predict class labels for ``X``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_labels)
            Predicted labels.
        """
        return self._labels(self._output(X))

    def _labels(self, output):
        if self.n_outputs_ == 1:
            output = output.ravel()
        return self._label_binarizer.inverse_transform(output)

    def predict_proba(self, X, return_std=False):
        """Probability of each class for ``X``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        return_std : bool, default=False
            Whether to also return the standard deviation of the probabilities
            over ``mc_samples`` forward passes with dropout left on
            (Monte-Carlo dropout); the probabilities are then the mean over
            those passes. Needs a model trained with ``keep_prob < 1`` or
            ``input_keep_prob < 1``; :meth:`sample_y` gives the passes.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Class probabilities, in the order of ``classes_``. For multilabel
            targets, the probability of each label. Values lie strictly
            between 0 and 1; rows sum to 1 (except for multilabel targets).

        proba_std : ndarray of shape (n_samples, n_classes)
            Standard deviation of the probabilities over the Monte-Carlo
            passes; only when ``return_std=True``.
        """
        check_is_fitted(self)
        n_columns = 2 if self._is_binary else self.n_outputs_
        if return_std:
            return self._mean_std(X, self._probabilities, n_columns)
        return self._in_row_chunks(X, self._probabilities, n_columns)

    @property
    def _is_binary(self):
        return self.n_outputs_ == 1 and self.out_activation_ == "logistic"

    def _probabilities(self, logits):
        if self._is_binary:
            logits = np.hstack([-logits, logits])
        OUTPUTS[self.out_activation_].activate(logits)
        # A logistic or softmax never reaches 0 or 1; round into the open
        # interval rather than onto its ends, so that log(proba) stays finite.
        finfo = np.finfo(logits.dtype)
        np.maximum(logits, finfo.tiny, out=logits)
        return np.minimum(logits, 1 - finfo.epsneg, out=logits)

    def sample_y(self, X, n_samples=None, random_state=None):
        """Draw class probabilities by Monte-Carlo dropout for ``X``.

        Each sample is one forward pass with dropout left on, as in
        :meth:`predict_proba` with ``return_std=True``. The output holds
        ``n_samples_X * n_classes * n_samples`` values of X's dtype (8 bytes
        each in float64): 1,000 rows, 10 classes and 100 samples take 8 MB.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples_X, n_features)
            Input data.

        n_samples : int, default=None
            Number of samples per row; None draws ``mc_samples``.

        random_state : int, RandomState instance or None, default=None
            Seed of the dropout masks. None uses the estimator's own
            ``random_state``, so that with ``n_samples=None``, ``P.mean(-1)``
            and ``P.std(-1)`` are bit for bit those of
            ``predict_proba(X, return_std=True)``. A RandomState passed here is
            advanced.

        Returns
        -------
        proba_samples : ndarray of shape (n_samples_X, n_classes, n_samples)
            Sampled probabilities, classes in the order of ``classes_``; each
            sample's probabilities sum to 1 (except for multilabel targets).
            A row's samples depend on that row alone.
        """
        check_is_fitted(self)
        n_columns = 2 if self._is_binary else self.n_outputs_
        return self._samples(X, self._probabilities, n_columns, n_samples, random_state)

    def predict_log_proba(self, X):
        """Log of the class probabilities.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            ``log(predict_proba(X))``, always finite since the probabilities
            lie strictly between 0 and 1.
        """
        proba = self.predict_proba(X)
        return np.log(proba, out=proba)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags
