"""Convergence plots of training runs (needs matplotlib: ``pip install "hogwild[plot]"``)."""

import numbers

import numpy as np
from sklearn.utils.validation import check_is_fitted

_X_AXES = {"seconds": "training time (s)", "epoch": "epoch", "updates": "examples processed"}
_Y_AXES = {
    "objective": "objective (mean loss + penalty)",
    "suboptimality": "relative suboptimality (objective - optimum) / optimum",
    "validation_score": "validation score",
    "examples_per_second": "examples / s",
}
_RECORD_KEYS = ("objective", "seconds", "updates", "examples_per_second")  # (what the curves read)


def convergence(runs, x="seconds", y="objective", *, optimum=None, ax=None, log_y=None):
    """Plot several training runs on one figure, e.g. 1, 2 and 4 threads.

    Parameters
    ----------
    runs : estimator, history, list or dict
        A fitted hogwild estimator (its ``history_`` is used), a history (a
        list of epoch records such as ``history_`` or the records passed to
        ``callbacks``), a list of those, or a dict ``{label: run}``. The
        epochs of a one-vs-rest fit are combined: mean objective over the
        classes, seconds summed over them.
    x : {"seconds", "epoch", "updates"}, default="seconds"
        Cumulative training time, epoch number or examples processed.
    y : {"objective", "suboptimality", "validation_score", \
"examples_per_second"}, default="objective"
        ``"suboptimality"`` is ``(objective - optimum) / optimum`` and needs
        ``optimum`` (for instance the objective L-BFGS reaches).
    optimum : float, default=None
        The optimal objective, for ``y="suboptimality"``.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure when None.
    log_y : bool, default=None
        Log scale for y; None: log for suboptimality, and for a positive
        objective spanning more than a factor of 10.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    sklearn.exceptions.NotFittedError
        An estimator in ``runs`` is not fitted.
    TypeError
        A run is neither an estimator with a ``history_`` nor a history.
    ValueError
        ``x`` or ``y`` unknown, or ``y="suboptimality"`` without a positive,
        finite ``optimum``.
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError('hogwild.plot needs matplotlib: pip install "hogwild[plot]"') from None
    # (a list x was "unhashable", a string optimum a ufunc's TypeError; a new user's trial)
    if not isinstance(x, str) or x not in _X_AXES:
        raise ValueError(f"x must be one of {sorted(_X_AXES)}, got {x!r}")
    if not isinstance(y, str) or y not in _Y_AXES:
        raise ValueError(f"y must be one of {sorted(_Y_AXES)}, got {y!r}")
    if y == "suboptimality" and (isinstance(optimum, bool) or not isinstance(optimum, numbers.Real)
                                 or not np.isfinite(optimum) or optimum <= 0):
        raise ValueError(f"y='suboptimality' needs a positive, finite optimum, got {optimum!r}")

    curves = []
    for label, history in _labelled_histories(runs):
        xs, ys = _curve(_combine_classes(history), x, y, optimum)
        curves.append((label, xs, ys))
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.5))
    for label, xs, ys in curves:
        ax.plot(xs, ys, marker="o", markersize=3, label=label)
    if log_y is None:
        values = np.concatenate([ys for _, _, ys in curves]) if curves else np.array([])
        values = values[np.isfinite(values)]
        positive = values.size > 0 and values.min() > 0
        log_y = y == "suboptimality" or (y == "objective" and positive and values.max() > 10 * values.min())
    if log_y:
        ax.set_yscale("log", nonpositive="mask")  # a run below the optimum leaves a gap
    ax.set_xlabel(_X_AXES[x])
    ax.set_ylabel(_Y_AXES[y])
    ax.grid(True, which="both", alpha=0.3)
    if len(curves) > 1 or (curves and curves[0][0]):
        ax.legend()
    return ax


def _labelled_histories(runs):
    if isinstance(runs, dict):
        return [(str(label), _history_of(run)) for label, run in runs.items()]
    if _is_history(runs) or hasattr(runs, "history_") or _is_estimator(runs):
        return [(_default_label(runs), _history_of(runs))]
    if isinstance(runs, (list, tuple)):
        return [(_default_label(run) or f"run {i + 1}", _history_of(run)) for i, run in enumerate(runs)]
    raise TypeError(f"runs must be an estimator, a history, a list or a dict of them, got {type(runs).__name__}")


def _is_history(value):
    return isinstance(value, (list, tuple)) and (len(value) == 0 or isinstance(value[0], dict))


def _is_estimator(value):
    return hasattr(value, "fit") and hasattr(value, "get_params")


def _history_of(run):
    if hasattr(run, "history_"):
        return list(run.history_)
    if _is_history(run):
        for record in run:  # (a record without them was a KeyError naming one key)
            missing = [key for key in _RECORD_KEYS if key not in record]
            if missing:
                raise ValueError(f"an epoch record must hold {', '.join(_RECORD_KEYS)} (as history_'s do); "
                                 f"{record!r} lacks {', '.join(missing)}")
        return list(run)
    if _is_estimator(run):
        # (an estimator not fitted yet: scikit-learn's NotFittedError, which
        # says so, where the TypeError below said it was no estimator)
        check_is_fitted(run)
        raise TypeError(f"{type(run).__name__} has no history_ (hogwild's estimators record their epochs in "
                        "history_ when fitted, unless it was deleted)")
    raise TypeError(f"a run must be a fitted hogwild estimator or a list of epoch records, got {type(run).__name__}")


def _default_label(run):
    if not hasattr(run, "history_"):
        return ""
    threads = getattr(run, "n_threads", None)
    solver = getattr(run, "solver", "")
    if solver == "sequential":
        return "sequential"
    return f"{solver}, {threads} threads" if threads else f"{solver}, all threads"


def _combine_classes(history):
    """One record per epoch: one-vs-rest classes run one after the other.
    A class that stopped earlier (its tol) keeps its last epoch's model:
    its objective and score stay, it adds no seconds or updates (the curve
    ended at the class that stopped first; a new user's trial)."""
    by_class = {}
    for record in history:
        by_class.setdefault(record.get("class"), []).append(record)
    if len(by_class) <= 1:
        return history
    n_epochs = max(len(records) for records in by_class.values())
    combined = []
    for e in range(n_epochs):
        ran = [records[e] for records in by_class.values() if e < len(records)]
        models = [records[min(e, len(records) - 1)] for records in by_class.values()]
        combined.append({
            "epoch": e + 1,
            "objective": float(np.mean([r["objective"] for r in models])),
            "seconds": float(np.sum([r["seconds"] for r in ran])),
            "updates": int(np.sum([r["updates"] for r in ran])),
            "examples_per_second": float(np.mean([r["examples_per_second"] for r in ran])),
            "validation_score": float(np.mean([r.get("validation_score", np.nan) for r in models])),
        })
    return combined


def _curve(history, x, y, optimum):
    if not history:
        return np.array([]), np.array([])
    if x == "epoch":
        xs = np.arange(1, len(history) + 1, dtype=float)
    elif x == "seconds":
        xs = np.cumsum([r["seconds"] for r in history])
    else:
        xs = np.cumsum([r["updates"] for r in history]).astype(float)
    if y == "suboptimality":
        ys = (np.array([r["objective"] for r in history]) - optimum) / optimum
    else:
        ys = np.array([r.get(y, np.nan) for r in history], dtype=float)
    return xs, ys
