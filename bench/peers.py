"""hogwild's solvers against the usual peers, on one problem, in one table.

The problem: L2-regularized logistic regression on float32 CSR data,

    f(w, b) = mean_i log(1 + exp(-y_i (x_i . w + b))) + alpha / 2 ||w||^2,

intercept b unpenalized, alpha 1e-4 by default: scikit-learn's
SGDClassifier(loss="log_loss", penalty="l2", alpha=alpha) objective. Every
peer is scored on this f (float64, after every epoch, outside its timed part)
against the optimum f* = min(a tight L-BFGS solve of f, the best value any
peer reached: LIBLINEAR's tight solve is one of the peers).

    python bench/peers.py --data a9a [--epochs 10] [--plot peers_a9a.png]
    python bench/peers.py --data zipf [--rows 160000 --features 100000 --nnz 40]
    python bench/peers.py --data uniform [--rows 1000000 --features 100000 --nnz 40]
    python bench/peers.py --data a9a --peers sklearn,liblinear,hogwild-all

Data. a9a: hogwild.datasets.load_a9a() (its own test file). zipf:
make_sparse_classification's default feature popularity (Zipf by rank,
exponent 1.1 here), rows L2-normalized. uniform: Zipf(1.1) popularity with
values drawn uniformly from [0, 1) instead of the generator's constant
1/sqrt(nnz) (the generator has no option for that: the values are redrawn
here and the labels recomputed as sign(x . coef) of the generator's hidden
weights, 5% flipped as the generator does). --rows is the number of rows
generated; the last 20% are the test set.

Peers (--peers selects by key), each in a process of its own (this script
re-invoked with --worker KEY, the training rows passed in a temporary .npz):

  sklearn             scikit-learn SGDClassifier(loss="log_loss", alpha=alpha),
                      default learning rate ("optimal"), one partial_fit per
                      epoch. Exact objective. Given float64 CSR (converted once,
                      untimed: scikit-learn would convert on every call).
  vw                  Vowpal Wabbit --sgd --loss_function logistic --l2 alpha
                      --holdout_off, one pass per epoch (a workspace per pass
                      resuming the last one's model with --save_resume; the
                      cache file is built before, untimed; the timed part
                      includes loading the previous pass's model). VW's --l2
                      shrinks w by (1 - l2 * eta_t) at every example, a step on
                      l2/2 ||w||^2 per example: the sum over examples of
                      (loss_i + l2/2 ||w||^2) is n * f, so --l2 = alpha. VW
                      also penalizes its constant feature (the intercept) and
                      reads the rows in file order (no shuffling).
  vw-adaptive         the same with VW's default update rule (adaptive,
                      normalized, invariant) instead of --sgd. There the --l2
                      shrinkage uses one global step while the loss steps are
                      per coordinate, so the --l2 = alpha run minimizes a
                      differently weighted objective: its f does not approach
                      f* (shown for VW's defaults, not as a solver of f).
  liblinear           LIBLINEAR -s 0 (primal trust-region Newton) -B 1 -R
                      -c 1/(alpha n): it minimizes ||w||^2/2 + C sum_i loss_i,
                      i.e. f * C n; -R leaves the bias unpenalized. Exact
                      objective. Not an epoch method: each point is a solve
                      from scratch with a tighter -e (LIBLINEAR_TOLERANCES),
                      timed alone; "s/epoch" and "% read bw" do not apply.
  torch-bag           PyTorch nn.EmbeddingBag(n_features, 1, mode="sum") with the
                      row values as per_sample_weights, plus a bias;
  torch-spmm          PyTorch torch.sparse.mm of per-batch CSR tensors by w.
                      Both: mini-batches of --torch-batch rows (256; batch
                      order shuffled each epoch, rows within a batch fixed),
                      mean BCE-with-logits, weight_decay=alpha on w and none
                      on the bias: exact objective. --torch-optimizer adagrad
                      (default; step 0.1, one value for every data set) or
                      sgd (constant step 1/L, L the smoothness of f with the
                      intercept, untimed power iteration; stalls at a noise
                      floor and is slow on rare features). Dense gradients
                      (the weight decay is dense anyway); all threads.
  hogwild-sequential  hogwild.SGDClassifier(solver="sequential", n_threads=1)
  hogwild-1           hogwild.SGDClassifier(solver="hogwild", n_threads=1)
  hogwild-all         hogwild.SGDClassifier(solver="hogwild", n_threads=--threads)
                      All with loss="log_loss", alpha=alpha, max_iter=--epochs,
                      tol=None and the estimator's defaults otherwise (learning
                      rate "optimal", no averaging). Exact objective. Epoch
                      seconds are the core's, read from callbacks=; the rest of
                      fit's time (validation, set-up) is added to epoch 1.

All peers use random_state / seed 0 where they have one.

The table (Markdown, on stdout, after the command that made it): threads;
seconds per epoch (training seconds / epochs); training seconds until the
relative suboptimality (f - f*) / f* first reaches 1e-2 and 1e-3 ("—": not
within the run); the last model's; its test accuracy; the worker's peak
resident memory (VmHWM; ru_maxrss where there is no /proc) and that peak
minus its resident memory once the peer's library was imported and the
float32 data loaded (so a peer's conversion to its own format counts as
its memory); and the percent of the machine's read bandwidth:
bytes of the float32 CSR training arrays (data + indices + indptr) / seconds
per epoch / the bandwidth measured here with the peer's thread count. That
bandwidth is NumPy's sum over a --bandwidth-gib GiB float32 array, best of
3, on one thread and on --threads threads (equal chunks summed in a thread
pool: NumPy releases the GIL in reductions); a sum may be compute-bound, so
it is a lower bound of the true read bandwidth. Peers that hold the data in
a larger form (scikit-learn's float64, VW's cache, LIBLINEAR's 16-byte
nodes) read more bytes than this figure counts: it is an effective rate on
the same data. With --plot FILE.png: relative suboptimality against training
seconds (both logarithmic), one line per peer. The README's benchmark
table is this table; its first printed line is the command that made it.
"""

