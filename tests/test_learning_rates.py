"""The epoch-wise learning rates beyond scikit-learn's: exponential and step."""

import numpy as np
import pytest

import hogwild
from hogwild.datasets import make_sparse_classification


@pytest.fixture(scope="module")
def problem():
    return make_sparse_classification(2000, 200, 8, random_state=2)


def fit(X, y, **params):
    defaults = dict(loss="log_loss", eta0=0.05, max_iter=4, tol=None, random_state=0, n_threads=1)
    return hogwild.SGDClassifier(**{**defaults, **params}).fit(X, y)


@pytest.mark.parametrize("solver", ["sequential", "hogwild"])
def test_without_decay_they_are_the_constant_rate(problem, solver):
    X, y = problem
    constant = fit(X, y, learning_rate="constant", solver=solver)
    for params in (dict(learning_rate="exponential", gamma=1.0), dict(learning_rate="step", step_epochs=4)):
        np.testing.assert_array_equal(fit(X, y, solver=solver, **params).coef_, constant.coef_)


@pytest.mark.parametrize("solver", ["sequential", "hogwild"])
def test_exponential_decay_is_the_constant_rate_epoch_by_epoch(problem, solver):
    """An exponential fit is a chain of one-epoch constant fits with rates
    eta0 * gamma**epoch (no shuffle, so the epochs see the same order)."""
    X, y = problem
    decayed = fit(X, y, learning_rate="exponential", gamma=0.5, shuffle=False, solver=solver)
    chained = hogwild.SGDClassifier(loss="log_loss", learning_rate="constant", max_iter=1, tol=None,
                                    shuffle=False, solver=solver, n_threads=1, warm_start=True)
    for epoch in range(4):
        chained.set_params(eta0=0.05 * 0.5 ** epoch)
        chained.fit(X, y)
    np.testing.assert_allclose(decayed.coef_, chained.coef_, rtol=1e-6)


def test_partial_fit_continues_the_decay(problem):
    X, y = problem
    X = X.astype(np.float64)  # float32 coef_ between calls would round the weights
    whole = fit(X, y, learning_rate="step", gamma=0.3, step_epochs=2, shuffle=False, solver="sequential")
    parts = hogwild.SGDClassifier(loss="log_loss", eta0=0.05, learning_rate="step", gamma=0.3, step_epochs=2,
                                  shuffle=False, solver="sequential")
    for _ in range(4):
        parts.partial_fit(X, y, classes=[-1.0, 1.0])
    # (the weight scale is folded in between calls: last-bit differences)
    np.testing.assert_allclose(parts.coef_, whole.coef_, rtol=1e-12)
    assert parts.t_ == whole.t_


@pytest.mark.parametrize("params, message", [
    (dict(learning_rate="exponential", gamma=0.0), "gamma"),
    (dict(learning_rate="exponential", gamma=1.5), "gamma"),
    (dict(learning_rate="step", step_epochs=0), "step_epochs"),
    (dict(learning_rate="cosine"), "learning_rate"),
])
def test_bad_parameters(problem, params, message):
    X, y = problem
    with pytest.raises(ValueError, match=message):
        fit(X, y, **params)


@pytest.mark.parametrize("learning_rate", ["exponential", "step"])
@pytest.mark.parametrize("solver", ["sequential", "hogwild"])
def test_partial_fit_on_one_row_at_a_time_continues_the_decay(solver, learning_rate):
    """Online learning, one example per call: call k (from 0) is epoch k of
    the epoch-wise rates, i.e. a constant-rate call at eta0 * gamma**k
    (step: gamma**(k // step_epochs))."""
    X, y = np.array([[1.0, -0.5, 2.0]]), np.array([0.7])
    common = dict(shuffle=False, solver=solver, n_threads=1, random_state=0)
    decayed = hogwild.SGDRegressor(learning_rate=learning_rate, eta0=0.1, gamma=0.5, step_epochs=2, **common)
    constant = hogwild.SGDRegressor(learning_rate="constant", **common)
    for k in range(5):
        decayed.partial_fit(X, y)
        constant.set_params(eta0=0.1 * 0.5 ** (k if learning_rate == "exponential" else k // 2))
        constant.partial_fit(X, y)
    np.testing.assert_allclose(decayed.coef_, constant.coef_, rtol=1e-12)
    np.testing.assert_allclose(decayed.intercept_, constant.intercept_, rtol=1e-12)
    assert decayed.t_ == 6
