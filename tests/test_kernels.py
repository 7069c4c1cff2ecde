"""Choosing the kernels: SKDENSE_KERNELS, numba's presence and the fit's size."""

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression

from skdense import DenseNetClassifier, DenseNetRegressor, _kernels
from skdense._kernels import fused_kernels, in_dtype, kernel_choice

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

HAS_NUMBA = _kernels.numba_installed()
ESTIMATORS = [DenseNetClassifier, DenseNetRegressor]


def _data(estimator):
    if estimator is DenseNetClassifier:
        return make_classification(60, 4, random_state=0)
    return make_regression(60, 4, random_state=0)


def _chosen(model):
    """The kernels the model's last fit ran."""
    return model._engine.solver.batches.kernels


@pytest.fixture
def nothing_loaded(monkeypatch):
    """As in a fresh process: no fused kernels loaded yet."""
    monkeypatch.setattr(_kernels, "_loaded", None)


@pytest.mark.parametrize("value", ["", "auto", "numpy", "numba", " NumPy "])
def test_the_variable_takes_its_three_values_in_any_case(value, monkeypatch):
    monkeypatch.setenv("SKDENSE_KERNELS", value)
    assert kernel_choice() == (value.strip().lower() or "auto")


@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize("fitted", [False, True])
def test_a_bad_value_is_refused_by_name_and_changes_nothing(
    estimator, fitted, monkeypatch, unchanged_by
):
    X, y = _data(estimator)
    model = estimator(hidden_layer_sizes=(5,), max_iter=3, random_state=0)
    if fitted:
        model.fit(X, y)
    monkeypatch.setenv("SKDENSE_KERNELS", "cuda")
    match = "SKDENSE_KERNELS='cuda' is not one of auto, numpy, numba"
    unchanged_by(model, lambda m: m.fit(X, y), match=match)
    unchanged_by(model, lambda m: m.partial_fit(X, y, **_classes(m, y)), match=match)


def _classes(model, y):
    return {"classes": np.unique(y)} if isinstance(model, DenseNetClassifier) else {}


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_numpy_forces_numpys_kernels(estimator, monkeypatch):
    monkeypatch.setenv("SKDENSE_KERNELS", "numpy")
    X, y = _data(estimator)
    model = estimator(hidden_layer_sizes=(5,), max_iter=3, random_state=0).fit(X, y)
    assert _chosen(model) is None
    assert fused_kernels(work=np.inf) is None


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_auto_keeps_numpy_for_a_fit_too_small_to_pay_for_loading(
    estimator, monkeypatch, nothing_loaded
):
    monkeypatch.delenv("SKDENSE_KERNELS", raising=False)
    X, y = _data(estimator)
    model = estimator(hidden_layer_sizes=(5,), max_iter=3, random_state=0).fit(X, y)
    assert _chosen(model) is None
    assert _kernels._loaded is None  # numba was not even imported for it


@pytest.mark.skipif(not HAS_NUMBA, reason="needs the skdense[numba] extra")
@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_auto_loads_numba_for_a_large_fit_and_keeps_it(
    estimator, monkeypatch, nothing_loaded
):
    from skdense import _fused

    monkeypatch.delenv("SKDENSE_KERNELS", raising=False)
    X, y = _data(estimator)
    small = estimator(hidden_layer_sizes=(5,), max_iter=3, random_state=0)
    large = estimator(hidden_layer_sizes=(5,), max_iter=3, random_state=0)
    work = len(X) * (4 * 5 + 5 + 5 + 1) * 3  # rows x parameters x epochs
    monkeypatch.setattr(_kernels, "FUSED_FROM_WORK", work)
    assert _chosen(large.fit(X, y)) is _fused
    monkeypatch.setattr(_kernels, "FUSED_FROM_WORK", work + 1)
    # Loaded once, the kernels serve every later fit, however small.
    assert _chosen(small.fit(X[:30], y[:30])) is _fused


@pytest.mark.skipif(not HAS_NUMBA, reason="needs the skdense[numba] extra")
@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_numba_forces_them_for_any_fit(estimator, monkeypatch, nothing_loaded):
    from skdense import _fused

    monkeypatch.setenv("SKDENSE_KERNELS", "numba")
    X, y = _data(estimator)
    model = estimator(hidden_layer_sizes=(5,), max_iter=1, random_state=0).fit(
        X[:10], y[:10]
    )
    assert _chosen(model) is _fused


@pytest.mark.skipif(HAS_NUMBA, reason="numba is installed here")
@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_numba_without_numba_says_what_to_install(estimator, monkeypatch, unchanged_by):
    X, y = _data(estimator)
    model = estimator(hidden_layer_sizes=(5,), max_iter=2, random_state=0).fit(X, y)
    assert _chosen(model) is None  # auto without numba: NumPy's
    monkeypatch.setenv("SKDENSE_KERNELS", "numba")
    unchanged_by(
        model, lambda m: m.fit(X, y), errors=ImportError, match=r"skdense\[numba\]"
    )


def test_scalars_numpy_would_compute_wider_are_refused():
    assert in_dtype(np.float32, 0.9, 3, np.float32(2.5)) == (
        np.float32(0.9),
        np.float32(3),
        np.float32(2.5),
    )
    assert type(in_dtype(np.float32, 0.9)[0]) is np.float32
    # A NumPy float64 scalar: NumPy 2 computes float32 arrays with it in
    # float64 (NEP 50), NumPy 1 in float32 (value-based casting); in_dtype
    # follows the NumPy it runs on.
    wider = (np.ones(2, np.float32) * np.float64(0.9)).dtype != np.float32
    values = in_dtype(np.float32, 0.9, np.float64(0.9))
    assert values is None if wider else values == (np.float32(0.9),) * 2
    assert in_dtype(np.float64, np.float32(0.5), 0.1) == (0.5, 0.1)
    assert type(in_dtype(np.float64, np.float32(0.5))[0]) is np.float64
