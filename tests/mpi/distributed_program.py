"""Run by tests/test_distributed.py under mpiexec: one distributed case per
call; rank 0 prints one JSON line of results.

    mpiexec -n N python tests/mpi/distributed_program.py CASE [ARGS...]
"""

import json
import os
import signal
import sys
import time
import warnings

import mpi4py
import numpy as np
import scipy.sparse as sp

if sys.argv[1:2] == ["parameter_server_thread_level"]:
    mpi4py.rc.thread_level = "serialized"
from mpi4py import MPI  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import hogwild  # noqa: E402
from hogwild import distributed  # noqa: E402

comm = MPI.COMM_WORLD
warnings.simplefilter("ignore")


def report(**figures):
    if comm.rank == 0:
        print(json.dumps(figures), flush=True)


def same_on_every_rank(model):
    gathered = comm.gather((model.coef_.copy(), model.intercept_.copy()), root=0)
    return comm.rank != 0 or all(np.array_equal(c, gathered[0][0]) and np.array_equal(i, gathered[0][1])
                                 for c, i in gathered)


def a9a(mode, max_iter, overlap="0", n_servers=""):
    from conftest import load_a9a_arrays

    X, y, X_test, y_test = load_a9a_arrays()
    X_rank, y_rank = distributed.shard(X, y)
    if mode == "allreduce":
        # minibatch with its default steps, averaged from row 10000: the last
        # iterate alone wanders between 1e-3 and 3e-2 of the optimum from one
        # epoch to the next on a9a, at any batch size
        model = hogwild.SGDClassifier(loss="log_loss", alpha=1e-4, solver="minibatch", max_iter=int(max_iter),
                                      average=10000, tol=None, n_threads=1, random_state=comm.rank)
    else:  # averaged SGD (from row 10000 of each rank) at a constant rate
        model = hogwild.SGDClassifier(loss="log_loss", alpha=1e-4, learning_rate="constant", eta0=0.02,
                                      average=10000, max_iter=int(max_iter), tol=None, n_threads=1,
                                      random_state=comm.rank)
    servers = dict(n_servers=int(n_servers)) if n_servers else {}
    distributed.fit(model, X_rank, y_rank, mode=mode, overlap=overlap == "1", **servers)
    w, b = model.coef_.ravel(), model.intercept_[0]
    margins = np.where(y > 0, 1.0, -1.0) * (X @ w + b)
    objective = np.logaddexp(0.0, -margins).mean() + 1e-4 / 2 * w @ w
    report(objective=float(objective), accuracy=float(model.score(X_test, y_test)),
           same=bool(same_on_every_rank(model)), n_iter=int(model.n_iter_), rows=int(X_rank.shape[0]),
           stats=model.distributed_stats_)


def small_problem(seed=0, n=600, d=8):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, d))
    y = (X @ rng.normal(size=d) + 0.3 * rng.normal(size=n) > 0).astype(int)
    return X, y


def stopping():
    """tol on every rank's objective together: all stop after one epoch."""
    X, y = small_problem()
    X_rank, y_rank = distributed.shard(X, y)
    model = hogwild.SGDClassifier(max_iter=200, tol=1e-2, n_iter_no_change=3, n_threads=1, random_state=0)
    distributed.fit(model, X_rank, y_rank, mode="local")
    report(n_iter=comm.gather(int(model.n_iter_), root=0), same=bool(same_on_every_rank(model)),
           history=len(model.history_), eta0=comm.gather(float(model.eta0_), root=0),
           own_eta0=comm.gather(float(hogwild.SGDClassifier(max_iter=1, tol=None, n_threads=1).fit(
               X_rank, y_rank).eta0_), root=0))


