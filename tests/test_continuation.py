"""A continued fit (warm_start, partial_fit) keeps what shapes the network:
any change of it is refused, naming the parameter, and changes nothing."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_regression

from skdense import DenseNetClassifier, DenseNetRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

X, y = make_regression(n_samples=60, n_features=4, n_targets=3, random_state=0)
y = y / y.std()
labels = (X[:, 0] > 0).astype(int)


def _regressor(**params):
    defaults = dict(hidden_layer_sizes=(5,), max_iter=3, random_state=0)
    return DenseNetRegressor(**{**defaults, **params})


def _continue(model, how, X, y, **extra):
    """Set ``model`` to continue as ``how`` says; the call that trains it on."""
    if how == "warm_start":
        model.set_params(warm_start=True)
        return lambda m: m.fit(X, y)
    return lambda m: m.partial_fit(X, y, **extra)


CONTINUATIONS = ["warm_start", "partial_fit"]


@pytest.mark.parametrize("how", CONTINUATIONS)
def test_a_gaussian_model_then_the_squared_error_on_as_many_units_is_refused(
    how, unchanged_by
):
    # Reported: gaussian_nll on 1 target, then squared_error with warm_start on
    # 2 targets (y, -2y) trained on and predicted two identical columns.
    model = _regressor(loss="gaussian_nll").fit(X, y[:, 0])
    two = np.column_stack([y[:, 0], -2 * y[:, 0]])
    model.set_params(loss="squared_error")
    unchanged_by(
        model,
        _continue(model, how, X, two),
        match=r"loss='squared_error' gives another output layer than the model's "
        r"loss='gaussian_nll'.*call fit with warm_start=False",
    )


@pytest.mark.parametrize("how", CONTINUATIONS)
def test_two_squared_error_targets_then_a_gaussian_on_one_is_refused(how, unchanged_by):
    # Reported: partial_fit succeeded and predict raised NumPy's broadcast error.
    model = _regressor().fit(X, y[:, :2])
    model.set_params(loss="gaussian_nll")
    unchanged_by(
        model,
        _continue(model, how, X, y[:, 0]),
        match=r"y has 1 target\(s\) or label\(s\), the model was trained on 2; "
        r"loss='gaussian_nll' gives another output layer",
    )


@pytest.mark.parametrize("loss", ["gaussian_nll", "squared_error", "quantile"])
@pytest.mark.parametrize("how", CONTINUATIONS)
def test_a_three_target_model_given_two_names_the_targets(loss, how, unchanged_by):
    # Reported: gaussian_nll failed with "operands could not be broadcast".
    model = _regressor(loss=loss, quantile=0.5).fit(X, y)
    unchanged_by(
        model,
        _continue(model, how, X, y[:, :2]),
        match=r"y has 2 target\(s\) or label\(s\), the model was trained on 3\.",
    )


@pytest.mark.parametrize("estimator", [DenseNetClassifier, DenseNetRegressor])
@pytest.mark.parametrize("how", CONTINUATIONS)
@pytest.mark.parametrize(
    "change, message",
    [
        (
            {"hidden_layer_sizes": (7,)},
            r"hidden_layer_sizes gives hidden layers of \[7\] units, the model's "
            r"have \[5\]",
        ),
        (
            {"hidden_layer_sizes": (5, 5)},
            r"hidden layers of \[5, 5\] units, the model's have \[5\]\.",
        ),
        (
            {"activation": "tanh"},
            r"activation='tanh', the model was trained with activation='relu'",
        ),
        (
            {"activation": ["gelu"]},
            r"activation=\['gelu'\], the model was trained with activation='relu'",
        ),
    ],
)
def test_a_continued_fit_keeps_the_hidden_layers(
    estimator, how, change, message, unchanged_by
):
    target = labels if estimator is DenseNetClassifier else y[:, 0]
    model = estimator(hidden_layer_sizes=(5,), max_iter=3, random_state=0)
    model.fit(X, target)
    model.set_params(**change)
    extra = {"classes": [0, 1]} if how == "partial_fit" and target is labels else {}
    unchanged_by(model, _continue(model, how, X, target, **extra), match=message)


def test_the_message_names_the_call_every_change_and_the_way_out(unchanged_by):
    model = _regressor(hidden_layer_sizes=(5, 4)).fit(X, y)
    model.set_params(hidden_layer_sizes=(5, 3), activation="tanh")
    unchanged_by(
        model,
        _continue(model, "warm_start", X, y[:, 0]),
        match=r"^Cannot continue training \(warm_start=True or partial_fit\): "
        r"hidden_layer_sizes gives hidden layers of \[5, 3\] units, the model's "
        r"have \[5, 4\]; y has 1 target\(s\) or label\(s\), the model was "
        r"trained on 3; activation='tanh', the model was trained with "
        r"activation='relu'\. What shapes the network changes only in a fresh fit: "
        r"call fit with warm_start=False\.$",
    )


def test_weights_set_by_hand_continue_whatever_their_activation():
    # scikit-learn's own MLP tests set coefs_ and friends on a bare model.
    model = _regressor(hidden_layer_sizes=(5,), activation="tanh").fit(X, y)
    del model.__dict__["hidden_activation_"]
    model.partial_fit(X, y)
    assert model.hidden_activation_ == "tanh"


@pytest.mark.parametrize("estimator", [DenseNetClassifier, DenseNetRegressor])
def test_the_same_shape_continues_and_a_fresh_fit_may_change_anything(estimator):
    target = labels if estimator is DenseNetClassifier else y[:, 0]
    model = estimator(hidden_layer_sizes=(5, 4), activation=["relu"], max_iter=3)
    model.fit(X, target)
    model.set_params(activation="relu", warm_start=True, alpha=0.1).fit(X, target)
    model.partial_fit(X, target)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning either
        model.set_params(warm_start=False, hidden_layer_sizes=(3, 2), max_iter=1)
        warnings.simplefilter("ignore")
        model.fit(X, target)
    assert [c.shape[1] for c in model.coefs_[:-1]] == [3, 2]
    if estimator is DenseNetRegressor:
        model.set_params(loss="gaussian_nll").fit(X, y)
        assert model.n_outputs_ == 3 and model.coefs_[-1].shape[1] == 6
