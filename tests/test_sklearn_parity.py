"""solver="sequential" learns scikit-learn's model: same data, same
hyper-parameters, same random_state -> the same coefficients."""

import warnings

import numpy as np
import pytest
from sklearn import linear_model as sk
from sklearn.exceptions import ConvergenceWarning

import hogwild


def fit_both(sk_class, hw_class, X, y, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reference = sk_class(**params).fit(X, y)
        ours = hw_class(solver="sequential", **params).fit(X, y)
    return reference, ours


def assert_same_model(reference, ours, rtol=1e-9):
    scale = np.max(np.abs(reference.coef_))
    np.testing.assert_allclose(ours.coef_, reference.coef_, rtol=0, atol=rtol * scale)
    np.testing.assert_allclose(ours.intercept_, reference.intercept_, rtol=0, atol=rtol * max(1.0, scale))
    assert ours.n_iter_ == reference.n_iter_
    assert ours.t_ == reference.t_


CLASSIFIER_LOSSES = ["hinge", "log_loss", "modified_huber", "squared_hinge", "perceptron",
                     "squared_error", "huber", "epsilon_insensitive", "squared_epsilon_insensitive"]


@pytest.mark.parametrize("loss", CLASSIFIER_LOSSES)
@pytest.mark.parametrize("penalty", ["l2", "l1", "elasticnet", None])
def test_classifier_matches_sklearn_without_shuffle(a9a, loss, penalty):
    X, y, _, _ = a9a
    reference, ours = fit_both(sk.SGDClassifier, hogwild.SGDClassifier, X, y, loss=loss,
                               penalty=penalty, shuffle=False, max_iter=3, tol=None)
    assert_same_model(reference, ours)


@pytest.mark.parametrize("params", [
    dict(loss="log_loss"),                                   # default tol: same stopping epoch
    dict(loss="hinge", average=True, max_iter=5, tol=None),
    dict(loss="log_loss", average=20000, max_iter=5, tol=None),
    dict(loss="modified_huber", learning_rate="invscaling", eta0=0.1, max_iter=5, tol=None),
    dict(loss="hinge", learning_rate="adaptive", eta0=0.05, max_iter=30),
    dict(loss="hinge", learning_rate="pa1", eta0=0.5, max_iter=4, tol=None),
    dict(loss="hinge", learning_rate="pa2", eta0=0.5, max_iter=4, tol=None),
    dict(loss="log_loss", class_weight="balanced", max_iter=4, tol=None),
    dict(loss="log_loss", class_weight={-1: 0.3, 1: 2.0}, penalty="elasticnet", max_iter=4, tol=None),
])
def test_classifier_matches_sklearn_with_shuffle(a9a, params):
    X, y, _, _ = a9a
    reference, ours = fit_both(sk.SGDClassifier, hogwild.SGDClassifier, X, y, random_state=7, **params)
    assert_same_model(reference, ours)


def test_dense_input_matches_sklearn(a9a):
    X, y, _, _ = a9a
    X = X[:5000].toarray()
    y = y[:5000]
    reference, ours = fit_both(sk.SGDClassifier, hogwild.SGDClassifier, X, y, loss="log_loss",
                               penalty="elasticnet", random_state=0, max_iter=5, tol=None)
    assert_same_model(reference, ours)


def test_sample_weight_matches_sklearn(a9a):
    X, y, _, _ = a9a
    weights = np.random.RandomState(0).uniform(0.1, 3.0, size=X.shape[0])
    reference = sk.SGDClassifier(random_state=1, max_iter=3, tol=None).fit(X, y, sample_weight=weights)
    ours = hogwild.SGDClassifier(solver="sequential", random_state=1, max_iter=3, tol=None).fit(
        X, y, sample_weight=weights)
    assert_same_model(reference, ours)


@pytest.mark.parametrize("params", [dict(), dict(average=True), dict(loss="log_loss", class_weight="balanced")])
def test_multiclass_one_vs_rest_matches_sklearn(dna, params):
    X, y = dna
    reference, ours = fit_both(sk.SGDClassifier, hogwild.SGDClassifier, X, y, random_state=3, **params)
    assert_same_model(reference, ours)
    np.testing.assert_array_equal(ours.classes_, reference.classes_)


def test_string_labels_match_sklearn(dna):
    X, y = dna
    labels = np.array(["exon-intron", "intron-exon", "neither"])[y.astype(int) - 1]
    reference, ours = fit_both(sk.SGDClassifier, hogwild.SGDClassifier, X, labels, random_state=0, max_iter=5,
                               tol=None, loss="modified_huber")
    assert_same_model(reference, ours)
    np.testing.assert_array_equal(ours.predict(X), reference.predict(X))
    np.testing.assert_allclose(ours.predict_proba(X), reference.predict_proba(X), atol=1e-9)


@pytest.mark.parametrize("loss", ["squared_error", "huber", "epsilon_insensitive", "squared_epsilon_insensitive"])
@pytest.mark.parametrize("extra", [dict(), dict(average=10), dict(penalty="elasticnet"), dict(shuffle=False)])
def test_regressor_matches_sklearn(dna, loss, extra):
    X, _ = dna
    y = np.asarray(X[:, :10].sum(axis=1)).ravel() + 0.1 * np.random.RandomState(0).randn(X.shape[0])
    reference, ours = fit_both(sk.SGDRegressor, hogwild.SGDRegressor, X, y, loss=loss, random_state=2, **extra)
    assert_same_model(reference, ours)


def test_partial_fit_matches_sklearn(dna):
    X, y = dna
    reference = sk.SGDClassifier(loss="log_loss", random_state=0)
    ours = hogwild.SGDClassifier(loss="log_loss", solver="sequential", random_state=0)
    for start in range(0, 1500, 500):
        part = slice(start, start + 500)
        reference.partial_fit(X[part], y[part], classes=np.unique(y))
        ours.partial_fit(X[part], y[part], classes=np.unique(y))
    assert_same_model(reference, ours)


def test_float32_input_matches_sklearn_to_float32_rounding(a9a):
    """scikit-learn trains float32 weights on float32 data, hogwild float64."""
    X, y, _, _ = a9a
    X = X.astype(np.float32)
    reference, ours = fit_both(sk.SGDClassifier, hogwild.SGDClassifier, X, y, loss="hinge",
                               random_state=0, max_iter=3, tol=None)
    assert ours.coef_.dtype == reference.coef_.dtype == np.float32
    assert_same_model(reference, ours, rtol=1e-4)


@pytest.mark.parametrize("estimator, n_classes, average", [
    ("SGDClassifier", 2, False), ("SGDClassifier", 3, False), ("SGDClassifier", 3, True),
    # (binary and averaged: float32 once averaging has begun, after 5 rows
    # here; not yet at 1000: a new-user trial found them float64)
    ("SGDClassifier", 2, True), ("SGDClassifier", 2, 5), ("SGDClassifier", 2, 1000),
    ("SGDRegressor", 0, False), ("SGDRegressor", 0, True)])
def test_fitted_arrays_on_float32_data_have_scikit_learns_dtypes(estimator, n_classes, average):
    """coef_ takes X's dtype; so does a multiclass classifier's intercept_
    in scikit-learn, which stacks its classes' intercepts (a binary one's
    and a regressor's stay float64); hogwild's stayed float64 (found by a
    new-user trial). Also after a partial_fit."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 4)).astype(np.float32)
    y = np.arange(90) % n_classes if n_classes else rng.normal(size=90)
    names = ("coef_", "intercept_") + (("_standard_intercept", "_average_intercept") if average else ())
    reference = getattr(sk, estimator)(max_iter=3, tol=None, random_state=0, average=average).fit(X, y)
    ours = getattr(hogwild, estimator)(max_iter=3, tol=None, random_state=0, average=average).fit(X, y)
    assert {name: getattr(ours, name).dtype for name in names} == {name: getattr(reference, name).dtype
                                                                     for name in names}
    reference.partial_fit(X, y)
    ours.partial_fit(X, y)
    assert {name: getattr(ours, name).dtype for name in names} == {name: getattr(reference, name).dtype
                                                                     for name in names}


def test_warm_start_and_coef_init_match_sklearn(a9a):
    X, y, _, _ = a9a
    coef_init = np.random.RandomState(0).randn(X.shape[1]) * 0.01
    # (each its own copy, though neither writes into it: see the next test)
    reference = sk.SGDClassifier(random_state=0, max_iter=2, tol=None).fit(
        X, y, coef_init=coef_init.copy(), intercept_init=0.5)
    ours = hogwild.SGDClassifier(solver="sequential", random_state=0, max_iter=2, tol=None).fit(
        X, y, coef_init=coef_init.copy(), intercept_init=0.5)
    assert_same_model(reference, ours)
    reference.set_params(warm_start=True, max_iter=3).fit(X, y)
    ours.set_params(warm_start=True, max_iter=3).fit(X, y)
    assert_same_model(reference, ours)


@pytest.mark.parametrize("solver", ["sequential", "hogwild"])
@pytest.mark.parametrize("n_classes", [1, 2, 3])
def test_fit_leaves_coef_init_and_intercept_init_as_given(solver, n_classes):
    """scikit-learn keeps the float64 coef_init it is given as coef_ but
    trains a copy; training it in place overwrote the caller's array (and
    with it a second fit from the same start)."""
    rng = np.random.RandomState(0)
    X = rng.randn(200, 5)
    if n_classes == 1:
        y, estimator, shape = X @ rng.randn(5), hogwild.SGDRegressor, (5,)
    else:
        y, estimator = rng.randint(n_classes, size=200), hogwild.SGDClassifier
        shape = (1 if n_classes == 2 else n_classes, 5)
    coef_init = np.full(shape, 0.5)
    intercept_init = np.full(shape[0] if len(shape) == 2 else 1, 0.25)
    model = estimator(solver=solver, max_iter=2, tol=None, random_state=0).fit(
        X, y, coef_init=coef_init, intercept_init=intercept_init)
    assert not np.array_equal(model.coef_.ravel(), coef_init.ravel())  # (it trained)
    np.testing.assert_array_equal(coef_init, 0.5)
    np.testing.assert_array_equal(intercept_init, 0.25)


def test_averaging_from_the_last_update_is_scikit_learns(a9a):
    """average = n x max_iter: averaging starts at the very last update
    (t_ - 1 == average), so coef_ is the averaged model, as scikit-learn
    keeps it: coef_ and intercept_ are (views of) its averaged arrays."""
    X, y, _, _ = a9a
    X, y = X[:2000], y[:2000]
    reference, ours = fit_both(sk.SGDClassifier, hogwild.SGDClassifier, X, y, average=3 * 2000, max_iter=3,
                               tol=None, random_state=4)
    assert_same_model(reference, ours)
    assert ours.t_ - 1 == ours.average
    for model in (reference, ours):
        assert np.shares_memory(model.coef_, model._average_coef)
        assert np.shares_memory(model.intercept_, model._average_intercept)


@pytest.mark.parametrize("params", [dict(loss="log_loss", alpha=0.01), dict(loss="hinge", alpha=0.1, tol=1e-4),
                                    dict(loss="modified_huber", alpha=0.1)])
def test_stopping_epoch_under_a_strong_penalty_is_scikit_learns(a9a, params):
    """scikit-learn's stopping rule compares its own per-update objective
    (each update's loss plus the penalty of the weights at that update), not
    the epoch's mean loss plus the penalty at its end (the history's
    objective); under a strong penalty the two stop at different epochs
    (here 12 instead of 14, 28 instead of 18, 18 instead of 14)."""
    X, y, _, _ = a9a
    reference, ours = fit_both(sk.SGDClassifier, hogwild.SGDClassifier, X[:2000], y[:2000], random_state=7, **params)
    assert_same_model(reference, ours)


@pytest.mark.parametrize("loss", ["hinge", "log_loss"])
@pytest.mark.parametrize("penalty", ["l2", "elasticnet", None])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_early_stopping_stops_where_scikit_learn_stops(loss, penalty, n_classes):
    """scikit-learn scores its validation rows on its stored weight vector,
    without the scale the L2 penalty shrank it by, and under the log loss
    against 0/1 labels (no negative row counts as correct); the sequential
    solver does the same, so that early stopping ends at the same epoch (it
    ended at 9 epochs where scikit-learn ended at 6 before)."""
    from sklearn.datasets import make_classification

    X, y = make_classification(300, 6, n_informative=4, n_classes=n_classes, flip_y=0.2, random_state=1)
    for seed in range(4):
        reference, ours = fit_both(sk.SGDClassifier, hogwild.SGDClassifier, X, y, random_state=seed, max_iter=30,
                                   early_stopping=True, alpha=0.01, penalty=penalty, loss=loss)
        assert_same_model(reference, ours)


def test_a_random_state_instance_is_drawn_in_scikit_learns_order_with_early_stopping():
    """A binary fit draws the dataset's seed, makes the validation split and
    then draws the solver's seed from one RandomState; the split was made
    after both draws (a reproducibility audit: coef_ 4.1 apart, the
    generator one draw short of scikit-learn's after the fit)."""
    from sklearn.datasets import make_classification

    X, y = make_classification(300, 6, n_informative=4, flip_y=0.2, random_state=1)
    params = dict(max_iter=5, tol=None, early_stopping=True)
    reference_state, our_state = np.random.RandomState(0), np.random.RandomState(0)
    reference = sk.SGDClassifier(random_state=reference_state, **params).fit(X, y)
    ours = hogwild.SGDClassifier(solver="sequential", random_state=our_state, **params).fit(X, y)
    assert np.array_equal(ours.coef_, reference.coef_) and np.array_equal(ours.intercept_, reference.intercept_)
    assert our_state.randint(2**31 - 1) == reference_state.randint(2**31 - 1)  # the generators where scikit-learn's is


def test_regressor_early_stopping_stops_where_scikit_learn_stops():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 5))
    y = X @ rng.normal(size=5) + rng.normal(scale=2.0, size=300)
    for seed in range(4):
        reference, ours = fit_both(sk.SGDRegressor, hogwild.SGDRegressor, X, y, random_state=seed, max_iter=30,
                                   early_stopping=True, alpha=0.05)
        assert_same_model(reference, ours)


def test_regressor_early_stopping_on_one_validation_row_runs_as_scikit_learns():
    """One validation row: scikit-learn's R^2 is NaN (with a warning each
    epoch), which never counts as a stall, so it trains to max_iter; hogwild
    scored it 0.0 and stopped after 6 epochs (a new user's trial)."""
    from sklearn.exceptions import UndefinedMetricWarning

    rng = np.random.RandomState(0)
    X = rng.normal(size=(10, 3))
    y = X @ rng.normal(size=3) + rng.normal(scale=0.5, size=10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        reference, ours = fit_both(sk.SGDRegressor, hogwild.SGDRegressor, X, y, random_state=0, max_iter=40,
                                   early_stopping=True, validation_fraction=0.1)
    assert reference.n_iter_ == 40
    assert_same_model(reference, ours)
    assert all(np.isnan(record["validation_score"]) for record in ours.history_)
    # scikit-learn's warning too (once a fit, not at each of its epochs: a new user's trial missed it)
    with pytest.warns(UndefinedMetricWarning, match="not well-defined with less than two samples"):
        hogwild.SGDRegressor(random_state=0, max_iter=40, tol=None, early_stopping=True,
                             validation_fraction=0.1).fit(X, y)
