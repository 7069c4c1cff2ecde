"""
========================================================
Are the intervals right? Coverage of Monte-Carlo dropout
========================================================

``sample_y`` returns the individual Monte-Carlo dropout passes, so any
interval can be read off them. This example checks whether the central
intervals cover what they claim, on a generated problem whose noise grows
with ``|x|``.

Monte-Carlo dropout measures the *model's* uncertainty: how much the
prediction would change with other weights. It does not include the noise of
the data itself, so intervals built from the passes alone are too narrow
where the data are noisy. Adding a noise term, estimated from the residuals
on held-out data, brings the observed coverage close to the nominal one.
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


def make_data(n_samples):
    X = rng.uniform(-3, 3, size=(n_samples, 1))
    noise = 0.05 + 0.15 * np.abs(X[:, 0])  # heteroscedastic
    return X, np.sin(X[:, 0]) + noise * rng.normal(size=n_samples)


X_train, y_train = make_data(600)
X_val, y_val = make_data(300)
X_test, y_test = make_data(1000)

model = DenseNetRegressor(
    hidden_layer_sizes=(64, 64),
    keep_prob=0.8,
    learning_rate_init=0.01,
    max_iter=300,
    mc_samples=200,
    random_state=0,
).fit(X_train, y_train)

# %%
# The noise term
# --------------
# On held-out data, the squared residuals of the mean prediction are the model
# variance plus the data's noise; what the passes do not explain is noise.

val_samples = model.sample_y(X_val)
residuals = y_val - val_samples.mean(axis=1)
noise_var = max(np.mean(residuals**2) - np.mean(val_samples.var(axis=1)), 0.0)
print(f"noise standard deviation estimated on held-out data: {noise_var**0.5:.3f}")

# %%
# Coverage of central intervals
# -----------------------------
# A central interval at level ``q`` runs from the ``(1 - q) / 2`` quantile of
# the samples to the ``(1 + q) / 2`` quantile. With the noise term, each pass
# gets a draw of the noise added before the quantiles are taken.

samples = model.sample_y(X_test)
noisy = samples + rng.normal(scale=noise_var**0.5, size=samples.shape)
levels = np.linspace(0.05, 0.99, 40)


def coverage(draws, level):
    lower, upper = np.quantile(draws, [(1 - level) / 2, (1 + level) / 2], axis=1)
    return np.mean((lower <= y_test) & (y_test <= upper))


print("nominal  model only  model + noise")
for level in (0.5, 0.8, 0.95):
    alone, with_noise = coverage(samples, level), coverage(noisy, level)
    print(f"{level:7.0%}  {alone:10.1%}  {with_noise:13.1%}")

fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
left.plot([0, 1], [0, 1], color="grey", linestyle=":", label="perfect calibration")
left.plot(levels, [coverage(samples, q) for q in levels], label="MC dropout only")
left.plot(levels, [coverage(noisy, q) for q in levels], label="MC dropout + noise")
left.set(
    xlabel="nominal coverage",
    ylabel="observed coverage (test data)",
    title="Calibration of central intervals",
)
left.legend()

# %%
# Sampled functions
# -----------------
# Each pass is a function of ``x``: drawn on a grid, the passes agree where
# the training data are dense and spread out beyond them.

grid = np.linspace(-5, 5, 300)[:, None]
functions = model.sample_y(grid, n_samples=30, random_state=1)
right.scatter(X_train, y_train, s=4, color="black", alpha=0.4, label="training data")
right.plot(grid, functions, color="tab:blue", alpha=0.25, linewidth=0.8)
right.plot([], [], color="tab:blue", label="30 Monte-Carlo passes")
right.axvspan(-5, -3, color="grey", alpha=0.1)
right.axvspan(3, 5, color="grey", alpha=0.1)
right.set(xlabel="x", ylabel="y", title="Sampled functions", ylim=(-3, 3))
right.legend(loc="upper left")
fig.tight_layout()
plt.show()
