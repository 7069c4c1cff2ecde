"""Monte-Carlo dropout: all passes batched against a Python loop of passes.

Run ``python benchmarks/bench_mc_dropout.py``. skdense runs the
``mc_samples`` passes together (the first layer once, then one matrix
product per layer over all passes); the loop below runs one full forward pass
per sample, as a plain implementation would (one mask per pass, shared by
every row, as skdense's passes are).
"""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import argparse
import statistics
import time
import warnings

import numpy as np
from sklearn.datasets import make_regression
from sklearn.exceptions import ConvergenceWarning

from skdense import DenseNetRegressor
from skdense._inference import fitted_network
from skdense._params import resolve_keep_probs


def loop_of_passes(model, X, rng):
    """mean and std over ``mc_samples`` separate forward passes."""
    network, _, _ = fitted_network(model)
    keep_probs = resolve_keep_probs(model.keep_prob, len(model.coefs_) - 1)
    widths = [coef.shape[1] for coef in model.coefs_[:-1]]
    outputs = []
    for _ in range(model.mc_samples):
        # One mask per pass, shared by every row, as skdense draws them.
        masks = [
            (rng.random(width) < keep) / keep for width, keep in zip(widths, keep_probs)
        ]
        logits = network._forward(model.coefs_, model.intercepts_, X, masks)[-1]
        outputs.append(logits)
    outputs = np.stack(outputs)
    return outputs.mean(axis=0), outputs.std(axis=0)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run")
    args = parser.parse_args(argv)
    cases = [((64, 64), 1, 1000), ((256, 128), 20, 2000)]
    if args.quick:
        cases, args.repeats = [((16,), 1, 50)], 1
    print(
        f"{'hidden':<12}{'features':>9}{'rows':>7}{'batched (s)':>13}"
        f"{'loop (s)':>10}{'speed-up':>10}"
    )
    for hidden, n_features, n_rows in cases:
        X, y = make_regression(n_samples=n_rows, n_features=n_features, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = DenseNetRegressor(
                hidden_layer_sizes=hidden, keep_prob=0.8, max_iter=2, random_state=0
            ).fit(X, y / y.std())
        batched, looped = [], []
        for _ in range(args.repeats):
            start = time.perf_counter()
            model.predict(X, return_std=True)
            batched.append(time.perf_counter() - start)
            start = time.perf_counter()
            loop_of_passes(model, X, np.random.default_rng(0))
            looped.append(time.perf_counter() - start)
        fast, slow = statistics.median(batched), statistics.median(looped)
        print(
            f"{hidden!s:<12}{n_features:>9}{n_rows:>7}{fast:>13.4f}{slow:>10.4f}"
            f"{slow / fast:>10.2f}"
        )


if __name__ == "__main__":
    main()
