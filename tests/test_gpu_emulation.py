"""The GPU trainer's algorithm without a GPU: its kernel bodies run by host
loops (the CPU emulation, cpp/include/hogwild/gpu/host_backend.hpp) must
learn the CPU minibatch / gd solver's model bit for bit (one thread per row
sums each margin in the CPU's order, and each feature's batch gradient is
summed in row order from the transposed copy, or by the atomic reduction's
additions, which one host thread makes in row order too). What this checks
of the GPU path: the gather of each epoch's rows, the transposed copy and
its per-feature cursors, the fused update (penalty weights, cumulative L1,
optimizers, averaging), the intercept's step, the session's bookkeeping
(schedules over runs, a model written between runs, optimizer state).
The kernels' launch geometry and warp reductions run in tests/gpu."""

import numpy as np
import pytest
import scipy.sparse as sp

import hogwild
from hogwild import _core
from hogwild._validation import core_view
from hogwild.datasets import make_sparse_classification


def layouts():
    X = make_sparse_classification(700, 90, 7, random_state=3)[0]
    X.data = X.data * np.random.default_rng(0).uniform(0.5, 2.0, X.nnz).astype(X.dtype)
    X64 = X.astype(np.float64)
    with_int64 = X64.copy()
    with_int64.indices = with_int64.indices.astype(np.int64)
    with_int64.indptr = with_int64.indptr.astype(np.int64)
    empty_rows = X64.tolil()
    empty_rows[5:9] = 0  # (rows without a nonzero)
    return {
        "csr-f32-i32": X.astype(np.float32),
        "csr-f64-i64": with_int64,
        "csr-f64-empty-rows": empty_rows.tocsr(),
        "dense-f32": X.toarray().astype(np.float32),
        "dense-f64": X64.toarray(),
    }


def ragged(n_rows=700, n_features=150, seed=0):
    """Rows of 0 to 100 nonzeros (empty rows, rows longer than a warp: a warp
    per row on a GPU) and a feature in every other row (hot: a warp each)."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(0, 101, n_rows)
    lengths[::50] = 0
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    indices = np.concatenate([np.sort(rng.choice(n_features, k, replace=False)) for k in lengths])
    X = sp.csr_matrix((rng.normal(size=indptr[-1]), indices, indptr), shape=(n_rows, n_features))
    hot = np.arange(0, n_rows, 2)
    X = (X + sp.csr_matrix((np.ones(hot.size), (hot, np.full(hot.size, 7))), shape=X.shape)).tocsr()
    with_int64 = X.copy()
    with_int64.indices = with_int64.indices.astype(np.int64)
    with_int64.indptr = with_int64.indptr.astype(np.int64)
    return {"ragged-f32-i32": X.astype(np.float32), "ragged-f64-i64": with_int64}


LAYOUTS = layouts() | ragged()
TARGET = np.where(np.random.default_rng(1).random(700) < 0.4, 1.0, -1.0)

CASES = [
    dict(loss="hinge"),
    dict(loss="log_loss", penalty="elasticnet", learning_rate="invscaling", eta0=0.2, batch_size=33),
    dict(loss="log_loss", penalty="l1", learning_rate="constant", eta0=0.3, average=50, batch_size=64),
    dict(loss="modified_huber", optimizer="adam", learning_rate="constant", eta0=0.01, batch_size=100),
    dict(loss="squared_hinge", optimizer="momentum", learning_rate="constant", eta0=0.01, average=1),
    dict(loss="log_loss", optimizer="adagrad", learning_rate="exponential", eta0=0.2, gamma=0.8),
]


def options(case, n_samples, sparse, solver):
    est = hogwild.SGDClassifier(solver=solver, n_threads=1, random_state=0,
                                **{k: v for k, v in case.items() if k != "loss"})
    return est._core_options(
        # (learning_rate="auto" is resolved from the data by fit; the core takes a rate)
        loss=case["loss"], alpha=1e-3, learning_rate="optimal" if est.learning_rate == "auto" else est.learning_rate,
        max_iter=4, seed=7, weight_pos=1.5,
        weight_neg=1.0, classifier=True, sparse=sparse, n_samples=n_samples, n_threads=1)


def train(make, X, case, solver, runs=(2, 1, 1), mask=None, write_between=False):
    n, d = X.shape
    opts = options(case, n, sp.issparse(X), solver)
    coef, intercept = np.zeros(d), np.zeros(1)
    average_coef, average_intercept = np.zeros(d), np.zeros(1)
    weights = np.random.default_rng(2).uniform(0.5, 2.0, n)
    session = make(solver, core_view(X), TARGET, weights, mask, coef, intercept, average_coef, average_intercept,
                   opts)
    snapshots = []
    for epochs in runs:
        result = session.run(epochs)
        snapshots.append((coef.copy(), intercept.copy(), average_coef.copy(), average_intercept.copy(),
                          result["history"]["objective"].copy()))
        if write_between:
            coef *= 0.5  # (the next run starts from a model the caller wrote)
    return snapshots, session


def cpu_session(*args):
    return _core.Session(*args)


def emulated(reduction, warps=False):
    return lambda *args: _core._emulated_gpu_session(*args, reduction=reduction, warps=warps)


def assert_identical(a, b):
    for run_a, run_b in zip(a, b):
        for x, y in zip(run_a, run_b):
            np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("reduction", ["ordered", "atomic"])
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("case", range(len(CASES)))
def test_emulated_gpu_minibatch_learns_the_cpu_model_bit_for_bit(layout, case, reduction):
    X = LAYOUTS[layout]
    cpu, _ = train(cpu_session, X, CASES[case], "minibatch")
    gpu, _ = train(emulated(reduction), X, CASES[case], "minibatch")
    assert np.any(cpu[-1][0] != 0.0)
    assert_identical(cpu, gpu)


@pytest.mark.parametrize("reduction", ["ordered", "atomic"])
@pytest.mark.parametrize("layout", ["ragged-f32-i32", "ragged-f64-i64", "dense-f64"])
@pytest.mark.parametrize("case", [0, 2, 3, 4])
def test_the_gpu_lanes_learn_the_cpu_model_up_to_the_summation_order(layout, case, reduction):
    """The GPU's lanes (a warp per long row and per hot feature, each lane
    every 32nd nonzero, the warp's and the block's summation trees), run on
    the host: the same model as the CPU's but for the order of the sums."""
    X = LAYOUTS[layout]
    cpu, _ = train(cpu_session, X, CASES[case], "minibatch")
    gpu, _ = train(emulated(reduction, warps=True), X, CASES[case], "minibatch")
    for run_cpu, run_gpu in zip(cpu, gpu):
        for ours, reference in zip(run_gpu, run_cpu):
            scale = max(float(np.max(np.abs(reference))), 1.0)
            assert float(np.max(np.abs(ours - reference))) <= 1e-9 * scale
    assert not all(np.array_equal(a, b) for run_a, run_b in zip(cpu, gpu) for a, b in zip(run_a, run_b)), \
        "the lanes' sums should round differently somewhere (else the lanes were not used)"


