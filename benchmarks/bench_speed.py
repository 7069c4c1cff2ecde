"""Speed of skdense against MLPClassifier and PyTorch, per epoch.

Run ``python benchmarks/bench_speed.py`` (``--quick`` for a smoke run on tiny
sizes). PyTorch is optional: install it by hand with ``pip install
torch==2.13.0`` (the CPU build); without it the PyTorch columns are skipped.

Every library runs on the same number of threads, at one thread and at the
machine's count, interleaved: each round times every library once, in turn,
and every ratio is the median over the rounds (at least 5) of that round's
ratio, so that a slow spell of this shared machine hits both sides. The
floor is the time of an epoch's eight matrix products alone (forward, weight
gradients, and the input gradients of every layer but the first, batch by
batch, into preallocated arrays); each library's share of it is floor /
epoch time, also per round. The report records the kernels (NumPy's, or
numba's fused ones with the ``skdense[numba]`` extra: see
``bench_kernels.py``) and the thread policy. ``--activations`` measures only
the cost per epoch of every hidden activation against relu, on the same
workload (float32). The
JSON written with ``--json`` holds every number printed, for comparing
commits.
"""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import argparse
import itertools
import multiprocessing
import os
import platform
import statistics
import sys
import time
import tracemalloc
import warnings

import numpy as np
from _report import write  # benchmarks/_report.py, beside this script
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_info, threadpool_limits

from skdense import DenseNetClassifier
from skdense._activations import ACTIVATIONS
from skdense._kernels import fused_kernels

try:
    import torch
except ImportError:  # PyTorch is a comparison only, never a dependency.
    torch = None

HIDDEN = (256, 128)
BATCH = 200
MIN_ROUNDS = 5
#: How the threads are set, recorded with the results.
THREAD_POLICY = (
    "every library at the column's thread count: threadpoolctl's "
    "threadpool_limits for NumPy's BLAS (skdense with n_threads=None, so that "
    "the limit rules), torch.set_num_threads for PyTorch"
)


def flops_per_epoch(n_samples, layer_sizes):
    """Exact multiply-add FLOPs of one epoch: forward, weight gradients, and
    input gradients of every layer but the first."""
    pairs = list(itertools.pairwise(layer_sizes))
    forward = sum(2 * n_samples * a * b for a, b in pairs)
    weight_grads = forward
    input_grads = sum(2 * n_samples * a * b for a, b in pairs[1:])
    return forward + weight_grads + input_grads


def gemm_peak(dtype, size, repeats=5):
    rng = np.random.default_rng(0)
    a = rng.random((size, size)).astype(dtype)
    a @ a
    best = min(_timed(lambda: a @ a) for _ in range(repeats))
    return 2 * size**3 / best / 1e9


