"""Penalties: values, (sub)gradients and the L1 proximal step."""

import numpy as np
import pytest

from skdense._penalties import PENALTY_MIXES, make_penalty

W = np.array([-2.0, -0.3, 0.05, 0.7, 1.5])


@pytest.mark.parametrize(
    "name, expected",
    [
        (None, 0.0),
        ("l2", 0.5 * np.sum(W**2)),
        ("l1", np.sum(np.abs(W))),
        ("elasticnet", 0.3 * np.sum(np.abs(W)) + 0.7 * 0.5 * np.sum(W**2)),
    ],
)
def test_value_follows_the_design_formula(name, expected):
    assert make_penalty(name, alpha=2.0, l1_ratio=0.3).value(W) == pytest.approx(
        2.0 * expected
    )


@pytest.mark.parametrize("name", list(PENALTY_MIXES))
def test_gradient_matches_finite_differences(name):
    penalty = make_penalty(name, alpha=0.8, l1_ratio=0.6)
    grad = np.zeros_like(W)
    penalty.add_gradient(W, grad)
    step = 1e-6
    numerical = [
        (penalty.value(W + step * e) - penalty.value(W - step * e)) / (2 * step)
        for e in np.eye(W.size)
    ]
    np.testing.assert_allclose(grad, numerical, rtol=1e-7, atol=1e-9)


def test_gradient_can_leave_out_the_l1_part():
    penalty = make_penalty("elasticnet", alpha=1.0, l1_ratio=0.25)
    grad = np.zeros_like(W)
    penalty.add_gradient(W, grad, include_l1=False)
    np.testing.assert_allclose(grad, 0.75 * W)


def test_prox_soft_thresholds_to_exact_zeros():
    penalty = make_penalty("l1", alpha=2.0, l1_ratio=0.5)
    weights = W.copy()
    penalty.prox(weights, step=0.2)  # threshold 0.4
    np.testing.assert_allclose(weights, [-1.6, 0.0, 0.0, 0.3, 1.1])
    assert np.count_nonzero(weights) == 3


def test_prox_takes_one_step_per_weight():
    penalty = make_penalty("elasticnet", alpha=1.0, l1_ratio=0.5)
    weights = W.copy()
    penalty.prox(weights, step=np.array([0.0, 1.0, 0.0, 0.2, 4.0]))
    np.testing.assert_allclose(weights, [-2.0, 0.0, 0.05, 0.6, 0.0])


@pytest.mark.parametrize("name", [None, "l2"])
def test_prox_is_identity_without_l1(name):
    weights = W.copy()
    penalty = make_penalty(name, alpha=5.0, l1_ratio=0.5)
    penalty.prox(weights, step=10.0)
    np.testing.assert_array_equal(weights, W)
    assert not penalty.has_l1
