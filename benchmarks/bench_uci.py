"""Predictive uncertainty on the UCI regression benchmark: test RMSE and
log-likelihood of Monte-Carlo dropout and of ``loss='gaussian_nll'``.

Run::

    python benchmarks/bench_uci.py ../shared/data/uci [--splits 20] \\
        [--json benchmarks/results/bench_uci.json]

The folder holds one sub-folder per data set with the 20 fixed train/test
splits of Hernández-Lobato and Adams (2015) (its README gives the layout); no
part of skdense depends on it. The protocol is the literature's:

- one hidden layer of 50 ReLU units; the inputs and the target standardised
  on the training split;
- hyper-parameters chosen by test log-likelihood on the last 20 % of each
  training split, then a refit on the whole training split;
- test RMSE and log-likelihood (per point, natural log) in the target's
  original units; mean and standard error over the splits used.

Monte-Carlo dropout follows Gal and Ghahramani (2016) and their code: dropout
on the inputs and the hidden layer at each rate of ``dropout_rates.txt``, a
model precision ``tau`` from ``tau_values.txt``, weight decay
``lengthscale**2 * (1 - rate) / (2 N tau)`` (lengthscale 0.01, ``alpha`` of
that times the batch size, which is Keras's per-batch L2 in skdense's
scaling), Adam at batch 128 for 2,000 epochs (at 400, the count of their
first runs, yacht's RMSE is still 1.7). ``loss='gaussian_nll'`` learns the
noise per row instead of ``tau``: the same network and training, hidden
dropout at a keep probability in {1, 0.99, 0.95}, ``alpha`` 1e-4, and
``variance_power`` (beta-NLL's beta) fixed per column: 0, 0.5 (the default)
and 1. Both predictive distributions are the mixture over
``mc_samples`` passes (one pass without dropout): for Monte-Carlo dropout
Gaussians of precision ``tau`` around each pass's prediction, for
``gaussian_nll`` each pass's own Gaussian.
"""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import argparse
import itertools
import pathlib
import time
import warnings

import numpy as np
from _report import write  # benchmarks/_report.py, beside this script
from joblib import Parallel, delayed
from scipy.special import logsumexp
from sklearn.exceptions import ConvergenceWarning

from skdense import DenseNetRegressor

DATASETS = ["concrete", "energy", "wine-quality-red", "yacht"]
PASSES = 1000
EPOCHS, BATCH, LENGTHSCALE = 2000, 128, 1e-2
VARIANCE_POWERS = [0.0, 0.5, 1.0]
#: Test log-likelihoods of the literature, for the table.
PUBLISHED = {
    "Deep Ensembles": {
        "concrete": -3.06,
        "energy": -1.38,
        "wine-quality-red": -0.94,
        "yacht": -1.18,
    },
    "NGBoost": {
        "concrete": -3.04,
        "energy": -0.60,
        "wine-quality-red": -0.91,
        "yacht": -0.20,
    },
}


def load(folder):
    """The data matrix, the feature and target columns, and the splits."""
    data = np.loadtxt(folder / "data.txt")
    features = np.loadtxt(folder / "index_features.txt", dtype=int)
    target = int(np.loadtxt(folder / "index_target.txt"))
    settings = {
        "dropout_rates": np.atleast_1d(
            np.loadtxt(folder / "dropout_rates.txt")
        ).tolist(),
        "tau_values": np.atleast_1d(np.loadtxt(folder / "tau_values.txt")).tolist(),
        "n_splits": int(np.loadtxt(folder / "n_splits.txt")),
    }
    return data[:, features], data[:, target], settings


def split_indices(folder, k):
    train = np.loadtxt(folder / f"index_train_{k}.txt", dtype=int)
    test = np.loadtxt(folder / f"index_test_{k}.txt", dtype=int)
    return train, test


class Standardised:
    """Inputs and target standardised on a training set."""

    def __init__(self, X, y):
        self.x_mean, self.x_std = X.mean(axis=0), X.std(axis=0)
        self.x_std[self.x_std == 0] = 1
        self.y_mean, self.y_std = y.mean(), y.std()

    def X(self, X):
        return (X - self.x_mean) / self.x_std

    def y(self, y):
        return (y - self.y_mean) / self.y_std


def _fit(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)


def _network(n_rows, **params):
    return DenseNetRegressor(
        hidden_layer_sizes=(50,),
        batch_size=min(BATCH, n_rows),
        max_iter=EPOCHS,
        tol=0,
        n_iter_no_change=EPOCHS,
        mc_samples=PASSES,
        random_state=0,
        n_threads=1,
        **params,
    )


