"""scikit-learn's estimator checks over the configurations users rely on."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skdense import (
    DenseNetClassifier,
    DenseNetRegressor,
    TabularNetClassifier,
    TabularNetRegressor,
)

CLASSIFIER_CONFIGS = [
    DenseNetClassifier(),
    DenseNetClassifier(penalty="l1"),
    DenseNetClassifier(penalty="elasticnet"),
    DenseNetClassifier(keep_prob=0.5),
    DenseNetClassifier(solver="sgd", keep_prob=0.8),
    DenseNetClassifier(input_keep_prob=0.8),
    DenseNetClassifier(keep_prob=0.8, max_norm=3.0),
    DenseNetClassifier(solver="adamw", penalty="elasticnet"),
    DenseNetClassifier(learning_rate="cosine", warmup_iter=2),
    DenseNetClassifier(activation="gelu"),
    DenseNetClassifier(
        hidden_layer_sizes=(8, 6), activation=["leaky_relu", "softplus"]
    ),
    DenseNetClassifier(solver="lbfgs"),
    DenseNetClassifier(parametrization="ntk", learning_rate="coslog"),
    DenseNetClassifier(label_smoothing=0.1),
]

REGRESSOR_CONFIGS = [
    DenseNetRegressor(),
    DenseNetRegressor(penalty="l1"),
    DenseNetRegressor(penalty="elasticnet"),
    DenseNetRegressor(keep_prob=0.5),
    DenseNetRegressor(solver="sgd", keep_prob=0.8),
    DenseNetRegressor(input_keep_prob=0.8),
    DenseNetRegressor(keep_prob=0.8, max_norm=3.0),
    DenseNetRegressor(solver="adamw", penalty="elasticnet"),
    DenseNetRegressor(solver="sgd", learning_rate="cosine", warmup_iter=2),
    DenseNetRegressor(activation="silu"),
    DenseNetRegressor(loss="gaussian_nll"),
    DenseNetRegressor(loss="gaussian_nll", keep_prob=0.8, penalty="l1"),
    DenseNetRegressor(loss="quantile", quantile=0.5),
    DenseNetRegressor(hidden_layer_sizes=(32, 16), activation=["elu", "gelu"]),
    DenseNetRegressor(solver="lbfgs"),
    DenseNetRegressor(
        parametrization="ntk", learning_rate="coslog", learning_rate_init=0.01
    ),
]

# Small networks and few epochs: the checks fit many times.
_SMALL = dict(hidden_layer_sizes=(16, 16), max_iter=30, n_iter_no_change=30)
TABULAR_CONFIGS = [
    TabularNetClassifier(**_SMALL),
    TabularNetClassifier(**_SMALL, numeric_scaling="standard", keep_prob=0.8),
    TabularNetRegressor(**_SMALL),
    TabularNetRegressor(**_SMALL, loss="gaussian_nll"),
    TabularNetRegressor(**_SMALL, loss="quantile", quantile=0.5, input_scale=True),
]


def _expected_failures(estimator):
    """The checks the tabular networks fail by design, and why."""
    if not isinstance(estimator, (TabularNetClassifier, TabularNetRegressor)):
        return {}
    return {
        "check_sample_weight_equivalence_on_dense_data": (
            "the robust scaling's quantiles are unweighted (as RobustScaler's), "
            "and early stopping's validation split, when on, draws rows"
        ),
        "check_regressor_multioutput": (
            "predictions come in the network's dtype, float32 by default"
        ),
    }


@parametrize_with_checks(
    CLASSIFIER_CONFIGS + REGRESSOR_CONFIGS + TABULAR_CONFIGS,
    expected_failed_checks=_expected_failures,
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
