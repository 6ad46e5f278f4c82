"""The parallel svmlight reader: same output as scikit-learn's, clear errors."""

import bz2
import gzip
import io

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import dump_svmlight_file, load_svmlight_file, load_svmlight_files

from conftest import DATA_DIR, skip_without
from hogwild.datasets import load_a9a, load_svmlight
from hogwild.datasets import load_svmlight_files as hogwild_load_files

SHARED_FILES = ["a9a", "a9a.t", "agaricus.txt.train", "agaricus.txt.test", "dna.scale", "dna.scale.t",
                "heart_scale", "rcv1_small.svm"]


def assert_same(X, y, X_ref, y_ref):
    assert X.shape == X_ref.shape
    assert X.dtype == X_ref.dtype
    np.testing.assert_array_equal(X.indptr, X_ref.indptr)
    np.testing.assert_array_equal(X.indices, X_ref.indices)
    np.testing.assert_array_equal(X.data, X_ref.data)
    np.testing.assert_array_equal(y, y_ref)
    assert y.dtype == np.float64


def shared(name):
    return skip_without(DATA_DIR / name)


@pytest.mark.parametrize("name", SHARED_FILES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_shared_data_set_reads_as_scikit_learn_reads_it(name, dtype):
    path = shared(name)
    X, y = load_svmlight(path, dtype=dtype)
    assert isinstance(X, sp.csr_matrix) and X.indices.dtype == np.int32 and X.indptr.dtype == np.int32
    assert_same(X, y, *load_svmlight_file(str(path), dtype=dtype))
    X1, y1 = load_svmlight(path, dtype=dtype, n_threads=1)
    assert_same(X1, y1, X, y)


def test_files_share_one_feature_count(a9a_files):
    train, test = a9a_files
    ours = hogwild_load_files([train, test])
    reference = load_svmlight_files([str(train), str(test)], dtype=np.float32)
    assert ours[0].shape[1] == ours[2].shape[1] == 123
    assert_same(*ours[:2], *reference[:2])
    assert_same(*ours[2:], *reference[2:])


@pytest.mark.parametrize("suffix, compress", [(".gz", gzip.compress), (".bz2", bz2.compress)])
def test_compressed_files(tmp_path, suffix, compress):
    path = shared("heart_scale")
    packed = tmp_path / f"heart_scale{suffix}"
    packed.write_bytes(compress(path.read_bytes()))
    assert_same(*load_svmlight(packed), *load_svmlight(path))


def test_damaged_compressed_file_names_it(tmp_path):
    whole = gzip.compress(b"1 1:1\n" * 1000)
    packed = tmp_path / "cut.gz"
    packed.write_bytes(whole[:40])
    with pytest.raises(ValueError, match="cut.gz: cannot decompress"):
        load_svmlight(packed)
    flipped = bytearray(whole)
    flipped[20:40] = bytes(255 - b for b in flipped[20:40])
    packed = tmp_path / "flipped.gz"
    packed.write_bytes(bytes(flipped))
    with pytest.raises(ValueError, match="flipped.gz: cannot decompress"):
        load_svmlight(packed)


def test_more_threads_than_chunks():
    for n_threads in (1000, 2**40):  # (2**40: pybind11's TypeError before; at most 16 threads a CPU read)
        X, y = load_svmlight(io.BytesIO(b"1 1:2\n"), n_threads=n_threads)
        assert X.shape == (1, 1) and y[0] == 1


EDGE_CASES = (
    b"# a comment line\n"
    b"+1 1:0.5 3:-2.5e-3   # trailing comment 9:9\n"
    b"\n"
    b"-1\t2:1e3\t4:.25\r\n"
    b"   \n"
    b"2.5 1:+7 5:1E-2 \n"
    b"0 \n"                      # a row without features
    b"-0.75 3:0 5:-0.0"           # explicit zeros, no final newline
)


@pytest.mark.parametrize("zero_based", ["auto", True, False])
def test_comments_blank_lines_and_number_forms_as_scikit_learn(tmp_path, zero_based):
    path = tmp_path / "edge.svm"
    path.write_bytes(EDGE_CASES)
    for dtype in (np.float32, np.float64):
        X, y = load_svmlight(path, dtype=dtype, zero_based=zero_based)
        assert_same(X, y, *load_svmlight_file(str(path), dtype=dtype, zero_based=zero_based))
    assert X.shape == (5, 5 if zero_based is not True else 6)


def test_query_ids_as_scikit_learn(tmp_path):
    rng = np.random.default_rng(0)
    X = sp.random(50, 20, density=0.3, format="csr", random_state=0)
    y = rng.integers(0, 3, 50).astype(float)
    qid = np.sort(rng.integers(1, 6, 50))
    path = tmp_path / "ranked.svm"
    dump_svmlight_file(X, y, str(path), query_id=qid)
    X_ours, y_ours, qid_ours = load_svmlight(path, dtype=np.float64, query_id=True)
    X_ref, y_ref, qid_ref = load_svmlight_file(str(path), query_id=True)
    assert_same(X_ours, y_ours, X_ref, y_ref)
    np.testing.assert_array_equal(qid_ours, qid_ref)
    assert qid_ours.dtype == np.int64
    assert len(load_svmlight(path)) == 2  # qid read but not returned


def test_row_without_qid_gets_minus_one(tmp_path):
    path = tmp_path / "mixed.svm"
    path.write_bytes(b"1 qid:4 1:1\n0 2:1\n")
    np.testing.assert_array_equal(load_svmlight(path, query_id=True)[2], [4, -1])


def big_text(n_rows, seed=0):
    rng = np.random.default_rng(seed)
    X = sp.random(n_rows, 500, density=0.02, format="csr", random_state=seed, dtype=np.float64)
    X.data = np.round(rng.normal(size=X.nnz), 6)
    buffer = io.BytesIO()
    dump_svmlight_file(X, rng.choice([-1.0, 1.0], n_rows), buffer, zero_based=False)
    return buffer.getvalue()


def test_many_chunks_give_the_same_result_for_any_thread_count(tmp_path):
    path = tmp_path / "big.svm"
    path.write_bytes(big_text(20_000))  # several MB: dozens of chunks
    reference = load_svmlight_file(str(path), dtype=np.float32)
    for n_threads in (1, 2, 3, 8):
        assert_same(*load_svmlight(path, n_threads=n_threads), *reference)


def test_an_error_deep_in_a_big_file_names_its_line(tmp_path):
    lines = big_text(20_000).split(b"\n")
    lines[12_344] = b"1 3:1 oops"
    path = tmp_path / "late.svm"
    path.write_bytes(b"\n".join(lines))
    for n_threads in (1, 4):
        with pytest.raises(ValueError, match=r"late\.svm, line 12345: expected index:value, got 'oops'"):
            load_svmlight(path, n_threads=n_threads)


@pytest.mark.parametrize("text, message", [
    (b"1 1:1\n-1 2:oops\n", r"line 2: the value in '2:oops' is not a number"),
    (b"yes 1:1\n", r"line 1: the label 'yes' is not a number"),
    (b"1 1:1 2\n", r"line 1: expected index:value, got '2'"),
    (b"1 a:1\n", r"line 1: the feature index in 'a:1' is not an integer"),
    (b"1 -3:1\n", r"line 1: negative feature index in '-3:1'"),
    (b"1 5:1 3:1\n", r"line 1: feature indices must be sorted and unique, got 3 after 5"),
    (b"1 5:1 5:2\n", r"line 1: feature indices must be sorted and unique, got 5 after 5"),
    (b"1 1:1 qid:3\n", r"line 1: the feature index in 'qid:3' is not an integer"),
    (b"1 qid:x 1:1\n", r"line 1: the query id in 'qid:x' is not an integer"),
    (b"1 1:1\n\n# c\n1 99999999999999999999:1\n", r"line 4: the feature index in '9+:1' is not an integer"),
    (b"1 1:1\x00\n", r"line 1: the value in '1:1\\x00' is not a number"),
    (b"1 1:--1\n", r"line 1: the value in '1:--1' is not a number"),
    (b"+-1 1:1\n", r"line 1: the label '\+-1' is not a number"),
    (b"1 1:+-2\n", r"line 1: the value in '1:\+-2' is not a number"),
])
def test_malformed_lines_name_file_and_line(tmp_path, text, message):
    path = tmp_path / "bad.svm"
    path.write_bytes(text)
    with pytest.raises(ValueError, match=r"bad\.svm, " + message):
        load_svmlight(path)


def test_no_byte_sequence_crashes_the_reader():
    rng = np.random.default_rng(1)
    valid = bytearray(b"1 qid:2 1:0.5 7:1e-3 # c\n-1 2:3\n\n+1 4:-2.5 10:7\n")
    alphabet = np.frombuffer(b"0123456789:.-+eE#q \t\r\n\x00\xff", dtype=np.uint8)
    outcomes = set()
    for _ in range(3000):
        text = bytearray(valid * int(rng.integers(1, 4)))
        for _ in range(int(rng.integers(1, 6))):
            position = int(rng.integers(0, len(text)))
            if rng.random() < 0.5:
                text[position] = int(rng.choice(alphabet))
            else:
                del text[position:position + int(rng.integers(1, 5))]
        try:
            load_svmlight(io.BytesIO(bytes(text)), n_threads=2)
            outcomes.add("parsed")
        except ValueError:
            outcomes.add("ValueError")
    for _ in range(200):  # and pure noise
        try:
            load_svmlight(io.BytesIO(rng.bytes(int(rng.integers(0, 300)))))
        except ValueError:
            pass
    assert outcomes == {"parsed", "ValueError"}


def test_out_of_range_numbers_saturate_as_python_floats(tmp_path):
    tokens = ["1e400", "-1e400", "1e-400", "-1e-400", "1" + "0" * 400, "0." + "0" * 400 + "1", "123.5e308",
              "0.0001e-320", "4.9e-324", "2.5e-320"]
    path = tmp_path / "extreme.svm"
    path.write_text("".join(f"1 1:{token}\n" for token in tokens))
    X, _ = load_svmlight(path, dtype=np.float64)
    expected = np.array([float(token) for token in tokens])
    np.testing.assert_array_equal(X.toarray().ravel(), expected)
    np.testing.assert_array_equal(np.signbit(X.data), np.signbit(expected))


def test_zero_based_and_n_features(tmp_path):
    path = tmp_path / "one.svm"
    path.write_bytes(b"1 1:1 4:2\n-1 2:1\n")
    X, _ = load_svmlight(path)
    assert X.shape == (2, 4) and X[0, 0] == 1 and X[0, 3] == 2  # auto: no index 0, so one-based
    X, _ = load_svmlight(path, zero_based=True)
    assert X.shape == (2, 5) and X[0, 1] == 1
    assert load_svmlight(path, n_features=10)[0].shape == (2, 10)
    with pytest.raises(ValueError, match=r"n_features=3, but .*one\.svm has 4 features"):
        load_svmlight(path, n_features=3)
    zero = tmp_path / "zero.svm"
    zero.write_bytes(b"1 0:1 4:2\n")
    with pytest.raises(ValueError, match=r"zero\.svm: feature index 0 in a file read as one-based"):
        load_svmlight(zero, zero_based=False)
    X, _ = load_svmlight(path, zero_based=np.False_)
    assert X.shape == (2, 4)
    with pytest.raises(ValueError, match="zero_based must be True, False or 'auto', got 0"):
        load_svmlight(path, zero_based=0)


def test_indices_beyond_int32_are_int64(tmp_path):
    path = tmp_path / "wide.svm"
    path.write_bytes(b"1 3000000000:1.5\n-1 1:2\n")
    X, y = load_svmlight(path, zero_based=True)
    assert X.indices.dtype == np.int64 and X.indptr.dtype == np.int64
    assert X.shape == (2, 3_000_000_001) and X[0, 3_000_000_000] == 1.5


def test_file_objects_and_empty_files(tmp_path):
    text = b"1 1:1\n-1 2:1\n"
    X, y = load_svmlight(io.BytesIO(text))
    assert X.shape == (2, 2)
    with pytest.raises(TypeError, match="binary mode"):
        load_svmlight(io.StringIO(text.decode()))
    empty = tmp_path / "empty.svm"
    empty.write_bytes(b"# nothing\n")
    X, y = load_svmlight(empty)
    assert X.shape == (0, 1) and y.shape == (0,)


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(dtype=np.int32), ValueError, "dtype must be float32 or float64"),
    (dict(zero_based="yes"), ValueError, "zero_based must be True, False or 'auto'"),
    (dict(n_features=0), ValueError, "n_features must be None or an integer >= 1"),
    (dict(n_features=2**63), ValueError, "n_features must be None or an integer >= 1 and < 2\\*\\*63"),
    (dict(n_threads=0), ValueError, "n_threads must be None or an integer >= 1"),
])
def test_bad_arguments(tmp_path, kwargs, error, message):
    path = tmp_path / "ok.svm"
    path.write_bytes(b"1 1:1\n")
    with pytest.raises(error, match=message):
        load_svmlight(path, **kwargs)


