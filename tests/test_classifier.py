"""DenseNetClassifier: targets, inputs, MLPClassifier parity, L1 and class weights."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import (
    load_digits,
    make_classification,
    make_multilabel_classification,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import balanced_accuracy_score
from sklearn.neural_network import MLPClassifier

from skdense import DenseNetClassifier

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _data(n_classes=3, n_samples=150, seed=0):
    return make_classification(
        n_samples=n_samples,
        n_features=8,
        n_informative=5,
        n_classes=n_classes,
        random_state=seed,
    )


def _small(**params):
    return DenseNetClassifier(
        (10,), max_iter=50, learning_rate_init=0.01, random_state=0, **params
    )


@pytest.mark.parametrize("n_classes, out_activation", [(2, "logistic"), (4, "softmax")])
def test_binary_and_multiclass(n_classes, out_activation):
    X, y = _data(n_classes)
    model = _small().fit(X, y)
    proba = model.predict_proba(X)
    assert model.out_activation_ == out_activation
    assert proba.shape == (len(y), n_classes)
    np.testing.assert_allclose(proba.sum(axis=1), 1)
    np.testing.assert_array_equal(
        model.predict(X), model.classes_[proba.argmax(axis=1)]
    )
    np.testing.assert_allclose(np.exp(model.predict_log_proba(X)), proba)
    mlp = MLPClassifier((10,), max_iter=50, learning_rate_init=0.01, random_state=0)
    mlp_proba = mlp.fit(X, y).predict_proba(X)
    np.testing.assert_allclose(proba, mlp_proba, rtol=1e-9, atol=1e-12)
    assert model.score(X, y) == mlp.score(X, y)


def test_multilabel():
    X, Y = make_multilabel_classification(n_samples=120, n_classes=4, random_state=0)
    model = DenseNetClassifier((16,), max_iter=200, random_state=0).fit(X, Y)
    proba = model.predict_proba(X)
    assert model.out_activation_ == "logistic" and model.n_outputs_ == 4
    assert proba.shape == Y.shape and ((proba > 0) & (proba < 1)).all()
    np.testing.assert_array_equal(model.predict(X), (proba > 0.5).astype(int))
    assert (model.predict(X) == Y).mean() > 0.8


def test_string_labels():
    X, y = _data(3)
    labels = np.array(["cat", "dog", "emu"])[y]
    model = _small().fit(X, labels)
    assert list(model.classes_) == ["cat", "dog", "emu"]
    assert set(model.predict(X)) <= set(labels)
    numeric = _small().fit(X, y)
    np.testing.assert_array_equal(model.coefs_[0], numeric.coefs_[0])


def test_pandas_input_keeps_feature_names():
    pd = pytest.importorskip("pandas")
    X, y = _data(2)
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    model = _small().fit(frame, pd.Series(y))
    np.testing.assert_array_equal(model.feature_names_in_, frame.columns)
    np.testing.assert_array_equal(model.predict(frame), _small().fit(X, y).predict(X))
    with pytest.warns(UserWarning, match="feature names"):
        model.predict(X)


@pytest.mark.parametrize("container", [sp.csr_matrix, sp.csc_matrix, sp.csr_array])
@pytest.mark.parametrize("keep_prob", [1.0, 0.7])
def test_sparse_input_trains_like_dense(container, keep_prob):
    X, y = _data(3)
    X[np.abs(X) < 0.8] = 0.0
    dense = _small(keep_prob=keep_prob).fit(X, y)
    sparse = _small(keep_prob=keep_prob).fit(container(X), y)
    np.testing.assert_allclose(sparse.coefs_[0], dense.coefs_[0], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(
        sparse.predict_proba(container(X)), dense.predict_proba(X), rtol=1e-9
    )


def test_float32_is_kept_float32():
    X, y = _data(3)
    dropout = _small(keep_prob=0.8).fit(X.astype(np.float32), y)
    assert all(c.dtype == np.float32 for c in dropout.coefs_ + dropout.intercepts_)
    assert dropout.predict_proba(X.astype(np.float32)).dtype == np.float32
    float32 = _small().fit(X.astype(np.float32), y)
    float64 = _small().fit(X, y)
    assert float64.coefs_[0].dtype == np.float64
    np.testing.assert_allclose(float32.coefs_[0], float64.coefs_[0], atol=1e-4)


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_fitted_attributes_have_mlp_layout(solver):
    X, y = _data(3)
    params = dict(hidden_layer_sizes=(7, 5), solver=solver, max_iter=20, random_state=0)
    ours = DenseNetClassifier(**params).fit(X, y)
    mlp = MLPClassifier(**params).fit(X, y)

    def public_fitted(model):
        names = {k for k in dir(model) if k.endswith("_") and not k.startswith("_")}
        return {k for k in names if hasattr(model, k)}

    assert public_fitted(mlp) <= public_fitted(ours)
    for name in public_fitted(mlp):
        theirs, mine = getattr(mlp, name), getattr(ours, name)
        assert type(mine) is type(theirs) or np.isscalar(mine), name
        if name in ("coefs_", "intercepts_"):
            assert [a.shape for a in mine] == [a.shape for a in theirs]
        elif name != "loss_curve_":
            assert np.shape(mine) == np.shape(theirs), name


@pytest.mark.parametrize("n_classes", [2, 3])
def test_mlp_weights_copied_in_give_the_same_predictions(n_classes):
    X, y = _data(n_classes)
    mlp = MLPClassifier((9, 6), activation="tanh", max_iter=50, random_state=1).fit(
        X, y
    )
    ours = DenseNetClassifier((9, 6), activation="tanh", max_iter=1, random_state=0)
    ours.fit(X, y)
    ours.coefs_ = [c.copy() for c in mlp.coefs_]
    ours.intercepts_ = [b.copy() for b in mlp.intercepts_]
    np.testing.assert_allclose(ours.predict_proba(X), mlp.predict_proba(X), rtol=1e-13)
    np.testing.assert_array_equal(ours.predict(X), mlp.predict(X))


@pytest.mark.parametrize(
    "params",
    [
        dict(solver="adam"),
        dict(solver="sgd", nesterovs_momentum=False),
        dict(solver="sgd", learning_rate="invscaling", learning_rate_init=0.1),
        dict(solver="sgd", learning_rate="adaptive", tol=0.1, n_iter_no_change=2),
        dict(solver="adam", early_stopping=True, activation="logistic"),
        dict(solver="lbfgs"),
    ],
)
@pytest.mark.parametrize("weighted", [False, True])
def test_default_penalty_trains_exactly_like_mlp_classifier(params, weighted):
    X, y = _data(3)
    sample_weight = (
        np.random.RandomState(0).uniform(0.5, 2, len(y)) if weighted else None
    )
    common = dict(hidden_layer_sizes=(12, 6), max_iter=40, random_state=3, **params)
    ours = DenseNetClassifier(**common).fit(X, y, sample_weight=sample_weight)
    mlp = MLPClassifier(**common).fit(X, y, sample_weight=sample_weight)
    assert ours.n_iter_ == mlp.n_iter_
    if params["solver"] != "lbfgs":
        np.testing.assert_allclose(ours.loss_curve_, mlp.loss_curve_, rtol=1e-10)
        assert ours.t_ == mlp.t_
    assert ours.loss_ == pytest.approx(mlp.loss_, rel=1e-8)
    for mine, theirs in zip(ours.coefs_, mlp.coefs_):
        np.testing.assert_allclose(mine, theirs, rtol=1e-8, atol=1e-10)
    if params.get("early_stopping"):
        np.testing.assert_allclose(ours.validation_scores_, mlp.validation_scores_)


def _digits():
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_l1_gives_exact_zeros_and_still_predicts(solver):
    X, y = _digits()
    params = dict(learning_rate_init=0.05) if solver == "sgd" else {}
    model = DenseNetClassifier(
        (32,),
        solver=solver,
        penalty="l1",
        alpha=1.0,
        max_iter=40,
        random_state=0,
        **params,
    ).fit(X[:1000], y[:1000])
    zero_fraction = np.mean(model.coefs_[0] == 0.0)
    assert zero_fraction > 0.5
    l2 = DenseNetClassifier(
        (32,), solver=solver, alpha=1.0, max_iter=40, random_state=0, **params
    ).fit(X[:1000], y[:1000])
    assert np.mean(l2.coefs_[0] == 0.0) < 0.01
    # Measured: L1 0.81 (adam) and 0.91 (sgd) against L2's 0.88 and 0.93.
    assert model.score(X[1000:], y[1000:]) > l2.score(X[1000:], y[1000:]) - 0.1


def test_elastic_net_sparsity_lies_between_l2_and_l1():
    X, y = _digits()

    def zeros(**params):
        model = DenseNetClassifier(
            (16,), alpha=1.0, max_iter=30, random_state=0, **params
        )
        return np.mean(model.fit(X, y).coefs_[0] == 0.0)

    l1, elastic = zeros(penalty="l1"), zeros(penalty="elasticnet", l1_ratio=0.5)
    assert zeros(penalty="l2") < elastic < l1


def _imbalanced():
    X, y = make_classification(
        n_samples=400, n_features=5, weights=[0.9, 0.1], class_sep=0.6, random_state=2
    )
    return X, y


def test_balanced_class_weight_helps_the_minority_class():
    X, y = _imbalanced()
    plain = _small().set_params(max_iter=100).fit(X, y)
    balanced = _small(class_weight="balanced").set_params(max_iter=100).fit(X, y)
    assert (
        balanced_accuracy_score(y, balanced.predict(X))
        > balanced_accuracy_score(y, plain.predict(X)) + 0.05
    )


def test_class_weight_equals_the_matching_sample_weight():
    X, y = _imbalanced()
    sample_weight = np.random.RandomState(0).uniform(0.5, 1.5, len(y))
    counts = np.bincount(y, weights=sample_weight)
    balanced = counts.sum() / (2 * counts)
    by_class = _small(class_weight="balanced").fit(X, y, sample_weight=sample_weight)
    by_sample = _small().fit(X, y, sample_weight=sample_weight * balanced[y])
    np.testing.assert_allclose(by_class.coefs_[0], by_sample.coefs_[0], rtol=1e-10)
    by_dict = _small(class_weight={1: 3.0}).fit(X, y)
    by_sample = _small().fit(X, y, sample_weight=np.where(y == 1, 3.0, 1.0))
    np.testing.assert_allclose(by_dict.coefs_[0], by_sample.coefs_[0], rtol=1e-10)


@pytest.mark.parametrize(
    "class_weight, fit, message",
    [
        ({5: 2.0}, "fit", "class_weight names labels \\[5\\]"),
        (
            "balanced",
            "partial_fit",
            "class_weight='balanced' is not supported by partial_fit",
        ),
        ("balanced", "multilabel", "not supported for multilabel"),
    ],
)
def test_class_weight_errors(class_weight, fit, message):
    X, y = _imbalanced()
    model = _small(class_weight=class_weight)
    with pytest.raises(ValueError, match=message):
        if fit == "partial_fit":
            model.partial_fit(X, y, classes=[0, 1])
        elif fit == "multilabel":
            model.fit(X, np.column_stack([y, 1 - y, y]))
        else:
            model.fit(X, y)


def test_partial_fit_trains_one_epoch_per_call():
    X, y = _data(3)
    model = _small()
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        model.partial_fit(X, y)
    losses = []
    for _ in range(5):
        model.partial_fit(X, y, classes=np.unique(y))
        losses.append(model.loss_)
    assert model.n_iter_ == 1 and model.t_ == 5 * len(y)
    assert losses[-1] < losses[0] and len(model.loss_curve_) == 5
    with pytest.raises(ValueError, match="not among the classes"):
        model.partial_fit(X, y + 10)
    assert len(model.loss_curve_) == 5


def test_partial_fit_with_classes_not_in_the_first_batch():
    X, y = _data(3)
    model = _small()
    model.partial_fit(X[y < 2], y[y < 2], classes=[0, 1, 2])
    assert model.predict_proba(X).shape == (len(y), 3)
    model.partial_fit(X, y)
    with pytest.raises(ValueError, match="differs from the classes"):
        model.partial_fit(X, y, classes=[0, 1])


def test_lbfgs_has_no_partial_fit():
    model = DenseNetClassifier(solver="lbfgs")
    assert not hasattr(model, "partial_fit")
    with pytest.raises(AttributeError, match="has no attribute 'partial_fit'"):
        getattr(model, "partial_fit")  # noqa: B009


def test_single_class_fits_and_predicts_it_as_mlp_does():
    X, _ = _data(2)
    y = np.full(len(X), "only")
    model = _small().fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp = MLPClassifier(
            (10,), max_iter=50, learning_rate_init=0.01, random_state=0
        ).fit(X, y)
    np.testing.assert_array_equal(model.classes_, ["only"])
    np.testing.assert_array_equal(model.predict(X), y)
    assert model.predict_proba(X).shape == mlp.predict_proba(X).shape
    np.testing.assert_allclose(model.coefs_[0], mlp.coefs_[0], rtol=1e-8)


def test_regression_targets_are_refused():
    X, _ = _data(2)
    with pytest.raises(ValueError, match="Unknown label type"):
        _small().fit(X, np.linspace(0, 1, len(X)))


def test_max_iter_reached_warns():
    X, y = _data(2)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        with pytest.raises(ConvergenceWarning, match="Maximum iterations \\(3\\)"):
            DenseNetClassifier((5,), max_iter=3, random_state=0).fit(X, y)


def test_sample_y_draws_probabilities_per_class():
    X, y = _data(3)
    model = _small(keep_prob=0.6, mc_samples=25).fit(X, y)
    samples = model.sample_y(X[:20])
    assert samples.shape == (20, 3, 25)
    np.testing.assert_allclose(samples.sum(axis=1), 1)
    mean, std = model.predict_proba(X[:20], return_std=True)
    np.testing.assert_array_equal(samples.mean(axis=-1), mean)
    np.testing.assert_array_equal(samples.std(axis=-1), std)
    np.testing.assert_array_equal(model.sample_y(X[5:7]), samples[5:7])
    binary = _small(input_keep_prob=0.7).fit(*_data(2))
    assert binary.sample_y(X[:4], n_samples=6).shape == (4, 2, 6)
    with pytest.raises(ValueError, match="needs a model trained with dropout"):
        _small().fit(*_data(2)).sample_y(X[:4])


def _smoothing_problem(kind):
    from sklearn.datasets import make_multilabel_classification

    if kind == "multilabel":
        return make_multilabel_classification(n_samples=60, n_classes=3, random_state=0)
    n_classes = 2 if kind == "binary" else 3
    return make_classification(
        n_samples=60, n_features=5, n_informative=3, n_classes=n_classes, random_state=0
    )


@pytest.mark.parametrize("kind", ["binary", "multiclass", "multilabel"])
@pytest.mark.parametrize("solver", ["sgd", "lbfgs"])
def test_label_smoothing_trains_on_the_smoothed_targets(kind, solver):
    from skdense._inference import fitted_network
    from skdense._penalties import make_penalty
    from skdense._targets import smooth_labels

    X, y = _smoothing_problem(kind)
    params = dict(hidden_layer_sizes=(6,), solver=solver, random_state=0, max_iter=1)
    if solver == "sgd":
        params.update(batch_size=60, momentum=0.0, shuffle=False)
    model = DenseNetClassifier(label_smoothing=0.1, **params).fit(X, y)
    network = fitted_network(model)[0]
    initial = network.initial_params(np.random.RandomState(0))  # the fit's start
    Y = model._targets(y).dense(np.float64)
    Y = smooth_labels(Y, 0.1, model.out_activation_)
    grad = np.empty_like(initial)
    penalty = make_penalty("l2", 1e-4, 0.5)
    if solver == "sgd":  # one full-batch step from the start
        network.loss_gradient(initial, X, Y, None, penalty, grad)
        expected = initial - 0.001 * grad
        trained = network.pack(model.coefs_, model.intercepts_)
        np.testing.assert_allclose(trained, expected, rtol=1e-10, atol=1e-12)
    else:  # lbfgs reports the smoothed objective of the weights it keeps
        trained = network.pack(model.coefs_, model.intercepts_)
        loss = network.loss_gradient(trained, X, Y, None, penalty, grad)
        assert model.loss_ == pytest.approx(loss, rel=1e-10)


@pytest.mark.parametrize("kind", ["binary", "multiclass"])
def test_label_smoothing_never_smooths_the_validation_loss(kind):
    from sklearn.metrics import log_loss

    X, y = _smoothing_problem(kind)
    model = DenseNetClassifier(
        (6,),
        label_smoothing=0.2,
        early_stopping=True,
        scoring="loss",
        max_iter=20,
        random_state=0,
    ).fit(X[:40], y[:40], X_val=X[40:], y_val=y[40:])
    proba = model.predict_proba(X[40:])
    assert model.best_validation_score_ == pytest.approx(
        -log_loss(y[40:], proba, labels=model.classes_), rel=1e-9
    )


def test_no_label_smoothing_is_the_default_model_exactly():
    X, y = _smoothing_problem("multiclass")
    plain = DenseNetClassifier((6,), max_iter=5, random_state=0).fit(X, y)
    zero = DenseNetClassifier((6,), max_iter=5, random_state=0, label_smoothing=0.0)
    zero.fit(X, y)
    for ours, theirs in zip(zero.coefs_, plain.coefs_):
        np.testing.assert_array_equal(ours, theirs)
    smoothed = DenseNetClassifier((6,), max_iter=5, random_state=0, label_smoothing=0.1)
    assert not np.array_equal(smoothed.fit(X, y).coefs_[0], plain.coefs_[0])
