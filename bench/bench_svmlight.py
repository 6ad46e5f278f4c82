"""The svmlight reader against scikit-learn's, on one generated file.

Writes (once, cached in the temp folder) an svmlight file of at least
--megabytes MB from a generated sparse problem with varied values, then
times, in this one process, scikit-learn's load_svmlight_file and
hogwild.datasets.load_svmlight with 1 and with all threads, checks that the
outputs are equal and prints the ratios.

    python bench/bench_svmlight.py [--megabytes 300] [--repeat 3]
"""

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.datasets import dump_svmlight_file, load_svmlight_file

import hogwild
from hogwild.datasets import load_svmlight, make_sparse_classification

FEATURES, NNZ_PER_ROW = 100_000, 40
BYTES_PER_ROW = 1000  # about, for 40 "index:value" pairs as dump_svmlight_file writes them


def generated_file(megabytes):
    path = Path(tempfile.gettempdir()) / f"hogwild_bench_{megabytes}MB_{FEATURES}x{NNZ_PER_ROW}.svm"
    if path.exists() and path.stat().st_size >= megabytes * 1e6:
        return path
    rows = int(megabytes * 1e6 / BYTES_PER_ROW * 1.05)
    X, y = make_sparse_classification(rows, FEATURES, NNZ_PER_ROW, random_state=0)
    rng = np.random.default_rng(0)
    X.data *= rng.uniform(0.5, 2.0, size=X.nnz).astype(np.float32)  # values like real features, not all equal
    print(f"writing {path} ({rows:,} rows) ...", flush=True)
    partial = path.with_suffix(".partial")
    dump_svmlight_file(X, y, str(partial), zero_based=False)
    os.replace(partial, path)
    return path


def best_of(repeat, load):
    seconds, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = load()
        seconds.append(time.perf_counter() - start)
    return min(seconds), result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--megabytes", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3, help="best of this many reads (default 3)")
    args = parser.parse_args()

    path = generated_file(args.megabytes)
    size_mb = path.stat().st_size / 1e6
    threads = hogwild.build_info()["usable_cpus"]
    print(f"{path.name}: {size_mb:.0f} MB; {threads} usable CPUs; best of {args.repeat}")

    sklearn_seconds, (X_ref, y_ref) = best_of(args.repeat, lambda: load_svmlight_file(str(path), dtype=np.float32))
    rows = [("scikit-learn load_svmlight_file", sklearn_seconds)]
    for n in sorted({1, threads}):
        seconds, (X, y) = best_of(args.repeat, lambda: load_svmlight(path, n_threads=n))
        assert X.shape == X_ref.shape and np.array_equal(y, y_ref)
        assert np.array_equal(X.indptr, X_ref.indptr) and np.array_equal(X.indices, X_ref.indices)
        assert np.array_equal(X.data, X_ref.data), "values differ from scikit-learn's"
        rows.append((f"hogwild load_svmlight, {n} thread{'s' if n > 1 else ''}", seconds))

    print(f"{'reader':<40} {'seconds':>8} {'MB/s':>7} {'vs sklearn':>10}")
    for name, seconds in rows:
        print(f"{name:<40} {seconds:8.2f} {size_mb / seconds:7.0f} {sklearn_seconds / seconds:9.1f}x")
    print("outputs equal: yes")


if __name__ == "__main__":
    main()
