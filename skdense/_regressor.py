"""DenseNetRegressor: real-valued targets and Monte-Carlo uncertainty."""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_array, check_is_fitted

from ._base import BaseDenseNet
from ._callbacks import with_callbacks
from ._docs import RUNTIME_PARAMETERS, SHARED_PARAMETERS
from ._dropout import has_dropout
from ._inference import (
    PREDICT_CHUNK,
    MonteCarlo,
    check_memory,
    check_sample_arguments,
    fitted_network,
    gaussian_seed,
    predict_in_chunks,
)
from ._params import validate_parameters
from ._targets import Targets, standardisation
from ._validation import errors_name, validate_X

_OUTPUTS = {
    "squared_error": "identity",
    "poisson": "exp",
    "gaussian_nll": "gaussian",
    "quantile": "quantile",
}

#: The losses MLP does not have: early stopping watches their validation loss
#: by default (HistGradientBoosting's rule). For MLP's it watches R², as MLP.
_SCORED_BY_LOSS = ("gaussian_nll", "quantile")


def _check_squares_fit(Y, loss):
    """Refuse targets whose squared error overflows the training dtype: no
    step could be taken, and the fit would end with no epoch trained."""
    if loss != "squared_error":
        return
    limit = np.sqrt(np.finfo(Y.dtype).max)
    largest = np.abs(Y).max(initial=0.0)
    if largest > limit:
        raise ValueError(
            f"y: targets as large as {largest:.3g} overflow the squared error in "
            f"{Y.dtype} (above {limit:.3g}, the square root of its largest number): "
            "scale y down, fit in float64, or use loss='gaussian_nll', which "
            "standardises y."
        )


