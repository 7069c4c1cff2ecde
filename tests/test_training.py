"""The stochastic solver on its own, and the engine the estimator keeps."""

import contextlib
import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning

from skdense import DenseNetClassifier, DenseNetRegressor
from skdense._dropout import RowKeyedDropout, row_keys
from skdense._fit_state import FitState
from skdense._network import DenseNetwork
from skdense._optimizers import AdamOptimizer, SGDOptimizer, make_optimizer
from skdense._penalties import make_penalty
from skdense._targets import Targets
from skdense._training import (
    BatchLoop,
    LoopSettings,
    StochasticSolver,
    TrainingSet,
    ValidationSet,
    held_out_split,
    reuse_or_build_solver,
    split_validation,
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _problem(n_samples=60, seed=0):
    X, y = make_classification(
        n_samples=n_samples,
        n_features=5,
        n_informative=3,
        n_classes=3,
        random_state=seed,
    )
    return X, Targets(y, 3)


def _solver(dropout=False, scorer=None, optimizer="adam"):
    network = DenseNetwork([5, 8, 3], "relu", "softmax", np.float64)
    if optimizer == "adam":
        opt = AdamOptimizer(network.n_params, np.float64, 0.01, 0.9, 0.999, 1e-8)
    else:
        opt = SGDOptimizer(
            network.n_params, np.float64, 0.1, "adaptive", 0.9, True, 0.5
        )
    masks = RowKeyedDropout([0.7], [8], seed=3) if dropout else None
    solver = StochasticSolver(network, make_penalty("l2", 1e-3, 0.5), masks, scorer)
    solver.batches.optimizer = opt  # the optimizer _state hands each run
    theta = network.initial_params(np.random.RandomState(0))
    return solver, theta


def _state(solver, early_stopping=False):
    """A fresh FitState whose optimizer is the one ``_solver`` made."""
    state = FitState.fresh(early_stopping)
    state.optimizer = solver.batches.optimizer
    return state


def _settings(**changes):
    values = dict(
        max_iter=5,
        batch_size=16,
        shuffle=True,
        tol=1e-4,
        n_iter_no_change=10,
        verbose=False,
    )
    return LoopSettings(**{**values, **changes})


def test_run_trains_and_records_the_loop_state():
    X, targets = _problem()
    solver, theta = _solver()
    start = theta.copy()
    state = _state(solver, False)
    solver.run(
        theta,
        state,
        _settings(),
        TrainingSet(X, targets),
        None,
        np.random.RandomState(0),
    )
    assert state.n_iter == 5 and state.t == 5 * 60
    assert len(state.loss_curve) == 5 and state.loss == state.loss_curve[-1]
    assert state.loss_curve[-1] < state.loss_curve[0]
    assert state.best_loss == min(state.loss_curve)
    assert not np.array_equal(theta, start)
    assert solver.batches.optimizer.t == 5 * 4  # 4 batches of 16 rows per epoch


def test_state_continues_across_runs_and_once_runs_one_epoch():
    X, targets = _problem()
    solver, theta = _solver()
    state = _state(solver, False)
    data = TrainingSet(X, targets)
    for _ in range(3):
        solver.run(
            theta, state, _settings(), data, None, np.random.RandomState(0), once=True
        )
        assert state.n_iter == 1
    assert len(state.loss_curve) == 3 and state.t == 180


def test_batch_loop_returns_the_sample_weighted_mean_of_batch_losses():
    X, targets = _problem(n_samples=20)
    network = DenseNetwork([5, 4, 3], "tanh", "softmax", np.float64)
    theta = network.initial_params(np.random.RandomState(0))
    start = theta.copy()
    penalty = make_penalty(None, 0.0, 0.5)
    plain = SGDOptimizer(network.n_params, np.float64, 0.0, "constant", 0.0, False, 0.5)
    loop = BatchLoop(network, penalty, plain, None)
    loss = loop.run(theta, TrainingSet(X, targets), None, 8, 0)  # batches 8, 8, 4
    grad = np.empty_like(theta)
    expected = (
        sum(
            network.loss_gradient(
                start, X[rows], targets.dense(np.float64)[rows], None, penalty, grad
            )
            * len(range(20)[rows])
            for rows in (slice(0, 8), slice(8, 16), slice(16, 20))
        )
        / 20
    )
    assert loss == pytest.approx(expected, rel=1e-12)


def test_batch_loop_reports_divergence_as_none():
    X, targets = _problem(n_samples=20)
    solver, theta = _solver()
    theta[:] = np.inf
    assert solver.batches.run(theta, TrainingSet(X, targets), None, 8, 0) is None


def test_divergence_restores_the_lowest_loss_epoch_and_flags_the_state():
    X, targets = _problem()
    solver, theta = _solver()
    state = _state(solver, False)
    data = TrainingSet(X, targets)
    solver.run(
        theta, state, _settings(max_iter=2), data, None, np.random.RandomState(0)
    )
    after_two = theta.copy()
    real_run = solver.batches.run

    def diverging(theta, *args):
        theta[:] = np.nan
        return None

    solver.batches.run = diverging
    with pytest.warns(ConvergenceWarning, match="diverged at epoch 1"):
        solver.run(theta, state, _settings(), data, None, np.random.RandomState(0))
    assert state.diverged and state.n_iter == 0
    np.testing.assert_array_equal(theta, after_two)
    solver.batches.run = real_run


def test_early_stopping_keeps_the_best_scored_weights():
    X, targets = _problem(n_samples=120)
    scores = iter([0.5, 0.9, 0.9, 0.6, 0.4, 0.3])  # a tie is no new best
    kept = {}

    def scorer(output, validation, loss):
        score = next(scores)
        if score == 0.9:
            kept.setdefault("theta", solver_theta.copy())
        return score

    solver, solver_theta = _solver(scorer=scorer)
    state = _state(solver, True)
    validation = ValidationSet(
        X[:10], targets.values[:10], targets.subset(slice(0, 10)).dense(float)
    )
    settings = _settings(max_iter=6, n_iter_no_change=2)
    solver.run(
        solver_theta,
        state,
        settings,
        TrainingSet(X, targets),
        validation,
        np.random.RandomState(0),
    )
    assert state.validation_scores == [0.5, 0.9, 0.9, 0.6, 0.4]  # 3 without gain
    assert state.best_validation_score == 0.9
    np.testing.assert_array_equal(solver_theta, kept["theta"])


def test_split_validation_stratifies_and_refuses_a_tiny_split():
    X, targets = _problem(n_samples=60)
    weights = np.arange(60.0)
    train, valid = split_validation(
        TrainingSet(X, targets, weights), 0.2, targets.values, np.random.RandomState(0)
    )
    assert len(train) == 48 and len(valid) == 12
    assert np.bincount(valid.targets.values).tolist() == [4, 4, 4]
    np.testing.assert_array_equal(X[valid.sample_weight.astype(int)], valid.X)
    message = r"^The validation set is too small: increase validation_fraction \(got"
    with pytest.raises(ValueError, match=message):
        split_validation(
            TrainingSet(X[:10], targets.subset(slice(0, 10))), 0.1, None, 0
        )


def _interrupt_at(monkeypatch, batch_number):
    """Make the ``batch_number``-th batch of the run raise KeyboardInterrupt."""
    real = BatchLoop._train_batch
    calls = {"n": 0}

    def train_batch(self, *args):
        calls["n"] += 1
        if calls["n"] == batch_number:
            raise KeyboardInterrupt
        return real(self, *args)

    monkeypatch.setattr(BatchLoop, "_train_batch", train_batch)


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_interrupt_keeps_the_last_whole_epoch(monkeypatch, solver):
    X, y = make_classification(n_samples=100, n_features=5, random_state=0)
    params = dict(hidden_layer_sizes=(8,), solver=solver, batch_size=20, random_state=0)
    reference = DenseNetClassifier(**params, max_iter=2).fit(X, y)
    _interrupt_at(monkeypatch, batch_number=2 * 5 + 3)  # mid third epoch
    with pytest.warns(UserWarning, match="Training interrupted by user"):
        model = DenseNetClassifier(**params, max_iter=10).fit(X, y)
    assert model.n_iter_ == 2 and len(model.loss_curve_) == 2
    assert model.loss_ == model.loss_curve_[-1] == reference.loss_
    for ours, theirs in zip(model.coefs_, reference.coefs_):
        np.testing.assert_array_equal(ours, theirs)
    for name, value in vars(reference._optimizer).items():
        if not name.startswith("_"):
            np.testing.assert_array_equal(getattr(model._optimizer, name), value)
    monkeypatch.undo()
    # Fully usable: it predicts and trains on.
    assert model.predict(X).shape == (100,)
    model.partial_fit(X, y)
    assert len(model.loss_curve_) == 3


def test_interrupt_with_early_stopping_keeps_the_best_validation_weights(monkeypatch):
    X, y = make_classification(n_samples=200, n_features=5, random_state=1)
    params = dict(
        hidden_layer_sizes=(8,), early_stopping=True, batch_size=60, random_state=0
    )
    reference = DenseNetClassifier(**params, max_iter=4).fit(X, y)
    _interrupt_at(monkeypatch, batch_number=4 * 3 + 2)  # 180 training rows: 3 batches
    with pytest.warns(UserWarning, match="interrupted"):
        model = DenseNetClassifier(**params, max_iter=50).fit(X, y)
    assert model.n_iter_ == 4 == len(model.validation_scores_)
    assert model.validation_scores_ == reference.validation_scores_
    for ours, theirs in zip(model.coefs_, reference.coefs_):
        np.testing.assert_array_equal(ours, theirs)


def test_partial_fit_reuses_one_engine_and_never_pickles_it():
    X, y = make_classification(n_samples=400, n_features=6, random_state=0)
    model = DenseNetRegressor(hidden_layer_sizes=(8,), keep_prob=0.8, random_state=0)
    model.partial_fit(X[:200], y[:200])
    solver = model._engine.solver
    buffers = dict(solver.batches._buffers._arrays)
    model.partial_fit(X[200:], y[200:])
    assert model._engine.solver is solver
    assert solver.batches.optimizer is model._optimizer
    for name, array in solver.batches._buffers._arrays.items():
        assert array is buffers[name], name  # no reallocation
    assert "_engine" not in model.__getstate__()
    restored = pickle.loads(pickle.dumps(model))
    assert "_engine" not in vars(restored)
    restored.partial_fit(X[:200], y[:200])
    model.partial_fit(X[:200], y[:200])
    np.testing.assert_array_equal(restored.coefs_[0], model.coefs_[0])


def test_a_changed_parameter_builds_a_new_engine_and_a_reused_one_fits_alike():
    X, y = make_classification(n_samples=100, n_features=6, random_state=0)
    model = DenseNetClassifier(hidden_layer_sizes=(8,), keep_prob=0.7, random_state=0)
    model.partial_fit(X, y, classes=[0, 1])
    first = model._engine.solver
    model.set_params(alpha=0.5).partial_fit(X, y)
    assert model._engine.solver is not first
    second = model._engine.solver
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.set_params(max_iter=2).fit(X, y)
        fresh = clone(model).fit(X, y)
    assert model._engine.solver is second  # same layers, penalty and dropout
    for ours, theirs in zip(model.coefs_, fresh.coefs_):
        np.testing.assert_array_equal(ours, theirs)
    assert model.loss_curve_ == fresh.loss_curve_


def _scripted(solver, losses):
    """Make each epoch of ``solver`` report the next of ``losses``."""
    values = iter(losses)
    solver.batches.run = lambda theta, *args: next(values)


def test_training_loss_tolerance_and_stop_message(capsys):
    solver, theta = _solver()
    # best 1.0; 0.9 is exactly tol=0.1 better (an improvement); 0.85 is not.
    _scripted(solver, [1.0, 0.9, 0.85, 0.84, 0.83, 0.82])
    state = _state(solver, False)
    X, targets = _problem()
    settings = _settings(max_iter=6, tol=0.1, n_iter_no_change=2, verbose=True)
    solver.run(
        theta, state, settings, TrainingSet(X, targets), None, np.random.RandomState(0)
    )
    assert state.n_iter == 5 and state.no_improvement_count == 3
    assert state.best_loss == 0.83 and state.loss == 0.83
    out = capsys.readouterr().out
    assert "Iteration 5, loss = 0.83000000, time = " in out
    seconds = [float(line.split("time = ")[1][:-1]) for line in out.splitlines()[:5]]
    assert all(0 <= s < 60 for s in seconds)
    assert (
        "Training loss did not improve more than tol=0.100000 for 2 consecutive "
        "epochs. Stopping." in out
    )


def test_validation_tolerance_new_best_and_progress_line(capsys):
    scores = iter([0.5, 0.6, 0.6, 0.65])
    solver, theta = _solver(scorer=lambda output, validation, loss: next(scores))
    _scripted(solver, [1.0, 0.9, 0.8, 0.7])
    state = _state(solver, True)
    X, targets = _problem()
    settings = _settings(max_iter=4, tol=0.1, n_iter_no_change=5, verbose=True)
    validation = ValidationSet(
        X[:5], targets.values[:5], targets.subset(slice(0, 5)).dense(float)
    )
    solver.run(
        theta,
        state,
        settings,
        TrainingSet(X, targets),
        validation,
        np.random.RandomState(0),
    )
    # 0.6 is exactly tol better than 0.5: improved; 0.6 again is no new best;
    # 0.65 is a new best but not tol better.
    assert state.no_improvement_count == 2
    assert state.best_validation_score == 0.65 and state.best_loss is None
    assert "Iteration 2, loss = 0.90000000, validation score = 0.600000" in (
        capsys.readouterr().out
    )


def test_validation_stop_message_names_the_validation_score(capsys):
    solver, theta = _solver(scorer=lambda output, validation, loss: 0.5)
    _scripted(solver, [1.0] * 5)
    state = _state(solver, True)
    X, targets = _problem()
    solver.run(
        theta,
        state,
        _settings(n_iter_no_change=1, verbose=True),
        TrainingSet(X, targets),
        ValidationSet(
            X[:5], targets.values[:5], targets.subset(slice(0, 5)).dense(float)
        ),
        np.random.RandomState(0),
    )
    assert state.n_iter == 3
    assert "Validation score did not improve more than tol=0.000100 for 1" in (
        capsys.readouterr().out
    )


def test_max_iter_warning_and_adaptive_rate_keep_going():
    solver, theta = _solver(optimizer="sgd")  # adaptive: divides instead of stopping
    _scripted(solver, [1.0] * 6)
    state = _state(solver, False)
    X, targets = _problem()
    message = r"Maximum iterations \(6\) reached and the optimization hasn't converged"
    with pytest.warns(ConvergenceWarning, match=message) as caught:
        solver.run(
            theta,
            state,
            _settings(max_iter=6, n_iter_no_change=1),
            TrainingSet(X, targets),
            None,
            np.random.RandomState(0),
        )
    assert len(caught) == 1
    assert (
        state.n_iter == 6
        and solver.batches.optimizer.learning_rate == pytest.approx(0.1 / 25)
    )
    assert state.no_improvement_count == 1


def test_divergence_message_says_what_was_kept():
    solver, theta = _solver()
    _scripted(solver, [None])
    X, targets = _problem()
    message = (
        r"Training diverged at epoch 1: the loss or the weights became infinite or "
        r"NaN\. The weights with the best loss \(or validation score\) so far are "
        r"kept\. Lower learning_rate_init or scale the features\."
    )
    with pytest.warns(ConvergenceWarning, match=message):
        solver.run(
            theta,
            _state(solver),
            _settings(),
            TrainingSet(X, targets),
            None,
            np.random.RandomState(0),
        )


def _reference_epoch(network, theta, optimizer, penalty, dropout, data, order, size):
    """One epoch written out batch by batch, the specification of BatchLoop."""
    keys = row_keys(data.X)
    Y_all = data.targets.dense(network.dtype)
    grad = np.empty_like(theta)
    for start in range(0, len(data), size):
        rows = order[start : start + size]
        X = data.X[rows]
        weights = None if data.sample_weight is None else data.sample_weight[rows]
        masks = dropout.masks(keys[rows], 0, network.dtype)
        if dropout.input_keep < 1:
            X = dropout.drop_inputs(X, keys[rows], 0)
        network.loss_gradient(
            theta, X, Y_all[rows], weights, penalty, grad, masks, include_l1=False
        )
        optimizer.step(theta, grad)
        weight_sum = len(rows) if weights is None else weights.sum()
        steps = optimizer.step_sizes(0, network.n_coefs) / weight_sum
        penalty.prox(theta[: network.n_coefs], steps)


@pytest.mark.parametrize("input_keep", [1.0, 0.7])
@pytest.mark.parametrize("weighted", [True, False])
@pytest.mark.parametrize("sparse", [False, True])
def test_batches_apply_dropout_sample_weights_and_the_l1_prox(
    sparse, weighted, input_keep
):
    X, targets = _problem(n_samples=50)
    X = np.abs(X) * (X > 0)
    weights = np.random.default_rng(0).uniform(0.5, 2, size=50) if weighted else None
    runs = []
    for reference in (False, True):
        network = DenseNetwork([5, 8, 3], "relu", "softmax", np.float64)
        theta = network.initial_params(np.random.RandomState(0))
        optimizer = AdamOptimizer(network.n_params, np.float64, 0.05, 0.9, 0.999, 1e-8)
        penalty = make_penalty("l1", 0.5, 0.5)
        dropout = RowKeyedDropout([0.6], [8], 11, input_keep, n_features=5)
        data = TrainingSet(sp.csr_matrix(X) if sparse else X, targets, weights)
        order = np.random.default_rng(1).permutation(50)
        if reference:
            _reference_epoch(
                network, theta, optimizer, penalty, dropout, data, order, 16
            )
        else:
            loop = BatchLoop(network, penalty, optimizer, dropout)
            loop.prepare(data)
            loop.run(theta, data, order, 16, 0)
        runs.append(theta)
    np.testing.assert_allclose(runs[0], runs[1], rtol=1e-12, atol=1e-15)
    assert (runs[0][: 5 * 8 + 8 * 3] == 0).sum() > 5  # the prox made exact zeros


def test_input_dropout_changes_the_epoch():
    X, targets = _problem(n_samples=50)
    results = []
    for input_keep in (1.0, 0.7):
        network = DenseNetwork([5, 8, 3], "relu", "softmax", np.float64)
        theta = network.initial_params(np.random.RandomState(0))
        optimizer = AdamOptimizer(network.n_params, np.float64, 0.05, 0.9, 0.999, 1e-8)
        dropout = RowKeyedDropout([0.6], [8], 11, input_keep, n_features=5)
        loop = BatchLoop(network, make_penalty(None, 0, 0), optimizer, dropout)
        data = TrainingSet(X, targets)
        loop.prepare(data)
        loop.run(theta, data, None, 16, 0)
        results.append(theta)
    assert not np.allclose(results[0], results[1])


def test_no_shuffle_runs_batches_in_order_and_batch_size_is_clipped():
    X, targets = _problem(n_samples=30)
    solver, theta = _solver()
    seen = []
    real = solver.batches._train_batch

    def recording(theta, data, rows, epoch_key):
        seen.append(rows)
        return real(theta, data, rows, epoch_key)

    solver.batches._train_batch = recording
    with pytest.warns(
        UserWarning, match="batch_size=50 is larger than the 30 training samples"
    ):
        solver.run(
            theta,
            _state(solver),
            _settings(max_iter=1, batch_size=50, shuffle=False),
            TrainingSet(X, targets),
            None,
            np.random.RandomState(0),
        )
    assert seen == [slice(0, 30)]
    seen.clear()
    solver.run(
        theta,
        _state(solver),
        _settings(max_iter=1, batch_size="auto", shuffle=False),
        TrainingSet(np.vstack([X] * 8), targets.subset(np.tile(np.arange(30), 8))),
        None,
        np.random.RandomState(0),
    )
    assert seen == [slice(0, 200), slice(200, 400)]
    seen.clear()
    solver.run(
        theta,
        _state(solver),
        _settings(max_iter=1, batch_size=1, shuffle=True),
        TrainingSet(X[:3], targets.subset(slice(0, 3))),
        None,
        np.random.RandomState(0),
    )
    assert len(seen) == 3 and all(len(rows) == 1 for rows in seen)


def test_reuse_or_build_solver_draws_dropout_only_when_asked():
    network = DenseNetwork([3, 4, 2], "relu", "softmax", np.float64)
    plain = reuse_or_build_solver(None, network, ("l2", 0.1, 0.5), [1.0], None)
    assert plain.solver.dropout is None and plain.solver.batches.dropout is None
    dropped = reuse_or_build_solver(plain, network, ("l2", 0.1, 0.5), [0.5], None)
    assert dropped is not plain
    assert dropped.solver.batches.dropout is dropped.solver.dropout is not None
    assert dropped.solver.batches.penalty.l2_strength == 0.1
    linear = DenseNetwork([3, 2], "relu", "softmax", np.float64)
    assert (
        reuse_or_build_solver(None, linear, (None, 0, 0), [], None).solver.dropout
        is None
    )


def test_split_validation_of_sparse_data_and_the_smallest_split():
    X, targets = _problem(n_samples=20)
    train, valid = split_validation(
        TrainingSet(sp.csr_matrix(X), targets), 0.1, None, np.random.RandomState(0)
    )
    assert sp.issparse(train.X) and len(valid) == 2 and len(train) == 18
    together = np.vstack([train.X.toarray(), valid.X.toarray()])
    np.testing.assert_array_equal(np.unique(together, axis=0), np.unique(X, axis=0))


def test_invscaling_rate_follows_the_samples_seen():
    X, targets = _problem(n_samples=40)
    network = DenseNetwork([5, 8, 3], "relu", "softmax", np.float64)
    sgd = SGDOptimizer(network.n_params, np.float64, 0.1, "invscaling", 0.9, True, 0.5)
    solver = StochasticSolver(network, make_penalty(None, 0, 0), None)
    theta = network.initial_params(np.random.RandomState(0))
    solver.run(
        theta,
        FitState(optimizer=sgd),
        _settings(max_iter=3),
        TrainingSet(X, targets),
        None,
        np.random.RandomState(0),
    )
    assert sgd.learning_rate == pytest.approx(0.1 / (3 * 40 + 1) ** 0.5)


def test_a_batch_as_large_as_the_data_is_no_warning():
    X, targets = _problem(n_samples=30)
    solver, theta = _solver()
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)  # a subclass of it
        solver.run(
            theta,
            _state(solver),
            _settings(max_iter=1, batch_size=30),
            TrainingSet(X, targets),
            None,
            np.random.RandomState(0),
        )