@pytest.mark.parametrize("layout", ["csr-f64-i64", "dense-f32"])
def test_emulated_gpu_gd_learns_the_cpu_model(layout):
    X = LAYOUTS[layout]
    case = dict(loss="log_loss", penalty="elasticnet", learning_rate="constant", eta0=0.5)
    cpu, _ = train(cpu_session, X, case, "gd")
    gpu, _ = train(emulated("ordered"), X, case, "gd")
    assert_identical(cpu, gpu)


def test_validation_rows_and_a_model_written_between_runs():
    X = LAYOUTS["csr-f64-i64"]
    mask = np.zeros(X.shape[0], dtype=np.uint8)
    mask[::5] = 1
    case = dict(loss="log_loss", optimizer="rmsprop", learning_rate="constant", eta0=0.01, average=10,
                batch_size=50)
    cpu, _ = train(cpu_session, X, case, "minibatch", mask=mask, write_between=True)
    gpu, _ = train(emulated("ordered"), X, case, "minibatch", mask=mask, write_between=True)
    assert_identical(cpu, gpu)


def test_optimizer_state_round_trips():
    X = LAYOUTS["csr-f32-i32"]
    case = dict(loss="hinge", optimizer="adam", learning_rate="constant", eta0=0.01)
    _, cpu = train(cpu_session, X, case, "minibatch")
    _, gpu = train(emulated("atomic"), X, case, "minibatch")
    state = gpu.optimizer_state()
    np.testing.assert_array_equal(state["first"], cpu.optimizer_state()["first"])
    np.testing.assert_array_equal(state["second"], cpu.optimizer_state()["second"])
    assert state["first"].shape == (X.shape[1] + 1,)
    gpu.set_optimizer_state({"first": state["first"] * 0.0, "second": state["second"]})
    assert not np.any(gpu.optimizer_state()["first"])


def test_the_gpu_solvers_are_minibatch_and_gd():
    X = LAYOUTS["csr-f32-i32"]
    with pytest.raises(ValueError, match="the GPU trains with the solvers 'minibatch' and 'gd', not 'hogwild'"):
        train(emulated("ordered"), X, dict(loss="hinge"), "hogwild")
    with pytest.raises(ValueError, match="reduction must be 'ordered' or 'atomic', got 'fast'"):
        train(emulated("fast"), X, dict(loss="hinge"), "minibatch")


def test_an_estimator_on_the_emulated_gpu_learns_the_cpu_model(monkeypatch):
    """The estimators' whole GPU path (device="cuda": one-vs-rest classes one
    after another, the session's arguments) with the emulated trainer in
    place of the CUDA module."""
    import hogwild.cuda

    requested = []

    def emulated_session(device, *arguments, reduction):
        requested.append((device, reduction))
        return _core._emulated_gpu_session(*arguments, reduction=reduction)

    monkeypatch.setattr(hogwild.cuda, "_session", emulated_session)
    X = LAYOUTS["csr-f32-i32"]
    y = np.arange(X.shape[0]) % 3
    settings = dict(solver="minibatch", batch_size=40, max_iter=3, tol=None, random_state=5, average=True)
    cpu = hogwild.SGDClassifier(n_threads=1, **settings).fit(X, y)
    gpu = hogwild.SGDClassifier(device="cuda:0", gpu_reduction="atomic", **settings).fit(X, y)
    assert requested == [("cuda:0", "atomic")] * 3
    np.testing.assert_array_equal(cpu.coef_, gpu.coef_)
    np.testing.assert_array_equal(cpu.intercept_, gpu.intercept_)
    assert [r["objective"] for r in cpu.history_] == [r["objective"] for r in gpu.history_]
