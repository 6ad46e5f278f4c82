"""Every solver and write policy reaches the optimum that L-BFGS finds for
the same L2-regularized logistic regression objective on a9a."""

import numpy as np
import pytest
from scipy.special import expit

import hogwild

ALPHA = 1e-4


def logistic_objective(X, y, alpha):
    """(1/n) sum log(1 + exp(-y (x.w + b))) + alpha/2 ||w||^2, and its gradient."""
    def objective(wb):
        w, b = wb[:-1], wb[-1]
        margins = -y * (X @ w + b)
        value = np.logaddexp(0.0, margins).mean() + 0.5 * alpha * w @ w
        g = -y * expit(margins) / len(y)
        return value, np.concatenate([X.T @ g + alpha * w, [g.sum()]])
    return objective


SOLVERS = [dict(solver="sequential")] + [
    dict(solver="hogwild", write=write, n_threads=threads)
    for write in ("racy", "atomic", "locked") for threads in (1, 2, 4)
] + [dict(solver=solver, n_threads=threads) for solver in ("local", "easgd") for threads in (1, 2, 4)] + [
    # async steps along mean gradients of batches: the step grows with the batch
    dict(solver="async", n_threads=1, max_staleness=0, batch_size=8, eta0=0.08),
    dict(solver="async", n_threads=2, batch_size=8, eta0=0.08),
    dict(solver="async", n_threads=4, batch_size=8, eta0=0.08),
] + [dict(solver="buckwild", precision=precision, n_threads=threads)
     for precision in ("int16", "bfloat16", "int8") for threads in (1, 2)]

# Relative suboptimality reached after 50 epochs. Averaging T replicas that
# each took k steps moves the model about as far as k steps of one, so an
# epoch of local SGD / EASGD makes ~n/T steps' progress: a looser bound.
TOLERANCE = {"sequential": 1e-3, "hogwild": 1e-3, "local": 3e-3, "easgd": 3e-3, "async": 1e-3, "buckwild": 1e-3,
             # int8 weights of a9a's range (~4) have a step of ~0.03: the rounding noise
             # of the iterates bounds how close even their average gets
             "int8": 0.1,
             # bfloat16 keeps 8 bits of mantissa: over seeds 0-5 its stochastic rounding
             # left 5.6e-4 to 1.1e-3 (full shuffle or the default order alike); on 2
             # racing threads 5.0e-4 to 1.0e-3 over seeds 0-11, once 2.05e-3 (seed 0)
             # in a CI run next to other work, not seen again in 8 loaded reruns
             "bfloat16": 3e-3}


@pytest.mark.parametrize("solver", SOLVERS, ids=lambda s: "-".join(str(v) for v in s.values()))
def test_reaches_lbfgs_optimum_on_a9a(a9a, optimum, solver):
    X, y, X_test, y_test = a9a
    objective, best = optimum
    # averaged SGD with a constant step, averaging from the second epoch
    params = {"eta0": 0.01, **solver}
    model = hogwild.SGDClassifier(loss="log_loss", alpha=ALPHA, learning_rate="constant",
                                  average=X.shape[0], max_iter=50, tol=None, random_state=0, **params)
    model.fit(X.astype(np.float32), y)
    reached, _ = objective(np.concatenate([model.coef_.ravel(), model.intercept_]))
    assert (reached - best) / best < TOLERANCE.get(solver.get("precision"), TOLERANCE[solver["solver"]])
    assert model.score(X_test, y_test) >= 0.845


@pytest.mark.parametrize("solver", [dict(solver="sequential"), dict(solver="hogwild", n_threads=2)])
def test_default_parameters_learn_a9a(a9a, solver):
    X, y, X_test, y_test = a9a
    model = hogwild.SGDClassifier(loss="log_loss", random_state=0, **solver).fit(X, y)
    # the last iterate of plain SGD is noisy: scikit-learn's own lands between
    # 0.845 and 0.850 depending on the seed
    assert model.score(X_test, y_test) >= 0.835
    assert model.n_iter_ < model.max_iter  # stopped by tol


