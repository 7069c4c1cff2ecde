"""The corners users reached, each a test named after what the user does.

Every case of the correctness issue's tables (and what the randomized
bad-input run found beyond them) runs on both estimators where it applies,
on a fresh estimator and on a fitted one.
"""

import copy
import itertools
import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning

from skdense import DenseNetClassifier, DenseNetRegressor
from skdense._callbacks import CALLBACKS_AVAILABLE
from skdense._network import DenseNetwork
from skdense._training import BatchLoop

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

ESTIMATORS = [DenseNetClassifier, DenseNetRegressor]


def _data(estimator, n_samples=80, n_targets=1, seed=0):
    if estimator is DenseNetClassifier:
        return make_classification(
            n_samples=n_samples, n_features=5, n_informative=3, random_state=seed
        )
    X, y = make_regression(
        n_samples=n_samples, n_features=5, n_targets=n_targets, random_state=seed
    )
    return X, y / y.std()


def _small(estimator, **params):
    defaults = dict(hidden_layer_sizes=(6,), max_iter=6, random_state=0)
    return estimator(**{**defaults, **params})


def _same_weights(a, b):
    for ours, theirs in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        np.testing.assert_array_equal(ours, theirs)


def _diverged_warnings(caught):
    return [w for w in caught if "diverged" in str(w.message)]


# ------------------------------------------------------------------ 1 and 2


@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_a_minibatch_whose_weights_are_all_zero_takes_no_step(estimator, solver):
    X, y = _data(estimator)
    weights = np.ones(len(X))
    weights[:10] = 0
    params = dict(solver=solver, batch_size=10, shuffle=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = _small(estimator, **params).fit(X, y, sample_weight=weights)
    assert not _diverged_warnings(caught)
    assert model.n_iter_ == 6 and np.isfinite(model.loss_)
    # The batch contributes nothing: the fit is the fit without its rows.
    without = _small(estimator, **params).fit(
        X[10:], y[10:], sample_weight=weights[10:]
    )
    _same_weights(model, without)
    assert model.loss_curve_ == without.loss_curve_


def test_a_class_weight_of_zero_trains_with_small_batches():
    X, y = _data(DenseNetClassifier)
    order = np.argsort(y, kind="stable")  # the first batches hold class 0 only
    model = _small(
        DenseNetClassifier, class_weight={0: 0, 1: 1}, batch_size=4, shuffle=False
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X[order], y[order])
    assert not _diverged_warnings(caught)
    assert model.n_iter_ == 6 and np.isfinite(model.loss_curve_).all()


# ------------------------------------------------------------------ 3 and 4


def _scripted_scorer(scores):
    """A scorer callable that returns ``scores`` one epoch after another."""
    values = iter(scores)
    return lambda estimator, X, y, sample_weight=None: next(values)


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_a_scorer_that_returns_nan_never_counts_as_an_improvement(estimator):
    X, y = _data(estimator)
    scores = [0.5, np.nan, 0.7, np.nan, 0.6, 0.65]
    params = dict(early_stopping=True, n_iter_no_change=20)
    model = _small(estimator, scoring=_scripted_scorer(scores), **params).fit(X, y)
    assert model.best_validation_score_ == 0.7
    assert model._no_improvement_count == 3
    at_best = _small(estimator, scoring=_scripted_scorer(scores[:3]), **params)
    at_best.set_params(max_iter=3).fit(X, y)
    _same_weights(model, at_best)


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_an_unknown_scorer_name_is_refused_before_any_training(
    estimator, unchanged_by, monkeypatch
):
    X, y = _data(estimator)
    epochs = []
    real_run = BatchLoop.run
    monkeypatch.setattr(
        BatchLoop, "run", lambda *args: epochs.append(1) or real_run(*args)
    )
    fresh = _small(estimator, early_stopping=True, scoring="no_such_scorer")
    unchanged_by(fresh, lambda m: m.fit(X, y), match="no_such_scorer")
    assert not epochs
    assert not hasattr(fresh, "coefs_") and not hasattr(fresh, "n_iter_")
    fitted = _small(estimator).fit(X, y)
    fitted.set_params(early_stopping=True, scoring="no_such_scorer")
    unchanged_by(fitted, lambda m: m.fit(X, y), match="no_such_scorer")
    assert len(epochs) == fitted.n_iter_  # the first fit's epochs alone


# ------------------------------------------------------------------ 5 and 18


class _Raises:
    """A callback that raises ``error`` at the end of epoch ``at`` (from 0)."""

    def __init__(self, at, error=RuntimeError):
        self.at, self.error = at, error

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context, *, fitted_estimator=None):
        pass

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        if context.task_name == "epoch" and context.task_id == self.at:
            raise self.error("callback failed")


