"""TabularNetClassifier and TabularNetRegressor: raw tables in, every DenseNet
integration kept."""

import io
import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from skdense import (
    SKOPS_TRUSTED_TYPES,
    DenseNetClassifier,
    DenseNetRegressor,
    TabularNetClassifier,
    TabularNetRegressor,
)

ESTIMATORS = [TabularNetClassifier, TabularNetRegressor]
SMALL = dict(
    hidden_layer_sizes=(16, 16), max_iter=15, n_iter_no_change=15, batch_size=32
)
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _table(n=240, seed=0):
    """Numbers with outliers and missing values, text and category columns."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "income": rng.lognormal(3, 1, n),
            "age": rng.integers(18, 90, n).astype(float),
            "city": rng.choice(["Oslo", "Lima", "Pune"], n).astype(object),
            "plan": pd.Categorical(rng.choice(["basic", "pro"], n)),
        }
    )
    X.loc[rng.random(n) < 0.1, "age"] = np.nan
    X.loc[rng.random(n) < 0.05, "city"] = None
    signal = np.log(X["income"]) + (X["city"] == "Oslo") - (X["plan"] == "pro")
    return X, signal.to_numpy()


def _target(estimator, signal):
    if estimator is TabularNetClassifier:
        return np.where(signal > np.median(signal), "yes", "no")
    return 10 * signal + 100


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_a_raw_table_fits_and_predicts(estimator):
    X, signal = _table()
    y = _target(estimator, signal)
    model = estimator(**SMALL, random_state=0).fit(X, y)
    assert model.n_features_in_ == 4
    assert list(model.feature_names_in_) == list(X.columns)
    assert model.coefs_[0].shape[0] == len(model.preprocessor_.get_feature_names_out())
    assert model.coefs_[0].dtype == np.float32  # the default dtype
    assert model.score(X, y) > 0.8
    prediction = model.predict(X.iloc[:5])
    assert prediction.shape == (5,)
    with pytest.raises(ValueError, match="feature names"):
        model.predict(X[X.columns[::-1]])


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_the_defaults_are_the_recipe_and_the_densenets_keep_mlps(estimator):
    params = estimator().get_params()
    assert params["parametrization"] == "ntk"
    assert params["learning_rate"] == "coslog"
    assert not params["early_stopping"]  # every row trains; the last epoch
    assert params["n_iter_no_change"] >= params["max_iter"]  # the whole schedule
    # the piecewise-linear encoding helps regression, not classification
    regressor = estimator is TabularNetRegressor
    assert params["piecewise_linear_bins"] == (16 if regressor else 0)
    base = (
        DenseNetClassifier if estimator is TabularNetClassifier else DenseNetRegressor
    )
    assert set(base().get_params()) < set(params)
    assert base().get_params()["parametrization"] == "standard"
    assert not base().get_params()["input_scale"]


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_refit_warm_start_and_partial_fit_after_the_preprocessing(estimator):
    X, signal = _table()
    y = _target(estimator, signal)
    model = estimator(**SMALL, early_stopping=True, random_state=0).fit(X, y)
    preprocessor = model.preprocessor_
    first = model.predict(X)
    again = clone(model).fit(X, y)
    np.testing.assert_array_equal(again.predict(X), first)  # same seed, same model
    # partial_fit keeps the fitted preprocessing and trains one epoch, without
    # a validation split even though early_stopping=True
    model.partial_fit(X.iloc[:50], y[:50])
    assert model.preprocessor_ is preprocessor
    assert model.n_iter_ == 1
    model.set_params(warm_start=True).fit(X.iloc[100:], y[100:])
    assert model.preprocessor_ is preprocessor
    assert model.early_stopping  # partial_fit left the parameter as it was
    # a fresh fit refits the preprocessing
    refit = model.set_params(warm_start=False).fit(X.iloc[100:], y[100:])
    assert refit.preprocessor_ is not preprocessor


@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize(
    "change",
    [
        dict(piecewise_linear_bins=4),
        dict(numeric_scaling="standard"),
        dict(categorical_features=["city", "plan"]),
        dict(dtype="float64"),
    ],
)
def test_a_continued_fit_refuses_other_preprocessing(estimator, change, unchanged_by):
    X, signal = _table()
    y = _target(estimator, signal)
    model = estimator(**SMALL, piecewise_linear_bins=8, random_state=0).fit(X, y)
    assert model.coefs_[0].shape[0] == len(model.preprocessor_.get_feature_names_out())
    assert model.preprocessor_.piecewise_linear_bins == 8
    model.set_params(warm_start=True, **change)
    name = next(iter(change))
    match = f"Cannot continue training .*{name}="
    unchanged_by(model, lambda m: m.fit(X, y), match=match)
    unchanged_by(model, lambda m: m.partial_fit(X, y), match=match)
    model.set_params(warm_start=False).fit(X, y)  # a fresh fit takes it
    assert model.preprocessor_.get_params()[name] == (
        np.float64 if name == "dtype" else change[name]
    )


def test_partial_fit_from_scratch_fits_the_preprocessing_on_the_first_block():
    X, signal = _table()
    y = _target(TabularNetClassifier, signal)
    model = TabularNetClassifier(**SMALL, random_state=0)
    model.partial_fit(X.iloc[:120], y[:120], classes=["no", "yes"])
    median = model.preprocessor_.median_.copy()
    model.partial_fit(X.iloc[120:], y[120:])
    np.testing.assert_array_equal(model.preprocessor_.median_, median)


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_a_validation_set_of_raw_rows(estimator):
    X, signal = _table()
    y = _target(estimator, signal)
    model = estimator(**SMALL, early_stopping=True, random_state=0)
    model.fit(X.iloc[:180], y[:180], X_val=X.iloc[180:], y_val=y[180:])
    assert len(model.validation_scores_) == model.n_iter_
    assert model.best_validation_score_ == max(model.validation_scores_)


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_pipeline_grid_search_over_alpha_and_keep_prob(estimator):
    X, signal = _table()
    y = _target(estimator, signal)
    pipe = make_pipeline(FunctionTransformer(), estimator(**SMALL, random_state=0))
    grid = GridSearchCV(
        pipe,
        {
            f"{estimator.__name__.lower()}__alpha": [0.0, 1e-3],
            f"{estimator.__name__.lower()}__keep_prob": [1.0, 0.8],
        },
        cv=2,
    ).fit(X, y)
    assert len(grid.cv_results_["params"]) == 4
    assert grid.predict(X).shape == (len(X),)


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_joblib_and_skops_round_trips(estimator):
    X, signal = _table()
    y = _target(estimator, signal)
    model = estimator(**SMALL, keep_prob=0.9, input_scale=True, random_state=0)
    model.fit(X, y)
    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    buffer.seek(0)
    loaded = joblib.load(buffer)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    blob = sio.dumps(model)
    assert set(sio.get_untrusted_types(data=blob)) <= set(SKOPS_TRUSTED_TYPES)
    loaded = sio.loads(blob, trusted=SKOPS_TRUSTED_TYPES)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    loaded.partial_fit(X, y)  # trains on after loading


def test_monte_carlo_dropout_and_the_gaussian_in_ys_units():
    X, signal = _table()
    y = _target(TabularNetRegressor, signal)
    params = dict(SMALL, random_state=0, dtype="float64")
    dropout = TabularNetRegressor(**params, keep_prob=0.8).fit(X, y)
    mean, std = dropout.predict(X, return_std=True)
    assert (std > 0).all() and std.mean() < 0.5 * y.std()
    # the passes are in y's units: sample_y's are predict's, bit for bit
    draws = dropout.sample_y(X)
    np.testing.assert_allclose(draws.mean(-1), mean, rtol=1e-12)
    np.testing.assert_allclose(draws.std(-1), std, rtol=1e-12)
    gaussian = TabularNetRegressor(**params, loss="gaussian_nll").fit(X, y)
    mean, std = gaussian.predict(X, return_std=True)
    assert abs(np.mean(mean) - np.mean(y)) < 0.3 * y.std()
    assert 0.05 * y.std() < np.median(std) < y.std()


@pytest.mark.parametrize("loss", ["squared_error", "quantile", "gaussian_nll"])
def test_the_regressor_is_equivariant_under_an_affine_map_of_y(loss):
    """Trained on standardised targets: ``a * y + b`` gives ``a * f + b``."""
    X, signal = _table()
    y = _target(TabularNetRegressor, signal)
    params = dict(SMALL, random_state=0, dtype="float64", loss=loss)
    if loss == "quantile":
        params["quantile"] = 0.8
    plain = TabularNetRegressor(**params).fit(X, y)
    moved = TabularNetRegressor(**params).fit(X, 1e4 * y - 3e5)
    np.testing.assert_allclose(
        moved.predict(X), 1e4 * plain.predict(X) - 3e5, rtol=1e-9, atol=1e-4
    )


def test_poisson_trains_on_y_as_it_is():
    X, signal = _table()
    y = np.exp(signal - signal.mean())
    model = TabularNetRegressor(**SMALL, loss="poisson", random_state=0).fit(X, y)
    assert not hasattr(model, "target_mean_")
    assert (model.predict(X) > 0).all()


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_bad_tables_are_refused_and_the_model_is_left_as_it_was(
    estimator, unchanged_by
):
    X, signal = _table()
    y = _target(estimator, signal)
    model = estimator(**SMALL, random_state=0).fit(X, y)
    bad = X.copy()
    bad.loc[3, "income"] = np.inf
    unchanged_by(model, lambda m: m.fit(bad, y), match="infinite")
    unchanged_by(
        model, lambda m: m.fit(X, y[:-1]), match="inconsistent numbers of samples"
    )
    with pytest.raises(ValueError, match="not a column"):
        estimator(categorical_features=["nope"]).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an unseen category is no error
        other = X.iloc[:3].copy()
        other["city"] = ["Rome", None, "Oslo"]
        model.predict(other)


@pytest.mark.parametrize("dtype", ["float16", "int", "nope"])
def test_a_dtype_other_than_float32_or_float64_is_refused(dtype):
    X, signal = _table()
    with pytest.raises(ValueError, match="dtype must be 'float32' or 'float64'"):
        TabularNetClassifier(dtype=dtype).fit(X, signal > 0)
