"""The estimator base shared by skdense's classifier and regressor.

It turns constructor parameters into a network, a penalty, dropout and an
optimizer, runs the solvers, and keeps scikit-learn's MLP fitted attributes.
Everything that differs between classification and regression (targets,
output layer, scoring) lives in the subclasses.
"""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import contextlib
import copy
import time
import warnings
from abc import ABCMeta, abstractmethod

import numpy as np
import scipy.optimize
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data
from threadpoolctl import threadpool_limits

from ._dropout import RowKeyedDropout
from ._losses import OUTPUT_ACTIVATIONS
from ._network import DenseNetwork
from ._optimizers import AdamOptimizer, SGDOptimizer
from ._params import validate_parameters
from ._penalties import make_penalty
from ._persistence import check_version
from ._training import Epoch
from ._validation import check_sample_weight, errors_name

_STOCHASTIC_SOLVERS = ("sgd", "adam")
_PREDICT_CHUNK = 2048
_X_FORMATS = dict(accept_sparse=["csr", "csc"], dtype=(np.float64, np.float32))
_MC_CHUNK_ELEMENTS = 2**16  # stacked activations per chunk: cache-sized (measured)
_MC_STREAM = 0x4D43  # separates the Monte-Carlo stream from training's


def _has_dropout(keep_probs):
    return min(keep_probs, default=1.0) < 1.0


def _as_list(value):
    return [value] if np.ndim(value) == 0 else list(value)