def _scorer_raising_at(epoch):
    calls = itertools.count(1)

    def scorer(estimator, X, y, sample_weight=None):
        if next(calls) == epoch:
            raise RuntimeError("scorer failed")
        return 0.0

    return scorer


def _raise_in_loss_gradient(monkeypatch, n_calls, error=MemoryError):
    """Make the ``n_calls``-th objective evaluation raise ``error``."""
    real, calls = DenseNetwork.loss_gradient, itertools.count(1)

    def loss_gradient(self, *args, **kwargs):
        if next(calls) == n_calls:
            raise error
        return real(self, *args, **kwargs)

    monkeypatch.setattr(DenseNetwork, "loss_gradient", loss_gradient)


FAILURES = {
    "a scorer that raises": (
        lambda m, mp: m.set_params(early_stopping=True, scoring=_scorer_raising_at(3)),
        RuntimeError,
    ),
    "a MemoryError in the batches": (
        lambda m, mp: _raise_in_loss_gradient(mp, 4),
        MemoryError,
    ),
    "a MemoryError in lbfgs": (
        lambda m, mp: (m.set_params(solver="lbfgs"), _raise_in_loss_gradient(mp, 4)),
        MemoryError,
    ),
}


if CALLBACKS_AVAILABLE:  # scikit-learn >= 1.9; the minimum-versions run has none
    FAILURES["a callback that raises"] = (
        lambda m, mp: m.set_callbacks(_Raises(at=2)),
        RuntimeError,
    )


@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize("failure", FAILURES)
def test_any_exception_during_training_leaves_the_estimator_as_it_was(
    estimator, failure, monkeypatch
):
    X, y = _data(estimator)
    arrange, error = FAILURES[failure]
    fresh = _small(estimator)
    arrange(fresh, monkeypatch)
    before = dict(vars(fresh))
    with pytest.raises(error):
        fresh.fit(X, y)
    assert vars(fresh) == before  # unfitted it stays
    monkeypatch.undo()

    fitted = _small(estimator, warm_start=True).fit(X, y)
    reference = copy.deepcopy(fitted)
    arrange(fitted, monkeypatch)
    state = copy.deepcopy(fitted.__getstate__())
    with pytest.raises(error):
        fitted.fit(X, y)
    monkeypatch.undo()
    after = fitted.__getstate__()
    assert state.keys() == after.keys()
    _same_weights(fitted, reference)
    assert fitted.loss_curve_ == reference.loss_curve_
    assert fitted.n_iter_ == reference.n_iter_ and fitted.t_ == reference.t_


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_a_partial_fit_that_fails_mid_epoch_keeps_the_optimizer_as_it_was(
    estimator, monkeypatch
):
    X, y = _data(estimator)
    model = _small(estimator, batch_size=20).fit(X, y)
    reference = copy.deepcopy(model)
    _raise_in_loss_gradient(monkeypatch, 3)
    with pytest.raises(MemoryError):
        model.partial_fit(X, y)
    monkeypatch.undo()
    for name in ("ms", "vs", "t", "learning_rate"):
        np.testing.assert_array_equal(
            getattr(model._optimizer, name), getattr(reference._optimizer, name)
        )
    model.partial_fit(X, y)
    reference.partial_fit(X, y)
    _same_weights(model, reference)


