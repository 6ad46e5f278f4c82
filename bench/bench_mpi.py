"""Distributed training (hogwild.distributed) per mode and rank count: epoch
time, time waiting for the other ranks, bytes sent per epoch and rank; then
a model of scaling past this machine.

    python bench/bench_mpi.py [--ranks 1,2,4] [--rows 1000000] [--features 100000]
        [--nnz 40] [--epochs 3] [--threads 1] [--modes local,local-overlap,easgd,allreduce,parameter_server]
        [--batch-size 4096] [--plot scaling.png]

It launches `mpiexec -n R` for each rank count (R ranks on this machine
share its cores: with more ranks than cores they are oversubscribed, and
the epoch time says so). Every rank generates the same problem and trains
on its block of the rows.

The model: a combination is an all-reduce of the model (n_features + 1
float64 values, and as many for the averaged weights when averaging),
which a ring all-reduce does in 2 (P - 1) alpha + 2 (P - 1) / P * bytes /
beta seconds on P machines joined by a network of latency alpha and
bandwidth beta. An epoch on P machines costs its rows / P at the compute
rate measured with one rank, plus the exchanges (blocking modes), or the
larger of the two (overlap=True). allreduce (synchronous minibatch, at
--batch-size rows a global step) exchanges at every step: ceil(rows /
batch) all-reduces an epoch of 2 n_features + 4 float64 values each (the
gradient and the rows holding each feature). parameter_server runs with every
rank a server of 1 / P of the keys: a rank's clock (an epoch) pulls the
model's weights of its rows' features and pushes its change, (P - 1) / P of
each from other machines, and each server takes as many bytes from the
others: 2 (P - 1) alpha + 2 (P - 1) / P * bytes / beta, the ring's cost,
without the barrier (its MB column counts pulls and pushes). Two networks: 25 GbE (alpha 25
us, beta 3.1 GB/s) and 100 Gb/s InfiniBand EDR (alpha 1.5 us, beta 12.5
GB/s).
"""

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

NETWORKS = {"25 GbE": (25e-6, 25e9 / 8), "InfiniBand EDR": (1.5e-6, 100e9 / 8)}
MACHINES = (1, 2, 4, 8, 16, 32, 64)


def worker(args):
    """One rank's measurements, as one JSON line from rank 0."""
    import warnings

    from mpi4py import MPI

    import hogwild
    from hogwild import distributed
    from hogwild.datasets import make_sparse_classification

    warnings.simplefilter("ignore")
    comm = MPI.COMM_WORLD
    X, y = make_sparse_classification(args.rows, args.features, args.nnz, random_state=0)
    X_rank, y_rank = distributed.shard(X, y, comm)
    del X, y
    results = {}
    for mode in args.modes.split(","):
        solver = dict(solver="minibatch", batch_size=args.batch_size) if mode == "allreduce" else {}
        servers = dict(n_servers=comm.size) if mode == "parameter_server" else {}
        model = hogwild.SGDClassifier(loss="log_loss", alpha=1e-6, max_iter=args.epochs, tol=None,
                                      n_threads=args.threads, random_state=comm.rank, **solver)
        comm.Barrier()
        started = time.perf_counter()
        distributed.fit(model, X_rank, y_rank, mode=mode.replace("-overlap", ""), overlap=mode.endswith("overlap"),
                        **servers)
        seconds = time.perf_counter() - started
        stats = model.distributed_stats_
        gathered = comm.gather((seconds, stats["wait_seconds"], stats["bytes_sent"] + stats.get("bytes_pulled", 0)),
                               root=0)
        if comm.rank == 0:
            results[mode] = {
                "epoch_seconds": max(g[0] for g in gathered) / args.epochs,
                "wait_seconds": float(np.mean([g[1] for g in gathered])) / args.epochs,
                "bytes_per_epoch": float(np.mean([g[2] for g in gathered])) / args.epochs,
                "objective": float(model.history_[-1]["objective"]),
            }
    if comm.rank == 0:
        print(json.dumps({"ranks": comm.size, "results": results}), flush=True)


