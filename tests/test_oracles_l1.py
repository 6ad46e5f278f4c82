"""Oracles for the penalty's L1 part and for the penalty the optimizers see
(math/update_rule.hpp, runtime/cumulative_l1.hpp): independent NumPy
references of the documented rules, compared weight for weight.

What the README documents and the references implement, for plain SGD on
1/2 (x.w + b - y)^2 in data order (shuffle=False), one step per row (gd:
per epoch, minibatch: per batch, on the mean gradient):

* L1 is Tsuruoka et al.'s cumulative penalty, as scikit-learn applies it:
  u sums eta alpha l1_ratio over every step so far; after the loss's step
  and the L2 prox (division by 1 + eta alpha (1 - l1_ratio) r_j) a touched
  weight is pulled toward zero, never across, by the penalty it has not
  received yet, u - q_j, and q_j books what it took (one thread of hogwild
  and async, gd and minibatch);
* local SGD takes the same pull at its synchronizations, on every weight of
  the combined model, its rows stepping with the L2 prox only;
* r_j = n / (rows containing feature j) on sparse data (1 on dense data):
  each row regularizes only the features it touches;
* the optimizers (not plain sgd) add the penalty's (sub)gradient
  alpha r_j ((1 - l1_ratio) w + l1_ratio sign w) to the loss gradient.

Each test names the bugs it exists to catch.
"""

import numpy as np
import pytest
import scipy.sparse as sp

import hogwild
from conftest import dense_regression, sparse_regression
from test_oracles_synchronous import paper_steps

RTOL = 1e-10


@pytest.fixture(scope="module")
def dense_problem():
    """Every entry nonzero (so dense and CSR layouts are the same rows), and
    two of the five true weights zero: L1 zeroes them."""
    return dense_regression(4, 30, [1.5, 0.0, -1.0, 0.0, 0.8], intercept=0.2)


@pytest.fixture(scope="module")
def sparse_problem():
    """Rows with 1-5 of 6 features: the scales n / rows(j) differ."""
    return sparse_regression(9, 40, [1.0, 0.0, -1.5, 0.5, 0.0, 2.0], np.linspace(0.2, 0.9, 6), filler=0.7)


def pull(v, u, q):
    """The cumulative L1 pull of weights v (toward zero, never across) up to
    u; returns the pulled weights and the books q updated."""
    pulled = v.copy()
    positive, negative = v > 0, v < 0
    pulled[positive] = np.maximum(0.0, v[positive] - (u + q[positive]))
    pulled[negative] = np.minimum(0.0, v[negative] + (u - q[negative]))
    return pulled, q + (pulled - v)


def soft_threshold(v, cut):
    return np.sign(v) * np.maximum(np.abs(v) - cut, 0.0)


def row_steps(X, y, *, epochs, eta, alpha, l1_ratio, rule, intercept_decay=1.0, fit_intercept=True, sync_every=None):
    """Plain SGD, one row at a time in data order, with the L1 `rule`
    ("cumulative" or "soft") on the row's touched features, or ("at sync")
    the cumulative pull on every weight after each `sync_every` rows and at
    the end of each epoch."""
    n, d = X.shape
    scale = n / np.maximum(1, np.count_nonzero(X, axis=0))
    w, b, u, q = np.zeros(d), 0.0, 0.0, np.zeros(d)
    for _ in range(epochs):
        for i in range(n):
            if rule == "at sync":
                x = X[i]
                touched = x != 0
                d_loss = x @ w + b - y[i]
                w[touched] = (w[touched] - eta * d_loss * x[touched]) / (
                    1 + eta * alpha * (1 - l1_ratio) * scale[touched])
                u += eta * alpha * l1_ratio
                if (i + 1) % sync_every == 0 or i + 1 == n:
                    w, q = pull(w, u, q)
                if fit_intercept:
                    b -= eta * d_loss * intercept_decay
                continue
            x = X[i]
            touched = x != 0
            r = scale[touched]
            d_loss = x @ w + b - y[i]
            v = w[touched] - eta * d_loss * x[touched]
            if rule == "cumulative":
                u += eta * alpha * l1_ratio
                v = v / (1 + eta * alpha * (1 - l1_ratio) * r)
                w[touched], q[touched] = pull(v, u, q[touched])
            else:
                v = soft_threshold(v, eta * alpha * l1_ratio * r)
                w[touched] = v / (1 + eta * alpha * (1 - l1_ratio) * r)
            if fit_intercept:
                b -= eta * d_loss * intercept_decay
    return w, b


