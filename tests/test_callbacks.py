"""Epoch callbacks, verbose output and the progress bar."""

import threading

import numpy as np
import pytest

import hogwild
from hogwild.datasets import make_sparse_classification


@pytest.fixture(scope="module")
def problem():
    return make_sparse_classification(3000, 500, 10, random_state=3)


def fit_with(callbacks, X, y, **params):
    defaults = dict(loss="log_loss", max_iter=6, tol=None, random_state=0, n_threads=1)
    return hogwild.SGDClassifier(**{**defaults, **params}).fit(X, y, callbacks=callbacks)


@pytest.mark.parametrize("solver", ["hogwild", "sequential", "local", "easgd", "async", "buckwild"])
@pytest.mark.parametrize("average", [False, 10])
def test_callback_sees_every_epoch_and_the_final_model(problem, solver, average):
    X, y = problem
    records = []
    model = fit_with([records.append], X, y, solver=solver, average=average)
    assert [r["epoch"] for r in records] == list(range(1, 7)) == [r["epoch"] for r in model.history_]
    for record, saved in zip(records, model.history_):
        for key in ("objective", "seconds", "elapsed", "updates", "examples_per_second"):
            assert record[key] == saved[key]
    assert records[-1]["elapsed"] == pytest.approx(sum(r["seconds"] for r in records))
    # the last epoch's weights are the fitted model (the averaged one with average=10)
    # (coef_ takes X's dtype, float32 here)
    np.testing.assert_array_equal(records[-1]["coef"].astype(model.coef_.dtype), model.coef_[0])
    assert model.intercept_.dtype.type(records[-1]["intercept"]) == model.intercept_[0]
    # each record holds its own copy
    assert not np.array_equal(records[0]["coef"], records[-1]["coef"])


@pytest.mark.parametrize("solver", ["hogwild", "sequential", "local", "easgd", "async", "buckwild"])
def test_a_callback_does_not_change_the_model(problem, solver):
    X, y = problem
    plain = fit_with(None, X, y, solver=solver)
    watched = fit_with([lambda record: None], X, y, solver=solver)
    np.testing.assert_array_equal(plain.coef_, watched.coef_)
    assert plain.intercept_ == watched.intercept_


@pytest.mark.parametrize("solver", ["hogwild", "sequential", "local", "easgd", "async", "buckwild"])
def test_returning_false_stops_after_that_epoch(problem, solver):
    X, y = problem
    calls = []

    def stop_at_three(record):
        calls.append(record["epoch"])
        return record["epoch"] < 3  # True, True, False

    # (async steps once per batch: batches of 16 give it 560 steps in the 3 epochs, not 36)
    batches = dict(batch_size=16) if solver == "async" else {}
    model = fit_with([stop_at_three], X, y, solver=solver, n_threads=2, max_iter=50, **batches)
    assert calls == [1, 2, 3]
    assert model.n_iter_ == 3 and len(model.history_) == 3
    assert model.t_ == 1 + 3 * X.shape[0]
    assert model.score(X, y) > 0.7


def test_only_false_stops(problem):
    X, y = problem
    model = fit_with([lambda r: None, lambda r: 0, lambda r: []], X, y)
    assert model.n_iter_ == 6


def test_numpys_false_stops_too(problem):
    """`return accuracy > 0.8` gives NumPy's bool: its False stops as
    Python's does (it did not; found by a new-user trial)."""
    X, y = problem
    model = fit_with([lambda r: np.float64(r["epoch"]) < 2.0], X, y)
    assert model.n_iter_ == 2


def test_several_callbacks_all_run_and_any_false_stops(problem):
    X, y = problem
    seen = []
    model = fit_with([lambda r: seen.append(("a", r["epoch"])), lambda r: r["epoch"] != 2,
                      lambda r: seen.append(("c", r["epoch"]))], X, y)
    assert model.n_iter_ == 2
    assert seen == [("a", 1), ("c", 1), ("a", 2), ("c", 2)]


def test_a_single_callable_is_accepted(problem):
    X, y = problem
    seen = []
    fit_with(lambda r: seen.append(r["epoch"]), X, y, max_iter=2)
    assert seen == [1, 2]


@pytest.mark.parametrize("bad", [[1], ["print"], 3])
def test_callbacks_must_be_callables(problem, bad):
    X, y = problem
    with pytest.raises(TypeError, match="callbacks must be a list of callables"):
        fit_with(bad, X, y)


@pytest.mark.parametrize("solver", ["hogwild", "sequential", "local", "easgd", "async", "buckwild"])
def test_an_exception_in_a_callback_propagates_and_the_estimator_stays_usable(problem, solver):
    X, y = problem

    def fail(record):
        if record["epoch"] == 2:
            raise RuntimeError("stop here")

    model = hogwild.SGDClassifier(loss="log_loss", max_iter=5, tol=None, solver=solver, n_threads=2)
    with pytest.raises(RuntimeError, match="stop here"):
        model.fit(X, y, callbacks=[fail])
    assert not hasattr(model, "_fit_callbacks")
    model.fit(X, y)
    assert model.n_iter_ == 5