def _one_sample_class(X, y):
    y = np.zeros_like(y)
    y[0] = 1
    return X, y


FAILED_FITS = {
    "a validation set too small for early stopping": (
        dict(early_stopping=True, validation_fraction=0.01),
        lambda X, y: (X[:20], y[:20]),
        "validation set is too small|test_size = 1",
    ),
    "a stratified split that fails": (
        dict(early_stopping=True),
        _one_sample_class,
        "least populated class",
    ),
    "a layer too large for memory": (
        dict(hidden_layer_sizes=(2**40,)),
        lambda X, y: (X, y),
        None,
    ),
}


@pytest.mark.parametrize(
    "estimator, case",
    [
        (estimator, case)
        for estimator in ESTIMATORS
        for case in FAILED_FITS
        if estimator is DenseNetClassifier or "stratified" not in case
    ],
)
def test_a_failed_fit_leaves_coefs_classes_and_features_unchanged(
    estimator, case, unchanged_by
):
    params, data, match = FAILED_FITS[case]
    X, y = _data(estimator)
    fitted = _small(estimator).fit(X[:, :4], y)  # other features than the refit's
    fitted.set_params(**params)
    errors = (ValueError, MemoryError)
    unchanged_by(fitted, lambda m: m.fit(*data(X, y)), errors=errors, match=match)
    fresh = _small(estimator).set_params(**params)
    unchanged_by(fresh, lambda m: m.fit(*data(X, y)), errors=errors, match=match)
    assert not hasattr(fresh, "n_features_in_")


# ------------------------------------------------------------------ 6 and 11


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_partial_fit_after_an_early_stopped_fit_continues(estimator):
    X, y = _data(estimator)
    model = _small(estimator, early_stopping=True).fit(X, y)
    n_epochs = len(model.loss_curve_)
    model.set_params(early_stopping=False).partial_fit(X, y)
    # MLP's counts: n_iter_ counts this call's epochs; the curve goes on.
    assert model.n_iter_ == 1 and len(model.loss_curve_) == n_epochs + 1
    assert model.best_loss_ == model.loss_curve_[-1]
    assert len(model.validation_scores_) == n_epochs
    model.partial_fit(X, y)
    assert len(model.loss_curve_) == n_epochs + 2


def _interrupting_scorer(at_epoch):
    calls = itertools.count(1)

    def scorer(estimator, X, y, sample_weight=None):
        if next(calls) == at_epoch:
            raise KeyboardInterrupt
        return estimator.score(X, y)

    return scorer


INTERRUPTIONS = ["while scoring", "in the batches"]
if CALLBACKS_AVAILABLE:
    INTERRUPTIONS.append("in a callback, after the epoch")


@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize("where", INTERRUPTIONS)
def test_ctrl_c_during_an_early_stopped_fit_keeps_whole_epochs(
    estimator, where, monkeypatch
):
    X, y = _data(estimator, n_samples=200)
    model = _small(estimator, early_stopping=True, max_iter=50, batch_size=30)
    if where == "while scoring":
        model.set_params(scoring=_interrupting_scorer(4))
    elif where == "in a callback, after the epoch":
        model.set_callbacks(_Raises(at=3, error=KeyboardInterrupt))
    else:
        real, calls = BatchLoop._train_batch, itertools.count(1)

        def train_batch(self, *args):
            if next(calls) == 3 * 6 + 2:  # 180 training rows: 6 batches
                raise KeyboardInterrupt
            return real(self, *args)

        monkeypatch.setattr(BatchLoop, "_train_batch", train_batch)
    with pytest.warns(UserWarning, match="interrupted"):
        model.fit(X, y)
    monkeypatch.undo()
    n_epochs = 4 if where.startswith("in a callback") else 3
    assert model.n_iter_ == n_epochs == len(model.loss_curve_)
    assert (
        len(model.validation_scores_) == len(model.validation_loss_curve_) == n_epochs
    )
    model.set_params(early_stopping=False, scoring=None).partial_fit(X, y)
    assert len(model.loss_curve_) == n_epochs + 1


