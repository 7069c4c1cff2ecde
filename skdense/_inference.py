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

import numpy as np
import scipy.sparse as sp

from ._dropout import RowKeyedDropout, row_keys

PREDICT_CHUNK = 2048
_MC_CHUNK_ELEMENTS = 2**17  # stacked activations per chunk (measured)
_MC_MIN_CHUNK_ROWS = 8  # fewer rows: per-chunk overhead dominates (measured)
_MC_STREAM = 0x4D43  # separates the Monte-Carlo stream from training's


def has_dropout(keep_probs):
    return min(keep_probs, default=1.0) < 1.0


def check_has_dropout(keep_probs, keep_prob):
    """Refuse Monte-Carlo dropout for a model trained without dropout."""
    if not has_dropout(keep_probs):
        raise ValueError(
            "return_std=True needs Monte-Carlo dropout, and this model has no "
            f"dropout (keep_prob={keep_prob!r}). Fit it with keep_prob < 1 "
            "(e.g. 0.8) to get uncertainty estimates."
        )


def predict_in_chunks(network, coefs, intercepts, X, finish, n_columns):
    """``finish(logits)`` of the network for ``X``, no dropout, chunk by chunk."""
    dtype = np.result_type(X.dtype, network.dtype)
    output = np.empty((X.shape[0], n_columns), dtype=dtype)
    for start in range(0, X.shape[0], PREDICT_CHUNK):
        rows = slice(start, start + PREDICT_CHUNK)
        output[rows] = finish(network.logits(coefs, intercepts, X[rows]))
    return output


def monte_carlo_seed(random_state):
    """The integer seed of the Monte-Carlo masks for ``random_state``.

    An int gives a seed of its own (not training's); None a fresh one; a
    ``RandomState`` a draw from a copy, so that it is not advanced.
    """
    if isinstance(random_state, np.random.RandomState):
        return int(copy.deepcopy(random_state).randint(2**31 - 1))
    entropy = None if random_state is None else [random_state, _MC_STREAM]
    return int(np.random.SeedSequence(entropy).generate_state(1)[0] >> 1)


def monte_carlo_chunk_rows(n_passes, coefs):
    widest = max(coef.shape[1] for coef in coefs)
    return max(_MC_MIN_CHUNK_ROWS, _MC_CHUNK_ELEMENTS // (n_passes * widest))


def monte_carlo_passes(
    network, coefs, intercepts, X, keep_probs, n_passes, seed, finish
):
    """Yield ``(rows, passes)`` chunk by chunk of ``X``.

    ``passes`` has shape ``(n_passes, chunk, n_columns)``: ``finish(logits)``
    of each forward pass with dropout on, for a padded chunk whose first
    ``rows.stop - rows.start`` rows are the rows ``rows`` of ``X``. Reduce it
    before dropping the padding, so that every reduction has the same shape.
    """
    hidden_sizes = [coef.shape[1] for coef in coefs[:-1]]
    dropout = RowKeyedDropout(keep_probs, hidden_sizes, seed)
    scaled = [coefs[0]] + [
        coef if keep == 1.0 else coef * coef.dtype.type(1.0 / keep)
        for coef, keep in zip(coefs[1:], keep_probs)
    ]
    chunk = monte_carlo_chunk_rows(n_passes, coefs)
    pass_index = np.arange(n_passes)
    dtype = np.result_type(X.dtype, network.dtype)
    for start in range(0, X.shape[0], chunk):
        rows = X[start : start + chunk]
        padded = _padded(rows, chunk, dtype)
        kept = dropout.kept_units(row_keys(padded), pass_index, network.dtype)
        logits = network.mc_logits(scaled, intercepts, padded, n_passes, kept)
        passes = finish(logits.reshape(n_passes * chunk, -1))
        yield slice(start, start + rows.shape[0]), passes.reshape(n_passes, chunk, -1)


def monte_carlo_mean_std(
    network, coefs, intercepts, X, keep_probs, n_passes, seed, finish, n_columns
):
    """Mean and standard deviation over the passes of :func:`monte_carlo_passes`."""
    dtype = np.result_type(X.dtype, network.dtype)
    mean = np.empty((X.shape[0], n_columns), dtype=dtype)
    std = np.empty_like(mean)
    for rows, passes in monte_carlo_passes(
        network, coefs, intercepts, X, keep_probs, n_passes, seed, finish
    ):
        n_rows = rows.stop - rows.start
        mean[rows] = passes.mean(axis=0)[:n_rows]
        std[rows] = passes.std(axis=0)[:n_rows]
    return mean, std


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
