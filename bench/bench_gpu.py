"""GPU training (device="cuda") against its targets, in one table.

The problem: --rows x --features float32 CSR from
hogwild.datasets.make_sparse_classification (Zipf feature popularity,
--nnz nonzeros a row, unit rows), logistic loss, L2 penalty --alpha
(default 1e-4). Every figure comes from one run on one machine:

  copy bandwidth      hogwild._cuda.copy_bandwidth(device): bytes/s of a
                      device-to-device copy, bytes read + written (best of 3).
  effective bandwidth SGDClassifier(solver="minibatch", device=..., batch_size
                      65,536, learning_rate="constant", eta0=--eta0), for
                      gpu_reduction "ordered" and "atomic": the bytes an epoch
                      must read at least, 2 x nnz x (value + index bytes) (the
                      rows are read once for the margins and once for the
                      gradient) + the indptr bytes, over the median epoch
                      seconds of history_ (first epoch excluded), as a
                      fraction of the copy bandwidth. Target >= 50%.
  epoch, batch 4,096  the same at batch_size 4,096: median epoch seconds
                      (first epoch excluded). Target <= 15 ms. Also the fit's
                      wall clock and its overhead, wall - sum(epoch seconds):
                      upload, set-up and copying the model back.
  vs CPU hogwild      SGDClassifier(solver="hogwild") with every usable CPU
                      thread and its default settings (learning rate
                      "optimal"), same loss, penalty and alpha, --epochs
                      epochs, against GPU minibatch at batch 4,096 (ordered).
                      Each epoch's model (callbacks=) is scored on the exact
                      training objective (float64, untimed); time to
                      objective = the cumulative epoch seconds of history_
                      (training only: each fit's set-up and upload are the
                      overhead above) at the first epoch whose objective is within
                      1% (relative) of the larger of the two runs' best
                      objectives (a value both reached). Target: CPU time /
                      GPU time >= 5.
  vs PyTorch          The same loop in PyTorch on the same GPU: the CSR arrays
                      uploaded once, mini-batches of 4,096 consecutive rows in
                      a shuffled batch order, logistic loss, plain SGD with
                      the constant step --eta0, the intercept's step scaled
                      by 0.01 as hogwild (and scikit-learn) do on sparse data,
                      the L2 penalty as weight decay of every weight at every
                      step (hogwild's minibatch applies it to the batch's
                      features only, scaled to the same expectation).
                      Two implementations, the faster one counts: "gather"
                      (margins by index_add_ of value x w[column], the
                      gradient scattered with index_add_, no autograd) and
                      "spmm" (torch.sparse.mm of each batch's CSR tensor,
                      autograd, as in bench/peers.py). Both are checked
                      against hogwild: with alpha=0, one epoch in row order
                      must be hogwild's minibatch epoch with shuffle=False
                      (max |w - w_hogwild| / max |w_hogwild| <= 1e-3, shown
                      in the row). One warm-up epoch, then the median of
                      --torch-epochs epochs (each ends with
                      torch.cuda.synchronize()). Target: PyTorch's epoch
                      seconds / hogwild's (batch 4,096, ordered) >= 3.
                      Without torch (or a CUDA build of it) the row says
                      skipped.

    python bench/bench_gpu.py [--rows 1000000] [--features 100000] [--nnz 40]
        [--epochs 10] [--device cuda] [--quick] [--json PATH]

Without a usable GPU (no CUDA build, no device, or hogwild.cuda absent) it
prints the reason, says that nothing was measured and exits 0. --device cpu
runs the same measurements with the CPU solvers (no gpu_reduction, NumPy's
copy bandwidth, PyTorch on the CPU): a dry run of the script itself, whose
figures meet no target ("met" says n/a).

The table is Markdown on stdout: measure | value | target | met. --json
writes it with the raw figures.
"""

import argparse
import importlib
import json
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

BATCH_BANDWIDTH = 65_536
BATCH_EPOCH = 4_096
REDUCTIONS = ("ordered", "atomic")
TARGET_BANDWIDTH = 0.5
TARGET_EPOCH_SECONDS = 0.015
TARGET_VS_CPU = 5.0
TARGET_VS_TORCH = 3.0
OBJECTIVE_TOLERANCE = 0.01
INTERCEPT_DECAY = 0.01  # hogwild's (scikit-learn's) on sparse data: the intercept's step is scaled by it
QUICK = {"rows": 100_000, "features": 20_000, "nnz": 40, "epochs": 5}
FULL = {"rows": 1_000_000, "features": 100_000, "nnz": 40, "epochs": 10}