# ------------------------------------------------------------------ 7 and 8


def _uncertainty(model, X):
    if isinstance(model, DenseNetClassifier):
        return model.predict_proba(X, return_std=True), model.sample_y(X)
    return model.predict(X, return_std=True), model.sample_y(X)


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_monte_carlo_uses_the_dropout_the_model_was_trained_with(estimator):
    X, y = _data(estimator)
    model = _small(estimator).fit(X, y)
    model.set_params(keep_prob=0.5, input_keep_prob=0.5)
    with pytest.raises(ValueError, match="trained without"):
        _uncertainty(model, X)


@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize("change", [dict(keep_prob=0.9), dict(activation="tanh")])
def test_set_params_after_fit_never_changes_what_the_model_predicts(estimator, change):
    X, y = _data(estimator)
    model = _small(estimator, keep_prob=0.5, mc_samples=20).fit(X, y)
    before = model.predict(X), _uncertainty(model, X)
    model.set_params(**change)
    after = model.predict(X), _uncertainty(model, X)
    np.testing.assert_equal(after, before)


# ------------------------------------------------------------------ 9 and 10


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_ctrl_c_during_an_lbfgs_fit_keeps_the_last_iteration(estimator, monkeypatch):
    X, y = _data(estimator)
    _raise_in_loss_gradient(monkeypatch, 9, KeyboardInterrupt)
    with pytest.warns(UserWarning, match="Training interrupted by user"):
        model = _small(estimator, solver="lbfgs", max_iter=100).fit(X, y)
    monkeypatch.undo()
    assert model.n_iter_ == len(model.loss_curve_) >= 2
    reference = _small(estimator, solver="lbfgs", max_iter=model.n_iter_).fit(X, y)
    _same_weights(model, reference)
    assert model.loss_ == reference.loss_


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_lbfgs_has_no_best_loss_and_its_divergence_a_finite_loss(
    estimator, monkeypatch
):
    X, y = _data(estimator)
    model = _small(estimator, solver="lbfgs").fit(X, y)
    assert model.best_loss_ is None and model.validation_scores_ is None
    start = _small(estimator, solver="lbfgs", max_iter=1)

    def diverging(fun, x0, **kwargs):
        import scipy.optimize

        return scipy.optimize.OptimizeResult(
            x=np.full_like(x0, np.inf), fun=np.inf, nit=2, status=0, message="ok"
        )

    monkeypatch.setattr("skdense._lbfgs.scipy.optimize.minimize", diverging)
    with pytest.warns(ConvergenceWarning, match="diverged"):
        start.fit(X, y)
    assert np.isfinite(start.loss_) and start.best_loss_ is None


# ------------------------------------------------------------------ 12 and 13


def test_a_fresh_regressor_trains_with_its_own_validation_set():
    X, y = _data(DenseNetRegressor, n_targets=2)
    model = _small(DenseNetRegressor, early_stopping=True)
    model.fit(X[:60], y[:60], X_val=X[60:], y_val=y[60:])
    assert len(model.validation_scores_) == model.n_iter_
    refit = _small(DenseNetRegressor, early_stopping=True).fit(X, y[:, 0])
    refit.fit(X[:60], y[:60], X_val=X[60:], y_val=y[60:])
    assert refit.n_outputs_ == 2
    _same_weights(refit, model)


@pytest.mark.parametrize("kind", ["binary", "multiclass"])
def test_partial_fit_with_an_indicator_matrix_on_a_label_model_is_refused(
    kind, unchanged_by
):
    n_classes = 2 if kind == "binary" else 3
    X, y = make_classification(
        n_samples=60, n_features=5, n_informative=3, n_classes=n_classes, random_state=0
    )
    model = _small(DenseNetClassifier).partial_fit(X, y, classes=np.unique(y))
    indicator = np.eye(n_classes, dtype=int)[y]
    unchanged_by(model, lambda m: m.partial_fit(X, indicator), match="multilabel")


