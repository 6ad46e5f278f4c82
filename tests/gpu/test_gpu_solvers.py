"""The GPU solvers (device="cuda", hogwild._cuda) against the CPU's.

Run with ``python -m pytest -m gpu tests/gpu``. Skipped, with the reason,
where the package was built without CUDA or no CUDA device is usable (as
``hogwild.build_info()`` and ``hogwild.cuda`` report it, never by guessing).

With ``gpu_reduction="ordered"`` a GPU minibatch / gd model is the CPU's
(same seed, row order and batches) up to the summation order of the
margins: 1e-9 relative, epoch by epoch. Either reduction reaches the
L-BFGS optimum of a9a as the CPU solvers do.
"""

import numpy as np
import pytest

import hogwild
from conftest import load_shared
from test_convergence import ALPHA
from test_synchronous_solvers import A9A_RUNS


def _skip_reason():
    if hogwild.build_info()["cuda"] == "off" or hogwild.cuda.device_count() == 0:
        return f"the GPU tests need a CUDA build and a usable device: {hogwild.cuda.unavailable_reason()}"
    return None


SKIP_REASON = _skip_reason()
pytestmark = [pytest.mark.gpu, pytest.mark.skipif(SKIP_REASON is not None, reason=str(SKIP_REASON))]

SAME = 1e-9  # relative difference of a GPU "ordered" model from the CPU's
EPOCHS = 5


@pytest.fixture(scope="module")
def a9a_dense(a9a):
    X, y, X_test, y_test = a9a
    return X.toarray(), y, X_test.toarray(), y_test


def relative_difference(ours, reference):
    """max |ours - reference| over max |reference| (1 where reference is 0)."""
    ours, reference = np.asarray(ours, dtype=np.float64), np.asarray(reference, dtype=np.float64)
    scale = float(np.max(np.abs(reference), initial=0.0)) or 1.0
    return float(np.max(np.abs(ours - reference), initial=0.0)) / scale


def fit_by_epoch(model, X, y, **fit_params):
    """Fits `model`; the weights (coef and intercept together) after each epoch."""
    epochs = []
    model.fit(X, y, callbacks=[lambda r: epochs.append(np.append(r["coef"], r["intercept"]))], **fit_params)
    return epochs


def assert_same_epochs(gpu, cpu, gpu_epochs, cpu_epochs, rtol=SAME):
    assert len(gpu_epochs) == len(cpu_epochs) == len(gpu.history_) == len(cpu.history_)
    for epoch, (ours, reference) in enumerate(zip(gpu_epochs, cpu_epochs), start=1):
        assert relative_difference(ours, reference) <= rtol, f"epoch {epoch}"
        objectives = gpu.history_[epoch - 1]["objective"], cpu.history_[epoch - 1]["objective"]
        assert abs(objectives[0] - objectives[1]) <= rtol * abs(objectives[1]), f"objective of epoch {epoch}"
    assert relative_difference(np.append(gpu.coef_, gpu.intercept_), np.append(cpu.coef_, cpu.intercept_)) <= rtol
    assert gpu.n_iter_ == cpu.n_iter_ and gpu.t_ == cpu.t_


# (a) every loss meets every penalty, and every optimizer every loss and penalty once
LOSSES = ("hinge", "log_loss", "squared_error")
PENALTIES = ("l2", "l1", "elasticnet")
OPTIMIZERS = ("sgd", "adam", "momentum")
RATES = {"sgd": 0.05, "adam": 0.01, "momentum": 0.005}  # constant; squared_error on a9a's 0/1 features too
CASES = [(loss, penalty, OPTIMIZERS[(i + j) % 3])
         for i, loss in enumerate(LOSSES) for j, penalty in enumerate(PENALTIES)]


def estimator(loss, **params):
    if loss == "squared_error":
        return hogwild.SGDRegressor(loss=loss, **params)
    return hogwild.SGDClassifier(loss=loss, **params)


