"""Validation of constructor parameters, at fit time.

A small table of constraints of our own rather than scikit-learn's private
``_param_validation``: private modules change without notice between releases,
and every error here names the parameter, the value received and what is
allowed.
"""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import math
from numbers import Integral, Real

import numpy as np

from ._activations import ACTIVATIONS
from ._dropout import has_dropout


class Interval:
    """Numbers of type ``kind`` between ``low`` and ``high``.

    ``closed`` is 'left', 'right', 'both' or 'neither'; ``None`` bounds are
    unbounded, but NaN and infinities are refused unless listed in ``extra``,
    the single values also allowed (e.g. ``np.inf``).
    """

    def __init__(self, kind, low, high, closed="both", extra=()):
        self.kind = kind
        self.low = low
        self.high = high
        self.closed = closed
        self.extra = extra

    def describe(self):
        noun = "an int" if self.kind is Integral else "a float"
        left = "[" if self.closed in ("left", "both") and self.low is not None else "("
        right = (
            "]" if self.closed in ("right", "both") and self.high is not None else ")"
        )
        low = "-inf" if self.low is None else self.low
        high = "inf" if self.high is None else self.high
        text = f"{noun} in {left}{low}, {high}{right}"
        return text + "".join(f" or {value!r}" for value in self.extra)

    def is_number(self, value):
        return isinstance(value, self.kind) and not isinstance(value, (bool, np.bool_))

    def contains(self, value):
        if not math.isfinite(value):
            return False
        low_ok = self.low is None or (
            value >= self.low if self.closed in ("left", "both") else value > self.low
        )
        high_ok = self.high is None or (
            value <= self.high
            if self.closed in ("right", "both")
            else value < self.high
        )
        return low_ok and high_ok

    def check(self, name, value):
        if isinstance(value, Real) and value in self.extra:
            return
        if not self.is_number(value):
            raise TypeError(
                f"{name} must be {self.describe()}; got {value!r} "
                f"of type {type(value).__name__}."
            )
        if not self.contains(value):
            raise ValueError(f"{name} must be {self.describe()}; got {value!r}.")


class Options:
    """One of a fixed set of values (strings, or None)."""

    def __init__(self, *values):
        self.values = values

    def describe(self):
        return "one of " + ", ".join(repr(v) for v in self.values)

    def check(self, name, value):
        if not any(
            value is v or (isinstance(value, str) and value == v) for v in self.values
        ):
            raise ValueError(f"{name} must be {self.describe()}; got {value!r}.")


class Boolean:
    """``True`` or ``False``."""

    def describe(self):
        return "a bool"

    def check(self, name, value):
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{name} must be a bool; got {value!r}.")


class AnyOf:
    """A value that satisfies at least one of ``constraints``."""

    def __init__(self, *constraints):
        self.constraints = constraints

    def describe(self):
        return " or ".join(c.describe() for c in self.constraints)

    def check(self, name, value):
        for constraint in self.constraints:
            try:
                constraint.check(name, value)
                return
            except (TypeError, ValueError):
                pass
        raise ValueError(f"{name} must be {self.describe()}; got {value!r}.")


class RandomStateLike:
    """None, an int in [0, 2**32 - 1] or a ``numpy.random.RandomState``."""

    def describe(self):
        return "None, an int in [0, 4294967295] or a numpy.random.RandomState"

    def check(self, name, value):
        if value is None or isinstance(value, np.random.RandomState):
            return
        Interval(Integral, 0, 2**32 - 1).check(name, value)


class HiddenLayerSizes:
    """A positive int or a non-empty sequence of positive ints."""

    def describe(self):
        return "a positive int or a sequence of positive ints"

    def check(self, name, value):
        sizes = [value] if np.ndim(value) == 0 else list(value)
        positive = Interval(Integral, 1, None)
        for size in sizes:
            if not positive.is_number(size) or not positive.contains(size):
                raise ValueError(f"{name} must be {self.describe()}; got {value!r}.")


class ActivationNames:
    """An activation name, or a sequence of them (one per hidden layer)."""

    def describe(self):
        names = ", ".join(repr(name) for name in ACTIVATIONS)
        return f"one of {names}, or a list of them (one per hidden layer)"

    def check(self, name, value):
        names = [value] if isinstance(value, str) else value
        if not isinstance(names, (list, tuple)) or not names:
            raise ValueError(f"{name} must be {self.describe()}; got {value!r}.")
        for entry in names:
            if not isinstance(entry, str) or entry not in ACTIVATIONS:
                raise ValueError(
                    f"{name} must be {self.describe()}; got {entry!r}"
                    + ("" if entry is value else f" in {value!r}")
                    + "."
                )


