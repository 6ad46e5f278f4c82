"""Help choosing a step and a batch size: a learning-rate range test and a
batch-size sweep, for any of the package's linear estimators.

``find_learning_rate`` follows the learning-rate range test of Smith
("Cyclical Learning Rates for Training Neural Networks", WACV 2017):
short runs over a geometric range of steps, the loss of each, and a
suggestion a safe factor below the step where the loss is lowest (Smith
takes the range's upper bound where the loss stops falling). The factor
is 3: short runs favour longer steps than long ones do, and on a9a the
lowest point of 2-epoch runs on 10,000 rows lay 1-3x above the best step
of full 10-epoch fits.
Here each step gets its own short run from zero weights with
``learning_rate="constant"`` on a subsample, so that the curve does not
depend on the order the steps were tried in.

``sweep_batch_size`` trains with each power of two as ``batch_size`` and
reports the seconds and epochs each needed to reach a target: a training
objective within ``rtol`` of the lowest any batch size reached, or, with
validation data, a validation score within ``score_tol`` of the best.

Both are in the command line as ``hogwild tune DATA --learning-rate`` and
``hogwild tune DATA --batch-size``.
"""

import numbers
from dataclasses import dataclass, field

import numpy as np
from sklearn.base import clone, is_classifier
from sklearn.metrics import r2_score
from sklearn.utils import check_scalar
from sklearn.utils.validation import check_array, check_consistent_length, check_X_y

SUGGESTION_FACTOR = 3.0  # the suggested eta0 is the best step of the range test divided by this


@dataclass
class LearningRateTest:
    """The result of :func:`find_learning_rate`.

    Attributes
    ----------
    etas : ndarray of shape (n_steps,)
        The constant steps tried, increasing.
    objectives : ndarray of shape (n_steps,)
        Each short run's training objective (its last epoch's mean loss plus
        the penalty; one-vs-rest: summed over the classes); ``inf`` where
        the run diverged.
    suggested_eta0 : float
        The step of the lowest objective (refined between grid points)
        divided by 3 (``SUGGESTION_FACTOR``).
    n_rows : int
        Rows of the subsample the runs trained on.
    """
    etas: np.ndarray
    objectives: np.ndarray
    suggested_eta0: float
    n_rows: int

    def plot(self, ax=None):
        """Objective against step (log x), the suggestion marked; needs
        matplotlib (the ``plot`` extra). Returns the Axes."""
        import matplotlib.pyplot as plt

        ax = ax if ax is not None else plt.subplots(figsize=(6, 4))[1]
        finite = np.isfinite(self.objectives)
        ax.plot(self.etas[finite], self.objectives[finite], marker="o")
        ax.axvline(self.suggested_eta0, linestyle="--", color="gray", label=f"suggested eta0 = {self.suggested_eta0:.3g}")
        ax.set_xscale("log")
        ax.set_yscale("log")  # (losses and penalties are positive; diverging steps grow by orders)
        ax.set_xlabel("eta0 (learning_rate='constant')")
        ax.set_ylabel("training objective after the short run")
        ax.set_title(f"learning-rate range test ({self.n_rows} rows)")
        ax.legend()
        return ax


def _checked_problem(estimator, X, y, X_val=None, y_val=None):
    """The estimator, X and y (and the validation pair) checked as fit would
    check them, each mistake named (a list X, a shorter y, another library's
    estimator, validation data of other columns or without its labels: raw
    IndexErrors, AttributeErrors or a silently meaningless sweep)."""
    from ._sgd import SGDClassifier, SGDRegressor

    if not isinstance(estimator, (SGDClassifier, SGDRegressor)):
        raise TypeError(f"estimator must be hogwild's SGDClassifier or SGDRegressor, got {type(estimator).__name__}")
    checks = dict(accept_sparse="csr", dtype=[np.float64, np.float32], accept_large_sparse=True)
    X, y = check_X_y(X, y, **checks)
    if (X_val is None) != (y_val is None):
        raise ValueError("X_val and y_val must be given together (the validation rows and their labels)")
    if X_val is not None:
        X_val, y_val = check_array(X_val, input_name="X_val", **checks), np.asarray(y_val)
        check_consistent_length(X_val, y_val)
        if X_val.shape[1] != X.shape[1]:
            raise ValueError(f"X_val has {X_val.shape[1]} features, X has {X.shape[1]}")
    return X, y, X_val, y_val


