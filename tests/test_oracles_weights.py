"""class_weight is a weight on the rows of its class, in every solver.

Every solver multiplies a row's step by its class's weight times its
sample weight (math/update_rule.hpp's example_weight; the sequential
solver as scikit-learn does; the synchronous solvers in their row
derivatives). So a fit with class_weight={1: c1, -1: c0} is, bit for bit,
the fit with sample_weight c1 on the positive rows and c0 on the negative
ones: for the deterministic settings of every solver, the two models are
equal, and both differ from the unweighted fit and from the fit with the
weights swapped.

catches: class weights ignored by one solver or by the shared update rule
(issue 18's "hogwild ignores class weights"), swapped between the classes,
or applied twice.
"""

import numpy as np
import pytest

import hogwild

# deterministic settings (README: "deterministic")
SOLVERS = [
    dict(solver="sequential"),
    dict(solver="hogwild", n_threads=1),
    dict(solver="local", n_threads=1),
    dict(solver="local", n_threads=2, sync_every=16),
    dict(solver="easgd", n_threads=2, sync_every=16),
    dict(solver="async", n_threads=1),  # simulated staleness, deterministic
    dict(solver="buckwild", n_threads=1),
    dict(solver="minibatch", n_threads=2, batch_size=8),
    dict(solver="gd", n_threads=2),
]
CLASS_WEIGHT = {1: 3.0, -1: 0.5}


@pytest.fixture(scope="module")
def problem():
    rng = np.random.RandomState(1)
    X = rng.randn(120, 4)
    y = np.where(X @ np.array([1.0, -0.5, 0.3, 0.0]) + 0.8 * rng.randn(120) > 0.2, 1, -1)
    return X, y


def fit(X, y, solver, **params):
    return hogwild.SGDClassifier(loss="log_loss", alpha=0.01, learning_rate="constant", eta0=0.05, max_iter=5,
                                 tol=None, random_state=0, **solver, **params)


@pytest.mark.parametrize("solver", SOLVERS, ids=lambda s: "-".join(str(v) for v in s.values()))
def test_class_weight_is_a_sample_weight_on_the_class_rows(problem, solver):
    X, y = problem
    weighted = fit(X, y, solver, class_weight=CLASS_WEIGHT).fit(X, y)
    by_rows = fit(X, y, solver).fit(X, y, sample_weight=np.where(y > 0, CLASS_WEIGHT[1], CLASS_WEIGHT[-1]))
    np.testing.assert_array_equal(weighted.coef_, by_rows.coef_)
    np.testing.assert_array_equal(weighted.intercept_, by_rows.intercept_)
    plain = fit(X, y, solver).fit(X, y)
    swapped = fit(X, y, solver, class_weight={1: CLASS_WEIGHT[-1], -1: CLASS_WEIGHT[1]}).fit(X, y)
    for other in (plain, swapped):
        assert np.max(np.abs(other.coef_ - weighted.coef_)) > 1e-3
    # the heavy class is predicted more often than without weights
    assert np.mean(weighted.predict(X) == 1) > np.mean(plain.predict(X) == 1)
