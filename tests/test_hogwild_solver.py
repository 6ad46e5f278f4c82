"""Behaviour of the parallel solver as users see it: reproducibility, no
copies of the data, the GIL released, Ctrl-C, history, threads."""

import os
import pickle
import subprocess
import sys
import textwrap
import threading
import time
import tracemalloc

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone

import hogwild
from hogwild.datasets import make_sparse_classification


@pytest.fixture(scope="module")
def zipf_problem():
    return make_sparse_classification(20000, 2000, 20, random_state=1)


@pytest.mark.parametrize("solver", [dict(solver="sequential"), dict(n_threads=1)])
@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
def test_one_thread_is_bit_reproducible(zipf_problem, solver, index_dtype):
    X, y = zipf_problem
    X = X.copy()
    X.indices = X.indices.astype(index_dtype)
    X.indptr = X.indptr.astype(index_dtype)
    params = dict(loss="log_loss", max_iter=5, tol=None, random_state=3, average=True, **solver)
    first = hogwild.SGDClassifier(**params).fit(X, y)
    second = hogwild.SGDClassifier(**params).fit(X, y)
    np.testing.assert_array_equal(first.coef_, second.coef_)
    np.testing.assert_array_equal(first.intercept_, second.intercept_)
    other_seed = hogwild.SGDClassifier(**{**params, "random_state": 4}).fit(X, y)
    assert not np.array_equal(first.coef_, other_seed.coef_)


def test_mixed_index_dtypes_train_the_same_model(zipf_problem):
    """int32 indices with an int64 indptr (or the reverse): the index arrays
    are unified for the core, the values are not copied."""
    X, y = zipf_problem
    params = dict(max_iter=3, tol=None, random_state=0, solver="sequential")
    reference = hogwild.SGDClassifier(**params).fit(X, y)
    for indices, indptr in [(np.int32, np.int64), (np.int64, np.int32)]:
        mixed = X.copy()
        mixed.indices = mixed.indices.astype(indices)
        mixed.indptr = mixed.indptr.astype(indptr)
        model = hogwild.SGDClassifier(**params).fit(mixed, y)
        np.testing.assert_array_equal(model.coef_, reference.coef_)


@pytest.mark.parametrize("write", ["racy", "atomic", "locked"])
@pytest.mark.parametrize("hot_features", ["auto", 0, 50])
def test_threads_and_policies_agree_with_one_thread(zipf_problem, write, hot_features):
    """Every policy and replica setting trains the same model as one thread,
    up to SGD noise: accuracy on the training set within a point."""
    X, y = zipf_problem
    params = dict(loss="log_loss", learning_rate="constant", eta0=0.05, average=X.shape[0], max_iter=10,
                  tol=None, random_state=0)
    reference = hogwild.SGDClassifier(n_threads=1, **params).fit(X, y).score(X, y)
    parallel = hogwild.SGDClassifier(n_threads=3, write=write, hot_features=hot_features, sync_every=64,
                                     **params).fit(X, y)
    assert abs(parallel.score(X, y) - reference) < 0.01


@pytest.mark.parametrize("penalty", [None, "l2"])
def test_one_thread_with_replicas_by_feature_by_slot_or_none_learns_the_same_model(zipf_problem, penalty):
    """With one thread a replica's merges only hand its values on, so the
    three weight layouts run the same arithmetic: no replicas (hot_features
    =0), every feature replicated (kept by feature) and all but the rarest
    occurring feature replicated (kept by slot). Equal up to the rounding of
    the merges (base + (value - base)). (Not with an L1 part: replicated
    features take it in the merges. With L2 the unreplicated and the
    by-feature layouts shrink all weights at every row by one common factor,
    the by-slot layout the features a row touches: there the first two.)"""
    X, y = zipf_problem
    occurring = np.count_nonzero(np.bincount(X.indices, minlength=X.shape[1]))
    params = dict(n_threads=1, loss="log_loss", penalty=penalty, alpha=1e-4, max_iter=3, tol=None,
                  learning_rate="constant", eta0=0.05, random_state=0, sync_every=64)
    models = [hogwild.SGDClassifier(hot_features=hot, **params).fit(X, y)
              for hot in (0, X.shape[1], occurring - 1)]
    if penalty == "l2":
        models = models[:2]
    for model in models[1:]:
        np.testing.assert_allclose(model.coef_, models[0].coef_, rtol=1e-7, atol=1e-9)
        np.testing.assert_allclose(model.intercept_, models[0].intercept_, rtol=1e-7)


