"""Every Python snippet of the documentation and the README is a complete
script that runs, as a newcomer would run it: saved to a file and started
with ``python``, in an empty folder, printing no warning."""

import os
import pathlib
import re
import subprocess
import sys
import textwrap

import pytest

ROOT = pathlib.Path(__file__).parents[1]
_RST_BLOCK = re.compile(r"^\.\. code-block:: python\n\n((?:(?:   .*)?\n)+)", re.M)
_MARKDOWN_BLOCK = re.compile(r"^```python\n(.*?)^```", re.M | re.S)


def snippets():
    """``(name, code)`` of every Python snippet, named by file and line."""
    found = []
    for path in sorted((ROOT / "docs").glob("*.rst")):
        text = path.read_text()
        for match in _RST_BLOCK.finditer(text):
            line = text[: match.start()].count("\n") + 1
            code = textwrap.dedent(match.group(1))
            found.append((f"{path.name}:{line}", code))
    readme = (ROOT / "README.md").read_text()
    for match in _MARKDOWN_BLOCK.finditer(readme):
        line = readme[: match.start()].count("\n") + 1
        found.append((f"README.md:{line}", match.group(1)))
    return found


SNIPPETS = snippets()


def test_the_snippets_are_found():
    names = {name.split(":")[0] for name, _ in SNIPPETS}
    assert {"README.md", "user_guide.rst", "scaling_out.rst", "onnx.rst"} <= names
    assert len(SNIPPETS) >= 10


@pytest.mark.parametrize("name, code", SNIPPETS, ids=[name for name, _ in SNIPPETS])
def test_snippet_runs_as_a_script(name, code, tmp_path):
    script = tmp_path / "snippet.py"
    script.write_text(code)
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONWARNINGS": "default"}
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Warning" not in result.stderr, result.stderr[-3000:]


def test_the_benchmarks_page_renders_every_committed_result(tmp_path):
    sys.path.insert(0, str(ROOT / "docs"))
    try:
        from _benchmark_tables import SECTIONS, write_tables
    finally:
        sys.path.remove(str(ROOT / "docs"))
    path = tmp_path / "tables.rst"
    write_tables(path)
    text = path.read_text()
    assert text.count("*Measured on 20") == len(SECTIONS)
    for dataset in ("Concrete", "Energy", "Wine red", "Yacht"):
        assert f"{dataset} (" in text
