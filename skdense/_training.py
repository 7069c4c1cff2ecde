"""The stochastic solver: it owns a fit's loop state and runs epochs of batches.

The estimator validates the data, builds a :class:`StochasticSolver` (network,
optimizer, penalty, dropout and the work buffers of the batch loop) and hands
it a :class:`FitState` holding what the loop counts and remembers: epochs,
samples seen, the loss curve, the best loss or validation score, the epochs
without improvement. After :meth:`StochasticSolver.run` the estimator copies
that state back into its fitted attributes. The solver itself is reused by
consecutive ``partial_fit`` calls, so a stream of small blocks pays for its
buffers once; it is never pickled.

Which weights a run ends with:

- with a validation set, those of the best validation score (MLP's rule);
- if the loss or the weights become non-finite, the best weights so far (the
  start of the epoch with the lowest loss, or the best validation weights);
- if the user interrupts it (``KeyboardInterrupt``), the weights at the end of
  the last whole epoch, with the optimizer's state of that moment, so that
  ``n_iter_``, ``loss_curve_`` and the weights agree (or, with a validation
  set, the best validation weights).
"""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from ._buffers import Buffers
from ._callbacks import NoTasks
from ._dropout import RowKeyedDropout, has_dropout, row_keys
from ._penalties import make_penalty


@dataclass
class TrainingSet:
    """Inputs, :class:`~skdense._targets.Targets` and sample weights (or None)."""

    X: object
    targets: object
    sample_weight: object = None
    keys: object = None  # row keys, set when dropout needs them

    def __len__(self):
        return self.X.shape[0]


@dataclass
class ValidationSet:
    """Held-out data for early stopping: ``y`` as the estimator's scorer takes
    it, ``Y`` as the loss does (the dense target matrix)."""

    X: object
    y: object
    Y: object
    sample_weight: object = None


@dataclass
class FitState:
    """What the epoch loop counts and remembers across epochs and calls."""

    n_iter: int = 0
    t: int = 0
    loss: float = None
    loss_curve: list = field(default_factory=list)
    best_loss: float = np.inf
    validation_scores: list = None
    best_validation_score: float = None
    validation_loss_curve: list = None
    no_improvement_count: int = 0
    diverged: bool = False

    @classmethod
    def fresh(cls, early_stopping):
        if early_stopping:
            return cls(
                best_loss=None,
                validation_scores=[],
                best_validation_score=-np.inf,
                validation_loss_curve=[],
            )
        return cls()

    @classmethod
    def of(cls, estimator):
        """The state kept in a fitted estimator's attributes.

        Attributes set by hand (as scikit-learn's own tests do) may be few;
        the missing ones take their fresh values.
        """
        state = cls()
        for attribute, name in _ESTIMATOR_ATTRIBUTES.items():
            setattr(state, name, getattr(estimator, attribute, getattr(state, name)))
        return state

    def store(self, estimator):
        """Copy the state into the estimator's fitted attributes."""
        for attribute, name in _ESTIMATOR_ATTRIBUTES.items():
            setattr(estimator, attribute, getattr(self, name))
        if self.loss is not None:
            estimator.loss_ = self.loss


# Fitted attribute of the estimator -> FitState field (MLP's names).
_ESTIMATOR_ATTRIBUTES = {
    "n_iter_": "n_iter",
    "t_": "t",
    "loss_curve_": "loss_curve",
    "best_loss_": "best_loss",
    "validation_scores_": "validation_scores",
    "best_validation_score_": "best_validation_score",
    "validation_loss_curve_": "validation_loss_curve",
    "_no_improvement_count": "no_improvement_count",
}


@dataclass(frozen=True)
class LoopSettings:
    """The estimator parameters that steer the epoch loop."""

    max_iter: int
    batch_size: object
    shuffle: bool
    tol: float
    n_iter_no_change: int
    verbose: bool

    @classmethod
    def of(cls, params):
        """The settings among the estimator parameters ``params``."""
        return cls(**{name: params[name] for name in cls.__dataclass_fields__})


def split_validation(train, fraction, stratify, random_state):
    """Split ``train`` into training and validation :class:`TrainingSet` s.

    ``stratify``: labels to stratify by, or None.
    """
    index = np.arange(len(train))
    train_rows, valid_rows = train_test_split(
        index, random_state=random_state, test_size=fraction, stratify=stratify
    )
    if len(valid_rows) < 2:
        raise ValueError(
            "The validation set is too small: increase validation_fraction "
            f"(got {fraction}) or the size of the dataset."
        )
    return _subset(train, train_rows), _subset(train, valid_rows)


def _subset(data, rows):
    weights = data.sample_weight
    return TrainingSet(
        data.X[rows],
        data.targets.subset(rows),
        None if weights is None else weights[rows],
    )


