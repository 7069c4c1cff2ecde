"""What pyproject.toml declares: every import, and floors CI really tests."""

import ast
import pathlib
import re
import sys

import pytest
from packaging.version import Version

ROOT = pathlib.Path(__file__).parents[1]
# Import name -> distribution name, where they differ.
DISTRIBUTIONS = {"sklearn": "scikit-learn"}
STANDARD_LIBRARY = set(sys.stdlib_module_names)


def _dependencies():
    text = (ROOT / "pyproject.toml").read_text()
    block = re.search(r"^dependencies = \[(.*?)\]", text, re.S | re.M).group(1)
    return dict(re.findall(r'"([A-Za-z0-9_-]+)>=([0-9.]+)"', block))


def _imported_top_level_modules():
    names = set()
    for path in (ROOT / "skdense").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names.add(node.module.split(".")[0])
    return names - STANDARD_LIBRARY - {"skdense"}


# Imported only inside a function, or by an optional module, that says which
# extra to install.
OPTIONAL = {"matplotlib", "skops", "skl2onnx", "numba"}


def test_every_imported_package_is_declared():
    declared = set(_dependencies())
    for module in _imported_top_level_modules() - OPTIONAL:
        assert DISTRIBUTIONS.get(module, module) in declared, module


def test_ci_pins_the_declared_floors():
    pins = dict(
        re.findall(
            r"^([A-Za-z0-9_-]+)==([0-9.]+)$",
            (ROOT / ".ci" / "minimum-versions.txt").read_text(),
            re.M,
        )
    )
    floors = {name: Version(v) for name, v in _dependencies().items()}
    assert {name: Version(v) for name, v in pins.items()} == floors


@pytest.mark.parametrize("name", sorted(OPTIONAL))
def test_optional_imports_are_in_extras(name):
    text = (ROOT / "pyproject.toml").read_text()
    assert re.search(rf'^\w+ = \[[^\]]*"{name}>=', text, re.M | re.S)
