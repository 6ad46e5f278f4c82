"""Per-coordinate optimizers under the per-row solvers (hogwild, local,
easgd, async, buckwild); minibatch and gd are covered in
test_synchronous_solvers.py."""

import numpy as np
import pytest

import hogwild
from test_convergence import ALPHA

SOLVERS = [
    dict(solver="hogwild", n_threads=1), dict(solver="hogwild", n_threads=2),
    dict(solver="local", n_threads=2), dict(solver="easgd", n_threads=2),
    dict(solver="async", n_threads=2, batch_size=8), dict(solver="buckwild", n_threads=1),
]
# constant rates; momentum's effective step is eta / (1 - momentum)
RATES = {"momentum": 0.001, "adagrad": 0.05, "adam": 0.001}


@pytest.mark.parametrize("optimizer", sorted(RATES))
@pytest.mark.parametrize("solver", SOLVERS, ids=lambda s: "-".join(str(v) for v in s.values()))
def test_reaches_the_lbfgs_optimum_on_a9a(a9a, optimum, solver, optimizer):  # noqa: F811
    X, y, X_test, y_test = a9a
    objective, best = optimum
    eta0 = RATES[optimizer] * (8 if solver["solver"] == "async" and optimizer == "momentum" else 1)
    model = hogwild.SGDClassifier(loss="log_loss", alpha=ALPHA, optimizer=optimizer, learning_rate="constant",
                                  eta0=eta0, average=X.shape[0], max_iter=20, tol=None, random_state=0, **solver)
    model.fit(X.astype(np.float32), y)
    reached, _ = objective(np.concatenate([model.coef_.ravel(), model.intercept_]))
    assert (reached - best) / best < 1e-2
    assert model.score(X_test, y_test) >= 0.845


@pytest.mark.parametrize("solver", ["hogwild", "local", "easgd", "buckwild"])
def test_one_thread_is_reproducible_and_differs_from_sgd(a9a, solver):
    X, y, _, _ = a9a
    fit = lambda optimizer: hogwild.SGDClassifier(  # noqa: E731
        loss="log_loss", solver=solver, optimizer=optimizer, learning_rate="constant", eta0=0.001, max_iter=2,
        tol=None, n_threads=1, random_state=0).fit(X, y)
    adam = fit("adam")
    np.testing.assert_array_equal(adam.coef_, fit("adam").coef_)
    assert not np.allclose(adam.coef_, fit("sgd").coef_)


def test_sequential_solver_refuses_optimizers():
    with pytest.raises(ValueError, match="optimizer='adam' needs one of the solvers"):
        hogwild.SGDClassifier(solver="sequential", optimizer="adam").fit(np.eye(2), [0, 1])


@pytest.mark.parametrize("solver", ["hogwild", "minibatch"])
@pytest.mark.parametrize("optimizer", ["adagrad", "rmsprop", "adam"])
def test_an_optimizer_state_that_overflows_is_the_overflow_error(solver, optimizer):
    """Weights of 1e160 square past float64 in the squared-gradient sums:
    steps g / sqrt(inf) are 0, and a model of zeros came back without a
    word where sgd raises (a new user's trial)."""
    rng = np.random.RandomState(0)
    X = rng.randn(1000, 10)
    y = (X @ rng.randn(10) > 0).astype(int)
    model = hogwild.SGDClassifier(loss="log_loss", solver=solver, optimizer=optimizer, n_threads=1, random_state=0,
                                  max_iter=5, tol=None)
    with pytest.raises(ValueError, match="Floating-point under-/overflow occurred"):
        model.fit(X, y, sample_weight=np.full(1000, 1e160))
    assert model.set_params().fit(X, y, sample_weight=np.full(1000, 1e150)).score(X, y) > 0.9
