"""Every solver of the SGD family on the same data, side by side.

For each solver (and a few optimizers) on one L2-regularized logistic
regression problem: training seconds and epochs until the model's objective
is within 1e-2 and 1e-3 (relative) of the L-BFGS optimum, final test
accuracy, examples/s with 1 thread and with all threads. Writes a
convergence plot (relative suboptimality against seconds, one line per
solver, all threads).

    python bench/bench_solvers.py --data a9a [--epochs 30] [--plot solvers_a9a.png]
    python bench/bench_solvers.py --data generated [--rows 1000000 --features 100000 --nnz 40] [--optimum F]

The objective is measured after every epoch from a callback (outside the
timed training); seconds are the solvers' own training time.
"""

import argparse
import time
from pathlib import Path

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit

import hogwild
from hogwild.datasets import load_a9a, make_sparse_classification


def logistic_objective(X, y, alpha):
    def value_and_gradient(wb):
        w, b = wb[:-1], wb[-1]
        margins = -y * (X @ w + b)
        value = np.logaddexp(0.0, margins).mean() + 0.5 * alpha * w @ w
        g = -y * expit(margins) / len(y)
        return value, np.concatenate([X.T @ g + alpha * w, [g.sum()]])
    return value_and_gradient


def lbfgs_optimum(X, y, alpha):
    objective = logistic_objective(X, y, alpha)
    result = minimize(objective, np.zeros(X.shape[1] + 1), jac=True, method="L-BFGS-B",
                      options=dict(maxiter=10000, gtol=1e-10, ftol=1e-15))
    return result.fun


def smoothness(X, alpha, iterations=30):
    """L of the mean logistic loss + L2: lambda_max(X^T X) / (4 n) + alpha (power iteration)."""
    v = np.random.default_rng(0).normal(size=X.shape[1])
    for _ in range(iterations):
        v = X.T @ (X @ v)
        v /= np.linalg.norm(v)
    return float(v @ (X.T @ (X @ v))) / (4 * X.shape[0]) + alpha


def configurations(n_rows, L, all_threads, row_norm2):
    """name -> estimator parameters. Per-row solvers: constant step + averaging
    from the second epoch (the setting of the convergence tests: eta0=0.01 on
    a9a, whose rows have squared norm 14, scaled to the data's mean squared
    row norm); batch solvers: steps from the smoothness constant L."""
    eta = 0.14 / row_norm2
    per_row = dict(learning_rate="constant", eta0=eta, average=n_rows)
    return {
        "sequential (scikit-learn's algorithm)": dict(solver="sequential", **per_row),
        "hogwild": dict(solver="hogwild", **per_row),
        "hogwild, adagrad": dict(solver="hogwild", optimizer="adagrad", learning_rate="constant", eta0=0.05,
                                 average=n_rows),
        "local": dict(solver="local", **{**per_row, "eta0": eta * all_threads}),
        "easgd": dict(solver="easgd", **{**per_row, "eta0": eta * all_threads}),
        "async (batches of 8)": dict(solver="async", batch_size=8, learning_rate="constant", eta0=8 * eta,
                                     average=n_rows),
        "buckwild int16": dict(solver="buckwild", precision="int16", **per_row),
        "buckwild int8": dict(solver="buckwild", precision="int8", **per_row),
        "minibatch 256, sgd": dict(solver="minibatch", batch_size=256, learning_rate="constant", eta0=1.0 / L,
                                   average=n_rows),
        "minibatch 256, momentum": dict(solver="minibatch", batch_size=256, optimizer="momentum",
                                        learning_rate="constant", eta0=0.1 / L, average=n_rows),
        "minibatch 256, adam": dict(solver="minibatch", batch_size=256, optimizer="adam",
                                    learning_rate="constant", eta0=0.01, average=n_rows),
        "gd": dict(solver="gd", learning_rate="constant", eta0=1.0 / L),
        "gd, nesterov": dict(solver="gd", optimizer="nesterov", learning_rate="constant", eta0=1.0 / L),
    }


def run(params, X, y, X_test, y_test, alpha, epochs, n_threads, objective, seed=0):
    trace = []

    def measure(record):
        w = record["coef"]
        value, _ = objective(np.concatenate([w, [record["intercept"]]]))
        trace.append((record["elapsed"], record["epoch"], value))

    model = hogwild.SGDClassifier(loss="log_loss", alpha=alpha, max_iter=epochs, tol=None, random_state=seed,
                                  n_threads=n_threads, **params)
    model.fit(X, y, callbacks=[measure])
    seconds = sum(r["seconds"] for r in model.history_)
    rate = sum(r["updates"] for r in model.history_) / seconds
    return model, trace, rate