def test_partial_fit_with_labels_on_a_multilabel_model_is_refused(unchanged_by):
    X, y = make_classification(n_samples=60, n_features=5, random_state=0)
    Y = np.column_stack([y, 1 - y, y])
    model = _small(DenseNetClassifier).partial_fit(X, Y, classes=[0, 1, 2])
    unchanged_by(model, lambda m: m.partial_fit(X, y), match="multilabel")


# ------------------------------------------------------------------ 14 to 17


PREDICTION_PARAMETERS = [
    (dict(mc_samples=0), "mc_samples"),
    (dict(mc_samples=2.5), "mc_samples"),
    (dict(n_threads="2"), "n_threads"),
    (dict(n_threads=0), "n_threads"),
    (dict(random_state=-5), "random_state"),
]


@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize("change, name", PREDICTION_PARAMETERS)
def test_prediction_validates_the_parameters_it_reads(estimator, change, name):
    X, y = _data(estimator)
    model = _small(estimator, keep_prob=0.8).fit(X, y)
    model.set_params(**change)
    with pytest.raises((ValueError, TypeError), match=f"^{name} must be"):
        _uncertainty(model, X)
    if name == "n_threads":
        with pytest.raises((ValueError, TypeError), match=f"^{name} must be"):
            model.predict(X)


@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize("keep_prob", [0, -0.5, 1e-320])
def test_a_keep_prob_made_invalid_after_fit_does_not_touch_prediction(
    estimator, keep_prob
):
    X, y = _data(estimator)
    model = _small(estimator, keep_prob=0.8, mc_samples=10).fit(X, y)
    before = _uncertainty(model, X)
    model.set_params(keep_prob=keep_prob)
    np.testing.assert_equal(_uncertainty(model, X), before)


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_monte_carlo_too_large_for_memory_is_refused_with_its_size(estimator):
    X, y = _data(estimator)
    model = _small(estimator, keep_prob=0.8).fit(X, y)
    with pytest.raises(ValueError, match=r"would need [\d,.]+ GiB"):
        model.sample_y(X, n_samples=10**9)
    model.set_params(mc_samples=10**10)
    with pytest.raises(ValueError, match=r"mc_samples\) would need [\d,.]+ GiB"):
        _uncertainty(model, X[:2])


@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize(
    "params, dtype",
    [
        (dict(keep_prob=1e-320), np.float64),
        (dict(keep_prob=1e-39), np.float32),
        (dict(input_keep_prob=1e-320), np.float64),
    ],
)
def test_a_keep_prob_whose_inverse_overflows_is_refused(
    estimator, params, dtype, unchanged_by
):
    X, y = _data(estimator)
    name = next(iter(params))
    model = _small(estimator, **params)
    unchanged_by(
        model, lambda m: m.fit(X.astype(dtype), y), match=f"^{name}=.* too small"
    )


def test_none_in_an_object_target_is_refused(unchanged_by):
    X, y = _data(DenseNetRegressor)
    y = y.astype(object)
    y[3] = None
    unchanged_by(
        _small(DenseNetRegressor), lambda m: m.fit(X, y), match="^y: targets must"
    )


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_sample_weights_below_the_smallest_normal_float_are_refused(
    estimator, unchanged_by
):
    X, y = _data(estimator)
    weights = np.full(len(X), 1e-320)
    unchanged_by(
        _small(estimator),
        lambda m: m.fit(X, y, sample_weight=weights),
        match="below the smallest normal",
    )


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_a_failed_fit_leaves_the_users_random_state_where_it_was(estimator):
    X, y = _data(estimator)
    random_state = np.random.RandomState(0)
    model = _small(estimator, random_state=random_state, early_stopping=True)
    model.set_params(scoring=_scorer_raising_at(2))
    with pytest.raises(RuntimeError):
        model.fit(X, y)
    assert random_state.randint(2**31) == np.random.RandomState(0).randint(2**31)


