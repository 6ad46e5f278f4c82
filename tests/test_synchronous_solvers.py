"""The synchronous solvers "minibatch" and "gd" and their optimizers: the
same model for any number of threads, the textbook update rules, and the
optimum of the objective on real data."""


import numpy as np
import pytest
from scipy.special import expit

import hogwild
from hogwild.datasets import make_sparse_classification

from test_convergence import ALPHA

OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")
SYNCHRONOUS = ("minibatch", "gd")


# --- (a) bit for bit the same model for 1, 2 and 4 threads -------------------

@pytest.fixture(scope="module")
def classification():
    return make_sparse_classification(1500, 120, 8, random_state=4)


def layouts(X):
    """The same data in every layout the core trains on."""
    X64 = X.astype(np.float64)
    with_int64 = X64.copy()
    with_int64.indices = with_int64.indices.astype(np.int64)
    with_int64.indptr = with_int64.indptr.astype(np.int64)
    return {
        "csr-f32-i32": X.astype(np.float32),
        "csr-f64-i64": with_int64,
        "dense-f32": X.toarray().astype(np.float32),
        "dense-f64": X64.toarray(),
    }


CLASSIFIER_CASES = [
    dict(loss="log_loss", optimizer="sgd"),  # optimal rate, L2
    dict(loss="hinge", penalty="elasticnet", optimizer="momentum", learning_rate="constant", eta0=0.05),
    dict(loss="modified_huber", penalty="l1", optimizer="adam", learning_rate="invscaling", eta0=0.01),
    dict(loss="squared_hinge", optimizer="nesterov", learning_rate="constant", eta0=0.01, average=500),
    dict(loss="perceptron", penalty=None, optimizer="adagrad", learning_rate="constant", eta0=0.1),
    dict(loss="log_loss", penalty="l1", optimizer="sgd", learning_rate="exponential", eta0=0.5, gamma=0.8,
         average=1, class_weight={-1: 2.0, 1: 0.5}),
    dict(loss="log_loss", optimizer="rmsprop", learning_rate="adaptive", eta0=0.01, tol=1e-3,
         early_stopping=True, n_iter_no_change=2, max_iter=200),
]


def assert_same_fits(fits):
    first = fits[0]
    for other in fits[1:]:
        np.testing.assert_array_equal(other.coef_, first.coef_)
        np.testing.assert_array_equal(other.intercept_, first.intercept_)
        assert other.n_iter_ == first.n_iter_
        assert [r["objective"] for r in other.history_] == [r["objective"] for r in first.history_]


@pytest.mark.parametrize("layout", ["csr-f32-i32", "csr-f64-i64", "dense-f32", "dense-f64"])
@pytest.mark.parametrize("case", CLASSIFIER_CASES, ids=lambda case: f"{case['loss']}-{case['optimizer']}")
@pytest.mark.parametrize("solver", SYNCHRONOUS)
def test_classifier_is_the_same_for_any_thread_count(classification, solver, case, layout):
    X, y = classification
    X = layouts(X)[layout]
    sample_weight = np.random.RandomState(0).uniform(0.5, 2.0, X.shape[0])
    params = dict(max_iter=6, tol=None, random_state=0, batch_size=64, solver=solver)
    params.update(case)
    fits = [hogwild.SGDClassifier(n_threads=n, **params).fit(X, y, sample_weight=sample_weight)
            for n in (1, 2, 4)]
    assert_same_fits(fits)
    assert fits[0].score(X, y) > 0.6


