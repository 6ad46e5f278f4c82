"""hogwild.MatrixFactorization against its peers: Surprise's SVD and LIBMF.

Part 1, MovieLens 100K's standard split (u1.base for training, u1.test for
testing): test RMSE, seconds per epoch and ratings/s of

* Surprise's ``SVD`` (biased MF, "Funk SVD"; ``pip install scikit-surprise``),
  single-threaded, with its own defaults (100 factors, 20 epochs, lr 0.005,
  reg 0.02) and, when they differ, with this run's --factors/--epochs;
* LIBMF's real-valued MF (squared loss, ``-f 0``), which has no bias terms,
  with 1 and --threads threads, its default learning rate and L2 and each
  --libmf-l2: through its ``mf-train``/``mf-predict`` programs from
  ``--libmf DIR`` and/or through the PyPI binding ``libmf`` (0.9.2: an older
  LIBMF compiled without SSE and OpenMP, so slower than the programs);
* hogwild.MatrixFactorization: the sequential solver with 1 thread, the
  hogwild and blocks solvers with 1 and --threads threads.

Part 2, thread scaling on a generated problem (hogwild.datasets.make_ratings,
10M ratings by default): the hogwild and blocks solvers with 1..--threads
threads, seconds per epoch and the speed-up over 1 thread of the same solver.

    python bench/bench_mf.py [--data DIR] [--factors 100] [--epochs 20]
        [--threads N] [--libmf DIR] [--libmf-l2 default,0.05]
        [--scaling-ratings 10000000] [--scaling-epochs 5]
        [--parts surprise,libmf,hogwild,scaling] [--json FILE]

--data defaults to ../shared/data/ml-100k beside the project's root. Every
configuration runs in a subprocess of its own (this script re-invoked with
--peer), so no peer's imports, threads or memory disturb another's timings;
each prints one JSON line. Prints one Markdown table per part; --json FILE
writes every figure, the exact LIBMF command lines and the versions.

Timing. Surprise, the LIBMF binding and hogwild: the fit's own seconds
(hogwild: ``history_[-1]["elapsed"]``), the least of --repeats fits.
LIBMF's programs: the wall time of ``mf-train -t EPOCHS`` less that of
``mf-train -t 1`` with the same options (which removes reading the file and
writing the model), over EPOCHS - 1 epochs, each the least of --libmf-repeats
runs.
RMSE: of the raw predictions, and of the predictions clipped to the training
ratings' range (what Surprise's own ``accuracy.rmse`` reports).

LIBMF is not on PyPI as a maintained package: the ``libmf`` binding is found
when installed; LIBMF's programs are built from its own source by its own
Makefile (see its README) and passed as --libmf DIR. Without either, LIBMF is
skipped with a message.
"""

import argparse
import contextlib
import io
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from importlib import metadata, util
from pathlib import Path

import numpy as np

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = PROJECT_ROOT / ".." / "shared" / "data" / "ml-100k"
RESULT_PREFIX = "@@bench_mf@@ "  # marks the child's JSON line in its stdout
SURPRISE_DEFAULTS = {"n_factors": 100, "n_epochs": 20}


# --------------------------------------------------------------------------
# data and metrics


def load_split(data_dir):
    """u1.base and u1.test as ((users, items, ratings), (users, items, ratings)),
    the ids as in the files (MovieLens: from 1), ratings float64."""
    def read(name):
        table = np.loadtxt(Path(data_dir) / name, delimiter="\t", usecols=(0, 1, 2), ndmin=2)
        return table[:, 0].astype(np.int64), table[:, 1].astype(np.int64), table[:, 2]
    return read("u1.base"), read("u1.test")


def rmse_figures(predictions, ratings, scale):
    predictions = np.asarray(predictions, dtype=np.float64)
    ratings = np.asarray(ratings, dtype=np.float64)
    clipped = np.clip(predictions, scale[0], scale[1])
    return {
        "test_rmse": float(np.sqrt(np.mean((predictions - ratings) ** 2))),
        "test_rmse_clipped": float(np.sqrt(np.mean((clipped - ratings) ** 2))),
    }


