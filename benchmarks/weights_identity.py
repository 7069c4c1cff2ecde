"""Fingerprints of the float64 weights of a fixed set of fits.

A refactoring of the training engine must not change a single bit of what it
fits. Record the fingerprints before the change and check them after::

    python benchmarks/weights_identity.py --record before.json
    # ... refactor ...
    python benchmarks/weights_identity.py --check before.json

Each fit is fingerprinted by a SHA-256 of its ``coefs_``, ``intercepts_``,
``loss_curve_``, ``n_iter_`` and ``t_``. The digests depend on the BLAS and
the processor, so compare runs on one machine only.
"""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import argparse
import hashlib
import json
import sys
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning

from skdense import DenseNetClassifier, DenseNetRegressor

SOLVERS = ("adam", "sgd", "lbfgs")


def _data():
    X, y = make_classification(
        n_samples=300, n_features=12, n_informative=6, n_classes=3, random_state=0
    )
    Xr, yr = make_regression(n_samples=300, n_features=12, noise=5, random_state=0)
    weights = np.random.default_rng(0).uniform(0.5, 2.0, size=300)
    return X, y, Xr, yr / yr.std(), weights


def _fits():
    """(name, callable returning a fitted model) for every fixed case."""
    X, y, Xr, yr, weights = _data()
    base = dict(hidden_layer_sizes=(16, 8), max_iter=15, random_state=0)
    cases = {}
    for solver in SOLVERS:
        cases[f"clf {solver}"] = (DenseNetClassifier, dict(solver=solver), {})
        cases[f"clf {solver} sample_weight"] = (
            DenseNetClassifier,
            dict(solver=solver),
            dict(sample_weight=weights),
        )
        cases[f"reg {solver}"] = (DenseNetRegressor, dict(solver=solver), {})
    for solver in ("adam", "sgd"):
        for model in (DenseNetClassifier, DenseNetRegressor):
            tag = "clf" if model is DenseNetClassifier else "reg"
            cases[f"{tag} {solver} dropout"] = (
                model,
                dict(solver=solver, keep_prob=0.7),
                {},
            )
            cases[f"{tag} {solver} early_stopping"] = (
                model,
                dict(solver=solver, early_stopping=True, n_iter_no_change=3),
                {},
            )
            cases[f"{tag} {solver} l1"] = (
                model,
                dict(solver=solver, penalty="l1", alpha=0.01),
                {},
            )
        cases[f"clf {solver} elasticnet dropout sample_weight"] = (
            DenseNetClassifier,
            dict(solver=solver, penalty="elasticnet", alpha=0.01, keep_prob=[0.8, 0.6]),
            dict(sample_weight=weights),
        )
        cases[f"clf {solver} early_stopping dropout"] = (
            DenseNetClassifier,
            dict(solver=solver, early_stopping=True, keep_prob=0.8),
            {},
        )
    cases["clf adam class_weight balanced"] = (
        DenseNetClassifier,
        dict(class_weight="balanced"),
        {},
    )
    cases["clf sgd invscaling"] = (
        DenseNetClassifier,
        dict(solver="sgd", learning_rate="invscaling"),
        {},
    )
    cases["clf sgd adaptive"] = (
        DenseNetClassifier,
        dict(solver="sgd", learning_rate="adaptive", n_iter_no_change=2, max_iter=40),
        {},
    )
    for name, (model, params, fit_params) in cases.items():
        data = (Xr, yr) if model is DenseNetRegressor else (X, y)
        yield name, _fit(model(**{**base, **params}), *data, **fit_params)
    yield (
        "clf adam sparse dropout",
        _fit(DenseNetClassifier(**base, keep_prob=0.8), sp.csr_matrix(X * (X > 0)), y),
    )
    yield "clf adam warm_start", _warm_start(DenseNetClassifier(**base), X, y)
    yield (
        "reg sgd warm_start dropout",
        _warm_start(DenseNetRegressor(**base, solver="sgd", keep_prob=0.8), Xr, yr),
    )
    yield (
        "clf lbfgs warm_start",
        _warm_start(DenseNetClassifier(**base, solver="lbfgs"), X, y),
    )
    for solver in ("adam", "sgd"):
        for keep_prob in (1.0, 0.8):
            yield (
                f"clf {solver} partial_fit keep_prob={keep_prob}",
                _blocks(
                    DenseNetClassifier(**base, solver=solver, keep_prob=keep_prob), X, y
                ),
            )
            yield (
                f"reg {solver} partial_fit keep_prob={keep_prob}",
                _blocks(
                    DenseNetRegressor(**base, solver=solver, keep_prob=keep_prob),
                    Xr,
                    yr,
                ),
            )


def _fit(model, X, y, **fit_params):
    return model.fit(X, y, **fit_params)


def _warm_start(model, X, y):
    model.fit(X[:200], y[:200])
    model.set_params(warm_start=True, max_iter=5)
    return model.fit(X, y)


def _blocks(model, X, y):
    """Three passes of partial_fit over 60-row blocks."""
    extra = {"classes": np.unique(y)} if isinstance(model, DenseNetClassifier) else {}
    for _ in range(3):
        for start in range(0, len(X), 60):
            rows = slice(start, start + 60)
            model.partial_fit(X[rows], y[rows], **extra)
    return model


def fingerprint(model):
    digest = hashlib.sha256()
    for array in [*model.coefs_, *model.intercepts_]:
        digest.update(np.ascontiguousarray(array, dtype=np.float64).tobytes())
    digest.update(np.asarray(model.loss_curve_, dtype=np.float64).tobytes())
    digest.update(f"{model.n_iter_} {getattr(model, 't_', None)}".encode())
    return digest.hexdigest()


def fingerprints():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return {name: fingerprint(model) for name, model in _fits()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--record", metavar="FILE")
    group.add_argument("--check", metavar="FILE")
    args = parser.parse_args(argv)
    current = fingerprints()
    if args.record:
        with open(args.record, "w") as file:
            json.dump(current, file, indent=1)
        print(f"recorded {len(current)} fits in {args.record}")
        return 0
    with open(args.check) as file:
        recorded = json.load(file)
    changed = [name for name in recorded if current.get(name) != recorded[name]]
    missing = sorted(set(recorded) ^ set(current))
    for name in changed:
        print(f"CHANGED  {name}")
    for name in missing:
        print(f"MISSING  {name}")
    same = len(recorded) - len(changed)
    print(f"{same} of {len(recorded)} fits bit-identical")
    return 1 if changed or missing else 0


if __name__ == "__main__":
    sys.exit(main())
