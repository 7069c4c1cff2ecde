"""The fit's state: one home, continued copies, whole epochs, fitted attributes."""

import math
import pickle

import numpy as np
import pytest
from sklearn.datasets import make_classification

from skdense import DenseNetClassifier, DenseNetRegressor
from skdense._fit_state import STATE_ATTRIBUTES, FitState, StateAttribute
from skdense._optimizers import AdamOptimizer


def test_fresh_states_of_each_kind_of_fit():
    plain = FitState.fresh(early_stopping=False)
    assert (plain.n_iter, plain.t, plain.loss, plain.loss_curve) == (0, 0, None, [])
    assert plain.best_loss == math.inf and plain.no_improvement_count == 0
    assert plain.validation_scores is None and plain.best_validation_score is None
    assert plain.validation_loss_curve is None and plain.optimizer is None
    watched = FitState.fresh(early_stopping=True)
    assert watched.best_loss is None and watched.validation_scores == []
    assert watched.best_validation_score == -math.inf
    assert watched.validation_loss_curve == []
    lbfgs = FitState.fresh(early_stopping=False, stochastic=False)
    assert lbfgs.best_loss is None and lbfgs.validation_scores is None
    assert FitState.fresh(True, stochastic=False).validation_scores is None


def test_continued_is_a_copy_that_owns_its_lists_and_optimizer():
    state = FitState.fresh(early_stopping=True)
    state.optimizer = AdamOptimizer(3, np.float64, 0.1, 0.9, 0.999, 1e-8)
    state.record_epoch(1.0, 10, 0.0, score=0.5, validation_loss=0.7)
    state.diverged = True
    copy = state.continued(early_stopping=True)
    assert copy.loss_curve == [1.0] and copy.validation_scores == [0.5]
    assert copy.loss_curve is not state.loss_curve
    assert copy.validation_scores is not state.validation_scores
    assert copy.validation_loss_curve is not state.validation_loss_curve
    assert copy.optimizer is not state.optimizer and not copy.diverged
    copy.record_epoch(0.5, 10, 0.0, score=0.6, validation_loss=0.6)
    copy.optimizer.ms += 1
    assert state.loss_curve == [1.0] and state.n_iter == 1 and state.t == 10
    assert not state.optimizer.ms.any() and state.diverged


def test_continued_fills_what_the_next_call_watches():
    watched = FitState.fresh(early_stopping=True)
    watched.record_epoch(1.0, 5, 0.0, score=0.5, validation_loss=0.9)
    plain = watched.continued(early_stopping=False)
    assert plain.best_loss == math.inf and plain.validation_scores == [0.5]
    plain.record_epoch(0.8, 5, 0.0)
    assert plain.best_loss == 0.8
    again = plain.continued(early_stopping=True)
    assert again.best_loss is None and again.validation_scores == [0.5]
    assert again.best_validation_score == 0.5
    fresh_watch = FitState.fresh(early_stopping=False).continued(True)
    assert fresh_watch.validation_scores == []
    assert fresh_watch.best_validation_score == -math.inf
    assert fresh_watch.validation_loss_curve == []
    assert plain.continued(False, stochastic=False).best_loss is None


def test_record_epoch_on_the_training_loss():
    state = FitState.fresh(early_stopping=False)
    assert state.record_epoch(1.0, 7, 0.1) is False
    assert state.record_epoch(0.9, 7, 0.1) is False  # exactly tol better: improved
    assert state.no_improvement_count == 0
    state.record_epoch(0.85, 7, 0.1)  # better, but not by tol
    assert state.no_improvement_count == 1 and state.best_loss == 0.85
    state.record_epoch(2.0, 7, 0.1)
    assert state.no_improvement_count == 2 and state.best_loss == 0.85
    assert (state.n_iter, state.t, state.loss) == (4, 28, 2.0)
    assert state.loss_curve == [1.0, 0.9, 0.85, 2.0]


