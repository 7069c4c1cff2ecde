"""Stochastic optimizers: scikit-learn's update rules on one flat vector."""

import pickle

import numpy as np
import pytest
from sklearn.neural_network._stochastic_optimizers import (
    AdamOptimizer as SklearnAdam,
)
from sklearn.neural_network._stochastic_optimizers import (
    SGDOptimizer as SklearnSGD,
)

from skdense._optimizers import (
    AdamOptimizer,
    CosineSchedule,
    SGDOptimizer,
    make_optimizer,
)


def _run(ours, reference, n_steps=5, seed=0):
    rng = np.random.RandomState(seed)
    params = rng.normal(size=12)
    reference_params = [params[:8].reshape(2, 4).copy(), params[8:].copy()]
    for _ in range(n_steps):
        grad = rng.normal(size=12)
        ours.step(params, grad)
        reference.update_params(reference_params, [grad[:8].reshape(2, 4), grad[8:]])
    expected = np.concatenate([p.ravel() for p in reference_params])
    np.testing.assert_array_equal(params, expected)


@pytest.mark.parametrize("nesterov", [True, False])
@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_sgd_takes_sklearns_steps(nesterov, momentum):
    ours = SGDOptimizer(12, np.float64, 0.1, "constant", momentum, nesterov, 0.5)
    shapes = [np.zeros((2, 4)), np.zeros(4)]
    reference = SklearnSGD(shapes, 0.1, "constant", momentum, nesterov, 0.5)
    _run(ours, reference)


def test_adam_takes_sklearns_steps():
    ours = AdamOptimizer(12, np.float64, 0.01, 0.9, 0.999, 1e-8)
    reference = SklearnAdam([np.zeros((2, 4)), np.zeros(4)], 0.01, 0.9, 0.999, 1e-8)
    _run(ours, reference, n_steps=20)
    assert ours.t == 20


def test_invscaling_schedule():
    sgd = SGDOptimizer(3, np.float64, 0.5, "invscaling", 0.9, True, 0.25)
    sgd.iteration_ends(time_step=15)
    assert sgd.learning_rate == pytest.approx(0.5 / 16**0.25)


def test_adaptive_schedule_divides_by_five_then_stops():
    sgd = SGDOptimizer(3, np.float64, 1e-5, "adaptive", 0.9, True, 0.5)
    assert sgd.trigger_stopping("no improvement.", verbose=False) is False
    assert sgd.learning_rate == pytest.approx(2e-6)
    assert sgd.trigger_stopping("no improvement.", verbose=False) is False
    assert sgd.trigger_stopping("no improvement.", verbose=False) is True


@pytest.mark.parametrize("schedule", ["constant", "invscaling"])
def test_non_adaptive_schedules_stop_at_once(schedule, capsys):
    sgd = SGDOptimizer(3, np.float64, 0.1, schedule, 0.9, True, 0.5)
    assert sgd.trigger_stopping("Loss flat.", verbose=True) is True
    assert "Loss flat. Stopping." in capsys.readouterr().out


def test_step_sizes_for_the_l1_prox():
    sgd = SGDOptimizer(4, np.float64, 0.1, "constant", 0.9, True, 0.5)
    assert sgd.step_sizes(0, 2) == pytest.approx(0.1 / (1 - 0.9))
    plain = SGDOptimizer(4, np.float64, 0.1, "constant", 0.0, True, 0.5)
    assert plain.step_sizes(0, 2) == 0.1
    adam = AdamOptimizer(4, np.float64, 0.01, 0.9, 0.999, 1e-8)
    params, grad = np.zeros(4), np.array([1.0, -2.0, 0.5, 4.0])
    adam.step(params, grad)
    expected = adam.learning_rate / (np.sqrt(adam.vs) + adam.epsilon)
    np.testing.assert_allclose(adam.step_sizes(1, 3), expected[1:3])


def test_float32_state_and_steps_stay_float32():
    adam = AdamOptimizer(5, np.float32, 0.01, 0.9, 0.999, 1e-8)
    params = np.ones(5, dtype=np.float32)
    adam.step(params, np.full(5, 0.5, dtype=np.float32))
    assert params.dtype == adam.ms.dtype == adam.vs.dtype == np.float32


def test_pickles_hold_state_but_no_scratch_buffers():
    adam = AdamOptimizer(1000, np.float64, 0.01, 0.9, 0.999, 1e-8)
    adam.step(np.zeros(1000), np.ones(1000))
    restored = pickle.loads(pickle.dumps(adam))
    assert not [name for name in vars(restored) if name.startswith("_")]
    np.testing.assert_array_equal(restored.vs, adam.vs)
    params = np.zeros(1000)
    restored.step(params, np.ones(1000))
    assert restored.t == 2 and np.isfinite(params).all()


