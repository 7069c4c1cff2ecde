"""The benchmark scripts run on tiny sizes, so that they never rot."""

import importlib.util
import json
import pathlib
import sys

import numpy as np
import pytest

from skdense import _kernels

BENCHMARKS = pathlib.Path(__file__).parents[1] / "benchmarks"

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _load(name):
    if str(BENCHMARKS) not in sys.path:  # the scripts import _report beside them
        sys.path.insert(0, str(BENCHMARKS))
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_speed_benchmark_smoke(tmp_path, capsys):
    bench = _load("bench_speed")
    report = bench.main(["--quick", "--json", str(tmp_path / "report.json")])
    assert (tmp_path / "report.json").exists()
    for entry in report["by_threads"].values():
        assert entry["seconds_per_epoch"]["skdense float32"] > 0
        assert entry["share_of_floor"]["skdense float32"] > 0
        assert set(entry["floor_seconds"]) == {"float32", "float64"}
    numba = _kernels.numba_installed() and _kernels.kernel_choice() != "numpy"
    kernels = "numba (fused)" if numba else "numpy"
    assert "1" in report["by_threads"] and report["kernels"] == kernels
    assert "floor" in capsys.readouterr().out


@pytest.mark.skipif(not _kernels.numba_installed(), reason="needs skdense[numba]")
def test_kernels_benchmark_smoke(tmp_path, capsys):
    bench = _load("bench_kernels")
    report = bench.main(["--quick", "--json", str(tmp_path / "report.json")])
    assert json.loads((tmp_path / "report.json").read_text())["kernels"]
    assert set(report["end_to_end"]) == set(bench.CONFIGS)
    for entry in report["kernels"].values():
        assert entry["numpy_seconds"] > 0 and entry["numba_seconds"] > 0
    fresh = report["loading"]["fresh_process"]
    assert set(fresh) == {"numpy", "numba, cold cache", "numba, cached"}
    assert report["loading"]["loky_worker"]["numba"] > 0
    assert report["threshold"]["pays_back_from_work"] != 0
    assert "pays back from" in capsys.readouterr().out


def test_the_floor_times_eight_products_per_batch(monkeypatch):
    bench = _load("bench_speed")
    calls = []
    real = np.matmul

    def counting(*args, **kwargs):
        calls.append(args[0].shape)
        return real(*args, **kwargs)

    monkeypatch.setattr(bench.np, "matmul", counting)
    bench.matmul_floor(bench.BATCH * 3, 20, np.float32, 1)
    assert len(calls) == 2 * 8 * 3  # a warm-up epoch and the timed one


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


def _fake_uci_folder(root, name="tiny"):
    """Generated data in the layout of ../shared/data/uci (its README)."""
    folder = root / name
    folder.mkdir()
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = X[:, 0] + (0.1 + 0.3 * np.abs(X[:, 1])) * rng.normal(size=60)
    np.savetxt(folder / "data.txt", np.c_[X, y])
    np.savetxt(folder / "index_features.txt", [0, 1, 2], fmt="%d")
    np.savetxt(folder / "index_target.txt", [3], fmt="%d")
    for k in range(2):
        order = rng.permutation(60)
        np.savetxt(folder / f"index_train_{k}.txt", order[:54], fmt="%d")
        np.savetxt(folder / f"index_test_{k}.txt", order[54:], fmt="%d")
    np.savetxt(folder / "dropout_rates.txt", [0.05, 0.1])
    np.savetxt(folder / "tau_values.txt", [1.0])
    np.savetxt(folder / "n_splits.txt", [2], fmt="%d")
    return folder


def test_uci_benchmark_smoke_on_generated_data(tmp_path, monkeypatch, capsys):
    bench = _load("bench_uci")
    monkeypatch.setattr(bench, "EPOCHS", 3)
    monkeypatch.setattr(bench, "PASSES", 5)
    _fake_uci_folder(tmp_path)
    out = tmp_path / "uci.json"
    args = [str(tmp_path), "--splits", "2", "--datasets", "tiny", "--jobs", "1"]
    report = bench.main([*args, "--json", str(out)])
    summary = report["datasets"]["tiny"]["summary"]
    assert set(summary) == {"mc_dropout"} | {
        f"gaussian_nll beta={power}" for power in bench.VARIANCE_POWERS
    }
    for column in summary.values():
        assert np.isfinite(column["rmse"]).all() and np.isfinite(column["ll"]).all()
    written = json.loads(out.read_text())
    assert written["meta"]["command"].startswith("python benchmarks/")
    assert "skdense" in written["meta"]["versions"]
    assert "LL" in capsys.readouterr().out


