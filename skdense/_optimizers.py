"""Stochastic optimizers over one flat parameter vector, updated in place.

The update rules are those of scikit-learn's MLP (same formulas, same order of
floating-point operations), so that with the same gradients they take the same
steps. Each optimizer also reports its step size, which the L1 proximal step
uses: a scalar for SGD, one value per parameter for Adam (the prox is taken in
Adam's own diagonal metric).
"""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import copy
import math

import numpy as np


class CosineSchedule:
    """One cosine cycle of the step size over ``max_iter`` epochs, after
    ``warmup_iter`` epochs of linear warm-up.

    The rate of epoch ``e`` (from 0) is ``lr * (e + 1) / (warmup_iter + 1)``
    during the warm-up, then ``lr * (1 + cos(pi * k / T)) / 2`` with ``k = e -
    warmup_iter`` and ``T = max_iter - warmup_iter``: PyTorch's
    ``SequentialLR`` of ``LinearLR(start_factor=1 / (warmup_iter + 1),
    total_iters=warmup_iter)`` and ``CosineAnnealingLR(T_max=T)``, stepped once
    per epoch. Past ``max_iter`` epochs (``partial_fit`` goes on) the rate
    stays at its last value rather than climbing back up a second cycle.

    Parameters
    ----------
    learning_rate_init : float
        The peak rate ``lr``.
    max_iter : int
        Epochs of the whole schedule, warm-up included.
    warmup_iter : int, default=0
        Epochs of warm-up, fewer than ``max_iter``.
    """

    def __init__(self, learning_rate_init, max_iter, warmup_iter=0):
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.warmup_iter = warmup_iter

    def rate(self, epoch):
        """The step size of epoch ``epoch`` (counted from 0)."""
        peak, warmup = self.learning_rate_init, self.warmup_iter
        if epoch < warmup:
            return peak * (epoch + 1) / (warmup + 1)
        cycle = self.max_iter - warmup
        k = min(epoch - warmup, cycle - 1)
        return peak * (1 + math.cos(math.pi * k / cycle)) / 2


class CosLogSchedule:
    """RealMLP's multi-cycle cosine-log schedule (Holzmüller et al., 2024).

    The rate at fit progress ``t`` in [0, 1] is ``lr * (1 - cos(2 pi
    log2(1 + (2**cycles - 1) t))) / 2``: ``cycles`` cosine cycles, each
    rising from 0 to ``lr`` and falling back to 0, the first short and each
    next twice as long in ``t``'s log. RealMLP evaluates it at every step;
    here it is evaluated once per epoch, at the epoch's middle, ``t = (e +
    0.5) / max_iter``, so that no epoch trains at rate 0. Past ``max_iter``
    epochs (``partial_fit`` goes on) the rate stays at that of the last one.

    Parameters
    ----------
    learning_rate_init : float
        The peak rate ``lr``.
    max_iter : int
        Epochs of the whole schedule.
    cycles : int, default=4
        Number of cycles (RealMLP's ``coslog4``).
    """

    def __init__(self, learning_rate_init, max_iter, cycles=4):
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.cycles = cycles

    def rate(self, epoch):
        """The step size of epoch ``epoch`` (counted from 0)."""
        progress = (min(epoch, self.max_iter - 1) + 0.5) / self.max_iter
        phase = math.log2(1 + (2**self.cycles - 1) * progress)
        return self.learning_rate_init * (1 - math.cos(2 * math.pi * phase)) / 2


