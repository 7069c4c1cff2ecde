"""Every constructor parameter is validated at fit, with a message that says
which parameter, what value, and what is allowed."""

import numpy as np
import pytest

from skdense import DenseNetClassifier, DenseNetRegressor
from skdense._params import PARAMETER_CONSTRAINTS

X = np.random.RandomState(0).normal(size=(20, 3))
y = np.arange(20) % 2

BAD_PARAMETERS = [
    ("hidden_layer_sizes", 0, "positive int"),
    ("hidden_layer_sizes", (10, -1), "positive int"),
    ("hidden_layer_sizes", (10, 2.5), "positive int"),
    ("hidden_layer_sizes", "10", "positive int"),
    ("activation", "softmax", "one of 'identity'"),
    ("activation", "swish", "'selu', 'mish', or a list of them"),
    ("activation", ["relu", "GELU"], r"got 'GELU' in \['relu', 'GELU'\]"),
    ("activation", [], "activation must be one of"),
    ("activation", None, "activation must be one of"),
    ("activation", ["relu", "tanh"], r"one per hidden layer \(1 here\); got 2"),
    ("solver", "newton", "one of 'lbfgs'"),
    ("alpha", -0.1, r"in \[0, inf\)"),
    ("alpha", np.nan, "alpha"),
    ("alpha", "big", "alpha must be a float"),
    ("batch_size", 0, "batch_size"),
    ("batch_size", "full", "batch_size"),
    ("learning_rate", "cyclic", "one of 'constant'"),
    ("learning_rate_init", 0.0, r"in \(0, inf\)"),
    ("learning_rate_init", np.inf, "learning_rate_init"),
    ("power_t", -1.0, "power_t"),
    ("max_iter", 0, r"an int in \[1, inf\)"),
    ("max_iter", 10.5, "max_iter must be an int"),
    ("shuffle", "yes", "shuffle must be a bool"),
    ("random_state", -1, "random_state"),
    ("random_state", "seed", "random_state"),
    ("tol", -1e-4, "tol"),
    ("verbose", -1, "verbose"),
    ("warm_start", 1, "warm_start must be a bool"),
    ("momentum", 1.5, r"in \[0, 1\]"),
    ("nesterovs_momentum", None, "nesterovs_momentum must be a bool"),
    ("early_stopping", "no", "early_stopping must be a bool"),
    ("validation_fraction", 1.0, r"in \[0, 1\)"),
    ("beta_1", 1.0, r"beta_1 must be a float in \[0, 1\)"),
    ("beta_2", -0.1, "beta_2"),
    ("epsilon", 0.0, "epsilon"),
    ("n_iter_no_change", 0, "n_iter_no_change"),
    ("max_fun", 0, "max_fun"),
    ("penalty", "l3", "one of None, 'l2', 'l1', 'elasticnet'"),
    ("penalty", "L2", "penalty"),
    ("l1_ratio", 1.5, r"l1_ratio must be a float in \[0, 1\]"),
    ("l1_ratio", np.nan, "l1_ratio"),
    ("keep_prob", 0.0, r"in \(0, 1\]"),
    ("keep_prob", 1.2, "keep_prob"),
    ("keep_prob", np.nan, "keep_prob"),
    ("keep_prob", [0.5, "a"], "keep_prob"),
    ("keep_prob", [], "keep_prob"),
    ("keep_prob", [0.5, 0.5], "one value per hidden layer"),
    ("scoring", 3, "scoring must be None, 'loss', a scorer name or a callable"),
    ("scoring", ["accuracy"], "scoring must be"),
    ("input_keep_prob", 0.0, r"input_keep_prob must be a float in \(0, 1\]"),
    ("input_keep_prob", 1.01, "input_keep_prob"),
    ("input_keep_prob", np.nan, "input_keep_prob"),
    ("input_keep_prob", [0.8], "input_keep_prob must be a float"),
    ("class_weight", "auto", "class_weight"),
    ("class_weight", {0: -1.0}, "class_weight"),
    ("n_threads", 0, "n_threads"),
    ("n_threads", 1.5, "n_threads"),
    ("mc_samples", 0, "mc_samples"),
    ("mc_samples", "many", "mc_samples"),
    ("max_norm", 0.0, r"max_norm must be one of None or a float in \(0, inf\)"),
    ("max_norm", "3", "max_norm"),
    ("warmup_iter", -1, r"warmup_iter must be an int in \[0, inf\)"),
    ("warmup_iter", 2.5, "warmup_iter"),
    ("label_smoothing", 1.0, r"label_smoothing must be a float in \[0, 1\)"),
    ("label_smoothing", -0.1, "label_smoothing"),
    ("parametrization", "mup", "parametrization must be one of 'standard', 'ntk'"),
    ("input_scale", "yes", "input_scale must be"),
]


