"""The NTK parametrisation (its start, and steps that are those of the raw
weights of a network computing with ``w / sqrt(fan_in)``) and the input
scale (its gradient, and steps that are those of ``V`` and ``s``)."""

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression

from skdense import DenseNetClassifier, DenseNetRegressor
from skdense._buffers import Buffers
from skdense._network import DenseNetwork
from skdense._optimizers import make_optimizer
from skdense._parametrization import (
    INPUT_SCALE_RATE_FACTOR,
    INTERCEPT_RATE_FACTOR,
    from_raw,
    input_scale_step,
    n_trained,
    ntk_initial_params,
    ntk_step_scales,
    step_scales,
    to_raw,
)
from skdense._penalties import make_penalty
from skdense._targets import Targets
from skdense._training import BatchLoop, TrainingSet, _first_layer_factor

ESTIMATORS = [DenseNetClassifier, DenseNetRegressor]
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _network(rng):
    hidden = [int(rng.integers(2, 9)) for _ in range(rng.integers(1, 4))]
    n_in = int(rng.integers(1, 12))
    return DenseNetwork([n_in, *hidden, 3], "tanh", "softmax", np.float64)


def test_the_start_is_normal_over_the_root_of_the_fan_in_and_zero_at_the_output():
    network = DenseNetwork([400, 300, 200, 3], "relu", "softmax", np.float64)
    theta = ntk_initial_params(network, np.random.RandomState(0))
    coefs, intercepts = network.unpack(theta)
    for coef in coefs[:-1]:
        assert abs(coef.std() * np.sqrt(coef.shape[0]) - 1) < 0.01
        assert abs(coef.mean()) < 0.01
    for intercept in intercepts[:-1]:
        assert 0.85 < intercept.std() < 1.15
    assert not coefs[-1].any() and not intercepts[-1].any()
    again = ntk_initial_params(network, np.random.RandomState(0))
    np.testing.assert_array_equal(again, theta)


def _raw_reference(network, theta, X, Y, params, n_steps):
    """The effective weights after ``n_steps`` standard steps of the raw
    parameters ``w = W * sqrt(fan_in)``, intercepts in a group of their own
    at a tenth of the rate (PyTorch's parameter groups)."""
    coefs, intercepts = network.unpack(theta.copy())
    fan_ins = np.concatenate(
        [np.full(c.size, np.sqrt(c.shape[0])) for c in coefs]
        + [np.full(b.size, np.inf) for b in intercepts]
    )
    is_weight = np.isfinite(fan_ins)
    raw = np.where(is_weight, theta * np.where(is_weight, fan_ins, 1), theta)
    weights_step = make_optimizer(params, int(is_weight.sum()), np.float64)
    slower = dict(params, learning_rate_init=params["learning_rate_init"] * 0.1)
    intercepts_step = make_optimizer(slower, int((~is_weight).sum()), np.float64)
    penalty, grad = make_penalty(None, 0.0, 0.5), np.empty_like(theta)
    for _ in range(n_steps):
        effective = np.where(is_weight, raw / np.where(is_weight, fan_ins, 1), raw)
        network.loss_gradient(effective, X, Y, None, penalty, grad)
        raw_grad = np.where(is_weight, grad / np.where(is_weight, fan_ins, 1), grad)
        w, b = raw[is_weight], raw[~is_weight]
        weights_step.step(w, raw_grad[is_weight])
        intercepts_step.step(b, raw_grad[~is_weight])
        raw[is_weight], raw[~is_weight] = w, b
    return np.where(is_weight, raw / np.where(is_weight, fan_ins, 1), raw)


