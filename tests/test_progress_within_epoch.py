"""Progress within an epoch: the core reports the share of an epoch's rows
done while the epoch runs (at most every ~200 ms), so that the progress bar
moves on long epochs instead of standing still until the epoch ends."""

import io
import sys

import numpy as np
import pytest

import hogwild
from hogwild import _core
from hogwild._progress import EpochReporter
from hogwild._validation import core_view
from hogwild.datasets import make_sparse_classification


@pytest.fixture(scope="module")
def long_epoch():
    """Rows enough that one epoch of the sequential solver takes about a
    second here (several of the hook's ~200 ms intervals)."""
    X, y = make_sparse_classification(2_000_000, 1_000, 10, random_state=0)
    return X, np.where(y > 0, 1.0, -1.0)


def session(X, y, solver):
    model = hogwild.SGDClassifier(solver=solver, n_threads=2 if solver == "hogwild" else None, random_state=0)
    options = model._core_options(loss="hinge", alpha=1e-4, learning_rate="optimal", max_iter=1, seed=1,
                                  weight_pos=1.0, weight_neg=1.0, classifier=True, sparse=True,
                                  n_samples=X.shape[0], n_threads=2 if solver == "hogwild" else 1)
    coef, intercept = np.zeros(X.shape[1]), np.zeros(1)
    return _core.Session(solver, core_view(X), y, np.ones(X.shape[0]), None, coef, intercept, None, None, options)


def test_the_core_reports_the_share_of_the_epoch_done(long_epoch):
    X, y = long_epoch
    fractions, epochs = [], []
    session(X, y, "sequential").run(2, epoch_callback=lambda record: epochs.append(len(fractions)),
                                    progress_callback=fractions.append)
    assert len(epochs) == 2
    within_first = fractions[:epochs[0]]
    assert len(within_first) >= 2, fractions  # (an epoch of about a second: a call every ~200 ms)
    assert all(0.0 < f < 1.0 for f in fractions)
    assert within_first == sorted(within_first)
    assert fractions[epochs[0]:] and fractions[epochs[0]] < within_first[-1]  # (the second epoch starts again)


def test_a_team_reports_its_calling_threads_share_times_its_size(long_epoch):
    """hogwild on 2 threads: the calling thread's rows times 2 (its epochs are
    short here, so the epochs are many)."""
    X, y = long_epoch
    fractions = []
    session(X, y, "hogwild").run(10, progress_callback=fractions.append)
    assert fractions and all(0.0 < f < 1.0 for f in fractions)


def test_an_exception_in_the_progress_callback_stops_training_and_is_handed_back(long_epoch):
    """As a Ctrl-C's: the run ends, its result holds the error for the
    caller to raise once the epochs that finished are recorded (the
    estimators do)."""
    X, y = long_epoch

    def fail(fraction):
        raise RuntimeError(f"stop at {fraction}")

    result = session(X, y, "sequential").run(3, progress_callback=fail)
    assert isinstance(result["interrupt"], RuntimeError) and str(result["interrupt"]).startswith("stop at")
    assert result["n_iter"] < 3


def test_the_bar_moves_within_an_epoch_and_lands_on_whole_epochs(monkeypatch):
    stderr = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stderr)
    reporter = EpochReporter(callbacks=[], verbose=0, progress=True, max_iter=3, problem=None,
                             use_average=lambda t: False)
    reporter.within_epoch(0.5)
    assert reporter.bar.n == 0.5
    assert "0.5/3" in stderr.getvalue()
    record = dict(objective=1.0, seconds=0.1, updates=10, examples_per_second=100.0, validation_score=float("nan"))
    reporter.after_epoch(record)
    assert reporter.bar.n == 1
    reporter.within_epoch(0.25)
    assert reporter.bar.n == 1.25
    reporter.after_epoch(record)
    assert reporter.bar.n == 2
    reporter.close()


def test_a_fit_on_a_terminal_hands_the_bar_to_the_core(monkeypatch, long_epoch):
    """verbose on a terminal: the engine passes the bar's within_epoch."""
    from hogwild import _engine

    seen = []
    monkeypatch.setattr(_engine, "_is_terminal", lambda stream: True)
    monkeypatch.setattr(EpochReporter, "within_epoch", lambda self, fraction: seen.append(fraction))
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    X, y = long_epoch
    hogwild.SGDClassifier(solver="sequential", max_iter=1, tol=None, verbose=1).fit(X, y)
    assert seen and all(0.0 < f < 1.0 for f in seen)
