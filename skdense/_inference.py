"""Prediction in chunks of rows, and Monte-Carlo dropout keyed by row content.

Chunks keep each layer's activations in cache and bound the memory of a
prediction to a few chunks, whatever the number of rows.

Monte-Carlo dropout runs ``n_passes`` forward passes with dropout left on.
Its masks are drawn as training draws them: a hash of the seed, the pass
index, the layer, the unit and the *content* of the row. Every chunk is
padded to the same number of rows, so each matrix product has the same shape
whatever the input, and a row's passes depend on that row alone: predicting
``X[i:j]`` gives bit for bit the rows ``i:j`` of predicting ``X``. (This
relies on the BLAS computing each row of a product of a given shape the same
way wherever the row stands, which OpenBLAS and MKL do; the test suite checks
it.)
"""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import copy
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ._dropout import RowKeyedDropout, row_keys

PREDICT_CHUNK = 2048
_MC_CHUNK_ELEMENTS = 2**17  # stacked activations per chunk (measured)
_MC_MIN_CHUNK_ROWS = 8  # fewer rows: per-chunk overhead dominates (measured)
_MC_STREAM = 0x4D43  # separates the Monte-Carlo stream from training's


def has_dropout(keep_probs, input_keep=1.0):
    return min(keep_probs, default=1.0) < 1.0 or input_keep < 1.0


def check_has_dropout(keep_probs, input_keep, keep_prob):
    """Refuse Monte-Carlo dropout for a model trained without dropout."""
    if not has_dropout(keep_probs, input_keep):
        raise ValueError(
            "Monte-Carlo dropout (return_std=True, sample_y) needs a model "
            f"trained with dropout, and this one has none (keep_prob={keep_prob!r}, "
            f"input_keep_prob={input_keep!r}). Fit it with keep_prob < 1 (e.g. "
            "0.8) to get uncertainty estimates."
        )


def predict_in_chunks(network, coefs, intercepts, X, finish, n_columns):
    """``finish(logits)`` of the network for ``X``, no dropout, chunk by chunk."""
    dtype = np.result_type(X.dtype, network.dtype)
    output = np.empty((X.shape[0], n_columns), dtype=dtype)
    for start in range(0, X.shape[0], PREDICT_CHUNK):
        rows = slice(start, start + PREDICT_CHUNK)
        output[rows] = finish(network.logits(coefs, intercepts, X[rows]))
    return output


def monte_carlo_seed(random_state, advance=False):
    """The integer seed of the Monte-Carlo masks for ``random_state``.

    An int gives a seed of its own (not training's); None a fresh one; a
    ``RandomState`` a draw from it, from a copy unless ``advance``.
    """
    if isinstance(random_state, np.random.RandomState):
        state = random_state if advance else copy.deepcopy(random_state)
        return int(state.randint(2**31 - 1))
    entropy = None if random_state is None else [random_state, _MC_STREAM]
    return int(np.random.SeedSequence(entropy).generate_state(1)[0] >> 1)


def monte_carlo_chunk_rows(n_passes, coefs):
    widest = max(coef.shape[1] for coef in coefs)
    return max(_MC_MIN_CHUNK_ROWS, _MC_CHUNK_ELEMENTS // (n_passes * widest))


@dataclass
class MonteCarlo:
    """Monte-Carlo dropout over a fitted network.

    Parameters
    ----------
    network : DenseNetwork
    coefs, intercepts : list of ndarray
        The fitted parameters.
    keep_probs : list of float
        Keep probability of each hidden layer.
    input_keep : float
        Keep probability of the input features.
    n_passes : int
        Forward passes with dropout on.
    seed : int
        Seed of the masks (:func:`monte_carlo_seed`).
    finish : callable
        ``finish(logits)``: the outputs (probabilities, values) of the logits.
    """

    network: object
    coefs: list
    intercepts: list
    keep_probs: list
    input_keep: float
    n_passes: int
    seed: int
    finish: object

    def mean_std(self, X, n_columns):
        """Mean and standard deviation of the passes, each ``(n_rows, n_columns)``.

        They are those of :meth:`samples` along its last axis, bit for bit.
        """
        mean = np.empty((X.shape[0], n_columns), dtype=self._dtype(X))
        std = np.empty_like(mean)
        for rows, samples in self._by_chunk(X):
            mean[rows] = samples.mean(axis=-1)
            std[rows] = samples.std(axis=-1)
        return mean, std

    def samples(self, X, n_columns):
        """Every pass: an array of shape ``(n_rows, n_columns, n_passes)``."""
        out = np.empty((X.shape[0], n_columns, self.n_passes), dtype=self._dtype(X))
        for rows, samples in self._by_chunk(X):
            out[rows] = samples
        return out

    def _dtype(self, X):
        return np.result_type(X.dtype, self.network.dtype)

    def _by_chunk(self, X):
        """Yield ``(rows, samples)`` chunk by chunk of ``X``, ``samples`` of shape
        ``(n_rows, n_columns, n_passes)`` for the rows ``rows`` (a slice)."""
        network, coefs, n_passes = self.network, self.coefs, self.n_passes
        hidden_sizes = [coef.shape[1] for coef in coefs[:-1]]
        dropout = RowKeyedDropout(
            self.keep_probs, hidden_sizes, self.seed, self.input_keep, X.shape[1]
        )
        # Inverted dropout's 1 / keep_prob scale moves into the next weights.
        scaled = [
            coef if keep == 1.0 else coef * coef.dtype.type(1.0 / keep)
            for coef, keep in zip(coefs, [self.input_keep, *self.keep_probs])
        ]
        drop_inputs = self.input_keep < 1.0
        chunk = monte_carlo_chunk_rows(n_passes, coefs)
        pass_index = np.arange(n_passes)
        for start in range(0, X.shape[0], chunk):
            rows = X[start : start + chunk]
            inputs = _padded(rows, chunk, self._dtype(X))
            keys = row_keys(inputs)
            kept = dropout.kept_units(keys, pass_index, network.dtype)
            if drop_inputs:
                inputs = dropout.drop_inputs(inputs, keys, pass_index, scale=False)
            logits = network.mc_logits(
                scaled, self.intercepts, inputs, n_passes, kept, drop_inputs
            )
            passes = self.finish(logits.reshape(n_passes * chunk, -1))
            passes = passes.reshape(n_passes, chunk, -1)[:, : rows.shape[0]]
            # Each row's passes contiguous: a reduction over them is the same
            # computation wherever the row stands.
            yield slice(start, start + rows.shape[0]), passes.transpose(1, 2, 0).copy()


def _padded(rows, n_rows, dtype):
    """``rows`` as a C-ordered block of exactly ``n_rows`` rows (zeros after).

    The same shape and layout for every chunk make the matrix products the
    same computation for a row wherever it stands.
    """
    if sp.issparse(rows):
        missing = n_rows - rows.shape[0]
        if missing:
            rows = sp.vstack([rows, sp.csr_matrix((missing, rows.shape[1]))])
        return sp.csr_matrix(rows, dtype=dtype)
    block = np.zeros((n_rows, rows.shape[1]), dtype=dtype)
    block[: rows.shape[0]] = rows
    return block
