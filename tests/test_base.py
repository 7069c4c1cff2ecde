"""The shared training loop: stopping, warm starts, sample weights, failures."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning

from skdense import DenseNetClassifier

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

X, y = make_classification(n_samples=200, n_features=6, random_state=0)


def _model(**params):
    defaults = dict(hidden_layer_sizes=(8,), max_iter=20, random_state=0)
    return DenseNetClassifier(**{**defaults, **params})


def test_early_stopping_keeps_the_best_validation_weights():
    model = _model(early_stopping=True, max_iter=300, n_iter_no_change=5, tol=0)
    model.fit(X, y)
    assert model.n_iter_ < 300
    assert model.best_loss_ is None
    assert len(model.validation_scores_) == model.n_iter_
    assert model.best_validation_score_ == max(model.validation_scores_)


def test_training_loss_stopping():
    model = _model(max_iter=500, tol=1e-2, n_iter_no_change=3).fit(X, y)
    assert model.n_iter_ < 500
    assert model.best_loss_ == min(model.loss_curve_)
    assert model.validation_scores_ is None and model.best_validation_score_ is None


def test_verbose_prints_a_line_per_epoch(capsys):
    _model(verbose=True, max_iter=3).fit(X, y)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("Iteration 1, loss = ") and "time = " in lines[0]
    _model(verbose=True, max_iter=3, early_stopping=True).fit(X, y)
    assert "validation score = " in capsys.readouterr().out


def test_warm_start_continues_training():
    model = _model(warm_start=True, max_iter=5).fit(X, y)
    first_curve = list(model.loss_curve_)
    model.fit(X, y)
    assert model.loss_curve_[:5] == first_curve and len(model.loss_curve_) == 10
    cold = _model(max_iter=5).fit(X, y)
    cold.fit(X, y)
    assert len(cold.loss_curve_) == 5


def test_warm_start_with_changed_layers_fails_and_keeps_the_model(unchanged_by):
    model = _model(warm_start=True, max_iter=5).fit(X, y)
    unchanged_by(
        model,
        lambda m: m.fit(X[:, :3], y),
        match="X has 3 features",
    )


@pytest.mark.parametrize(
    "bad_call, message",
    [
        (lambda m: m.partial_fit(X[:, :3], y), "features"),
        (lambda m: m.partial_fit(X, y + 5), "not among the classes"),
        (lambda m: m.partial_fit(X, y, sample_weight=-np.ones(len(y))), ">= 0"),
        (lambda m: m.partial_fit(np.full_like(X, np.nan), y), "NaN"),
        (lambda m: m.partial_fit(X, y[:-1]), "inconsistent numbers of samples"),
    ],
)
def test_failed_partial_fit_leaves_the_model_exactly_as_it_was(
    bad_call, message, unchanged_by
):
    model = _model(keep_prob=[0.8])
    model.partial_fit(X, y, classes=[0, 1])
    model.partial_fit(X, y)
    unchanged_by(model, bad_call, match=message)


def test_partial_fit_with_a_parameter_made_invalid_keeps_the_model(unchanged_by):
    model = _model(keep_prob=0.8).fit(X, y)
    model.set_params(keep_prob=[0.5, 0.5])
    unchanged_by(model, lambda m: m.partial_fit(X, y), match="keep_prob")


@pytest.mark.parametrize(
    "sample_weight, message",
    [
        (np.ones(5), r"shape \(200,\)"),
        (-np.ones(200), "must be >= 0"),
        (np.zeros(200), "must not be all zero"),
        (np.full(200, np.nan), "must be finite"),
        (np.ones((200, 2)), "shape"),
        (["a"] * 200, "sample_weight must be an array of numbers"),
    ],
)
def test_bad_sample_weight(sample_weight, message):
    with pytest.raises((ValueError, TypeError), match=message):
        _model().fit(X, y, sample_weight=sample_weight)


def test_zero_weight_equals_removing_the_samples():
    weights = np.ones(len(y))
    weights[::3] = 0
    kept = weights > 0
    params = dict(batch_size=500, shuffle=False)
    weighted = _model(**params).fit(X, y, sample_weight=weights)
    removed = _model(**params).fit(X[kept], y[kept])
    np.testing.assert_allclose(weighted.coefs_[0], removed.coefs_[0], rtol=1e-10)


def test_diverging_training_warns_and_keeps_finite_weights():
    model = _model(
        solver="sgd",
        learning_rate_init=1e4,
        momentum=0.99,
        max_iter=100,
        tol=0,
        n_iter_no_change=1000,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X * 1e3, y)
    messages = [str(w.message) for w in caught if w.category is ConvergenceWarning]
    assert any("diverged" in m for m in messages)
    assert all(np.isfinite(c).all() for c in model.coefs_ + model.intercepts_)
    assert np.isfinite(model.loss_curve_).all()
    assert np.isfinite(model.predict_proba(X)).all()
    model.set_params(learning_rate_init=1e-3).partial_fit(X, y)  # trains on
    assert all(np.isfinite(c).all() for c in model.coefs_)


def test_batch_size_larger_than_the_data_is_clipped_with_a_warning():
    with pytest.warns(UserWarning, match="batch_size=1000 is larger"):
        model = _model(batch_size=1000, max_iter=2).fit(X, y)
    assert model.t_ == 2 * len(y)


def test_predict_before_fit_raises_not_fitted():
    from sklearn.exceptions import NotFittedError

    for method in ("predict", "predict_proba", "predict_log_proba"):
        with pytest.raises(NotFittedError):
            getattr(DenseNetClassifier(), method)(X)


def test_wrong_number_of_features_at_predict():
    model = _model(max_iter=2).fit(X, y)
    with pytest.raises(ValueError, match="X has 3 features, but DenseNetClassifier"):
        model.predict(X[:, :3])


def test_per_layer_keep_prob():
    model = _model(
        hidden_layer_sizes=(8, 6), keep_prob=[0.9, 0.6], learning_rate_init=0.01
    )
    model.fit(X, y)
    assert model.n_layers_ == 4
    assert model.score(X, y) > 0.6


def test_n_threads_limits_blas_during_fit_and_predict_only(monkeypatch):
    from threadpoolctl import threadpool_info

    from skdense._network import DenseNetwork

    def blas_threads():
        return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]

    before = blas_threads()
    seen = []

    def spying(method):
        def spy(*args, **kwargs):
            seen.append((method.__name__, blas_threads()))
            return method(*args, **kwargs)

        return spy

    monkeypatch.setattr(
        DenseNetwork, "loss_gradient", spying(DenseNetwork.loss_gradient)
    )
    monkeypatch.setattr(DenseNetwork, "logits", spying(DenseNetwork.logits))
    model = _model(n_threads=1, max_iter=2).fit(X, y)
    model.predict(X)
    assert {name for name, _ in seen} == {"loss_gradient", "logits"}
    assert all(threads == [1] * len(before) for _, threads in seen)
    assert blas_threads() == before
