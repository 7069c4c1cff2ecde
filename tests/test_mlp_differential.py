"""Differential tests: skdense against scikit-learn's MLPs, over drawn configurations.

With its defaults (``penalty='l2'``, ``keep_prob=1``, ``input_keep_prob=1``)
skdense promises MLP's fit. Each test draws one configuration over every
parameter the two libraries share, every target kind and a call sequence
(``fit``, a ``warm_start`` refit, ``partial_fit`` blocks), fits both, and
requires the same ``n_iter_``, ``t_``, ``loss_curve_``, validation scores and
weights: float64 to 1e-9, float32 to 1e-4 (relative).

- **lbfgs** is compared over its first two iterations only. Past them a line
  search that probes a saturated point sees MLP's clipped log-loss where ours
  is exact, and the paths part by design.
- **Several regression targets**: MLP's squared loss averages over the outputs
  while its gradient is the sum's (scikit-learn #8349); skdense minimises the
  sum. MLP is patched here as scikit-learn #34830 proposes, and
  :func:`test_unpatched_mlp_reports_the_loss_averaged_over_outputs` pins the
  documented relation to the real one.
- **A saturated probability**: MLP's log-loss clips probabilities to
  ``[eps, 1 - eps]`` and takes ``log(1 - p)`` of a ``p`` near 1, which
  cancels; skdense's is exact, from the logits. Where MLP's loss is inexact
  to the tolerance, only the weights and samples seen are compared (the steps
  follow the same gradient) as long as the epochs are the same; if the
  inexact loss ended MLP's fit at another epoch, the configuration is skipped.
- **float32 rounding**: MLP keeps float64 targets and sample weights of
  float32 data (its output delta and its intercepts' moments become float64),
  and its Adam step size is a NumPy float64 (its update of float32 weights is
  float64 arithmetic). skdense trains in float32 throughout. The test gives
  both float32 targets and weights, and patches MLP's Adam step size to a
  Python float, so that both round alike.
- A configuration that MLP refuses must be refused by skdense too; one where
  MLP diverges (NaN or overflow, or a minibatch of zero weight) is skipped,
  with its reason.

The configurations come from a seeded generator: ``SKDENSE_DIFFERENTIAL_CONFIGS``
sets how many (300 by default; the deep run before a release uses 5000, and
``SKDENSE_DIFFERENTIAL_START`` sets the first seed). A new shared parameter
is one line of ``SHARED_PARAMETERS``. A configuration that once failed stays
in ``REGRESSIONS`` with its seed.
"""

import os
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.neural_network import _base as mlp_base
from sklearn.neural_network._stochastic_optimizers import AdamOptimizer

from skdense import DenseNetClassifier, DenseNetRegressor

pytestmark = pytest.mark.filterwarnings("ignore:batch_size=:UserWarning")

N_CONFIGS = int(os.environ.get("SKDENSE_DIFFERENTIAL_CONFIGS", "300"))
FIRST_SEED = int(os.environ.get("SKDENSE_DIFFERENTIAL_START", "0"))


def _choice(*values):
    return lambda rng: values[rng.integers(len(values))]


def _log_uniform(low, high):
    return lambda rng: float(10 ** rng.uniform(np.log10(low), np.log10(high)))


def _uniform(low, high):
    return lambda rng: float(rng.uniform(low, high))


def _integers(low, high):
    return lambda rng: int(rng.integers(low, high + 1))


def _layers(rng):
    return tuple(int(n) for n in rng.integers(1, 7, size=rng.integers(1, 3)))


