"""The lbfgs solver: SciPy's L-BFGS-B over the network's objective."""

import numpy as np
import pytest
import scipy.optimize
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning

from skdense import DenseNetClassifier
from skdense._fit_state import FitState
from skdense._lbfgs import LbfgsSettings, fit_lbfgs
from skdense._network import DenseNetwork
from skdense._penalties import make_penalty
from skdense._targets import Targets

X, y = make_classification(n_samples=80, n_features=5, random_state=0)


def _settings(**changes):
    return LbfgsSettings(
        **{**dict(max_iter=500, max_fun=15000, tol=1e-8, verbose=False), **changes}
    )


def _state():
    return FitState.fresh(early_stopping=False, stochastic=False)


def _problem(dtype=np.float64):
    network = DenseNetwork([5, 6, 1], "tanh", "logistic", dtype)
    theta = network.initial_params(np.random.RandomState(0))
    Y = Targets(y, 1).dense(dtype)
    return network, theta, X.astype(dtype), Y


def test_minimises_the_objective_and_records_every_iteration():
    network, theta, X_, Y = _problem()
    penalty = make_penalty("l2", 1e-3, 0.5)
    grad = np.empty_like(theta)
    start_loss = network.loss_gradient(theta.copy(), X_, Y, None, penalty, grad)
    result = _state()
    fit_lbfgs(network, theta, X_, Y, None, penalty, _settings(), result)
    curve = result.loss_curve
    assert not result.diverged and result.best_loss is None
    assert len(curve) == result.n_iter > 5
    assert curve[-1] == pytest.approx(result.loss) and result.loss < start_loss / 2
    assert np.all(np.diff(curve) <= 1e-12)
    # theta holds the solution: its gradient vanishes.
    final = network.loss_gradient(theta, X_, Y, None, penalty, grad)
    assert final == pytest.approx(result.loss)
    assert np.abs(grad).max() < 1e-4


def test_max_iter_warns_and_bounds_the_iterations():
    network, theta, X_, Y = _problem()
    result = _state()
    with pytest.warns(ConvergenceWarning, match=r"max_iter \(now 3\)"):
        fit_lbfgs(
            network,
            theta,
            X_,
            Y,
            None,
            make_penalty(None, 0, 0),
            _settings(max_iter=3),
            result,
        )
    assert result.n_iter == 3 == len(result.loss_curve)


def test_float32_network_is_optimised_in_float32():
    network, theta, X_, Y = _problem(np.float32)
    fit_lbfgs(
        network,
        theta,
        X_,
        Y,
        None,
        make_penalty("l2", 1e-3, 0),
        _settings(max_iter=20),
        _state(),
    )
    assert theta.dtype == np.float32 and np.isfinite(theta).all()


def test_verbose_prints_each_iteration(capsys):
    network, theta, X_, Y = _problem()
    settings = _settings(max_iter=2, verbose=True)
    with pytest.warns(ConvergenceWarning):
        fit_lbfgs(
            network, theta, X_, Y, None, make_penalty(None, 0, 0), settings, _state()
        )
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("Iteration 1, loss = ") and lines[1].startswith(
        "Iteration 2"
    )


def test_ending_on_non_finite_weights_keeps_the_start(monkeypatch):
    def broken_minimize(fun, x0, **kwargs):
        return scipy.optimize.OptimizeResult(
            x=np.full_like(x0, np.nan), fun=np.nan, nit=3, status=0, message="ok"
        )

    monkeypatch.setattr("skdense._lbfgs.scipy.optimize.minimize", broken_minimize)
    network, theta, X_, Y = _problem()
    start = theta.copy()
    penalty = make_penalty(None, 0, 0)
    start_loss = network.loss_gradient(start.copy(), X_, Y, None, penalty, start * 0)
    result = _state()
    with pytest.warns(ConvergenceWarning, match="diverged at epoch 4"):
        fit_lbfgs(network, theta, X_, Y, None, penalty, _settings(), result)
    assert result.diverged
    np.testing.assert_array_equal(theta, start)
    assert result.loss == start_loss  # the loss of the weights kept: finite
    model = DenseNetClassifier((6,), solver="lbfgs", random_state=0)
    with pytest.warns(ConvergenceWarning, match="diverged"):
        model.fit(X, y)
    assert all(np.isfinite(c).all() for c in model.coefs_ + model.intercepts_)
    assert np.isfinite(model.loss_) and model.best_loss_ is None


