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


def test_flop_count():
    bench = _load("bench_speed")
    # forward 2*n*(4*3 + 3*2), weight gradients the same, input gradient 2*n*3*2
    assert bench.flops_per_epoch(10, [4, 3, 2]) == 2 * 10 * 18 * 2 + 2 * 10 * 6


def test_mc_dropout_benchmark_smoke(capsys):
    _load("bench_mc_dropout").main(["--quick"])
    assert "speed-up" in capsys.readouterr().out
