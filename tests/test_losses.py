"""Output layers and losses: stable from the logits, with their gradients."""

import numpy as np
import pytest
from scipy.special import xlogy

from skdense._losses import OUTPUTS, VARIANCE_FLOOR, weighted_mean

PARAMS = {"gaussian": 0.0, "quantile": 0.3}


def _naive_loss(name, Z, Y):
    if name == "gaussian":
        mean, raw = np.split(Z, 2, axis=1)
        variance = np.log1p(np.exp(raw)) + VARIANCE_FLOOR
        density = np.exp(-((Y - mean) ** 2) / (2 * variance))
        return -np.log(density / np.sqrt(2 * np.pi * variance)).sum(axis=1)
    if name == "quantile":
        q, residual = PARAMS["quantile"], Y - Z
        return np.where(residual > 0, q * residual, (q - 1) * residual).sum(axis=1)
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
    if name == "gaussian":
        return rng.normal(size=(shape[0], shape[1] // 2))
    if name == "softmax":
        return np.eye(shape[1])[rng.randint(0, shape[1], shape[0])]
    if name == "logistic":
        return rng.randint(0, 2, shape).astype(float)
    if name == "exp":
        return rng.poisson(2.0, size=shape).astype(float)
    return rng.normal(size=shape)


@pytest.mark.parametrize("name", sorted(OUTPUTS))
def test_loss_matches_naive_formula_and_turns_logits_into_outputs(name):
    rng = np.random.RandomState(0)
    Z = rng.normal(scale=2, size=(6, 4))
    Y = _targets(name, rng, Z.shape)
    expected_output = Z.copy()
    OUTPUTS[name].activate(expected_output)
    expected_loss = _naive_loss(name, Z, Y)
    loss = OUTPUTS[name].loss(Z, Y, PARAMS.get(name))
    np.testing.assert_allclose(loss, expected_loss, rtol=1e-12)
    np.testing.assert_allclose(Z, expected_output, rtol=1e-12)


@pytest.mark.parametrize("name", sorted(OUTPUTS))
def test_gradient_matches_finite_differences(name):
    rng = np.random.RandomState(1)
    Z = rng.normal(size=(4, 4))
    Y = _targets(name, rng, Z.shape)
    output = OUTPUTS[name]
    step = 1e-6

    def total(logits):
        return output.loss(logits.copy(), Y, PARAMS.get(name)).sum()

    numerical = np.empty_like(Z)
    for index in np.ndindex(Z.shape):
        up, down = Z.copy(), Z.copy()
        up[index] += step
        down[index] -= step
        numerical[index] = (total(up) - total(down)) / (2 * step)
    delta = Z.copy()
    output.loss(delta, Y, PARAMS.get(name))
    output.gradient(delta, Y, PARAMS.get(name))
    np.testing.assert_allclose(delta, numerical, rtol=1e-6, atol=1e-9)


def test_canonical_pairs_have_output_minus_target_as_gradient():
    canonical = {n for n, o in OUTPUTS.items() if o.gradient is OUTPUTS["exp"].gradient}
    assert canonical == {"softmax", "logistic", "identity", "exp"}


@pytest.mark.parametrize("variance_power", [0.25, 0.5, 1.0])
def test_beta_nll_weighs_each_targets_gradient_by_its_variance(variance_power):
    rng = np.random.RandomState(3)
    Z = rng.normal(size=(5, 4))
    Y = rng.normal(size=(5, 2))
    plain, weighted = Z.copy(), Z.copy()
    gaussian = OUTPUTS["gaussian"]
    for delta, power in ((plain, 0.0), (weighted, variance_power)):
        gaussian.loss(delta, Y)
        gaussian.gradient(delta, Y, power)
    variance = Z.copy()
    gaussian.activate(variance)
    weight = np.tile(variance[:, 2:] ** variance_power, 2)
    np.testing.assert_allclose(weighted, plain * weight, rtol=1e-12)
    if variance_power == 1.0:  # the mean gets the squared error's gradient
        np.testing.assert_allclose(weighted[:, :2], Z[:, :2] - Y, rtol=1e-12)


def test_gaussian_variance_keeps_its_floor_and_never_overflows():
    Z = np.array([[0.0, 0.0, 1e4, -1e4], [3.0, -3.0, 800.0, -800.0]])
    Y = np.zeros((2, 2))
    with np.errstate(divide="raise", over="raise", invalid="raise"):
        loss = OUTPUTS["gaussian"].loss(Z, Y)
    assert np.isfinite(loss).all()
    np.testing.assert_allclose(
        Z[:, 2:], [[1e4, VARIANCE_FLOOR], [800.0, VARIANCE_FLOOR]]
    )
    delta = Z.copy()
    with np.errstate(divide="raise", over="raise", invalid="raise"):
        OUTPUTS["gaussian"].gradient(delta, Y, 0.5)
    assert np.isfinite(delta).all()


def test_pinball_gradient_at_a_tie_is_scikit_learns_subgradient():
    # The loss has a kink where the prediction equals the target; scikit-learn's
    # PinballLoss (HistGradientBoostingRegressor's) takes -quantile there.
    Z = np.array([[1.0, 2.0, 3.0]])
    Y = np.array([[1.0, 1.5, 3.5]])
    OUTPUTS["quantile"].gradient(Z, Y, 0.3)
    np.testing.assert_array_equal(Z, [[-0.3, 0.7, -0.3]])


@pytest.mark.parametrize("name", ["softmax", "logistic"])
def test_extreme_logits_give_finite_losses_without_warnings(name):
    Z = np.array([[1e4, -1e4, 0.0], [-800.0, 800.0, 5.0]])
    Y = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    with np.errstate(divide="raise", over="raise", invalid="raise"):
        loss = OUTPUTS[name].loss(Z, Y)
    assert np.isfinite(loss).all() and (loss > 1e3).all()
    assert np.isfinite(Z).all() and (Z >= 0).all() and (Z <= 1).all()


def test_softmax_rows_sum_to_one():
    Z = np.random.RandomState(2).normal(scale=50, size=(20, 5))
    OUTPUTS["softmax"].activate(Z)
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
        OUTPUTS["softmax"].activate(Z)
    else:
        loss = OUTPUTS["softmax"].loss(Z, np.array([[1.0, 0.0], [0.0, 1.0]]))
        np.testing.assert_allclose(
            loss, [np.log1p(np.exp(-1)), 1 + np.log1p(np.exp(-1))]
        )
    np.testing.assert_allclose(Z, [expected, expected], rtol=1e-12)
