"""Shared fixtures: the real data sets in ../shared/data beside the project.

a9a is also shipped with the package (hogwild.datasets.load_a9a()): where
../shared/data is absent, the a9a fixtures use the shipped copy instead of
skipping. The other real data sets (dna, ...) are skipped when absent, with
the reason; with the environment variable CI set (.ci/run sets it) such a
skip is a failure, so that CI never passes without having run them.
(HOGWILD_SHARED_DATA names another folder to read them from.)
"""

import contextlib
import io
import os
import signal
import subprocess
import sys
import warnings
from importlib.resources import files
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_svmlight_file

DATA_DIR = Path(os.environ.get("HOGWILD_SHARED_DATA") or Path(__file__).resolve().parents[1].parent / "shared" / "data")
# every skip for a missing data set says this, so that CI can refuse it
MISSING_DATA = "real data set absent"
A9A_FEATURES = 123

# The Ctrl-C tests send SIGINT to a child Python. A shell without job control
# starts a background command (`pytest ... &`) with SIGINT ignored, a child
# inherits that through exec, and Python then installs no KeyboardInterrupt
# handler: every such test hung until its timeout. A handler, unlike an
# ignored signal, is reset to the default by exec, so the children start
# with Python's own.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


def skip_without(path):
    """Skip the calling test when the data file `path` is absent."""
    if not Path(path).exists():
        pytest.skip(f"{MISSING_DATA}: {path} (real data sets live in ../shared/data beside the project)")
    return Path(path)


def load_shared(name, n_features=None, dtype=np.float64):
    path = skip_without(DATA_DIR / name)
    X, y = load_svmlight_file(str(path), n_features=n_features, dtype=dtype)
    # scikit-learn's own SGD accepts only int32 indices
    X.indices = X.indices.astype(np.int32)
    X.indptr = X.indptr.astype(np.int32)
    return X, y


def load_a9a_arrays(data_dir=None):
    """(X_train, y_train, X_test, y_test), float64 CSR with int32 indices:
    ../shared/data's a9a where present, else the copy shipped with the package."""
    data_dir = DATA_DIR if data_dir is None else Path(data_dir)
    if (data_dir / "a9a").exists() and (data_dir / "a9a.t").exists():
        out = []
        for name in ("a9a", "a9a.t"):
            X, y = load_svmlight_file(str(data_dir / name), n_features=A9A_FEATURES, dtype=np.float64)
            out += [X, y]
    else:
        from hogwild.datasets import load_a9a

        out = list(load_a9a())  # float32 CSR, int32 indices, float64 labels
        out[0], out[2] = out[0].astype(np.float64), out[2].astype(np.float64)
    for X in out[0::2]:
        X.indices = X.indices.astype(np.int32)
        X.indptr = X.indptr.astype(np.int32)
    return tuple(out)


@pytest.fixture(scope="session")
def a9a():
    """(X_train, y_train, X_test, y_test), float64 CSR."""
    return load_a9a_arrays()


@pytest.fixture(scope="session")
def optimum(a9a):
    """(objective, its minimum): L2 logistic regression on a9a at ALPHA
    (test_convergence.py), minimized by L-BFGS to the last digits; the
    reference every solver's convergence is measured against."""
    from scipy.optimize import minimize

    from test_convergence import ALPHA, logistic_objective

    X, y, _, _ = a9a
    objective = logistic_objective(X, y, ALPHA)
    result = minimize(objective, np.zeros(X.shape[1] + 1), jac=True, method="L-BFGS-B",
                      options=dict(maxiter=5000, gtol=1e-10, ftol=1e-15))
    assert result.success
    return objective, result.fun


@pytest.fixture(scope="session")
def dna():
    """Statlog DNA: 3 classes, 180 features."""
    X, y = load_shared("dna.scale", n_features=180)
    return X, y


