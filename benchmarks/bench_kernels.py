"""The fused numba kernels against NumPy's: each kernel, whole epochs, and
what loading them costs.

Run (with the ``skdense[numba]`` extra installed)::

    python benchmarks/bench_kernels.py [--rounds 7] \\
        [--json benchmarks/results/bench_kernels.json]

Everything runs at one BLAS thread (the only stable setting on a loaded
machine), paired and interleaved: each round times both kernels in turn,
and a speed-up is the median over the rounds of that round's NumPy time
over its numba time.

- **Kernels**: each fused kernel against the NumPy passes it replaces, on
  the shapes of ``bench_speed.py``'s workload (a batch of 200 rows, layers
  (784, 256, 128, 10), 235,146 parameters; the row keys of its 20,000 x 784
  training set), float32; each result is checked bit for bit against
  NumPy's before it is timed.
- **End to end**: one epoch of ``bench_speed.py``'s workload (20,000 x 784,
  layers (256, 128), batch 200, Adam) per configuration (relu float32,
  ``keep_prob=0.8``, gelu, float64, float64 with ``keep_prob=0.8``), each
  with ``SKDENSE_KERNELS=numpy`` and ``numba``, and the share of the floor
  (the epoch's eight matrix products alone, ``bench_speed.matmul_floor``)
  each reaches; the weights of both are checked equal.
- **Loading**: in fresh processes, the import of numba and the kernels, and
  the first small fit that uses them, against NumPy's: cold (an empty numba
  cache: every kernel compiled), cached (numba's cache filled), and in a
  fresh loky worker (joblib's process pool, as a grid search runs). From the
  cached cost and the end-to-end saving per row x parameter comes the
  threshold of ``SKDENSE_KERNELS=auto`` (``skdense._kernels.FUSED_FROM_WORK``).
"""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import argparse
import itertools
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

import numba
import numpy as np
from _report import write  # benchmarks/_report.py, beside this script
from bench_speed import HIDDEN, _workload, matmul_floor
from scipy.special import erf
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from skdense import DenseNetClassifier, _fused
from skdense._activations import ACTIVATIONS, NORMAL_PDF_SCALE, SQRT_HALF
from skdense._dropout import RowKeyedDropout, row_keys
from skdense._optimizers import AdamOptimizer

BATCH = 200
LAYERS = [784, *HIDDEN, 10]
CONFIGS = {
    "relu float32": dict(dtype=np.float32),
    "relu float32 keep_prob=0.8": dict(dtype=np.float32, keep_prob=0.8),
    "gelu float32": dict(dtype=np.float32, activation="gelu"),
    "relu float64": dict(dtype=np.float64),
    "relu float64 keep_prob=0.8": dict(dtype=np.float64, keep_prob=0.8),
}


def _timed(function, repeats=1):
    start = time.perf_counter()
    for _ in range(repeats):
        function()
    return (time.perf_counter() - start) / repeats


def _paired(numpy_way, numba_way, rounds, repeats):
    """Median over interleaved rounds of NumPy's time / numba's, and both times."""
    numpy_way(), numba_way()  # warm-up (and numba's compilation)
    times = np.array(
        [
            (_timed(numpy_way, repeats), _timed(numba_way, repeats))
            for _ in range(rounds)
        ]
    )
    return {
        "numpy_seconds": float(np.median(times[:, 0])),
        "numba_seconds": float(np.median(times[:, 1])),
        "speedup": float(np.median(times[:, 0] / times[:, 1])),
    }


def _check(fused, reference, name):
    for ours, theirs in zip(fused, reference):
        if not np.array_equal(ours.view(np.uint8), theirs.view(np.uint8)):
            raise AssertionError(f"{name}: the fused kernel's bits differ")


# -- each kernel ---------------------------------------------------------------


def _adam_kernels(rng, l2):
    n_params = sum(a * b + b for a, b in itertools.pairwise(LAYERS))
    n_coefs = sum(a * b for a, b in itertools.pairwise(LAYERS))
    theta = rng.normal(0, 0.05, n_params).astype(np.float32)
    grad = rng.normal(0, 1, n_params).astype(np.float32)
    work = np.empty(n_coefs, np.float32)
    finish = (n_coefs, np.float32(l2), np.float32(BATCH if l2 else 0))
    states = {}

    def numpy_way():
        params, g, optimizer = states["numpy"]
        g[...] = grad
        if l2:  # DenseNetwork.loss_gradient's finish, then the step
            g[:n_coefs] += np.multiply(params[:n_coefs], l2, out=work)
            g /= BATCH
        optimizer.step(params, g)

    def numba_way():
        params, g, optimizer = states["numba"]
        g[...] = grad
        optimizer.fused_step(_fused.adam_step, params, g, finish, (0, np.float32(1)))

    for name in ("numpy", "numba"):
        optimizer = AdamOptimizer(n_params, np.float32, 1e-3, 0.9, 0.999, 1e-8)
        states[name] = (theta.copy(), np.empty_like(grad), optimizer)
    for _ in range(3):
        numpy_way(), numba_way()
    _check(states["numba"][:2], states["numpy"][:2], "adam")
    return numpy_way, numba_way


