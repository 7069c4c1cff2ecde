"""
===================================================
Grid search over alpha and keep_prob on the digits
===================================================

``alpha`` (the L2 penalty) and ``keep_prob`` (dropout) both fight overfitting;
which mix works best is a question for cross-validation. A
:class:`~sklearn.model_selection.GridSearchCV` over both draws the landscape.
"""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV

from skdense import DenseNetClassifier

warnings.filterwarnings("ignore", category=ConvergenceWarning)

X, y = load_digits(return_X_y=True)
X, y = X[:600] / 16.0, y[:600]

alphas = [1e-4, 1e-2, 1.0, 10.0]
keep_probs = [1.0, 0.8, 0.5, 0.3]
search = GridSearchCV(
    DenseNetClassifier((64,), max_iter=40, learning_rate_init=0.01, random_state=0),
    {"alpha": alphas, "keep_prob": keep_probs},
    cv=3,
    n_jobs=2,
)
search.fit(X, y)
print("best:", search.best_params_, f"score {search.best_score_:.3f}")

# %%
# The cross-validated accuracy of every pair
# ------------------------------------------
scores = search.cv_results_["mean_test_score"].reshape(len(alphas), len(keep_probs))
fig, ax = plt.subplots(figsize=(6, 5))
image = ax.imshow(scores, cmap="viridis")
ax.set_xticks(range(len(keep_probs)), [str(p) for p in keep_probs])
ax.set_yticks(range(len(alphas)), [str(a) for a in alphas])
ax.set_xlabel("keep_prob")
ax.set_ylabel("alpha")
for (i, j), score in np.ndenumerate(scores):
    ax.text(j, i, f"{score:.3f}", ha="center", va="center", color="w")
fig.colorbar(image, label="mean CV accuracy")
ax.set_title("GridSearchCV over alpha x keep_prob")
plt.show()