def test_bad_sources(tmp_path):
    with pytest.raises(FileNotFoundError, match="no_such.svm"):
        load_svmlight(tmp_path / "no_such.svm")
    with pytest.raises(TypeError, match="a list of paths"):
        hogwild_load_files(str(tmp_path / "x.svm"))
    with pytest.raises(ValueError, match="at least one file"):
        hogwild_load_files([])
    with pytest.raises(TypeError, match="expected a path or a binary file object"):
        load_svmlight(42)


def test_load_a9a_is_the_shared_a9a():
    X, y, X_test, y_test = load_a9a()
    assert X.shape == (32_561, 123) and X_test.shape == (16_281, 123)
    assert X.dtype == np.float32 and X.indices.dtype == np.int32
    assert set(np.unique(y)) == {-1.0, 1.0}
    assert_same(X, y, *load_svmlight(shared("a9a"), n_features=123))


def test_one_based_index_int32_max_keeps_int32_indices(tmp_path):
    """One-based index 2^31 - 1 is column 2^31 - 2 of 2^31 - 1 columns: int32
    indices still hold every index and the column count."""
    path = tmp_path / "edge.svm"
    path.write_bytes(b"1 2147483647:1.5\n-1 1:2\n")
    X, y = load_svmlight(path)
    assert X.shape == (2, 2_147_483_647)
    assert X.indices.dtype == np.int32 and X.indptr.dtype == np.int32
    assert X[0, 2_147_483_646] == 1.5 and X[1, 0] == 2