def test_record_epoch_on_a_validation_score_and_nan():
    state = FitState.fresh(early_stopping=True)
    assert state.record_epoch(1.0, 3, 0.1, score=0.5, validation_loss=0.4)
    assert state.no_improvement_count == 0
    assert not state.record_epoch(0.9, 3, 0.1, score=np.nan, validation_loss=np.nan)
    assert state.best_validation_score == 0.5 and state.no_improvement_count == 1
    assert state.record_epoch(0.8, 3, 0.1, score=0.55, validation_loss=0.3)
    assert state.no_improvement_count == 2  # a new best, but not by tol
    assert state.record_epoch(0.7, 3, 0.1, score=0.65, validation_loss=0.2)
    assert state.no_improvement_count == 0  # exactly tol better
    assert not state.record_epoch(0.6, 3, 0.1, score=0.65, validation_loss=0.1)
    assert state.best_loss is None
    np.testing.assert_equal(state.validation_loss_curve, [0.4, np.nan, 0.3, 0.2, 0.1])
    np.testing.assert_equal(state.validation_scores, [0.5, np.nan, 0.55, 0.65, 0.65])


def test_fitted_attributes_are_the_state_fields():
    X, y = make_classification(n_samples=60, n_features=4, random_state=0)
    model = DenseNetClassifier((4,), max_iter=3, random_state=0)
    for attribute in STATE_ATTRIBUTES:
        assert not hasattr(model, attribute)
    with pytest.warns(Warning):
        model.fit(X, y)
    state = model._fit_state
    for attribute, field in STATE_ATTRIBUTES.items():
        assert getattr(model, attribute) is getattr(state, field)
    model.n_iter_ = 99
    assert state.n_iter == 99 and "n_iter_" not in vars(model)
    with pytest.raises(AttributeError, match="'DenseNetRegressor' object has no"):
        DenseNetRegressor().loss_curve_  # noqa: B018
    assert isinstance(DenseNetRegressor.loss_curve_, StateAttribute)


def test_setting_a_state_attribute_on_a_bare_estimator_creates_the_state():
    """As scikit-learn's own tests set fitted attributes by hand."""
    model = DenseNetClassifier()
    model.t_ = 0
    model.loss_curve_ = []
    assert isinstance(model._fit_state, FitState) and model.t_ == 0
    assert model.best_loss_ == math.inf  # the other fields fresh


def test_a_pickled_model_keeps_one_state():
    X, y = make_classification(n_samples=60, n_features=4, random_state=0)
    with pytest.warns(Warning):
        model = DenseNetClassifier((4,), max_iter=3, random_state=0).fit(X, y)
    loaded = pickle.loads(pickle.dumps(model))
    assert loaded.loss_curve_ == model.loss_curve_
    assert loaded.loss_curve_ is loaded._fit_state.loss_curve
    assert loaded._optimizer is loaded._fit_state.optimizer


@pytest.mark.parametrize("estimator", [DenseNetClassifier, DenseNetRegressor])
@pytest.mark.parametrize("attribute", sorted(STATE_ATTRIBUTES))
def test_deleting_a_fitted_attribute_deletes_it_as_for_any_attribute(
    estimator, attribute
):
    # Reported: del model.n_iter_ raised AttributeError: __delete__.
    X, y = make_classification(n_samples=40, n_features=4, random_state=0)
    model = estimator(hidden_layer_sizes=(3,), max_iter=2).fit(X, y)
    others = {name: getattr(model, name) for name in STATE_ATTRIBUTES}
    delattr(model, attribute)
    assert not hasattr(model, attribute)
    with pytest.raises(AttributeError, match=f"has no attribute '{attribute}'"):
        delattr(model, attribute)
    for name, value in others.items():
        if name != attribute:
            assert getattr(model, name) is value
    setattr(model, attribute, others[attribute])
    assert getattr(model, attribute) is others[attribute]
    with pytest.raises(AttributeError, match="has no attribute 'n_iter_'"):
        del estimator().n_iter_
