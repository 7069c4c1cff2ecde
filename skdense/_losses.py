"""Output layers with their canonical losses, computed stably from the logits.

Every output activation here is paired with the loss whose gradient with
respect to the logits is ``output - target``, so the backward pass starts from
``delta = sample_weight * (output - Y)`` whatever the output is.

Losses are computed from the logits ``Z`` (softplus, log-sum-exp), never as the
log of a clipped probability: no exponential can overflow and no logarithm can
see a zero, however confident the network becomes.
"""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from scipy.special import expit, xlogy


def _softmax(Z):
    Z -= Z.max(axis=1, keepdims=True)
    np.exp(Z, out=Z)
    Z /= Z.sum(axis=1, keepdims=True)


def _logistic(Z):
    expit(Z, out=Z)


def _identity(Z):
    """Leave ``Z`` as it is."""


def _exp(Z):
    np.exp(Z, out=Z)


def _softmax_log_loss(Z, Y):
    Z -= Z.max(axis=1, keepdims=True)
    target_logit = np.einsum("ij,ij->i", Y, Z)
    np.exp(Z, out=Z)
    normaliser = Z.sum(axis=1, keepdims=True)
    Z /= normaliser
    return np.log(normaliser[:, 0]) - target_logit


def _binary_log_loss(Z, Y):
    # log(1 + exp(z)) - y * z is the binary log loss of sigmoid(z), per label.
    per_label = np.logaddexp(0, Z)
    per_label -= Y * Z
    expit(Z, out=Z)
    return per_label.sum(axis=1)


def _half_squared_error(Z, Y):
    residual = Z - Y
    return 0.5 * np.einsum("ij,ij->i", residual, residual)


def _half_poisson_deviance(Z, Y):
    # exp(z) - y * z, plus the constant y * log(y) - y that makes a perfect
    # prediction score 0 (as scikit-learn's MLPRegressor reports it).
    per_output = xlogy(Y, Y) - Y
    per_output -= Y * Z
    np.exp(Z, out=Z)
    per_output += Z
    return per_output.sum(axis=1)


OUTPUT_ACTIVATIONS = {
    "softmax": _softmax,
    "logistic": _logistic,
    "identity": _identity,
    "exp": _exp,
}

# Each function returns the per-sample losses of the logits ``Z`` against the
# targets ``Y`` and turns ``Z`` into the output activation in place.
LOSSES = {
    "softmax": _softmax_log_loss,
    "logistic": _binary_log_loss,
    "identity": _half_squared_error,
    "exp": _half_poisson_deviance,
}


def weighted_mean(per_sample, sample_weight):
    """Mean of ``per_sample`` weighted by ``sample_weight`` (None: unweighted)."""
    if sample_weight is None:
        return float(per_sample.mean())
    return float(np.dot(per_sample, sample_weight) / sample_weight.sum())