def ring_allreduce_seconds(n_bytes, machines, alpha, beta):
    if machines == 1:
        return 0.0
    return 2 * (machines - 1) * alpha + 2 * (machines - 1) / machines * n_bytes / beta


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ranks", default="1,2,4")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--features", type=int, default=100_000)
    parser.add_argument("--nnz", type=int, default=40)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--modes", default="local,local-overlap,easgd,allreduce,parameter_server")
    parser.add_argument("--batch-size", type=int, default=4096, help="allreduce: the global batch's rows")
    parser.add_argument("--plot", default=None, help="write the model's projected speedups here (needs matplotlib)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args)

    mpiexec = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    if not os.path.exists(mpiexec):
        mpiexec = "mpiexec"
    cores = len(os.sched_getaffinity(0))
    print(f"problem: {args.rows} rows x {args.features} features, {args.nnz} nonzeros/row (zipf); "
          f"{args.epochs} epochs; {args.threads} thread(s) per rank; this machine: {cores} cores")
    print(f"{'ranks':>5} {'mode':15} {'epoch s':>8} {'waiting s':>10} {'wait %':>7} {'MB sent':>8} {'objective':>10}")
    measured = {}
    for ranks in map(int, args.ranks.split(",")):
        command = [mpiexec, "-n", str(ranks), sys.executable, os.path.abspath(__file__), "--worker",
                   "--rows", str(args.rows), "--features", str(args.features), "--nnz", str(args.nnz),
                   "--epochs", str(args.epochs), "--threads", str(args.threads), "--modes", args.modes,
                   "--batch-size", str(args.batch_size)]
        out = subprocess.run(command, capture_output=True, text=True)
        lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
        if out.returncode != 0 or not lines:
            sys.exit(f"mpiexec -n {ranks} failed:\n{out.stdout}\n{out.stderr}")
        measured[ranks] = json.loads(lines[-1])["results"]
        busy = " (oversubscribed)" if ranks * args.threads > cores else ""
        for mode, r in measured[ranks].items():
            print(f"{ranks:5d} {mode:15} {r['epoch_seconds']:8.3f} {r['wait_seconds']:10.3f} "
                  f"{100 * r['wait_seconds'] / r['epoch_seconds']:6.1f}% {r['bytes_per_epoch'] / 1e6:8.3f} "
                  f"{r['objective']:10.5f}{busy}")

    # the model: one rank's compute rate, the bytes a combination moves
    one = measured[min(measured)]
    compute = {mode: r["epoch_seconds"] - r["wait_seconds"] for mode, r in one.items()}
    model_bytes = 8.0 * (args.features + 1)
    step_bytes = 8.0 * (2 * args.features + 4)
    steps = -(-args.rows // args.batch_size)

    def exchange_seconds(mode, p, alpha, beta):
        """An epoch's all-reduces: one of the model, or allreduce's one per step
        (parameter_server: a pull and a push of the model, spread over P servers)."""
        if mode == "allreduce":
            return steps * ring_allreduce_seconds(step_bytes, p, alpha, beta)
        return ring_allreduce_seconds(model_bytes, p, alpha, beta)

    print(f"\nprojected epoch seconds (speedup) on P machines, {args.threads} thread(s) each, one combination "
          f"per epoch of {model_bytes / 1e6:.2f} MB (ring all-reduce); allreduce: {steps} of "
          f"{step_bytes / 1e6:.2f} MB:")
    print(f"{'network':16} {'mode':15} " + " ".join(f"{'P=' + str(p):>15}" for p in MACHINES))
    projected = {}
    for network, (alpha, beta) in NETWORKS.items():
        for mode, seconds in compute.items():
            row = []
            for p in MACHINES:
                exchange = exchange_seconds(mode, p, alpha, beta)
                epoch = max(seconds / p, exchange) if mode.endswith("overlap") else seconds / p + exchange
                row.append((epoch, seconds / epoch))
            projected[(network, mode)] = row
            print(f"{network:16} {mode:15} " + " ".join(f"{e:8.4f} ({s:4.1f}x)" for e, s in row))
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 4))
        for (network, mode), row in projected.items():
            ax.plot(MACHINES, [s for _, s in row], marker="o", label=f"{mode}, {network}",
                    linestyle="-" if "Infini" in network else "--")
        ax.plot(MACHINES, MACHINES, color="grey", linewidth=0.8, label="linear")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log", base=2)
        ax.set_xlabel("machines")
        ax.set_ylabel("projected speedup of an epoch")
        ax.set_title(f"{args.rows} x {args.features}, one combination per epoch (allreduce: per step)")
        ax.legend(fontsize=7)
        fig.savefig(args.plot, dpi=120, bbox_inches="tight")
        print(f"plot written to {args.plot}")


if __name__ == "__main__":
    main()