import argparse
import importlib.util
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import scipy.sparse as sp

RESULT_PREFIX = "PEERS-RESULT "
LABEL_NOISE = 0.05  # make_sparse_classification's default fraction of flipped labels
TEST_FRACTION = 0.2
LIBLINEAR_TOLERANCES = (1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6)  # the last is the "tight solve"
VW_CONSTANT_HASH = 11650396  # VW's hash of its constant (intercept) feature, before masking to -b bits
DEFAULT_ROWS = {"zipf": 160_000, "uniform": 1_000_000}

# key -> (label, module it needs, how to get it)
BENCH_EXTRA = "pip install 'hogwild[bench]'"
TORCH = "optional, not in the bench extra: pip install torch"
PEERS = {
    "sklearn": ("scikit-learn SGDClassifier", "sklearn", "pip install scikit-learn"),
    "vw": ("Vowpal Wabbit --sgd", "vowpalwabbit", BENCH_EXTRA),
    "vw-adaptive": ("Vowpal Wabbit, adaptive (default)", "vowpalwabbit", BENCH_EXTRA),
    "liblinear": ("LIBLINEAR -s 0", "liblinear", BENCH_EXTRA),
    "torch-bag": ("PyTorch EmbeddingBag", "torch", TORCH),
    "torch-spmm": ("PyTorch sparse mm", "torch", TORCH),
    "hogwild-sequential": ("hogwild sequential", "hogwild", "pip install -e ."),
    "hogwild-1": ("hogwild, 1 thread", "hogwild", "pip install -e ."),
    "hogwild-all": ("hogwild, all threads", "hogwild", "pip install -e ."),
}


# --------------------------------------------------------------------------
# memory of this process


def resident_mb():
    """Current resident memory (the peak where /proc is missing)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return peak_resident_mb()


def peak_resident_mb():
    """This process's peak resident memory. On Linux VmHWM, not ru_maxrss: a
    child's ru_maxrss starts at its parent's peak (Linux carries it over
    fork and exec), which would hide every worker's own peak."""
    try:
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:")) / 2**10
    except (OSError, StopIteration):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes on macOS, KiB on Linux


# --------------------------------------------------------------------------
# the worker: one peer, its per-epoch models streamed to a file


