"""The shortcuts a fit takes past scikit-learn's generic helpers (seeds
remembered per integer seed, label checks for integer classes, the
generated __init__, the remembered parameter names, parameter sets
validated once, y validated once) give what those helpers give, errors
included."""

import inspect

import numpy as np
import pytest
from sklearn import linear_model
from sklearn.base import clone
from sklearn.exceptions import DataConversionWarning
from sklearn.utils import check_random_state

import hogwild
from hogwild._engine import MAX_INT, seed_draws

CLASSIFIER_DRAWS = ((1, MAX_INT, None), (MAX_INT, None, None))


@pytest.mark.parametrize("seed", [0, 7, np.int64(12345), MAX_INT - 1])
def test_seed_draws_of_an_integer_seed_are_check_random_states(seed):
    generator = check_random_state(seed)
    expected = (generator.randint(1, MAX_INT), generator.randint(MAX_INT), generator.randint(MAX_INT, size=5))
    for _ in range(2):  # (the second call answers from the memo)
        assert seed_draws(seed, *CLASSIFIER_DRAWS, (MAX_INT, None, 5))[:2] == expected[:2]
        np.testing.assert_array_equal(seed_draws(seed, *CLASSIFIER_DRAWS, (MAX_INT, None, 5))[2], expected[2])
    (shared,) = seed_draws(seed, (MAX_INT, None, 3))
    with pytest.raises(ValueError, match="read-only"):
        shared[0] = 1


def test_seed_draws_advance_a_generator_and_refuse_bad_seeds():
    generator = np.random.RandomState(3)
    first, second = seed_draws(generator, *CLASSIFIER_DRAWS), seed_draws(generator, *CLASSIFIER_DRAWS)
    reference = np.random.RandomState(3)
    assert first == (reference.randint(1, MAX_INT), reference.randint(MAX_INT))
    assert second == (reference.randint(1, MAX_INT), reference.randint(MAX_INT))
    with pytest.raises(ValueError):
        seed_draws(-1, *CLASSIFIER_DRAWS)


@pytest.mark.parametrize("y", [np.array([0, 1, 1, 0] * 5), np.array([3, 1, 2, 2] * 5, dtype=np.int32),
                               np.array([True, False] * 10), np.array(["b", "a"] * 10),
                               np.array([1.0, 2.0, 2.0, 1.0] * 5)])
def test_classes_are_scikit_learns(y):
    X = np.random.RandomState(0).normal(size=(len(y), 3))
    ours = hogwild.SGDClassifier(solver="sequential", max_iter=2, tol=None, random_state=0).fit(X, y)
    theirs = linear_model.SGDClassifier(max_iter=2, tol=None, random_state=0).fit(X, y)
    np.testing.assert_array_equal(ours.classes_, theirs.classes_)
    assert ours.classes_.dtype == theirs.classes_.dtype
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-10, atol=1e-12)


def test_label_errors_are_scikit_learns():
    X = np.random.RandomState(0).normal(size=(20, 3))
    with pytest.raises(ValueError, match="Unknown label type"):
        hogwild.SGDClassifier().fit(X, np.linspace(0.0, 1.0, 20))
    with pytest.raises(ValueError, match="classes should include all valid labels"):
        hogwild.SGDClassifier().partial_fit(X, np.arange(20) % 3, classes=np.array([0, 1]))
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        hogwild.SGDClassifier().partial_fit(X, np.arange(20) % 2)
    model = hogwild.SGDClassifier().partial_fit(X, np.arange(20) % 2, classes=np.array([1, 0, 1]))
    np.testing.assert_array_equal(model.classes_, [0, 1])
    with pytest.raises(ValueError, match=r"`classes=array\(\[0, 2\]\)` is not the same"):
        model.partial_fit(X, np.arange(20) % 2, classes=np.array([0, 2]))


@pytest.mark.parametrize("estimator", [hogwild.SGDClassifier, hogwild.SGDRegressor])
def test_generated_init_takes_what_the_signature_says(estimator):
    signature = inspect.signature(estimator.__init__)
    assert list(signature.parameters)[1] == "loss"
    assert all(p.kind is p.KEYWORD_ONLY for p in list(signature.parameters.values())[2:])
    model = estimator("huber", alpha=0.5, n_threads=2, optimizer="adam")
    assert (model.loss, model.alpha, model.n_threads, model.optimizer) == ("huber", 0.5, 2, "adam")
    assert clone(model).get_params() == model.get_params()
    with pytest.raises(TypeError, match="positional"):
        estimator("huber", "l2")
    with pytest.raises(TypeError, match="unexpected keyword argument 'bogus'"):
        estimator(bogus=1)