#: Every constructor parameter skdense shares with MLP: name -> draw(rng).
SHARED_PARAMETERS = {
    "hidden_layer_sizes": _layers,
    "activation": _choice("identity", "logistic", "tanh", "relu"),
    "solver": _choice("sgd", "adam", "lbfgs"),
    "alpha": _choice(0.0, 1e-4, 1e-2, 0.5),
    "batch_size": _choice("auto", 1, 7, 16, 200),
    "learning_rate": _choice("constant", "invscaling", "adaptive"),
    "learning_rate_init": _log_uniform(1e-3, 0.2),
    "power_t": _uniform(0.1, 0.9),
    "max_iter": _integers(1, 12),
    "shuffle": _choice(True, False),
    "random_state": _integers(0, 10_000),
    "tol": _choice(0.0, 1e-4, 1e-2, 0.1),
    "warm_start": _choice(False, True),
    "momentum": _choice(0.0, 0.5, 0.9, 1.0),
    "nesterovs_momentum": _choice(True, False),
    "early_stopping": _choice(False, False, True),
    "validation_fraction": _choice(0.1, 0.2, 0.3),
    "beta_1": _choice(0.0, 0.5, 0.9),
    "beta_2": _choice(0.9, 0.999),
    "epsilon": _choice(1e-8, 1e-6),
    "n_iter_no_change": _integers(1, 4),
    "max_fun": _choice(15000, 5),
}

#: target kind -> (estimator kind, extra parameters drawn with it)
TARGET_KINDS = {
    "binary": "classifier",
    "multiclass": "classifier",
    "strings": "classifier",
    "multilabel": "classifier",
    "regression1": "regressor",
    "regression2": "regressor",
    "regression3": "regressor",
    "poisson": "regressor",
}

#: The data and the calls, drawn like the parameters.
CALL_SETTINGS = {
    "target": _choice(*TARGET_KINDS),
    "dtype": _choice(np.float64, np.float64, np.float32),
    "n_samples": _integers(12, 60),
    "n_features": _integers(1, 5),
    "sample_weight": _choice(None, None, "integers", "positive integers"),
    "calls": _choice("fit", "fit", "fit", "refit", "partial_fit"),
}

#: Seeds of configurations that once failed, kept whatever the strategy becomes.
REGRESSIONS = [7]  # MLP's aliased best weights after a warm start


def draw_configuration(seed):
    """The parameters and the call settings of configuration ``seed``."""
    rng = np.random.default_rng([seed, 0x5D1FF])
    params = {name: draw(rng) for name, draw in SHARED_PARAMETERS.items()}
    call = {name: draw(rng) for name, draw in CALL_SETTINGS.items()}
    if call["calls"] == "partial_fit":
        params.update(solver=_choice("sgd", "adam")(rng), early_stopping=False)
    return params, call


def _targets(kind, X, rng):
    signal = X @ rng.normal(size=(X.shape[1], 3))
    if kind in ("binary", "multiclass", "strings"):
        n_classes = 2 if kind == "binary" else 3
        codes = np.argmax(signal[:, :n_classes], axis=1)
        codes[:n_classes] = np.arange(n_classes)  # every class present
        return np.array(["ant", "bee", "cat"])[codes] if kind == "strings" else codes
    if kind == "multilabel":
        Y = (signal > 0).astype(int)
        Y[0], Y[1] = 0, 1
        return Y
    if kind == "poisson":
        return rng.poisson(np.exp(np.clip(signal[:, 0], -2, 2)))
    n_outputs = int(kind[-1])
    y = signal[:, :n_outputs] + 0.1 * rng.normal(size=(len(X), n_outputs))
    return y[:, 0] if n_outputs == 1 else y


def _data(call, seed):
    rng = np.random.default_rng([seed, 0xDA7A])
    X = rng.normal(size=(call["n_samples"], call["n_features"]))
    y = _targets(call["target"], X, rng)
    if TARGET_KINDS[call["target"]] == "regressor":
        # MLP keeps float64 targets of float32 data, and so takes its output
        # deltas in float64; skdense trains in the data's dtype throughout.
        y = y.astype(call["dtype"])
    weights = None
    if call["sample_weight"] == "integers":
        weights = rng.integers(0, 4, size=len(X)).astype(float)
        weights[0] = 1.0
    elif call["sample_weight"] == "positive integers":
        weights = rng.integers(1, 4, size=len(X)).astype(float)
    if weights is not None:  # float64 weights make MLP's float32 moments float64
        weights = weights.astype(call["dtype"])
    return X.astype(call["dtype"]), y, weights


def _pair(params, call):
    if TARGET_KINDS[call["target"]] == "classifier":
        return DenseNetClassifier(**params), MLPClassifier(**params)
    loss = "poisson" if call["target"] == "poisson" else "squared_error"
    return (
        DenseNetRegressor(loss=loss, **params),
        MLPRegressor(loss=loss, **params),
    )