def test_interrupt_message_is_mlps():
    X, targets = _problem(n_samples=30)
    solver, theta = _solver()

    def interrupted(*args):
        raise KeyboardInterrupt

    solver.batches.run = interrupted
    with pytest.warns(UserWarning, match=r"^Training interrupted by user\.$"):
        solver.run(
            theta,
            _state(solver),
            _settings(),
            TrainingSet(X, targets),
            None,
            np.random.RandomState(0),
        )


def test_solver_for_input_dropout_knows_the_features():
    network = DenseNetwork([3, 4, 2], "relu", "softmax", np.float64)
    engine = reuse_or_build_solver(
        None, network, ("l2", 0.1, 0.5), [1.0], None, input_keep=0.8
    )
    dropout = engine.solver.dropout
    assert dropout.input_keep == 0.8 and dropout.n_features == 3
    assert dropout.hidden_sizes == [4] and dropout._seed == 0


class _RecordingTasks:
    """A stand-in for FitTasks: records subtasks and the weights they end at."""

    def __init__(self, stop_after=None):
        self.ended, self.stop_after = [], stop_after

    @contextlib.contextmanager
    def subtask(self, theta, name="epoch"):
        task = type("Task", (), {"stop": False})()
        yield task
        self.ended.append(theta.copy())
        task.stop = len(self.ended) == self.stop_after


