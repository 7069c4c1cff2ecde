"""Every example script runs to the end as a plain script."""

import os
import pathlib
import subprocess
import sys

import pytest

from skdense._callbacks import CALLBACKS_AVAILABLE

ALL_EXAMPLES = sorted((pathlib.Path(__file__).parents[1] / "examples").glob("*.py"))
# scikit-learn's callbacks arrived in 1.9; the run at the minimum versions
# (scikit-learn 1.7) cannot import that example.
NEEDS_CALLBACKS = {"plot_callbacks.py"}
EXAMPLES = [
    path
    for path in ALL_EXAMPLES
    if CALLBACKS_AVAILABLE or path.name not in NEEDS_CALLBACKS
]


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda path: path.name)
def test_example_runs(script, tmp_path):
    env = {**os.environ, "MPLBACKEND": "Agg"}
    subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    if script.name == "plot_regularization.py":  # the seed's experiment saves it
        assert (tmp_path / "regularization.png").exists()


def test_there_are_examples():
    assert len(ALL_EXAMPLES) >= 10
    assert {path.name for path in ALL_EXAMPLES} >= NEEDS_CALLBACKS
