"""
==========================================================
Speed: seconds per epoch against MLPClassifier and PyTorch
==========================================================

Drawn from the JSON that ``benchmarks/bench_speed.py`` wrote on the reference
machine (committed in ``benchmarks/results/``): 20,000 samples, 784 features,
hidden layers (256, 128), Adam, batches of 200, every library on the same
two BLAS threads, medians of interleaved repeats.
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

seconds = report["seconds_per_epoch"]
names = list(seconds)
colors = [
    "C0" if n.startswith("skdense") else "C1" if n.startswith("MLP") else "C2"
    for n in names
]
fig, ax = plt.subplots(figsize=(8, 4.5))
ax.barh(names, [seconds[n] for n in names], color=colors)
ax.invert_yaxis()
ax.set_xlabel("seconds per epoch (lower is better)")
machine = report["machine"]
blas = next((b for b in machine["blas"] if b["internal_api"] != "openmp"), {})
ax.set_title(
    f"{blas.get('internal_api')} {blas.get('version')} ({blas.get('architecture')}), "
    f"{report['workload']['threads']} threads, NumPy {machine['numpy']}, "
    f"PyTorch {machine['torch']}"
)
fig.tight_layout()
plt.show()
for name, entry in report["ratios"].items():
    print(f"{name}: {entry['value']:.2f} (target {entry['target']})")