def test_adaptive_schedule_says_what_it_does(capsys):
    sgd = SGDOptimizer(3, np.float64, 4e-6, "adaptive", 0.9, True, 0.5)
    assert sgd.trigger_stopping("No gain.", verbose=True) is False
    assert sgd.learning_rate == pytest.approx(8e-7)
    assert "No gain. Setting learning rate to 0.000001" in capsys.readouterr().out
    assert sgd.trigger_stopping("No gain.", verbose=True) is True
    assert "No gain. Learning rate too small. Stopping." in capsys.readouterr().out


def test_full_momentum_step_size_is_finite():
    sgd = SGDOptimizer(4, np.float64, 0.1, "constant", 1.0, False, 0.5)
    assert sgd.step_sizes(0, 4) == 0.1


def test_adam_step_sizes_are_those_of_the_last_step():
    adam = AdamOptimizer(6, np.float64, 0.01, 0.9, 0.999, 1e-8)
    params = np.zeros(6)
    for grad in ([1.0, -2, 0.5, 4, 0, 3], [2.0, 1, -1, 0, 5, 1]):
        adam.step(params, np.array(grad))
    expected = adam.learning_rate / (np.sqrt(adam.vs) + adam.epsilon)
    clutter = [np.full(6, 7.0) for _ in range(4)]  # occupy any freed memory
    np.testing.assert_allclose(adam.step_sizes(0, 6), expected, rtol=1e-12)
    np.testing.assert_allclose(adam.step_sizes(2, 5), expected[2:5], rtol=1e-12)
    assert clutter[0][0] == 7.0


@pytest.mark.parametrize("kind", ["sgd", "adam"])
def test_snapshot_and_restore_return_to_the_saved_state(kind):
    if kind == "sgd":
        opt = SGDOptimizer(4, np.float64, 0.1, "invscaling", 0.9, True, 0.5)
    else:
        opt = AdamOptimizer(4, np.float64, 0.01, 0.9, 0.999, 1e-8)
    params = np.zeros(4)
    opt.step(params, np.array([1.0, -1, 2, 0]))
    saved = opt.snapshot()
    before = {k: np.copy(v) for k, v in vars(opt).items() if not k.startswith("_")}
    opt.step(params, np.array([3.0, 1, -2, 5]))
    opt.iteration_ends(100)
    opt.restore(saved)
    for name, value in before.items():
        np.testing.assert_array_equal(getattr(opt, name), value, err_msg=name)
    assert not any(name.startswith("_") for name in saved)


def test_make_optimizer_passes_every_parameter():
    params = dict(
        solver="sgd",
        learning_rate_init=0.3,
        learning_rate="invscaling",
        momentum=0.5,
        nesterovs_momentum=False,
        power_t=0.25,
        beta_1=0.8,
        beta_2=0.9,
        epsilon=1e-6,
    )
    sgd = make_optimizer(params, 7, np.float32)
    assert isinstance(sgd, SGDOptimizer) and sgd.velocity.dtype == np.float32
    assert (sgd.learning_rate_init, sgd.lr_schedule, sgd.momentum) == (
        0.3,
        "invscaling",
        0.5,
    )
    assert (sgd.nesterov, sgd.power_t, sgd.velocity.shape) == (False, 0.25, (7,))
    adam = make_optimizer({**params, "solver": "adam"}, 5, np.float32)
    assert isinstance(adam, AdamOptimizer) and adam.ms.dtype == np.float32
    assert (adam.learning_rate_init, adam.beta_1, adam.beta_2, adam.epsilon) == (
        0.3,
        0.8,
        0.9,
        1e-6,
    )


def test_adaptive_stops_at_exactly_the_smallest_rate():
    sgd = SGDOptimizer(3, np.float64, 1e-6, "adaptive", 0.9, True, 0.5)
    assert sgd.trigger_stopping("flat.", verbose=False) is True


def test_scratch_buffers_follow_the_dtype():
    sgd = SGDOptimizer(3, np.float32, 0.1, "constant", 0.9, True, 0.5)
    assert sgd.velocity.dtype == np.float32
    assert sgd._scratch(np.zeros(3)).dtype == np.float64
    assert sgd._scratch(np.zeros(3, dtype=np.float32)).dtype == np.float32
    assert sgd._scratch(np.zeros(4, dtype=np.float32)).shape == (4,)


def _adamw_by_hand(params, grads, lr, beta_1, beta_2, epsilon, rate):
    """torch.optim.AdamW's update written out (its documented algorithm), for
    the weights ``params`` decayed at ``rate`` (weight_decay) per step."""
    m, v = np.zeros_like(params), np.zeros_like(params)
    for t, grad in enumerate(grads, start=1):
        params = params * (1 - lr * rate)
        m = beta_1 * m + (1 - beta_1) * grad
        v = beta_2 * v + (1 - beta_2) * grad**2
        denominator = np.sqrt(v) / np.sqrt(1 - beta_2**t) + epsilon
        params = params - lr / (1 - beta_1**t) * m / denominator
    return params