def mc_dropout(X, y, rate, tau):
    """Gal and Ghahramani's model; ``tau`` in the original units."""
    scale = Standardised(X, y)
    decay = LENGTHSCALE**2 * (1 - rate) / (2 * len(X) * tau)
    model = _network(
        len(X), keep_prob=1 - rate, input_keep_prob=1 - rate, alpha=decay * BATCH
    )
    _fit(model, scale.X(X), scale.y(y))

    def predict(X_test):
        passes = model.sample_y(scale.X(X_test)) * scale.y_std + scale.y_mean
        precision = np.full_like(passes, tau)
        return passes, precision

    return predict


def gaussian_nll(X, y, keep_prob, alpha, variance_power):
    scale = Standardised(X, y)
    model = _network(
        len(X),
        loss="gaussian_nll",
        keep_prob=keep_prob,
        alpha=alpha,
        variance_power=variance_power,
    )
    _fit(model, scale.X(X), scale.y(y))

    def predict(X_test):
        inputs = scale.X(X_test)
        if keep_prob == 1.0:  # one pass: the network's own Gaussian
            passes = model._in_row_chunks(inputs, model._activate, 2)[:, :, None]
        else:
            passes = model._samples(inputs, model._activate, 2, None, None)
        # The network's outputs are in the standardised units of its targets.
        mean = model._in_units(passes[:, :1])[:, 0] * scale.y_std + scale.y_mean
        units = model.target_scale_[0] * scale.y_std
        return mean, 1 / (passes[:, 1] * units**2)

    return predict


def scores(predict, X_test, y_test):
    """Test RMSE of the predictive mean and log-likelihood of the mixture."""
    means, precisions = predict(X_test)
    rmse = np.sqrt(np.mean((y_test - means.mean(axis=1)) ** 2))
    log_densities = 0.5 * (
        np.log(precisions)
        - np.log(2 * np.pi)
        - precisions * (y_test[:, None] - means) ** 2
    )
    log_likelihood = logsumexp(log_densities, axis=1) - np.log(means.shape[1])
    return float(rmse), float(log_likelihood.mean())


def grids(settings):
    mc = [
        ("mc_dropout", mc_dropout, dict(rate=rate, tau=tau))
        for rate, tau in itertools.product(
            settings["dropout_rates"], settings["tau_values"]
        )
    ]
    gaussian = {
        power: [
            (
                "gaussian_nll",
                gaussian_nll,
                dict(keep_prob=p, alpha=1e-4, variance_power=power),
            )
            for p in [1.0, 0.99, 0.95]
        ]
        for power in VARIANCE_POWERS
    }
    columns = {"mc_dropout": mc}
    columns.update({f"gaussian_nll beta={power}": g for power, g in gaussian.items()})
    return columns


def run_split(X, y, train, test, columns):
    """Per column: choose on the last 20 % of the training split, refit on
    all of it, score on the test split."""
    n_fit = round(0.8 * len(train))
    fit_rows, validation_rows = train[:n_fit], train[n_fit:]
    result = {}
    for name, grid in columns.items():
        best = max(
            grid,
            key=lambda entry: scores(
                entry[1](X[fit_rows], y[fit_rows], **entry[2]),
                X[validation_rows],
                y[validation_rows],
            )[1],
        )
        rmse, ll = scores(best[1](X[train], y[train], **best[2]), X[test], y[test])
        result[name] = {"rmse": rmse, "ll": ll, "chosen": best[2]}
    return result


def _mean_se(values):
    values = np.asarray(values)
    return float(values.mean()), float(values.std(ddof=1) / np.sqrt(len(values)))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=pathlib.Path)
    parser.add_argument("--splits", type=int, default=20)
    parser.add_argument("--datasets", nargs="*", default=DATASETS)
    parser.add_argument("--jobs", type=int, default=2, help="splits in parallel")
    parser.add_argument("--json", help="write the results to this JSON file")
    args = parser.parse_args(argv)
    report = {
        "epochs": EPOCHS,
        "published_ll": PUBLISHED,
        "datasets": {},
    }
    for name in args.datasets:
        start = time.perf_counter()
        folder = args.folder / name
        X, y, settings = load(folder)
        columns = grids(settings)
        splits = Parallel(n_jobs=args.jobs)(
            delayed(run_split)(X, y, *split_indices(folder, k), columns)
            for k in range(min(args.splits, settings["n_splits"]))
        )
        summary = {
            column: {
                metric: _mean_se([split[column][metric] for split in splits])
                for metric in ("rmse", "ll")
            }
            for column in columns
        }
        report["datasets"][name] = {
            "splits": len(splits),
            "summary": summary,
            "per_split": splits,
            "seconds": time.perf_counter() - start,
        }
        for column, values in summary.items():
            rmse, ll = values["rmse"], values["ll"]
            print(
                f"{name:<18}{column:<24} RMSE {rmse[0]:.3f} ± {rmse[1]:.3f}   "
                f"LL {ll[0]:.3f} ± {ll[1]:.3f}"
            )
    if args.json:
        write(args.json, report)
    return report


if __name__ == "__main__":
    main()