class Trace:
    """Each model's training seconds (kept) and weights (w then b, streamed
    to a file so that they add nothing to the worker's peak memory)."""

    def __init__(self, path):
        self.path = path
        self.seconds = []

    def __enter__(self):
        self.file = open(self.path, "wb")
        return self

    def __exit__(self, *exc):
        self.file.close()

    def add(self, seconds, coef, intercept):
        self.seconds.append(float(seconds))
        np.save(self.file, np.append(np.asarray(coef, dtype=np.float64).ravel(), float(intercept)))
        self.file.flush()


def train_sklearn(X, y, config, trace):
    from sklearn.linear_model import SGDClassifier

    X = X.astype(np.float64)  # scikit-learn's SGD trains on float64 only
    model = SGDClassifier(loss="log_loss", alpha=config["alpha"], max_iter=1, tol=None, random_state=0)
    classes = np.array([-1.0, 1.0])
    for _ in range(config["epochs"]):
        start = time.perf_counter()
        model.partial_fit(X, y, classes=classes)
        trace.add(time.perf_counter() - start, model.coef_, model.intercept_[0])


def train_hogwild(X, y, config, trace, solver, n_threads):
    import hogwild

    model = hogwild.SGDClassifier(loss="log_loss", alpha=config["alpha"], solver=solver, n_threads=n_threads,
                                  max_iter=config["epochs"], tol=None, random_state=0)
    in_callbacks = 0.0

    def keep(record):
        nonlocal in_callbacks
        start = time.perf_counter()
        trace.add(record["seconds"], record["coef"], record["intercept"])
        in_callbacks += time.perf_counter() - start

    start = time.perf_counter()
    model.fit(X, y, callbacks=[keep])
    outside_epochs = time.perf_counter() - start - in_callbacks - sum(trace.seconds)
    trace.seconds[0] += max(outside_epochs, 0.0)  # fit's set-up and checks count, as in a partial_fit


def vw_bits(n_features):
    """Hash bits that give every feature its own weight (VW hashes an integer
    feature name k of the default namespace to k) and keep the constant
    feature's slot clear of them."""
    bits = 18
    while (1 << bits) <= n_features or (VW_CONSTANT_HASH & ((1 << bits) - 1)) < n_features:
        bits += 1
    return bits


def write_vw_text(X, y, path):
    with open(path, "w") as f:
        for i in range(X.shape[0]):
            row = slice(X.indptr[i], X.indptr[i + 1])
            features = " ".join(f"{j}:{v:.9g}" for j, v in zip(X.indices[row].tolist(), X.data[row].tolist()))
            f.write(f"{int(y[i])} | {features}\n")


def vw_weights(vowpalwabbit, model_path, n_features, bits):
    """(w, b) of a saved VW model (get_weight applies VW's pending L2 scale)."""
    workspace = vowpalwabbit.Workspace(arg_list=["-i", str(model_path), "-t", "--quiet"])
    w = np.array([workspace.get_weight(j) for j in range(n_features)])
    b = workspace.get_weight(VW_CONSTANT_HASH & ((1 << bits) - 1))
    workspace.finish()
    return w, b


def train_vw(X, y, config, trace, adaptive):
    import vowpalwabbit

    folder = Path(config["work_dir"])
    text, cache = folder / "train.vw", folder / "train.vw.cache"
    if not cache.exists():  # VW's own multi-pass input, built untimed
        write_vw_text(X, y, text)
        vowpalwabbit.Workspace(arg_list=["-d", str(text), "--cache_file", str(cache), "--noop", "--quiet"]).finish()
        text.unlink()
    bits = vw_bits(X.shape[1])
    options = ["--loss_function", "logistic", "--l2", repr(config["alpha"]), "-b", str(bits), "--holdout_off"]
    options += [] if adaptive else ["--sgd"]
    previous = None
    for epoch in range(config["epochs"]):
        model = folder / f"vw-{'adaptive' if adaptive else 'sgd'}-{epoch}.model"
        command = ["--cache_file", str(cache), "--passes", "1", "--save_resume", "-f", str(model), "--quiet"]
        command += options + (["-i", str(previous)] if previous else [])
        start = time.perf_counter()
        workspace = vowpalwabbit.Workspace(arg_list=command)  # runs the pass
        seconds = time.perf_counter() - start
        workspace.finish()  # writes the model: untimed
        trace.add(seconds, *vw_weights(vowpalwabbit, model, X.shape[1], bits))
        if previous:
            previous.unlink()
        previous = model