def _refuse_nan(**values):
    for name, value in values.items():
        if isinstance(value, numbers.Real) and value != value:
            raise ValueError(f"{name} must be a number, got nan")


def _subsample(X, y, n_rows, random_state):
    if X.shape[0] <= n_rows:
        return X, y
    rows = np.sort(np.random.default_rng(random_state).choice(X.shape[0], size=n_rows, replace=False))
    return X[rows], np.asarray(y)[rows]


def _objective(model):
    """The last epoch's training objective, summed over one-vs-rest classes
    (history_ holds the classes' records one class after another)."""
    last = {}
    for record in model.history_:
        last[record.get("class")] = record["objective"]
    return float(sum(last.values()))


def _lowest_point(etas, objectives):
    """The step of the lowest objective, refined between the grid's points by
    the parabola through it and its two neighbours (in log step)."""
    k = int(np.argmin(objectives))
    if 0 < k < len(etas) - 1 and np.all(np.isfinite(objectives[k - 1:k + 2])):
        x = np.log(etas[k - 1:k + 2])
        a, b, _ = np.polyfit(x, objectives[k - 1:k + 2], 2)
        if a > 0:
            return float(np.exp(np.clip(-b / (2 * a), x[0], x[2])))
    return float(etas[k])


def find_learning_rate(estimator, X, y, *, min_eta=1e-5, max_eta=1e2, n_steps=22, n_rows=10_000, epochs=2,
                       random_state=0):
    """A learning-rate range test: which constant step ``eta0`` suits this data.

    Parameters
    ----------
    estimator : SGDClassifier or SGDRegressor
        Its parameters (loss, penalty, alpha, solver, optimizer, batch_size,
        n_threads ...) are kept; ``learning_rate="constant"``, ``eta0``,
        ``max_iter=epochs`` and ``tol=None`` are set on clones.
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    min_eta, max_eta : float, default=1e-5, 1e2
        The range of steps, tried at `n_steps` geometrically spaced values.
    n_steps : int, default=22
    n_rows : int, default=10_000
        Rows of a random subsample (without replacement) each run trains on.
    epochs : int, default=2
        Epochs of each short run.
    random_state : int, default=0
        The subsample's and the runs' seed.

    Returns
    -------
    LearningRateTest
        The curve and ``suggested_eta0`` (use it with
        ``learning_rate="constant"``; ``.plot()`` draws it).

    Raises
    ------
    TypeError
        If the estimator is not hogwild's, or an argument has the wrong type.
    ValueError
        If X and y are not a training set (scikit-learn's messages), the
        range is empty, not positive or not finite, or every run diverged.
    """
    X, y, _, _ = _checked_problem(estimator, X, y)
    _refuse_nan(min_eta=min_eta, max_eta=max_eta)  # (NaN passes check_scalar's comparisons)
    min_eta = check_scalar(min_eta, "min_eta", numbers.Real, min_val=0.0, include_boundaries="neither")
    max_eta = check_scalar(max_eta, "max_eta", numbers.Real, min_val=min_eta, max_val=1e300,
                           include_boundaries="neither")
    n_steps = check_scalar(n_steps, "n_steps", numbers.Integral, min_val=2)
    n_rows = check_scalar(n_rows, "n_rows", numbers.Integral, min_val=1)
    epochs = check_scalar(epochs, "epochs", numbers.Integral, min_val=1)
    X_small, y_small = _subsample(X, y, n_rows, random_state)
    etas = np.geomspace(min_eta, max_eta, n_steps)
    objectives = np.full(n_steps, np.inf)
    # (the batches a fit on all of X takes: batch_size="auto" would size them for the subsample)
    batch_size = estimator._batch_rows(X.shape[0])
    for k, eta in enumerate(etas):
        model = clone(estimator).set_params(learning_rate="constant", eta0=float(eta), max_iter=epochs, tol=None,
                                            random_state=random_state, verbose=0, batch_size=batch_size)
        try:
            model.fit(X_small, y_small)
        except ValueError as error:  # (scikit-learn's overflow error: this step diverged)
            if "overflow" not in str(error):
                raise
            continue
        value = _objective(model)
        objectives[k] = value if np.isfinite(value) else np.inf
    if not np.isfinite(objectives).any():
        raise ValueError(f"every run of the learning-rate range test diverged (eta0 {min_eta:g} to {max_eta:g})")
    best = _lowest_point(etas, objectives)
    return LearningRateTest(etas=etas, objectives=objectives, suggested_eta0=best / SUGGESTION_FACTOR,
                            n_rows=X_small.shape[0])