def plain(value):
    """json.dumps's fallback: NumPy scalars and arrays as Python ones, the rest as text."""
    return value.tolist() if hasattr(value, "tolist") else str(value)


def speed_figures(seconds, epochs, n_ratings):
    return {
        "fit_seconds": seconds,
        "seconds_per_epoch": seconds / epochs,
        "ratings_per_second": n_ratings * epochs / seconds,
    }


def fastest_fit(make, fit, repeats):
    """(seconds, model) of the fastest of `repeats` fits of fresh models."""
    best = None
    for _ in range(repeats):
        model = make()
        start = time.perf_counter()
        fit(model)
        seconds = time.perf_counter() - start
        if best is None or seconds < best[0]:
            best = (seconds, model)
    return best


# --------------------------------------------------------------------------
# hogwild


def run_hogwild(train, test, n_factors, n_epochs, n_threads, solver, repeats=1, params=None):
    """Fits hogwild.MatrixFactorization on train = (users, items, ratings)
    (the least fit time of `repeats` fits) and, when test is given, measures
    its test RMSE. Returns a dict of figures."""
    from hogwild import MatrixFactorization

    users, items, ratings = train
    best = None
    for _ in range(repeats):
        if n_factors is None:  # the estimator's defaults (factors, epochs, tol: what a user gets)
            model = MatrixFactorization(n_threads=n_threads, solver=solver, random_state=0, **(params or {}))
        else:  # exactly n_epochs epochs, as the peers train
            model = MatrixFactorization(n_factors=n_factors, max_iter=n_epochs, n_threads=n_threads,
                                        solver=solver, random_state=0, **{"tol": None, **(params or {})})
        start = time.perf_counter()
        model.fit((users, items), ratings)
        wall = time.perf_counter() - start
        history = list(getattr(model, "history_", None) or [])
        seconds = float(history[-1]["elapsed"]) if history else wall
        if best is None or seconds < best[0]:
            best = (seconds, wall, model, history)
    seconds, wall, model, history = best
    epochs_run = len(history) or n_epochs
    if n_factors is None:
        n_factors, n_epochs = model.n_factors, model.max_iter
        solver += " (defaults)"
    result = {"solver": solver, "n_factors": n_factors, "n_epochs": n_epochs,
              "epochs_run": epochs_run, "n_threads": n_threads, "params": params or {},
              "fit_wall_seconds": wall, **speed_figures(seconds, epochs_run, len(ratings))}
    if history:
        result["final_train_rmse"] = float(history[-1]["train_rmse"])
        result["history"] = [dict(entry) for entry in history]
    if test is not None:
        test_users, test_items, test_ratings = test
        predictions = model.predict((test_users, test_items))
        result.update(rmse_figures(predictions, test_ratings, (ratings.min(), ratings.max())))
    return result


def hogwild_missing():
    """None when hogwild.MatrixFactorization can be imported, else why not."""
    try:
        from hogwild import MatrixFactorization  # noqa: F401
    except ImportError as error:
        return f"hogwild.MatrixFactorization cannot be imported ({error})"
    return None


def peer_hogwild(config):
    missing = hogwild_missing()
    if missing:
        return {"skipped": missing}
    from hogwild.datasets import load_movielens

    data = Path(config["data"])
    train = load_movielens(str(data / "u1.base"))
    test = load_movielens(str(data / "u1.test"))
    result = run_hogwild(train, test, config["n_factors"], config["n_epochs"], config["n_threads"],
                         config["solver"], config["repeats"], config["params"])
    return {"implementation": "hogwild", "model": "MatrixFactorization", **result}


