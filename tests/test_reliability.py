"""Reliability: bad data, numerical faults, determinism, concurrency, properties.

Bad constructor parameters are covered in test_params.py; this module covers
every data argument of fit, partial_fit and the predict methods.
"""

import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import GridSearchCV

from skdense import DenseNetClassifier, DenseNetRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

X, y = make_classification(n_samples=60, n_features=4, random_state=0)


def _fitted_classifier():
    return DenseNetClassifier((5,), max_iter=3, random_state=0).fit(X, y)


def _fitted_regressor():
    return DenseNetRegressor(hidden_layer_sizes=(5,), max_iter=3, random_state=0).fit(
        X, X[:, 0]
    )


def _classifier():
    return DenseNetClassifier((5,), max_iter=3)


def _regressor():
    return DenseNetRegressor(hidden_layer_sizes=(5,), max_iter=3)


NAN_X = np.where(np.eye(60, 4) == 1, np.nan, X)
INF_X = np.where(np.eye(60, 4) == 1, np.inf, X)
STRING_X = np.array([["a", "b", "c", "d"]] * 60)

BAD_DATA = [
    # fit: X
    ("fit X with NaN", lambda: _classifier().fit(NAN_X, y), "X.*NaN"),
    ("fit X with inf", lambda: _classifier().fit(INF_X, y), "X.*infinity"),
    ("fit empty X", lambda: _classifier().fit(np.empty((0, 4)), []), "X.*0 sample"),
    ("fit 1-D X", lambda: _classifier().fit(X[:, 0], y), "X.*Expected 2D array"),
    ("fit 3-D X", lambda: _classifier().fit(X[:, :, None], y), "X.*dim 3"),
    ("fit string X", lambda: _classifier().fit(STRING_X, y), "X.*could not convert"),
    ("fit complex X", lambda: _classifier().fit(X + 1j, y), "X.*Complex data"),
    ("fit sparse NaN", lambda: _classifier().fit(sp.csr_matrix(NAN_X), y), "X.*NaN"),
    # fit: y
    ("fit y too short", lambda: _classifier().fit(X, y[:-1]), "y.*inconsistent"),
    ("fit y is None", lambda: _classifier().fit(X, None), "y.*requires y"),
    ("fit y with NaN", lambda: _classifier().fit(X, np.where(y, np.nan, 0)), "y.*NaN"),
    ("fit continuous y", lambda: _classifier().fit(X, X[:, 0]), "Unknown label type"),
    ("fit regressor string y", lambda: _regressor().fit(X, ["a"] * 60), "y.*convert"),
    (
        "fit regressor y with inf",
        lambda: _regressor().fit(X, np.full(60, np.inf)),
        "y.*infinity",
    ),
    (
        "fit poisson negative y",
        lambda: DenseNetRegressor(loss="poisson").fit(X, -np.ones(60)),
        "y >= 0",
    ),
    # fit: sample_weight
    (
        "negative sample_weight",
        lambda: _classifier().fit(X, y, sample_weight=-np.ones(60)),
        "sample_weight must be >= 0",
    ),
    (
        "all-zero sample_weight",
        lambda: _classifier().fit(X, y, np.zeros(60)),
        "sample_weight must not be all zero",
    ),
    (
        "NaN sample_weight",
        lambda: _classifier().fit(X, y, np.full(60, np.nan)),
        "sample_weight must be finite",
    ),
    (
        "short sample_weight",
        lambda: _classifier().fit(X, y, np.ones(59)),
        r"sample_weight must have shape \(60,\)",
    ),
    (
        "string sample_weight",
        lambda: _classifier().fit(X, y, ["a"] * 60),
        "sample_weight must be an array of numbers",
    ),
    (
        "class_weight unknown label",
        lambda: DenseNetClassifier(class_weight={"z": 2.0}).fit(X, y),
        "class_weight names labels",
    ),
    # partial_fit
    (
        "partial_fit without classes",
        lambda: _classifier().partial_fit(X, y),
        "classes must be passed",
    ),
    (
        "partial_fit unseen label",
        lambda: _fitted_classifier().partial_fit(X, y + 7),
        "not among the classes",
    ),
    (
        "partial_fit other classes",
        lambda: _fitted_classifier().partial_fit(X, y, classes=[0, 1, 2]),
        "differs from the classes",
    ),
    (
        "partial_fit wrong n_features",
        lambda: _fitted_classifier().partial_fit(X[:, :3], y),
        "X.*3 features",
    ),
    (
        "partial_fit NaN X",
        lambda: _fitted_regressor().partial_fit(NAN_X, X[:, 0]),
        "X.*NaN",
    ),
    (
        "partial_fit early stopping",
        lambda: DenseNetClassifier(early_stopping=True).partial_fit(
            X, y, classes=[0, 1]
        ),
        "early_stopping",
    ),
    # predict*
    ("predict before fit", lambda: _classifier().predict(X), "not fitted"),
    ("predict_proba before fit", lambda: _classifier().predict_proba(X), "not fitted"),
    ("regressor predict before fit", lambda: _regressor().predict(X), "not fitted"),
    (
        "predict wrong n_features",
        lambda: _fitted_classifier().predict(X[:, :3]),
        "X has 3 features",
    ),
    ("predict_proba NaN", lambda: _fitted_classifier().predict_proba(NAN_X), "X.*NaN"),
    (
        "predict_log_proba strings",
        lambda: _fitted_classifier().predict_log_proba(STRING_X),
        "X.*could not convert",
    ),
    ("predict 1-D X", lambda: _fitted_regressor().predict(X[0]), "X.*Expected 2D"),
    (
        "predict empty X",
        lambda: _fitted_regressor().predict(np.empty((0, 4))),
        "X.*0 sample",
    ),
    (
        "return_std without dropout",
        lambda: _fitted_regressor().predict(X, return_std=True),
        "Monte-Carlo dropout.*needs a model trained with dropout",
    ),
    (
        "score wrong n_features",
        lambda: _fitted_classifier().score(X[:, :2], y),
        "X has 2 features",
    ),
]


