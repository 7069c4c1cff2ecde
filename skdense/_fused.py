"""Fused element-wise kernels, compiled by numba (the ``skdense[numba]`` extra).

Each kernel does in one pass over memory what the NumPy path does in
several, with the same IEEE operations in the same order, so that both give
the same bits: no fastmath (which would reorder or fuse them), every scalar
already of the arrays' dtype (so that float32 arithmetic stays float32), and
``error_model='numpy'`` (a division by zero gives inf, as in NumPy). The
NumPy path in the other modules is the reference; ``tests/test_fused.py``
checks the two against each other bit for bit.

Only :mod:`skdense._kernels` imports this module, and only when numba is
chosen: importing it imports numba.
"""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import math

import numba
import numpy as np

_jit = numba.njit(cache=True, nogil=True, error_model="numpy")

_LOW_32_BITS = np.uint64(0xFFFFFFFF)


@_jit
def adam_step(params, grad, ms, vs, denominators, moments, step, finish, decay, adamw):
    """scikit-learn's Adam or (``adamw``) PyTorch's AdamW step, in place.

    ``moments``: ``(beta_1, 1 - beta_1, beta_2, 1 - beta_2)``; ``step``:
    ``(-step_size, epsilon, bias_root)`` (``bias_root`` used by AdamW only);
    ``finish``: ``(n_coefs, l2, divisor)`` or ``(0, 0, 0)``: first finish the
    gradient as :meth:`~skdense._network.DenseNetwork.loss_gradient` does,
    ``(g + w * l2) / divisor`` on the weights and ``g / divisor`` on the
    intercepts; ``decay``: ``(n_coefs, factor)``, AdamW's ``w *= factor``
    before the step, or ``(0, 1)``. Scalars are of the dtype of ``params``.
    The finished gradient and ``sqrt(v) + epsilon`` (Adam) or ``sqrt(v) /
    bias_root + epsilon`` (AdamW) are written to ``grad`` and
    ``denominators``, as the NumPy path leaves them.
    """
    beta_1, rest_1, beta_2, rest_2 = moments
    minus_step, epsilon, bias_root = step
    n_coefs, l2, divisor = finish
    n_decayed, factor = decay
    for i in range(params.shape[0]):
        weight = params[i]
        g = grad[i]
        if divisor != 0:
            if i < n_coefs and l2 != 0:
                g = g + weight * l2
            g = g / divisor
            grad[i] = g
        m = ms[i] * beta_1 + g * rest_1
        v = vs[i] * beta_2 + (g * g) * rest_2
        ms[i] = m
        vs[i] = v
        if adamw:
            denominator = np.sqrt(v) / bias_root + epsilon
        else:
            denominator = np.sqrt(v) + epsilon
        denominators[i] = denominator
        if i < n_decayed:
            weight = weight * factor
        params[i] = weight + (m * minus_step) / denominator


@_jit
def bias_relu_mask(Z, intercept, mask, dropped):
    """``Z += intercept``, ``Z = maximum(Z, 0)`` in place and, when ``mask``
    has rows, ``dropped = Z * mask``."""
    masked = mask.shape[0] > 0
    zero = Z.dtype.type(0)
    for i in range(Z.shape[0]):
        for j in range(Z.shape[1]):
            z = Z[i, j] + intercept[j]
            if not (z > zero or z != z):  # NumPy's maximum: NaN kept, -0 to 0
                z = zero
            Z[i, j] = z
            if masked:
                dropped[i, j] = z * mask[i, j]


@_jit
def mask_relu_slope(delta, mask, H):
    """``delta *= mask`` (when ``mask`` has rows), then ``delta *= H > 0``."""
    masked = mask.shape[0] > 0
    one, zero = delta.dtype.type(1), delta.dtype.type(0)
    for i in range(delta.shape[0]):
        for j in range(delta.shape[1]):
            d = delta[i, j]
            if masked:
                d = d * mask[i, j]
            delta[i, j] = d * (one if H[i, j] > zero else zero)


@_jit
def mask_slope(delta, mask, slope):
    """``delta *= mask`` (when ``mask`` has rows), then ``delta *= slope``."""
    masked = mask.shape[0] > 0
    for i in range(delta.shape[0]):
        for j in range(delta.shape[1]):
            d = delta[i, j]
            if masked:
                d = d * mask[i, j]
            delta[i, j] = d * slope[i, j]


@_jit
def dropout_mask(row_salts, unit_salts, threshold, scale, out):
    """``out[i, j] = scale`` where unit ``j`` of row ``i`` is kept, else 0:
    the 32-bit hash of :meth:`~skdense._dropout.RowKeyedDropout._threshold`
    (wrapping products, kept to 32 bits) compared with ``threshold``."""
    zero = out.dtype.type(0)
    for i in range(row_salts.shape[0]):
        row = np.uint64(row_salts[i])
        for j in range(unit_salts.shape[0]):
            h = (row + np.uint64(unit_salts[j])) & _LOW_32_BITS
            h = (h * np.uint64(0x85EBCA6B)) & _LOW_32_BITS
            h = h ^ (h >> np.uint64(15))
            h = (h * np.uint64(0xC2B2AE35)) & _LOW_32_BITS
            out[i, j] = scale if h < threshold else zero