class KeepProb:
    """A float in (0, 1], or a sequence of them (one per hidden layer)."""

    _each = Interval(Real, 0, 1, closed="right")

    def describe(self):
        return f"{self._each.describe()}, or a sequence of them (one per hidden layer)"

    def check(self, name, value):
        values = [value] if np.ndim(value) == 0 else list(value)
        if np.ndim(value) > 1 or not values:
            raise ValueError(f"{name} must be {self.describe()}; got {value!r}.")
        for item in values:
            if not self._each.is_number(item):
                raise TypeError(f"{name} must be {self.describe()}; got {value!r}.")
            if not self._each.contains(item):
                raise ValueError(f"{name} must be {self.describe()}; got {value!r}.")


class Scoring:
    """None, a string (a scorer's name or 'loss') or a callable scorer."""

    def describe(self):
        return "None, 'loss', a scorer name or a callable scorer"

    def check(self, name, value):
        if value is None or isinstance(value, str) or callable(value):
            return
        raise ValueError(f"{name} must be {self.describe()}; got {value!r}.")


class ClassWeight:
    """None, 'balanced' or a dict mapping labels to non-negative weights."""

    def describe(self):
        return "None, 'balanced' or a dict {label: weight >= 0}"

    def check(self, name, value):
        if value is None or (isinstance(value, str) and value == "balanced"):
            return
        if not isinstance(value, dict):
            raise ValueError(f"{name} must be {self.describe()}; got {value!r}.")
        weight = Interval(Real, 0, None)
        for label, item in value.items():
            if not weight.is_number(item) or not weight.contains(item):
                raise ValueError(
                    f"{name} must be {self.describe()}; got weight {item!r} "
                    f"for label {label!r}."
                )


def _unit(closed):
    return Interval(Real, 0, 1, closed=closed)


PARAMETER_CONSTRAINTS = {
    "hidden_layer_sizes": HiddenLayerSizes(),
    "activation": ActivationNames(),
    "solver": Options("lbfgs", "sgd", "adam", "adamw"),
    "alpha": Interval(Real, 0, None),
    "batch_size": AnyOf(Options("auto"), Interval(Integral, 1, None)),
    "learning_rate": Options("constant", "invscaling", "adaptive", "cosine", "coslog"),
    "warmup_iter": Interval(Integral, 0, None),
    "learning_rate_init": Interval(Real, 0, None, closed="neither"),
    "power_t": Interval(Real, 0, None),
    "max_iter": Interval(Integral, 1, None),
    "shuffle": Boolean(),
    "random_state": RandomStateLike(),
    "tol": Interval(Real, 0, None),
    "verbose": AnyOf(Boolean(), Interval(Integral, 0, None)),
    "warm_start": Boolean(),
    "momentum": _unit("both"),
    "nesterovs_momentum": Boolean(),
    "early_stopping": Boolean(),
    "validation_fraction": _unit("left"),
    "beta_1": _unit("left"),
    "beta_2": _unit("left"),
    "epsilon": Interval(Real, 0, None, closed="neither"),
    "n_iter_no_change": Interval(Integral, 1, None, extra=(np.inf,)),
    "max_fun": Interval(Integral, 1, None),
    "penalty": Options(None, "l2", "l1", "elasticnet"),
    "l1_ratio": _unit("both"),
    "keep_prob": KeepProb(),
    "input_keep_prob": _unit("right"),
    "scoring": Scoring(),
    "class_weight": ClassWeight(),
    "n_threads": AnyOf(Options(None, "auto"), Interval(Integral, 1, None)),
    "mc_samples": Interval(Integral, 1, None),
    "max_norm": AnyOf(Options(None), Interval(Real, 0, None, closed="neither")),
    "loss": Options("squared_error", "poisson", "gaussian_nll", "quantile"),
    "quantile": AnyOf(Options(None), Interval(Real, 0, 1, closed="neither")),
    "variance_power": Interval(Real, 0, 1),
    "calibrate_std": Boolean(),
    "label_smoothing": Interval(Real, 0, 1, closed="left"),
    "parametrization": Options("standard", "ntk"),
    "input_scale": Boolean(),
}


class SettingsOfParameters:
    """Base of a frozen dataclass holding the few estimator parameters that
    one part of a fit needs, so that the part never reads the estimator."""

    @classmethod
    def of(cls, params):
        """The settings among the estimator parameters ``params``."""
        return cls(**{name: params[name] for name in cls.__dataclass_fields__})


def validate_parameters(params, constraints=PARAMETER_CONSTRAINTS):
    """Check every parameter in ``params`` that has a constraint."""
    for name, value in params.items():
        if name in constraints:
            constraints[name].check(name, value)