@pytest.mark.parametrize("average", [False, True])
@pytest.mark.parametrize("loss, penalty, optimizer", CASES)
@pytest.mark.parametrize("layout", ["csr-f64", "dense-f64"])
def test_ordered_minibatch_is_the_cpu_minibatch_epoch_by_epoch(a9a, a9a_dense, layout, loss, penalty, optimizer,
                                                               average):
    X, y = (a9a if layout == "csr-f64" else a9a_dense)[:2]
    params = dict(penalty=penalty, alpha=ALPHA, solver="minibatch", batch_size=256, optimizer=optimizer,
                  learning_rate="constant", eta0=RATES[optimizer], average=average, max_iter=EPOCHS, tol=None,
                  shuffle=True, random_state=3)
    gpu = estimator(loss, device="cuda", gpu_reduction="ordered", **params)
    cpu = estimator(loss, n_threads=1, **params)
    assert_same_epochs(gpu, cpu, fit_by_epoch(gpu, X, y), fit_by_epoch(cpu, X, y))


@pytest.mark.parametrize("solver", ["minibatch", "gd"])
@pytest.mark.parametrize("layout", ["csr-f64", "dense-f64"])
def test_ordered_reduction_is_bit_for_bit_reproducible(a9a, a9a_dense, layout, solver):
    X, y = (a9a if layout == "csr-f64" else a9a_dense)[:2]
    params = dict(loss="log_loss", penalty="elasticnet", solver=solver, optimizer="adam", learning_rate="constant",
                  eta0=0.01, average=True, max_iter=EPOCHS, tol=None, random_state=0, device="cuda",
                  gpu_reduction="ordered")
    runs = [hogwild.SGDClassifier(**params) for _ in range(2)]
    epochs = [fit_by_epoch(run, X, y) for run in runs]
    for first, second in zip(*epochs):
        np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(runs[0].coef_, runs[1].coef_)
    np.testing.assert_array_equal(runs[0].intercept_, runs[1].intercept_)
    assert [r["objective"] for r in runs[0].history_] == [r["objective"] for r in runs[1].history_]


@pytest.mark.parametrize("reduction", ["ordered", "atomic"])
@pytest.mark.parametrize("solver", ["minibatch", "gd"])
def test_reaches_lbfgs_optimum_on_a9a(a9a, optimum, solver, reduction):
    """The CPU solvers' test (test_synchronous_solvers.py), on the GPU."""
    X, y, X_test, y_test = a9a
    objective, best = optimum
    params, tolerance, rates = A9A_RUNS[solver]
    model = hogwild.SGDClassifier(loss="log_loss", alpha=ALPHA, solver=solver, learning_rate="constant",
                                  eta0=rates["sgd"], tol=None, random_state=0, device="cuda",
                                  gpu_reduction=reduction, **params).fit(X, y)
    reached, _ = objective(np.concatenate([model.coef_.ravel(), model.intercept_]))
    assert (reached - best) / best < tolerance
    assert model.score(X_test, y_test) >= 0.845


@pytest.mark.parametrize("reduction", ["ordered", "atomic"])
def test_multiclass_dna_matches_the_cpu_accuracy(reduction):
    X, y = load_shared("dna.scale", n_features=180)
    X_test, y_test = load_shared("dna.scale.t", n_features=180)
    params = dict(loss="log_loss", solver="minibatch", batch_size=32, learning_rate="constant", eta0=0.1,
                  max_iter=20, tol=None, random_state=0)
    gpu = hogwild.SGDClassifier(device="cuda", gpu_reduction=reduction, **params).fit(X, y)
    cpu = hogwild.SGDClassifier(n_threads=1, **params).fit(X, y)
    assert list(gpu.classes_) == list(cpu.classes_) == [1.0, 2.0, 3.0]
    assert cpu.score(X_test, y_test) >= 0.9
    assert abs(gpu.score(X_test, y_test) - cpu.score(X_test, y_test)) <= 0.01
    assert [r["class"] for r in gpu.history_] == [c for c in (1.0, 2.0, 3.0) for _ in range(20)]


def test_float32_csr_with_int64_indices(a9a):
    X, y, X_test, y_test = a9a
    X = X.astype(np.float32)
    X.indices, X.indptr = X.indices.astype(np.int64), X.indptr.astype(np.int64)
    params = dict(loss="log_loss", solver="minibatch", learning_rate="constant", eta0=0.5, average=True,
                  max_iter=EPOCHS, tol=None, random_state=0)
    gpu = hogwild.SGDClassifier(device="cuda", **params).fit(X, y)
    cpu = hogwild.SGDClassifier(n_threads=1, **params).fit(X, y)
    assert gpu.coef_.dtype == np.float32  # (as on the CPU: coef_ takes the dtype of X)
    # (a9a's values are 0 and 1, exact in float32: a float32 product on the device would still differ)
    assert relative_difference(np.append(gpu.coef_, gpu.intercept_), np.append(cpu.coef_, cpu.intercept_)) <= 1e-6
    assert gpu.score(X_test, y_test) >= 0.84


