"""BLAS threads chosen by the work: fits at one thread against BLAS's own
count, on a quiet machine and under a load this script makes itself.

Run::

    python benchmarks/bench_threads.py [--rounds 5] \\
        [--json benchmarks/results/bench_threads.json]

Every comparison is paired and interleaved: each round times every setting
once, in turn, and a ratio is the median over the rounds of that round's
ratio, so that a slow spell of this shared machine hits both sides. "Loaded"
starts one busy process per core (a spinning Python loop) for the duration.

- **The threshold**: one epoch of a network whose largest matrix product of
  a batch spans a range of sizes (multiply-adds), at ``n_threads=1`` and
  ``None`` (BLAS's count): the size where a second thread starts to pay on a
  quiet machine is the threshold of ``n_threads='auto'``
  (``skdense._threads.SINGLE_THREAD_BELOW``).
- **The demo's fit** (``python -m skdense``'s 256 x 256 network on 100 noisy
  two-moons points, 300 epochs) and **the speed workload** (one epoch of
  ``bench_speed.py``'s 20,000 x 784 float32, layers (256, 128), batch 200)
  with ``n_threads='auto'`` (the new default), ``None`` (the old one) and
  ``1``, and MLPClassifier beside.
"""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import argparse
import multiprocessing
import os
import time
import warnings

import numpy as np
from _report import write  # benchmarks/_report.py, beside this script
from sklearn.datasets import make_classification, make_moons
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from skdense import DenseNetClassifier
from skdense._threads import SINGLE_THREAD_BELOW

#: (rows of a batch, features, hidden units): largest product rows x features
#: x hidden, from 0.5 to 160 million multiply-adds.
SWEEP = [(100, 20, 256), (100, 256, 256), (200, 256, 256), (200, 784, 128),
         (200, 784, 256), (400, 784, 256), (400, 784, 512)]  # fmt: skip


def _spin(stop):
    while not stop.is_set():
        pass


class Load:
    """One busy process per core while the ``with`` block runs."""

    def __enter__(self):
        self.stop = multiprocessing.Event()
        self.processes = [
            multiprocessing.Process(target=_spin, args=(self.stop,))
            for _ in range(os.cpu_count())
        ]
        for process in self.processes:
            process.start()
        time.sleep(0.5)
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for process in self.processes:
            process.join()


def _seconds(fit):
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fit()
    return time.perf_counter() - start


def paired(settings, rounds):
    """``{name: (median seconds, median ratio to the first setting)}`` over
    interleaved rounds of ``settings`` (name -> callable)."""
    times = {name: [] for name in settings}
    for _ in range(rounds):
        for name, fit in settings.items():
            times[name].append(_seconds(fit))
    first = np.array(times[next(iter(settings))])
    return {
        name: {
            "seconds": float(np.median(values)),
            "ratio_to_first": float(np.median(np.array(values) / first)),
        }
        for name, values in times.items()
    }


def _epoch(X, y, hidden, batch, n_threads):
    model = DenseNetClassifier(
        hidden, batch_size=batch, max_iter=1, random_state=0, n_threads=n_threads
    )
    return lambda: model.fit(X, y)


def sweep(rounds):
    """Epoch time at 1 thread over BLAS's count, per size of the largest
    product of a batch."""
    rng = np.random.default_rng(0)
    result = {}
    for rows, features, hidden in SWEEP:
        X = rng.normal(size=(4000, features)).astype(np.float32)
        y = rng.integers(0, 10, 4000)
        settings = {
            "1": _epoch(X, y, (hidden,), rows, 1),
            "None": _epoch(X, y, (hidden,), rows, None),
        }
        times = paired(settings, rounds)
        result[f"{rows * features * hidden / 1e6:g}M"] = {
            "shape": [rows, features, hidden],
            "None_over_1": times["None"]["ratio_to_first"],
        }
    return result


def demo_fit(n_threads):
    X, y = make_moons(n_samples=100, noise=0.3, random_state=0)
    params = dict(hidden_layer_sizes=(256, 256), max_iter=300, tol=0, random_state=0)
    if n_threads == "MLP":
        model = MLPClassifier(**params, n_iter_no_change=300, learning_rate_init=0.01)
    else:
        model = DenseNetClassifier(
            **params, n_iter_no_change=300, learning_rate_init=0.01, n_threads=n_threads
        )
    return lambda: model.fit(X, y)


def speed_epoch(n_threads):
    X, y = make_classification(
        n_samples=20000, n_features=784, n_informative=50, n_classes=10, random_state=0
    )
    X = X.astype(np.float32)
    if n_threads == "MLP":
        model = MLPClassifier((256, 128), max_iter=1, random_state=0)
    else:
        model = DenseNetClassifier(
            (256, 128), max_iter=1, random_state=0, n_threads=n_threads
        )
    return lambda: model.fit(X, y)


def defaults(make, rounds):
    settings = {str(n): make(n) for n in (1, "auto", None, "MLP")}
    return paired(settings, rounds)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", help="write the results to this JSON file")
    args = parser.parse_args(argv)
    report = {"rounds": args.rounds, "threshold": SINGLE_THREAD_BELOW}
    for state in ("quiet", "loaded"):
        if state == "loaded":
            load = Load().__enter__()
        try:
            report[state] = {
                "sweep": sweep(args.rounds),
                "demo fit": defaults(demo_fit, args.rounds),
                "speed epoch": defaults(speed_epoch, args.rounds),
            }
        finally:
            if state == "loaded":
                load.__exit__()
        _print(state, report[state])
    if args.json:
        write(args.json, report)
    return report


def _print(state, result):
    for size, entry in result["sweep"].items():
        print(f"{state:<7} epoch, largest product {size:>6}: None / 1 thread "
              f"{entry['None_over_1']:.2f}")  # fmt: skip
    for workload in ("demo fit", "speed epoch"):
        for name, entry in result[workload].items():
            print(
                f"{state:<7} {workload:<12} n_threads={name:<5} "
                f"{entry['seconds']:8.3f} s   "
                f"/ n_threads=1 {entry['ratio_to_first']:.2f}"
            )


if __name__ == "__main__":
    main()