class BaseOptimizer:
    """Shared schedule and stopping logic of the stochastic optimizers.

    Parameters
    ----------
    learning_rate_init : float
        Initial step size.
    schedule : CosineSchedule, CosLogSchedule or None, default=None
        The step size of each epoch; None keeps ``learning_rate_init`` (or
        the optimizer's own schedule: SGD's ``invscaling``, ``adaptive``).
    step_scales : StepScales or None, default=None
        The parametrisation the steps are taken in (see
        :mod:`~skdense._parametrization`); None steps the parameters as
        they are.
    """

    #: Whether the L2 part of the penalty is applied as a decay of the
    #: weights (:meth:`decay`) rather than through the gradient.
    decouples_weight_decay = False
    # Defaults for optimizers pickled before schedules existed (0.1).
    schedule = None
    epoch = 0

    step_scales = None
    #: The learnable input scale, stepped with the weights (see
    #: ``skdense._parametrization.input_scale_step``); None without one.
    input_scale = None

    def __init__(self, learning_rate_init, schedule=None, step_scales=None):
        self.learning_rate_init = learning_rate_init
        self.schedule = schedule
        self.step_scales = step_scales
        self.epoch = 0
        self.learning_rate = float(self.base_rate())

    def base_rate(self):
        """The step size this epoch's schedule asks for (before Adam's bias
        correction)."""
        if self.schedule is None:
            return self.learning_rate_init
        return self.schedule.rate(self.epoch)

    def step(self, params, grad):
        """Move ``params`` (in place) one step against ``grad`` (which the
        step scales may overwrite)."""
        if self.step_scales is None:
            params += self._update(grad)
            return
        grad *= self.step_scales.grad
        update = self._update(grad)  # may be the optimizer's own state
        step = np.multiply(update, self.step_scales.step, out=self._scratch(grad, "_s"))
        params += step

    def step_sizes(self, start, stop):
        """Step size of the last step for ``params[start:stop]``, in the
        network's parameters."""
        sizes = self._step_sizes(start, stop)
        if self.step_scales is None:
            return sizes
        grad, step = self.step_scales
        return sizes * grad[start:stop] * step[start:stop]

    def _step_sizes(self, start, stop):
        return self.learning_rate

    def iteration_ends(self, time_step):
        """Update the schedule at the end of an epoch (``time_step``: samples seen)."""
        self.epoch += 1
        if self.schedule is not None:
            self.learning_rate = self.schedule.rate(self.epoch)

    def trigger_stopping(self, msg, verbose):
        """Whether to stop now that the loss stopped improving."""
        if verbose:
            print(msg + " Stopping.")
        return True

    def snapshot(self):
        """A copy of the optimizer's state, for :meth:`restore`."""
        return copy.deepcopy(self.__getstate__())

    def restore(self, snapshot):
        """Return to the state of :meth:`snapshot` (arrays are written in place)."""
        for name, value in snapshot.items():
            if isinstance(value, np.ndarray):
                getattr(self, name)[...] = value
            else:
                setattr(self, name, value)

    def _scratch(self, grad, name="_buffer"):
        """A work array like ``grad``, kept between steps but not pickled."""
        buffer = self.__dict__.get(name)
        if buffer is None or buffer.shape != grad.shape or buffer.dtype != grad.dtype:
            buffer = np.empty_like(grad)
            setattr(self, name, buffer)
        return buffer

    def __getstate__(self):
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}


class SGDOptimizer(BaseOptimizer):
    """Stochastic gradient descent with momentum and learning-rate schedules.

    Parameters
    ----------
    n_params : int
        Size of the flat parameter vector.
    dtype : numpy dtype
        Dtype of the parameters.
    learning_rate_init : float
        Initial step size.
    lr_schedule : {'constant', 'invscaling', 'adaptive'}
        ``'invscaling'``: ``learning_rate_init / (t + 1) ** power_t`` after
        each epoch, ``t`` the number of samples seen. ``'adaptive'``: divide by
        5 each time the loss stops improving, stop below 1e-6.
    momentum : float
        Momentum, in [0, 1].
    nesterov : bool
        Whether to use Nesterov's momentum.
    power_t : float
        Exponent of ``'invscaling'``.
    schedule : CosineSchedule, CosLogSchedule or None, default=None
        The step size of each epoch, with ``lr_schedule='cosine'``.
    """

    def __init__(
        self,
        n_params,
        dtype,
        learning_rate_init,
        lr_schedule,
        momentum,
        nesterov,
        power_t,
        schedule=None,
        step_scales=None,
    ):
        super().__init__(learning_rate_init, schedule, step_scales)
        self.lr_schedule = lr_schedule
        self.momentum = momentum
        self.nesterov = nesterov
        self.power_t = power_t
        self.velocity = np.zeros(n_params, dtype=dtype)

    def _step_sizes(self, start, stop):
        # With momentum, a steady gradient g moves a weight by lr * g / (1 - m)
        # per step; thresholding by the same amplified step makes a weight stay
        # at exactly 0 when |g| < the L1 strength, the optimality condition.
        if self.momentum < 1:
            return self.learning_rate / (1 - self.momentum)
        return self.learning_rate

    def iteration_ends(self, time_step):
        super().iteration_ends(time_step)
        if self.lr_schedule == "invscaling":
            self.learning_rate = (
                self.learning_rate_init / (time_step + 1) ** self.power_t
            )

    def trigger_stopping(self, msg, verbose):
        if self.lr_schedule != "adaptive":
            return super().trigger_stopping(msg, verbose)
        if self.learning_rate <= 1e-6:
            if verbose:
                print(msg + " Learning rate too small. Stopping.")
            return True
        self.learning_rate /= 5.0
        if verbose:
            print(msg + f" Setting learning rate to {self.learning_rate:f}")
        return False

    def _update(self, grad):
        scaled_grad = np.multiply(grad, self.learning_rate, out=self._scratch(grad))
        self.velocity *= self.momentum
        self.velocity -= scaled_grad
        if not self.nesterov:
            return self.velocity
        update = np.multiply(
            self.velocity, self.momentum, out=self._scratch(grad, "_u")
        )
        update -= scaled_grad
        return update


