"""Validation of the data arguments that scikit-learn does not check for us."""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import contextlib

import numpy as np
from sklearn.metrics import check_scoring
from sklearn.utils.validation import (
    check_consistent_length,
    check_is_fitted,
    validate_data,
)

X_FORMATS = dict(accept_sparse=["csr", "csc"], dtype=(np.float64, np.float32))


@contextlib.contextmanager
def errors_name(argument):
    """Prefix validation errors with the argument they are about (unless
    they name it already)."""
    try:
        yield
    except (ValueError, TypeError) as error:
        if str(error).startswith(f"{argument}: "):
            raise
        raise type(error)(f"{argument}: {error}") from error


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
    tiny = np.finfo(weights.dtype).tiny
    subnormal = weights[(weights > 0) & (weights < tiny)]
    if len(subnormal):
        raise ValueError(
            f"sample_weight has values in (0, {tiny:g}), below the smallest normal "
            f"{weights.dtype} number, such as {subnormal[0]!r}: "
            "the penalty is divided by the sum of the weights, which would "
            "overflow. Scale the weights up (only their ratios and the penalty's "
            "size relative to their sum matter)."
        )
    return weights


def check_keep_probs_invertible(keep_probs, input_keep, dtype):
    """Refuse keep probabilities whose inverse (dropout's scale) is not finite
    in ``dtype``."""
    largest = np.finfo(dtype).max
    for name, keep in [("keep_prob", p) for p in keep_probs] + [
        ("input_keep_prob", input_keep)
    ]:
        if keep * largest < 1:
            raise ValueError(
                f"{name}={keep!r} is too small for {np.dtype(dtype)} data: "
                f"dropout scales kept units by 1 / {name}, which overflows. Use "
                f"a {name} above {1 / largest:g}."
            )


def check_scoring_name(estimator, scoring, early_stopping):
    """Refuse a ``scoring`` that scikit-learn does not know, before training."""
    if early_stopping and isinstance(scoring, str) and scoring != "loss":
        try:
            check_scoring(estimator, scoring=scoring)
        except ValueError as error:
            raise ValueError(
                f"scoring={scoring!r} is neither 'loss' nor a scorer name "
                f"scikit-learn knows: {error}"
            ) from None


def validate_X(estimator, X):
    """``X`` validated for prediction by the fitted ``estimator``."""
    check_is_fitted(estimator)
    with errors_name("X"):
        return estimator._validate_features(X, reset=False)


def validate_X_y(estimator, X, y, reset, **y_options):
    """``X`` and ``y`` validated for a fit, errors naming the argument at fault."""
    try:
        return validate_data(estimator, X, y, reset=reset, **X_FORMATS, **y_options)
    except (ValueError, TypeError) as error:
        with errors_name("X"):  # raises if X alone is at fault
            validate_data(estimator, X, reset=reset, **X_FORMATS)
        with errors_name("y"):
            raise error from None


def check_validation_arguments(X_val, y_val, early_stopping, solver):
    """Refuse half a validation set, or one that no early stopping would use."""
    if X_val is None or y_val is None:
        given, missing = ("X_val", "y_val") if y_val is None else ("y_val", "X_val")
        raise ValueError(
            f"{given} is passed to fit without {missing}: pass both, or neither."
        )
    if not early_stopping or solver == "lbfgs":
        raise ValueError(
            "X_val and y_val are passed to fit, but no early stopping would use "
            f"them (early_stopping={early_stopping!r}, solver={solver!r}). Set "
            "early_stopping=True with solver='adam' or 'sgd', as "
            "HistGradientBoosting requires."
        )


def validate_held_out_X(estimator, X_val, dtype):
    """``X_val`` validated against the fitted features, in the training dtype."""
    with errors_name("X_val"):
        X_val = estimator._validate_features(X_val, reset=False)
    X_val = X_val.astype(dtype, copy=False)
    return X_val.tocsr() if hasattr(X_val, "tocsr") else X_val


def held_out_set(estimator, held_out, data):
    """The user's ``(X_val, y_val, sample_weight_val)`` as a ValidationSet, or
    None when none of the three is given; ``data`` is the TrainingSet."""
    from ._training import ValidationSet

    if held_out is None or all(part is None for part in held_out):
        return None
    X_val, y_val, sample_weight_val = held_out
    check_validation_arguments(X_val, y_val, estimator.early_stopping, estimator.solver)
    dtype = data.X.dtype
    X_val = validate_held_out_X(estimator, X_val, dtype)
    y_val, Y_val = estimator._validation_targets(y_val, dtype, data.targets)
    with errors_name("y_val"):
        check_consistent_length(X_val, y_val)
    with errors_name("sample_weight_val"):
        weights = check_sample_weight(sample_weight_val, X_val.shape[0], dtype)
    return ValidationSet(X_val, y_val, Y_val, weights)
