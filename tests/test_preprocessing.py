"""TabularPreprocessor: robust scaling with smooth clipping, one-hot encoding,
missing values kept."""

import numpy as np
import pandas as pd
import pytest
from sklearn.preprocessing import StandardScaler

from skdense._preprocessing import TabularPreprocessor


def _frame(rng, n=200):
    return pd.DataFrame(
        {
            "skewed": rng.exponential(size=n) ** 3,
            "colour": pd.Categorical(rng.choice(["red", "green", "blue"], n)),
            "city": rng.choice(["Oslo", "Lima"], n).astype(object),
            "flag": rng.integers(0, 2, n).astype(bool),
            "count": rng.integers(0, 5, n),
        }
    )


def test_numbers_are_centred_on_the_median_scaled_by_the_iqr_and_clipped():
    rng = np.random.default_rng(0)
    x = rng.standard_t(2, size=500) * 7 + 3
    out = TabularPreprocessor().fit_transform(x[:, None])[:, 0]
    q1, median, q3 = np.quantile(x, [0.25, 0.5, 0.75])
    z = (x - median) / (q3 - q1)
    np.testing.assert_allclose(out, z / np.sqrt(1 + (z / 3) ** 2), rtol=1e-12)
    assert np.abs(out).max() < 3  # the clipping's bound


def test_a_column_whose_quartiles_agree_takes_half_its_range_and_a_constant_zero():
    x = np.array([0.0] * 10 + [4.0, -4.0])
    constant = np.full(12, 5.0)
    missing = np.full(12, np.nan)
    pre = TabularPreprocessor().fit(np.c_[x, constant, missing])
    np.testing.assert_array_equal(pre.scale_, [1 / 4, 0.0, 0.0])
    out = pre.transform(np.c_[x, constant, missing])
    assert not out[:, 1].any() and not out[:, 2].any()
    assert np.isfinite(out).all()


def test_standard_scaling_is_standard_scalers():
    X = np.random.default_rng(1).normal(3, 5, size=(50, 3))
    out = TabularPreprocessor(numeric_scaling="standard").fit_transform(X)
    np.testing.assert_allclose(out, StandardScaler().fit_transform(X), atol=1e-12)


def test_from_dtype_one_hot_encodes_category_object_and_bool_columns():
    rng = np.random.default_rng(2)
    X = _frame(rng)
    pre = TabularPreprocessor().fit(X)
    np.testing.assert_array_equal(pre.is_categorical_, [False, True, True, True, False])
    out = pre.transform(X)
    names = list(pre.get_feature_names_out())
    assert names[:2] == ["skewed", "count"]
    assert names[2:] == [
        "colour_blue",
        "colour_green",
        "colour_red",
        "city_Lima",
        "city_Oslo",
        "flag_False",
        "flag_True",
    ]
    assert out.shape == (len(X), 9)
    np.testing.assert_array_equal(out[:, 2:5].argmax(1), X["colour"].cat.codes)
    np.testing.assert_array_equal(out[:, 2:].sum(1), 3)  # one unit per column


@pytest.mark.parametrize(
    "spec", [[1, 2, 3], ["colour", "city", "flag"], [False, True, True, True, False]]
)
def test_categorical_columns_by_index_name_or_mask(spec):
    X = _frame(np.random.default_rng(3))
    pre = TabularPreprocessor(categorical_features=spec).fit(X)
    np.testing.assert_array_equal(pre.is_categorical_, [False, True, True, True, False])


def test_a_numeric_column_named_categorical_is_one_hot_encoded():
    X = np.array([[1.0, 0.5], [2.0, 0.1], [1.0, 0.3], [3.0, 0.2]])
    out = TabularPreprocessor(categorical_features=[0]).fit_transform(X)
    np.testing.assert_array_equal(out[:, 1:], np.eye(3)[[0, 1, 0, 2]])


def test_piecewise_linear_encoding_on_quantile_bins():
    x = np.arange(9.0)  # quantiles at 0, 2, 4, 6, 8 for four bins
    pre = TabularPreprocessor(piecewise_linear_bins=4).fit(x[:, None])
    np.testing.assert_array_equal(pre.bin_edges_[0], [0, 2, 4, 6, 8])
    out = pre.transform(np.array([[-1.0], [0.0], [3.0], [6.5], [8.0], [20.0]]))
    bins = out[:, 1:]
    np.testing.assert_array_equal(
        bins,
        [
            [0, 0, 0, 0],  # below the first quantile: clipped to 0
            [0, 0, 0, 0],
            [1, 0.5, 0, 0],  # halfway through the second bin
            [1, 1, 1, 0.25],
            [1, 1, 1, 1],
            [1, 1, 1, 1],  # above the last: clipped to 1
        ],
    )
    assert list(pre.get_feature_names_out()) == ["x0"] + [
        f"x0_bin{t}" for t in range(4)
    ]