class AdamOptimizer(BaseOptimizer):
    """Adam (Kingma and Ba, 2014) with bias-corrected step size.

    Parameters
    ----------
    n_params : int
        Size of the flat parameter vector.
    dtype : numpy dtype
        Dtype of the parameters.
    learning_rate_init : float
        Initial step size.
    beta_1, beta_2 : float
        Decay rates of the first and second moment estimates, in [0, 1).
    epsilon : float
        Added to the root of the second moment, for stability.
    schedule : CosineSchedule, CosLogSchedule or None, default=None
        The step size of each epoch.
    """

    def __init__(
        self,
        n_params,
        dtype,
        learning_rate_init,
        beta_1,
        beta_2,
        epsilon,
        schedule=None,
        step_scales=None,
    ):
        super().__init__(learning_rate_init, schedule, step_scales)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.t = 0
        self.ms = np.zeros(n_params, dtype=dtype)
        self.vs = np.zeros(n_params, dtype=dtype)

    def _step_sizes(self, start, stop):
        return self._step_size / self._scratch(self.vs, "_denominator")[start:stop]

    def _update(self, grad):
        work = self._accumulate_moments(grad)
        self._step_size, denominator = self._step_and_denominator(grad)
        update = np.multiply(self.ms, -self._step_size, out=work)
        update /= denominator
        return update

    def _accumulate_moments(self, grad):
        """Count the step and update both moments; returns a work array."""
        self.t += 1
        work = self._scratch(grad)
        self.ms *= self.beta_1
        self.ms += np.multiply(grad, 1 - self.beta_1, out=work)
        self.vs *= self.beta_2
        np.square(grad, out=work)
        work *= 1 - self.beta_2
        self.vs += work
        return work

    def _step_and_denominator(self, grad):
        """scikit-learn's bias-corrected step size, and ``sqrt(v) + epsilon``."""
        step_size, _ = self._bias_corrected_step()
        denominator = np.sqrt(self.vs, out=self._scratch(grad, "_denominator"))
        denominator += self.epsilon
        return step_size, denominator

    def _bias_corrected_step(self):
        """This step's size and the root its denominator divides by (1 here),
        as Python floats; sets :attr:`learning_rate`."""
        self.learning_rate = float(
            self.base_rate()
            * np.sqrt(1 - self.beta_2**self.t)
            / (1 - self.beta_1**self.t)
        )
        return self.learning_rate, 1.0

    def fused_step(self, kernel, params, grad, finish, decay):
        """:meth:`step` in one pass of ``kernel`` (``skdense._fused.adam_step``),
        which first finishes the gradient (``finish``) and decays the weights
        (``decay``); every scalar goes in the dtype of ``params``."""
        self.t += 1
        step_size, bias_root = self._bias_corrected_step()
        self._step_size = step_size
        cast = params.dtype.type
        moments = (self.beta_1, 1 - self.beta_1, self.beta_2, 1 - self.beta_2)
        kernel(
            params,
            grad,
            self.ms,
            self.vs,
            self._scratch(grad, "_denominator"),
            tuple(cast(value) for value in moments),
            (cast(-step_size), cast(self.epsilon), cast(bias_root)),
            finish,
            decay,
            self.decouples_weight_decay,
        )


