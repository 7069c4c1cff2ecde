"""
==============================================
Imbalanced classes: class_weight='balanced'
==============================================

With 5% of the samples in one class, a network can reach 95% accuracy while
missing most of the rare class. ``class_weight='balanced'`` weighs each class
by the inverse of its frequency, trading a little accuracy for a much better
balanced accuracy.
"""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import ConfusionMatrixDisplay, balanced_accuracy_score
from sklearn.model_selection import train_test_split

from skdense import DenseNetClassifier

warnings.filterwarnings("ignore", category=ConvergenceWarning)

X, y = make_classification(
    n_samples=3000,
    n_features=10,
    weights=[0.95, 0.05],
    class_sep=0.7,
    random_state=0,
)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)

fig, axes = plt.subplots(1, 2, figsize=(10, 4))
for ax, class_weight in zip(axes, [None, "balanced"]):
    model = DenseNetClassifier(
        (32,), class_weight=class_weight, max_iter=100, random_state=0
    ).fit(X_train, y_train)
    predicted = model.predict(X_test)
    balanced = balanced_accuracy_score(y_test, predicted)
    ConfusionMatrixDisplay.from_predictions(y_test, predicted, ax=ax, colorbar=False)
    ax.set_title(
        f"class_weight={class_weight!r}\naccuracy {model.score(X_test, y_test):.3f}, "
        f"balanced {balanced:.3f}"
    )
fig.tight_layout()
plt.show()
