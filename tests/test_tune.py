"""hogwild.tune: the learning-rate range test and the batch-size sweep
(issue 13), from Python and as `hogwild tune`."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import SGDClassifier

import hogwild
from conftest import run_cli
from hogwild.datasets import load_a9a
from hogwild.tune import find_learning_rate, sweep_batch_size
from test_convergence import ALPHA, logistic_objective


@pytest.mark.parametrize("solver, n_threads", [("hogwild", 1), ("minibatch", 2)])
def test_the_suggested_eta0_is_within_3x_of_the_best_of_a_grid(a9a, solver, n_threads):
    """The best constant step of full 10-epoch fits on a9a, on a grid of
    factors of 2.5, against the range test's suggestion from 2-epoch runs
    on 10,000 rows."""
    X, y, _, _ = a9a
    objective = logistic_objective(X, y, ALPHA)
    estimator = hogwild.SGDClassifier(loss="log_loss", alpha=ALPHA, solver=solver, n_threads=n_threads)
    grid = np.geomspace(1e-3, 2.5, 9)
    values = []
    for eta in grid:
        model = hogwild.SGDClassifier(**{**estimator.get_params(), "learning_rate": "constant", "eta0": eta,
                                         "max_iter": 10, "tol": None, "random_state": 0}).fit(X, y)
        values.append(objective(np.concatenate([model.coef_[0], model.intercept_]))[0])
    best = grid[int(np.argmin(values))]
    suggested = find_learning_rate(estimator, X, y).suggested_eta0
    assert best / 3 <= suggested <= best * 3, (best, suggested, values)


def test_diverging_steps_do_not_end_the_test():
    """Too large a step overflows (inf in the curve) or, with the loss's
    derivative clipped as scikit-learn clips it, explodes: either way the
    test goes on and suggests a stable step."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 5)) * 10
    y = X @ np.ones(5)
    result = find_learning_rate(hogwild.SGDRegressor(n_threads=1), X, y, min_eta=1e-6, max_eta=1e6, n_steps=13)
    assert result.objectives[-1] > 1e6 * np.min(result.objectives)
    assert result.suggested_eta0 < 1e-2  # (rows of squared norm ~500: a stable step is below 1 / 500)


def test_bad_ranges_are_refused():
    X, y = np.ones((4, 2)), np.array([0, 1, 0, 1])
    with pytest.raises(ValueError, match="max_eta == 0.1, must be > 1.0"):
        find_learning_rate(hogwild.SGDClassifier(), X, y, min_eta=1.0, max_eta=0.1)
    with pytest.raises(ValueError, match="solver='minibatch' or 'async'"):
        sweep_batch_size(hogwild.SGDClassifier(), X, y)


def test_the_batch_size_sweep_times_each_batch_to_one_target(a9a):
    X, y, X_test, y_test = a9a
    estimator = hogwild.SGDClassifier(loss="log_loss", solver="minibatch", n_threads=2, random_state=0)
    sweep = sweep_batch_size(estimator, X, y, batch_sizes=[64, 256, 4096], max_iter=8)
    lowest = min(v for trace in sweep.traces.values() for _, v in trace)
    assert sweep.target == pytest.approx(lowest * 1.01)
    assert sweep.best_batch_size in (64, 256)
    # fewer steps per epoch: the large batch needs more epochs, if it gets there at all
    assert sweep.epochs[2] is None or sweep.epochs[2] > sweep.epochs[0]
    for batch, seconds, epochs in zip(sweep.batch_sizes, sweep.seconds, sweep.epochs):
        if epochs is not None:
            assert seconds == pytest.approx(sweep.traces[batch][epochs - 1][0])
    scored = sweep_batch_size(estimator, X, y, batch_sizes=[64, 256], max_iter=3, X_val=X_test, y_val=y_test)
    assert 0.8 < scored.target < 0.86 and scored.best_batch_size in (64, 256)


