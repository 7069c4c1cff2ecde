"""LossCurveDisplay, drawn with matplotlib's Agg backend."""

import sys

import matplotlib
import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.neural_network import MLPClassifier

from skdense import DenseNetClassifier, LossCurveDisplay

matplotlib.use("Agg")
import matplotlib.pyplot as plt

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

X, y = make_classification(n_samples=200, n_features=5, random_state=0)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_loss_curve_only():
    model = DenseNetClassifier((8,), max_iter=12, random_state=0).fit(X, y)
    display = LossCurveDisplay.from_estimator(model, color="red")
    assert len(display.lines_) == 1 and display.ax_validation_ is None
    np.testing.assert_array_equal(display.lines_[0].get_ydata(), model.loss_curve_)
    np.testing.assert_array_equal(display.lines_[0].get_xdata(), np.arange(1, 13))
    assert display.lines_[0].get_color() == "red"
    assert display.figure_ is display.ax_.figure
    assert display.ax_.get_xlabel() == "epoch"


def test_validation_scores_on_a_second_axis():
    model = DenseNetClassifier((8,), early_stopping=True, max_iter=12, random_state=0)
    model.fit(X, y)
    display = LossCurveDisplay.from_estimator(model, name="dropout")
    assert len(display.lines_) == 3
    loss, validation_loss, score = display.lines_
    np.testing.assert_array_equal(score.get_ydata(), model.validation_scores_)
    assert score.axes is display.ax_validation_
    assert display.ax_validation_.get_ylabel() == "validation score"
    assert loss.get_label() == "dropout loss"
    # Training and validation loss share one axis.
    assert validation_loss.axes is loss.axes is display.ax_
    np.testing.assert_array_equal(
        validation_loss.get_ydata(), model.validation_loss_curve_
    )
    assert validation_loss.get_label() == "dropout validation loss"
    assert validation_loss.get_color() == loss.get_color()


def test_draws_on_given_axes_and_redraws():
    model = DenseNetClassifier((8,), max_iter=5, random_state=0).fit(X, y)
    _, ax = plt.subplots()
    display = LossCurveDisplay.from_estimator(model, ax=ax)
    assert display.ax_ is ax
    _, other = plt.subplots()
    assert display.plot(ax=other).ax_ is other


def test_works_for_scikit_learn_mlp_and_needs_a_fitted_model():
    mlp = MLPClassifier((4,), max_iter=3).fit(X, y)
    (line,) = LossCurveDisplay.from_estimator(mlp).lines_
    np.testing.assert_array_equal(line.get_ydata(), mlp.loss_curve_)
    with pytest.raises(Exception, match="not fitted"):
        LossCurveDisplay.from_estimator(DenseNetClassifier())


def test_without_matplotlib_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    display = LossCurveDisplay([1.0, 0.5])
    with pytest.raises(ImportError, match=r"pip install 'skdense\[docs\]'"):
        display.plot()


@pytest.mark.parametrize("seed", range(4))
def test_the_legend_covers_no_curve_of_either_axis(seed):
    import matplotlib.pyplot as plt

    from skdense._display import _display_points

    model = DenseNetClassifier(
        (8,), early_stopping=True, scoring="loss", max_iter=40, random_state=seed
    ).fit(X, y)
    fig, ax = plt.subplots()
    display = LossCurveDisplay.from_estimator(model, ax=ax)
    fig.canvas.draw()
    box = ax.get_legend().get_window_extent()
    for line in display.lines_:
        assert box.count_contains(_display_points(line)) == 0, line.get_label()
    plt.close(fig)
