"""The NumPy core: layout, initialisation, gradients, and MLP's objective."""

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import LabelBinarizer

from skdense._activations import ACTIVATIONS as ACTIVATION_TABLE
from skdense._activations import MLP_ACTIVATIONS
from skdense._dropout import RowKeyedDropout, row_keys
from skdense._network import DenseNetwork
from skdense._penalties import make_penalty

# Every activation of the table, and a list of one per hidden layer.
ACTIVATIONS = [*ACTIVATION_TABLE, ["gelu", "logistic"]]
PENALTIES = [None, "l2", "l1", "elasticnet"]
# name: (output activation, number of outputs, target maker)
OUTPUTS = {
    "binary": ("logistic", 1, lambda rng, n: rng.randint(0, 2, (n, 1))),
    "multiclass": ("softmax", 3, lambda rng, n: np.eye(3)[rng.randint(0, 3, n)]),
    "multilabel": ("logistic", 3, lambda rng, n: rng.randint(0, 2, (n, 3))),
    "regression": ("identity", 2, lambda rng, n: rng.normal(size=(n, 2))),
    "poisson": ("exp", 2, lambda rng, n: rng.poisson(2.0, size=(n, 2))),
    "gaussian_nll": ("gaussian", 4, lambda rng, n: rng.normal(size=(n, 2))),
    "quantile": ("quantile", 2, lambda rng, n: rng.normal(size=(n, 2))),
}
# The plain likelihood (beta-NLL's stop-gradient is checked on its own below).
OUTPUT_PARAMS = {"gaussian": 0.0, "quantile": 0.3}


def _problem(activation, output, n_samples=7, hidden=(5, 4), seed=0):
    rng = np.random.RandomState(seed)
    out_activation, n_outputs, make_y = OUTPUTS[output]
    network = DenseNetwork(
        [3, *hidden, n_outputs],
        activation,
        out_activation,
        np.float64,
        OUTPUT_PARAMS.get(out_activation),
    )
    theta = network.initial_params(rng)
    # Keep weights away from 0, where |w| has no derivative.
    weights = theta[: network.n_coefs]
    weights += 0.05 * np.sign(weights)
    X = rng.normal(size=(n_samples, 3))
    Y = make_y(rng, n_samples).astype(np.float64)
    return network, theta, X, Y, rng


def _numerical_gradient(objective, theta, step=1e-6):
    grad = np.empty_like(theta)
    for i in range(theta.size):
        shifted = theta.copy()
        shifted[i] += step
        up = objective(shifted)
        shifted[i] -= 2 * step
        grad[i] = (up - objective(shifted)) / (2 * step)
    return grad


@pytest.mark.parametrize(
    "activation, penalty, output, dropout, weighted",
    list(
        itertools.product(ACTIVATIONS, PENALTIES, OUTPUTS, [False, True], [False, True])
    ),
)
def test_gradient_matches_finite_differences(
    activation, penalty, output, dropout, weighted
):
    network, theta, X, Y, rng = _problem(activation, output)
    sample_weight = rng.uniform(0.2, 3.0, X.shape[0]) if weighted else None
    masks = None
    if dropout:  # hidden and input dropout, with fixed masks
        dropout = RowKeyedDropout([0.6, 0.8], [5, 4], 3, input_keep=0.7, n_features=3)
        masks = dropout.masks(row_keys(X), epoch=0, dtype=np.float64)
        assert all((m == 0).any() for m in masks)
        dropped = dropout.drop_inputs(X, row_keys(X), 0)
        assert (dropped == 0).any() and (dropped[dropped != 0] != X[dropped != 0]).all()
        X = dropped
    pen = make_penalty(penalty, alpha=0.3, l1_ratio=0.4)
    grad = np.empty_like(theta)

    def objective(params):
        return network.loss_gradient(params, X, Y, sample_weight, pen, grad, masks)

    expected = _numerical_gradient(objective, theta)
    objective(theta)
    error = np.linalg.norm(grad - expected) / np.linalg.norm(expected)
    assert error < 1e-6


def test_gradient_without_l1_part_is_the_smooth_gradient():
    network, theta, X, Y, _ = _problem("tanh", "multiclass")
    full, smooth = np.empty_like(theta), np.empty_like(theta)
    pen = make_penalty("elasticnet", alpha=0.5, l1_ratio=0.3)
    network.loss_gradient(theta, X, Y, None, pen, full)
    network.loss_gradient(theta, X, Y, None, pen, smooth, include_l1=False)
    weights = theta[: network.n_coefs]
    l1_part = 0.5 * 0.3 * np.sign(weights) / X.shape[0]
    np.testing.assert_allclose(
        full[: network.n_coefs] - smooth[: network.n_coefs], l1_part
    )
    np.testing.assert_array_equal(full[network.n_coefs :], smooth[network.n_coefs :])