def batch_steps(X, y, *, epochs, eta, alpha, l1_ratio, batch_size=None):
    """gd (batch_size None) / minibatch on dense data: mean-gradient steps,
    the L2 prox, then the cumulative L1 pull of every weight."""
    n, d = X.shape
    size = n if batch_size is None else batch_size
    w, b, u, q = np.zeros(d), 0.0, 0.0, np.zeros(d)
    for _ in range(epochs):
        for start in range(0, n, size):
            rows = np.arange(start, min(n, start + size))
            u += eta * alpha * l1_ratio
            residual = X[rows] @ w + b - y[rows]
            v = (w - eta * X[rows].T @ residual / len(rows)) / (1 + eta * alpha * (1 - l1_ratio))
            w, q = pull(v, u, q)
            b -= eta * residual.mean()
    return w, b


# the cumulative penalty: per touched feature, or on the synchronized model
PER_ROW = {
    "hogwild": (dict(solver="hogwild", n_threads=1), "cumulative"),
    "async": (dict(solver="async", n_threads=1, max_staleness=0, batch_size=1), "cumulative"),
    "local": (dict(solver="local", n_threads=1, sync_every=7), "at sync"),
}
PENALTIES = {"l1": ("l1", 1.0), "elasticnet": ("elasticnet", 0.4)}


def fit(X, y, **params):
    defaults = dict(loss="squared_error", alpha=0.2, learning_rate="constant", eta0=0.05, max_iter=6, tol=None,
                    shuffle=False)
    return hogwild.SGDRegressor(**{**defaults, **params}).fit(X, y)


@pytest.mark.parametrize("penalty", sorted(PENALTIES))
@pytest.mark.parametrize("layout", ["dense", "csr"])
@pytest.mark.parametrize("solver", sorted(PER_ROW))
def test_per_row_l1_follows_its_rule(dense_problem, solver, layout, penalty):
    """catches: the cumulative pull crossing zero, ignoring what a feature
    already took (q), the L2 prox of elastic net doubled or dropped, the
    soft threshold's cut scaled wrongly, l1 and l2 strengths swapped."""
    X, y = dense_problem
    params, rule = PER_ROW[solver]
    name, l1_ratio = PENALTIES[penalty]
    data = sp.csr_matrix(X) if layout == "csr" else X
    model = fit(data, y, penalty=name, l1_ratio=l1_ratio, **params)
    decay = 0.01 if layout == "csr" else 1.0
    coef, intercept = row_steps(X, y, epochs=6, eta=0.05, alpha=0.2, l1_ratio=l1_ratio, rule=rule,
                                intercept_decay=decay, sync_every=7)
    np.testing.assert_allclose(model.coef_, coef, rtol=RTOL, atol=1e-14)
    np.testing.assert_allclose(model.intercept_[0], intercept, rtol=RTOL)
    if penalty == "l1":
        assert np.count_nonzero(coef == 0.0) >= 1  # the penalty zeroes a weight: the rule is exercised
    other = row_steps(X, y, epochs=6, eta=0.05, alpha=0.2, l1_ratio=l1_ratio, intercept_decay=decay,
                      rule="soft" if rule == "cumulative" else "cumulative")[0]
    assert np.max(np.abs(other - coef)) > 1e-3  # the two rules are told apart


@pytest.mark.parametrize("solver", sorted(PER_ROW))
def test_sparse_rows_take_l1_scaled_by_their_frequency(sparse_problem, solver):
    """catches: the soft threshold (or the elastic net's L2 prox) ignoring
    the feature's n / rows(j) weight, untouched features pulled."""
    X, y = sparse_problem
    params, rule = PER_ROW[solver]
    model = fit(sp.csr_matrix(X), y, penalty="elasticnet", l1_ratio=0.5, alpha=0.1, max_iter=4,
                fit_intercept=False, **params)
    coef, _ = row_steps(X, y, epochs=4, eta=0.05, alpha=0.1, l1_ratio=0.5, rule=rule, fit_intercept=False,
                        sync_every=7)
    # (the per-row solvers keep n / rows(j) in single precision)
    np.testing.assert_allclose(model.coef_, coef, rtol=1e-7, atol=1e-12)
    assert np.ptp(len(y) / np.count_nonzero(X, axis=0)) > 1.0  # the scales differ from feature to feature