def peer_scaling(config):
    """One solver with 1..max_threads threads on one generated problem."""
    missing = hogwild_missing()
    if missing:
        return {"skipped": missing}
    from hogwild.datasets import make_ratings

    start = time.perf_counter()
    train = make_ratings(config["n_users"], config["n_items"], config["n_ratings"],
                         rank=config["rank"], noise=config["noise"], random_state=0)
    generated = time.perf_counter() - start
    rows = []
    for n_threads in range(1, config["max_threads"] + 1):
        row = run_hogwild(train, None, config["n_factors"], config["n_epochs"], n_threads,
                          config["solver"], config["repeats"], config["params"])
        row.pop("history", None)
        rows.append(row)
    base = rows[0]["seconds_per_epoch"]
    for row in rows:
        row["speedup"] = base / row["seconds_per_epoch"]
    return {"solver": config["solver"], "n_ratings": len(train[2]),
            "generation_seconds": generated, "rows": rows}


# --------------------------------------------------------------------------
# Surprise


def peer_surprise(config):
    try:
        import surprise
    except ImportError as error:
        return {"skipped": f"Surprise is not installed ({error}): pip install scikit-surprise"}
    from surprise import SVD, Dataset, Reader

    data = Path(config["data"])
    (_, _, train_ratings), (_, _, test_ratings) = load_split(data)
    scale = (float(train_ratings.min()), float(train_ratings.max()))
    reader = Reader(line_format="user item rating timestamp", sep="\t", rating_scale=scale)
    trainset = Dataset.load_from_file(str(data / "u1.base"), reader).build_full_trainset()
    with open(data / "u1.test") as f:  # raw ids as Surprise reads them: the file's strings
        test_ids = [line.split("\t")[:2] for line in f if line.strip()]
    kwargs = {key: config[key] for key in ("n_factors", "n_epochs") if config.get(key) is not None}
    seconds, algo = fastest_fit(lambda: SVD(random_state=0, **kwargs), lambda algo: algo.fit(trainset),
                                config["repeats"])
    predictions = [algo.predict(u, i, clip=False).est for u, i in test_ids]
    return {"implementation": "Surprise", "version": surprise.__version__, "model": "SVD (biased)",
            "n_factors": algo.n_factors, "n_epochs": algo.n_epochs, "n_threads": 1,
            "params": {"lr_all": algo.lr_bu, "reg_all": algo.reg_bu, "init_std_dev": algo.init_std_dev,
                       "biased": algo.biased, "defaults": not kwargs},
            **speed_figures(seconds, algo.n_epochs, trainset.n_ratings),
            **rmse_figures(predictions, test_ratings, scale)}


# --------------------------------------------------------------------------
# LIBMF


def contiguous_ids(train, test):
    """0-based row and column indices (LIBMF's <row_idx> <col_idx>) for the
    ids of train and test together."""
    users = np.unique(np.concatenate([train[0], test[0]]))
    items = np.unique(np.concatenate([train[1], test[1]]))
    def indexed(part):
        return np.searchsorted(users, part[0]), np.searchsorted(items, part[1]), part[2]
    return indexed(train), indexed(test)


def libmf_options(config, epochs):
    options = ["-f", "0", "-k", str(config["n_factors"]), "-t", str(epochs), "-s", str(config["n_threads"])]
    if config.get("l2") is not None:
        options += ["-l2", str(config["l2"])]
    if config.get("lr") is not None:
        options += ["-r", str(config["lr"])]
    return options