@pytest.mark.parametrize(
    "call, message", [c[1:] for c in BAD_DATA], ids=[c[0] for c in BAD_DATA]
)
def test_bad_data_raises_a_clear_error(call, message):
    with pytest.raises((ValueError, TypeError, NotFittedError), match=message):
        call()


def test_there_are_enough_bad_data_cases():
    assert len(BAD_DATA) >= 35


@pytest.mark.parametrize("make", [_fitted_classifier, _fitted_regressor])
@pytest.mark.parametrize(
    "bad_fit",
    [
        lambda m: m.fit(NAN_X, y),
        lambda m: m.fit(X, y, sample_weight=np.zeros(60)),
        lambda m: m.fit(X[:, :3], y),
        lambda m: m.partial_fit(X, y, sample_weight=-np.ones(60)),
        lambda m: m.partial_fit(STRING_X, y),
    ],
)
def test_failed_warm_start_or_partial_fit_keeps_the_model(make, bad_fit, unchanged_by):
    unchanged_by(make().set_params(warm_start=True), bad_fit)


# ------------------------------------------------------------ numerical faults

RNG = np.random.RandomState(0)
EXTREME = {
    "features x 1e6": (X * 1e6, y),
    "features x 1e-6": (X * 1e-6, y),
    "a constant feature": (np.column_stack([X, np.ones(60)]), y),
    "only constant features": (np.ones((60, 4)), y),
    "duplicated rows": (np.repeat(X[:10], 6, axis=0), np.repeat(y[:10], 6)),
    "1000 classes": (RNG.normal(size=(2000, 6)), np.arange(2000) % 1000),
    "one sample per class": (RNG.normal(size=(8, 3)), np.arange(8)),
}


@pytest.mark.parametrize("case", EXTREME)
@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_extreme_inputs_train_without_numpy_warnings(case, solver, dtype):
    data, target = EXTREME[case]
    model = DenseNetClassifier((16,), solver=solver, max_iter=30, random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(data.astype(dtype), target)
        proba = model.predict_proba(data.astype(dtype))
    numpy_warnings = [w for w in caught if issubclass(w.category, RuntimeWarning)]
    assert not numpy_warnings
    other = [w for w in caught if not issubclass(w.category, ConvergenceWarning)]
    assert not other
    assert np.isfinite(proba).all()
    assert all(np.isfinite(c).all() for c in model.coefs_)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-4)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_regressor_divergence_keeps_finite_weights(solver):
    model = DenseNetRegressor(
        hidden_layer_sizes=(8,),
        solver=solver,
        learning_rate_init=1e5,
        max_iter=200,
        tol=0,
        n_iter_no_change=1000,
        random_state=0,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X * 1e3, X[:, 0] * 1e6)
    assert not [w for w in caught if issubclass(w.category, RuntimeWarning)]
    if any("diverged" in str(w.message) for w in caught):
        assert all(np.isfinite(c).all() for c in model.coefs_)
    assert np.isfinite(model.loss_curve_).all()


