"""Inverted dropout masks, keyed by the content of each training row.

A mask entry keeps its hidden unit with probability ``keep_prob`` and holds
``1 / keep_prob`` when it does, 0 when it does not, so that multiplying the
activations by the mask keeps their expected value (inverted dropout). The same
mask, scale included, multiplies the gradient in the backward pass.

The keep/drop decision for (row, layer, unit) in an epoch is a hash of the
random seed, the epoch, the layer, the unit and the *content* of the row, not
of its position. Two consequences:

- a sample with ``sample_weight=k`` trains exactly like ``k`` copies of it,
  dropout included (copies of a row share their mask within an epoch), so
  sample weights keep their meaning under dropout;
- masks do not depend on the shuffling or batching, and are reproducible from
  ``random_state`` alone.

Hashes are counter-based (splitmix64 for rows and units, a light 32-bit
mix per entry), vectorised over the batch; no random generator state is kept
or advanced.
"""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
import scipy.sparse as sp

from ._buffers import Buffers

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)
_ROW_CHUNK = 4096


def _mix(z):
    """splitmix64 finaliser of the uint64 array ``z``, in place (wrapping)."""
    z ^= z >> np.uint64(30)
    z *= _MIX_1
    z ^= z >> np.uint64(27)
    z *= _MIX_2
    z ^= z >> np.uint64(31)
    return z


def _hash_ints(values, salt):
    """Hashes of the non-negative integers ``values`` under the integer ``salt``."""
    z = np.asarray(values, dtype=np.uint64) * _GOLDEN
    z ^= _mix(np.array([salt], dtype=np.uint64))
    return _mix(z)


def _bits(values):
    """The IEEE bits of a float array as float64 (-0.0 read as 0.0): a float32
    row and the same row in float64 get the same key, hence the same masks,
    so that float32 trains as float64 does to float32 precision."""
    values = np.asarray(values, dtype=np.float64) + 0.0
    return np.ascontiguousarray(values).view(np.uint64)


def row_keys(X, kernels=None):
    """A 64-bit key per row of ``X`` that depends only on the row's values.

    The key is a multilinear hash, ``sum_j bits(x_j) * c_j`` modulo 2**64
    with random odd ``c_j``, finished by a mix: exact integer arithmetic, so
    equal rows get equal keys wherever they stand, and a dense array and its
    sparse form get the same keys (zeros add nothing). ``kernels``: the fused
    kernels of :mod:`skdense._kernels` (the same keys in one pass over a
    dense ``X``), or None for NumPy's.
    """
    column_salts = _hash_ints(np.arange(X.shape[1]), salt=1) | np.uint64(1)
    if kernels is not None and not sp.issparse(X):
        keys = np.empty(X.shape[0], dtype=np.uint64)
        kernels.row_keys(np.asarray(X), column_salts, keys)
        return keys
    if sp.issparse(X):
        X = sp.csr_matrix(X)
        products = _bits(X.data) * column_salts[X.indices]
        cumulative = np.concatenate([np.zeros(1, np.uint64), np.cumsum(products)])
        keys = cumulative[X.indptr[1:]] - cumulative[X.indptr[:-1]]
        return _mix(keys)
    keys = np.empty(X.shape[0], dtype=np.uint64)
    for start in range(0, X.shape[0], _ROW_CHUNK):
        rows = slice(start, start + _ROW_CHUNK)
        keys[rows] = _bits(np.asarray(X[rows])) @ column_salts
    return _mix(keys)


_FMIX_1 = np.uint32(0x85EBCA6B)
_FMIX_2 = np.uint32(0xC2B2AE35)


def _upper_32_bits(hashes):
    return (hashes >> np.uint64(32)).astype(np.uint32)


def _threshold(keep):
    """The hash below which a unit is kept with probability ``keep``."""
    return np.uint32(min(int(keep * 2.0**32), 2**32 - 1))


def has_dropout(keep_probs, input_keep=1.0):
    """Whether any hidden layer (``keep_probs``) or the input drops units."""
    return min(keep_probs, default=1.0) < 1.0 or input_keep < 1.0