def test_several_threads_shrink_a_feature_no_row_holds_as_one_thread_does(zipf_problem):
    """Plain sgd with an L2 penalty only: one thread shrinks every weight at
    every row by a common factor, and so do several threads, each its replica
    of every feature (the threads' shrinks added up in the merges, equal to
    one thread's to first order), so a starting weight no row touches decays
    alike. (The per-feature penalty would leave it where it started.)"""
    X, y = zipf_problem
    X = sp.hstack([X, sp.csr_matrix((X.shape[0], 1), dtype=np.float32)], format="csr")
    coef_init = np.ones(X.shape[1])
    params = dict(loss="log_loss", alpha=1e-4, learning_rate="constant", eta0=0.01, max_iter=1, tol=None,
                  random_state=0)
    unheld = [hogwild.SGDClassifier(n_threads=threads, **params).fit(X, y, coef_init=coef_init).coef_[0, -1]
              for threads in (1, 2)]
    assert unheld[0] == pytest.approx((1 + 0.01 * 1e-4) ** -X.shape[0], rel=1e-6)
    assert unheld[1] == pytest.approx(unheld[0], rel=1e-3)


def log_loss_objective(model, X, y, alpha):
    margins = np.where(y == model.classes_[1], 1.0, -1.0) * model.decision_function(X)
    return np.mean(np.logaddexp(0.0, -margins)) + 0.5 * alpha * float(np.sum(model.coef_ ** 2))


def test_two_threads_on_many_rows_reach_one_threads_objective():
    """On 2 x 65,536 rows or more the threads' replicas take their merge
    statistics from a sample of the rows: the model is as good as one
    thread's (a feature the sample missed still merges)."""
    X, y = make_sparse_classification(140_000, 5000, 10, random_state=0)
    params = dict(loss="log_loss", alpha=1e-5, max_iter=5, tol=None, random_state=0)
    one, two = (log_loss_objective(hogwild.SGDClassifier(n_threads=threads, **params).fit(X, y), X, y, 1e-5)
                for threads in (1, 2))
    assert two == pytest.approx(one, rel=5e-3)


def test_block_shuffle_reaches_the_same_objective(zipf_problem):
    X, y = zipf_problem

    def objective(model):
        margins = -y * (X @ model.coef_.ravel() + model.intercept_[0])
        return np.logaddexp(0, margins).mean() + 0.5 * 1e-4 * model.coef_.ravel() @ model.coef_.ravel()

    params = dict(loss="log_loss", max_iter=10, tol=None, random_state=0, n_threads=1)
    full = hogwild.SGDClassifier(**params).fit(X, y)
    blocks = hogwild.SGDClassifier(shuffle_block_size=64, **params).fit(X, y)
    assert abs(objective(blocks) - objective(full)) / objective(full) < 0.01


def test_float32_csr_is_trained_in_place(zipf_problem):
    """No copy or upcast of a float32 CSR matrix: what fit allocates (traced
    by tracemalloc, which sees NumPy's buffers) stays far below the data."""
    X, y = make_sparse_classification(50000, 5000, 40, random_state=2)
    data_bytes = X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    model = hogwild.SGDClassifier(max_iter=2, tol=None, random_state=0)
    tracemalloc.start()
    model.fit(X, y)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert X.dtype == np.float32
    assert peak < 0.10 * data_bytes


