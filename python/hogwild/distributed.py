"""Training across processes and machines over MPI (through mpi4py).

Every rank holds its own shard of the rows; the model is replicated. Each
rank trains with the estimator's solver and threads (Hogwild! inside, by
default) through the core's resumable session. In the synchronous mode the
ranks take every step together:

``mode="allreduce"``
    synchronous data-parallel mini-batch SGD (``solver="minibatch"``): each
    step sums the gradients of every rank's share of the batch in one
    all-reduce, and every rank takes the same step. ``batch_size`` is the
    global batch: an epoch has ``ceil(N / batch_size)`` steps (N: the rows
    of all ranks) and each rank's step takes the same share of its own rows.
    The model is ``minibatch``'s on all the rows with that batch, up to the
    order of the sums (1e-12 relative on float64 where the global batches
    hold the same rows), whatever the ranks and threads.

In the others, every ``sync_every`` epochs the ranks combine their models:

``mode="local"``
    local SGD / model averaging (Zinkevich, Weimer, Smola & Li, NIPS 2010;
    Lin, Stich, Patel & Jaggi, ICLR 2020): the models (weights, intercept,
    averaged weights, a per-coordinate optimizer's state) are replaced by
    their mean, weighted by each rank's training rows.
``mode="easgd"``
    elastic averaging SGD across ranks (Zhang, Choromanska & LeCun, NIPS
    2015, synchronous): each rank's model moves ``elasticity`` of the way to
    a center variable and the center by the sum of the same forces; the
    fitted model is the center (with ``average``, the mean of the ranks'
    averaged iterates).

And asynchronously, with no barrier between the ranks' rounds:

``mode="parameter_server"``
    the model lives on ``n_servers`` server ranks (key ranges of it, in MPI
    windows); every rank is a worker that pulls the weights of its rows'
    features, trains them ``sync_every`` epochs (a clock) and pushes its
    change, divided by 1 + the pushes of others since its pull
    (staleness-aware), never waiting for the other workers except where it
    would get more than ``max_staleness`` clocks ahead of the slowest
    (stale-synchronous). See hogwild/_parameter_server.py.

The stopping rule (``tol``, ``n_iter_no_change``, ``early_stopping``) runs
on the objective (or validation score) of all ranks together, so that
every rank stops after the same epoch; every rank ends with the same
fitted model. Classes are the union of every rank's labels, and
``class_weight="balanced"`` counts them over all ranks.

An exception on one rank (a bad shard, divergence, a timeout) ends every
rank: it prints the error and aborts the job (``MPI_Abort``), as
``python -m mpi4py`` does, rather than leave the others waiting. Shapes and
parameters that differ between ranks are refused before training, naming
the ranks.

Install MPI from PyPI with ``pip install "hogwild[mpi]"`` (mpi4py and
MPICH), or build mpi4py against a cluster's own MPI (``pip install
--no-binary mpi4py mpi4py``, with that MPI's ``mpicc`` on the PATH) and run
under its ``mpiexec``.

Example (``mpiexec -n 4 python train.py``)::

    from mpi4py import MPI
    import hogwild
    from hogwild import distributed

    X, y = my_rows(MPI.COMM_WORLD.rank)          # this rank's shard
    model = distributed.fit(hogwild.SGDClassifier(n_threads=8), X, y, mode="local")
"""

import os
import pickle
import sys
import time
import traceback

import numpy as np
import scipy.sparse as sp
from sklearn.base import is_classifier

MODES = ("local", "easgd", "allreduce", "parameter_server")
# the buffers EASGD ties to the center (the averaged iterates are averaged)
ELASTIC = ("coef", "intercept")
# parameters each rank may set its own way (its own shuffle, its own printing)
RANK_OWN = ("random_state", "verbose")
DEFAULT_TIMEOUT = 600.0  # seconds any rank waits for the others in one exchange
SPIN_SECONDS = 0.02  # an exchange's first wait polls without sleeping (see _Context._wait)
ABORT_GRACE_SECONDS = 0.2  # between a failed rank's report and MPI_Abort (see _Context.abort)
DEFAULT_MAX_STALENESS = 2  # mode="parameter_server": clocks a worker may run ahead of the slowest


def mpi_status():
    """(usable, description): whether mpi4py imports and which MPI it runs."""
    try:
        from mpi4py import MPI
    except Exception as error:  # noqa: BLE001 (any failure to load means: not usable)
        return False, f"mpi4py not importable ({error}); pip install \"hogwild[mpi]\""
    return True, MPI.Get_library_version().splitlines()[0].strip()