@dataclass
class BatchSizeSweep:
    """The result of :func:`sweep_batch_size`.

    Attributes
    ----------
    batch_sizes : list of int
    seconds : list of float or None
        Training seconds (the solvers' own, summed over epochs) until the
        target was first reached; None where it was not within max_iter.
    epochs : list of int or None
        Epochs until then.
    target : float
        The objective (or validation score) that counted as reached.
    best_batch_size : int or None
        The batch size that reached the target in the fewest seconds.
    traces : dict
        batch size -> list of (seconds, value) after every epoch.
    """
    batch_sizes: list
    seconds: list
    epochs: list
    target: float
    best_batch_size: object
    traces: dict = field(default_factory=dict)


def sweep_batch_size(estimator, X, y, *, batch_sizes=None, max_iter=20, rtol=1e-2, X_val=None, y_val=None,
                     score_tol=2e-3):
    """Time to a target for each batch size (powers of two).

    Parameters
    ----------
    estimator : SGDClassifier or SGDRegressor
        With ``solver="minibatch"`` or ``"async"`` (the solvers that take
        ``batch_size``); its other parameters are kept.
    X, y : training data
    batch_sizes : list of int, default=None
        Default: the powers of two from 16 to 8,192 below the row count.
    max_iter : int, default=20
        Epochs of each run (``tol=None``).
    rtol : float, default=1e-2
        Without validation data: the target is the lowest training
        objective any run reached, times (1 + rtol).
    X_val, y_val : validation data, default=None
        With them: the target is the best validation score (``score``:
        accuracy, R^2) any run reached after an epoch, minus `score_tol`
        (one-vs-rest: the accuracy of every class's model after that
        epoch).
    score_tol : float, default=2e-3

    Returns
    -------
    BatchSizeSweep

    Raises
    ------
    TypeError
        If the estimator is not hogwild's, or an argument has the wrong type.
    ValueError
        If X and y (or X_val and y_val, which go together) are not a data
        set (scikit-learn's messages), X_val has other columns than X, the
        estimator's solver takes no batch size, or no batch size is left.
    """
    X, y, X_val, y_val = _checked_problem(estimator, X, y, X_val, y_val)
    max_iter = check_scalar(max_iter, "max_iter", numbers.Integral, min_val=1)
    _refuse_nan(rtol=rtol, score_tol=score_tol)
    rtol = check_scalar(rtol, "rtol", numbers.Real, min_val=0.0, max_val=1e300)
    score_tol = check_scalar(score_tol, "score_tol", numbers.Real, min_val=0.0, max_val=1e300)
    if estimator.solver not in ("minibatch", "async"):
        raise ValueError(f"sweep_batch_size needs solver='minibatch' or 'async', not {estimator.solver!r}")
    n = X.shape[0]
    if batch_sizes is None:
        batch_sizes = [b for b in (2 ** k for k in range(4, 14)) if b < n] or [n]
    # (a string was read character by character: "16" ran 1 and 6; 2.7 ran 2)
    if isinstance(batch_sizes, (str, bytes)) or not hasattr(batch_sizes, "__iter__"):
        raise ValueError(f"batch_sizes must be a list of integers >= 1, got {batch_sizes!r}")
    batch_sizes = list(batch_sizes)
    if not batch_sizes or any(isinstance(b, (bool, np.bool_)) or not isinstance(b, numbers.Integral) or b < 1
                              for b in batch_sizes):
        raise ValueError(f"batch_sizes must be a list of integers >= 1, got {batch_sizes!r}")
    batch_sizes = [int(b) for b in batch_sizes]
    validate = X_val is not None
    multiclass = is_classifier(estimator) and len(np.unique(y)) > 2
    traces = {}
    for batch in batch_sizes:
        records = []
        model = clone(estimator).set_params(batch_size=batch, max_iter=max_iter, tol=None, verbose=0)

        def measure(record, model=model, records=records):
            if not validate:
                value = record["objective"]
            elif multiclass:  # (this class's margins: the epoch's score needs every class's)
                value = np.asarray(X_val @ record["coef"]).ravel() + record["intercept"]
            else:
                value = _score_binary_record(model, record["coef"], record["intercept"], X_val, y_val)
            records.append((record.get("class"), record["seconds"], value))

        model.fit(X, y, callbacks=[measure])
        combine = _one_vs_rest_accuracy(model, y_val) if validate and multiclass else sum
        traces[batch] = _per_epoch(records, combine)
    values = [v for trace in traces.values() for _, v in trace]
    target = (max(values) - score_tol) if validate else min(values) * (1.0 + rtol)
    seconds, epochs = [], []
    for batch in batch_sizes:
        reached = [(k + 1, s) for k, (s, v) in enumerate(traces[batch]) if (v >= target if validate else v <= target)]
        epochs.append(reached[0][0] if reached else None)
        seconds.append(reached[0][1] if reached else None)
    timed = [(s, b) for s, b in zip(seconds, batch_sizes) if s is not None]
    return BatchSizeSweep(batch_sizes=batch_sizes, seconds=seconds, epochs=epochs, target=target,
                          best_batch_size=min(timed)[1] if timed else None, traces=traces)