def resolve_keep_probs(keep_prob, n_hidden):
    """``keep_prob`` as one float per hidden layer."""
    keep_probs = [float(p) for p in np.atleast_1d(keep_prob)]
    if len(keep_probs) == 1:
        return keep_probs * n_hidden
    if len(keep_probs) != n_hidden:
        raise ValueError(
            f"keep_prob must be one float or one value per hidden layer "
            f"({n_hidden} here); got {len(keep_probs)} values: {keep_prob!r}."
        )
    return keep_probs


def check_activations_per_layer(activation, n_hidden):
    """Refuse a list of activations of another length than the hidden layers."""
    if not isinstance(activation, str) and len(activation) not in (1, n_hidden):
        raise ValueError(
            f"activation must be one name or one per hidden layer ({n_hidden} "
            f"here); got {len(activation)} names: {activation!r}."
        )


def _check_loss_options(params):
    """The regressor's loss parameters: a quantile for the pinball loss, and
    lbfgs only with the plain likelihood."""
    loss = params.get("loss")
    if loss == "quantile" and params["quantile"] is None:
        raise ValueError(
            "loss='quantile' needs the quantile to estimate: set quantile to a "
            "float in (0, 1), e.g. quantile=0.9."
        )
    if (
        loss == "gaussian_nll"
        and params["solver"] == "lbfgs"
        and params["variance_power"] != 0
    ):
        raise ValueError(
            f"solver='lbfgs' needs variance_power=0 with loss='gaussian_nll'; "
            f"got {params['variance_power']!r}. beta-NLL's weighted gradient is "
            "no function's gradient, and lbfgs's line search needs one. Use "
            "solver='adam', or variance_power=0."
        )


def check_solver_options(params, keep_probs, incremental):
    """Refuse the combinations of parameters that a solver cannot train."""
    if params["solver"] == "lbfgs":
        if params["penalty"] not in (None, "l2"):
            raise ValueError(
                f"solver='lbfgs' supports penalty=None or 'l2' only; got "
                f"penalty={params['penalty']!r}. Use solver='adam' or 'sgd', which "
                "handle the L1 part with a proximal step."
            )
        if has_dropout(keep_probs, params["input_keep_prob"]):
            raise ValueError(
                f"solver='lbfgs' cannot train with dropout; got "
                f"keep_prob={params['keep_prob']!r}, input_keep_prob="
                f"{params['input_keep_prob']!r}. Use solver='adam' or 'sgd', or "
                "keep_prob=1.0 and input_keep_prob=1.0."
            )
        if params["max_norm"] is not None:
            raise ValueError(
                f"solver='lbfgs' cannot apply max_norm={params['max_norm']!r}: "
                "it projects the weights after each stochastic step, and lbfgs "
                "takes none. Use solver='adam' or 'sgd', or max_norm=None."
            )
    _check_loss_options(params)
    if params["input_scale"] and params["solver"] == "lbfgs":
        raise ValueError(
            "input_scale=True learns a scale per input with the stochastic "
            "solvers' steps; solver='lbfgs' takes none. Use solver='adam', "
            "'adamw' or 'sgd', or input_scale=False."
        )
    if params["parametrization"] != "standard" and params["solver"] == "lbfgs":
        raise ValueError(
            f"parametrization={params['parametrization']!r} shapes the steps of "
            "the stochastic solvers; solver='lbfgs' takes none. Use "
            "solver='adam', 'adamw' or 'sgd', or parametrization='standard'."
        )
    if params["warmup_iter"] and params["solver"] == "lbfgs":
        raise ValueError(
            f"warmup_iter={params['warmup_iter']!r} warms up the learning rate of "
            "the stochastic solvers; solver='lbfgs' has none. Use solver='adam', "
            "'adamw' or 'sgd', or warmup_iter=0."
        )
    if params["warmup_iter"] and params["learning_rate"] != "cosine":
        raise ValueError(
            f"warmup_iter={params['warmup_iter']!r} warms up the cosine schedule "
            f"only; got learning_rate={params['learning_rate']!r}. Set "
            "learning_rate='cosine', or warmup_iter=0."
        )
    if (
        params["learning_rate"] == "cosine"
        and params["warmup_iter"] >= params["max_iter"]
    ):
        raise ValueError(
            f"warmup_iter={params['warmup_iter']!r} leaves no epoch of the cosine "
            f"cycle: it must be smaller than max_iter={params['max_iter']!r}."
        )
    if incremental and params["early_stopping"]:
        raise ValueError("partial_fit does not support early_stopping=True.")
