"""The stochastic solver: epochs of batches, recorded in the fit's state.

The estimator validates the data, builds a :class:`StochasticSolver` (network,
penalty, dropout and the work buffers of the batch loop) and hands it the
:class:`~skdense._fit_state.FitState` to train on, the optimizer included, and
the few :class:`LoopSettings` that steer the epochs. The state is the
estimator's own (its fitted attributes are read from it): nothing is copied
back. The solver itself is reused by consecutive ``partial_fit`` calls, so a
stream of small blocks pays for its buffers once; it is never pickled.

Which weights a run ends with:

- with a validation set, those of the best validation score (MLP's rule);
- if the loss or the weights become non-finite, the best weights so far (the
  start of the epoch with the lowest loss, or the best validation weights);
- if the user interrupts it (``KeyboardInterrupt``), the weights at the end of
  the last whole epoch, with the optimizer's state of that moment, so that
  ``n_iter_``, ``loss_curve_``, ``validation_scores_`` and the weights agree
  (or, with a validation set, the best validation weights).

A minibatch whose sample weights are all 0 carries no information: it takes
no step, and its rows do not count in the epoch's mean loss.
"""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import time
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from ._buffers import Buffers
from ._callbacks import NoTasks
from ._constraints import make_constraint
from ._dropout import RowKeyedDropout, has_dropout, row_keys
from ._kernels import fused_kernels, in_dtype
from ._optimizers import AdamOptimizer
from ._parametrization import input_scale_step
from ._params import SettingsOfParameters
from ._penalties import make_penalty
from ._targets import smooth_labels


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


@dataclass(frozen=True)
class LoopSettings(SettingsOfParameters):
    """The estimator parameters that steer the epoch loop."""

    max_iter: int
    batch_size: object
    shuffle: bool
    tol: float
    n_iter_no_change: int
    verbose: bool


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
    kept = _subset(train, train_rows)
    if kept.sample_weight is not None and not kept.sample_weight.any():
        raise ValueError(
            "Every sample left for training after the validation split has "
            "sample_weight 0: nothing would be learnt. Pass your own X_val and "
            "y_val, or give more samples a weight."
        )
    return kept, _subset(train, valid_rows)


