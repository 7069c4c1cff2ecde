"""Validation of the data arguments that scikit-learn does not check for us."""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import contextlib

import numpy as np
from sklearn.utils.validation import check_is_fitted, validate_data

X_FORMATS = dict(accept_sparse=["csr", "csc"], dtype=(np.float64, np.float32))


@contextlib.contextmanager
def errors_name(argument):
    """Prefix validation errors with the argument they are about."""
    try:
        yield
    except ValueError as error:
        raise ValueError(f"{argument}: {error}") from error
    except TypeError as error:
        raise TypeError(f"{argument}: {error}") from error


def check_sample_weight(sample_weight, n_samples, dtype):
    """Validate ``sample_weight``: 1-D, one finite value >= 0 per sample, not all 0.

    Returns None when ``sample_weight`` is None.
    """
    if sample_weight is None:
        return None
    try:
        weights = np.asarray(sample_weight, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"sample_weight must be an array of numbers; got {sample_weight!r}."
        ) from exc
    if weights.ndim == 0:
        weights = np.full(n_samples, weights, dtype=dtype)
    if weights.shape != (n_samples,):
        raise ValueError(
            f"sample_weight must have shape ({n_samples},), one weight per sample; "
            f"got shape {weights.shape}."
        )
    if not np.isfinite(weights).all():
        raise ValueError("sample_weight must be finite; got NaN or infinite values.")
    if (weights < 0).any():
        raise ValueError(
            f"sample_weight must be >= 0; got negative values such as "
            f"{weights[weights < 0][0]!r}."
        )
    if not weights.any():
        raise ValueError("sample_weight must not be all zero: no sample has weight.")
    return weights


def validate_X(estimator, X):
    """``X`` validated for prediction by the fitted ``estimator``."""
    check_is_fitted(estimator)
    with errors_name("X"):
        return validate_data(estimator, X, reset=False, **X_FORMATS)


def validate_X_y(estimator, X, y, reset, **y_options):
    """``X`` and ``y`` validated for a fit, errors naming the argument at fault."""
    try:
        return validate_data(estimator, X, y, reset=reset, **X_FORMATS, **y_options)
    except (ValueError, TypeError) as error:
        with errors_name("X"):  # raises if X alone is at fault
            validate_data(estimator, X, reset=reset, **X_FORMATS)
        with errors_name("y"):
            raise error from None
