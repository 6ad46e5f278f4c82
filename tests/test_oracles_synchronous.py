"""Oracles for the synchronous solvers "minibatch" and "gd": an independent
NumPy implementation of what they compute, compared weight for weight.

With shuffle=False both solvers are deterministic and step through the rows
in data order: minibatch takes one step per `batch_size` consecutive rows
(the last batch of an epoch may be smaller), gd one step per epoch on all
rows. The reference below is written from the documented semantics, not from
the C++ (see the README and synchronous_solver.hpp's header comment):

* a step's gradient is the mean over its rows of loss'(x.w + b, y) x;
* the schedule counts steps (batches) from 1, continuing across epochs and
  partial_fit calls; the epoch-wise schedules use the 0-based epoch;
* plain sgd on dense data applies L2 as its proximal step: the weights
  after adding -eta * gradient divided by 1 + eta * alpha (the one update
  rule of every solver, math/update_rule.hpp);
* average=k averages the iterate after each step, weighted by how many of
  the step's rows have a 1-based sample count t >= k (average=True is k=1);
  coef_ is that average once at least k rows were seen.

Each test names, in a comment, the bug it exists to catch.
"""

import numpy as np
import pytest
import scipy.sparse as sp

import hogwild

RTOL = 1e-10


@pytest.fixture(scope="module")
def regression():
    rng = np.random.RandomState(11)
    X = rng.uniform(-1.0, 1.0, size=(23, 3))
    y = X @ np.array([2.0, -1.0, 0.5]) + 0.7 + 0.2 * rng.randn(23)
    return X, y


