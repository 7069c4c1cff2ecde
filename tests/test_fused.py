"""The fused numba kernels give NumPy's bits: kernel by kernel on arrays that
hold the awkward values (NaN, infinities, signed zeros, subnormals), and fit
by fit over drawn configurations of every estimator, path and option."""

import warnings

import numpy as np
import pytest
import scipy.special

pytest.importorskip("numba")

from skdense import (
    DenseNetClassifier,
    DenseNetRegressor,
    TabularNetClassifier,
    TabularNetRegressor,
    _fused,
)
from skdense._activations import ACTIVATIONS, NORMAL_PDF_SCALE, SQRT_HALF
from skdense._dropout import RowKeyedDropout, row_keys
from skdense._optimizers import AdamOptimizer, AdamWOptimizer

DTYPES = [np.float32, np.float64]
AWKWARD = [np.nan, np.inf, -np.inf, 0.0, -0.0, 5e-324, -5e-324, 1e-40, -1e-40, 1e300]


@pytest.fixture(autouse=True)
def _quiet_floating_point():
    """The arrays hold NaN and infinities on purpose."""
    with np.errstate(all="ignore"):
        yield


def _same_bits(a, b):
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype and a.shape == b.shape
    # NaN payloads are not promised: a NaN matches a NaN.
    both_nan = np.isnan(a) & np.isnan(b)
    differ = (a.view(f"u{a.itemsize}") != b.view(f"u{b.itemsize}")) & ~both_nan
    assert not differ.any(), (
        f"{differ.sum()} of {a.size} differ, first at {np.argwhere(differ)[:3]}"
    )


def _values(rng, shape, dtype, scale=3.0):
    """Normal values with the awkward ones spread in."""
    values = rng.normal(0, scale, size=shape)
    flat = values.reshape(-1)
    spots = rng.choice(flat.size, size=min(flat.size, 4 * len(AWKWARD)), replace=False)
    flat[spots] = np.resize(AWKWARD, len(spots))
    with np.errstate(over="ignore"):
        return values.astype(dtype)


def _mask(rng, shape, dtype, keep=0.8):
    kept = rng.random(shape) < keep
    return (kept * dtype(1 / keep)).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_erf_is_scipys_to_the_bit(dtype):
    rng = np.random.default_rng(0)
    x = np.concatenate(
        [
            rng.normal(0, 2, 200_000),
            rng.normal(0, 10, 20_000),
            np.linspace(-8.5, 8.5, 20_001),
            [1.0, -1.0, 8.0, -8.0, 26.6, -26.6, 40.0, -40.0, 1e-310, -1e-310],
            AWKWARD,
        ]
    )
    with np.errstate(over="ignore"):
        x = x.astype(dtype)
    ours = np.array([_fused.erf(np.float64(value)) for value in x]).astype(dtype)
    _same_bits(ours, scipy.special.erf(x))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("masked", [False, True])
def test_relu_layer_forward_and_backward(dtype, masked):
    rng = np.random.default_rng(1)
    Z, intercept = _values(rng, (37, 19), dtype), _values(rng, 19, dtype)
    Z[0], intercept[0] = -0.0, -0.0  # -0.0 + -0.0 is -0.0, which relu makes +0.0
    mask = _mask(rng, Z.shape, dtype) if masked else np.empty((0, 0), dtype)
    expected = Z + intercept
    ACTIVATIONS["relu"].apply(expected)
    dropped = np.full_like(Z, 7)
    _fused.bias_relu_mask(Z, intercept, mask, dropped)
    _same_bits(Z, expected)
    if masked:
        _same_bits(dropped, expected * mask)

    delta = _values(rng, Z.shape, dtype)
    reference = delta * mask if masked else delta.copy()
    ACTIVATIONS["relu"].derivative(Z, reference)
    _fused.mask_relu_slope(delta, mask, Z)
    _same_bits(delta, reference)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("masked", [False, True])
def test_gelu_layer_forward_and_backward(dtype, masked):
    rng = np.random.default_rng(2)
    Z, intercept = _values(rng, (41, 13), dtype), _values(rng, 13, dtype)
    mask = _mask(rng, Z.shape, dtype) if masked else np.empty((0, 0), dtype)
    expected, expected_slope = Z + intercept, np.empty_like(Z)
    with np.errstate(invalid="ignore", over="ignore"):
        ACTIVATIONS["gelu"].apply_with_slope(expected, expected_slope)
        cdf, slope, dropped = (np.empty_like(Z) for _ in range(3))
        _fused.gelu_before_exp(Z, intercept, cdf, slope, dtype(SQRT_HALF))
        np.exp(slope, out=slope)
        _fused.gelu_after_exp(Z, cdf, slope, dtype(NORMAL_PDF_SCALE), mask, dropped)
    _same_bits(Z, expected)
    _same_bits(slope, expected_slope)
    if masked:
        _same_bits(dropped, expected * mask)

    delta = _values(rng, Z.shape, dtype)
    reference = delta * mask if masked else delta.copy()
    reference *= slope
    _fused.mask_slope(delta, mask, slope)
    _same_bits(delta, reference)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("keep", [0.5, 0.8, 0.999999, 1e-6])