def _relu_forward(rng, keep):
    Z0 = rng.normal(size=(BATCH, 256)).astype(np.float32)
    intercept = rng.normal(size=256).astype(np.float32)
    mask = ((rng.random(Z0.shape) < keep) / np.float32(keep)).astype(np.float32)
    Z, out, Z2, out2 = (np.empty_like(Z0) for _ in range(4))

    def numpy_way():
        Z[...] = Z0
        np.add(Z, intercept, out=Z)
        ACTIVATIONS["relu"].apply(Z)
        np.multiply(Z, mask, out=out)

    def numba_way():
        Z2[...] = Z0
        _fused.bias_relu_mask(Z2, intercept, mask, out2)

    numpy_way(), numba_way()
    _check([Z2, out2], [Z, out], "relu forward")
    return numpy_way, numba_way


def _relu_backward(rng, keep):
    H = np.maximum(rng.normal(size=(BATCH, 256)), 0).astype(np.float32)
    delta0 = rng.normal(size=H.shape).astype(np.float32)
    mask = ((rng.random(H.shape) < keep) / np.float32(keep)).astype(np.float32)
    delta, delta2 = np.empty_like(delta0), np.empty_like(delta0)

    def numpy_way():
        delta[...] = delta0
        np.multiply(delta, mask, out=delta)
        ACTIVATIONS["relu"].derivative(H, delta)

    def numba_way():
        delta2[...] = delta0
        _fused.mask_relu_slope(delta2, mask, H)

    numpy_way(), numba_way()
    _check([delta2], [delta], "relu backward")
    return numpy_way, numba_way


def _masks(rng, keep):
    dropout = RowKeyedDropout([keep, keep], list(HIDDEN), seed=0)
    keys = rng.integers(0, 2**63, size=BATCH, dtype=np.uint64)
    reference = [m.copy() for m in dropout.masks(keys, 3, np.float32)]
    fused = dropout.masks(keys, 3, np.float32, kernels=_fused)
    _check(fused, reference, "dropout masks")
    return (
        lambda: dropout.masks(keys, 3, np.float32),
        lambda: dropout.masks(keys, 3, np.float32, kernels=_fused),
    )


def _row_keys(rng):
    X = rng.normal(size=(20000, 784)).astype(np.float32)
    _check([row_keys(X, kernels=_fused)], [row_keys(X)], "row keys")
    return lambda: row_keys(X), lambda: row_keys(X, kernels=_fused)


@numba.njit(cache=True)
def _erf_loop(x, out):
    for i in range(x.shape[0]):
        out[i] = _fused.erf(x[i])


def _erf(rng):
    x = rng.normal(0, 2, BATCH * 256)
    out, reference = np.empty_like(x), erf(x)
    _erf_loop(x, out)
    _check([out], [reference], "erf")
    return lambda: erf(x, out=reference), lambda: _erf_loop(x, out)


def _gelu_forward(rng):
    Z0 = rng.normal(size=(BATCH, 256)).astype(np.float32)
    intercept = rng.normal(size=256).astype(np.float32)
    Z, slope, Z2, slope2, cdf = (np.empty_like(Z0) for _ in range(5))
    no_mask = np.empty((0, 0), np.float32)

    def numpy_way():
        Z[...] = Z0
        np.add(Z, intercept, out=Z)
        ACTIVATIONS["gelu"].apply_with_slope(Z, slope)

    def numba_way():
        Z2[...] = Z0
        _fused.gelu_before_exp(Z2, intercept, cdf, slope2, np.float32(SQRT_HALF))
        np.exp(slope2, out=slope2)
        _fused.gelu_after_exp(
            Z2, cdf, slope2, np.float32(NORMAL_PDF_SCALE), no_mask, Z2
        )

    numpy_way(), numba_way()
    _check([Z2, slope2], [Z, slope], "gelu forward")
    return numpy_way, numba_way