def train_liblinear(X, y, config, trace):
    from liblinear.liblinearutil import parameter, problem, train

    data = problem(y, X.astype(np.float64))  # LIBLINEAR's own copy of the rows, untimed
    C = 1.0 / (config["alpha"] * X.shape[0])
    for tolerance in LIBLINEAR_TOLERANCES:
        start = time.perf_counter()
        model = train(data, parameter(f"-s 0 -c {C!r} -B 1 -R -e {tolerance!r} -q"))
        seconds = time.perf_counter() - start
        w, b = model.get_decfun()
        sign = 1.0 if model.get_labels()[0] == 1 else -1.0  # the decision function is for the first label seen
        trace.add(seconds, sign * np.asarray(w), sign * b)


def torch_batches(X, y, batch_size, layout):
    """Per batch: EmbeddingBag inputs (indices, offsets, values) or a CSR
    tensor, and the 0/1 targets. Views of one int64 copy of the indices."""
    import torch

    indptr = torch.from_numpy(X.indptr.astype(np.int64))
    indices = torch.from_numpy(X.indices.astype(np.int64))
    values = torch.from_numpy(X.data)
    targets = torch.from_numpy((y > 0).astype(np.float32))
    batches = []
    for first in range(0, X.shape[0], batch_size):
        last = min(first + batch_size, X.shape[0])
        lo, hi = int(indptr[first]), int(indptr[last])
        if layout == "bag":
            inputs = (indices[lo:hi], indptr[first:last] - lo, values[lo:hi])
        else:
            inputs = torch.sparse_csr_tensor(indptr[first:last + 1] - lo, indices[lo:hi], values[lo:hi],
                                             size=(last - first, X.shape[1]), check_invariants=False)
        batches.append((inputs, targets[first:last]))
    return batches


def train_torch(X, y, config, trace, layout):
    import warnings

    import torch
    import torch.nn.functional as F

    warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
    torch.manual_seed(0)
    torch.set_num_threads(config["threads"])
    batches = torch_batches(X, y, config["torch_batch"], layout)
    if layout == "bag":
        bag = torch.nn.EmbeddingBag(X.shape[1], 1, mode="sum")
        torch.nn.init.zeros_(bag.weight)
        w = bag.weight
    else:
        w = torch.nn.Parameter(torch.zeros(X.shape[1], 1))
    b = torch.nn.Parameter(torch.zeros(1))
    optimizer_class = torch.optim.Adagrad if config["torch_optimizer"] == "adagrad" else torch.optim.SGD
    optimizer = optimizer_class([{"params": [w], "weight_decay": config["alpha"]},  # the bias is not penalized
                                 {"params": [b], "weight_decay": 0.0}], lr=config["torch_lr"])
    order = np.random.default_rng(0)

    def margins(inputs):
        if layout == "bag":
            indices, offsets, values = inputs
            return bag(indices, offsets, per_sample_weights=values).squeeze(1) + b
        return torch.sparse.mm(inputs, w).squeeze(1) + b

    for _ in range(config["epochs"]):
        start = time.perf_counter()
        for k in order.permutation(len(batches)):
            inputs, target = batches[k]
            optimizer.zero_grad()
            F.binary_cross_entropy_with_logits(margins(inputs), target).backward()
            optimizer.step()
        seconds = time.perf_counter() - start
        trace.add(seconds, w.detach().numpy(), float(b.detach()[0]))


def train_peer(key, X, y, config, trace):
    if key == "sklearn":
        train_sklearn(X, y, config, trace)
    elif key in ("vw", "vw-adaptive"):
        train_vw(X, y, config, trace, adaptive=key == "vw-adaptive")
    elif key == "liblinear":
        train_liblinear(X, y, config, trace)
    elif key in ("torch-bag", "torch-spmm"):
        train_torch(X, y, config, trace, layout="bag" if key == "torch-bag" else "spmm")
    elif key == "hogwild-sequential":
        train_hogwild(X, y, config, trace, "sequential", 1)
    elif key == "hogwild-1":
        train_hogwild(X, y, config, trace, "hogwild", 1)
    else:
        train_hogwild(X, y, config, trace, "hogwild", config["threads"])