@pytest.mark.parametrize("estimator, n_classes", [("classifier", 2), ("classifier", 3), ("regressor", 1)])
def test_an_exception_in_a_callback_leaves_a_whole_estimator(problem, tmp_path, estimator, n_classes):
    """A callback's error propagated at once and left coef_ 1-D, no
    n_iter_, an empty history_ and t_ 1.0: predict ran on it, save refused
    it (a new user's trial). Now as a Ctrl-C: the epochs that finished,
    then the error, with the callback's frames in its traceback."""
    import traceback

    X, y = problem
    y = y if n_classes == 2 else np.arange(len(y)) % 3 if n_classes == 3 else y.astype(float)

    def fail_at_2(record):
        if record["epoch"] == 2:
            raise RuntimeError("stop here")

    kind = hogwild.SGDClassifier if estimator == "classifier" else hogwild.SGDRegressor
    model = kind(max_iter=5, tol=None, random_state=0)
    with pytest.raises(RuntimeError, match="stop here") as raised:
        model.fit(X, y, callbacks=[fail_at_2])
    assert "fail_at_2" in [frame.name for frame in traceback.extract_tb(raised.value.__traceback__)]
    rows = 1 if n_classes <= 2 else n_classes
    assert model.coef_.shape == ((rows, X.shape[1]) if estimator == "classifier" else (X.shape[1],))
    # (one-vs-rest: with callbacks the classes train one after another; those
    # after the class whose callback raised do not start, and keep zero weights)
    assert model.n_iter_ == 2 and [r["epoch"] for r in model.history_] == [1, 2]
    if n_classes == 3:
        assert {r["class"] for r in model.history_} == {0} and not np.any(model.coef_[1:])
    assert model.t_ == 1.0 + 2 * X.shape[0]
    model.save(tmp_path / "m.hwm")  # (refused before: coef_ of shape (n_features,))
    assert hogwild.load(tmp_path / "m.hwm").n_iter_ == 2


@pytest.mark.parametrize("n_classes", [2, 3])
def test_a_keyboard_interrupt_in_a_callback_keeps_the_epochs_that_finished(problem, n_classes):
    """Ctrl-C during an epoch runs its handler at the epoch callback's first
    line: the KeyboardInterrupt raised there is the signal's, so the fit
    stops as on a signal, every finished epoch (that one included) in the
    model, history_ and n_iter_, and then raises it (it propagated at once,
    and the class's epochs were lost from history_; found by a review)."""
    X, y = problem
    y = y if n_classes == 2 else np.arange(len(y)) % 3

    def interrupt_at_3(record):
        if record["epoch"] == 3:
            raise KeyboardInterrupt

    model = hogwild.SGDClassifier(max_iter=10, tol=None, random_state=0)
    with pytest.raises(KeyboardInterrupt):
        model.fit(X, y, callbacks=[interrupt_at_3])
    assert model.n_iter_ == 3 and [r["epoch"] for r in model.history_] == [1, 2, 3]
    assert np.all(np.isfinite(model.coef_)) and np.any(model.coef_ != 0.0)


def test_callbacks_run_on_the_calling_thread(problem):
    X, y = problem
    threads = set()
    fit_with([lambda r: threads.add(threading.get_ident())], X, y, n_threads=2)
    assert threads == {threading.get_ident()}


def test_one_vs_rest_records_name_the_class_and_false_stops_that_class(dna):
    X, y = dna
    seen = []

    def two_epochs_each(record):
        seen.append((record["class"], record["epoch"]))
        return record["epoch"] < 2

    model = hogwild.SGDClassifier(max_iter=20, tol=None, random_state=0).fit(X, y, callbacks=[two_epochs_each])
    assert seen == [(c, e) for c in (1.0, 2.0, 3.0) for e in (1, 2)]
    assert model.n_iter_ == 2
    assert model.score(X, y) > 0.8


def test_partial_fit_takes_callbacks_and_numbers_epochs_on(problem):
    X, y = problem
    model = hogwild.SGDClassifier(n_threads=1, random_state=0)
    seen = []
    for _ in range(3):
        model.partial_fit(X, y, classes=[-1.0, 1.0], callbacks=[lambda r: seen.append(r["epoch"])])
    assert seen == [1, 2, 3]


def test_regressor_callbacks(problem):
    X, y = problem
    records = []
    model = hogwild.SGDRegressor(max_iter=4, tol=None, n_threads=1, random_state=0).fit(
        X, y, callbacks=[records.append])
    assert len(records) == 4 and "class" not in records[0]
    np.testing.assert_array_equal(records[-1]["coef"].astype(model.coef_.dtype), model.coef_)