@pytest.mark.parametrize("name, value, message", BAD_PARAMETERS)
def test_bad_parameter_raises_a_clear_error(name, value, message):
    params = {"hidden_layer_sizes": (4,), "max_iter": 2, name: value}
    model = DenseNetClassifier(**params)
    with pytest.raises((ValueError, TypeError), match=message) as error:
        model.fit(X, y)
    assert name in str(error.value)
    assert not hasattr(model, "coefs_")


REGRESSOR_ONLY = {"loss", "quantile", "variance_power", "calibrate_std"}


def test_every_parameter_is_constrained_and_tested():
    params = set(DenseNetClassifier().get_params())
    assert params == set(PARAMETER_CONSTRAINTS) - REGRESSOR_ONLY
    assert params == {name for name, _, _ in BAD_PARAMETERS}


@pytest.mark.parametrize(
    "params",
    [
        dict(solver="lbfgs", penalty="l1"),
        dict(solver="lbfgs", penalty="elasticnet"),
        dict(solver="lbfgs", keep_prob=0.5),
        dict(solver="lbfgs", input_keep_prob=0.8),
        dict(solver="lbfgs", keep_prob=[1.0, 0.9], hidden_layer_sizes=(3, 3)),
    ],
)
def test_lbfgs_rejects_l1_and_dropout_and_names_other_solvers(params):
    with pytest.raises(ValueError, match=r"solver='lbfgs'.*Use solver='adam' or 'sgd'"):
        DenseNetClassifier(**params).fit(X, y)


@pytest.mark.parametrize("learning_rate", ["cosine", "constant"])
def test_lbfgs_refuses_warmup_iter_whatever_the_schedule(learning_rate):
    # Reported: learning_rate='cosine' with warmup_iter passed silently.
    model = DenseNetClassifier(
        solver="lbfgs", learning_rate=learning_rate, warmup_iter=2, max_iter=5
    )
    with pytest.raises(ValueError, match=r"warmup_iter=2 .* solver='lbfgs' has"):
        model.fit(X, y)
    assert not hasattr(model, "coefs_")


@pytest.mark.parametrize(
    "name, value",
    [
        ("n_iter_no_change", np.inf),
        ("random_state", np.random.RandomState(0)),
        ("penalty", None),
        ("keep_prob", np.array([0.5])),
        ("hidden_layer_sizes", np.array([3, 2])),
        ("verbose", 0),
        ("batch_size", np.int64(5)),
        ("alpha", np.float32(0.1)),
        ("class_weight", {0: 2, 1: 0.5}),
        ("n_threads", 1),
    ],
)
def test_good_values_of_other_types_are_accepted(name, value):
    params = {"hidden_layer_sizes": (3,), "max_iter": 1, name: value}
    DenseNetClassifier(**params).fit(X, y)


@pytest.mark.parametrize(
    "value, error",
    [("absolute_error", ValueError), (None, ValueError), (2, ValueError)],
)
def test_bad_regressor_loss(value, error):
    with pytest.raises(error, match=r"loss must be one of 'squared_error', 'poisson'"):
        DenseNetRegressor(loss=value, max_iter=1).fit(X, y)


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("quantile", 0.0, r"quantile must be one of None or a float in \(0, 1\)"),
        ("quantile", 1.0, "quantile"),
        ("quantile", "0.9", "quantile"),
        ("variance_power", -0.5, r"variance_power must be a float in \[0, 1\]"),
        ("variance_power", 1.5, "variance_power"),
        ("variance_power", None, "variance_power"),
        ("calibrate_std", "yes", "calibrate_std must be a bool"),
        ("calibrate_std", 1, "calibrate_std must be a bool"),
    ],
)
def test_bad_regressor_loss_parameters(name, value, message):
    loss = "quantile" if name == "quantile" else "gaussian_nll"
    model = DenseNetRegressor(loss=loss, max_iter=1, **{name: value})
    with pytest.raises((ValueError, TypeError), match=message):
        model.fit(X, y)
    assert not hasattr(model, "coefs_")


def test_every_regressor_parameter_is_constrained():
    params = set(DenseNetRegressor().get_params())
    assert params == set(PARAMETER_CONSTRAINTS) - {"class_weight", "label_smoothing"}
