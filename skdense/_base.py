"""The estimator base shared by skdense's classifier and regressor.

It holds the parameters, validates them and the data, hands a fit to a
solver (:mod:`~skdense._training` or :mod:`~skdense._lbfgs`) and offers the
prediction methods over :mod:`~skdense._inference`. Everything that differs
between classification and regression (targets, output layer, scoring) lives
in the subclasses.

The fit's state has one home, the :class:`~skdense._fit_state.FitState` the
estimator holds; ``n_iter_``, ``loss_curve_`` and MLP's other fitted
attributes are its fields. The settings that prediction needs from training
(the keep probabilities, the hidden activation; the dtype is the weights')
are frozen as fitted attributes, so ``set_params`` after ``fit`` never
changes what a fitted model predicts.
"""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import inspect
import warnings
from abc import ABCMeta, abstractmethod
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.metrics import check_scoring
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from ._callbacks import CallbackSupportMixin, FitTasks
from ._continuation import check_continues
from ._fit_state import STATE_ATTRIBUTES, FitState, StateAttribute
from ._inference import (
    PREDICT_CHUNK,
    MonteCarlo,
    fitted_layer_sizes,
    fitted_network,
    monte_carlo_seed,
    predict_in_chunks,
)
from ._kernels import kernel_choice
from ._lbfgs import LbfgsSettings, fit_lbfgs
from ._losses import OUTPUTS
from ._network import DenseNetwork
from ._optimizers import make_optimizer
from ._parametrization import initial_params, n_trained, step_scales
from ._params import (
    check_activations_per_layer,
    check_solver_options,
    resolve_keep_probs,
    validate_parameters,
)
from ._penalties import make_penalty
from ._persistence import check_version, migrated_state
from ._targets import smooth_labels
from ._threads import largest_product, thread_limit
from ._training import (
    LoopSettings,
    TrainingSet,
    batch_rows,
    held_out_split,
    reuse_or_build_solver,
)
from ._validation import (
    X_FORMATS,
    check_keep_probs_invertible,
    check_sample_weight,
    check_scoring_name,
    held_out_set,
    validate_X,
    validate_X_y,
)

_STOCHASTIC_SOLVERS = ("sgd", "adam", "adamw")


class _Fit(NamedTuple):
    """What a validated fit call hands to the solvers."""

    network: DenseNetwork
    theta: np.ndarray  # the flat parameters, trained in place
    state: FitState
    data: TrainingSet
    y: object  # the labels as given, for stratification and the callbacks
    random_state: np.random.RandomState
    incremental: bool