@pytest.mark.parametrize("seed", range(12))
def test_ntk_steps_are_the_raw_weights_steps(seed):
    """Drawn networks and solvers: the optimizer-level parametrisation takes
    the steps of the raw weights, whatever the solver's rule."""
    rng = np.random.default_rng(seed)
    network = _network(rng)
    theta = ntk_initial_params(network, np.random.RandomState(seed))
    theta[theta == 0] = rng.normal(size=(theta == 0).sum())  # all layers move
    X = rng.normal(size=(int(rng.integers(3, 30)), network.layer_sizes[0]))
    Y = np.eye(3)[rng.integers(0, 3, len(X))]
    params = dict(
        solver=str(rng.choice(["sgd", "adam", "adamw"])),
        learning_rate="constant",
        learning_rate_init=float(10 ** rng.uniform(-3, -1)),
        beta_1=0.9,
        beta_2=float(rng.uniform(0.9, 0.999)),
        epsilon=float(10 ** rng.uniform(-8, -3)),
        momentum=float(rng.uniform(0, 0.95)),
        nesterovs_momentum=bool(rng.integers(2)),
        power_t=0.5,
    )
    expected = _raw_reference(network, theta, X, Y, params, 15)
    ours = make_optimizer(params, theta.size, np.float64, ntk_step_scales(network))
    penalty, grad = make_penalty(None, 0.0, 0.5), np.empty_like(theta)
    for _ in range(15):
        network.loss_gradient(theta, X, Y, None, penalty, grad)
        ours.step(theta, grad)
    np.testing.assert_allclose(theta, expected, rtol=1e-10, atol=1e-13)


def test_the_l1_step_sizes_are_those_of_the_networks_weights():
    network = DenseNetwork([4, 16, 3], "relu", "softmax", np.float64)
    scales = ntk_step_scales(network)
    params = dict(
        solver="sgd",
        learning_rate="constant",
        learning_rate_init=0.1,
        momentum=0.0,
        nesterovs_momentum=False,
        power_t=0.5,
    )
    ours = make_optimizer(params, network.n_params, np.float64, scales)
    sizes = ours.step_sizes(0, network.n_coefs)
    coef_sizes = network.unpack(np.arange(network.n_params, dtype=float))[0]
    first = coef_sizes[0].size
    # w moves by lr * g_w = lr * g_W / sqrt(fan_in): W by lr * g_W / fan_in
    np.testing.assert_allclose(sizes[:first], 0.1 / 4)
    np.testing.assert_allclose(sizes[first:], 0.1 / 16)
    assert INTERCEPT_RATE_FACTOR == 0.1


def _data(estimator):
    if estimator is DenseNetClassifier:
        return make_classification(n_samples=150, n_features=5, random_state=0)
    X, y = make_regression(n_samples=150, n_features=5, noise=1, random_state=0)
    return X, y / y.std()


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_the_estimators_train_in_ntk_and_predict_with_their_coefs(estimator):
    X, y = _data(estimator)
    params = dict(hidden_layer_sizes=(32, 32), max_iter=60, random_state=0)
    model = estimator(
        parametrization="ntk", learning_rate_init=0.02, solver="adamw", **params
    ).fit(X, y)
    assert model.score(X, y) > 0.9
    assert model._optimizer.step_scales is not None
    standard = estimator(**params).fit(X, y)
    assert standard._optimizer.step_scales is None
    # a step too small to move: the weights are the NTK start
    still = estimator(parametrization="ntk", learning_rate_init=1e-300, **params)
    still.fit(X, y)
    network = DenseNetwork(
        [5, 32, 32, still.coefs_[-1].shape[1]], "relu", "identity", np.float64
    )
    start = network.unpack(ntk_initial_params(network, np.random.RandomState(0)))
    for fitted, expected in zip(still.coefs_ + still.intercepts_, start[0] + start[1]):
        np.testing.assert_allclose(fitted, expected, atol=1e-250)
    # refit and partial_fit continue with the same parametrisation
    model.set_params(warm_start=True, max_iter=3).fit(X, y)
    assert model._optimizer.step_scales is not None
    model.partial_fit(X, y)
    assert model._optimizer.step_scales is not None


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_lbfgs_refuses_the_ntk_parametrization(estimator, unchanged_by):
    X, y = _data(estimator)
    model = estimator(solver="lbfgs", parametrization="ntk")
    unchanged_by(model, lambda m: m.fit(X, y), match="parametrization='ntk' shapes")


def _scaled_network(rng, activation="tanh"):
    hidden = [int(rng.integers(2, 7)) for _ in range(rng.integers(1, 3))]
    return DenseNetwork(
        [int(rng.integers(1, 6)), *hidden, 2], activation, "softmax", np.float64
    )