# ------------------------------------------------------------ determinism


@pytest.mark.parametrize(
    "params",
    [
        dict(solver="adam", keep_prob=0.7),
        dict(solver="sgd"),
        dict(solver="lbfgs"),
        dict(early_stopping=True, penalty="l1"),
    ],
)
def test_same_random_state_gives_bit_identical_models(params):
    fits = [
        DenseNetClassifier((8,), max_iter=10, random_state=3, **params).fit(X, y)
        for _ in range(2)
    ]
    for a, b in zip(
        fits[0].coefs_ + fits[0].intercepts_, fits[1].coefs_ + fits[1].intercepts_
    ):
        np.testing.assert_array_equal(a, b)


def test_grid_search_is_bit_identical_in_parallel():
    grid = {"alpha": [1e-4, 0.1], "keep_prob": [1.0, 0.7]}
    searches = [
        GridSearchCV(
            DenseNetClassifier((8,), max_iter=5, random_state=0),
            grid,
            cv=2,
            n_jobs=n_jobs,
        ).fit(X, y)
        for n_jobs in (1, 2)
    ]
    np.testing.assert_array_equal(*(s.cv_results_["mean_test_score"] for s in searches))
    assert searches[0].best_params_ == searches[1].best_params_
    for a, b in zip(
        searches[0].best_estimator_.coefs_, searches[1].best_estimator_.coefs_
    ):
        np.testing.assert_array_equal(a, b)


def test_concurrent_predictions_match_sequential_ones():
    Xb, yb = make_classification(
        n_samples=3000, n_features=20, n_classes=3, n_informative=5, random_state=0
    )
    model = DenseNetClassifier((32,), max_iter=5, random_state=0).fit(Xb, yb)
    chunks = np.array_split(Xb, 16)
    sequential = [model.predict_proba(chunk) for chunk in chunks]
    with ThreadPoolExecutor(max_workers=8) as pool:
        concurrent = list(pool.map(model.predict_proba, chunks))
    for a, b in zip(sequential, concurrent):
        np.testing.assert_array_equal(a, b)


# ------------------------------------------------------------ properties


@st.composite
def _datasets(draw):
    n_samples = draw(st.integers(4, 40))
    n_features = draw(st.integers(1, 6))
    n_classes = draw(st.integers(2, min(5, n_samples)))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.RandomState(seed)
    data = rng.normal(
        scale=draw(st.sampled_from([1e-3, 1.0, 1e3])), size=(n_samples, n_features)
    )
    data = data.astype(draw(st.sampled_from([np.float32, np.float64])))
    target = np.concatenate(
        [np.arange(n_classes), rng.randint(0, n_classes, n_samples - n_classes)]
    )
    labels = draw(st.sampled_from(["int", "str", "float"]))
    if labels == "str":
        target = np.array([f"class {k}" for k in target])
    elif labels == "float":
        target = target.astype(float) * 2.0
    if draw(st.booleans()):
        data = sp.csr_matrix(data)
    return data, target, n_classes


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=_datasets(),
    solver=st.sampled_from(["adam", "sgd", "lbfgs"]),
    keep_prob=st.sampled_from([1.0, 0.6]),
)
def test_fit_then_predict_proba_gives_valid_probabilities(data, solver, keep_prob):
    X_any, target, n_classes = data
    if solver == "lbfgs":
        keep_prob = 1.0
    model = DenseNetClassifier(
        (6,), solver=solver, keep_prob=keep_prob, max_iter=5, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        model.fit(X_any, target)
        proba = model.predict_proba(X_any)
    assert proba.shape == (X_any.shape[0], n_classes)
    assert np.isfinite(proba).all() and (proba > 0).all() and (proba < 1).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    assert set(model.predict(X_any)) <= set(np.unique(target))