class DenseNetRegressor(RegressorMixin, BaseDenseNet):
    __doc__ = f"""Deep dense network regressor with dropout, L1, L2 and elastic net.

    A drop-in superset of :class:`sklearn.neural_network.MLPRegressor`: every
    parameter of it has the same name, default and meaning, and the fitted
    attributes have the same layout. With ``penalty='l2'`` and
    ``keep_prob=1.0`` (the defaults) it minimises the same objective. It adds
    ``penalty``, ``l1_ratio``, ``keep_prob``, and uncertainty estimates by
    Monte-Carlo dropout: ``predict(X, return_std=True)``.

    Parameters
    ----------
    loss : {{'squared_error', 'poisson', 'gaussian_nll', 'quantile'}}, \
            default='squared_error'
        ``'squared_error'``: half squared error, identity output.
        ``'poisson'``: half Poisson deviance, exponential output (targets must
        be >= 0). For several outputs the loss is summed over them; that is
        the objective both libraries minimise, although MLPRegressor reports
        the squared error averaged over outputs in ``loss_``.
        ``'gaussian_nll'``: the Gaussian negative log-likelihood of a mean and
        a variance per target, so that the model learns the data's own noise,
        row by row (see ``variance_power``); the targets are standardised
        for training (``target_mean_``, ``target_scale_``, from the first
        block for ``partial_fit``) and predictions come back in their units.
        ``'quantile'``: the pinball loss of the ``quantile`` given, as in
        :class:`~sklearn.ensemble.HistGradientBoostingRegressor`.

{SHARED_PARAMETERS}
{RUNTIME_PARAMETERS}
    quantile : float, default=None
        The quantile that ``loss='quantile'`` estimates, in (0, 1); needed by
        that loss and ignored by the others. Two models, at 0.05 and 0.95,
        bracket a 90 % interval.

    variance_power : float, default=0.5
        The beta of beta-NLL (Seitzer et al., 2022), for
        ``loss='gaussian_nll'`` (ignored by the others), in [0, 1]: each
        target's gradient is weighted by its predicted variance to this power,
        the weight held constant. 0 is the plain likelihood, whose gradient
        starves the mean of a point given a large variance; 1 gives the mean
        the squared error's gradient. The default 0.5 is the paper's
        recommendation; on the UCI benchmark it fits the mean as well as 1
        and the noise nearly as well as 0 (see the user guide).
        ``solver='lbfgs'`` needs 0: the weighted gradient is no function's
        gradient, and a line search needs one.

    calibrate_std : bool, default=True
        For ``loss='gaussian_nll'`` (ignored by the others): whether a fit
        with held-out data (early stopping's ``validation_fraction``, or
        ``X_val``) calibrates the predicted standard deviation on it, one
        factor per target fitted by maximum likelihood (sigma-scaling), kept
        as ``std_scale_``. Without held-out data the intervals are
        uncalibrated.

    Attributes
    ----------
    loss_ : float
        Loss at the end of the last epoch (penalty included).

    best_loss_ : float or None
        Minimum loss reached; None when ``early_stopping=True``.

    loss_curve_ : list of float
        Loss at the end of each epoch (each iteration for lbfgs).

    validation_scores_ : list of float or None
        Validation score per epoch when ``early_stopping=True`` (``scoring``;
        R^2 or the negated validation loss by default).

    best_validation_score_ : float or None
        Best validation score (``scoring``) when ``early_stopping=True``.

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
        Number of outputs (targets).

    target_mean_, target_scale_ : ndarray of shape (n_outputs,)
        With ``loss='gaussian_nll'`` only: the training targets' mean and
        standard deviation (1 where it is 0), which standardise them for
        the network. ``loss_`` and the validation loss are the likelihood of
        the standardised targets: add ``log(target_scale_).sum()`` for y's
        units.

    std_scale_ : ndarray of shape (n_outputs,)
        With ``loss='gaussian_nll'`` only: the calibration factor of each
        target's predicted standard deviation, ``sqrt(mean(z**2))`` over the
        held-out rows' standardised residuals, applied by ``predict(X,
        return_std=True)``, :meth:`sample_y` and the ONNX ``std`` output; 1
        when the last fit had no held-out data (or ``calibrate_std=False``).

    out_activation_ : str
        Output activation: ``'identity'``, or ``'exp'`` for the Poisson loss.

    hidden_activation_ : str or list of str
        The hidden activation the model was trained with (``activation`` at
        fit time); prediction reads it, whatever ``set_params`` said since.

    See Also
    --------
    sklearn.neural_network.MLPRegressor : The regressor this one extends.
    DenseNetClassifier : The classifier built on the same core.

    Examples
    --------
    >>> import numpy as np
    >>> from skdense import DenseNetRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.uniform(-3, 3, size=(300, 1))
    >>> y = np.sin(X).ravel() + 0.1 * rng.normal(size=300)
    >>> reg = DenseNetRegressor(hidden_layer_sizes=(64, 64), keep_prob=0.9,
    ...                         learning_rate_init=0.01, max_iter=300,
    ...                         random_state=0).fit(X, y)
    >>> bool(reg.score(X, y) > 0.9)
    True
    >>> mean, std = reg.predict([[0.0], [7.0]], return_std=True)
    >>> bool(std[1] > std[0])
    True
    """

    def __init__(
        self,
        loss="squared_error",
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
        n_threads="auto",
        mc_samples=100,
        max_norm=None,
        warmup_iter=0,
        quantile=None,
        variance_power=0.5,
        calibrate_std=True,
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
        self.loss = loss
        self.quantile = quantile
        self.variance_power = variance_power
        self.calibrate_std = calibrate_std
        self.parametrization = parametrization
        self.input_scale = input_scale

    # ----------------------------------------------------------- targets

    def _validate_input(self, X, y, incremental, reset, classes):
        X, y = self._validate_X_y(X, y, reset, multi_output=True, y_numeric=True)
        with errors_name("y"):
            Y = np.asarray(y, dtype=X.dtype).reshape(len(y), -1)
        if not np.isfinite(Y).all():
            raise ValueError(
                "y: targets must be finite numbers; got NaN, infinity or None "
                f"(or a value too large for {X.dtype})."
            )
        if self.loss == "poisson" and (Y < 0).any():
            raise ValueError(
                "loss='poisson' needs targets y >= 0; got negative values such as "
                f"{Y[Y < 0][0]!r}."
            )
        _check_squares_fit(Y, self.loss)
        return X, y, Targets(Y, Y.shape[1])

    def _scaled_targets(self, targets, sample_weight, reset):
        if reset:
            self._set_target_scaling(targets.values, sample_weight)
        return Targets(self._standardised(targets.values), targets.n_outputs)

    def _set_target_scaling(self, Y, sample_weight):
        """Fit the targets' standardisation when the model trains on
        standardised targets (:meth:`_standardises_targets`), weighted as the
        loss weighs the samples."""
        self.__dict__.pop("target_mean_", None)
        self.__dict__.pop("target_scale_", None)
        if self._standardises_targets():
            self.target_mean_, self.target_scale_ = standardisation(Y, sample_weight)

    def _standardises_targets(self):
        """Whether the network trains on standardised targets: with
        ``loss='gaussian_nll'`` here (the other losses train on y, as MLP)."""
        return self.loss == "gaussian_nll"

    def _is_gaussian(self):
        """Whether the fitted network predicts a mean and a variance."""
        return self.out_activation_ == "gaussian"

    def _standardised(self, Y):
        if not hasattr(self, "target_mean_"):
            return Y
        return ((Y - self.target_mean_) / self.target_scale_).astype(Y.dtype)

    def _output_activation(self):
        return _OUTPUTS[self.loss]

    def _shape_parameter(self, output):
        loss = next(name for name, out in _OUTPUTS.items() if out == output)
        return f"loss={loss!r}"

    def _output_param(self):
        return {"quantile": self.quantile, "gaussian_nll": self.variance_power}.get(
            self.loss
        )

    def _validation_targets(self, y_val, dtype, targets):
        with errors_name("y_val"):
            y_val = check_array(y_val, ensure_2d=False, dtype="numeric")
            Y_val = np.asarray(y_val, dtype=dtype).reshape(len(y_val), -1)
        if Y_val.shape[1] != targets.n_outputs:
            raise ValueError(
                f"y_val has {Y_val.shape[1]} target(s); y has {targets.n_outputs}."
            )
        if self.loss == "poisson" and (Y_val < 0).any():
            raise ValueError("y_val: loss='poisson' needs targets >= 0.")
        # The scorer compares predictions in y's units; the loss, the network's
        # outputs with the targets it trains on (standardised for the Gaussian).
        return self._squeeze(Y_val), self._standardised(Y_val)

    def _default_score(self, output, validation, loss):
        if self.loss in _SCORED_BY_LOSS:
            return -loss
        mean = self._in_units(output[:, : self.n_outputs_])
        if not np.isfinite(mean).all():
            return np.nan
        return r2_score(validation.y, mean, sample_weight=validation.sample_weight)

    def _in_units(self, values):
        """Standardised target values (or draws, targets on axis 1) in y's
        units and ``values``' dtype; the values themselves for the losses
        that train on y as it is."""
        if not hasattr(self, "target_mean_"):
            return values
        shape = (-1,) + (1,) * (values.ndim - 2)
        center = self.target_mean_.reshape(shape)
        in_units = values * self.target_scale_.reshape(shape) + center
        return in_units.astype(values.dtype, copy=False)

    def _std_factor(self, dtype):
        """What a standardised std is multiplied by: the targets' scale times
        the calibration ``std_scale_``, in ``dtype``."""
        return (self.target_scale_ * self.std_scale_).astype(dtype)

    def _predicted_mean(self, logits):
        return self._in_units(self._activate(logits)[:, : self.n_outputs_])

    def _gaussian_passes(self):
        """The Monte-Carlo passes of the Gaussian's total std; None for a
        model trained without dropout, whose std is one pass's sigma."""
        if not has_dropout(self.keep_probs_, self.input_keep_prob_):
            return None
        return MonteCarlo.of(self, self._activate)

    def _standardised_mean_std(self, X, monte_carlo):
        """``loss='gaussian_nll'``: the predictive mean and total std of the
        validated ``X``, in the standardised units, uncalibrated: the noise
        sigma alone without dropout (``monte_carlo`` None); over the passes
        of ``monte_carlo``, ``sqrt(mean(sigma**2) + var(mu))``."""
        k = self.n_outputs_
        if monte_carlo is None:
            network = fitted_network(self)
            passes = predict_in_chunks(*network, X, self._activate, 2 * k)
            return passes[:, :k], np.sqrt(passes[:, k:])
        mean, std = monte_carlo.mean_std(X, 2 * k)
        return mean[:, :k], np.sqrt(mean[:, k:] + std[:, :k] ** 2)

    def _calibrate(self, validation):
        """sigma-scaling (Levi et al. 2019, Laves et al. 2020): the factor per
        target that maximises the held-out likelihood of ``validation``,
        ``sqrt(mean(z**2))`` with ``z`` each row's standardised residual.
        1 without held-out data, or with ``calibrate_std=False``."""
        self.__dict__.pop("std_scale_", None)
        if not self._is_gaussian():
            return
        self.std_scale_ = np.ones(self.n_outputs_)
        if validation is None or not self.calibrate_std:
            return
        mean, std = self._standardised_mean_std(validation.X, self._gaussian_passes())
        z = (validation.Y - mean).astype(np.float64) / std
        weights = validation.sample_weight
        self.std_scale_ = np.sqrt(np.average(z**2, axis=0, weights=weights))

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
        """Fit the network to data matrix ``X`` and targets ``y``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data. float32 data trains in float32.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values.

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
        self : DenseNetRegressor
            The fitted estimator.
        """
        held_out = (X_val, y_val, sample_weight_val)
        return self._fit(X, y, sample_weight, incremental=False, held_out=held_out)

    @available_if(lambda est: est._check_solver())
    @with_callbacks
    def partial_fit(self, X, y, sample_weight=None):
        """Train for one epoch over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values.

        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample.

        Returns
        -------
        self : DenseNetRegressor
            The updated estimator.
        """
        return self._fit(X, y, sample_weight, incremental=True)

    def predict(self, X, return_std=False):
        """Predict targets for ``X``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        return_std : bool, default=False
            Whether to also return the standard deviation of the prediction
            (as ``GaussianProcessRegressor.predict`` returns it). For the
            losses but ``'gaussian_nll'`` it is Monte-Carlo dropout's: the
            standard deviation over ``mc_samples`` forward passes with
            dropout left on, and the prediction is the mean over those
            passes; it needs a model trained with ``keep_prob < 1`` or
            ``input_keep_prob < 1``. With ``'gaussian_nll'`` it is the
            total standard deviation ``sqrt(mean(sigma**2) + var(mu))`` over
            the passes, the data's noise plus the model's uncertainty;
            without dropout, the noise ``sigma`` alone; either times the
            calibration ``std_scale_``. The user guide says which to choose.
            :meth:`sample_y` draws from the same distribution.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predicted values; without ``return_std``, from the whole network
            (no dropout).

        y_std : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Standard deviation of the prediction; only when
            ``return_std=True``.
        """
        check_is_fitted(self)
        if not return_std:
            mean = self._in_row_chunks(X, self._predicted_mean, self.n_outputs_)
            return self._squeeze(mean)
        if not self._is_gaussian():
            mean, std = self._mean_std(X, self._activate, self.n_outputs_)
            if hasattr(self, "target_mean_"):
                std *= self.target_scale_.astype(std.dtype)
            return self._squeeze(self._in_units(mean)), self._squeeze(std)
        X = validate_X(self, X)
        monte_carlo = self._gaussian_passes()
        rows = min(X.shape[0], PREDICT_CHUNK)
        if monte_carlo is not None:
            rows = monte_carlo.rows_per_product(X.shape[0])
        with self._thread_limit(rows):
            mean, std = self._standardised_mean_std(X, monte_carlo)
        std *= self._std_factor(std.dtype)
        return self._squeeze(self._in_units(mean)), self._squeeze(std)

    def sample_y(self, X, n_samples=None, random_state=None):
        """Draw predictions for ``X`` from the model's predictive distribution.

        Each sample is one forward pass with dropout left on, as in
        :meth:`predict` with ``return_std=True``; with
        ``loss='gaussian_nll'``, a draw from the Gaussian of that pass (of the
        whole network, without dropout). The shapes follow
        :meth:`sklearn.gaussian_process.GaussianProcessRegressor.sample_y`.
        The output holds ``n_samples_X * n_targets * n_samples`` values of X's
        dtype (8 bytes each in float64): 1,000 rows and 100 samples take 0.8 MB.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples_X, n_features)
            Input data.

        n_samples : int, default=None
            Number of samples per row; None draws ``mc_samples``.

        random_state : int, RandomState instance or None, default=None
            Seed of the dropout masks and the Gaussian draws. None uses the
            estimator's own ``random_state``, so that with
            ``n_samples=None``, ``Y.mean(-1)`` and ``Y.std(-1)`` are bit for
            bit the mean and std of ``predict(X, return_std=True)`` (for the
            losses but ``'gaussian_nll'``, whose draws only estimate them). A
            RandomState passed here is advanced.

        Returns
        -------
        y_samples : ndarray of shape (n_samples_X, n_samples) or \
                (n_samples_X, n_targets, n_samples)
            The sampled predictions. A row's dropout passes depend on that
            row alone; the Gaussian draws, on its position among the rows.
        """
        check_is_fitted(self)
        k = self.n_outputs_
        if not self._is_gaussian():
            samples = self._samples(X, self._activate, k, n_samples, random_state)
            samples = self._in_units(samples)
        else:
            samples = self._gaussian_samples(X, n_samples, random_state)
        return samples[:, 0] if k == 1 else samples

    def _gaussian_samples(self, X, n_samples, random_state):
        """Draws of ``mean + std * N(0, 1)``, the Gaussian of each pass."""
        k = self.n_outputs_
        if has_dropout(self.keep_probs_, self.input_keep_prob_):
            passes = self._samples(X, self._activate, 2 * k, n_samples, random_state)
        else:  # one pass, drawn from n_samples times
            check_sample_arguments(n_samples, random_state)
            validate_parameters({"mc_samples": self.mc_samples})
            n_samples = self.mc_samples if n_samples is None else n_samples
            one = self._in_row_chunks(X, self._activate, 2 * k)
            check_memory(one.nbytes * n_samples, f"{n_samples:,} samples (n_samples)")
            passes = np.repeat(one[:, :, None], n_samples, axis=2)
        mean, variance = passes[:, :k], passes[:, k:]
        seed = gaussian_seed(self, random_state)
        noise = np.random.default_rng(seed).standard_normal(mean.shape)
        std = np.sqrt(variance) * self.std_scale_.astype(mean.dtype)[:, None]
        return self._in_units(mean + std * noise.astype(mean.dtype))

    def _validation_y(self, targets):
        return self._squeeze(self._in_units(targets.values))  # the scorers' units

    def _squeeze(self, values):
        return values.ravel() if self.n_outputs_ == 1 else values

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.positive_only = self.loss == "poisson"
        return tags
