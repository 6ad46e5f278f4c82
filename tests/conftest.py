"""Shared fixtures: the real data sets in ../shared/data beside the project."""

from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_svmlight_file

DATA_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def load_shared(name, n_features=None, dtype=np.float64):
    path = DATA_DIR / name
    if not path.exists():
        pytest.skip(f"{path} is absent (real data sets live in ../shared/data beside the project)")
    X, y = load_svmlight_file(str(path), n_features=n_features, dtype=dtype)
    # scikit-learn's own SGD accepts only int32 indices
    X.indices = X.indices.astype(np.int32)
    X.indptr = X.indptr.astype(np.int32)
    return X, y


@pytest.fixture(scope="session")
def a9a():
    """(X_train, y_train, X_test, y_test), float64 CSR."""
    X, y = load_shared("a9a", n_features=123)
    X_test, y_test = load_shared("a9a.t", n_features=123)
    return X, y, X_test, y_test


@pytest.fixture(scope="session")
def dna():
    """Statlog DNA: 3 classes, 180 features."""
    X, y = load_shared("dna.scale", n_features=180)
    return X, y


@pytest.fixture(scope="session")
def a9a_files():
    """Paths of the a9a training and test files."""
    paths = [DATA_DIR / "a9a", DATA_DIR / "a9a.t"]
    for path in paths:
        if not path.exists():
            pytest.skip(f"{path} is absent (real data sets live in ../shared/data beside the project)")
    return paths