@pytest.mark.parametrize("penalty", sorted(PENALTIES))
@pytest.mark.parametrize("solver, batch_size", [("gd", None), ("minibatch", 7)])
def test_batch_solvers_take_the_cumulative_l1(dense_problem, solver, batch_size, penalty):
    """gd and minibatch keep exact books (each feature has one owner).

    catches: the cumulative pull crossing zero or ignoring q, the elastic
    net's L2 prox doubled, u advanced per row instead of per step."""
    X, y = dense_problem
    name, l1_ratio = PENALTIES[penalty]
    model = fit(X, y, solver=solver, n_threads=2, batch_size=batch_size or 256, penalty=name, l1_ratio=l1_ratio,
                eta0=0.3, max_iter=12)
    coef, intercept = batch_steps(X, y, epochs=12, eta=0.3, alpha=0.2, l1_ratio=l1_ratio, batch_size=batch_size)
    np.testing.assert_allclose(model.coef_, coef, rtol=RTOL, atol=1e-14)
    np.testing.assert_allclose(model.intercept_[0], intercept, rtol=RTOL)
    if penalty == "l1":
        assert np.count_nonzero(coef == 0.0) >= 1


# --- the optimizers: the penalty's (sub)gradient joins the loss gradient ------

OPTIMIZER_PARAMS = dict(momentum=0.8, beta1=0.85, beta2=0.95, optimizer_eps=1e-6)
TWO_COORDINATES = (np.array([[1.0, 0.1], [0.5, -0.3], [-1.5, 0.2], [2.0, 0.05], [0.3, -0.4]]),
                   np.array([1.0, -0.5, 2.0, 0.3, -1.0]))


def penalty_gradient(w, alpha, l1_ratio):
    return alpha * ((1 - l1_ratio) * w + l1_ratio * np.sign(w))


@pytest.mark.parametrize("optimizer", ["momentum", "adagrad", "adam"])
@pytest.mark.parametrize("solver", ["hogwild", "local", "async", "gd"])
def test_optimizer_sees_the_penalty_gradient(solver, optimizer):
    """Two coordinates (both in every row), elastic net, no intercept; the
    per-row solvers step row by row, gd on the mean gradient.

    catches: the penalty's gradient dropped (or l1 and l2 swapped) on the
    optimizers' path."""
    X, y = TWO_COORDINATES
    alpha, l1_ratio, n = 0.3, 0.25, len(y)
    params = {"hogwild": dict(n_threads=1), "local": dict(n_threads=1), "gd": dict(n_threads=2),
              "async": dict(n_threads=1, max_staleness=0, batch_size=1)}[solver]
    model = hogwild.SGDRegressor(solver=solver, optimizer=optimizer, penalty="elasticnet", alpha=alpha,
                                 l1_ratio=l1_ratio, fit_intercept=False, learning_rate="constant", eta0=0.03,
                                 max_iter=4, tol=None, shuffle=False, **OPTIMIZER_PARAMS, **params).fit(X, y)
    if solver == "gd":
        def loss_gradient(w, t):
            return X.T @ (X @ w - y) / n
        steps = 4
    else:
        def loss_gradient(w, t):
            x = X[(t - 1) % n]
            return x * (x @ w - y[(t - 1) % n])
        steps = 4 * n
    expected = paper_steps(optimizer, lambda w, t: loss_gradient(w, t) + penalty_gradient(w, alpha, l1_ratio),
                           steps, 0.03)[-1]
    np.testing.assert_allclose(model.coef_, expected, rtol=RTOL)
    unpenalized = paper_steps(optimizer, loss_gradient, steps, 0.03)[-1]
    assert np.max(np.abs(unpenalized - expected)) > 1e-3