def missing_class(mode="local"):
    """Rank 1 holds no row of class 2; class weights balanced over all ranks."""
    X, y = small_problem()
    y = np.where(X[:, 0] > 1.0, 2, y)
    X_rank, y_rank = distributed.shard(X[np.argsort(y, kind="stable")], np.sort(y, kind="stable"))
    model = hogwild.SGDClassifier(max_iter=5, tol=None, n_threads=1, class_weight="balanced", random_state=0)
    distributed.fit(model, X_rank, y_rank, mode=mode)
    report(classes=model.classes_.tolist(), local_classes=comm.gather(np.unique(y_rank).tolist(), root=0),
           coef_shape=list(model.coef_.shape), same=bool(same_on_every_rank(model)),
           weights=model._expanded_class_weight.tolist(),
           balanced_over_all_rows=(len(y) / (3 * np.bincount(y))).tolist())


def features_differ():
    X, y = small_problem(d=8 + comm.rank)
    try:
        distributed.fit(hogwild.SGDClassifier(max_iter=2, n_threads=1), X, y)
    except ValueError as error:
        report(error=str(error))


def params_differ():
    X, y = small_problem()
    try:
        distributed.fit(hogwild.SGDClassifier(max_iter=2, n_threads=1, alpha=1e-4 * (1 + comm.rank)), X, y)
    except ValueError as error:
        report(error=str(error))


def fit_arguments_differ(name):
    """distributed.fit's own arguments differing between ranks (a segfault
    for n_servers, the timeout's wait for mode, sync_every and overlap)."""
    X, y = small_problem()
    arguments = {"mode": dict(mode="local" if comm.rank == 0 else "easgd"),
                 "sync_every": dict(sync_every=1 + comm.rank),
                 "overlap": dict(overlap=comm.rank == 0),
                 "n_servers": dict(mode="parameter_server", n_servers=2 if comm.rank == 0 else 1)}[name]
    try:
        distributed.fit(hogwild.SGDClassifier(max_iter=2, n_threads=1), X, y, timeout=60, **arguments)
    except ValueError as error:
        report(error=str(error))


def one_rank_refused(name):
    """An argument valid on rank 0 and refused on rank 1 alone: rank 1
    raised at once and rank 0 waited for the timeout."""
    X, y = small_problem()
    arguments = {"sync_every": dict(sync_every=1 if comm.rank == 0 else 0),
                 "elasticity": dict(mode="easgd", elasticity=0.4 if comm.rank == 0 else 0.9),
                 "n_servers": dict(n_servers=None if comm.rank == 0 else 2)}.get(name, {})
    data = "part1.svm" if name == "path" and comm.rank == 1 else X
    try:
        distributed.fit(hogwild.SGDClassifier(max_iter=2, n_threads=1), data, y, timeout=60, **arguments)
    except ValueError as error:
        report(error=str(error))


def parameter_server_arithmetic():
    """Three ranks, two servers (keys [0, 3) on rank 0, [3, 7) on rank 1):
    rank 0 holds keys 0, 2, 4, 6, rank 1 keys 1, 2, 5, 6, rank 2 every key.
    In turn, fenced by barriers: ranks 0 and 1 pull; rank 1 pushes (nobody
    pushed since its pull: the whole change); rank 0 pushes (one push in
    between: half of its change); rank 2 pulls, pushes, pulls."""
    from hogwild import _parameter_server

    context = distributed._Context(comm, "parameter_server", 1, None, 20.0, n_servers=2)
    held = {0: [0, 2, 4, 6], 1: [1, 2, 5, 6], 2: list(range(7))}[comm.rank]
    initial = np.arange(7, dtype=np.float64) * 10.0
    server = _parameter_server.ParameterServer(context, initial, held, 2)
    flat = np.full(7, np.nan)
    change = np.full(7, 100.0 * (comm.rank + 1))  # (only the held keys' part is sent)
    updates = {}
    for turn in range(4):
        if (turn == 0 and comm.rank in (0, 1)) or (turn == 3 and comm.rank == 2):
            updates[comm.rank] = server.pull(flat)
        if (turn == 1 and comm.rank == 1) or (turn == 2 and comm.rank == 0):
            server.push(change, updates[comm.rank])
        comm.Barrier()
    pulled_before = flat.copy()
    if comm.rank == 2:
        server.push(np.ones(7), updates[2])
        server.pull(flat)
    comm.Barrier()
    server.finish_clock(_parameter_server.DONE)
    comm.Barrier()
    server.close()
    gathered = comm.gather((pulled_before.tolist(), flat.tolist(), server.staleness), root=0)
    if comm.rank == 0:
        report(pulled=[g[0] for g in gathered], final=gathered[2][1], staleness=[g[2] for g in gathered])