def held_out_split(data, fraction, stratify, random_state, estimator):
    """The training rows and a :class:`ValidationSet` of ``fraction`` of ``data``,
    its labels as ``estimator._validation_y`` gives them to the scorer."""
    train, held = split_validation(data, fraction, stratify, random_state)
    return train, ValidationSet(
        held.X,
        estimator._validation_y(held.targets),
        held.targets.dense(data.X.dtype),
        held.sample_weight,
    )


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
    optimizer : BaseOptimizer or None
        Takes the steps; the solver sets the optimizer of each run.
    dropout : RowKeyedDropout or None
    constraint : MaxNorm or None
        Projects the hidden layers' weights after every step.
    label_smoothing : float, default=0.0
        Smooths the classification targets of every batch (never those of a
        validation set).
    """

    def __init__(
        self, network, penalty, optimizer, dropout, constraint=None, label_smoothing=0.0
    ):
        self.network = network
        self.penalty = penalty
        self.optimizer = optimizer
        self.dropout = dropout
        self.constraint = constraint
        self.label_smoothing = label_smoothing
        self.grad = np.empty(network.n_params, dtype=network.dtype)
        self._buffers = Buffers()
        #: The fused kernels of ``skdense._kernels``, or None for NumPy's.
        self.kernels = None

    def prepare(self, data):
        """Compute what the batches of ``data`` need once (its row keys)."""
        if self.dropout is not None and data.keys is None:
            data.keys = row_keys(data.X, self.kernels)

    def run(self, theta, data, order, batch_size, epoch_key):
        """Train on every batch; return the mean batch loss (None if it diverged).

        Overflow is not reported by NumPy here: a diverging run is detected
        (non-finite loss or weights) and reported once, clearly, by the solver.
        """
        n_samples = len(data)
        total, counted = 0.0, n_samples
        with np.errstate(over="ignore", invalid="ignore"):
            for start in range(0, n_samples, batch_size):
                rows = slice(start, start + batch_size)
                if order is not None:
                    rows = order[rows]
                batch_loss = self._train_batch(theta, data, rows, epoch_key)
                n_rows = min(start + batch_size, n_samples) - start
                if batch_loss is None:  # all weights 0: no step, no loss
                    counted -= n_rows
                    continue
                if not np.isfinite(batch_loss):
                    return None
                total += batch_loss * n_rows
            if not np.isfinite(theta).all():
                return None
        return total / counted

    def _rows(self, name, array, rows):
        """``array[rows]``, gathered into a reused buffer when ``array`` is dense."""
        if isinstance(rows, slice) or sp.issparse(array):
            return array[rows]
        out = self._buffers.get(name, len(rows), *array.shape[1:], dtype=array.dtype)
        return np.take(array, rows, axis=0, out=out)

    def _train_batch(self, theta, data, rows, epoch_key):
        weights = None
        if data.sample_weight is not None:
            weights = self._rows("weights", data.sample_weight, rows)
            if not weights.any():
                return None
        X = self._rows("X", data.X, rows)
        Y = self._buffers.get(
            "Y", X.shape[0], data.targets.n_outputs, dtype=self.network.dtype
        )
        data.targets.take(rows, Y)
        if self.label_smoothing:
            smooth_labels(Y, self.label_smoothing, self.network.output)
        masks = None
        kernels = self.kernels
        if self.dropout is not None:
            keys = data.keys[rows]
            masks = self.dropout.masks(keys, epoch_key, self.network.dtype, kernels)
            if self.dropout.input_keep < 1.0:
                X = self.dropout.drop_inputs(X, keys, epoch_key)
        decoupled = self.optimizer.decouples_weight_decay
        weight_sum = X.shape[0] if weights is None else weights.sum()
        decay = self.penalty.l2_strength / weight_sum if decoupled else 0.0
        fused_step = self._fused_step(weight_sum, decay)
        loss = self.network.loss_gradient(
            theta,
            X,
            Y,
            weights,
            self.penalty,
            self.grad,
            masks,
            include_l1=False,
            include_l2=not decoupled,
            kernels=kernels,
            finish=fused_step is None,
        )
        if not np.isfinite(loss):
            return loss
        n_coefs = self.network.n_coefs
        scale = self.optimizer.input_scale
        if fused_step is not None:
            self.optimizer.fused_step(kernels.adam_step, theta, self.grad, *fused_step)
        elif scale is None:
            if decay:
                self.optimizer.decay(theta[:n_coefs], decay)
            self.optimizer.step(theta, self.grad)
        else:
            network, work = self.network, self._buffers
            input_scale_step(self.optimizer, theta, self.grad, network, work, decay)
        if self.penalty.has_l1:
            steps = self.optimizer.step_sizes(0, n_coefs) / weight_sum
            if scale is not None:  # V's step sizes, in W = diag(s) V
                steps = steps * _first_layer_factor(scale, self.network)
            self.penalty.prox(theta[:n_coefs], steps)
        if self.constraint is not None:
            self.constraint.apply(self.network.unpack(theta)[0][:-1])
        return loss

    def _fused_step(self, weight_sum, decay):
        """The ``(finish, decay)`` arguments of the fused Adam step of this
        batch (see ``skdense._fused.adam_step``), or None when NumPy takes
        the step: without fused kernels, for SGD, in another
        parametrisation, or with a scalar NumPy would take in a wider dtype."""
        optimizer, dtype = self.optimizer, self.network.dtype
        if (
            self.kernels is None
            or not isinstance(optimizer, AdamOptimizer)
            or optimizer.step_scales is not None
            or optimizer.input_scale is not None
        ):
            return None
        l2 = 0.0 if optimizer.decouples_weight_decay else self.penalty.l2_strength
        factor = optimizer.decay_factor(decay) if decay else 1.0
        scalars = in_dtype(
            dtype,
            optimizer.beta_1,
            optimizer.beta_2,
            optimizer.epsilon,
            optimizer.base_rate(),
            l2,
            weight_sum,
            factor,
        )
        if scalars is None:
            return None
        n_coefs = self.network.n_coefs
        l2, divisor, factor = scalars[-3:]
        return (n_coefs, l2, divisor), (n_coefs if decay else 0, factor)


def _first_layer_factor(scale, network):
    """``scale**2`` on the first layer's weights, 1 on the other weights."""
    factor = np.ones(network.n_coefs, dtype=network.dtype)
    first = network.layer_sizes[0] * network.layer_sizes[1]
    factor[:first] = np.repeat(scale**2, network.layer_sizes[1])
    return factor