def first_reaching(trace, best, tolerance):
    for seconds, epoch, value in trace:
        if (value - best) / best <= tolerance:
            return seconds, epoch
    return None, None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", choices=("a9a", "generated"), default="a9a")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--features", type=int, default=100_000)
    parser.add_argument("--nnz", type=int, default=40)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--alpha", type=float, default=None, help="default 1e-4 (a9a), 1e-6 (generated)")
    parser.add_argument("--threads", type=int, default=None, help="all threads (default: usable CPUs)")
    parser.add_argument("--only", default=None, help="comma-separated substrings of solver names to run")
    parser.add_argument("--plot", default=None, help="convergence plot file (default solvers_<data>.png)")
    parser.add_argument("--optimum", type=float, default=None,
                        help="the L-BFGS optimum from an earlier run on the same problem (skips L-BFGS)")
    args = parser.parse_args()

    if args.data == "a9a":
        X, y, X_test, y_test = load_a9a()
        alpha = args.alpha or 1e-4
    else:
        X_all, y_all = make_sparse_classification(args.rows + args.rows // 10, args.features, args.nnz,
                                                  random_state=0)
        X, y, X_test, y_test = X_all[:args.rows], y_all[:args.rows], X_all[args.rows:], y_all[args.rows:]
        alpha = args.alpha or 1e-6
    all_threads = args.threads or hogwild.build_info()["usable_cpus"]
    X64 = X.astype(np.float64)
    start = time.perf_counter()
    best = args.optimum or lbfgs_optimum(X64, y, alpha)
    L = smoothness(X64, alpha)
    row_norm2 = float(X64.multiply(X64).sum()) / X.shape[0]
    print(f"{args.data}: {X.shape[0]} x {X.shape[1]}, {X.nnz} nonzeros; log_loss, l2, alpha={alpha:g}; "
          f"L-BFGS optimum {best:.6f} ({time.perf_counter() - start:.1f} s); L = {L:.3g}; "
          f"mean squared row norm {row_norm2:.3g}; {args.epochs} epochs; all threads = {all_threads}\n", flush=True)
    objective = logistic_objective(X64, y, alpha)
    configs = configurations(X.shape[0], L, all_threads, row_norm2)
    if args.only:
        wanted = args.only.split(",")
        configs = {name: p for name, p in configs.items() if any(w in name for w in wanted)}

    header = (f"{'solver':<40}{'s to 1e-2':>10}{'ep':>4}{'s to 1e-3':>10}{'ep':>4}{'final':>10}"
              f"{'test acc':>9}{'ex/s 1 thr':>12}{'ex/s all':>11}")
    print(header)
    runs = {}
    for name, params in configs.items():
        threads = 1 if params["solver"] == "sequential" else all_threads
        model, trace, rate_all = run(params, X, y, X_test, y_test, alpha, args.epochs, threads, objective)
        if threads > 1:
            _, _, rate_one = run(params, X, y, X_test, y_test, alpha, min(args.epochs, 3), 1, objective)
        else:
            rate_one = rate_all
        runs[name] = trace
        s2, e2 = first_reaching(trace, best, 1e-2)
        s3, e3 = first_reaching(trace, best, 1e-3)
        final = (trace[-1][2] - best) / best
        fmt = lambda v, spec: "-" if v is None else format(v, spec)  # noqa: E731
        print(f"{name:<40}{fmt(s2, '.3f'):>10}{fmt(e2, 'd'):>4}{fmt(s3, '.3f'):>10}{fmt(e3, 'd'):>4}"
              f"{final:>10.2e}{model.score(X_test, y_test):>9.4f}{rate_one:>12.3g}{rate_all:>11.3g}", flush=True)
    print("\nseconds/epochs to 1e-2 and 1e-3 relative suboptimality of the objective; final: the last epoch's; "
          "'-': not reached")

    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(matplotlib is not installed: no plot)")
        return
    fig, ax = plt.subplots(figsize=(8, 5))
    for i, (name, trace) in enumerate(runs.items()):
        seconds = [s for s, _, _ in trace]
        gaps = [max((v - best) / best, 1e-9) for _, _, v in trace]
        # matplotlib cycles 10 colours: dash the lines after them
        ax.plot(seconds, gaps, marker="o", markersize=2, linestyle="-" if i < 10 else "--", label=name)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("training time (s)")
    ax.set_ylabel("relative suboptimality")
    ax.set_title(f"{args.data}: logistic regression, alpha={alpha:g}, {all_threads} threads")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    path = Path(args.plot or f"solvers_{args.data}.png")
    fig.savefig(path, dpi=120, bbox_inches="tight")
    print(f"plot written to {path}")


if __name__ == "__main__":
    main()
