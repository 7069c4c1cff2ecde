"""Prediction in row chunks and Monte-Carlo dropout keyed by row content."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_digits, make_regression

import skdense._inference as inference
from skdense import DenseNetClassifier, DenseNetRegressor
from skdense._dropout import RowKeyedDropout
from skdense._losses import OUTPUTS
from skdense._network import DenseNetwork

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

SUBSETS = [(0, 1), (3, 4), (1, 3), (5, 17), (0, 9), (100, 400), (499, 500), (0, 500)]


def assert_equal_to_rounding(ours, theirs):
    """Equal to a few units in the last place of the values' scale.

    The masks never depend on the other rows; a BLAS may still round a row's
    product differently at a block's edge (one ulp, seen on another 2-core
    machine in 4 of 40 comparisons).
    """
    eps = np.finfo(np.asarray(theirs).dtype).eps
    scale = max(1.0, float(np.abs(theirs).max(initial=0.0)))
    np.testing.assert_allclose(ours, theirs, rtol=4 * eps, atol=4 * eps * scale)


@pytest.fixture(scope="module")
def regression():
    X, y = make_regression(n_samples=500, n_features=7, n_targets=2, random_state=0)
    model = DenseNetRegressor(
        hidden_layer_sizes=(32, 16), keep_prob=[0.8, 0.6], max_iter=5, random_state=0
    )
    return model.fit(X, y / y.std()), X


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("layout", ["C", "F", "csr"])
def test_a_rows_prediction_depends_on_that_row_alone(regression, dtype, layout):
    model, X = regression
    X = X.astype(dtype)
    X = sp.csr_matrix(X) if layout == "csr" else np.asarray(X, order=layout)
    mean, std = model.predict(X, return_std=True)
    for start, stop in SUBSETS:
        sub_mean, sub_std = model.predict(X[start:stop], return_std=True)
        assert_equal_to_rounding(sub_mean, mean[start:stop])
        assert_equal_to_rounding(sub_std, std[start:stop])


def test_row_order_and_chunk_size_do_not_change_a_rows_result(regression, monkeypatch):
    model, X = regression
    mean, std = model.predict(X, return_std=True)
    order = np.random.default_rng(0).permutation(len(X))
    shuffled = model.predict(X[order], return_std=True)
    assert_equal_to_rounding(shuffled[0], mean[order])
    assert_equal_to_rounding(shuffled[1], std[order])
    # Other chunks draw the same masks; only the rounding of the product may
    # differ, since BLAS sums a product of another shape in another order.
    monkeypatch.setattr(inference, "_MC_MIN_CHUNK_ROWS", 3)
    monkeypatch.setattr(inference, "_MC_CHUNK_ELEMENTS", 1)
    rechunked = model.predict(X, return_std=True)
    np.testing.assert_allclose(rechunked[0], mean, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(rechunked[1], std, rtol=1e-10, atol=1e-12)


def test_classifier_probabilities_depend_on_each_row_alone():
    X, y = load_digits(return_X_y=True)
    model = DenseNetClassifier(
        (32,), keep_prob=0.7, max_iter=3, mc_samples=30, random_state=0
    ).fit(X, y)
    proba, std = model.predict_proba(X[:300], return_std=True)
    for start, stop in [(0, 1), (7, 9), (100, 300)]:
        sub = model.predict_proba(X[start:stop], return_std=True)
        assert_equal_to_rounding(sub[0], proba[start:stop])
        assert_equal_to_rounding(sub[1], std[start:stop])


def test_equal_rows_get_equal_passes_wherever_they_stand(regression):
    model, X = regression
    stacked = np.vstack([X[:3], X[:3], X[:3]])
    mean, std = model.predict(stacked, return_std=True)
    assert_equal_to_rounding(mean[:3], mean[3:6])
    assert_equal_to_rounding(std[6:], std[:3])


@pytest.mark.parametrize("activation", ["tanh", ["gelu", "softplus"]])
@pytest.mark.parametrize("input_keep", [1.0, 0.6])
def test_a_pass_is_one_network_drawn_with_its_masks(input_keep, activation):
    """Each pass drops the same units for every row: one pass computed by hand."""
    rng = np.random.default_rng(0)
    network = DenseNetwork([4, 6, 5, 2], activation, "identity", np.float64)
    coefs, intercepts = network.unpack(network.initial_params(np.random.RandomState(0)))
    X = rng.normal(size=(3, 4))
    keep_probs, seed, n_passes = [0.5, 0.8], 7, 4
    monte_carlo = inference.MonteCarlo(
        network, coefs, intercepts, keep_probs, input_keep, n_passes, seed, lambda z: z
    )
    samples = monte_carlo.samples(X, 2)
    assert samples.shape == (3, 2, 4)
    dropout = RowKeyedDropout(keep_probs, [6, 5], seed, input_keep, n_features=4)
    pass_key = np.zeros(1, dtype=np.uint64)
    for index in range(n_passes):
        masks = [np.repeat(m, 3, axis=0) for m in dropout.masks(pass_key, index, float)]
        inputs = X
        if input_keep < 1:
            kept = dropout.kept_inputs(pass_key, np.array([index]), float)
            inputs = X * kept / input_keep
        expected = network._forward(coefs, intercepts, inputs, masks)[-1]
        np.testing.assert_allclose(samples[:, :, index], expected, rtol=1e-12)
    assert len({samples[:, 0, i].tobytes() for i in range(n_passes)}) == n_passes


def test_sparse_inputs_are_dropped_as_dense_ones():
    X = np.random.default_rng(1).uniform(size=(7, 5))
    X[X < 0.5] = 0
    kept = (np.random.default_rng(2).uniform(size=(3, 5)) < 0.6).astype(float)
    dense = inference._stack_dropped_inputs(X, kept)
    sparse = inference._stack_dropped_inputs(sp.csr_matrix(X), kept)
    assert dense.shape == (21, 5) and sp.issparse(sparse)
    np.testing.assert_array_equal(sparse.toarray(), dense)
    np.testing.assert_array_equal(dense[7:14], X * kept[1])


def test_monte_carlo_seed():
    assert inference.monte_carlo_seed(3) == inference.monte_carlo_seed(3)
    assert inference.monte_carlo_seed(3) != inference.monte_carlo_seed(4)
    assert inference.monte_carlo_seed(None) != inference.monte_carlo_seed(None)
    state = np.random.RandomState(5)
    before = state.get_state()[1].copy()
    assert inference.monte_carlo_seed(state) == inference.monte_carlo_seed(state)
    np.testing.assert_array_equal(state.get_state()[1], before)


def test_chunk_rows_bound_the_stacked_activations():
    coefs = [np.zeros((3, 256)), np.zeros((256, 64)), np.zeros((64, 1))]
    previous = None
    for n_passes in (1, 2, 10, 100, 1000, 10**6):
        rows = inference.monte_carlo_chunk_rows(n_passes, coefs)
        # A chunk's widest stacked layer holds at most 2**17 values (512 KiB
        # in float32), unless that leaves fewer than 8 rows per chunk.
        assert rows >= 8
        assert rows * n_passes * 256 <= 2**17 or rows == 8
        assert rows * n_passes * 256 > 2**17 - n_passes * 256 or rows == 8
        assert previous is None or rows <= previous
        previous = rows


def test_predict_in_chunks_equals_one_pass(monkeypatch):
    network = DenseNetwork([3, 8, 2], "relu", "softmax", np.float64)
    coefs, intercepts = network.unpack(network.initial_params(np.random.RandomState(1)))
    X = np.random.default_rng(0).normal(size=(25, 3))
    whole = network.predict(coefs, intercepts, X)
    monkeypatch.setattr(inference, "PREDICT_CHUNK", 4)

    def softmax(logits):
        OUTPUTS["softmax"].activate(logits)
        return logits

    chunked = inference.predict_in_chunks(network, coefs, intercepts, X, softmax, 2)
    np.testing.assert_allclose(chunked, whole, rtol=1e-14)


def test_padding_keeps_rows_and_layout():
    rows = np.asfortranarray(np.arange(6.0).reshape(2, 3))
    block = inference._padded(rows, 4, np.float32)
    assert block.flags.c_contiguous and block.dtype == np.float32
    np.testing.assert_array_equal(block, [[0, 1, 2], [3, 4, 5], [0, 0, 0], [0, 0, 0]])
    sparse = inference._padded(sp.csr_matrix(rows), 4, np.float64)
    np.testing.assert_array_equal(sparse.toarray(), block)
