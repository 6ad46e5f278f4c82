"""The core's resumable training session (hogwild._core.Session): runs of a
few epochs continue exactly where the last stopped, and a model written
between runs is where the next starts (what the MPI driver builds on)."""

import numpy as np
import pytest
import scipy.sparse as sp

import hogwild
from hogwild import _core
from hogwild._sgd import SOLVERS


def problem(sparse):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 12)) * (rng.rand(300, 12) < 0.5)
    y = np.where(X @ rng.normal(size=12) + 0.1 * rng.normal(size=300) > 0, 1.0, -1.0)
    return (sp.csr_matrix(X) if sparse else X), y


def make_session(estimator, X, y, coef=None, solver=None, t_start=None):
    """A session of `estimator`'s binary problem over new model buffers
    (`t_start`: scikit-learn's t of a model trained before)."""
    estimator._validate_params()
    n_features = X.shape[1]
    buffers = {
        "coef": np.zeros(n_features) if coef is None else coef,
        "intercept": np.zeros(1),
        "average_coef": np.zeros(n_features),
        "average_intercept": np.zeros(1),
    }
    options = estimator._core_options(
        # (learning_rate="auto" is resolved from the data by fit; the core takes a rate)
        loss="log_loss", alpha=estimator.alpha,
        learning_rate="optimal" if estimator.learning_rate == "auto" else estimator.learning_rate,
        max_iter=estimator.max_iter, seed=1, weight_pos=1.0, weight_neg=1.0, classifier=True,
        sparse=sp.issparse(X), n_samples=X.shape[0])
    if t_start is not None:
        options["t_start"] = t_start
        options["epoch_start"] = int(round((t_start - 1.0) / X.shape[0]))
    if sp.issparse(X):
        view = (X.data, X.indices, X.indptr, X.shape[0], X.shape[1])
    else:
        view = np.ascontiguousarray(X)
    session = _core.Session(solver or estimator.solver, view, y, np.ones(len(y)), None, buffers["coef"], buffers["intercept"],
                            buffers["average_coef"], buffers["average_intercept"], options)
    return session, buffers


# the solvers and settings that are deterministic (README: "deterministic")
DETERMINISTIC = [
    dict(solver="sequential"),
    dict(solver="minibatch", n_threads=2, batch_size=32),
    dict(solver="gd", n_threads=2, learning_rate="constant", eta0=0.5),
    dict(solver="local", n_threads=2, sync_every=50),
    dict(solver="easgd", n_threads=2, sync_every=50),
    dict(solver="hogwild", n_threads=1),
    dict(solver="buckwild", n_threads=1),
    dict(solver="async", n_threads=1, batch_size=16, max_staleness=0),
]
SETTINGS = [
    dict(),
    dict(average=True),
    dict(learning_rate="exponential", eta0=0.05, gamma=0.8),
    dict(optimizer="adam", learning_rate="constant", eta0=0.01),
]


def settings_for(solver, setting):
    if setting.get("optimizer") and solver["solver"] == "sequential":
        pytest.skip("the sequential solver takes no optimizer")
    return {**solver, **setting}


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: "-".join(f"{k}={v}" for k, v in s.items()) or "default")
@pytest.mark.parametrize("solver", DETERMINISTIC, ids=lambda s: "-".join(str(v) for v in s.values()))
def test_three_runs_of_two_epochs_are_one_run_of_six(solver, setting, sparse):
    X, y = problem(sparse)
    estimator = hogwild.SGDClassifier(max_iter=6, tol=None, random_state=0, **settings_for(solver, setting))
    long_session, long_model = make_session(estimator, X, y)
    long_result = long_session.run(6)
    short_session, short_model = make_session(estimator, X, y)
    histories = [short_session.run(2)["history"]["objective"] for _ in range(3)]
    assert long_result["n_iter"] == 6
    for name in long_model:
        np.testing.assert_array_equal(short_model[name], long_model[name], err_msg=name)
    np.testing.assert_array_equal(np.concatenate(histories), long_result["history"]["objective"])
    assert np.any(long_model["coef"] != 0.0)


