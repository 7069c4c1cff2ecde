"""``python -m skdense``: regularisation and dropout against overfitting.

Trains the same large network on two bundled datasets with no regularisation,
L2, L1, elastic net, dropout and dropout with a max-norm constraint, and
prints train and test accuracy, fit time and the fraction of weights that are
exactly zero, one line per model as it finishes.
"""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import argparse
import sys
import time
import warnings

import numpy as np
from sklearn.datasets import load_digits, make_moons
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skdense import DenseNetClassifier, __version__

MODELS = {
    "no regularisation": dict(penalty=None),
    "L2 (alpha=1)": dict(penalty="l2", alpha=1.0),
    "L1 (alpha=0.03)": dict(penalty="l1", alpha=0.03),
    "elastic net (alpha=0.1)": dict(penalty="elasticnet", alpha=0.1, l1_ratio=0.5),
    "dropout (keep_prob=0.3)": dict(penalty=None, keep_prob=0.3),
    "L2 + dropout": dict(penalty="l2", alpha=1.0, keep_prob=0.3),
    "dropout + max-norm (3)": dict(penalty=None, keep_prob=0.3, max_norm=3.0),
}


def _datasets(quick):
    """Small training sets, so that a large network can overfit them."""
    X, y = make_moons(n_samples=1100, noise=0.3, random_state=0)
    moons = (X[:100], X[100:], y[:100], y[100:])
    X, y = load_digits(return_X_y=True)
    digits = train_test_split(X / 16.0, y, train_size=300, random_state=0)
    if quick:
        digits = [part[:200] for part in digits]
    return {"moons (100 noisy points)": moons, "digits (300 images)": digits}


def _network(quick):
    if quick:
        return dict(hidden_layer_sizes=(32, 32), max_iter=20)
    return dict(
        hidden_layer_sizes=(256, 256),
        max_iter=500,
        tol=0,
        n_iter_no_change=500,
        learning_rate_init=0.01,
    )


def _zero_fraction(model):
    weights = np.concatenate([coef.ravel() for coef in model.coefs_])
    return np.mean(weights == 0.0)


def run(quick=False, out=sys.stdout):
    """Train every model on every dataset and print one table row per fit.

    Parameters
    ----------
    quick : bool, default=False
        Tiny networks and few epochs, for a smoke test.
    out : file-like, default=sys.stdout
        Where the table goes.

    Returns
    -------
    rows : list of dict
        One dict per fit: dataset, model, train and test accuracy, seconds
        and the fraction of exactly-zero weights.
    """
    network = _network(quick)
    layers = " x ".join(str(n) for n in network["hidden_layer_sizes"])
    print(
        f"skdense {__version__}: a {layers} relu network, adam, "
        f"{network['max_iter']} epochs, on two bundled datasets.\n",
        file=out,
    )
    header = f"{'dataset':<26}{'model':<26}{'train':>7}{'test':>7}{'fit (s)':>9}"
    print(header + f"{'zero weights':>14}", file=out)
    print("-" * (len(header) + 14), file=out, flush=True)
    rows = []
    for data_name, (X_train, X_test, y_train, y_test) in _datasets(quick).items():
        for model_name, params in MODELS.items():
            model = DenseNetClassifier(random_state=0, **network, **params)
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.fit(X_train, y_train)
            row = dict(
                dataset=data_name,
                model=model_name,
                train=model.score(X_train, y_train),
                test=model.score(X_test, y_test),
                seconds=time.perf_counter() - start,
                zeros=_zero_fraction(model),
            )
            rows.append(row)
            print(
                f"{data_name:<26}{model_name:<26}{row['train']:>7.3f}"
                f"{row['test']:>7.3f}{row['seconds']:>9.2f}{row['zeros']:>14.1%}",
                file=out,
                flush=True,
            )
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m skdense",
        description="Regularisation and dropout against overfitting, on bundled data.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="tiny networks, a few seconds in all"
    )
    args = parser.parse_args(argv)
    run(quick=args.quick)


if __name__ == "__main__":
    main()
