"""Small real data sets shipped with the package."""

from importlib.resources import files

from sklearn.datasets import load_svmlight_file

A9A_FEATURES = 123  # the test split never uses the last feature


def load_a9a():
    """UCI Adult as LIBSVM's binary "a9a" (Platt's preprocessing).

    32,561 training and 16,281 test rows, 123 binary features, labels -1/+1.
    Source: LIBSVM data sets (from UCI Adult, CC BY 4.0).

    Returns
    -------
    X_train, y_train, X_test, y_test
        float32 CSR matrices and float64 label arrays.
    """
    import gzip

    import numpy as np

    data = files("hogwild") / "data"
    splits = []
    for name in ("a9a.gz", "a9a.t.gz"):
        with (data / name).open("rb") as raw, gzip.open(raw) as f:
            X, y = load_svmlight_file(f, n_features=A9A_FEATURES, dtype=np.float32)
        # int32 indices: what scikit-learn's own estimators accept
        X.indices = X.indices.astype(np.int32)
        X.indptr = X.indptr.astype(np.int32)
        splits += [X, y]
    return tuple(splits)


def make_sparse_classification(n_samples=1_000_000, n_features=100_000, nnz_per_row=40, *,
                               popularity="zipf", zipf_exponent=1.1, label_noise=0.05,
                               random_state=0, n_threads=None):
    """A generated sparse binary classification problem (written in C++).

    Each row has ``nnz_per_row`` distinct features of value
    ``1/sqrt(nnz_per_row)``; feature popularity follows Zipf's law by rank
    (like words in text) or is uniform; labels -1/+1 come from a hidden
    Gaussian weight vector with a fraction ``label_noise`` flipped.

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
        Threads used to generate (None: all usable CPUs).

    Returns
    -------
    X : scipy.sparse.csr_matrix of float32, int32 indices
    y : ndarray of float64
    """
    import scipy.sparse as sp

    from . import _core

    if popularity not in ("zipf", "uniform"):
        raise ValueError(f"popularity must be 'zipf' or 'uniform', got {popularity!r}")
    if not 0.0 <= label_noise <= 1.0:
        raise ValueError(f"label_noise must be in [0, 1], got {label_noise!r}")
    data, indices, indptr, y = _core.make_sparse_classification(
        int(n_samples), int(n_features), int(nnz_per_row), popularity == "zipf", float(zipf_exponent),
        float(label_noise), int(random_state), int(n_threads or _core.usable_cpu_count()),
    )
    X = sp.csr_matrix((data, indices, indptr), shape=(int(n_samples), int(n_features)), copy=False)
    return X, y