DETERMINISTIC = [dict(solver="sequential"), dict(solver="hogwild", n_threads=1), dict(solver="local", n_threads=2),
                 dict(solver="easgd", n_threads=2), dict(solver="async", n_threads=1),
                 dict(solver="buckwild", n_threads=1), dict(solver="minibatch", n_threads=2),
                 dict(solver="gd", n_threads=2, learning_rate="constant", eta0=1.0)]


@pytest.mark.parametrize("average", [False, 100])
@pytest.mark.parametrize("solver", DETERMINISTIC, ids=lambda s: "-".join(str(v) for v in s.values()))
def test_dense_and_csr_inputs_agree_bit_for_bit(solver, average):
    """Every entry nonzero, so that a CSR row lists the same values in the
    same order as the dense row; without an intercept (whose step is smaller
    on sparse data, as in scikit-learn) the deterministic solvers then take
    exactly the same steps."""
    rng = np.random.RandomState(0)
    X = rng.uniform(0.05, 1.0, size=(500, 10)) * rng.choice([-1.0, 1.0], size=(500, 10))
    y = (X[:, 0] > 0).astype(int)
    params = dict(max_iter=5, tol=None, random_state=0, penalty="l2", fit_intercept=False, average=average, **solver)
    dense = hogwild.SGDClassifier(**params).fit(X, y)
    sparse = hogwild.SGDClassifier(**params).fit(sp.csr_matrix(X), y)
    np.testing.assert_array_equal(sparse.coef_, dense.coef_)
    assert dense.score(X, y) > 0.8  # and they learned something


def test_gil_is_released_during_fit():
    X, y = make_sparse_classification(100000, 10000, 30, random_state=0)
    model = hogwild.SGDClassifier(max_iter=30, tol=None, n_threads=1)
    worker = threading.Thread(target=model.fit, args=(X, y))
    ticks = 0
    worker.start()
    time.sleep(0.05)
    while worker.is_alive():
        ticks += 1
        time.sleep(0.001)
    worker.join()
    assert ticks > 20  # the main thread kept running Python code while fit ran


@pytest.mark.parametrize("rows, solver", [(200000, "n_threads=2"), (3000, "n_threads=2"),
                                          (3000, "solver='sequential'"), (200000, "solver='local', n_threads=2"),
                                          (3000, "solver='easgd', n_threads=2"),
                                          (100000, "solver='minibatch', n_threads=2"),
                                          (100000, "solver='gd', n_threads=2")])
