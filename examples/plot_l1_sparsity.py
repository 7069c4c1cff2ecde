"""
===========================================
L1 sparsity: exact zeros and what they cost
===========================================

With ``penalty='l1'`` the stochastic solvers take a proximal step that sets
small weights to exactly zero. The stronger ``alpha``, the more zeros, until
accuracy starts to drop. The first-layer weights of a digits model, drawn as
8x8 images, show what survives: L2 spreads small weights everywhere, L1 keeps
a few pixels per unit.
"""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skdense import DenseNetClassifier

warnings.filterwarnings("ignore", category=ConvergenceWarning)

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X / 16.0, y, random_state=0)


def fit(**params):
    return DenseNetClassifier(
        (32,), max_iter=60, learning_rate_init=0.01, random_state=0, **params
    ).fit(X_train, y_train)


# %%
# Zeros and accuracy against alpha
# --------------------------------
alphas = [0.001, 0.01, 0.1, 0.3, 1.0, 3.0]
models = [fit(penalty="l1", alpha=alpha) for alpha in alphas]
zeros = [np.mean(m.coefs_[0] == 0.0) for m in models]
accuracy = [m.score(X_test, y_test) for m in models]

fig, ax = plt.subplots(figsize=(6, 4))
ax.semilogx(alphas, zeros, "o-", label="exactly-zero first-layer weights")
ax.semilogx(alphas, accuracy, "s-", label="test accuracy")
ax.set_xlabel("alpha (penalty='l1')")
ax.set_ylim(0, 1.05)
ax.legend()
plt.show()

# %%
# First-layer weights: L2 against L1
# ----------------------------------
l2, l1 = fit(penalty="l2", alpha=0.01), fit(penalty="l1", alpha=0.3)
fig, axes = plt.subplots(2, 8, figsize=(12, 3.5))
for row, (name, model) in enumerate([("L2", l2), ("L1", l1)]):
    weights = model.coefs_[0]
    scale = np.abs(weights).max()
    for col, ax in enumerate(axes[row]):
        ax.imshow(weights[:, col].reshape(8, 8), cmap="RdBu", vmin=-scale, vmax=scale)
        ax.set_xticks([])
        ax.set_yticks([])
    axes[row, 0].set_ylabel(name)
fig.suptitle("First-layer weights of 8 hidden units (white: exactly zero for L1)")
plt.show()
