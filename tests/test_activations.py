"""Hidden activations and their in-place derivatives.

PyTorch agreement (1e-15 in float64) is measured by
``benchmarks/compare_torch.py``, since torch is never a dependency; here each
activation meets its textbook formula, computed another way.
"""

import math

import numpy as np
import pytest

from skdense._activations import ACTIVATIONS, MLP_ACTIVATIONS, per_hidden_layer

_erf = np.vectorize(math.erf)

REFERENCE = {
    "identity": lambda z: z,
    "logistic": lambda z: 1 / (1 + np.exp(-z)),
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0),
    "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
    "elu": lambda z: np.where(z > 0, z, np.expm1(np.minimum(z, 0))),
    "gelu": lambda z: z * (1 + _erf(z / math.sqrt(2))) / 2,
    "silu": lambda z: z / (1 + np.exp(-z)),
    "softplus": lambda z: np.where(z > 20, z, np.log1p(np.exp(np.minimum(z, 20)))),
    "selu": lambda z: (
        1.0507009873554805
        * np.where(z > 0, z, 1.6732632423543772 * np.expm1(np.minimum(z, 0)))
    ),
    "mish": lambda z: z * np.tanh(np.logaddexp(0, z)),
}


def _slope(activation, Z):
    """``g'(Z)`` by the route training takes: from the output, or kept from
    the forward pass (which must also apply the activation)."""
    if activation.keeps_slope:
        H, slope = Z.copy(), np.empty_like(Z)
        activation.apply_with_slope(H, slope)
        expected = Z.copy()
        activation.apply(expected)
        np.testing.assert_array_equal(H, expected)
        return slope
    H = Z.copy()
    activation.apply(H)
    delta = np.ones_like(Z)
    activation.derivative(H, delta)
    return delta


def _pre_activations():
    return np.linspace(-6, 6, 49).reshape(7, 7) + 0.01


def test_every_activation_has_a_reference():
    assert set(REFERENCE) == set(ACTIVATIONS)
    assert set(MLP_ACTIVATIONS) < set(ACTIVATIONS)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_matches_its_formula_in_place(name):
    Z = _pre_activations()
    expected = REFERENCE[name](Z.copy())
    ACTIVATIONS[name].apply(Z)
    np.testing.assert_allclose(Z, expected, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_derivative_matches_finite_differences(name):
    Z = _pre_activations()
    step = 1e-6
    numerical = (REFERENCE[name](Z + step) - REFERENCE[name](Z - step)) / (2 * step)
    np.testing.assert_allclose(
        _slope(ACTIVATIONS[name], Z), numerical, rtol=1e-6, atol=1e-8
    )


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_float32_stays_float32_and_extremes_stay_finite(name):
    Z = np.array([[-1e4, -50.0, -1e-30, 0.0, 1e-30, 50.0, 1e4]], dtype=np.float32)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        slope = _slope(ACTIVATIONS[name], Z)
        H = Z.copy()
        ACTIVATIONS[name].apply(H)
    assert H.dtype == slope.dtype == np.float32
    assert np.isfinite(H).all() and np.isfinite(slope).all()


def test_softplus_is_the_identity_above_pytorchs_threshold():
    Z = np.array([19.0, 20.0, np.nextafter(20.0, 21.0), 25.0, 800.0])
    H = Z.copy()
    ACTIVATIONS["softplus"].apply(H)
    np.testing.assert_array_equal(H[2:], Z[2:])
    assert H[0] == np.log1p(np.exp(19.0)) and H[1] == np.log1p(np.exp(20.0))
    slope = _slope(ACTIVATIONS["softplus"], Z)
    np.testing.assert_array_equal(slope[2:], 1.0)
    assert slope[1] == pytest.approx(1 / (1 + np.exp(-20.0)), rel=1e-15)


def test_slopes_at_exactly_zero_take_pytorchs_branch():
    # PyTorch's backward takes the negative branch at 0 for the ReLU family.
    Z = np.zeros(3)
    slopes = {
        name: _slope(ACTIVATIONS[name], Z)[0] for name in ("relu", "leaky_relu", "elu")
    }
    assert slopes == {"relu": 0.0, "leaky_relu": 0.01, "elu": 1.0}


def test_elu_derivative_keeps_precision_where_its_output_nears_minus_one():
    Z = np.array([-40.0, -700.0])
    np.testing.assert_allclose(_slope(ACTIVATIONS["elu"], Z), np.exp(Z), rtol=1e-15)


def test_logistic_never_overflows():
    Z = np.array([[-1000.0, 0.0, 1000.0]])
    with np.errstate(divide="raise", over="raise", invalid="raise"):
        ACTIVATIONS["logistic"].apply(Z)
    np.testing.assert_array_equal(Z, [[0.0, 0.5, 1.0]])


def test_each_activation_has_exactly_one_route_to_its_derivative():
    for activation in ACTIVATIONS.values():
        assert (activation.derivative is None) != (activation.apply_with_slope is None)
    from_output = {n for n, a in ACTIVATIONS.items() if not a.keeps_slope}
    assert from_output == {*MLP_ACTIVATIONS, "leaky_relu"}


def test_glorot_factors_are_mlps():
    factors = {name: a.glorot_factor for name, a in ACTIVATIONS.items()}
    assert factors.pop("logistic") == 2.0
    assert set(factors.values()) == {6.0}


@pytest.mark.parametrize(
    "activation, expected",
    [
        ("tanh", ("tanh",) * 3),
        (["elu"], ("elu",) * 3),
        (("gelu", "relu", "silu"), ("gelu", "relu", "silu")),
    ],
)
def test_per_hidden_layer(activation, expected):
    assert per_hidden_layer(activation, 3) == expected


def test_gelu_in_float32_computes_in_float32():
    # Reported: two NumPy float64 constants promoted float32 arrays to float64.
    Z = np.random.default_rng(0).normal(scale=3, size=20_000).astype(np.float32)
    half, root_half = np.float32(0.5), np.float32(math.sqrt(0.5))
    pdf_scale = np.float32(1 / math.sqrt(2 * math.pi))
    from scipy.special import erf

    cdf = (erf(Z * root_half) + np.float32(1)) * half
    slope_expected = np.exp(Z * Z * np.float32(-0.5)) * pdf_scale * Z + cdf
    H, slope = Z.copy(), np.empty_like(Z)
    ACTIVATIONS["gelu"].apply_with_slope(H, slope)
    np.testing.assert_array_equal(H, Z * cdf)
    np.testing.assert_array_equal(slope, slope_expected)


@pytest.mark.parametrize(
    "module", ["_activations", "_losses", "_dropout", "_optimizers", "_network"]
)
def test_module_constants_do_not_promote_float32(module):
    """A NumPy float64 scalar turns a float32 array into float64 (NEP 50); a
    Python float does not."""
    import importlib

    values = vars(importlib.import_module(f"skdense.{module}")).values()
    assert not [v for v in values if isinstance(v, np.floating)]
