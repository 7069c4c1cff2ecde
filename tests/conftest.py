"""Test configuration shared by every test module."""

import copy
import os

import numpy as np
import pytest

# scikit-learn's array-API estimator check runs (on NumPy) only with this set,
# and it must be set before SciPy is first imported.
os.environ.setdefault("SCIPY_ARRAY_API", "1")
# Figures are drawn off screen.
os.environ.setdefault("MPLBACKEND", "Agg")


def _assert_same_state(before, after):
    assert before.keys() == after.keys()
    for name, value in before.items():
        if isinstance(value, np.random.RandomState):
            np.testing.assert_equal(value.get_state(), after[name].get_state(), name)
        elif hasattr(value, "__dict__"):  # optimizer, label binarizer, state
            _assert_same_state(vars(value), vars(after[name]))
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