class BaseDenseNet(CallbackSupportMixin, BaseEstimator, metaclass=ABCMeta):
    """Base class of the skdense estimators. Not to be used directly."""

    # ----------------------------------------------------------- subclass hooks

    @abstractmethod
    def _validate_input(self, X, y, incremental, reset, classes):
        """Validated ``X``, ``y``, and the training :class:`Targets`.

        ``reset`` is True when the fit starts from scratch; ``classes`` is
        partial_fit's argument (classifiers only).
        """

    def _validate_features(self, X, reset):
        """``X`` as the network takes it (``reset``: a fit from scratch)."""
        return validate_data(self, X, reset=reset, **X_FORMATS)

    def _validate_X_y(self, X, y, reset, **y_options):
        """``X`` as the network takes it, and ``y`` validated with ``y_options``."""
        return validate_X_y(self, X, y, reset, **y_options)

    @abstractmethod
    def _output_activation(self):
        """Name of the output activation, from the fitted targets."""

    def _output_param(self):
        """The output loss's parameter (see ``DenseNetwork``), None here."""
        return None

    @abstractmethod
    def _default_score(self, output, validation, loss):
        """The validation score of the network ``output`` when ``scoring`` is
        None (``loss`` is the validation loss): accuracy or R², as MLP."""

    @abstractmethod
    def _validation_targets(self, y_val, dtype, targets):
        """Validated ``y_val`` against the training ``targets``: labels for the
        scorer, and its target matrix."""

    def _target_weights(self, targets, sample_weight, incremental, dtype):
        """Per-sample weights to train with (None: all equal)."""
        return sample_weight

    def _scaled_targets(self, targets, sample_weight, reset):
        """The targets the network trains on (``reset``: a fit from scratch)."""
        return targets

    def _validation_y(self, targets):
        """Targets of the validation split in the form :meth:`_score` takes."""
        return targets.values

    def _stratify(self, y, targets):
        """Labels to stratify the validation split by, or None."""
        return None

    def _label_smoothing(self):
        """The label smoothing of the training targets (classifier only)."""
        return 0.0

    def _smoothed(self, Y, network):
        """The full-batch targets ``Y``, label-smoothed if the model asks."""
        smoothing = self._label_smoothing()
        return smooth_labels(Y, smoothing, network.output) if smoothing else Y

    def _calibrate(self, validation):
        """Fit what the trained network calibrates on the held-out
        ``validation`` (None: no held-out data); nothing here."""

    def _shape_parameter(self, output):
        """The parameter and value that give the output layer ``output``,
        for an error message (``loss`` for the regressor)."""
        return f"output layer {output!r}"

    # ----------------------------------------------------------- fitting

    def _fit(
        self, X, y, sample_weight=None, incremental=False, classes=None, held_out=None
    ):
        """Fit; ``held_out`` is ``(X_val, y_val, sample_weight_val)`` or None.

        All or nothing: whatever goes wrong (bad data, a scorer or callback
        that raises, a MemoryError), the estimator is left exactly as it was.
        A KeyboardInterrupt is no error here: the solvers catch it and keep
        the last whole epoch (or lbfgs iteration).
        """
        saved = dict(self.__dict__)
        random_state = self.random_state
        if isinstance(random_state, np.random.RandomState):
            saved_draws = random_state.get_state()
        try:
            params = self.get_params(deep=False)
            validate_parameters(params)
            kernel_choice()  # SKDENSE_KERNELS, checked before anything runs
            fit = self._prepare(params, X, y, sample_weight, incremental, classes)
            given = held_out_set(self, held_out, fit.data)
            with self._thread_limit(self._rows_per_batch(len(fit.data))):
                self._solve(fit, params, given)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(saved)
            if isinstance(random_state, np.random.RandomState):
                random_state.set_state(saved_draws)  # a failed fit draws nothing
            raise
        return self

    def _prepare(self, params, X, y, sample_weight, incremental, classes):
        """Validate the data, build the network, its start and its state."""
        hidden_sizes = np.atleast_1d(self.hidden_layer_sizes).tolist()
        keep_probs = resolve_keep_probs(self.keep_prob, len(hidden_sizes))
        check_activations_per_layer(self.activation, len(hidden_sizes))
        check_solver_options(params, keep_probs, incremental)
        check_scoring_name(self, self.scoring, self.early_stopping)
        first_pass = not hasattr(self, "coefs_") or (
            not self.warm_start and not incremental
        )
        X, y, targets = self._validate_input(X, y, incremental, first_pass, classes)
        X = X.tocsr() if sp.issparse(X) else X
        check_keep_probs_invertible(keep_probs, self.input_keep_prob, X.dtype)
        weights = check_sample_weight(sample_weight, X.shape[0], X.dtype)
        weights = self._target_weights(targets, weights, incremental, X.dtype)
        output = self._output_activation()
        units_per_target = OUTPUTS[output].units_per_target
        network = DenseNetwork(
            [X.shape[1], *hidden_sizes, targets.n_outputs * units_per_target],
            self.activation,
            output,
            X.dtype,
            self._output_param(),
        )
        if not first_pass:
            check_continues(self, network)
        targets = self._scaled_targets(targets, weights, first_pass)
        random_state = check_random_state(self.random_state)
        stochastic = self.solver in _STOCHASTIC_SOLVERS
        early_stopping = self.early_stopping and stochastic
        if first_pass:
            theta = initial_params(network, self.parametrization, random_state)
            state = FitState.fresh(early_stopping, stochastic)
        else:
            theta = network.pack(self.coefs_, self.intercepts_)
            state = self._fit_state.continued(early_stopping, stochastic)
        if stochastic and (not incremental or state.optimizer is None):
            state.optimizer = self._make_optimizer(params, network)
        self._install(network, theta, state, keep_probs)
        data = TrainingSet(X, targets, weights)
        return _Fit(network, theta, state, data, y, random_state, incremental)

    def _make_optimizer(self, params, network):
        """A fresh optimizer for ``network``, in the parametrisation asked for."""
        scales = step_scales(network, self.parametrization, self.input_scale)
        size = n_trained(network, self.input_scale)
        optimizer = make_optimizer(params, size, network.dtype, scales)
        if self.input_scale:
            optimizer.input_scale = np.ones(network.layer_sizes[0], network.dtype)
        return optimizer

    def _install(self, network, theta, state, keep_probs):
        """Make the estimator the model being trained: weights that are views
        of ``theta``, the training-time settings prediction reads, the state."""
        self.coefs_, self.intercepts_ = network.unpack(theta)
        self.n_outputs_ = network.n_targets
        self.n_layers_ = len(network.layer_sizes)
        self.out_activation_ = network.output
        self.hidden_activation_ = network.activation
        self.keep_probs_ = keep_probs
        self.input_keep_prob_ = float(self.input_keep_prob)
        self._monte_carlo_seed = monte_carlo_seed(self.random_state)
        self._fit_state = state

    def _thread_limit(self, n_rows):
        """BLAS's threads for one call whose matrix products have ``n_rows``
        rows through the fitted layers, as ``n_threads`` says."""
        validate_parameters({"n_threads": self.n_threads})
        work = largest_product(n_rows, fitted_layer_sizes(self.coefs_))
        return thread_limit(self.n_threads, work)

    def _rows_per_batch(self, n_samples):
        """Rows of a training batch: the whole set for lbfgs."""
        if self.solver not in _STOCHASTIC_SOLVERS:
            return n_samples
        return batch_rows(self.batch_size, n_samples)

    def _solve(self, fit, params, given):
        """Train ``fit.theta`` in place with the solver the parameters name;
        ``given`` is the user's validation set, or None."""
        network, data, state = fit.network, fit.data, fit.state
        stochastic = self.solver in _STOCHASTIC_SOLVERS
        validation = None
        tasks = FitTasks.start(
            self,
            data.X,
            fit.y,
            data.sample_weight,
            (1 if fit.incremental else params["max_iter"]) + (not stochastic),
            network,
        )
        try:
            if stochastic:
                solver = self._stochastic_solver(fit)
                train, validation = self._split(fit, given)
                solver.run(
                    fit.theta,
                    state,
                    LoopSettings.of(params),
                    train,
                    validation,
                    fit.random_state,
                    fit.incremental,
                    tasks,
                )
            else:
                fit_lbfgs(
                    network,
                    fit.theta,
                    data.X,
                    self._smoothed(data.targets.dense(network.dtype), network),
                    data.sample_weight,
                    make_penalty(self.penalty, self.alpha, self.l1_ratio),
                    LbfgsSettings.of(params),
                    state,
                    tasks,
                )
            self._calibrate(validation)
        except BaseException:
            tasks.close()
            raise
        if state.diverged:  # the optimizer's moments may be broken too
            state.optimizer = None
            self.__dict__.pop("_engine", None)
        tasks.close(fit.theta)

    def _score(self, output, validation, loss):
        """The validation score that early stopping watches (higher is better)."""
        if self.scoring is None:
            return self._default_score(output, validation, loss)
        if isinstance(self.scoring, str) and self.scoring == "loss":
            return -loss
        weights = {}
        if validation.sample_weight is not None:
            weights["sample_weight"] = validation.sample_weight
        with warnings.catch_warnings():
            # The validation rows are arrays, even for a model fitted on a
            # DataFrame: scikit-learn's warning about names says nothing here.
            warnings.filterwarnings("ignore", "X does not have valid feature names")
            scorer = check_scoring(self, scoring=self.scoring)
            return scorer(self, validation.X, validation.y, **weights)

    def _split(self, fit, given):
        """The training set and the validation set: the user's (``given``), a
        split of the training data, or None without early stopping."""
        if not self.early_stopping or given is not None:
            return fit.data, given
        stratify = self._stratify(fit.y, fit.data.targets)
        return held_out_split(
            fit.data, self.validation_fraction, stratify, fit.random_state, self
        )

    def _stochastic_solver(self, fit):
        """The solver of the last call if it fits this one, else a new one;
        its dropout seeded from ``random_state`` for this call."""
        penalty = (self.penalty, self.alpha, self.l1_ratio)
        self._engine = reuse_or_build_solver(
            self.__dict__.get("_engine"),
            fit.network,
            penalty,
            self.keep_probs_,
            self._score,
            self.input_keep_prob_,
            self.max_norm,
            self._label_smoothing(),
        )
        solver = self._engine.solver
        if solver.dropout is not None:
            solver.dropout.reseed(fit.random_state.randint(2**31 - 1))
        return solver

    # ----------------------------------------------------------- prediction

    def _output(self, X):
        """Output activations of the fitted network for ``X`` (no dropout)."""
        check_is_fitted(self)
        return self._in_row_chunks(X, self._activate, self.n_outputs_)

    def _activate(self, logits):
        OUTPUTS[self.out_activation_].activate(logits)
        return logits

    def _in_row_chunks(self, X, finish, n_columns):
        """``finish(logits)`` of the fitted network for ``X`` (no dropout)."""
        X = validate_X(self, X)
        with self._thread_limit(min(X.shape[0], PREDICT_CHUNK)):
            return predict_in_chunks(*fitted_network(self), X, finish, n_columns)

    def _mean_std(self, X, finish, n_columns):
        """Mean and standard deviation of ``finish(logits)`` over ``mc_samples``
        forward passes with dropout left on (Monte-Carlo dropout)."""
        monte_carlo = MonteCarlo.of(self, finish)
        X = validate_X(self, X)
        with self._thread_limit(monte_carlo.rows_per_product(X.shape[0])):
            return monte_carlo.mean_std(X, n_columns)

    def _samples(self, X, finish, n_columns, n_samples, random_state):
        """``finish(logits)`` of each pass: shape (n_rows, n_columns, n_samples)."""
        monte_carlo = MonteCarlo.of(self, finish, n_samples, random_state)
        X = validate_X(self, X)
        with self._thread_limit(monte_carlo.rows_per_product(X.shape[0])):
            return monte_carlo.samples(X, n_columns)

    def _check_solver(self):
        if self.solver not in _STOCHASTIC_SOLVERS:
            raise AttributeError(
                f"partial_fit is only available for stochastic optimizers; "
                f"solver={self.solver!r} is not stochastic."
            )
        return True

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def __getstate__(self):
        state = dict(super().__getstate__())
        state.pop("_engine", None)  # rebuilt on demand; holds work buffers
        state["_skdense_version"] = _version()
        return state

    def __setstate__(self, state):
        check_version(state, type(self).__name__, _version())
        defaults = {
            name: parameter.default
            for name, parameter in inspect.signature(type(self)).parameters.items()
        }
        super().__setstate__(migrated_state(state, defaults))


for _attribute, _field in STATE_ATTRIBUTES.items():
    setattr(BaseDenseNet, _attribute, StateAttribute(_attribute, _field))


def _version():
    from . import __version__

    return __version__
