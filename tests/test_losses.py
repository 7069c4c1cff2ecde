"""Output layers and losses: stable from the logits, canonical deltas."""

import numpy as np
import pytest
from scipy.special import xlogy

from skdense._losses import LOSSES, OUTPUT_ACTIVATIONS, weighted_mean


def _naive_loss(name, Z, Y):
    if name == "softmax":
        P = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
        return -(Y * np.log(P)).sum(axis=1)
    if name == "logistic":
        P = 1 / (1 + np.exp(-Z))
        return -(Y * np.log(P) + (1 - Y) * np.log(1 - P)).sum(axis=1)
    if name == "exp":
        mean = np.exp(Z)
        return (mean - Y * Z + xlogy(Y, Y) - Y).sum(axis=1)
    return 0.5 * ((Z - Y) ** 2).sum(axis=1)


def _targets(name, rng, shape):
    if name == "softmax":
        return np.eye(shape[1])[rng.randint(0, shape[1], shape[0])]
    if name == "logistic":
        return rng.randint(0, 2, shape).astype(float)
    if name == "exp":
        return rng.poisson(2.0, size=shape).astype(float)
    return rng.normal(size=shape)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_matches_naive_formula_and_turns_logits_into_outputs(name):
    rng = np.random.RandomState(0)
    Z = rng.normal(scale=2, size=(6, 3))
    Y = _targets(name, rng, Z.shape)
    expected_output = Z.copy()
    OUTPUT_ACTIVATIONS[name](expected_output)
    expected_loss = _naive_loss(name, Z, Y)
    loss = LOSSES[name](Z, Y)
    np.testing.assert_allclose(loss, expected_loss, rtol=1e-12)
    np.testing.assert_allclose(Z, expected_output, rtol=1e-12)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_delta_is_output_minus_target(name):
    rng = np.random.RandomState(1)
    Z = rng.normal(size=(4, 3))
    Y = _targets(name, rng, Z.shape)
    step = 1e-6
    numerical = np.empty_like(Z)
    for index in np.ndindex(Z.shape):
        up, down = Z.copy(), Z.copy()
        up[index] += step
        down[index] -= step
        numerical[index] = (LOSSES[name](up, Y) - LOSSES[name](down, Y)).sum() / (
            2 * step
        )
    output = Z.copy()
    LOSSES[name](output, Y)
    np.testing.assert_allclose(output - Y, numerical, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name", ["softmax", "logistic"])
def test_extreme_logits_give_finite_losses_without_warnings(name):
    Z = np.array([[1e4, -1e4, 0.0], [-800.0, 800.0, 5.0]])
    Y = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    with np.errstate(divide="raise", over="raise", invalid="raise"):
        loss = LOSSES[name](Z, Y)
    assert np.isfinite(loss).all() and (loss > 1e3).all()
    assert np.isfinite(Z).all() and (Z >= 0).all() and (Z <= 1).all()


def test_softmax_rows_sum_to_one():
    Z = np.random.RandomState(2).normal(scale=50, size=(20, 5))
    OUTPUT_ACTIVATIONS["softmax"](Z)
    np.testing.assert_allclose(Z.sum(axis=1), 1.0)


def test_weighted_mean():
    values = np.array([1.0, 2.0, 4.0])
    assert weighted_mean(values, None) == pytest.approx(7 / 3)
    assert weighted_mean(values, np.array([1.0, 0.0, 3.0])) == pytest.approx(13 / 4)


@pytest.mark.parametrize("function", ["activation", "loss"])
def test_softmax_shifts_each_row_by_its_own_maximum(function):
    """Rows far apart in scale: a shared or added shift overflows or underflows."""
    Z = np.array([[1000.0, 999.0], [0.0, -1.0]])
    expected = np.array([1, np.exp(-1)]) / (1 + np.exp(-1))
    if function == "activation":
        OUTPUT_ACTIVATIONS["softmax"](Z)
    else:
        loss = LOSSES["softmax"](Z, np.array([[1.0, 0.0], [0.0, 1.0]]))
        np.testing.assert_allclose(
            loss, [np.log1p(np.exp(-1)), 1 + np.log1p(np.exp(-1))]
        )
    np.testing.assert_allclose(Z, [expected, expected], rtol=1e-12)
