"""partial_fit on wide hashed data (scikit-learn's out-of-core example):
milliseconds a call, hogwild against scikit-learn's SGDClassifier, the
calls of both taken in turn in one process.

Each call trains on a new batch of --rows rows with --nnz random nonzeros
a row over 2**--log2-features columns (HashingVectorizer's default is
2**20), float32 CSR, labels 0/1; both estimators at their defaults, one
epoch a call. A call costs work in the model's size (hogwild: a session
that copies the float64 model and passes over it), which this measures.

    python bench/bench_partial_fit.py [--log2-features 20] [--rows 1000] [--nnz 50] [--calls 15] [--threads 1]
"""

import argparse
import statistics
import time

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import SGDClassifier as SklearnSGD

import hogwild


def batch(rng, n_rows, n_features, nnz):
    columns = np.sort(rng.integers(0, n_features, size=(n_rows, nnz)), axis=1)
    X = sp.csr_matrix((rng.normal(size=n_rows * nnz).astype(np.float32), columns.ravel().astype(np.int32),
                       np.arange(0, n_rows * nnz + 1, nnz, dtype=np.int32)), shape=(n_rows, n_features))
    X.sum_duplicates()  # (two equal columns drawn in a row: one entry)
    return X, rng.integers(0, 2, n_rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log2-features", type=int, default=20)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--nnz", type=int, default=50)
    parser.add_argument("--calls", type=int, default=15)
    parser.add_argument("--threads", type=int, default=None, help="hogwild's n_threads (default: by the data)")
    args = parser.parse_args()
    n_features = 2 ** args.log2_features
    rng = np.random.default_rng(0)
    batches = [batch(rng, args.rows, n_features, args.nnz) for _ in range(args.calls)]
    models = {"scikit-learn": SklearnSGD(random_state=0),
              "hogwild": hogwild.SGDClassifier(n_threads=args.threads, random_state=0)}
    times = {name: [] for name in models}
    for X, y in batches:
        for name, model in models.items():
            started = time.perf_counter()
            model.partial_fit(X, y, classes=[0, 1])
            times[name].append(time.perf_counter() - started)
    print(f"partial_fit of {args.rows} rows x {args.nnz} nonzeros over 2**{args.log2_features} features, "
          f"{args.calls} calls each (the first left out)")
    reference = statistics.median(times["scikit-learn"][1:])
    for name, seconds in times.items():
        median = statistics.median(seconds[1:])
        print(f"{name:>14}: {median * 1e3:8.1f} ms a call ({reference / median:.2f}x scikit-learn)")


if __name__ == "__main__":
    main()