def test_only_a_dot_gz_suffix_means_gzip(tmp_path):
    path = tmp_path / "x.svmgz"
    path.write_bytes(b"1 1:1\n-1 2:1\n")
    X, y = load_svmlight(path)
    assert X.shape == (2, 2) and list(y) == [1.0, -1.0]


def test_ctrl_c_stops_a_long_parse():
    """Issue 14: every long call of the core polls for Ctrl-C; the reader
    too (between its chunks): KeyboardInterrupt well before a whole parse
    of the same text would end."""
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent("""
        import io, os, signal, threading, time
        from hogwild.datasets import load_svmlight
        line = b"1 " + b" ".join(b"%d:0.%d" % (j, j % 10) for j in range(1, 41)) + b"\\n"
        text = line * 1_500_000
        start = time.perf_counter()
        load_svmlight(io.BytesIO(text))
        whole = time.perf_counter() - start
        threading.Timer(0.1, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
        start = time.perf_counter()
        try:
            load_svmlight(io.BytesIO(text))
            print("finished", whole, time.perf_counter() - start)
        except KeyboardInterrupt:
            print("interrupted", whole, time.perf_counter() - start)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    outcome, whole, seconds = done.stdout.split()
    assert outcome == "interrupted", done.stdout
    assert float(seconds) < 0.1 + 0.6 * float(whole), done.stdout
