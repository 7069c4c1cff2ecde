"""The benchmark scripts run on tiny sizes, so that they never rot."""

import importlib.util
import pathlib

import pytest

BENCHMARKS = pathlib.Path(__file__).parents[1] / "benchmarks"

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _load(name):
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_speed_benchmark_smoke(tmp_path, capsys):
    bench = _load("bench_speed")
    report = bench.main(["--quick", "--json", str(tmp_path / "report.json")])
    assert (tmp_path / "report.json").exists()
    assert report["seconds_per_epoch"]["skdense float32"] > 0
    assert "ratio" in capsys.readouterr().out


def test_activation_costs_smoke(capsys):
    report = _load("bench_speed").main(["--quick", "--activations"])
    assert set(report["activations"]) >= {"relu", "gelu", "softplus"}
    assert report["activations"]["relu"]["over_relu"] == 1.0
    assert "/ relu" in capsys.readouterr().out


def test_flop_count():
    bench = _load("bench_speed")
    # forward 2*n*(4*3 + 3*2), weight gradients the same, input gradient 2*n*3*2
    assert bench.flops_per_epoch(10, [4, 3, 2]) == 2 * 10 * 18 * 2 + 2 * 10 * 6


def test_mc_dropout_benchmark_smoke(capsys):
    _load("bench_mc_dropout").main(["--quick"])
    assert "speed-up" in capsys.readouterr().out


def test_onnx_benchmark_smoke(capsys):
    results = _load("bench_onnx").main(["--quick"])
    assert set(results) == {"DenseNetClassifier", "DenseNetRegressor"}
    for result in results.values():
        assert result["max_difference"] < 1e-5
        assert result["row_onnxruntime"] > 0 and result["rows_per_s_skdense"] > 0
    assert "1 row: skdense" in capsys.readouterr().out


def test_partial_fit_benchmark_smoke(capsys):
    _load("bench_partial_fit").main(["--repeats", "1", "--blocks", "3"])
    assert "us/call" in capsys.readouterr().out


def test_the_torch_comparison_says_how_to_get_torch(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(SystemExit, match=r"pip install torch==2\.13\.0"):
        _load("compare_torch").main(["--configs", "1"])
