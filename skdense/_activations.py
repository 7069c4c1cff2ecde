"""Hidden-layer activations and their derivatives, in place.

Each row of ``ACTIVATIONS`` says how to apply one activation to the
pre-activations ``Z``, and how training gets its derivative, in one of two
ways. scikit-learn's four and leaky ReLU write the derivative from the output
``H = g(Z)`` alone (``derivative``). The others cannot, and compute their
slope ``g'(Z)`` in the same forward pass that applies them
(``apply_with_slope``): one ``erf`` or ``exp`` serves both, and the backward
pass only multiplies by the kept slope. The formulas are PyTorch's, operation
for operation, so that both agree in float64.
"""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import erf, expit

LEAKY_RELU_SLOPE = 0.01  # torch.nn.functional.leaky_relu's default
SOFTPLUS_THRESHOLD = 20.0  # torch: above it, softplus(z) is z
# SELU's constants (Klambauer et al. 2017), torch.nn.functional.selu's.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
# Python floats, not NumPy scalars: a NumPy float64 scalar would promote a
# float32 array to float64 (NEP 50), and float32 trains in float32 throughout.
SQRT_HALF = math.sqrt(0.5)
NORMAL_PDF_SCALE = 1 / math.sqrt(2 * math.pi)


@dataclass(frozen=True)
class Activation:
    """One hidden activation.

    Attributes
    ----------
    apply : callable
        ``apply(Z)`` turns the pre-activations ``Z`` into ``g(Z)`` in place.
    derivative : callable or None
        ``derivative(H, delta)`` multiplies ``delta`` by ``g'(Z)`` in place,
        from ``H = g(Z)`` alone; None when the output does not determine it.
    apply_with_slope : callable or None
        ``apply_with_slope(Z, slope)`` is ``apply(Z)`` that also writes
        ``g'(Z)`` into ``slope``; given exactly when ``derivative`` is None.
    glorot_factor : float
        Numerator of the Glorot-uniform bound ``sqrt(factor / (fan_in +
        fan_out))``: scikit-learn's MLP uses 2 for the logistic, 6 otherwise.
    """

    apply: Callable
    derivative: Callable | None = None
    apply_with_slope: Callable | None = None
    glorot_factor: float = 6.0

    @property
    def keeps_slope(self):
        """Whether training keeps the slope from the forward pass."""
        return self.derivative is None


def _identity(Z):
    """Leave ``Z`` as it is."""


def _identity_derivative(H, delta):
    """The derivative of the identity is one: ``delta`` stays as it is."""


def _logistic(Z):
    expit(Z, out=Z)


def _logistic_derivative(H, delta):
    delta *= H
    delta *= 1 - H


def _tanh(Z):
    np.tanh(Z, out=Z)


def _tanh_derivative(H, delta):
    delta *= 1 - H**2


def _relu(Z):
    np.maximum(Z, 0, out=Z)


def _relu_derivative(H, delta):
    np.multiply(delta, H > 0, out=delta)


def _leaky_relu(Z):
    # max(z, 0.01 z) is z above 0 and 0.01 z below, PyTorch's branches.
    np.maximum(Z, Z * LEAKY_RELU_SLOPE, out=Z)


def _leaky_relu_derivative(H, delta):
    # The slope is positive, so H > 0 exactly where Z > 0.
    delta *= np.maximum(H > 0, H.dtype.type(LEAKY_RELU_SLOPE))


def _elu(Z):
    below = np.expm1(np.minimum(Z, 0))
    np.maximum(Z, 0, out=Z)
    Z += below


def _elu_with_slope(Z, slope):
    np.minimum(Z, 0, out=slope)
    np.exp(slope, out=slope)
    _elu(Z)


def _selu(Z):
    # torch: scale * z above 0, expm1(z) * (alpha * scale) below.
    below = np.expm1(np.minimum(Z, 0))
    below *= SELU_ALPHA * SELU_SCALE
    np.maximum(Z, 0, out=Z)
    Z *= SELU_SCALE
    Z += below


def _selu_with_slope(Z, slope):
    np.minimum(Z, 0, out=slope)
    np.exp(slope, out=slope)
    slope *= SELU_ALPHA * SELU_SCALE
    np.copyto(slope, SELU_SCALE, where=Z > 0)
    _selu(Z)