class RowKeyedDropout:
    """Inverted dropout for the hidden layers of one network.

    Parameters
    ----------
    keep_probs : sequence of float
        Probability of keeping a unit, one value per hidden layer. Layers with
        ``keep_prob == 1`` get no mask at all.
    hidden_sizes : sequence of int
        Width of each hidden layer.
    seed : int
        Seed of this fit's masks.
    input_keep : float, default=1.0
        Probability of keeping an input feature (1.0: inputs are not dropped).
    n_features : int, default=0
        Number of input features; needed when ``input_keep < 1``.
    """

    def __init__(self, keep_probs, hidden_sizes, seed, input_keep=1.0, n_features=0):
        self.keep_probs = [float(p) for p in keep_probs]
        self.hidden_sizes = [int(width) for width in hidden_sizes]
        self.input_keep = float(input_keep)
        self.n_features = int(n_features)
        self._buffers = Buffers()
        self._seed = None
        self.reseed(seed)

    def reseed(self, seed):
        """Draw the masks of ``seed`` from now on."""
        if seed == self._seed:
            return
        self._unit_salts = [
            _upper_32_bits(_hash_ints(np.arange(width), salt=seed * 1024 + layer + 2))
            for layer, width in enumerate(self.hidden_sizes)
        ]
        # The inputs are "layer -1": their salts differ from every hidden layer's.
        self._input_salts = _upper_32_bits(
            _hash_ints(np.arange(self.n_features), salt=seed * 1024 + 1)
        )
        self._seed = seed

    @property
    def active(self):
        """Whether any layer, inputs included, drops units."""
        return self.input_keep < 1.0 or any(p < 1.0 for p in self.keep_probs)

    def masks(self, keys, epoch, dtype, kernels=None):
        """Masks of one batch: a list with an array or None per hidden layer.

        The arrays are reused by the next call.

        Parameters
        ----------
        keys : ndarray of uint64, shape (n_samples,)
            :func:`row_keys` of the batch's rows.
        epoch : int
            Epoch counter; each epoch draws new masks.
        dtype : numpy dtype
            Dtype of the masks (that of the activations).
        kernels : module or None, default=None
            The fused kernels of :mod:`skdense._kernels` (the same masks in
            one pass), or None for NumPy's.
        """
        if kernels is not None:
            return self._fused_masks(kernels, keys, epoch, np.dtype(dtype))
        masks = self.kept_units(keys, epoch, dtype)
        for mask, keep in zip(masks, self.keep_probs):
            if mask is not None:  # 1 / keep where kept, 0 where dropped
                np.multiply(mask, np.dtype(dtype).type(1.0 / keep), out=mask)
        return masks

    def _fused_masks(self, kernels, keys, epoch, dtype):
        row_salts = self._row_salts(keys, epoch)

        def scaled_mask(layer, keep, out):
            salts, scale = self._unit_salts[layer], dtype.type(1.0 / keep)
            kernels.dropout_mask(row_salts, salts, _threshold(keep), scale, out)
            return out

        return self._for_dropped_layers(len(row_salts), dtype, scaled_mask)

    def kept_units(self, keys, epochs, dtype):
        """1 where a unit is kept and 0 where it is dropped, unscaled, for the
        rows stacked epoch after epoch (``len(epochs) * len(keys)`` rows).

        The decisions are those :meth:`masks` takes. Monte-Carlo dropout uses
        this form with the ``1 / keep_prob`` scale moved into the weights.
        """
        row_salts = self._row_salts(keys, epochs)

        def kept(layer, keep, out):
            return self._keep(layer, row_salts, keep, out)

        return self._for_dropped_layers(len(row_salts), dtype, kept)

    def _for_dropped_layers(self, n_rows, dtype, fill):
        """``fill(layer, keep, out)`` for every layer that drops units, ``out``
        its reused ``(n_rows, width)`` buffer; None for the other layers."""
        filled = []
        for layer, keep in enumerate(self.keep_probs):
            if keep == 1.0:
                filled.append(None)
                continue
            shape = (n_rows, len(self._unit_salts[layer]))
            out = self._buffers.get(f"kept{layer}", *shape, dtype=dtype)
            filled.append(fill(layer, keep, out))
        return filled

    def kept_inputs(self, keys, epochs, dtype):
        """:meth:`kept_units` for the input features (None without input dropout)."""
        if self.input_keep == 1.0:
            return None
        row_salts = self._row_salts(keys, epochs)
        hashes = np.add(row_salts[:, None], self._input_salts[None, :])
        return self._threshold(hashes, self.input_keep, np.empty(hashes.shape, dtype))

    def _row_salts(self, keys, epochs):
        epoch_salts = _hash_ints(np.atleast_1d(epochs), salt=self._seed)
        salted = keys[None, :] ^ epoch_salts[:, None]
        return _upper_32_bits(_mix(salted.ravel()))

    def _keep(self, layer, row_salts, keep, out):
        """Write into ``out`` whether each (row, unit) of ``layer`` is kept."""
        hashes = self._buffers.get("hash", *out.shape, dtype=np.uint32)
        np.add(row_salts[:, None], self._unit_salts[layer][None, :], out=hashes)
        return self._threshold(hashes, keep, out)

    def _threshold(self, hashes, keep, out):
        """Finish the hash of ``hashes`` (row salt + unit salt, in place) and
        write into ``out`` whether it falls below ``keep``."""
        # A light 32-bit hash (two multiply rounds of murmur3's finaliser) of
        # row salt + unit salt: both are already well mixed, and the top bits
        # that the threshold compares depend on every input bit.
        shifted = self._buffers.get("shifted", *hashes.shape, dtype=np.uint32)
        np.multiply(hashes, _FMIX_1, out=hashes)
        np.right_shift(hashes, np.uint32(15), out=shifted)
        np.bitwise_xor(hashes, shifted, out=hashes)
        np.multiply(hashes, _FMIX_2, out=hashes)
        return np.less(hashes, _threshold(keep), out=out, casting="unsafe")

    def drop_inputs(self, X, keys, epochs, scale=True):
        """``X`` with dropped input features set to 0, in a new array.

        Kept features are multiplied by ``1 / input_keep`` (unless ``scale``
        is False). With several ``epochs`` (Monte-Carlo passes), the rows are
        stacked epoch after epoch. A sparse ``X`` stays sparse: only its stored
        values are masked, and they get the masks the dense form would get.
        """
        n_epochs = len(np.atleast_1d(epochs))
        factor = X.dtype.type(1.0 / self.input_keep if scale else 1.0)
        if sp.issparse(X):
            row_salts = self._row_salts(keys, epochs)
            X = sp.vstack([sp.csr_matrix(X)] * n_epochs, format="csr")
            entry_rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
            hashes = row_salts[entry_rows] + self._input_salts[X.indices]
            kept = self._threshold(hashes, self.input_keep, np.empty(X.nnz, bool))
            X.data *= kept
            X.data *= factor
            return X
        kept = self.kept_inputs(keys, epochs, X.dtype)
        dropped = np.tile(X, (n_epochs, 1)) if n_epochs > 1 else np.array(X)
        dropped *= kept
        dropped *= factor
        return dropped