# --------------------------------------------------------------------------
# the device


def device_index(device):
    if device == "cuda":
        return 0
    if device.startswith("cuda:") and device[5:].isdigit():
        return int(device[5:])
    raise ValueError(f"--device must be cpu, cuda or cuda:N, not {device!r}")


def unavailable_reason(device):
    """Why `device` cannot be measured here, or None."""
    try:
        import hogwild  # noqa: F401
    except ImportError as error:
        return f"hogwild is not importable: {error}"
    if device == "cpu":
        return None
    try:
        cuda = importlib.import_module("hogwild.cuda")
    except ImportError as error:
        return f"hogwild.cuda is missing: this hogwild predates GPU support ({error})"
    try:
        if not cuda.is_available():
            return cuda.unavailable_reason() or "hogwild.cuda.is_available() is False (no reason given)"
        index = device_index(device)
        if index >= cuda.device_count():
            return f"{device} asked for, but {cuda.device_count()} CUDA device(s) are visible"
    except (RuntimeError, OSError, AttributeError, TypeError, ValueError, IndexError) as error:
        # a half-built module must not crash the smoke run
        return f"hogwild.cuda failed: {type(error).__name__}: {error}"
    try:
        importlib.import_module("hogwild._cuda")
    except ImportError as error:
        return f"hogwild._cuda (the compiled CUDA module) is missing: {error}"
    return None


