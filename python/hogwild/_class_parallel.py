"""One-vs-rest classes trained at the same time: the class axis needs no
sharing (scikit-learn's ``n_jobs`` parallelizes it too).

Python threads take the classes one at a time from a shared counter (an
idle thread takes the next class: no fixed shares); each class trains in
the compiled core with the GIL released, so the threads run in parallel.
The calling thread trains classes too, so that Ctrl-C (delivered to it)
reaches a training call at once; it then tells the others to stop at their
next epoch's end, and the fit raises KeyboardInterrupt with every class's
weights as they stand.
"""

import threading


def train_classes_in_parallel(estimator, train_class, n_classes, workers, threads_per_class):
    """Runs ``train_class(i, n_threads=threads_per_class, stop=event)`` for
    every class on `workers` threads (the caller's among them); returns the
    classes' epoch counts, in class order. The history records of the fit
    are put back in class order."""
    n_iters = [0] * n_classes
    next_class = iter(range(n_classes))
    take_lock = threading.Lock()
    stop = threading.Event()
    errors = []
    history_before = len(estimator.history_)

    def work():
        while not stop.is_set():
            with take_lock:
                i = next(next_class, None)
            if i is None:
                return
            try:
                n_iters[i] = train_class(i, n_threads=threads_per_class, stop=stop)
            except KeyboardInterrupt:
                raise  # (the calling thread's, outside the core: handled below)
            except Exception as error:  # noqa: BLE001 (re-raised by the caller, the first one)
                errors.append(error)
                stop.set()
                return
            if getattr(estimator, "_interrupt", None) is not None:
                stop.set()  # Ctrl-C during this class: the others stop at their epoch's end

    helpers = [threading.Thread(target=work, name=f"hogwild-class-{k}", daemon=True) for k in range(workers - 1)]
    for helper in helpers:
        helper.start()
    interrupt = None
    try:
        work()
    except KeyboardInterrupt as error:  # (between two classes' training calls)
        interrupt = error
        stop.set()
    for helper in helpers:
        while helper.is_alive():
            try:
                helper.join(0.1)
            except KeyboardInterrupt as error:
                interrupt = interrupt or error
                stop.set()
    if errors:
        raise errors[0]
    if interrupt is not None and getattr(estimator, "_interrupt", None) is None:
        estimator._interrupt = interrupt
    # the records in class order, each class's epochs in order (as class-by-class training writes them)
    order = {label: k for k, label in enumerate(getattr(c, "item", lambda c=c: c)() for c in estimator.classes_)}
    new = estimator.history_[history_before:]
    estimator.history_[history_before:] = sorted(new, key=lambda record: order.get(record.get("class"), -1))
    return n_iters
