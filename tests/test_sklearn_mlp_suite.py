"""scikit-learn's own MLP test module, run against skdense.

The installed scikit-learn's ``sklearn/neural_network/tests/test_mlp.py`` is
read at test time (never copied here), its import of ``MLPClassifier`` and
``MLPRegressor`` is swapped for ``DenseNetClassifier`` and
``DenseNetRegressor``, and its tests are collected as ours. The deselected
tests are listed below, each with its reason, as scikit-learn-intelex keeps
its own list; a deliberate difference names its line in
``docs/coming_from_mlp.rst``, and a test below checks that the line says so.
"""

import importlib.util
import pathlib
import re
import types

import pytest

_SWAPPED_IMPORT = "from sklearn.neural_network import MLPClassifier, MLPRegressor"
_OUR_IMPORT = (
    "from skdense import DenseNetClassifier as MLPClassifier, "
    "DenseNetRegressor as MLPRegressor"
)
_DOCS = pathlib.Path(__file__).parents[1] / "docs" / "coming_from_mlp.rst"

#: test name -> reason. ``docs/coming_from_mlp.rst:N`` points at the line of
#: the documented difference.
DESELECTED = {
    "test_gradient": (
        "private API: calls MLP's _loss_grad_lbfgs; our gradients are checked "
        "by finite differences in tests/test_network.py"
    ),
    "test_nonfinite_params": (
        "deliberate: a diverging fit keeps its best finite weights and warns "
        "instead of raising, docs/coming_from_mlp.rst:148"
    ),
    "test_early_stopping_stratified": (
        "deliberate: the split error names the user's label 1, not MLP's "
        "indicator value 'True', docs/coming_from_mlp.rst:151"
    ),
}


def _load_test_module():
    spec = importlib.util.find_spec("sklearn.neural_network.tests.test_mlp")
    path = pathlib.Path(spec.origin)
    source = path.read_text()
    if _SWAPPED_IMPORT not in source:
        raise RuntimeError(
            f"{path} no longer imports the MLPs as {_SWAPPED_IMPORT!r}: update "
            "tests/test_sklearn_mlp_suite.py for this scikit-learn version."
        )
    module = types.ModuleType("sklearn_test_mlp_on_skdense")
    module.__file__ = str(path)
    code = compile(source.replace(_SWAPPED_IMPORT, _OUR_IMPORT), str(path), "exec")
    exec(code, module.__dict__)
    return module


_MODULE = _load_test_module()
_TESTS = sorted(name for name in vars(_MODULE) if name.startswith("test_"))
globals().update(
    {name: getattr(_MODULE, name) for name in _TESTS if name not in DESELECTED}
)


@pytest.fixture
def global_random_seed():
    """scikit-learn's fixture, at its default seed."""
    return 42


def test_every_deselected_test_exists_and_the_rest_is_collected():
    assert set(DESELECTED) <= set(_TESTS)
    collected = {name for name in globals() if name.startswith("test_")}
    assert set(_TESTS) - set(DESELECTED) <= collected


@pytest.mark.parametrize("name", sorted(DESELECTED))
def test_deselection_reasons_point_at_the_documented_difference(name):
    link = re.search(r"docs/coming_from_mlp\.rst:(\d+)", DESELECTED[name])
    if link is None:
        assert DESELECTED[name].startswith("private API")
        return
    line = _DOCS.read_text().splitlines()[int(link.group(1)) - 1]
    keyword = {
        "test_nonfinite_params": "diverging",
        "test_early_stopping_stratified": "stratify",
    }
    assert keyword[name] in line
