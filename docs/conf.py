"""Sphinx configuration of the skdense documentation."""

import os
import sys
import zlib
from pathlib import Path

import skdense

project = "skdense"
author = "The skdense developers"
copyright = "2026, The skdense developers"
release = version = skdense.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

html_theme = "pydata_sphinx_theme"
html_title = f"skdense {version}"
html_static_path = ["_static"]
html_theme_options = {"navigation_with_keys": False, "show_toc_level": 2}
templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
root_doc = "index"

autosummary_generate = True
# Methods that scikit-learn's mixins and metadata routing add to every
# estimator are documented by scikit-learn, not here.
autodoc_default_options = {
    "members": True,
    "inherited-members": False,
    "exclude-members": ",".join(
        [
            "score",
            "get_params",
            "set_params",
            "get_metadata_routing",
            "set_fit_request",
            "set_partial_fit_request",
            "set_predict_request",
            "set_predict_proba_request",
            "set_score_request",
        ]
    ),
}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "within_subsection_order": "FileNameSortKey",
    "reference_url": {"skdense": None},
    "backreferences_dir": "auto_examples",
    "doc_module": ("skdense",),
    "matplotlib_animations": False,
    "abort_on_example_error": True,
}
os.environ.setdefault("MPLBACKEND", "Agg")

# Intersphinx links to scikit-learn, NumPy and Python. Their inventories cannot
# be downloaded at build time (the build runs offline), so we write small ones
# that list exactly the objects these pages link to, at their real addresses.
_INVENTORIES = {
    "sklearn": (
        "scikit-learn",
        "https://scikit-learn.org/stable/",
        [
            (
                "sklearn.neural_network.MLPClassifier",
                "py:class",
                "modules/generated/sklearn.neural_network.MLPClassifier.html#$",
            ),
            (
                "sklearn.neural_network.MLPRegressor",
                "py:class",
                "modules/generated/sklearn.neural_network.MLPRegressor.html#$",
            ),
            (
                "sklearn.metrics.RocCurveDisplay",
                "py:class",
                "modules/generated/sklearn.metrics.RocCurveDisplay.html#$",
            ),
            (
                "sklearn.gaussian_process.GaussianProcessRegressor",
                "py:class",
                "modules/generated/sklearn.gaussian_process.GaussianProcessRegressor.html#$",
            ),
            (
                "sklearn.model_selection.GridSearchCV",
                "py:class",
                "modules/generated/sklearn.model_selection.GridSearchCV.html#$",
            ),
            (
                "sklearn.pipeline.Pipeline",
                "py:class",
                "modules/generated/sklearn.pipeline.Pipeline.html#$",
            ),
            (
                "sklearn.ensemble.HistGradientBoostingRegressor",
                "py:class",
                "modules/generated/sklearn.ensemble.HistGradientBoostingRegressor.html#$",
            ),
            (
                "sklearn.linear_model.LogisticRegression",
                "py:class",
                "modules/generated/sklearn.linear_model.LogisticRegression.html#$",
            ),
        ],
    ),
    "numpy": (
        "NumPy",
        "https://numpy.org/doc/stable/",
        [
            ("numpy.ndarray", "py:class", "reference/generated/numpy.ndarray.html#$"),
            ("numpy.float32", "py:attribute", "reference/arrays.scalars.html#$"),
            ("numpy.random.RandomState", "py:class", "reference/random/legacy.html#$"),
        ],
    ),
    "python": (
        "Python",
        "https://docs.python.org/3/",
        [
            ("pickle", "py:module", "library/pickle.html#module-$"),
            ("ImportError", "py:exception", "library/exceptions.html#$"),
        ],
    ),
}


def _write_inventory(path, project_name, entries):
    lines = "".join(f"{name} {role} 1 {uri} -\n" for name, role, uri in entries)
    header = (
        "# Sphinx inventory version 2\n"
        f"# Project: {project_name}\n# Version: stable\n"
        "# The remainder of this file is compressed using zlib.\n"
    )
    path.write_bytes(header.encode() + zlib.compress(lines.encode()))


_inventory_dir = Path(__file__).parent / "_build" / "inventories"
_inventory_dir.mkdir(parents=True, exist_ok=True)
intersphinx_mapping = {}
for _key, (_name, _url, _entries) in _INVENTORIES.items():
    _path = _inventory_dir / f"{_key}.inv"
    _write_inventory(_path, _name, _entries)
    intersphinx_mapping[_key] = (_url, str(_path))

sys.path.insert(0, str(Path(__file__).parents[1]))

# The Benchmarks page's tables, from the committed JSON (no benchmark runs).
sys.path.insert(0, str(Path(__file__).parent))
from _benchmark_tables import write_tables  # noqa: E402

write_tables(Path(__file__).parent / "generated" / "benchmark_tables.rst")