@pytest.mark.parametrize("solver", SOLVERS)
def test_a_model_written_between_runs_is_where_the_next_run_starts(solver):
    """After two epochs the caller replaces the model (as an all-reduce
    would); one more epoch on it equals one epoch of a fresh session started
    from it, for plain SGD at a constant rate (nothing else carries over)."""
    X, y = problem(sparse=False)
    estimator = hogwild.SGDClassifier(solver=solver, n_threads=1, learning_rate="constant", eta0=0.01,
                                      max_iter=1, tol=None, shuffle=False, random_state=0, batch_size=16,
                                      max_staleness=0, precision="bfloat16")
    start = np.linspace(-0.5, 0.5, X.shape[1])
    session, model = make_session(estimator, X, y)
    session.run(2)
    model["coef"][:] = start
    model["intercept"][:] = 0.0
    session.run(1)
    fresh, fresh_model = make_session(estimator, X, y, coef=start.copy())
    fresh.run(1)
    # (buckwild rounds stochastically, from a random stream that a fresh session starts anew)
    tolerance = 0.05 if solver == "buckwild" else 1e-12
    np.testing.assert_allclose(model["coef"], fresh_model["coef"], rtol=tolerance, atol=tolerance)
    assert not np.allclose(model["coef"], start)


def test_an_unknown_solver_is_refused_naming_the_known_ones():
    X, y = problem(sparse=False)
    with pytest.raises(ValueError, match=r"unknown solver 'nope'; the solvers are 'hogwild', 'sequential'"):
        make_session(hogwild.SGDClassifier(), X, y, solver="nope")


def test_a_run_of_no_epochs_is_refused():
    X, y = problem(sparse=False)
    session, _ = make_session(hogwild.SGDClassifier(solver="gd"), X, y)
    with pytest.raises(ValueError, match="epochs must be >= 1"):
        session.run(0)


def test_the_registry_is_what_the_estimators_accept():
    names = [info["name"] for info in _core.solvers()]
    assert names == list(SOLVERS)
    assert {"sequential", "hogwild", "minibatch", "gd"} <= set(names)
    for name in names:
        hogwild.SGDClassifier(solver=name, max_iter=1, tol=None).fit([[0.0], [1.0]], [0, 1])


def test_the_options_table_refuses_unknown_and_missing_options():
    """The core parses the options dict by one table: a key the core does not
    know (a misspelt knob) and a missing one are errors, not silently ignored."""
    X, y = problem(sparse=False)
    estimator = hogwild.SGDClassifier(solver="gd")
    estimator._validate_params()
    options = estimator._core_options(loss="log_loss", alpha=1e-4, learning_rate="optimal", max_iter=1, seed=1,
                                      weight_pos=1.0, weight_neg=1.0, classifier=True, sparse=False,
                                      n_samples=X.shape[0])
    buffers = [np.zeros(X.shape[1]), np.zeros(1), np.zeros(X.shape[1]), np.zeros(1)]
    with pytest.raises(ValueError, match="unknown option 'batchsize'"):
        _core.Session("gd", X, y, np.ones(len(y)), None, *buffers, {**options, "batchsize": 4})
    # the decay from a plateau replaces the epoch's rate: only "optimal" reads it so
    with pytest.raises(ValueError, match="decay_on_plateau needs learning_rate 'optimal'"):
        _core.Session("gd", X, y, np.ones(len(y)), None, *buffers,
                      {**options, "decay_on_plateau": True, "learning_rate": "constant"})
    _core.Session("gd", X, y, np.ones(len(y)), None, *buffers, {**options, "decay_on_plateau": True})
    del options["elasticity"]
    with pytest.raises(ValueError, match="the options lack 'elasticity'"):
        _core.Session("gd", X, y, np.ones(len(y)), None, *buffers, options)


