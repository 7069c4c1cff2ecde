"""scikit-learn's callbacks during a fit, with scikit-learn's own callbacks."""

import re
import sys
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdense import DenseNetClassifier, DenseNetRegressor
from skdense._callbacks import CALLBACKS_AVAILABLE
from skdense._training import BatchLoop

X, y = load_digits(return_X_y=True)
X, y = X[:300] / 16, y[:300]


def test_without_sklearn_callback_set_callbacks_names_the_version(monkeypatch):
    """The stand-ins used with a scikit-learn older than 1.9, loaded with
    sklearn.callback hidden."""
    import importlib

    import skdense._callbacks as callbacks

    monkeypatch.setitem(sys.modules, "sklearn.callback", None)
    fallback = importlib.reload(callbacks)
    try:
        assert not fallback.CALLBACKS_AVAILABLE
        with pytest.raises(
            RuntimeError, match=r"set_callbacks needs scikit-learn >= 1.9"
        ):
            fallback.CallbackSupportMixin().set_callbacks(object())
        method = fallback.with_callbacks(DenseNetClassifier.fit)
        assert method is DenseNetClassifier.fit
        assert isinstance(
            fallback.FitTasks.start(DenseNetClassifier()), fallback.NoTasks
        )
    finally:
        monkeypatch.undo()
        importlib.reload(callbacks)


