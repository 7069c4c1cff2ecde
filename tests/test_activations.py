"""Hidden activations and their in-place derivatives."""

import numpy as np
import pytest

from skdense._activations import ACTIVATIONS, DERIVATIVES

REFERENCE = {
    "identity": lambda z: z,
    "logistic": lambda z: 1 / (1 + np.exp(-z)),
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0),
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_matches_its_formula_in_place(name):
    Z = np.linspace(-4, 4, 17).reshape(1, -1) + 0.01
    expected = REFERENCE[name](Z.copy())
    result = Z
    ACTIVATIONS[name](result)
    np.testing.assert_allclose(Z, expected, rtol=1e-12)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_derivative_from_output_matches_finite_differences(name):
    Z = np.linspace(-4, 4, 17).reshape(1, -1) + 0.01
    step = 1e-6
    numerical = (REFERENCE[name](Z + step) - REFERENCE[name](Z - step)) / (2 * step)
    H = REFERENCE[name](Z)
    delta = np.ones_like(Z)
    DERIVATIVES[name](H, delta)
    np.testing.assert_allclose(delta, numerical, rtol=1e-6, atol=1e-9)


def test_logistic_never_overflows():
    Z = np.array([[-1000.0, 0.0, 1000.0]])
    with np.errstate(divide="raise", over="raise", invalid="raise"):
        ACTIVATIONS["logistic"](Z)
    np.testing.assert_array_equal(Z, [[0.0, 0.5, 1.0]])
