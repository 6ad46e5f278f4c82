"""Bad input gives a clear ValueError/TypeError naming the problem; nothing
reaches the C++ core that could make it read out of bounds."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone

import hogwild
from hogwild import _core

ESTIMATORS = [hogwild.SGDClassifier, hogwild.SGDRegressor]


def small_problem():
    rng = np.random.RandomState(0)
    X = rng.rand(20, 4)
    y = np.array([0, 1] * 10)
    return X, y


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_X(Estimator, bad):
    X, y = small_problem()
    X[3, 2] = bad
    with pytest.raises(ValueError, match="Input X contains (NaN|infinity)"):
        Estimator().fit(X, y)
    with pytest.raises(ValueError, match="Input X contains (NaN|infinity)"):
        Estimator().fit(sp.csr_matrix(X), y)


def test_non_finite_y_regressor():
    X, _ = small_problem()
    y = np.arange(20.0)
    y[5] = np.nan
    with pytest.raises(ValueError, match="Input y contains NaN"):
        hogwild.SGDRegressor().fit(X, y)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_wrong_shapes(Estimator):
    X, y = small_problem()
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        Estimator().fit(X, y[:-1])
    with pytest.raises(ValueError, match="Expected 2D array"):
        Estimator().fit(X[:, 0], y)
    fitted = Estimator(max_iter=5, tol=None).fit(X, y)
    with pytest.raises(ValueError, match="X has 3 features"):
        fitted.predict(X[:, :3])
    with pytest.raises(ValueError, match="sample_weight.shape"):
        Estimator().fit(X, y, sample_weight=np.ones(3))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_non_numeric_X(Estimator):
    X, y = small_problem()
    with pytest.raises((ValueError, TypeError)):
        Estimator().fit(X.astype(str).astype(object) + "x", y)
    with pytest.raises(ValueError, match="Complex data not supported"):
        Estimator().fit(X + 1j, y)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_empty_data(Estimator):
    with pytest.raises(ValueError, match="0 sample"):
        Estimator().fit(np.empty((0, 3)), np.empty(0))
    with pytest.raises(ValueError, match="0 feature"):
        Estimator().fit(np.empty((5, 0)), np.arange(5) % 2)


def test_single_class():
    X, _ = small_problem()
    with pytest.raises(ValueError, match="The number of classes has to be greater than one; got 1 class"):
        hogwild.SGDClassifier().fit(X, np.ones(20))


def corrupt(X, part, value):
    X = X.copy()
    getattr(X, part)[0] = value
    return X


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
def test_out_of_range_and_negative_csr_indices(Estimator, index_dtype):
    X, y = small_problem()
    X = sp.csr_matrix(X)
    X.indices = X.indices.astype(index_dtype)
    X.indptr = X.indptr.astype(index_dtype)
    with pytest.raises(ValueError, match="X.indices contains column index 4, out of range for 4 columns"):
        Estimator().fit(corrupt(X, "indices", 4), y)
    with pytest.raises(ValueError, match="negative column index"):
        Estimator().fit(corrupt(X, "indices", -1), y)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_malformed_indptr(Estimator):
    X, y = small_problem()
    X = sp.csr_matrix(X)
    bad = X.copy()
    bad.indptr = bad.indptr.copy()
    bad.indptr[5] = bad.indptr[6] + 1  # decreasing
    with pytest.raises(ValueError, match="indptr"):
        Estimator().fit(bad, y)
    bad = X.copy()
    bad.indptr = bad.indptr.copy()
    bad.indptr[-1] -= 1  # does not cover the stored values
    with pytest.raises(ValueError, match="indptr"):
        Estimator().fit(bad, y)


@pytest.mark.parametrize("params, message", [
    (dict(alpha=-1), "The 'alpha' parameter of SGDClassifier must be a float in the range"),
    (dict(max_iter=0), "The 'max_iter' parameter"),
    (dict(loss="squared_loss"), "The 'loss' parameter"),
    (dict(penalty="l3"), "The 'penalty' parameter"),
    (dict(n_threads=0), "The 'n_threads' parameter"),
    (dict(n_threads=100000), "n_threads=100000 is more than 16 threads for each of"),
    (dict(write="sometimes"), "The 'write' parameter"),
    (dict(solver="magic"), "The 'solver' parameter"),
    (dict(hot_features=-2), "The 'hot_features' parameter"),
    (dict(sync_every=0), "The 'sync_every' parameter"),
    (dict(shuffle_block_size=0), "The 'shuffle_block_size' parameter"),
    (dict(shuffle_buffer_blocks=0), "The 'shuffle_buffer_blocks' parameter"),
    (dict(shuffle_block_size="big"), "The 'shuffle_block_size' parameter"),
    (dict(learning_rate="optimal", alpha=0), "alpha must be > 0 since learning_rate is 'optimal'"),
    (dict(learning_rate="pa1", loss="log_loss"), "Learning rate 'pa1' only works with loss 'hinge'"),
])
def test_invalid_parameters(params, message):
    X, y = small_problem()
    with pytest.raises(ValueError, match=message):
        hogwild.SGDClassifier(**params).fit(X, y)


@pytest.mark.parametrize("solver", ["sequential", "hogwild", "local", "easgd"])
def test_divergence_is_a_clear_error(solver):
    X, y = small_problem()
    with pytest.raises(ValueError, match="Floating-point under-/overflow occurred at epoch #1"):
        hogwild.SGDRegressor(learning_rate="constant", eta0=1e100, max_iter=5, tol=None, solver=solver).fit(
            X * 1e200, y.astype(float))


def test_core_rejects_buffers_that_would_be_copied():
    """The core writes coef in place: it must refuse, not convert, a buffer
    of the wrong dtype or layout (a silent copy would lose the updates)."""
    X = np.ones((4, 3))
    y = np.array([1.0, -1.0, 1.0, -1.0])
    w = np.ones(4)
    options = hogwild.SGDClassifier()._core_options(
        loss="hinge", alpha=1e-4, learning_rate="optimal", max_iter=1, seed=0, weight_pos=1.0,
        weight_neg=1.0, classifier=True, sparse=False, n_samples=4)
    with pytest.raises(TypeError, match="coef has dtype float32, expected float64"):
        _core.train("hogwild", X, y, w, None, np.zeros(3, np.float32), np.zeros(1), None, None, options)
    with pytest.raises(ValueError, match="coef must be C-contiguous"):
        _core.train("hogwild", X, y, w, None, np.zeros(6)[::2], np.zeros(1), None, None, options)
    with pytest.raises(ValueError, match="coef must be writable"):
        coef = np.zeros(3)
        coef.flags.writeable = False
        _core.train("hogwild", X, y, w, None, coef, np.zeros(1), None, None, options)
    with pytest.raises(ValueError, match="y has 3 elements, expected 4"):
        _core.train("hogwild", X, y[:3], w, None, np.zeros(3), np.zeros(1), None, None, options)


def malformed_indptrs(X):
    """(what is wrong, X) pairs: an indptr that does not start at 0, and one
    with more than n_rows + 1 entries."""
    shifted = X.copy()
    shifted.indptr = shifted.indptr.copy()
    shifted.indptr[0] = 1
    longer = X.copy()
    longer.indptr = np.append(longer.indptr, longer.indptr[-1])
    return [("starts at 1", shifted), ("one entry too many", longer)]


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_indptr_must_start_at_zero_and_have_n_rows_plus_one_entries(Estimator):
    X, y = small_problem()
    for what, bad in malformed_indptrs(sp.csr_matrix(X)):
        with pytest.raises(ValueError, match="X.indptr"):
            Estimator(max_iter=2, tol=None).fit(bad, y)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_a_malformed_indptr_is_refused_at_predict(Estimator):
    """scikit-learn's prediction checks no CSR arrays (1.9 gives silently
    wrong predictions for both): every prediction path refuses them."""
    X, y = small_problem()
    fitted = Estimator(max_iter=2, tol=None).fit(sp.csr_matrix(X), y)
    for what, bad in malformed_indptrs(sp.csr_matrix(X)):
        with pytest.raises(ValueError, match="X.indptr"):
            fitted.predict(bad)
        with pytest.raises(ValueError, match="X.indptr"):
            fitted.score(bad, y)
        if hasattr(fitted, "decision_function"):
            with pytest.raises(ValueError, match="X.indptr"):
                fitted.decision_function(bad)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_n_threads_may_be_16_per_usable_cpu_and_no_more(Estimator, monkeypatch):
    monkeypatch.setattr(_core, "usable_cpu_count", lambda: 1)
    X, y = small_problem()
    Estimator(n_threads=16, max_iter=2, tol=None).fit(X, y)
    with pytest.raises(ValueError, match="n_threads=17 is more than 16 threads for each of the 1 CPUs"):
        Estimator(n_threads=17, max_iter=2, tol=None).fit(X, y)


def test_big_endian_csr_arrays_train_the_same_model():
    """CSR arrays in non-native byte order (read from a file written on
    another machine, say; SciPy keeps index arrays assigned after
    construction as they are) are converted, not refused by the core, and
    train the native arrays' model."""
    X, y = small_problem()
    X = sp.csr_matrix(X)
    swapped = X.copy()
    swapped.indices = swapped.indices.astype(">i4")
    swapped.indptr = swapped.indptr.astype(">i4")
    common = dict(max_iter=3, tol=None, n_threads=1, random_state=0)
    native = hogwild.SGDClassifier(**common).fit(X, y)
    np.testing.assert_array_equal(hogwild.SGDClassifier(**common).fit(swapped, y).coef_, native.coef_)


