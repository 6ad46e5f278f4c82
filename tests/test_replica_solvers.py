"""Local SGD (model averaging) and EASGD (elastic averaging)."""

import numpy as np
import pytest
import scipy.sparse as sp

import hogwild
from hogwild.datasets import make_sparse_classification


@pytest.fixture(scope="module")
def problem():
    return make_sparse_classification(4000, 300, 10, random_state=4)


def fit(X, y, **params):
    defaults = dict(loss="log_loss", max_iter=5, tol=None, random_state=0)
    return hogwild.SGDClassifier(**{**defaults, **params}).fit(X, y)


@pytest.mark.parametrize("solver", ["local", "easgd"])
@pytest.mark.parametrize("threads", [1, 2, 3])
@pytest.mark.parametrize("params", [dict(), dict(average=100, penalty="elasticnet"),
                                    dict(sync_every=7, learning_rate="constant", eta0=0.5)])
def test_deterministic_for_a_thread_count(problem, solver, threads, params):
    X, y = problem
    first = fit(X, y, solver=solver, n_threads=threads, **params)
    second = fit(X, y, solver=solver, n_threads=threads, **params)
    np.testing.assert_array_equal(first.coef_, second.coef_)
    assert first.intercept_ == second.intercept_
    assert first.score(X, y) > 0.75


def test_local_sgd_with_one_thread_is_plain_sgd(problem):
    """With one replica there is nothing to average: the hogwild solver's
    one-thread model (both are checked against a NumPy SGD in
    test_oracles_per_row.py; two replicas below and there). Without a
    penalty: one-thread hogwild applies L2 to all weights at every row,
    local to the features a row touches."""
    X, y = problem
    np.testing.assert_array_equal(fit(X, y, solver="local", n_threads=1, penalty=None).coef_,
                                  fit(X, y, solver="hogwild", n_threads=1, penalty=None).coef_)


@pytest.mark.parametrize("sync_every", [1, 5, 10000])
def test_two_replicas_on_the_same_rows_average_to_one(problem, sync_every):
    """The data twice over: each of 2 threads takes one copy as its share, so
    the replicas step through the same rows from the same start and stay
    equal, and their mean is the one-thread model, bit for bit, however
    often they meet (a sum, or a mean over the wrong count, would not be).
    (With one thread, the mean of one replica could not fail.)"""
    X, y = problem
    X, y = X[:2000], y[:2000]
    twice = fit(sp.vstack([X, X]).tocsr(), np.concatenate([y, y]), solver="local", n_threads=2,
                sync_every=sync_every, shuffle=False, learning_rate="constant", eta0=0.05)
    once = fit(X, y, solver="local", n_threads=1, shuffle=False, learning_rate="constant", eta0=0.05)
    np.testing.assert_array_equal(twice.coef_, once.coef_)
    np.testing.assert_array_equal(twice.intercept_, once.intercept_)


def test_averaging_interval_changes_the_multi_thread_model(problem):
    X, y = problem
    often = fit(X, y, solver="local", n_threads=2, sync_every=1)
    rarely = fit(X, y, solver="local", n_threads=2, sync_every=2000)
    assert not np.array_equal(often.coef_, rarely.coef_)
    assert abs(often.score(X, y) - rarely.score(X, y)) < 0.03


def test_easgd_center_follows_the_replicas(problem):
    """With a small elasticity the center (the model) lags the replicas; a
    larger one pulls it along: both learn, and they differ."""
    X, y = problem
    loose = fit(X, y, solver="easgd", n_threads=2, elasticity=0.01, max_iter=3)
    tight = fit(X, y, solver="easgd", n_threads=2, elasticity=0.5, max_iter=3)
    assert not np.array_equal(loose.coef_, tight.coef_)
    # after few epochs the loosely tied center has moved less from zero
    assert np.linalg.norm(loose.coef_) < np.linalg.norm(tight.coef_)
    assert tight.score(X, y) > 0.75


@pytest.mark.parametrize("value", [0.0, 1.0, -0.1])
def test_elasticity_must_be_in_the_open_unit_interval(problem, value):
    X, y = problem
    with pytest.raises(ValueError, match="elasticity"):
        fit(X, y, solver="easgd", elasticity=value)


@pytest.mark.parametrize("solver", ["local", "easgd"])
def test_regressor_and_dense_data(solver):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, 5))
    y = X @ np.array([1.0, -2.0, 0.5, 0.0, 3.0]) + 0.5
    model = hogwild.SGDRegressor(solver=solver, n_threads=2, max_iter=20, tol=None, alpha=1e-6,
                                 random_state=0).fit(X, y)
    np.testing.assert_allclose(model.coef_, [1.0, -2.0, 0.5, 0.0, 3.0], atol=0.05)
    assert model.intercept_[0] == pytest.approx(0.5, abs=0.05)


def test_easgd_average_is_of_the_replicas_not_of_the_lagging_center():
    """average=True: EASGD's center is itself a moving average of the
    replicas, a few synchronizations behind them (2,000 rows, 2 threads:
    4 a thread each epoch); averaging it again weighed that lag in: a
    relative gap of 24.5 after 10 epochs, 48x scikit-learn's averaged SGD
    (the sequential solver) on the same ridge problem. The replicas' mean
    is averaged: within 3x of it."""
    from sklearn.linear_model import Ridge

    rng = np.random.RandomState(0)
    X = rng.normal(size=(2000, 20))
    y = X @ rng.normal(size=20) + 0.1 * rng.normal(size=2000)
    alpha = 1e-4

    def objective(coef, intercept):
        residual = y - X @ coef - intercept
        return 0.5 * np.mean(residual**2) + 0.5 * alpha * coef @ coef

    optimum = Ridge(alpha=alpha * len(y)).fit(X, y)
    best = objective(optimum.coef_, optimum.intercept_)

    def gap(solver):
        model = hogwild.SGDRegressor(solver=solver, average=True, alpha=alpha, max_iter=10, tol=None,
                                     n_threads=2, random_state=0).fit(X, y)
        return (objective(model.coef_, model.intercept_[0]) - best) / best

    assert gap("easgd") < 3 * gap("sequential")