def packaged_a9a_files(folder):
    """The shipped a9a train / test files (gzipped svmlight), copied to `folder`."""
    paths = []
    for name in ("a9a.gz", "a9a.t.gz"):
        path = Path(folder) / name
        path.write_bytes((files("hogwild") / "data" / name).read_bytes())
        paths.append(path)
    return paths


@pytest.fixture(scope="session")
def a9a_files(tmp_path_factory):
    """Paths of the a9a training and test files (the shipped .gz copies where
    ../shared/data is absent)."""
    paths = [DATA_DIR / "a9a", DATA_DIR / "a9a.t"]
    if all(path.exists() for path in paths):
        return paths
    return packaged_a9a_files(tmp_path_factory.mktemp("a9a"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under CI, a test skipped for a missing data set fails instead."""
    outcome = yield
    report = outcome.get_result()
    if not (os.environ.get("CI") and report.skipped) or hasattr(report, "wasxfail"):
        return
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    if MISSING_DATA in reason:
        report.outcome = "failed"
        report.longrepr = f"skipped for missing data while CI is set (CI must run every data test): {reason}"


def dense_regression(seed, n_rows, coef, intercept=0.0, noise=0.1):
    """Rows with every entry nonzero (|x| in [0.2, 1], random signs), so that
    dense and CSR layouts hold the same rows; y = X coef + intercept + noise."""
    rng = np.random.RandomState(seed)
    coef = np.asarray(coef, dtype=float)
    X = rng.uniform(0.2, 1.0, size=(n_rows, len(coef))) * rng.choice([-1.0, 1.0], size=(n_rows, len(coef)))
    y = X @ coef + intercept + noise * rng.randn(n_rows)
    return X, y


def sparse_regression(seed, n_rows, coef, density, filler, noise=0.1):
    """Feature j present in a row with probability density[j] (so the
    per-feature scales n / rows(j) differ), one entry set to `filler` in
    every row (no empty row); y = X coef + noise."""
    rng = np.random.RandomState(seed)
    coef = np.asarray(coef, dtype=float)
    X = rng.uniform(0.2, 1.0, size=(n_rows, len(coef))) * (rng.rand(n_rows, len(coef)) < np.asarray(density))
    X[np.arange(n_rows), rng.randint(0, len(coef), n_rows)] = filler
    y = X @ coef + noise * rng.randn(n_rows)
    return X, y


class CommandTimeout(Exception):
    pass


def _command_timed_out(signum, frame):
    raise CommandTimeout("the command ran past run_cli's timeout")


def run_cli(*args, timeout=300, check=False):
    """`hogwild ARGS` as a user's shell runs it, in this process: main's
    exit status (argparse's for a usage error), what it wrote to stdout and
    stderr, and the warnings a user would see written to stderr (Python's
    default filters, not pytest's "error"). A command that runs past
    `timeout` seconds fails the test (SIGALRM; the core checks for signals
    as it does for Ctrl-C), as a subprocess's timeout did; the pyplot
    figures it opened are closed. `check`: a nonzero exit status fails the
    test (subprocess.run's check=True)."""
    stdout, stderr = io.StringIO(), io.StringIO()
    previous = signal.signal(signal.SIGALRM, _command_timed_out)
    signal.alarm(timeout)
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            status = _main_with_users_warnings(args)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        if "matplotlib.pyplot" in sys.modules:
            sys.modules["matplotlib.pyplot"].close("all")
    done = subprocess.CompletedProcess(["hogwild", *args], status or 0, stdout.getvalue(), stderr.getvalue())
    assert not check or done.returncode == 0, (done.returncode, done.stderr)
    return done


def _main_with_users_warnings(args):
    with warnings.catch_warnings():
        warnings.resetwarnings()
        warnings.simplefilter("default")
        for category in (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning):
            warnings.simplefilter("ignore", category)
        warnings.showwarning = show_on_stderr  # (pytest's capture would take them; restored on exit)
        try:
            from hogwild import cli

            return cli.main(list(args))
        except SystemExit as exit:
            return exit.code


def show_on_stderr(message, category, filename, lineno, file=None, line=None):
    sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))