def _run_calls(model, call, X, y, weights):
    """Run the call sequence of ``call`` on ``model``."""
    if call["calls"] != "partial_fit":
        model.fit(X, y, sample_weight=weights)
        if call["calls"] == "refit":
            if isinstance(model, (MLPClassifier, MLPRegressor)):
                unalias_best_weights(model)
            model.set_params(max_iter=max(1, model.max_iter // 2))
            model.fit(X, y, sample_weight=weights)
        return model
    blocks = np.array_split(np.arange(len(X)), 3)
    extra = {}
    if call["target"] == "multilabel":
        extra["classes"] = np.arange(y.shape[1])
    elif TARGET_KINDS[call["target"]] == "classifier":
        extra["classes"] = np.unique(y)
    for rows in blocks + blocks[:1]:
        block_weights = None if weights is None else weights[rows]
        if block_weights is not None and not block_weights.any():
            block_weights[0] = 1.0
        model.partial_fit(X[rows], y[rows], sample_weight=block_weights, **extra)
        extra = {}
    return model


def unalias_best_weights(mlp):
    """Patch MLP's warm start after early stopping.

    MLP ends an early-stopped fit with ``coefs_ = _best_coefs``, the same
    arrays. A warm-started fit then trains them in place, so the "best"
    weights it restores are the last epoch's, while ``best_validation_score_``
    still names the old best. skdense keeps the best weights, as the
    documentation promises (docs/coming_from_mlp.rst); the reference gets
    its own copies here, and
    :func:`test_mlp_warm_start_after_early_stopping_ends_on_its_last_epoch`
    pins the real behaviour.
    """
    if hasattr(mlp, "_best_coefs"):
        mlp._best_coefs = [coef.copy() for coef in mlp._best_coefs]
        mlp._best_intercepts = [b.copy() for b in mlp._best_intercepts]


def _summed_squared_loss(y_true, y_pred, sample_weight=None):
    """MLP's squared loss summed over the outputs, as scikit-learn #34830."""
    per_output = np.average((y_true - y_pred) ** 2, weights=sample_weight, axis=0)
    return 0.5 * per_output.sum()


def _rtol(dtype):
    return 1e-9 if dtype == np.float64 else 1e-4


def _watching_precision(loss, imprecise):
    """MLP's log-loss ``loss``, noting in ``imprecise`` when it is not the
    exact log-loss to the comparison's tolerance: a probability clipped to
    ``[eps, 1 - eps]``, or one so close to 1 that its ``1 - p`` cancels."""

    def watched(y_true, y_prob, sample_weight=None):
        eps = np.finfo(y_prob.dtype).eps
        cancels = 10 * eps / _rtol(y_prob.dtype)
        one_minus_p_taken = y_prob.shape[1] == 1 or loss is _REAL_BINARY_LOG_LOSS
        if (
            (y_prob < eps).any()
            or (one_minus_p_taken and (1 - y_prob < cancels).any())
            or (y_prob > 1 - eps).any()
        ):
            imprecise.append(True)
        return loss(y_true, y_prob, sample_weight)

    return watched


_REAL_BINARY_LOG_LOSS = mlp_base.LOSS_FUNCTIONS["binary_log_loss"]


def _float32_adam_updates(self, grads):
    """MLP's Adam step with a Python float step size: MLP's NumPy float64 one
    turns the update of float32 weights into float64 arithmetic."""
    self.t += 1
    self.ms = [self.beta_1 * m + (1 - self.beta_1) * g for m, g in zip(self.ms, grads)]
    self.vs = [
        self.beta_2 * v + (1 - self.beta_2) * (g**2) for v, g in zip(self.vs, grads)
    ]
    self.learning_rate = float(
        self.learning_rate_init
        * np.sqrt(1 - self.beta_2**self.t)
        / (1 - self.beta_1**self.t)
    )
    return [
        -self.learning_rate * m / (np.sqrt(v) + self.epsilon)
        for m, v in zip(self.ms, self.vs)
    ]


@pytest.fixture
def patched_mlp(monkeypatch):
    """MLP as the comparison needs it: the squared loss summed over outputs,
    Adam's float32 steps in float32, and the log-losses watched for where they
    are not exact (a clipped or cancelling probability). Returns the list in
    which those are noted."""
    monkeypatch.setitem(mlp_base.LOSS_FUNCTIONS, "squared_error", _summed_squared_loss)
    monkeypatch.setattr(AdamOptimizer, "_get_updates", _float32_adam_updates)
    imprecise = []
    for name in ("log_loss", "binary_log_loss"):
        watched = _watching_precision(mlp_base.LOSS_FUNCTIONS[name], imprecise)
        monkeypatch.setitem(mlp_base.LOSS_FUNCTIONS, name, watched)
    return imprecise


def _fit_reference(mlp, call, X, y, weights):
    """MLP's fit, or the reason to skip: a refusal (returned), a divergence, or
    a crash inside MLP (scikit-learn 1.7's early stopping on string labels
    calls ``np.isnan`` on them)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("error", RuntimeWarning)
        try:
            _run_calls(mlp, call, X, y, weights)
        except ValueError as error:
            return error
        except (RuntimeWarning, ZeroDivisionError, FloatingPointError) as error:
            pytest.skip(f"MLP diverges: {type(error).__name__}")
        except TypeError as error:
            pytest.skip(f"MLP crashes: {error}")
    weights_and_loss = [*mlp.coefs_, *mlp.intercepts_, [mlp.loss_]]
    if not all(np.isfinite(w).all() for w in weights_and_loss):
        pytest.skip("MLP diverges: non-finite weights or loss")
    return None


def _assert_close(ours, theirs, rtol, name):
    ours, theirs = np.asarray(ours, dtype=float), np.asarray(theirs, dtype=float)
    assert ours.shape == theirs.shape, name
    atol = rtol * max(1.0, float(np.abs(theirs).max(initial=0.0)))
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol, err_msg=name)


def assert_same_fit(ours, mlp, dtype):
    """Require skdense's fitted state to be MLP's."""
    rtol = _rtol(dtype)
    assert ours.n_iter_ == mlp.n_iter_
    if mlp.solver != "lbfgs":
        assert ours.t_ == mlp.t_
        _assert_close(ours.loss_curve_, mlp.loss_curve_, rtol, "loss_curve_")
        assert (ours.validation_scores_ is None) == (mlp.validation_scores_ is None)
        if mlp.validation_scores_ is not None:
            _assert_close(
                ours.validation_scores_, mlp.validation_scores_, rtol, "scores"
            )
        assert (ours.best_loss_ is None) == (mlp.best_loss_ is None)
    _assert_close(ours.loss_, mlp.loss_, rtol, "loss_")
    for layer, (a, b) in enumerate(zip(ours.coefs_, mlp.coefs_)):
        _assert_close(a, b, rtol, f"coefs_[{layer}]")
    for layer, (a, b) in enumerate(zip(ours.intercepts_, mlp.intercepts_)):
        _assert_close(a, b, rtol, f"intercepts_[{layer}]")


def assert_same_steps(ours, mlp, dtype):
    """Where MLP's log-loss is inexact only its loss is off: the steps, which
    follow the same gradient, are the same while the epochs are."""
    if ours.n_iter_ != mlp.n_iter_ or mlp.solver == "lbfgs":
        pytest.skip(
            "MLP's log-loss is inexact (a saturated probability) and its "
            "loss steered it to another epoch"
        )
    rtol = _rtol(dtype)
    assert ours.t_ == mlp.t_
    for layer, (a, b) in enumerate(zip(ours.coefs_, mlp.coefs_)):
        _assert_close(a, b, rtol, f"coefs_[{layer}]")


def check_configuration(seed, imprecise):
    """Fit configuration ``seed`` with both libraries and compare them;
    ``imprecise`` is the list the patched MLP notes its inexact losses in."""
    params, call = draw_configuration(seed)
    if params["solver"] == "lbfgs":
        params["max_iter"] = min(params["max_iter"], 2)
    X, y, weights = _data(call, seed)
    ours, mlp = _pair(params, call)
    refused = _fit_reference(mlp, call, X, y, weights)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if refused is not None:
            with pytest.raises(type(refused)):
                _run_calls(ours, call, X, y, weights)
            pytest.skip(f"MLP refuses it: {refused}")
        _run_calls(ours, call, X, y, weights)
    if imprecise:
        assert_same_steps(ours, mlp, call["dtype"])
    else:
        assert_same_fit(ours, mlp, call["dtype"])


@pytest.mark.parametrize("seed", range(FIRST_SEED, FIRST_SEED + N_CONFIGS))
def test_fits_like_mlp(seed, patched_mlp):
    check_configuration(seed, patched_mlp)


@pytest.mark.parametrize("seed", REGRESSIONS)
def test_configurations_that_once_failed(seed, patched_mlp):
    check_configuration(seed, patched_mlp)


def test_the_draws_cover_every_shared_parameter_and_target_kind():
    from sklearn.neural_network import MLPClassifier as Reference

    shared = set(Reference().get_params()) & set(DenseNetClassifier().get_params())
    assert shared == set(SHARED_PARAMETERS) | {"verbose"}
    drawn = [draw_configuration(seed) for seed in range(300)]
    assert {call["target"] for _, call in drawn} == set(TARGET_KINDS)
    assert {call["calls"] for _, call in drawn} == {"fit", "refit", "partial_fit"}
    for name in ("solver", "activation", "learning_rate", "batch_size", "shuffle"):
        assert len({params[name] for params, _ in drawn}) > 1, name


@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("n_outputs", [2, 3])
def test_unpatched_mlp_reports_the_loss_averaged_over_outputs(solver, n_outputs):
    """The documented relation to the real MLPRegressor: for several targets
    the stochastic steps are MLP's, and the data loss is n_outputs times MLP's
    (the penalty is the same in both: here alpha=0)."""
    rng = np.random.default_rng(n_outputs)
    X = rng.normal(size=(40, 3))
    y = X @ rng.normal(size=(3, n_outputs))
    params = dict(hidden_layer_sizes=(5,), solver=solver, max_iter=6, tol=0.0)
    params.update(n_iter_no_change=100, random_state=0, alpha=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = DenseNetRegressor(**params).fit(X, y)
        mlp = MLPRegressor(**params).fit(X, y)
    for a, b in zip(ours.coefs_, mlp.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-10)
    np.testing.assert_allclose(
        ours.loss_curve_, n_outputs * np.asarray(mlp.loss_curve_), rtol=1e-10
    )


def test_unpatched_mlp_lbfgs_parts_from_ours_for_several_targets():
    """MLP's lbfgs line-searches the averaged loss along the summed loss's
    gradient, so its weights differ from ours; on one target they agree."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = X @ rng.normal(size=(3, 2))
    params = dict(hidden_layer_sizes=(5,), solver="lbfgs", max_iter=30, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = DenseNetRegressor(**params).fit(X, y)
        mlp = MLPRegressor(**params).fit(X, y)
        ours_one = DenseNetRegressor(**params).fit(X, y[:, 0])
        mlp_one = MLPRegressor(**params).fit(X, y[:, 0])
    assert not np.allclose(ours.coefs_[0], mlp.coefs_[0], rtol=1e-6)
    np.testing.assert_allclose(ours_one.coefs_[0], mlp_one.coefs_[0], rtol=1e-9)


def test_mlp_warm_start_after_early_stopping_ends_on_its_last_epoch():
    """The real MLP's aliasing that :func:`unalias_best_weights` patches: its
    warm-started fit keeps no new best, yet its weights moved; ours are the
    best validation weights of the two fits."""
    params, call = draw_configuration(7)
    X, y, weights = _data(call, 7)
    y = np.unique(y, return_inverse=True)[1]  # scikit-learn 1.7 fails on strings
    ours, mlp = _pair(params, call)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for model in (ours, mlp):
            model.fit(X, y, sample_weight=weights)
        best = [coef.copy() for coef in ours.coefs_]
        for model in (ours, mlp):
            model.set_params(max_iter=4).fit(X, y, sample_weight=weights)
    assert ours.validation_scores_ == mlp.validation_scores_
    assert max(ours.validation_scores_[-ours.n_iter_ :]) < ours.best_validation_score_
    np.testing.assert_array_equal(ours.coefs_[0], best[0])
    assert not np.allclose(mlp.coefs_[0], best[0])