def peer_libmf_cli(config):
    """LIBMF's mf-train / mf-predict programs on files in its text format."""
    libmf = Path(config["libmf"])
    train, test = contiguous_ids(*load_split(config["data"]))
    scale = (float(train[2].min()), float(train[2].max()))
    epochs = config["n_epochs"]
    with tempfile.TemporaryDirectory(prefix="bench_mf_libmf_") as tmp:
        tmp = Path(tmp)
        for name, part in (("train.txt", train), ("test.txt", test)):
            np.savetxt(tmp / name, np.column_stack(part), fmt=["%d", "%d", "%g"], delimiter=" ")

        def timed(epochs_here, model):
            command = [str(libmf / "mf-train"), *libmf_options(config, epochs_here), "--quiet",
                       str(tmp / "train.txt"), str(tmp / model)]
            best = None
            for _ in range(config["repeats"]):
                start = time.perf_counter()
                subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
                seconds = time.perf_counter() - start
                best = seconds if best is None else min(best, seconds)
            return command, best

        command, seconds = timed(epochs, "model")
        if epochs > 1:  # LIBMF cannot train 0 epochs (mf-train -t 0 crashes)
            baseline_command, baseline = timed(1, "model.1")
            training, timed_epochs = seconds - baseline, epochs - 1
        else:
            baseline_command, baseline, training, timed_epochs = None, None, seconds, epochs
        predict_command = [str(libmf / "mf-predict"), "-e", "0", str(tmp / "test.txt"),
                           str(tmp / "model"), str(tmp / "predictions.txt")]
        predicted = subprocess.run(predict_command, check=True, capture_output=True, text=True)
        predictions = np.loadtxt(tmp / "predictions.txt", ndmin=1)
    result = {"implementation": "LIBMF", "interface": f"mf-train/mf-predict ({libmf})",
              "model": "real-valued MF, squared loss (no biases)", "n_factors": config["n_factors"],
              "n_epochs": epochs, "n_threads": config["n_threads"],
              "params": {"l2": config.get("l2") if config.get("l2") is not None else "default (0.1)",
                         "lr": config.get("lr") if config.get("lr") is not None else "default (0.1)"},
              "commands": {"train": " ".join(command), "train_baseline": baseline_command and " ".join(baseline_command),
                           "predict": " ".join(predict_command)},
              "process_seconds": seconds, "baseline_process_seconds": baseline,
              "mf_predict_output": predicted.stdout.strip(),
              **speed_figures(training, timed_epochs, len(train[2])),
              **rmse_figures(predictions, test[2], scale)}
    result["fit_seconds"] = seconds  # the whole mf-train run; seconds_per_epoch is the differenced figure
    return result


def import_libmf_binding():
    """The PyPI binding `libmf`, whose import prints the path of its library
    and whose source compares strings with `is` (SyntaxWarning)."""
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from libmf import mf
    return mf


def peer_libmf_binding(config):
    try:
        mf = import_libmf_binding()
    except (ImportError, OSError) as error:
        return {"skipped": f"the LIBMF binding cannot be imported ({error})"}
    train, test = contiguous_ids(*load_split(config["data"]))
    scale = (float(train[2].min()), float(train[2].max()))
    X = np.column_stack(train).astype(np.float32)
    l2 = 0.1 if config.get("l2") is None else config["l2"]
    lr = 0.1 if config.get("lr") is None else config["lr"]
    # The binding's own Python defaults put 0.04 on the L1 terms and 0 on the
    # L2 ones, unlike LIBMF's (L1 0, L2 0.1): every term is given here.
    options = {"fun": 0, "k": config["n_factors"], "nr_iters": config["n_epochs"], "nr_threads": config["n_threads"],
               "lambda_p1": 0.0, "lambda_q1": 0.0, "lambda_p2": l2, "lambda_q2": l2, "eta": lr, "quiet": True}
    seconds, model = fastest_fit(lambda: mf.MF(**options), lambda model: model.fit(X), config["repeats"])
    # MF.predict reads its (n, 2) array column by column: give it Fortran order
    # (a C-ordered array silently yields wrong predictions).
    pairs = np.asfortranarray(np.column_stack(test[:2]).astype(np.float32))
    predictions = model.predict(pairs)
    return {"implementation": "LIBMF", "interface": f"PyPI binding libmf {package_version('libmf')}",
            "model": "real-valued MF, squared loss (no biases)", "n_factors": config["n_factors"],
            "n_epochs": config["n_epochs"], "n_threads": config["n_threads"],
            "params": {"l2": l2, "lr": lr}, **speed_figures(seconds, config["n_epochs"], len(train[2])),
            **rmse_figures(predictions, test[2], scale)}


