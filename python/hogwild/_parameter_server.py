"""hogwild.distributed's mode="parameter_server": asynchronous SGD through
server ranks that hold key ranges of the model.

The model of a binary problem (its weights, then the intercept: n_features
+ 1 keys) is cut into ``n_servers`` contiguous key ranges, one in an MPI
window on each of the ranks 0 .. n_servers - 1. Every rank is a worker (the
server ranks too: the others read and add to their windows with MPI's
one-sided operations, which the server rank does not call itself). A
worker's clock is ``sync_every`` epochs over its own rows:

1. it waits until the slowest worker is at most ``max_staleness`` clocks
   behind it (stale-synchronous parallel: Ho et al., "More Effective
   Distributed ML via a Stale Synchronous Parallel Parameter Server", NIPS
   2013);
2. pulls the weights of the features its rows hold (and the intercept), and
   the count of pushes the servers have completed;
3. trains them with the estimator's solver and threads (Hogwild! inside,
   by default) through the core's session;
4. pushes the change it made to those keys, divided by 1 + tau, tau the
   pushes of other workers begun since its pull (the staleness-aware step
   of Zhang, Gupta, Lian & Liu, "Staleness-aware Async-SGD for Distributed
   Deep Learning", IJCAI 2016, here on a clock's whole change rather than
   one gradient: a change computed on an older model moves the model less).
   A push with nobody in between (tau = 0) continues the model exactly as
   one process would; K workers that take turns (each pulling after the
   previous push) push at tau = K - 1, and the model moves by the mean of
   their changes, as model averaging does; K workers that pull the same
   model push at tau = 0, 1, ..., K - 1: the first change whole, the k-th
   divided by k. tau counts pushes begun, against pushes completed at the
   pull, so a push in flight is counted, never missed.

Workers never wait for each other otherwise (no barrier between clocks): the
pushes are MPI accumulates (element-wise atomic), the pulls atomic reads, so
the servers apply every change whenever it comes (Dean et al.'s Downpour
SGD, NIPS 2012, with n_fetch = n_push = a clock; Li et al.'s parameter
server, OSDI 2014, for the key ranges and bounded delay). At the end each
rank waits until every worker has finished (the wait's deadline moving on
while any worker's clock does), and all pull the whole model.

MPI's one-sided operations progress at the target only while it is inside
MPI; a server rank is mostly inside the core's training loop. A helper
thread on each server rank therefore polls MPI (a probe every
PROGRESS_SECONDS), which slows its training a little; MPICH's own progress
thread (MPIR_CVAR_ASYNC_PROGRESS=1) spins on a whole core.
"""

import threading
import time

import numpy as np

DONE = 2 ** 62           # the clock of a worker that has finished: nobody waits for it
PROGRESS_SECONDS = 0.002  # a server rank's helper polls MPI this often (0.5 ms: epochs 8-13% longer than local's at 2 ranks, 2 ms: 4-6%)
PROGRESS_TAG = 0x5053      # (a tag no message carries: the probe only drives progress)
BEGUN, COMPLETED, CLOCKS = 0, 1, 2  # rank 0's counters: pushes begun, pushes completed; the clocks from CLOCKS on


