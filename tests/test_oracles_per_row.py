"""Oracles for the per-row solvers ("hogwild", "local", "easgd", "async",
"buckwild"): independent NumPy implementations of the documented updates,
compared weight for weight where the solver is deterministic (one thread,
or local / easgd for a given thread count), and by distance where it is not.

What the README documents and the references implement:

* one SGD step per row (async: per batch of `batch_size` rows), in data
  order with shuffle=False, the schedule at the global 1-based row count
  (async: its step count);
* L2 per touched feature with strength alpha * n / (rows containing the
  feature), applied as a proximal step (w + step) / (1 + eta alpha r) by
  every solver (the one update rule, math/update_rule.hpp); but hogwild on
  one thread with plain sgd and no L1 part applies the whole penalty to
  every feature at every row, (w + step) / (1 + eta alpha), through one
  factor over all weights (the same objective; a row whose loss step is
  zero then writes nothing);
* local SGD: each thread trains a private replica on its contiguous share
  of the epoch, and every `sync_every` rows of each thread the replicas are
  replaced by their mean; EASGD (Zhang, Choromanska & LeCun 2015): each
  replica moves `elasticity` of the way to the center and the center by the
  sum of those forces; the model is the center;
* average=k: the iterates of rows t >= k averaged.

Each test names, in a comment, the bug it exists to catch.
"""

import numpy as np
import pytest
import scipy.sparse as sp

import hogwild
from conftest import dense_regression, sparse_regression

RTOL = 1e-10


@pytest.fixture(scope="module")
def dense_problem():
    """Every entry nonzero, so that dense and CSR layouts are the same rows."""
    return dense_regression(3, 40, [1.0, -2.0, 0.5, 1.5], intercept=0.3)


@pytest.fixture(scope="module")
def sparse_problem():
    """Rows with 1-4 of 6 features: the per-feature L2 scales n / rows(j) differ."""
    return sparse_regression(8, 50, [1.0, -2.0, 0.5, 1.5, 0.0, -1.0], np.linspace(0.15, 0.9, 6), filler=0.5)


def row_steps(X, y, *, epochs, eta, alpha=0.0, l2="proximal", average=0, fit_intercept=True,
              intercept_decay=1.0):
    """Plain SGD on 1/2 (x.w + b - y)^2, one row at a time in data order.

    eta(t, epoch): t the 1-based row count. L2 touches a row's nonzero
    features only, with strength alpha * n / rows(j); l2="all": every
    feature at every row, with strength alpha. Returns (coef, intercept) as
    the estimators report them (the average once started).
    """
    n, d = X.shape
    scale = n / np.maximum(1, np.count_nonzero(X, axis=0))
    w, b = np.zeros(d), 0.0
    total, weight, t = np.zeros(d + 1), 0, 0
    for epoch in range(epochs):
        for i in range(n):
            t += 1
            rate = eta(t, epoch)
            x = X[i]
            touched = x != 0
            d_loss = x @ w + b - y[i]
            if l2 == "all":
                w = (w - rate * d_loss * x) / (1 + rate * alpha)
            elif l2 == "proximal":
                w[touched] = (w[touched] - rate * d_loss * x[touched]) / (1 + rate * alpha * scale[touched])
            else:  # the penalty's gradient, as async and the adaptive optimizers take it
                w[touched] = w[touched] - rate * (d_loss * x[touched] + alpha * scale[touched] * w[touched])
            if fit_intercept:
                b -= rate * d_loss * intercept_decay
            if average and t >= average:
                total += np.append(w, b)
                weight += 1
    if average and weight:
        return total[:-1] / weight, total[-1] / weight
    return w, b


PLAIN_ONE_THREAD = {
    "hogwild": (dict(solver="hogwild", n_threads=1), "all"),
    "local": (dict(solver="local", n_threads=1), "proximal"),
    # one thread without simulated delay (max_staleness=0), batches of one row
    "async": (dict(solver="async", n_threads=1, max_staleness=0, batch_size=1), "proximal"),
}

