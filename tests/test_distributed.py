"""Distributed training over MPI (hogwild.distributed), each case run under
`mpiexec -n 2` and `-n 3` (oversubscribing this 2-core machine) by
tests/mpi/distributed_program.py; marker `mpi`, skipped where mpi4py or
mpiexec is absent."""

import json
import os
import re
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest

pytest.importorskip("mpi4py", reason="distributed training needs mpi4py: pip install '.[mpi]'")

pytestmark = pytest.mark.mpi

PROGRAM = os.path.join(os.path.dirname(__file__), "mpi", "distributed_program.py")
# the L-BFGS optimum of the a9a objective below (logistic loss, alpha 1e-4,
# intercept unpenalized); computed by test_the_a9a_optimum_is_what_lbfgs_finds
A9A_OPTIMUM = 0.32441304411231514


def mpiexec():
    found = shutil.which("mpiexec", path=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    if found is None:
        pytest.skip("no mpiexec on the PATH (pip install '.[mpi]' brings MPICH's)")
    return found


def run(ranks, *args, timeout=120):
    """(exit status, seconds, rank 0's JSON result or None, output)."""
    started = time.monotonic()
    done = subprocess.run([mpiexec(), "-n", str(ranks), sys.executable, PROGRAM, *map(str, args)],
                          capture_output=True, text=True, timeout=timeout)
    seconds = time.monotonic() - started
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    return done.returncode, seconds, (json.loads(lines[-1]) if lines else None), done.stdout + done.stderr


def succeeded(ranks, *args, timeout=120):
    """rank 0's JSON result of a run that must end with status 0."""
    status, _, result, output = run(ranks, *args, timeout=timeout)
    assert status == 0, output
    return result


def test_the_a9a_optimum_is_what_lbfgs_finds(a9a):
    from scipy.optimize import minimize

    X, y, _, _ = a9a
    s, n = np.where(y > 0, 1.0, -1.0), X.shape[0]

    def objective(v):
        w, b = v[:-1], v[-1]
        z = s * (X @ w + b)
        p = -s / (1.0 + np.exp(z))
        return (np.logaddexp(0.0, -z).mean() + 1e-4 / 2 * w @ w,
                np.concatenate([X.T @ p / n + 1e-4 * w, [p.mean()]]))

    found = minimize(objective, np.zeros(X.shape[1] + 1), jac=True, method="L-BFGS-B",
                     options=dict(maxiter=2000, gtol=1e-10, ftol=1e-14))
    assert found.fun == pytest.approx(A9A_OPTIMUM, rel=1e-9)


@pytest.mark.parametrize("ranks", [2, 3])
@pytest.mark.parametrize("mode, overlap", [("local", 0), ("local", 1), ("easgd", 0), ("allreduce", 0),
                                           ("parameter_server", 0)])
def test_ranks_reach_the_optimum_on_a9a(mode, overlap, ranks):
    """Each rank a third (half) of a9a: the ranks' common model within 3e-3
    of the optimum, 0.845 test accuracy, the same model on every rank
    (overlap: the exchange runs during the next epoch, applied as a
    correction; allreduce: minibatch with its default steps;
    parameter_server: one server rank, asynchronous pushes)."""
    result = succeeded(ranks, "a9a", mode, 20, overlap)
    assert result["objective"] / A9A_OPTIMUM - 1.0 < 3e-3
    assert result["accuracy"] >= 0.845
    assert result["same"] and result["n_iter"] == 20
    assert result["rows"] == 32561 // ranks  # (rank 0's shard: rows split as evenly as they go)
    stats = result["stats"]
    assert stats["ranks"] == ranks and stats["mode"] == mode and stats["bytes_sent"] > 20 * 124 * 8


def test_a_parameter_server_on_every_rank_reaches_the_optimum_on_a9a():
    """Three ranks, each a server of a third of the keys and a worker."""
    result = succeeded(3, "a9a", "parameter_server", 20, 0, 3)
    assert result["objective"] / A9A_OPTIMUM - 1.0 < 3e-3 and result["accuracy"] >= 0.845
    assert result["same"] and result["n_iter"] == 20
    stats = result["stats"]
    assert len(stats["staleness"]) == 20 and len(stats["leads"]) == 20 and max(stats["leads"]) <= 2
    # a pull before each of the 20 clocks, of the 122 features rank 0's rows hold (a9a's training
    # rows hold 122 of its 123) and the intercept, and one of the whole model at the end
    assert stats["bytes_pulled"] == 20 * 123 * 8 + 124 * 8


def test_the_parameter_server_scales_each_push_by_its_staleness_and_keeps_key_ranges():
    """Two servers, three workers holding different keys, pushes in a fixed
    order: a push with nobody in between adds its whole change, one with a
    push in between half of it; only held keys move; each pull reads every
    held key from its server."""
    result = succeeded(3, "parameter_server_arithmetic")
    nan = float("nan")
    np.testing.assert_array_equal(result["pulled"][0], [0, nan, 20, nan, 40, nan, 60])
    np.testing.assert_array_equal(result["pulled"][1], [nan, 10, 20, nan, nan, 50, 60])
    # initial 10 k; rank 1 adds 200 to keys 1, 2, 5, 6; rank 0 half of 100 to keys 0, 2, 4, 6
    assert result["pulled"][2] == [50, 210, 270, 30, 90, 250, 310]
    assert result["final"] == [51, 211, 271, 31, 91, 251, 311]  # (rank 2's push: nobody in between)
    assert result["staleness"] == [[1], [0], [0]]


@pytest.mark.parametrize("max_staleness", [0, 1])
def test_a_parameter_server_worker_waits_for_the_slowest_beyond_max_staleness(max_staleness):
    """Rank 1 takes 0.3 s an epoch, rank 0 almost none: rank 0 starts no
    clock more than max_staleness ahead of rank 1 (stale-synchronous), and
    so waits for it."""
    result = succeeded(2, "parameter_server_bounded", max_staleness)
    assert max(result["leads"]) == max_staleness and min(result["leads"]) == 0
    assert result["wait_seconds"] > 1.0 and result["n_iter"] == [8, 8] and result["same"]


@pytest.mark.parametrize("average", [0, 1])
def test_parameter_server_ranks_end_with_the_whole_model_where_their_rows_hold_other_features(average):
    """Rank 0's rows hold columns 0-4 and 9, rank 1's 5-9: each pulls only
    its own during training, and both end with every trained weight (the
    true direction rises from column 0 to 9), averaged or not."""
    result = succeeded(2, "parameter_server_unheld", average)
    assert result["held"] == [0, 1, 2, 3, 4, 9] and result["same"]
    assert np.all(np.diff(result["coef"]) > 0) and result["score"] > 0.9


def test_a_parameter_server_rank_stopped_by_its_callback_waits_while_the_others_train():
    """Rank 1 stops after one epoch; rank 0 trains 10 epochs of 0.5 s,
    past the 3 s timeout, which runs from the last clock any rank
    finished: no timeout, one model."""
    result = succeeded(2, "parameter_server_callback_stop")
    assert result["n_iter"] == [10, 1] and result["same"]


def test_a_parameter_server_needs_mpi_thread_multiple():
    """(the server ranks' helper threads call MPI beside the training one)"""
    result = succeeded(2, "parameter_server_thread_level")
    message = ('mode="parameter_server" needs MPI initialized with MPI_THREAD_MULTIPLE '
               "(mpi4py's default; see mpi4py.rc.thread_level)")
    # (refused on every rank, each naming itself: see test_an_argument_refused_on_one_rank_alone...)
    assert result["error"] == f"distributed fit refused: rank 0: ValueError: {message}; rank 1: ValueError: {message}"


# (classes, sparse, threads, parameters): the loss, penalty, schedule,
# optimizer and averaging that the allreduce step must reproduce
ALLREDUCE_CASES = {
    "dense, optimal": {"learning_rate": "optimal"},
    "sparse, elasticnet, adam, averaged": {"sparse": True, "density": 0.2, "penalty": "elasticnet", "average": 1,
                                           "optimizer": "adam", "learning_rate": "constant", "eta0": 0.01},
    "3 classes, 2 threads, momentum, averaged from t=300": {
        "classes": 3, "threads": 2, "sparse": True, "density": 0.3, "learning_rate": "invscaling", "eta0": 0.5,
        "optimizer": "momentum", "average": 300, "loss": "modified_huber"},
    "hinge, l1": {"loss": "hinge", "penalty": "l1", "alpha": 1e-3, "learning_rate": "constant", "eta0": 0.05},
}


@pytest.mark.parametrize("ranks", [2, 3])
@pytest.mark.parametrize("case", list(ALLREDUCE_CASES))
def test_allreduce_is_minibatch_on_every_ranks_rows(case, ranks):
    """mode="allreduce" is minibatch on all the rows with the global batch
    (each rank a share of every batch), to 1e-12 relative on float64: the
    ranks sum the gradients in another order, nothing else differs."""
    result = succeeded(ranks, "allreduce", json.dumps(ALLREDUCE_CASES[case]))
    assert result["coef"] < 1e-12 and result["intercept"] < 1e-12 and result["objective"] < 1e-12
    assert result["t"][0] == result["t"][1] and result["n_iter"] == [6, 6] and result["same"]
    assert result["bytes"] > 6 * 12 * 40 * 8  # (one all-reduce of the gradient per step at least)


def test_allreduce_starts_ranks_that_start_apart_from_their_mean():
    """warm_start after each rank fitted its own shard: the models differ
    at the start; the allreduce fit ends with one model on every rank."""
    result = succeeded(2, "allreduce_warm")
    assert result["started_apart"] and result["same"] and result["n_iter"] == 3


def test_allreduce_stops_every_rank_where_one_ranks_callback_stops():
    result = succeeded(2, "allreduce_callback_stop")
    assert result["n_iter"] == [2, 2] and result["same"]


def test_allreduce_refuses_batches_smaller_than_the_ranks():
    result = succeeded(2, "allreduce_small_batch")
    assert result["error"].startswith('distributed fit refused: rank 0: ValueError: mode="allreduce" needs '
                                      "batch_size >= the 2 ranks (each step takes the same share of every "
                                      "rank's rows), got 1; rank 1:")


def test_ctrl_c_on_one_rank_ends_an_allreduce_job_without_waiting_for_the_timeout():
    status, seconds, result, output = run(2, "allreduce_interrupt", timeout=90)
    assert status != 0 and result is None
    assert "rank 1 of 2 failed (KeyboardInterrupt" in output
    assert "did not answer" not in output and seconds < 30


@pytest.mark.parametrize("ranks", [2, 3])
def test_the_stopping_rule_runs_on_every_ranks_objective(ranks):
    result = succeeded(ranks, "stopping")
    assert len(set(result["n_iter"])) == 1 and result["n_iter"][0] < 200  # every rank stopped at once, early
    assert result["same"] and result["history"] == result["n_iter"][0]
    # learning_rate="auto": every rank takes the smallest of the ranks' own first steps
    assert len(set(result["eta0"])) == 1 and result["eta0"][0] == min(result["own_eta0"])
    assert len(set(result["own_eta0"])) > 1  # (the shards' own differ)


@pytest.mark.parametrize("mode", ["local", "parameter_server"])
def test_classes_are_every_ranks_and_balanced_weights_count_every_rank(mode):
    result = succeeded(2, "missing_class", mode)
    assert result["local_classes"] == [[0, 1], [1, 2]]  # neither rank holds all three classes
    assert result["classes"] == [0, 1, 2] and result["coef_shape"] == [3, 8] and result["same"]
    # balanced: n / (3 count_c) over the rows of both ranks (neither rank's own counts)
    np.testing.assert_allclose(result["weights"], result["balanced_over_all_rows"], rtol=1e-12)


def test_a_rank_with_other_features_is_refused_on_every_rank_naming_it():
    result = succeeded(2, "features_differ")
    assert result["error"] == ("distributed fit refused: rank(s) [1] differ from rank 0 in the number of features "
                               "or the estimator: (9, 'SGDClassifier') against (8, 'SGDClassifier')")


def test_a_rank_with_other_parameters_is_refused_naming_the_parameter():
    result = succeeded(3, "params_differ")
    assert result["error"] == "distributed fit refused: rank 1 differs from rank 0 in alpha=0.0002 (rank 0: 0.0001)"


@pytest.mark.parametrize("name, mine, rank_0", [("mode", "'easgd'", "'local'"), ("sync_every", "2", "1"),
                                                  ("overlap", "False", "True"), ("n_servers", "1", "2")])
def test_ranks_given_other_arguments_of_distributed_fit_are_refused_naming_them(name, mine, rank_0):
    """(n_servers crashed the parameter server's set-up; mode, sync_every
    and overlap made rank 0 wait for the timeout, which named no cause: a
    new user's trial)"""
    status, seconds, result, output = run(2, "fit_arguments_differ", name, timeout=60)
    assert status == 0, output
    assert result["error"] == (f"distributed fit refused: rank 1 differs from rank 0 in "
                               f"distributed.fit's {name}={mine} (rank 0: {rank_0})")
    assert seconds < 30


@pytest.mark.parametrize("name, message", [
    ("sync_every", "ValueError: sync_every must be an integer >= 1, got 0"),
    ("elasticity", r"ValueError: elasticity must be in \(0, 1/n_ranks\] = \(0, 0.5\] with 2 ranks, got 0.9"),
    ("n_servers", 'ValueError: n_servers is for mode="parameter_server"'),
    ("path", "ValueError: X must be a 2-D array or sparse matrix"),
])
def test_an_argument_refused_on_one_rank_alone_is_told_to_every_rank(name, message):
    """(rank 1 raised at once, rank 0 waited for the timeout, 600 s by
    default; a review)"""
    status, seconds, result, output = run(2, "one_rank_refused", name, timeout=60)
    assert status == 0, output
    assert re.fullmatch(f"distributed fit refused: rank 1: {message}", result["error"]), result["error"]
    assert seconds < 30


@pytest.mark.parametrize("mode", ["local", "allreduce", "parameter_server"])
def test_an_exception_on_one_rank_ends_every_rank(mode):
    status, seconds, result, output = run(2, "failure", mode, timeout=60)
    assert status != 0 and result is None
    assert "Input X contains NaN" in output and "rank 1 of 2 failed" in output
    assert seconds < 30


@pytest.mark.parametrize("mode", ["local", "allreduce", "parameter_server"])
def test_a_killed_rank_ends_the_job_within_30_seconds(mode):
    status, seconds, result, output = run(2, "killed", mode, timeout=90)
    assert status != 0 and result is None
    assert seconds < 30


@pytest.mark.parametrize("mode", ["local", "allreduce", "parameter_server"])
def test_a_rank_that_stops_answering_ends_the_job_after_the_timeout(mode):
    """(allreduce: the other rank waits inside a training step's all-reduce;
    parameter_server: for the slow rank's clock)"""
    status, seconds, result, output = run(2, "hang", mode, timeout=90)
    assert status != 0 and result is None
    assert "the other ranks did not answer within 3 s" in output
    assert seconds < 30


def test_easgd_regression_on_sparse_float32_rows():
    result = succeeded(3, "regression")
    assert result["r2"] > 0.98 and result["same"]


def test_the_command_line_trains_across_ranks_and_rank_0_alone_prints_and_writes(tmp_path, a9a_files):
    import hogwild

    model_path = tmp_path / "model.hwm"
    done = subprocess.run([mpiexec(), "-n", "2", sys.executable, "-m", "hogwild", "train", str(a9a_files[0]),
                           "--distributed", "easgd", "--threads", "1", "--epochs", "5", "--test",
                           str(a9a_files[1]), "-o", str(model_path)],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("trained in") == 1 and done.stdout.count("model written") == 1
    assert "32561 examples, 123 features, 451592 nonzeros" in done.stdout  # the whole file, counted over ranks
    # (each rank read the lines starting in its half of the file's bytes)
    rows = int(re.search(r"2 ranks, easgd SGD, combining every 1 epoch\(s\); rank 0 trains on (\d+) examples",
                         done.stdout).group(1))
    assert abs(rows - 32561 / 2) < 300
    from conftest import load_a9a_arrays

    _, _, X_test, y_test = load_a9a_arrays()
    assert hogwild.load(model_path).score(X_test, y_test) > 0.83  # (5 epochs at the default rate)


@pytest.mark.parametrize("zero_in", ["test", "train"])
def test_the_command_line_numbers_training_and_test_files_as_read_together(tmp_path, zero_in):
    """From 0 where either file holds index 0, as without --distributed
    (the review: a test file holding index 0 beside a training file
    without one was refused; with index 0 in the training file alone, the
    test file's columns would have been one off)."""
    with_zero, without = "1 0:1 2:1\n-1 1:1\n" * 20, "1 2:1\n-1 1:1\n" * 20
    (tmp_path / "train.svm").write_text(with_zero if zero_in == "train" else without)
    (tmp_path / "test.svm").write_text(with_zero if zero_in == "test" else without)
    outputs = []
    for distributed in ([], ["--distributed", "local"]):
        command = ([mpiexec(), "-n", "2"] if distributed else []) + [
            sys.executable, "-m", "hogwild", "train", str(tmp_path / "train.svm"), "--test", str(tmp_path / "test.svm"),
            "--threads", "1", "--epochs", "3", *distributed]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr
        outputs.append(re.search(r"test accuracy: ([0-9.]+)", done.stdout).group(1))
        assert "3 features" in done.stdout
    assert outputs == ["1.0000", "1.0000"]


def test_the_command_line_trains_minibatch_with_allreduce(tmp_path, a9a_files):
    import hogwild

    model_path = tmp_path / "model.hwm"
    done = subprocess.run([mpiexec(), "-n", "3", sys.executable, "-m", "hogwild", "train", str(a9a_files[0]),
                           "--distributed", "allreduce", "--solver", "minibatch", "--threads", "1", "--epochs", "5",
                           "-o", str(model_path)], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 ranks, allreduce SGD, summing every step's gradient; rank 0 trains on" in done.stdout
    assert done.stdout.count("trained in") == 1 and done.stdout.count("model written") == 1
    model = hogwild.load(model_path)
    assert model.solver == "minibatch" and model.t_ == 5 * 32561 + 1  # (t counts the rows of all ranks)
    from conftest import load_a9a_arrays

    _, _, X_test, y_test = load_a9a_arrays()
    assert model.score(X_test, y_test) > 0.83


def test_the_command_line_trains_with_a_parameter_server(tmp_path, a9a_files):
    import hogwild

    model_path = tmp_path / "model.hwm"
    done = subprocess.run([mpiexec(), "-n", "3", sys.executable, "-m", "hogwild", "train", str(a9a_files[0]),
                           "--distributed", "parameter_server", "--servers", "2", "--max-clock-staleness", "1",
                           "--threads", "1", "--epochs", "10", "--average", "10000", "-o", str(model_path)],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert ("3 ranks, parameter_server SGD, 2 server rank(s), pushing every 1 epoch(s), at most 1 clock(s) ahead "
            "of the slowest; rank 0 trains on") in done.stdout
    assert done.stdout.count("trained in") == 1 and done.stdout.count("model written") == 1
    from conftest import load_a9a_arrays

    _, _, X_test, y_test = load_a9a_arrays()
    # (averaged from row 10,000: 0.8498-0.8506 in 6 runs; the last iterate of the
    # asynchronous pushes spread over 0.817-0.847 in 15)
    assert hogwild.load(model_path).score(X_test, y_test) > 0.845


def test_the_parameter_server_options_need_its_mode(tmp_path, a9a_files):
    done = subprocess.run([sys.executable, "-m", "hogwild", "train", str(a9a_files[0]), "--servers", "2"],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 2
    assert "error: --servers and --max-clock-staleness are for --distributed parameter_server" in done.stderr


@pytest.mark.parametrize("ranks", [2, 3])
def test_the_sharded_reader_gives_the_whole_file_in_rank_order(ranks, a9a_files, tmp_path):
    """Byte ranges cut at line boundaries: plain and .gz a9a, a file with
    fewer lines than ranks, a zero-based file whose index 0 only the last
    rank sees, one without a trailing newline."""
    import gzip

    tiny = tmp_path / "tiny.svm"
    tiny.write_bytes(b"1 3:1.5\n-1 7:2\n")
    zero = tmp_path / "zero.svm"
    zero.write_bytes(b"".join(b"1 %d:1 %d:2\n" % (k + 1, k + 2) for k in range(40)) + b"-1 0:3.5 9:1\n")
    unterminated = tmp_path / "unterminated.svm"
    unterminated.write_bytes(b"1 1:1\n-1 2:1\n1 3:0.5")
    a9a_gz = tmp_path / "a9a_head.svm.gz"
    with open(a9a_files[0], "rb") as source:
        head = b"".join(source.readline() for _ in range(500)) if not str(a9a_files[0]).endswith(".gz") \
            else gzip.open(source).read()[:60000].rsplit(b"\n", 1)[0] + b"\n"
    a9a_gz.write_bytes(gzip.compress(head))
    paths = [a9a_files[0], a9a_gz, tiny, zero, unterminated]
    result = succeeded(ranks, "sharded_reader", *paths)
    assert result["same"] == [True] * len(paths)


def test_one_rank_is_a_plain_fit_bit_for_bit():
    """mode="local" on a communicator of one rank: nothing to combine, so
    the model is fit's, bit for bit (minibatch: deterministic)."""
    from mpi4py import MPI

    import hogwild
    from hogwild import distributed

    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 6))
    y = (X[:, 0] - X[:, 1] > 0).astype(int)
    params = dict(solver="minibatch", n_threads=2, max_iter=7, tol=None, random_state=0, optimizer="adam",
                  learning_rate="constant", eta0=0.01)
    plain = hogwild.SGDClassifier(**params).fit(X, y)
    alone = distributed.fit(hogwild.SGDClassifier(**params), X, y, comm=MPI.COMM_SELF, sync_every=2)
    np.testing.assert_array_equal(alone.coef_, plain.coef_)
    np.testing.assert_array_equal(alone.intercept_, plain.intercept_)
    assert [r["objective"] for r in alone.history_] == pytest.approx([r["objective"] for r in plain.history_],
                                                                     rel=1e-12)


def test_a_parameter_server_of_one_rank_is_a_plain_fit():
    """One worker, its own server: every push lands with nobody in between
    and adds the whole change, so the model is fit's (up to the rounding of
    pulled + (trained - pulled)), averaged iterates and three classes too
    ("optimal": "auto" decays from the first plateau only outside
    distributed training)."""
    from mpi4py import MPI

    import hogwild
    from hogwild import distributed

    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 6))
    y = np.digitize(X[:, 0] - X[:, 1], [-0.5, 0.5])
    params = dict(n_threads=1, max_iter=7, tol=None, random_state=0, average=100, learning_rate="optimal")
    plain = hogwild.SGDClassifier(**params).fit(X, y)
    alone = distributed.fit(hogwild.SGDClassifier(**params), X, y, comm=MPI.COMM_SELF, mode="parameter_server",
                            sync_every=2)
    np.testing.assert_allclose(alone.coef_, plain.coef_, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(alone.intercept_, plain.intercept_, rtol=1e-12, atol=1e-14)
    assert alone.distributed_stats_["staleness"] == [0] * 12  # (4 clocks for each of 3 classes)
    assert alone.n_iter_ == 7


def test_allreduce_on_one_rank_is_a_plain_minibatch_fit_bit_for_bit():
    """One rank, batch_size dividing the rows: the same batches, the same
    sums, the model of fit bit for bit (multiclass, sparse, averaged)."""
    from mpi4py import MPI

    import scipy.sparse as sp

    import hogwild
    from hogwild import distributed

    rng = np.random.RandomState(0)
    X = sp.random(320, 12, density=0.4, random_state=rng, format="csr")
    y = rng.randint(0, 3, size=320)
    params = dict(solver="minibatch", batch_size=32, n_threads=2, max_iter=5, tol=None, random_state=0,
                  average=100, learning_rate="constant", eta0=0.05)
    plain = hogwild.SGDClassifier(**params).fit(X, y)
    alone = distributed.fit(hogwild.SGDClassifier(**params), X, y, comm=MPI.COMM_SELF, mode="allreduce")
    np.testing.assert_array_equal(alone.coef_, plain.coef_)
    np.testing.assert_array_equal(alone.intercept_, plain.intercept_)
    assert alone.t_ == plain.t_


@pytest.mark.parametrize("bad, message", [
    (dict(mode="parameter_servers"), "mode must be one of 'local', 'easgd', 'allreduce', 'parameter_server', got "
                                     "'parameter_servers'"),
    (dict(mode="parameter_server", n_servers=2), r"n_servers must be an integer in \[1, 1\] \(the ranks\), got 2"),
    (dict(mode="parameter_server", max_staleness=-1), "max_staleness must be an integer >= 0, got -1"),
    (dict(n_servers=1), 'n_servers is for mode="parameter_server"'),
    (dict(mode="easgd", max_staleness=1), 'max_staleness is for mode="parameter_server"'),
    (dict(mode="parameter_server", early_stopping=True), 'rank 0: ValueError: mode="parameter_server" has no common '
                                                         "epoch end to stop at: early_stopping=True is not supported"),
    (dict(mode="allreduce"), 'rank 0: ValueError: mode="allreduce" trains solver="minibatch" on device="cpu", '
                             "got solver='hogwild', device='cpu'"),
    (dict(sync_every=0), "sync_every must be an integer >= 1, got 0"),
    (dict(elasticity=1.5), r"elasticity must be in \(0, 1/n_ranks\] = \(0, 1\] with 1 ranks, got 1.5"),
    (dict(timeout=0), "timeout must be > 0 seconds, got 0"),
    (dict(mode="easgd", overlap=True), 'overlap=True is for mode="local"'),
    (dict(mode="allreduce", sync_every=2), 'mode="allreduce" combines at every step: sync_every must be 1, got 2'),
])
def test_bad_arguments_are_refused(bad, message):
    from mpi4py import MPI

    import hogwild
    from hogwild import distributed

    X, y = np.eye(4), np.array([0, 1, 0, 1])
    estimator = hogwild.SGDClassifier(early_stopping=bad.pop("early_stopping", False))
    with pytest.raises(ValueError, match=message):
        distributed.fit(estimator, X, y, comm=MPI.COMM_SELF, **bad)


def test_mistakes_in_the_data_or_the_estimator_are_named():
    """(y=None was called an X that is no matrix, a list of rows was
    refused, MatrixFactorization met a TypeError about sample_weight, and
    shard cut labels of another length into shards silently; a new user's
    trial)"""
    from mpi4py import MPI

    import hogwild
    from hogwild import distributed

    X, y = np.eye(4), np.array([0, 1, 0, 1])
    with pytest.raises(ValueError, match="rank 0: ValueError: y must be given"):
        distributed.fit(hogwild.SGDClassifier(), X, None, comm=MPI.COMM_SELF)
    with pytest.raises(ValueError, match="rank 0: TypeError: distributed.fit trains hogwild's SGDClassifier or "
                                         "SGDRegressor, got MatrixFactorization"):
        distributed.fit(hogwild.MatrixFactorization(), X, y, comm=MPI.COMM_SELF)
    model = distributed.fit(hogwild.SGDClassifier(max_iter=3, tol=None, n_threads=1), X.tolist(), y,
                            comm=MPI.COMM_SELF)
    assert model.coef_.shape == (1, 4)
    with pytest.raises(ValueError, match="X has 4 rows but y has 3 labels"):
        distributed.shard(X, y[:3], comm=MPI.COMM_SELF)
    part, labels = distributed.shard(X.tolist(), y, comm=MPI.COMM_SELF)
    assert part.shape == (4, 4) and list(labels) == [0, 1, 0, 1]


def test_a_rounds_interrupt_holds_for_the_joined_result():
    """With overlap, the round after an interrupted one runs while the
    exchange that stops every rank is under way: the joined result kept
    only the last round's flags, and the KeyboardInterrupt was lost (found
    by a review). Every round's end holds for the whole training."""
    from hogwild.distributed import _joined

    def round_(n_iter, **flags):
        result = dict(n_iter=n_iter, interrupted=False, stopped_by_callback=False, diverged=False, interrupt=None,
                      history={"objective": np.ones(n_iter)})
        return {**result, **flags}

    interrupt = KeyboardInterrupt()
    joined = _joined([round_(2), round_(1, interrupted=True, interrupt=interrupt), round_(1)])
    assert joined["interrupt"] is interrupt and joined["interrupted"] and not joined["diverged"]
    assert joined["n_iter"] == 4 and len(joined["history"]["objective"]) == 4
    assert _joined([round_(2), round_(1, stopped_by_callback=True), round_(1)])["stopped_by_callback"]
    assert _joined([round_(2), round_(1)])["interrupt"] is None


@pytest.mark.parametrize("stop_by", ["error", "false"])
def test_with_overlap_a_callback_that_ends_a_round_ends_this_ranks_training(stop_by):
    """(the next round started before the overlapped exchange said stop:
    the callback was called for epochs 1, 2, 3 and n_iter_ was 3; the
    review). One rank, in this process."""
    import hogwild
    from hogwild import distributed

    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 5))
    y = (X[:, 0] > 0).astype(int)
    calls = []

    def at_2(record):
        calls.append(record["epoch"])
        if record["epoch"] >= 2:
            if stop_by == "error":
                raise RuntimeError("stop at 2")
            return False

    model = hogwild.SGDClassifier(max_iter=10, tol=None, random_state=0)
    if stop_by == "error":
        with pytest.raises(RuntimeError, match="stop at 2"):
            distributed.fit(model, X, y, mode="local", overlap=True, callbacks=[at_2])
    else:
        distributed.fit(model, X, y, mode="local", overlap=True, callbacks=[at_2])
    assert calls == [1, 2] and model.n_iter_ == 2 and [r["epoch"] for r in model.history_] == [1, 2]