def warn_diverged(epoch):
    warnings.warn(
        f"Training diverged at epoch {epoch}: the loss or the weights became "
        "infinite or NaN. The weights with the best loss (or validation score) "
        "so far are kept. Lower learning_rate_init or scale the features.",
        ConvergenceWarning,
    )


class BatchLoop:
    """One pass over a training set, batch by batch, in reused buffers.

    Parameters
    ----------
    network : DenseNetwork
    penalty : Penalty
    optimizer : BaseOptimizer
    dropout : RowKeyedDropout or None
    """

    def __init__(self, network, penalty, optimizer, dropout):
        self.network = network
        self.penalty = penalty
        self.optimizer = optimizer
        self.dropout = dropout
        self.grad = np.empty(network.n_params, dtype=network.dtype)
        self._buffers = Buffers()

    def prepare(self, data):
        """Compute what the batches of ``data`` need once (its row keys)."""
        if self.dropout is not None and data.keys is None:
            data.keys = row_keys(data.X)

    def run(self, theta, data, order, batch_size, epoch_key):
        """Train on every batch; return the mean batch loss (None if it diverged).

        Overflow is not reported by NumPy here: a diverging run is detected
        (non-finite loss or weights) and reported once, clearly, by the solver.
        """
        n_samples = len(data)
        total = 0.0
        with np.errstate(over="ignore", invalid="ignore"):
            for start in range(0, n_samples, batch_size):
                rows = slice(start, start + batch_size)
                if order is not None:
                    rows = order[rows]
                batch_loss = self._train_batch(theta, data, rows, epoch_key)
                if not np.isfinite(batch_loss):
                    return None
                total += batch_loss * (min(start + batch_size, n_samples) - start)
            if not np.isfinite(theta).all():
                return None
        return total / n_samples

    def _rows(self, name, array, rows):
        """``array[rows]``, gathered into a reused buffer when ``array`` is dense."""
        if isinstance(rows, slice) or sp.issparse(array):
            return array[rows]
        out = self._buffers.get(name, len(rows), *array.shape[1:], dtype=array.dtype)
        return np.take(array, rows, axis=0, out=out)

    def _train_batch(self, theta, data, rows, epoch_key):
        X = self._rows("X", data.X, rows)
        Y = self._buffers.get(
            "Y", X.shape[0], data.targets.n_outputs, dtype=self.network.dtype
        )
        data.targets.take(rows, Y)
        weights = None
        if data.sample_weight is not None:
            weights = self._rows("weights", data.sample_weight, rows)
        masks = None
        if self.dropout is not None:
            keys = data.keys[rows]
            masks = self.dropout.masks(keys, epoch_key, self.network.dtype)
            if self.dropout.input_keep < 1.0:
                X = self.dropout.drop_inputs(X, keys, epoch_key)
        loss = self.network.loss_gradient(
            theta, X, Y, weights, self.penalty, self.grad, masks, include_l1=False
        )
        if not np.isfinite(loss):
            return loss
        self.optimizer.step(theta, self.grad)
        if self.penalty.has_l1:
            n_coefs = self.network.n_coefs
            weight_sum = X.shape[0] if weights is None else weights.sum()
            steps = self.optimizer.step_sizes(0, n_coefs) / weight_sum
            self.penalty.prox(theta[:n_coefs], steps)
        return loss


