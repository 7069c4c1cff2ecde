"""
==========================================================
Speed: seconds per epoch against MLPClassifier and PyTorch
==========================================================

Drawn from the JSON that ``benchmarks/bench_speed.py`` wrote on the reference
machine (committed in ``benchmarks/results/``): 20,000 samples, 784 features,
hidden layers (256, 128), Adam, batches of 200, every library at one thread
and at the machine's count, medians of interleaved rounds. The dashed line is
the floor: the epoch's eight matrix products alone.
"""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import json
from pathlib import Path

import matplotlib.pyplot as plt

try:
    here = Path(__file__).parent
except NameError:  # run by sphinx-gallery from the examples directory
    here = Path.cwd()
report = json.loads(
    (here.parent / "benchmarks" / "results" / "bench_speed.json").read_text()
)

by_threads = report["by_threads"]
machine = report["machine"]
blas = next((b for b in machine["blas"] if b["internal_api"] != "openmp"), {})
fig, axes = plt.subplots(1, len(by_threads), figsize=(11, 4.5), sharey=True)
for ax, (count, entry) in zip(axes, by_threads.items()):
    seconds = entry["seconds_per_epoch"]
    names = list(seconds)
    colors = [
        "C0" if n.startswith("skdense") else "C1" if n.startswith("MLP") else "C2"
        for n in names
    ]
    ax.barh(names, [seconds[n] for n in names], color=colors)
    ax.axvline(entry["floor_seconds"]["float32"], color="k", linestyle="--")
    ax.set_xlabel("seconds per epoch (lower is better)")
    ax.set_title(f"{count} thread(s)")
axes[0].invert_yaxis()
fig.suptitle(
    f"{blas.get('internal_api')} {blas.get('version')} ({blas.get('architecture')}), "
    f"NumPy {machine['numpy']}, PyTorch {machine['torch']}"
)
fig.tight_layout()
plt.show()
for count, entry in by_threads.items():
    for name, ratio in entry["ratios"].items():
        print(f"{count} thread(s), {name}: {ratio['value']:.2f}")
