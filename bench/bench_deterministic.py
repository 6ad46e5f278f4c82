"""What deterministic=True costs: the default hogwild solver against its
deterministic form (replicas whose changes are summed at fixed points), on
the same data, alternated in one process.

    python bench/bench_deterministic.py [--rows 1000000 --features 100000 --nnz 40]
                                        [--popularity zipf|uniform] [--threads 2] [--epochs 5] [--repeat 3]
                                        [--sync-every auto|ROWS]

Prints, per setting, the median seconds per epoch (the solvers' own,
epochs after the first) and the training objective after the last epoch
(mean log loss plus penalty, computed at the fitted model), and their ratios.
"""

import argparse

import numpy as np

import hogwild
from hogwild.datasets import make_sparse_classification


def model_classes(y):
    return np.unique(y)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--features", type=int, default=100_000)
    parser.add_argument("--nnz", type=int, default=40)
    parser.add_argument("--popularity", choices=("zipf", "uniform"), default="zipf")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--alpha", type=float, default=1e-6)
    parser.add_argument("--sync-every", default="auto", help="sync_every of the deterministic fits (default auto)")
    args = parser.parse_args()

    X, y = make_sparse_classification(args.rows, args.features, args.nnz, popularity=args.popularity, random_state=0)
    print(f"{args.rows} x {args.features}, {args.nnz} nonzeros a row ({args.popularity}), float32 CSR; log_loss, "
          f"alpha={args.alpha:g}, {args.threads} threads, {args.epochs} epochs, {args.repeat} alternated fits each\n")
    signs = np.where(y == model_classes(y)[1], 1.0, -1.0)

    def objective(model):
        """The training objective at the fitted model: mean log loss plus alpha / 2 ||w||^2."""
        w = model.coef_.ravel().astype(np.float64)
        margins = signs * (X @ w + model.intercept_[0])
        return float(np.logaddexp(0.0, -margins).mean() + 0.5 * args.alpha * w @ w)

    sync_every = args.sync_every if args.sync_every == "auto" else int(args.sync_every)
    epochs = {False: [], True: []}
    objectives = {False: [], True: []}
    for _ in range(args.repeat):
        for deterministic in (False, True):
            model = hogwild.SGDClassifier(loss="log_loss", alpha=args.alpha, max_iter=args.epochs, tol=None,
                                          random_state=0, n_threads=args.threads, deterministic=deterministic,
                                          sync_every=sync_every if deterministic else "auto")
            model.fit(X, y)
            epochs[deterministic] += [r["seconds"] for r in model.history_[1:]]
            objectives[deterministic].append(objective(model))
    print(f"{'setting':<22}{'s/epoch':>10}{'objective':>12}")
    for deterministic in (False, True):
        name = "deterministic=True" if deterministic else "default"
        print(f"{name:<22}{np.median(epochs[deterministic]):>10.4f}{np.median(objectives[deterministic]):>12.6f}")
    ratio = np.median(epochs[True]) / np.median(epochs[False])
    gap = np.median(objectives[True]) / np.median(objectives[False]) - 1.0
    print(f"\ndeterministic / default: {ratio:.2f}x the epoch time, objective {gap:+.2%}")


if __name__ == "__main__":
    main()