# (not local: its state is the mean of its replicas'; not async: a new
# session estimates its step count from t as (t - 1) / batch_size, which
# a partial last batch of each epoch puts off; not buckwild: its rounding's
# random stream starts anew)
OPTIMIZER_SOLVERS = [dict(solver="minibatch", n_threads=2, batch_size=32), dict(solver="gd", n_threads=2),
                     dict(solver="hogwild", n_threads=1)]


@pytest.mark.parametrize("optimizer", ["momentum", "adagrad", "adam"])
@pytest.mark.parametrize("solver", OPTIMIZER_SOLVERS, ids=lambda s: s["solver"])
def test_optimizer_state_read_and_written_carries_a_run_over_to_a_new_session(solver, optimizer):
    """A new session given the model, t and the optimizer's state of a run
    of 2 epochs goes on as the first session does, bit for bit; without the
    state it does not (the state matters)."""
    X, y = problem(sparse=True)
    estimator = hogwild.SGDClassifier(max_iter=2, tol=None, shuffle=False, random_state=0, optimizer=optimizer,
                                      learning_rate="constant", eta0=0.01, **solver)
    first, first_model = make_session(estimator, X, y)
    result = first.run(2)
    state = first.optimizer_state()
    n_moments = {"momentum": ("first",), "adagrad": ("second",), "adam": ("first", "second")}[optimizer]
    for name in ("first", "second"):
        assert state[name].shape == ((X.shape[1] + 1,) if name in n_moments else (0,))
    assert np.any(state[n_moments[0]] != 0.0)
    coef, intercept = first_model["coef"].copy(), first_model["intercept"].copy()

    def continued(with_state):
        session, model = make_session(estimator, X, y, coef=coef.copy(), t_start=result["t"])
        model["intercept"][:] = intercept
        if with_state:
            session.optimizer_state()  # (reading does not disturb)
            session.set_optimizer_state(state)
        session.run(2)
        return model

    first.run(2)
    np.testing.assert_array_equal(continued(True)["coef"], first_model["coef"])
    assert np.any(continued(False)["coef"] != first_model["coef"])


def test_optimizer_state_of_other_sizes_is_refused():
    X, y = problem(sparse=False)
    session, _ = make_session(hogwild.SGDClassifier(solver="gd", optimizer="adam"), X, y)
    n = X.shape[1] + 1
    with pytest.raises(ValueError, match=r"optimizer state 'first' has 3 values; this session's optimizer keeps 13"):
        session.set_optimizer_state({"first": np.zeros(3), "second": np.zeros(n)})
    with pytest.raises(ValueError, match="optimizer state needs 'second'"):
        session.set_optimizer_state({"first": np.zeros(n)})
    with pytest.raises(ValueError, match="optimizer state has 'first' and 'second', not 'velocity'"):
        session.set_optimizer_state({"velocity": np.zeros(n)})
    plain, _ = make_session(hogwild.SGDClassifier(solver="gd"), X, y)
    assert plain.optimizer_state()["first"].shape == (0,)
    with pytest.raises(ValueError, match="keeps 0"):
        plain.set_optimizer_state({"first": np.zeros(n), "second": np.zeros(0)})


def test_local_sgds_optimizer_state_is_its_replicas_mean_and_written_to_each():
    X, y = problem(sparse=False)
    estimator = hogwild.SGDClassifier(solver="local", n_threads=2, sync_every=50, optimizer="adagrad", max_iter=2,
                                      tol=None, random_state=0)
    session, _ = make_session(estimator, X, y)
    session.run(2)
    n = X.shape[1] + 1
    written = {"first": np.zeros(0), "second": np.linspace(0.1, 2.0, n)}
    session.set_optimizer_state(written)
    np.testing.assert_array_equal(session.optimizer_state()["second"], written["second"])


