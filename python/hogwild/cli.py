"""The ``hogwild`` command line: train, predict, bench, demo, datasets, info,
and ``mf`` (matrix factorization: _cli_mf.py).

A user's mistake (missing file, bad option, malformed data) ends with one
line on stderr and a non-zero exit, never a traceback.
"""

import argparse
import itertools
import os
import sys
import time

REGRESSION_LOSSES = ("squared_error", "huber", "epsilon_insensitive", "squared_epsilon_insensitive")
CLASSIFICATION_LOSSES = ("log_loss", "hinge", "modified_huber", "squared_hinge", "perceptron")


class UserError(Exception):
    """A problem with the command's input, reported as one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        # one line instead of argparse's usage block
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


# ---------------------------------------------------------------- train

def _thread_counts(text):
    try:
        counts = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a thread count or a list like 1,2,4, got {text!r}") from None
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError(f"thread counts must be >= 1, got {text!r}")
    return counts


def _load_data(paths, n_features=None):
    return _read_data(paths, n_features)[0]


def _read_data(paths, n_features=None, zero_based="auto"):
    """([(X, y) of each file], whether their indices were read zero-based)."""
    import numpy as np

    from .datasets import _read_svmlight_files

    for path in paths:
        if not os.path.exists(path):
            raise UserError(f"no such data file: '{path}'")
    loaded, zero_based = _read_svmlight_files(paths, n_features, np.float32, zero_based, False, None)
    return [(loaded[2 * i], loaded[2 * i + 1]) for i in range(len(paths))], zero_based


# the table's parameters (_parameters.py) that train has no option of its own for
_SPELLED_OUT = {"solver", "n_threads", "write", "shuffle_block_size", "optimizer", "batch_size", "device",
                "gpu_reduction"}


def _add_table_options(train):
    """An option for each of the parameters scikit-learn lacks, from their table."""
    from ._parameters import PARAMETERS

    for parameter in PARAMETERS:
        if parameter.name in _SPELLED_OUT:
            continue
        # (the table's docs are numpydoc, read as reStructuredText: a terminal
        # shows ``x`` as typed, so the literals lose their markup here)
        first_sentence = " ".join(parameter.doc.replace("``", "").split()).split(". ")[0].rstrip(".")
        train.add_argument("--" + parameter.name.replace("_", "-"), type=_literal, default=None,
                           dest=f"table_{parameter.name}", metavar=parameter.name.upper(),
                           help=f"{first_sentence} (default: {parameter.default!r})".replace("%", "%%"))


def _literal(text):
    """A command-line value as a Python literal (1, 0.5, True, None; also
    true, false and none in any case, as shells and YAML spell them), else
    the string."""
    import ast

    spelled = {"true": True, "false": False, "none": None, "null": None}
    if text.lower() in spelled:
        return spelled[text.lower()]
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _name_value(text):
    name, equals, value = text.partition("=")
    if not equals or not name.isidentifier():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name, _literal(value)


def _estimator(args, n_threads):
    from . import SGDClassifier, SGDRegressor

    # (a rate or eta0 not given is the estimator's own default, which differs between them)
    rates = {k: v for k, v in (("learning_rate", args.learning_rate), ("eta0", args.eta0)) if v is not None}
    # (--penalty none is scikit-learn's penalty=None)
    common = dict(loss=args.loss, penalty=None if args.penalty == "none" else args.penalty, alpha=args.alpha, max_iter=args.epochs, tol=args.tol,
                  **rates, average=args.average or False,
                  random_state=args.seed, solver=args.solver, optimizer=args.optimizer, batch_size=args.batch_size,
                  n_threads=n_threads, write=args.write, shuffle_block_size=args.shuffle_block_size,
                  device=args.device, gpu_reduction=args.gpu_reduction)
    estimator_class = SGDRegressor if args.loss in REGRESSION_LOSSES else SGDClassifier
    if args.l1_ratio is not None:
        common["l1_ratio"] = args.l1_ratio
    if args.early_stopping:
        common["early_stopping"] = True
    common.update({name[len("table_"):]: value for name, value in vars(args).items()
                   if name.startswith("table_") and value is not None})
    known = estimator_class().get_params()
    for name, value in args.param:
        if name not in known:
            raise UserError(f"--param {name}: {estimator_class.__name__} has no parameter {name!r}")
        common[name] = value
    return estimator_class(**common)


def _test_score(model, coef, intercept, X_test, y_test, problem=None):
    """Accuracy (classifier) or R^2 (regressor) of the weights in an epoch
    record. One-vs-rest (`problem`: the record's class): the accuracy of
    that class against the rest, as its binary problem is trained (an
    epoch of one class is not a whole model; the run's last line gives the
    whole model's accuracy)."""
    import numpy as np

    scores = X_test @ coef + intercept
    if hasattr(model, "classes_"):
        if len(model.classes_) != 2:
            return float(np.mean((scores > 0) == (y_test == problem))) if problem is not None else None
        predicted = np.where(scores > 0, model.classes_[1], model.classes_[0])
        return float(np.mean(predicted == y_test))
    residual = np.sum((y_test - scores) ** 2)
    total = np.sum((y_test - np.mean(y_test)) ** 2)
    return float(1.0 - residual / total) if total > 0 else float("nan")


class _OutputWhoseReaderMayLeave:
    """stdout for a reader that may stop reading (`hogwild train ... | head
    -1`): once the pipe breaks, the rest goes to /dev/null and the command
    goes on. (Quitting there, as `hogwild info | head` may, left training
    half done: no model written, and exit status 0.)"""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text):
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            self._to_devnull()
            return len(text)

    def flush(self):
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._to_devnull()

    def _to_devnull(self):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, self._stream.fileno())  # (what the stream's buffer still holds goes there too)
        os.close(devnull)

    def __getattr__(self, name):
        return getattr(self._stream, name)


