"""What happens after each epoch while the core trains: progress bar,
``verbose`` lines and the user's ``callbacks``.

The C++ core calls :meth:`EpochReporter.after_epoch` once per epoch, from
the thread that called ``fit`` (taking the GIL only for that call), so
watching a run costs one Python call per epoch, never one per example.
"""

import sys

import numpy as np


class EpochReporter:
    """Reports the epochs of one training problem (a binary or one-vs-rest
    class problem, or a regression).

    Parameters
    ----------
    callbacks : list of callables
        Each is called as ``callback(record)``; the first to return
        ``False`` (exactly: ``None`` continues) stops this problem's training.
    verbose : int
        > 0 prints one line per epoch as it ends.
    progress : bool
        Shows a tqdm bar over epochs on stderr.
    max_iter : int
        The bar's length.
    problem : label or None
        The class of a one-vs-rest problem, shown and put in the records.
    use_average : callable(t) -> bool
        Whether the model at step ``t`` is the averaged one (scikit-learn's
        rule), so that callbacks see the weights ``fit`` would return.
    epoch_offset : int
        Epochs recorded before this call (partial_fit), for numbering.
    """

    def __init__(self, *, callbacks, verbose, progress, max_iter, problem, use_average, epoch_offset=0):
        self.callbacks = list(callbacks)
        self.verbose = verbose
        self.problem = problem
        self.use_average = use_average
        self.epoch_offset = epoch_offset
        self.epochs = 0  # seen by this reporter (over every run of its session)
        self.elapsed = 0.0
        self.bar = _progress_bar(max_iter, problem) if progress else None

    @property
    def needed(self):
        return bool(self.callbacks or self.verbose or self.bar is not None)

    def after_epoch(self, core_record):
        """Called by the core; returns False to stop training."""
        self.elapsed += core_record["seconds"]
        self.epochs += 1
        record = {
            "epoch": self.epoch_offset + self.epochs,
            "objective": core_record["objective"],
            "seconds": core_record["seconds"],
            "elapsed": self.elapsed,
            "updates": core_record["updates"],
            "examples_per_second": core_record["examples_per_second"],
        }
        if core_record["validation_score"] == core_record["validation_score"]:  # not NaN
            record["validation_score"] = core_record["validation_score"]
        if self.problem is not None:
            record["class"] = self.problem
        if self.bar is not None:
            self.bar.set_postfix(objective=f"{record['objective']:.5g}",
                                 examples_per_s=f"{record['examples_per_second']:.3g}", refresh=False)
            self.bar.update(self.epochs - self.bar.n)  # (from where within_epoch left it)
        if self.verbose:
            self._print(record)
        if not self.callbacks:
            return True
        averaged = "average_coef" in core_record and self.use_average(core_record["t"])
        # copies: the core's buffers change as soon as the callback returns
        record["coef"] = (core_record["average_coef"] if averaged else core_record["coef"]).copy()
        record["intercept"] = core_record["average_intercept"] if averaged else core_record["intercept"]
        keep_going = True
        for callback in self.callbacks:
            if says_stop(callback(record)):
                keep_going = False
        return keep_going

    def within_epoch(self, fraction):
        """Called by the core while an epoch runs (at most every ~200 ms) with
        the share of its rows done: the bar moves within long epochs."""
        if self.bar is not None:
            self.bar.n = self.epochs + fraction
            self.bar.refresh()

    def close(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def _print(self, record):
        lines = [f"-- Epoch {record['epoch']}" + ("" if self.problem is None else f" (class {self.problem})"),
                 f"Objective: {record['objective']:.6f}, Updates: {record['updates']}, "
                 f"Time: {record['seconds']:.3f} s, Examples/s: {record['examples_per_second']:.4g}"]
        if "validation_score" in record:
            lines[1] += f", Validation score: {record['validation_score']:.6f}"
        for line in lines:
            if self.bar is not None:
                self.bar.write(line, file=sys.stdout)  # keeps the bar below the lines
            else:
                print(line)


def _progress_bar(max_iter, problem):
    try:
        from tqdm.auto import tqdm
    except ImportError:  # a dependency, but training must not fail for a missing bar
        return None
    description = "epochs" if problem is None else f"class {problem}"
    # (one decimal of an epoch: the bar moves within long epochs)
    return tqdm(total=max_iter, desc=description, unit="epoch", file=sys.stderr, leave=False,
                dynamic_ncols=True,
                bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.1f}/{total_fmt} [{elapsed}<{remaining}{postfix}]")


def says_stop(answer):
    """A callback's answer that stops training: False, Python's or NumPy's
    (``return accuracy > 0.8`` gives NumPy's); None and anything else go on."""
    return isinstance(answer, (bool, np.bool_)) and not answer
