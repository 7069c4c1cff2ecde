"""skdense inside scikit-learn: pipelines, searches, cloning, persistence."""

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits, make_moons
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdense import DenseNetClassifier

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:500], y[:500]


def test_pipeline_with_standard_scaler(digits):
    X, y = digits
    pipe = make_pipeline(
        StandardScaler(), DenseNetClassifier((32,), max_iter=30, random_state=0)
    )
    pipe.fit(X, y)
    assert pipe.score(X, y) > 0.9
    assert pipe.predict_proba(X[:3]).shape == (3, 10)


def test_grid_search_over_alpha_keep_prob_and_penalty_in_parallel(digits):
    X, y = digits
    grid = {
        "alpha": [1e-4, 1.0],
        "keep_prob": [1.0, 0.8],
        "penalty": ["l2", "l1"],
    }
    search = GridSearchCV(
        DenseNetClassifier((16,), max_iter=15, learning_rate_init=0.01, random_state=0),
        grid,
        cv=3,
        n_jobs=2,
        error_score="raise",
    )
    search.fit(X / 16.0, y)
    assert len(search.cv_results_["params"]) == 8
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert set(search.best_params_) == set(grid)
    best = clone(search.estimator).set_params(**search.best_params_)
    scores = cross_val_score(best, X / 16.0, y, cv=3)
    assert search.best_score_ == scores.mean()
    assert search.best_score_ == search.cv_results_["mean_test_score"].max()


def test_grid_search_in_parallel_matches_sequential(digits):
    X, y = digits
    grid = {"alpha": [1e-4, 0.1], "keep_prob": [1.0, 0.7]}
    model = DenseNetClassifier((8,), max_iter=5, random_state=0)
    scores = [
        GridSearchCV(model, grid, cv=2, n_jobs=n_jobs)
        .fit(X, y)
        .cv_results_["mean_test_score"]
        for n_jobs in (1, 2)
    ]
    np.testing.assert_array_equal(*scores)


def test_clone_gives_an_unfitted_copy_with_the_same_parameters():
    model = DenseNetClassifier((5, 4), penalty="elasticnet", keep_prob=[0.9, 0.8])
    X, y = make_moons(50, random_state=0)
    model.set_params(max_iter=3).fit(X, y)
    copy = clone(model)
    assert copy.get_params() == model.get_params()
    assert not hasattr(copy, "coefs_")


def test_cross_val_score(digits):
    X, y = digits
    scores = cross_val_score(
        DenseNetClassifier((16,), max_iter=20, learning_rate_init=0.01, random_state=0),
        X / 16.0,
        y,
        cv=3,
    )
    assert scores.shape == (3,) and scores.min() > 0.7


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_joblib_round_trip_then_partial_fit(tmp_path, digits, solver):
    X, y = digits
    X = X / 16.0
    model = DenseNetClassifier((16,), solver=solver, max_iter=10, random_state=0)
    model.fit(X, y)
    path = tmp_path / "model.joblib"
    joblib.dump(model, path)
    loaded = joblib.load(path)
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    model.partial_fit(X, y)
    loaded.partial_fit(X, y)
    np.testing.assert_array_equal(loaded.coefs_[0], model.coefs_[0])
    assert loaded.loss_curve_ == model.loss_curve_ and len(loaded.loss_curve_) == 11