def test_hogwild_tune_from_the_command_line(tmp_path):
    from sklearn.datasets import dump_svmlight_file

    X, y = hogwild.datasets.make_sparse_classification(3000, 200, 10, random_state=0)
    path = tmp_path / "data.svm"
    dump_svmlight_file(X, y, str(path))
    out = run_cli("tune", str(path), "--learning-rate", "--threads", "1", "--rows", "1000")
    assert out.returncode == 0, out.stderr
    suggested = float(out.stdout.split("suggested eta0: ")[1].split()[0])
    assert suggested == pytest.approx(find_learning_rate(hogwild.SGDClassifier(loss="log_loss", n_threads=1),
                                                         *hogwild.datasets.load_svmlight(str(path)),
                                                         n_rows=1000).suggested_eta0, rel=1e-2)
    out = run_cli("tune", str(path), "--batch-size", "--solver", "hogwild")
    assert out.returncode == 1
    assert out.stderr.strip() == ("hogwild tune: error: sweep_batch_size needs solver='minibatch' or 'async', "
                                  "not 'hogwild'")


def test_one_vs_rest_takes_every_classes_last_epoch(dna):
    """history_ holds the classes' records one class after another: the
    objective is the sum of each class's last epoch."""
    from hogwild.tune import _objective

    X, y = dna
    model = hogwild.SGDClassifier(loss="log_loss", max_iter=3, tol=None, n_threads=1, verbose=0)
    model.fit(X, y, callbacks=[lambda record: None])  # (callbacks: the classes train one after another)
    last = {r["class"]: r["objective"] for r in model.history_}
    assert len(last) == 3 and _objective(model) == pytest.approx(sum(last.values()))
    sweep = sweep_batch_size(hogwild.SGDClassifier(loss="log_loss", solver="minibatch", n_threads=1), X, y,
                             batch_sizes=[32, 256], max_iter=3)
    assert all(len(trace) == 3 for trace in sweep.traces.values())  # (epochs, not class records)
    # with validation data (refused before; found by a new-user trial): each
    # epoch's score is the accuracy of every class's model after that epoch
    estimator = hogwild.SGDClassifier(loss="log_loss", solver="minibatch", n_threads=1, random_state=0)
    X_val, y_val = X[::3], y[::3]
    scored = sweep_batch_size(estimator, X, y, batch_sizes=[32, 256], max_iter=3, X_val=X_val, y_val=y_val)
    for batch in (32, 256):
        for epochs in (1, 3):
            fitted = clone(estimator).set_params(batch_size=batch, max_iter=epochs, tol=None).fit(X, y)
            assert scored.traces[batch][epochs - 1][1] == fitted.score(X_val, y_val)


def test_a_regressor_sweep_scores_every_epoch():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(3000, 10))
    y = X @ rng.normal(size=10) + 0.1 * rng.normal(size=3000)
    sweep = sweep_batch_size(hogwild.SGDRegressor(solver="minibatch", n_threads=1), X[:2000], y[:2000],
                             batch_sizes=[16, 512], max_iter=6, X_val=X[2000:], y_val=y[2000:])
    assert all(len(trace) == 6 for trace in sweep.traces.values())
    assert 0.9 < sweep.target < 1.0 and sweep.best_batch_size in (16, 512)