def fit(estimator, X, y, *, comm=None, mode="local", sync_every=1, elasticity=None, overlap=False,
        n_servers=None, max_staleness=None, sample_weight=None, timeout=DEFAULT_TIMEOUT, callbacks=None):
    """Fit ``estimator`` on the rows of every rank of ``comm``.

    Call it on every rank, each with its own shard; it returns the
    estimator, fitted to the same model on every rank.

    Parameters
    ----------
    estimator : SGDClassifier or SGDRegressor
        Its parameters (solver, threads, loss, penalty, rates, ``max_iter``,
        ``tol``...) must be the same on every rank, but for
        ``random_state`` (each rank's own shuffle) and ``verbose``.
    X : {ndarray, sparse matrix} of shape (n_samples_rank, n_features)
        This rank's rows (float32 CSR used in place, as in ``fit``).
        ``n_features`` must agree between ranks.
    y : ndarray of shape (n_samples_rank,)
    comm : mpi4py communicator, default=None
        ``MPI.COMM_WORLD`` by default.
    mode : {"local", "easgd", "allreduce", "parameter_server"}, default="local"
        How the ranks combine their models (see the module's notes).
        ``"allreduce"`` needs ``solver="minibatch"`` on the CPU; its
        all-reduce per step sends ``n_features + 4`` float64 values on dense
        data, ``2 n_features + 4`` on sparse data (also the rows holding
        each feature).
    sync_every : int, default=1
        Epochs between combinations (``"allreduce"``: 1, its ranks combine at
        every step and exchange the stopping rule's figures every epoch;
        ``"parameter_server"``: the epochs of a clock, between a worker's
        pull and its push).
    elasticity : float, default=None
        ``mode="easgd"``: the fraction of its distance to the center each
        rank's model moves per combination; at most ``1 / n_ranks`` (beyond,
        the center overshoots). Default ``0.9 / n_ranks``.
    overlap : bool, default=False
        ``mode="local"``: exchange the models (and the stopping rule's
        figures) in a non-blocking all-reduce that runs while the next
        ``sync_every`` epochs train, applied when it completes as a
        correction (each model keeps the progress it made meanwhile:
        ``x <- x + mean - snapshot``). The ranks then wait only for the
        slowest, not for the exchange; the stopping rule acts one
        combination later, and a per-coordinate optimizer's state stays
        each rank's own.
    n_servers : int, default=None
        ``mode="parameter_server"``: the server ranks (0 .. n_servers - 1)
        holding key ranges of the model; 1 to the number of ranks
        (default 1). Every rank trains its rows (servers too).
    max_staleness : int, default=None
        ``mode="parameter_server"``: the clocks a worker may finish ahead of
        the slowest worker before it waits (stale-synchronous parallel; 0:
        every clock waits for every worker's previous one). Default 2.
    sample_weight : ndarray of shape (n_samples_rank,), default=None
    timeout : float, default=600
        Seconds one rank waits for the others in one exchange before it
        ends the job (a rank that died or hangs).
    callbacks : list of callables, default=None
        As in ``fit``, called on each rank with its own epoch records.

    Returns
    -------
    estimator
        Fitted; ``history_`` holds the objective of all ranks together
        (``objective``, mean over every rank's rows) and this rank's own
        timings; ``distributed_stats_`` this rank's exchanges:
        ``wait_seconds`` (time spent waiting for the other ranks, s),
        ``bytes_sent`` (the buffers its all-reduces sent; parameter_server:
        also its pushes), ``ranks``, ``mode``; parameter_server also
        ``bytes_pulled``, ``staleness`` (the pushes of others between each
        of its pulls and pushes) and ``leads`` (how many clocks ahead of
        the slowest worker each of its clocks started; at most
        ``max_staleness``). The stopping rule does not apply under
        parameter_server (the workers share no epoch end): every rank runs
        ``max_iter`` epochs, unless its callback stops it.

    Raises
    ------
    ImportError
        mpi4py is not installed.
    ValueError
        On every rank (naming the ranks), when a rank's shard, parameters
        or own arguments to this function differ from the others', or are
        refused on any rank: a missing ``y``, an ``X`` that is no 2-D array,
        an estimator other than hogwild's SGDClassifier / SGDRegressor
        (TypeError alone), an unknown ``mode``, ``sync_every < 1``
        or an elasticity out of (0, 1 / n_ranks], ``n_servers`` outside
        [1, n_ranks] or ``max_staleness < 0`` (or either given to another
        mode), ``early_stopping=True`` under parameter_server;
        ``learning_rate="adaptive"``
        (its per-rank decisions would diverge); ``mode="allreduce"`` with a
        solver other than ``"minibatch"``, a device other than ``"cpu"``,
        ``sync_every`` other than 1 or a ``batch_size`` below the number of
        ranks (a step would leave some ranks without rows; ``"auto"`` takes
        at least one row a rank).
    TimeoutError
        A rank waited more than ``timeout`` seconds for the others (the job
        is then aborted).
    """
    if comm is None:
        try:
            from mpi4py import MPI
        except ImportError as error:
            raise ImportError('distributed training needs mpi4py: pip install "hogwild[mpi]"') from error
        comm = MPI.COMM_WORLD
    context = _Context(comm, mode, sync_every, elasticity, timeout, overlap, n_servers, max_staleness)
    if X is not None and not hasattr(X, "shape"):  # array-like: a list of rows
        try:
            X = np.asarray(X)
        except (ValueError, TypeError):
            X = None  # (refused on every rank by agree_on: an error raised here alone would leave them waiting)
        if X is not None and X.ndim != 2:  # (a path, a scalar: refused there too)
            X = None
    context.agree_on(estimator, X, y)
    try:
        estimator._distributed = context
        estimator.fit(X, y, sample_weight=sample_weight, callbacks=callbacks)
        estimator.distributed_stats_ = {"wait_seconds": context.wait_seconds, "bytes_sent": context.bytes_sent,
                                        "ranks": context.size, "mode": mode}
        if mode == "parameter_server":
            estimator.distributed_stats_.update(bytes_pulled=context.bytes_pulled, staleness=context.staleness,
                                                leads=context.leads)
    except BaseException:  # noqa: BLE001 (whatever it is, the other ranks must not wait for this one)
        if context.size > 1:  # (alone, nobody waits: the exception is the caller's, as in fit)
            context.abort()
        raise  # (MPI_Abort may return before the process manager ends this process)
    finally:
        estimator.__dict__.pop("_distributed", None)
    return estimator


