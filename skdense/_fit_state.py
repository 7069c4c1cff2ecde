"""The state of a fit, in one place: what the epochs count and remember.

A :class:`FitState` holds the epochs (or lbfgs iterations) run, the samples
seen, the loss curve, the best loss or validation score, the epochs without
improvement and the stochastic optimizer with its moments. The estimator
holds one, and its fitted attributes (``n_iter_``, ``loss_curve_``, ...) are
read from it and written to it through :class:`StateAttribute`, so there is
never a second copy to fall out of step.

A call that continues a fit (``warm_start``, ``partial_fit``) trains a
:meth:`FitState.continued` copy, never the estimator's own state: if the call
fails, the estimator still holds the state it had, untouched. An epoch is
recorded by :meth:`FitState.record_epoch` once its every number is known, so
an interruption leaves either the whole epoch or none of it.
"""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import copy
import math
from dataclasses import dataclass, field


@dataclass
class FitState:
    """What the epoch loop counts and remembers across epochs and calls.

    ``best_loss`` is None while a validation set is watched (MLP's rule) and
    for lbfgs; ``validation_scores`` and ``best_validation_score`` are None
    without a validation set.
    """

    n_iter: int = 0
    t: int = 0
    loss: float = None
    loss_curve: list = field(default_factory=list)
    best_loss: float = math.inf
    validation_scores: list = None
    best_validation_score: float = None
    validation_loss_curve: list = None
    no_improvement_count: int = 0
    optimizer: object = None
    diverged: bool = False

    @classmethod
    def fresh(cls, early_stopping, stochastic=True):
        """The state of a fit that starts from scratch."""
        state = cls()
        return state.continued(early_stopping, stochastic)

    def continued(self, early_stopping, stochastic=True):
        """A copy to train on, ready for the next call's ``early_stopping``.

        The copy owns its lists and optimizer; ``self`` is left as it is.
        A fit without a validation set after one with it (or the reverse)
        starts the missing records afresh, as a fresh fit would.
        """
        state = copy.deepcopy(self)
        state.diverged = False
        if not stochastic:
            state.best_loss = None
            return state
        if early_stopping:
            state.best_loss = None
            if state.validation_scores is None:
                state.validation_scores = []
                state.best_validation_score = -math.inf
            if state.validation_loss_curve is None:
                state.validation_loss_curve = []
        elif state.best_loss is None:
            state.best_loss = math.inf
        return state

    def record_epoch(self, loss, n_samples, tol, score=None, validation_loss=None):
        """Record a whole epoch at once; True if ``score`` is a new best.

        With a validation set, ``score`` (higher is better) is compared with
        the best so far; a NaN score never improves on it nor replaces it.
        """
        self.n_iter += 1
        self.t += n_samples
        self.loss = loss
        self.loss_curve.append(loss)
        if score is None:
            improved = loss <= self.best_loss - tol
            self.best_loss = min(self.best_loss, loss)
            new_best = False
        else:
            self.validation_loss_curve.append(validation_loss)
            self.validation_scores.append(score)
            improved = score >= self.best_validation_score + tol
            new_best = score > self.best_validation_score
            if new_best:
                self.best_validation_score = score
        self.no_improvement_count = 0 if improved else self.no_improvement_count + 1
        return new_best


class StateAttribute:
    """A fitted attribute of the estimator that is a field of its FitState.

    Reading it from an estimator that has no state raises AttributeError, as
    for any fitted attribute of an unfitted estimator; setting it (as
    scikit-learn's own tests do on a bare estimator) creates the state.
    """

    def __init__(self, attribute, field_name):
        self.attribute = attribute
        self.field = field_name

    def __get__(self, estimator, owner=None):
        if estimator is None:
            return self
        state = estimator.__dict__.get("_fit_state")
        if state is None or self.field not in vars(state):
            raise AttributeError(
                f"{type(estimator).__name__!r} object has no attribute "
                f"{self.attribute!r}"
            )
        return vars(state)[self.field]

    def __set__(self, estimator, value):
        state = estimator.__dict__.setdefault("_fit_state", FitState())
        setattr(state, self.field, value)

    def __delete__(self, estimator):
        """``del model.n_iter_`` deletes the attribute, as for any attribute:
        reading it then raises AttributeError, until a fit sets it again."""
        self.__get__(estimator)  # AttributeError if there is none to delete
        del vars(estimator.__dict__["_fit_state"])[self.field]


#: Fitted attribute of the estimator -> FitState field (MLP's names).
STATE_ATTRIBUTES = {
    "n_iter_": "n_iter",
    "t_": "t",
    "loss_": "loss",
    "loss_curve_": "loss_curve",
    "best_loss_": "best_loss",
    "validation_scores_": "validation_scores",
    "best_validation_score_": "best_validation_score",
    "validation_loss_curve_": "validation_loss_curve",
    "_no_improvement_count": "no_improvement_count",
    "_optimizer": "optimizer",
}
