"""Per-call cost of ``partial_fit`` streamed over 200-row blocks.

Run ``python benchmarks/bench_partial_fit.py``. Out-of-core training calls
``partial_fit`` once per block; with small blocks, whatever a call rebuilds
(network, buffers, optimizer, validation) is paid on every block. The
numbers are medians over ``--repeats`` streams of ``--blocks`` calls, in
microseconds per call.
"""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import argparse
import statistics
import time

import numpy as np
from sklearn.datasets import make_classification

from skdense import DenseNetClassifier

BLOCK = 200


def stream(model, X, y, classes):
    start = time.perf_counter()
    for first in range(0, len(X), BLOCK):
        rows = slice(first, first + BLOCK)
        model.partial_fit(X[rows], y[rows], classes=classes)
    return (time.perf_counter() - start) / (len(X) // BLOCK)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--blocks", type=int, default=200)
    args = parser.parse_args(argv)
    X, y = make_classification(
        n_samples=BLOCK * args.blocks,
        n_features=20,
        n_classes=3,
        n_informative=6,
        random_state=0,
    )
    X = X.astype(np.float32)
    classes = np.unique(y)
    print(f"{'model':<34}{'us/call':>10}{'rows/s':>12}")
    for label, params in [
        ("(32,) adam", dict(hidden_layer_sizes=(32,))),
        ("(32,) adam keep_prob=0.8", dict(hidden_layer_sizes=(32,), keep_prob=0.8)),
        ("(256, 128) sgd", dict(hidden_layer_sizes=(256, 128), solver="sgd")),
    ]:
        times = []
        for _ in range(args.repeats):
            model = DenseNetClassifier(random_state=0, **params)
            times.append(stream(model, X, y, classes))
        per_call = statistics.median(times)
        print(f"{label:<34}{per_call * 1e6:>10.0f}{BLOCK / per_call:>12,.0f}")


if __name__ == "__main__":
    main()