SCHEDULES = {
    "constant": (dict(learning_rate="constant", eta0=0.05), lambda t, e: 0.05),
    "invscaling": (dict(learning_rate="invscaling", eta0=0.1, power_t=0.4), lambda t, e: 0.1 / t ** 0.4),
    "exponential": (dict(learning_rate="exponential", eta0=0.1, gamma=0.6), lambda t, e: 0.1 * 0.6 ** e),
    # catches: "step decays one epoch late" in the per-row solvers' schedules
    "step": (dict(learning_rate="step", eta0=0.1, gamma=0.3, step_epochs=2), lambda t, e: 0.1 * 0.3 ** (e // 2)),
}


@pytest.mark.parametrize("schedule", sorted(SCHEDULES))
@pytest.mark.parametrize("layout", ["dense", "csr"])
@pytest.mark.parametrize("solver", sorted(PLAIN_ONE_THREAD))
def test_one_thread_is_plain_sgd_with_per_feature_l2(dense_problem, solver, layout, schedule):
    """catches: L2 strength scaled wrongly (doubled, or not scaled by
    n / rows(j)), the schedule at a wrong row count or epoch, the intercept
    step not decayed on sparse data."""
    X, y = dense_problem
    params, l2 = PLAIN_ONE_THREAD[solver]
    rate_params, eta = SCHEDULES[schedule]
    data = sp.csr_matrix(X) if layout == "csr" else X
    model = hogwild.SGDRegressor(alpha=0.1, max_iter=5, tol=None, shuffle=False, **rate_params, **params).fit(data, y)
    coef, intercept = row_steps(X, y, epochs=5, eta=eta, alpha=0.1, l2=l2,
                                intercept_decay=0.01 if layout == "csr" else 1.0)
    np.testing.assert_allclose(model.coef_, coef, rtol=RTOL)
    np.testing.assert_allclose(model.intercept_[0], intercept, rtol=RTOL)
    # the same fit with twice the penalty is far from this model
    doubled, _ = row_steps(X, y, epochs=5, eta=eta, alpha=0.2, l2=l2, intercept_decay=0.01 if layout == "csr" else 1.0)
    assert np.max(np.abs(doubled - coef)) > 1e-4


@pytest.mark.parametrize("solver", sorted(PLAIN_ONE_THREAD))
def test_sparse_rows_regularize_touched_features_scaled_by_their_frequency(sparse_problem, solver):
    """catches: a rare feature regularized at its bare strength alpha (not
    alpha n / rows(j)), untouched features shrunk, the scale inverted; for
    one-thread hogwild, which shrinks every feature at every row, a feature
    left out of the shrink or shrunk by its frequency."""
    X, y = sparse_problem
    params, l2 = PLAIN_ONE_THREAD[solver]
    model = hogwild.SGDRegressor(alpha=0.05, max_iter=4, tol=None, shuffle=False, learning_rate="constant",
                                 eta0=0.05, fit_intercept=False, **params).fit(sp.csr_matrix(X), y)
    coef, _ = row_steps(X, y, epochs=4, eta=lambda t, e: 0.05, alpha=0.05, l2=l2, fit_intercept=False)
    # (the core keeps n / rows(j) in single precision)
    np.testing.assert_allclose(model.coef_, coef, rtol=1e-7)


def test_one_thread_hogwild_folds_its_weight_factor_exactly():
    """A penalty that shrinks the weights by 1.25 a row takes their common
    factor below 1e-100 every 1,032 rows, where it is multiplied into them; not
    multiplied in, it would underflow to zero within an epoch of 4,000 rows.

    catches: the factor folded twice or not at all, the next row's step
    taken on the old factor."""
    X, y = sparse_regression(8, 4000, [1.0, -2.0, 0.5, 1.5, 0.0, -1.0], np.linspace(0.15, 0.9, 6), filler=0.5)
    model = hogwild.SGDRegressor(solver="hogwild", n_threads=1, alpha=5.0, max_iter=2, tol=None, shuffle=False,
                                 learning_rate="constant", eta0=0.05).fit(sp.csr_matrix(X), y)
    coef, intercept = row_steps(X, y, epochs=2, eta=lambda t, e: 0.05, alpha=5.0, l2="all",
                                intercept_decay=0.01)
    np.testing.assert_allclose(model.coef_, coef, rtol=1e-9)
    np.testing.assert_allclose(model.intercept_[0], intercept, rtol=1e-9)


@pytest.mark.parametrize("average", [True, 50, 77, 121])
def test_local_sgd_averages_exactly_from_row_k(dense_problem, average):
    """local with one thread synchronizing every row averages every iterate
    (40 rows x 4 epochs).

    catches: the averaging start doubled or off by one, iterates weighted
    per synchronization instead of per row."""
    X, y = dense_problem
    model = hogwild.SGDRegressor(solver="local", n_threads=1, sync_every=1, alpha=0.05, learning_rate="invscaling",
                                 eta0=0.1, power_t=0.3, average=average, max_iter=4, tol=None, shuffle=False).fit(X, y)
    eta = lambda t, e: 0.1 / t ** 0.3  # noqa: E731
    coef, intercept = row_steps(X, y, epochs=4, eta=eta, alpha=0.05, average=int(average))
    np.testing.assert_allclose(model.coef_, coef, rtol=RTOL)
    np.testing.assert_allclose(model.intercept_[0], intercept, rtol=RTOL)
    if average > 1:
        doubled, _ = row_steps(X, y, epochs=4, eta=eta, alpha=0.05, average=2 * int(average))
        assert np.max(np.abs(doubled - coef)) > 1e-3


# --- local SGD and EASGD with two threads, synchronization by synchronization --

def replica_reference(X, y, *, threads, sync_every, epochs, eta, alpha, combine, elasticity=0.1, average=0,
                      l1_ratio=0.0):
    """Each thread steps its replica through its contiguous share of the
    rows; after every `sync_every` rows of each thread the replicas meet:
    "mean" (local SGD) or "elastic" (EASGD's symmetric forces on replicas
    and center). Returns the model: the mean / the center; with `average`,
    the mean / the replicas' mean before the forces, averaged over the rows
    t >= average (each synchronization stands for the rows since the
    previous one).

    The L1 part (`l1_ratio`, dense rows): the cumulative pull (u sums
    eta alpha l1_ratio, q_j books what feature j took), local SGD's on the
    mean after each meeting with u grown by the mean of the replicas'
    pulls; EASGD's per replica on every row, its own books, and a weight
    every replica holds at zero is zero in the center."""
    from test_oracles_l1 import pull
    n, d = X.shape
    l2 = alpha * (1 - l1_ratio)
    consensus_u, consensus_q = 0.0, np.zeros(d)
    replica_u, replica_q = [0.0] * threads, [np.zeros(d) for _ in range(threads)]
    shares = [np.arange(n * k // threads, n * (k + 1) // threads) for k in range(threads)]
    replicas = [np.zeros(d + 1) for _ in range(threads)]
    center = np.zeros(d + 1)
    total, weight, rows_done = np.zeros(d + 1), 0, 0
    model = np.zeros(d + 1)
    for epoch in range(epochs):
        rounds = -(-max(len(s) for s in shares) // sync_every)
        for r in range(rounds):
            round_pulls = 0.0
            for k, share in enumerate(shares):
                for i in share[r * sync_every:(r + 1) * sync_every]:
                    v = replicas[k]
                    rate = eta(rows_done + 1, epoch)  # constant rates only: t does not matter
                    d_loss = X[i] @ v[:-1] + v[-1] - y[i]
                    v[:-1] = (v[:-1] - rate * d_loss * X[i]) / (1 + rate * l2)
                    v[-1] -= rate * d_loss
                    round_pulls += rate * alpha * l1_ratio
                    if l1_ratio and combine == "elastic":
                        replica_u[k] += rate * alpha * l1_ratio
                        v[:-1], replica_q[k] = pull(v[:-1], replica_u[k], replica_q[k])
            done_now = sum(len(s[r * sync_every:(r + 1) * sync_every]) for s in shares)
            if combine == "mean":
                model = sum(replicas) / threads
                if l1_ratio:
                    consensus_u += round_pulls / threads
                    model[:-1], consensus_q = pull(model[:-1], consensus_u, consensus_q)
                replicas = [model.copy() for _ in range(threads)]
                averaged = model
            else:
                averaged = sum(replicas) / threads  # (EASGD averages the replicas' mean, not the lagging center)
                agreed_zero = np.all([v == 0.0 for v in replicas], axis=0) & (l1_ratio > 0)
                agreed_zero[-1] = False
                forces = [elasticity * (v - center) * ~agreed_zero for v in replicas]
                replicas = [v - f for v, f in zip(replicas, forces)]
                center = np.where(agreed_zero, 0.0, center + sum(forces))
                model = center.copy()
            if average:
                counts = rows_done + 1 + np.arange(done_now)
                stands_for = np.count_nonzero(counts >= average)
                total += stands_for * averaged
                weight += stands_for
            rows_done += done_now
    if average and weight:
        model = total / weight
    return model[:-1], model[-1]


@pytest.mark.parametrize("average", [False, 1, 45, 130])
@pytest.mark.parametrize("solver, combine", [("local", "mean"), ("easgd", "elastic")])
def test_two_replicas_meet_as_the_papers_say(dense_problem, solver, combine, average):
    """2 threads, synchronizing every 7 rows of each (40 rows: shares of 20,
    rounds of 7, 7, 6), elasticity 0.3, 3 epochs.

    catches: replicas summed instead of averaged, an asymmetric elastic
    force, the center not being the model, L2 doubled, the averaging start
    doubled (45 -> 90, 130 -> 260 never starts) in the replica solvers."""
    X, y = dense_problem
    model = hogwild.SGDRegressor(solver=solver, n_threads=2, sync_every=7, elasticity=0.3, alpha=0.05,
                                 learning_rate="constant", eta0=0.05, average=average, max_iter=3, tol=None,
                                 shuffle=False).fit(X, y)
    coef, intercept = replica_reference(X, y, threads=2, sync_every=7, epochs=3, eta=lambda t, e: 0.05, alpha=0.05,
                                        combine=combine, elasticity=0.3, average=int(average))
    np.testing.assert_allclose(model.coef_, coef, rtol=RTOL)
    np.testing.assert_allclose(model.intercept_[0], intercept, rtol=RTOL)


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
@pytest.mark.parametrize("solver, combine", [("local", "mean"), ("easgd", "elastic")])
def test_two_replicas_take_l1_where_their_changes_meet(dense_problem, solver, combine, l1_ratio):
    """The L1 part with 2 threads (see replica_reference), which gives the
    model exact zeros where the mean of separately clipped replicas would
    not.

    catches: local SGD's pull growing by the sum of the replicas' pulls
    instead of their mean, the pull skipped at a meeting, EASGD's replicas
    sharing one set of books, the center not taking the replicas' zeros."""
    X, y = dense_problem
    model = hogwild.SGDRegressor(solver=solver, n_threads=2, sync_every=7, elasticity=0.3, alpha=0.4,
                                 penalty="elasticnet", l1_ratio=l1_ratio, learning_rate="constant", eta0=0.05,
                                 max_iter=3, tol=None, shuffle=False).fit(X, y)
    coef, intercept = replica_reference(X, y, threads=2, sync_every=7, epochs=3, eta=lambda t, e: 0.05, alpha=0.4,
                                        combine=combine, elasticity=0.3, l1_ratio=l1_ratio)
    np.testing.assert_allclose(model.coef_, coef, rtol=RTOL, atol=1e-15)
    np.testing.assert_allclose(model.intercept_[0], intercept, rtol=RTOL)
    if l1_ratio == 1.0:
        assert np.count_nonzero(coef == 0.0) >= 1  # the zeros are exercised


# --- averaging in the solvers that average by snapshots ------------------------

@pytest.fixture(scope="module")
def slow_drift():
    """A small constant step from zero: the iterates drift towards the
    solution over the whole run, so that averages over different windows
    are far apart while neighbouring iterates are close."""
    rng = np.random.RandomState(2)
    X = rng.uniform(0.5, 1.0, size=(100, 3)) * rng.choice([-1.0, 1.0], size=(100, 3))
    y = X @ np.array([3.0, -2.0, 1.0])
    return X, y


# Deterministic, or nearly: with several threads the rows interleave by
# timing (on a 3-feature problem buckwild's racy shared writes also lose
# updates), which moves a 100-row epoch's trajectory more than this test can
# tell from a shifted window. Two-thread averaging of local / easgd is
# checked exactly above.
SNAPSHOT_SOLVERS = [
    dict(solver="hogwild", n_threads=1),
    dict(solver="async", n_threads=1, max_staleness=0, batch_size=1),
    dict(solver="buckwild", n_threads=1),
]


@pytest.mark.parametrize("params", SNAPSHOT_SOLVERS, ids=lambda p: "-".join(str(v) for v in p.values()))
@pytest.mark.parametrize("average", [300, 600])
def test_averaging_starts_at_row_k(slow_drift, params, average):
    """hogwild, async and buckwild average snapshots taken every few rows
    (not every iterate), so the comparison is by distance: the model is much
    nearer the exact average from row k than to the one from row 2k.

    catches: the averaging start doubled (or halved) in these solvers."""
    X, y = slow_drift
    model = hogwild.SGDRegressor(penalty=None, alpha=0.0, fit_intercept=False, learning_rate="constant", eta0=0.001,
                                 average=average, max_iter=10, tol=None, shuffle=False, **params).fit(X, y)
    eta = lambda t, e: 0.001  # noqa: E731
    right, _ = row_steps(X, y, epochs=10, eta=eta, average=average, fit_intercept=False)
    doubled, _ = row_steps(X, y, epochs=10, eta=eta, average=2 * average, fit_intercept=False)
    halved, _ = row_steps(X, y, epochs=10, eta=eta, average=average // 2, fit_intercept=False)
    error = np.linalg.norm(model.coef_ - right)
    # (measured: at most 0.14 of either distance)
    assert error < 0.35 * np.linalg.norm(doubled - right)
    assert error < 0.35 * np.linalg.norm(halved - right)


# --- the optimizers under the per-row solvers -----------------------------------

OPTIMIZER_PARAMS = dict(momentum=0.8, beta1=0.85, beta2=0.95, optimizer_eps=1e-6)


def paper_row_steps(name, X, y, epochs, eta, momentum=0.8, beta1=0.85, beta2=0.95, eps=1e-6):
    """One step per row in data order; the optimizers as in
    test_oracles_synchronous.paper_steps (adam corrected at the global row
    count t)."""
    from test_oracles_synchronous import paper_steps

    n = len(y)
    return paper_steps(name, lambda w, t: X[(t - 1) % n] * (X[(t - 1) % n] @ w - y[(t - 1) % n]),
                       epochs * n, eta, momentum=momentum, beta1=beta1, beta2=beta2, eps=eps)[-1]


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"])
@pytest.mark.parametrize("solver", sorted(PLAIN_ONE_THREAD))
def test_one_thread_optimizer_follows_its_paper(solver, optimizer):
    """Two coordinates, 5 rows, 3 epochs, no penalty or intercept.

    catches: a wrong momentum / nesterov / adagrad / rmsprop / adam rule in
    the per-row solvers, adam's bias correction at a per-epoch or
    per-coordinate count instead of the global step."""
    X = np.array([[1.0, 0.1], [0.5, -0.3], [-1.5, 0.2], [2.0, 0.05], [0.3, -0.4]])
    y = np.array([1.0, -0.5, 2.0, 0.3, -1.0])
    params, _ = PLAIN_ONE_THREAD[solver]
    # (alpha=0: see test_penalty_none_does_not_regularize for penalty=None alone)
    model = hogwild.SGDRegressor(optimizer=optimizer, penalty=None, alpha=0.0, fit_intercept=False,
                                 learning_rate="constant", eta0=0.03, max_iter=3, tol=None, shuffle=False, **OPTIMIZER_PARAMS,
                                 **params).fit(X, y)
    np.testing.assert_allclose(model.coef_, paper_row_steps(optimizer, X, y, 3, 0.03), rtol=RTOL)


# (found by this test: hogwild applied L2 of strength alpha with penalty=None
# until the update rule took its strengths from one place, penalty_strength)
@pytest.mark.parametrize("solver", ["hogwild", "local", "async", "buckwild"])
def test_penalty_none_does_not_regularize(dense_problem, solver):
    """penalty=None with a large alpha is plain, unregularized SGD.

    catches: a penalty applied whatever `penalty` says."""
    X, y = dense_problem
    y = y / 4  # weights inside buckwild's initial fixed-point range [-1, 1), which grows only after an epoch
    params = {"hogwild": dict(n_threads=1), "local": dict(n_threads=1), "buckwild": dict(n_threads=1),
              "async": dict(n_threads=1, max_staleness=0, batch_size=1)}[solver]
    model = hogwild.SGDRegressor(solver=solver, penalty=None, alpha=0.5, learning_rate="constant", eta0=0.02,
                                 max_iter=3, tol=None, shuffle=False, random_state=0, **params).fit(X, y)
    eta = lambda t, e: 0.02  # noqa: E731
    coef, _ = row_steps(X, y, epochs=3, eta=eta)
    if solver == "buckwild":
        # int16 fixed point with stochastic rounding: steps of 2^-15, ~1e-4 of noise over 120 rows
        np.testing.assert_allclose(model.coef_, coef, atol=2e-3)
    else:
        np.testing.assert_allclose(model.coef_, coef, rtol=RTOL)
    regularized, _ = row_steps(X, y, epochs=3, eta=eta, alpha=0.5, l2="proximal")
    assert np.max(np.abs(regularized - coef)) > 0.01  # what applying the penalty would have given