class _Context:
    """One distributed fit: the communicator, the mode and the exchanges."""

    def __init__(self, comm, mode, sync_every, elasticity, timeout, overlap=False, n_servers=None,
                 max_staleness=None):
        size = comm.Get_size()
        # An argument refused here on one rank alone (valid on the others)
        # left them waiting for the timeout: the refusal is kept and told to
        # every rank by agree_on's exchange, which every rank joins.
        self.argument_error = None
        try:
            mode, sync_every, elasticity, timeout, overlap, n_servers, max_staleness = self._checked_arguments(
                size, mode, sync_every, elasticity, timeout, overlap, n_servers, max_staleness)
        except (ValueError, TypeError) as error:
            if size == 1:
                raise
            self.argument_error = f"{type(error).__name__}: {error}"
            mode, sync_every, elasticity, overlap, n_servers, max_staleness = (
                "local", 1, 0.9 / size, False, 1, DEFAULT_MAX_STALENESS)
            timeout = timeout if isinstance(timeout, (int, float)) and timeout > 0 else DEFAULT_TIMEOUT
        self.comm = comm
        self.rank = comm.Get_rank()
        self.size = size
        self.mode = mode
        self.sync_every = int(sync_every)
        self.elasticity = float(elasticity)
        self.timeout = float(timeout)
        self.overlap = bool(overlap)
        self.classes = None
        self.total_rows = 0
        self.wait_seconds = 0.0  # spent waiting for the other ranks
        self.bytes_sent = 0      # by this rank's all-reduces (each sends its buffer once)
        self.centers = {}  # easgd: per binary problem
        # parameter_server
        self.n_servers = int(n_servers)
        self.max_staleness = int(max_staleness)
        self.max_iter = 0
        self.held_features = None  # the features this rank's rows hold
        self.bytes_pulled = 0
        self.staleness = []
        self.leads = []

    @staticmethod
    def _checked_arguments(size, mode, sync_every, elasticity, timeout, overlap, n_servers, max_staleness):
        """distributed.fit's own arguments, checked; defaults filled in."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(repr(m) for m in MODES)}, got {mode!r}")
        if isinstance(sync_every, bool) or not isinstance(sync_every, (int, np.integer)) or sync_every < 1:
            raise ValueError(f"sync_every must be an integer >= 1, got {sync_every!r}")
        if elasticity is None:
            elasticity = 0.9 / size
        if not 0.0 < float(elasticity) <= 1.0 / size:
            raise ValueError(f"elasticity must be in (0, 1/n_ranks] = (0, {1.0 / size:g}] with {size} ranks, "
                             f"got {elasticity!r}")
        if overlap and mode != "local":
            raise ValueError('overlap=True is for mode="local"')
        if mode == "allreduce" and sync_every != 1:
            raise ValueError(f'mode="allreduce" combines at every step: sync_every must be 1, got {sync_every!r}')
        if not float(timeout) > 0.0:
            raise ValueError(f"timeout must be > 0 seconds, got {timeout!r}")
        for name, value in (("n_servers", n_servers), ("max_staleness", max_staleness)):
            if value is not None and mode != "parameter_server":
                raise ValueError(f'{name} is for mode="parameter_server"')
        n_servers = 1 if n_servers is None else n_servers
        max_staleness = DEFAULT_MAX_STALENESS if max_staleness is None else max_staleness
        if isinstance(n_servers, bool) or not isinstance(n_servers, (int, np.integer)) or not 1 <= n_servers <= size:
            raise ValueError(f"n_servers must be an integer in [1, {size}] (the ranks), got {n_servers!r}")
        if isinstance(max_staleness, bool) or not isinstance(max_staleness, (int, np.integer)) or max_staleness < 0:
            raise ValueError(f"max_staleness must be an integer >= 0, got {max_staleness!r}")
        if mode == "parameter_server" and size > 1:
            from mpi4py import MPI

            if MPI.Query_thread() < MPI.THREAD_MULTIPLE:  # (the server ranks' helper threads call MPI)
                raise ValueError('mode="parameter_server" needs MPI initialized with MPI_THREAD_MULTIPLE '
                                 "(mpi4py's default; see mpi4py.rc.thread_level)")
        return mode, sync_every, elasticity, timeout, overlap, n_servers, max_staleness

    # --------------------------------------------------------------- set-up

    def agree_on(self, estimator, X, y):
        """Every rank's shard and parameters, compared; refused on every
        rank (ValueError naming the ranks) where they differ."""
        mine = {"problem": None, "params": None, "labels": None}
        n_rows = 0
        try:
            if self.argument_error is not None:  # (this rank's own arguments: see __init__)
                raise ValueError(self.argument_error)
            from ._sgd import SGDClassifier, SGDRegressor

            if not isinstance(estimator, (SGDClassifier, SGDRegressor)):
                raise TypeError("distributed.fit trains hogwild's SGDClassifier or SGDRegressor, got "
                                f"{type(estimator).__name__}")
            if X is None or not hasattr(X, "shape") or len(X.shape) != 2:
                raise ValueError("X must be a 2-D array or sparse matrix")
            if y is None:
                raise ValueError("y must be given (this rank's labels)")
            params = estimator.get_params()
            if params.get("learning_rate") == "adaptive":
                raise ValueError('learning_rate="adaptive" is not supported in distributed training')
            if self.mode == "parameter_server" and params.get("early_stopping"):
                raise ValueError('mode="parameter_server" has no common epoch end to stop at: '
                                 "early_stopping=True is not supported")
            if self.mode == "allreduce" and (params.get("solver") != "minibatch" or params.get("device") != "cpu"):
                raise ValueError('mode="allreduce" trains solver="minibatch" on device="cpu", got '
                                 f'solver={params.get("solver")!r}, device={params.get("device")!r}')
            if self.mode == "allreduce" and params.get("batch_size") != "auto" and params.get("batch_size", 0) < self.size:
                raise ValueError(f'mode="allreduce" needs batch_size >= the {self.size} ranks (each step takes '
                                 f'the same share of every rank\'s rows), got {params.get("batch_size")}')
            labels = np.unique(np.asarray(y)) if is_classifier(estimator) else None
            # (and this call's own arguments: ranks given other modes, intervals
            # or servers waited for one another until the timeout, or crashed
            # in the parameter server's set-up; the timeout is each rank's own)
            own = {"mode": self.mode, "sync_every": self.sync_every, "elasticity": self.elasticity,
                   "overlap": self.overlap, "n_servers": self.n_servers, "max_staleness": self.max_staleness}
            mine = {"problem": (int(X.shape[1]), type(estimator).__name__),
                    "params": {**{k: repr(v) for k, v in params.items() if k not in RANK_OWN},
                               **{f"distributed.fit's {k}": repr(v) for k, v in own.items()}},
                    "labels": labels}
            n_rows = int(X.shape[0])
            error = None
        except Exception as caught:  # noqa: BLE001 (reported to every rank below)
            error = str(caught) if self.argument_error is not None else f"{type(caught).__name__}: {caught}"
        everyone = self._allgather((mine, error, n_rows))
        failures = [f"rank {r}: {e}" for r, (_, e, _) in enumerate(everyone) if e is not None]
        if failures:
            raise ValueError("distributed fit refused: " + "; ".join(failures))
        problems = [m["problem"] for m, _, _ in everyone]
        differ = [r for r, v in enumerate(problems) if v != problems[0]]
        if differ:
            raise ValueError(f"distributed fit refused: rank(s) {differ} differ from rank 0 in the number of "
                             f"features or the estimator: {problems[differ[0]]} against {problems[0]}")
        params = [m["params"] for m, _, _ in everyone]
        for r, theirs in enumerate(params):
            names = sorted(k for k in set(theirs) | set(params[0]) if theirs.get(k) != params[0].get(k))
            if names:
                raise ValueError(f"distributed fit refused: rank {r} differs from rank 0 in "
                                 + ", ".join(f"{k}={theirs.get(k)} (rank 0: {params[0].get(k)})" for k in names))
        self.total_rows = sum(n for _, _, n in everyone)
        if self.total_rows == 0:
            raise ValueError("distributed fit refused: no rank holds any rows")
        if everyone[0][0]["labels"] is not None:
            self.classes = np.unique(np.concatenate([m["labels"] for m, _, _ in everyone]))
        if self.mode == "parameter_server":
            self.held_features = _held_features(X)

    def rows_per_epoch(self, n_rows):
        """Rows by which t_ advances an epoch: allreduce's steps pass over
        every rank's rows; the other modes' models each over their own."""
        return self.total_rows if self.mode == "allreduce" else n_rows

    def balanced_class_weight(self, y):
        """scikit-learn's "balanced" weights from every rank's labels."""
        counts = np.array([np.count_nonzero(y == c) for c in self.classes], dtype=np.float64)
        total = self.allreduce(counts)
        return total.sum() / (len(self.classes) * np.maximum(total, 1.0))

    # ------------------------------------------------------------- training

    def train(self, session, buffers, options, epoch_callback, problem, n_train):
        """Runs one binary problem's session to the end, combining the
        models every sync_every epochs; returns a result dict as
        ``session.run`` does, with the objective of all ranks."""
        max_iter = int(options["max_iter"])
        if self.mode == "parameter_server":
            from . import _parameter_server

            self.max_iter = max_iter
            result = _joined(_parameter_server.train(self, session, buffers, epoch_callback, n_train,
                                                     self.held_features))
            if result["diverged"] or result["interrupted"]:
                return result  # (the estimator raises: the job ends, the others wait for nothing)
            return self._with_every_ranks_objective(result, n_train)
        rule = _SharedStoppingRule(options)
        weight = self.allreduce(np.array([float(n_train)]))[0]
        share = n_train / weight if weight > 0 else 1.0 / self.size
        if self.mode == "easgd":
            self.centers[problem] = {name: self.allreduce(share * buffers[name]) for name in ELASTIC}
        rounds, done, pending = [], 0, None
        # allreduce: the core sums every step's gradient over the ranks,
        # which keeps identical models identical; models that start apart
        # (warm_start on each rank's own fit) start from their mean
        step_sums = {}
        if self.mode == "allreduce":
            step_sums = {"sum_across_processes": self._sum_in_place}
            self._same_models(buffers, share)
        while True:
            # (overlap: a round that a callback ended (its error, its False) or Ctrl-C did is this
            # rank's last; the exchange under way tells the others, and the
            # next round ran before it did, calling the callback again)
            runs = done < max_iter and not rule.stop and not (rounds and (rounds[-1]["interrupted"] or
                                                                          rounds[-1]["stopped_by_callback"]))
            if runs:
                rounds.append(session.run(min(self.sync_every, max_iter - done), epoch_callback=epoch_callback,
                                          **step_sums))
                done += int(rounds[-1]["n_iter"])
            if pending is not None:  # overlap: the exchange started after the previous round
                if self._finish_overlapped(pending, buffers, rule, trained_since=runs):
                    break
                pending = None
            if not runs:
                break
            if self.overlap:
                pending = self._start_overlapped(rounds[-1], buffers, share, rule.validating)
            elif self._exchange(rounds[-1], session, buffers, options, problem, share, rule):
                break
        return _joined(rounds)

    def _with_every_ranks_objective(self, result, n_train):
        """parameter_server: each epoch's objective becomes the mean over
        every rank's rows of the ranks' objectives in their epoch of that
        number (each at its own model)."""
        history = result["history"]
        n_epochs = len(history["objective"])
        sums = np.zeros(2 * self.max_iter)
        sums[:n_epochs] = np.asarray(history["objective"], dtype=np.float64) * n_train
        sums[self.max_iter:self.max_iter + n_epochs] = n_train
        sums = self.allreduce(sums)
        history["objective"] = sums[:n_epochs] / np.maximum(sums[self.max_iter:self.max_iter + n_epochs], 1.0)
        return result

    def _figures(self, result, share, validating):
        """A round's flags (diverged, interrupted, stopped by a callback)
        and per-epoch sums, to add up over the ranks."""
        history = result["history"]
        n_epochs = len(history["objective"])
        scores = history.get("validation_score", np.zeros(n_epochs)) if validating else np.zeros(n_epochs)
        return np.concatenate([
            [float(result["diverged"]), float(result["interrupted"]), float(result["stopped_by_callback"])],
            np.asarray(history["objective"], dtype=np.float64) * np.asarray(history["updates"]),
            np.asarray(history["updates"], dtype=np.float64),
            np.nan_to_num(np.asarray(scores, dtype=np.float64)) * share])

    @staticmethod
    def _record(result, summed, rule):
        """The ranks' summed figures into the round's result and the
        stopping rule; returns whether a rank must stop (its flags)."""
        history = result["history"]
        n_epochs = len(history["objective"])
        flags, epochs = summed[:3], summed[3:]
        history["objective"] = epochs[:n_epochs] / np.maximum(epochs[n_epochs:2 * n_epochs], 1.0)
        if rule.validating:
            history["validation_score"] = epochs[2 * n_epochs:]
        result["diverged"] = bool(flags[0] > 0)
        rule.after_epochs(history)
        return bool(np.any(flags > 0))

    def _exchange(self, result, session, buffers, options, problem, share, rule):
        """The blocking exchange after a round; returns whether to stop."""
        if self._record(result, self.allreduce(self._figures(result, share, rule.validating)), rule):
            return True
        if self.mode != "allreduce":
            self._combine(session, buffers, options, problem, share)
        else:  # (the same on every rank after each step, where MPI's sums are: checked)
            self._same_models(buffers, share)
        return False

    def _start_overlapped(self, result, buffers, share, validating):
        """overlap=True: the round's model and figures go into one
        non-blocking all-reduce while the next round trains."""
        from mpi4py import MPI

        snapshot = [b.copy() for b in buffers.values()]
        sent = np.concatenate([share * b.ravel() for b in snapshot] + [self._figures(result, share, validating)])
        received = np.empty_like(sent)
        self.bytes_sent += sent.nbytes
        return self.comm.Iallreduce(sent, received, op=MPI.SUM), snapshot, received, result

    def _finish_overlapped(self, pending, buffers, rule, trained_since=True):
        """Waits for an overlapped exchange and applies it as a correction:
        each model keeps the progress it made since (x <- x + mean -
        snapshot); returns whether to stop. Without training since (the
        last exchange) the model becomes the mean itself: the correction
        rounds differently on each rank where a weight and the mean are far
        apart (4e-19 apart on a9a with 3 ranks), and the ranks must end
        with one model."""
        request, snapshot, received, result = pending
        self._wait(request)
        at = 0
        for b, before in zip(buffers.values(), snapshot):
            mean = received[at:at + b.size].reshape(b.shape)
            if trained_since:
                b += mean - before
            else:
                b[...] = mean
            at += b.size
        return self._record(result, received[at:], rule)

    def _combine(self, session, buffers, options, problem, share):
        # local: every buffer becomes the mean; easgd: the iterate moves to the
        # center by elastic forces, the averaged iterates (if any) to their mean
        for name, b in buffers.items():
            if self.mode == "easgd" and name in ELASTIC:
                center = self.centers[problem]
                force = self.elasticity * (b - center[name])
                b -= force
                center[name] = center[name] + self.allreduce(force)
            else:
                b[...] = self.allreduce(share * b)
        if self.mode == "local" and options["optimizer"] != "sgd":
            state = session.optimizer_state()
            session.set_optimizer_state({k: self.allreduce(share * v) for k, v in state.items()})

    def _same_models(self, buffers, share):
        """allreduce: the ranks' models, compared (two all-reduces of the
        model, a maximum and a minimum); where they differ, every rank takes
        their mean, weighted by the ranks' rows."""
        values = np.concatenate([b.ravel() for b in buffers.values()])
        if np.array_equal(self.allreduce(values, maximum=True), -self.allreduce(-values, maximum=True)):
            return
        for b in buffers.values():
            b[...] = self.allreduce(share * b)

    def finish(self, buffers, problem):
        """easgd: the fitted iterate is the center."""
        if self.mode == "easgd" and problem in self.centers:
            for name in ELASTIC:
                buffers[name][...] = self.centers[problem][name]

    # ------------------------------------------------------------ exchanges

    def allreduce(self, values, maximum=False):
        """The sum (or maximum) of `values` over the ranks, waiting at most
        `timeout` seconds."""
        from mpi4py import MPI

        send = np.ascontiguousarray(values, dtype=np.float64)
        receive = np.empty_like(send)
        self._wait(self.comm.Iallreduce(send, receive, op=MPI.MAX if maximum else MPI.SUM))
        self.bytes_sent += send.nbytes
        return receive

    def _sum_in_place(self, values):
        """mode="allreduce", called by the core at every step: `values`
        (float64) replaced by their sums over the ranks."""
        from mpi4py import MPI

        self._wait(self.comm.Iallreduce(MPI.IN_PLACE, values, op=MPI.SUM))
        self.bytes_sent += values.nbytes

    def _allgather(self, value):
        """Every rank's (picklable) `value`, in rank order."""
        from mpi4py import MPI

        payload = np.frombuffer(pickle.dumps(value), dtype=np.uint8)
        lengths = np.empty(self.size, dtype=np.int64)
        self._wait(self.comm.Iallgather(np.array([payload.size], dtype=np.int64), lengths))
        gathered = np.empty(int(lengths.sum()), dtype=np.uint8)
        self._wait(self.comm.Iallgatherv(payload, [gathered, lengths, None, MPI.BYTE]))
        offsets = np.concatenate([[0], np.cumsum(lengths)])
        return [pickle.loads(gathered[offsets[r]:offsets[r + 1]].tobytes()) for r in range(self.size)]

    def _wait(self, request):
        """Drives `request` to completion (MPI progresses only while a rank
        tests it): for the first SPIN_SECONDS test after test, yielding the
        core (a large all-reduce moves in chunks, each needing both sides'
        progress: a 1 ms sleep between tests made allreduce's 0.3 MB steps
        take 8 ms each), then sleep between tests up to 1 ms."""
        started = time.monotonic()
        deadline = started + self.timeout
        pause = 0.0
        while not request.Test():
            now = time.monotonic()
            if now > deadline:
                raise TimeoutError(f"rank {self.rank}: the other ranks did not answer within {self.timeout:g} s")
            if now - started < SPIN_SECONDS:
                os.sched_yield()
            else:
                time.sleep(pause)
                pause = min(0.001, pause + 0.0001)
        self.wait_seconds += time.monotonic() - started

    def abort(self):
        """Ends every rank: this one's error on stderr, then MPI_Abort.

        The error's message goes on the first line and the whole report in
        one write: MPI_Abort can end the job before mpiexec has forwarded
        more than the first lines of a rank's stderr."""
        error = sys.exc_info()[1]
        summary = traceback.format_exception_only(error)[-1].strip() if error is not None else "no exception"
        report = (f"hogwild.distributed: rank {self.rank} of {self.size} failed ({summary}); ending every rank\n"
                  + "".join(traceback.format_exc()))
        sys.stderr.flush()
        os.write(sys.stderr.fileno(), report.encode("utf-8", "replace"))
        # (mpiexec's proxy forwards the pipe's bytes on its own time, and an
        # abort that follows at once lost the whole report in about 1 of 50
        # runs here)
        time.sleep(ABORT_GRACE_SECONDS)
        self.comm.Abort(1)


