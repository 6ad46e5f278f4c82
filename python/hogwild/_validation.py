"""Input checks done before anything reaches the C++ core.

The core trusts its inputs (it indexes weights with the CSR column indices),
so everything that could make it read out of bounds is checked here, with
the GIL held, and reported as a ValueError/TypeError naming the argument.
"""

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import check_array, check_consistent_length, validate_data

from . import _core
from ._fork_safety import team_threads

SUPPORTED_INDEX_DTYPES = (np.dtype(np.int32), np.dtype(np.int64))


def check_csr_structure(X, name="X", *, refuse_duplicates=False):
    """Raise ValueError unless X's CSR arrays describe a valid matrix
    (`refuse_duplicates`: and no row stores a column twice).

    SciPy checks the structure when a matrix is built, not when its arrays
    are changed afterwards; an out-of-range index would make the core read
    outside the weight vector, so it is checked again here (O(nnz)).

    Returns the largest squared row norm of a float32/float64 X (NaN or
    infinite where a value is not finite; the core's scan_csr finds it in
    the same pass as the indices' range), None for other value types.
    """
    n_rows, n_cols = X.shape
    indptr, indices, data = X.indptr, X.indices, X.data
    for part, array in (("indptr", indptr), ("indices", indices)):
        # (a float array compares False with NaN, and its values would be
        # truncated to integers: 5.5 read as column 5)
        if not np.issubdtype(array.dtype, np.integer):
            raise TypeError(f"{name}.{part} must hold integers, got dtype {array.dtype}")
    if indptr.ndim != 1 or indptr.shape[0] != n_rows + 1:
        raise ValueError(
            f"{name}.indptr has shape {indptr.shape}, expected ({n_rows + 1},) "
            f"for a matrix with {n_rows} rows"
        )
    if indices.ndim != 1 or data.ndim != 1 or indices.shape[0] != data.shape[0]:
        raise ValueError(
            f"{name}.indices and {name}.data must be 1-D and of equal length, "
            f"got shapes {indices.shape} and {data.shape}"
        )
    if indptr[0] != 0:
        raise ValueError(f"{name}.indptr must start at 0, got {indptr[0]}")
    if indptr[-1] != indices.shape[0]:
        raise ValueError(
            f"{name}.indptr ends at {indptr[-1]} but {name} has {indices.shape[0]} "
            "stored values"
        )
    if n_rows > 0 and np.any(indptr[1:] < indptr[:-1]):
        raise ValueError(f"{name}.indptr must be non-decreasing")
    largest_squared_row_norm, rows_increasing = None, None
    if data.dtype in (np.float32, np.float64):
        threads = 1 if indices.shape[0] < SCAN_PARALLEL_MIN_VALUES else team_threads(_core.usable_cpu_count())
        smallest, largest, largest_squared_row_norm, rows_increasing = _core.scan_csr(core_view(X), threads)
    elif indices.shape[0] > 0:
        smallest, largest = indices.min(), indices.max()
    if indices.shape[0] > 0:
        if smallest < 0:
            raise ValueError(f"{name}.indices contains a negative column index ({smallest})")
        if largest >= n_cols:
            raise ValueError(
                f"{name}.indices contains column index {largest}, out of range "
                f"for {n_cols} columns"
            )
    if refuse_duplicates and rows_increasing is False and _stores_duplicates(X):
        # The step from the data (learning_rate="auto") takes a row's squared
        # norm from its stored values, and the replicas' penalty weights count
        # a feature's rows: a value stored as two halves trained another model
        # than the matrix SciPy's arithmetic sees (twice the first step).
        raise ValueError(
            f"{name} stores a column twice in one row (duplicate entries, which SciPy adds up); "
            f"{name}.sum_duplicates() merges them in place"
        )
    return largest_squared_row_norm


def _stores_duplicates(X):
    """Whether a row of X stores a column twice, for a CSR X whose rows'
    indices do not all increase (unsorted, or duplicated): in the core,
    each such row sorted in a small buffer (a probe through SciPy's
    sum_duplicates copied the index arrays on every fit)."""
    threads = 1 if X.nnz < SCAN_PARALLEL_MIN_VALUES else team_threads(_core.usable_cpu_count())
    return bool(_core.csr_stores_duplicates(core_view(X), threads))


