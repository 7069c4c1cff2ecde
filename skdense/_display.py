"""LossCurveDisplay: a fitted network's training curves, in scikit-learn's style."""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.utils.validation import check_is_fitted


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError(
            "LossCurveDisplay needs matplotlib, which skdense does not install by "
            "default: pip install 'skdense[docs]' (or pip install matplotlib)."
        ) from error
    return plt


class LossCurveDisplay:
    """Training loss per epoch; validation loss and score when early stopping ran.

    Build it with :meth:`from_estimator`; it keeps what it drew so that the
    figure can be adjusted afterwards, like scikit-learn's Display objects
    (e.g. :class:`sklearn.metrics.RocCurveDisplay`).

    Parameters
    ----------
    loss_curve : list of float
        Training loss at the end of each epoch (``loss_curve_``).
    validation_scores : list of float or None, default=None
        Validation score at the end of each epoch (``validation_scores_``).
    validation_loss_curve : list of float or None, default=None
        Validation loss (penalty excluded) at the end of each epoch
        (``validation_loss_curve_``), drawn on the loss axis.
    estimator_name : str or None, default=None
        Name used in the legend.

    Attributes
    ----------
    ax_ : matplotlib Axes
        Axes of the loss curve.
    ax_validation_ : matplotlib Axes or None
        Second y axis, sharing x, holding the validation scores.
    figure_ : matplotlib Figure
        Figure of the axes.
    lines_ : list of matplotlib Line2D
        The loss line, then the validation loss and validation score lines
        when there are.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_digits
    >>> from skdense import DenseNetClassifier, LossCurveDisplay
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = DenseNetClassifier((32,), early_stopping=True, max_iter=20,
    ...                          random_state=0).fit(X / 16, y)
    >>> display = LossCurveDisplay.from_estimator(clf)
    >>> [line.get_label() for line in display.lines_]
    ['DenseNetClassifier loss', 'DenseNetClassifier validation loss', \
'DenseNetClassifier validation score']
    """

    def __init__(
        self,
        loss_curve,
        validation_scores=None,
        estimator_name=None,
        validation_loss_curve=None,
    ):
        self.loss_curve = loss_curve
        self.validation_scores = validation_scores
        self.estimator_name = estimator_name
        self.validation_loss_curve = validation_loss_curve

    @classmethod
    def from_estimator(cls, estimator, *, ax=None, name=None, **kwargs):
        """Draw the curves of a fitted skdense (or scikit-learn MLP) estimator.

        Parameters
        ----------
        estimator : fitted estimator
            Any estimator with ``loss_curve_`` (and ``validation_scores_``).
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure when None.
        name : str, default=None
            Legend label; the estimator's class name when None.
        **kwargs : dict
            Passed to ``matplotlib.axes.Axes.plot`` for the loss line.

        Returns
        -------
        display : LossCurveDisplay
            The display, with the figure drawn.
        """
        check_is_fitted(estimator, "loss_curve_")
        display = cls(
            loss_curve=list(estimator.loss_curve_),
            validation_scores=getattr(estimator, "validation_scores_", None),
            estimator_name=name or type(estimator).__name__,
            validation_loss_curve=getattr(estimator, "validation_loss_curve_", None),
        )
        return display.plot(ax=ax, **kwargs)

    def plot(self, ax=None, **kwargs):
        """Draw (or redraw) the curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure when None.
        **kwargs : dict
            Passed to ``matplotlib.axes.Axes.plot`` for the loss line.

        Returns
        -------
        display : LossCurveDisplay
            This display.
        """
        plt = _pyplot()
        if ax is None:
            _, ax = plt.subplots(layout="constrained")
        epochs = range(1, len(self.loss_curve) + 1)
        (loss_line,) = ax.plot(
            epochs,
            self.loss_curve,
            **{"label": f"{self.estimator_name} loss", **kwargs},
        )
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        self.lines_ = [loss_line]
        if self.validation_loss_curve:
            (validation_loss_line,) = ax.plot(
                range(1, len(self.validation_loss_curve) + 1),
                self.validation_loss_curve,
                linestyle=":",
                color=loss_line.get_color(),
                label=f"{self.estimator_name} validation loss",
            )
            self.lines_.append(validation_loss_line)
        self.ax_validation_ = None
        if self.validation_scores:
            self.ax_validation_ = ax.twinx()
            (score_line,) = self.ax_validation_.plot(
                range(1, len(self.validation_scores) + 1),
                self.validation_scores,
                linestyle="--",
                color=loss_line.get_color(),
                label=f"{self.estimator_name} validation score",
            )
            self.ax_validation_.set_ylabel("validation score")
            self.lines_.append(score_line)
        axes = [ax] if self.ax_validation_ is None else [ax, self.ax_validation_]
        _legend_where_it_covers_least(axes, self.lines_)
        self.ax_ = ax
        self.figure_ = ax.figure
        return self


_LEGEND_PLACES = (
    "upper right",
    "upper left",
    "lower left",
    "lower right",
    "center right",
    "center left",
    "upper center",
    "lower center",
    "center",
)


def _legend_where_it_covers_least(axes, handles):
    """Put the legend where it hides no point of the curves of any axis:
    matplotlib's ``loc="best"`` sees only its own axis's lines, and the
    validation score lives on a twin axis."""
    ax = axes[0]
    ax.figure.draw_without_rendering()  # lay the figure out: final positions
    points = np.vstack([_display_points(line) for a in axes for line in a.lines])
    for place in _LEGEND_PLACES:
        legend = ax.legend(handles=handles, loc=place)
        if legend.get_window_extent().count_contains(points) == 0:
            return legend
    # Curves that cross the whole axis (a falling loss and a rising score):
    # below the axis, where a constrained layout makes room for it.
    return ax.legend(
        handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.16), frameon=False
    )


def _display_points(line, per_segment=20):
    """Points along ``line`` (its segments too), in display coordinates."""
    x, y = (np.asarray(values, dtype=float) for values in line.get_data())
    if len(x) > 1:
        steps = np.linspace(0, len(x) - 1, per_segment * (len(x) - 1) + 1)
        x = np.interp(steps, np.arange(len(x)), x)
        y = np.interp(steps, np.arange(len(y)), y)
    return line.get_transform().transform(np.column_stack([x, y]))
