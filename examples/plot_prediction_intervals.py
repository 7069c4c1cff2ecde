"""
====================
Prediction intervals
====================

One generated problem whose noise grows from left to right, and four ways to
put an interval around a :class:`~skdense.DenseNetRegressor`'s prediction:

1. **Monte-Carlo dropout alone**: ``predict(X, return_std=True)`` on a model
   trained with dropout. Its spread is the model's own uncertainty; the
   data's noise is not in it, so its intervals are far too narrow here.
2. **``loss='gaussian_nll'`` with dropout**: the network learns a mean and a
   variance per row; ``return_std=True`` gives the total standard deviation,
   the learnt noise plus dropout's spread.
3. **Two quantile models** (``loss='quantile'``) per level, at ``alpha / 2``
   and ``1 - alpha / 2``: no distribution assumed, one model per bound.
4. **MAPIE's split conformal** with the std-normalised score
   (``StdConformityScore``) on the ``gaussian_nll`` model: the residuals of a
   held-out conformalization set, divided by the model's std, set the width,
   which gives the coverage guarantee of conformal prediction (needs
   ``pip install "skdense[mapie]"``).

Each band is ``mean +- z * std`` (``z`` of the normal distribution) for the
first two. The table gives the coverage observed on 4,000 new points and the
mean width, at 80 % and 95 %. Nothing is tuned.
"""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import warnings

import matplotlib.pyplot as plt
import numpy as np
from mapie.conformity_scores import StdConformityScore
from mapie.regression import SplitConformalRegressor
from scipy.stats import norm
from sklearn.exceptions import ConvergenceWarning

from skdense import DenseNetRegressor

warnings.filterwarnings("ignore", category=ConvergenceWarning)
LEVELS = [0.8, 0.95]


def make_data(n, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 10, n)
    noise = 0.1 + 0.15 * x  # from 0.1 on the left to 1.6 on the right
    y = np.sin(x) * 3 + noise * rng.normal(size=n)
    return x[:, None], y


X_train, y_train = make_data(1500, seed=0)
X_conf, y_conf = make_data(500, seed=1)
X_test, y_test = make_data(4000, seed=2)
grid = np.linspace(0, 10, 400)[:, None]

common = dict(
    hidden_layer_sizes=(64, 64),
    learning_rate_init=0.005,
    max_iter=300,
    random_state=0,
)
mc_dropout = DenseNetRegressor(keep_prob=0.9, **common).fit(X_train, y_train)
gaussian = DenseNetRegressor(loss="gaussian_nll", keep_prob=0.95, **common)
gaussian.fit(X_train, y_train)
quantile_models = {
    q: DenseNetRegressor(loss="quantile", quantile=q, **common).fit(X_train, y_train)
    for level in LEVELS
    for q in ((1 - level) / 2, (1 + level) / 2)
}
conformal = SplitConformalRegressor(
    gaussian, confidence_level=LEVELS, conformity_score=StdConformityScore()
).conformalize(X_conf, y_conf)


def normal_band(model, X, level):
    mean, std = model.predict(X, return_std=True)
    half = norm.ppf((1 + level) / 2) * std
    return mean - half, mean + half


def quantile_band(X, level):
    low, high = (1 - level) / 2, (1 + level) / 2
    return quantile_models[low].predict(X), quantile_models[high].predict(X)


def conformal_band(X, level):
    intervals = conformal.predict_interval(X)[1]
    column = LEVELS.index(level)
    return intervals[:, 0, column], intervals[:, 1, column]


METHODS = {
    "MC dropout alone": lambda X, level: normal_band(mc_dropout, X, level),
    "gaussian_nll + dropout": lambda X, level: normal_band(gaussian, X, level),
    "two quantile models": quantile_band,
    "MAPIE, std-normalised": conformal_band,
}

print(
    f"{'method':<26}"
    + "".join(f"{f'{level:.0%} cov.':>11}{'width':>8}" for level in LEVELS)
)
for name, band in METHODS.items():
    row = f"{name:<26}"
    for level in LEVELS:
        low, high = band(X_test, level)
        coverage = np.mean((low <= y_test) & (y_test <= high))
        row += f"{coverage:>11.3f}{np.mean(high - low):>8.2f}"
    print(row)

fig, axes = plt.subplots(2, 2, figsize=(12, 8), sharex=True, sharey=True)
for ax, (name, band) in zip(axes.ravel(), METHODS.items()):
    ax.scatter(X_test[:800, 0], y_test[:800], s=4, color="0.6", label="new data")
    for level, alpha in zip(LEVELS, (0.45, 0.2)):
        low, high = band(grid, level)
        ax.fill_between(
            grid[:, 0], low, high, alpha=alpha, color="C0", label=f"{level:.0%}"
        )
    ax.plot(grid[:, 0], 3 * np.sin(grid[:, 0]), color="k", lw=1, label="true mean")
    ax.set_title(name)
axes[0, 0].legend(loc="upper left", fontsize="small")
fig.tight_layout()
plt.show()
