"""The cosine schedule with warm-up and the cosine-log one, through both estimators."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression

from skdense import DenseNetClassifier, DenseNetRegressor
from skdense._optimizers import CosineSchedule, CosLogSchedule

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

ESTIMATORS = [DenseNetClassifier, DenseNetRegressor]


def _data(estimator):
    if estimator is DenseNetClassifier:
        return make_classification(n_samples=120, n_features=6, random_state=0)
    X, y = make_regression(n_samples=120, n_features=6, random_state=0)
    return X, y / y.std()


def _recorded_rates(monkeypatch):
    """The base rate of every step, as the optimizers take them (NumPy's
    step or the fused one)."""
    from skdense._optimizers import AdamOptimizer, BaseOptimizer

    rates = []

    def recording(real):
        def step(self, *args):
            rates.append(self.base_rate())
            return real(self, *args)

        return step

    monkeypatch.setattr(BaseOptimizer, "step", recording(BaseOptimizer.step))
    fused = recording(AdamOptimizer.fused_step)
    monkeypatch.setattr(AdamOptimizer, "fused_step", fused)
    return rates


@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize("solver", ["sgd", "adam", "adamw"])
def test_each_epoch_steps_at_the_schedules_rate(estimator, solver, monkeypatch):
    X, y = _data(estimator)
    rates = _recorded_rates(monkeypatch)
    model = estimator(
        hidden_layer_sizes=(8,),
        solver=solver,
        learning_rate="cosine",
        warmup_iter=2,
        max_iter=7,
        batch_size=40,
        learning_rate_init=0.05,
        tol=0,
        random_state=0,
    ).fit(X, y)
    schedule = CosineSchedule(0.05, 7, 2)
    assert model.n_iter_ == 7
    assert rates == [schedule.rate(epoch) for epoch in range(7) for _ in range(3)]


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_partial_fit_steps_the_schedule_per_call_and_fit_restarts_it(
    estimator, monkeypatch
):
    X, y = _data(estimator)
    model = estimator(
        hidden_layer_sizes=(8,), learning_rate="cosine", max_iter=3, random_state=0
    )
    rates = _recorded_rates(monkeypatch)
    for _ in range(5):
        model.partial_fit(
            X, y, **({"classes": [0, 1]} if estimator is DenseNetClassifier else {})
        )
    schedule = CosineSchedule(0.001, 3, 0)
    assert rates == [schedule.rate(epoch) for epoch in (0, 1, 2, 2, 2)]
    rates.clear()
    model.set_params(warm_start=True, max_iter=2).fit(X, y)  # a new cycle
    assert rates == [CosineSchedule(0.001, 2, 0).rate(e) for e in (0, 1)]


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_early_stopping_ends_the_cycle_where_it_stops(estimator):
    X, y = _data(estimator)
    model = estimator(
        hidden_layer_sizes=(8,),
        learning_rate="cosine",
        max_iter=200,
        early_stopping=True,
        n_iter_no_change=2,
        tol=1.0,
        random_state=0,
    ).fit(X, y)
    assert model.n_iter_ < 200
    assert model._optimizer.epoch == model.n_iter_
    assert model._optimizer.learning_rate > 0.0009  # far from the cycle's end


@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize(
    "params, match",
    [
        (dict(warmup_iter=3), r"warmup_iter=3 warms up the cosine schedule only"),
        (
            dict(learning_rate="cosine", warmup_iter=5, max_iter=5),
            "smaller than max_iter",
        ),
        (dict(learning_rate="cosinus"), "learning_rate must be one of"),
    ],
)
def test_a_warm_up_without_its_cycle_is_refused(estimator, params, match, unchanged_by):
    X, y = _data(estimator)
    unchanged_by(estimator(**params), lambda m: m.fit(X, y), match=match)


def test_the_schedule_defaults_leave_mlps_fit_unchanged():
    """learning_rate='invscaling' or 'adaptive' with adam: ignored, as in MLP."""
    X, y = _data(DenseNetClassifier)
    params = dict(hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    plain = DenseNetClassifier(**params).fit(X, y)
    for schedule in ("invscaling", "adaptive"):
        other = DenseNetClassifier(**params, learning_rate=schedule).fit(X, y)
        np.testing.assert_array_equal(other.coefs_[0], plain.coefs_[0])


def _realmlp_coslog(t, cycles=4):
    """pytabkit's ``CoslogFunc`` written out from the paper's formula."""
    return 0.5 * (1 - np.cos(2 * np.pi * np.log2(1 + (2**cycles - 1) * t)))


def test_coslog_is_realmlps_formula_at_each_epochs_middle():
    schedule = CosLogSchedule(0.04, 256)
    middles = (np.arange(256) + 0.5) / 256
    rates = [schedule.rate(epoch) for epoch in range(256)]
    # 1 - cos is a cancellation near each cycle's end: NumPy's cos and
    # math.cos may differ there by an ulp of 1, relative to the peak 1e-16
    expected = 0.04 * _realmlp_coslog(middles)
    np.testing.assert_allclose(rates, expected, rtol=1e-12, atol=1e-15)
    # four cycles: the rate returns near 0 where log2(1 + 15 t) is 1, 2 and 3
    for ends in (1 / 15, 3 / 15, 7 / 15):
        assert min(rates[int(ends * 256) - 1 : int(ends * 256) + 2]) < 0.04 * 0.03
    assert max(rates) > 0.04 * 0.999 and min(rates) > 0
    assert schedule.rate(300) == schedule.rate(255)  # partial_fit past max_iter


@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize("solver", ["sgd", "adam", "adamw"])
def test_each_epoch_steps_at_the_coslog_rate(estimator, solver, monkeypatch):
    X, y = _data(estimator)
    rates = _recorded_rates(monkeypatch)
    model = estimator(
        hidden_layer_sizes=(8,),
        solver=solver,
        learning_rate="coslog",
        max_iter=9,
        batch_size=40,
        learning_rate_init=0.05,
        tol=0,
        random_state=0,
    ).fit(X, y)
    schedule = CosLogSchedule(0.05, 9)
    assert model.n_iter_ == 9
    assert rates == [schedule.rate(epoch) for epoch in range(9) for _ in range(3)]
    rates.clear()
    model.partial_fit(X, y)  # past max_iter: the last rate
    assert rates == [schedule.rate(8)] * 3


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_coslog_takes_no_warm_up(estimator, unchanged_by):
    X, y = _data(estimator)
    model = estimator(learning_rate="coslog", warmup_iter=2)
    unchanged_by(model, lambda m: m.fit(X, y), match="warms up the cosine schedule")


@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize("learning_rate", ["cosine", "coslog", "constant"])
def test_only_a_fit_without_a_schedule_warns_when_it_runs_every_epoch(
    estimator, learning_rate
):
    X, y = _data(estimator)
    model = estimator(hidden_layer_sizes=(4,), max_iter=3, learning_rate=learning_rate)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X, y)
    warned = any("Maximum iterations" in str(w.message) for w in caught)
    assert warned == (learning_rate == "constant")