def test_ctrl_c_stops_fit_and_leaves_a_usable_estimator(rows, solver):
    """Every kind of solver (the synchronous ones too); also on data so
    small that a thread's share of an epoch is shorter than the interval
    between checks within an epoch."""
    script = textwrap.dedent(f"""
        import os, signal, sys, threading, time
        import numpy as np
        import hogwild
        from hogwild.datasets import make_sparse_classification
        X, y = make_sparse_classification({rows}, 20000, 30, random_state=0)
        model = hogwild.SGDClassifier(max_iter=10**8, tol=None, {solver})
        threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
        start = time.perf_counter()
        try:
            model.fit(X, y)
        except KeyboardInterrupt:
            print("interrupted after %.2f s" % (time.perf_counter() - start))
        print("accuracy %.3f" % model.score(X, y))
        print("epochs %d zero %d" % (len(model.history_), not np.any(model.coef_)))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.split("\n")
    assert lines[0].startswith("interrupted after")
    assert float(lines[0].split()[2]) < 3.0  # Ctrl-C after 1 s: stopped well within a second or two
    epochs, zero = int(lines[2].split()[1]), lines[2].split()[3] == "1"
    if epochs > 0:
        assert float(lines[1].split()[1]) > 0.6  # the weights of the last finished epoch
    else:  # (a slow machine, or the sanitized build: no epoch finished in the second)
        assert zero  # the weights it started from


def test_history_records_every_epoch(zipf_problem):
    X, y = zipf_problem
    model = hogwild.SGDClassifier(loss="log_loss", max_iter=4, tol=None, n_threads=2, random_state=0).fit(X, y)
    assert [record["epoch"] for record in model.history_] == [1, 2, 3, 4]
    for record in model.history_:
        assert record["updates"] == X.shape[0]
        assert record["seconds"] > 0 and record["examples_per_second"] > 0
    objectives = [record["objective"] for record in model.history_]
    assert objectives[-1] < objectives[0]
    multiclass = hogwild.SGDClassifier(max_iter=3, tol=None).fit(X, (y > 0).astype(int) + (X[:, 0].toarray().ravel() > 0))
    assert {record["class"] for record in multiclass.history_} == {0, 1, 2}


def test_pickle_and_clone_keep_parallel_parameters(zipf_problem):
    X, y = zipf_problem
    model = hogwild.SGDClassifier(n_threads=2, write="atomic", shuffle_block_size=8, max_iter=3, tol=None).fit(X, y)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))
    assert clone(model).get_params()["write"] == "atomic"


def test_build_info_reports_the_build():
    info = hogwild.build_info()
    assert info["version"] == hogwild.__version__
    assert info["cuda"] in ("on", "off")
    assert int(info["openmp"]) >= 201107
    # the CPUs this process may run on (its affinity mask where the OS has one)
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert info["usable_cpus"] == usable
    assert "-march=native" not in info["simd"]


def test_generator_depends_on_seed_not_threads():
    a = make_sparse_classification(5000, 300, 10, random_state=5, n_threads=1)
    b = make_sparse_classification(5000, 300, 10, random_state=5, n_threads=2)
    c = make_sparse_classification(5000, 300, 10, random_state=6)
    assert (a[0] != b[0]).nnz == 0 and np.array_equal(a[1], b[1])
    assert (a[0] != c[0]).nnz > 0
    assert np.all(np.diff(a[0].indptr) == 10)
    with pytest.raises(ValueError, match="popularity"):
        make_sparse_classification(10, 10, 2, popularity="pareto")


def test_verbose_prints_each_epoch(zipf_problem, capsys):
    X, y = zipf_problem
    hogwild.SGDClassifier(max_iter=3, tol=None, verbose=1, n_threads=2).fit(X, y)
    out = capsys.readouterr().out
    assert [line for line in out.splitlines() if line.startswith("-- Epoch")] == [
        "-- Epoch 1", "-- Epoch 2", "-- Epoch 3"]
    assert out.count("Objective: ") == 3


def test_sparsify_densify_keep_predictions(zipf_problem):
    X, y = zipf_problem
    model = hogwild.SGDClassifier(penalty="l1", alpha=1e-3, max_iter=5, tol=None, random_state=0).fit(X, y)
    before = model.decision_function(X)
    model.sparsify()
    assert sp.issparse(model.coef_)
    np.testing.assert_allclose(model.decision_function(X), before)
    model.densify()
    assert isinstance(model.coef_, np.ndarray)


@pytest.mark.parametrize("n_rows", [2, 3, 1000, 65_535, 65_536, 70_001])
@pytest.mark.parametrize("n_threads", [2, 3])
def test_chunked_shares_train_every_row_once_an_epoch(n_rows, n_threads):
    """From 65,536 rows several threads take the epoch's rows in chunks as
    they come (a thread slowed by a busy core takes fewer), fixed shares
    below: every epoch steps on each row once, with and without thread
    replicas."""
    X, y = make_sparse_classification(n_rows, 300, 5, random_state=1)
    for hot_features in (0, "auto"):
        model = hogwild.SGDClassifier(loss="log_loss", max_iter=3, tol=None, n_threads=n_threads, random_state=0,
                                      hot_features=hot_features).fit(X, y if len(set(y)) > 1 else np.arange(n_rows) % 2)
        assert [record["updates"] for record in model.history_] == [n_rows] * 3
        assert model.t_ == 1 + 3 * n_rows