def kernel_speedups(rounds):
    rng = np.random.default_rng(0)
    kernels = {
        "Adam step (12 passes into 1)": (_adam_kernels(rng, 0.0), 20),
        "Adam step with the L2 gradient and / n (16 into 1)": (
            _adam_kernels(rng, 1e-4),
            20,
        ),
        "bias + relu + mask, forward (256 units)": (_relu_forward(rng, 0.8), 200),
        "mask + relu slope, backward": (_relu_backward(rng, 0.8), 200),
        "dropout masks (hash), two layers": (_masks(rng, 0.8), 200),
        "row keys of the training set (20,000 x 784), once per fit": (
            _row_keys(rng),
            2,
        ),
        "erf (float64, 51,200 values)": (_erf(rng), 50),
        "bias + GELU with its slope, forward": (_gelu_forward(rng), 50),
    }
    with threadpool_limits(1):
        return {
            name: _paired(*ways, rounds, repeats)
            for name, (ways, repeats) in kernels.items()
        }


# -- whole epochs --------------------------------------------------------------


def _epoch(X, y, epochs, kernels, config):
    os.environ["SKDENSE_KERNELS"] = kernels
    params = {k: v for k, v in config.items() if k != "dtype"}
    model = DenseNetClassifier(
        HIDDEN, batch_size=BATCH, max_iter=epochs, tol=0, random_state=0,
        n_threads=None, **params,
    )  # fmt: skip
    seconds = _timed(lambda: model.fit(X, y)) / epochs
    return seconds, model


def end_to_end(n_samples, epochs, rounds):
    X64, y = _workload(n_samples)
    data = {np.float32: X64.astype(np.float32), np.float64: X64}
    results = {}
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        times = {name: [] for name in CONFIGS}
        floors = {np.float32: [], np.float64: []}
        for round_ in range(rounds + 1):  # round 0: warm-up and the bit check
            for name, config in CONFIGS.items():
                X = data[config["dtype"]]
                fits = [_epoch(X, y, epochs, k, config) for k in ("numpy", "numba")]
                if round_ == 0:
                    _check(fits[1][1].coefs_, fits[0][1].coefs_, name)
                    continue
                times[name].append((fits[0][0], fits[1][0]))
            for dtype in floors:
                floor = matmul_floor(n_samples, 784, np.dtype(dtype).name, 1)
                if round_:
                    floors[dtype].append(floor)
        for name, config in CONFIGS.items():
            pairs = np.array(times[name])
            floor = np.array(floors[config["dtype"]])
            results[name] = {
                "numpy_seconds_per_epoch": float(np.median(pairs[:, 0])),
                "numba_seconds_per_epoch": float(np.median(pairs[:, 1])),
                "speedup": float(np.median(pairs[:, 0] / pairs[:, 1])),
                "numpy_share_of_floor": float(np.median(floor / pairs[:, 0])),
                "numba_share_of_floor": float(np.median(floor / pairs[:, 1])),
            }
    os.environ.pop("SKDENSE_KERNELS")
    return results, {np.dtype(d).name: float(np.median(v)) for d, v in floors.items()}


# -- loading -------------------------------------------------------------------

_IMPORTS_AND_DATA = """
import time
start = time.perf_counter()
import warnings
import numpy as np
from sklearn.datasets import make_classification
from skdense import DenseNetClassifier
imported = time.perf_counter() - start
X, y = make_classification(300, 20, random_state=0)
warnings.simplefilter("ignore")
"""
# The first fits of a process: relu and GELU, float32 and float64, dropout.
_FIRST_FITS = (
    _IMPORTS_AND_DATA
    + """
start = time.perf_counter()
for dtype in (np.float32, np.float64):
    for activation in ("relu", "gelu"):
        DenseNetClassifier((32,), activation=activation, keep_prob=0.8,
                           max_iter=2, random_state=0).fit(X.astype(dtype), y)
first_fits = time.perf_counter() - start
"""
)


def _first_fits_in_subprocess(kernels, cache_dir):
    env = dict(os.environ, SKDENSE_KERNELS=kernels, NUMBA_CACHE_DIR=cache_dir)
    env["OPENBLAS_NUM_THREADS"] = "1"
    code = _FIRST_FITS + 'print(f"{imported} {first_fits}")'
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, check=True, capture_output=True
    )
    imported, first_fits = map(float, done.stdout.split())
    return {"import": imported, "first_fits": first_fits}


def _run_in_worker(code):
    """``code``'s ``imported + first_fits``, run where this is called: this
    function, defined in ``__main__``, reaches a loky worker by value, so the
    worker imports nothing of skdense or numba before ``code`` does."""
    scope = {}
    exec(code, scope)
    return scope["imported"] + scope["first_fits"]


def _first_fits_in_worker(kernels):
    from joblib import Parallel, delayed
    from joblib.externals.loky import get_reusable_executor

    get_reusable_executor(kill_workers=True).shutdown(wait=True)  # fresh workers
    os.environ["SKDENSE_KERNELS"] = kernels
    try:
        runs = Parallel(n_jobs=2)(delayed(_run_in_worker)(_FIRST_FITS) for _ in "ab")
    finally:
        os.environ.pop("SKDENSE_KERNELS")
    return max(runs)