def hostile_csr(X):
    """CSR matrices whose arrays SciPy no longer checks once changed: column
    indices of 2**31 - 1 and -2**31, an indptr running past the end."""
    out = []
    for what, index in (("index 2**31-1", 2**31 - 1), ("index -2**31", -2**31)):
        bad = sp.csr_matrix(X)
        bad.indices = bad.indices.astype(np.int32)
        bad.indices[3] = index
        out.append((what, bad))
    past = sp.csr_matrix(X)
    past.indptr = past.indptr.copy()
    past.indptr[-1] += 5
    out.append(("indptr past the end", past))
    # int64 indices beside an int32 indptr: the pair is read with one index
    # type, and a narrowing cast wrapped 2**32 + 1 to 1, a valid column, past
    # the range check (a segfault in SciPy's product at predict, a wrong
    # model at fit)
    for what, index in (("int64 index 2**32+1", 2**32 + 1), ("int64 index -2**32", -2**32)):
        bad = sp.csr_matrix(X)
        bad.indices, bad.indptr = bad.indices.astype(np.int64), bad.indptr.astype(np.int32)
        bad.indices[0] = index
        out.append((what, bad))
    return out


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_every_prediction_path_refuses_hostile_csr_arrays(Estimator):
    """Issue 14, fault 1: these crashed the interpreter or read out of
    bounds at predict; now the ValueErrors of fit, at every entry point."""
    X, y = small_problem()
    params = dict(loss="log_loss") if Estimator is hogwild.SGDClassifier else {}
    fitted = Estimator(max_iter=2, tol=None, **params).fit(sp.csr_matrix(X), y)
    paths = [fitted.predict, lambda Z: fitted.score(Z, y)]
    if hasattr(fitted, "predict_proba"):
        paths += [fitted.decision_function, fitted.predict_proba, fitted.predict_log_proba]
    for what, bad in hostile_csr(X):
        for path in paths:
            with pytest.raises(ValueError, match=r"X\.(indices|indptr)"):
                path(bad)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("solver", ["hogwild", "minibatch"])
