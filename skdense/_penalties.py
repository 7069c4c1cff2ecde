"""Weight penalties: L2, L1 and elastic net as one mix of two terms.

Every penalty skdense offers is ``R(W) = l1 * ||W||_1 + l2 * 0.5 * ||W||^2``
with its own ``(l1, l2)`` pair, so a single small class gives all of them their
value, gradient and proximal step. ``PENALTY_MIXES`` is the table of pairs.
"""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np

PENALTY_MIXES = {
    None: lambda l1_ratio: (0.0, 0.0),
    "l2": lambda l1_ratio: (0.0, 1.0),
    "l1": lambda l1_ratio: (1.0, 0.0),
    "elasticnet": lambda l1_ratio: (l1_ratio, 1.0 - l1_ratio),
}


class Penalty:
    """``alpha * (l1 * ||W||_1 + l2 * 0.5 * ||W||^2)`` on a flat weight vector.

    Parameters
    ----------
    alpha : float
        Overall strength, as in scikit-learn's MLP.
    l1 : float
        Weight of the L1 norm inside the penalty.
    l2 : float
        Weight of the half squared L2 norm inside the penalty.
    """

    def __init__(self, alpha, l1, l2):
        self.l1_strength = alpha * l1
        self.l2_strength = alpha * l2

    @property
    def has_l1(self):
        return self.l1_strength != 0.0

    def value(self, weights):
        """Penalty of ``weights`` (not yet divided by the sum of sample weights)."""
        total = 0.0
        if self.l2_strength:
            total += 0.5 * self.l2_strength * float(np.dot(weights, weights))
        if self.l1_strength:
            total += self.l1_strength * float(np.abs(weights).sum())
        return total

    def add_gradient(self, weights, grad, include_l1=True, work=None, include_l2=True):
        """Add the penalty's (sub)gradient to ``grad`` in place.

        ``include_l1=False`` leaves out the L1 part: the stochastic solvers
        handle it with :meth:`prox` instead. ``include_l2=False`` leaves out
        the L2 part, which AdamW applies as a decay of the weights. ``work``,
        an array like ``weights``, spares an allocation.
        """
        if work is None:
            work = np.empty_like(weights)
        if self.l2_strength and include_l2:
            grad += np.multiply(weights, self.l2_strength, out=work)
        if self.l1_strength and include_l1:
            np.sign(weights, out=work)
            work *= self.l1_strength
            grad += work

    def prox(self, weights, step):
        """Soft-threshold ``weights`` in place: the proximal step of the L1 part.

        ``step`` (a scalar, or one value per weight for adaptive optimizers) is
        the step size times ``1 / sum(sample_weight)``. Weights within
        ``step * l1_strength`` of zero become exactly zero.
        """
        if not self.l1_strength:
            return
        shrunk = np.abs(weights)
        shrunk -= step * self.l1_strength
        np.maximum(shrunk, 0, out=shrunk)
        np.copysign(shrunk, weights, out=weights)


def make_penalty(penalty, alpha, l1_ratio):
    """The :class:`Penalty` named by the estimator parameter ``penalty``."""
    l1, l2 = PENALTY_MIXES[penalty](l1_ratio)
    return Penalty(alpha, l1, l2)