def loading_costs(rounds):
    """Seconds of the imports and the first fits, NumPy's kernels against
    numba's, cold and cached; medians over ``rounds`` fresh processes."""
    runs = {"numpy": [], "numba, cold cache": [], "numba, cached": []}
    workers = {"numpy": [], "numba": []}
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as cache:
            runs["numpy"].append(_first_fits_in_subprocess("numpy", cache))
            for name in ("numba, cold cache", "numba, cached"):
                runs[name].append(_first_fits_in_subprocess("numba", cache))
        for kernels in workers:  # numba's cache: skdense's own, filled by now
            workers[kernels].append(_first_fits_in_worker(kernels))
    medians = {
        name: {
            key: statistics.median(run[key] for run in values)
            for key in ("import", "first_fits")
        }
        for name, values in runs.items()
    }
    baseline = sum(medians["numpy"].values())
    for entry in medians.values():
        entry["over_numpy"] = sum(entry.values()) - baseline
    worker = {name: statistics.median(values) for name, values in workers.items()}
    worker["over_numpy"] = worker["numba"] - worker["numpy"]
    return {"fresh_process": medians, "loky_worker": worker}


def threshold(end_to_end_results, n_samples, cached_cost):
    """Rows x parameters x epochs from which the cached load pays back, from
    relu float32's saving per epoch."""
    n_params = sum(a * b + b for a, b in itertools.pairwise(LAYERS))
    relu = end_to_end_results["relu float32"]
    saved = relu["numpy_seconds_per_epoch"] - relu["numba_seconds_per_epoch"]
    per_unit = saved / (n_samples * n_params)
    return {"saved_seconds_per_row_x_parameter": per_unit,
            "pays_back_from_work": cached_cost / per_unit}  # fmt: skip


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--n-samples", type=int, default=20000)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--load-rounds", type=int, default=3)
    parser.add_argument("--json")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.n_samples, args.epochs, args.load_rounds = 1, 600, 1, 1
    kernels = kernel_speedups(args.rounds)
    print(f"{'kernel (float32, one thread)':<54}{'NumPy':>10}{'numba':>10}{'x':>7}")
    for name, r in kernels.items():
        print(
            f"{name:<54}{r['numpy_seconds'] * 1e6:>8.0f}us"
            f"{r['numba_seconds'] * 1e6:>8.0f}us{r['speedup']:>7.2f}"
        )
    epochs, floors = end_to_end(args.n_samples, args.epochs, args.rounds)
    print(f"\nfloor (eight products) s/epoch: {floors}")
    print(f"{'epoch (one thread)':<30}{'NumPy s':>9}{'numba s':>9}{'x':>7}"
          f"{'NumPy floor':>13}{'numba floor':>13}")  # fmt: skip
    for name, r in epochs.items():
        print(
            f"{name:<30}{r['numpy_seconds_per_epoch']:>9.3f}"
            f"{r['numba_seconds_per_epoch']:>9.3f}{r['speedup']:>7.2f}"
            f"{r['numpy_share_of_floor']:>13.0%}{r['numba_share_of_floor']:>13.0%}"
        )
    loading = loading_costs(args.load_rounds)
    print("\nloading (s, median of fresh processes):")
    for name, entry in loading["fresh_process"].items():
        print(
            f"  {name:<20} import {entry['import']:.3f}, first four small fits "
            f"{entry['first_fits']:.3f}, over NumPy's {entry['over_numpy']:+.3f}"
        )
    worker = loading["loky_worker"]
    print(
        f"  loky worker: imports and first four fits, NumPy {worker['numpy']:.3f},"
        f" numba {worker['numba']:.3f}, over NumPy's {worker['over_numpy']:+.3f}"
    )
    cached = loading["fresh_process"]["numba, cached"]["over_numpy"]
    payback = threshold(epochs, args.n_samples, cached)
    print(f"\nsaved per row x parameter: "
          f"{payback['saved_seconds_per_row_x_parameter'] * 1e9:.3f} ns; "
          f"the cached load pays back from {payback['pays_back_from_work']:.2e} "
          "rows x parameters x epochs")  # fmt: skip
    report = dict(
        workload=dict(n_samples=args.n_samples, layers=LAYERS, batch=BATCH,
                      epochs=args.epochs, rounds=args.rounds, threads=1),
        numba=numba.__version__,
        kernels=kernels,
        floor_seconds_per_epoch=floors,
        end_to_end=epochs,
        loading=loading,
        threshold=payback,
    )  # fmt: skip
    if args.json:
        write(args.json, report, argv)
    return report


if __name__ == "__main__":
    main()
