"""BLAS threads chosen by the work: n_threads='auto', None and an int, on
every path that runs matrix products (fit, partial_fit, predict, the
Monte-Carlo passes), both estimators."""

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from skdense import DenseNetClassifier, DenseNetRegressor
from skdense._network import DenseNetwork
from skdense._threads import SINGLE_THREAD_BELOW, largest_product, thread_limit

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _blas_threads():
    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]


@pytest.fixture
def two_blas_threads():
    """BLAS at two threads, whatever the environment set, for the test."""
    with threadpool_limits(limits=2, user_api="blas"):
        yield _blas_threads()


def test_largest_product_counts_multiply_adds():
    assert largest_product(200, [784, 256, 128, 10]) == 200 * 784 * 256
    assert largest_product(3, [2, 5]) == 30


@pytest.mark.parametrize(
    "n_threads, work, expected",
    [
        ("auto", SINGLE_THREAD_BELOW - 1, 1),
        ("auto", SINGLE_THREAD_BELOW, 2),
        (None, 10, 2),
        (1, 10**12, 1),
        (2, 10, 2),
    ],
)
def test_thread_limit(n_threads, work, expected, two_blas_threads):
    others = _other_threads()
    with thread_limit(n_threads, work):
        assert set(_blas_threads()) == {expected}
        assert _other_threads() == others  # OpenMP's pools are left alone
    assert _blas_threads() == two_blas_threads


def _other_threads():
    return [i["num_threads"] for i in threadpool_info() if i["user_api"] != "blas"]


def _threads_in_products(monkeypatch):
    """Record BLAS's thread count in every forward pass of a network."""
    seen = []

    def spying(method):
        def spy(*args, **kwargs):
            seen.append(set(_blas_threads()))
            return method(*args, **kwargs)

        return spy

    for name in ("loss_gradient", "logits", "mc_logits"):
        monkeypatch.setattr(DenseNetwork, name, spying(getattr(DenseNetwork, name)))
    return seen


CALLS = {
    "fit": lambda model, X, y: model.fit(X, y),
    "partial_fit": lambda model, X, y: model.partial_fit(X, y, **_classes(model, y)),
    "predict": lambda model, X, y: model.fit(X, y).predict(X),
    "return_std": lambda model, X, y: _with_std(model.fit(X, y), X),
    "sample_y": lambda model, X, y: model.fit(X, y).sample_y(X, n_samples=3),
}


def _classes(model, y):
    return {"classes": np.unique(y)} if isinstance(model, DenseNetClassifier) else {}


def _with_std(model, X):
    if isinstance(model, DenseNetClassifier):
        return model.predict_proba(X, return_std=True)
    return model.predict(X, return_std=True)


@pytest.mark.parametrize("estimator", [DenseNetClassifier, DenseNetRegressor])
@pytest.mark.parametrize("call", sorted(CALLS))
@pytest.mark.parametrize(
    "hidden, expected", [((8,), {1}), ((1700,), {2})], ids=["small", "large"]
)
def test_auto_runs_small_work_on_one_thread_and_large_on_blas_count(
    estimator, call, hidden, expected, monkeypatch, two_blas_threads
):
    # 40 rows x 1000 features x 1700 units = 68 M multiply-adds: above 2**24.
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 1000)), rng.integers(0, 2, 40)
    model = estimator(
        hidden_layer_sizes=hidden, keep_prob=0.9, max_iter=1, mc_samples=1
    )
    assert model.n_threads == "auto"
    seen = _threads_in_products(monkeypatch)
    CALLS[call](model, X, y)
    assert seen and all(threads == expected for threads in seen), seen
    assert _blas_threads() == two_blas_threads


@pytest.mark.parametrize("estimator", [DenseNetClassifier, DenseNetRegressor])
def test_none_leaves_blas_as_it_is_and_an_int_wins(
    estimator, monkeypatch, two_blas_threads
):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 4)), rng.integers(0, 2, 40)
    seen = _threads_in_products(monkeypatch)
    estimator(hidden_layer_sizes=(8,), max_iter=1, n_threads=None).fit(X, y).predict(X)
    assert seen and all(threads == {2} for threads in seen)
    seen.clear()
    estimator(hidden_layer_sizes=(8,), max_iter=1, n_threads=2).fit(X, y)
    assert seen and all(threads == {2} for threads in seen)
