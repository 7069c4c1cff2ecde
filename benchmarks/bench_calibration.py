"""Calibration of the Gaussian intervals of ``loss='gaussian_nll'`` on held-out
data, against NGBoost, on the UCI regression sets.

Run::

    python benchmarks/bench_calibration.py ../shared/data/uci [--splits 5] \\
        [--ngboost-python PATH] [--json benchmarks/results/bench_calibration.json]

The folder is the one of ``bench_uci.py`` (its README gives the layout); no
part of skdense depends on it. On splits 0 to ``--splits - 1`` of each set,
as a user following the user guide's recipe would:

- ``make_pipeline(StandardScaler(), DenseNetRegressor(loss='gaussian_nll',
  early_stopping=True, random_state=k))``, without dropout and with
  ``keep_prob=0.95``, in two settings: "defaults" (every other parameter
  MLP's default) and "recipe", the user guide's: the same with the patience
  of ``n_iter_no_change=50`` and ``max_iter=2000`` (early stopping ends the
  fit). The target as it is (the model standardises it). Early stopping
  holds out 10 % of the training split, on which the std is calibrated
  (``std_scale_``); "uncalibrated" divides it out again, from the same fit.
- NGBoost 0.6 (Normal, ``learning_rate=0.01``, early stopping on 20 % of the
  training split after 50 rounds without improvement, then a refit on the
  whole split with the best number of rounds), when it can be imported here
  or by the interpreter ``--ngboost-python`` names. NGBoost pins
  scikit-learn below 1.7, so it usually lives in an environment of its own;
  it is a benchmark tool, never a dependency.

For each, the coverage of the central 50/80/90/95 % Gaussian intervals of
``predict(X, return_std=True)`` over the test rows of all splits pooled,
MACE (the mean of |coverage - level| over the four levels), the mean test
log-likelihood of that Gaussian (per point, natural log, in y's units) and
the RMSE.
"""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import argparse
import json
import pathlib
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
from scipy.stats import norm

DATASETS = ["concrete", "energy", "wine-quality-red", "yacht"]
LEVELS = [0.5, 0.8, 0.9, 0.95]
#: The networks measured: name -> (parameters beyond the defaults, keep_prob).
NETWORKS = {
    "defaults, no dropout": ({}, 1.0),
    "defaults, dropout 0.95": ({}, 0.95),
    "recipe, no dropout": ({"max_iter": 2000, "n_iter_no_change": 50}, 1.0),
    "recipe, dropout 0.95": ({"max_iter": 2000, "n_iter_no_change": 50}, 0.95),
}


def load(folder):
    data = np.loadtxt(folder / "data.txt")
    features = np.loadtxt(folder / "index_features.txt", dtype=int)
    target = int(np.loadtxt(folder / "index_target.txt"))
    return data[:, features], data[:, target]


def split(folder, k):
    train = np.loadtxt(folder / f"index_train_{k}.txt", dtype=int)
    test = np.loadtxt(folder / f"index_test_{k}.txt", dtype=int)
    return train, test


