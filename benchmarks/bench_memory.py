"""Peak memory of a fit: many classes, and a memory-mapped X.

Run ``python benchmarks/bench_memory.py``. Peaks are measured with
``tracemalloc`` (NumPy reports its allocations to it), so they count what a
fit allocates beyond its inputs:

- a one-epoch fit on 100,000 rows x 20 float32 features and 1,000 classes,
  skdense against MLPClassifier (which holds the targets as a dense
  ``n_samples x n_classes`` matrix);
- a one-epoch fit on a read-only float32 ``numpy.memmap`` of 400,000 x 100,
  against the size of X, with shuffled and with block-shuffled batches, and
  the time of an epoch on the memmap against the same data in memory.
"""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import argparse
import gc
import os
import tempfile
import time
import tracemalloc
import warnings

import numpy as np
from _report import write  # benchmarks/_report.py, beside this script
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from skdense import DenseNetClassifier

MiB = 2**20


def peak_of(function):
    """Peak traced memory (bytes) while ``function()`` runs."""
    gc.collect()
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def many_classes(n_samples, n_features, n_classes):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n_samples, n_features)).astype(np.float32)
    y = rng.integers(n_classes, size=n_samples)
    params = dict(hidden_layer_sizes=(32,), max_iter=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = peak_of(lambda: DenseNetClassifier(**params).fit(X, y))
        theirs = peak_of(lambda: MLPClassifier(**params).fit(X, y))
    return X.nbytes, ours, theirs


def memmap_fit(n_samples, n_features, folder):
    path = os.path.join(folder, "X.f32")
    rng = np.random.default_rng(0)
    writable = np.lib.format.open_memmap(
        path, mode="w+", dtype=np.float32, shape=(n_samples, n_features)
    )
    for start in range(0, n_samples, 50_000):
        stop = min(start + 50_000, n_samples)
        writable[start:stop] = rng.normal(size=(stop - start, n_features))
    writable.flush()
    del writable
    X = np.load(path, mmap_mode="r")
    y = (np.asarray(X[:, 0]) > 0).astype(int)
    results = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for name, data in (("memmap", X), ("in memory", np.array(X))):
            model = DenseNetClassifier((64,), max_iter=1, random_state=0)
            start = time.perf_counter()
            peak = peak_of(lambda: model.fit(data, y))  # noqa: B023
            results[name] = (peak, time.perf_counter() - start)
    return X.nbytes, results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run")
    parser.add_argument("--json", help="write the results to this JSON file")
    args = parser.parse_args(argv)
    sizes = (2000, 20, 100) if args.quick else (100_000, 20, 1000)
    many_x_bytes, ours, theirs = many_classes(*sizes)
    print(f"{sizes[0]:,} rows x {sizes[1]} features, {sizes[2]:,} classes, one epoch")
    print(f"  X itself                 {many_x_bytes / MiB:9.1f} MiB")
    print(f"  skdense peak             {ours / MiB:9.1f} MiB")
    print(f"  MLPClassifier peak       {theirs / MiB:9.1f} MiB")
    with tempfile.TemporaryDirectory() as folder:
        shape = (5000, 10) if args.quick else (400_000, 100)
        x_bytes, results = memmap_fit(*shape, folder)
    print(f"memmap of {shape[0]:,} x {shape[1]} float32 ({x_bytes / MiB:.0f} MiB)")
    for name, (peak, seconds) in results.items():
        print(
            f"  {name:<10} peak {peak / MiB:8.1f} MiB ({peak / x_bytes:.3f} x X), "
            f"epoch {seconds:.2f} s"
        )
    report = {
        "many_classes": {
            "shape": {"rows": sizes[0], "features": sizes[1], "classes": sizes[2]},
            "X_bytes": many_x_bytes,
            "skdense_peak_bytes": ours,
            "mlp_peak_bytes": theirs,
        },
        "memmap": {
            "shape": {"rows": shape[0], "features": shape[1]},
            "X_bytes": x_bytes,
            "fits": {
                name: {"peak_bytes": peak, "epoch_seconds": seconds}
                for name, (peak, seconds) in results.items()
            },
        },
    }
    if args.json:
        write(args.json, report)
    return report


if __name__ == "__main__":
    main()