class BaseDenseNet(BaseEstimator, metaclass=ABCMeta):
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
        self.n_threads = n_threads
        self.mc_samples = mc_samples

    # ----------------------------------------------------------- subclass hooks

    @abstractmethod
    def _validate_input(self, X, y, incremental, reset, classes):
        """Validated ``X``, ``y``, and the targets as a 2-D array of X's dtype.

        ``reset`` is True when the fit starts from scratch; ``classes`` is
        partial_fit's argument (classifiers only).
        """

    @abstractmethod
    def _output_activation(self):
        """Name of the output activation, from the fitted targets."""

    @abstractmethod
    def _score(self, X, y, sample_weight):
        """Validation score used by early stopping (higher is better)."""

    def _target_weights(self, y, sample_weight, incremental, dtype):
        """Per-sample weights to train with (None: all equal)."""
        return sample_weight

    def _validation_targets(self, Y):
        """Targets of the validation split in the form :meth:`_score` takes."""
        return Y

    # ----------------------------------------------------------- validation

    def _keep_probs(self, n_hidden):
        keep_probs = [float(p) for p in _as_list(self.keep_prob)]
        if len(keep_probs) == 1:
            return keep_probs * n_hidden
        if len(keep_probs) != n_hidden:
            raise ValueError(
                f"keep_prob must be one float or one value per hidden layer "
                f"({n_hidden} here); got {len(keep_probs)} values: {self.keep_prob!r}."
            )
        return keep_probs

    def _check_solver_options(self, keep_probs, incremental):
        if self.solver == "lbfgs":
            if self.penalty not in (None, "l2"):
                raise ValueError(
                    f"solver='lbfgs' supports penalty=None or 'l2' only; got "
                    f"penalty={self.penalty!r}. Use solver='adam' or 'sgd', which "
                    "handle the L1 part with a proximal step."
                )
            if _has_dropout(keep_probs):
                raise ValueError(
                    f"solver='lbfgs' cannot train with dropout; got "
                    f"keep_prob={self.keep_prob!r}. Use solver='adam' or 'sgd', or "
                    "keep_prob=1.0."
                )
        if incremental and self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True.")

    def _prepare(self, X, y, sample_weight, incremental, classes):
        """Validate everything a fit needs; return what the solvers take."""
        validate_parameters(self.get_params(deep=False))
        hidden_sizes = _as_list(self.hidden_layer_sizes)
        keep_probs = self._keep_probs(len(hidden_sizes))
        self._check_solver_options(keep_probs, incremental)
        first_pass = not hasattr(self, "coefs_") or (
            not self.warm_start and not incremental
        )
        X, y, Y = self._validate_input(X, y, incremental, first_pass, classes)
        if sp.issparse(X):
            X = X.tocsr()
        sample_weight = check_sample_weight(sample_weight, X.shape[0], X.dtype)
        sample_weight = self._target_weights(y, sample_weight, incremental, X.dtype)
        layer_sizes = [X.shape[1], *hidden_sizes, Y.shape[1]]
        if not first_pass:
            expected = [self.coefs_[0].shape[0]] + [c.shape[1] for c in self.coefs_]
            if layer_sizes != expected:
                raise ValueError(
                    f"Cannot continue training a network with layer sizes {expected} "
                    f"on layer sizes {layer_sizes}: hidden_layer_sizes or the "
                    "number of outputs changed. Set warm_start=False to refit."
                )
        network = DenseNetwork(
            layer_sizes, self.activation, self._output_activation(), X.dtype
        )
        return first_pass, network, keep_probs, X, Y, sample_weight

    # ----------------------------------------------------------- fitting

    def _fit(self, X, y, sample_weight=None, incremental=False, classes=None):
        saved_state = dict(self.__dict__)
        try:
            first_pass, network, keep_probs, X, Y, sample_weight = self._prepare(
                X, y, sample_weight, incremental, classes
            )
        except BaseException:
            # Validation may have set attributes (classes_, n_features_in_, ...):
            # a failed call leaves the estimator exactly as it was.
            self.__dict__.clear()
            self.__dict__.update(saved_state)
            raise

        with self._thread_limit():
            self._train(
                first_pass, network, keep_probs, X, Y, sample_weight, incremental
            )
        return self

    def _thread_limit(self):
        """Limit BLAS to ``n_threads`` threads for one call (None: as it is)."""
        if self.n_threads is None:
            return contextlib.nullcontext()
        return threadpool_limits(limits=self.n_threads, user_api="blas")

    def _train(self, first_pass, network, keep_probs, X, Y, sample_weight, incremental):
        random_state = check_random_state(self.random_state)
        if first_pass:
            theta = network.initial_params(random_state)
            self._initialize(network)
        else:
            theta = network.pack(self.coefs_, self.intercepts_)
        self.coefs_, self.intercepts_ = network.unpack(theta)

        if self.solver == "lbfgs":
            self._fit_lbfgs(network, theta, X, Y, sample_weight)
        else:
            self._fit_stochastic(
                network,
                theta,
                X,
                Y,
                sample_weight,
                keep_probs,
                incremental,
                random_state,
            )

    def _initialize(self, network):
        self.n_iter_ = 0
        self.t_ = 0
        self.n_outputs_ = network.layer_sizes[-1]
        self.n_layers_ = len(network.layer_sizes)
        self.out_activation_ = network.output
        self.loss_curve_ = []
        self._no_improvement_count = 0
        if self.early_stopping and self.solver in _STOCHASTIC_SOLVERS:
            self.validation_scores_ = []
            self.best_validation_score_ = -np.inf
            self.best_loss_ = None
        else:
            self.validation_scores_ = None
            self.best_validation_score_ = None
            self.best_loss_ = np.inf

    def _make_optimizer(self, network):
        if self.solver == "sgd":
            return SGDOptimizer(
                network.n_params,
                network.dtype,
                self.learning_rate_init,
                self.learning_rate,
                self.momentum,
                self.nesterovs_momentum,
                self.power_t,
            )
        return AdamOptimizer(
            network.n_params,
            network.dtype,
            self.learning_rate_init,
            self.beta_1,
            self.beta_2,
            self.epsilon,
        )

    def _split_validation(self, X, Y, sample_weight, random_state):
        """Training and validation sets; the latter is None without early stopping."""
        if not self.early_stopping:
            return (X, Y, sample_weight), None
        # As scikit-learn's MLP: stratify single-column targets only.
        stratify = Y[:, 0] if self._stratify_validation() and Y.shape[1] == 1 else None
        arrays = [X, Y] if sample_weight is None else [X, Y, sample_weight]
        parts = train_test_split(
            *arrays,
            random_state=random_state,
            test_size=self.validation_fraction,
            stratify=stratify,
        )
        train, valid = parts[0::2], parts[1::2]
        if valid[0].shape[0] < 2:
            raise ValueError(
                "The validation set is too small: increase validation_fraction "
                f"(got {self.validation_fraction}) or the size of the dataset."
            )
        if sample_weight is None:
            train, valid = [*train, None], [*valid, None]
        valid[1] = self._validation_targets(valid[1])
        return tuple(train), tuple(valid)

    def _stratify_validation(self):
        return False

    def _batch_size(self, n_samples):
        if self.batch_size == "auto":
            return min(200, n_samples)
        if self.batch_size > n_samples:
            warnings.warn(
                f"batch_size={self.batch_size} is larger than the {n_samples} "
                "training samples: it is clipped to the number of samples.",
                UserWarning,
            )
        return int(np.clip(self.batch_size, 1, n_samples))

    def _fit_stochastic(
        self,
        network,
        theta,
        X,
        Y,
        sample_weight,
        keep_probs,
        incremental,
        random_state,
    ):
        if not incremental or not hasattr(self, "_optimizer"):
            self._optimizer = self._make_optimizer(network)
        dropout = None
        if _has_dropout(keep_probs):
            seed = random_state.randint(2**31 - 1)
            dropout = RowKeyedDropout(keep_probs, network.layer_sizes[1:-1], seed)
        (X, Y, sample_weight), validation = self._split_validation(
            X, Y, sample_weight, random_state
        )
        penalty = make_penalty(self.penalty, self.alpha, self.l1_ratio)
        epoch = Epoch(network, penalty, self._optimizer, dropout, X, Y, sample_weight)
        batch_size = self._batch_size(X.shape[0])
        order = np.arange(X.shape[0]) if self.shuffle else None
        # Weights to fall back on: with early stopping, those of the best
        # validation score (MLP's rule); otherwise, if training diverges, those
        # at the start of the epoch with the lowest loss.
        fallback, lowest_loss = theta.copy(), np.inf

        self.n_iter_ = 0
        for _ in range(self.max_iter):
            started = time.perf_counter()
            epoch_start = theta.copy()
            if order is not None:
                random_state.shuffle(order)
            # Masks are keyed by the count of epochs trained, not samples seen:
            # a weighted sample and its copies must see the same masks.
            loss = epoch.run(theta, order, batch_size, len(self.loss_curve_))
            if loss is None:
                theta[...] = fallback
                self._diverged()
                break
            if validation is None and loss < lowest_loss:
                fallback, lowest_loss = epoch_start, loss
            self.n_iter_ += 1
            self.t_ += X.shape[0]
            self.loss_ = loss
            self.loss_curve_.append(loss)
            if self._update_no_improvement_count(validation):
                fallback[...] = theta
            self._print_progress(time.perf_counter() - started)
            self._optimizer.iteration_ends(self.t_)
            if self._should_stop() or incremental:
                break
            if self.n_iter_ == self.max_iter:
                warnings.warn(
                    f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) "
                    "reached and the optimization hasn't converged yet.",
                    ConvergenceWarning,
                )
        if validation is not None:
            theta[...] = fallback

    def _diverged(self):
        self.__dict__.pop("_optimizer", None)  # its state may be broken too
        warnings.warn(
            f"Training diverged at epoch {self.n_iter_ + 1}: the loss or the "
            "weights became infinite or NaN. The weights with the best loss (or "
            "validation score) so far are kept. Lower learning_rate_init or "
            "scale the features.",
            ConvergenceWarning,
        )

    def _update_no_improvement_count(self, validation):
        """Count epochs without improvement; True if the validation score is a
        new best (the weights to keep with early stopping)."""
        new_best = False
        if validation is not None:
            score = self._score(*validation)
            self.validation_scores_.append(score)
            improved = score >= self.best_validation_score_ + self.tol
            new_best = score > self.best_validation_score_
            self.best_validation_score_ = max(score, self.best_validation_score_)
        else:
            improved = self.loss_curve_[-1] <= self.best_loss_ - self.tol
            self.best_loss_ = min(self.best_loss_, self.loss_curve_[-1])
        self._no_improvement_count = 0 if improved else self._no_improvement_count + 1
        return new_best

    def _should_stop(self):
        if self._no_improvement_count <= self.n_iter_no_change:
            return False
        watched = "Validation score" if self.early_stopping else "Training loss"
        message = (
            f"{watched} did not improve more than tol={self.tol:f} for "
            f"{self.n_iter_no_change} consecutive epochs."
        )
        if self._optimizer.trigger_stopping(message, self.verbose):
            return True
        self._no_improvement_count = 0
        return False

    def _print_progress(self, seconds):
        if not self.verbose:
            return
        line = f"Iteration {self.n_iter_}, loss = {self.loss_:.8f}"
        if self.validation_scores_:
            line += f", validation score = {self.validation_scores_[-1]:.6f}"
        print(f"{line}, time = {seconds:.3f}s")

    def _fit_lbfgs(self, network, theta, X, Y, sample_weight):
        penalty = make_penalty(self.penalty, self.alpha, self.l1_ratio)
        grad = np.empty_like(theta)
        start = theta.copy()

        def objective(flat):
            theta[...] = flat
            # L-BFGS's line search may try a step that overflows: it sees an
            # infinite loss and backs off, so NumPy need not warn.
            with np.errstate(over="ignore", invalid="ignore"):
                loss = network.loss_gradient(theta, X, Y, sample_weight, penalty, grad)
            return loss, grad.astype(np.float64)

        def record(intermediate_result):
            self.loss_curve_.append(float(intermediate_result.fun))
            if self.verbose:
                print(
                    f"Iteration {len(self.loss_curve_)}, "
                    f"loss = {self.loss_curve_[-1]:.8f}"
                )

        result = scipy.optimize.minimize(
            objective,
            theta.astype(np.float64),
            method="L-BFGS-B",
            jac=True,
            callback=record,
            options={
                "maxfun": self.max_fun,
                "maxiter": self.max_iter,
                "gtol": self.tol,
            },
        )
        theta[...] = result.x
        self.n_iter_ = min(result.nit, self.max_iter)
        self.loss_ = float(result.fun)
        if not np.isfinite(theta).all() or not np.isfinite(self.loss_):
            theta[...] = start
            self._diverged()
        elif result.status != 0:
            warnings.warn(
                f"lbfgs failed to converge after {self.n_iter_} iteration(s) "
                f"(status={result.status}): {result.message}. Increase max_iter "
                f"(now {self.max_iter}) or max_fun (now {self.max_fun}), or scale "
                "the data.",
                ConvergenceWarning,
            )

    # ----------------------------------------------------------- prediction

    def _validated(self, X):
        check_is_fitted(self)
        with errors_name("X"):
            return validate_data(self, X, reset=False, **_X_FORMATS)

    def _validated_X_y(self, X, y, reset, **y_options):
        """``X`` and ``y`` validated, errors naming the argument at fault."""
        try:
            return validate_data(self, X, y, reset=reset, **_X_FORMATS, **y_options)
        except (ValueError, TypeError) as error:
            with errors_name("X"):  # raises if X alone is at fault
                validate_data(self, X, reset=reset, **_X_FORMATS)
            with errors_name("y"):
                raise error from None

    def _output(self, X):
        """Output activations of the fitted network for ``X`` (no dropout)."""
        check_is_fitted(self)
        return self._in_row_chunks(X, self._activate, self.n_outputs_)

    def _activate(self, logits):
        OUTPUT_ACTIVATIONS[self.out_activation_](logits)
        return logits

    def _in_row_chunks(self, X, finish, n_columns):
        """``finish(logits)`` of the fitted network for ``X`` (no dropout)."""
        network = self._prediction_network()

        def compute(rows):
            return (finish(network.logits(self.coefs_, self.intercepts_, rows)),)

        (output,) = self._by_row_chunks(X, _PREDICT_CHUNK, compute, n_columns, 1)
        return output

    def _monte_carlo(self, X, finish, n_columns):
        """Mean and standard deviation of ``finish(logits)`` over ``mc_samples``
        forward passes with dropout left on (Monte-Carlo dropout)."""
        check_is_fitted(self)
        keep_probs = self._keep_probs(len(self.coefs_) - 1)
        if not _has_dropout(keep_probs):
            raise ValueError(
                "return_std=True needs Monte-Carlo dropout, and this model has no "
                f"dropout (keep_prob={self.keep_prob!r}). Fit it with keep_prob < 1 "
                "(e.g. 0.8) to get uncertainty estimates."
            )
        network = self._prediction_network()
        rng = self._monte_carlo_generator()

        def compute(rows):
            logits = network.mc_logits(
                self.coefs_, self.intercepts_, rows, keep_probs, self.mc_samples, rng
            )
            passes = finish(logits.reshape(-1, logits.shape[2]))
            passes = passes.reshape(self.mc_samples, -1, n_columns)
            return passes.mean(axis=0), passes.std(axis=0)

        widest = max(coef.shape[1] for coef in self.coefs_)
        chunk = max(1, _MC_CHUNK_ELEMENTS // (self.mc_samples * widest))
        return self._by_row_chunks(X, chunk, compute, n_columns, 2)

    def _by_row_chunks(self, X, chunk_rows, compute, n_columns, n_results):
        """Validate ``X``, then fill ``n_results`` arrays chunk by chunk of rows.

        Chunks keep each layer's activations in cache and bound the memory of a
        prediction; the results are those of a single pass.
        """
        X = self._validated(X)
        dtype = np.result_type(X.dtype, self.coefs_[0].dtype)
        results = [
            np.empty((X.shape[0], n_columns), dtype=dtype) for _ in range(n_results)
        ]
        with self._thread_limit():
            for start in range(0, X.shape[0], chunk_rows):
                rows = slice(start, start + chunk_rows)
                for result, part in zip(results, compute(X[rows])):
                    result[rows] = part
        return results

    def _monte_carlo_generator(self):
        seed = self.random_state
        if isinstance(seed, np.random.RandomState):
            # Draw from a copy: the estimator's own RandomState is untouched.
            seed = copy.deepcopy(seed).randint(2**32)
        return np.random.default_rng(None if seed is None else [seed, _MC_STREAM])

    def _prediction_network(self):
        layer_sizes = [self.coefs_[0].shape[0]] + [c.shape[1] for c in self.coefs_]
        return DenseNetwork(
            layer_sizes, self.activation, self.out_activation_, self.coefs_[0].dtype
        )

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
        state = super().__getstate__()
        state["_skdense_version"] = _version()
        return state

    def __setstate__(self, state):
        check_version(state, type(self).__name__, _version())
        super().__setstate__(state)


def _version():
    from . import __version__

    return __version__
