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
