"""The lbfgs solver: the network's objective handed to SciPy's L-BFGS-B.

Full-batch and deterministic: no dropout, no L1 (its kink breaks the quasi-
Newton model; the estimator refuses both). SciPy works in float64, so a
float32 network is evaluated in float32 and its gradient widened.
"""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import warnings
from dataclasses import dataclass

import numpy as np
import scipy.optimize
from sklearn.exceptions import ConvergenceWarning

from ._callbacks import NoTasks
from ._params import SettingsOfParameters
from ._training import warn_diverged

_STOPPED_BY_CALLBACK = 99  # SciPy's status when the callback raised StopIteration


@dataclass(frozen=True)
class LbfgsSettings(SettingsOfParameters):
    """The estimator parameters that steer lbfgs."""

    max_iter: int
    max_fun: int
    tol: float
    verbose: bool


def fit_lbfgs(
    network, theta, X, Y, sample_weight, penalty, settings, state, tasks=None
):
    """Minimise the objective from ``theta`` (updated in place).

    Parameters
    ----------
    network : DenseNetwork
    theta : ndarray of shape (n_params,)
        Start; on return, the solution (or the start, if the run diverged;
        or the last whole iteration, if the user interrupted it).
    X, Y, sample_weight :
        The whole training set; ``Y`` as a dense target matrix.
    penalty : Penalty
    settings : LbfgsSettings
    state : FitState
        Its ``loss_curve`` gets the loss of each iteration; ``n_iter``,
        ``loss`` and ``diverged`` are set.
    tasks : FitTasks or None
        The callbacks' tasks: one subtask per iteration. A callback that asks
        to stop ends the minimisation after that iteration.
    """
    grad = np.empty_like(theta)
    start = theta.copy()
    iterations = []  # the parameters at the end of each whole iteration

    def objective(flat):
        theta[...] = flat
        # L-BFGS's line search may try a step that overflows: it sees an
        # infinite loss and backs off, so NumPy need not warn.
        with np.errstate(over="ignore", invalid="ignore"):
            loss = network.loss_gradient(theta, X, Y, sample_weight, penalty, grad)
        return loss, grad.astype(np.float64)

    tasks = NoTasks() if tasks is None else tasks
    iteration = [tasks.begin(start, "iteration")]

    def record(intermediate_result):
        x = intermediate_result.x.astype(theta.dtype)
        state.loss_curve.append(float(intermediate_result.fun))
        iterations[:] = [x]
        if settings.verbose:
            print(
                f"Iteration {len(state.loss_curve)}, loss = {state.loss_curve[-1]:.8f}"
            )
        stop = tasks.end(iteration[0], x)
        iteration[0] = None
        if stop:
            raise StopIteration
        iteration[0] = tasks.begin(x, "iteration")

    n_curve = len(state.loss_curve)
    try:
        result = scipy.optimize.minimize(
            objective,
            theta.astype(np.float64),
            method="L-BFGS-B",
            jac=True,
            callback=record,
            options={
                "maxfun": settings.max_fun,
                "maxiter": settings.max_iter,
                "gtol": settings.tol,
            },
        )
    except KeyboardInterrupt:
        theta[...] = iterations[0] if iterations else start
        state.n_iter = len(state.loss_curve) - n_curve
        state.loss = state.loss_curve[-1] if iterations else _loss(objective, start)
        warnings.warn("Training interrupted by user.")
        return
    finally:
        if iteration[0] is not None:  # begun, never run: an empty task
            tasks.end(iteration[0])
    theta[...] = result.x
    state.n_iter = min(result.nit, settings.max_iter)
    state.loss = float(result.fun)
    if not np.isfinite(theta).all() or not np.isfinite(state.loss):
        theta[...] = start
        state.loss = _loss(objective, start)
        state.diverged = True
        warn_diverged(state.n_iter + 1)
    elif result.status not in (0, _STOPPED_BY_CALLBACK):
        warnings.warn(
            f"lbfgs failed to converge after {state.n_iter} iteration(s) "
            f"(status={result.status}): {result.message}. Increase max_iter "
            f"(now {settings.max_iter}) or max_fun (now {settings.max_fun}), or "
            "scale the data.",
            ConvergenceWarning,
        )


def _loss(objective, theta):
    """The objective at ``theta`` (finite, since training started there)."""
    return float(objective(theta.copy())[0])