def schedule(name, *, eta0=0.0, power_t=0.5, alpha=1e-4, gamma=0.9, step_epochs=10):
    """eta(t, epoch) of each learning rate, t the 1-based step, epoch 0-based."""
    if name == "constant":
        return lambda t, epoch: eta0
    if name == "invscaling":
        return lambda t, epoch: eta0 / t ** power_t
    if name == "optimal":
        # Bottou's heuristic as scikit-learn writes it: t0 such that the first
        # step of a weight of typical size 1/sqrt(sqrt(alpha)) is that size
        # (for the squared loss, loss'(-typw, 1) = -typw - 1 < 1)
        typw = np.sqrt(1.0 / np.sqrt(alpha))
        t0 = 1.0 / (typw / max(1.0, -typw - 1.0) * alpha)
        return lambda t, epoch: 1.0 / (alpha * (t0 + t - 1))
    if name == "exponential":
        return lambda t, epoch: eta0 * gamma ** epoch
    if name == "step":
        return lambda t, epoch: eta0 * gamma ** (epoch // step_epochs)
    raise AssertionError(name)


def reference(X, y, *, epochs, eta, alpha=0.0, batch_size=None, average=0, fit_intercept=True,
              epoch_offset=0, step_offset=0):
    """Mean-gradient steps on 1/2 (x.w + b - y)^2 with L2's proximal step.

    Returns (coef, intercept) as scikit-learn's estimators report them:
    the average when averaging has started, else the last iterate.
    """
    n, d = X.shape
    size = n if batch_size is None else batch_size
    batches = [np.arange(start, min(n, start + size)) for start in range(0, n, size)]
    w, b = np.zeros(d), 0.0
    total, weight_sum, rows_seen, t = np.zeros(d + 1), 0.0, 0, step_offset
    for epoch in range(epochs):
        for rows in batches:
            t += 1
            rate = eta(t, epoch_offset + epoch)
            residual = X[rows] @ w + b - y[rows]
            w = (w - rate * (X[rows].T @ residual) / len(rows)) / (1.0 + rate * alpha)
            if fit_intercept:
                b = b - rate * residual.mean()
            sample_counts = rows_seen + 1 + np.arange(len(rows))  # scikit-learn's t of each row
            if average:
                weight = np.count_nonzero(sample_counts >= average)
                total += weight * np.append(w, b)
                weight_sum += weight
            rows_seen += len(rows)
    if average and weight_sum > 0:
        return total[:-1] / weight_sum, total[-1] / weight_sum
    return w, b


def fit(X, y, **params):
    defaults = dict(loss="squared_error", shuffle=False, tol=None, n_threads=2, penalty="l2")
    return hogwild.SGDRegressor(**{**defaults, **params}).fit(X, y)


def assert_model(model, coef, intercept):
    np.testing.assert_allclose(model.coef_, coef, rtol=RTOL, atol=1e-14)
    np.testing.assert_allclose(model.intercept_[0], intercept, rtol=RTOL, atol=1e-14)


SCHEDULES = [
    # catches: a wrong step count (per row instead of per batch, restarting each epoch), power_t ignored
    dict(learning_rate="invscaling", eta0=0.3, power_t=0.6),
    # catches: a wrong t0 or an off-by-one in t
    dict(learning_rate="optimal", alpha=0.05),
    # catches: the decay counted from epoch 1, or per step instead of per epoch
    dict(learning_rate="exponential", eta0=0.3, gamma=0.7),
    # catches: "step decays one epoch late" (or early): with step_epochs=2 the
    # rate must drop after epochs 2 and 4 of 6
    dict(learning_rate="step", eta0=0.3, gamma=0.4, step_epochs=2),
    dict(learning_rate="constant", eta0=0.2),
]


@pytest.mark.parametrize("params", SCHEDULES, ids=lambda p: p["learning_rate"])
@pytest.mark.parametrize("solver, batch_size", [("minibatch", 5), ("gd", None)])
def test_schedule_matches_numpy_reference(regression, solver, batch_size, params):
    X, y = regression
    alpha = params.get("alpha", 0.01)
    eta = schedule(params["learning_rate"], **{k: v for k, v in params.items() if k != "learning_rate"})
    model = fit(X, y, solver=solver, batch_size=batch_size or 256, max_iter=6, **{"alpha": alpha, **params})
    assert_model(model, *reference(X, y, epochs=6, eta=eta, alpha=alpha, batch_size=batch_size))


@pytest.mark.parametrize("solver, batch_size", [("minibatch", 5), ("gd", None)])
def test_step_schedule_would_fail_if_it_decayed_one_epoch_late(regression, solver, batch_size):
    """The reference is able to tell the right step decay from a late one."""
    X, y = regression
    params = dict(learning_rate="step", eta0=0.3, gamma=0.4, step_epochs=2, alpha=0.01)
    model = fit(X, y, solver=solver, batch_size=batch_size or 256, max_iter=5, **params)
    right = reference(X, y, epochs=5, eta=lambda t, e: 0.3 * 0.4 ** (e // 2), alpha=0.01, batch_size=batch_size)
    late = reference(X, y, epochs=5, eta=lambda t, e: 0.3 * 0.4 ** (max(0, e - 1) // 2), alpha=0.01,
                     batch_size=batch_size)
    assert_model(model, *right)
    assert np.max(np.abs(model.coef_ - late[0])) > 1e3 * np.max(np.abs(model.coef_ - right[0])) + 1e-6


@pytest.mark.parametrize("average", [True, 1, 7, 40, 61, 200])
@pytest.mark.parametrize("solver, batch_size", [("minibatch", 5), ("minibatch", 1), ("gd", None)])
def test_averaging_matches_numpy_reference(regression, solver, batch_size, average):
    """average=k: the iterates of rows k, k+1, ... averaged (23 rows, 4
    epochs: 92 rows; 7 and 40 start mid-batch, 61 mid-epoch, 200 never,
    where coef_ is the last iterate).

    catches: the averaging start off by one or doubled (k=7 -> 14, 40 -> 80),
    an iterate weighted per step instead of per row, the average not used
    once started, the intercept not averaged."""
    X, y = regression
    k = int(average)
    model = fit(X, y, solver=solver, batch_size=batch_size or 256, max_iter=4, average=average,
                learning_rate="invscaling", eta0=0.2, power_t=0.3, alpha=0.02)
    eta = schedule("invscaling", eta0=0.2, power_t=0.3)
    coef, intercept = reference(X, y, epochs=4, eta=eta, alpha=0.02, batch_size=batch_size, average=k)
    assert_model(model, coef, intercept)
    if 2 * k <= 4 * len(y) and k > 1:
        doubled = reference(X, y, epochs=4, eta=eta, alpha=0.02, batch_size=batch_size, average=2 * k)[0]
        assert not np.allclose(doubled, coef, rtol=1e-6)


def test_partial_fit_continues_schedule_and_average_as_the_reference(regression):
    """Three partial_fit calls are three epochs of the reference (not merely
    the same as fit, which shares the code under test).

    catches: partial_fit restarting the step count, the epoch count of the
    epoch-wise schedules, or the averaging clock."""
    X, y = regression
    for params, eta in [
        (dict(learning_rate="invscaling", eta0=0.2, power_t=0.4), schedule("invscaling", eta0=0.2, power_t=0.4)),
        (dict(learning_rate="step", eta0=0.3, gamma=0.5, step_epochs=1), schedule("step", eta0=0.3, gamma=0.5,
                                                                                  step_epochs=1)),
    ]:
        model = hogwild.SGDRegressor(solver="minibatch", batch_size=5, shuffle=False, alpha=0.02, average=30,
                                     n_threads=1, **params)
        for _ in range(3):
            model.partial_fit(X, y)
        assert_model(model, *reference(X, y, epochs=3, eta=eta, alpha=0.02, batch_size=5, average=30))


# --- the optimizers' step rules on a two-coordinate problem -----------------

def paper_steps(name, gradients_of, steps, eta, *, momentum=0.8, beta1=0.85, beta2=0.95, eps=1e-6):
    """Each optimizer as its paper (momentum, nesterov: as PyTorch writes
    them, without dampening) defines it; `gradients_of(w)` is the gradient
    of the step's loss. Returns the weights after each step."""
    w = np.zeros(2)
    velocity, m, v, s = np.zeros(2), np.zeros(2), np.zeros(2), np.zeros(2)
    out = []
    for t in range(1, steps + 1):
        g = gradients_of(w, t)
        if name == "sgd":
            w = w - eta * g
        elif name == "momentum":      # PyTorch: b = mu b + g; p -= lr b
            velocity = momentum * velocity + g
            w = w - eta * velocity
        elif name == "nesterov":      # PyTorch: b = mu b + g; p -= lr (g + mu b)
            velocity = momentum * velocity + g
            w = w - eta * (g + momentum * velocity)
        elif name == "adagrad":       # Duchi et al.: s = sum of g^2
            s = s + g ** 2
            w = w - eta * g / (np.sqrt(s) + eps)
        elif name == "rmsprop":       # Tieleman & Hinton: s = EMA of g^2 (decay beta2)
            s = beta2 * s + (1 - beta2) * g ** 2
            w = w - eta * g / (np.sqrt(s) + eps)
        elif name == "adam":          # Kingma & Ba, bias correction at the global step t
            m = beta1 * m + (1 - beta1) * g
            v = beta2 * v + (1 - beta2) * g ** 2
            w = w - eta * (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps)
        else:
            raise AssertionError(name)
        out.append(w)
    return out


OPTIMIZERS = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"]
OPTIMIZER_PARAMS = dict(momentum=0.8, beta1=0.85, beta2=0.95, optimizer_eps=1e-6)


@pytest.fixture(scope="module")
def two_coordinates():
    # gradients of different scales per coordinate, so that the adaptive
    # rules (per-coordinate normalization) differ visibly from sgd
    X = np.array([[1.0, 0.1], [0.5, -0.3], [-1.5, 0.2], [2.0, 0.05], [0.3, -0.4]])
    y = np.array([1.0, -0.5, 2.0, 0.3, -1.0])
    return X, y


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("layout", ["dense", "csr"])
def test_gd_optimizer_follows_its_paper(two_coordinates, optimizer, layout):
    """gd: one step per epoch on the mean gradient, 9 steps.

    catches: momentum without the accumulated velocity, nesterov's look-ahead
    term missing, adagrad/rmsprop/adam state not per coordinate, adam's bias
    correction missing or at a per-call instead of global step."""
    X, y = two_coordinates
    data = sp.csr_matrix(X) if layout == "csr" else X
    model = fit(data, y, solver="gd", optimizer=optimizer, penalty=None, fit_intercept=False,
                learning_rate="constant", eta0=0.1, max_iter=9, **OPTIMIZER_PARAMS)
    expected = paper_steps(optimizer, lambda w, t: X.T @ (X @ w - y) / len(y), 9, 0.1)[-1]
    np.testing.assert_allclose(model.coef_, expected, rtol=RTOL)
    assert not np.allclose(expected, paper_steps("sgd" if optimizer != "sgd" else "adam",
                                                 lambda w, t: X.T @ (X @ w - y) / len(y), 9, 0.1)[-1])


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_minibatch_optimizer_follows_its_paper_with_global_steps(two_coordinates, optimizer):
    """minibatch of 2 rows in data order (batches 2, 2, 1), 4 epochs: adam's
    step count t runs over all 12 steps, not per epoch."""
    X, y = two_coordinates
    batches = [np.arange(0, 2), np.arange(2, 4), np.arange(4, 5)]

    def gradient(w, t):
        rows = batches[(t - 1) % 3]
        return X[rows].T @ (X[rows] @ w - y[rows]) / len(rows)

    model = fit(X, y, solver="minibatch", batch_size=2, optimizer=optimizer, penalty=None, fit_intercept=False,
                learning_rate="constant", eta0=0.05, max_iter=4, **OPTIMIZER_PARAMS)
    np.testing.assert_allclose(model.coef_, paper_steps(optimizer, gradient, 12, 0.05)[-1], rtol=RTOL)


# --- sample and class weights against row duplication ------------------------

def duplicated(X, y, counts):
    rows = np.repeat(np.arange(len(y)), counts)
    return X[rows], y[rows]


@pytest.mark.parametrize("layout", ["dense", "csr"])
@pytest.mark.parametrize("solver", ["gd", "minibatch"])
def test_integer_sample_weights_are_duplicated_rows_in_a_full_batch(regression, solver, layout):
    """A full batch's mean gradient with integer weights c_i is the mean
    gradient over the data with row i repeated c_i times, but for the
    denominator (n rows against sum c_i): the duplicated fit takes eta
    scaled by sum c_i / n and alpha by the inverse (so that eta * alpha, the
    L2 step, is the same). Weight 0 is a removed row. scikit-learn exempts
    SGD from this check because a weight-2 row there is one larger step; a
    full batch has no such difference. (minibatch with a batch of all rows
    is gd.)

    catches: sample_weight ignored, squared, applied to the penalty, or
    applied to other rows than its own."""
    X, y = regression
    counts = np.arange(len(y)) % 4  # 0, 1, 2, 3, 0, ...
    X_dup, y_dup = duplicated(X, y, counts)
    n, total = len(y), counts.sum()
    convert = sp.csr_matrix if layout == "csr" else np.asarray
    common = dict(solver=solver, batch_size=10 ** 6, max_iter=7, learning_rate="constant")
    weighted = hogwild.SGDRegressor(loss="squared_error", shuffle=False, tol=None, eta0=0.3, alpha=0.05,
                                    **common).fit(convert(X), y, sample_weight=counts.astype(float))
    repeated = hogwild.SGDRegressor(loss="squared_error", shuffle=False, tol=None, eta0=0.3 * total / n,
                                    alpha=0.05 * n / total, **common).fit(convert(X_dup), y_dup)
    np.testing.assert_allclose(weighted.coef_, repeated.coef_, rtol=1e-10)
    np.testing.assert_allclose(weighted.intercept_, repeated.intercept_, rtol=1e-10)
    unweighted = hogwild.SGDRegressor(loss="squared_error", shuffle=False, tol=None, eta0=0.3, alpha=0.05,
                                      **common).fit(convert(X), y)
    assert not np.allclose(unweighted.coef_, weighted.coef_, rtol=1e-3)


def test_class_weight_is_duplication_of_the_class_in_gd():
    """class_weight={1: 3} under gd is every positive row three times (same
    denominator correction as above); "balanced" is scikit-learn's
    n / (classes x count) per class.

    catches: class weights swapped between the classes, or ignored."""
    rng = np.random.RandomState(5)
    X = rng.randn(40, 3)
    y = np.where(X[:, 0] + 0.5 * rng.randn(40) > 0.3, 1, -1)
    counts = np.where(y > 0, 3, 1)
    X_dup, y_dup = duplicated(X, y, counts)
    n, total = len(y), counts.sum()
    common = dict(loss="log_loss", solver="gd", max_iter=6, tol=None, learning_rate="constant")
    weighted = hogwild.SGDClassifier(eta0=0.5, alpha=0.01, class_weight={1: 3.0}, **common).fit(X, y)
    repeated = hogwild.SGDClassifier(eta0=0.5 * total / n, alpha=0.01 * n / total, **common).fit(X_dup, y_dup)
    np.testing.assert_allclose(weighted.coef_, repeated.coef_, rtol=1e-10)
    np.testing.assert_allclose(weighted.intercept_, repeated.intercept_, rtol=1e-10)
    swapped = hogwild.SGDClassifier(eta0=0.5, alpha=0.01, class_weight={-1: 3.0}, **common).fit(X, y)
    assert not np.allclose(swapped.coef_, weighted.coef_, rtol=1e-3)

    balanced = hogwild.SGDClassifier(eta0=0.5, alpha=0.01, class_weight="balanced", **common).fit(X, y)
    per_class = {c: n / (2 * np.sum(y == c)) for c in (-1, 1)}
    explicit = hogwild.SGDClassifier(eta0=0.5, alpha=0.01, **common).fit(
        X, y, sample_weight=np.array([per_class[c] for c in y]))
    np.testing.assert_allclose(balanced.coef_, explicit.coef_, rtol=1e-12)