def test_the_solver_reports_each_epoch_to_the_tasks_and_obeys_a_stop():
    X, targets = _problem()
    solver, theta = _solver()
    tasks = _RecordingTasks(stop_after=3)
    state = _state(solver)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        solver.run(
            theta,
            state,
            _settings(max_iter=10),
            TrainingSet(X, targets),
            None,
            np.random.RandomState(0),
            tasks=tasks,
        )
    assert state.n_iter == 3 and len(tasks.ended) == 3
    np.testing.assert_array_equal(tasks.ended[-1], theta)
    assert not np.array_equal(tasks.ended[0], tasks.ended[1])


def test_validation_loss_is_weighted_by_the_validation_weights():
    X, targets = _problem(n_samples=80)
    solver, theta = _solver(scorer=lambda output, validation, loss: -loss)
    Y = targets.subset(slice(0, 20)).dense(float)
    weights = np.linspace(0.1, 3.0, 20)
    validation = ValidationSet(X[:20], targets.values[:20], Y, weights)
    state = _state(solver, True)
    solver.run(
        theta,
        state,
        _settings(max_iter=1),
        TrainingSet(X[20:], targets.subset(slice(20, 80))),
        validation,
        np.random.RandomState(0),
    )
    coefs, intercepts = solver.network.unpack(theta)
    proba = solver.network.predict(coefs, intercepts, X[:20])
    per_row = -np.log(proba[np.arange(20), targets.values[:20]])
    assert state.validation_loss_curve[0] == pytest.approx(
        np.average(per_row, weights=weights)
    )
    assert state.validation_scores[0] == -state.validation_loss_curve[0]


