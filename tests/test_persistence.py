"""Saving and loading: skops (safe), joblib and pickle, sizes and versions."""

import io
import pickle
import warnings

import joblib
import numpy as np
import pytest
import skops.io as sio
from sklearn.datasets import make_classification, make_regression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skdense
from skdense import (
    SKOPS_TRUSTED_TYPES,
    DenseNetClassifier,
    DenseNetRegressor,
    InconsistentVersionWarning,
)
from skdense._fit_state import STATE_ATTRIBUTES

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

X, y = make_classification(
    n_samples=120, n_features=6, n_classes=3, n_informative=4, random_state=0
)
X_reg, y_reg = make_regression(n_samples=120, n_features=6, random_state=0)

ESTIMATORS = [
    DenseNetClassifier((8,), solver="adam", max_iter=5, random_state=0),
    DenseNetClassifier((8,), solver="sgd", keep_prob=0.8, max_iter=5, random_state=0),
    DenseNetClassifier((8,), solver="lbfgs", max_iter=5, random_state=0),
    DenseNetClassifier((8,), early_stopping=True, max_iter=5, random_state=0),
    DenseNetClassifier((8,), solver="adamw", max_iter=5, random_state=0),
    DenseNetRegressor(hidden_layer_sizes=(8,), max_iter=5, random_state=0),
    DenseNetRegressor(
        hidden_layer_sizes=(8,), solver="sgd", max_iter=5, random_state=0
    ),
    DenseNetRegressor(
        hidden_layer_sizes=(8,), solver="lbfgs", max_iter=5, random_state=0
    ),
    DenseNetRegressor(
        loss="gaussian_nll",
        hidden_layer_sizes=(8,),
        activation=["gelu"],
        keep_prob=0.8,
        max_iter=5,
        random_state=None,
    ),
]


def _fitted(estimator):
    if isinstance(estimator, DenseNetRegressor):
        return estimator.fit(X_reg, y_reg / 100)
    labels = np.array(["ant", "bee", "cat"])[y]
    return estimator.fit(X, labels)


def _predictions(model, data):
    if isinstance(model, DenseNetRegressor) and model.keep_prob < 1:
        # The std of a model fitted with random_state=None: its passes are
        # fixed at fit, and a loaded model keeps them.
        return np.vstack(model.predict(data, return_std=True))
    if isinstance(model, DenseNetRegressor) or (
        hasattr(model, "steps") and isinstance(model[-1], DenseNetRegressor)
    ):
        return model.predict(data)
    return model.predict_proba(data)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=repr)
def test_skops_round_trip_gives_identical_predictions(estimator):
    model = _fitted(estimator)
    loaded = sio.loads(sio.dumps(model), trusted=SKOPS_TRUSTED_TYPES)
    data = X_reg if isinstance(model, DenseNetRegressor) else X
    np.testing.assert_array_equal(_predictions(loaded, data), _predictions(model, data))


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=repr)
def test_skops_untrusted_types_are_only_skdense_types(estimator):
    untrusted = sio.get_untrusted_types(data=sio.dumps(_fitted(estimator)))
    assert untrusted and set(untrusted) <= set(SKOPS_TRUSTED_TYPES)


def test_trusted_types_are_exactly_what_skops_reports():
    reported = set()
    for estimator in ESTIMATORS:
        reported |= set(sio.get_untrusted_types(data=sio.dumps(_fitted(estimator))))
    assert reported == set(SKOPS_TRUSTED_TYPES)
    assert sorted(SKOPS_TRUSTED_TYPES) == skdense.SKOPS_TRUSTED_TYPES


