"""The tabular networks' preprocessing: raw columns in, network inputs out.

Numeric columns are centred on their median, scaled by the inverse of their
inter-quartile range and smoothly clipped, ``x / sqrt(1 + (x / clip)**2)``,
as RealMLP does (Holzmüller et al., 2024), and may be piecewise-linearly
encoded on quantile bins as well (Gorishniy et al., 2022); categorical
columns are one-hot encoded. Missing values are kept, not refused: a missing
number becomes the median (0 after centring) and sets a 0/1 indicator column
of its own (one per numeric column that had missing values in training); a
missing or unseen category sets none of its column's one-hot units.
"""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import contextlib
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

_CATEGORICAL_KINDS = ("O", "U", "S", "b")  # object, str, bytes, bool


class TabularPreprocessor(TransformerMixin, BaseEstimator):
    """Robust scaling with smooth clipping, and one-hot encoding.

    Parameters
    ----------
    categorical_features : 'from_dtype', array-like of int, str or bool, or None, \
            default='from_dtype'
        Which columns are categorical. ``'from_dtype'``: the DataFrame columns
        of dtype ``category``, ``object``, ``string`` or ``bool`` (and, for an
        array of dtype object, the columns holding text); indices, names or a
        boolean mask as in HistGradientBoosting; None: none.
    numeric_scaling : {'robust', 'standard'}, default='robust'
        ``'robust'``: centre on the median, divide by the inter-quartile range
        (half the range where the quartiles agree) and clip smoothly;
        ``'standard'``: centre on the mean and divide by the standard
        deviation, as :class:`~sklearn.preprocessing.StandardScaler`.
    clip : float, default=3.0
        The smooth clipping's bound: robust-scaled values tend to ``±clip``.
    piecewise_linear_bins : int, default=0
        With ``n > 0``, each numeric column also gets a piecewise-linear
        encoding on (up to) ``n`` bins between its training quantiles
        ``q_0 < ... < q_n`` (Gorishniy et al., 2022): input ``t`` is ``(x -
        q_{t-1}) / (q_t - q_{t-1})`` clipped to [0, 1], so that a value
        sets the bins below it to 1, its own bin to its position in it, and
        the bins above to 0. Repeated quantiles merge their bins. 0: no
        encoding.
    dtype : {numpy.float64, numpy.float32}, default=numpy.float64
        Dtype of the output.

    Attributes
    ----------
    is_categorical_ : ndarray of bool of shape (n_features_in_,)
    median_, scale_ : ndarray of shape (n_numeric,)
        Per numeric column, its training centre (the median; the mean for
        ``'standard'``) and the factor applied after centring (0 for a column
        that is constant or all missing).
    categories_ : list of ndarray
        Per categorical column, its categories seen in training, sorted.
    has_missing_indicator_ : ndarray of bool of shape (n_numeric,)
        The numeric columns that had missing values in training.
    bin_edges_ : list of ndarray
        Per numeric column, the quantiles bounding its bins (fewer than two
        for a column that gets no encoding: constant, all missing, or
        ``piecewise_linear_bins=0``).
    n_features_in_, feature_names_in_
        As for every scikit-learn estimator.
    """

    _parameter_constraints = {
        "categorical_features": ["array-like", None, str],
        "numeric_scaling": [StrOptions({"robust", "standard"})],
        "clip": [Interval(Real, 0, None, closed="neither")],
        "piecewise_linear_bins": [Interval(Integral, 0, None, closed="left")],
        "dtype": [type],
    }

    def __init__(
        self,
        categorical_features="from_dtype",
        numeric_scaling="robust",
        clip=3.0,
        piecewise_linear_bins=0,
        dtype=np.float64,
    ):
        self.categorical_features = categorical_features
        self.numeric_scaling = numeric_scaling
        self.clip = clip
        self.piecewise_linear_bins = piecewise_linear_bins
        self.dtype = dtype

    def fit(self, X, y=None):
        """Learn the medians, scales and categories of ``X``'s columns."""
        self._validate_params()
        columns = self._columns(X, reset=True)
        self.is_categorical_ = self._categorical_mask(X, len(columns))
        numeric = _numeric_block(columns, ~self.is_categorical_)
        self.median_, self.scale_ = _SCALINGS[self.numeric_scaling](numeric)
        self.has_missing_indicator_ = np.isnan(numeric).any(axis=0)
        self.bin_edges_ = _bin_edges(numeric, self.piecewise_linear_bins)
        self.categories_ = [
            _categories(column, index)
            for index, column in _categorical_columns(columns, self.is_categorical_)
        ]
        return self

    def transform(self, X):
        """The network inputs of ``X``: scaled numbers, indicators, one-hots."""
        check_is_fitted(self)
        columns = self._columns(X, reset=False)
        numeric = _numeric_block(columns, ~self.is_categorical_)
        missing = np.isnan(numeric)
        scaled = (numeric - self.median_) * self.scale_
        if self.numeric_scaling == "robust":
            scaled /= np.sqrt(1 + np.square(scaled / self.clip))
        scaled[missing] = 0.0
        imputed = np.where(missing, self.median_, numeric)
        blocks = [
            scaled,
            missing[:, self.has_missing_indicator_],
            _piecewise_linear(imputed, self.bin_edges_),  # no columns without bins
        ]
        for (_, column), categories in zip(
            _categorical_columns(columns, self.is_categorical_), self.categories_
        ):
            blocks.append(_one_hot(column, categories))
        return np.hstack(blocks).astype(self.dtype)

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns."""
        check_is_fitted(self)
        names = np.asarray(
            getattr(self, "feature_names_in_", None)
            if input_features is None
            else input_features,
            dtype=object,
        )
        if names.ndim == 0:
            names = np.array([f"x{i}" for i in range(self.n_features_in_)], object)
        numeric = names[~self.is_categorical_]
        out = list(numeric) + [
            f"{name}_missing" for name in numeric[self.has_missing_indicator_]
        ]
        for name, edges in zip(numeric, self.bin_edges_):
            out += [f"{name}_bin{t}" for t in range(len(edges) - 1)]
        for name, categories in zip(names[self.is_categorical_], self.categories_):
            out += [f"{name}_{category}" for category in categories]
        return np.asarray(out, dtype=object)

    def _columns(self, X, reset):
        """``X``'s columns as 1-D arrays (names and count checked)."""
        if hasattr(X, "columns") and hasattr(X, "iloc"):  # a DataFrame
            validate_data(self, X, reset=reset, skip_check_array=True)
            if X.shape[0] < 1:
                raise ValueError(f"X has {X.shape[0]} rows; at least 1 is required.")
            return [X.iloc[:, i].to_numpy() for i in range(X.shape[1])]
        X = validate_data(self, X, reset=reset, dtype=None, ensure_all_finite=False)
        return list(X.T)

    def _categorical_mask(self, X, n_features):
        spec = self.categorical_features
        if isinstance(spec, str) and spec == "from_dtype":
            return np.array([_looks_categorical(X, i) for i in range(n_features)], bool)
        if isinstance(spec, str):
            raise ValueError(
                f"categorical_features must be 'from_dtype', None, or column "
                f"indices, names or a boolean mask; got {spec!r}."
            )
        mask = np.zeros(n_features, dtype=bool)
        if spec is None:
            return mask
        spec = np.asarray(spec)
        if spec.dtype.kind == "b":
            if spec.shape != (n_features,):
                raise ValueError(
                    f"categorical_features as a boolean mask needs one value per "
                    f"column ({n_features}); got shape {spec.shape}."
                )
            return spec.copy()
        for item in spec.ravel():
            mask[self._column_index(item, n_features)] = True
        return mask

    def _column_index(self, item, n_features):
        item = item.item() if isinstance(item, np.generic) else item
        if isinstance(item, Integral):
            if not -n_features <= item < n_features:
                raise ValueError(
                    f"categorical_features holds index {item}, outside the "
                    f"{n_features} columns of X."
                )
            return int(item)
        names = list(getattr(self, "feature_names_in_", []))
        if item not in names:
            raise ValueError(
                f"categorical_features names {item!r}, which is not a column of "
                "X (names need X to be a DataFrame)."
            )
        return names.index(item)