def test_a_split_that_leaves_no_training_weight_is_refused():
    X, targets = _problem(n_samples=20)
    weights = np.zeros(20)
    weights[[0, 1]] = 1.0
    message = (
        r"^Every sample left for training after the validation split has "
        r"sample_weight 0: nothing would be learnt\. Pass your own X_val and "
        r"y_val, or give more samples a weight\.$"
    )
    with pytest.raises(ValueError, match=message):
        for seed in range(50):  # a split that holds out both weighted rows
            split_validation(
                TrainingSet(X, targets, weights), 0.5, None, np.random.RandomState(seed)
            )


def test_held_out_split_keeps_the_validation_weights_and_dtype():
    X, targets = _problem(n_samples=40)
    weights = np.arange(1.0, 41.0)
    estimator = DenseNetClassifier()
    estimator.classes_ = np.array(["a", "b", "c"])
    train, validation = held_out_split(
        TrainingSet(X.astype(np.float32), targets, weights),
        0.25,
        None,
        np.random.RandomState(0),
        estimator,
    )
    rows = (validation.sample_weight - 1).astype(int)
    np.testing.assert_array_equal(validation.X, X[rows].astype(np.float32))
    np.testing.assert_array_equal(
        validation.y, estimator.classes_[targets.values[rows]]
    )
    assert validation.Y.dtype == np.float32 and validation.Y.shape == (10, 3)
    assert (
        len(train) == 30 and sorted(train.sample_weight.tolist() + rows.tolist()) != []
    )