def parameter_server_bounded(max_staleness):
    """Rank 1 takes 0.3 s an epoch (a callback sleeps), rank 0 none: rank 0
    gets at most max_staleness clocks ahead, then waits."""
    X, y = small_problem()
    X_rank, y_rank = distributed.shard(X, y)
    model = hogwild.SGDClassifier(max_iter=8, tol=None, n_threads=1, random_state=0)
    slow = [lambda record: time.sleep(0.3)] if comm.rank == 1 else []
    distributed.fit(model, X_rank, y_rank, mode="parameter_server", max_staleness=int(max_staleness),
                    callbacks=slow, timeout=30)
    stats = model.distributed_stats_
    report(leads=stats["leads"], wait_seconds=stats["wait_seconds"], staleness=stats["staleness"],
           same=bool(same_on_every_rank(model)), n_iter=comm.gather(int(model.n_iter_), root=0))


def parameter_server_unheld(average):
    """Two ranks whose sparse rows hold different features (rank 0 columns
    0-4 and 9, rank 1 columns 5-9): every rank ends with the whole trained
    model, the same on both, averaged or not."""
    rng = np.random.RandomState(0)
    n = 1600  # (400 rows: columns 0 and 1, true weights -1 and -0.78, were fitted 0.04-0.16 apart, once in the wrong order)
    X = np.zeros((n, 10))
    X[: n // 2, [0, 1, 2, 3, 4, 9]] = rng.normal(size=(n // 2, 6))
    X[n // 2:, 5:] = rng.normal(size=(n // 2, 5))
    y = (X @ np.linspace(-1, 1, 10) + 0.2 * rng.normal(size=n) > 0).astype(int)
    X = sp.csr_matrix(X)
    X_rank, y_rank = distributed.shard(X, y)
    params = dict(max_iter=10, tol=None, n_threads=1, random_state=0, learning_rate="constant", eta0=0.05)
    model = hogwild.SGDClassifier(average=average == "1", **params)
    distributed.fit(model, X_rank, y_rank, mode="parameter_server")
    report(same=bool(same_on_every_rank(model)), coef=model.coef_.ravel().tolist(),
           held=sorted(set(X_rank.indices.tolist())), score=float(model.score(X, y)))


def parameter_server_callback_stop():
    """Rank 1's callback stops it after its first epoch; rank 0 takes 0.5 s
    an epoch for 10 epochs, past the 3 s timeout, which the waiting rank
    does not hit while rank 0's clock moves."""
    X, y = small_problem()
    X_rank, y_rank = distributed.shard(X, y)
    model = hogwild.SGDClassifier(max_iter=10, tol=None, n_threads=1, random_state=0)
    callback = (lambda record: time.sleep(0.5)) if comm.rank == 0 else (lambda record: record["epoch"] < 1)
    distributed.fit(model, X_rank, y_rank, mode="parameter_server", timeout=3, callbacks=[callback])
    report(n_iter=comm.gather(int(model.n_iter_), root=0), same=bool(same_on_every_rank(model)))


def parameter_server_thread_level():
    """Run with mpi4py.rc.thread_level = "serialized" (see __main__)."""
    X, y = small_problem()
    try:
        distributed.fit(hogwild.SGDClassifier(max_iter=2, n_threads=1), X, y, mode="parameter_server")
    except ValueError as error:
        report(error=str(error))


def solver_for(mode):
    return "minibatch" if mode == "allreduce" else "hogwild"


def failure(mode="local"):
    """Rank 1 hands fit a NaN: every rank must end, not wait for it."""
    X, y = small_problem()
    if comm.rank == 1:
        X[3, 2] = np.nan
    distributed.fit(hogwild.SGDClassifier(max_iter=50, n_threads=1, solver=solver_for(mode)), X, y, timeout=20,
                    mode=mode)
    report(finished=True)


def killed(mode="local"):
    """Rank 1 is killed during training."""
    X, y = small_problem(n=20000)
    model = hogwild.SGDClassifier(max_iter=10_000, tol=None, n_threads=1, solver=solver_for(mode))

    def die(record):
        if comm.rank == 1 and record["epoch"] == 3:
            os.kill(os.getpid(), signal.SIGKILL)

    distributed.fit(model, X, y, timeout=20, callbacks=[die], mode=mode)
    report(finished=True)


def hang(mode="local"):
    """Rank 1 stops answering (alive, stuck in a callback): the others give
    up after the timeout."""
    X, y = small_problem()

    def stuck(record):
        if comm.rank == 1 and record["epoch"] == 2:
            time.sleep(120)

    distributed.fit(hogwild.SGDClassifier(max_iter=50, tol=None, n_threads=1, solver=solver_for(mode)), X, y,
                    timeout=3, callbacks=[stuck], mode=mode)
    report(finished=True)


def sharded_reader(*paths):
    """Each rank reads its byte range of each file; rank 0 stacks the shards
    and compares them with the whole-file reader."""
    from hogwild.datasets import load_svmlight

    same = []
    for path in paths:
        X, y = distributed.load_svmlight(path)
        shards = comm.gather((X, y), root=0)
        if comm.rank == 0:
            whole_X, whole_y = load_svmlight(path)
            stacked = sp.vstack([x for x, _ in shards]).tocsr()
            same.append(bool(stacked.shape == whole_X.shape and (stacked != whole_X).nnz == 0
                             and np.array_equal(np.concatenate([v for _, v in shards]), whole_y)
                             and stacked.dtype == whole_X.dtype))
    report(same=same)


def regression():
    rng = np.random.RandomState(1)
    X = sp.random(800, 30, density=0.3, random_state=rng, format="csr", dtype=np.float32)
    y = X @ rng.normal(size=30) + 0.5
    X_rank, y_rank = distributed.shard(X, y)
    model = hogwild.SGDRegressor(max_iter=30, tol=None, n_threads=2, learning_rate="constant", eta0=0.05,
                                 alpha=1e-6, random_state=0)
    distributed.fit(model, X_rank, y_rank, mode="easgd")
    report(r2=float(model.score(X, y)), same=bool(same_on_every_rank(model)))


def allreduce(config):
    """mode="allreduce" against minibatch on the rows of every rank in one
    process: rank r holds rows [k B + r b, k B + (r + 1) b) of each global
    batch k, so that the global batches hold the same rows."""
    config = json.loads(config)
    ranks, b, steps = comm.size, 16, 12
    rng = np.random.RandomState(0)
    n, d = steps * ranks * b, 40
    X = rng.normal(size=(n, d)) * (rng.uniform(size=(n, d)) < config.pop("density", 1.0))
    classes = config.pop("classes", 2)
    y = np.digitize(X @ rng.normal(size=d) + 0.3 * rng.normal(size=n), np.linspace(-1, 1, classes - 1))
    if config.pop("sparse", False):
        X = sp.csr_matrix(X)
    mine = np.arange(n).reshape(steps, ranks, b)[:, comm.rank, :].ravel()
    params = dict(solver="minibatch", batch_size=ranks * b, shuffle=False, max_iter=6, tol=None,
                  n_threads=config.pop("threads", 1), random_state=0, **config)
    model = distributed.fit(hogwild.SGDClassifier(**params), X[mine], y[mine], mode="allreduce")
    if comm.rank == 0:
        alone = hogwild.SGDClassifier(**params).fit(X, y)
        scale = max(np.abs(alone.coef_).max(), np.abs(alone.intercept_).max())
        report(coef=float(np.abs(model.coef_ - alone.coef_).max() / scale),
               intercept=float(np.abs(model.intercept_ - alone.intercept_).max() / scale),
               objective=float(np.max(np.abs(np.array([r["objective"] for r in model.history_])
                                             / np.array([r["objective"] for r in alone.history_]) - 1.0))),
               t=[model.t_, alone.t_], n_iter=[model.n_iter_, alone.n_iter_], same=bool(same_on_every_rank(model)),
               bytes=model.distributed_stats_["bytes_sent"])
    else:
        same_on_every_rank(model)


def allreduce_warm():
    """Each rank first fits its own shard; a warm-started allreduce fit
    starts from the mean of those models and ends with one model."""
    X, y = small_problem()
    X_rank, y_rank = distributed.shard(X, y)
    model = hogwild.SGDClassifier(solver="minibatch", batch_size=32, max_iter=3, tol=None, n_threads=1,
                                  learning_rate="constant", eta0=0.1, random_state=comm.rank)
    model.fit(X_rank, y_rank)
    own = comm.gather(model.coef_.copy(), root=0)
    distributed.fit(model.set_params(warm_start=True), X_rank, y_rank, mode="allreduce")
    report(started_apart=bool(comm.rank != 0 or not np.array_equal(own[0], own[1])),
           same=bool(same_on_every_rank(model)), n_iter=int(model.n_iter_))


def allreduce_callback_stop():
    """A callback on rank 1 stops training after epoch 2: every rank stops there."""
    X, y = small_problem()
    X_rank, y_rank = distributed.shard(X, y)
    model = hogwild.SGDClassifier(solver="minibatch", batch_size=32, max_iter=10, tol=None, n_threads=2,
                                  random_state=0)
    distributed.fit(model, X_rank, y_rank, mode="allreduce", timeout=20,
                    callbacks=[lambda record: not (comm.rank == 1 and record["epoch"] == 2)])
    report(n_iter=comm.gather(int(model.n_iter_), root=0), same=bool(same_on_every_rank(model)))


def allreduce_interrupt():
    """Ctrl-C (SIGINT) reaches rank 1 while the ranks train: the job ends,
    without waiting for the timeout."""
    X, y = small_problem(n=200000)
    X_rank, y_rank = distributed.shard(X, y)
    model = hogwild.SGDClassifier(solver="minibatch", batch_size=64, max_iter=10_000, tol=None, n_threads=1)

    def interrupt(record):
        if comm.rank == 1 and record["epoch"] == 1:
            signal.setitimer(signal.ITIMER_REAL, 0.3)  # SIGALRM, turned into SIGINT below, mid-epoch

    signal.signal(signal.SIGALRM, lambda *_: os.kill(os.getpid(), signal.SIGINT))
    distributed.fit(model, X_rank, y_rank, mode="allreduce", timeout=60, callbacks=[interrupt])
    report(finished=True)


def allreduce_small_batch():
    X, y = small_problem()
    try:
        distributed.fit(hogwild.SGDClassifier(solver="minibatch", batch_size=1, n_threads=1), X, y,
                        mode="allreduce")
    except ValueError as error:
        report(error=str(error))


if __name__ == "__main__":
    started = time.monotonic()
    {"a9a": a9a, "stopping": stopping, "missing_class": missing_class, "features_differ": features_differ,
     "params_differ": params_differ, "fit_arguments_differ": fit_arguments_differ, "one_rank_refused": one_rank_refused, "failure": failure, "killed": killed, "hang": hang,
     "sharded_reader": sharded_reader, "allreduce": allreduce,
     "allreduce_warm": allreduce_warm, "allreduce_callback_stop": allreduce_callback_stop,
     "allreduce_interrupt": allreduce_interrupt, "allreduce_small_batch": allreduce_small_batch,
     "regression": regression, "parameter_server_arithmetic": parameter_server_arithmetic,
     "parameter_server_bounded": parameter_server_bounded,
     "parameter_server_thread_level": parameter_server_thread_level,
     "parameter_server_unheld": parameter_server_unheld,
     "parameter_server_callback_stop": parameter_server_callback_stop}[sys.argv[1]](*sys.argv[2:])
