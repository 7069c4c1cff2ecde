"""Prediction in chunks of rows, and Monte-Carlo dropout keyed by row content.

Chunks keep each layer's activations in cache and bound the memory of a
prediction to a few chunks, whatever the number of rows.

Monte-Carlo dropout runs ``n_passes`` forward passes with dropout left on.
A pass drops the same units for every row: its mask is a hash of the seed,
the pass index, the layer and the unit, drawn with training's hash. Each pass
is thus one network drawn from the dropout distribution, a whole function of
the input (Gal and Ghahramani's sample of the weights), and a row's result
depends on the row, the pass and the seed alone, never on the other rows
predicted with it. Every chunk is padded to the same number of rows, so each
matrix product has the same shape whatever the input: predicting ``X[i:j]``
gives bit for bit the rows ``i:j`` of predicting ``X``. (This relies on the
BLAS computing each row of a product of a given shape the same way wherever
the row stands, which OpenBLAS and MKL do; the test suite checks it.)
"""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import copy
import os
from dataclasses import dataclass
from numbers import Integral

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import check_is_fitted

from ._dropout import RowKeyedDropout, has_dropout
from ._network import DenseNetwork
from ._params import Interval, RandomStateLike, validate_parameters

PREDICT_CHUNK = 2048
_MC_CHUNK_ELEMENTS = 2**17  # stacked activations per chunk (measured)
_MC_MIN_CHUNK_ROWS = 8  # fewer rows: per-chunk overhead dominates (measured)
_MC_STREAM = 0x4D43  # separates the Monte-Carlo stream from training's
_NOISE_STREAM = 0x4E4C  # separates sample_y's Gaussian draws from the masks


def fitted_layer_sizes(coefs):
    """The widths of every layer, input and output included, of ``coefs``."""
    return [coefs[0].shape[0]] + [coef.shape[1] for coef in coefs]


def fitted_network(estimator):
    """A network of a fitted estimator's layer sizes, its weights and intercepts."""
    coefs = estimator.coefs_
    network = DenseNetwork(
        fitted_layer_sizes(coefs),
        estimator.hidden_activation_,
        estimator.out_activation_,
        coefs[0].dtype,
    )
    return network, coefs, estimator.intercepts_


def check_has_dropout(keep_probs, input_keep):
    """Refuse Monte-Carlo dropout for a model trained without dropout."""
    if not has_dropout(keep_probs, input_keep):
        raise ValueError(
            "Monte-Carlo dropout (return_std=True, sample_y) needs a model "
            f"trained with dropout, and this one was trained without (keep_probs_="
            f"{keep_probs!r}, input_keep_prob_={input_keep!r}). Fit it with "
            "keep_prob < 1 (e.g. 0.8) to get uncertainty estimates."
        )


def check_memory(n_bytes, what):
    """Refuse a prediction whose arrays would not fit in this machine's memory."""
    available = _physical_memory()
    if available is not None and n_bytes > available:
        raise ValueError(
            f"{what} would need {n_bytes / 2**30:,.1f} GiB, more than this "
            f"machine's {available / 2**30:,.1f} GiB of memory."
        )