def test_sparse_input_gives_the_dense_loss_and_gradient():
    network, theta, X, Y, _ = _problem("relu", "multiclass")
    X[X < 0.3] = 0.0
    pen = make_penalty("l2", alpha=0.1, l1_ratio=0.5)
    dense_grad, sparse_grad = np.empty_like(theta), np.empty_like(theta)
    dense = network.loss_gradient(theta, X, Y, None, pen, dense_grad)
    sparse = network.loss_gradient(theta, sp.csr_matrix(X), Y, None, pen, sparse_grad)
    assert sparse == pytest.approx(dense, rel=1e-12)
    np.testing.assert_allclose(sparse_grad, dense_grad, rtol=1e-10, atol=1e-14)


def test_pack_unpack_round_trip_and_layout():
    network = DenseNetwork([4, 3, 2], "relu", "softmax", np.float32)
    theta = np.arange(network.n_params, dtype=np.float32)
    coefs, intercepts = network.unpack(theta)
    assert [c.shape for c in coefs] == [(4, 3), (3, 2)]
    assert [b.shape for b in intercepts] == [(3,), (2,)]
    assert network.n_coefs == 4 * 3 + 3 * 2
    # Weights first, then intercepts: penalties act on theta[:n_coefs].
    assert coefs[1].ravel()[-1] == network.n_coefs - 1
    np.testing.assert_array_equal(network.pack(coefs, intercepts), theta)
    message = (
        r"shape \(5, 3\) do not fit a layer of shape \(4, 3\).*"
        r"data's shape changed since the last fit\.$"
    )
    with pytest.raises(ValueError, match=message):
        network.pack([np.zeros((5, 3)), coefs[1]], intercepts)


def _mlp_reference(X, y, hidden, activation, alpha):
    mlp = MLPClassifier(hidden, activation=activation, alpha=alpha, random_state=0)
    mlp.partial_fit(X, y, classes=np.unique(y))
    return mlp


def _mlp_loss_and_grad(mlp, X, Y, sample_weight):
    layer_units = [X.shape[1]] + [c.shape[1] for c in mlp.coefs_]
    activations = [X] + [None] * (len(layer_units) - 1)
    deltas = [None] * (len(activations) - 1)
    coef_grads = [np.empty(shape) for shape in itertools.pairwise(layer_units)]
    intercept_grads = [np.empty(b) for b in layer_units[1:]]
    loss, coef_grads, intercept_grads = mlp._backprop(
        X, Y, sample_weight, activations, deltas, coef_grads, intercept_grads
    )
    return loss, np.concatenate([g.ravel() for g in coef_grads + intercept_grads])


@pytest.mark.parametrize("n_classes", [2, 4])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("activation", MLP_ACTIVATIONS)
def test_objective_equals_mlp_classifier(n_classes, weighted, activation):
    rng = np.random.RandomState(1)
    X = rng.normal(size=(30, 5))
    y = rng.randint(0, n_classes, 30)
    sample_weight = rng.uniform(0.1, 2.0, 30) if weighted else None
    mlp = _mlp_reference(X, y, (6, 4), activation, alpha=0.7)
    Y = LabelBinarizer().fit(y).transform(y)
    expected_loss, expected_grad = _mlp_loss_and_grad(mlp, X, Y, sample_weight)

    output = "softmax" if n_classes > 2 else "logistic"
    network = DenseNetwork([5, 6, 4, Y.shape[1]], activation, output, np.float64)
    theta = network.pack(mlp.coefs_, mlp.intercepts_)
    grad = np.empty_like(theta)
    loss = network.loss_gradient(
        theta, X, Y.astype(float), sample_weight, make_penalty("l2", 0.7, 0.5), grad
    )
    assert loss == pytest.approx(expected_loss, rel=1e-12)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-12, atol=1e-15)


def test_initial_params_match_mlp_classifier():
    rng = np.random.RandomState(0)
    y = rng.randint(0, 3, 20)
    for activation in ("relu", "logistic"):
        mlp = MLPClassifier((5,), activation=activation, max_iter=1, random_state=7)
        mlp._random_state = np.random.RandomState(7)
        mlp.n_outputs_ = 3
        mlp._label_binarizer = LabelBinarizer().fit(y)
        mlp._initialize(np.zeros((20, 3)), [4, 5, 3], np.float64)
        network = DenseNetwork([4, 5, 3], activation, "softmax", np.float64)
        theta = network.initial_params(np.random.RandomState(7))
        np.testing.assert_array_equal(theta, network.pack(mlp.coefs_, mlp.intercepts_))


