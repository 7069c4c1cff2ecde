"""Training targets as class codes, expanded one batch at a time."""

import numpy as np
from sklearn.datasets import make_classification

from skdense import DenseNetClassifier
from skdense._targets import Targets, standardisation


def test_codes_expand_to_one_hot_rows():
    targets = Targets(np.array([2, 0, 1, 2]), 3)
    out = np.full((2, 3), 7.0)
    np.testing.assert_array_equal(
        targets.take(np.array([3, 1]), out), [[0, 0, 1], [1, 0, 0]]
    )
    np.testing.assert_array_equal(
        targets.take(slice(1, 3), out), [[1, 0, 0], [0, 1, 0]]
    )
    assert targets.dense(np.float32).dtype == np.float32
    np.testing.assert_array_equal(targets.dense(np.float64), np.eye(3)[[2, 0, 1, 2]])


def test_binary_codes_are_the_single_output_column():
    targets = Targets(np.array([1, 0, 1]), 1)
    np.testing.assert_array_equal(targets.dense(np.float64), [[1], [0], [1]])


def test_matrix_targets_are_copied_row_by_row():
    values = np.array([[True, False], [False, False], [True, True]])
    targets = Targets(values, 2)
    assert not targets.is_codes and len(targets) == 3
    out = np.empty((2, 2))
    np.testing.assert_array_equal(targets.take(np.array([2, 0]), out), [[1, 1], [1, 0]])
    subset = targets.subset(np.array([1, 2]))
    np.testing.assert_array_equal(subset.values, values[1:])
    assert subset.n_outputs == 2


def test_a_fit_holds_codes_not_a_one_hot_matrix():
    X, y = make_classification(
        n_samples=300, n_features=8, n_informative=6, n_classes=5, random_state=0
    )
    model = DenseNetClassifier((4,), max_iter=1, random_state=0)
    _, _, targets = model._validate_input(X, y, False, True, None)
    assert targets.values.shape == (300,) and targets.values.dtype.kind == "i"
    np.testing.assert_array_equal(model.classes_[targets.values], y)


def test_standardisation_is_weighted_and_in_float64():
    Y = np.array([[1.0, 5.0], [3.0, 5.0], [100.0, -7.0]], dtype=np.float32)
    weights = np.array([1.0, 3.0, 0.0])
    mean, scale = standardisation(Y, weights)
    assert mean.dtype == scale.dtype == np.float64
    # Column 0: weighted rows 1 and 3 (weights 1 and 3); column 1 is constant
    # among the rows that weigh, whatever the row of weight 0 holds.
    np.testing.assert_allclose(mean, [2.5, 5.0])
    np.testing.assert_allclose(scale, [np.sqrt(0.75), 1.0])


def test_a_constant_column_gets_its_value_and_a_scale_of_one_exactly():
    Y = np.full((200, 1), 3.7)
    mean, scale = standardisation(Y)
    assert mean.tolist() == [3.7] and scale.tolist() == [1.0]
    huge = np.array([[1e20], [-1e20]], dtype=np.float32)  # squares overflow float32
    np.testing.assert_allclose(standardisation(huge)[1], [1e20], rtol=1e-6)


def test_label_smoothing_of_softmax_and_logistic_targets():
    from skdense._targets import smooth_labels

    one_hot = np.eye(4)[[0, 3]]
    smoothed = smooth_labels(one_hot.copy(), 0.2, "softmax")
    np.testing.assert_allclose(smoothed[0], [0.85, 0.05, 0.05, 0.05])
    np.testing.assert_allclose(smoothed.sum(axis=1), 1.0)
    binary = smooth_labels(np.array([[1.0], [0.0]]), 0.2, "logistic")
    np.testing.assert_allclose(binary[:, 0], [0.9, 0.1])


def test_one_row_is_its_own_mean_with_a_scale_of_one():
    mean, scale = standardisation(np.array([[2.5, -1.0]]))
    assert mean.tolist() == [2.5, -1.0] and scale.tolist() == [1.0, 1.0]