def test_mixture_log_likelihood_of_one_pass_is_the_gaussians():
    bench = _load("bench_uci")
    means, precisions = np.array([[1.0], [2.0]]), np.array([[4.0], [0.25]])
    y = np.array([1.5, 0.0])

    def predict(X):
        return means, precisions

    rmse, ll = bench.scores(predict, None, y)
    expected = 0.5 * (
        np.log(precisions[:, 0] / (2 * np.pi))
        - precisions[:, 0] * (y - means[:, 0]) ** 2
    )
    assert ll == np.mean(expected)
    assert rmse == np.sqrt(np.mean((y - means[:, 0]) ** 2))


def test_calibration_benchmark_smoke_on_generated_data(tmp_path, monkeypatch, capsys):
    bench = _load("bench_calibration")
    monkeypatch.setattr(
        bench,
        "NETWORKS",
        {"tiny": ({"max_iter": 3}, 1.0), "tiny, dropout": ({"max_iter": 3}, 0.9)},
    )
    _fake_uci_folder(tmp_path)
    out = tmp_path / "calibration.json"
    args = [str(tmp_path), "--splits", "2", "--datasets", "tiny", "--json", str(out)]
    report = bench.main(args)
    rows = report["datasets"]["tiny"]["rows"]
    assert set(rows) == {
        f"tiny{dropout}, {kind}"
        for dropout in ("", ", dropout")
        for kind in ("calibrated", "uncalibrated")
    }
    for row in rows.values():
        assert 0 <= row["mace"] <= 1 and np.isfinite(row["ll"])
        assert set(row["coverage"]) == {str(level) for level in bench.LEVELS}
    written = json.loads(out.read_text())
    assert written["meta"]["command"].startswith("python benchmarks/")
    assert "MACE" in capsys.readouterr().out


def test_calibration_metrics_by_hand():
    bench = _load("bench_calibration")
    y, mean, std = np.array([0.0, 1.0, 3.0, -2.0]), np.zeros(4), np.ones(4)
    result = bench.metrics(y, mean, std)
    # |z| = 0, 1, 3, 2 against the 50/80/90/95 % bounds 0.674, 1.282, 1.645, 1.960
    assert result["coverage"] == {"0.5": 0.25, "0.8": 0.5, "0.9": 0.5, "0.95": 0.5}
    assert result["mace"] == pytest.approx((0.25 + 0.3 + 0.4 + 0.45) / 4)
    assert result["rmse"] == pytest.approx(np.sqrt(14 / 4))
    assert result["ll"] == pytest.approx(-0.5 * np.log(2 * np.pi) - 14 / 8)


def test_threads_benchmark_smoke(tmp_path, monkeypatch, capsys):
    bench = _load("bench_threads")
    monkeypatch.setattr(bench, "SWEEP", [(10, 4, 8)])
    X, y = np.random.default_rng(0).normal(size=(30, 4)), np.arange(30) % 2

    def tiny(n_threads):
        if n_threads == "MLP":
            return lambda: None
        model = bench.DenseNetClassifier((4,), max_iter=2, n_threads=n_threads)
        return lambda: model.fit(X, y)

    monkeypatch.setattr(bench, "demo_fit", tiny)
    monkeypatch.setattr(bench, "speed_epoch", tiny)
    out = tmp_path / "threads.json"
    report = bench.main(["--rounds", "2", "--json", str(out)])
    for state in ("quiet", "loaded"):
        assert set(report[state]["demo fit"]) == {"1", "auto", "None", "MLP"}
        assert report[state]["demo fit"]["1"]["ratio_to_first"] == 1.0
        assert list(report[state]["sweep"]) == ["0.00032M"]
    assert json.loads(out.read_text())["threshold"] == report["threshold"]
    assert "loaded" in capsys.readouterr().out