def skdense_predictions(X_train, y_train, X_test, params, keep_prob, seed):
    """Mean, calibrated std and uncalibrated std of one network."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skdense import DenseNetRegressor

    model = make_pipeline(
        StandardScaler(),
        DenseNetRegressor(
            loss="gaussian_nll",
            early_stopping=True,
            keep_prob=keep_prob,
            random_state=seed,
            **params,
        ),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning at max_iter
        model.fit(X_train, y_train)
    mean, std = model.predict(X_test, return_std=True)
    return mean, std, std / model[-1].std_scale_[0]


def ngboost_predictions(X_train, y_train, X_test, seed):
    from ngboost import NGBRegressor
    from ngboost.distns import Normal

    rng = np.random.default_rng(seed)
    order = rng.permutation(len(X_train))
    n_fit = int(0.8 * len(X_train))
    fit_rows, val_rows = order[:n_fit], order[n_fit:]
    params = dict(Dist=Normal, learning_rate=0.01, verbose=False, random_state=seed)
    search = NGBRegressor(n_estimators=5000, **params)
    search.fit(
        X_train[fit_rows],
        y_train[fit_rows],
        X_val=X_train[val_rows],
        Y_val=y_train[val_rows],
        early_stopping_rounds=50,
    )
    rounds = (search.best_val_loss_itr or search.n_estimators - 1) + 1
    model = NGBRegressor(n_estimators=rounds, **params).fit(X_train, y_train)
    distribution = model.pred_dist(X_test)
    return distribution.loc, distribution.scale


def metrics(y, mean, std):
    """Coverage per level, MACE, Gaussian log-likelihood and RMSE of pooled
    test rows."""
    z = np.abs(y - mean) / std
    coverage = {
        str(level): float(np.mean(z <= norm.ppf(0.5 + level / 2))) for level in LEVELS
    }
    mace = float(np.mean([abs(coverage[str(level)] - level) for level in LEVELS]))
    log_likelihood = float(np.mean(norm.logpdf(y, loc=mean, scale=std)))
    rmse = float(np.sqrt(np.mean((y - mean) ** 2)))
    return {"coverage": coverage, "mace": mace, "ll": log_likelihood, "rmse": rmse}


def run_dataset(folder, n_splits, models):
    """Predictions of every model on every split, pooled; their metrics."""
    X, y = load(folder)
    pooled = {}
    seconds = {}
    for k in range(n_splits):
        train, test = split(folder, k)
        for name in models:
            start = time.perf_counter()
            if name == "ngboost":
                outputs = {
                    "ngboost": ngboost_predictions(X[train], y[train], X[test], k)
                }
            else:
                mean, std, raw = skdense_predictions(
                    X[train], y[train], X[test], *NETWORKS[name], k
                )
                outputs = {
                    f"{name}, calibrated": (mean, std),
                    f"{name}, uncalibrated": (mean, raw),
                }
            seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - start
            for row, (mean, std) in outputs.items():
                parts = pooled.setdefault(row, ([], [], []))
                parts[0].append(y[test])
                parts[1].append(mean)
                parts[2].append(std)
    result = {
        row: metrics(*(np.concatenate(part) for part in parts))
        for row, parts in pooled.items()
    }
    return result, seconds


def _ngboost_elsewhere(python, folder, args):
    """NGBoost's rows, computed by another interpreter that has it."""
    with tempfile.TemporaryDirectory() as scratch:
        out = pathlib.Path(scratch) / "ngboost.json"
        command = [python, __file__, str(folder), "--splits", str(args.splits)]
        command += ["--datasets", *args.datasets, "--only-ngboost", "--raw", str(out)]
        subprocess.run(command, check=True)
        return json.loads(out.read_text())


def _ngboost_version():
    """NGBoost's version where this interpreter has it, else None."""
    try:
        import ngboost
    except ImportError:
        return None
    return ngboost.__version__


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=pathlib.Path)
    parser.add_argument("--splits", type=int, default=5)
    parser.add_argument("--datasets", nargs="*", default=DATASETS)
    parser.add_argument("--ngboost-python", help="an interpreter that has ngboost")
    parser.add_argument("--only-ngboost", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--raw", help=argparse.SUPPRESS)
    parser.add_argument("--json", help="write the results to this JSON file")
    args = parser.parse_args(argv)
    if args.only_ngboost:
        models = ["ngboost"]
    else:
        models = [*NETWORKS] + (["ngboost"] if _ngboost_version() else [])
    report = {"splits": args.splits, "levels": LEVELS, "datasets": {}}
    if "ngboost" in models:
        report["ngboost"] = _ngboost_version()
    for name in args.datasets:
        result, seconds = run_dataset(args.folder / name, args.splits, models)
        report["datasets"][name] = {"rows": result, "seconds": seconds}
    if args.raw:
        pathlib.Path(args.raw).write_text(json.dumps(report))
        return report
    if args.ngboost_python and "ngboost" not in models:
        elsewhere = _ngboost_elsewhere(args.ngboost_python, args.folder, args)
        report["ngboost"] = elsewhere["ngboost"]
        for name, entry in elsewhere["datasets"].items():
            report["datasets"][name]["rows"].update(entry["rows"])
            report["datasets"][name]["seconds"].update(entry["seconds"])
    _print(report)
    if args.json:
        sys.path.insert(0, str(pathlib.Path(__file__).parent))
        from _report import write

        # The command as anyone reruns it: the interpreter's path is this
        # machine's own.
        argv = [
            "NGBOOST_PYTHON" if arg == args.ngboost_python else arg for arg in sys.argv
        ]
        write(args.json, report, argv)
    return report


def _print(report):
    for name, entry in report["datasets"].items():
        for row, values in entry["rows"].items():
            coverage = values["coverage"]
            print(
                f"{name:<18}{row:<38} MACE {values['mace']:.3f}  "
                f"80% {coverage['0.8']:.3f}  95% {coverage['0.95']:.3f}  "
                f"LL {values['ll']:.3f}  RMSE {values['rmse']:.3f}"
            )


if __name__ == "__main__":
    main()
