"""The max-norm constraint, alone and in both estimators."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning

from skdense import DenseNetClassifier, DenseNetRegressor
from skdense._constraints import MaxNorm, make_constraint

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_max_norm_projects_only_the_units_that_are_too_long(dtype):
    rng = np.random.default_rng(0)
    coefs = [rng.normal(size=(5, 4)).astype(dtype), rng.normal(size=(4, 3))]
    coefs[0][:, 1] *= 0.01  # a short unit
    before = [coef.copy() for coef in coefs]
    MaxNorm(1.5).apply(coefs)
    norms = np.linalg.norm(before[0], axis=0)
    for unit, norm in enumerate(norms):
        expected = before[0][:, unit] * min(1.0, 1.5 / norm)
        np.testing.assert_allclose(coefs[0][:, unit], expected, rtol=1e-6)
    np.testing.assert_array_equal(coefs[0][:, 1], before[0][:, 1])
    assert coefs[0].dtype == dtype
    np.testing.assert_allclose(
        np.linalg.norm(coefs[1], axis=0),
        np.minimum(np.linalg.norm(before[1], axis=0), 1.5),
    )
    assert make_constraint(None) is None and make_constraint(2).max_norm == 2.0


def _data(estimator):
    if estimator is DenseNetClassifier:
        return make_classification(n_samples=200, n_features=8, random_state=0)
    X, y = make_regression(n_samples=200, n_features=8, random_state=0)
    return X, y / y.std()


def _hidden_norms(model):
    return [np.linalg.norm(coef, axis=0) for coef in model.coefs_[:-1]]


@pytest.mark.parametrize("estimator", [DenseNetClassifier, DenseNetRegressor])
@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_every_hidden_unit_ends_within_the_norm(estimator, solver):
    X, y = _data(estimator)
    params = dict(
        hidden_layer_sizes=(16, 8),
        solver=solver,
        learning_rate_init=0.1,
        keep_prob=0.8,
        max_iter=20,
        random_state=0,
    )
    free = estimator(**params).fit(X, y)
    assert max(norm.max() for norm in _hidden_norms(free)) > 1.0
    bounded = estimator(**params, max_norm=0.3).fit(X, y)
    for norms in _hidden_norms(bounded):
        assert norms.max() <= 0.3 + 1e-12
    assert np.linalg.norm(bounded.coefs_[-1], axis=0).max() > 0.3  # output free
    # Refitted, and trained on with partial_fit: still within the norm.
    bounded.set_params(max_norm=0.2).fit(X, y)
    bounded.partial_fit(X, y)
    assert max(norm.max() for norm in _hidden_norms(bounded)) <= 0.2 + 1e-12


@pytest.mark.parametrize("estimator", [DenseNetClassifier, DenseNetRegressor])
def test_a_norm_never_reached_changes_nothing(estimator):
    X, y = _data(estimator)
    params = dict(hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    plain = estimator(**params).fit(X, y)
    loose = estimator(**params, max_norm=1e6).fit(X, y)
    for a, b in zip(plain.coefs_ + plain.intercepts_, loose.coefs_ + loose.intercepts_):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("estimator", [DenseNetClassifier, DenseNetRegressor])
def test_max_norm_applies_after_the_l1_step_too(estimator):
    X, y = _data(estimator)
    model = estimator(
        hidden_layer_sizes=(16,),
        penalty="l1",
        alpha=1.0,
        learning_rate_init=0.1,
        max_iter=10,
        max_norm=0.8,
        random_state=0,
    ).fit(X, y)
    assert _hidden_norms(model)[0].max() <= 0.8 + 1e-12
    assert (model.coefs_[0] == 0).any()


@pytest.mark.parametrize("estimator", [DenseNetClassifier, DenseNetRegressor])
@pytest.mark.parametrize(
    "value, error, match",
    [
        (0.0, ValueError, r"max_norm must be one of None or a float in \(0, inf\)"),
        (-1.0, ValueError, "max_norm"),
        (np.inf, ValueError, "max_norm"),
        ("3", ValueError, "max_norm"),
    ],
)
def test_bad_max_norm_is_refused(estimator, value, error, match, unchanged_by):
    X, y = _data(estimator)
    unchanged_by(estimator(max_norm=value), lambda m: m.fit(X, y), match=match)


@pytest.mark.parametrize("estimator", [DenseNetClassifier, DenseNetRegressor])
def test_lbfgs_refuses_max_norm(estimator, unchanged_by):
    X, y = _data(estimator)
    model = estimator(solver="lbfgs", max_norm=3.0)
    unchanged_by(model, lambda m: m.fit(X, y), match="solver='lbfgs' cannot apply")


def test_changing_max_norm_builds_a_new_engine():
    X, y = _data(DenseNetClassifier)
    model = DenseNetClassifier((8,), max_norm=2.0, random_state=0)
    model.partial_fit(X, y, classes=[0, 1])
    first = model._engine.solver
    assert first.batches.constraint.max_norm == 2.0
    model.partial_fit(X, y)
    assert model._engine.solver is first
    model.set_params(max_norm=None).partial_fit(X, y)
    assert model._engine.solver.batches.constraint is None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        assert (
            DenseNetClassifier((8,)).fit(X, y)._engine.solver.batches.constraint is None
        )


@pytest.mark.parametrize("estimator", [DenseNetClassifier, DenseNetRegressor])
def test_adamw_trains_on_with_partial_fit_and_makes_l1_zeros(estimator):
    X, y = _data(estimator)
    params = dict(hidden_layer_sizes=(8,), solver="adamw", random_state=0)
    model = estimator(**params, max_iter=3).fit(X, y)
    assert type(model._optimizer).__name__ == "AdamWOptimizer"
    t = model._optimizer.t
    model.partial_fit(X, y)
    assert model._optimizer.t > t and len(model.loss_curve_) == 4
    sparse = estimator(**params, penalty="l1", alpha=1.0, learning_rate_init=0.05)
    assert (sparse.set_params(max_iter=20).fit(X, y).coefs_[0] == 0).mean() > 0.1
    assert not (model.coefs_[0] == 0).any()


@pytest.mark.parametrize("estimator", [DenseNetClassifier, DenseNetRegressor])
def test_adamw_decay_shrinks_the_weights_that_alpha_names(estimator):
    X, y = _data(estimator)
    params = dict(hidden_layer_sizes=(8,), solver="adamw", max_iter=30, random_state=0)
    weak = estimator(**params, alpha=1e-4).fit(X, y)
    strong = estimator(**params, alpha=5000.0).fit(X, y)  # 1 - 0.025 a step
    assert np.abs(strong.coefs_[0]).sum() < 0.5 * np.abs(weak.coefs_[0]).sum()
    np.testing.assert_allclose(  # the intercepts are not decayed as the weights are
        np.abs(strong.intercepts_[0]).sum(), np.abs(weak.intercepts_[0]).sum(), rtol=1
    )
