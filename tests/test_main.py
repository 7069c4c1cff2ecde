"""The demo behind ``python -m skdense``."""

import io
import re
import subprocess
import sys
import warnings

from sklearn.exceptions import ConvergenceWarning

from skdense import DenseNetClassifier
from skdense.__main__ import MODELS, _datasets, _network, _zero_fraction, run


def _without_times(table):
    """The table's rows without the fit-time column, which varies."""
    rows = [line for line in table.splitlines() if re.search(r"\d\.\d{3}\s", line)]
    return [re.sub(r"\s+\d+\.\d\d(\s+[\d.]+%)$", r"\1", row) for row in rows]


def test_each_row_is_the_fit_it_names():
    out = io.StringIO()
    rows = run(quick=True, out=out)
    datasets = _datasets(quick=True)
    assert [(row["dataset"], row["model"]) for row in rows] == [
        (data, model) for data in datasets for model in MODELS
    ]
    for row in rows[:: len(MODELS) - 1]:  # one model of each kind, both datasets
        X_train, X_test, y_train, y_test = datasets[row["dataset"]]
        model = DenseNetClassifier(
            random_state=0, **_network(True), **MODELS[row["model"]]
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X_train, y_train)
        assert row["train"] == model.score(X_train, y_train)
        assert row["test"] == model.score(X_test, y_test)
        assert row["zeros"] == _zero_fraction(model)
    printed = _without_times(out.getvalue())
    assert len(printed) == len(rows)
    for line, row in zip(printed, rows):
        assert line.startswith(row["dataset"]) and row["model"] in line
        assert f"{row['train']:.3f}" in line and f"{row['test']:.3f}" in line
    zeros = {row["model"]: row["zeros"] for row in rows}
    assert zeros["L1 (alpha=0.03)"] > 0.1 > zeros["L2 (alpha=1)"]


def test_module_prints_the_table_of_run():
    result = subprocess.run(
        [sys.executable, "-m", "skdense", "--quick"],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    expected = io.StringIO()
    run(quick=True, out=expected)
    assert _without_times(result.stdout) == _without_times(expected.getvalue())
    assert result.stdout.splitlines()[0] == expected.getvalue().splitlines()[0]