@pytest.mark.parametrize("loss", ["squared_error", "huber", "epsilon_insensitive", "squared_epsilon_insensitive"])
@pytest.mark.parametrize("layout", ["csr-f64-i64", "dense-f32"])
@pytest.mark.parametrize("solver", SYNCHRONOUS)
def test_regressor_is_the_same_for_any_thread_count(classification, solver, layout, loss):
    X, _ = classification
    X = layouts(X)[layout]
    y = X @ np.linspace(-1.0, 1.0, X.shape[1]) + 0.5
    params = dict(loss=loss, penalty="elasticnet", max_iter=5, tol=None, random_state=0, batch_size=100,
                  solver=solver, optimizer="adam", learning_rate="constant", eta0=0.01, average=10)
    assert_same_fits([hogwild.SGDRegressor(n_threads=n, **params).fit(X, y) for n in (1, 2, 4)])


def test_multiclass_is_the_same_for_any_thread_count(classification):
    X, y = classification
    labels = np.where(y > 0, 1, 0) + (np.arange(len(y)) % 3 == 0)  # three classes
    params = dict(loss="log_loss", solver="minibatch", optimizer="momentum", learning_rate="constant", eta0=0.05,
                  max_iter=4, tol=None, random_state=0, class_weight="balanced")
    assert_same_fits([hogwild.SGDClassifier(n_threads=n, **params).fit(X, labels) for n in (1, 2, 4)])


# --- (c) the update rules, against a NumPy re-implementation -----------------

class NumpyOptimizer:
    """The textbook per-coordinate rules, as documented in optimizer.hpp."""

    def __init__(self, name, n, momentum=0.9, beta1=0.9, beta2=0.999, eps=1e-8):
        self.name, self.momentum, self.beta1, self.beta2, self.eps = name, momentum, beta1, beta2, eps
        self.first = np.zeros(n)
        self.second = np.zeros(n)

    def change(self, g, eta, t):
        if self.name == "sgd":
            return -eta * g
        if self.name in ("momentum", "nesterov"):
            self.first = self.momentum * self.first + g
            return -eta * self.first if self.name == "momentum" else -eta * (g + self.momentum * self.first)
        if self.name == "adagrad":
            self.second = self.second + g * g
            return -eta * g / (np.sqrt(self.second) + self.eps)
        if self.name == "rmsprop":
            self.second = self.beta2 * self.second + (1 - self.beta2) * g * g
            return -eta * g / (np.sqrt(self.second) + self.eps)
        assert self.name == "adam"
        self.first = self.beta1 * self.first + (1 - self.beta1) * g
        self.second = self.beta2 * self.second + (1 - self.beta2) * g * g
        first_hat = self.first / (1 - self.beta1 ** t)
        second_hat = self.second / (1 - self.beta2 ** t)
        return -eta * first_hat / (np.sqrt(second_hat) + self.eps)


@pytest.fixture(scope="module")
def tiny_regression():
    rng = np.random.RandomState(7)
    X = rng.randn(12, 4)
    y = X @ np.array([1.0, -2.0, 0.5, 3.0]) + 1.5 + 0.1 * rng.randn(12)
    return X, y