def test_predict_applies_no_dropout_and_matches_the_forward_pass():
    network, theta, X, _, _ = _problem("tanh", "multiclass")
    coefs, intercepts = network.unpack(theta)
    hidden = np.tanh(X @ coefs[0] + intercepts[0])
    hidden = np.tanh(hidden @ coefs[1] + intercepts[1])
    logits = hidden @ coefs[2] + intercepts[2]
    expected = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(network.predict(coefs, intercepts, X), expected)


def test_float32_stays_float32():
    network, theta, X, Y, _ = _problem("relu", "multiclass")
    network32 = DenseNetwork(network.layer_sizes, "relu", "softmax", np.float32)
    theta32 = theta.astype(np.float32)
    grad = np.empty_like(theta32)
    loss = network32.loss_gradient(
        theta32,
        X.astype(np.float32),
        Y.astype(np.float32),
        None,
        make_penalty("l2", 0.1, 0.5),
        grad,
    )
    assert grad.dtype == np.float32 and np.isfinite(loss)
    coefs, intercepts = network32.unpack(theta32)
    assert (
        network32.predict(coefs, intercepts, X.astype(np.float32)).dtype == np.float32
    )


def test_parameters_and_buffers_take_the_network_dtype():
    network = DenseNetwork([3, 4, 2], "relu", "softmax", "float32")
    assert network.dtype == np.float32
    theta = network.initial_params(np.random.RandomState(0))
    coefs, intercepts = network.unpack(theta)
    assert theta.dtype == network.pack(coefs, intercepts).dtype == np.float32
    X = np.ones((5, 3), dtype=np.float32)
    Y = np.eye(2, dtype=np.float32)[[0, 1, 0, 1, 1]]
    grad = np.empty_like(theta)
    network.loss_gradient(theta, X, Y, None, make_penalty("l1", 0.1, 0.5), grad)
    assert all(a.dtype == np.float32 for a in network._buffers._arrays.values())


def test_sparse_logits_equal_dense_logits():
    network, theta, X, _, _ = _problem("relu", "multiclass")
    coefs, intercepts = network.unpack(theta)
    X[X < 0] = 0
    np.testing.assert_allclose(
        network.logits(coefs, intercepts, sp.csr_matrix(X)),
        network.logits(coefs, intercepts, X),
        rtol=1e-12,
    )


def test_mc_logits_without_dropout_on_the_first_layer_copy_it_per_pass():
    network = DenseNetwork([3, 4, 5, 2], "tanh", "identity", np.float64)
    coefs, intercepts = network.unpack(network.initial_params(np.random.RandomState(0)))
    X = np.random.default_rng(0).normal(size=(6, 3))
    kept_second = (np.random.default_rng(1).random((2, 5)) < 0.5).astype(float)
    for stacked in (False, True):
        inputs = np.vstack([X, X]) if stacked else X
        logits = network.mc_logits(
            coefs, intercepts, inputs, 2, [None, kept_second], stacked
        )
        assert logits.shape == (2, 6, 2)
        for index in range(2):
            masks = [None, np.tile(kept_second[index], (6, 1))]
            expected = network._forward(coefs, intercepts, X, masks)[-1]
            np.testing.assert_allclose(logits[index], expected, rtol=1e-12)


@pytest.mark.parametrize("output", list(OUTPUTS))
def test_data_loss_is_the_objective_without_penalty(output):
    network, theta, X, Y, rng = _problem("tanh", output)
    coefs, intercepts = network.unpack(theta)
    logits = network.logits(coefs, intercepts, X)
    before = logits.copy()
    weights = rng.uniform(0.5, 2.0, X.shape[0])
    grad = np.empty_like(theta)
    for sample_weight in (None, weights):
        loss, activations = network.data_loss(logits, Y, sample_weight)
        no_penalty = make_penalty(None, 0.0, 0.5)
        expected = network.loss_gradient(theta, X, Y, sample_weight, no_penalty, grad)
        assert loss == pytest.approx(expected, rel=1e-12)
        np.testing.assert_allclose(
            activations, network.predict(coefs, intercepts, X), rtol=1e-12
        )
        np.testing.assert_array_equal(logits, before)  # left as it was


def test_gradient_with_dropout_on_one_hidden_layer_only():
    network, theta, X, Y, _ = _problem("relu", "multiclass")
    masks = RowKeyedDropout([0.5, 1.0], [5, 4], seed=1).masks(row_keys(X), 0, float)
    assert masks[1] is None
    pen = make_penalty("l2", 0.1, 0.5)
    grad = np.empty_like(theta)

    def objective(params):
        return network.loss_gradient(params, X, Y, None, pen, grad, masks)

    expected = _numerical_gradient(objective, theta)
    objective(theta)
    assert np.linalg.norm(grad - expected) / np.linalg.norm(expected) < 1e-6


