"""The suite's own rules about data: a9a falls back to the shipped copy, and
under CI a test skipped for a missing data set fails."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import MISSING_DATA, load_a9a_arrays, packaged_a9a_files

ROOT = Path(__file__).resolve().parents[1]


def test_a9a_without_shared_data_is_the_shipped_copy(tmp_path):
    """The fallback has the shared fixture's format: float64 CSR with int32
    indices, 123 features, labels -1/+1, and the LIBSVM split sizes."""
    X, y, X_test, y_test = load_a9a_arrays(tmp_path)  # an empty folder: no shared data
    assert X.shape == (32_561, 123) and X_test.shape == (16_281, 123)
    for matrix in (X, X_test):
        assert matrix.format == "csr" and matrix.dtype == np.float64
        assert matrix.indices.dtype == np.int32 and matrix.indptr.dtype == np.int32
    assert set(np.unique(y)) == set(np.unique(y_test)) == {-1.0, 1.0}
    assert y.dtype == y_test.dtype == np.float64
    # the same rows as the packaged files read by scikit-learn
    from sklearn.datasets import load_svmlight_files

    reference = load_svmlight_files([str(p) for p in packaged_a9a_files(tmp_path)], n_features=123)
    assert (X != reference[0]).nnz == 0 and (X_test != reference[2]).nnz == 0
    np.testing.assert_array_equal(y, reference[1])


def run_pytest(test_id, ci):
    env = {key: value for key, value in os.environ.items() if key != "CI"}
    env["HOGWILD_SHARED_DATA"] = str(ROOT / "no-such-data-folder")
    if ci:
        env["CI"] = "1"
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", test_id],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("ci", [False, True])
def test_missing_data_skips_locally_and_fails_under_ci(ci):
    """A dna test (no shipped copy) with the data folder pointed elsewhere."""
    out = run_pytest("tests/test_callbacks.py::test_one_vs_rest_records_name_the_class_and_false_stops_that_class",
                     ci)
    if ci:
        assert out.returncode == 1, out.stdout + out.stderr
        assert "1 error" in out.stdout and "skipped for missing data while CI is set" in out.stdout
    else:
        assert out.returncode == 0, out.stdout + out.stderr
        assert "1 skipped" in out.stdout and MISSING_DATA in out.stdout  # -rs: the reason is shown


def test_a9a_tests_run_under_ci_without_shared_data():
    out = run_pytest("tests/test_svmlight.py::test_files_share_one_feature_count", ci=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "1 passed" in out.stdout
