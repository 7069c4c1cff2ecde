"""DenseNetRegressor: MLPRegressor parity, inputs, persistence, MC dropout."""

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.datasets import make_blobs, make_regression
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.neural_network import MLPRegressor

from skdense import DenseNetClassifier, DenseNetRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _data(n_targets=1, seed=0):
    X, y = make_regression(
        n_samples=150, n_features=6, n_targets=n_targets, noise=5.0, random_state=seed
    )
    return X, y / 50.0


def _small(**params):
    defaults = dict(
        hidden_layer_sizes=(16,), max_iter=50, learning_rate_init=0.01, random_state=0
    )
    return DenseNetRegressor(**{**defaults, **params})


@pytest.mark.parametrize(
    "params",
    [
        dict(solver="adam"),
        dict(solver="sgd", learning_rate_init=0.01),
        dict(solver="lbfgs"),
        dict(solver="adam", early_stopping=True),
        dict(solver="adam", loss="poisson"),
    ],
)
@pytest.mark.parametrize("weighted", [False, True])
def test_default_penalty_trains_exactly_like_mlp_regressor(params, weighted):
    X, y = _data()
    if params.get("loss") == "poisson":
        y = np.abs(y)
    sample_weight = (
        np.random.RandomState(0).uniform(0.5, 2, len(y)) if weighted else None
    )
    common = dict(hidden_layer_sizes=(12, 6), max_iter=40, random_state=3, **params)
    ours = DenseNetRegressor(**common).fit(X, y, sample_weight=sample_weight)
    mlp = MLPRegressor(**common).fit(X, y, sample_weight=sample_weight)
    assert ours.n_iter_ == mlp.n_iter_
    assert ours.loss_ == pytest.approx(mlp.loss_, rel=1e-8)
    for mine, theirs in zip(ours.coefs_, mlp.coefs_):
        np.testing.assert_allclose(mine, theirs, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(ours.predict(X), mlp.predict(X), rtol=1e-8, atol=1e-10)


def test_multi_output_trains_like_mlp_and_reports_the_summed_loss():
    X, Y = _data(n_targets=3)
    common = dict(hidden_layer_sizes=(8,), alpha=0.0, max_iter=20, random_state=0)
    ours = DenseNetRegressor(**common).fit(X, Y)
    mlp = MLPRegressor(**common).fit(X, Y)
    np.testing.assert_allclose(ours.coefs_[0], mlp.coefs_[0], rtol=1e-8)
    assert ours.predict(X).shape == (len(X), 3)
    # MLPRegressor minimises the squared error summed over the outputs but
    # reports its mean over them; we report what is minimised.
    assert ours.loss_ == pytest.approx(3 * mlp.loss_, rel=1e-8)


def test_poisson_requires_non_negative_targets():
    X, y = _data()
    with pytest.raises(ValueError, match="loss='poisson' needs targets y >= 0"):
        _small(loss="poisson").fit(X, y)


@pytest.mark.parametrize("container", [sp.csr_matrix, sp.csc_matrix])
def test_sparse_input_trains_like_dense(container):
    X, y = _data()
    X[np.abs(X) < 0.8] = 0.0
    dense = _small(keep_prob=0.8).fit(X, y)
    sparse = _small(keep_prob=0.8).fit(container(X), y)
    np.testing.assert_allclose(sparse.coefs_[0], dense.coefs_[0], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(
        sparse.predict(container(X)), dense.predict(X), rtol=1e-9
    )


def test_float32_is_kept_float32():
    X, y = _data()
    model = _small(keep_prob=0.8).fit(X.astype(np.float32), y)
    assert all(c.dtype == np.float32 for c in model.coefs_ + model.intercepts_)
    assert model.predict(X.astype(np.float32)).dtype == np.float32
    mean, std = model.predict(X.astype(np.float32), return_std=True)
    assert mean.dtype == std.dtype == np.float32


def test_pandas_input_keeps_feature_names():
    pd = pytest.importorskip("pandas")
    X, y = _data()
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    model = _small().fit(frame, pd.Series(y))
    np.testing.assert_array_equal(model.feature_names_in_, frame.columns)
    np.testing.assert_allclose(model.predict(frame), _small().fit(X, y).predict(X))


def test_joblib_round_trip_then_partial_fit(tmp_path):
    X, y = _data()
    model = _small(keep_prob=0.8).fit(X, y)
    joblib.dump(model, tmp_path / "model.joblib")
    loaded = joblib.load(tmp_path / "model.joblib")
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    np.testing.assert_array_equal(
        loaded.predict(X, return_std=True)[1], model.predict(X, return_std=True)[1]
    )
    model.partial_fit(X, y)
    loaded.partial_fit(X, y)
    np.testing.assert_array_equal(loaded.coefs_[0], model.coefs_[0])


def test_grid_search_over_alpha_and_keep_prob():
    X, y = _data()
    search = GridSearchCV(
        _small(max_iter=30),
        {"alpha": [1e-4, 1.0], "keep_prob": [1.0, 0.8]},
        cv=3,
        n_jobs=2,
        error_score="raise",
    ).fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    best = _small(max_iter=30).set_params(**search.best_params_)
    assert search.best_score_ == cross_val_score(best, X, y, cv=3).mean()
    assert search.best_score_ == search.cv_results_["mean_test_score"].max()


def test_partial_fit():
    X, y = _data()
    model = _small()
    for _ in range(3):
        model.partial_fit(X, y)
    assert model.t_ == 3 * len(X) and len(model.loss_curve_) == 3
    assert model.loss_curve_[-1] < model.loss_curve_[0]


# ------------------------------------------------------------ Monte-Carlo dropout


@pytest.fixture(scope="module")
def sine_model():
    rng = np.random.RandomState(0)
    X = rng.uniform(-3, 3, size=(300, 1))
    y = np.sin(X).ravel() + 0.1 * rng.normal(size=300)
    model = DenseNetRegressor(
        hidden_layer_sizes=(64, 64),
        keep_prob=0.8,
        learning_rate_init=0.01,
        max_iter=300,
        random_state=0,
    )
    return model.fit(X, y)


def test_mc_std_grows_far_from_the_data(sine_model):
    inside = np.linspace(-1, 1, 50)[:, None]
    far = np.linspace(6, 8, 50)[:, None]
    _, std_inside = sine_model.predict(inside, return_std=True)
    _, std_far = sine_model.predict(far, return_std=True)
    assert std_far.mean() > 2 * std_inside.mean()
    assert (std_inside > 0).all()


def test_mc_mean_stays_close_to_the_deterministic_prediction(sine_model):
    inside = np.linspace(-1, 1, 50)[:, None]
    mean, _ = sine_model.predict(inside, return_std=True)
    assert np.abs(mean - sine_model.predict(inside)).max() < 0.1
    assert np.abs(mean - np.sin(inside).ravel()).max() < 0.2


def test_mc_is_reproducible_and_leaves_random_states_alone(sine_model):
    X = np.linspace(-3, 3, 20)[:, None]
    first = sine_model.predict(X, return_std=True)
    second = sine_model.predict(X, return_std=True)
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    state = np.random.RandomState(5)
    model = _small(keep_prob=0.5, random_state=state)
    model.fit(X, np.sin(X).ravel())
    before = state.get_state()[1].copy()
    model.predict(X, return_std=True)
    np.testing.assert_array_equal(state.get_state()[1], before)


def test_mc_needs_dropout():
    X, y = _data()
    model = _small().fit(X, y)
    with pytest.raises(ValueError, match="needs a model trained with dropout"):
        model.predict(X, return_std=True)
    classifier = DenseNetClassifier((8,), max_iter=5).fit(X, y > 0)
    with pytest.raises(ValueError, match="keep_prob < 1"):
        classifier.predict_proba(X, return_std=True)


def test_classifier_mc_std_is_larger_between_and_away_from_the_blobs():
    X, y = make_blobs(
        n_samples=200, centers=[[-3, 0], [3, 0]], cluster_std=0.5, random_state=0
    )
    model = DenseNetClassifier(
        (64, 64), keep_prob=0.7, learning_rate_init=0.01, max_iter=200, random_state=0
    ).fit(X, y)
    centres = np.array([[-3.0, 0.0], [3.0, 0.0]])
    between = np.array([[0.0, 0.0], [0.0, 0.5]])
    away = np.array([[0.0, 5.0], [-1.0, 4.0]])
    mean, std_centres = model.predict_proba(centres, return_std=True)
    _, std_between = model.predict_proba(between, return_std=True)
    _, std_away = model.predict_proba(away, return_std=True)
    np.testing.assert_allclose(mean.sum(axis=1), 1)
    assert std_between.mean() > std_centres.mean() + 0.05
    assert std_away.mean() > std_centres.mean() + 0.05


@pytest.fixture(scope="module")
def two_targets():
    X, y = _data(n_targets=2)
    model = _small(keep_prob=0.7, input_keep_prob=0.8, mc_samples=40, random_state=3)
    return model.fit(X, y), X


def test_sample_y_shapes_follow_gaussian_process_regressor(sine_model, two_targets):
    X = np.linspace(-3, 3, 7)[:, None]
    assert sine_model.sample_y(X).shape == (7, sine_model.mc_samples)
    assert sine_model.sample_y(X, n_samples=3).shape == (7, 3)
    model, X2 = two_targets
    assert model.sample_y(X2[:5]).shape == (5, 2, 40)


def test_sample_y_agrees_bit_for_bit_with_return_std(sine_model, two_targets):
    for model, X in [(sine_model, np.linspace(-4, 4, 33)[:, None]), two_targets]:
        samples = model.sample_y(X)
        mean, std = model.predict(X, return_std=True)
        np.testing.assert_array_equal(samples.mean(axis=-1), mean)
        np.testing.assert_array_equal(samples.std(axis=-1), std)


def test_sample_y_depends_on_each_row_alone(two_targets):
    model, X = two_targets
    samples = model.sample_y(X, random_state=7)
    for start, stop in [(0, 1), (4, 9), (30, 150)]:
        np.testing.assert_array_equal(
            model.sample_y(X[start:stop], random_state=7), samples[start:stop]
        )


def test_sample_y_random_state(two_targets):
    model, X = two_targets
    default = model.sample_y(X[:10])
    np.testing.assert_array_equal(
        model.sample_y(X[:10], random_state=4), model.sample_y(X[:10], random_state=4)
    )
    assert not np.array_equal(model.sample_y(X[:10], random_state=4), default)
    # An int seed gives the masks an estimator with that random_state uses.
    np.testing.assert_array_equal(
        model.sample_y(X[:10], random_state=model.random_state), default
    )
    state = np.random.RandomState(0)
    first = model.sample_y(X[:10], random_state=state)
    assert not np.array_equal(model.sample_y(X[:10], random_state=state), first)


def test_sample_y_errors(two_targets):
    X, y = _data()
    plain = _small().fit(X, y)
    with pytest.raises(ValueError, match="needs a model trained with dropout"):
        plain.sample_y(X)
    model, X2 = two_targets
    with pytest.raises(ValueError, match="n_samples must be an int"):
        model.sample_y(X2, n_samples=0)
    with pytest.raises(ValueError, match="random_state"):
        model.sample_y(X2, random_state=-3)
    with pytest.raises(NotFittedError):
        _small(keep_prob=0.5).sample_y(X2)


def test_input_dropout_alone_gives_monte_carlo_uncertainty():
    X, y = _data()
    model = _small(input_keep_prob=0.7).fit(X, y)
    assert model._engine.solver.dropout.keep_probs == [1.0]
    mean, std = model.predict(X, return_std=True)
    assert (std > 0).all()
    plain = model.predict(X)  # every input, no mask
    assert np.abs(mean - plain).mean() < 0.1 * plain.std()
    np.testing.assert_array_equal(plain, model.predict(X))


def test_input_keep_prob_one_draws_no_mask_and_lower_changes_training():
    X, y = _data()
    plain = _small().fit(X, y)
    assert plain._engine.solver.dropout is None
    same = _small(input_keep_prob=1.0).fit(X, y)
    np.testing.assert_array_equal(same.coefs_[0], plain.coefs_[0])
    dropped = _small(input_keep_prob=0.8).fit(X, y)
    assert not np.allclose(dropped.coefs_[0], plain.coefs_[0])


def test_input_dropout_trains_sparse_input_like_dense():
    X, y = _data()
    X[X < 0] = 0
    dense = _small(input_keep_prob=0.7, max_iter=5).fit(X, y)
    sparse = _small(input_keep_prob=0.7, max_iter=5).fit(sp.csr_matrix(X), y)
    np.testing.assert_allclose(sparse.coefs_[0], dense.coefs_[0], rtol=1e-9, atol=1e-12)


def test_grid_search_over_input_keep_prob():
    X, y = _data()
    search = GridSearchCV(
        _small(max_iter=10), {"input_keep_prob": [1.0, 0.8]}, cv=2
    ).fit(X, y)
    assert search.best_params_["input_keep_prob"] in (1.0, 0.8)
    assert len(set(search.cv_results_["mean_test_score"])) == 2


# ------------------------------------------------- the data's noise, quantiles


def _heteroscedastic(n=1500, seed=0, n_targets=1):
    """Targets around sin(x) whose noise grows with |x| (0.1 to 1.6)."""
    rng = np.random.RandomState(seed)
    X = rng.uniform(-3, 3, size=(n, 2))
    noise = 0.1 + 0.5 * np.abs(X[:, :1])
    y = 5 + 20 * (np.sin(X[:, :1]) + noise * rng.normal(size=(n, n_targets)))
    return X, (y[:, 0] if n_targets == 1 else y), 20 * noise[:, 0]


def _gaussian(**params):
    """A gaussian_nll model (or, with ``loss``, another) for these problems."""
    defaults = dict(
        loss="gaussian_nll",
        hidden_layer_sizes=(32, 32),
        learning_rate_init=0.01,
        max_iter=150,
        random_state=0,
    )
    return DenseNetRegressor(**{**defaults, **params})


@pytest.fixture(scope="module")
def gaussian_models():
    X, y, true_std = _heteroscedastic()
    plain = _gaussian().fit(X, y)
    dropped = _gaussian(keep_prob=0.8, mc_samples=30).fit(X, y)
    return X, y, true_std, plain, dropped


def test_gaussian_nll_learns_each_rows_noise_in_ys_units(gaussian_models):
    X, y, true_std, plain, _ = gaussian_models
    mean, std = plain.predict(X, return_std=True)
    np.testing.assert_array_equal(mean, plain.predict(X))
    assert np.corrcoef(std, true_std)[0, 1] > 0.95
    assert np.median(std / true_std) == pytest.approx(1, abs=0.15)
    z = np.abs(y - mean) / std
    assert 0.93 < np.mean(z < 1.96) < 0.97  # a nominal 95 % interval
    np.testing.assert_allclose(plain.target_mean_, [y.mean()])
    np.testing.assert_allclose(plain.target_scale_, [y.std()])
    assert plain.n_outputs_ == 1 and plain.coefs_[-1].shape[1] == 2


def test_gaussian_nll_total_std_adds_the_passes_spread_to_the_noise(gaussian_models):
    X, _, _, _, dropped = gaussian_models
    rows = X[:50]
    mean, total = dropped.predict(rows, return_std=True)
    k = dropped.n_outputs_
    passes = dropped._mean_std(rows, dropped._activate, 2 * k)  # standardised
    scale, center = dropped.target_scale_, dropped.target_mean_
    noise_variance = passes[0][:, k:].ravel() * scale**2
    spread = passes[1][:, :k].ravel() * scale
    calibrated = dropped.std_scale_  # 1: no held-out data
    np.testing.assert_array_equal(calibrated, [1.0])
    np.testing.assert_allclose(total, np.sqrt(noise_variance + spread**2))
    np.testing.assert_allclose(mean, passes[0][:, :k].ravel() * scale + center)
    assert (total > np.sqrt(noise_variance)).all() and (spread > 0).all()


def test_gaussian_sample_y_draws_from_the_predictive_distribution(gaussian_models):
    X, _, _, plain, dropped = gaussian_models
    rows = X[:4]
    for model in (plain, dropped):
        assert model.sample_y(rows).shape == (4, model.mc_samples)
        samples = model.sample_y(rows, n_samples=20_000, random_state=3)
        assert samples.shape == (4, 20_000)
        many_passes = clone(model).set_params(mc_samples=20_000)
        many_passes.__dict__.update(
            {k: v for k, v in vars(model).items() if k.endswith("_") or k[0] == "_"}
        )
        mean, std = many_passes.predict(rows, return_std=True)
        np.testing.assert_allclose(samples.std(axis=-1), std, rtol=0.03)
        np.testing.assert_allclose(samples.mean(axis=-1), mean, atol=0.03 * std.max())
        np.testing.assert_array_equal(
            model.sample_y(rows, n_samples=5, random_state=3),
            model.sample_y(rows, n_samples=5, random_state=3),
        )


@pytest.mark.parametrize("refit", [False, True])
def test_gaussian_nll_with_several_targets_weights_penalties_and_early_stopping(
    refit,
):
    X, Y, _ = _heteroscedastic(n=600, n_targets=2)
    Y[:, 1] = Y[:, 1] / 1000 - 3  # another scale: standardised per target
    weights = np.random.RandomState(1).uniform(0.5, 2, len(X))
    params = dict(penalty="elasticnet", early_stopping=True, max_iter=60)
    model = _gaussian(**params)
    if refit:
        model.set_params(loss="squared_error").fit(X, Y[:, 0])
        model.set_params(loss="gaussian_nll")
    model.fit(X, Y, sample_weight=weights)
    fresh = _gaussian(**params).fit(X, Y, sample_weight=weights)
    for ours, theirs in zip(model.coefs_, fresh.coefs_):
        np.testing.assert_array_equal(ours, theirs)
    mean, std = model.predict(X, return_std=True)
    assert mean.shape == std.shape == (600, 2) and (std > 0).all()
    centred = Y - np.average(Y, axis=0, weights=weights)
    weighted_std = np.sqrt(np.average(centred**2, axis=0, weights=weights))
    np.testing.assert_allclose(model.target_scale_, weighted_std)
    # The default score of the Gaussian is its validation loss (HGB's rule).
    assert model.best_validation_score_ == -min(model.validation_loss_curve_)
    # R² of the mean in y's units (the noise caps it near 0.4 here): a score
    # in the standardised units against y would be far below 0.
    scored = _gaussian(**params, scoring="r2").fit(X, Y, sample_weight=weights)
    assert scored.best_validation_score_ == pytest.approx(scored.score(X, Y), abs=0.1)
    assert scored.best_validation_score_ > 0.3


def test_a_refit_with_another_loss_forgets_the_target_scaling(gaussian_models):
    X, y, _, _, _ = gaussian_models
    model = _gaussian(max_iter=5).fit(X, y)
    model.set_params(loss="squared_error").fit(X, y)
    assert not hasattr(model, "target_mean_")
    np.testing.assert_array_equal(
        model.predict(X),
        _gaussian(max_iter=5, loss="squared_error").fit(X, y).predict(X),
    )


def test_beta_nll_default_and_lbfgs():
    X, y, _ = _heteroscedastic(n=300)
    assert DenseNetRegressor().variance_power == 0.5
    with pytest.raises(ValueError, match="solver='lbfgs' needs variance_power=0"):
        _gaussian(solver="lbfgs").fit(X, y)
    model = _gaussian(solver="lbfgs", variance_power=0.0, max_iter=50).fit(X, y)
    assert np.isfinite(model.loss_) and model.predict(X).shape == (300,)


@pytest.mark.parametrize("variance_power", [0.0, 1.0])
def test_variance_power_changes_the_training_only_for_gaussian_nll(variance_power):
    X, y, _ = _heteroscedastic(n=300)
    base = _gaussian(max_iter=5).fit(X, y)
    other = _gaussian(max_iter=5, variance_power=variance_power).fit(X, y)
    assert not np.array_equal(base.coefs_[0], other.coefs_[0])
    squared = [
        _small(variance_power=power).fit(X, y).coefs_[0]
        for power in (0.5, variance_power)
    ]
    np.testing.assert_array_equal(*squared)


def test_two_quantile_models_bracket_the_data():
    X, y, _ = _heteroscedastic(n=2000)
    low, high = (
        _gaussian(loss="quantile", quantile=q, max_iter=200).fit(X, y)
        for q in (0.05, 0.95)
    )
    X_test, y_test, _ = _heteroscedastic(n=2000, seed=1)
    below, above = y_test < low.predict(X_test), y_test > high.predict(X_test)
    assert 0.02 < below.mean() < 0.09 and 0.02 < above.mean() < 0.09
    width = high.predict(X_test) - low.predict(X_test)
    assert np.corrcoef(width, np.abs(X_test[:, 0]))[0, 1] > 0.8  # heteroscedastic


def test_quantile_needs_its_quantile_and_a_fresh_fit_uses_a_new_one():
    X, y, _ = _heteroscedastic(n=300)
    with pytest.raises(ValueError, match="loss='quantile' needs the quantile"):
        DenseNetRegressor(loss="quantile").fit(X, y)
    model = _small(loss="quantile", quantile=0.2).fit(X, y)
    model.set_params(quantile=0.8).fit(X, y)
    fresh = _small(loss="quantile", quantile=0.8).fit(X, y)
    np.testing.assert_array_equal(model.predict(X), fresh.predict(X))


def test_monte_carlo_passes_are_fixed_at_fit_even_without_a_random_state():
    X, y, _ = _heteroscedastic(n=200)
    model = _small(keep_prob=0.7, random_state=None).fit(X, y)
    first = model.predict(X, return_std=True)
    second = model.predict(X, return_std=True)
    np.testing.assert_array_equal(first[1], second[1])
    np.testing.assert_array_equal(model.sample_y(X[:5]), model.sample_y(X[:5]))
    refitted = model.fit(X, y).predict(X, return_std=True)[1]
    assert not np.array_equal(refitted, first[1])  # a new fit, new passes
    classifier = DenseNetClassifier((8,), keep_prob=0.7, max_iter=5).fit(X, y > 5)
    np.testing.assert_array_equal(
        classifier.predict_proba(X, return_std=True)[1],
        classifier.predict_proba(X, return_std=True)[1],
    )


def _calibration_data(seed=0, n=600):
    rng = np.random.RandomState(seed)
    X = rng.uniform(-3, 3, size=(n, 2))
    y = 100 + 30 * (
        np.sin(X[:, 0]) + (0.2 + 0.2 * np.abs(X[:, 1])) * rng.normal(size=n)
    )
    return X, y


@pytest.mark.parametrize("keep_prob", [1.0, 0.8])
@pytest.mark.parametrize("weighted", [False, True])
def test_the_std_is_calibrated_by_maximum_likelihood_on_your_validation_set(
    keep_prob, weighted
):
    X, y = _calibration_data()
    X_val, y_val = _calibration_data(seed=1, n=200)
    weights = np.random.RandomState(2).uniform(0.2, 3, 200) if weighted else None
    model = _gaussian(keep_prob=keep_prob, mc_samples=20, early_stopping=True)
    model.fit(X, y, X_val=X_val, y_val=y_val, sample_weight_val=weights)
    mean, std = model.predict(X_val, return_std=True)
    z = (y_val - mean) / std
    # The calibrated intervals fit the held-out rows: mean z² is 1 exactly.
    assert np.average(z**2, weights=weights) == pytest.approx(1, rel=1e-9)
    assert model.std_scale_.shape == (1,) and model.std_scale_[0] != 1
    uncalibrated = clone(model).set_params(calibrate_std=False)
    uncalibrated.fit(X, y, X_val=X_val, y_val=y_val, sample_weight_val=weights)
    np.testing.assert_array_equal(uncalibrated.std_scale_, [1.0])
    _, raw_std = uncalibrated.predict(X_val, return_std=True)
    np.testing.assert_allclose(std, raw_std * model.std_scale_, rtol=1e-12)


def test_the_internal_split_calibrates_too_and_the_rest_leaves_it_at_one():
    X, y = _calibration_data()
    model = _gaussian(early_stopping=True, max_iter=60).fit(X, y)
    calibrated = model.std_scale_.copy()
    assert calibrated[0] != 1
    model.set_params(early_stopping=False).partial_fit(X, y)  # no held-out data
    np.testing.assert_array_equal(model.std_scale_, [1.0])
    model.fit(X, y)
    np.testing.assert_array_equal(model.std_scale_, [1.0])
    refit = model.set_params(early_stopping=True).fit(X, y)
    np.testing.assert_array_equal(refit.std_scale_, calibrated)
    assert not hasattr(
        model.set_params(loss="quantile", quantile=0.5).fit(X, y), "std_scale_"
    )


@pytest.mark.parametrize("keep_prob", [1.0, 0.8])
def test_sample_y_draws_with_the_calibrated_std(keep_prob):
    X, y = _calibration_data()
    model = _gaussian(keep_prob=keep_prob, mc_samples=20, early_stopping=True)
    model.fit(X, y)
    rows = X[:3]
    draws = model.sample_y(rows, n_samples=40_000, random_state=0)
    if keep_prob == 1.0:  # one Gaussian per row: its std exactly
        _, std = model.predict(rows, return_std=True)
        np.testing.assert_allclose(draws.std(axis=-1), std, rtol=0.02)
    unscaled = clone(model)
    unscaled.__dict__.update(
        {k: v for k, v in vars(model).items() if k.endswith("_") or k[0] == "_"}
    )
    unscaled.std_scale_ = np.ones(1)
    spread = model.sample_y(rows, n_samples=5, random_state=1) - unscaled.sample_y(
        rows, n_samples=5, random_state=1
    )
    assert np.abs(spread).max() > 0  # the noise part is scaled
