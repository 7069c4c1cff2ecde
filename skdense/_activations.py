"""Hidden-layer activations and their derivatives, both in place.

Each derivative is written in terms of the activation's *output* ``H = g(Z)``,
so the backward pass needs no copy of the pre-activations.
"""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from scipy.special import expit


def _identity(Z):
    """Leave ``Z`` as it is."""


def _logistic(Z):
    expit(Z, out=Z)


def _tanh(Z):
    np.tanh(Z, out=Z)


def _relu(Z):
    np.maximum(Z, 0, out=Z)


def _identity_derivative(H, delta):
    """The derivative of the identity is one: ``delta`` stays as it is."""


def _logistic_derivative(H, delta):
    delta *= H
    delta *= 1 - H


def _tanh_derivative(H, delta):
    delta *= 1 - H**2


def _relu_derivative(H, delta):
    np.multiply(delta, H > 0, out=delta)


ACTIVATIONS = {
    "identity": _identity,
    "logistic": _logistic,
    "tanh": _tanh,
    "relu": _relu,
}

DERIVATIVES = {
    "identity": _identity_derivative,
    "logistic": _logistic_derivative,
    "tanh": _tanh_derivative,
    "relu": _relu_derivative,
}
