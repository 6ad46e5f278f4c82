"""Faults of the per-solver copies of the engine, fixed once in the shared
pieces (the update rule, the epoch driver), each pinned here for every solver."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.linear_model import SGDClassifier as SklearnSGDClassifier

import hogwild
from hogwild._sgd import SOLVERS

PARALLEL = [s for s in SOLVERS if s != "sequential"]


def one_feature_problem():
    """Two rows, one feature: with hinge loss, alpha=10 and no intercept the
    objective is max(0, 1 - w) + 5 w^2, minimized at w = 0.1."""
    return np.array([[1.0], [-1.0]]), np.array([1, -1])


@pytest.mark.parametrize("n_threads", [1, 2])
@pytest.mark.parametrize("solver", PARALLEL)
def test_a_large_step_times_alpha_does_not_diverge(solver, n_threads):
    """eta0 * alpha = 10: a plain gradient step on the L2 term multiplies the
    weight by 1 - 10 each step and diverges; the penalty's proximal map
    (the one update rule) converges to the minimizer. Fault: async diverged."""
    X, y = one_feature_problem()
    model = hogwild.SGDClassifier(loss="hinge", alpha=10.0, learning_rate="constant", eta0=1.0, max_iter=20,
                                  tol=None, fit_intercept=False, solver=solver, n_threads=n_threads,
                                  batch_size=1, random_state=0).fit(X, y)
    # (a batch of one row; gd steps on the mean over both rows, with the same fixed point)
    np.testing.assert_allclose(model.coef_.ravel(), [0.1], atol=0.02)


def test_async_with_one_thread_applies_every_queued_gradient_before_returning():
    """Fault: with one thread (simulated asynchrony) the gradients still
    queued at the end of a call were dropped, so partial_fit never learned."""
    X, y = one_feature_problem()
    model = hogwild.SGDClassifier(loss="hinge", alpha=10.0, learning_rate="constant", eta0=1.0,
                                  fit_intercept=False, solver="async", n_threads=1, random_state=0)
    for _ in range(20):
        model.partial_fit(X, y, classes=[-1, 1])
    np.testing.assert_allclose(model.coef_.ravel(), [0.1], atol=0.02)


def test_async_with_one_thread_learns_in_one_epoch():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(1000, 10))
    y = (X @ rng.normal(size=10) > 0).astype(int)
    reference = SklearnSGDClassifier(max_iter=1, tol=None, random_state=0).fit(X, y).score(X, y)
    model = hogwild.SGDClassifier(max_iter=1, tol=None, solver="async", n_threads=1, random_state=0).fit(X, y)
    assert model.score(X, y) > reference - 0.05
    assert model.score(X, y) > 0.9


@pytest.mark.parametrize("solver", SOLVERS)
def test_an_overflowing_model_is_an_error_for_every_solver(solver):
    """Fault: minibatch and gd returned a model whose objective had overflowed
    (a coefficient of 9e307) with only a warning; scikit-learn raises."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3))
    X[7, 1] = np.finfo(np.float64).max
    y = (rng.normal(size=40) > 0).astype(int)
    model = hogwild.SGDClassifier(max_iter=5, tol=None, solver=solver, n_threads=2, random_state=0)
    if solver != "buckwild":
        with pytest.raises(ValueError, match="Floating-point under-/overflow occurred at epoch"):
            model.fit(X, y)
        return
    # buckwild's fixed-point weights saturate instead of overflowing: it
    # raises when an epoch's objective overflowed, or hands back a finite model
    # (which of the two depends on the threads' timing: measured both ways)
    try:
        model.fit(X, y)
    except ValueError as error:
        assert "Floating-point under-/overflow occurred at epoch" in str(error)
    else:
        assert np.all(np.isfinite(model.coef_)) and np.all(np.isfinite(model.intercept_))
        assert all(np.isfinite(record["objective"]) for record in model.history_)


def sklearn_l1_problem():
    """scikit-learn's test_sgd_l1 data: features 1-4 carry no signal."""
    X = np.array([[1, 0.9, 0.8, 0, 0, 0], [1, 0.84, 0.98, 0, 0, 0], [1, 0.96, 0.88, 0, 0, 0],
                  [1, 0.91, 0.99, 0, 0, 0], [0, 0, 0, 0.89, 0.91, 1], [0, 0, 0, 0.79, 0.84, 1],
                  [0, 0, 0, 0.91, 0.95, 1], [0, 0, 0, 0.93, 1, 1]])
    y = np.array([1, 1, 1, 1, 2, 2, 2, 2])
    order = np.arange(8)
    np.random.RandomState(13).shuffle(order)
    return X[order], y[order]


# Fault 4 is fixed where the cumulative L1 penalty (Tsuruoka et al. 2009, as
# scikit-learn applies it) can keep exact books: one thread of the per-row
# solvers. Still open: with several threads they take the proximal step
# (threads would race for the owed penalty, and replica merges add changes
# no pull saw); local/easgd average replicas; gd/minibatch take 8x fewer steps
# than the per-row solvers here and stop short of the optimum (objective
# 0.4057 against 0.4000). Strict: the day one passes, this list must shrink.
L1_NOT_SPARSE_YET = pytest.mark.xfail(
    strict=True, reason="issue 8 fault 4: leaves 1e-4..0.2 on features the L1 optimum zeroes")
# (solver, n_threads, sparse); buckwild on CSR stops at 0.4014 (int16 weights)
EXACT_ZEROS = {("sequential", 1, False), ("sequential", 1, True), ("sequential", 2, False),
               ("sequential", 2, True), ("hogwild", 1, False), ("hogwild", 1, True), ("buckwild", 1, False)}


@pytest.mark.parametrize("solver, n_threads, sparse", [
    (s, n, sparse) if (s, n, sparse) in EXACT_ZEROS else pytest.param(s, n, sparse, marks=L1_NOT_SPARSE_YET)
    for s in SOLVERS for n in (1, 2) for sparse in (False, True)])
def test_l1_gives_exact_zeros(solver, n_threads, sparse):
    """Fault: the parallel solvers left 1e-4..5e-2 on the noise features.
    scikit-learn's own check: [-1, 0, 0, 0, 0, 1], the optimum of the
    problem (a linear program gives it too)."""
    X, y = sklearn_l1_problem()
    if sparse:
        X = sp.csr_matrix(X)
    model = hogwild.SGDClassifier(penalty="l1", alpha=0.2, fit_intercept=False, max_iter=2000, tol=None,
                                  shuffle=False, solver=solver, n_threads=n_threads, random_state=0).fit(X, y)
    np.testing.assert_array_equal(model.coef_[0, 1:-1], np.zeros(4))
    assert model.coef_[0, 0] < -0.5 and model.coef_[0, -1] > 0.5