def peer_threads(key, all_threads):
    """Threads a peer trains with (VW also runs a parser thread beside its learner)."""
    return all_threads if key in ("torch-bag", "torch-spmm", "hogwild-all") else 1


def run_worker(key, config):
    importlib.import_module(PEERS[key][1])  # the library's own memory belongs to the baseline
    with np.load(config["data_file"]) as saved:
        X = sp.csr_matrix((saved["data"], saved["indices"], saved["indptr"]), shape=tuple(saved["shape"]))
        y = saved["y"]
    loaded_mb = resident_mb()
    with Trace(Path(config["work_dir"]) / f"{key}.weights.npy") as trace:
        train_peer(key, X, y, config, trace)
    return {"seconds": trace.seconds, "loaded_mb": loaded_mb, "peak_mb": peak_resident_mb()}


# --------------------------------------------------------------------------
# the parent: data, optimum, bandwidth, one worker per peer, the table


def zipf_problem(rows, features, nnz):
    from hogwild.datasets import make_sparse_classification
    from sklearn.preprocessing import normalize

    X, y = make_sparse_classification(rows, features, nnz, random_state=0)
    return normalize(X, norm="l2", copy=False), y  # a no-op while the generator makes unit rows


def uniform_values_problem(rows, features, nnz):
    from hogwild.datasets import make_sparse_classification

    X, _, coef = make_sparse_classification(rows, features, nnz, popularity="zipf", zipf_exponent=1.1,
                                            random_state=0, return_coef=True)
    rng = np.random.default_rng(0)
    X.data = rng.random(X.nnz, dtype=np.float32)
    y = np.where(X @ coef > 0, 1.0, -1.0)
    y[rng.random(rows) < LABEL_NOISE] *= -1
    return X, y


def load_problem(args):
    """(X, y, X_test, y_test), float32 CSR and -1/+1 labels."""
    if args.data == "a9a":
        from hogwild.datasets import load_a9a

        return load_a9a()
    rows = args.rows or DEFAULT_ROWS[args.data]
    make = zipf_problem if args.data == "zipf" else uniform_values_problem
    X, y = make(rows, args.features, args.nnz)
    n_train = rows - round(rows * TEST_FRACTION)
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:]


def torch_step(optimizer, X64, alpha):
    """Adagrad: 0.1 (one value for every data set). SGD: 1/L, L the
    smoothness of f with the intercept's column of ones (its curvature, up
    to 1/4, is often the largest)."""
    if optimizer == "adagrad":
        return 0.1
    from bench_solvers import smoothness

    return 1.0 / smoothness(sp.hstack([X64, np.ones((X64.shape[0], 1))], format="csr"), alpha)


def read_bandwidth(gib, threads, repeats=3):
    """Bytes/s of NumPy summing a float32 array in `threads` equal chunks, best of `repeats`."""
    array = np.ones(int(gib * 2**30) // 4, dtype=np.float32)
    chunks = np.array_split(array, threads)
    best = float("inf")
    with ThreadPoolExecutor(threads) as pool:
        for _ in range(repeats):
            start = time.perf_counter()
            list(pool.map(np.sum, chunks))
            best = min(best, time.perf_counter() - start)
    return array.nbytes / best


def csr_bytes(X):
    return X.data.nbytes + X.indices.nbytes + X.indptr.nbytes


def missing_reason(key):
    _, module, install = PEERS[key]
    if importlib.util.find_spec(module) is None:
        return f"`{module}` is not installed ({install})"
    return None


def run_child(key, config, timeout):
    """This script with --worker KEY; its result dict, or {"error": ...}."""
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", key, "--config", json.dumps(config)]
    print(f"running {key}", file=sys.stderr, flush=True)
    try:
        done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:g} s"}
    lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    if done.returncode != 0 or not lines:
        tail = (done.stderr or done.stdout).strip().splitlines()
        return {"error": f"worker exited with status {done.returncode}: {tail[-1] if tail else 'no output'}"}
    return json.loads(lines[-1][len(RESULT_PREFIX):])


def stored_models(path, count):
    with open(path, "rb") as f:
        return [np.load(f) for _ in range(count)]


