"""scikit-learn's callbacks (``sklearn.callback``, scikit-learn 1.9+) during a fit.

A fit is one task; each epoch of a stochastic solver, or each iteration of
lbfgs, is one subtask. Every ``on_fit_task_begin`` has its matching
``on_fit_task_end``, also when the fit stops early, diverges or is
interrupted (the end of an unfinished task carries no estimator). A callback
whose ``on_fit_task_end`` returns True stops the fit after that epoch, as
early stopping does.

With an older scikit-learn the estimators work as before, and
``set_callbacks`` says which version it needs.
"""

# Authors: The skdense developers
# SPDX-License-Identifier: BSD-3-Clause

import contextlib

import numpy as np
import sklearn

try:
    from sklearn.callback import CallbackSupportMixin, with_callbacks

    CALLBACKS_AVAILABLE = True
except ImportError:  # scikit-learn < 1.9
    CALLBACKS_AVAILABLE = False

    class CallbackSupportMixin:
        """Stand-in for ``sklearn.callback.CallbackSupportMixin``."""

        def set_callbacks(self, *callbacks):
            """Refuse: callbacks need ``sklearn.callback``."""
            raise RuntimeError(
                "set_callbacks needs scikit-learn >= 1.9, whose sklearn.callback "
                f"module provides the callbacks; scikit-learn {sklearn.__version__} "
                "is installed. Upgrade it with pip install 'scikit-learn>=1.9'."
            )

    def with_callbacks(method):
        return method


__all__ = ["CALLBACKS_AVAILABLE", "CallbackSupportMixin", "FitTasks", "with_callbacks"]


class _Task:
    """One epoch's subtask; ``stop`` is set when a callback asks to stop."""

    stop = False


class FitTasks:
    """The callback contexts of one fit: the root task and one subtask per epoch.

    Parameters
    ----------
    estimator : estimator
        The estimator being fitted.
    X, y : array-like
        The training data, passed to the hooks.
    sample_weight : array-like or None
        Passed to the hooks as metadata.
    max_subtasks : int
        Most epochs (or iterations) the fit can have.
    network : DenseNetwork
        The network being trained: the estimator handed to a callback holds
        copies of its weights at the parameters of that moment.
    """

    def __init__(self, estimator, X, y, sample_weight, max_subtasks, network):
        self.estimator = estimator
        self._data = dict(
            X=X,
            y=y,
            metadata=None
            if sample_weight is None
            else {"sample_weight": sample_weight},
        )
        self._network = network
        self.root = estimator._init_callback_context(max_subtasks=max_subtasks)
        self.root.call_on_fit_task_begin(estimator=estimator, **self._data)

    @classmethod
    def start(cls, estimator, *args):
        """FitTasks if the estimator has callbacks, else a :class:`NoTasks`."""
        if CALLBACKS_AVAILABLE and getattr(estimator, "_skl_callbacks", None):
            return cls(estimator, *args)
        return NoTasks()

    def _reconstruction(self, theta):
        """The fitted weights of the estimator at the parameters ``theta``."""
        theta = np.array(theta, dtype=self._network.dtype)
        coefs, intercepts = self._network.unpack(theta)
        return {"coefs_": coefs, "intercepts_": intercepts}

    def begin(self, theta, name="epoch"):
        """Begin a subtask at the parameters ``theta``; returns its context."""
        context = self.root.subcontext(task_name=name)
        context.call_on_fit_task_begin(
            estimator=self.estimator,
            reconstruction_attributes=lambda: self._reconstruction(theta),
            **self._data,
        )
        return context

    def end(self, context, theta=None):
        """End a subtask, at ``theta`` (None: a task that did not finish).

        Returns whether a callback asked to stop.
        """
        if theta is None:
            return bool(context.call_on_fit_task_end(estimator=self.estimator))
        return bool(
            context.call_on_fit_task_end(
                estimator=self.estimator,
                reconstruction_attributes=lambda: self._reconstruction(theta),
                **self._data,
            )
        )

    @contextlib.contextmanager
    def subtask(self, theta, name="epoch"):
        """Begin a subtask; end it on exit, with ``theta``'s estimator unless the
        block raised. Yields a task whose ``stop`` says a callback asked to stop."""
        context = self.begin(theta, name)
        task = _Task()
        try:
            yield task
        except BaseException:
            self.end(context)
            raise
        task.stop = self.end(context, theta)

    def close(self, theta=None):
        """End the root task (with ``theta``'s estimator when given)."""
        attributes = None if theta is None else (lambda: self._reconstruction(theta))
        data = self._data if theta is not None else {}
        self.root.call_on_fit_task_end(
            estimator=self.estimator, reconstruction_attributes=attributes, **data
        )


class NoTasks:
    """What a fit without callbacks does at each task: nothing."""

    def _reconstruction(self, theta):
        """The fitted weights of the estimator at the parameters ``theta``."""
        theta = np.array(theta, dtype=self._network.dtype)
        coefs, intercepts = self._network.unpack(theta)
        return {"coefs_": coefs, "intercepts_": intercepts}

    def begin(self, theta, name="epoch"):
        return None

    def end(self, context, theta=None):
        return False

    @contextlib.contextmanager
    def subtask(self, theta, name="epoch"):
        yield _Task()

    def close(self, theta=None):
        pass
