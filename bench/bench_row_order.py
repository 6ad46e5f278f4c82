"""Row orders side by side: objective per epoch and seconds per epoch.

For each data set, L2 logistic regression (alpha 1e-4, the default schedule)
is trained with each row order for `--epochs` epochs; after every epoch the
training objective is measured (outside the timed training). Printed per
data set and order: seconds per epoch (median over epochs), the objective
after the last epoch, and the gap to the full shuffle (objective / full
shuffle's - 1): after the last epoch and the largest over epochs 2 onwards.
The full shuffle's own spread over seeds (`--seeds`) is the noise to read
the gaps against.

    python bench/bench_row_order.py [--data a9a,rcv1,zipf,uniform,sorted]
        [--epochs 10] [--threads 1] [--solver hogwild] [--seeds 5] [--average]

Orders: "shuffle" (every row, scikit-learn's order), "blocks B" (blocks of B
rows shuffled, `shuffle_buffer_blocks=1`), "interleaved B x K" (blocks of B
rows, buffers of K blocks, one from each of K equal parts of the data, the
rows of a buffer's blocks interleaved, `shuffle_buffer_blocks=K`; 128 x 8 is
the default on data of >= 16,384 rows), "data" (`shuffle=False`). "sorted"
is a9a with its rows sorted by label: the case where a block holds one class.
"""

import argparse
import statistics
from pathlib import Path

import numpy as np

import hogwild
from bench_solvers import logistic_objective
from hogwild.datasets import load_a9a, load_svmlight, make_sparse_classification

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
ALPHA = 1e-4


def load(name):
    if name == "a9a":
        return load_a9a()[:2]
    if name == "sorted":
        X, y = load_a9a()[:2]
        order = np.argsort(y, kind="stable")
        return X[order], y[order]
    if name == "rcv1":
        return load_svmlight(DATA / "rcv1_small.svm")
    if name == "zipf":
        X, y = make_sparse_classification(160_000, 100_000, 40, random_state=0)
        return X, y
    if name == "uniform":
        return make_sparse_classification(1_000_000, 100_000, 40, popularity="uniform", random_state=0)
    raise ValueError(f"unknown data set {name!r}")


def orders():
    yield "shuffle", dict(shuffle_block_size=1)  # (first: the reference)
    yield "blocks 128", dict(shuffle_block_size=128, shuffle_buffer_blocks=1)
    for block, buffer in ((64, 4), (64, 8), (64, 64), (128, 8), (256, 8)):
        yield f"interleaved {block} x {buffer}", dict(shuffle_block_size=block, shuffle_buffer_blocks=buffer)
    yield "data", dict(shuffle=False)


def train(X, y, epochs, seed, params):
    objective = logistic_objective(X, np.where(y > 0, 1.0, -1.0), ALPHA)
    trace = []

    def measure(record):
        trace.append(objective(np.concatenate([record["coef"].ravel(), [record["intercept"]]]))[0])

    model = hogwild.SGDClassifier(loss="log_loss", alpha=ALPHA, max_iter=epochs, tol=None, random_state=seed,
                                  **params)
    model.fit(X, y, callbacks=[measure])
    return statistics.median(r["seconds"] for r in model.history_), np.array(trace)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default="a9a,rcv1,zipf,uniform,sorted")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--solver", default="hogwild")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--orders", default=None, help="comma list of orders (default: all)")
    parser.add_argument("--average", action="store_true", help="averaged SGD (average=True): less noise")
    args = parser.parse_args()
    solver = dict(solver=args.solver, n_threads=args.threads, average=args.average)
    for name in args.data.split(","):
        X, y = load(name)
        print(f"\n## {name}: {X.shape[0]} x {X.shape[1]}, {X.nnz / X.shape[0]:.1f} nonzeros/row, "
              f"{args.solver}, {args.threads} thread(s), {args.epochs} epochs, seeds 0..{args.seeds - 1}\n")
        print("| order | s/epoch | objective | gap, last epoch | largest gap, epochs 2+ |")
        print("| --- | --- | --- | --- | --- |")
        reference = None
        for label, params in orders():
            if args.orders and label not in args.orders.split(","):
                continue
            runs = [train(X, y, args.epochs, seed, {**solver, **params}) for seed in range(args.seeds)]
            seconds = statistics.median(s for s, _ in runs)
            traces = np.array([t for _, t in runs])
            mean_trace = traces.mean(axis=0)
            if reference is None:
                reference = mean_trace
                spread = traces[:, -1].max() / traces[:, -1].min() - 1.0
                print(f"| {label} | {seconds:.4f} | {mean_trace[-1]:.5f} | (seeds spread {100 * spread:.2f}%) | |")
                continue
            gaps = mean_trace / reference - 1.0
            print(f"| {label} | {seconds:.4f} | {mean_trace[-1]:.5f} | {100 * gaps[-1]:+.2f}% | "
                  f"{100 * gaps[1:].max():+.2f}% |", flush=True)


if __name__ == "__main__":
    main()