class _SharedStoppingRule:
    """scikit-learn's stopping rule on the figures of all ranks together:
    stop after n_iter_no_change epochs without the objective falling (the
    validation score rising) by more than tol."""

    def __init__(self, options):
        self.tol = float(options["tol"])
        self.patience = int(options["n_iter_no_change"])
        self.validating = bool(options["early_stopping"])
        self.best, self.stale, self.stop = None, 0, False

    def after_epochs(self, history):
        if self.tol == -np.inf:
            return
        for e in range(len(history["objective"])):
            figure = history["validation_score"][e] if self.validating else -history["objective"][e]
            self.stale = self.stale + 1 if self.best is not None and figure < self.best + self.tol else 0
            self.best = figure if self.best is None else max(self.best, figure)
            self.stop = self.stop or self.stale >= self.patience


def _held_features(X):
    """The features some row of X holds (sorted): every one of a dense X.
    (A mask written through the indices: 0.16 s for 40 million nonzeros,
    where np.bincount, which first converts them to int64, took 0.73 s.)"""
    if not sp.issparse(X):
        return np.arange(X.shape[1])
    held = np.zeros(X.shape[1], dtype=bool)
    held[X.indices] = True
    return np.flatnonzero(held)


def _joined(rounds):
    """One result dict from those of several session runs. A round's end
    (an interrupt, a callback's stop, divergence) holds for the whole
    training: with overlap, the round after an interrupted one runs while
    the exchange that stops every rank is under way, and its result, the
    last, carried none of it (the KeyboardInterrupt was lost)."""
    result = dict(rounds[-1])
    result["n_iter"] = sum(int(r["n_iter"]) for r in rounds)
    for flag in ("interrupted", "stopped_by_callback", "diverged"):
        if flag in result:
            result[flag] = any(bool(r.get(flag)) for r in rounds)
    result["interrupt"] = next((r["interrupt"] for r in rounds if r.get("interrupt") is not None), None)
    history = {}
    for key in rounds[-1]["history"]:
        parts = [r["history"][key] for r in rounds]
        history[key] = [item for part in parts for item in part] if isinstance(parts[0], list) \
            else np.concatenate([np.asarray(p) for p in parts])
    result["history"] = history
    return result