PEERS = {"surprise": peer_surprise, "libmf-cli": peer_libmf_cli, "libmf-binding": peer_libmf_binding,
         "hogwild": peer_hogwild, "scaling": peer_scaling}


# --------------------------------------------------------------------------
# the parent: runs every configuration in a subprocess of its own


def package_version(name):
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def environment():
    cpu = platform.processor()
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    return {"python": platform.python_version(), "platform": platform.platform(), "cpu": cpu,
            "cpu_count": os.cpu_count(),
            "packages": {name: package_version(name) for name in ("hogwild", "numpy", "scikit-surprise", "libmf")}}


def run_child(peer, config, timeout):
    """This script with --peer PEER --config JSON; its JSON line as a dict."""
    command = [sys.executable, str(Path(__file__).resolve()), "--peer", peer, "--config", json.dumps(config)]
    label = f"{peer} {json.dumps({k: v for k, v in config.items() if k != 'data'})}"
    print(f"running {label}", file=sys.stderr, flush=True)
    try:
        done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"{peer}: timed out after {timeout} s", "config": config}
    lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    if done.returncode != 0 or not lines:
        tail = (done.stderr or done.stdout).strip().splitlines()[-20:]
        last = tail[-1].strip() if tail else "no output"
        return {"error": f"{peer}: exit status {done.returncode}: {last}", "output_tail": tail, "config": config}
    return json.loads(lines[-1][len(RESULT_PREFIX):])


def libmf_programs(folder):
    """The folder when it holds executable mf-train and mf-predict, else None."""
    if folder is None:
        return None
    folder = Path(folder).resolve()
    ok = all(os.access(folder / name, os.X_OK) and (folder / name).is_file() for name in ("mf-train", "mf-predict"))
    return folder if ok else None


def thread_counts(n_threads):
    return sorted({1, n_threads})


def parse_hogwild_params(pairs):
    params = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        try:
            params[name] = json.loads(value)
        except json.JSONDecodeError:
            params[name] = value
    return params


def part_surprise(args, results, skipped):
    if util.find_spec("surprise") is None:
        skipped.append("Surprise: not installed (pip install scikit-surprise)")
        return
    settings = [{}]  # Surprise's own defaults
    if (args.factors, args.epochs) != (SURPRISE_DEFAULTS["n_factors"], SURPRISE_DEFAULTS["n_epochs"]):
        settings.append({"n_factors": args.factors, "n_epochs": args.epochs})
    for setting in settings:
        results.append(run_child("surprise", {"data": str(args.data), "repeats": args.repeats, **setting},
                                 args.timeout))


def part_libmf(args, results, skipped):
    programs = libmf_programs(args.libmf)
    binding = args.libmf_binding and util.find_spec("libmf") is not None
    if args.libmf is not None and programs is None:
        skipped.append(f"LIBMF programs: {args.libmf} has no executable mf-train and mf-predict")
    if programs is None and not binding:
        skipped.append("LIBMF: skipped, neither --libmf DIR (a folder with LIBMF's mf-train and mf-predict, "
                       "built from its source with its own Makefile) nor the PyPI binding `libmf` "
                       "(pip install libmf) is available")
        return
    l2_values = [None if value.strip() in ("", "default") else float(value) for value in args.libmf_l2.split(",")]
    for interface in (["libmf-cli"] if programs else []) + (["libmf-binding"] if binding else []):
        for n_threads in thread_counts(args.threads):
            for l2 in l2_values:
                config = {"data": str(args.data), "n_factors": args.factors, "n_epochs": args.epochs,
                          "n_threads": n_threads, "l2": l2, "lr": args.libmf_lr,
                          "repeats": args.libmf_repeats if interface == "libmf-cli" else args.repeats}
                if interface == "libmf-cli":
                    config["libmf"] = str(programs)
                results.append(run_child(interface, config, args.timeout))


