"""One epoch of a stochastic solver: batches, dropout masks, steps, the L1 prox."""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
import scipy.sparse as sp

from ._buffers import Buffers
from ._dropout import row_keys


class Epoch:
    """One pass of a stochastic solver over the training set."""

    def __init__(self, network, penalty, optimizer, dropout, X, Y, sample_weight):
        self.network = network
        self.penalty = penalty
        self.optimizer = optimizer
        self.dropout = dropout
        self.X, self.Y, self.sample_weight = X, Y, sample_weight
        self.keys = row_keys(X) if dropout is not None else None
        self.grad = np.empty(network.n_params, dtype=network.dtype)
        self._buffers = Buffers()

    def run(self, theta, order, batch_size, epoch_key):
        """Train on every batch; return the mean batch loss (None if it diverged).

        Overflow is not reported by NumPy here: a diverging run is detected
        (non-finite loss or weights) and reported once, clearly, by the caller.
        """
        n_samples = self.X.shape[0]
        total = 0.0
        with np.errstate(over="ignore", invalid="ignore"):
            for start in range(0, n_samples, batch_size):
                rows = slice(start, start + batch_size)
                if order is not None:
                    rows = order[rows]
                batch_loss = self._train_batch(theta, rows, epoch_key)
                if not np.isfinite(batch_loss):
                    return None
                total += batch_loss * (min(start + batch_size, n_samples) - start)
            if not np.isfinite(theta).all():
                return None
        return total / n_samples

    def _rows(self, name, array, rows):
        """``array[rows]``, gathered into a reused buffer when ``array`` is dense."""
        if isinstance(rows, slice) or sp.issparse(array):
            return array[rows]
        out = self._buffers.get(name, len(rows), *array.shape[1:], dtype=array.dtype)
        return np.take(array, rows, axis=0, out=out)

    def _train_batch(self, theta, rows, epoch_key):
        X, Y = self._rows("X", self.X, rows), self._rows("Y", self.Y, rows)
        weights = None
        if self.sample_weight is not None:
            weights = self._rows("weights", self.sample_weight, rows)
        masks = None
        if self.dropout is not None:
            masks = self.dropout.masks(self.keys[rows], epoch_key, self.network.dtype)
        loss = self.network.loss_gradient(
            theta, X, Y, weights, self.penalty, self.grad, masks, include_l1=False
        )
        if not np.isfinite(loss):
            return loss
        self.optimizer.step(theta, self.grad)
        if self.penalty.has_l1:
            n_coefs = self.network.n_coefs
            weight_sum = X.shape[0] if weights is None else weights.sum()
            steps = self.optimizer.step_sizes(0, n_coefs) / weight_sum
            self.penalty.prox(theta[:n_coefs], steps)
        return loss
