"""hogwild.SGDClassifier against scikit-learn's SGDClassifier, in one run.

Same generated float32 CSR data, same loss (log_loss), penalty (l2), alpha
and number of epochs; hogwild in its default row order (on this data:
blocks of 128 rows, 8 blocks interleaved) and in a full shuffle as
scikit-learn's. Prints seconds per epoch, the ratio to scikit-learn,
the final training objective of each model and the peak memory each fit
adds over the data's own size.

    python bench/compare_sklearn.py [--rows 1000000] [--features 100000]
        [--nnz 40] [--popularity zipf|uniform] [--epochs 5] [--threads N]
"""

import argparse
import threading
import time

import numpy as np
from sklearn.linear_model import SGDClassifier as SklearnSGD

import hogwild
from hogwild.datasets import make_sparse_classification


def resident_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


class PeakMemory:
    """Samples this process's resident memory while a block runs."""

    def __enter__(self):
        self.start = resident_bytes()
        self.peak = self.start
        self._running = True
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while self._running:
            self.peak = max(self.peak, resident_bytes())
            time.sleep(0.002)

    def __exit__(self, *exc):
        self._running = False
        self._thread.join()
        self.peak = max(self.peak, resident_bytes())
        self.added = self.peak - self.start


def objective(model, X, y, alpha):
    w = model.coef_.ravel().astype(np.float64)
    margins = -y * (X @ w + model.intercept_[0])
    return np.logaddexp(0.0, margins).mean() + 0.5 * alpha * w @ w


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--features", type=int, default=100_000)
    parser.add_argument("--nnz", type=int, default=40)
    parser.add_argument("--popularity", choices=["zipf", "uniform"], default="zipf")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--alpha", type=float, default=1e-6)
    parser.add_argument("--threads", type=int, default=None, help="default: all usable CPUs")
    args = parser.parse_args()

    X, y = make_sparse_classification(args.rows, args.features, args.nnz, popularity=args.popularity, random_state=0)
    data_bytes = X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    threads = args.threads or hogwild.build_info()["usable_cpus"]
    print(f"data: {X.shape[0]} x {X.shape[1]} float32 CSR, {X.nnz / X.shape[0]:.0f} nonzeros/row, "
          f"{args.popularity} popularity, {data_bytes / 2**20:.0f} MiB; log_loss, l2, "
          f"alpha={args.alpha}, {args.epochs} epochs\n")

    common = dict(loss="log_loss", penalty="l2", alpha=args.alpha, max_iter=args.epochs, tol=None,
                  random_state=0)
    runs = [
        ("scikit-learn SGDClassifier", lambda: SklearnSGD(**common)),
        ("hogwild sequential (sklearn-exact)", lambda: hogwild.SGDClassifier(solver="sequential", **common)),
    ]
    for t in sorted({1, 2, threads}):
        if t <= threads:
            runs.append((f"hogwild {t} thread(s), full shuffle",
                         lambda t=t: hogwild.SGDClassifier(n_threads=t, shuffle_block_size=1, **common)))
            runs.append((f"hogwild {t} thread(s), default order",
                         lambda t=t: hogwild.SGDClassifier(n_threads=t, **common)))

    print(f"{'model':<40}{'s/epoch':>9}{'vs sklearn':>12}{'M nnz/s':>9}{'objective':>11}{'fit memory':>12}")
    baseline = None
    for name, make in runs:
        model = make()
        with PeakMemory() as memory:
            start = time.perf_counter()
            model.fit(X, y)
            seconds = (time.perf_counter() - start) / args.epochs
        baseline = baseline or seconds
        added = memory.added / data_bytes
        print(f"{name:<40}{seconds:>9.3f}{baseline / seconds:>11.2f}x{X.nnz / seconds / 1e6:>9.0f}"
              f"{objective(model, X, y, args.alpha):>11.5f}{added:>11.1%}")
    print("\nfit memory: peak resident memory a fit adds, as a fraction of the data's size "
          "(the model is n_features float64 values)")


if __name__ == "__main__":
    main()