def _per_epoch(records, combine=sum):
    """[(seconds so far, value)] after every epoch from the callback records
    (class, seconds, value), one-vs-rest classes one after another (in
    classes_ order): an epoch's seconds summed over the classes, its value
    `combine` of the classes' values."""
    by_class = {}
    for problem, seconds, value in records:
        by_class.setdefault(problem, []).append((seconds, value))
    # (a class that stopped earlier keeps its last epoch's model and adds no seconds)
    epochs = max(len(trace) for trace in by_class.values())
    trace, elapsed = [], 0.0
    for e in range(epochs):
        elapsed += sum(by_class[c][e][0] for c in by_class if e < len(by_class[c]))
        trace.append((elapsed, combine([by_class[c][min(e, len(by_class[c]) - 1)][1] for c in by_class])))
    return trace


def _one_vs_rest_accuracy(model, y_val):
    """The accuracy of an epoch's one-vs-rest model from its classes'
    margins on the validation rows (in classes_ order): the class of the
    largest margin, as predict chooses."""
    def accuracy(margins_by_class):
        predictions = model.classes_[np.argmax(np.column_stack(margins_by_class), axis=1)]
        return float(np.mean(predictions == np.asarray(y_val)))
    return accuracy


def _score_binary_record(model, coef, intercept, X_val, y_val):
    """The validation score of an epoch's model (a callback record's binary
    coef and intercept): accuracy for a classifier, R^2 for a regressor."""
    margins = np.asarray(X_val @ coef).ravel() + intercept
    if is_classifier(model):
        classes = model.classes_
        predictions = np.where(margins > 0, classes[-1], classes[0])
        return float(np.mean(predictions == np.asarray(y_val)))
    # (scikit-learn's r2_score, as the estimator's score(): constant targets
    # give 0 for an imperfect fit, where -inf made every batch size "reach"
    # its target at the first epoch; a new user's trial)
    return float(r2_score(np.asarray(y_val, dtype=np.float64), margins))