def load_svmlight(path, *, comm=None, n_features=None, dtype=np.float32, zero_based="auto", n_threads=None,
                  timeout=DEFAULT_TIMEOUT):
    """This rank's rows of one svmlight/libsvm file, read by this rank alone.

    Each rank reads and parses only its byte range of the file (the lines
    that start in it), with the core's parallel reader; the ranks agree on
    the feature count and on whether indices are one-based (an all-reduce),
    so that the shards, stacked in rank order, are the whole file as
    :func:`hogwild.datasets.load_svmlight` reads it. A ``.gz`` / ``.bz2``
    file is decompressed by every rank (compressed streams cannot be cut).

    Parameters
    ----------
    path : str or path-like
    comm : mpi4py communicator, default=None (``MPI.COMM_WORLD``)
    n_features, dtype, zero_based, n_threads
        As in :func:`hogwild.datasets.load_svmlight`.
    timeout : float, default=600
        Seconds a rank waits for the others.

    Returns
    -------
    X : scipy.sparse.csr_matrix of shape (n_rows_rank, n_features)
    y : ndarray of shape (n_rows_rank,), float64

    Raises
    ------
    ValueError
        On the rank whose lines are malformed (naming the file, the byte
        offset of its range and the line within it), or for bad arguments.
    """
    X, y, _ = _read_svmlight(path, comm, n_features, dtype, zero_based, n_threads, timeout)
    return X, y