def part_hogwild(args, results, skipped, params):
    runs = []
    for solver in args.solvers.split(","):
        counts = [1] if solver == "sequential" else thread_counts(args.threads)
        runs += [(solver, n) for n in counts]
    # and the defaults (64 factors, 50 epochs at most), as a user gets them
    runs += [("blocks", n, "defaults") for n in thread_counts(args.threads)]
    for solver, n_threads, *defaults in runs:
        n_factors = None if defaults else args.factors
        result = run_child("hogwild", {"data": str(args.data), "n_factors": n_factors, "n_epochs": args.epochs,
                                       "n_threads": n_threads, "solver": solver, "repeats": args.repeats,
                                       "params": params}, args.timeout)
        if "skipped" in result:
            skipped.append(f"hogwild: {result['skipped']}")
            return
        results.append(result)


def part_scaling(args, results, skipped, params):
    for solver in args.scaling_solvers.split(","):
        result = run_child("scaling", {"solver": solver, "n_users": args.scaling_users, "n_items": args.scaling_items,
                                       "n_ratings": args.scaling_ratings, "rank": args.scaling_rank,
                                       "noise": args.scaling_noise, "n_factors": args.scaling_factors or args.factors,
                                       "n_epochs": args.scaling_epochs, "max_threads": args.threads,
                                       "repeats": 1, "params": params}, args.timeout)
        if "skipped" in result:
            skipped.append(f"scaling: {result['skipped']}")
            return
        results.append(result)


def fmt(value, spec):
    return "n/a" if value is None else format(value, spec)


