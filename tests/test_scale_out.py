"""Beyond one process: a real dask LocalCluster, dask arrays, memmaps, memory.

The cluster runs on 127.0.0.1 only, is started and closed by the module's
fixture, and has two worker processes of one thread each.
"""

import tracemalloc
import warnings

import dask.array as da
import joblib
import numpy as np
import pytest
from dask_ml.wrappers import Incremental, ParallelPostFit
from distributed import Client, LocalCluster
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV

from skdense import DenseNetClassifier, DenseNetRegressor

pytestmark = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning",
    # distributed warns about its own shutdown, never about skdense
    "ignore::DeprecationWarning",
    "ignore::ResourceWarning",
    "ignore::pytest.PytestUnraisableExceptionWarning",
)


@pytest.fixture(scope="module")
def client():
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def _grid():
    X, y = load_digits(return_X_y=True)
    search = GridSearchCV(
        DenseNetClassifier((16,), max_iter=8, random_state=0),
        {"alpha": [1e-4, 1e-2], "keep_prob": [1.0, 0.8]},
        cv=3,
        n_jobs=-1,
    )
    return search, X / 16, y


def test_grid_search_on_a_cluster_equals_the_default_backend(client):
    on_cluster, X, y = _grid()
    with joblib.parallel_config(backend="dask"):
        on_cluster.fit(X, y)
    local, _, _ = _grid()
    local.fit(X, y)
    assert on_cluster.best_params_ == local.best_params_
    for key in ("mean_test_score", "split0_test_score", "split2_test_score"):
        np.testing.assert_array_equal(
            on_cluster.cv_results_[key], local.cv_results_[key]
        )


def test_each_worker_runs_blas_on_its_own_thread(client):
    def blas_threads():
        from threadpoolctl import threadpool_info

        return {info["num_threads"] for info in threadpool_info()}

    per_worker = client.run(blas_threads)
    assert len(per_worker) == 2
    assert all(threads == {1} for threads in per_worker.values())


def _blocks(n_rows=2000, block=500):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n_rows, 10)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    return X, y, da.from_array(X, chunks=block), da.from_array(y, chunks=block)


def test_incremental_streams_blocks_through_partial_fit(client):
    X, y, dX, dy = _blocks()
    model = DenseNetClassifier((8,), keep_prob=0.8, random_state=0)
    streamed = Incremental(model, shuffle_blocks=False).fit(dX, dy, classes=[0, 1])
    by_hand = DenseNetClassifier((8,), keep_prob=0.8, random_state=0)
    for start in range(0, len(X), 500):
        by_hand.partial_fit(
            X[start : start + 500], y[start : start + 500], classes=[0, 1]
        )
    for ours, theirs in zip(streamed.estimator_.coefs_, by_hand.coefs_):
        np.testing.assert_array_equal(ours, theirs)
    assert streamed.estimator_.t_ == len(X)


def test_parallel_prediction_over_a_dask_array_equals_in_memory(client):
    X, y, dX, _ = _blocks()
    model = DenseNetClassifier((8,), max_iter=5, random_state=0).fit(X, y)
    wrapped = ParallelPostFit(model)
    np.testing.assert_array_equal(wrapped.predict(dX).compute(), model.predict(X))
    # OpenBLAS (0.3.31) sums the last rows of a 500-row block with another
    # kernel than the same rows inside 2,000: one float32 ulp apart.
    np.testing.assert_allclose(
        wrapped.predict_proba(dX).compute(), model.predict_proba(X), rtol=4e-7
    )
    by_blocks = dX.map_blocks(
        lambda block: model.predict_proba(block), dtype=np.float64, chunks=(500, 2)
    )
    np.testing.assert_allclose(by_blocks.compute(), model.predict_proba(X), rtol=4e-7)


def _peak(function):
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_memmap_is_read_batch_by_batch_without_a_copy(tmp_path):
    rng = np.random.default_rng(0)
    X = np.lib.format.open_memmap(
        tmp_path / "X.npy", mode="w+", dtype=np.float32, shape=(40_000, 50)
    )
    X[:] = rng.normal(size=X.shape)
    X.flush()
    X = np.load(tmp_path / "X.npy", mmap_mode="r")
    y = (np.asarray(X[:, 0]) > 0).astype(int)
    model = DenseNetClassifier((16,), max_iter=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        peak = _peak(lambda: model.fit(X, y))
        in_memory = DenseNetClassifier((16,), max_iter=1, random_state=0)
        in_memory.fit(np.array(X), y)
    # The shuffled order and the class codes (8 bytes a row each), the batch
    # buffers and the weights; never a copy of X.
    assert peak < 24 * len(X) + 2**20
    assert peak < 0.15 * X.nbytes
    np.testing.assert_array_equal(model.coefs_[0], in_memory.coefs_[0])


def test_memory_does_not_grow_with_the_classes():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20_000, 10)).astype(np.float32)
    y = rng.integers(500, size=len(X))
    model = DenseNetClassifier((16,), max_iter=1, random_state=0)
    peak = _peak(lambda: model.fit(X, y))
    one_hot = len(X) * 500 * 4  # what a dense float32 target matrix would take
    assert peak < 0.1 * one_hot
    assert len(model.classes_) == 500


def test_regressor_in_blocks_too(client):
    X, _, dX, _ = _blocks()
    target = da.from_array(X[:, 0] * 2.0, chunks=500)
    model = Incremental(
        DenseNetRegressor(hidden_layer_sizes=(8,), random_state=0), shuffle_blocks=False
    ).fit(dX, target)
    by_hand = DenseNetRegressor(hidden_layer_sizes=(8,), random_state=0)
    for start in range(0, len(X), 500):
        rows = slice(start, start + 500)
        by_hand.partial_fit(X[rows], X[rows, 0] * 2.0)
    assert model.estimator_.t_ == by_hand.t_ == len(X)
    assert model.estimator_.loss_curve_ == by_hand.loss_curve_
    for ours, theirs in zip(model.estimator_.coefs_, by_hand.coefs_):
        np.testing.assert_array_equal(ours, theirs)
