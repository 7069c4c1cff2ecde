"""Saving and loading: skops (safe), joblib and pickle, sizes and versions."""

import io
import itertools
import pickle
import warnings
from pathlib import Path

import joblib
import numpy as np
import pytest
import skops.io as sio
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skdense
from skdense import (
    SKOPS_TRUSTED_TYPES,
    DenseNetClassifier,
    DenseNetRegressor,
    InconsistentVersionWarning,
    TabularNetClassifier,
    TabularNetRegressor,
)
from skdense._params import PARAMETER_CONSTRAINTS, Options

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
    return estimator.fit(*_training_data(estimator))


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


def _every_kind_of_fitted_model():
    """One small fitted model per value of every parameter with a fixed set
    of options (solver, learning_rate, loss, penalty, ...), each with and
    without early stopping and dropout: every kind of object a fit creates."""
    options = {
        name: constraint.values
        for name, constraint in PARAMETER_CONSTRAINTS.items()
        if isinstance(constraint, Options)
    }
    estimators = [DenseNetClassifier, DenseNetRegressor]
    estimators += [TabularNetClassifier, TabularNetRegressor]
    for estimator in estimators:
        names = set(estimator().get_params())
        for name, values in options.items():
            for value, extra in itertools.product(
                values,
                [{}, {"early_stopping": True, "keep_prob": 0.8, "solver": "adam"}],
            ):
                if name not in names:
                    continue
                params = {"hidden_layer_sizes": (4,), "max_iter": 2, **extra}
                params[name] = value
                if params.get("loss") == "quantile":
                    params["quantile"] = 0.5
                if params.get("solver") == "lbfgs":
                    params.update(keep_prob=1.0, early_stopping=False, penalty="l2")
                    params.update(parametrization="standard", input_scale=False)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    yield _fitted(estimator(**params, random_state=0))


def test_skops_round_trips_every_kind_of_fitted_model():
    # Reported: a model with learning_rate='cosine' could not be loaded.
    reported = set()
    for model in _every_kind_of_fitted_model():
        blob = sio.dumps(model)
        reported |= set(sio.get_untrusted_types(data=blob))
        loaded = sio.loads(blob, trusted=SKOPS_TRUSTED_TYPES)
        data = X_reg if isinstance(model, DenseNetRegressor) else X
        np.testing.assert_array_equal(loaded.predict(data), model.predict(data))
        assert loaded.get_params() == model.get_params()
        if model.solver != "lbfgs":
            loaded.set_params(early_stopping=False).partial_fit(*_training_data(model))
    assert reported == set(SKOPS_TRUSTED_TYPES)  # exactly what is needed
    assert sorted(SKOPS_TRUSTED_TYPES) == skdense.SKOPS_TRUSTED_TYPES


def _training_data(model):
    if isinstance(model, DenseNetRegressor):
        return X_reg, np.abs(y_reg) / 100  # >= 0 for the Poisson loss
    return X, np.array(["ant", "bee", "cat"])[y]


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


OLD_PICKLES = sorted((Path(__file__).parent / "data").glob("skdense-*.pkl"))


def _load_old(path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with open(path, "rb") as file:
            payload = pickle.load(file)
    ours = [w for w in caught if issubclass(w.category, InconsistentVersionWarning)]
    return payload, ours


def test_old_pickles_are_real_ones_of_each_release():
    versions = {path.name.split("-")[1] for path in OLD_PICKLES}
    assert versions == {"0.1.0", "0.2.0"} and len(OLD_PICKLES) == 3


@pytest.mark.parametrize("path", OLD_PICKLES, ids=lambda path: path.stem)
def test_a_pickle_of_an_old_release_warns_predicts_clones_and_trains_on(path):
    # Reported: a 0.1.0 pickle raised AttributeError: max_norm in get_params,
    # repr, clone and partial_fit; an earlier 0.1.0 one did not load at all.
    payload, warned = _load_old(path)
    models = [payload["classifier"], payload["regressor"]]
    assert len(warned) == len(models) + ("gaussian" in payload)
    # 27da65f came before the version was stamped into the pickles.
    stamped = "unknown (before 0.1.0)" if "27da65f" in path.name else payload["version"]
    assert warned[0].message.original_version == stamped
    classifier, regressor = models
    X, X_reg = payload["X"], payload["X_reg"]
    np.testing.assert_allclose(
        classifier.predict_proba(X), payload["proba"], rtol=1e-12
    )
    np.testing.assert_array_equal(classifier.predict(X), payload["labels"])
    np.testing.assert_allclose(
        regressor.predict(X_reg), payload["regression"], rtol=1e-12
    )
    labels = np.array(["ant", "bee", "cat"])[payload["y"]]
    for model, data in zip(models, [(X, labels), (X_reg, payload["y_reg"])]):
        assert repr(model).startswith(type(model).__name__)
        assert clone(model).get_params() == model.get_params()
        before = model.coefs_[0].copy()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.partial_fit(*data)
            assert not np.array_equal(model.coefs_[0], before)
            clone(model).fit(*data)


def test_a_gaussian_model_of_0_2_is_uncalibrated_and_predicts_as_it_did():
    path = next(path for path in OLD_PICKLES if "0.2.0" in path.name)
    payload, _ = _load_old(path)
    model = payload["gaussian"]
    np.testing.assert_array_equal(model.std_scale_, [1.0])
    mean, std = model.predict(payload["X_reg"], return_std=True)
    np.testing.assert_allclose(mean, payload["gaussian_mean_std"][0], rtol=1e-12)
    np.testing.assert_allclose(std, payload["gaussian_mean_std"][1], rtol=1e-12)
