"""Weight constraints applied after every update: max-norm.

Srivastava et al. (2014, section 5.1) pair dropout with a bound on the norm of
each hidden unit's incoming weight vector, ``||w_j||_2 <= c``, and report
their best results with it: dropout's noise then can take large steps
(a high learning rate, momentum) without the weights growing without bound.
After each step of the optimiser (and the L1 proximal step), a unit whose
incoming weights are longer than ``c`` has them scaled back onto the sphere
of radius ``c``; the others are left as they are. It is a projection, not a
penalty: it changes nothing while the weights stay inside the ball.

Only the hidden layers are constrained, as in the paper: the output layer's
weights are what the loss reads off the last hidden layer, and bounding them
would bound the scale of the predictions (a regression target of any size
needs output weights of that size). Intercepts are never constrained.
"""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np


class MaxNorm:
    """Scale each hidden unit's incoming weights to an L2 norm of at most
    ``max_norm``.

    Parameters
    ----------
    max_norm : float
        The largest norm, ``c`` in Srivastava et al. (2014); 3 to 4 there.
    """

    def __init__(self, max_norm):
        self.max_norm = float(max_norm)

    def apply(self, hidden_coefs):
        """Project every column of each matrix of ``hidden_coefs`` (the
        weights into each hidden layer, ``(fan_in, fan_out)``) in place."""
        for coef in hidden_coefs:
            norms = np.sqrt(np.einsum("ij,ij->j", coef, coef))
            too_long = norms > self.max_norm
            if too_long.any():
                coef[:, too_long] *= (self.max_norm / norms[too_long]).astype(
                    coef.dtype
                )


def make_constraint(max_norm):
    """The constraint that the estimator parameter ``max_norm`` asks for."""
    return None if max_norm is None else MaxNorm(max_norm)
