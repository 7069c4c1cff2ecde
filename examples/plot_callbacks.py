"""
====================================================================
Watching a fit: scikit-learn's callbacks and your own validation set
====================================================================

scikit-learn 1.9's callbacks see every epoch of a skdense fit. Here a
:class:`~sklearn.callback.ScoringMonitor` records the training accuracy and
log loss after each epoch, while early stopping watches the loss on a
validation set passed to ``fit`` (``X_val``, ``y_val``), as
HistGradientBoosting takes one. :class:`~skdense.LossCurveDisplay` then draws
the training and validation loss on one axis.

A :class:`~sklearn.callback.ProgressBar` (it needs ``rich``) set on a
``GridSearchCV`` shows the search and the epochs of every fit in the same way::

    search.set_callbacks(ProgressBar(max_propagation_depth=None)).fit(X, y)
"""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import matplotlib.pyplot as plt
from sklearn.callback import ScoringMonitor
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skdense import DenseNetClassifier, LossCurveDisplay

X, y = load_digits(return_X_y=True)
X = X / 16
X_train, X_val, y_train, y_val = train_test_split(X, y, random_state=0)

monitor = ScoringMonitor(scoring=["accuracy", "neg_log_loss"])
model = DenseNetClassifier(
    hidden_layer_sizes=(128,),
    keep_prob=0.8,
    early_stopping=True,
    scoring="loss",  # stop on the validation loss, not the accuracy
    n_iter_no_change=5,
    max_iter=300,
    random_state=0,
)
model.set_callbacks(monitor).fit(X_train, y_train, X_val=X_val, y_val=y_val)

best = min(model.validation_loss_curve_)
print(f"stopped after {model.n_iter_} epochs; lowest validation loss {best:.4f}")

# %%
# What the monitor recorded, epoch by epoch
# -----------------------------------------

epochs = [row for row in monitor.get_logs().data if row["task_name"] == "epoch"]
numbers = [row["task_id"] + 1 for row in epochs]

fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
left.plot(numbers, [row["accuracy"] for row in epochs], label="training accuracy")
left.plot(numbers, [-row["neg_log_loss"] for row in epochs], label="training log loss")
left.set(xlabel="epoch", title="Recorded by ScoringMonitor")
left.legend()

# %%
# Training and validation loss on one axis
# ----------------------------------------
# The weights kept are those of the lowest validation loss.

display = LossCurveDisplay.from_estimator(model, ax=right)
right.set_title("LossCurveDisplay")
fig.tight_layout()
plt.show()
