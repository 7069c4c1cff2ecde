"""Saving models: version checks on load, and the types skops must trust."""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import warnings

import numpy as np

from ._fit_state import STATE_ATTRIBUTES, FitState
from ._params import resolve_keep_probs

__all__ = ["SKOPS_TRUSTED_TYPES", "InconsistentVersionWarning"]

#: Types, besides those skops trusts by default, that a skdense model saved with
#: ``skops.io.dump`` contains: pass them as ``skops.io.load(path,
#: trusted=skdense.SKOPS_TRUSTED_TYPES)``. skops names a type by the module that
#: defines it, so moving one of these classes is a breaking change for files
#: saved before (tests/test_persistence.py guards the list).
SKOPS_TRUSTED_TYPES = [
    "skdense._classifier.DenseNetClassifier",
    "skdense._fit_state.FitState",
    "skdense._optimizers.AdamOptimizer",
    "skdense._optimizers.AdamWOptimizer",
    "skdense._optimizers.CosLogSchedule",
    "skdense._optimizers.CosineSchedule",
    "skdense._optimizers.SGDOptimizer",
    "skdense._parametrization.StepScales",
    "skdense._preprocessing.TabularPreprocessor",
    "skdense._regressor.DenseNetRegressor",
    "skdense._tabular.TabularNetClassifier",
    "skdense._tabular.TabularNetRegressor",
]


class InconsistentVersionWarning(UserWarning):
    """A model saved by one version of skdense is loaded by another.

    Parameters
    ----------
    estimator_name : str
        Class of the loaded estimator.
    original_version : str
        skdense version that saved it.
    current_version : str
        skdense version loading it.

    Examples
    --------
    >>> import pickle, warnings
    >>> from skdense import DenseNetClassifier, InconsistentVersionWarning
    >>> state = DenseNetClassifier().__getstate__()
    >>> state["_skdense_version"] = "0.0.1"
    >>> model = DenseNetClassifier.__new__(DenseNetClassifier)
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     model.__setstate__(state)
    >>> caught[0].category is InconsistentVersionWarning
    True
    >>> caught[0].message.original_version
    '0.0.1'
    """

    def __init__(self, *, estimator_name, original_version, current_version):
        self.estimator_name = estimator_name
        self.original_version = original_version
        self.current_version = current_version

    def __str__(self):
        return (
            f"Trying to load {self.estimator_name} from skdense version "
            f"{self.original_version} with version {self.current_version}. This "
            "might lead to breaking code or invalid results; refit the model with "
            "this version, or load it with the version that saved it."
        )


def check_version(state, estimator_name, current_version):
    """Warn when ``state`` was saved by another skdense version."""
    original = state.pop("_skdense_version", "unknown (before 0.1.0)")
    if original != current_version:
        warnings.warn(
            InconsistentVersionWarning(
                estimator_name=estimator_name,
                original_version=original,
                current_version=current_version,
            )
        )


def migrated_state(state, parameter_defaults):
    """A pickle's attributes in this version's places.

    ``parameter_defaults`` maps every constructor parameter to its default.
    A parameter added since the model was saved takes its default, which
    trains as that version did (every new parameter's default changes
    nothing); without it ``get_params``, ``clone`` and ``partial_fit`` fail.
    """
    state = dict(state)
    for name, default in parameter_defaults.items():
        state.setdefault(name, default)
    state = _state_of_0_1_in_0_2(state)
    gaussian = state.get("out_activation_") == "gaussian"
    if gaussian and "target_mean_" in state and "std_scale_" not in state:
        state["std_scale_"] = np.ones(len(state["target_mean_"]))  # uncalibrated
    return state


def _state_of_0_1_in_0_2(state):
    """A 0.1 pickle's attributes in 0.2's places: the loop state into a
    FitState, the training-time settings frozen from the parameters."""
    if "coefs_" not in state or "_fit_state" in state:
        return state
    fit_state = FitState()
    for attribute, name in STATE_ATTRIBUTES.items():
        if attribute in state:
            setattr(fit_state, name, state.pop(attribute))
    n_hidden = len(state["coefs_"]) - 1
    state["_fit_state"] = fit_state
    state["keep_probs_"] = resolve_keep_probs(state["keep_prob"], n_hidden)
    state["input_keep_prob_"] = float(state["input_keep_prob"])
    state["hidden_activation_"] = state["activation"]
    return state