def test_skops_inside_a_pipeline_and_after_partial_fit():
    pipe = make_pipeline(
        StandardScaler(), DenseNetClassifier((8,), max_iter=5, random_state=0)
    )
    pipe.fit(X, y)
    loaded = sio.loads(sio.dumps(pipe), trusted=SKOPS_TRUSTED_TYPES)
    np.testing.assert_array_equal(loaded.predict_proba(X), pipe.predict_proba(X))

    model = DenseNetClassifier((8,), max_iter=5, random_state=0).fit(X, y)
    model.partial_fit(X, y)
    loaded = sio.loads(sio.dumps(model), trusted=SKOPS_TRUSTED_TYPES)
    model.partial_fit(X, y)
    loaded.partial_fit(X, y)
    np.testing.assert_array_equal(loaded.coefs_[0], model.coefs_[0])


def test_skops_refuses_to_load_without_trust():
    blob = sio.dumps(_fitted(ESTIMATORS[0]))
    with pytest.raises(Exception, match=r"[Uu]ntrusted"):
        sio.loads(blob)


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_joblib_files_stay_small(solver, tmp_path):
    Xb, yb = make_classification(n_samples=2000, n_features=100, random_state=0)
    model = DenseNetClassifier((64, 32), solver=solver, max_iter=3, random_state=0)
    model.fit(Xb, yb)
    path = tmp_path / "model.joblib"
    joblib.dump(model, path)
    raw = sum(a.nbytes for a in model.coefs_ + model.intercepts_)
    ratio = path.stat().st_size / raw
    assert ratio <= 3.5, ratio
    arrays = [v for v in vars(model).values() if isinstance(v, np.ndarray)]
    assert all(len(a) != len(Xb) for a in arrays)  # no training data kept


def test_loading_a_model_from_another_version_warns():
    model = _fitted(ESTIMATORS[0])
    state = model.__getstate__()
    assert state["_skdense_version"] == skdense.__version__
    state["_skdense_version"] = "0.0.1"
    clone = DenseNetClassifier.__new__(DenseNetClassifier)
    with pytest.warns(
        InconsistentVersionWarning,
        match=f"from skdense version 0.0.1 with version {skdense.__version__}",
    ) as record:
        clone.__setstate__(state)
    assert record[0].message.original_version == "0.0.1"
    np.testing.assert_array_equal(clone.predict_proba(X), model.predict_proba(X))


def test_loading_a_model_from_this_version_is_silent():
    buffer = io.BytesIO()
    pickle.dump(_fitted(ESTIMATORS[0]), buffer)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pickle.loads(buffer.getvalue())


def _as_saved_by_0_1(model):
    """The state a 0.1 pickle holds: the loop state among the attributes, no
    frozen training-time settings."""
    state = dict(model.__getstate__())
    fit_state = state.pop("_fit_state")
    for attribute, name in STATE_ATTRIBUTES.items():
        state[attribute] = getattr(fit_state, name)
    for frozen in ("keep_probs_", "input_keep_prob_", "hidden_activation_"):
        del state[frozen]
    state["_skdense_version"] = "0.1.0"
    return state


@pytest.mark.parametrize("estimator", [DenseNetClassifier, DenseNetRegressor])
def test_a_model_saved_by_0_1_warns_predicts_and_trains_on(estimator):
    data = (X, y) if estimator is DenseNetClassifier else (X_reg, y_reg / 100)
    model = estimator(hidden_layer_sizes=(8,), keep_prob=0.8, max_iter=5)
    model.set_params(random_state=0).fit(*data)
    loaded = estimator.__new__(estimator)
    with pytest.warns(InconsistentVersionWarning, match="from skdense version 0.1.0"):
        loaded.__setstate__(_as_saved_by_0_1(model))
    np.testing.assert_array_equal(loaded.predict(data[0]), model.predict(data[0]))
    assert loaded.keep_probs_ == [0.8] and loaded.loss_curve_ == model.loss_curve_
    assert loaded._optimizer.t == model._optimizer.t
    loaded.partial_fit(*data)
    model.partial_fit(*data)
    np.testing.assert_array_equal(loaded.coefs_[0], model.coefs_[0])
