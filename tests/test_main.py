"""The demo behind ``python -m skdense``."""

import io
import subprocess
import sys

from skdense.__main__ import MODELS, run


def test_run_prints_one_row_per_model_and_dataset():
    out = io.StringIO()
    rows = run(quick=True, out=out)
    assert len(rows) == 2 * len(MODELS)
    text = out.getvalue()
    assert "zero weights" in text
    for row in rows:
        assert 0 <= row["test"] <= 1 and 0 <= row["train"] <= 1 and row["seconds"] > 0
    zeros = {row["model"]: row["zeros"] for row in rows}
    assert zeros["L1 (alpha=0.03)"] > zeros["L2 (alpha=1)"]


def test_module_runs_from_the_command_line():
    result = subprocess.run(
        [sys.executable, "-m", "skdense", "--quick"],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    assert result.stdout.count("\n") >= 2 * len(MODELS) + 3