def test_each_hidden_layer_applies_its_own_activation():
    network = DenseNetwork([3, 4, 5, 2], ["elu", "softplus"], "identity", np.float64)
    coefs, intercepts = network.unpack(network.initial_params(np.random.RandomState(0)))
    X = np.random.default_rng(0).normal(size=(6, 3))
    first = X @ coefs[0] + intercepts[0]
    first = np.where(first > 0, first, np.expm1(first))
    second = np.log1p(np.exp(first @ coefs[1] + intercepts[1]))
    expected = second @ coefs[2] + intercepts[2]
    np.testing.assert_allclose(network.logits(coefs, intercepts, X), expected)
    kept = [np.ones((3, 4)), np.ones((3, 5))]
    passes = network.mc_logits(coefs, intercepts, X, 3, kept)
    np.testing.assert_allclose(passes, np.broadcast_to(expected, (3, 6, 2)))


def test_a_list_of_one_activation_trains_as_that_activation():
    network, theta, X, Y, _ = _problem("silu", "multiclass")
    listed = DenseNetwork(network.layer_sizes, ["silu"], "softmax", np.float64)
    pen = make_penalty("l2", 0.1, 0.5)
    grads = np.empty_like(theta), np.empty_like(theta)
    losses = [
        net.loss_gradient(theta, X, Y, None, pen, grad)
        for net, grad in zip((network, listed), grads)
    ]
    assert losses[0] == losses[1]
    np.testing.assert_array_equal(*grads)
    # One name per hidden layer, part of the engine's reuse key.
    assert listed.hidden_activations == network.hidden_activations == ("silu",) * 2
    start = network.initial_params(np.random.RandomState(3))
    np.testing.assert_array_equal(
        start, listed.initial_params(np.random.RandomState(3))
    )


def test_glorot_bound_follows_the_activation_each_layer_feeds():
    # Weights into a logistic layer are drawn within sqrt(2 / fans), the
    # others within sqrt(6 / fans); the output layer takes the last hidden one.
    network = DenseNetwork([50, 60, 70, 40], ["logistic", "relu"], "identity", "f8")
    coefs, _ = network.unpack(network.initial_params(np.random.RandomState(0)))
    for coef, factor in zip(coefs, [2.0, 6.0, 6.0]):
        bound = np.sqrt(factor / sum(coef.shape))
        assert np.abs(coef).max() <= bound
        assert np.abs(coef).max() > 0.99 * bound


@pytest.mark.parametrize("variance_power", [0.5, 1.0])
@pytest.mark.parametrize("dropout", [False, True])
def test_beta_nll_gradient_is_that_of_the_nll_weighted_by_frozen_variances(
    variance_power, dropout
):
    network, theta, X, Y, rng = _problem("gelu", "gaussian_nll")
    network.output_param = variance_power
    sample_weight = rng.uniform(0.2, 3.0, X.shape[0])
    masks = None
    if dropout:
        dropout = RowKeyedDropout([0.6, 0.8], [5, 4], 3)
        masks = dropout.masks(row_keys(X), epoch=0, dtype=np.float64)
    pen = make_penalty("elasticnet", alpha=0.3, l1_ratio=0.4)

    def outputs(params):
        coefs, intercepts = network.unpack(params)
        logits = network._forward(coefs, intercepts, X, masks)[-1]
        mean, raw = np.split(logits, 2, axis=1)
        return mean, np.logaddexp(0, raw) + 1e-6

    weight = outputs(theta)[1] ** variance_power  # held constant

    def frozen_objective(params):
        mean, variance = outputs(params)
        nll = 0.5 * (np.log(2 * np.pi * variance) + (Y - mean) ** 2 / variance)
        per_sample = (weight * nll).sum(axis=1)
        value = np.dot(per_sample, sample_weight) + pen.value(params[: network.n_coefs])
        return value / sample_weight.sum()

    grad = np.empty_like(theta)
    network.loss_gradient(theta, X, Y, sample_weight, pen, grad, masks)
    expected = _numerical_gradient(frozen_objective, theta)
    assert np.linalg.norm(grad - expected) / np.linalg.norm(expected) < 1e-6


@pytest.mark.parametrize("output", ["binary", "multiclass", "multilabel"])
@pytest.mark.parametrize("activation", ["relu", "selu", "mish"])
def test_gradient_with_label_smoothed_targets_matches_finite_differences(
    output, activation
):
    from skdense._targets import smooth_labels

    network, theta, X, Y, _ = _problem(activation, output)
    Y = smooth_labels(Y, 0.1, network.output)
    pen = make_penalty("l2", alpha=0.3, l1_ratio=0.4)
    grad = np.empty_like(theta)

    def objective(params):
        return network.loss_gradient(params, X, Y, None, pen, grad)

    expected = _numerical_gradient(objective, theta)
    objective(theta)
    assert np.linalg.norm(grad - expected) / np.linalg.norm(expected) < 1e-6