def _interrupt_after(monkeypatch, n_evaluations):
    """Make the objective raise KeyboardInterrupt at its n-th evaluation."""
    real = DenseNetwork.loss_gradient
    calls = {"n": 0}

    def loss_gradient(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == n_evaluations:
            raise KeyboardInterrupt
        return real(self, *args, **kwargs)

    monkeypatch.setattr(DenseNetwork, "loss_gradient", loss_gradient)


def test_interrupt_keeps_the_last_whole_iteration(monkeypatch):
    network, theta, X_, Y = _problem()
    penalty = make_penalty("l2", 1e-3, 0)
    _interrupt_after(monkeypatch, 8)
    result = _state()
    with pytest.warns(UserWarning, match=r"^Training interrupted by user\.$"):
        fit_lbfgs(network, theta, X_, Y, None, penalty, _settings(), result)
    monkeypatch.undo()
    assert result.n_iter == len(result.loss_curve) >= 2
    reference, expected = _state(), _problem()[1]
    with pytest.warns(ConvergenceWarning):
        fit_lbfgs(
            network,
            expected,
            X_,
            Y,
            None,
            penalty,
            _settings(max_iter=result.n_iter),
            reference,
        )
    np.testing.assert_array_equal(theta, expected)
    assert result.loss_curve == reference.loss_curve
    assert result.loss == reference.loss


def test_interrupting_an_lbfgs_fit_keeps_a_usable_model(monkeypatch):
    params = dict(hidden_layer_sizes=(6,), solver="lbfgs", random_state=0)
    _interrupt_after(monkeypatch, 8)
    with pytest.warns(UserWarning, match="interrupted"):
        model = DenseNetClassifier(**params).fit(X, y)
    monkeypatch.undo()
    with pytest.warns(ConvergenceWarning):
        reference = DenseNetClassifier(**params, max_iter=model.n_iter_).fit(X, y)
    for ours, theirs in zip(model.coefs_, reference.coefs_):
        np.testing.assert_array_equal(ours, theirs)
    assert model.loss_ == reference.loss_ and np.isfinite(model.loss_)
    np.testing.assert_array_equal(model.predict(X), reference.predict(X))


def test_integer_sample_weights_equal_repeated_rows():
    network, theta, X_, Y = _problem()
    weights = np.random.default_rng(0).integers(1, 4, size=len(X_)).astype(float)
    repeated = theta.copy()
    penalty, settings = make_penalty("l2", 1e-3, 0), _settings(max_iter=10)
    rows = np.repeat(np.arange(len(X_)), weights.astype(int))
    with pytest.warns(ConvergenceWarning):
        fit_lbfgs(network, theta, X_, Y, weights, penalty, settings, _state())
        fit_lbfgs(
            network, repeated, X_[rows], Y[rows], None, penalty, settings, _state()
        )
    np.testing.assert_allclose(theta, repeated, rtol=1e-8, atol=1e-10)


def test_max_fun_and_tol_reach_scipy():
    network, theta, X_, Y = _problem()
    penalty = make_penalty("l2", 1e-3, 0)
    few = _state()
    with pytest.warns(ConvergenceWarning, match=r"max_fun \(now 4\)"):
        fit_lbfgs(
            network, theta.copy(), X_, Y, None, penalty, _settings(max_fun=4), few
        )
    assert 1 <= few.n_iter <= 4
    loose, tight = _state(), _state()
    fit_lbfgs(network, theta.copy(), X_, Y, None, penalty, _settings(tol=1e-2), loose)
    fit_lbfgs(network, theta.copy(), X_, Y, None, penalty, _settings(tol=1e-8), tight)
    assert loose.n_iter < tight.n_iter


def test_interrupt_before_the_first_iteration_keeps_the_start(monkeypatch):
    network, theta, X_, Y = _problem()
    penalty = make_penalty("l2", 1e-3, 0)
    start = theta.copy()
    start_loss = network.loss_gradient(start.copy(), X_, Y, None, penalty, start * 0)
    state = _state()
    state.loss_curve.extend([5.0, 4.0])  # a fit before this one
    _interrupt_after(monkeypatch, 2)
    with pytest.warns(UserWarning, match="interrupted"):
        fit_lbfgs(network, theta, X_, Y, None, penalty, _settings(), state)
    np.testing.assert_array_equal(theta, start)
    assert state.n_iter == 0 and state.loss == start_loss
    assert state.loss_curve == [5.0, 4.0]


def test_interrupt_counts_only_this_calls_iterations(monkeypatch):
    network, theta, X_, Y = _problem()
    state = _state()
    state.loss_curve.extend([5.0, 4.0])
    _interrupt_after(monkeypatch, 8)
    with pytest.warns(UserWarning, match="interrupted"):
        fit_lbfgs(
            network, theta, X_, Y, None, make_penalty(None, 0, 0), _settings(), state
        )
    assert state.n_iter == len(state.loss_curve) - 2 >= 2


def test_a_non_finite_loss_alone_is_a_divergence(monkeypatch):
    def nan_loss(fun, x0, **kwargs):
        return scipy.optimize.OptimizeResult(
            x=x0 + 1.0, fun=np.nan, nit=2, status=0, message="ok"
        )

    monkeypatch.setattr("skdense._lbfgs.scipy.optimize.minimize", nan_loss)
    network, theta, X_, Y = _problem()
    start, state = theta.copy(), _state()
    with pytest.warns(ConvergenceWarning, match="diverged at epoch 3"):
        fit_lbfgs(
            network, theta, X_, Y, None, make_penalty(None, 0, 0), _settings(), state
        )
    assert state.diverged
    np.testing.assert_array_equal(theta, start)
