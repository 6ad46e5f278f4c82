"""Generated problems: seeded, independent of the thread count, as documented."""

import numpy as np
import pytest

from hogwild.datasets import make_sparse_classification, make_sparse_regression


@pytest.mark.parametrize("make", [make_sparse_classification, make_sparse_regression])
def test_same_seed_same_problem_for_any_thread_count(make):
    X1, y1 = make(10_000, 5_000, 12, random_state=3, n_threads=1)
    X4, y4 = make(10_000, 5_000, 12, random_state=3, n_threads=4)
    assert (X1 != X4).nnz == 0 and np.array_equal(y1, y4)
    X_other, _ = make(10_000, 5_000, 12, random_state=4)
    assert (X1 != X_other).nnz > 0
    assert X1.dtype == np.float32 and X1.indices.dtype == np.int32 and X1.shape == (10_000, 5_000)
    assert np.all(np.diff(X1.indptr) == 12)
    assert all(np.all(np.diff(X1.indices[X1.indptr[i]:X1.indptr[i + 1]]) > 0) for i in range(100))


def test_regression_targets_are_hidden_weights_plus_noise():
    X, y, coef = make_sparse_regression(50_000, 2_000, 10, noise=0.3, random_state=0, return_coef=True)
    residual = y - X @ coef
    assert abs(residual.mean()) < 0.01
    assert residual.std() == pytest.approx(0.3, rel=0.02)
    X0, y0, coef0 = make_sparse_regression(1_000, 200, 5, noise=0.0, return_coef=True)
    np.testing.assert_allclose(y0, X0 @ coef0, rtol=1e-6, atol=1e-6)


def test_classification_labels_are_signs_with_the_stated_noise():
    X, y, coef = make_sparse_classification(50_000, 2_000, 10, label_noise=0.1, random_state=0, return_coef=True)
    assert set(np.unique(y)) == {-1.0, 1.0}
    flipped = np.mean(np.sign(X @ coef) != y)
    assert flipped == pytest.approx(0.1, abs=0.01)


def test_zipf_popularity_makes_some_features_hot():
    X_zipf, _ = make_sparse_classification(20_000, 10_000, 20, popularity="zipf")
    X_uniform, _ = make_sparse_classification(20_000, 10_000, 20, popularity="uniform")
    top = lambda X: np.sort(np.bincount(X.indices, minlength=X.shape[1]))[-10:].sum() / X.nnz  # noqa: E731
    assert top(X_zipf) > 0.1 > 0.01 > top(X_uniform)


@pytest.mark.parametrize("kwargs, message", [
    (dict(n_samples=0), "n_samples must be an integer >= 1"),
    (dict(nnz_per_row=2.5), "nnz_per_row must be an integer >= 1"),
    (dict(popularity="normal"), "popularity must be 'zipf' or 'uniform'"),
    (dict(noise=-1.0), "noise must be a number >= 0"),
    (dict(noise="0.1"), "noise must be a number >= 0"),
    (dict(noise=1e308), r"noise=1e\+308 makes targets beyond float64's range"),
    (dict(n_threads=0), "n_threads must be None or an integer >= 1"),
    (dict(nnz_per_row=11), r"nnz_per_row \(11\) must be at most n_features \(10\)"),
    (dict(random_state=None), "random_state must be an integer >= 0"),
    (dict(random_state=2**64), r"random_state must be an integer >= 0 and < 2\*\*64, got 18446744073709551616"),
    (dict(zipf_exponent="1"), "zipf_exponent must be a number > 0, got '1'"),
])
def test_bad_regression_parameters(kwargs, message):
    arguments = dict(n_samples=10, n_features=10, nnz_per_row=2) | kwargs
    with pytest.raises(ValueError, match=message):
        make_sparse_regression(**arguments)


def test_bad_classification_parameters():
    with pytest.raises(ValueError, match=r"label_noise must be a number in \[0, 1\]"):
        make_sparse_classification(10, 10, 2, label_noise=1.5)
    with pytest.raises(ValueError, match=r"label_noise must be a number in \[0, 1\], got '0.1'"):
        make_sparse_classification(10, 10, 2, label_noise="0.1")
    with pytest.raises(ValueError, match="at most 2"):
        make_sparse_classification(3_000_000, 10_000, 1_000)
    with pytest.raises(ValueError, match="at most 2"):  # rows x nonzeros would overflow 64 bits
        make_sparse_regression(2**62, 10, 4)


@pytest.mark.parametrize("n_features, nnz_per_row, zipf_exponent", [(2, 2, 60.0), (50, 40, 30.0), (1000, 1000, 3.0)])
def test_a_steep_popularity_fills_its_rows(n_features, nnz_per_row, zipf_exponent):
    """The rarest features' share below the running total's rounding: they
    could never be drawn and the row's draws ran forever (zipf_exponent=30:
    a hang Ctrl-C could not end; a new user's trial). A row takes the most
    popular features it did not draw."""
    X, y = make_sparse_classification(300, n_features, nnz_per_row, zipf_exponent=zipf_exponent, n_threads=1)
    assert np.all(np.diff(X.indptr) == nnz_per_row)
    assert all(len(set(X.indices[X.indptr[i]:X.indptr[i + 1]])) == nnz_per_row for i in range(300))
    again, _ = make_sparse_classification(300, n_features, nnz_per_row, zipf_exponent=zipf_exponent, n_threads=2)
    np.testing.assert_array_equal(again.indices, X.indices)


def test_ctrl_c_stops_a_large_generation():
    """Issue 14, fault 6: make_sparse_classification ran on for 20 s after
    SIGINT. It polls, as training does: KeyboardInterrupt within a few
    seconds (the whole 4M-row problem takes 10+ s here)."""
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent("""
        import os, signal, threading, time
        from hogwild.datasets import make_sparse_classification
        threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
        start = time.perf_counter()
        try:
            make_sparse_classification(4_000_000, 100000, 40, random_state=0)
            print("finished after %.2f s" % (time.perf_counter() - start))
        except KeyboardInterrupt:
            print("interrupted after %.2f s" % (time.perf_counter() - start))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    words = done.stdout.split()
    assert words[0] == "interrupted" and float(words[2]) < 5.0, done.stdout
