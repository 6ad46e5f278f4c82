"""Data: the svmlight/libsvm reader, the shipped a9a and generated problems."""

import bz2
import gzip
import numbers
import os
import zlib
from importlib.resources import files

import numpy as np
import scipy.sparse as sp

A9A_FEATURES = 123  # the test split never uses the last feature
INT32_MAX = np.iinfo(np.int32).max


def _thread_count(n_threads):
    """The threads of a parallel call of the core made now on the calling thread."""
    from . import _core
    from ._engine import MAX_THREADS_PER_CPU, default_thread_count, team_threads

    if n_threads is None:
        return team_threads(default_thread_count())
    if isinstance(n_threads, bool) or not isinstance(n_threads, numbers.Integral) or n_threads < 1:
        raise ValueError(f"n_threads must be None or an integer >= 1, got {n_threads!r}")
    # (at most as many as the estimators take: 2**40 was pybind11's TypeError)
    return team_threads(min(int(n_threads), MAX_THREADS_PER_CPU * _core.usable_cpu_count()))


def _read_text(source):
    """(name for messages, bytes) of a path (plain, .gz or .bz2) or a binary file object."""
    if hasattr(source, "read"):
        text = source.read()
        if not isinstance(text, (bytes, bytearray)):
            raise TypeError(f"{getattr(source, 'name', 'the file object')}: must be opened in binary mode ('rb')")
        return str(getattr(source, "name", "<file object>")), text
    if not isinstance(source, (str, bytes, os.PathLike)):
        raise TypeError(f"expected a path or a binary file object, got {type(source).__name__}")
    path = os.fsdecode(os.fspath(source))
    with open(path, "rb") as raw:  # a missing file raises FileNotFoundError naming it
        opener = gzip.open if path.endswith(".gz") else bz2.open if path.endswith(".bz2") else None
        if opener is None:
            return path, raw.read()
        try:
            with opener(raw) as decompressed:
                return path, decompressed.read()
        except (OSError, EOFError, ValueError, zlib.error) as error:
            raise ValueError(f"{path}: cannot decompress: {error}") from None


def load_svmlight_files(files, n_features=None, dtype=np.float32, zero_based="auto", query_id=False,
                        n_threads=None):
    """Read several svmlight/libsvm files with one shared feature count.

    Like :func:`sklearn.datasets.load_svmlight_files` (same output, same
    rules: ``#`` comments, ``qid:``, sorted unique indices per row), but each
    file is parsed by several threads in C++.

    Parameters
    ----------
    files : list of path or binary file object
        Paths ending in ``.gz`` or ``.bz2`` are decompressed.
    n_features : int, default=None
        Column count of every matrix; None: the largest index seen + 1.
    dtype : {np.float32, np.float64}, default=np.float32
        Type of the values (labels are always float64).
    zero_based : bool or "auto", default="auto"
        Whether index 0 is the first column; "auto": zero-based unless no
        file uses index 0 (then the indices are shifted down by one).
    query_id : bool, default=False
        Also return each row's ``qid`` (-1 where a row has none).
    n_threads : int, default=None
        Threads used to parse (None: all usable CPUs, at most ``OMP_NUM_THREADS``
        or a threadpoolctl limit on OpenMP; more than 16 per usable CPU read
        as 16 per CPU).

    Returns
    -------
    [X1, y1, X2, y2, ...] (with ``qid`` after each ``y`` when query_id)
        CSR matrices with int32 indices while they fit (int64 beyond).

    Raises
    ------
    ValueError
        Naming the file and line of a malformed line, or a bad argument.
    """
    return _read_svmlight_files(files, n_features, dtype, zero_based, query_id, n_threads)[0]


def _read_svmlight_files(files, n_features, dtype, zero_based, query_id, n_threads):
    """(load_svmlight_files's list, whether the indices were read zero-based):
    the numbering "auto" chose, which the command line keeps in a model file
    so that `predict` reads another file as the training file was read (a
    file without index 0 read on its own is shifted by one column)."""
    from . import _core

    if isinstance(files, (str, bytes, os.PathLike)) or hasattr(files, "read"):
        raise TypeError("files must be a list of paths or file objects (use load_svmlight for one)")
    files = list(files)
    if not files:
        raise ValueError("files must name at least one file")
    dtype, zero_based = _checked_reader_arguments(dtype, zero_based, n_features)
    threads = _thread_count(n_threads)

    parsed = []
    for source in files:
        name, text = _read_text(source)
        try:
            parsed.append((name, _core.parse_svmlight(text, threads)))
        except ValueError as error:
            raise ValueError(f"{name}, {error}") from None
        del text  # parsed: the text can go before the next file is read

    shift, n_features = _index_layout([(name, p.nnz, p.min_index, p.max_index) for name, p in parsed],
                                      zero_based, n_features)
    int64_indices = n_features > INT32_MAX or any(p.nnz > INT32_MAX for _, p in parsed)
    result = []
    for k, (_, p) in enumerate(parsed):
        parsed[k] = None  # each file's parsed chunks go once it is assembled
        result += _assembled(p, shift, n_features, dtype, int64_indices, query_id, threads)
    return result, shift == 0