def numpy_least_squares(X, y, optimizer, steps, eta, batches=None, eta_at=None):
    """Mean-gradient steps on 1/2 (x.w + b - y)^2, no penalty; batches of
    consecutive rows (default: all rows, one step per epoch)."""
    n, d = X.shape
    batches = batches or [np.arange(n)]
    w, b = np.zeros(d), 0.0
    rule = NumpyOptimizer(optimizer, d + 1)
    t = 0
    for _ in range(steps):
        for rows in batches:
            t += 1
            residual = X[rows] @ w + b - y[rows]
            gradient = np.concatenate([X[rows].T @ residual, [residual.sum()]]) / len(rows)
            change = rule.change(gradient, eta if eta_at is None else eta_at(t), t)
            w, b = w + change[:-1], b + change[-1]
    return w, b


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_gd_takes_the_textbook_steps(tiny_regression, optimizer):
    X, y = tiny_regression
    params = dict(momentum=0.8, beta1=0.85, beta2=0.95, optimizer_eps=1e-6)
    model = hogwild.SGDRegressor(solver="gd", optimizer=optimizer, penalty=None, learning_rate="constant",
                                 eta0=0.05, max_iter=7, tol=None, n_threads=2, **params).fit(X, y)
    rule = NumpyOptimizer(optimizer, 5, momentum=0.8, beta1=0.85, beta2=0.95, eps=1e-6)
    n, d = X.shape
    w, b = np.zeros(d), 0.0
    for t in range(1, 8):
        residual = X @ w + b - y
        change = rule.change(np.concatenate([X.T @ residual, [residual.sum()]]) / n, 0.05, t)
        w, b = w + change[:-1], b + change[-1]
    np.testing.assert_allclose(model.coef_, w, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(model.intercept_[0], b, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("optimizer", ["sgd", "nesterov", "adam"])
def test_minibatch_steps_on_consecutive_batches(tiny_regression, optimizer):
    """Without shuffling, batches are consecutive rows; the last one is smaller."""
    X, y = tiny_regression
    model = hogwild.SGDRegressor(solver="minibatch", batch_size=5, shuffle=False, optimizer=optimizer,
                                 penalty=None, learning_rate="constant", eta0=0.03, max_iter=3, tol=None,
                                 n_threads=2).fit(X, y)
    w, b = numpy_least_squares(X, y, optimizer, 3, 0.03, batches=[np.arange(0, 5), np.arange(5, 10),
                                                                  np.arange(10, 12)])
    np.testing.assert_allclose(model.coef_, w, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(model.intercept_[0], b, rtol=1e-10, atol=1e-13)


def test_schedules_count_optimizer_steps(tiny_regression):
    X, y = tiny_regression
    model = hogwild.SGDRegressor(solver="minibatch", batch_size=4, shuffle=False, penalty=None,
                                 learning_rate="invscaling", eta0=0.05, power_t=0.5, max_iter=4, tol=None).fit(X, y)
    w, b = numpy_least_squares(X, y, "sgd", 4, None, batches=[np.arange(0, 4), np.arange(4, 8), np.arange(8, 12)],
                               eta_at=lambda t: 0.05 / t ** 0.5)
    np.testing.assert_allclose(model.coef_, w, rtol=1e-10)


@pytest.mark.parametrize("penalty, optimizer", [("l2", "sgd"), ("l1", "sgd"), ("elasticnet", "adam")])
def test_dense_penalties(tiny_regression, penalty, optimizer):
    """sgd: the penalty's proximal map after the loss's step (soft threshold
    for L1, then division by 1 + eta alpha (1 - l1_ratio) for L2); other
    optimizers take the penalty's (sub)gradient."""
    X, y = tiny_regression
    alpha, l1_ratio, eta = 0.3, 0.4, 0.05
    l1 = {"l2": 0.0, "l1": 1.0, "elasticnet": l1_ratio}[penalty]
    model = hogwild.SGDRegressor(solver="gd", optimizer=optimizer, penalty=penalty, alpha=alpha, l1_ratio=l1_ratio,
                                 learning_rate="constant", eta0=eta, max_iter=6, tol=None).fit(X, y)
    n, d = X.shape
    w, b = np.zeros(d), 0.0
    rule = NumpyOptimizer(optimizer, d + 1)
    for t in range(1, 7):
        residual = X @ w + b - y
        gradient = np.concatenate([X.T @ residual, [residual.sum()]]) / n
        if optimizer == "sgd":
            w = w - eta * gradient[:-1]
            w = np.sign(w) * np.maximum(np.abs(w) - eta * alpha * l1, 0.0)
            w = w / (1 + eta * alpha * (1 - l1))
            b = b - eta * gradient[-1]
        else:
            gradient[:-1] += alpha * (1 - l1) * w + alpha * l1 * np.sign(w)
            change = rule.change(gradient, eta, t)
            w, b = w + change[:-1], b + change[-1]
    np.testing.assert_allclose(model.coef_, w, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(model.intercept_[0], b, rtol=1e-10, atol=1e-13)


def test_gd_weights_rows_by_sample_and_class_weight():
    rng = np.random.RandomState(3)
    X = rng.randn(30, 3)
    y = np.where(X[:, 0] + 0.3 * rng.randn(30) > 0, 1, -1)
    sample_weight = rng.uniform(0.2, 3.0, 30)
    model = hogwild.SGDClassifier(loss="log_loss", solver="gd", penalty=None, learning_rate="constant", eta0=0.5,
                                  max_iter=5, tol=None, class_weight={-1: 3.0, 1: 0.5}).fit(
        X, y, sample_weight=sample_weight)
    weight = sample_weight * np.where(y > 0, 0.5, 3.0)
    w, b = np.zeros(3), 0.0
    for _ in range(5):
        derivative = (expit(X @ w + b) - (y > 0)) * weight
        w, b = w - 0.5 * X.T @ derivative / 30, b - 0.5 * derivative.mean()
    np.testing.assert_allclose(model.coef_[0], w, rtol=1e-10)
    np.testing.assert_allclose(model.intercept_[0], b, rtol=1e-10)


def test_sparse_regularization_over_a_full_batch_is_the_dense_penalty(classification):
    """Each row containing feature j adds the penalty scaled by n / rows(j):
    over all rows that is the penalty exactly, as on dense data."""
    X, y = classification
    X = X.astype(np.float64)
    params = dict(loss="log_loss", solver="gd", optimizer="adam", penalty="elasticnet", alpha=1e-3,
                  learning_rate="constant", eta0=0.05, max_iter=20, tol=None, fit_intercept=False)
    sparse = hogwild.SGDClassifier(**params).fit(X, y)
    dense = hogwild.SGDClassifier(**params).fit(X.toarray(), y)
    np.testing.assert_allclose(sparse.coef_, dense.coef_, rtol=1e-9, atol=1e-12)


def test_minibatch_of_all_rows_is_gd(classification):
    X, y = classification
    params = dict(loss="hinge", optimizer="nesterov", learning_rate="constant", eta0=0.1, max_iter=5, tol=None)
    gd = hogwild.SGDClassifier(solver="gd", **params).fit(X, y)
    one_batch = hogwild.SGDClassifier(solver="minibatch", batch_size=10 ** 6, shuffle=False, **params).fit(X, y)
    np.testing.assert_array_equal(one_batch.coef_, gd.coef_)
    np.testing.assert_array_equal(one_batch.intercept_, gd.intercept_)


def test_partial_fit_continues_the_schedule_and_the_average(tiny_regression):
    X, y = tiny_regression
    params = dict(solver="minibatch", batch_size=5, shuffle=False, learning_rate="invscaling", eta0=0.05, average=3)
    whole = hogwild.SGDRegressor(max_iter=4, tol=None, **params).fit(X, y)
    parts = hogwild.SGDRegressor(**params)
    for _ in range(4):
        parts.partial_fit(X, y)
    assert parts.t_ == whole.t_
    np.testing.assert_allclose(parts.coef_, whole.coef_, rtol=1e-12)
    np.testing.assert_allclose(parts.intercept_, whole.intercept_, rtol=1e-12)


def test_history_callbacks_and_early_stopping(classification):
    X, y = classification
    records = []
    model = hogwild.SGDClassifier(loss="log_loss", solver="minibatch", batch_size=100, max_iter=30, tol=None,
                                  random_state=0).fit(X, y, callbacks=[records.append])
    assert [r["epoch"] for r in records] == list(range(1, 31))
    assert all(r["updates"] == X.shape[0] for r in model.history_)
    assert model.history_[-1]["objective"] < model.history_[0]["objective"]
    np.testing.assert_array_equal(records[-1]["coef"].astype(model.coef_.dtype), model.coef_[0])

    stopped = hogwild.SGDClassifier(solver="gd", max_iter=50, tol=None).fit(
        X, y, callbacks=[lambda record: record["epoch"] < 3])
    assert stopped.n_iter_ == 3

    early = hogwild.SGDClassifier(solver="minibatch", early_stopping=True, n_iter_no_change=2, tol=1e-2,
                                  max_iter=100, random_state=0).fit(X, y)
    assert early.n_iter_ < 100
    assert all(np.isfinite(r["validation_score"]) for r in early.history_)


# --- (b) the L-BFGS optimum of L2 logistic regression on a9a -----------------

# Constant learning rates per optimizer. minibatch: 30 epochs of batches of
# 256 rows, averaged from the second epoch on; gd: 300 steps, no averaging.
# Measured relative gaps to the optimum: minibatch 0.8-1.1e-3, gd 0.7-3.6e-3.
A9A_RUNS = {
    "minibatch": (dict(batch_size=256, max_iter=30, average=32561), 2e-3, {
        "sgd": 2.0, "momentum": 0.2, "nesterov": 0.2, "adagrad": 0.3, "rmsprop": 0.01, "adam": 0.01}),
    "gd": (dict(max_iter=300), 5e-3, {
        "sgd": 2.0, "momentum": 0.3, "nesterov": 0.3, "adagrad": 1.0, "rmsprop": 0.01, "adam": 0.1}),
}


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("solver", SYNCHRONOUS)
def test_reaches_lbfgs_optimum_on_a9a(a9a, optimum, solver, optimizer):
    X, y, X_test, y_test = a9a
    objective, best = optimum
    params, tolerance, rates = A9A_RUNS[solver]
    # one thread: the same model as any other number of threads (tested above)
    model = hogwild.SGDClassifier(loss="log_loss", alpha=ALPHA, solver=solver, optimizer=optimizer,
                                  learning_rate="constant", eta0=rates[optimizer], tol=None, random_state=0,
                                  n_threads=1, **params).fit(X, y)
    reached, _ = objective(np.concatenate([model.coef_.ravel(), model.intercept_]))
    assert (reached - best) / best < tolerance
    assert model.score(X_test, y_test) >= 0.845


# --- (d) bad parameters, divergence, Ctrl-C ---------------------------------

@pytest.mark.parametrize("params, message", [
    (dict(solver="sequential", optimizer="adam"), "optimizer='adam' needs one of the solvers"),
    (dict(solver="minibatch", learning_rate="pa1"), "learning_rate='pa1' .* not supported by solver='minibatch'"),
    (dict(solver="gd", learning_rate="pa2"), "learning_rate='pa2' .* not supported by solver='gd'"),
    (dict(solver="minibatch", batch_size=0), "The 'batch_size' parameter"),
    (dict(solver="gd", optimizer="lbfgs"), "The 'optimizer' parameter"),
    (dict(solver="gd", optimizer="momentum", momentum=1.0), "The 'momentum' parameter"),
    (dict(solver="gd", optimizer="adam", beta2=1.0), "The 'beta2' parameter"),
    (dict(solver="gd", optimizer="adam", optimizer_eps=0.0), "The 'optimizer_eps' parameter"),
])
def test_bad_parameters(classification, params, message):
    X, y = classification
    with pytest.raises(ValueError, match=message):
        hogwild.SGDClassifier(loss="hinge", **params).fit(X, y)


@pytest.mark.parametrize("solver", SYNCHRONOUS)
def test_divergence_is_a_clear_error(solver):
    # (the first step of a mean gradient leaves the weights just finite, but the
    # epoch's objective has overflowed already: that is divergence in epoch 1)
    X = np.random.RandomState(0).rand(20, 4) * 1e200
    with pytest.raises(ValueError, match="Floating-point under-/overflow occurred at epoch #1"):
        hogwild.SGDRegressor(learning_rate="constant", eta0=1e100, max_iter=5, tol=None, solver=solver).fit(
            X, np.arange(20.0))
