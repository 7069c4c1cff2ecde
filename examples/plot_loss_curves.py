"""
=====================================
Loss curves for several keep_prob
=====================================

Dropout makes training noisier and slower to fit the training set, and it
delays the moment the validation score stops improving.
:class:`~skdense.LossCurveDisplay` draws ``loss_curve_`` and, with early
stopping, ``validation_scores_`` on a second axis.
"""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning

from skdense import DenseNetClassifier, LossCurveDisplay

warnings.filterwarnings("ignore", category=ConvergenceWarning)

X, y = load_digits(return_X_y=True)
X = X / 16.0

fig, axes = plt.subplots(1, 3, figsize=(14, 4), sharey=True)
for ax, keep_prob in zip(axes, [1.0, 0.7, 0.4]):
    model = DenseNetClassifier(
        (128,),
        keep_prob=keep_prob,
        early_stopping=True,
        n_iter_no_change=15,
        max_iter=80,
        random_state=0,
    ).fit(X, y)
    display = LossCurveDisplay.from_estimator(
        model, ax=ax, name=f"keep_prob={keep_prob}"
    )
    display.ax_validation_.set_ylim(0.85, 1.0)
    ax.set_title(
        f"keep_prob={keep_prob}: {model.n_iter_} epochs, "
        f"best val. {model.best_validation_score_:.3f}"
    )
fig.tight_layout()
plt.show()