class AdamWOptimizer(AdamOptimizer):
    """Adam with decoupled weight decay (Loshchilov and Hutter, 2019).

    The step is ``torch.optim.AdamW``'s, operation for operation: the weights
    decay first, ``w <- w * (1 - lr * rate)``, then Adam moves them by
    ``lr / (1 - beta_1**t) * m / (sqrt(v) / sqrt(1 - beta_2**t) + epsilon)``
    (``epsilon`` added after the bias correction, where scikit-learn's Adam
    adds it before). The rate comes from the penalty (:meth:`decay`), so the
    gradient the step sees holds the data loss alone.

    Parameters
    ----------
    n_params : int
        Size of the flat parameter vector.
    dtype : numpy dtype
        Dtype of the parameters.
    learning_rate_init : float
        Step size (``lr``).
    beta_1, beta_2 : float
        Decay rates of the first and second moment estimates, in [0, 1).
    epsilon : float
        Added to the bias-corrected root of the second moment.
    """

    decouples_weight_decay = True

    def decay(self, weights, rate):
        """Shrink ``weights`` in place: ``weights *= 1 - lr * rate``, ``lr`` the
        step size of this epoch."""
        if rate:
            weights *= self.decay_factor(rate)

    def decay_factor(self, rate):
        """``1 - lr * rate``: what :meth:`decay` multiplies the weights by."""
        return 1 - self.base_rate() * rate

    def _step_and_denominator(self, grad):
        """PyTorch's ``lr / (1 - beta_1**t)``, and the bias-corrected root of
        the second moment plus ``epsilon``."""
        step_size, bias_root = self._bias_corrected_step()
        denominator = np.sqrt(self.vs, out=self._scratch(grad, "_denominator"))
        denominator /= bias_root
        denominator += self.epsilon
        return step_size, denominator

    def _bias_corrected_step(self):
        self.learning_rate = self.base_rate()
        step_size = self.learning_rate / (1 - self.beta_1**self.t)
        return step_size, math.sqrt(1 - self.beta_2**self.t)


def _sgd(params, n_params, dtype, step_scales):
    return SGDOptimizer(
        n_params,
        dtype,
        params["learning_rate_init"],
        params["learning_rate"],
        params["momentum"],
        params["nesterovs_momentum"],
        params["power_t"],
        _schedule(params),
        step_scales,
    )


def _adam(kind):
    def make(params, n_params, dtype, step_scales):
        return kind(
            n_params,
            dtype,
            params["learning_rate_init"],
            params["beta_1"],
            params["beta_2"],
            params["epsilon"],
            _schedule(params),
            step_scales,
        )

    return make


def _schedule(params):
    """The schedule of ``learning_rate='cosine'`` or ``'coslog'``; None for
    MLP's values."""
    if params["learning_rate"] == "coslog":
        return CosLogSchedule(params["learning_rate_init"], params["max_iter"])
    if params["learning_rate"] != "cosine":
        return None
    return CosineSchedule(
        params["learning_rate_init"], params["max_iter"], params["warmup_iter"]
    )


#: solver -> make(params, n_params, dtype, step_scales): the optimizer of each
#: stochastic solver, from the estimator parameters.
OPTIMIZERS = {
    "sgd": _sgd,
    "adam": _adam(AdamOptimizer),
    "adamw": _adam(AdamWOptimizer),
}


def make_optimizer(params, n_params, dtype, step_scales=None):
    """The optimizer that the estimator parameters ``params`` ask for;
    ``step_scales`` (:class:`~skdense._parametrization.StepScales`) for a
    parametrisation other than the standard one."""
    return OPTIMIZERS[params["solver"]](params, n_params, dtype, step_scales)