def copy_bandwidth(device, repeats=3):
    """Bytes/s of a copy, bytes read + written, best of `repeats`."""
    if device == "cpu":
        source = np.ones(2**28 // 4, dtype=np.float32)
        target = np.empty_like(source)
        best = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            np.copyto(target, source)
            best = min(best, time.perf_counter() - start)
        return 2 * source.nbytes / best
    from hogwild import _cuda

    return max(_cuda.copy_bandwidth(device_index(device)) for _ in range(repeats))


def device_description(device):
    if device == "cpu":
        return "CPU (dry run)"
    from hogwild import cuda

    return f"{device}: {cuda.device_name(device_index(device))}"


# --------------------------------------------------------------------------
# fits


def estimator(args, device, reduction=None, **parameters):
    import hogwild

    common = {"loss": "log_loss", "penalty": "l2", "alpha": args.alpha, "max_iter": args.epochs, "tol": None,
              "random_state": 0}
    if device != "cpu":
        parameters = {"device": device, **({"gpu_reduction": reduction} if reduction else {}), **parameters}
    return hogwild.SGDClassifier(**{**common, **parameters})


def minibatch(args, device, reduction, batch_size, **extra):
    return estimator(args, device, reduction, solver="minibatch", batch_size=batch_size,
                     learning_rate="constant", eta0=args.eta0, **extra)


def timed_fit(model, X, y, **fit_parameters):
    """(model, wall seconds of fit)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning and the like: figures, not failures
        start = time.perf_counter()
        model.fit(X, y, **fit_parameters)
        return model, time.perf_counter() - start


def epoch_figures(model, wall):
    seconds = [record["seconds"] for record in model.history_]
    later = seconds[1:] or seconds
    return {"epoch_seconds": seconds, "median_epoch_seconds": statistics.median(later),
            "first_epoch_seconds": seconds[0], "fit_wall_seconds": wall, "overhead_seconds": wall - sum(seconds),
            "final_objective": model.history_[-1]["objective"]}


class Objective:
    """The exact training objective, mean log(1 + exp(-y m)) + alpha/2 ||w||^2."""

    def __init__(self, X, y, alpha):
        self.X, self.y, self.alpha = X, y, alpha

    def __call__(self, coef, intercept):
        w = np.asarray(coef, dtype=np.float64).ravel()
        margins = np.asarray(self.X @ w.astype(self.X.dtype), dtype=np.float64) + float(intercept)
        return float(np.logaddexp(0.0, -self.y * margins).mean() + 0.5 * self.alpha * w @ w)


def convergence_run(model, X, y, objective):
    """Per epoch (elapsed seconds, exact objective or None, history objective)."""
    snapshots = []

    def keep(record):
        snapshots.append((record["coef"].copy(), np.ravel(record["intercept"])[0]))

    try:
        model, _ = timed_fit(model, X, y, callbacks=[keep])
    except (TypeError, ValueError, NotImplementedError) as error:  # no callbacks on this device: history only
        print(f"(callbacks= failed on this fit, {type(error).__name__}: {error}; using history_'s objective)",
              file=sys.stderr)
        snapshots = []
        model, _ = timed_fit(model, X, y)
    exact = [objective(c, b) for c, b in snapshots] if len(snapshots) == len(model.history_) else \
        [None] * len(model.history_)
    elapsed = np.cumsum([r["seconds"] for r in model.history_])
    return [(float(t), e, r["objective"]) for t, r, e in zip(elapsed, model.history_, exact)]


def time_to_objective(cpu_trace, gpu_trace):
    """Seconds each run takes to come within OBJECTIVE_TOLERANCE of the larger best objective."""
    use_exact = all(e is not None for _, e, _ in cpu_trace + gpu_trace)
    column = 1 if use_exact else 2
    best_cpu = min(point[column] for point in cpu_trace)
    best_gpu = min(point[column] for point in gpu_trace)
    threshold = max(best_cpu, best_gpu) * (1 + OBJECTIVE_TOLERANCE)

    def first(trace):
        return next((i + 1, point[0]) for i, point in enumerate(trace) if point[column] <= threshold)

    return {"objective_kind": "exact" if use_exact else "history_", "best_cpu": best_cpu, "best_gpu": best_gpu,
            "threshold": threshold, "cpu": first(cpu_trace), "gpu": first(gpu_trace),
            "cpu_objectives": [p[column] for p in cpu_trace], "gpu_objectives": [p[column] for p in gpu_trace]}


# --------------------------------------------------------------------------
# PyTorch


class TorchLoop:
    """Mini-batch SGD on logistic loss + alpha/2 ||w||^2, CSR arrays on the device."""

    def __init__(self, torch, X, y, device, batch_size, eta, alpha):
        self.torch, self.device, self.eta, self.alpha = torch, device, eta, alpha
        self.n_rows, self.n_features = X.shape
        self.indptr_host = X.indptr.astype(np.int64)
        self.indptr = torch.from_numpy(self.indptr_host).to(device)
        self.columns = torch.from_numpy(X.indices.astype(np.int64)).to(device)
        self.values = torch.from_numpy(np.ascontiguousarray(X.data, dtype=np.float32)).to(device)
        rows = np.repeat(np.arange(self.n_rows, dtype=np.int64), np.diff(self.indptr_host))
        self.rows = torch.from_numpy(rows).to(device)
        self.targets = torch.from_numpy((y > 0).astype(np.float32)).to(device)
        self.batches = []
        for first in range(0, self.n_rows, batch_size):
            last = min(first + batch_size, self.n_rows)
            lo, hi = int(self.indptr_host[first]), int(self.indptr_host[last])
            csr = torch.sparse_csr_tensor(self.indptr[first:last + 1] - lo, self.columns[lo:hi], self.values[lo:hi],
                                          size=(last - first, self.n_features), check_invariants=False)
            self.batches.append({"first": first, "size": last - first, "lo": lo, "hi": hi, "csr": csr,
                                 "rows": self.rows[lo:hi] - first, "columns": self.columns[lo:hi],
                                 "values": self.values[lo:hi], "targets": self.targets[first:last]})
        self.order = np.random.default_rng(0)
        self.reset()

    def reset(self):
        torch = self.torch
        self.w = torch.zeros(self.n_features, dtype=torch.float32, device=self.device)
        self.b = torch.zeros(1, dtype=torch.float32, device=self.device)

    def synchronize(self):
        if self.device.type == "cuda":
            self.torch.cuda.synchronize(self.device)

    def step_gather(self, batch):
        torch = self.torch
        values, columns, rows = batch["values"], batch["columns"], batch["rows"]
        margins = torch.zeros(batch["size"], dtype=torch.float32, device=self.device)
        margins.index_add_(0, rows, values * self.w[columns])
        residual = (torch.sigmoid(margins + self.b) - batch["targets"]) / batch["size"]  # d loss / d margin
        self.w.mul_(1.0 - self.eta * self.alpha)
        self.w.index_add_(0, columns, values * residual[rows], alpha=-self.eta)
        self.b.sub_(self.eta * INTERCEPT_DECAY * residual.sum())

    def step_spmm(self, batch):
        torch = self.torch
        w = self.w.detach().unsqueeze(1).requires_grad_(True)
        b = self.b.detach().requires_grad_(True)
        margins = torch.sparse.mm(batch["csr"], w).squeeze(1) + b
        loss = torch.nn.functional.binary_cross_entropy_with_logits(margins, batch["targets"])
        grad_w, grad_b = torch.autograd.grad(loss, (w, b))
        with torch.no_grad():
            self.w = self.w * (1.0 - self.eta * self.alpha) - self.eta * grad_w.squeeze(1)
            self.b = self.b - self.eta * INTERCEPT_DECAY * grad_b

    def epoch(self, variant, order=None):
        step = self.step_gather if variant == "gather" else self.step_spmm
        order = self.order.permutation(len(self.batches)) if order is None else order
        self.synchronize()
        start = time.perf_counter()
        for k in order:
            step(self.batches[k])
        self.synchronize()
        return time.perf_counter() - start

    def model(self):
        return self.w.detach().cpu().numpy().astype(np.float64), float(self.b.detach().cpu()[0])


def torch_unavailable(device):
    try:
        import torch
    except ImportError:
        return "skipped: torch not installed"
    if device != "cpu" and not torch.cuda.is_available():
        return f"skipped: torch {torch.__version__} sees no CUDA device"
    return None


def torch_figures(args, device, X, y, objective):
    import torch

    warnings.filterwarnings("ignore", message=".*[Ss]parse CSR tensor support is in beta.*")
    torch.manual_seed(0)
    torch_device = torch.device("cpu" if device == "cpu" else f"cuda:{device_index(device)}")
    loop = TorchLoop(torch, X, y, torch_device, BATCH_EPOCH, args.eta0, args.alpha)

    # correctness: without the penalty (which hogwild applies to the batch's features only, PyTorch's
    # weight decay to every weight) one epoch in row order is hogwild's minibatch epoch with shuffle=False
    reference, _ = timed_fit(minibatch(args, device, "ordered", BATCH_EPOCH, alpha=0.0, shuffle=False, max_iter=1),
                             X, y)
    expected = reference.coef_.ravel().astype(np.float64)
    scale = float(np.max(np.abs(expected))) or 1.0
    loop.alpha = 0.0
    differences, errors = {}, {}
    for variant in ("gather", "spmm"):
        try:
            loop.reset()
            loop.epoch(variant, np.arange(len(loop.batches)))
        except (RuntimeError, TypeError, ValueError) as error:  # e.g. a sparse operation this torch lacks here
            errors[variant] = f"{type(error).__name__}: {error}"
            continue
        differences[variant] = float(np.max(np.abs(loop.model()[0] - expected))) / scale
    loop.alpha = args.alpha

    results, failed = {}, {}
    for variant in ("gather", "spmm"):
        if variant in errors:
            failed[variant] = errors[variant]
            continue
        try:
            loop.reset()
            loop.epoch(variant)  # warm-up (kernels, cuSPARSE handles, the caching allocator)
            seconds = [loop.epoch(variant) for _ in range(args.torch_epochs)]
        except (RuntimeError, TypeError, ValueError) as error:  # one variant unsupported: the other still counts
            failed[variant] = f"{type(error).__name__}: {error}"
            continue
        results[variant] = {"median_epoch_seconds": statistics.median(seconds), "epoch_seconds": seconds,
                            "objective": objective(*loop.model()), "epochs": 1 + args.torch_epochs,
                            "relative_difference_to_hogwild": differences[variant],
                            "matches_hogwild": differences[variant] <= 1e-3}
    fastest = min(results, key=lambda v: results[v]["median_epoch_seconds"]) if results else None
    return {"variants": results, "failed": failed, "fastest": fastest, "torch_version": torch.__version__}


# --------------------------------------------------------------------------
# the table


def fmt_rate(bytes_per_second):
    value = bytes_per_second / 1e9
    return f"{value:,.0f} GB/s" if value >= 100 else f"{value:.3g} GB/s"


def fmt_seconds(seconds):
    return f"{seconds * 1e3:,.2f} ms" if seconds < 10 else f"{seconds:,.1f} s"


class Table:
    def __init__(self, dry_run):
        self.rows, self.dry_run = [], dry_run

    def add(self, measure, value, target="—", met=None):
        if met is None or target == "—":
            shown = "—"
        elif self.dry_run:
            shown = "n/a (cpu)"
        else:
            shown = "yes" if met else "NO"
        self.rows.append({"measure": measure, "value": value, "target": target, "met": shown,
                          "met_bool": None if (met is None or self.dry_run) else bool(met)})

    def markdown(self):
        lines = ["| measure | value | target | met |", "| --- | --- | --- | --- |"]
        lines += [f"| {r['measure']} | {r['value']} | {r['target']} | {r['met']} |" for r in self.rows]
        return "\n".join(lines)


def measure(args, device, figures, table):
    import hogwild
    from hogwild.datasets import make_sparse_classification

    cpu_threads = hogwild.build_info()["usable_cpus"]
    start = time.perf_counter()
    X, y = make_sparse_classification(args.rows, args.features, args.nnz, random_state=0)
    figures["data_seconds"] = time.perf_counter() - start
    objective = Objective(X, y, args.alpha)
    read_bytes = 2 * X.nnz * (X.data.itemsize + X.indices.itemsize) + X.indptr.nbytes
    data_bytes = X.data.nbytes + X.indices.nbytes + X.indptr.nbytes + y.nbytes
    figures.update(rows=X.shape[0], features=X.shape[1], nnz=X.nnz, epoch_read_bytes=read_bytes,
                   data_bytes=data_bytes, cpu_threads=cpu_threads)
    print(f"data: {X.shape[0]:,} x {X.shape[1]:,} float32 CSR, {X.nnz:,} nonzeros "
          f"({data_bytes / 2**20:,.0f} MiB with labels), made in {figures['data_seconds']:.1f} s; log_loss, l2, "
          f"alpha={args.alpha:g}; minibatch eta0={args.eta0:g} (constant); {args.epochs} epochs; "
          f"{cpu_threads} CPU threads", flush=True)

    # a cold fit: CUDA context, module load; kept apart from the measured fits
    cold_rows = min(X.shape[0], 10_000)
    _, cold = timed_fit(minibatch(args, device, None, BATCH_EPOCH, max_iter=1), X[:cold_rows], y[:cold_rows])
    figures["cold_fit_seconds"] = cold

    bandwidth = copy_bandwidth(device)
    figures["copy_bandwidth"] = bandwidth
    table.add("device copy bandwidth (read + write)", fmt_rate(bandwidth))

    for reduction in REDUCTIONS:
        model, wall = timed_fit(minibatch(args, device, reduction, BATCH_BANDWIDTH), X, y)
        fig = epoch_figures(model, wall)
        effective = read_bytes / fig["median_epoch_seconds"]
        fig.update(effective_bandwidth=effective, fraction_of_copy=effective / bandwidth)
        figures[f"batch{BATCH_BANDWIDTH}_{reduction}"] = fig
        table.add(f"effective bandwidth, batch {BATCH_BANDWIDTH:,}, {reduction}",
                  f"{fmt_rate(effective)} = {effective / bandwidth:.1%} of copy "
                  f"({fmt_seconds(fig['median_epoch_seconds'])}/epoch)",
                  f">= {TARGET_BANDWIDTH:.0%} of copy", effective / bandwidth >= TARGET_BANDWIDTH)
        print(f"batch {BATCH_BANDWIDTH}, {reduction}: {fig['median_epoch_seconds']:.5f} s/epoch", flush=True)

    for reduction in REDUCTIONS:
        model, wall = timed_fit(minibatch(args, device, reduction, BATCH_EPOCH), X, y)
        fig = epoch_figures(model, wall)
        figures[f"batch{BATCH_EPOCH}_{reduction}"] = fig
        table.add(f"epoch, batch {BATCH_EPOCH:,}, {reduction} (median after the first)",
                  f"{fmt_seconds(fig['median_epoch_seconds'])} (first {fmt_seconds(fig['first_epoch_seconds'])}; "
                  f"objective {fig['final_objective']:.4f})",
                  f"<= {TARGET_EPOCH_SECONDS * 1e3:.0f} ms", fig["median_epoch_seconds"] <= TARGET_EPOCH_SECONDS)
        table.add(f"fit wall, batch {BATCH_EPOCH:,}, {reduction}: overhead = wall - sum(epochs)",
                  f"{fmt_seconds(fig['fit_wall_seconds'])}, overhead {fmt_seconds(fig['overhead_seconds'])} "
                  f"({fmt_rate(data_bytes / max(fig['overhead_seconds'], 1e-9))} of data)")
        print(f"batch {BATCH_EPOCH}, {reduction}: {fig['median_epoch_seconds']:.5f} s/epoch, "
              f"wall {wall:.3f} s", flush=True)
    table.add("cold first fit (CUDA context, module load; 1 epoch, "
              f"{cold_rows:,} rows)", fmt_seconds(cold))

    # the same objective, CPU Hogwild! with every thread against GPU minibatch
    cpu_trace = convergence_run(estimator(args, "cpu", n_threads=cpu_threads), X, y, objective)
    gpu_trace = convergence_run(minibatch(args, device, "ordered", BATCH_EPOCH), X, y, objective)
    race = time_to_objective(cpu_trace, gpu_trace)
    (cpu_epochs, cpu_seconds), (gpu_epochs, gpu_seconds) = race["cpu"], race["gpu"]
    ratio = cpu_seconds / gpu_seconds
    race["speedup"] = ratio
    figures["time_to_objective"] = race
    target_text = f"{race['threshold']:.5f} ({race['objective_kind']} objective, best +{OBJECTIVE_TOLERANCE:.0%})"
    table.add(f"time to objective, CPU hogwild, {cpu_threads} threads",
              f"{fmt_seconds(cpu_seconds)} ({cpu_epochs} epoch(s); best {race['best_cpu']:.5f})", target_text)
    table.add(f"time to objective, GPU minibatch, batch {BATCH_EPOCH:,}, ordered",
              f"{fmt_seconds(gpu_seconds)} ({gpu_epochs} epoch(s); best {race['best_gpu']:.5f})", target_text)
    table.add("speedup to the same objective vs CPU hogwild", f"{ratio:.2f}x", f">= {TARGET_VS_CPU:g}x",
              ratio >= TARGET_VS_CPU)
    atomic_trace = convergence_run(minibatch(args, device, "atomic", BATCH_EPOCH), X, y, objective)
    atomic_race = time_to_objective(cpu_trace, atomic_trace)
    figures["time_to_objective_atomic"] = atomic_race
    atomic_ratio = atomic_race["cpu"][1] / atomic_race["gpu"][1]
    table.add(f"time to objective, GPU minibatch, batch {BATCH_EPOCH:,}, atomic",
              f"{fmt_seconds(atomic_race['gpu'][1])} ({atomic_race['gpu'][0]} epoch(s); "
              f"best {atomic_race['best_gpu']:.5f}); CPU {fmt_seconds(atomic_race['cpu'][1])}",
              f"{atomic_race['threshold']:.5f}")
    table.add("speedup to the same objective vs CPU hogwild, atomic", f"{atomic_ratio:.2f}x",
              f">= {TARGET_VS_CPU:g}x", atomic_ratio >= TARGET_VS_CPU)
    print(f"time to objective: CPU {cpu_seconds:.4f} s, GPU {gpu_seconds:.4f} s", flush=True)

    # PyTorch
    reason = torch_unavailable(device)
    if reason:
        figures["torch"] = {"skipped": reason}
        table.add(f"PyTorch epoch, batch {BATCH_EPOCH:,}", reason)
        table.add("speedup vs PyTorch", reason, f">= {TARGET_VS_TORCH:g}x")
        return
    torch = torch_figures(args, device, X, y, objective)
    figures["torch"] = torch
    if torch["fastest"] is None:
        why = "; ".join(f"{v}: {e}" for v, e in torch["failed"].items())[:300]
        table.add(f"PyTorch {torch['torch_version']} epoch, batch {BATCH_EPOCH:,}", f"FAILED: {why}")
        table.add("speedup vs PyTorch", "FAILED (no PyTorch figure)", f">= {TARGET_VS_TORCH:g}x")
        return
    best = torch["variants"][torch["fastest"]]
    ours = figures[f"batch{BATCH_EPOCH}_ordered"]["median_epoch_seconds"]
    ratio = best["median_epoch_seconds"] / ours
    torch["speedup"] = ratio
    others = ", ".join(f"{v} {fmt_seconds(r['median_epoch_seconds'])}" for v, r in torch["variants"].items())
    checks = ", ".join(f"{v} {'yes' if r['matches_hogwild'] else 'NO'} ({r['relative_difference_to_hogwild']:.1e})"
                       for v, r in torch["variants"].items())
    others += "".join(f", {v} failed: {e[:120]}" for v, e in torch["failed"].items())
    table.add(f"PyTorch {torch['torch_version']} epoch, batch {BATCH_EPOCH:,} (fastest: {torch['fastest']})",
              f"{fmt_seconds(best['median_epoch_seconds'])} ({others}; objective after {best['epochs']} epochs "
              f"{best['objective']:.4f}; one epoch without penalty = hogwild's: {checks})")
    table.add(f"speedup vs PyTorch (epoch, batch {BATCH_EPOCH:,}, ordered)", f"{ratio:.2f}x",
              f">= {TARGET_VS_TORCH:g}x", ratio >= TARGET_VS_TORCH)
    atomic = best["median_epoch_seconds"] / figures[f"batch{BATCH_EPOCH}_atomic"]["median_epoch_seconds"]
    torch["speedup_atomic"] = atomic
    table.add(f"speedup vs PyTorch (epoch, batch {BATCH_EPOCH:,}, atomic)", f"{atomic:.2f}x",
              f">= {TARGET_VS_TORCH:g}x", atomic >= TARGET_VS_TORCH)


def plain(value):
    """JSON for NumPy scalars and anything else."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=None, help=f"default {FULL['rows']:,} ({QUICK['rows']:,} quick)")
    parser.add_argument("--features", type=int, default=None,
                        help=f"default {FULL['features']:,} ({QUICK['features']:,} quick)")
    parser.add_argument("--nnz", type=int, default=None, help=f"nonzeros a row, default {FULL['nnz']}")
    parser.add_argument("--epochs", type=int, default=None,
                        help=f"epochs of every fit, default {FULL['epochs']} ({QUICK['epochs']} quick)")
    parser.add_argument("--alpha", type=float, default=1e-4)
    parser.add_argument("--eta0", type=float, default=16.0,
                        help="constant step of the minibatch fits and of PyTorch's loop (mean gradients)")
    parser.add_argument("--torch-epochs", type=int, default=3, help="timed PyTorch epochs after the warm-up")
    parser.add_argument("--device", default="cuda", help="cuda, cuda:N, or cpu (a dry run of the script)")
    parser.add_argument("--quick", action="store_true", help="a small problem, for a smoke run")
    parser.add_argument("--json", type=Path, default=None, help="write the table and the raw figures here")
    args = parser.parse_args()
    defaults = QUICK if args.quick else FULL
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.device != "cpu":
        try:
            device_index(args.device)
        except ValueError as error:
            parser.error(str(error))

    report = {"command": "python bench/bench_gpu.py " + " ".join(sys.argv[1:]), "device": args.device,
              "measured": False, "arguments": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}}
    reason = unavailable_reason(args.device)
    if reason:
        print(f"no GPU to measure: {reason}")
        print("nothing was measured")
        report["reason"] = reason
        if args.json:
            args.json.write_text(json.dumps(report, indent=2) + "\n")
        return 0

    import hogwild

    report["build_info"] = hogwild.build_info()
    report["device_description"] = device_description(args.device)
    if args.device != "cpu":
        from hogwild import _cuda

        report["cuda_build_info"] = dict(_cuda.build_info())
    print(f"command: {report['command']}")
    print(f"device: {report['device_description']}; hogwild {hogwild.__version__}, "
          f"build cuda={report['build_info'].get('cuda')}")
    figures, table = {}, Table(dry_run=args.device == "cpu")
    start = time.perf_counter()
    try:
        measure(args, args.device, figures, table)
    finally:
        report.update(measured=bool(table.rows), figures=figures, table=table.rows,
                      seconds=time.perf_counter() - start)
        print()
        print(table.markdown())
        if args.json:
            args.json.write_text(json.dumps(report, indent=2, default=plain) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
