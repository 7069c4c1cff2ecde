"""Properties the mathematics guarantees, as the reference where no other
library computes the same thing (the Gaussian and quantile losses, dropout,
calibration). Each test draws configurations from a seeded generator and runs
them on every path a user has: ``fit``, ``partial_fit`` streams,
``warm_start``, the internal validation split, the user's ``X_val``/``y_val``
and sample weights, in float32 and float64.

- Equivariance of ``loss='gaussian_nll'``: for y -> a*y + b (a > 0) the model
  trains on the same standardised targets, so predictions go to a*pred + b,
  ``return_std`` to a*std, ``sample_y`` to a*s + b, and ``n_iter_``, the
  validation curves and the calibration stay, to rounding. Rounding bounds
  what can be asked: a*y + b holds y's information only while |b| is within
  about 1/eps of a*std(y), so ``b`` is drawn in units of a*std(y).
- float32 and float64 agree: the same weights predict the same to float32
  precision, one epoch trains the same to float32 precision, and float32
  never leaves float32.
- Full-batch fits do not depend on the order of the rows, and integer sample
  weights train as copies of the rows, for every loss, dropout included.

``SKDENSE_PROPERTY_CASES`` sets the number of drawn cases per test (16 by
default; the deep run before a release is 1,000).
"""

import os
import warnings

import numpy as np
import pytest
from sklearn.base import clone

from skdense import DenseNetClassifier, DenseNetRegressor

N_CASES = int(os.environ.get("SKDENSE_PROPERTY_CASES", "16"))
PATHS = ["fit", "partial_fit", "warm_start", "split", "X_val", "weights"]
REGRESSION_LOSSES = ["squared_error", "poisson", "gaussian_nll", "quantile"]
CLASSIFICATION_KINDS = ["binary", "multiclass", "multilabel"]


def _pick(rng, options):
    return options[rng.integers(len(options))]


def _gaussian_params(rng):
    """A small gaussian_nll regressor's parameters, drawn."""
    return dict(
        loss="gaussian_nll",
        hidden_layer_sizes=_pick(rng, [(6,), (5, 4)]),
        activation=_pick(rng, ["relu", "tanh", "gelu", "softplus"]),
        solver=_pick(rng, ["adam", "sgd", "adamw"]),
        penalty=_pick(rng, ["l2", "l1", "elasticnet", None]),
        alpha=_pick(rng, [1e-4, 1e-2]),
        keep_prob=_pick(rng, [1.0, 0.8]),
        input_keep_prob=_pick(rng, [1.0, 0.9]),
        batch_size=_pick(rng, ["auto", 16]),
        variance_power=_pick(rng, [0.0, 0.5, 1.0]),
        learning_rate_init=0.01,
        max_iter=int(rng.integers(3, 9)),
        mc_samples=7,
        random_state=int(rng.integers(1000)),
    )


def _data(rng, n_rows=90, n_targets=1):
    X = rng.normal(size=(n_rows, 4))
    noise = 0.3 + 0.3 * np.abs(X[:, :1])
    y = np.sin(X[:, :1]) + X[:, 1:2] + noise * rng.normal(size=(n_rows, n_targets))
    return X, y[:, 0] if n_targets == 1 else y