@pytest.mark.parametrize("solver", ["minibatch", "hogwild", "local"])
def test_partial_fit_carries_the_optimizers_state_over(solver):
    """Two partial_fit calls of one epoch each are one call of two epochs
    (shuffle off; one-thread hogwild, minibatch on any): the momenta go on."""
    X, y = problem(sparse=False)
    params = dict(solver=solver, n_threads=1 if solver != "minibatch" else 2, optimizer="adam", batch_size=32,
                  learning_rate="constant", eta0=0.01, shuffle=False, random_state=0, tol=None)
    twice = hogwild.SGDClassifier(max_iter=1, **params)
    twice.partial_fit(X, y, classes=[-1.0, 1.0])
    twice.partial_fit(X, y)
    once = hogwild.SGDClassifier(max_iter=2, **params).fit(X, y)
    np.testing.assert_array_equal(twice.coef_, once.coef_)
    restarted = hogwild.SGDClassifier(max_iter=1, **params)
    restarted.partial_fit(X, y, classes=[-1.0, 1.0])
    restarted._optimizer_states.clear()
    restarted.partial_fit(X, y)
    assert np.any(restarted.coef_ != once.coef_)


class ThreadAllReduce:
    """An in-process stand-in for MPI's all-reduce: each of `n` Python
    threads hands its buffer; every one gets the elementwise sum."""

    def __init__(self, n):
        import threading

        self.barrier = threading.Barrier(n, timeout=30)
        self.buffers = [None] * n
        self.calls = [0] * n

    def member(self, rank):
        def sum_in_place(values):
            self.buffers[rank] = values.copy()
            self.barrier.wait()
            total = np.sum(self.buffers, axis=0)
            self.barrier.wait()  # (every thread has read the buffers before the next call writes them)
            values[...] = total
            self.calls[rank] += 1
        return sum_in_place