class _EpochTable:
    """Prints one row per epoch as training runs (and a bar on a terminal)."""

    def __init__(self, model, test, epochs, score_name):
        self.model = model
        self.test = test
        self.score_name = score_name
        self.bar = None
        if sys.stderr.isatty():
            try:
                from tqdm import tqdm

                self.bar = tqdm(total=epochs, unit="epoch", leave=False, file=sys.stderr)
            except ImportError:
                pass
        header = f"{'epoch':>6}{'class':>8}{'objective':>12}{self.score_name:>10}{'seconds':>10}{'examples/s':>12}"
        self._write(header)

    def __call__(self, record):
        score = None
        if self.test is not None:
            score = _test_score(self.model, record["coef"], record["intercept"], *self.test, record.get("class"))
        score_text = "" if score is None else f"{score:.4f}"
        label = _label_text(record["class"])[:7] if "class" in record else ""
        objective = record["objective"]
        # (a diverging run's 1e300 was 300 digits wide in %f)
        objective_text = f"{objective:>12.6f}" if abs(objective) < 1e5 else f"{objective:>12.5g}"
        self._write(f"{record['epoch']:>6}{label:>8}{objective_text}{score_text:>10}"
                    f"{record['seconds']:>10.3f}{record['examples_per_second']:>12.4g}")
        if self.bar is not None:
            self.bar.update(1)

    def close(self):
        if self.bar is not None:
            self.bar.close()

    def _write(self, line):
        if self.bar is not None:
            self.bar.write(line)
        else:
            print(line, flush=True)