def _physical_memory():
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # not POSIX
        return None


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

    @classmethod
    def of(cls, estimator, finish, n_passes=None, random_state=None):
        """The passes of a fitted skdense estimator.

        ``n_passes`` None takes ``mc_samples``; ``random_state`` None takes
        the masks fixed at fit from the estimator's ``random_state`` (those
        of ``return_std=True``), and a ``RandomState`` passed here is advanced,
        as ``GaussianProcessRegressor.sample_y`` advances it.
        """
        check_is_fitted(estimator)
        keep_probs, input_keep = estimator.keep_probs_, estimator.input_keep_prob_
        check_has_dropout(keep_probs, input_keep)
        validate_parameters(
            {"mc_samples": estimator.mc_samples, "random_state": estimator.random_state}
        )
        check_sample_arguments(n_passes, random_state)
        n_passes = estimator.mc_samples if n_passes is None else n_passes
        seed = passes_seed(estimator, random_state)
        network, coefs, intercepts = fitted_network(estimator)
        return cls(
            network, coefs, intercepts, keep_probs, input_keep, n_passes, seed, finish
        )

    def rows_per_product(self, n_rows):
        """Rows of each matrix product of the passes over ``n_rows`` rows:
        a chunk's rows, stacked once per pass."""
        chunk = monte_carlo_chunk_rows(self.n_passes, self.coefs)
        return min(n_rows, chunk) * self.n_passes

    def check_fits_in_memory(self, n_rows, n_columns, every_pass):
        """Refuse passes whose arrays would not fit in memory; ``every_pass``
        when each pass of each row is kept (``sample_y``)."""
        itemsize = self.network.dtype.itemsize
        widths = sum(self.network.layer_sizes)
        chunk = monte_carlo_chunk_rows(self.n_passes, self.coefs)
        n_bytes = itemsize * self.n_passes * (chunk + 1) * widths
        what = f"{self.n_passes:,} Monte-Carlo passes (mc_samples)"
        if every_pass:
            n_bytes += itemsize * n_rows * n_columns * self.n_passes
            what = f"{self.n_passes:,} samples (n_samples) of {n_rows:,} rows"
        check_memory(n_bytes, what)

    def mean_std(self, X, n_columns):
        """Mean and standard deviation of the passes, each ``(n_rows, n_columns)``.

        They are those of :meth:`samples` along its last axis, bit for bit.
        """
        self.check_fits_in_memory(X.shape[0], n_columns, every_pass=False)
        mean = np.empty((X.shape[0], n_columns), dtype=self._dtype(X))
        std = np.empty_like(mean)
        for rows, samples in self._by_chunk(X):
            mean[rows] = samples.mean(axis=-1)
            std[rows] = samples.std(axis=-1)
        return mean, std

    def samples(self, X, n_columns):
        """Every pass: an array of shape ``(n_rows, n_columns, n_passes)``."""
        self.check_fits_in_memory(X.shape[0], n_columns, every_pass=True)
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
        # One mask per pass, shared by every row: one "row" of key 0 per pass.
        pass_index, pass_key = np.arange(n_passes), np.zeros(1, dtype=np.uint64)
        kept = dropout.kept_units(pass_key, pass_index, network.dtype)
        kept_inputs = dropout.kept_inputs(pass_key, pass_index, network.dtype)
        # Inverted dropout's 1 / keep_prob scale moves into the next weights.
        scaled = [
            coef if keep == 1.0 else coef * coef.dtype.type(1.0 / keep)
            for coef, keep in zip(coefs, [self.input_keep, *self.keep_probs])
        ]
        chunk = monte_carlo_chunk_rows(n_passes, coefs)
        for start in range(0, X.shape[0], chunk):
            rows = X[start : start + chunk]
            inputs = _padded(rows, chunk, self._dtype(X))
            if kept_inputs is not None:
                inputs = _stack_dropped_inputs(inputs, kept_inputs)
            logits = network.mc_logits(
                scaled, self.intercepts, inputs, n_passes, kept, kept_inputs is not None
            )
            passes = self.finish(logits.reshape(n_passes * chunk, -1))
            passes = passes.reshape(n_passes, chunk, -1)[:, : rows.shape[0]]
            # Each row's passes contiguous: a reduction over them is the same
            # computation wherever the row stands.
            yield slice(start, start + rows.shape[0]), passes.transpose(1, 2, 0).copy()


def passes_seed(estimator, random_state):
    """The seed of a fitted estimator's passes: the one fixed at fit for
    ``random_state`` None (a model saved by 0.1 draws it now), else one of
    ``random_state``'s, which is advanced if a ``RandomState``."""
    if random_state is not None:
        return monte_carlo_seed(random_state, advance=True)
    seed = getattr(estimator, "_monte_carlo_seed", None)
    return monte_carlo_seed(estimator.random_state) if seed is None else seed


def gaussian_seed(estimator, random_state):
    """Seed of ``sample_y``'s Gaussian draws (``loss='gaussian_nll'``): that
    of the passes, on a stream of its own."""
    return [passes_seed(estimator, random_state), _NOISE_STREAM]


def check_sample_arguments(n_samples, random_state):
    """Check ``sample_y``'s own ``n_samples`` and ``random_state``."""
    validate_parameters(
        {"random_state": random_state}, {"random_state": RandomStateLike()}
    )
    if n_samples is not None:
        Interval(Integral, 1, None).check("n_samples", n_samples)


def _stack_dropped_inputs(X, kept):
    """``X`` once per pass, pass after pass, each copy with its features dropped.

    ``kept`` (n_passes, n_features) holds 1 for a kept feature, 0 for a dropped
    one. A sparse ``X`` stays sparse.
    """
    n_passes = kept.shape[0]
    if sp.issparse(X):
        stacked = sp.vstack([X] * n_passes, format="csr")
        entry_rows = np.repeat(np.arange(stacked.shape[0]), np.diff(stacked.indptr))
        stacked.data *= kept[entry_rows // X.shape[0], stacked.indices]
        return stacked
    return (X[None, :, :] * kept[:, None, :]).reshape(n_passes * X.shape[0], -1)


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