def _fake_keel_frame(name):
    """A small table with a text column, a category and missing numbers."""
    import pandas as pd

    rng = np.random.default_rng(len(name))
    X = pd.DataFrame(
        {
            "x0": rng.normal(size=90),
            "x1": pd.Categorical(rng.choice(["a", "b"], 90)),
            "x2": rng.normal(size=90),
        }
    )
    X.loc[::9, "x2"] = np.nan
    y = (X["x0"] + (X["x1"] == "a") > 0.5).astype(int).to_numpy()
    return X, y


def test_tabular_benchmark_smoke_on_generated_data(tmp_path, monkeypatch, capsys):
    bench = _load("bench_tabular")
    monkeypatch.setattr(bench, "keel_frame", _fake_keel_frame)
    monkeypatch.setattr(bench, "UCI_SETS", ["tiny"])
    monkeypatch.setattr(bench, "ABLATIONS", {"relu, not selu": dict(activation="relu")})
    no_bins = {"no piecewise-linear encoding": dict(piecewise_linear_bins=0)}
    monkeypatch.setattr(bench, "REGRESSION_ABLATIONS", no_bins)
    _fake_uci_folder(tmp_path)
    out = tmp_path / "tabular.json"
    args = ["--datasets", "one", "two", "--folds", "2", "--ablation", "--n-jobs", "1"]
    args += ["--uci", str(tmp_path), "--uci-splits", "2", "--diabetes"]
    args += ["--set", "max_iter=3", "n_iter_no_change=3", "hidden_layer_sizes=(8,)"]
    report = bench.main([*args, "--json", str(out)])
    results = report["classification"]
    assert set(results) == {"TabularNet", "HGB", "MLP", "TabularNet - relu, not selu"}
    assert results["HGB"]["ratio_to_HGB"] == 1.0 and results["MLP"]["pairs"] == 4
    assert set(report["regression"]) == {
        "TabularNet",
        "HGB",
        "MLP",
        "TabularNet - no piecewise-linear encoding",
    }
    assert set(report["regression"]["HGB"]["per_dataset"]) == {"tiny", "diabetes"}
    rows = [r for r in report["rows"] if r["model"] == "TabularNet"]
    assert len(rows) == 4 + 2 + 2 and all(r["fit_cpu"] > 0 for r in rows)
    assert report["overrides"]["hidden_layer_sizes"] == (8,)
    assert json.loads(out.read_text())["meta"]["command"].startswith("python ")
    merged = bench.main(["--models", "--datasets", "--merge", str(out)])
    assert merged["classification"]["MLP"] == results["MLP"]
    assert "TabularNet" in capsys.readouterr().out


def test_tabular_summaries_compare_the_same_folds_and_floor_zero_errors():
    bench = _load("bench_tabular")
    rows = [
        dict(dataset=d, fold=f, model=m, error=e, fit_cpu=t, n_test=10)
        for d, f, m, e, t in [
            ("a", 0, "HGB", 0.2, 1.0),
            ("a", 1, "HGB", 0.4, 1.0),
            ("b", 0, "HGB", 0.0, 1.0),
            ("a", 0, "MLP", 0.1, 2.0),
            ("a", 1, "MLP", 0.4, 2.0),
            ("b", 0, "MLP", 0.1, 2.0),
            ("a", 0, "New", 0.1, 8.0),  # fold 0 only
            ("b", 0, "New", 0.05, 8.0),
        ]
    ]
    out = bench.summary(rows, "error", ["HGB", "MLP"])
    # a: 0.1 / 0.2 on fold 0 alone; b: 0.05 / max(0, 0.5 / 10)
    assert out["New"]["ratio_to_HGB"] == pytest.approx(np.sqrt(0.5 * 1.0))
    assert out["New"]["ratio_to_MLP"] == pytest.approx(np.sqrt(1.0 * 0.5))
    assert out["New"]["wins_vs_HGB"] == 1  # a; b ties at the floor, 0.05 > 0
    assert out["New"]["fit_time_ratio_to_MLP"] == pytest.approx(4.0)
    assert out["MLP"]["per_dataset"]["a"] == pytest.approx(0.25)