class StochasticSolver:
    """A stochastic fit: epochs over a :class:`BatchLoop`, with early stopping.

    Parameters
    ----------
    network : DenseNetwork
    penalty : Penalty
    optimizer : BaseOptimizer
        Updated in place; the estimator keeps it between calls.
    dropout : RowKeyedDropout or None
    scorer : callable or None
        ``scorer(output, validation, loss)``: the validation score (higher is
        better) of the network's ``output`` (probabilities or values) on a
        :class:`ValidationSet` whose loss (penalty excluded) is ``loss``.
    """

    def __init__(self, network, penalty, optimizer, dropout, scorer=None):
        self.network = network
        self.optimizer = optimizer
        self.dropout = dropout
        self.scorer = scorer
        self.batches = BatchLoop(network, penalty, optimizer, dropout)

    def run(
        self,
        theta,
        state,
        settings,
        train,
        validation,
        random_state,
        once=False,
        tasks=None,
    ):
        """Train ``theta`` in place for up to ``settings.max_iter`` epochs.

        ``once``: a single epoch (``partial_fit``), without the max_iter warning.
        ``tasks``: the :class:`~skdense._callbacks.FitTasks` of the callbacks,
        one subtask per epoch; a callback that asks to stop ends the fit.
        """
        tasks = NoTasks() if tasks is None else tasks
        self.batches.prepare(train)
        batch_size = _batch_size(settings.batch_size, len(train))
        order = np.arange(len(train)) if settings.shuffle else None
        # With a validation set, the best validation weights; otherwise the start
        # of the epoch with the lowest loss (used only if training diverges).
        fallback, lowest_loss = theta.copy(), np.inf
        epoch_start, optimizer_start = fallback, self.optimizer.snapshot()
        state.n_iter = 0
        try:
            for _ in range(settings.max_iter):
                started = time.perf_counter()
                epoch_start = theta.copy()
                optimizer_start = self.optimizer.snapshot()
                with tasks.subtask(theta) as task:
                    if order is not None:
                        random_state.shuffle(order)
                    # Masks are keyed by the count of epochs trained, not samples
                    # seen: a weighted sample and its copies see the same masks.
                    loss = self.batches.run(
                        theta, train, order, batch_size, len(state.loss_curve)
                    )
                    if loss is None:
                        theta[...] = fallback
                        state.diverged = True
                        warn_diverged(state.n_iter + 1)
                    else:
                        if validation is None and loss < lowest_loss:
                            fallback, lowest_loss = epoch_start, loss
                        if self._end_epoch(
                            theta, state, settings, validation, loss, len(train)
                        ):
                            fallback[...] = theta
                        _print_progress(state, settings, time.perf_counter() - started)
                        self.optimizer.iteration_ends(state.t)
                if state.diverged or task.stop:
                    break
                if self._should_stop(state, settings, validation) or once:
                    break
                if state.n_iter == settings.max_iter:
                    warnings.warn(
                        f"Stochastic Optimizer: Maximum iterations "
                        f"({settings.max_iter}) reached and the optimization "
                        "hasn't converged yet.",
                        ConvergenceWarning,
                    )
        except KeyboardInterrupt:
            theta[...] = epoch_start
            self.optimizer.restore(optimizer_start)
            warnings.warn("Training interrupted by user.")
        if validation is not None:
            theta[...] = fallback

    def _end_epoch(self, theta, state, settings, validation, loss, n_samples):
        """Record the epoch; True if its weights are a new best validation score."""
        state.n_iter += 1
        state.t += n_samples
        state.loss = loss
        state.loss_curve.append(loss)
        new_best = False
        if validation is not None:
            coefs, intercepts = self.network.unpack(theta)
            logits = self.network.logits(coefs, intercepts, validation.X)
            validation_loss, output = self.network.data_loss(
                logits, validation.Y, validation.sample_weight
            )
            state.validation_loss_curve.append(validation_loss)
            score = self.scorer(output, validation, validation_loss)
            state.validation_scores.append(score)
            improved = score >= state.best_validation_score + settings.tol
            new_best = score > state.best_validation_score
            state.best_validation_score = max(score, state.best_validation_score)
        else:
            improved = loss <= state.best_loss - settings.tol
            state.best_loss = min(state.best_loss, loss)
        state.no_improvement_count = 0 if improved else state.no_improvement_count + 1
        return new_best

    def _should_stop(self, state, settings, validation):
        if state.no_improvement_count <= settings.n_iter_no_change:
            return False
        watched = "Validation score" if validation is not None else "Training loss"
        message = (
            f"{watched} did not improve more than tol={settings.tol:f} for "
            f"{settings.n_iter_no_change} consecutive epochs."
        )
        if self.optimizer.trigger_stopping(message, settings.verbose):
            return True
        state.no_improvement_count = 0
        return False


def _batch_size(batch_size, n_samples):
    if batch_size == "auto":
        return min(200, n_samples)
    if batch_size > n_samples:
        warnings.warn(
            f"batch_size={batch_size} is larger than the {n_samples} training "
            "samples: it is clipped to the number of samples.",
            UserWarning,
        )
    return int(np.clip(batch_size, 1, n_samples))


def _print_progress(state, settings, seconds):
    if not settings.verbose:
        return
    line = f"Iteration {state.n_iter}, loss = {state.loss:.8f}"
    if state.validation_scores:
        line += f", validation score = {state.validation_scores[-1]:.6f}"
    print(f"{line}, time = {seconds:.3f}s")


@dataclass
class Engine:
    """A solver and the key of what it was built for."""

    key: tuple
    solver: StochasticSolver


def reuse_or_build_solver(
    engine, network, penalty, keep_probs, optimizer, scorer, input_keep=1.0
):
    """``engine`` if its solver fits this call, else an :class:`Engine` anew.

    ``partial_fit`` on block after block reuses one solver: its network,
    buffers and batch loop are built once. ``penalty`` is the estimator's
    ``(penalty, alpha, l1_ratio)``; ``optimizer`` is kept by the estimator.
    """
    key = (
        *network.layer_sizes,
        network.activation,
        network.output,
        network.dtype,
        *penalty,
        *keep_probs,
        input_keep,
        id(optimizer),
    )
    if engine is not None and engine.key == key:
        return engine
    dropout = None
    if has_dropout(keep_probs, input_keep):
        sizes = network.layer_sizes
        dropout = RowKeyedDropout(keep_probs, sizes[1:-1], 0, input_keep, sizes[0])
    solver = StochasticSolver(
        network, make_penalty(*penalty), optimizer, dropout, scorer
    )
    return Engine(key, solver)
