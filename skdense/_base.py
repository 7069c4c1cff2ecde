"""The estimator base shared by skdense's classifier and regressor.

It holds the parameters, validates them and the data, dispatches a fit to a
solver (:mod:`~skdense._training` or :mod:`~skdense._lbfgs`), copies the
fitted attributes back, and offers the prediction methods over
:mod:`~skdense._inference`. Everything that differs between classification
and regression (targets, output layer, scoring) lives in the subclasses.
"""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import contextlib
import functools
import warnings
from abc import ABCMeta, abstractmethod
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.metrics import check_scoring
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from ._callbacks import CallbackSupportMixin, FitTasks
from ._inference import MonteCarlo, fitted_network, predict_in_chunks
from ._lbfgs import fit_lbfgs
from ._losses import OUTPUT_ACTIVATIONS
from ._network import DenseNetwork
from ._optimizers import make_optimizer
from ._params import check_solver_options, resolve_keep_probs, validate_parameters
from ._penalties import make_penalty
from ._persistence import check_version
from ._training import (
    FitState,
    LoopSettings,
    TrainingSet,
    ValidationSet,
    reuse_or_build_solver,
    split_validation,
)
from ._validation import check_sample_weight, held_out_set, validate_X

_STOCHASTIC_SOLVERS = ("sgd", "adam")


class _Prepared(NamedTuple):
    """What a validated fit call hands to the solvers."""

    first_pass: bool
    network: DenseNetwork
    keep_probs: list
    y: object
    data: TrainingSet