def _tanh_softplus(Z):
    """``tanh(log1p(exp(Z)))``, as torch's mish computes it (an overflowing
    ``exp`` gives inf, whose tanh is 1)."""
    with np.errstate(over="ignore"):
        value = np.exp(Z)
    np.log1p(value, out=value)
    return np.tanh(value, out=value)


def _mish(Z):
    Z *= _tanh_softplus(Z)


def _mish_with_slope(Z, slope):
    # torch: t + z * sigmoid(z) * (1 - t * t), with t = tanh(softplus(z)).
    tanh_softplus = _tanh_softplus(Z)
    sigmoid = _exp_of_minus(Z)
    sigmoid += 1
    np.reciprocal(sigmoid, out=sigmoid)
    np.multiply(Z, sigmoid, out=slope)
    np.multiply(tanh_softplus, tanh_softplus, out=sigmoid)
    np.subtract(1, sigmoid, out=sigmoid)
    slope *= sigmoid
    slope += tanh_softplus
    Z *= tanh_softplus


def _gelu_cdf(Z):
    cdf = erf(Z * SQRT_HALF)
    cdf += 1
    cdf *= 0.5
    return cdf


def _gelu(Z):
    Z *= _gelu_cdf(Z)


def _gelu_with_slope(Z, slope):
    cdf = _gelu_cdf(Z)
    np.multiply(Z, Z, out=slope)
    slope *= -0.5
    np.exp(slope, out=slope)
    slope *= NORMAL_PDF_SCALE
    slope *= Z
    slope += cdf
    Z *= cdf


def _exp_of_minus(Z):
    """``exp(-Z)``, inf where it overflows (the sigmoid is then 0)."""
    with np.errstate(over="ignore"):
        return np.exp(-Z)


def _silu(Z):
    denominator = _exp_of_minus(Z)
    denominator += 1
    Z /= denominator


def _silu_with_slope(Z, slope):
    sigmoid = _exp_of_minus(Z)
    sigmoid += 1
    np.reciprocal(sigmoid, out=sigmoid)
    np.subtract(1, sigmoid, out=slope)
    slope *= Z
    slope += 1
    slope *= sigmoid
    _silu(Z)


def _softplus(Z, exp=None):
    exp = np.exp(np.minimum(Z, SOFTPLUS_THRESHOLD)) if exp is None else exp
    np.copyto(Z, np.log1p(exp), where=Z <= SOFTPLUS_THRESHOLD)


def _softplus_with_slope(Z, slope):
    exp = np.exp(np.minimum(Z, SOFTPLUS_THRESHOLD))
    np.add(exp, 1, out=slope)
    np.divide(exp, slope, out=slope)
    np.maximum(slope, Z > SOFTPLUS_THRESHOLD, out=slope)  # 1 above the threshold
    _softplus(Z, exp)


ACTIVATIONS = {
    "identity": Activation(_identity, _identity_derivative),
    "logistic": Activation(_logistic, _logistic_derivative, glorot_factor=2.0),
    "tanh": Activation(_tanh, _tanh_derivative),
    "relu": Activation(_relu, _relu_derivative),
    "leaky_relu": Activation(_leaky_relu, _leaky_relu_derivative),
    "elu": Activation(_elu, apply_with_slope=_elu_with_slope),
    "gelu": Activation(_gelu, apply_with_slope=_gelu_with_slope),
    "silu": Activation(_silu, apply_with_slope=_silu_with_slope),
    "softplus": Activation(_softplus, apply_with_slope=_softplus_with_slope),
    "selu": Activation(_selu, apply_with_slope=_selu_with_slope),
    "mish": Activation(_mish, apply_with_slope=_mish_with_slope),
}

#: The activations scikit-learn's MLP knows.
MLP_ACTIVATIONS = ("identity", "logistic", "tanh", "relu")


def per_hidden_layer(activation, n_hidden):
    """The activation of each hidden layer, from one name or a sequence."""
    if isinstance(activation, str):
        return (activation,) * n_hidden
    names = tuple(activation)
    return names * n_hidden if len(names) == 1 else names