def test_verbose_shows_a_progress_bar_on_a_terminal(problem, capsys, monkeypatch):
    import hogwild._engine

    monkeypatch.setattr(hogwild._engine, "_is_terminal", lambda stream: True)
    X, y = problem
    hogwild.SGDClassifier(max_iter=3, tol=None, verbose=1, n_threads=1).fit(X, y)
    captured = capsys.readouterr()
    assert "3.0/3" in captured.err and "epoch" in captured.err
    assert captured.out.count("-- Epoch") == 3


def test_verbose_writes_plain_lines_and_no_bar_into_a_log(problem, capsys):
    """Issue 14: in a log (stderr not a terminal) the bar's redraws were
    noise; the epoch lines are what a log wants."""
    X, y = problem
    hogwild.SGDClassifier(max_iter=3, tol=None, verbose=1, n_threads=1).fit(X, y)
    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out.count("-- Epoch") == 3


def test_no_output_without_verbose(problem, capsys):
    X, y = problem
    hogwild.SGDClassifier(max_iter=3, tol=None, n_threads=1).fit(X, y)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def plateau():
    """Noisy least squares at a constant step: after a few epochs the
    objective wanders on a plateau, where 5 epochs in a row without a new
    best come soon."""
    rng = np.random.RandomState(0)
    X = rng.randn(300, 5)
    return X, X @ rng.randn(5) + rng.randn(300)


@pytest.mark.parametrize("solver", ["sequential", "hogwild"])
def test_tol_none_runs_max_iter_epochs_on_a_plateau(solver):
    X, y = plateau()
    common = dict(learning_rate="constant", eta0=0.05, max_iter=20, n_threads=1, random_state=0, solver=solver)
    model = hogwild.SGDRegressor(tol=None, **common).fit(X, y)
    assert model.n_iter_ == 20 and len(model.history_) == 20
    # any tolerance, even 0, stops sooner on this problem
    assert hogwild.SGDRegressor(tol=0.0, **common).fit(X, y).n_iter_ < 20


def test_history_numbers_epochs_on_and_elapsed_accumulates_across_partial_fit(problem):
    X, y = problem
    model = hogwild.SGDClassifier(n_threads=1, random_state=0)
    for _ in range(3):
        model.partial_fit(X, y, classes=[-1.0, 1.0])
    assert [r["epoch"] for r in model.history_] == [1, 2, 3]
    seconds = [r["seconds"] for r in model.history_]
    assert min(seconds) > 0
    assert [r["elapsed"] for r in model.history_] == pytest.approx(np.cumsum(seconds), rel=1e-12)


@pytest.mark.parametrize("solver", ["sequential", "hogwild", "async"])
def test_history_records_hold_plain_python_numbers(problem, solver):
    """Every figure of history_ a Python int or float (json.dumps takes them;
    NumPy's int64 it does not), staleness a list of ints, with early
    stopping's validation score too."""
    import json

    X, y = problem
    model = hogwild.SGDClassifier(solver=solver, n_threads=2, max_iter=3, tol=None, random_state=0,
                                  early_stopping=True, n_iter_no_change=5).fit(X, y)
    kinds = {"epoch": int, "objective": float, "seconds": float, "elapsed": float, "updates": int,
             "examples_per_second": float, "validation_score": float, "threads": int, "stale_dropped": int}
    assert len(model.history_) == 3
    for record in model.history_:
        for key, value in record.items():
            if key == "staleness":
                assert isinstance(value, list) and all(type(c) is int for c in value)
            else:
                assert type(value) is kinds[key], (key, type(value))
        json.dumps(record)
    assert ("staleness" in model.history_[0]) == (solver == "async")


def test_one_vs_rest_history_numbers_epochs_across_partial_fit_calls():
    """As a binary model's (1, 2, 3): every class's records read epoch 1
    in every call (a new user's trial)."""
    X = np.random.default_rng(0).normal(size=(60, 3))
    for labels in (np.arange(60) % 2, np.arange(60) % 3):
        model = hogwild.SGDClassifier(random_state=0)
        seen = []
        for _ in range(3):
            model.partial_fit(X, labels, classes=np.unique(labels), callbacks=[seen.append])
        for records in (model.history_, seen):  # (the callbacks' records too)
            by_class = {}
            for record in records:
                by_class.setdefault(record.get("class"), []).append(record["epoch"])
            assert all(epochs == [1, 2, 3] for epochs in by_class.values()), by_class
        # history_ trimmed to its last records, as save's advice says: the numbers go on
        model.history_ = [r for r in model.history_ if r["epoch"] >= 3]
        model.partial_fit(X, labels)
        assert all(r["epoch"] == 4 for r in model.history_[-(1 if len(set(labels)) == 2 else 3):])
