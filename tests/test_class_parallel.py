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


def test_the_wrap_around_plan_gives_every_class_its_epochs_in_equal_stretches():
    from hogwild._class_parallel import wrap_around_plan

    for n_classes, workers, epochs in [(3, 2, 20), (5, 2, 7), (5, 3, 7), (7, 4, 3), (3, 2, 1), (4, 2, 5)]:
        plan = wrap_around_plan(n_classes, workers, epochs)
        stretch = -(-n_classes * epochs // workers)
        assert len(plan) == workers and max(sum(e for _, e in pieces) for pieces in plan) == stretch
        for label in range(n_classes):
            places = [(w, k) for w, pieces in enumerate(plan) for k, (c, _) in enumerate(pieces) if c == label]
            assert sum(plan[w][k][1] for w, k in places) == epochs
            assert len(places) <= 2
            if len(places) == 2:  # cut: the first epochs open the next worker's list, the rest close this one's
                (this, last), (next_worker, first) = places
                assert next_worker == this + 1 and first == 0 and last == len(plan[this]) - 1


def three_classes(digits):
    X, y = digits
    keep = y < 3
    return X[keep], y[keep]


@pytest.mark.parametrize("tol", [None, 1e-3])
@pytest.mark.parametrize("solver", ["hogwild", "sequential", "minibatch"])
def test_classes_cut_between_two_workers_give_the_class_by_class_model(digits, solver, tol, monkeypatch):
    """Three classes on two workers: one class trains its first epochs on
    one worker and the rest on the other, in two runs of its session; the
    model, epochs and history are those of class-by-class training."""
    import hogwild._class_parallel as class_parallel

    plans = []
    plan = class_parallel.wrap_around_plan
    monkeypatch.setattr(class_parallel, "wrap_around_plan", lambda *a: plans.append(plan(*a)) or plans[-1])
    X, y = three_classes(digits)
    params = dict(solver=solver, max_iter=60 if tol else 6, tol=tol, random_state=0)
    one = hogwild.SGDClassifier(n_threads=1, **params).fit(X, y)
    two = hogwild.SGDClassifier(n_threads=2, **params).fit(X, y)
    assert plans and sum(map(len, plans[0])) == 4  # (one of the three classes was cut in two)
    assert np.array_equal(one.coef_, two.coef_) and np.array_equal(one.intercept_, two.intercept_)
    assert two.n_iter_ == one.n_iter_ and two.t_ == one.t_
    assert [(r["class"], r["epoch"], r["objective"]) for r in two.history_] == \
           [(r["class"], r["epoch"], r["objective"]) for r in one.history_]
    if tol:  # (the classes stopped at different epochs, before max_iter)
        assert len({len([r for r in one.history_ if r["class"] == c]) for c in one.classes_}) > 1
        assert one.n_iter_ < params["max_iter"]


def test_a_class_that_converges_at_the_end_of_a_run_is_not_trained_further(digits, monkeypatch):
    """Every class cut into runs of one epoch, taken in turn by the two
    workers: the stopping rule (tol) ends each class at the epoch where
    one run would have ended it, although that epoch ends a run."""
    import hogwild._class_parallel as class_parallel

    def one_epoch_pieces(n_classes, workers, epochs):
        return [[(c, 1) for c in range(n_classes) for e in range(epochs) if e % workers == w] for w in range(workers)]
    monkeypatch.setattr(class_parallel, "wrap_around_plan", one_epoch_pieces)
    X, y = three_classes(digits)
    params = dict(max_iter=40, tol=1e-3, random_state=0)
    one = hogwild.SGDClassifier(n_threads=1, **params).fit(X, y)
    two = hogwild.SGDClassifier(n_threads=2, **params).fit(X, y)
    assert one.n_iter_ < params["max_iter"]
    assert np.array_equal(one.coef_, two.coef_) and two.n_iter_ == one.n_iter_
    assert [(r["class"], r["epoch"]) for r in two.history_] == [(r["class"], r["epoch"]) for r in one.history_]


@pytest.mark.parametrize("params", [dict(solver="gd", loss="modified_huber"), dict(solver="async")])
def test_solvers_whose_runs_end_differently_train_their_classes_whole(digits, params):
    """gd checks its Barzilai-Borwein step at a run's last epoch and async
    drains its delayed gradients there: a class of theirs cut into two runs
    trained another model (found by a review), so they are not cut."""
    X, y = three_classes(digits)
    params = dict(params, max_iter=20, tol=None, random_state=0)
    one = hogwild.SGDClassifier(n_threads=1, **params).fit(X, y)
    two = hogwild.SGDClassifier(n_threads=2, **params).fit(X, y)
    assert np.array_equal(one.coef_, two.coef_) and np.array_equal(one.intercept_, two.intercept_)


def _fit_three_classes_on_two_threads(X, y):
    return hogwild.SGDClassifier(n_threads=2, max_iter=20, tol=None, random_state=0).fit(X, y).coef_


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs fork (POSIX)")
def test_a_class_parallel_fit_in_a_forked_child_finishes(digits):
    """The helper threads' pool is the parent's; a forked child has none of
    its threads, and a fit there waited forever for a task that never ran
    (multiprocessing's fork pools, prefork servers; found by a review)."""
    import multiprocessing

    X, y = three_classes(digits)
    parent = _fit_three_classes_on_two_threads(X, y)  # (the pool exists from here)
    with multiprocessing.get_context("fork").Pool(1) as pool:
        child = pool.apply_async(_fit_three_classes_on_two_threads, (X, y)).get(timeout=120)
    assert np.array_equal(parent, child)


def test_a_worker_whose_pieces_are_done_takes_the_others_pieces(digits, monkeypatch):
    """A plan that gives every piece to the helper thread: the calling
    thread, with none of its own, takes the helper's last pieces not yet
    started; every class trains its max_iter epochs, as class by class."""
    import threading
    import time

    import hogwild._class_parallel as class_parallel

    monkeypatch.setattr(class_parallel, "wrap_around_plan",
                        lambda n_classes, workers, epochs: [[]] + [[(c, 3) for c in range(n_classes) for _ in range(2)]])
    trained_by = set()
    start = class_parallel._ClassTraining.train

    def train(self, *args):
        trained_by.add(threading.current_thread() is threading.main_thread())
        if threading.current_thread() is threading.main_thread():
            time.sleep(0.05)  # (else it may take every piece before the helper has started)
        return start(self, *args)
    monkeypatch.setattr(class_parallel._ClassTraining, "train", train)
    X, y = three_classes(digits)
    params = dict(max_iter=6, tol=None, random_state=0)
    one = hogwild.SGDClassifier(n_threads=1, **params).fit(X, y)
    two = hogwild.SGDClassifier(n_threads=2, **params).fit(X, y)
    assert trained_by == {True, False}
    assert np.array_equal(one.coef_, two.coef_) and two.n_iter_ == one.n_iter_ == 6
    assert [(r["class"], r["epoch"]) for r in two.history_] == [(r["class"], r["epoch"]) for r in one.history_]


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


def test_a_class_that_fails_stops_the_others_at_their_epochs_end(monkeypatch):
    """The classes training beside a failing one stop at their next epoch's
    end (the flag the core reads there), not after their max_iter."""
    import time

    from hogwild import _engine

    training_runs = _engine._HogwildTraining._training_runs

    def failing_class_zero(self, *args, **kwargs):
        runs = training_runs(self, *args, **kwargs)
        if kwargs.get("problem") != 0:
            return runs

        def fail():
            yield next(runs)
            time.sleep(0.2)  # (the other classes are training meanwhile)
            raise RuntimeError("class 0 failed")
        return fail()

    monkeypatch.setattr(_engine._HogwildTraining, "_training_runs", failing_class_zero)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((20000, 20))
    y = rng.integers(0, 4, 20000)
    model = hogwild.SGDClassifier(n_threads=2, max_iter=3000, tol=None, random_state=0)
    assert model._class_parallelism(4, X.size) == (2, 1)
    with pytest.raises(RuntimeError, match="class 0 failed"):
        model.fit(X, y)
    epochs = [record["epoch"] for record in model.history_ if record["class"] == 1]
    assert 1 <= len(epochs) < 3000  # (a class's epoch: about 0.5 ms; class 0 failed after 200)


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
