"""scikit-learn's reader as the oracle for hogwild.datasets.load_svmlight_files
on sets of several files, where the files decide things together: the index
base (zero_based="auto": zero-based for all files as soon as one file uses
index 0, or has no feature at all) and the shared feature count.

catches: zero_based="auto" decided per file instead of for all files
together, a feature count taken from one file only, qids / labels of one
file attached to another, an empty or feature-less file breaking the rest.
"""

import bz2
import gzip
import io

import numpy as np
import pytest
from sklearn.datasets import load_svmlight_files as sklearn_load_files

from hogwild.datasets import load_svmlight_files

ONE_BASED = b"1 1:0.5 3:2\n-1 2:1.5 4:-1\n2 4:3\n"                  # smallest index 1
ZERO_BASED = b"-1 0:1 2:0.25\n1 1:-2 5:4\n"                          # uses index 0
ONE_BASED_WIDE = b"0 2:1 9:0.5\n1 7:-3\n"                            # smallest index 2, largest 9
NO_FEATURES = b"1\n-1\n"                                            # rows, but no feature at all
EMPTY = b""                                                         # no rows
COMMENTS_ONLY = b"# nothing but a comment\n\n"
WITH_QIDS = b"3 qid:1 1:1 2:2\n1 qid:1 3:1\n2 qid:7 1:0.5\n"
ZERO_BASED_QIDS = b"0 qid:2 0:1\n1 qid:2 4:1\n"

SETS = {
    "one-then-zero": [ONE_BASED, ZERO_BASED],
    "zero-then-one": [ZERO_BASED, ONE_BASED],
    "zero-in-the-middle": [ONE_BASED, ZERO_BASED, ONE_BASED_WIDE],
    "all-one-based": [ONE_BASED, ONE_BASED_WIDE],
    "one-based-and-featureless": [ONE_BASED, NO_FEATURES],
    "featureless-first": [NO_FEATURES, ONE_BASED_WIDE],
    "one-based-and-empty": [ONE_BASED, EMPTY, ONE_BASED_WIDE],
    "comments-only-and-zero": [COMMENTS_ONLY, ZERO_BASED],
    "single-zero-based": [ZERO_BASED],
    "qids-mixed-bases": [WITH_QIDS, ZERO_BASED_QIDS],
}


def write(tmp_path, contents):
    paths = []
    for k, content in enumerate(contents):
        path = tmp_path / f"part{k}.svm"
        path.write_bytes(content)
        paths.append(path)
    return paths


def assert_same_outputs(ours, reference, per_file):
    assert len(ours) == len(reference)
    for k in range(0, len(reference), per_file):
        X, X_ref = ours[k], reference[k]
        assert X.shape == X_ref.shape
        assert X.dtype == X_ref.dtype
        X_ref = X_ref.tocsr()
        np.testing.assert_array_equal(X.indptr, X_ref.indptr)
        np.testing.assert_array_equal(X.indices, X_ref.indices)
        np.testing.assert_array_equal(X.data, X_ref.data)
        for extra in range(1, per_file):  # labels, then qids
            np.testing.assert_array_equal(ours[k + extra], reference[k + extra])


@pytest.mark.parametrize("zero_based", ["auto", True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(SETS))
def test_multi_file_sets_read_as_scikit_learn_reads_them(tmp_path, name, dtype, zero_based):
    paths = [str(p) for p in write(tmp_path, SETS[name])]
    query_id = name.startswith("qids")
    ours = load_svmlight_files(paths, dtype=dtype, zero_based=zero_based, query_id=query_id)
    reference = sklearn_load_files(paths, dtype=dtype, zero_based=zero_based, query_id=query_id)
    assert_same_outputs(ours, reference, 3 if query_id else 2)


def test_one_zero_based_file_makes_every_file_zero_based(tmp_path):
    """Spelled out for the set the planted bug broke: the one-based file is
    not shifted when another file of the set uses index 0."""
    paths = [str(p) for p in write(tmp_path, [ONE_BASED, ZERO_BASED])]
    X1, _, X2, _ = load_svmlight_files(paths)
    assert X1.shape == (3, 6) and X2.shape == (2, 6)  # indices 0..5 in both files
    np.testing.assert_array_equal(X1.indices[:2], [1, 3])  # "1:0.5 3:2" kept as written
    per_file = [load_svmlight_files([path]) for path in paths]
    assert per_file[0][0].indices[0] == 0  # read alone, the one-based file is shifted


@pytest.mark.parametrize("name", ["one-then-zero", "zero-in-the-middle", "all-one-based"])
def test_one_based_reading_as_scikit_learn(tmp_path, name):
    """zero_based=False: every file is shifted; a file with index 0 is an
    error in both readers."""
    paths = [str(p) for p in write(tmp_path, SETS[name])]
    if name == "all-one-based":
        assert_same_outputs(load_svmlight_files(paths, zero_based=False),
                            sklearn_load_files(paths, zero_based=False, dtype=np.float32), 2)
    else:
        with pytest.raises(ValueError):
            sklearn_load_files(paths, zero_based=False)
        with pytest.raises(ValueError):
            load_svmlight_files(paths, zero_based=False)


@pytest.mark.parametrize("n_features", [10, 50])
@pytest.mark.parametrize("name", ["one-then-zero", "all-one-based", "one-based-and-featureless"])
def test_given_feature_count_as_scikit_learn(tmp_path, name, n_features):
    paths = [str(p) for p in write(tmp_path, SETS[name])]
    assert_same_outputs(load_svmlight_files(paths, n_features=n_features),
                        sklearn_load_files(paths, n_features=n_features, dtype=np.float32), 2)


@pytest.mark.parametrize("name", ["zero-in-the-middle", "all-one-based"])
def test_too_small_feature_count_is_refused_by_both(tmp_path, name):
    paths = [str(p) for p in write(tmp_path, SETS[name])]
    with pytest.raises(ValueError):
        sklearn_load_files(paths, n_features=3)
    with pytest.raises(ValueError, match="n_features=3"):
        load_svmlight_files(paths, n_features=3)


def test_file_objects_and_compressed_paths_mix(tmp_path):
    """A file object, a .gz and a .bz2 path in one set: the same result as
    scikit-learn's on the plain paths."""
    plain = [str(p) for p in write(tmp_path, [ONE_BASED, ZERO_BASED, ONE_BASED_WIDE])]
    gz = tmp_path / "b.svm.gz"
    gz.write_bytes(gzip.compress(ZERO_BASED))
    bz = tmp_path / "c.svm.bz2"
    bz.write_bytes(bz2.compress(ONE_BASED_WIDE))
    ours = load_svmlight_files([io.BytesIO(ONE_BASED), gz, bz])
    assert_same_outputs(ours, sklearn_load_files(plain, dtype=np.float32), 2)