def test_remembered_parameter_names_follow_a_subclass():
    class WithOneMore(hogwild.SGDClassifier):
        def __init__(self, *, extra=1, **kwargs):
            super().__init__(**kwargs)
            self.extra = extra

    assert "extra" in WithOneMore._get_param_names()
    assert "extra" not in hogwild.SGDClassifier._get_param_names()
    assert hogwild.SGDClassifier._get_param_names() == sorted(inspect.signature(hogwild.SGDClassifier).parameters)


def test_a_parameter_set_that_passed_is_checked_anew_when_a_value_or_its_type_changes():
    """_validate_params skips a set of values (with their types) that passed
    scikit-learn's check before; any change is checked again, and sets with
    an unhashable value (a dict class_weight) are checked every time."""
    X, y = np.random.RandomState(0).rand(20, 4), np.array([0, 1] * 10)
    model = hogwild.SGDClassifier(max_iter=5, tol=None).fit(X, y)
    model.set_params(alpha=-1.0)
    with pytest.raises(ValueError, match="The 'alpha' parameter"):
        model.fit(X, y)
    with pytest.raises(ValueError, match="The 'max_iter' parameter"):
        hogwild.SGDClassifier(max_iter=5.0, tol=None).fit(X, y)  # (== 5, but not an integer)
    weighted = hogwild.SGDClassifier(max_iter=5, tol=None, class_weight={0: 1.0, 1: 2.0}).fit(X, y)
    weighted.set_params(alpha=-1.0)
    with pytest.raises(ValueError, match="The 'alpha' parameter"):
        weighted.fit(X, y)


@pytest.mark.parametrize("y, error, message", [
    (np.array([0, 1] * 9), ValueError, "inconsistent numbers of samples"),
    (np.array([0.0, 1.0, np.nan, 1.0] * 5), ValueError, "Input y contains NaN"),
    (np.array([[0, 1]] * 10), ValueError, "y should be a 1d array"),
])
def test_y_validated_once_fails_as_scikit_learn_fails(y, error, message):
    """fit validates y once (scikit-learn's _fit does, before _partial_fit,
    which then checks X alone and y's length): bad labels raise what
    scikit-learn raises."""
    X = np.random.RandomState(0).rand(20, 4)
    with pytest.raises(error, match=message):
        linear_model.SGDClassifier().fit(X, y)
    with pytest.raises(error, match=message):
        hogwild.SGDClassifier().fit(X, y)


def test_a_column_y_warns_and_trains_as_scikit_learn_does():
    X, y = np.random.RandomState(0).rand(20, 4), np.array([0, 1] * 10)
    with pytest.warns(DataConversionWarning):
        ours = hogwild.SGDClassifier(solver="sequential", max_iter=3, tol=None, random_state=0).fit(X, y[:, None])
    with pytest.warns(DataConversionWarning):
        theirs = linear_model.SGDClassifier(max_iter=3, tol=None, random_state=0).fit(X, y[:, None])
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-10, atol=1e-12)


def test_a_copy_taken_during_fit_validates_its_own_partial_fits_y():
    """(y validated once is held by the estimator's id, not by an attribute
    a copy would carry: a list y is then refused or converted, not compared
    whole to each label, which trained every row as the rest)"""
    import copy

    X, y = np.random.RandomState(0).rand(40, 4), np.array([0, 1, 2, 1] * 10)
    model, copies = hogwild.SGDClassifier(max_iter=2, tol=None, random_state=0), []
    model.fit(X, y, callbacks=[lambda record: copies.append(copy.deepcopy(model)) if not copies else None])
    copied = copies[0]
    expected = copy.deepcopy(copied).partial_fit(X, np.asarray(y))
    np.testing.assert_array_equal(copied.partial_fit(X, list(y)).coef_, expected.coef_)


# (scikit-learn's own check casts 1e20 to int64, with NumPy's warning)
@pytest.mark.filterwarnings("ignore:invalid value encountered in cast:RuntimeWarning")
@pytest.mark.parametrize("labels", [[1.0, 2.0, 3.0], [-1.0, 1.0], [0.5, 1.0], [1e20, 2e20], [0.0, 2.0**53]])
def test_float_labels_are_classes_exactly_where_scikit_learn_finds_them(labels):
    """Whole float labels (as svmlight files hold them) skip scikit-learn's
    type_of_target; a label that is not whole, or too large for int64, is
    still its continuous target, refused with its message."""
    import sklearn.linear_model as sk

    X = np.random.default_rng(0).normal(size=(60, 3))
    y = np.array(labels * (60 // len(labels)))
    try:
        expected = sk.SGDClassifier(max_iter=2, tol=None).fit(X, y).classes_
    except ValueError as error:
        with pytest.raises(ValueError, match="Unknown label type"):
            hogwild.SGDClassifier(max_iter=2, tol=None).fit(X, y)
        assert "Unknown label type" in str(error)
        return
    model = hogwild.SGDClassifier(max_iter=2, tol=None).fit(X, y)
    assert model.classes_.dtype == expected.dtype and np.array_equal(model.classes_, expected)