def _timed(function):
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def matmul_floor(n_samples, n_features, dtype, n_threads):
    """Seconds of one epoch's eight matrix products alone, batch by batch."""
    sizes = [n_features, *HIDDEN, 10]
    rng = np.random.default_rng(0)
    weights = [rng.random((a, b)).astype(dtype) for a, b in itertools.pairwise(sizes)]
    inputs = [rng.random((BATCH, a)).astype(dtype) for a in sizes[:-1]]
    deltas = [rng.random((BATCH, b)).astype(dtype) for b in sizes[1:]]
    outputs = [np.empty((BATCH, b), dtype) for b in sizes[1:]]
    grads = [np.empty_like(w) for w in weights]
    back = [np.empty((BATCH, a), dtype) for a in sizes[:-1]]

    def epoch():
        for _ in range(n_samples // BATCH):
            for layer, weight in enumerate(weights):
                np.matmul(inputs[layer], weight, out=outputs[layer])
                np.matmul(inputs[layer].T, deltas[layer], out=grads[layer])
                if layer:
                    np.matmul(deltas[layer], weight.T, out=back[layer])

    with threadpool_limits(n_threads):
        epoch()  # warm-up
        return _timed(epoch)


def _skdense(X, y, epochs, keep_prob, n_threads, input_keep_prob=1.0, **params):
    model = DenseNetClassifier(
        HIDDEN,
        batch_size=BATCH,
        max_iter=epochs,
        tol=0,
        keep_prob=keep_prob,
        input_keep_prob=input_keep_prob,
        random_state=0,
        n_threads=None,
        **params,
    )
    with threadpool_limits(n_threads):
        return _timed(lambda: model.fit(X, y)) / epochs


def _mlp(X, y, epochs, n_threads):
    model = MLPClassifier(
        HIDDEN, batch_size=BATCH, max_iter=epochs, tol=0, random_state=0
    )
    with threadpool_limits(n_threads):
        return _timed(lambda: model.fit(X, y)) / epochs


def _torch(X, y, epochs, dropout, n_threads):
    torch.manual_seed(0)
    torch.set_num_threads(n_threads)
    layers, width = [], X.shape[1]
    for units in HIDDEN:
        layers += [torch.nn.Linear(width, units), torch.nn.ReLU()]
        if dropout:
            layers.append(torch.nn.Dropout(dropout))
        width = units
    model = torch.nn.Sequential(*layers, torch.nn.Linear(width, int(y.max()) + 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    X_t = torch.from_numpy(X)
    y_t = torch.from_numpy(y.astype(np.int64))

    def train():
        model.train()
        for _ in range(epochs):
            order = torch.randperm(len(X_t))
            for start in range(0, len(X_t), BATCH):
                rows = order[start : start + BATCH]
                optimizer.zero_grad(set_to_none=True)
                loss_fn(model(X_t[rows]), y_t[rows]).backward()
                optimizer.step()

    return _timed(train) / epochs


def _predict_rate(model, X, repeats):
    return len(X) / min(_timed(lambda: model.predict_proba(X)) for _ in range(repeats))


def _fit_memory(X, y):
    model = DenseNetClassifier(HIDDEN, max_iter=1, tol=0, random_state=0)
    tracemalloc.start()
    model.fit(X, y)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def _burn(seconds):
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def _thread_scan(X, y, epochs, repeats, busy):
    """s/epoch of skdense float32 against the BLAS thread count."""
    results = {}
    for hidden, n_features in (((32,), 20), (HIDDEN, X.shape[1])):
        Xs = np.ascontiguousarray(X[:, :n_features])
        for n_threads in (1, 2):
            times = []
            for _ in range(repeats):
                burner = None
                if busy:
                    burner = multiprocessing.Process(target=_burn, args=(600,))
                    burner.start()
                model = DenseNetClassifier(
                    hidden, max_iter=epochs, tol=0, random_state=0, n_threads=None
                )
                with threadpool_limits(n_threads):
                    times.append(_timed(lambda m=model, a=Xs: m.fit(a, y)) / epochs)
                if burner is not None:
                    burner.terminate()
                    burner.join()
            key = f"hidden={hidden} threads={n_threads} busy={busy}"
            results[key] = statistics.median(times)
    return results


def _workload(n_samples):
    return make_classification(
        n_samples=n_samples,
        n_features=784,
        n_informative=50,
        n_classes=10,
        random_state=0,
    )


def activation_costs(n_samples, epochs, repeats, n_threads):
    """s/epoch of each hidden activation (float32), and its ratio to relu."""
    X, y = _workload(n_samples)
    X = X.astype(np.float32)
    samples = {name: [] for name in ACTIVATIONS}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for _ in range(repeats):  # interleaved, as the libraries are
            for name in ACTIVATIONS:
                seconds = _skdense(X, y, epochs, 1.0, n_threads, activation=name)
                samples[name].append(seconds)
    seconds = {name: statistics.median(times) for name, times in samples.items()}
    return {
        name: {"seconds_per_epoch": value, "over_relu": value / seconds["relu"]}
        for name, value in seconds.items()
    }


#: (ratio, numerator, denominator, target): every ratio of the report.
RATIOS = [
    ("skdense float32 / MLPClassifier float32", "skdense float32",
     "MLPClassifier float32", 0.70),
    ("skdense float64 / MLPClassifier float64", "skdense float64",
     "MLPClassifier float64", 0.80),
    ("skdense keep_prob=0.8 / keep_prob=1.0 (float32)",
     "skdense float32 keep_prob=0.8", "skdense float32", 1.10),
    ("skdense input_keep_prob=0.8 / 1.0 (float32)",
     "skdense float32 input_keep_prob=0.8", "skdense float32", 1.10),
    ("skdense float32 / PyTorch", "skdense float32", "PyTorch float32", 1.0),
    ("skdense keep_prob=0.8 / PyTorch Dropout(0.2)",
     "skdense float32 keep_prob=0.8", "PyTorch float32 Dropout(0.2)", 0.90),
]  # fmt: skip


def _runs(X32, X64, y, epochs, n_threads):
    """Every library's epoch, by name, at ``n_threads``."""
    runs = {
        "skdense float32": lambda: _skdense(X32, y, epochs, 1.0, n_threads),
        "skdense float64": lambda: _skdense(X64, y, epochs, 1.0, n_threads),
        "skdense float32 keep_prob=0.8": lambda: _skdense(
            X32, y, epochs, 0.8, n_threads
        ),
        "skdense float64 keep_prob=0.8": lambda: _skdense(
            X64, y, epochs, 0.8, n_threads
        ),
        "skdense float32 input_keep_prob=0.8": lambda: _skdense(
            X32, y, epochs, 1.0, n_threads, input_keep_prob=0.8
        ),
        "MLPClassifier float32": lambda: _mlp(X32, y, epochs, n_threads),
        "MLPClassifier float64": lambda: _mlp(X64, y, epochs, n_threads),
    }
    if torch is not None:
        runs["PyTorch float32"] = lambda: _torch(X32, y, epochs, 0.0, n_threads)
        runs["PyTorch float32 Dropout(0.2)"] = lambda: _torch(
            X32, y, epochs, 0.2, n_threads
        )
    return runs


def paired(X32, X64, y, epochs, rounds, n_threads):
    """Interleaved rounds at ``n_threads``: every library and the floors once
    per round; medians of the times, and of the per-round ratios and shares."""
    runs = _runs(X32, X64, y, epochs, n_threads)
    floors = {
        dtype: (lambda d=dtype: matmul_floor(len(X32), X32.shape[1], d, n_threads))
        for dtype in ("float32", "float64")
    }
    times = {name: [] for name in [*runs, *floors]}
    for _ in range(rounds):
        for name, measure in {**runs, **floors}.items():
            times[name].append(measure())
    times = {name: np.array(values) for name, values in times.items()}

    def median_ratio(top, bottom):
        return float(np.median(times[top] / times[bottom]))

    return {
        "seconds_per_epoch": {n: float(np.median(times[n])) for n in runs},
        "floor_seconds": {d: float(np.median(times[d])) for d in floors},
        "share_of_floor": {
            n: median_ratio("float64" if "float64" in n else "float32", n) for n in runs
        },
        "ratios": {
            name: {"value": median_ratio(top, bottom), "target": target}
            for name, top, bottom, target in RATIOS
            if top in runs and bottom in runs
        },
    }


def run(n_samples, epochs, repeats, n_threads, quick):
    kernels = _kernels_used()  # loaded now, they serve every fit below
    X64, y = _workload(n_samples)
    X32 = X64.astype(np.float32)
    if torch is None:
        print(
            "PyTorch is not installed: its columns are skipped "
            "(pip install torch==2.13.0 for the CPU build)."
        )
    rounds = repeats if quick else max(MIN_ROUNDS, repeats)
    counts = sorted({1, n_threads})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        by_threads = {
            str(count): paired(X32, X64, y, epochs, rounds, count) for count in counts
        }
        peak32 = gemm_peak(np.float32, 512 if quick else 2048)
        peak64 = gemm_peak(np.float64, 512 if quick else 2048)
        flops = flops_per_epoch(n_samples, [784, *HIDDEN, 10])
        fitted = {
            "skdense": DenseNetClassifier(HIDDEN, max_iter=1, random_state=0).fit(
                X32, y
            ),
            "MLPClassifier": MLPClassifier(HIDDEN, max_iter=1, random_state=0).fit(
                X32, y
            ),
        }
        with threadpool_limits(n_threads):
            rates = {k: [] for k in fitted}
            for _ in range(rounds):
                for name, model in fitted.items():
                    rates[name].append(_predict_rate(model, X32, 1))
        predict_ratio = float(
            np.median(np.array(rates["skdense"]) / np.array(rates["MLPClassifier"]))
        )
        memory_peak = _fit_memory(X32, y)
        scaling = {}
        for size in (500, 1000, 4000) if quick else (5000, 20000, 80000):
            Xs, ys = _workload(size)
            scaling[size] = statistics.median(
                _skdense(Xs.astype(np.float32), ys, epochs, 1.0, n_threads)
                for _ in range(repeats)
            )
        threads = {}
        for busy in (False, True):
            threads.update(_thread_scan(X32, y, epochs, max(1, repeats - 1), busy))

    headline = by_threads[str(n_threads)]
    gflops = flops / headline["seconds_per_epoch"]["skdense float32"] / 1e9
    headline["ratios"]["skdense float32 GFLOPS / float32 GEMM peak"] = {
        "value": gflops / peak32,
        "target": 0.50,
    }
    headline["ratios"]["skdense / MLPClassifier predict rows/s"] = {
        "value": predict_ratio,
        "target": 1.0,
    }
    return dict(
        machine=dict(
            platform=platform.platform(),
            processor=platform.processor(),
            python=sys.version.split()[0],
            numpy=np.__version__,
            torch=None if torch is None else torch.__version__,
            blas=[
                {
                    k: info.get(k)
                    for k in ("internal_api", "version", "architecture", "num_threads")
                }
                for info in threadpool_info()
            ],
        ),
        workload=dict(
            n_samples=n_samples,
            n_features=784,
            hidden=HIDDEN,
            batch=BATCH,
            epochs=epochs,
            rounds=rounds,
            threads=counts,
        ),
        kernels=kernels,
        thread_policy=THREAD_POLICY,
        by_threads=by_threads,
        gemm_peak_gflops={"float32": peak32, "float64": peak64},
        skdense_float32_gflops=gflops,
        predict_rows_per_second={k: statistics.median(v) for k, v in rates.items()},
        fit_peak_memory_over_X=memory_peak / X32.nbytes,
        seconds_per_epoch_by_n_samples=scaling,
        seconds_per_epoch_by_threads=threads,
    )


def _kernels_used():
    """The kernels skdense's fits here run (``SKDENSE_KERNELS``, see
    ``skdense._kernels``): numba's when installed, loaded by this call so
    that ``auto`` keeps them for every fit, however few its epochs."""
    return "numba (fused)" if fused_kernels() is not None else "numpy"


def _print_report(report):
    blas = report["machine"]["blas"]
    print(
        "BLAS:",
        ", ".join(
            f"{b['internal_api']} {b['version']} "
            f"({b['architecture']}, {b['num_threads']} threads)"
            for b in blas
        ),
    )
    print("Workload:", report["workload"], "kernels:", report["kernels"])
    for count, entry in report["by_threads"].items():
        floors = entry["floor_seconds"]
        print(
            f"\n{count} thread(s): floor (the eight products) float32 "
            f"{floors['float32']:.4f} s, float64 {floors['float64']:.4f} s"
        )
        print(f"{'seconds per epoch (median)':<40}{'s':>10}{'floor share':>13}")
        for name, value in entry["seconds_per_epoch"].items():
            share = entry["share_of_floor"][name]
            print(f"{name:<40}{value:>10.4f}{share:>12.0%}")
        print(f"{'ratio (median of paired rounds)':<50}{'value':>8}{'target':>9}  met")
        for name, ratio in entry["ratios"].items():
            value, target = ratio["value"], ratio["target"]
            met = (
                value >= target
                if "GFLOPS" in name or "predict" in name
                else value <= target
            )
            print(f"{name:<50}{value:>8.2f}{target:>9.2f}  {'yes' if met else 'NO'}")
    peaks = report["gemm_peak_gflops"]
    print(
        f"\nGEMM peak: float32 {peaks['float32']:.1f} GFLOPS, "
        f"float64 {peaks['float64']:.1f} GFLOPS; skdense float32 achieves "
        f"{report['skdense_float32_gflops']:.1f} GFLOPS"
    )
    rates = report["predict_rows_per_second"]
    print("predict_proba rows/s:", {k: f"{v:,.0f}" for k, v in rates.items()})
    print(f"fit peak traced memory / X.nbytes: {report['fit_peak_memory_over_X']:.2f}")
    print(
        "s/epoch by n_samples:",
        {
            n: f"{s:.4f} ({s / n * 1e6:.2f} us/sample)"
            for n, s in report["seconds_per_epoch_by_n_samples"].items()
        },
    )
    print("s/epoch by BLAS threads:")
    for key, value in report["seconds_per_epoch_by_threads"].items():
        print(f"  {key:<50}{value:.4f}")


def _activations_report(args):
    costs = activation_costs(args.n_samples, args.epochs, args.repeats, args.threads)
    workload = dict(
        n_samples=args.n_samples,
        n_features=784,
        hidden=HIDDEN,
        batch=BATCH,
        epochs=args.epochs,
        repeats=args.repeats,
        threads=args.threads,
        dtype="float32",
    )
    print("Workload:", workload)
    print(f"{'activation':<12}{'s/epoch':>10}{'/ relu':>8}")
    for name, cost in costs.items():
        print(f"{name:<12}{cost['seconds_per_epoch']:>10.4f}{cost['over_relu']:>8.2f}")
    report = dict(workload=workload, activations=costs)
    if args.json:
        write(args.json, report)
    return report


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=20000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument(
        "--repeats", type=int, default=MIN_ROUNDS, help="rounds (at least 5)"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=os.cpu_count(),
        help="threads for every library, beside one thread",
    )
    parser.add_argument("--json", help="write the report to this JSON file")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run")
    parser.add_argument(
        "--activations", action="store_true", help="only each activation's cost"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.n_samples, args.epochs, args.repeats = 600, 1, 1
    if args.activations:
        return _activations_report(args)
    report = run(args.n_samples, args.epochs, args.repeats, args.threads, args.quick)
    _print_report(report)
    if args.json:
        write(args.json, report)
    return report


if __name__ == "__main__":
    main()