def test_fit_refuses_hostile_csr_arrays(Estimator, solver):
    """The same arrays at fit, before any solver or SciPy product reads them."""
    X, y = small_problem()
    for what, bad in hostile_csr(X):
        with pytest.raises(ValueError, match=r"X\.(indices|indptr)"):
            Estimator(solver=solver, max_iter=2, tol=None).fit(bad, y)


@pytest.mark.parametrize("value_dtype", [np.float32, np.float64])
@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
@pytest.mark.parametrize("n_threads", [1, 2, 3])
def test_the_csr_scan_is_numpys_min_max_and_row_norms(value_dtype, index_dtype, n_threads):
    """The one pass that validates a CSR X (_core.scan_csr) finds NumPy's
    smallest and largest column index and largest squared row norm (in
    double precision), and whether every row's indices increase, on any
    number of threads; (0, -1, 0.0, True) for a matrix that stores nothing;
    NaN or infinity where a value is not finite."""
    X = sp.random(301, 57, density=0.1, format="csr", random_state=1, dtype=np.float64)
    X.data = (X.data - 0.5) * 10.0
    X = X.astype(value_dtype)
    X.indices, X.indptr = X.indices.astype(index_dtype), X.indptr.astype(index_dtype)
    view = (X.data, X.indices, X.indptr, X.shape[0], X.shape[1])
    smallest, largest, norm, increasing = _core.scan_csr(view, n_threads)
    assert increasing
    for last_row in (False, True):  # (a row of the last thread's share too)
        swapped = X.indices.copy()
        start = X.indptr[-3] if last_row else X.indptr[7]
        swapped[start], swapped[start + 1] = swapped[start + 1], swapped[start]
        assert not _core.scan_csr((X.data, swapped, X.indptr, X.shape[0], X.shape[1]), n_threads)[3]
    squares = np.asarray(X.astype(np.float64).multiply(X.astype(np.float64)).sum(axis=1)).ravel()
    assert (smallest, largest) == (X.indices.min(), X.indices.max())
    assert norm == pytest.approx(squares.max(), rel=1e-12)
    empty = sp.csr_matrix((5, 3), dtype=value_dtype)
    assert _core.scan_csr((empty.data, empty.indices.astype(index_dtype), empty.indptr.astype(index_dtype), 5, 3),
                          n_threads) == (0, -1, 0.0, True)
    for bad, finite in ((np.nan, False), (np.inf, False), (-np.inf, False)):
        data = X.data.copy()
        data[7] = bad
        assert np.isfinite(_core.scan_csr((data, X.indices, X.indptr, X.shape[0], X.shape[1]), n_threads)[2]) == finite


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_float32_csr_is_refused_at_every_entry_point(Estimator, bad):
    """scikit-learn's message, from fit and partial_fit, for float32 CSR
    (whose values the estimators take in place, checked in the same pass
    as the indices)."""
    X, y = small_problem()
    X = sp.csr_matrix(X.astype(np.float32))
    X.data[11] = bad
    with pytest.raises(ValueError, match="Input X contains (NaN|infinity)"):
        Estimator().fit(X, y)
    kwargs = {"classes": [0, 1]} if Estimator is hogwild.SGDClassifier else {}
    with pytest.raises(ValueError, match="Input X contains (NaN|infinity)"):
        Estimator().partial_fit(X, y, **kwargs)