@pytest.mark.skipif(not CALLBACKS_AVAILABLE, reason="callbacks need scikit-learn 1.9")
@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_ctrl_c_in_a_callback_after_an_epoch_keeps_that_epoch(estimator):
    X, y = _data(estimator)
    model = _small(estimator, max_iter=20).set_callbacks(
        _Raises(at=2, error=KeyboardInterrupt)
    )
    with pytest.warns(UserWarning, match="interrupted"):
        model.fit(X, y)
    assert model.n_iter_ == 3 == len(model.loss_curve_)
    _same_weights(model, _small(estimator, max_iter=3).fit(X, y))


# ---------------------------------------------------------------- uncertainty

LOSSES = ["squared_error", "poisson", "gaussian_nll", "quantile"]


def _targets_for(loss, y):
    """Far from standardised, as users' targets are (>= 0 for Poisson)."""
    if loss == "poisson":
        return np.abs(y) / y.std() * 2
    return 5e4 + 1e3 * y / y.std()


def _validation_loss_in_its_units(model, X_val, y_val):
    """The validation loss recomputed from the public predictions: the
    Gaussian's in the standardised units it trains in, the others' in y's."""
    if model.loss == "gaussian_nll":
        mean, std = model.predict(X_val, return_std=True)
        scale = model.target_scale_[0]
        std = std / (scale * model.std_scale_[0])  # uncalibrated, standardised
        z = (y_val - mean) / scale / std
        return np.mean(0.5 * (np.log(2 * np.pi) + 2 * np.log(std) + z**2))
    residual = y_val - model.predict(X_val)
    return np.mean(np.maximum(0.7 * residual, -0.3 * residual))  # quantile 0.7


@pytest.mark.parametrize("refit", [False, True])
@pytest.mark.parametrize("loss", LOSSES)
def test_your_own_validation_set_is_scored_in_ys_units_with_every_loss(loss, refit):
    # Reported: gaussian_nll with X_val/y_val compared predictions in y's units
    # with standardised targets (best_validation_score_ -1.1e6, test R² 0.71).
    X, y = make_regression(n_samples=500, n_features=5, noise=5, random_state=0)
    y = _targets_for(loss, y)
    X_train, X_val, X_test = X[:300], X[300:400], X[400:]
    y_train, y_val, y_test = y[:300], y[300:400], y[400:]
    params = dict(
        loss=loss,
        quantile=0.7,
        hidden_layer_sizes=(32,),
        learning_rate_init=0.01,
        early_stopping=True,
        max_iter=150,
        random_state=0,
    )
    model = DenseNetRegressor(**params)
    if refit:  # a fitted model, of another loss and other targets, refitted
        other = "squared_error" if loss != "squared_error" else "gaussian_nll"
        model.set_params(loss=other).fit(X_train, y_train / 1e4)
        model.set_params(loss=loss)
    model.fit(X_train, y_train, X_val=X_val, y_val=y_val)
    if loss in ("gaussian_nll", "quantile"):  # scored by its loss by default
        expected = -_validation_loss_in_its_units(model, X_val, y_val)
    else:  # MLP's rule: R²
        expected = model.score(X_val, y_val)
    assert model.best_validation_score_ == pytest.approx(expected, rel=1e-9)
    model.set_params(scoring="r2").fit(X_train, y_train, X_val=X_val, y_val=y_val)
    r2 = model.score(X_val, y_val)
    assert model.best_validation_score_ == pytest.approx(r2, rel=1e-9)
    if loss == "gaussian_nll":  # trains in standardised units, as y's scale
        assert model.score(X_test, y_test) > 0.95


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("value", [3.7, 0.0, -1e20])
def test_a_constant_target_gets_a_scale_of_one(dtype, value):
    # Reported: 200 x 3.7 gave target_scale_ 4.4e-16, not the documented 1.
    X, _ = make_regression(n_samples=200, n_features=3, random_state=0)
    y = np.full(200, value)
    model = _small(
        DenseNetRegressor, loss="gaussian_nll", learning_rate_init=0.01, max_iter=100
    ).fit(X.astype(dtype), y)
    np.testing.assert_array_equal(model.target_scale_, [1.0])
    np.testing.assert_array_equal(model.target_mean_, [dtype(value)])
    mean, std = model.predict(X.astype(dtype), return_std=True)
    assert mean.dtype == std.dtype == dtype
    np.testing.assert_allclose(mean, value, rtol=1e-6, atol=0.5)
    assert np.isfinite(std).all()