def _train(params, path, X, y, extra):
    """Train a model of ``params`` along ``path``; ``extra`` holds the
    path's own data (validation set, weights), drawn once per case."""
    model = DenseNetRegressor(**params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning, batch clipping
        if path == "partial_fit":
            for block in np.array_split(np.arange(len(X)), 3):
                model.partial_fit(X[block], y[block])
        elif path == "warm_start":
            model.fit(X, y)
            model.set_params(warm_start=True, max_iter=2).fit(X, y)
        elif path == "split":
            model.set_params(early_stopping=True).fit(X, y)
        elif path == "X_val":
            model.set_params(early_stopping=True)
            model.fit(X, y, X_val=extra["X_val"], y_val=extra["y_val"])
        elif path == "weights":
            model.fit(X, y, sample_weight=extra["weights"])
        else:
            model.fit(X, y)
    return model


def _path_data(rng, path, dtype, transform=lambda y: y):
    X, y = _data(rng)
    X_val, y_val = _data(rng, n_rows=30)
    extra = {
        "X_val": X_val.astype(dtype),
        "y_val": transform(y_val),
        "weights": rng.integers(0, 4, size=len(X)).astype(float),
    }
    return X.astype(dtype), y, extra


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", range(N_CASES))
def test_gaussian_nll_is_equivariant_under_an_affine_map_of_y(case, dtype):
    rng = np.random.default_rng([case, 0xAFF1])
    params, path = _gaussian_params(rng), _pick(rng, PATHS)
    X, y, extra = _path_data(np.random.default_rng([case, 1]), path, dtype)
    a = 10 ** rng.uniform(-12, 12)
    # b in units of a * std(y): up to 1e6 in float64, 10 in float32 (beyond,
    # rounding a*y + b to the dtype erases y).
    b = rng.uniform(-1, 1) * (1e6 if dtype == np.float64 else 10) * a * y.std()
    mapped_extra = dict(extra, y_val=a * extra["y_val"] + b)
    model = _train(params, path, X, y, extra)
    mapped = _train(params, path, X, a * y + b, mapped_extra)

    tolerance = (1e-6 if dtype == np.float64 else 2e-3) * a * y.std()
    mean, std = model.predict(X, return_std=True)
    mapped_mean, mapped_std = mapped.predict(X, return_std=True)
    np.testing.assert_allclose(mapped_mean, a * mean + b, rtol=0, atol=tolerance)
    np.testing.assert_allclose(mapped_std, a * std, rtol=0, atol=tolerance)
    draws = model.sample_y(X[:5], n_samples=4, random_state=0)
    mapped_draws = mapped.sample_y(X[:5], n_samples=4, random_state=0)
    np.testing.assert_allclose(mapped_draws, a * draws + b, rtol=0, atol=tolerance)
    assert mapped.n_iter_ == model.n_iter_
    rtol = 1e-6 if dtype == np.float64 else 2e-3
    np.testing.assert_allclose(mapped.std_scale_, model.std_scale_, rtol=rtol)
    if model.validation_loss_curve_ is not None:
        for name in ("validation_loss_curve_", "validation_scores_"):
            np.testing.assert_allclose(
                getattr(mapped, name), getattr(model, name), rtol=rtol, atol=rtol
            )


# ------------------------------------------------------- float32 and float64


def _classification(rng, kind, n_rows=80):
    X = rng.normal(size=(n_rows, 4))
    if kind == "multilabel":
        return X, (X[:, :3] + 0.5 * rng.normal(size=(n_rows, 3)) > 0).astype(int)
    n_classes = 2 if kind == "binary" else 3
    return X, np.digitize(
        X[:, 0] + 0.5 * rng.normal(size=n_rows), [-0.4, 0.4][: n_classes - 1]
    )


def _model_and_data(case, loss_or_kind):
    rng = np.random.default_rng([case, 0xF32])
    common = dict(
        hidden_layer_sizes=_pick(rng, [(6,), (5, 4)]),
        activation=_pick(rng, ["relu", "tanh", "gelu", "elu", "silu"]),
        keep_prob=_pick(rng, [1.0, 0.8]),
        input_keep_prob=_pick(rng, [1.0, 0.9]),
        mc_samples=5,
        random_state=int(rng.integers(1000)),
    )
    if loss_or_kind in CLASSIFICATION_KINDS:
        X, y = _classification(rng, loss_or_kind)
        return DenseNetClassifier(**common), X, y
    X, y = _data(rng, n_targets=_pick(rng, [1, 2]))
    if loss_or_kind == "poisson":
        y = np.abs(y)
    model = DenseNetRegressor(loss=loss_or_kind, quantile=0.8, **common)
    return model, X, y


def _outputs(model, X):
    """Every output a user reads: the point predictions, the probabilities,
    the Monte-Carlo std and the samples."""
    outputs = {"predict": model.predict(X)}
    is_classifier = isinstance(model, DenseNetClassifier)
    if is_classifier:
        outputs["predict_proba"] = model.predict_proba(X)
    has_std = max(model.keep_prob, model.input_keep_prob) < 1 or (
        getattr(model, "loss", None) == "gaussian_nll"
    )
    if has_std:
        method = model.predict_proba if is_classifier else model.predict
        outputs["std"] = method(X, return_std=True)[1]
        outputs["sample_y"] = model.sample_y(X, n_samples=3, random_state=0)
    return outputs


def _as_float32(model):
    """A copy of a fitted float64 model with its weights rounded to float32."""
    single = clone(model)
    single.__dict__.update(
        {k: v for k, v in vars(model).items() if k.endswith("_") or k[0] == "_"}
    )
    single.coefs_ = [w.astype(np.float32) for w in model.coefs_]
    single.intercepts_ = [b.astype(np.float32) for b in model.intercepts_]
    return single


@pytest.mark.parametrize("case", range(max(1, N_CASES // 4)))
@pytest.mark.parametrize("loss", REGRESSION_LOSSES + CLASSIFICATION_KINDS)
def test_the_same_weights_predict_the_same_in_float32_and_float64(loss, case):
    model, X, y = _model_and_data(case, loss)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.set_params(max_iter=5).fit(X, y)
    double = _outputs(model, X)
    single = _outputs(_as_float32(model), X.astype(np.float32))
    for name, expected in double.items():
        if name == "predict" and isinstance(model, DenseNetClassifier):
            continue  # labels: compared through the probabilities
        assert single[name].dtype == np.float32, name
        scale = max(np.abs(expected).max(), 1.0)
        np.testing.assert_allclose(
            single[name], expected, rtol=0, atol=2e-5 * scale, err_msg=name
        )


@pytest.mark.parametrize("case", range(max(1, N_CASES // 4)))
@pytest.mark.parametrize("loss", REGRESSION_LOSSES + CLASSIFICATION_KINDS)
def test_one_epoch_trains_the_same_in_float32_and_float64(loss, case):
    """SGD, whose step is proportional to the gradient: Adam's first step is
    g / |g|, which turns a gradient at rounding level into a whole step."""
    model, X, y = _model_and_data(case, loss)
    X = X.astype(np.float32).astype(np.float64)  # the same values in both
    model.set_params(solver="sgd", learning_rate_init=0.05, max_iter=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        double = clone(model).fit(X, y)
        single = clone(model).fit(X.astype(np.float32), y)
    for ours, theirs in zip(
        single.coefs_ + single.intercepts_, double.coefs_ + double.intercepts_
    ):
        assert ours.dtype == np.float32
        np.testing.assert_allclose(
            ours, theirs, rtol=0, atol=1e-5 * np.abs(theirs).max()
        )
    assert single.loss_ == pytest.approx(double.loss_, rel=1e-5)


@pytest.mark.parametrize("loss", REGRESSION_LOSSES + CLASSIFICATION_KINDS)
def test_float32_never_leaves_float32(loss):
    model, X, y = _model_and_data(0, loss)
    model.set_params(keep_prob=0.8, max_iter=3, early_stopping=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X.astype(np.float32), y)
    for array in model.coefs_ + model.intercepts_:
        assert array.dtype == np.float32
    for name, output in _outputs(model, X.astype(np.float32)).items():
        if name != "predict" or not isinstance(model, DenseNetClassifier):
            assert output.dtype == np.float32, name


# ------------------------------------------------------- rows and weights


def _full_batch(case, loss_or_kind):
    model, X, y = _model_and_data(case, loss_or_kind)
    rng = np.random.default_rng([case, 0xB47])
    model.set_params(
        batch_size=1000,
        solver=_pick(rng, ["adam", "sgd"]),
        penalty=_pick(rng, ["l2", "elasticnet"]),
        max_iter=4,
    )
    return model, X, y, rng


@pytest.mark.parametrize("case", range(max(1, N_CASES // 4)))
@pytest.mark.parametrize("loss", REGRESSION_LOSSES + CLASSIFICATION_KINDS)
def test_a_full_batch_fit_does_not_depend_on_the_order_of_the_rows(loss, case):
    model, X, y, rng = _full_batch(case, loss)
    order = rng.permutation(len(X))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = clone(model).fit(X, y)
        shuffled = clone(model).fit(X[order], y[order])
    np.testing.assert_allclose(
        shuffled.predict(X), fitted.predict(X), rtol=1e-9, atol=1e-9
    )
    for ours, theirs in zip(shuffled.coefs_, fitted.coefs_):
        np.testing.assert_allclose(ours, theirs, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("case", range(max(1, N_CASES // 4)))
@pytest.mark.parametrize("loss", REGRESSION_LOSSES + CLASSIFICATION_KINDS)
def test_integer_sample_weights_train_as_copies_of_the_rows(loss, case):
    model, X, y, rng = _full_batch(case, loss)
    counts = rng.integers(0, 4, size=len(X))
    counts[0] = max(counts[0], 1)
    rows = np.repeat(np.arange(len(X)), counts)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        weighted = clone(model).fit(X, y, sample_weight=counts.astype(float))
        copies = clone(model).fit(X[rows], y[rows])
    for ours, theirs in zip(weighted.coefs_, copies.coefs_):
        np.testing.assert_allclose(ours, theirs, rtol=1e-8, atol=1e-10)
    if loss == "gaussian_nll":
        np.testing.assert_allclose(weighted.target_scale_, copies.target_scale_)