def _read_svmlight(path, comm, n_features, dtype, zero_based, n_threads, timeout):
    """(X, y, whether the indices were read zero-based) of load_svmlight."""
    import os

    from . import _core
    from .datasets import INT32_MAX, _assembled, _checked_reader_arguments, _index_layout, _read_text, _thread_count

    if comm is None:
        from mpi4py import MPI

        comm = MPI.COMM_WORLD
    context = _Context(comm, "local", 1, None, timeout)
    dtype, zero_based = _checked_reader_arguments(dtype, zero_based, n_features)
    threads = _thread_count(n_threads)
    name = os.fsdecode(os.fspath(path))
    compressed = name.endswith((".gz", ".bz2"))
    if compressed:
        text = _read_text(name)[1]
        size = len(text)
    else:
        size = os.path.getsize(name)
    begin, end = size * context.rank // context.size, size * (context.rank + 1) // context.size
    chunk = _lines_starting_in(text if compressed else name, begin, end, compressed)
    try:
        parsed = _core.parse_svmlight(chunk, threads)
        error = None
    except ValueError as caught:
        parsed, error = None, f"{name} (bytes from {begin}), {caught}"
    del chunk
    failures = [e for e in context._allgather(error) if e is not None]
    if failures:
        raise ValueError("; ".join(failures))
    # the whole file's extent: (smallest, -largest) index over the ranks holding entries, one minimum
    from mpi4py import MPI

    mine = np.array([parsed.min_index, -parsed.max_index] if parsed.nnz else [np.inf, np.inf], dtype=np.float64)
    reduced = np.empty_like(mine)
    context._wait(comm.Iallreduce(mine, reduced, op=MPI.MIN))
    any_entries = bool(np.isfinite(reduced[0]))
    extent = (name, int(any_entries), int(reduced[0]) if any_entries else 0, int(-reduced[1]) if any_entries else -1)
    shift, n_features = _index_layout([extent], zero_based, n_features)
    int64_indices = n_features > INT32_MAX or parsed.nnz > INT32_MAX
    X, y = _assembled(parsed, shift, n_features, dtype, int64_indices, False, threads)
    return X, y, shift == 0