def _looks_categorical(X, index):
    if hasattr(X, "iloc"):
        dtype = X.dtypes.iloc[index]
        if str(dtype) in ("category", "string") or str(dtype).startswith("string"):
            return True
        return getattr(dtype, "kind", "O") in _CATEGORICAL_KINDS
    X = np.asarray(X)
    if X.dtype.kind in ("U", "S"):
        return True
    if X.dtype.kind != "O":
        return False
    return any(isinstance(value, (str, bytes)) for value in X[:, index])


def _numeric_block(columns, is_numeric):
    """The numeric columns as floats, missing values (None, NaN) as NaN."""
    picked = [column for column, keep in zip(columns, is_numeric) if keep]
    if not picked:
        return np.empty((len(columns[0]) if columns else 0, 0))
    block = np.empty((len(picked[0]), len(picked)))
    for j, column in enumerate(picked):
        try:
            block[:, j] = _as_float(column)
        except (TypeError, ValueError) as error:
            raise ValueError(
                f"X: column {j} is not categorical but holds values that are "
                f"not numbers ({error}); name it in categorical_features."
            ) from None
    if np.isinf(block).any():
        raise ValueError(
            "X holds infinite values; a missing value is NaN or None, and "
            "numbers must be finite."
        )
    return block


def _as_float(column):
    if column.dtype.kind == "O":
        column = np.array([np.nan if value is None else value for value in column])
    return np.asarray(column, dtype=np.float64)


