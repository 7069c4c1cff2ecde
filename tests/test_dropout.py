"""Dropout masks: rates, scale, reproducibility, and their use in training."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_classification
from sklearn.neural_network import MLPClassifier

from skdense import DenseNetClassifier
from skdense._dropout import RowKeyedDropout, row_keys

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _masks(keep_probs=(0.7,), n_rows=2000, width=200, seed=0, epoch=0, X=None):
    if X is None:
        X = np.random.RandomState(seed).normal(size=(n_rows, 5))
    dropout = RowKeyedDropout(keep_probs, [width] * len(keep_probs), seed=seed)
    return dropout.masks(row_keys(X), epoch, np.float64)


@pytest.mark.parametrize("keep_prob", [0.2, 0.5, 0.8, 0.95])
def test_each_unit_is_kept_with_probability_keep_prob(keep_prob):
    (mask,) = _masks((keep_prob,))
    kept = mask > 0
    n = kept.size
    # Overall rate within 5 standard deviations of a Bernoulli(keep_prob) mean.
    assert abs(kept.mean() - keep_prob) < 5 * np.sqrt(keep_prob * (1 - keep_prob) / n)
    # Per unit and per row too, so no unit or row is favoured.
    per_unit_sd = np.sqrt(keep_prob * (1 - keep_prob) / kept.shape[0])
    assert np.abs(kept.mean(axis=0) - keep_prob).max() < 5 * per_unit_sd
    per_row_sd = np.sqrt(keep_prob * (1 - keep_prob) / kept.shape[1])
    assert np.abs(kept.mean(axis=1) - keep_prob).max() < 5.5 * per_row_sd


def test_units_and_epochs_are_independent():
    (first,) = _masks((0.5,), epoch=0)
    (second,) = _masks((0.5,), epoch=1)
    kept, kept_next = first > 0, second > 0
    unit_corr = np.corrcoef(kept[:, :50].T)[np.triu_indices(50, 1)]
    assert np.abs(unit_corr).max() < 0.12
    assert abs(np.corrcoef(kept.ravel(), kept_next.ravel())[0, 1]) < 0.01


@pytest.mark.parametrize("keep_prob", [0.3, 0.8])
def test_scale_keeps_the_expected_activation(keep_prob):
    (mask,) = _masks((keep_prob,))
    assert set(np.unique(mask)) == {0.0, 1.0 / keep_prob}
    activations = np.random.RandomState(3).uniform(0, 2, size=mask.shape)
    assert (activations * mask).mean() == pytest.approx(activations.mean(), rel=0.02)


def test_masks_are_reproducible_and_depend_on_seed_epoch_and_layer():
    np.testing.assert_array_equal(_masks(seed=1)[0], _masks(seed=1)[0])
    X = np.random.RandomState(0).normal(size=(300, 4))
    base = _masks((0.5, 0.5), X=X, seed=1)
    assert not np.array_equal(base[0], _masks((0.5, 0.5), X=X, seed=2)[0])
    assert not np.array_equal(base[0], _masks((0.5, 0.5), X=X, seed=1, epoch=1)[0])
    assert not np.array_equal(base[0], base[1])


def test_layers_with_keep_prob_one_get_no_mask():
    dropout = RowKeyedDropout([1.0, 0.5], [4, 4], seed=0)
    masks = dropout.masks(row_keys(np.eye(3)), 0, np.float32)
    assert masks[0] is None and masks[1].dtype == np.float32
    assert not RowKeyedDropout([1.0, 1.0], [4, 4], seed=0).active


def test_row_keys_depend_on_content_only():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(50, 6))
    X[rng.uniform(size=X.shape) < 0.5] = 0.0
    X[10] = X[3]
    keys = row_keys(X)
    assert keys[10] == keys[3]
    assert len(np.unique(keys)) == 49
    np.testing.assert_array_equal(keys[::-1], row_keys(X[::-1]))
    np.testing.assert_array_equal(keys, row_keys(sp.csr_matrix(X)))
    np.testing.assert_array_equal(keys, row_keys(sp.csc_matrix(X)))
    assert len(np.unique(row_keys(X.astype(np.float32)))) == 49


def _data():
    return make_classification(n_samples=120, n_features=6, random_state=0)


def test_keep_prob_one_is_exactly_the_no_dropout_model():
    X, y = _data()
    params = dict(hidden_layer_sizes=(8, 8), max_iter=15, random_state=0)
    ours = DenseNetClassifier(keep_prob=1.0, **params)
    per_layer = DenseNetClassifier(keep_prob=[1.0, 1.0], **params)
    mlp = MLPClassifier(**params)
    for model in (ours, per_layer, mlp):
        model.fit(X, y)
    for a, b, c in zip(ours.coefs_, per_layer.coefs_, mlp.coefs_):
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(b, c)


def test_predict_uses_no_dropout():
    X, y = _data()
    model = DenseNetClassifier((8,), keep_prob=0.5, max_iter=30, random_state=0)
    model.fit(X, y)
    W, b = model.coefs_, model.intercepts_
    logits = np.maximum(X @ W[0] + b[0], 0) @ W[1] + b[1]
    expected = 1 / (1 + np.exp(-logits.ravel()))
    np.testing.assert_allclose(model.predict_proba(X)[:, 1], expected, rtol=1e-10)


def test_dropout_fits_are_reproducible_with_random_state():
    X, y = _data()

    def fit(seed):
        model = DenseNetClassifier((8,), keep_prob=0.5, max_iter=10, random_state=seed)
        return model.fit(X, y).coefs_[0]

    np.testing.assert_array_equal(fit(0), fit(0))
    assert not np.array_equal(fit(0), fit(1))


def test_dropout_changes_training():
    X, y = _data()
    params = dict(hidden_layer_sizes=(8,), max_iter=10, random_state=0)
    plain = DenseNetClassifier(**params).fit(X, y)
    dropped = DenseNetClassifier(keep_prob=0.5, **params).fit(X, y)
    assert not np.allclose(plain.coefs_[0], dropped.coefs_[0])


@pytest.mark.parametrize("keeps", [dict(keep_prob=0.6), dict(input_keep_prob=0.7)])
def test_integer_sample_weight_equals_copies_under_dropout(keeps):
    X, y = _data()
    weights = np.random.RandomState(0).randint(0, 3, len(y))
    params = dict(
        **keeps,
        hidden_layer_sizes=(8,),
        max_iter=5,
        batch_size=500,
        random_state=0,
    )
    weighted = DenseNetClassifier(**params).fit(X, y, sample_weight=weights)
    copied = DenseNetClassifier(**params).fit(
        np.repeat(X, weights, axis=0), np.repeat(y, weights)
    )
    np.testing.assert_allclose(weighted.coefs_[0], copied.coefs_[0], rtol=1e-10)


def test_row_keys_read_negative_zero_as_zero():
    for dtype in (np.float64, np.float32):
        X = np.array([[-0.0, 1.5, 0.0], [0.0, 1.5, -0.0]], dtype=dtype)
        keys = row_keys(X)
        assert keys[0] == keys[1]
        assert keys[0] == row_keys(sp.csr_matrix(np.abs(X)))[0]


def test_row_keys_of_many_rows_are_computed_in_chunks_alike():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(2 * 4096 + 17, 3))
    keys = row_keys(X)
    pieces = [row_keys(X[start : start + 1000]) for start in range(0, len(X), 1000)]
    np.testing.assert_array_equal(keys, np.concatenate(pieces))
    np.testing.assert_array_equal(keys, row_keys(sp.csr_matrix(X)))
    assert len(np.unique(keys)) == len(X)


def _bit_rows(mask):
    return [int("".join("1" if kept else "0" for kept in row), 2) for row in mask > 0]


def test_keys_and_masks_are_the_same_from_release_to_release():
    """Pinned values: a change of hash changes every model trained with dropout
    and every Monte-Carlo prediction, so it must be deliberate."""
    X = np.array([[0.5, -1.25, 3.0], [0.0, 2.0, -0.5]])
    assert row_keys(X).tolist() == [0xD99BBBAFF1784CA4, 0xCAC7F39BAE18A310]
    # float32 rows key as the same values in float64 (all exact here).
    assert row_keys(X.astype(np.float32)).tolist() == row_keys(X).tolist()
    dropout = RowKeyedDropout([0.5, 1.0, 0.7], [16, 4, 8], seed=12345)
    keys = np.array([1, 2**63 + 5], dtype=np.uint64)
    first, middle, last = dropout.masks(keys, 3, np.float64)
    assert middle is None
    assert _bit_rows(first) == [0x4177, 0x3504] and first.max() == 2.0
    assert _bit_rows(last) == [0xFF, 0xAA] and last.max() == pytest.approx(1 / 0.7)
    # Monte-Carlo form: the same decisions, unscaled, pass after pass.
    kept = dropout.kept_units(keys, np.array([0, 3]), np.float32)
    assert kept[1] is None and kept[0].dtype == np.float32
    assert _bit_rows(kept[0][2:]) == [0x4177, 0x3504]
    assert kept[0].max() == 1.0
    np.testing.assert_array_equal(kept[2][2:] / 0.7 > 0, last > 0)


def _input_dropout(input_keep=0.6, n_features=40, seed=2):
    return RowKeyedDropout(
        [1.0], [5], seed, input_keep=input_keep, n_features=n_features
    )


def test_input_features_are_kept_with_probability_input_keep():
    X = np.random.RandomState(0).uniform(1, 2, size=(3000, 40))
    dropped = _input_dropout().drop_inputs(X, row_keys(X), 0)
    kept = dropped != 0
    rate = kept.mean(axis=0)
    assert np.abs(rate - 0.6).max() < 5 * np.sqrt(0.6 * 0.4 / 3000)
    np.testing.assert_allclose(dropped[kept], X[kept] / 0.6)
    unscaled = _input_dropout().drop_inputs(X, row_keys(X), 0, scale=False)
    np.testing.assert_array_equal(unscaled[kept], X[kept])
    np.testing.assert_array_equal(unscaled != 0, kept)


def test_input_masks_are_keyed_by_row_and_epoch_and_differ_from_hidden_masks():
    X = np.random.RandomState(1).uniform(1, 2, size=(50, 40))
    X[7] = X[3]
    dropout = _input_dropout()
    keys = row_keys(X)
    first = dropout.drop_inputs(X, keys, 0) != 0
    np.testing.assert_array_equal(first[7], first[3])
    assert not np.array_equal(first, dropout.drop_inputs(X, keys, 1) != 0)
    stacked = dropout.drop_inputs(X, keys, np.array([0, 1])) != 0
    np.testing.assert_array_equal(stacked[:50], first)
    hidden = RowKeyedDropout([0.6], [40], 2).masks(keys, 0, np.float64)[0] != 0
    assert not np.array_equal(first, hidden)
    assert dropout.active and not _input_dropout(input_keep=1.0).active


def test_sparse_inputs_stay_sparse_and_get_the_dense_masks():
    rng = np.random.RandomState(2)
    X = rng.uniform(1, 2, size=(60, 40)) * (rng.uniform(size=(60, 40)) < 0.3)
    dropout = _input_dropout()
    keys = row_keys(X)
    for epochs in (0, np.array([0, 4, 5])):
        dense = dropout.drop_inputs(X, keys, epochs)
        sparse = dropout.drop_inputs(sp.csr_matrix(X), keys, epochs)
        assert sp.issparse(sparse)
        np.testing.assert_array_equal(sparse.toarray(), dense)
        assert sparse.nnz == sp.csr_matrix(X).nnz * len(np.atleast_1d(epochs))


def test_input_masks_are_the_same_from_release_to_release():
    dropout = RowKeyedDropout([1.0], [4], 12345, input_keep=0.5, n_features=16)
    keys = np.array([1, 2**63 + 5], dtype=np.uint64)
    kept = dropout.kept_inputs(keys, 3, np.float32)
    assert kept.dtype == np.float32 and set(np.unique(kept)) == {0.0, 1.0}
    assert _bit_rows(kept) == [0x22BC, 0x33B2]
    X = np.ones((2, 16))
    np.testing.assert_array_equal(dropout.drop_inputs(X, keys, 3), kept * 2.0)
    assert (
        RowKeyedDropout([1.0], [4], 1, n_features=16).kept_inputs(keys, 0, float)
        is None
    )
