"""NUMA placement and per-node model replicas (issue 10): epoch time and
time to a target suboptimality, one shared model (numa="off") against a
replica per node ("replicate", or "auto" on a machine of several nodes),
for 1..N threads, on a generated sparse problem.

    python bench/bench_numa.py [--rows 200000 --features 50000 --nnz 40]
                               [--popularity zipf|uniform] [--threads 1,2,4] [--epochs 10]
                               [--topology NxM] [--target 1e-3] [--repeat 2] [--numa-data off|shard|replicate]

The optimum is L-BFGS's on the same problem (L2 logistic regression,
alpha=1e-6 scaled to the rows: see --alpha). Per setting it prints the
median seconds per epoch (the solver's own, after the first epoch), the
training seconds until the model (computed after each epoch, outside the
timing) is within --target of the optimum's objective, the final relative
suboptimality, and the speedup over the first thread count's numa="off". The settings alternate within each repeat so that load from
other processes falls on both. The machine's topology is printed first:
on one node, "replicate" measures the replicas' overhead, not their gain.
"""

import argparse
import statistics

import numpy as np
from scipy.optimize import minimize

import hogwild
from bench_solvers import logistic_objective
from hogwild.datasets import make_sparse_classification


def thread_counts(text):
    return [int(t) for t in text.split(",")]


def train(X, y, alpha, epochs, threads, numa, topology, objective, best, seed, numa_data="off"):
    gaps = []

    def measure(record):
        value, _ = objective(np.concatenate([record["coef"].ravel(), [record["intercept"]]]))
        gaps.append((record["elapsed"], (value - best) / best))

    model = hogwild.SGDClassifier(loss="log_loss", alpha=alpha, max_iter=epochs, tol=None, random_state=seed,
                                  n_threads=threads, numa=numa, topology=topology,
                                  numa_data=numa_data if numa != "off" and threads > 1 else "off")
    model.fit(X, y, callbacks=[measure])
    seconds = [r["seconds"] for r in model.history_]
    return dict(epoch=statistics.median(seconds[1:] or seconds), gaps=gaps, info=model.fit_info_)


def seconds_to(gaps, target):
    return next((elapsed for elapsed, gap in gaps if gap <= target), float("nan"))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--features", type=int, default=50_000)
    parser.add_argument("--nnz", type=int, default=40)
    parser.add_argument("--popularity", choices=("zipf", "uniform"), default="zipf")
    parser.add_argument("--threads", type=thread_counts, default=None,
                        help="e.g. 1,2,4 (default: 1, 2, ... up to every usable CPU, doubling)")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--alpha", type=float, default=1e-5)
    parser.add_argument("--topology", default=None, help='a simulated "NxM" (default: the machine\'s)')
    parser.add_argument("--target", type=float, default=1e-3, help="relative suboptimality to time (default 1e-3)")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--numa-data", default="off", choices=("off", "shard", "replicate"),
                        help="numa_data of the node replicas' runs (default off: the data in place)")
    args = parser.parse_args()

    machine = hogwild.topology(args.topology)
    print(f"topology: {len(machine['nodes'])} NUMA node(s), source {machine['source']}")
    for node in machine["nodes"]:
        print(f"  node {node['node']}: CPUs {node['cpus']}, {node['physical_cores']} physical cores, "
              f"distances {node['distances']}")
    usable = hogwild.build_info()["usable_cpus"]
    threads = args.threads or sorted({min(2**k, usable) for k in range(usable.bit_length() + 1)})
    X, y = make_sparse_classification(args.rows, args.features, args.nnz, popularity=args.popularity,
                                      random_state=0)
    labels = np.where(y > 0, 1.0, -1.0)
    objective = logistic_objective(X, labels, args.alpha)
    optimum = minimize(objective, np.zeros(X.shape[1] + 1), jac=True, method="L-BFGS-B",
                       options=dict(maxiter=2000, gtol=1e-9, ftol=1e-14))
    best = optimum.fun
    print(f"{args.rows} x {args.features}, {args.nnz} nonzeros a row ({args.popularity}), float32 CSR; log_loss, "
          f"alpha={args.alpha:g}, default step; L-BFGS optimum {best:.6f} ({optimum.nit} iterations)\n")

    modes = ("off", "replicate" if len(machine["nodes"]) == 1 else "auto")
    runs = {(t, m): [] for t in threads for m in modes}
    for seed in range(args.repeat):
        for t in threads:
            for m in modes:
                runs[t, m].append(train(X, y, args.alpha, args.epochs, t, m, args.topology, objective, best, seed,
                                        args.numa_data))

    base = statistics.median(r["epoch"] for r in runs[threads[0], "off"])
    first = f"{threads[0]} thread{'s' * (threads[0] > 1)}"
    print(f"| threads | numa | node replicas | data | nodes of the threads | epoch s | speedup vs {first} off "
          f"| s to {args.target:g} | final suboptimality |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for t in threads:
        for m in modes:
            epoch = statistics.median(r["epoch"] for r in runs[t, m])
            to_target = statistics.median(seconds_to(r["gaps"], args.target) for r in runs[t, m])
            final = statistics.median(r["gaps"][-1][1] for r in runs[t, m])
            info = runs[t, m][0]["info"]
            print(f"| {t} | {m} | {info['node_replicas']} | {info['data']} | {','.join(map(str, info['nodes']))} "
                  f"| {epoch:.4f} "
                  f"| {base / epoch:.2f}x | {to_target:.3f} | {final:.2e} |")


if __name__ == "__main__":
    main()
