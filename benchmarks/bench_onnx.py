"""Prediction with skdense against the same model in onnxruntime.

Run ``python benchmarks/bench_onnx.py`` (needs ``pip install "skdense[onnx]"``).
For one fitted classifier and regressor (float32, ``(256, 128)`` on 100
features) it prints the median latency of a one-row prediction and the
throughput on 10,000 rows, for ``predict_proba`` (``predict``) and for
onnxruntime's session on the exported graph, then the largest difference
between the two on held-out rows.
"""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import argparse
import statistics
import time
import warnings

import numpy as np
import onnxruntime as ort
from _report import write  # benchmarks/_report.py, beside this script
from skl2onnx import to_onnx
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

import skdense.onnx  # noqa: F401  (registers the converters)
from skdense import DenseNetClassifier, DenseNetRegressor

HIDDEN = (256, 128)


def _median(function, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _session(model, X, threads):
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    onx = to_onnx(
        model, X[:1], options={"zipmap": False} if _is_classifier(model) else None
    )
    return ort.InferenceSession(
        onx.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )


def _is_classifier(model):
    return isinstance(model, DenseNetClassifier)


def _models(n_rows, n_features):
    X, y = make_classification(
        n_samples=n_rows,
        n_features=n_features,
        n_informative=n_features // 2,
        n_classes=10 if n_features >= 20 else 3,
        random_state=0,
    )
    Xr, yr = make_regression(n_samples=n_rows, n_features=n_features, random_state=0)
    X, Xr = X.astype(np.float32), Xr.astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        classifier = DenseNetClassifier(HIDDEN, max_iter=3, random_state=0)
        regressor = DenseNetRegressor(
            hidden_layer_sizes=HIDDEN, max_iter=3, random_state=0
        )
        return [(classifier.fit(X, y), X), (regressor.fit(Xr, yr / yr.std()), Xr)]


def measure(model, X, batch, repeats, threads):
    """Latency, throughput and largest difference of skdense and onnxruntime."""
    session = _session(model, X, threads)
    name = session.get_inputs()[0].name
    ours = model.predict_proba if _is_classifier(model) else model.predict
    held_out, row = X[-batch:], X[-1:]
    with threadpool_limits(threads):
        result = {
            "row_skdense": _median(lambda: ours(row), repeats),
            "row_onnxruntime": _median(lambda: session.run(None, {name: row}), repeats),
            "rows_per_s_skdense": batch
            / _median(lambda: ours(held_out), max(3, repeats // 20)),
            "rows_per_s_onnxruntime": batch
            / _median(
                lambda: session.run(None, {name: held_out}), max(3, repeats // 20)
            ),
        }
    expected = np.asarray(ours(held_out)).reshape(batch, -1)
    got = session.run(None, {name: held_out})[1 if _is_classifier(model) else 0]
    result["max_difference"] = float(np.abs(got.reshape(batch, -1) - expected).max())
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run")
    parser.add_argument("--json", help="write the results to this JSON file")
    args = parser.parse_args(argv)
    n_rows, n_features = (300, 10) if args.quick else (12000, 100)
    batch = 100 if args.quick else 10000
    repeats = 3 if args.quick else args.repeats
    print(
        f"{'model':<20}{'1 row: skdense':>16}{'ORT':>9}"
        f"{'rows/s: skdense':>17}{'ORT':>11}{'max |diff|':>12}"
    )
    results = {}
    for model, X in _models(n_rows, n_features):
        r = results[type(model).__name__] = measure(
            model, X, batch, repeats, args.threads
        )
        print(
            f"{type(model).__name__:<20}{r['row_skdense'] * 1e6:>13.0f} us"
            f"{r['row_onnxruntime'] * 1e6:>6.0f} us"
            f"{r['rows_per_s_skdense']:>17,.0f}{r['rows_per_s_onnxruntime']:>11,.0f}"
            f"{r['max_difference']:>12.1e}"
        )
    if args.json:
        workload = {"hidden": HIDDEN, "features": n_features, "batch_rows": batch}
        write(args.json, {"workload": workload, "threads": args.threads, **results})
    return results


if __name__ == "__main__":
    main()