def movielens_table(title, rows):
    lines = [f"### {title}", "",
             ("| implementation | model / solver | settings | factors | epochs | threads | test RMSE "
              "| test RMSE (clipped) | s/epoch | ratings/s |"),
             "|---|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for row in rows:
        if "error" in row:
            lines.append(f"| error | {row['error'].replace('|', '/')} | | | | | | | | |")
            continue
        params = row.get("params") or {}
        settings = ", ".join(f"{k}={v}" for k, v in params.items() if k != "defaults")
        if params.get("defaults"):
            settings = "defaults: " + settings
        name = row["implementation"] + (f" ({row['interface']})" if "interface" in row else "")
        model = row.get("solver", row.get("model", ""))
        lines.append(f"| {name} | {model} | {settings} | {row['n_factors']} | {row.get('epochs_run', row['n_epochs'])} "
                     f"| {row['n_threads']} | {fmt(row.get('test_rmse'), '.4f')} "
                     f"| {fmt(row.get('test_rmse_clipped'), '.4f')} | {fmt(row['seconds_per_epoch'], '.4f')} "
                     f"| {fmt(row['ratings_per_second'], ',.0f')} |")
    return "\n".join(lines)


def scaling_table(results, args):
    title = (f"### Thread scaling: {args.scaling_ratings:,} generated ratings ({args.scaling_users:,} users x "
             f"{args.scaling_items:,} items, rank {args.scaling_rank}, noise {args.scaling_noise}), "
             f"{args.scaling_factors or args.factors} factors, {args.scaling_epochs} epochs")
    lines = [title, "",
             "| solver | threads | s/epoch | ratings/s | speed-up vs 1 thread | final train RMSE |",
             "|---|---:|---:|---:|---:|---:|"]
    for result in results:
        if "error" in result:
            lines.append(f"| error | {result['error'].replace('|', '/')} | | | | |")
            continue
        for row in result["rows"]:
            lines.append(f"| {row['solver']} | {row['n_threads']} | {row['seconds_per_epoch']:.3f} "
                         f"| {row['ratings_per_second']:,.0f} | {row['speedup']:.2f} "
                         f"| {fmt(row.get('final_train_rmse'), '.4f')} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA,
                        help="folder with u1.base and u1.test (default: ../shared/data/ml-100k beside the project)")
    parser.add_argument("--factors", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--threads", type=int, default=os.cpu_count(),
                        help="the most threads (default: os.cpu_count())")
    parser.add_argument("--solvers", default="sequential,hogwild,blocks", help="hogwild's solvers on MovieLens")
    parser.add_argument("--hogwild-param", action="append", default=[], metavar="NAME=VALUE",
                        help="an extra MatrixFactorization parameter (VALUE read as JSON), repeatable")
    parser.add_argument("--repeats", type=int, default=3,
                        help="fits per MovieLens configuration; the least time is kept (default 3)")
    parser.add_argument("--libmf", type=Path, default=None, help="folder with LIBMF's mf-train and mf-predict")
    parser.add_argument("--no-libmf-binding", dest="libmf_binding", action="store_false",
                        help="do not use the PyPI binding `libmf` even when installed")
    parser.add_argument("--libmf-l2", default="default,0.05",
                        help="comma-separated LIBMF -l2 values; 'default' leaves LIBMF's own (0.1)")
    parser.add_argument("--libmf-lr", type=float, default=None, help="LIBMF's -r (default: its own, 0.1)")
    parser.add_argument("--libmf-repeats", type=int, default=10,
                        help="runs of each mf-train command, the least time kept: its epochs take milliseconds "
                             "and the differenced figure is noisy (default 10)")
    parser.add_argument("--scaling-ratings", type=int, default=10_000_000)
    parser.add_argument("--scaling-users", type=int, default=200_000)
    parser.add_argument("--scaling-items", type=int, default=20_000)
    parser.add_argument("--scaling-rank", type=int, default=10)
    parser.add_argument("--scaling-noise", type=float, default=0.1)
    parser.add_argument("--scaling-factors", type=int, default=64, help="default 64 (the estimator's)")
    parser.add_argument("--scaling-epochs", type=int, default=5)
    parser.add_argument("--scaling-solvers", default="hogwild,blocks")
    parser.add_argument("--parts", default="surprise,libmf,hogwild,scaling")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds allowed to each subprocess")
    parser.add_argument("--json", type=Path, default=None, help="write every figure to this file")
    parser.add_argument("--peer", choices=sorted(PEERS), help=argparse.SUPPRESS)
    parser.add_argument("--config", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.peer:  # a child: one configuration, one JSON line
        result = PEERS[args.peer](json.loads(args.config))
        print(RESULT_PREFIX + json.dumps(result, default=plain), flush=True)
        return

    parts = set(args.parts.split(","))
    unknown = parts - {"surprise", "libmf", "hogwild", "scaling"}
    if unknown:
        parser.error(f"unknown parts: {', '.join(sorted(unknown))}")
    if parts & {"surprise", "libmf", "hogwild"} and not all((args.data / n).is_file() for n in ("u1.base", "u1.test")):
        parser.error(f"{args.data} has no u1.base and u1.test (MovieLens 100K)")
    args.data = args.data.resolve()
    params = parse_hogwild_params(args.hogwild_param)
    report = {"environment": environment(), "arguments": {k: str(v) if isinstance(v, Path) else v
                                                          for k, v in vars(args).items()},
              "surprise": [], "libmf": [], "hogwild": [], "scaling": [], "skipped": []}
    if "surprise" in parts:
        part_surprise(args, report["surprise"], report["skipped"])
    if "libmf" in parts:
        part_libmf(args, report["libmf"], report["skipped"])
    if "hogwild" in parts:
        part_hogwild(args, report["hogwild"], report["skipped"], params)
    if "scaling" in parts:
        part_scaling(args, report["scaling"], report["skipped"], params)

    env = report["environment"]
    print(f"MovieLens 100K u1.base/u1.test; Python {env['python']}, {env['cpu']}, {env['cpu_count']} CPUs\n")
    for key, title in (("surprise", "Surprise"), ("libmf", "LIBMF (no bias terms)"), ("hogwild", "hogwild")):
        if report[key]:
            print(movielens_table(f"{title}: MovieLens 100K (u1)", report[key]) + "\n")
    if report["scaling"]:
        print(scaling_table(report["scaling"], args) + "\n")
    for line in report["skipped"]:
        print(f"skipped: {line}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=plain) + "\n")


if __name__ == "__main__":
    main()
