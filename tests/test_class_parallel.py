"""One-vs-rest classes trained at the same time (issue 16): the same model
as class-by-class training for the deterministic solvers, the history in
class order, errors and stops that reach the caller."""

import numpy as np
import pytest
from sklearn.datasets import load_digits

import hogwild


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


@pytest.mark.parametrize("solver", ["sequential", "minibatch", "gd"])
def test_class_parallel_equals_class_by_class(digits, solver):
    """n_threads=2 trains two classes at a time; the deterministic solvers
    give bit for bit the model of one class after another."""
    X, y = digits
    params = dict(solver=solver, max_iter=5, tol=None, random_state=0)
    one = hogwild.SGDClassifier(n_threads=1, **params).fit(X, y)
    two = hogwild.SGDClassifier(n_threads=2, **params).fit(X, y)
    assert np.array_equal(one.coef_, two.coef_) and np.array_equal(one.intercept_, two.intercept_)
    assert [(r["class"], r["epoch"]) for r in two.history_] == [(r["class"], r["epoch"]) for r in one.history_]
    assert two.n_iter_ == one.n_iter_ and two.t_ == one.t_


def test_hogwild_classes_each_on_one_thread_are_reproducible(digits):
    """With as many classes as threads or more, each hogwild class runs on one
    thread: the model no longer depends on the threads' timing."""
    X, y = digits
    fits = [hogwild.SGDClassifier(n_threads=2, max_iter=5, tol=None, random_state=0).fit(X, y) for _ in range(2)]
    assert np.array_equal(fits[0].coef_, fits[1].coef_)
    assert fits[0].score(X, y) > 0.9


def test_early_stopping_and_averaging_work_class_parallel(digits):
    X, y = digits
    params = dict(solver="sequential", early_stopping=True, average=10, random_state=0, max_iter=30)
    one = hogwild.SGDClassifier(n_threads=1, **params).fit(X, y)
    two = hogwild.SGDClassifier(n_threads=2, **params).fit(X, y)
    assert np.array_equal(one.coef_, two.coef_) and one.n_iter_ == two.n_iter_
    assert [r["validation_score"] for r in one.history_] == [r["validation_score"] for r in two.history_]


def test_an_error_in_a_class_reaches_the_caller(digits):
    X, y = digits
    model = hogwild.SGDClassifier(n_threads=2, learning_rate="constant", eta0=1e300, max_iter=5, tol=None,
                                  random_state=0)
    with pytest.raises(ValueError, match="Floating-point under-/overflow"):
        model.fit(X * 1e300, y)


def test_callbacks_keep_class_by_class_training(digits):
    """Callbacks run on the calling thread, class by class (as documented)."""
    import threading

    X, y = digits
    seen, threads = [], set()

    def record(r):
        seen.append(r["class"])
        threads.add(threading.get_ident())

    hogwild.SGDClassifier(n_threads=2, max_iter=2, tol=None, random_state=0).fit(X, y, callbacks=[record])
    assert seen == sorted(seen) and threads == {threading.get_ident()}


def test_threads_follow_the_work_unless_given():
    """n_threads=None: at most one thread per 100,000 stored values (history_
    says how many ran); an explicit n_threads is obeyed."""
    rng = np.random.RandomState(0)
    small = rng.normal(size=(500, 20))  # 10,000 values: one thread
    y = (small[:, 0] > 0).astype(int)
    assert {r["threads"] for r in hogwild.SGDClassifier(max_iter=2, tol=None).fit(small, y).history_} == {1}
    assert {r["threads"] for r in hogwild.SGDClassifier(max_iter=2, tol=None, n_threads=2).fit(small, y)
            .history_} == {2}
    large = rng.normal(size=(12000, 20))  # 240,000 values: two threads on this 2-CPU machine or more
    expected = min(2, hogwild.build_info()["usable_cpus"])
    assert {r["threads"] for r in hogwild.SGDClassifier(max_iter=2, tol=None).fit(large, (large[:, 0] > 0))
            .history_} == {expected}


def test_threads_follow_the_values_per_feature_unless_given():
    """n_threads=None: at most one thread per 32 stored values a feature
    (several threads merge their replicas of the features every epoch)."""
    from hogwild.datasets import make_sparse_classification

    def threads(X, y, **params):
        return {r["threads"] for r in hogwild.SGDClassifier(max_iter=2, tol=None, **params).fit(X, y).history_}

    wide = make_sparse_classification(20000, 10000, 10, random_state=0)  # 200,000 values, 20 a feature
    assert threads(*wide) == {1}
    assert threads(*wide, n_threads=2) == {2}
    narrow = make_sparse_classification(20000, 1000, 10, random_state=0)  # 200 a feature
    assert threads(*narrow) == {min(2, hogwild.build_info()["usable_cpus"])}
