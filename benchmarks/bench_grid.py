"""One 24-point grid search on digits, three ways: one process, loky, dask.

Run ``python benchmarks/bench_grid.py --json benchmarks/results/bench_grid.json``
(needs ``pip install "skdense[dask]"``). The same ``GridSearchCV`` over
``alpha`` x ``keep_prob`` x ``hidden_layer_sizes`` runs with ``n_jobs=1``,
with joblib's default loky backend and ``n_jobs=2``, and on a
``distributed.LocalCluster`` of two single-threaded worker processes on
127.0.0.1, whose workers import skdense before the clock starts. Every run
must find the same ``best_params_`` and the same scores.
"""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import argparse
import time
import warnings

import joblib
import numpy as np
from _report import write  # benchmarks/_report.py, beside this script
from distributed import Client, LocalCluster
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV

from skdense import DenseNetClassifier

GRID = {
    "alpha": [1e-4, 1e-2, 1.0],
    "keep_prob": [1.0, 0.8],
    "hidden_layer_sizes": [(32,), (64,), (64, 32), (128,)],
}


def _search(n_jobs, max_iter):
    return GridSearchCV(
        DenseNetClassifier(max_iter=max_iter, random_state=0), GRID, cv=3, n_jobs=n_jobs
    )


def _timed(search, X, y):
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X, y)
    return time.perf_counter() - start, search


def _warm_up(client):
    def load():
        import skdense  # noqa: F401

        return True

    client.run(load)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-iter", type=int, default=30)
    parser.add_argument("--json", help="write the timings to this JSON file")
    args = parser.parse_args(argv)
    X, y = load_digits(return_X_y=True)
    X = X / 16
    timings, searches = {}, {}
    timings["n_jobs=1"], searches["n_jobs=1"] = _timed(_search(1, args.max_iter), X, y)
    timings["loky n_jobs=2"], searches["loky"] = _timed(_search(2, args.max_iter), X, y)
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        _warm_up(client)
        with joblib.parallel_config(backend="dask"):
            timings["dask LocalCluster 2x1"], searches["dask"] = _timed(
                _search(-1, args.max_iter), X, y
            )
    reference = searches["n_jobs=1"]
    same = all(
        s.best_params_ == reference.best_params_
        and np.array_equal(
            s.cv_results_["mean_test_score"], reference.cv_results_["mean_test_score"]
        )
        for s in searches.values()
    )
    n_fits = 3 * len(reference.cv_results_["params"])
    print(f"24-point grid x 3 folds ({n_fits} fits) on digits, {args.max_iter} epochs")
    for name, seconds in timings.items():
        ratio = seconds / timings["loky n_jobs=2"]
        print(f"  {name:<24}{seconds:8.2f} s   {ratio:5.2f} x loky")
    print(f"  same best_params_ and scores everywhere: {same}")
    report = {"seconds": timings, "identical_results": same, "fits": n_fits}
    if args.json:
        write(args.json, report)
    return report


if __name__ == "__main__":
    main()