def scored(key, result, work_dir, objective, X_test, y_test):
    """The worker's result with each model's objective and the last one's test accuracy."""
    models = stored_models(Path(work_dir) / f"{key}.weights.npy", len(result["seconds"]))
    result["objectives"] = [objective(wb)[0] for wb in models]
    w, b = models[-1][:-1], models[-1][-1]
    result["test_accuracy"] = float(np.mean(np.where(X_test @ w + b > 0, 1.0, -1.0) == y_test))
    # LIBLINEAR's points are separate solves; the others' are consecutive epochs
    result["elapsed"] = result["seconds"] if key == "liblinear" else np.cumsum(result["seconds"]).tolist()
    return result


def first_reaching(result, optimum, tolerance):
    for seconds, value in zip(result["elapsed"], result["objectives"]):
        if (value - optimum) / optimum <= tolerance:
            return seconds
    return None


def table_row(key, label, result, optimum, data_bytes, bandwidth):
    def fmt(value, spec):
        return "—" if value is None else format(value, spec)

    epoch_based = key != "liblinear"
    per_epoch = sum(result["seconds"]) / len(result["seconds"]) if epoch_based else None
    share = 100 * data_bytes / per_epoch / bandwidth[result["threads"]] if epoch_based else None
    final = (result["objectives"][-1] - optimum) / optimum
    cells = [label, str(result["threads"]), fmt(per_epoch, ".4f"), fmt(first_reaching(result, optimum, 1e-2), ".3f"),
             fmt(first_reaching(result, optimum, 1e-3), ".3f"), f"{final:.2e}", f"{result['test_accuracy']:.4f}",
             f"{result['peak_mb']:.0f}", f"{result['peak_mb'] - result['loaded_mb']:.0f}", fmt(share, ".1f")]
    return "| " + " | ".join(cells) + " |"


def print_table(results, optimum, data_bytes, bandwidth):
    print("| peer | threads | s/epoch | s to 1e-2 | s to 1e-3 | final rel. subopt. | test acc. | peak MB "
          "| peak − loaded MB | % read bw |")
    print("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    for key, result in results.items():
        print(table_row(key, PEERS[key][0].replace("all threads", f"{result['threads']} threads"), result,
                        optimum, data_bytes, bandwidth))


def plot(results, optimum, path, title):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5))
    for i, (key, result) in enumerate(results.items()):
        gaps = [max((v - optimum) / optimum, 1e-12) for v in result["objectives"]]
        # matplotlib cycles 10 colours: dash the lines after them
        ax.plot(result["elapsed"], gaps, marker="o", markersize=3, linestyle="-" if i < 10 else "--",
                label=PEERS[key][0].replace("all threads", f"{result['threads']} threads"))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("training time (s)")
    ax.set_ylabel("relative suboptimality (f - f*) / f*")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    fig.savefig(path, dpi=120, bbox_inches="tight")
    print(f"\nplot written to {path}")


def selected_peers(args, all_threads, parser):
    keys = list(PEERS) if args.peers is None else args.peers.split(",")
    unknown = [k for k in keys if k not in PEERS]
    if unknown:
        parser.error(f"unknown peers {', '.join(unknown)}; known: {', '.join(PEERS)}")
    skipped = {k: missing_reason(k) for k in keys if missing_reason(k)}
    if all_threads == 1 and "hogwild-all" in keys:
        skipped["hogwild-all"] = "all threads is one thread: the same as hogwild-1"
    return [k for k in keys if k not in skipped], skipped


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", choices=("a9a", "zipf", "uniform"), default="a9a")
    parser.add_argument("--rows", type=int, default=None, help="rows generated, 20%% of them for testing "
                        "(default 160000 for zipf, 1000000 for uniform)")
    parser.add_argument("--features", type=int, default=100_000)
    parser.add_argument("--nnz", type=int, default=40, help="nonzeros per generated row")
    parser.add_argument("--alpha", type=float, default=1e-4)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--peers", default=None, help=f"comma-separated keys among {', '.join(PEERS)} (default all)")
    parser.add_argument("--threads", type=int, default=None, help="all threads (default: usable CPUs)")
    parser.add_argument("--torch-batch", type=int, default=256)
    parser.add_argument("--torch-optimizer", choices=("adagrad", "sgd"), default="adagrad")
    parser.add_argument("--torch-lr", type=float, default=None,
                        help="PyTorch's step (default 0.1 for adagrad, 1/L for sgd)")
    parser.add_argument("--optimum", type=float, default=None, help="f* of an earlier run on the same problem "
                        "(skips L-BFGS)")
    parser.add_argument("--bandwidth-gib", type=float, default=1.0, help="array size of the bandwidth measure")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds allowed to each worker")
    parser.add_argument("--plot", default=None, help="write the convergence plot to this PNG")
    parser.add_argument("--worker", choices=sorted(PEERS), help=argparse.SUPPRESS)
    parser.add_argument("--config", help=argparse.SUPPRESS)
    return parser, parser.parse_args()