class StochasticSolver:
    """A stochastic fit: epochs over a :class:`BatchLoop`, with early stopping.

    Parameters
    ----------
    network : DenseNetwork
    penalty : Penalty
    dropout : RowKeyedDropout or None
    scorer : callable or None
        ``scorer(output, validation, loss)``: the validation score (higher is
        better) of the network's ``output`` (probabilities or values) on a
        :class:`ValidationSet` whose loss (penalty excluded) is ``loss``.
    constraint : MaxNorm or None
        Projects the hidden layers' weights after every step.
    label_smoothing : float, default=0.0
        Smooths the classification targets of the training batches.
    """

    def __init__(
        self,
        network,
        penalty,
        dropout,
        scorer=None,
        constraint=None,
        label_smoothing=0.0,
    ):
        self.network = network
        self.dropout = dropout
        self.scorer = scorer
        self.batches = BatchLoop(
            network, penalty, None, dropout, constraint, label_smoothing
        )

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

        ``state``: the :class:`~skdense._fit_state.FitState` to record the
        epochs in; its optimizer takes the steps.
        ``once``: a single epoch (``partial_fit``), without the max_iter warning.
        ``tasks``: the :class:`~skdense._callbacks.FitTasks` of the callbacks,
        one subtask per epoch; a callback that asks to stop ends the fit.
        """
        tasks = NoTasks() if tasks is None else tasks
        optimizer = self.batches.optimizer = state.optimizer
        epochs = 1 if once else settings.max_iter
        self.batches.kernels = fused_kernels(
            len(train) * self.network.n_params * epochs
        )
        self.batches.prepare(train)
        batch_size = _batch_size(settings.batch_size, len(train))
        order = np.arange(len(train)) if settings.shuffle else None
        # With a validation set, the best validation weights; otherwise the start
        # of the epoch with the lowest loss (used only if training diverges).
        fallback, lowest_loss = theta.copy(), np.inf
        unfinished = None  # (weights, optimizer) at the start of an epoch under way
        state.n_iter = 0
        try:
            for _ in range(settings.max_iter):
                started = time.perf_counter()
                unfinished = theta.copy(), optimizer.snapshot()
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
                        unfinished = None
                        state.diverged = True
                        warn_diverged(state.n_iter + 1)
                        break
                    score, validation_loss = self._validate(theta, validation)
                    if validation is None and loss < lowest_loss:
                        fallback, lowest_loss = unfinished[0], loss
                    new_best = state.record_epoch(
                        loss, len(train), settings.tol, score, validation_loss
                    )
                    optimizer.iteration_ends(state.t)
                    unfinished = None
                    if new_best:
                        fallback[...] = theta
                    _print_progress(state, settings, time.perf_counter() - started)
                if task.stop:
                    break
                if self._should_stop(state, settings, validation) or once:
                    break
                # A schedule over max_iter epochs is meant to run them all.
                if state.n_iter == settings.max_iter and optimizer.schedule is None:
                    warnings.warn(
                        f"Stochastic Optimizer: Maximum iterations "
                        f"({settings.max_iter}) reached and the optimization "
                        "hasn't converged yet.",
                        ConvergenceWarning,
                    )
        except KeyboardInterrupt:
            if unfinished is not None:
                theta[...] = unfinished[0]
                optimizer.restore(unfinished[1])
            warnings.warn("Training interrupted by user.")
        if validation is not None:
            theta[...] = fallback

    def _validate(self, theta, validation):
        """The score and loss (penalty excluded) of ``theta`` on ``validation``,
        or ``(None, None)`` without a validation set."""
        if validation is None:
            return None, None
        coefs, intercepts = self.network.unpack(theta)
        logits = self.network.logits(coefs, intercepts, validation.X)
        validation_loss, output = self.network.data_loss(
            logits, validation.Y, validation.sample_weight
        )
        return self.scorer(output, validation, validation_loss), validation_loss

    def _should_stop(self, state, settings, validation):
        if state.no_improvement_count <= settings.n_iter_no_change:
            return False
        watched = "Validation score" if validation is not None else "Training loss"
        message = (
            f"{watched} did not improve more than tol={settings.tol:f} for "
            f"{settings.n_iter_no_change} consecutive epochs."
        )
        if self.batches.optimizer.trigger_stopping(message, settings.verbose):
            return True
        state.no_improvement_count = 0
        return False


def batch_rows(batch_size, n_samples):
    """Rows of a batch: ``batch_size`` ('auto': 200, as MLP), at most all."""
    return min(200 if batch_size == "auto" else int(batch_size), n_samples)


def _batch_size(batch_size, n_samples):
    if batch_size != "auto" and batch_size > n_samples:
        warnings.warn(
            f"batch_size={batch_size} is larger than the {n_samples} training "
            "samples: it is clipped to the number of samples.",
            UserWarning,
        )
    return batch_rows(batch_size, n_samples)


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
    engine,
    network,
    penalty,
    keep_probs,
    scorer,
    input_keep=1.0,
    max_norm=None,
    label_smoothing=0.0,
):
    """``engine`` if its solver fits this call, else an :class:`Engine` anew.

    ``partial_fit`` on block after block reuses one solver: its network,
    buffers and batch loop are built once. ``penalty`` is the estimator's
    ``(penalty, alpha, l1_ratio)``.
    """
    key = (
        *network.layer_sizes,
        *network.hidden_activations,
        network.output,
        network.output_param,
        network.dtype,
        *penalty,
        *keep_probs,
        input_keep,
        max_norm,
        label_smoothing,
    )
    if engine is not None and engine.key == key:
        engine.solver.scorer = scorer
        return engine
    dropout = None
    if has_dropout(keep_probs, input_keep):
        sizes = network.layer_sizes
        dropout = RowKeyedDropout(keep_probs, sizes[1:-1], 0, input_keep, sizes[0])
    solver = StochasticSolver(
        network,
        make_penalty(*penalty),
        dropout,
        scorer,
        make_constraint(max_norm),
        label_smoothing,
    )
    return Engine(key, solver)
