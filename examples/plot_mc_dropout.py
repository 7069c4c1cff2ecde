"""
==========================================
Monte-Carlo dropout: uncertainty in 1-D
==========================================

A network trained with dropout predicts many times with dropout left on; the
spread of those predictions is an estimate of its uncertainty (Gal and
Ghahramani, 2016). Far from the training data the passes disagree and the
band widens.
"""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from skdense import DenseNetRegressor

warnings.filterwarnings("ignore", category=ConvergenceWarning)

rng = np.random.RandomState(0)
X = rng.uniform(-3, 3, size=(300, 1))
y = np.sin(X).ravel() + 0.1 * rng.normal(size=300)

model = DenseNetRegressor(
    hidden_layer_sizes=(64, 64),
    keep_prob=0.8,
    learning_rate_init=0.01,
    max_iter=300,
    mc_samples=200,
    random_state=0,
).fit(X, y)

grid = np.linspace(-8, 8, 400)[:, None]
mean, std = model.predict(grid, return_std=True)

fig, ax = plt.subplots(figsize=(8, 4))
ax.fill_between(
    grid.ravel(),
    mean - 2 * std,
    mean + 2 * std,
    alpha=0.3,
    label="mean +/- 2 std (MC dropout)",
)
ax.plot(grid, mean, label="MC mean")
ax.plot(grid, model.predict(grid), "--", label="deterministic prediction")
ax.scatter(X, y, s=6, color="k", label="training data")
ax.axvspan(-3, 3, color="grey", alpha=0.1)
ax.set_ylim(-4, 4)
ax.legend(loc="upper left")
ax.set_title("Uncertainty grows away from the data (grey: where the data is)")
plt.show()
print(
    f"mean std inside the data: {std[np.abs(grid.ravel()) < 1].mean():.3f}, "
    f"far from it: {std[grid.ravel() > 6].mean():.3f}"
)
