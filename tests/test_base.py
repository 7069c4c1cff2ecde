"""The shared training loop: stopping, warm starts, sample weights, failures."""

import warnings

import numpy as np
import pytest
from sklearn import config_context
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skdense import DenseNetClassifier
from skdense._network import DenseNetwork

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
    params = dict(hidden_layer_sizes=(8, 6), learning_rate_init=0.01)
    model = _model(keep_prob=[0.9, 0.6], **params).fit(X, y)
    assert model.n_layers_ == 4 and model.keep_probs_ == [0.9, 0.6]
    assert model._engine.solver.dropout.keep_probs == [0.9, 0.6]
    for uniform in (0.9, 0.6):
        other = _model(keep_prob=uniform, **params).fit(X, y)
        assert not np.array_equal(other.coefs_[1], model.coefs_[1])


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


# ----------------------------------------------------------- your own validation set


def _hand_split(model, fraction=0.1):
    """The rows early stopping would hold out: the same draws, made by hand."""
    state = np.random.RandomState(model.random_state)
    DenseNetwork(
        [6, *model.hidden_layer_sizes, 1], model.activation, "logistic", np.float64
    ).initial_params(state)
    return train_test_split(
        np.arange(len(y)), random_state=state, test_size=fraction, stratify=y
    )


def test_a_given_validation_set_equals_the_same_split_made_by_hand():
    params = dict(early_stopping=True, shuffle=False, max_iter=30, n_iter_no_change=3)
    split = _model(**params).fit(X, y)
    train, valid = _hand_split(split)
    given = _model(**params).fit(X[train], y[train], X_val=X[valid], y_val=y[valid])
    assert given.validation_scores_ == split.validation_scores_
    assert given.validation_loss_curve_ == split.validation_loss_curve_
    for ours, theirs in zip(given.coefs_, split.coefs_):
        np.testing.assert_array_equal(ours, theirs)


def test_early_stopping_on_the_loss_keeps_the_lowest_validation_loss():
    X_train, X_val, y_train, y_val = train_test_split(X, y, random_state=1)
    model = _model(
        early_stopping=True,
        scoring="loss",
        max_iter=300,
        n_iter_no_change=5,
        learning_rate_init=0.05,
        hidden_layer_sizes=(64,),
        alpha=0.0,
    ).fit(X_train, y_train, X_val=X_val, y_val=y_val)
    curve = model.validation_loss_curve_
    assert len(curve) == model.n_iter_ == len(model.validation_scores_)
    np.testing.assert_allclose(model.validation_scores_, -np.asarray(curve))
    best = int(np.argmin(curve))
    assert best < model.n_iter_ - 1  # it did go past its best, then came back
    assert log_loss(y_val, model.predict_proba(X_val)) == pytest.approx(curve[best])
    assert model.best_validation_score_ == -curve[best]


def test_validation_loss_curve_is_the_validation_objective_without_penalty():
    model = _model(early_stopping=True, alpha=10.0, max_iter=5).fit(X, y)
    assert len(model.validation_loss_curve_) == model.n_iter_
    assert model.validation_loss_curve_[-1] < model.loss_curve_[-1]  # no penalty
    assert _model(max_iter=3).fit(X, y).validation_loss_curve_ is None


@pytest.mark.parametrize(
    "scoring", ["neg_log_loss", "balanced_accuracy", lambda est, X, y: -est.score(X, y)]
)
def test_any_scorer_can_steer_early_stopping(scoring):
    model = _model(early_stopping=True, scoring=scoring, max_iter=8).fit(X, y)
    assert len(model.validation_scores_) == model.n_iter_
    assert model.best_validation_score_ == max(model.validation_scores_)
    if scoring == "neg_log_loss":
        np.testing.assert_allclose(
            model.validation_scores_, -np.asarray(model.validation_loss_curve_)
        )


BAD_VALIDATION = [
    (dict(X_val=X[:20]), "X_val is passed to fit without y_val"),
    (dict(y_val=y[:20]), "y_val is passed to fit without X_val"),
    (dict(X_val=X[:20, :5], y_val=y[:20]), "X_val: X has 5 features"),
    (dict(X_val=X[:20], y_val=y[:20] + 5), "y_val has labels"),
    (dict(X_val=np.where(X[:20] > 1, np.nan, X[:20]), y_val=y[:20]), "X_val.*NaN"),
    (dict(X_val=X[:20], y_val=y[:19]), "y_val.*inconsistent numbers of samples"),
    (dict(X_val=X[:20], y_val=y[:20], sample_weight_val=-np.ones(20)), ">= 0"),
]