@pytest.mark.parametrize("seed", range(6))
def test_the_input_scales_gradient_is_the_finite_differences(seed):
    rng = np.random.default_rng(seed)
    network = _scaled_network(rng, str(rng.choice(["tanh", "selu", "mish"])))
    theta = network.initial_params(np.random.RandomState(seed))
    scale = rng.uniform(0.3, 2.0, network.layer_sizes[0])
    n_in, first = (
        network.layer_sizes[0],
        network.layer_sizes[0] * network.layer_sizes[1],
    )
    theta[:first].reshape(n_in, -1)[...] *= scale[:, None]
    X = rng.normal(size=(17, n_in))
    Y = np.eye(2)[rng.integers(0, 2, 17)]
    penalty, grad = make_penalty("l2", 0.01, 0.5), np.empty_like(theta)
    network.loss_gradient(theta, X, Y, None, penalty, grad)
    raw, raw_grad = np.empty(theta.size + n_in), np.empty(theta.size + n_in)
    to_raw(theta, grad, scale, network, raw, raw_grad)

    def loss(point):
        inside, kept_scale = np.empty_like(theta), np.empty(n_in)
        from_raw(point, network, inside, kept_scale)
        return network.loss_gradient(inside, X, Y, None, penalty, np.empty_like(theta))

    numeric = np.empty_like(raw)
    for i in range(raw.size):
        up, down = raw.copy(), raw.copy()
        up[i] += 1e-6
        down[i] -= 1e-6
        numeric[i] = (loss(up) - loss(down)) / 2e-6
    np.testing.assert_allclose(raw_grad, numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("seed", range(16))
def test_input_scale_steps_are_those_of_v_and_s(seed):
    """Drawn networks and solvers (AdamW with and without decay), both
    parametrisations: the steps equal those of a reference that keeps ``V``
    and ``s`` themselves."""
    rng = np.random.default_rng(seed)
    network = _scaled_network(rng)
    parametrization = str(rng.choice(["standard", "ntk"]))
    theta = network.initial_params(np.random.RandomState(seed))
    n_in, first = (
        network.layer_sizes[0],
        network.layer_sizes[0] * network.layer_sizes[1],
    )
    X = rng.normal(size=(int(rng.integers(3, 30)), n_in))
    Y = np.eye(2)[rng.integers(0, 2, len(X))]
    params = dict(
        solver=str(rng.choice(["sgd", "adam", "adamw"])),
        learning_rate="constant",
        learning_rate_init=float(10 ** rng.uniform(-3, -1.5)),
        beta_1=0.9,
        beta_2=0.95,
        epsilon=1e-8,
        momentum=0.9,
        nesterovs_momentum=False,
        power_t=0.5,
    )
    decay = float(rng.choice([0.0, 0.05])) if params["solver"] == "adamw" else 0.0
    scales = step_scales(network, parametrization, input_scale=True)
    size = n_trained(network, True)
    assert size == theta.size + n_in and scales.step[-1] == INPUT_SCALE_RATE_FACTOR
    # the reference: V and s kept, W rebuilt from them at every step
    reference = make_optimizer(params, size, np.float64, scales)
    kept = np.concatenate([theta, np.ones(n_in)])
    ours = make_optimizer(params, size, np.float64, scales)
    ours.input_scale = np.ones(n_in)
    penalty, grad = make_penalty(None, 0.0, 0.5), np.empty_like(theta)
    work = Buffers()
    for _ in range(12):
        W = kept[: theta.size].copy()
        W[:first].reshape(n_in, -1)[...] *= kept[theta.size :, None]
        network.loss_gradient(W, X, Y, None, penalty, grad)
        kept_grad = np.concatenate([grad, np.zeros(n_in)])
        V = kept[:first].reshape(n_in, -1)
        kept_grad[theta.size :] = (V * grad[:first].reshape(n_in, -1)).sum(1)
        kept_grad[:first] *= np.repeat(kept[theta.size :], network.layer_sizes[1])
        if decay:
            reference.decay(kept[: network.n_coefs], decay)
        reference.step(kept, kept_grad)

        network.loss_gradient(theta, X, Y, None, penalty, grad)
        input_scale_step(ours, theta, grad, network, work, decay)
    expected = kept[: theta.size].copy()
    expected[:first].reshape(n_in, -1)[...] *= kept[theta.size :, None]
    np.testing.assert_allclose(ours.input_scale, kept[theta.size :], rtol=1e-9)
    np.testing.assert_allclose(theta, expected, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_the_estimators_learn_an_input_scale_folded_into_their_weights(estimator):
    X, y = _data(estimator)
    X = np.c_[X, np.random.default_rng(0).normal(size=(len(X), 3))]  # noise
    model = estimator(
        hidden_layer_sizes=(16,),
        input_scale=True,
        max_iter=80,
        learning_rate_init=0.01,
        random_state=0,
    ).fit(X, y)
    scale = model._optimizer.input_scale
    assert scale.shape == (8,) and not np.allclose(scale, 1)
    assert model.score(X, y) > 0.9
    # the fitted weights are the whole model: a plain network predicts alike
    plain = estimator(hidden_layer_sizes=(16,), max_iter=1, random_state=0).fit(X, y)
    plain.coefs_, plain.intercepts_ = model.coefs_, model.intercepts_
    np.testing.assert_array_equal(plain.predict(X), model.predict(X))
    assert np.abs(scale - 1).max() > 0.5
    model.partial_fit(X, y)  # goes on with the scale: one epoch moves it little
    assert 0 < np.abs(model._optimizer.input_scale - scale).max() < 0.2
    model.set_params(warm_start=True, max_iter=1).fit(X, y)  # starts it at 1
    assert np.abs(model._optimizer.input_scale - 1).max() < 0.2


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_lbfgs_refuses_the_input_scale(estimator, unchanged_by):
    X, y = _data(estimator)
    model = estimator(solver="lbfgs", input_scale=True)
    unchanged_by(model, lambda m: m.fit(X, y), match="input_scale=True learns")


def test_the_l1_prox_of_w_is_that_of_v_in_its_own_metric():
    """With W = diag(s) V, L1 on W is L1 on V of strength |s|: shrinking W by
    s**2 times V's step is shrinking V by |s| times it."""
    rng = np.random.default_rng(0)
    network = DenseNetwork([4, 5, 2], "relu", "softmax", np.float64)
    scale = np.array([2.0, -0.5, 0.0, 1.0])
    V = rng.normal(size=(4, 5))
    theta = network.initial_params(np.random.RandomState(0))
    theta[:20] = (scale[:, None] * V).ravel()
    V_steps = rng.uniform(0.1, 0.5, network.n_coefs)
    penalty = make_penalty("l1", 1.0, 0.5)
    ours = theta[: network.n_coefs].copy()
    penalty.prox(ours, V_steps * _first_layer_factor(scale, network))
    shrunk = V.ravel().copy()
    penalty.prox(shrunk, np.abs(np.repeat(scale, 5)) * V_steps[:20])
    np.testing.assert_allclose(
        ours[:20], (scale[:, None] * shrunk.reshape(4, 5)).ravel()
    )
    expected = theta[20 : network.n_coefs].copy()
    penalty.prox(expected, V_steps[20:])
    np.testing.assert_array_equal(ours[20:], expected)  # other layers as they are


def test_the_batch_loop_takes_the_l1_prox_of_w_in_vs_metric():
    rng = np.random.default_rng(1)
    network = DenseNetwork([3, 6, 3], "tanh", "softmax", np.float64)
    X, codes = rng.normal(size=(20, 3)), rng.integers(0, 3, 20)
    params = dict(
        solver="sgd",
        learning_rate="constant",
        learning_rate_init=0.5,
        momentum=0.0,
        nesterovs_momentum=False,
        power_t=0.5,
    )
    penalty = make_penalty("l1", 0.5, 0.5)

    def optimizer():
        scales = step_scales(network, "standard", True)
        made = make_optimizer(params, n_trained(network, True), np.float64, scales)
        made.input_scale = np.array([2.0, 0.5, 1.0])
        return made

    theta = network.initial_params(np.random.RandomState(0))
    expected = theta.copy()
    loop = BatchLoop(network, penalty, optimizer(), None)
    loop.run(theta, TrainingSet(X, Targets(codes, 3)), None, 20, 0)

    reference, grad = optimizer(), np.empty_like(theta)
    network.loss_gradient(
        expected, X, np.eye(3)[codes], None, penalty, grad, include_l1=False
    )
    input_scale_step(reference, expected, grad, network, Buffers())
    steps = reference.step_sizes(0, network.n_coefs) / 20
    steps *= _first_layer_factor(reference.input_scale, network)
    penalty.prox(expected[: network.n_coefs], steps)
    np.testing.assert_allclose(theta, expected, rtol=1e-12)
    assert (theta[:18] == 0).any()  # the prox did act on the first layer