def key_ranges(n_keys, n_servers):
    """[lo, hi) of each server's keys: contiguous, as even as they go."""
    return [(n_keys * s // n_servers, n_keys * (s + 1) // n_servers) for s in range(n_servers)]


def staleness_scale(staleness):
    """The factor of a push computed `staleness` updates ago."""
    return 1.0 / (1.0 + staleness)


class ParameterServer:
    """One binary problem's model on the server ranks, and this rank's view
    of it: the keys its rows hold, pulled and pushed by one-sided MPI
    operations. Created and closed by every rank of the context together."""

    def __init__(self, context, initial, held_keys, n_servers):
        from mpi4py import MPI

        self.context = context
        comm, rank, size = context.comm, context.rank, context.size
        self.n_keys = initial.size
        self.ranges = key_ranges(self.n_keys, n_servers)
        lo, hi = self.ranges[rank] if rank < n_servers else (0, 0)
        # (every rank waits here for the others, within the timeout, before
        # the windows' collective, which has none)
        context._wait(comm.Ibarrier())
        self.model_window = MPI.Win.Allocate((hi - lo) * 8, 8, comm=comm)
        self.clock_window = MPI.Win.Allocate((CLOCKS + size) * 8 if rank == 0 else 0, 8, comm=comm)
        if hi > lo:
            np.frombuffer(self.model_window.tomemory(), dtype=np.float64)[:] = initial[lo:hi]
        if rank == 0:
            np.frombuffer(self.clock_window.tomemory(), dtype=np.int64)[:] = 0  # [begun, completed, clocks...]
        # this rank's keys on each server: (server, positions in held_keys, datatype of their displacements)
        self.held_keys = np.asarray(held_keys, dtype=np.int64)
        self.parts = []
        for server, (lo, hi) in enumerate(self.ranges):
            at = np.flatnonzero((self.held_keys >= lo) & (self.held_keys < hi))
            if at.size:
                displacements = (self.held_keys[at] - lo).tolist()
                self.parts.append((server, at, MPI.DOUBLE.Create_indexed_block(1, displacements).Commit()))
        self.values = np.empty(self.held_keys.size)
        # every rank holds its access epochs, and the servers serve, before
        # any rank's first operation (MPICH's lock_all could hang on a window
        # another rank was already accumulating into)
        self.model_window.Lock_all()
        self.clock_window.Lock_all()
        self.model_window.Sync()  # (the initial values above, visible to the others' operations)
        self.clock_window.Sync()
        self.stop_progress = threading.Event()
        self.progress = None
        if rank < n_servers and size > 1:  # (alone, its own operations progress its window)
            self.progress = threading.Thread(target=self._serve, name="hogwild-parameter-server", daemon=True)
            self.progress.start()
        context._wait(comm.Ibarrier())
        self.staleness = []  # tau of each of this rank's pushes
        self.leads = []      # how many clocks ahead of the slowest worker each of this rank's clocks started
        self.bytes_pulled = 0

    def _serve(self):
        from mpi4py import MPI

        comm = self.context.comm
        while not self.stop_progress.wait(PROGRESS_SECONDS):
            comm.Iprobe(MPI.ANY_SOURCE, PROGRESS_TAG)

    # ----------------------------------------------------------- operations

    def _clocks(self, op, values, displacement):
        """One atomic operation on rank 0's counters (int64 at
        `displacement`), done there when it returns; returns their values
        before it."""
        from mpi4py import MPI

        sent = np.ascontiguousarray(values, dtype=np.int64)
        before = np.empty_like(sent)
        self.context._wait(self.clock_window.Rget_accumulate(sent, before, 0, target=(displacement, sent.size,
                                                                                      MPI.INT64_T), op=op))
        if op != MPI.NO_OP:
            self.clock_window.Flush(0)  # (the request's end does not say the target has it)
        return before

    def _every_clock(self):
        from mpi4py import MPI

        return self._clocks(MPI.NO_OP, np.zeros(self.context.size), CLOCKS)

    def _wait_for_clocks(self, ready):
        """Polls the clocks until ready(clocks); the context's timeout runs
        from the last time any clock moved. Returns the clocks."""
        context = self.context
        started = last_change = time.monotonic()
        pause, seen = 0.0, None
        while True:
            clocks = self._every_clock()
            if ready(clocks):
                break
            now = time.monotonic()
            if seen is None or not np.array_equal(clocks, seen):
                seen, last_change = clocks, now
            elif now - last_change > context.timeout:
                raise TimeoutError(f"rank {context.rank}: the other ranks did not answer within "
                                   f"{context.timeout:g} s")
            time.sleep(pause)
            pause = min(0.001, pause + 0.0001)
        context.wait_seconds += time.monotonic() - started
        return clocks

    def wait_for_slowest(self, clock, max_staleness):
        """Returns once every worker has finished at least clock -
        max_staleness clocks."""
        slowest = int(self._wait_for_clocks(lambda clocks: clocks.min() >= clock - max_staleness).min())
        self.leads.append(clock - min(slowest, clock))

    def wait_for_everyone(self):
        """Returns once every worker has finished (pushed its last change)."""
        self._wait_for_clocks(lambda clocks: bool(np.all(clocks == DONE)))

    def pull(self, flat):
        """The held keys' current values into `flat` (n_keys values; the
        others untouched); returns the servers' count of completed pushes,
        read before them."""
        from mpi4py import MPI

        completed = int(self._clocks(MPI.NO_OP, [0], COMPLETED)[0])
        for server, at, datatype in self.parts:
            part, unused = np.empty(at.size), np.zeros(at.size)
            self.context._wait(self.model_window.Rget_accumulate(unused, part, server, target=(0, 1, datatype),
                                                                 op=MPI.NO_OP))
            self.values[at] = part
        flat[self.held_keys] = self.values
        self.bytes_pulled += self.values.nbytes
        return completed

    def pull_everything(self, flat):
        """Every key's value into `flat`, from every server's whole range."""
        from mpi4py import MPI

        for server, (lo, hi) in enumerate(self.ranges):
            if hi > lo:
                part, unused = np.empty(hi - lo), np.zeros(hi - lo)
                self.context._wait(self.model_window.Rget_accumulate(unused, part, server,
                                                                     target=(0, hi - lo, MPI.DOUBLE), op=MPI.NO_OP))
                flat[lo:hi] = part
        self.bytes_pulled += flat.nbytes

    def push(self, change, completed_at_pull):
        """Adds `change` (n_keys values; the held keys' are sent) to the
        servers' model, divided by 1 + the pushes begun since the pull (by
        the others: this rank's earlier ones were complete before it)."""
        from mpi4py import MPI

        staleness = int(self._clocks(MPI.SUM, [1], BEGUN)[0]) - completed_at_pull
        self.staleness.append(staleness)
        scaled = change[self.held_keys] * staleness_scale(staleness)
        for server, at, datatype in self.parts:
            sent = np.ascontiguousarray(scaled[at])
            before = np.empty_like(sent)
            self.context._wait(self.model_window.Rget_accumulate(sent, before, server, target=(0, 1, datatype),
                                                                 op=MPI.SUM))
            self.model_window.Flush(server)  # (done at the server before it counts as completed)
            self.context.bytes_sent += sent.nbytes
        self._clocks(MPI.SUM, [1], COMPLETED)

    def finish_clock(self, clocks_done):
        """This rank's clock count (DONE: finished) for the others' waits."""
        from mpi4py import MPI

        self._clocks(MPI.REPLACE, [clocks_done], CLOCKS + self.context.rank)

    def close(self):
        """Every rank together (or one alone): the windows freed."""
        self.stop_progress.set()
        if self.progress is not None:
            self.progress.join()
        self.model_window.Unlock_all()
        self.clock_window.Unlock_all()
        for _, _, datatype in self.parts:
            datatype.Free()
        self.model_window.Free()
        self.clock_window.Free()


def train(context, session, buffers, epoch_callback, n_train, held_features):
    """One binary problem: clocks of ``sync_every`` epochs until max_iter
    epochs (or a callback's stop); every rank ends with the servers' final
    model. Returns the rounds' results (the caller joins them)."""
    coef, intercept = buffers["coef"], buffers["intercept"]
    weight = context.allreduce(np.array([float(n_train)]))[0]
    share = n_train / weight if weight > 0 else 1.0 / context.size
    # the servers start from the ranks' mean model (warm_start on each rank's own fit may differ)
    initial = context.allreduce(share * np.concatenate([coef, intercept]))
    keys = np.concatenate([held_features, [coef.size]])  # (and the intercept: every row holds it)
    server = ParameterServer(context, initial, keys, context.n_servers)
    flat = initial.copy()
    rounds, done, clock, max_iter = [], 0, 0, context.max_iter
    finished = False
    try:
        while done < max_iter:
            server.wait_for_slowest(clock, context.max_staleness)
            completed = server.pull(flat)
            coef[...], intercept[0] = flat[:-1], flat[-1]
            rounds.append(session.run(min(context.sync_every, max_iter - done), epoch_callback=epoch_callback))
            result = rounds[-1]
            done += int(result["n_iter"])
            if result["diverged"] or result["interrupted"]:
                return rounds  # (the caller raises, which ends every rank)
            server.push(np.concatenate([coef, intercept]) - flat, completed)
            clock += 1
            server.finish_clock(clock)
            if result["stopped_by_callback"]:
                break
        server.finish_clock(DONE)
        server.wait_for_everyone()
        server.pull_everything(flat)  # (every key: the others' rows may hold features this rank's do not)
        coef[...], intercept[0] = flat[:-1], flat[-1]
        context._wait(context.comm.Ibarrier())  # (every pull is done before the windows go)
        finished = True
    finally:
        server.stop_progress.set()
        if not finished and context.size == 1:
            server.close()  # (alone, nobody aborts the job: free the windows before the error leaves)
    server.close()
    # each rank's averaged iterates (of the models it pulled and trained)
    # become their mean, per key over the ranks whose rows hold it
    if "average_coef" in buffers:
        holds = np.zeros(coef.size)
        holds[held_features] = share
        holders = context.allreduce(holds)
        summed = context.allreduce(holds * buffers["average_coef"])
        buffers["average_coef"][...] = np.where(holders > 0, summed / np.maximum(holders, 1e-300),
                                                buffers["average_coef"])
        buffers["average_intercept"][...] = context.allreduce(share * buffers["average_intercept"])
    context.staleness += server.staleness
    context.leads += server.leads
    context.bytes_pulled += server.bytes_pulled
    return rounds
