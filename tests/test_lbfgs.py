"""The lbfgs solver: SciPy's L-BFGS-B over the network's objective."""

from types import SimpleNamespace

import numpy as np
import pytest
import scipy.optimize
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning

from skdense import DenseNetClassifier
from skdense._lbfgs import fit_lbfgs
from skdense._network import DenseNetwork
from skdense._penalties import make_penalty
from skdense._targets import Targets

X, y = make_classification(n_samples=80, n_features=5, random_state=0)


def _settings(**changes):
    return SimpleNamespace(
        **{**dict(max_iter=500, max_fun=15000, tol=1e-8, verbose=False), **changes}
    )


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
    curve = []
    result = fit_lbfgs(network, theta, X_, Y, None, penalty, _settings(), curve)
    assert not result.diverged
    assert len(curve) == result.n_iter > 5
    assert curve[-1] == pytest.approx(result.loss) and result.loss < start_loss / 2
    assert np.all(np.diff(curve) <= 1e-12)
    # theta holds the solution: its gradient vanishes.
    final = network.loss_gradient(theta, X_, Y, None, penalty, grad)
    assert final == pytest.approx(result.loss)
    assert np.abs(grad).max() < 1e-4


def test_max_iter_warns_and_bounds_the_iterations():
    network, theta, X_, Y = _problem()
    curve = []
    with pytest.warns(ConvergenceWarning, match=r"max_iter \(now 3\)"):
        result = fit_lbfgs(
            network,
            theta,
            X_,
            Y,
            None,
            make_penalty(None, 0, 0),
            _settings(max_iter=3),
            curve,
        )
    assert result.n_iter == 3 == len(curve)


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
        [],
    )
    assert theta.dtype == np.float32 and np.isfinite(theta).all()


def test_verbose_prints_each_iteration(capsys):
    network, theta, X_, Y = _problem()
    settings = _settings(max_iter=2, verbose=True)
    with pytest.warns(ConvergenceWarning):
        fit_lbfgs(network, theta, X_, Y, None, make_penalty(None, 0, 0), settings, [])
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
    with pytest.warns(ConvergenceWarning, match="diverged at epoch 4"):
        result = fit_lbfgs(
            network, theta, X_, Y, None, make_penalty(None, 0, 0), _settings(), []
        )
    assert result.diverged
    np.testing.assert_array_equal(theta, start)
    model = DenseNetClassifier((6,), solver="lbfgs", random_state=0)
    with pytest.warns(ConvergenceWarning, match="diverged"):
        model.fit(X, y)
    assert all(np.isfinite(c).all() for c in model.coefs_ + model.intercepts_)