def test_values_whose_squares_overflow_are_finite_input():
    """1e200 is finite: its square overflows the row norm, which the
    validation then checks with scikit-learn's own test (it passes), and
    the step-size rule falls back to scikit-learn's rate (an overflow error
    from training names the problem, as scikit-learn's does)."""
    X, y = small_problem()
    X = sp.csr_matrix(X)
    X.data[0] = 1e200
    # (a fixed seed: in about 4% of the row orders the hinge loss meets that
    # row only where its margin is past 1, no step is taken and the model
    # stays finite; unseeded, the test failed once in a while)
    with pytest.raises(ValueError, match="Floating-point under-/overflow occurred at epoch"):
        hogwild.SGDClassifier(max_iter=2, tol=None, random_state=0).fit(X, y)


def split_entries(X):
    """X with every stored value stored as two halves in its row (duplicate
    entries: SciPy's arithmetic adds them up)."""
    return sp.csr_matrix((np.repeat(X.data / 2, 2), np.repeat(X.indices, 2), X.indptr * 2), shape=X.shape)


@pytest.mark.parametrize("n_threads", [1, 2])
def test_the_cores_duplicate_probe_agrees_with_scipy(n_threads):
    """The rows whose indices do not increase are sorted one at a time in a
    buffer (SciPy's sum_duplicates on copies of the index arrays took
    0.5 GB on 1M rows of 40 int64 indices, at every fit): the same answer
    as SciPy's on rows unsorted, duplicated apart ([3, 1, 3]), or both."""
    from hogwild import _core
    from hogwild._validation import core_view

    rng = np.random.default_rng(0)
    answers = set()
    for trial in range(200):
        n_rows, n_cols = int(rng.integers(1, 30)), int(rng.integers(1, 12))
        lengths = rng.integers(0, 6, n_rows)
        indices = np.concatenate([rng.choice(n_cols, size=k, replace=bool(trial % 3 == 0) or k > n_cols)
                                  for k in lengths])
        indptr = np.concatenate([[0], np.cumsum(lengths)])
        for index_type in (np.int32, np.int64):
            X = sp.csr_matrix((np.ones(len(indices)), indices.astype(index_type), indptr.astype(index_type)),
                              shape=(n_rows, n_cols))
            probe = X.copy()
            probe.sum_duplicates()
            assert _core.csr_stores_duplicates(core_view(X), n_threads) == (probe.nnz < X.nnz), (trial, X.indices)
            answers.add(probe.nnz < X.nnz)
    assert answers == {True, False}


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_duplicate_entries_are_refused_at_fit_and_accepted_at_predict(Estimator):
    """A value stored as two halves trained another model than the matrix
    SciPy sees (the step from the data took twice the first step; a new
    user's trial): fit and partial_fit refuse it, naming the in-place fix.
    Prediction, a product SciPy's way, takes it; so does fit once merged.
    Rows whose indices are merely unsorted are no duplicates: accepted."""
    X, y = small_problem()
    X = sp.csr_matrix(X)
    doubled = split_entries(X)
    estimator = Estimator(max_iter=3, tol=None, random_state=0, n_threads=1)
    message = r"X stores a column twice in one row .*X\.sum_duplicates\(\) merges them in place"
    with pytest.raises(ValueError, match=message):
        estimator.fit(doubled, y)
    partial = dict(classes=np.unique(y)) if Estimator is hogwild.SGDClassifier else {}
    with pytest.raises(ValueError, match=message):
        clone(estimator).partial_fit(doubled, y, **partial)
    fitted = clone(estimator).fit(X, y)
    np.testing.assert_allclose(fitted.decision_function(doubled) if hasattr(fitted, "decision_function")
                               else fitted.predict(doubled), fitted.predict(X) if not hasattr(fitted, "decision_function")
                               else fitted.decision_function(X), rtol=1e-12)
    doubled.sum_duplicates()
    np.testing.assert_allclose(clone(estimator).fit(doubled, y).coef_, fitted.coef_, rtol=1e-10)
    reversed_rows = X.copy()
    for i in range(X.shape[0]):
        part = slice(X.indptr[i], X.indptr[i + 1])
        reversed_rows.indices[part] = X.indices[part][::-1]
        reversed_rows.data[part] = X.data[part][::-1]
    reversed_rows.has_sorted_indices = False
    np.testing.assert_allclose(clone(estimator).fit(reversed_rows, y).coef_, fitted.coef_, rtol=1e-10)
