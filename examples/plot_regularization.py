"""
=================================================
Regularisation and dropout against overfitting
=================================================

A large network (two hidden layers of 128 units) trained long on 100 noisy
points of the two-moons problem learns the noise: it classifies every
training point correctly, and its decision boundary is full of islands that
do not carry over to new data.

An L2 penalty (``alpha``) and dropout (``keep_prob``) are the two classic
defences. Each one smooths the boundary and narrows the gap between the
training and the test accuracy. Srivastava et al. (2014) pair dropout with a
max-norm constraint (``max_norm``): every hidden unit's incoming weights are
kept within a ball of radius 3, so that dropout's noisy steps cannot make
them grow without bound.
"""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_moons
from sklearn.exceptions import ConvergenceWarning

from skdense import DenseNetClassifier

# Every network trains for exactly 1000 epochs (tol=0), on purpose.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

X, y = make_moons(n_samples=1100, noise=0.3, random_state=0)
X_train, y_train, X_test, y_test = X[:100], y[:100], X[100:], y[100:]

models = {
    "no regularisation": dict(penalty=None),
    "L2, alpha=1": dict(penalty="l2", alpha=1.0),
    "dropout, keep_prob=0.3": dict(penalty=None, keep_prob=0.3),
    "L2 and dropout": dict(penalty="l2", alpha=1.0, keep_prob=0.3),
    "dropout and max-norm 3": dict(penalty=None, keep_prob=0.3, max_norm=3.0),
}

# %%
# Train the five networks and draw their decision boundaries
# -----------------------------------------------------------

grid_x, grid_y = np.meshgrid(np.linspace(-2, 3, 300), np.linspace(-1.5, 2, 300))
grid = np.column_stack([grid_x.ravel(), grid_y.ravel()])

fig, axes = plt.subplots(2, 3, figsize=(14, 8), sharex=True, sharey=True)
axes.ravel()[-1].set_axis_off()
for ax, (name, params) in zip(axes.ravel(), models.items()):
    model = DenseNetClassifier(
        (128, 128),
        max_iter=1000,
        learning_rate_init=0.01,
        tol=0,
        n_iter_no_change=1000,
        random_state=0,
        **params,
    ).fit(X_train, y_train)
    proba = model.predict_proba(grid)[:, 1].reshape(grid_x.shape)
    ax.contourf(grid_x, grid_y, proba, levels=20, cmap="RdBu", alpha=0.7)
    ax.contour(grid_x, grid_y, proba, levels=[0.5], colors="k", linewidths=1)
    ax.scatter(*X_train.T, c=y_train, cmap="RdBu", edgecolors="k", s=25)
    train, test = model.score(X_train, y_train), model.score(X_test, y_test)
    ax.set_title(f"{name}\ntrain {train:.2f}, test {test:.2f}")
    print(f"{name:<24} train accuracy {train:.3f}   test accuracy {test:.3f}")

fig.suptitle("A 128 x 128 network on 100 noisy points")
fig.tight_layout()

if __name__ == "__main__":
    fig.savefig("regularization.png", dpi=100)
    print("Figure saved to regularization.png")