def test_a_callback_that_stops_keeps_the_best_validation_weights():
    X, targets = _problem(n_samples=120)
    scores = iter([0.5, 0.9, 0.6, 0.4])
    kept = {}

    def scorer(output, validation, loss):
        score = next(scores)
        if score == 0.9:
            kept["theta"] = theta.copy()
        return score

    solver, theta = _solver(scorer=scorer)
    validation = ValidationSet(
        X[:10], targets.values[:10], targets.subset(slice(0, 10)).dense(float)
    )
    solver.run(
        theta,
        _state(solver, True),
        _settings(max_iter=10),
        TrainingSet(X[10:], targets.subset(slice(10, 120))),
        validation,
        np.random.RandomState(0),
        tasks=_RecordingTasks(stop_after=4),
    )
    np.testing.assert_array_equal(theta, kept["theta"])


@pytest.mark.parametrize("weighted", [False, True])
def test_adamw_decays_the_weights_by_the_penalty_and_never_the_intercepts(weighted):
    X, targets = _problem(n_samples=16)
    weights = np.linspace(0.5, 2.0, 16) if weighted else None
    network = DenseNetwork([5, 4, 3], "tanh", "softmax", np.float64)
    theta = network.initial_params(np.random.RandomState(0))
    start = theta.copy()
    optimizer = make_optimizer(
        dict(
            solver="adamw",
            learning_rate="constant",
            learning_rate_init=0.1,
            beta_1=0.9,
            beta_2=0.999,
            epsilon=1e-8,
        ),
        network.n_params,
        np.float64,
    )
    penalty = make_penalty("l2", 3.0, 0.5)
    loop = BatchLoop(network, penalty, optimizer, None)
    loop.run(theta, TrainingSet(X, targets, weights), None, 16, 0)
    # By hand: the data gradient alone, the decay at alpha / sum of weights.
    grad = np.empty_like(start)
    no_penalty = make_penalty(None, 0.0, 0.5)
    Y = targets.dense(np.float64)
    network.loss_gradient(start.copy(), X, Y, weights, no_penalty, grad)
    weight_sum = 16 if weights is None else weights.sum()
    expected = start.copy()
    n_coefs = network.n_coefs
    expected[:n_coefs] *= 1 - 0.1 * 3.0 / weight_sum
    m, v = 0.1 * grad, 0.001 * grad**2
    denominator = np.sqrt(v) / np.sqrt(0.001) + 1e-8
    expected -= 0.1 / 0.1 * m / denominator
    np.testing.assert_allclose(theta, expected, rtol=1e-12, atol=1e-14)
