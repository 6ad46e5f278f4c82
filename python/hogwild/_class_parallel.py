"""One-vs-rest classes trained at the same time: the class axis needs no
sharing (scikit-learn's ``n_jobs`` parallelizes it too).

Python threads ("workers") train the classes, each class in the compiled
core with the GIL released, so the workers run in parallel. Each worker
has its list of pieces (a class, or some epochs of one), and one whose
list is done takes the last piece not yet started from the longest list
left: no fixed shares, a thread on a busy core falls behind and the others
take its work. Where the classes divide evenly among the workers, the
lists hold whole classes. Where they do not (3 classes on 2 workers), whole
classes would leave a worker idle for a class's length at the end (2
classes' time where 1.5 suffice), so the epochs are planned by McNaughton's
wrap-around rule (R. McNaughton, "Scheduling with deadlines and loss
functions", Management Science 6(1), 1959): the classes' epochs laid end to
end and cut into one equal stretch per worker; a class cut in two trains
its first epochs at the start of the next worker's stretch and the rest at
the end of this worker's, on its one training session (whose runs continue
one another bit for bit: the model is the one class-by-class training
gives).

The calling thread is a worker too, so that Ctrl-C (delivered to it)
reaches a training call at once; it then tells the others to stop at their
next epoch's end, and the fit raises KeyboardInterrupt with every class's
weights as they stand.
"""

import os
import threading
from concurrent.futures import ThreadPoolExecutor, wait

from . import _core

# the workers besides the calling thread, kept between fits (starting a
# thread took 83 us, handing work to a waiting one 15 us); made on the
# first class-parallel fit, grown on demand
_HELPERS = None
_HELPERS_LOCK = threading.Lock()


def _forget_helpers():
    """In a forked child: the parent's pool has no threads there (a task
    handed to it would never run), so the child makes its own."""
    global _HELPERS, _HELPERS_LOCK
    _HELPERS, _HELPERS_LOCK = None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_helpers)


def _helpers():
    global _HELPERS
    with _HELPERS_LOCK:
        if _HELPERS is None:
            _HELPERS = ThreadPoolExecutor(max_workers=max(32, 2 * (os.cpu_count() or 1)),
                                          thread_name_prefix="hogwild-class")
        return _HELPERS