def _writable(path, what):
    """UserError now, not after training, when `path` cannot be written."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise UserError(f"{what} '{path}': no such directory '{folder}'")
    if os.path.isdir(path) or not os.access(folder, os.W_OK) or (os.path.exists(path) and not os.access(path, os.W_OK)):
        raise UserError(f"{what} '{path}' cannot be written")


def _plot_format(path):
    """The image format of --plot's path, checked before training (an
    unknown extension failed in matplotlib after it): its extension, png
    without one (the file is written under the name given)."""
    _writable(path, "--plot")
    try:
        from matplotlib.backend_bases import FigureCanvasBase
    except ImportError:
        raise UserError('--plot needs matplotlib: pip install "hogwild[plot]"') from None
    extension = os.path.splitext(path)[1][1:].lower()
    formats = FigureCanvasBase.get_supported_filetypes()
    if (extension or "png") not in formats:
        raise UserError(f"--plot '{path}': matplotlib writes {', '.join(sorted(formats))}, not '{extension}'")
    return extension or "png"


def _refuse_overwriting(output, option, inputs):
    """UserError where `output` is one of the command's input files (-o
    naming the training file replaced the data by the model)."""
    for kind, path in inputs:
        if path and os.path.exists(output) and os.path.exists(path) and os.path.samefile(output, path):
            raise UserError(f"{option} '{output}' is the {kind}; name another file")


def _train(args):
    if args.test is not None and not args.test:
        raise UserError("--test needs a file")
    if args.output:
        _writable(args.output, "-o")
        _refuse_overwriting(args.output, "-o", [("training data", args.data), ("test data", args.test)])
    if args.plot:
        _refuse_overwriting(args.plot, "--plot", [("training data", args.data), ("test data", args.test)])
    plot_format = _plot_format(args.plot) if args.plot else None
    comm = _communicator(args)
    if comm is not None and comm.Get_rank() != 0:  # only rank 0 prints and writes the model
        sys.stdout = open(os.devnull, "w")
    X, y, test, total, zero_based = _training_data(args, comm)
    classify = args.loss not in REGRESSION_LOSSES
    score_name = "test acc" if classify else "test R2"
    print(f"{args.data}: {total[0]} examples, {X.shape[1]} features, {total[1]} nonzeros"
          + ("" if test is None else f"; test {args.test}: {test[0].shape[0]} examples"))
    if comm is not None:
        combining = ("summing every step's gradient" if args.distributed == "allreduce"
                     else f"{args.servers or 1} server rank(s), pushing every {args.combine_every} epoch(s), at "
                          f"most {_clock_staleness(args)} clock(s) ahead of the slowest"
                     if args.distributed == "parameter_server"
                     else f"combining every {args.combine_every} epoch(s)")
        print(f"{comm.Get_size()} ranks, {args.distributed} SGD, {combining}; rank 0 trains on {X.shape[0]} examples")

    runs = {}
    model = None
    for n_threads in args.threads:
        model = _estimator(args, n_threads)
        where = f"threads={n_threads}" if args.device == "cpu" else f"device={args.device}"
        print(f"\n{type(model).__name__}(loss={args.loss}, penalty={args.penalty}, alpha={args.alpha:g}, "
              f"solver={args.solver}, " + ("" if args.optimizer == "sgd" else f"optimizer={args.optimizer}, ")
              + f"{where}, epochs={args.epochs})")
        table = _EpochTable(model, test, args.epochs, score_name if test is not None else "")
        start = time.perf_counter()
        try:
            if comm is None:
                model.fit(X, y, callbacks=[table])
            else:
                from . import distributed

                servers = (dict(n_servers=args.servers, max_staleness=args.max_clock_staleness)
                           if args.distributed == "parameter_server" else {})
                distributed.fit(model, X, y, comm=comm, mode=args.distributed, sync_every=args.combine_every,
                                callbacks=[table], **servers)
        finally:
            table.close()
        seconds = time.perf_counter() - start
        # (kept in the model file: predict reads a file numbered as the training file was)
        model._svmlight_zero_based = zero_based
        line = f"trained in {seconds:.3f} s ({model.n_iter_} epochs"
        if hasattr(model, "learning_rate_"):  # (learning_rate="auto": what it ran)
            line += f"; learning rate {model.learning_rate_} from {model.eta0_:.3g}"
        line += ")"
        if test is not None:
            line += f"; {'test accuracy' if classify else 'test R2'}: {model.score(*test):.4f}"
        print(line)
        info = getattr(model, "fit_info_", None)
        if info and info["threads"] > 1 and args.device == "cpu":
            print(_placement_line(info))
        label = (f"{n_threads} thread" + ("s" if n_threads > 1 else "")) if args.device == "cpu" else args.device
        runs[label] = model

    if args.output and (comm is None or comm.Get_rank() == 0):
        model.save(args.output)
        print(f"model written to {args.output}")
    if args.plot and (comm is None or comm.Get_rank() == 0):
        from .plot import convergence

        axes = convergence(runs, x="seconds", y="objective")
        axes.set_title(f"{os.path.basename(args.data)}: {args.loss}, {args.penalty}, alpha={args.alpha:g}")
        axes.figure.savefig(args.plot, format=plot_format, dpi=120, bbox_inches="tight")
        print(f"convergence plot written to {args.plot}")
    return 0


# ---------------------------------------------------------------- predict

def _predict(args):
    import numpy as np

    from . import load

    if not os.path.exists(args.model):
        raise UserError(f"no such model file: '{args.model}'")
    if args.output:
        _refuse_overwriting(args.output, "-o", [("model file", args.model), ("data file", args.data)])
    model = load(args.model)
    if not hasattr(model, "n_features_in_"):  # (a matrix factorization model: a traceback here before)
        raise UserError(f"'{args.model}' holds a {type(model).__name__}, not a linear model "
                        "(a matrix factorization model predicts with 'hogwild mf recommend')")
    # the training file's numbering (a file without index 0 read on its own
    # would be read from 1, each feature a column off); "auto" for a model
    # saved from Python
    numbering = getattr(model, "_svmlight_zero_based", "auto")
    try:
        ((X, y),), zero_based = _read_data([args.data], zero_based=numbering)
    except ValueError as error:
        if "read as one-based" not in str(error):
            raise
        raise UserError(f"{error}: the model was trained on a file whose indices start at 1") from None
    n_features = model.n_features_in_
    if X.shape[1] > n_features:
        # (the index as the file writes it: a file numbered from 1 has column j at j + 1)
        raise UserError(f"'{args.data}' has features up to index {X.shape[1] - int(bool(zero_based))}, "
                        f"but the model knows {n_features} features")
    if X.shape[1] < n_features:
        X.resize((X.shape[0], n_features))  # absent trailing features are zeros
    if hasattr(model, "feature_names_in_"):
        # (fitted in Python on a DataFrame: an svmlight file has no column
        # names, and scikit-learn's warning about it could not be avoided)
        del model.feature_names_in_
    if args.proba:
        if not hasattr(model, "predict_proba"):
            raise UserError(f"--proba needs a classifier with loss 'log_loss' or 'modified_huber', "
                            f"not loss={model.loss!r}")
        values = model.predict_proba(X)
        # a header naming each column's class (the order of model.classes_),
        # spelled as the predictions spell it
        header = "# " + " ".join(_label_text(c) for c in model.classes_)
        lines = itertools.chain([header], (" ".join(f"{p:.6g}" for p in row) for row in values))
    else:
        values = model.predict(X)
        classify = hasattr(model, "classes_")
        lines = (_label_text(v) if classify else f"{v:.10g}" for v in values)
    text = "\n".join(lines) + ("\n" if len(values) else "")
    if args.output:
        with open(args.output, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    if X.shape[0] > 0:
        kind = "accuracy" if hasattr(model, "classes_") else "R2"
        if np.all(np.isfinite(y)):
            no_class = ~np.isin(y, model.classes_) if hasattr(model, "classes_") else np.zeros(0, dtype=bool)
            if no_class.any():  # (an accuracy of 0 alone did not say why: another task's file)
                unknown = np.unique(y[no_class])
                shown = " ".join(_label_text(v) for v in unknown[:5]) + (" ..." if len(unknown) > 5 else "")
                print(f"note: {int(no_class.sum())} of the {len(y)} labels in {args.data} "
                      f"are no class of the model ({shown}; its classes: "
                      f"{' '.join(_label_text(c) for c in model.classes_)})", file=sys.stderr)
            # (a classifier's accuracy counted here, from the predictions
            # written above: scikit-learn's score refuses labels of another
            # kind than the classes, string classes or a label of 1e20)
            if hasattr(model, "classes_"):
                score = np.mean(_same_labels(model.predict(X) if args.proba else values, y))
            else:
                score = model.score(X, y)
            print(f"{kind} against the labels in {args.data}: {score:.4f}", file=sys.stderr)
        else:  # (a file of unlabeled rows marked nan: the predictions are what was asked for)
            line = int(np.flatnonzero(~np.isfinite(y))[0]) + 1
            print(f"no {kind}: the labels in {args.data} are not all numbers (row {line}: {y[line - 1]})",
                  file=sys.stderr)
    return 0


def _label_text(value):
    """A label or class as predict writes it: floats (svmlight's labels)
    in the fewest digits that keep them apart (1.0 as 1, 12345678901.0 as
    12345678901: ten significant digits made classes beyond them one),
    others as str."""
    import numpy as np

    if isinstance(value, (float, np.floating)):
        text = repr(float(value))
        return text[:-2] if text.endswith(".0") else text
    return str(getattr(value, "item", lambda: value)())


def _same_labels(predicted, y):
    """predicted == y row by row, for labels of any kind (a string class
    is no numeric label)."""
    import numpy as np

    if predicted.dtype.kind in "biuf" and y.dtype.kind in "biuf":
        return predicted == y
    return predicted.astype(object) == y.astype(object)


# ---------------------------------------------------------------- bench

def _bench(args):
    from . import SGDClassifier, build_info
    from .datasets import make_sparse_classification

    n_cpus = build_info()["usable_cpus"]
    threads = args.threads or sorted({1, 2, n_cpus} | ({n_cpus // 2} if n_cpus >= 8 else set()))
    print(f"generating {args.rows} x {args.features}, {args.nnz} nonzeros per row ({args.popularity}) ...")
    X, y = make_sparse_classification(args.rows, args.features, args.nnz, popularity=args.popularity,
                                      random_state=0)
    print(f"log_loss, l2, alpha=1e-6, {args.epochs} epochs, float32 CSR; this machine: {n_cpus} usable CPUs\n")
    print(f"{'threads':>8}{'write':>8}{'s/epoch':>10}{'examples/s':>12}{'speedup':>9}{'objective':>11}")
    baseline = None
    for n_threads in threads:
        for write in args.write:
            model = SGDClassifier(loss="log_loss", alpha=1e-6, max_iter=args.epochs, tol=None,
                                  learning_rate="optimal", random_state=0, n_threads=n_threads, write=write)
            model.fit(X, y)
            epoch_seconds = sorted(r["seconds"] for r in model.history_)[len(model.history_) // 2]
            baseline = baseline or epoch_seconds
            print(f"{n_threads:>8}{write:>8}{epoch_seconds:>10.3f}{X.shape[0] / epoch_seconds:>12.3g}"
                  f"{baseline / epoch_seconds:>8.2f}x{model.history_[-1]['objective']:>11.5f}", flush=True)
    print("\nspeedup: against the first row (median epoch each)")
    return 0


# ---------------------------------------------------------------- demo, info

def _demo(args):
    from . import SGDClassifier, build_info
    from .datasets import load_a9a

    X, y, X_test, y_test = load_a9a()
    n_cpus = build_info()["usable_cpus"]
    print(f"UCI Adult (a9a): {X.shape[0]} training rows, {X_test.shape[0]} test rows, "
          f"{X.shape[1]} features, {X.nnz} nonzeros (float32 CSR)")
    print(f"logistic regression, L2, alpha=1e-4, {args.epochs} epochs; this machine: "
          f"{n_cpus} usable CPUs\n")
    print(f"{'model':<34}{'test accuracy':>14}{'seconds':>10}{'examples/s':>14}")

    def report(name, model):
        start = time.perf_counter()
        model.fit(X, y)
        seconds = time.perf_counter() - start
        accuracy = model.score(X_test, y_test)
        rate = X.shape[0] * model.n_iter_ / seconds
        print(f"{name:<34}{accuracy:>14.4f}{seconds:>10.3f}{rate:>14.3g}")
        return seconds

    common = dict(loss="log_loss", alpha=1e-4, max_iter=args.epochs, tol=None, random_state=0)
    report("hogwild, 1 thread", SGDClassifier(n_threads=1, **common))
    report(f"hogwild, {n_cpus} threads", SGDClassifier(n_threads=n_cpus, **common))
    try:
        from sklearn.linear_model import SGDClassifier as SklearnSGD
    except ImportError:
        print("(scikit-learn is not installed: no comparison)")
        return 0
    report("scikit-learn SGDClassifier", SklearnSGD(**common))
    return 0


def _placement_line(info):
    """Where a fit's threads ran: "threads on CPUs 0,1 of NUMA nodes 0,0 (sysfs), no node replicas".
    (Not "one shared model": local and easgd keep a model per thread.)"""
    replicas = info["node_replicas"]
    models = "no node replicas" if replicas == 0 else f"a model replica on each of {replicas} nodes"
    return (f"threads on CPUs {','.join(map(str, info['cpus']))} of NUMA nodes "
            f"{','.join(map(str, info['nodes']))} ({info['topology']}), {models}")


def _cpu_list(cpus):
    """CPUs as sysfs writes them: "0-3,8"."""
    ranges, start = [], None
    for k, cpu in enumerate(cpus):
        if start is None:
            start = cpu
        if k + 1 == len(cpus) or cpus[k + 1] != cpu + 1:
            ranges.append(str(start) if start == cpu else f"{start}-{cpu}")
            start = None
    return ",".join(ranges)


def _gpus():
    """Names of the NVIDIA GPUs nvidia-smi reports (empty without one)."""
    import shutil
    import subprocess

    if shutil.which("nvidia-smi") is None:
        return []
    try:
        out = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return []
    return [line.strip() for line in out.stdout.splitlines() if line.startswith("GPU")]


def _training_data(args, comm):
    """(X, y, test or None, (examples, nonzeros) of the whole training file,
    whether its indices were read zero-based). With --distributed, each rank
    reads only its byte range of the training file
    (hogwild.distributed.load_svmlight) and the whole test file, numbered
    as the training file."""
    if comm is None:
        paths = [args.data] + ([args.test] if args.test else [])
        loaded, zero_based = _read_data(paths, n_features=args.n_features)
        X, y = loaded[0]
        if X.shape[0] == 0:
            raise UserError(f"'{args.data}' holds no examples")
        return X, y, (loaded[1] if args.test else None), (X.shape[0], X.nnz), zero_based
    import numpy as np
    import scipy.sparse as sp

    from . import distributed

    for path in [args.data] + ([args.test] if args.test else []):
        if not os.path.exists(path):
            raise UserError(f"no such data file: '{path}'")
    # numbered as the two files are read together without --distributed:
    # from 0 where either holds index 0 (every rank reads the whole test file)
    test_zero_based = False
    if args.test:
        ((X_test, y_test),), test_zero_based = _read_data([args.test])
    X, y, zero_based = distributed._read_svmlight(args.data, comm, args.n_features, np.float32,
                                                  True if test_zero_based else "auto", None,
                                                  distributed.DEFAULT_TIMEOUT)
    total = np.array([X.shape[0], X.nnz], dtype=np.float64)
    comm.Allreduce(total.copy(), total)
    if total[0] == 0:
        raise UserError(f"'{args.data}' holds no examples")
    test = None
    if args.test:
        if zero_based and not test_zero_based:  # (the training file holds index 0: the test file's columns from 0 too)
            X_test = sp.csr_matrix((X_test.data, X_test.indices + 1, X_test.indptr),
                                   shape=(X_test.shape[0], X_test.shape[1] + 1))
        width = max(X.shape[1], X_test.shape[1])  # (every rank reads the whole test file: the same width)
        X = sp.csr_matrix((X.data, X.indices, X.indptr), shape=(X.shape[0], width))
        test = (sp.csr_matrix((X_test.data, X_test.indices, X_test.indptr), shape=(X_test.shape[0], width)), y_test)
    return X, y, test, (int(total[0]), int(total[1])), zero_based


def _datasets(args):
    from .datasets import write_a9a

    for path in write_a9a(args.folder):
        print(path)
    return 0


def _communicator(args):
    """MPI_COMM_WORLD for --distributed (every rank runs this program), else None."""
    if args.distributed is None:
        return None
    try:
        from mpi4py import MPI
    except ImportError:
        raise UserError('--distributed needs mpi4py: pip install "hogwild[mpi]"') from None
    if len(args.threads) != 1:
        raise UserError("--distributed trains with one thread count: give --threads N")
    return MPI.COMM_WORLD


def _info(args):
    from . import __version__, build_info

    import numpy
    import scipy
    import sklearn

    print(f"{'hogwild':>20}: {__version__}")
    print(f"{'python':>20}: {sys.version.split()[0]}")
    for module in (numpy, scipy, sklearn):  # what a bug report needs
        print(f"{module.__name__:>20}: {module.__version__}")
    for key, value in build_info().items():
        print(f"{key:>20}: {value}")
    from . import topology

    machine = topology()  # the core's reading of the machine, as the solvers see it
    nodes = machine["nodes"]
    print(f"{'numa_nodes':>20}: {len(nodes)} ({machine['source']})")
    for node in nodes:
        print(f"{'node ' + str(node['node']):>20}: CPUs {_cpu_list(sorted(set(node['cpus'])))}, "
              f"{node['physical_cores']} physical cores, distances {' '.join(map(str, node['distances']))}")
    from .distributed import mpi_status

    usable, description = mpi_status()
    print(f"{'mpi':>20}: {'yes' if usable else 'no'} ({description})")
    gpus = _gpus()
    print(f"{'gpus':>20}: {len(gpus)}" + ("" if gpus else " (none visible)"))
    for gpu in gpus:
        print(f"{'':>20}  {gpu}")
    print(f"{'cuda_devices':>20}: {_cuda_devices()}")
    return 0


def _cuda_devices():
    """The GPUs device="cuda:N" can train on, as "N device(s): 0 NAME, ...",
    or why there are none."""
    from . import cuda

    try:
        count = cuda.device_count()
        if count == 0:
            return f"0 devices ({cuda.unavailable_reason()})"
        names = ", ".join(f"{i} {cuda.device_name(i)}" for i in range(count))
    except (RuntimeError, ValueError, IndexError) as error:  # (a driver failing after the count)
        return f"unusable ({error})"
    return f"{count} device(s): {names}"


# ---------------------------------------------------------------- main

def _parser():
    from ._sgd import OPTIMIZERS, SOLVERS

    from . import __version__

    parser = _Parser(prog="hogwild", description="Parallel lock-free SGD for linear models.")
    parser.add_argument("--version", action="version", version=f"hogwild {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    train = commands.add_parser("train", help="train on an svmlight file, print a per-epoch table")
    train.add_argument("data", help="training data, svmlight/libsvm format (.gz, .bz2 too)")
    train.add_argument("--test", metavar="DATA", help="test data scored after every epoch")
    train.add_argument("--loss", default="log_loss", choices=CLASSIFICATION_LOSSES + REGRESSION_LOSSES,
                       help="default log_loss (logistic regression); a regression loss trains SGDRegressor")
    train.add_argument("--penalty", default="l2", choices=("l2", "l1", "elasticnet", "none"))
    train.add_argument("--alpha", type=float, default=1e-4, help="regularization strength (default 1e-4)")
    train.add_argument("--solver", default="hogwild", choices=SOLVERS)
    train.add_argument("--optimizer", default="sgd", choices=OPTIMIZERS)
    train.add_argument("--batch-size", type=_literal, default="auto",
                       help="rows per step of the minibatch and async solvers; auto: the training rows // 400, "
                            "at least 8 and at most 256 (default: auto)")
    train.add_argument("--threads", type=_thread_counts, default=None,
                       help="threads, or a list like 1,2,4 to train and compare several runs "
                       "(default: all CPUs, at most OMP_NUM_THREADS)")
    train.add_argument("--epochs", type=int, default=10, help="epochs (default 10)")
    train.add_argument("--tol", type=float, default=None, help="stop early when the objective stalls (default: off)")
    train.add_argument("--learning-rate", default=None,
                       choices=("auto", "optimal", "constant", "invscaling", "adaptive", "exponential", "step"),
                       help="(default: the estimator's, auto: steps from the data; 'hogwild tune --learning-rate' "
                            "suggests an eta0 for constant)")
    train.add_argument("--eta0", type=float, default=None,
                       help="initial rate of the constant, invscaling, adaptive, exponential and step rates "
                            "(default: the estimator's, 0.01)")
    train.add_argument("--average", type=int, default=0, help="average the weights from this step on (0: off)")
    train.add_argument("--write", default="racy", choices=("racy", "atomic", "locked"))
    train.add_argument("--device", default="cpu",
                       help='where training runs: cpu, cuda (GPU 0) or cuda:N, for the minibatch and gd solvers '
                            "(default: cpu; 'hogwild info' lists the GPUs)")
    train.add_argument("--gpu-reduction", default="ordered", choices=("ordered", "atomic"),
                       help="with a cuda device: sum a batch's gradient in a fixed order (ordered: reproducible) "
                            "or with atomic additions (faster, not bit-reproducible); default ordered")
    train.add_argument("--shuffle-block-size", type=_literal, default="auto",
                       help='rows of a block of the shuffled order: "auto" or an int (1: a full shuffle; '
                            'default: auto, see the README\'s "Row order")')
    train.add_argument("--n-features", type=int, default=None, help="feature count (default: from the data)")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("-o", "--output", metavar="MODEL", help="write the model here (e.g. model.hwm)")
    train.add_argument("--plot", metavar="PNG", help="write a convergence plot (needs matplotlib)")
    train.add_argument("--distributed", metavar="MODE", choices=("local", "easgd", "allreduce", "parameter_server"),
                       default=None,
                       help="train across the ranks of 'mpiexec -n N hogwild train ...': local (model "
                            "averaging), easgd, allreduce (synchronous minibatch: --solver minibatch) or "
                            "parameter_server (asynchronous pushes to server ranks); each rank takes its block "
                            "of the rows")
    train.add_argument("--combine-every", type=int, default=1,
                       help="--distributed: epochs between the ranks' combinations (parameter_server: "
                            "between a rank's pull and push) (default 1)")
    train.add_argument("--servers", type=int, default=None,
                       help="--distributed parameter_server: ranks 0..N-1 hold the model's key ranges (default 1)")
    train.add_argument("--max-clock-staleness", type=int, default=None,
                       help="--distributed parameter_server: clocks a rank may run ahead of the slowest "
                            "(distributed.fit's max_staleness; default 2)")
    train.add_argument("--l1-ratio", type=float, default=None, help="elastic net's L1 share (default 0.15)")
    train.add_argument("--early-stopping", action="store_true",
                       help="stop on a held-out validation score (scikit-learn's early_stopping)")
    _add_table_options(train)
    train.add_argument("--param", metavar="NAME=VALUE", action="append", default=[], type=_name_value,
                       help="any other estimator parameter, e.g. --param class_weight=balanced "
                            "--param n_iter_no_change=3 (values read as Python literals, else as strings)")
    train.set_defaults(run=_train)

    predict = commands.add_parser("predict", help="predict with a saved model")
    predict.add_argument("model", help="a model file written by 'hogwild train -o' or est.save()")
    predict.add_argument("data", help="svmlight/libsvm data")
    predict.add_argument("-o", "--output", help="write predictions here, one per line (default: stdout)")
    predict.add_argument("--proba", action="store_true", help="class probabilities instead of labels")
    predict.set_defaults(run=_predict)

    bench = commands.add_parser("bench", help="threads x write policies on generated data")
    bench.add_argument("--rows", type=int, default=200_000)
    bench.add_argument("--features", type=int, default=100_000)
    bench.add_argument("--nnz", type=int, default=40, help="nonzeros per row (default 40)")
    bench.add_argument("--popularity", default="zipf", choices=("zipf", "uniform"))
    bench.add_argument("--epochs", type=int, default=3)
    bench.add_argument("--threads", type=_thread_counts, default=None, help="e.g. 1,2,4 (default: 1, 2, all)")
    bench.add_argument("--write", type=lambda s: s.split(","), default=["racy", "atomic", "locked"],
                       help="comma-separated write policies (default racy,atomic,locked)")
    bench.set_defaults(run=_bench)

    demo = commands.add_parser("demo", help="train on the shipped a9a data with 1 and all threads")
    demo.add_argument("--epochs", type=int, default=10, help="epochs per model (default 10)")
    demo.set_defaults(run=_demo)

    datasets = commands.add_parser("datasets", help="write a shipped data set out as svmlight files")
    datasets.add_argument("name", choices=("a9a",), help="a9a: UCI Adult, LIBSVM's a9a and a9a.t")
    datasets.add_argument("folder", help="where to write the files (created if missing)")
    datasets.set_defaults(run=_datasets)

    info = commands.add_parser("info", help="version, build, CPUs, NUMA nodes, GPUs and CUDA devices")
    info.set_defaults(run=_info)

    from ._cli_mf import add_commands
    from ._cli_tune import add_command as add_tune_command

    add_tune_command(commands, _load_data, CLASSIFICATION_LOSSES, REGRESSION_LOSSES, SOLVERS, OPTIMIZERS)
    add_commands(commands, _Parser, _thread_counts, _writable, _refuse_overwriting)
    _name_command_parsers(parser)
    return parser


def _name_command_parsers(parser, depth=0):
    """Each (sub)command's parser in its arguments, by depth
    (`command_parser_0`: train, mf, ...; `command_parser_1`: mf's train,
    ...), so that a mistake found after parsing points to that command's
    --help (it pointed to 'hogwild --help', which does not list the
    command's options)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for command in action.choices.values():
                command.set_defaults(**{f"command_parser_{depth}": command})
                _name_command_parsers(command, depth + 1)


def _parser_of_mistake(parser, args, argv, unknown):
    """The parser whose command an unrecognized argument was given to: the
    deepest command named before it ('hogwild --bogus train' is hogwild's
    mistake, 'hogwild train --bogus' train's)."""
    chain = [parser]
    while getattr(args, f"command_parser_{len(chain) - 1}", None) is not None:
        chain.append(getattr(args, f"command_parser_{len(chain) - 1}"))
    if not unknown:
        return chain[-1]
    tokens = list(sys.argv[1:] if argv is None else argv)
    before = tokens[:tokens.index(unknown[0])] if unknown[0] in tokens else tokens
    for depth, command in enumerate(chain[1:]):
        if command.prog.split()[-1] not in before:
            return chain[depth]
    return chain[-1]


def _clock_staleness(args):
    from .distributed import DEFAULT_MAX_STALENESS

    return DEFAULT_MAX_STALENESS if args.max_clock_staleness is None else args.max_clock_staleness


def _check_arguments(parser, args):
    if ((getattr(args, "servers", None) is not None or getattr(args, "max_clock_staleness", None) is not None)
            and getattr(args, "distributed", None) != "parameter_server"):
        parser.error("--servers and --max-clock-staleness are for --distributed parameter_server")
    for name in ("epochs", "rows", "features", "nnz", "batch_size", "combine_every"):
        value = getattr(args, name, 1)
        if name == "batch_size" and value != "auto" and (type(value) is not int or value < 1):
            parser.error('--batch-size must be "auto" or an integer >= 1')
        if name != "batch_size" and value is not None and value < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1")
    if not 0.0 <= getattr(args, "alpha", 0.0) < float("inf"):  # (nan and inf: found by fit, after the data, before)
        parser.error("--alpha must be a finite number >= 0")
    if args.command == "tune" and args.batch_sweep and args.plot:
        parser.error("--plot draws the --learning-rate curve (--batch-size prints a table and wrote no plot)")
    if args.command == "tune" and args.range_test and args.test:
        parser.error("--test is for --batch-size (the range test compares training objectives; it read the file "
                     "and left it unused)")
    for policy in getattr(args, "write", []) if args.command == "bench" else []:
        if policy not in ("racy", "atomic", "locked"):
            parser.error(f"unknown write policy {policy!r} (racy, atomic, locked)")
    if args.command == "train" and args.threads is None:
        from ._engine import default_thread_count

        args.threads = [default_thread_count()]
    if args.command == "train":
        _check_estimator_options(parser, args)
    for name in ("output", "plot"):
        if getattr(args, name, None) == "":
            parser.error(f"{'-o' if name == 'output' else '--plot'} needs a path, got ''")


# options whose estimator parameter has another name
_OPTION_OF_PARAMETER = {"max_iter": "--epochs", "random_state": "--seed", "n_threads": "--threads"}


def _check_estimator_options(parser, args):
    """A value the estimator refuses (--alpha nan, --momentum 2) is a usage
    error before the data is read (it was found by fit, after reading)."""
    import re

    for n_threads in args.threads:
        try:
            estimator = _estimator(args, n_threads)
        except UserError:
            return  # (an unknown --param name: reported where the estimator is built)
        try:
            estimator._validate_params()
            estimator._more_validate_params()
        except (ValueError, TypeError) as error:
            message = str(error).strip().splitlines()[0]
            named = re.match(r"The '(\w+)' parameter of \w+ (.*)", message)
            if named is None:
                parser.error(message)
            name = named.group(1)
            option = ("--param " + name if name in dict(args.param) else
                      _OPTION_OF_PARAMETER.get(name, "--" + name.replace("_", "-")))
            parser.error(f"{option} {named.group(2)}")


def _command_name(args):
    """The command as typed: 'train', 'mf train' (errors said 'hogwild mf:')."""
    return " ".join(part for part in (args.command, getattr(args, "mf_command", None)) if part)


def main(argv=None):
    from .cuda import CudaUnavailableError

    parser = _parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        _parser_of_mistake(parser, args, argv, unknown).error(f"unrecognized arguments: {' '.join(unknown)}")
    _check_arguments(_parser_of_mistake(parser, args, argv, []), args)
    stdout = sys.stdout
    if hasattr(stdout, "fileno"):
        try:
            stdout.fileno()
            sys.stdout = _OutputWhoseReaderMayLeave(stdout)
        except (OSError, ValueError):  # (a stream without a descriptor: a test's capture)
            pass
    try:
        return args.run(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # (e.g. `hogwild info | head`): the reader has gone, quietly
        sys.stdout = open(os.devnull, "w")
        return 0
    except MemoryError as error:  # (e.g. a feature index of 2**32: a weight vector of 32 GiB)
        detail = str(error).strip().splitlines()[0] if str(error).strip() else "the allocation failed"
        print(f"hogwild {_command_name(args)}: error: out of memory: {detail}", file=sys.stderr)
        return 1
    except (UserError, ValueError, TypeError, OSError, OverflowError, ImportError, NotImplementedError,
            CudaUnavailableError) as error:
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        print(f"hogwild {_command_name(args)}: error: {message}", file=sys.stderr)
        return 1
    finally:
        if isinstance(sys.stdout, _OutputWhoseReaderMayLeave):
            sys.stdout.flush()  # (through the wrapper: a reader gone after the last line is no error at exit)
            sys.stdout = stdout


if __name__ == "__main__":
    sys.exit(main())
