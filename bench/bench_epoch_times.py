"""Median epoch seconds of every registered solver on one generated problem.

Run it under two builds (e.g. before and after a change, alternated) to
compare the engine's cost per epoch solver by solver:

    python bench/bench_epoch_times.py [--rows 200000] [--features 50000]
        [--nnz 30] [--epochs 5] [--threads 2] [--repeat 3]

Prints one line per solver: solver, the median and the minimum seconds per
epoch over the epochs of `--repeat` fits (the first epoch of each fit
excluded; the minimum is the least disturbed by other processes), and the
training objective at the end.
"""

import argparse
import statistics
import warnings

import numpy as np

import hogwild
from hogwild.datasets import make_sparse_classification

try:  # the registry (newer builds); else the list the estimators accept
    SOLVERS = tuple(info["name"] for info in hogwild._core.solvers())
except AttributeError:
    SOLVERS = ("hogwild", "sequential", "local", "easgd", "async", "buckwild", "minibatch", "gd")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=200000)
    parser.add_argument("--features", type=int, default=50000)
    parser.add_argument("--nnz", type=int, default=30)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--solvers", default=",".join(SOLVERS))
    args = parser.parse_args()
    X, y = make_sparse_classification(args.rows, args.features, args.nnz, random_state=0)
    X = X.astype(np.float32)
    print(f"{'solver':<12}{'s/epoch':>10}{'min':>10}{'objective':>12}")
    for solver in args.solvers.split(","):
        seconds, objective = [], np.nan
        for r in range(args.repeat):
            model = hogwild.SGDClassifier(loss="log_loss", solver=solver, n_threads=args.threads,
                                          max_iter=args.epochs, tol=None, random_state=r)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model.fit(X, y)
            seconds += [record["seconds"] for record in model.history_[1:]]
            objective = model.history_[-1]["objective"]
        print(f"{solver:<12}{statistics.median(seconds):>10.4f}{min(seconds):>10.4f}{objective:>12.5f}")


if __name__ == "__main__":
    main()