def wrap_around_plan(n_classes, workers, epochs):
    """Per worker, the (class, epochs) pieces it trains, in its order:
    McNaughton's wrap-around rule for `n_classes` classes of `epochs`
    epochs each on `workers` workers (n_classes >= workers). A class cut in
    two has its first piece first in the next worker's list and its second
    piece last in this one's: with a stretch at least a class long, the
    first piece ends before the second is due (a worker that reaches its
    piece while the other trains the class waits: see _ClassTraining)."""
    stretch = -(-n_classes * epochs // workers)
    plan = [[] for _ in range(workers)]
    worker, room = 0, stretch
    for label in range(n_classes):
        left, pieces = epochs, []
        while left > 0:
            take = min(left, room)
            pieces.append((worker, take))
            left, room = left - take, room - take
            if room == 0:
                worker, room = worker + 1, stretch
        if len(pieces) == 1:
            plan[pieces[0][0]].append((label, epochs))
        else:  # (the next worker's piece is first in time: the first epochs)
            (this, later), (next_worker, first) = pieces
            plan[this].append((label, later))
            plan[next_worker].insert(0, (label, first))
    return plan


class _ClassTraining:
    """One class's generator of training runs (see
    _engine._training_runs), handed from worker to worker: `train(epochs)`
    trains the next `epochs` of the class once no other worker is training
    it (a piece is "the next epochs", whichever worker takes it)."""

    def __init__(self, start, label):
        self.start, self.label = start, label
        self.runs = None  # (started by the worker of the first piece)
        self.n_iter = 0
        self.ended = False
        self.training = threading.Lock()

    def set_up(self, n_threads, stop):
        """The class's training session made (its Python side holds the GIL)."""
        if self.runs is None:
            self.runs = self.start(self.label, n_threads=n_threads, stop=stop)
            next(self.runs)

    def train(self, epochs, stop, n_threads):
        while not self.training.acquire(timeout=0.05):  # (a piece before, on another worker)
            if stop.is_set():
                return
        try:
            if self.ended or stop.is_set():
                return
            self.set_up(n_threads, stop)
            self.n_iter = self.runs.send(epochs)
        except StopIteration as end:
            self.n_iter, self.ended = end.value, True
        finally:
            self.training.release()

    def busy(self):
        """Whether a worker is training the class now."""
        return self.training.locked()

    def close(self):
        if self.runs is not None and not self.ended:
            self.runs.close()  # (stopped between pieces: its session's buffers let go)


def train_classes_in_parallel(estimator, start_class, n_classes, workers, threads_per_class, epochs=None):
    """Trains every class, `start_class(i, n_threads=threads_per_class,
    stop=flag)` giving class i's generator of runs (`flag` a
    ``_core.StopFlag``, set to end every class at its epoch's end), on `workers` threads
    (the caller's among them); returns the classes' epoch counts, in class
    order. `epochs` (max_iter), given where the classes do not divide
    evenly among the workers, has their epochs planned by the wrap-around
    rule; else each worker starts with every `workers`-th class. A worker
    whose own pieces are done takes the last piece not yet started of the
    worker with the most left (a busy core's thread falls behind its plan).
    The history records of the fit are put back in class order."""
    classes = [_ClassTraining(start_class, i) for i in range(n_classes)]
    if epochs is not None and n_classes % workers != 0 and n_classes > workers:
        plan = wrap_around_plan(n_classes, workers, epochs)
    else:
        plan = [[(i, None) for i in range(worker, n_classes, workers)] for worker in range(workers)]
    left = [[(classes[i], piece_epochs) for i, piece_epochs in pieces] for pieces in plan]
    take_lock = threading.Lock()
    stop = _core.StopFlag()  # (an Event's is_set() in every epoch's callback took the GIL: 7% of a dna fit)
    errors = []
    history_before = len(estimator.history_)

    def take(worker):
        """The worker's next piece: the first of its own list, else the last
        of the longest list; of those, the first whose class no other
        worker is training now (a piece of it would wait for that one)."""
        with take_lock:
            most = max(range(workers), key=lambda k: len(left[k]))
            own, stolen = left[worker], left[most]
            candidates = [(own, k) for k in range(len(own))] + [(stolen, k) for k in reversed(range(len(stolen)))]
            if not candidates:
                return None
            free = [(pieces, k) for pieces, k in candidates if not pieces[k][0].busy()]
            pieces, k = (free or candidates)[0]
            return pieces.pop(k)

    def work(worker):
        while not stop.is_set():
            piece = take(worker)
            if piece is None:
                return
            training, piece_epochs = piece
            try:
                training.train(piece_epochs, stop, threads_per_class)
            except KeyboardInterrupt:
                raise  # (the calling thread's, outside the core: handled below)
            except Exception as error:  # noqa: BLE001 (re-raised by the caller, the first one)
                errors.append(error)
                stop.set()
                return
            if getattr(estimator, "_interrupt", None) is not None:
                stop.set()  # Ctrl-C during this class: the others stop at their epoch's end

    # each worker's first class set up here, before the helpers start: set
    # up by the helpers, their sessions waited for the GIL while this thread
    # set up its own, and a helper started training 0.24 ms after it
    # (dna.scale, 3 classes on 2 threads: a 4.2-4.5 ms fit)
    for pieces in left:
        if pieces:
            pieces[0][0].set_up(threads_per_class, stop)
    helpers = [_helpers().submit(work, k) for k in range(1, workers)]
    interrupt = None
    try:
        work(0)
    except KeyboardInterrupt as error:  # (between two classes' training calls)
        interrupt = error
        stop.set()
    for helper in helpers:
        helper.cancel()  # (one that never started has nothing left to take)
        while not helper.done():
            try:
                wait([helper], timeout=0.1)
            except KeyboardInterrupt as error:
                interrupt = interrupt or error
                stop.set()
    for training in classes:
        training.close()
    if errors:
        raise errors[0]
    if interrupt is not None and getattr(estimator, "_interrupt", None) is None:
        estimator._interrupt = interrupt
    # the records in class order, each class's epochs in order (as class-by-class training writes them)
    order = {label: k for k, label in enumerate(getattr(c, "item", lambda c=c: c)() for c in estimator.classes_)}
    new = estimator.history_[history_before:]
    estimator.history_[history_before:] = sorted(new, key=lambda record: order.get(record.get("class"), -1))
    return [training.n_iter for training in classes]
