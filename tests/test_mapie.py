"""Conformal intervals through MAPIE's own classes, on skdense's std.

MAPIE (scikit-learn-contrib) calibrates intervals on held-out residuals,
divided by ``predict(X, return_std=True)`` with ``StdConformityScore``. The
guarantee: on exchangeable data, a split-conformal interval at level
``1 - alpha`` covers a new point with probability at least ``1 - alpha`` and,
for continuous scores, below ``1 - alpha + 1 / (n_conformalize + 1)``.
"""

import itertools
import warnings

import numpy as np
import pytest
from mapie.conformity_scores import AbsoluteConformityScore, StdConformityScore
from mapie.regression import CrossConformalRegressor, SplitConformalRegressor
from sklearn.exceptions import ConvergenceWarning

from skdense import DenseNetRegressor

N_TRAIN, N_CONFORMALIZE, N_TEST, N_SPLITS = 1000, 1000, 2000, 4
CONFIDENCE = 0.9
SCORES = {"absolute": AbsoluteConformityScore, "std": StdConformityScore}
MODELS = {
    "mc_dropout": dict(keep_prob=0.8, mc_samples=30),
    "gaussian_nll": dict(loss="gaussian_nll"),
    "gaussian_nll_dropout": dict(loss="gaussian_nll", keep_prob=0.9, mc_samples=30),
}


def _data(n, seed):
    """Noise that grows with |x|: a constant-width interval is wrong here."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-3, 3, size=(n, 2))
    y = 3 * np.sin(X[:, 0]) + (0.2 + 0.6 * np.abs(X[:, 0])) * rng.normal(size=n)
    return X, y


def _regressor(**params):
    defaults = dict(hidden_layer_sizes=(32, 32), learning_rate_init=0.01, max_iter=60)
    return DenseNetRegressor(**{**defaults, **params})


def _widths(intervals):
    return intervals[:, 1, 0] - intervals[:, 0, 0]


def _coverage(intervals, y):
    low, high = intervals[:, 0, 0], intervals[:, 1, 0]
    return np.mean((low <= y) & (y <= high)), np.mean(_widths(intervals))


def _slack():
    """Four standard errors of the coverage averaged over the splits."""
    variance = CONFIDENCE * (1 - CONFIDENCE) * (1 / N_CONFORMALIZE + 1 / N_TEST)
    return 4 * np.sqrt(variance / N_SPLITS)


@pytest.fixture(scope="module")
def splits():
    """Independent (train, conformalize, test) draws."""
    result = []
    for seed in range(N_SPLITS):
        X, y = _data(N_TRAIN + N_CONFORMALIZE + N_TEST, seed)
        bounds = np.cumsum([0, N_TRAIN, N_CONFORMALIZE, N_TEST])
        result.append([(X[a:b], y[a:b]) for a, b in itertools.pairwise(bounds)])
    return result


@pytest.fixture(scope="module")
def split(splits):
    return splits[0]


@pytest.mark.parametrize("score", sorted(SCORES))
@pytest.mark.parametrize("model", sorted(MODELS))
def test_split_conformal_coverage_reaches_the_nominal_level(splits, model, score):
    coverages, width_ratios = [], []
    for (X_train, y_train), (X_conf, y_conf), (X_test, y_test) in splits:
        # random_state=None: the passes are drawn at fit and fixed from then
        # on, so calibration and prediction see the same model.
        regressor = _regressor(random_state=None, **MODELS[model])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            mapie = SplitConformalRegressor(
                regressor,
                confidence_level=CONFIDENCE,
                conformity_score=SCORES[score](),
                prefit=False,
            ).fit(X_train, y_train)
        mapie.conformalize(X_conf, y_conf)
        points, intervals = mapie.predict_interval(X_test)
        coverages.append(_coverage(intervals, y_test)[0])
        # The std score centres on the mean that comes with the std (the
        # Monte-Carlo mean under dropout); the absolute score on predict.
        fitted = mapie._mapie_regressor.estimator_.single_estimator_
        expected = fitted.predict(X_test, return_std=score == "std")
        np.testing.assert_allclose(points, expected[0] if score == "std" else expected)
        width_ratios.append(_low_to_high_noise_width_ratio(intervals, X_test))
    upper = CONFIDENCE + 1 / (N_CONFORMALIZE + 1)
    assert CONFIDENCE - _slack() <= np.mean(coverages) <= upper + _slack()
    if score == "std" and "gaussian" in model:
        # The learnt noise makes it adaptive: narrower where the noise is
        # small. The noise's own ratio is about 0.36; measured over 8 seeds,
        # 0.37-0.40 without dropout and 0.49-0.55 with it, against 0.83-1.07
        # for dropout's spread alone and exactly 1 for the absolute score.
        assert np.mean(width_ratios) < 0.7


def _low_to_high_noise_width_ratio(intervals, X):
    """Mean width where |x| < 1 over mean width elsewhere."""
    widths = _widths(intervals)
    low_noise = np.abs(X[:, 0]) < 1
    return widths[low_noise].mean() / widths[~low_noise].mean()


def test_std_normalised_intervals_are_narrower_than_absolute_ones(split):
    (X_train, y_train), (X_conf, y_conf), (X_test, y_test) = split
    regressor = _regressor(random_state=0, loss="gaussian_nll").fit(X_train, y_train)
    widths = {}
    for score, make in SCORES.items():
        mapie = SplitConformalRegressor(
            regressor, confidence_level=CONFIDENCE, conformity_score=make()
        ).conformalize(X_conf, y_conf)
        widths[score] = _coverage(mapie.predict_interval(X_test)[1], y_test)[1]
    assert widths["std"] < widths["absolute"]


@pytest.mark.parametrize("model", ["mc_dropout", "gaussian_nll"])
def test_cross_conformal_plus_coverage(split, model):
    (X_train, y_train), _, (X_test, y_test) = split
    regressor = _regressor(random_state=0, max_iter=40, **MODELS[model])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mapie = CrossConformalRegressor(
            regressor,
            confidence_level=CONFIDENCE,
            conformity_score=StdConformityScore(),
            method="plus",
            cv=3,
        ).fit_conformalize(X_train, y_train)
    coverage, _ = _coverage(mapie.predict_interval(X_test)[1], y_test)
    # CV+ guarantees 1 - 2 alpha in the worst case; in practice about 1 - alpha.
    assert coverage >= 1 - 2 * (1 - CONFIDENCE)
    assert coverage >= CONFIDENCE - 4 * np.sqrt(0.09 * (1 / N_TRAIN + 1 / N_TEST))


def test_monte_carlo_std_is_the_same_at_calibration_and_prediction(split):
    (X_train, y_train), (X_conf, _), _ = split
    regressor = _regressor(random_state=None, **MODELS["mc_dropout"])
    regressor.fit(X_train, y_train)
    first = regressor.predict(X_conf, return_std=True)[1]
    again = regressor.predict(X_conf, return_std=True)[1]
    np.testing.assert_array_equal(first, again)
    # A row's std does not depend on the rows predicted with it.
    np.testing.assert_array_equal(
        regressor.predict(X_conf[7:9], return_std=True)[1], first[7:9]
    )