def test_a_partial_fit_stream_whose_first_block_is_constant_trains_on():
    # Reported: loss 6.4e31 and R² -24 at the end of such a stream.
    X, y = make_regression(n_samples=400, n_features=4, noise=5, random_state=0)
    y = 3.7 + y / y.std()
    model = DenseNetRegressor(
        loss="gaussian_nll", hidden_layer_sizes=(32,), learning_rate_init=0.01
    )
    model.partial_fit(X[:50], np.full(50, 3.7))
    for _ in range(40):
        for block in range(50, 400, 50):
            model.partial_fit(X[block : block + 50], y[block : block + 50])
    assert model.loss_ < 3 and model.score(X, y) > 0.9


@pytest.mark.parametrize("magnitude", [1e20, 1e-30])
def test_float32_targets_of_extreme_magnitude_train_as_in_float64(magnitude):
    # Reported: y near 1e20 gave target_scale_=inf and infinite predictions;
    # near 1e-30, scale 1 and predictions near -0.24.
    X, y = make_regression(n_samples=300, n_features=4, noise=5, random_state=0)
    y = magnitude * (1 + y / y.std())
    params = dict(loss="gaussian_nll", learning_rate_init=0.01, max_iter=60)
    single = _small(DenseNetRegressor, **params).fit(X.astype(np.float32), y)
    double = _small(DenseNetRegressor, **params).fit(X, y)
    np.testing.assert_allclose(single.target_scale_, double.target_scale_, rtol=1e-6)
    mean, std = single.predict(X.astype(np.float32), return_std=True)
    assert mean.dtype == std.dtype == np.float32
    assert np.isfinite(mean).all() and np.isfinite(std).all()
    expected = double.predict(X)
    np.testing.assert_allclose(mean, expected, rtol=1e-3, atol=1e-3 * magnitude)
    assert single.score(X, y) == pytest.approx(double.score(X, y), abs=1e-3)


def test_a_quantile_model_with_early_stopping_watches_its_loss():
    # Reported: stopping on R² pulled the 0.9 quantile to the median (it covered
    # 0.44-0.54 of the test targets on diabetes); on its loss, 0.77-0.89.
    from sklearn.datasets import load_diabetes
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    X, y = load_diabetes(return_X_y=True)
    coverage = []
    for seed in range(2):
        X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=seed)
        scaler = StandardScaler().fit(X_train)
        model = DenseNetRegressor(
            loss="quantile",
            quantile=0.9,
            hidden_layer_sizes=(64,),
            learning_rate_init=0.01,
            early_stopping=True,
            max_iter=500,
            random_state=seed,
        ).fit(scaler.transform(X_train), y_train)
        assert model.best_validation_score_ == -min(model.validation_loss_curve_)
        coverage.append(np.mean(y_test <= model.predict(scaler.transform(X_test))))
    assert 0.75 < np.mean(coverage) < 0.97, coverage


@pytest.mark.parametrize("refit", [False, True])
def test_float32_targets_whose_squares_overflow_are_refused(refit, unchanged_by):
    # Found by the randomized run: the fit diverged in its first epoch and
    # "succeeded" with no epoch trained (loss_ None).
    X, y = _data(DenseNetRegressor)
    model = _small(DenseNetRegressor)
    if refit:
        model.fit(X, y)
    unchanged_by(
        model,
        lambda m: m.fit(X.astype(np.float32), 1e20 * (2 + y)),
        match=r"y: targets as large as [0-9.]+e\+20 overflow the squared error in "
        r"float32.*loss='gaussian_nll'",
    )
    model.set_params(loss="gaussian_nll").fit(X.astype(np.float32), 1e20 * (2 + y))
    assert np.isfinite(model.loss_) and model.n_iter_ == 6
