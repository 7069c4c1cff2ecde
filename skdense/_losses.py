"""Output layers with their losses, computed stably from the logits.

Each row of ``OUTPUTS`` pairs an output activation with its loss and the
gradient of that loss with respect to the logits. MLP's four are canonical
pairs, whose gradient is ``output - target``; the Gaussian negative
log-likelihood and the pinball loss have gradients of their own.

Losses are computed from the logits ``Z`` (softplus, log-sum-exp), never as the
log of a clipped probability: no exponential can overflow and no logarithm can
see a zero, however confident the network becomes.
"""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import expit, xlogy

#: Smallest variance of ``loss='gaussian_nll'``, in the standardised targets'
#: units: a standard deviation of at least 0.001 of the targets'.
VARIANCE_FLOOR = 1e-6
_LOG_2PI = math.log(2 * math.pi)  # a Python float: keeps float32 in float32


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


def _softmax_log_loss(Z, Y, param=None):
    Z -= Z.max(axis=1, keepdims=True)
    target_logit = np.einsum("ij,ij->i", Y, Z)
    np.exp(Z, out=Z)
    normaliser = Z.sum(axis=1, keepdims=True)
    Z /= normaliser
    return np.log(normaliser[:, 0]) - target_logit


def _binary_log_loss(Z, Y, param=None):
    # log(1 + exp(z)) - y * z is the binary log loss of sigmoid(z), per label.
    per_label = np.logaddexp(0, Z)
    per_label -= Y * Z
    expit(Z, out=Z)
    return per_label.sum(axis=1)


def _half_squared_error(Z, Y, param=None):
    residual = Z - Y
    return 0.5 * np.einsum("ij,ij->i", residual, residual)


def _half_poisson_deviance(Z, Y, param=None):
    # exp(z) - y * z, plus the constant y * log(y) - y that makes a perfect
    # prediction score 0 (as scikit-learn's MLPRegressor reports it).
    per_output = xlogy(Y, Y) - Y
    per_output -= Y * Z
    np.exp(Z, out=Z)
    per_output += Z
    return per_output.sum(axis=1)


def _gaussian(Z):
    """Means as they are; the second half of the columns becomes variances."""
    variance = Z[:, Z.shape[1] // 2 :]
    np.logaddexp(0, variance, out=variance)
    variance += VARIANCE_FLOOR


def _gaussian_nll(Z, Y, param=None):
    # 0.5 * (log(2 pi) + log(variance) + residual**2 / variance), per target.
    _gaussian(Z)
    mean, variance = np.split(Z, 2, axis=1)
    per_target = (Y - mean) ** 2
    per_target /= variance
    per_target += np.log(variance)
    per_target += _LOG_2PI
    return 0.5 * per_target.sum(axis=1)


def _gaussian_nll_gradient(output, Y, variance_power):
    """The gradient with respect to the logits, in place of the output.

    With ``variance_power`` (the beta of beta-NLL, Seitzer et al. 2022), each
    target's gradient is weighted by its variance to that power, the weight
    held constant; 0 is the plain likelihood's gradient.
    """
    mean, variance = np.split(output, 2, axis=1)
    residual = mean - Y
    # d softplus(z) / dz = sigmoid(z) = 1 - exp(-softplus(z)).
    slope = -np.expm1(-(variance - VARIANCE_FLOOR))
    weight = variance ** (variance_power - 2)
    # d/d mean = residual / variance; d/d variance = (variance - residual**2)
    # / (2 variance**2): both times variance ** variance_power.
    mean[...] = residual * variance * weight
    variance -= residual**2
    variance *= 0.5 * weight * slope


def _pinball_loss(Z, Y, quantile):
    residual = Y - Z
    return np.maximum(quantile * residual, (quantile - 1) * residual).sum(axis=1)


def _pinball_gradient(output, Y, quantile):
    # -quantile where the target is above the prediction, 1 - quantile below.
    np.subtract(output > Y, quantile, out=output)


def _canonical_gradient(output, Y, param=None):
    output -= Y


@dataclass(frozen=True)
class Output:
    """One output layer: activation, loss and the loss's gradient.

    Attributes
    ----------
    activate : callable
        ``activate(Z)`` turns the logits into the outputs in place.
    loss : callable
        ``loss(Z, Y, param)``: the per-sample losses of the logits ``Z``
        against the targets ``Y``; turns ``Z`` into the outputs in place.
    gradient : callable
        ``gradient(output, Y, param)`` overwrites the outputs with the
        gradient of the loss with respect to the logits.
    units_per_target : int
        Output units per target (the Gaussian has a mean and a variance).
    """

    activate: Callable
    loss: Callable
    gradient: Callable = _canonical_gradient
    units_per_target: int = 1


OUTPUTS = {
    "softmax": Output(_softmax, _softmax_log_loss),
    "logistic": Output(_logistic, _binary_log_loss),
    "identity": Output(_identity, _half_squared_error),
    "exp": Output(_exp, _half_poisson_deviance),
    "gaussian": Output(
        _gaussian, _gaussian_nll, _gaussian_nll_gradient, units_per_target=2
    ),
    "quantile": Output(_identity, _pinball_loss, _pinball_gradient),
}


def weighted_mean(per_sample, sample_weight):
    """Mean of ``per_sample`` weighted by ``sample_weight`` (None: unweighted)."""
    if sample_weight is None:
        return float(per_sample.mean())
    return float(np.dot(per_sample, sample_weight) / sample_weight.sum())
