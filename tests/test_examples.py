"""Every example script runs to the end as a plain script."""

import os
import pathlib
import subprocess
import sys

import pytest

EXAMPLES = sorted((pathlib.Path(__file__).parents[1] / "examples").glob("*.py"))


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
    assert len(EXAMPLES) >= 7