class BaseDenseNet(CallbackSupportMixin, BaseEstimator, metaclass=ABCMeta):
    """Base class of the skdense estimators. Not to be used directly."""

    @abstractmethod
    def __init__(
        self,
        hidden_layer_sizes,
        activation,
        *,
        solver,
        alpha,
        batch_size,
        learning_rate,
        learning_rate_init,
        power_t,
        max_iter,
        shuffle,
        random_state,
        tol,
        verbose,
        warm_start,
        momentum,
        nesterovs_momentum,
        early_stopping,
        validation_fraction,
        beta_1,
        beta_2,
        epsilon,
        n_iter_no_change,
        max_fun,
        penalty,
        l1_ratio,
        keep_prob,
        input_keep_prob,
        scoring,
        n_threads,
        mc_samples,
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

    # ----------------------------------------------------------- subclass hooks

    @abstractmethod
    def _validate_input(self, X, y, incremental, reset, classes):
        """Validated ``X``, ``y``, and the training :class:`Targets`.

        ``reset`` is True when the fit starts from scratch; ``classes`` is
        partial_fit's argument (classifiers only).
        """

    @abstractmethod
    def _output_activation(self):
        """Name of the output activation, from the fitted targets."""

    @abstractmethod
    def _default_score(self, output, validation):
        """MLP's validation score of the network ``output``: accuracy or R²."""

    @abstractmethod
    def _validation_targets(self, y_val, dtype):
        """Validated ``y_val``: labels for the scorer, and its target matrix."""

    def _target_weights(self, targets, sample_weight, incremental, dtype):
        """Per-sample weights to train with (None: all equal)."""
        return sample_weight

    def _validation_y(self, targets):
        """Targets of the validation split in the form :meth:`_score` takes."""
        return targets.values

    def _stratify(self, y, targets):
        """Labels to stratify the validation split by, or None."""
        return None

    # ----------------------------------------------------------- fitting

    def _fit(
        self, X, y, sample_weight=None, incremental=False, classes=None, held_out=None
    ):
        """Fit; ``held_out`` is ``(X_val, y_val, sample_weight_val)`` or None."""
        saved_state = dict(self.__dict__)
        try:
            prepared = self._prepare(X, y, sample_weight, incremental, classes)
            validation = held_out_set(self, held_out, prepared.data.X.dtype)
        except BaseException:
            # Validation may have set attributes (classes_, n_features_in_, ...):
            # a failed call leaves the estimator exactly as it was.
            self.__dict__.clear()
            self.__dict__.update(saved_state)
            raise
        with self._thread_limit():
            self._train(prepared, incremental, validation)
        return self

    def _prepare(self, X, y, sample_weight, incremental, classes):
        """Validate everything a fit needs; return what the solvers take."""
        params = self.get_params(deep=False)
        validate_parameters(params)
        hidden_sizes = np.atleast_1d(self.hidden_layer_sizes).tolist()
        keep_probs = resolve_keep_probs(self.keep_prob, len(hidden_sizes))
        check_solver_options(params, keep_probs, incremental)
        first_pass = not hasattr(self, "coefs_") or (
            not self.warm_start and not incremental
        )
        X, y, targets = self._validate_input(X, y, incremental, first_pass, classes)
        X = X.tocsr() if sp.issparse(X) else X
        weights = check_sample_weight(sample_weight, X.shape[0], X.dtype)
        weights = self._target_weights(targets, weights, incremental, X.dtype)
        network = DenseNetwork(
            [X.shape[1], *hidden_sizes, targets.n_outputs],
            self.activation,
            self._output_activation(),
            X.dtype,
        )
        if not first_pass:
            network.check_continues(self.coefs_)
        data = TrainingSet(X, targets, weights)
        return _Prepared(first_pass, network, keep_probs, y, data)

    def _thread_limit(self):
        """Limit BLAS to ``n_threads`` threads for one call (None: as it is)."""
        if self.n_threads is None:
            return contextlib.nullcontext()
        return threadpool_limits(limits=self.n_threads, user_api="blas")

    def _train(self, prepared, incremental, given):
        random_state = check_random_state(self.random_state)
        network = prepared.network
        stochastic = self.solver in _STOCHASTIC_SOLVERS
        if prepared.first_pass:
            theta = network.initial_params(random_state)
            self.n_outputs_ = network.layer_sizes[-1]
            self.n_layers_ = len(network.layer_sizes)
            self.out_activation_ = network.output
            state = FitState.fresh(self.early_stopping and stochastic)
        else:
            theta = network.pack(self.coefs_, self.intercepts_)
            state = FitState.of(self)
        self.coefs_, self.intercepts_ = network.unpack(theta)
        data = prepared.data
        tasks = FitTasks.start(
            self,
            data.X,
            prepared.y,
            data.sample_weight,
            (1 if incremental else self.max_iter) + (not stochastic),
            functools.partial(_fitted_attributes, network),
        )
        try:
            if stochastic:
                self._fit_stochastic(
                    prepared, theta, state, random_state, incremental, given, tasks
                )
            else:
                penalty = make_penalty(self.penalty, self.alpha, self.l1_ratio)
                Y, weights = data.targets.dense(network.dtype), data.sample_weight
                result = fit_lbfgs(
                    network,
                    theta,
                    data.X,
                    Y,
                    weights,
                    penalty,
                    self,
                    state.loss_curve,
                    tasks,
                )
                state.n_iter, state.loss = result.n_iter, result.loss
                state.diverged = result.diverged
        except BaseException:
            tasks.close()
            raise
        state.store(self)
        if state.diverged:  # the optimizer's state may be broken too
            self.__dict__.pop("_optimizer", None)
            self.__dict__.pop("_engine", None)
        tasks.close(theta)

    def _fit_stochastic(
        self, prepared, theta, state, random_state, incremental, given, tasks
    ):
        solver = self._stochastic_solver(
            prepared.network, prepared.keep_probs, incremental
        )
        if solver.dropout is not None:
            solver.dropout.reseed(random_state.randint(2**31 - 1))
        data, validation = self._split(
            prepared.y, prepared.data, state, random_state, given
        )
        settings = LoopSettings.of(vars(self))  # the parameters, stored verbatim
        solver.run(
            theta, state, settings, data, validation, random_state, incremental, tasks
        )

    def _score(self, output, validation, loss):
        """The validation score that early stopping watches (higher is better)."""
        if self.scoring is None:
            return self._default_score(output, validation)
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

    def _split(self, y, data, state, random_state, given=None):
        """The training set and the validation set: the ``given`` one, a split
        of the training data, or None without early stopping."""
        if not self.early_stopping:
            return data, None
        if state.validation_scores is None:  # warm start of a fit without it
            state.validation_scores, state.best_validation_score = [], -np.inf
        if state.validation_loss_curve is None:
            state.validation_loss_curve = []
        if given is not None:
            return data, given
        stratify = self._stratify(y, data.targets)
        data, held_out = split_validation(
            data, self.validation_fraction, stratify, random_state
        )
        return data, ValidationSet(
            held_out.X,
            self._validation_y(held_out.targets),
            held_out.targets.dense(data.X.dtype),
            held_out.sample_weight,
        )

    def _stochastic_solver(self, network, keep_probs, incremental):
        """The solver of the last call if it fits this one, else a new one."""
        if not incremental or not hasattr(self, "_optimizer"):
            dtype = network.dtype
            self._optimizer = make_optimizer(vars(self), network.n_params, dtype)
        penalty = (self.penalty, self.alpha, self.l1_ratio)
        self._engine = reuse_or_build_solver(
            self.__dict__.get("_engine"),
            network,
            penalty,
            keep_probs,
            self._optimizer,
            self._score,
            self.input_keep_prob,
        )
        return self._engine.solver

    # ----------------------------------------------------------- prediction

    def _output(self, X):
        """Output activations of the fitted network for ``X`` (no dropout)."""
        check_is_fitted(self)
        return self._in_row_chunks(X, self._activate, self.n_outputs_)

    def _activate(self, logits):
        OUTPUT_ACTIVATIONS[self.out_activation_](logits)
        return logits

    def _in_row_chunks(self, X, finish, n_columns):
        """``finish(logits)`` of the fitted network for ``X`` (no dropout)."""
        X = validate_X(self, X)
        with self._thread_limit():
            return predict_in_chunks(*fitted_network(self), X, finish, n_columns)

    def _mean_std(self, X, finish, n_columns):
        """Mean and standard deviation of ``finish(logits)`` over ``mc_samples``
        forward passes with dropout left on (Monte-Carlo dropout)."""
        monte_carlo = MonteCarlo.of(self, finish)
        X = validate_X(self, X)
        with self._thread_limit():
            return monte_carlo.mean_std(X, n_columns)

    def _samples(self, X, finish, n_columns, n_samples, random_state):
        """``finish(logits)`` of each pass: shape (n_rows, n_columns, n_samples)."""
        monte_carlo = MonteCarlo.of(self, finish, n_samples, random_state)
        X = validate_X(self, X)
        with self._thread_limit():
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
        super().__setstate__(state)


def _fitted_attributes(network, theta):
    """The fitted weights of a copy of the estimator at the parameters ``theta``."""
    coefs, intercepts = network.unpack(np.array(theta, dtype=network.dtype))
    return {"coefs_": coefs, "intercepts_": intercepts}


def _version():
    from . import __version__

    return __version__