def main():
    parser, args = parse_arguments()
    if args.worker:  # a child: one peer, one JSON line
        print(RESULT_PREFIX + json.dumps(run_worker(args.worker, json.loads(args.config))), flush=True)
        return

    import hogwild
    from bench_solvers import lbfgs_optimum, logistic_objective

    all_threads = args.threads or hogwild.build_info()["usable_cpus"]
    keys, skipped = selected_peers(args, all_threads, parser)
    bandwidth = {1: read_bandwidth(args.bandwidth_gib, 1), all_threads: read_bandwidth(args.bandwidth_gib, all_threads)}
    X, y, X_test, y_test = load_problem(args)
    X64 = X.astype(np.float64)
    start = time.perf_counter()
    lbfgs = args.optimum or lbfgs_optimum(X64, y, args.alpha)
    lbfgs_seconds = time.perf_counter() - start
    torch_lr = args.torch_lr or torch_step(args.torch_optimizer, X64, args.alpha)
    objective = logistic_objective(X64, y, args.alpha)

    results = {}
    with tempfile.TemporaryDirectory(prefix="hogwild-peers-") as work_dir:
        data_file = os.path.join(work_dir, "train.npz")
        np.savez(data_file, data=X.data, indices=X.indices, indptr=X.indptr, shape=np.array(X.shape), y=y)
        config = {"data_file": data_file, "work_dir": work_dir, "alpha": args.alpha, "epochs": args.epochs,
                  "threads": all_threads, "torch_batch": args.torch_batch, "torch_lr": torch_lr,
                  "torch_optimizer": args.torch_optimizer}
        for key in keys:
            result = run_child(key, config, args.timeout)
            if "error" in result:
                skipped[key] = result["error"]
                continue
            result["threads"] = peer_threads(key, all_threads)
            results[key] = scored(key, result, work_dir, objective, X_test, y_test)

    optimum = min([lbfgs] + [min(r["objectives"]) for r in results.values()])
    print(f"command: python bench/peers.py {' '.join(sys.argv[1:])}")
    print(f"data: {args.data}, {X.shape[0]} training rows x {X.shape[1]} features, {X.nnz} nonzeros "
          f"({csr_bytes(X) / 2**20:.1f} MiB as float32 CSR), {X_test.shape[0]} test rows; "
          f"log_loss + alpha/2 ||w||^2, alpha={args.alpha:g}; {args.epochs} epochs")
    print(f"f*: {optimum:.10g} (L-BFGS {lbfgs:.10g}"
          + (f", {lbfgs_seconds:.1f} s" if not args.optimum else ", given") + "); "
          f"read bandwidth: {bandwidth[1] / 1e9:.1f} GB/s on 1 thread, "
          f"{bandwidth[all_threads] / 1e9:.1f} GB/s on {all_threads}; PyTorch: {args.torch_optimizer}, step "
          f"{torch_lr:.4g}, batch {args.torch_batch}\n")
    print_table(results, optimum, csr_bytes(X), bandwidth)
    if "liblinear" in results:
        tight = results["liblinear"]
        print(f"\nLIBLINEAR: each point a solve of its own (-e {', '.join(f'{t:g}' for t in LIBLINEAR_TOLERANCES)});"
              f" the tight solve (-e {LIBLINEAR_TOLERANCES[-1]:g}) took {tight['seconds'][-1]:.3f} s")
    for key, reason in skipped.items():
        print(f"skipped {key}: {reason}")
    if args.plot and results:
        plot(results, optimum, args.plot, f"{args.data}: logistic regression, alpha={args.alpha:g}")


if __name__ == "__main__":
    main()