@pytest.mark.parametrize("call, error, message", [
    # (a new user's trial: an IndexError, AttributeErrors, a TypeError of
    # range(), scikit-learn's complaint about eta0, NumPy's matmul)
    (lambda X, y: find_learning_rate(hogwild.SGDClassifier(), X, y[:100]), ValueError,
     "inconsistent numbers of samples"),
    (lambda X, y: find_learning_rate(hogwild.SGDClassifier(n_threads=1, max_iter=1), X.toarray().tolist(), y),
     None, None),
    (lambda X, y: find_learning_rate(SGDClassifier(), X, y), TypeError,
     "estimator must be hogwild's SGDClassifier or SGDRegressor, got SGDClassifier"),
    (lambda X, y: find_learning_rate(hogwild.MatrixFactorization(), X, y), TypeError,
     "got MatrixFactorization"),
    (lambda X, y: find_learning_rate(hogwild.SGDClassifier(), X, y, n_steps=10.0), TypeError, "n_steps must be an"),
    (lambda X, y: find_learning_rate(hogwild.SGDClassifier(), X, y, max_eta=np.inf), ValueError, "max_eta == inf"),
    (lambda X, y: find_learning_rate(hogwild.SGDClassifier(), X, y, min_eta=np.nan), ValueError,
     "min_eta must be a number, got nan"),
    (lambda X, y: sweep_batch_size(hogwild.SGDClassifier(solver="minibatch"), X, y, rtol=np.nan), ValueError,
     "rtol must be a number, got nan"),
    (lambda X, y: sweep_batch_size(hogwild.SGDClassifier(solver="minibatch"), X, y, X_val=X[:, :50], y_val=y),
     ValueError, "X_val has 50 features, X has 123"),
    (lambda X, y: sweep_batch_size(hogwild.SGDClassifier(solver="minibatch"), X, y, X_val=X), ValueError,
     "X_val and y_val must be given together"),
    (lambda X, y: sweep_batch_size(hogwild.SGDClassifier(solver="minibatch"), X, y, max_iter=0), ValueError,
     "max_iter == 0, must be >= 1"),
    # (a string ran batches of 1 and 6, 2.7 ran 2, an int was a TypeError of list(); a new user's trial)
    (lambda X, y: sweep_batch_size(hogwild.SGDClassifier(solver="minibatch"), X, y, batch_sizes="16"), ValueError,
     "batch_sizes must be a list of integers >= 1, got '16'"),
    (lambda X, y: sweep_batch_size(hogwild.SGDClassifier(solver="minibatch"), X, y, batch_sizes=16), ValueError,
     "batch_sizes must be a list of integers >= 1, got 16"),
    (lambda X, y: sweep_batch_size(hogwild.SGDClassifier(solver="minibatch"), X, y, batch_sizes=[2.7]), ValueError,
     r"batch_sizes must be a list of integers >= 1, got \[2.7\]"),
])
def test_each_mistake_is_named(call, error, message):
    X, y, _, _ = load_a9a()
    X, y = X[:400], y[:400]
    if error is None:  # (array-like, as documented: a list of lists)
        assert call(X, y).suggested_eta0 > 0
        return
    with pytest.raises(error, match=message):
        call(X, y)


def test_a_regressor_sweep_on_constant_validation_targets_scores_as_scikit_learn():
    """R^2 of constant targets was -inf: every batch size "reached" the
    target -inf at its first epoch (a new user's trial); scikit-learn's
    r2_score, which score() gives, says 0 for an imperfect fit."""
    rng = np.random.default_rng(0)
    X = rng.random((200, 5))
    sweep = sweep_batch_size(hogwild.SGDRegressor(solver="minibatch", n_threads=1), X, X @ np.ones(5),
                             batch_sizes=[16, 64], max_iter=3, X_val=X[:20], y_val=np.full(20, 3.0))
    assert -0.01 < sweep.target <= 0.0  # (the best score, 0, less rtol)
    assert all(score == 0.0 for trace in sweep.traces.values() for _, score in trace)


@pytest.mark.parametrize("options, message", [
    (["--batch-size", "--plot", "bs.png"], "--plot draws the --learning-rate curve"),
    (["--learning-rate", "--test", "x.svm"], "--test is for --batch-size"),
    (["--learning-rate", "--alpha", "nan"], "--alpha must be a finite number >= 0"),
])
def test_hogwild_tune_refuses_options_it_would_leave_unused(tmp_path, monkeypatch, options, message):
    """(--plot with --batch-size wrote nothing, --test with --learning-rate
    was read and ignored, exit 0; --alpha nan failed after reading)"""
    monkeypatch.chdir(tmp_path)
    out = run_cli("tune", str(tmp_path / "not_read.svm"), *options)
    assert out.returncode == 2
    assert out.stderr.startswith(f"hogwild tune: error: {message}") and "Traceback" not in out.stderr