def check_training_data(estimator, X, y, *, reset, y_numeric, y_checked=False):
    """Validate X and y as scikit-learn does, without copying a float CSR X.

    `y_checked`: y is the array scikit-learn's classifier ``_fit`` returned
    from its own ``validate_data(self, y=y)``; then X alone is validated and
    y's length checked against it (validating y a second time, with X, took
    70 of iris's 1,200 microseconds a fit).

    Returns X (a CSR matrix or a C-contiguous 2-D array of float32/float64)
    and y. Unlike scikit-learn's SGD, int64 CSR indices are accepted as they
    are (large matrices need them). A CSR X's values are checked for NaN and
    infinity in the pass that checks its indices (check_csr_structure), not
    by scikit-learn's own extra pass; its largest squared row norm, found
    there, is kept for learning_rate="auto" in ``estimator._row_norm_memo``
    (X's id and shape, the norm).
    """
    sparse = sp.issparse(X)
    checks = dict(accept_sparse="csr", dtype=[np.float64, np.float32], order="C", accept_large_sparse=True,
                  reset=reset, ensure_all_finite=not sparse)
    if y_checked:
        X = validate_data(estimator, X, **checks)
        check_consistent_length(X, y)
    else:
        X, y = validate_data(estimator, X, y, y_numeric=y_numeric, **checks)
    estimator._row_norm_memo = None
    if sp.issparse(X):
        norm = check_csr_structure(X, refuse_duplicates=True)
        if not np.isfinite(norm):
            # scikit-learn's own check and message (squares that overflow
            # pass it: the step-size rule handles an infinite norm)
            check_array(X, accept_sparse="csr", accept_large_sparse=True, dtype=None, input_name="X",
                        estimator=estimator)
        estimator._row_norm_memo = (id(X), X.shape, norm)
    return X, y


def _native(array):
    """The array itself when its byte order is native (the usual case)."""
    array = np.ascontiguousarray(array)
    return array if array.dtype.isnative else array.astype(array.dtype.newbyteorder("="))


def _index_arrays(X):
    """X's indices and indptr with one supported index type.

    The core reads both with one type; when they differ, the (read-only)
    index arrays are converted, never the values.
    """
    indices, indptr = _native(X.indices), _native(X.indptr)
    if indices.dtype == indptr.dtype and indices.dtype in SUPPORTED_INDEX_DTYPES:
        return indices, indptr
    int32_max = np.iinfo(np.int32).max
    fits_int32 = (X.nnz <= int32_max and X.shape[1] <= int32_max
                  and _values_fit_int32(indices) and _values_fit_int32(indptr))
    dtype = np.int32 if fits_int32 else np.int64
    return indices.astype(dtype, copy=False), indptr.astype(dtype, copy=False)


def _values_fit_int32(array):
    """Whether narrowing `array` to int32 keeps its values: a cast wraps
    2**32 + 1 to 1, a valid column index, past the core's range check; an
    array holding such values is widened instead, and the check refuses it."""
    if np.can_cast(array.dtype, np.int32) or array.size == 0:
        return True
    info = np.iinfo(np.int32)
    return bool(array.min() >= info.min and array.max() <= info.max)


def core_view(X):
    """What the core's `train` takes for X: a dense array or a CSR tuple."""
    if sp.issparse(X):
        indices, indptr = _index_arrays(X)
        return (_native(X.data), indices, indptr, X.shape[0], X.shape[1])
    return _native(X)


# Below this many stored values the CSR scan runs on the calling thread: one
# thread scans them in well under a millisecond, and a parallel region's
# idle OpenMP threads spin for a while after it (libgomp's default wait
# policy), on the cores a small one-vs-rest fit's classes train on next
# (dna.scale, 3 classes, 2 threads: 9.9 -> 7.8 ms a fit, as with
# OMP_WAIT_POLICY=passive).
SCAN_PARALLEL_MIN_VALUES = 1 << 20


def check_initial_parameters(coef_init, intercept_init):
    """Copies of a warm start's arrays to train in, as float64.

    ValueError naming the argument when one holds NaN or infinity (a solver
    would train from it, and the low-precision ones would silently turn it
    into a finite value). Copies: scikit-learn keeps the array it is given
    as ``coef_``, and training in place would overwrite the caller's
    array, which scikit-learn's own fit leaves as it was."""
    checked = []
    for name, value in (("coef_init", coef_init), ("intercept_init", intercept_init)):
        if value is not None:
            try:
                value = np.array(value, dtype=np.float64, order="C")
            except (TypeError, ValueError):
                pass  # (not numbers: scikit-learn's own check refuses it)
            else:
                if not np.all(np.isfinite(value)):
                    raise ValueError(f"{name} contains NaN or infinity")
        checked.append(value)
    return tuple(checked)