def test_dropout_masks_are_numpys(dtype, keep):
    rng = np.random.default_rng(3)
    dropout = RowKeyedDropout([keep, 1.0, keep], [17, 4, 33], seed=12345)
    keys = rng.integers(0, 2**63, size=203, dtype=np.uint64)
    for epoch in (0, 1, 977):
        reference = [
            None if m is None else m.copy() for m in dropout.masks(keys, epoch, dtype)
        ]
        fused = dropout.masks(keys, epoch, dtype, kernels=_fused)
        assert fused[1] is None
        for ours, theirs in zip(fused[::2], reference[::2]):
            _same_bits(ours, theirs)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("order", ["C", "F"])
def test_row_keys_are_numpys(dtype, order):
    rng = np.random.default_rng(4)
    X = np.asarray(_values(rng, (301, 23), dtype), order=order)
    X[5] = X[4]  # equal rows, equal keys
    X[6, :4] = -0.0  # -0.0 is read as 0.0
    keys = row_keys(X, kernels=_fused)
    np.testing.assert_array_equal(keys, row_keys(X))
    assert keys[4] == keys[5]


def _optimizers(kind, n, dtype, rng):
    """Two optimizers of the same drawn hyper-parameters."""
    hyper = (
        float(10 ** rng.uniform(-4, -1)),
        float(rng.uniform(0, 0.99)),
        float(rng.uniform(0.5, 0.9999)),
        float(10 ** rng.uniform(-9, -3)),
    )
    return kind(n, dtype, *hyper), kind(n, dtype, *hyper)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", [AdamOptimizer, AdamWOptimizer])
@pytest.mark.parametrize("seed", range(4))
def test_adam_step_with_its_gradients_finish_and_decay(dtype, kind, seed):
    rng = np.random.default_rng(seed)
    n, n_coefs = 301, 250
    theta = _values(rng, n, dtype, scale=0.5)
    theta[~np.isfinite(theta)] = 0.25
    numpy_way, fused_way = _optimizers(kind, n, dtype, rng)
    params = [theta.copy(), theta.copy()]
    adamw = kind is AdamWOptimizer
    l2 = 0.0 if adamw else float(rng.choice([0.0, 10 ** rng.uniform(-4, 1)]))
    for _ in range(5):
        grad = _values(rng, n, dtype)
        grad[~np.isfinite(grad)] = 1.5
        divisor = int(rng.integers(1, 300))
        rate = float(rng.uniform(0, 0.1)) if adamw else 0.0

        finished = grad.copy()  # as DenseNetwork.loss_gradient finishes it
        if l2:  # as Penalty.add_gradient: no pass at all without L2
            finished[:n_coefs] += params[0][:n_coefs] * dtype(l2)
        finished /= divisor
        if rate:
            numpy_way.decay(params[0][:n_coefs], rate)
        numpy_way.step(params[0], finished)

        factor = dtype(numpy_way.decay_factor(rate) if rate else 1)
        finish = (n_coefs, dtype(l2), dtype(divisor))
        decay = (n_coefs if rate else 0, factor)
        fused_way.fused_step(_fused.adam_step, params[1], grad, finish, decay)

        _same_bits(params[1], params[0])
        _same_bits(grad, finished)
        for name in ("ms", "vs", "_denominator"):
            _same_bits(getattr(fused_way, name), getattr(numpy_way, name))
        assert fused_way.t == numpy_way.t
        _same_bits(fused_way.step_sizes(0, n_coefs), numpy_way.step_sizes(0, n_coefs))


# -- whole fits over drawn configurations -------------------------------------