def test_piecewise_linear_bins_merge_repeated_quantiles_and_skip_constants():
    X = np.c_[[0.0] * 8 + [1.0, 2.0], np.full(10, 3.0), np.full(10, np.nan)]
    pre = TabularPreprocessor(piecewise_linear_bins=5).fit(X)
    # quantiles 0, 0, 0, 0, 0.2, 2 (linear interpolation): two bins left
    np.testing.assert_allclose(pre.bin_edges_[0], [0.0, 0.2, 2.0])
    assert len(pre.bin_edges_[1]) == 1 and len(pre.bin_edges_[2]) == 0
    out = pre.transform(X)
    assert out.shape == (10, 3 + 1 + 2)  # three scaled, an indicator, two bins
    assert np.isfinite(out).all()


def test_a_missing_number_is_encoded_as_the_centre():
    X = np.c_[np.arange(10.0)]
    X[3] = np.nan
    pre = TabularPreprocessor(piecewise_linear_bins=3).fit(X)
    median = np.nanmedian(X)
    encoded = pre.transform(np.array([[np.nan], [median]]))
    np.testing.assert_array_equal(encoded[0, 2:], encoded[1, 2:])
    assert encoded[0, 1] == 1 and encoded[1, 1] == 0  # only the indicator differs


def test_missing_numbers_become_the_median_with_an_indicator():
    X = np.array([[1.0, 5.0], [np.nan, 6.0], [3.0, 7.0], [4.0, 8.0]])
    pre = TabularPreprocessor().fit(X)
    np.testing.assert_array_equal(pre.has_missing_indicator_, [True, False])
    out = pre.transform(X)
    assert out[1, 0] == 0.0 and out.shape == (4, 3)
    np.testing.assert_array_equal(out[:, 2], [0, 1, 0, 0])
    # a column without missing values in training gets no indicator, but a
    # missing value there still becomes its median
    later = pre.transform(np.array([[2.0, np.nan]]))
    assert later[0, 1] == 0.0 and later.shape == (1, 3)


def test_a_missing_or_unseen_category_sets_no_unit():
    X = pd.DataFrame({"c": ["a", "b", None, "a"], "n": [1.0, 2.0, 3.0, 4.0]})
    pre = TabularPreprocessor().fit(X)
    assert list(pre.categories_[0]) == ["a", "b"]
    out = pre.transform(pd.DataFrame({"c": ["b", "zebra", None, np.nan], "n": 1.0}))
    np.testing.assert_array_equal(out[:, 1:], [[0, 1], [0, 0], [0, 0], [0, 0]])


def test_an_object_array_treats_its_text_columns_as_categorical():
    X = np.array([["x", 1.5], ["y", 2.5], ["x", None]], dtype=object)
    pre = TabularPreprocessor().fit(X)
    np.testing.assert_array_equal(pre.is_categorical_, [True, False])
    assert pre.transform(X).shape == (3, 4)  # number, indicator, two categories


@pytest.mark.parametrize(
    "spec, match",
    [
        ("some", "categorical_features must be 'from_dtype'"),
        ([7], "index 7, outside the 2 columns"),
        (["nope"], "names 'nope', which is not a column"),
        ([True], "one value per column"),
    ],
)
def test_a_bad_categorical_specification_is_refused(spec, match):
    X = pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]})
    with pytest.raises(ValueError, match=match):
        TabularPreprocessor(categorical_features=spec).fit(X)


def test_text_in_a_numeric_column_and_infinities_are_refused():
    X = pd.DataFrame({"a": [1.0, 2.0], "b": ["3", "x"]})
    with pytest.raises(ValueError, match="name it in categorical_features"):
        TabularPreprocessor(categorical_features=None).fit(X)
    with pytest.raises(ValueError, match="infinite"):
        TabularPreprocessor().fit(np.array([[1.0], [np.inf]]))


@pytest.mark.filterwarnings("ignore:X does not have valid feature names")
def test_columns_are_checked_against_the_fit():
    X = _frame(np.random.default_rng(4))
    pre = TabularPreprocessor().fit(X)
    with pytest.raises(ValueError, match="feature names"):
        pre.transform(X[X.columns[::-1]])
    with pytest.raises(ValueError, match="features"):
        pre.transform(X.iloc[:, :3].to_numpy())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_output_dtype(dtype):
    out = TabularPreprocessor(dtype=dtype).fit_transform(np.ones((3, 2)))
    assert out.dtype == dtype