@pytest.mark.parametrize("arguments, message", BAD_VALIDATION)
def test_bad_validation_data_fails_before_training(arguments, message, unchanged_by):
    model = _model(early_stopping=True, warm_start=True, max_iter=3).fit(X, y)
    unchanged_by(model, lambda m: m.fit(X, y, **arguments), match=message)


@pytest.mark.parametrize(
    "params", [dict(early_stopping=False), dict(early_stopping=True, solver="lbfgs")]
)
def test_a_validation_set_without_early_stopping_is_refused(params):
    with pytest.raises(ValueError, match="no early stopping would use them"):
        _model(**params).fit(X, y, X_val=X[:20], y_val=y[:20])


def test_metadata_routing_passes_the_validation_set_through_a_search():
    X_val, y_val = X[:30], y[:30]
    with config_context(enable_metadata_routing=True):
        model = _model(early_stopping=True, max_iter=10).set_fit_request(
            X_val=True, y_val=True
        )
        search = GridSearchCV(model, {"alpha": [1e-4, 1e-1]}, cv=2)
        search.fit(X, y, X_val=X_val, y_val=y_val)
        direct = clone(search.best_estimator_).fit(X, y, X_val=X_val, y_val=y_val)
        # In a pipeline, X_val is transformed like X when asked for.
        scaler = StandardScaler().fit(X)
        pipe = Pipeline(
            [("scale", StandardScaler()), ("net", clone(model))],
            transform_input=["X_val"],
        ).fit(X, y, X_val=X_val, y_val=y_val)
    np.testing.assert_array_equal(search.best_estimator_.coefs_[0], direct.coefs_[0])
    by_hand = _model(early_stopping=True, max_iter=10).fit(
        scaler.transform(X), y, X_val=scaler.transform(X_val), y_val=y_val
    )
    np.testing.assert_allclose(pipe[-1].coefs_[0], by_hand.coefs_[0], rtol=1e-12)


@pytest.mark.parametrize("estimator", ["classifier", "regressor"])
def test_each_activation_trains_fresh_and_refitted_as_a_fresh_model(estimator):
    from skdense import DenseNetRegressor

    make = DenseNetClassifier if estimator == "classifier" else DenseNetRegressor
    target = y if estimator == "classifier" else X[:, 0] + X[:, 1] ** 2
    params = dict(hidden_layer_sizes=(8, 6), max_iter=15, random_state=0)
    activations = ["gelu", ["elu", "silu"], "softplus", ["leaky_relu"]]
    refitted = make(**params, activation="relu").fit(X, target)
    for activation in activations:
        fresh = make(**params, activation=activation).fit(X, target)
        assert fresh.hidden_activation_ == activation
        assert np.isfinite(fresh.loss_curve_).all()
        refitted.set_params(activation=activation).fit(X, target)
        assert refitted.hidden_activation_ == activation
        for ours, theirs in zip(refitted.coefs_, fresh.coefs_):
            np.testing.assert_array_equal(ours, theirs)
        np.testing.assert_array_equal(refitted.predict(X), fresh.predict(X))


def test_a_list_of_activations_is_copied_not_shared():
    activation = ["gelu", "tanh"]
    model = _model(hidden_layer_sizes=(6, 4), activation=activation).fit(X, y)
    activation[0] = "relu"
    assert model.hidden_activation_ == ["gelu", "tanh"]
    assert model.activation is activation  # the parameter stays verbatim


def test_a_list_of_the_wrong_length_fails_and_keeps_the_model():
    model = _model(hidden_layer_sizes=(6, 4), activation="elu").fit(X, y)
    before = [coef.copy() for coef in model.coefs_]
    model.set_params(activation=["elu", "elu", "elu"])
    with pytest.raises(ValueError, match=r"one per hidden layer \(2 here\); got 3"):
        model.fit(X, y)
    assert model.hidden_activation_ == "elu"
    for ours, theirs in zip(model.coefs_, before):
        np.testing.assert_array_equal(ours, theirs)