@pytest.mark.parametrize("penalty", ["l1", "elasticnet"])
def test_hogwild_l1_reaches_sequential_objective(a9a, penalty):
    """Hogwild!'s L1 (cumulative, applied per feature; in the merges of the
    thread replicas) minimizes the objective at least as well as
    scikit-learn's (sequential solver, small constant step, no averaging:
    averaging and the cumulative penalty mix badly in scikit-learn)."""
    X, y, _, _ = a9a
    l1_ratio = 1.0 if penalty == "l1" else 0.15

    def objective(model):
        w, b = model.coef_.ravel(), model.intercept_[0]
        loss = np.logaddexp(0.0, -y * (X @ w + b)).mean()
        return loss + ALPHA * (0.5 * (1 - l1_ratio) * w @ w + l1_ratio * np.abs(w).sum())

    params = dict(loss="log_loss", penalty=penalty, alpha=ALPHA, learning_rate="constant",
                  max_iter=30, tol=None, random_state=0)
    sequential = hogwild.SGDClassifier(solver="sequential", eta0=0.002, **params).fit(X, y)
    parallel = hogwild.SGDClassifier(solver="hogwild", n_threads=2, eta0=0.01, average=X.shape[0],
                                     **params).fit(X, y)
    assert objective(parallel) < objective(sequential) * (1 + 1e-3)
    if penalty == "l1":
        # the last iterate has exact zeros (a mean of iterates has fewer)
        last_iterate = hogwild.SGDClassifier(solver="hogwild", n_threads=2, eta0=0.01, **params).fit(X, y)
        assert np.sum(last_iterate.coef_ == 0) > 0


def test_regressor_hogwild_recovers_linear_model():
    rng = np.random.RandomState(0)
    X = rng.randn(20000, 20)
    true_coef = rng.randn(20)
    y = X @ true_coef + 3.0 + 0.01 * rng.randn(20000)
    model = hogwild.SGDRegressor(alpha=1e-6, n_threads=2, random_state=0, max_iter=20).fit(X, y)
    np.testing.assert_allclose(model.coef_, true_coef, atol=0.02)
    assert abs(model.intercept_[0] - 3.0) < 0.02


@pytest.mark.parametrize("n_threads", [2, 3])
def test_replica_merges_do_not_overshoot_when_threads_fall_behind(a9a, n_threads):
    """With another process competing for the cores, a thread that was
    descheduled merges changes computed from old weights. On a9a (dense
    one-hot rows, large early steps) summing them used to overshoot and ruin
    some fits (accuracy 0.4-0.8)."""
    import subprocess
    import sys

    X, y, X_test, y_test = a9a
    competitor = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        scores = [
            hogwild.SGDClassifier(loss="log_loss", n_threads=n_threads, max_iter=5, tol=None, random_state=seed)
            .fit(X, y).score(X_test, y_test)
            for seed in range(12)
        ]
    finally:
        competitor.kill()
        competitor.wait()
    # (the bug gave 0.4-0.8; a sound 5-epoch last iterate under contention: 0.82-0.85)
    assert min(scores) > 0.8


def test_oversubscribed_threads_merge_without_overshoot(a9a):
    """8 threads on a machine of 2 cores: threads are descheduled in the
    middle of their merge intervals all the time, so merges often carry
    changes computed from old shared weights. Averaging the stiff slots'
    changes (instead of adding the same correction once per thread) keeps
    the fits sound: on this project's 2-core machine the median test
    accuracy of 20 default fits was 0.848-0.849; with every change added as
    it is, 0.832-0.839, and single fits fell to 0.51."""
    X, y, X_test, y_test = a9a
    scores = [hogwild.SGDClassifier(loss="log_loss", n_threads=8, max_iter=5, tol=None, random_state=seed)
              .fit(X, y).score(X_test, y_test) for seed in range(20)]
    assert np.median(scores) > 0.844
