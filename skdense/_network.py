"""The NumPy core: parameter layout, initialisation, forward and backward passes.

Nothing here knows about scikit-learn. All parameters of a network live in one
flat vector ``theta``: every layer's weights first (so that the penalties act
on one contiguous slice), then every layer's intercepts. ``unpack`` returns
per-layer views of it, shaped like scikit-learn's ``coefs_`` and
``intercepts_``.
"""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import functools

import numpy as np
import scipy.sparse as sp

from ._activations import ACTIVATIONS, NORMAL_PDF_SCALE, SQRT_HALF, per_hidden_layer
from ._buffers import Buffers
from ._losses import OUTPUTS, weighted_mean


def _matmul(A, W, out=None):
    """``A @ W`` into ``out`` (when given), for a dense or sparse ``A``."""
    if sp.issparse(A):
        product = A @ W
        if out is None:
            return np.asarray(product)
        out[...] = product
        return out
    # Some OpenBLAS kernels raise the "invalid" flag on finite operands
    # (numpy #24067, OpenBLAS #1924), seen here in about 1 of 2,500 float32
    # fits. Inputs are checked finite and a non-finite result is caught from
    # the values, so the flag says nothing.
    with np.errstate(invalid="ignore"):
        return np.matmul(A, W, out=out)


class DenseNetwork:
    """A fully connected network over a flat parameter vector.

    Parameters
    ----------
    layer_sizes : sequence of int
        Units per layer, input and output layers included.
    activation : str or sequence of str
        Activation of the hidden layers (a key of ``ACTIVATIONS``), or one per
        hidden layer; a sequence of one serves every layer.
    output : str
        The output layer and its loss, a key of ``OUTPUTS``.
    dtype : numpy dtype
        Dtype of the parameters and of every buffer.
    output_param : float or None, default=None
        The loss's parameter: the quantile of ``'quantile'``, the variance
        power (beta-NLL) of ``'gaussian'``.
    """

    def __init__(self, layer_sizes, activation, output, dtype, output_param=None):
        self.layer_sizes = [int(size) for size in layer_sizes]
        self.activation = (
            activation if isinstance(activation, str) else list(activation)
        )
        n_hidden = len(self.layer_sizes) - 2
        self.hidden_activations = per_hidden_layer(activation, n_hidden)
        self.output = output
        self.output_param = output_param
        self.dtype = np.dtype(dtype)
        self.coef_shapes = list(zip(self.layer_sizes[:-1], self.layer_sizes[1:]))
        self.n_coefs = sum(fan_in * fan_out for fan_in, fan_out in self.coef_shapes)
        self.n_params = self.n_coefs + sum(self.layer_sizes[1:])
        self._buffers = Buffers()

    def _buffer(self, name, n_rows, width):
        return self._buffers.get(name, n_rows, width, dtype=self.dtype)

    @property
    def n_targets(self):
        """Number of targets (the output units of each of them together)."""
        return self.layer_sizes[-1] // OUTPUTS[self.output].units_per_target

    @property
    def n_layers(self):
        """Number of weight layers."""
        return len(self.coef_shapes)

    def unpack(self, theta):
        """Per-layer views ``(coefs, intercepts)`` of the flat vector ``theta``."""
        coefs, intercepts = [], []
        start = 0
        for shape in self.coef_shapes:
            stop = start + shape[0] * shape[1]
            coefs.append(theta[start:stop].reshape(shape))
            start = stop
        for _, fan_out in self.coef_shapes:
            intercepts.append(theta[start : start + fan_out])
            start += fan_out
        return coefs, intercepts

    def pack(self, coefs, intercepts):
        """A new flat vector holding ``coefs`` and ``intercepts``."""
        theta = np.empty(self.n_params, dtype=self.dtype)
        coef_views, intercept_views = self.unpack(theta)
        for view, value in zip(coef_views + intercept_views, coefs + intercepts):
            if view.shape != np.shape(value):
                raise ValueError(
                    f"Stored parameters of shape {np.shape(value)} do not fit a "
                    f"layer of shape {view.shape}: hidden_layer_sizes or the "
                    "data's shape changed since the last fit."
                )
            view[...] = value
        return theta

    def initial_params(self, random_state):
        """Glorot-uniform weights and intercepts, drawn as scikit-learn's MLP does.

        The draws happen layer by layer, weights then intercepts, so that the
        same ``random_state`` gives the same start as ``MLPClassifier``.
        """
        theta = np.empty(self.n_params, dtype=self.dtype)
        coefs, intercepts = self.unpack(theta)
        for layer, (coef, intercept) in enumerate(zip(coefs, intercepts)):
            bound = np.sqrt(self._glorot_factor(layer) / sum(coef.shape))
            coef[...] = random_state.uniform(-bound, bound, coef.shape)
            intercept[...] = random_state.uniform(-bound, bound, intercept.shape)
        return theta

    def _glorot_factor(self, layer):
        """The Glorot factor of ``layer``'s weights: that of the activation
        they feed (the last hidden one for the output layer), as the MLP's
        single activation sets it for every layer."""
        if isinstance(self.activation, str):
            return ACTIVATIONS[self.activation].glorot_factor
        name = self.hidden_activations[min(layer, len(self.hidden_activations) - 1)]
        return ACTIVATIONS[name].glorot_factor

    def _forward(self, coefs, intercepts, X, masks=None, training=False, kernels=None):
        """Run every layer but the output activation.

        In ``training``, the work arrays are the network's buffers and the
        activations that keep their slope (see ``Activation``) keep it; the
        fused ``kernels`` (see :mod:`skdense._kernels`), when given, run the
        layers they cover. Returns the inputs of each layer (``X`` first;
        dropout applied), the hidden activations before dropout with those
        slopes (None for the other layers), and the output logits.
        """
        n_rows = X.shape[0]
        inputs, hidden, slopes = [X], [], []
        for layer, (coef, intercept) in enumerate(zip(coefs, intercepts)):
            width = coef.shape[1]
            out = self._buffer(f"z{layer}", n_rows, width) if training else None
            Z = _matmul(inputs[-1], coef, out=out)
            if layer == self.n_layers - 1:
                Z += intercept
                return inputs, (hidden, slopes), Z
            mask = masks[layer] if masks is not None else None
            dropped = None
            if mask is not None and training:
                dropped = self._buffer(f"a{layer}", n_rows, width)
            slope, Z_out = self._hidden_layer(
                layer, Z, intercept, mask, dropped, training, kernels
            )
            slopes.append(slope)
            hidden.append(Z)
            inputs.append(Z_out)

    def _hidden_layer(self, layer, Z, intercept, mask, dropped, training, kernels):
        """Intercept, activation and dropout of hidden ``layer`` on ``Z`` (in
        place; the dropped units into ``dropped``); returns the kept slope (or
        None) and the layer's output. The fused ``kernels`` run the layers
        they cover (relu, GELU) in one or two passes."""
        if not self._fuses(kernels, layer):
            Z += intercept
            slope = self._activate(layer, Z, training)
            return slope, Z if mask is None else np.multiply(Z, mask, out=dropped)
        mask_or_none = _mask_or_none(mask, Z.dtype)
        out = Z if mask is None else dropped
        if self.hidden_activations[layer] == "relu":
            kernels.bias_relu_mask(Z, intercept, mask_or_none, out)
            return None, out
        cdf = self._buffer(f"cdf{layer}", *Z.shape)
        slope = self._buffer(f"slope{layer}", *Z.shape)
        cast = Z.dtype.type
        kernels.gelu_before_exp(Z, intercept, cdf, slope, cast(SQRT_HALF))
        np.exp(slope, out=slope)  # NumPy's own: numba's exp rounds otherwise
        kernels.gelu_after_exp(Z, cdf, slope, cast(NORMAL_PDF_SCALE), mask_or_none, out)
        return slope, out

    def _fuses(self, kernels, layer):
        """Whether the fused ``kernels`` run hidden ``layer``."""
        fused = ("relu", "gelu")
        return kernels is not None and self.hidden_activations[layer] in fused

    def _activate(self, layer, Z, training):
        """Apply hidden ``layer``'s activation to ``Z`` in place; in training,
        return its slope if it keeps one (None otherwise)."""
        activation = ACTIVATIONS[self.hidden_activations[layer]]
        if not (training and activation.keeps_slope):
            activation.apply(Z)
            return None
        slope = self._buffer(f"slope{layer}", *Z.shape)
        activation.apply_with_slope(Z, slope)
        return slope

    def logits(self, coefs, intercepts, X):
        """Output layer's values before its activation, for ``X``, no dropout."""
        return self._forward(coefs, intercepts, X)[-1]

    def mc_logits(self, coefs, intercepts, X, n_passes, kept, stacked_input=False):
        """Logits of ``n_passes`` forward passes with dropout left on.

        All passes run together: every layer is one matrix product over the
        ``n_passes * n_samples`` stacked rows, pass after pass; the first
        layer, when its input is the same in every pass, is computed once.

        Parameters
        ----------
        coefs : list of ndarray
            Weights, each layer after a dropped one already scaled by
            ``1 / keep_prob`` (inverted dropout moved into the weights).
        kept : list of (ndarray or None)
            Per hidden layer, 1 for a kept unit and 0 for a dropped one, shape
            ``(n_passes, width)``: a pass drops the same units for every row.
            None for a layer without dropout.
        stacked_input : bool, default=False
            Whether ``X`` already holds the ``n_passes`` inputs stacked (input
            dropout), rather than one input for every pass.

        Returns
        -------
        logits : ndarray of shape (n_passes, n_samples, n_outputs)
            A work buffer of the network, overwritten by the next call.
        """
        n_rows = X.shape[0] // n_passes if stacked_input else X.shape[0]
        Z = _matmul(X, coefs[0], out=self._buffer("mc0", X.shape[0], coefs[0].shape[1]))
        Z += intercepts[0]
        for layer in range(1, self.n_layers):
            self._activate(layer - 1, Z, training=False)
            flags = kept[layer - 1]
            flags = None if flags is None else flags[:, None, :]  # every row alike
            if layer == 1 and not stacked_input:  # one copy per pass, masked
                stacked = self._buffer("mc_stacked", n_passes * n_rows, Z.shape[1])
                passes = stacked.reshape(n_passes, *Z.shape)
                if flags is None:
                    passes[...] = Z
                else:
                    np.multiply(Z, flags, out=passes)
                Z = stacked
            elif flags is not None:
                passes = Z.reshape(n_passes, n_rows, -1)
                passes *= flags
            width = coefs[layer].shape[1]
            out = self._buffer(f"mc{layer}", n_passes * n_rows, width)
            Z = _matmul(Z, coefs[layer], out=out)
            Z += intercepts[layer]
        return Z.reshape(n_passes, n_rows, -1)

    def data_loss(self, logits, Y, sample_weight=None):
        """The weighted mean loss of ``logits`` against ``Y`` (no penalty), and
        the output activations (a new array; ``logits`` is left as it is)."""
        output = np.array(logits)
        per_sample = OUTPUTS[self.output].loss(output, Y, self.output_param)
        return float(weighted_mean(per_sample, sample_weight)), output

    def predict(self, coefs, intercepts, X):
        """Output activations (probabilities or values) for ``X``, no dropout."""
        output = self.logits(coefs, intercepts, X)
        OUTPUTS[self.output].activate(output)
        return output

    def loss_gradient(
        self,
        theta,
        X,
        Y,
        sample_weight,
        penalty,
        grad,
        masks=None,
        include_l1=True,
        include_l2=True,
        kernels=None,
        finish=True,
    ):
        """Objective of one batch, with its gradient written into ``grad``.

        Parameters
        ----------
        theta : ndarray of shape (n_params,)
            Flat parameters.
        X : {ndarray, sparse matrix} of shape (n_samples, n_features)
            Inputs of the batch.
        Y : ndarray of shape (n_samples, n_outputs)
            Targets (indicator matrix for classification), dtype of ``theta``.
        sample_weight : ndarray of shape (n_samples,) or None
            Weights of the samples; None weighs them all 1.
        penalty : Penalty
            Weight penalty, applied to the weights and never to intercepts.
        grad : ndarray of shape (n_params,)
            Filled with the gradient of the objective.
        masks : list of (ndarray or None), default=None
            Dropout masks (scale included), one per hidden layer.
        include_l1 : bool, default=True
            Whether the gradient includes the L1 subgradient; the stochastic
            solvers leave it out and take a proximal step instead.
        include_l2 : bool, default=True
            Whether the gradient includes the L2 part; AdamW leaves it out
            and decays the weights instead.
        kernels : module or None, default=None
            The fused kernels of :mod:`skdense._kernels` to run the passes
            they cover; None runs NumPy's.
        finish : bool, default=True
            Whether to add the penalty's gradient and divide by the sum of
            sample weights; False leaves both to the fused optimizer step.

        Returns
        -------
        loss : float
            ``sum(s * loss) / sum(s) + penalty(W) / sum(s)``.
        """
        coefs, intercepts = self.unpack(theta)
        inputs, hidden, output = self._forward(
            coefs, intercepts, X, masks, training=True, kernels=kernels
        )
        sw_sum = X.shape[0] if sample_weight is None else sample_weight.sum()
        per_sample = OUTPUTS[self.output].loss(output, Y, self.output_param)
        weights = theta[: self.n_coefs]
        loss = weighted_mean(per_sample, sample_weight)
        loss += penalty.value(weights) / sw_sum

        delta = output
        OUTPUTS[self.output].gradient(delta, Y, self.output_param)
        if sample_weight is not None:
            delta *= sample_weight[:, None]
        self._backward(coefs, inputs, hidden, delta, masks, grad, kernels)
        if not finish:
            return loss
        work = self._buffers.get("penalty", self.n_coefs, dtype=self.dtype)
        penalty.add_gradient(
            weights, grad[: self.n_coefs], include_l1, work, include_l2
        )
        grad /= sw_sum
        return loss

    def _backward(self, coefs, inputs, hidden, delta, masks, grad, kernels=None):
        """Unnormalised gradients of the data loss, from the output ``delta``;
        ``hidden`` holds the activations and the kept slopes."""
        coef_grads, intercept_grads = self.unpack(grad)
        for layer in range(self.n_layers - 1, -1, -1):
            _matmul(inputs[layer].T, delta, out=coef_grads[layer])
            np.sum(delta, axis=0, out=intercept_grads[layer])
            if layer == 0:
                break
            shape = hidden[0][layer - 1].shape
            previous = self._buffer(f"delta{layer - 1}", *shape)
            np.matmul(delta, coefs[layer].T, out=previous)
            mask = masks[layer - 1] if masks is not None else None
            self._backward_through(layer - 1, previous, mask, hidden, kernels)
            delta = previous

    def _backward_through(self, layer, delta, mask, hidden, kernels):
        """Multiply ``delta`` in place by hidden ``layer``'s dropout mask, then
        by its slope (kept, or from the activation); the fused ``kernels``
        take both in one pass where they cover the layer."""
        activations, slopes = hidden
        if self._fuses(kernels, layer):
            mask_or_none = _mask_or_none(mask, delta.dtype)
            if slopes[layer] is None:  # relu: the slope from the activation
                kernels.mask_relu_slope(delta, mask_or_none, activations[layer])
            else:
                kernels.mask_slope(delta, mask_or_none, slopes[layer])
            return
        if mask is not None:
            delta *= mask
        if slopes[layer] is not None:
            delta *= slopes[layer]
        else:
            ACTIVATIONS[self.hidden_activations[layer]].derivative(
                activations[layer], delta
            )


def _mask_or_none(mask, dtype):
    """The fused kernels' mask argument: ``mask``, or an array of no rows."""
    return _no_mask(np.dtype(dtype)) if mask is None else mask


@functools.cache
def _no_mask(dtype):
    return np.empty((0, 0), dtype)