def _robust_scaling(numeric):
    """Per column: median, and 1 / inter-quartile range (RealMLP's rule: half
    the range where the quartiles agree; 0 for a constant column)."""
    with _quiet_all_nan():
        median = np.nan_to_num(np.nanmedian(numeric, axis=0))
        spread = np.nanquantile(numeric, 0.75, axis=0) - np.nanquantile(
            numeric, 0.25, axis=0
        )
        half_range = 0.5 * (np.nanmax(numeric, axis=0) - np.nanmin(numeric, axis=0))
    spread = np.where(spread > 0, spread, np.nan_to_num(half_range))
    scale = np.divide(1.0, spread, out=np.zeros_like(spread), where=spread > 0)
    return median, scale


def _standard_scaling(numeric):
    """Per column: mean, and 1 / standard deviation (0 for a constant column)."""
    with _quiet_all_nan():
        mean = np.nan_to_num(np.nanmean(numeric, axis=0))
        std = np.nan_to_num(np.nanstd(numeric, axis=0))
    return mean, np.divide(1.0, std, out=np.zeros_like(std), where=std > 0)


_SCALINGS = {"robust": _robust_scaling, "standard": _standard_scaling}


def _bin_edges(numeric, n_bins):
    """Per column, its distinct quantiles at ``0, 1/n, ..., 1`` (none for
    ``n_bins=0`` or an all-missing column)."""
    if not n_bins:
        return [np.empty(0) for _ in range(numeric.shape[1])]
    levels = np.linspace(0, 1, n_bins + 1)
    with _quiet_all_nan():
        quantiles = np.nanquantile(numeric, levels, axis=0).T
    return [np.unique(q[np.isfinite(q)]) for q in quantiles]


def piecewise_linear_layout(bin_edges):
    """The piecewise-linear inputs as ``(column, low, width)`` arrays, one
    entry per bin: input ``t`` is ``clip((x[column] - low) / width, 0, 1)``."""
    columns = [np.full(len(e) - 1, j) for j, e in enumerate(bin_edges) if len(e) > 1]
    lows = [e[:-1] for e in bin_edges if len(e) > 1]
    widths = [np.diff(e) for e in bin_edges if len(e) > 1]
    if not columns:
        return np.empty(0, np.intp), np.empty(0), np.empty(0)
    return np.concatenate(columns), np.concatenate(lows), np.concatenate(widths)


def _piecewise_linear(numeric, bin_edges):
    columns, lows, widths = piecewise_linear_layout(bin_edges)
    return np.clip((numeric[:, columns] - lows) / widths, 0.0, 1.0)


@contextlib.contextmanager
def _quiet_all_nan():
    """Silence NumPy's warnings about all-NaN columns (their scale is 0)."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def _categorical_columns(columns, is_categorical):
    return [(i, column) for i, column in enumerate(columns) if is_categorical[i]]


def _is_missing(column):
    return np.array([_missing(value) for value in column], dtype=bool)


def _missing(value):
    if value is None or type(value).__name__ in ("NAType", "NaTType"):
        return True
    return isinstance(value, (float, np.floating)) and value != value


def _categories(column, index):
    values = column[~_is_missing(column)]
    try:
        return np.unique(values)
    except TypeError:
        raise ValueError(
            f"X: categorical column {index} mixes kinds of values (such as "
            "text and numbers) that cannot be sorted; give it one kind."
        ) from None


def _one_hot(column, categories):
    """One 0/1 column per category; a missing or unseen value sets none."""
    code_of = {category: code for code, category in enumerate(categories)}
    codes = np.array([code_of.get(value, -1) for value in column], dtype=np.intp)
    out = np.zeros((len(column), len(categories)))
    rows = np.flatnonzero(codes >= 0)
    out[rows, codes[rows]] = 1.0
    return out