if CALLBACKS_AVAILABLE:
    from sklearn.callback import ProgressBar, ScoringMonitor

    class Recorder:
        """Records every hook, and asks to stop after epoch ``stop_after``."""

        def __init__(self, stop_after=None):
            self.stop_after = stop_after
            self.events = []

        def setup(self, estimator, context):
            self.events.append(("setup",))

        def teardown(self, estimator, context):
            self.events.append(("teardown",))

        def on_fit_task_begin(self, estimator, context, *, fitted_estimator=None):
            self.events.append(("begin", context.task_name, context.task_id))

        def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
            finished = fitted_estimator is not None
            self.events.append(("end", context.task_name, context.task_id, finished))
            if finished and context.task_name != "fit":
                # The estimator of the task predicts with the weights it had.
                rows = np.zeros((3, estimator.n_features_in_))
                assert fitted_estimator.predict(rows).shape[0] == 3
            return context.task_name == "epoch" and context.task_id == self.stop_after

        def matched(self):
            """Whether every begin has its end, nested, between setup and teardown."""
            assert self.events[0] == ("setup",) and self.events[-1] == ("teardown",)
            open_tasks = []
            for event in self.events[1:-1]:
                if event[0] == "begin":
                    open_tasks.append(event[1:])
                else:
                    assert open_tasks.pop() == event[1:3]
            return not open_tasks

        def count(self, kind, name):
            return sum(e[0] == kind and e[1] == name for e in self.events)

    def _fit(model, *args, **kwargs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return model.fit(*args, **kwargs)

    @pytest.mark.parametrize("solver", ["adam", "sgd"])
    def test_one_task_per_epoch_in_order(solver):
        recorder = Recorder()
        model = DenseNetClassifier((8,), solver=solver, max_iter=5, random_state=0)
        _fit(model.set_callbacks(recorder), X, y)
        assert recorder.matched()
        assert recorder.count("begin", "fit") == recorder.count("end", "fit") == 1
        assert recorder.count("begin", "epoch") == recorder.count("end", "epoch") == 5
        assert recorder.events[1:3] == [("begin", "fit", 0), ("begin", "epoch", 0)]
        assert recorder.events[-2] == ("end", "fit", 0, True)
        epochs = [e[2] for e in recorder.events if e[:2] == ("begin", "epoch")]
        assert epochs == list(range(5))

    def test_one_task_per_lbfgs_iteration_plus_the_one_never_run():
        recorder = Recorder()
        model = DenseNetRegressor(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=7)
        Xr, yr = make_regression(n_samples=80, n_features=4, random_state=0)
        _fit(model.set_callbacks(recorder), Xr, yr / 100)
        assert recorder.matched()
        ends = [e for e in recorder.events if e[:2] == ("end", "iteration")]
        assert len(ends) == model.n_iter_ + 1
        assert all(e[3] for e in ends[:-1]) and not ends[-1][3]

    def test_pairs_match_when_the_fit_stops_early_or_diverges(monkeypatch):
        early = Recorder()
        model = DenseNetClassifier((8,), max_iter=200, n_iter_no_change=2, tol=1.0)
        _fit(model.set_callbacks(early), X, y)
        assert early.matched() and early.count("end", "epoch") == model.n_iter_ == 4
        diverging = Recorder()
        real, calls = BatchLoop.run, {"n": 0}

        def diverging_third_epoch(self, *args):
            calls["n"] += 1
            return None if calls["n"] == 3 else real(self, *args)

        monkeypatch.setattr(BatchLoop, "run", diverging_third_epoch)
        model = DenseNetClassifier((8,), max_iter=10, random_state=0)
        with pytest.warns(ConvergenceWarning, match="diverged at epoch 3"):
            model.set_callbacks(diverging).fit(X, y)
        assert diverging.matched() and model.n_iter_ == 2
        assert diverging.count("end", "epoch") == 3

    def test_pairs_match_when_the_fit_is_interrupted(monkeypatch):
        real, calls = BatchLoop._train_batch, {"n": 0}

        def interrupting(self, *args):
            calls["n"] += 1
            if calls["n"] == 5:
                raise KeyboardInterrupt
            return real(self, *args)

        monkeypatch.setattr(BatchLoop, "_train_batch", interrupting)
        recorder = Recorder()
        model = DenseNetClassifier((8,), batch_size=100, max_iter=10, random_state=0)
        with pytest.warns(UserWarning, match="interrupted"):
            model.set_callbacks(recorder).fit(X, y)
        assert recorder.matched() and model.n_iter_ == 1
        assert ("end", "epoch", 1, False) in recorder.events

    def test_a_callback_that_asks_to_stop_ends_the_fit_cleanly():
        recorder = Recorder(stop_after=2)
        model = DenseNetClassifier((8,), max_iter=50, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("error", ConvergenceWarning)  # no max_iter warning
            model.set_callbacks(recorder).fit(X, y)
        assert recorder.matched() and model.n_iter_ == 3 == len(model.loss_curve_)
        reference = _fit(DenseNetClassifier((8,), max_iter=3, random_state=0), X, y)
        np.testing.assert_array_equal(model.coefs_[0], reference.coefs_[0])

    def test_a_callback_stops_lbfgs_too():
        class StopAtThird(Recorder):
            def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
                super().on_fit_task_end(
                    estimator, context, fitted_estimator=fitted_estimator
                )
                return context.task_name == "iteration" and context.task_id == 2

        recorder = StopAtThird()
        model = DenseNetClassifier((8,), solver="lbfgs", max_iter=100, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("error", ConvergenceWarning)
            model.set_callbacks(recorder).fit(X, y)
        assert recorder.matched() and model.n_iter_ == 3 == len(model.loss_curve_)

    def test_progress_bar_on_a_bare_estimator(capsys):
        model = DenseNetClassifier((8,), max_iter=4, random_state=0)
        _fit(model.set_callbacks(ProgressBar()), X, y)
        out = capsys.readouterr().out
        assert "DenseNetClassifier - fit" in out and "100%" in out

    @pytest.mark.parametrize("n_jobs", [1, 2])
    def test_progress_bar_over_a_grid_search_of_a_pipeline(n_jobs, capsys):
        pipe = make_pipeline(
            StandardScaler(), DenseNetClassifier((8,), max_iter=3, random_state=0)
        )
        search = GridSearchCV(
            pipe, {"densenetclassifier__alpha": [1e-4, 1e-1]}, cv=2, n_jobs=n_jobs
        )
        _fit(search.set_callbacks(ProgressBar(max_propagation_depth=None)), X, y)
        out = capsys.readouterr().out
        assert "GridSearchCV - fit" in out
        assert len(re.findall(r"DenseNetClassifier - fit", out)) == 2 * 2 + 1
        assert not re.search(r"\b[0-9]{1,2}%", out)  # every bar complete

    def test_scoring_monitor_records_a_score_per_epoch():
        monitor = ScoringMonitor(scoring=["accuracy", "neg_log_loss"])
        model = DenseNetClassifier((8,), max_iter=6, random_state=0)
        _fit(model.set_callbacks(monitor), X, y)
        rows = [r for r in monitor.get_logs().data if r["task_name"] == "epoch"]
        assert [r["task_id"] for r in rows] == list(range(6))
        accuracies = [r["accuracy"] for r in rows]
        assert accuracies[-1] == pytest.approx(model.score(X, y))
        assert accuracies[-1] > accuracies[0]
        assert all(r["neg_log_loss"] < 0 for r in rows)

    def test_partial_fit_is_one_epoch_task():
        recorder = Recorder()
        model = DenseNetClassifier((8,), random_state=0).set_callbacks(recorder)
        model.partial_fit(X, y, classes=np.unique(y))
        assert recorder.matched() and recorder.count("end", "epoch") == 1