@pytest.mark.parametrize("loss", ["log_loss", "squared_error"])
def test_partial_fit_continues_as_on_the_cpu(a9a, loss):
    """Each call uploads its data; the model, t_, the average and the
    optimizer's state carry over from call to call as on the CPU."""
    X, y, _, _ = a9a
    halves = [slice(0, 16000), slice(16000, None)]
    params = dict(solver="minibatch", optimizer="adam", learning_rate="constant", eta0=0.01, average=True,
                  random_state=0)
    gpu = estimator(loss, device="cuda", **params)
    cpu = estimator(loss, n_threads=1, **params)
    extra = {} if loss == "squared_error" else dict(classes=[-1.0, 1.0])
    for call in range(4):
        rows = halves[call % 2]
        gpu.partial_fit(X[rows], y[rows], **extra)
        cpu.partial_fit(X[rows], y[rows], **extra)
        difference = relative_difference(np.append(gpu.coef_, gpu.intercept_), np.append(cpu.coef_, cpu.intercept_))
        assert difference <= SAME, f"after partial_fit call {call + 1}"
        assert gpu.t_ == cpu.t_
    objectives = gpu.history_[-1]["objective"], cpu.history_[-1]["objective"]
    assert abs(objectives[0] - objectives[1]) <= SAME * abs(objectives[1])


def ragged_csr(n_rows=3000, n_features=500, seed=0):
    """Rows of 0 to 120 nonzeros (empty rows, rows longer than a warp, a
    feature in every other row): every launch shape of the kernels."""
    import scipy.sparse as sp

    rng = np.random.default_rng(seed)
    lengths = rng.integers(0, 121, n_rows)
    lengths[::97] = 0
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    indices = np.concatenate([np.sort(rng.choice(n_features, k, replace=False)) for k in lengths])
    data = rng.normal(size=indptr[-1])
    X = sp.csr_matrix((data, indices, indptr), shape=(n_rows, n_features))
    hot_rows = np.arange(0, n_rows, 2)  # (a hot feature: summed by a warp between batch boundaries)
    X = (X + sp.csr_matrix((np.ones(hot_rows.size), (hot_rows, np.full(hot_rows.size, 7))), shape=X.shape)).tocsr()
    y = np.where(X @ rng.normal(size=n_features) > 0, 1, -1)
    return X, y


@pytest.mark.parametrize("batch_size", [1, 37, 512])
def test_ragged_rows_long_and_empty_match_the_cpu(batch_size):
    X, y = ragged_csr()
    params = dict(loss="log_loss", penalty="elasticnet", solver="minibatch", batch_size=batch_size,
                  learning_rate="constant", eta0=0.01, max_iter=3, tol=None, random_state=0)
    cpu = hogwild.SGDClassifier(n_threads=1, **params)
    cpu_epochs = fit_by_epoch(cpu, X, y)
    ordered = hogwild.SGDClassifier(device="cuda", gpu_reduction="ordered", **params)
    assert_same_epochs(ordered, cpu, fit_by_epoch(ordered, X, y), cpu_epochs)
    atomic = hogwild.SGDClassifier(device="cuda", gpu_reduction="atomic", **params)
    assert_same_epochs(atomic, cpu, fit_by_epoch(atomic, X, y), cpu_epochs, rtol=1e-6)


def test_too_little_device_memory_is_a_memory_error_with_the_sizes(a9a):
    from hogwild import _cuda

    X, y, _, _ = a9a
    _cuda._limit_device_memory(1 << 20)
    try:
        with pytest.raises(MemoryError, match=r"too little free memory for this training data: [0-9]+ more bytes "
                                              r"were needed, [0-9]+ of 1048576 are free"):
            hogwild.SGDClassifier(solver="minibatch", device="cuda").fit(X, y)
    finally:
        _cuda._limit_device_memory(0)
    hogwild.SGDClassifier(solver="minibatch", device="cuda", max_iter=1, tol=None).fit(X, y)  # (and it recovers)
