"""Test configuration shared by every test module."""

import copy
import importlib.util
import os

import numpy as np
import pytest

# scikit-learn's array-API estimator check runs (on NumPy) only with this set,
# and it must be set before SciPy is first imported.
os.environ.setdefault("SCIPY_ARRAY_API", "1")
# Figures are drawn off screen.
os.environ.setdefault("MPLBACKEND", "Agg")
# With the skdense[numba] extra installed, every fit of the suite, however
# small, trains on the fused kernels: CI's first environment tests that path
# and its minimum-versions environment, without numba, NumPy's.
if importlib.util.find_spec("numba") is not None:
    os.environ.setdefault("SKDENSE_KERNELS", "numba")


def _state_of(value):
    """What pickling keeps of ``value`` (an optimizer leaves out its scratch
    arrays)."""
    state = value.__getstate__()
    return state if isinstance(state, dict) else vars(value)


def _assert_same_state(before, after):
    assert before.keys() == after.keys()
    for name, value in before.items():
        if isinstance(value, np.random.RandomState):
            np.testing.assert_equal(value.get_state(), after[name].get_state(), name)
        elif isinstance(value, type):
            assert value is after[name], name
        elif hasattr(value, "__dict__"):  # optimizer, label binarizer, state
            _assert_same_state(_state_of(value), _state_of(after[name]))
        else:
            np.testing.assert_equal(value, after[name], err_msg=name)


@pytest.fixture
def unchanged_by():
    """``unchanged_by(model, call)``: run ``call``, which must raise, and check
    that it left every attribute of ``model`` exactly as it was."""

    def check(model, call, errors=(ValueError, TypeError), match=None):
        before = copy.deepcopy(model.__getstate__())
        with pytest.raises(errors, match=match):
            call(model)
        _assert_same_state(before, copy.deepcopy(model.__getstate__()))

    return check


@pytest.fixture
def same_state():
    """``same_state(before, after)``: assert two ``__getstate__`` copies equal."""
    return _assert_same_state
