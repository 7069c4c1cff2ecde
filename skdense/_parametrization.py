"""How the optimizer parametrises the weights: the NTK parametrisation and a
learnable scale per input, as RealMLP uses them (Holzmüller et al., 2024).

A layer's weights are ``W = w / sqrt(fan_in)`` with ``w`` drawn from N(0, 1)
and trained; hidden intercepts are drawn from N(0, 1) and learn at a tenth of
the rate; the output layer starts at zero. The network itself only ever sees
``W`` (the fitted ``coefs_``), so its forward pass, gradient and ONNX export
are the standard ones: the parametrisation lives in the optimizer, which
steps ``w`` rather than ``W`` (:class:`StepScales`), exactly as PyTorch's
optimizers step a module that multiplies its raw weights by
``1 / sqrt(fan_in)`` in its forward pass.

The input scale is a vector ``s``, one entry per input feature, starting at
1, by which the inputs are multiplied before the first layer, learning at
six times the rate. The network again sees only the first layer's weights
with the scale folded in, ``W = diag(s) V``; the optimizer steps ``V`` and
``s`` (:func:`input_scale_step`), keeping ``s`` in its state. Every
prediction, Monte-Carlo pass and ONNX graph is the plain network's.
"""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

from typing import NamedTuple

import numpy as np

#: The intercepts' learning-rate factor (RealMLP's ``bias_lr_factor``).
INTERCEPT_RATE_FACTOR = 0.1
#: The input scale's learning-rate factor (RealMLP's ``scale_lr_factor``).
INPUT_SCALE_RATE_FACTOR = 6.0


class StepScales(NamedTuple):
    """Per parameter: ``grad``, what turns the gradient of the network's
    parameter into that of the trained one; ``step``, what turns a step of
    the trained parameter into one of the network's."""

    grad: np.ndarray
    step: np.ndarray


def ntk_step_scales(network):
    """The :class:`StepScales` of the NTK parametrisation of ``network``."""
    grad = np.ones(network.n_params, dtype=network.dtype)
    for coef in network.unpack(grad)[0]:
        coef[...] = 1 / np.sqrt(coef.shape[0])
    step = grad.copy()
    for intercept in network.unpack(step)[1]:
        intercept[...] = INTERCEPT_RATE_FACTOR
    return StepScales(grad, step)


def ntk_initial_params(network, random_state):
    """Weights ``N(0, 1) / sqrt(fan_in)``, hidden intercepts ``N(0, 1)``, the
    output layer 0; drawn layer by layer, weights then intercepts."""
    theta = np.zeros(network.n_params, dtype=network.dtype)
    coefs, intercepts = network.unpack(theta)
    for coef, intercept in zip(coefs[:-1], intercepts[:-1]):
        coef[...] = random_state.standard_normal(coef.shape) / np.sqrt(coef.shape[0])
        intercept[...] = random_state.standard_normal(intercept.shape)
    return theta


def initial_params(network, parametrization, random_state):
    """The start of a fresh fit in ``parametrization`` ('standard': MLP's)."""
    if parametrization == "ntk":
        return ntk_initial_params(network, random_state)
    return network.initial_params(random_state)


def step_scales(network, parametrization, input_scale=False):
    """The optimizer's :class:`StepScales` (over the network's parameters,
    then the input scale's when ``input_scale``); None when every parameter
    is stepped as it is."""
    if parametrization == "ntk":
        scales = ntk_step_scales(network)
    elif input_scale:
        ones = np.ones(network.n_params, dtype=network.dtype)
        scales = StepScales(ones, ones.copy())
    else:
        return None
    if not input_scale:
        return scales
    n_inputs = network.layer_sizes[0]
    more = np.ones(n_inputs, dtype=network.dtype)
    return StepScales(
        np.concatenate([scales.grad, more]),
        np.concatenate([scales.step, more * INPUT_SCALE_RATE_FACTOR]),
    )


def n_trained(network, input_scale):
    """Number of parameters the optimizer steps."""
    return network.n_params + (network.layer_sizes[0] if input_scale else 0)


def input_scale_step(optimizer, theta, grad, network, work, decay=0.0):
    """One step of ``optimizer`` on ``(V, other parameters, s)``, written
    back into the network's ``theta`` as ``W = diag(s) V``.

    ``grad`` is the gradient with respect to ``theta``; ``work`` a
    :class:`~skdense._buffers.Buffers`; ``decay`` AdamW's decay rate of the
    weights (``V`` and the other layers' weights, never ``s``), applied
    after the gradient is carried over to ``V`` and ``s`` at the point where
    it was computed. ``V`` is read off ``W / s`` at each
    step (to the last bit of ``W``'s rounding), so that what changed ``W``
    since the last step (a proximal step, a max-norm projection, a decay)
    carries over into ``V``; a feature whose scale is exactly 0 keeps its
    weights at 0.
    """
    size = network.n_params + network.layer_sizes[0]
    raw = work.get("raw", size, dtype=theta.dtype)
    raw_grad = work.get("raw_grad", size, dtype=theta.dtype)
    to_raw(theta, grad, optimizer.input_scale, network, raw, raw_grad)
    if decay:
        optimizer.decay(raw[: network.n_coefs], decay)
    optimizer.step(raw, raw_grad)
    from_raw(raw, network, theta, optimizer.input_scale)


def to_raw(theta, grad, scale, network, raw, raw_grad):
    """Fill ``raw`` with ``(V, other parameters, s)`` and ``raw_grad`` with
    the loss's gradient with respect to them, from the network's ``theta``
    and its gradient ``grad``: ``dL/dV = s * dL/dW``, ``dL/ds_i = sum_j
    V_ij dL/dW_ij``."""
    n_params, n_inputs = network.n_params, network.layer_sizes[0]
    first = n_inputs * network.layer_sizes[1]
    raw[:n_params], raw_grad[:n_params] = theta, grad
    column = scale[:, None]
    V = raw[:first].reshape(n_inputs, -1)
    # Where s is 0, V keeps W's values, which are 0 (W = 0 * V).
    np.divide(theta[:first].reshape(n_inputs, -1), column, out=V, where=column != 0)
    W_grad = grad[:first].reshape(n_inputs, -1)
    np.einsum("ij,ij->i", V, W_grad, out=raw_grad[n_params:])
    raw_grad[:first].reshape(n_inputs, -1)[...] *= column
    raw[n_params:] = scale


def from_raw(raw, network, theta, scale):
    """Write ``raw``'s ``s`` into ``scale`` and ``W = diag(s) V`` with the
    other parameters into ``theta``."""
    n_params, n_inputs = network.n_params, network.layer_sizes[0]
    first = n_inputs * network.layer_sizes[1]
    scale[...] = raw[n_params:]
    theta[...] = raw[:n_params]
    theta[:first].reshape(n_inputs, -1)[...] *= scale[:, None]
