"""hogwild.plot.convergence: several runs on one figure."""

import numpy as np
import pytest

import hogwild
from hogwild.datasets import make_sparse_classification

matplotlib = pytest.importorskip("matplotlib", reason="the plot extra (matplotlib) is not installed")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from hogwild.plot import convergence  # noqa: E402


@pytest.fixture(scope="module")
def runs():
    X, y = make_sparse_classification(3000, 400, 10, random_state=1)
    return {f"{n} threads": hogwild.SGDClassifier(loss="log_loss", max_iter=5, tol=None, n_threads=n,
                                                   random_state=0).fit(X, y)
            for n in (1, 2)}


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_one_line_per_run_with_cumulative_seconds(runs):
    ax = convergence(runs)
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["1 threads", "2 threads"]
    for line, model in zip(lines, runs.values()):
        np.testing.assert_allclose(line.get_xdata(), np.cumsum([r["seconds"] for r in model.history_]))
        np.testing.assert_array_equal(line.get_ydata(), [r["objective"] for r in model.history_])
    assert ax.get_xlabel() == "training time (s)"


def test_epochs_updates_and_suboptimality_on_a_log_scale(runs):
    model = runs["1 threads"]
    optimum = min(r["objective"] for r in model.history_) * 0.9
    ax = convergence(model, x="epoch", y="suboptimality", optimum=optimum)
    line = ax.get_lines()[0]
    np.testing.assert_array_equal(line.get_xdata(), [1, 2, 3, 4, 5])
    np.testing.assert_allclose(line.get_ydata(), [(r["objective"] - optimum) / optimum for r in model.history_])
    assert ax.get_yscale() == "log"
    ax = convergence([model.history_], x="updates", log_y=False)
    np.testing.assert_array_equal(ax.get_lines()[0].get_xdata(), 3000 * np.arange(1, 6))
    assert ax.get_yscale() == "linear"


def test_draws_on_given_axes(runs):
    _, ax = plt.subplots()
    assert convergence(runs, ax=ax) is ax


def test_one_vs_rest_epochs_are_combined(dna):
    X, y = dna
    model = hogwild.SGDClassifier(max_iter=4, tol=None, random_state=0).fit(X, y)
    ax = convergence(model)
    line = ax.get_lines()[0]
    assert len(line.get_xdata()) == 4
    first = [r for r in model.history_ if r["epoch"] == 1]
    assert line.get_ydata()[0] == pytest.approx(np.mean([r["objective"] for r in first]))
    assert line.get_xdata()[0] == pytest.approx(sum(r["seconds"] for r in first))


def test_one_vs_rest_classes_that_stop_early_keep_their_last_model_on_the_curve(dna):
    """Classes stopping at other epochs (tol): the curve ran to the class
    that stopped first (36 of 57 epochs; a new user's trial). It runs to
    the last; a class that stopped adds its last objective, no seconds."""
    X, y = dna
    model = hogwild.SGDClassifier(max_iter=100, tol=1e-3, solver="sequential", random_state=0).fit(X, y)
    by_class = {}
    for record in model.history_:
        by_class.setdefault(record["class"], []).append(record)
    lengths = sorted(len(records) for records in by_class.values())
    assert lengths[0] < lengths[-1] == model.n_iter_
    line = convergence(model, x="epoch").get_lines()[0]
    assert len(line.get_xdata()) == model.n_iter_
    last = np.mean([records[-1]["objective"] for records in by_class.values()])
    assert line.get_ydata()[-1] == pytest.approx(last)
    seconds = convergence(model, x="seconds").get_lines()[0].get_xdata()
    assert seconds[-1] == pytest.approx(sum(r["seconds"] for r in model.history_))


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(x="time"), ValueError, "x must be one of"),
    (dict(y="loss"), ValueError, "y must be one of"),
    (dict(y="suboptimality"), ValueError, "needs a positive, finite optimum"),
    (dict(y="suboptimality", optimum=-1.0), ValueError, "needs a positive, finite optimum"),
    # (a ufunc's TypeError and "unhashable type" before; a new user's trial)
    (dict(y="suboptimality", optimum="0.1"), ValueError, "needs a positive, finite optimum, got '0.1'"),
    (dict(x=["epoch"]), ValueError, r"x must be one of .*, got \['epoch'\]"),
])
def test_bad_arguments(runs, kwargs, error, message):
    with pytest.raises(error, match=message):
        convergence(runs, **kwargs)


def test_bad_runs():
    with pytest.raises(TypeError, match="runs must be"):
        convergence(42)
    with pytest.raises(TypeError, match="a run must be"):
        convergence({"a": 42})
    with pytest.raises(ValueError, match=r"an epoch record must hold objective, seconds, updates, "
                                         r"examples_per_second \(as history_'s do\); \{'foo': 1\} lacks objective"):
        convergence([{"foo": 1}])  # (KeyError: 'seconds' before)


def test_an_estimator_not_fitted_yet_is_said_to_be_so():
    """(it was refused as "runs must be an estimator", which it is; a new
    user's trial); one without a history_ is said to have none."""
    from sklearn.exceptions import NotFittedError
    from sklearn.linear_model import SGDClassifier

    for runs in (hogwild.SGDClassifier(), [hogwild.SGDRegressor()], {"unfitted": hogwild.SGDClassifier()}):
        with pytest.raises(NotFittedError, match="is not fitted yet"):
            convergence(runs)
    fitted = SGDClassifier(max_iter=3, tol=None).fit([[0.0], [1.0]], [0, 1])
    with pytest.raises(TypeError, match="SGDClassifier has no history_"):
        convergence(fitted)