@pytest.mark.parametrize("rate", [0.0, 0.05])
def test_adamw_takes_the_decoupled_steps(rate):
    rng = np.random.default_rng(0)
    params = rng.normal(size=12)
    grads = rng.normal(size=(6, 12))
    ours = make_optimizer(
        dict(
            solver="adamw",
            learning_rate="constant",
            learning_rate_init=0.01,
            beta_1=0.8,
            beta_2=0.99,
            epsilon=1e-3,
        ),
        12,
        np.float64,
    )
    assert ours.decouples_weight_decay and not AdamOptimizer.decouples_weight_decay
    theta = params.copy()
    for grad in grads:
        ours.decay(theta, rate)
        ours.step(theta, grad)
    expected = _adamw_by_hand(params, grads, 0.01, 0.8, 0.99, 1e-3, rate)
    np.testing.assert_allclose(theta, expected, rtol=1e-13, atol=1e-15)
    # The step size of the last step, per parameter, for the L1 prox.
    denominator = np.sqrt(ours.vs) / np.sqrt(1 - 0.99**6) + 1e-3
    np.testing.assert_allclose(
        ours.step_sizes(0, 12), 0.01 / (1 - 0.8**6) / denominator, rtol=1e-14
    )


def test_adamw_pickles_and_restores_its_moments():
    ours = make_optimizer(
        dict(
            solver="adamw",
            learning_rate="constant",
            learning_rate_init=0.01,
            beta_1=0.9,
            beta_2=0.999,
            epsilon=1e-8,
        ),
        4,
        np.float32,
    )
    ours.step(np.zeros(4, np.float32), np.ones(4, np.float32))
    loaded = pickle.loads(pickle.dumps(ours))
    assert loaded.t == 1 and loaded.ms.dtype == np.float32
    np.testing.assert_array_equal(loaded.vs, ours.vs)


def _closed_form(lr, max_iter, warmup, epoch):
    if epoch < warmup:
        return lr * (epoch + 1) / (warmup + 1)
    cycle = max_iter - warmup
    return lr * (1 + np.cos(np.pi * min(epoch - warmup, cycle - 1) / cycle)) / 2


@pytest.mark.parametrize("warmup", [0, 1, 4])
def test_cosine_schedule_warms_up_then_falls_one_cycle(warmup):
    schedule = CosineSchedule(0.2, 10, warmup)
    rates = [schedule.rate(epoch) for epoch in range(14)]
    expected = [_closed_form(0.2, 10, warmup, epoch) for epoch in range(14)]
    np.testing.assert_allclose(rates, expected, rtol=1e-14)  # NumPy's cos vs math's
    assert rates[warmup] == 0.2  # the peak, once warmed up
    assert all(a > b for a, b in zip(rates[warmup:9], rates[warmup + 1 : 10]))
    assert rates[9] > 0 and rates[10:] == [rates[9]] * 4  # held past max_iter
    if warmup:
        assert rates[0] == pytest.approx(0.2 / (warmup + 1))


@pytest.mark.parametrize("solver", ["sgd", "adam", "adamw"])
def test_every_stochastic_optimizer_follows_the_cosine_schedule(solver):
    params = dict(
        solver=solver,
        learning_rate_init=0.1,
        learning_rate="cosine",
        max_iter=6,
        warmup_iter=2,
        momentum=0.0,
        nesterovs_momentum=False,
        power_t=0.5,
        beta_1=0.0,
        beta_2=0.999,
        epsilon=1e-8,
    )
    optimizer = make_optimizer(params, 3, np.float64)
    for epoch in range(8):
        assert optimizer.base_rate() == pytest.approx(
            _closed_form(0.1, 6, 2, epoch), rel=1e-14
        )
        if solver == "sgd":
            assert optimizer.learning_rate == optimizer.base_rate()
            theta = np.zeros(3)
            optimizer.step(theta, np.ones(3))
            np.testing.assert_allclose(theta, -optimizer.base_rate())
        optimizer.iteration_ends(time_step=100 * (epoch + 1))
    assert optimizer.epoch == 8
    plain = make_optimizer(
        {**params, "learning_rate": "constant", "warmup_iter": 0}, 3, np.float64
    )
    plain.iteration_ends(100)
    assert plain.base_rate() == 0.1 and plain.schedule is None


def test_an_optimizer_pickled_before_schedules_has_none():
    optimizer = AdamOptimizer(3, np.float64, 0.01, 0.9, 0.999, 1e-8)
    state = optimizer.__getstate__()
    del state["schedule"], state["epoch"]
    old = AdamOptimizer.__new__(AdamOptimizer)
    old.__dict__.update(state)
    assert old.base_rate() == 0.01
    old.iteration_ends(10)
    assert old.epoch == 1