def _checked_reader_arguments(dtype, zero_based, n_features):
    """(dtype, zero_based) as the readers take them, or ValueError."""
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64, got {dtype}")
    if isinstance(zero_based, str) and zero_based == "auto":
        pass
    elif isinstance(zero_based, (bool, np.bool_)):
        zero_based = bool(zero_based)
    else:
        raise ValueError(f"zero_based must be True, False or 'auto', got {zero_based!r}")
    if n_features is not None and (isinstance(n_features, bool) or not isinstance(n_features, numbers.Integral)
                                   or not 1 <= n_features <= np.iinfo(np.int64).max):
        # (2**63 and beyond: an OverflowError in SciPy before)
        raise ValueError(f"n_features must be None or an integer >= 1 and < 2**63 (a sparse matrix's "
                         f"column count), got {n_features!r}")
    return dtype, zero_based


def _index_layout(extents, zero_based, n_features):
    """(shift, n_features) for parsed text whose pieces have the extents
    [(name, nnz, smallest index, largest index)]: one-based (shift 1) when
    zero_based is False, or "auto" and every piece has entries and no index
    0; the column count from the largest index unless given (ValueError
    when the data needs more, or has index 0 while one-based)."""
    one_based = zero_based is False or (zero_based == "auto" and all(nnz and low > 0 for _, nnz, low, _ in extents))
    shift = 1 if one_based else 0
    for name, nnz, low, _ in extents:
        if shift and nnz and low == 0:
            raise ValueError(f"{name}: feature index 0 in a file read as one-based (zero_based=False)")
    needed = max((high - shift + 1) if nnz else 1 for _, nnz, _, high in extents)
    if needed > np.iinfo(np.int64).max:  # (a column count SciPy cannot hold)
        name = next(name for name, nnz, _, high in extents if nnz and high - shift + 1 == needed)
        raise ValueError(f"{name}: feature index {needed - 1 + shift} needs {needed} columns, more than a "
                         f"sparse matrix can hold ({np.iinfo(np.int64).max})")
    if n_features is None:
        n_features = needed
    elif n_features < needed:
        name = next(name for name, nnz, _, high in extents if nnz and high - shift + 1 == needed)
        raise ValueError(f"n_features={n_features}, but {name} has {needed} features "
                         f"(largest index {needed - 1 + shift}, {'one' if shift else 'zero'}-based)")
    return shift, n_features


def _assembled(parsed, shift, n_features, dtype, int64_indices, query_id, threads):
    """[X, y] (and qid) from one parsed text."""
    data, indices, indptr, y, qid = parsed.assemble(float64=dtype == np.float64, int64_indices=int64_indices,
                                                    shift=shift, want_qids=bool(query_id), n_threads=threads)
    X = sp.csr_matrix((data, indices, indptr), shape=(parsed.n_rows, n_features), copy=False)
    return [X, y, qid] if query_id else [X, y]


def load_svmlight(f, n_features=None, dtype=np.float32, zero_based="auto", query_id=False, n_threads=None):
    """Read one svmlight/libsvm file: ``X, y`` (``X, y, qid`` with query_id).

    See :func:`load_svmlight_files` for the parameters.
    """
    return tuple(load_svmlight_files([f], n_features=n_features, dtype=dtype, zero_based=zero_based,
                                     query_id=query_id, n_threads=n_threads))


def load_a9a():
    """UCI Adult as LIBSVM's binary "a9a" (Platt's preprocessing).

    32,561 training and 16,281 test rows, 123 binary features, labels -1/+1.
    Source: LIBSVM data sets (from UCI Adult, CC BY 4.0).

    Returns
    -------
    X_train, y_train, X_test, y_test
        float32 CSR matrices (int32 indices) and float64 label arrays.
    """
    data = files("hogwild") / "data"
    opened = [(data / name).open("rb") for name in ("a9a.gz", "a9a.t.gz")]
    try:
        return tuple(load_svmlight_files([gzip.GzipFile(fileobj=f) for f in opened], n_features=A9A_FEATURES))
    finally:
        for f in opened:
            f.close()


def write_a9a(folder):
    """Write the shipped a9a as the svmlight files ``a9a`` and ``a9a.t``
    (LIBSVM's names, uncompressed) into ``folder`` (created if missing).

    Returns
    -------
    (train_path, test_path) : tuple of str
    """
    os.makedirs(folder, exist_ok=True)
    data = files("hogwild") / "data"
    written = []
    for packed, name in (("a9a.gz", "a9a"), ("a9a.t.gz", "a9a.t")):
        path = os.path.join(os.fspath(folder), name)
        with (data / packed).open("rb") as source, gzip.GzipFile(fileobj=source) as text, open(path, "wb") as out:
            out.write(text.read())
        written.append(path)
    return tuple(written)