def _draw(rng):
    """One configuration: estimator, parameters, data options and call path."""
    kind = rng.choice(
        ["classifier", "regressor", "tabular classifier", "tabular regressor"]
    )
    n_layers = int(rng.integers(1, 4))
    layers = tuple(int(w) for w in rng.integers(2, 10, size=n_layers))
    activations = ["relu", "gelu", "tanh", "mish", "relu"]
    if rng.random() < 0.3:
        activation = [str(rng.choice(activations)) for _ in layers]
    else:
        activation = str(rng.choice(activations))
    params = dict(
        hidden_layer_sizes=layers,
        activation=activation,
        solver=str(rng.choice(["adam", "adam", "adamw", "sgd"])),
        alpha=float(rng.choice([0.0, 10 ** rng.uniform(-5, 0)])),
        penalty=rng.choice(["l2", "l1", "elasticnet", None]),
        keep_prob=float(rng.choice([1.0, 0.8, 0.5])),
        input_keep_prob=float(rng.choice([1.0, 1.0, 0.8])),
        batch_size=int(rng.integers(5, 60)),
        learning_rate_init=float(10 ** rng.uniform(-3.5, -1.5)),
        learning_rate=str(rng.choice(["constant", "cosine", "coslog"])),
        beta_2=float(rng.choice([0.999, 0.95])),
        max_iter=int(rng.integers(2, 5)),
        early_stopping=bool(rng.random() < 0.25),
        max_norm=rng.choice([None, 2.0]),
        random_state=int(rng.integers(1000)),
        tol=0.0,
    )
    if params["solver"] == "sgd":
        params["learning_rate"] = "constant"
    if n_layers > 1 and rng.random() < 0.3:
        params["keep_prob"] = [float(p) for p in rng.choice([1.0, 0.7], size=n_layers)]
    if rng.random() < 0.25:
        params.update(parametrization="ntk", input_scale=bool(rng.random() < 0.5))
    if "classifier" in kind and rng.random() < 0.3:
        params["label_smoothing"] = 0.1
    if kind == "regressor":
        params["loss"] = str(
            rng.choice(["squared_error", "poisson", "gaussian_nll", "quantile"])
        )
        if params["loss"] == "quantile":
            params["quantile"] = 0.8
    if rng.random() < 0.2:  # a NumPy float64 scalar: NumPy computes wider
        params["beta_1"] = np.float64(0.85)
    options = dict(
        dtype=DTYPES[int(rng.integers(2))],
        weighted=bool(rng.random() < 0.3),
        path=str(rng.choice(["fit", "warm_start", "partial_fit", "X_val"])),
    )
    return kind, params, options


ESTIMATORS = {
    "classifier": DenseNetClassifier,
    "regressor": DenseNetRegressor,
    "tabular classifier": TabularNetClassifier,
    "tabular regressor": TabularNetRegressor,
}


def _data(kind, options, rng):
    X = rng.normal(size=(90, 5)).astype(options["dtype"])
    if "classifier" in kind:
        y = (X[:, 0] + X[:, 1] ** 2 > 0.5).astype(int) + (X[:, 2] > 1)
    else:
        y = np.exp(0.3 * X[:, 0]) + X[:, 1] ** 2
    weights = (
        rng.integers(0, 4, size=len(X)).astype(float) if options["weighted"] else None
    )
    return X, y, weights


def _train(kind, params, options):
    rng = np.random.default_rng(0)
    X, y, weights = _data(kind, options, rng)
    model = ESTIMATORS[kind](**params)
    path = options["path"]
    if path == "partial_fit":
        model.set_params(early_stopping=False)
        extra = {"classes": np.unique(y)} if "classifier" in kind else {}
        for block in np.array_split(np.arange(len(X)), 3):
            w = None if weights is None else weights[block]
            model.partial_fit(X[block], y[block], sample_weight=w, **extra)
        return model
    if path == "X_val":
        model.set_params(early_stopping=True)
        model.fit(
            X[:60],
            y[:60],
            sample_weight=None if weights is None else weights[:60],
            X_val=X[60:],
            y_val=y[60:],
        )
        return model
    model.fit(X, y, sample_weight=weights)
    if path == "warm_start":
        model.set_params(warm_start=True, max_iter=2).fit(X, y, sample_weight=weights)
    return model


def _fitted_arrays(model):
    arrays = {f"coefs_{i}": c for i, c in enumerate(model.coefs_)}
    arrays.update({f"intercepts_{i}": b for i, b in enumerate(model.intercepts_)})
    arrays["loss_curve_"] = np.array(model.loss_curve_)
    optimizer = getattr(model, "_optimizer", None)
    if optimizer is not None:
        state = optimizer.__getstate__()
        arrays.update({k: v for k, v in state.items() if isinstance(v, np.ndarray)})
    return arrays


@pytest.mark.parametrize("seed", range(40))
def test_fits_are_the_same_with_either_kernels(seed, monkeypatch, same_state):
    kind, params, options = _draw(np.random.default_rng(seed))
    fits = {}
    for kernels in ("numpy", "numba"):
        monkeypatch.setenv("SKDENSE_KERNELS", kernels)
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            fits[kernels] = _train(kind, params, options)
    same_state(fits["numpy"].__getstate__(), fits["numba"].__getstate__())
    numpy_fit, numba_fit = (_fitted_arrays(fits[k]) for k in ("numpy", "numba"))
    for name in numpy_fit:
        _same_bits(numba_fit[name], numpy_fit[name])