def _lines_starting_in(source, begin, end, in_memory):
    """The bytes of the lines whose first byte lies in [begin, end)."""
    if in_memory:
        text = source
        start = 0 if begin == 0 else text.find(b"\n", begin - 1) + 1
        stop = len(text) if end >= len(text) else text.find(b"\n", end - 1) + 1
        if begin > 0 and start == 0:
            start = len(text)  # no line starts in the range
        if stop == 0:
            stop = len(text)
        return bytes(text[start:max(start, stop)])
    with open(source, "rb") as f:
        start = begin
        if begin > 0:
            f.seek(begin - 1)
            start = begin - 1 + len(f.readline())  # past the line running into the range
        stop = end
        if end > 0:
            f.seek(end - 1)
            stop = end - 1 + len(f.readline())  # through the line running out of it
        if stop <= start:
            return b""
        f.seek(start)
        return f.read(stop - start)


def shard(X, y, comm=None):
    """This rank's contiguous block of the rows of (X, y): a convenience
    for data every rank can read whole (rows split as evenly as they go)."""
    if comm is None:
        from mpi4py import MPI

        comm = MPI.COMM_WORLD
    if not hasattr(X, "shape"):  # (array-like: a list of rows)
        X = np.asarray(X)
    y = np.asarray(y)
    if len(y) != X.shape[0]:  # (the shards' labels would belong to other rows)
        raise ValueError(f"X has {X.shape[0]} rows but y has {len(y)} labels")
    n, rank, size = X.shape[0], comm.Get_rank(), comm.Get_size()
    begin, end = n * rank // size, n * (rank + 1) // size
    part = X[begin:end]
    return (part.tocsr() if sp.issparse(part) else part), y[begin:end]
