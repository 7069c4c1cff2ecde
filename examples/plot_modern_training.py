"""
=================
Modern training
=================

The parts of training that scikit-learn's MLP does not offer, side by side on
the bundled digits: the activations of ``torch.nn.functional``, Adam against
AdamW (decoupled weight decay), and a constant learning rate against a linear
warm-up followed by one cosine cycle.

Every row trains the same network (one hidden layer of 128 units, 60 epochs,
``random_state=0``) on the same split, with the defaults unless the row says
otherwise: nothing is tuned, so the table shows what each choice does on its
own, not which is best. AdamW and its Adam baseline use ``alpha=1.0``, a
strength at which the penalty matters (``alpha`` divides by the batch size:
it is a decay of 0.005 per unit learning rate per step).
"""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import time
import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skdense import DenseNetClassifier

warnings.filterwarnings("ignore", category=ConvergenceWarning)

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X / 16.0, y, test_size=0.25, random_state=0
)

COMMON = dict(hidden_layer_sizes=(128,), max_iter=60, tol=0, random_state=0)
ACTIVATIONS = ["relu", "leaky_relu", "elu", "gelu", "silu", "softplus", "tanh"]
GROUPS = {
    "Activations (adam)": {name: dict(activation=name) for name in ACTIVATIONS},
    "Adam against AdamW (alpha=1.0)": {
        "adam": dict(solver="adam", alpha=1.0),
        "adamw": dict(solver="adamw", alpha=1.0),
    },
    "Learning-rate schedule (adam)": {
        "constant": dict(learning_rate="constant"),
        "warm-up 5 + cosine": dict(learning_rate="cosine", warmup_iter=5),
    },
}


def fit_and_time(params):
    model = DenseNetClassifier(**COMMON, **params)
    start = time.perf_counter()
    model.fit(X_train, y_train)
    return model, time.perf_counter() - start


fig, axes = plt.subplots(1, len(GROUPS), figsize=(15, 4.2))
print(f"{'group':<32} {'row':<20} {'test accuracy':>13} {'fit time (s)':>12}")
for ax, (group, rows) in zip(axes, GROUPS.items()):
    for row, params in rows.items():
        model, seconds = fit_and_time(params)
        accuracy = model.score(X_test, y_test)
        ax.plot(model.loss_curve_, label=f"{row} ({accuracy:.3f})")
        print(f"{group:<32} {row:<20} {accuracy:>13.3f} {seconds:>12.2f}")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_title(group)
    ax.legend(fontsize="small", title="row (test accuracy)")
axes[0].set_ylabel("training loss")
fig.tight_layout()
plt.show()