@_jit
def row_keys(X, column_salts, keys):
    """:func:`skdense._dropout.row_keys` of the dense ``X`` into ``keys``:
    ``sum_j bits(float64(x_j) + 0.0) * c_j`` modulo 2**64, then splitmix64's
    finaliser; exact integer arithmetic, so any order of the sum gives the
    same key."""
    value = np.zeros(1, dtype=np.float64)
    bits = value.view(np.uint64)
    for i in range(X.shape[0]):
        key = np.uint64(0)
        for j in range(X.shape[1]):
            value[0] = np.float64(X[i, j]) + 0.0
            key += bits[0] * column_salts[j]
        key ^= key >> np.uint64(30)
        key *= np.uint64(0xBF58476D1CE4E5B9)
        key ^= key >> np.uint64(27)
        key *= np.uint64(0x94D049BB133111EB)
        key ^= key >> np.uint64(31)
        keys[i] = key


# scipy.special.erf is Cephes' (scipy's xsf library: cephes/ndtr.h); this is
# the same code, coefficient for coefficient, evaluated in float64.
_ERF_T = (
    9.60497373987051638749e0,
    9.00260197203842689217e1,
    2.23200534594684319226e3,
    7.00332514112805075473e3,
    5.55923013010394962768e4,
)
_ERF_U = (
    3.35617141647503099647e1,
    5.21357949780152679795e2,
    4.59432382970980127987e3,
    2.26290000613890934246e4,
    4.92673942608635921086e4,
)
_ERFC_P = (
    2.46196981473530512524e-10,
    5.64189564831068821977e-1,
    7.46321056442269912687e0,
    4.86371970985681366614e1,
    1.96520832956077098242e2,
    5.26445194995477358631e2,
    9.34528527171957607540e2,
    1.02755188689515710272e3,
    5.57535335369399327526e2,
)
_ERFC_Q = (
    1.32281951154744992508e1,
    8.67072140885989742329e1,
    3.54937778887819891062e2,
    9.75708501743205489753e2,
    1.82390916687909736289e3,
    2.24633760818710981792e3,
    1.65666309194161350182e3,
    5.57535340817727675546e2,
)
_ERFC_R = (
    5.64189583547755073984e-1,
    1.27536670759978104416e0,
    5.01905042251180477414e0,
    6.16021097993053585195e0,
    7.40974269950448939160e0,
    2.97886665372100240670e0,
)
_ERFC_S = (
    2.26052863220117276590e0,
    9.39603524938001434673e0,
    1.20489539808096656605e1,
    1.70814450747565897222e1,
    9.60896809063285878198e0,
    3.36907645100081516050e0,
)
_MAXLOG = 7.09782712893383996843e2  # fmt: skip


_inline = numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")


@_inline
def _polevl(x, coefficients):
    value = coefficients[0]
    for i in range(1, len(coefficients)):
        value = value * x + coefficients[i]
    return value


@_inline
def _p1evl(x, coefficients):
    value = x + coefficients[0]
    for i in range(1, len(coefficients)):
        value = value * x + coefficients[i]
    return value


@_inline
def erf(x):
    """The error function of the float64 ``x``, as ``scipy.special.erf``
    computes it: Cephes' ``erf``, with ``erf(x) = -erf(-x)`` and its call of
    ``erfc`` for ``|x| > 1`` written out (numba does not compile the mutual
    recursion of the C code), operation for operation."""
    if x != x:
        return x
    a = -x if x < 0.0 else x
    if a > 1.0:  # 1 - erfc(a)
        z = -a * a
        if z < -_MAXLOG:
            complement = 0.0
        else:
            z = math.exp(z)
            if a < 8.0:
                complement = (z * _polevl(a, _ERFC_P)) / _p1evl(a, _ERFC_Q)
            else:
                complement = (z * _polevl(a, _ERFC_R)) / _p1evl(a, _ERFC_S)
        value = 1.0 - complement
    else:
        z = a * a
        value = a * _polevl(z, _ERF_T) / _p1evl(z, _ERF_U)
    return -value if x < 0.0 else value


@_jit
def gelu_before_exp(Z, intercept, cdf, slope, sqrt_half):
    """The GELU's passes before NumPy's exp: ``Z += intercept``, ``cdf =
    (erf(Z * sqrt_half) + 1) * 0.5`` and ``slope = Z * Z * -0.5``."""
    one, half, minus_half = Z.dtype.type(1), Z.dtype.type(0.5), Z.dtype.type(-0.5)
    for i in range(Z.shape[0]):
        for j in range(Z.shape[1]):
            z = Z[i, j] + intercept[j]
            Z[i, j] = z
            scaled = z * sqrt_half
            cdf[i, j] = (Z.dtype.type(erf(np.float64(scaled))) + one) * half
            slope[i, j] = (z * z) * minus_half


@_jit
def gelu_after_exp(Z, cdf, slope, pdf_scale, mask, dropped):
    """The GELU's passes after NumPy's ``exp`` of ``slope``: ``slope =
    slope * pdf_scale * Z + cdf``, ``Z *= cdf`` and, when ``mask`` has rows,
    ``dropped = Z * mask``."""
    masked = mask.shape[0] > 0
    for i in range(Z.shape[0]):
        for j in range(Z.shape[1]):
            z = Z[i, j]
            c = cdf[i, j]
            slope[i, j] = (slope[i, j] * pdf_scale) * z + c
            z = z * c
            Z[i, j] = z
            if masked:
                dropped[i, j] = z * mask[i, j]