@pytest.mark.parametrize("sparse", [False, True])
def test_sessions_summing_their_steps_are_one_minibatch_session(sparse):
    """Two sessions whose minibatch steps sum their gradients through the
    sum_across_processes hook (here Python threads, under hogwild.distributed
    MPI) train the model of one session on all the rows: each holds a half
    of every global batch of 40 rows."""
    import threading

    X, y = problem(sparse)
    estimator = hogwild.SGDClassifier(solver="minibatch", batch_size=40, n_threads=2, shuffle=False, max_iter=4,
                                      learning_rate="constant", eta0=0.1, penalty="elasticnet", average=1)
    n = 280  # 7 batches of 40 rows: rank r holds rows [40 k + 20 r, 40 k + 20 r + 20)
    halves = [np.arange(n).reshape(7, 2, 20)[:, r, :].ravel() for r in range(2)]
    whole, whole_buffers = make_session(estimator, X[:n], y[:n])
    whole.run()
    reduce = ThreadAllReduce(2)
    sessions = [make_session(estimator, X[rows], y[rows]) for rows in halves]
    results = [None, None]

    def train(rank):
        results[rank] = sessions[rank][0].run(sum_across_processes=reduce.member(rank))

    threads = [threading.Thread(target=train, args=(r,)) for r in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert reduce.calls == [1 + 4 * (7 + 1)] * 2  # the rows per feature and rows once, then every step and epoch end
    for r in range(2):
        for name in ("coef", "intercept", "average_coef", "average_intercept"):
            np.testing.assert_allclose(sessions[r][1][name], whole_buffers[name], rtol=1e-12, atol=1e-15)
        assert results[r]["t"] == 4 * n + 1  # (t counts every process's rows)


def test_sum_across_processes_is_refused_where_a_solver_cannot_take_it():
    X, y = problem(True)
    summing = dict(sum_across_processes=lambda values: None)
    session, _ = make_session(hogwild.SGDClassifier(solver="hogwild", n_threads=1), X, y)
    with pytest.raises(ValueError, match=r"this solver does not train across processes \(sum_across_processes\)"):
        session.run(**summing)
    session, _ = make_session(hogwild.SGDClassifier(solver="gd", learning_rate="constant"), X, y)
    with pytest.raises(ValueError, match=r"only the minibatch solver trains across processes"):
        session.run(**summing)
    session, _ = make_session(hogwild.SGDClassifier(solver="minibatch", max_iter=1), X, y)
    session.run()
    with pytest.raises(ValueError, match="a session trains across processes .* in all of its runs or in none"):
        session.run(**summing)


def test_an_exception_of_the_sum_ends_the_run_and_propagates():
    X, y = problem(False)
    session, _ = make_session(hogwild.SGDClassifier(solver="minibatch", n_threads=2, batch_size=16), X, y)
    calls = []

    def failing(values):
        calls.append(values.size)
        if len(calls) == 3:
            raise TimeoutError("the other ranks did not answer")

    with pytest.raises(TimeoutError, match="the other ranks did not answer"):
        session.run(sum_across_processes=failing)
    assert calls == [1, 12 + 4, 12 + 4]  # (dense: the rows once, then the gradient and 4 figures per step)


def test_a_process_that_stops_stops_the_others_after_the_same_step():
    """Process 0's run fails (its progress callback raises): its last
    step's sum (mid-epoch) or the epoch end's vote tells process 1, which
    stops at the same point with the finished epochs only, instead of
    waiting in a sum that nobody answers."""
    import threading

    rng = np.random.RandomState(0)
    X = rng.normal(size=(16000, 12))
    y = np.where(X @ rng.normal(size=12) > 0, 1.0, -1.0)
    estimator = hogwild.SGDClassifier(solver="minibatch", batch_size=40, n_threads=1, shuffle=False, max_iter=40,
                                      learning_rate="constant", eta0=0.01, tol=None)
    halves = [np.arange(16000).reshape(-1, 2, 20)[:, r, :].ravel() for r in range(2)]
    sessions = [make_session(estimator, X[rows], y[rows])[0] for rows in halves]
    reduce = ThreadAllReduce(2)
    results = [None, None]

    def stop(fraction):
        if reduce.calls[0] > 2000:
            raise RuntimeError("process 0 stops")

    def train(rank):
        try:
            results[rank] = sessions[rank].run(sum_across_processes=reduce.member(rank),
                                               progress_callback=stop if rank == 0 else None)
        except RuntimeError as error:
            results[rank] = error

    threads = [threading.Thread(target=train, args=(r,)) for r in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # (the error handed back for the caller to raise, as a Ctrl-C's)
    assert str(results[0]["interrupt"]) == "process 0 stops" and results[0]["interrupted"]
    assert reduce.calls[0] == reduce.calls[1]
    assert 0 < results[1]["n_iter"] < 40
    assert list(results[1]["history"]["updates"]) == [16000] * results[1]["n_iter"]  # (whole epochs only)


@pytest.mark.parametrize("solver", SOLVERS)
def test_a_stop_flag_set_before_a_run_ends_it_after_its_first_epoch(solver):
    """run(stop=flag): every solver's epochs end through the one epoch end
    that reads the flag (one-vs-rest classes trained at the same time stop
    at their epoch's end when another class fails)."""
    X, y = problem(sparse=True)
    estimator = hogwild.SGDClassifier(solver=solver, n_threads=1, max_iter=5, tol=None, random_state=0,
                                      batch_size=16, max_staleness=0)
    session, _ = make_session(estimator, X, y)
    flag = _core.StopFlag()
    assert not flag.is_set()
    flag.set()
    result = session.run(5, stop=flag)
    assert flag.is_set()
    assert (result["n_iter"], result["stopped_by_callback"]) == (1, True)
    assert session.run(2)["n_iter"] == 2  # (a run without it trains on)


def test_a_stop_flag_set_from_another_thread_ends_the_run_at_its_epochs_end():
    import threading

    X, y = problem(sparse=False)
    estimator = hogwild.SGDClassifier(solver="hogwild", n_threads=1, max_iter=10**6, tol=None, random_state=0)
    session, _ = make_session(estimator, X, y)
    flag = _core.StopFlag()
    threading.Timer(0.2, flag.set).start()
    result = session.run(10**6, stop=flag)
    assert result["stopped_by_callback"]
    assert 1 <= result["n_iter"] < 10**6
    assert len(result["history"]["objective"]) == result["n_iter"]