def _generated(regression, n_samples, n_features, nnz_per_row, popularity, zipf_exponent, noise, random_state,
               n_threads, return_coef):
    from . import _core

    for name, value in (("n_samples", n_samples), ("n_features", n_features), ("nnz_per_row", nnz_per_row)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    if nnz_per_row > n_features:
        raise ValueError(f"nnz_per_row ({nnz_per_row}) must be at most n_features ({n_features}): "
                         "a row's features are distinct")
    if (isinstance(random_state, bool) or not isinstance(random_state, numbers.Integral)
            or not 0 <= random_state < 2**64):  # (2**64: a pybind11 TypeError before)
        raise ValueError(f"random_state must be an integer >= 0 and < 2**64, got {random_state!r}")
    if popularity not in ("zipf", "uniform"):
        raise ValueError(f"popularity must be 'zipf' or 'uniform', got {popularity!r}")
    if not _is_real(zipf_exponent) or not np.isfinite(zipf_exponent) or zipf_exponent <= 0:
        raise ValueError(f"zipf_exponent must be a number > 0, got {zipf_exponent!r}")
    data, indices, indptr, y, coef = _core.make_sparse_problem(
        int(n_samples), int(n_features), int(nnz_per_row), popularity == "zipf", float(zipf_exponent),
        regression, float(noise), int(random_state), _thread_count(n_threads),
    )
    if not np.all(np.isfinite(y)):  # (noise=1e308: targets float64 cannot hold, handed back before)
        raise ValueError(f"noise={noise!r} makes targets beyond float64's range")
    X = sp.csr_matrix((data, indices, indptr), shape=(int(n_samples), int(n_features)), copy=False)
    return (X, y, coef) if return_coef else (X, y)


def _is_real(value):
    """A real number (not a bool, not a string): the generators' float arguments."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def make_sparse_classification(n_samples=1_000_000, n_features=100_000, nnz_per_row=40, *,
                               popularity="zipf", zipf_exponent=1.1, label_noise=0.05,
                               random_state=0, n_threads=None, return_coef=False):
    """A generated sparse binary classification problem (written in C++).

    Each row has ``nnz_per_row`` distinct features of value
    ``1/sqrt(nnz_per_row)``; feature popularity follows Zipf's law by rank
    (like words in text) or is uniform; labels are the sign (-1/+1) of
    ``X @ coef`` for a hidden Gaussian weight vector ``coef``, with a
    fraction ``label_noise`` flipped.

    Parameters
    ----------
    n_samples, n_features, nnz_per_row : int
        Shape and density (at most 2**31 - 1 nonzeros).
    popularity : {"zipf", "uniform"}, default="zipf"
    zipf_exponent : float, default=1.1
    label_noise : float, default=0.05
    random_state : int, default=0
        The result depends on this seed only (not on ``n_threads``).
    n_threads : int, default=None
        Threads used to generate (None: all usable CPUs, at most ``OMP_NUM_THREADS``
        or a threadpoolctl limit on OpenMP).
    return_coef : bool, default=False
        Also return the hidden weights.

    Returns
    -------
    X : scipy.sparse.csr_matrix of float32, int32 indices
    y : ndarray of float64
    coef : ndarray of float64, when return_coef
    """
    if not _is_real(label_noise) or not 0.0 <= label_noise <= 1.0:
        raise ValueError(f"label_noise must be a number in [0, 1], got {label_noise!r}")
    return _generated(False, n_samples, n_features, nnz_per_row, popularity, zipf_exponent, label_noise,
                      random_state, n_threads, return_coef)


def make_sparse_regression(n_samples=1_000_000, n_features=100_000, nnz_per_row=40, *,
                           popularity="zipf", zipf_exponent=1.1, noise=0.1,
                           random_state=0, n_threads=None, return_coef=False):
    """A generated sparse regression problem (written in C++).

    Rows as in :func:`make_sparse_classification`; targets are
    ``X @ coef + noise * N(0, 1)`` for a hidden Gaussian weight vector
    ``coef``.

    Parameters
    ----------
    noise : float, default=0.1
        Standard deviation of the Gaussian noise added to the targets.
    (the others as in make_sparse_classification)

    Returns
    -------
    X : scipy.sparse.csr_matrix of float32, int32 indices
    y : ndarray of float64
    coef : ndarray of float64, when return_coef
    """
    if not _is_real(noise) or not np.isfinite(noise) or noise < 0:
        raise ValueError(f"noise must be a number >= 0, got {noise!r}")
    return _generated(True, n_samples, n_features, nnz_per_row, popularity, zipf_exponent, noise,
                      random_state, n_threads, return_coef)


from ._rating_datasets import load_movielens, make_ratings  # noqa: E402  (rating data for MatrixFactorization)
