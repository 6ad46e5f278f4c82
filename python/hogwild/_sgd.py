"""Drop-in replacements for scikit-learn's SGDClassifier and SGDRegressor.

They subclass scikit-learn's estimators, so parameters, defaults, parameter
validation, prediction, probabilities, `score`, `sparsify`/`densify`,
pickling and `clone` are scikit-learn's own; only training is replaced by
the C++ core. The fitting bookkeeping (random draws, `t_`, `n_iter_`,
averaging, warnings) mirrors scikit-learn 1.9 line for line, so that with
``solver="sequential"`` the learned model is scikit-learn's.
"""

import functools
import warnings
from numbers import Integral

import numpy as np
import scipy.sparse as sp
from sklearn import linear_model as _sk
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.utils import check_random_state, compute_class_weight
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import _check_partial_fit_first_call
from sklearn.utils.validation import _check_sample_weight

from ._class_parallel import train_classes_in_parallel
from ._engine import EPOCH_LEARNING_RATES, MAX_INT, SOLVERS, _HogwildTraining, refuse_malformed_csr, seed_draws  # noqa: F401
from ._parameters import (  # noqa: F401
    INT32_MAX, INT64_MAX, OPTIMIZERS, numpydoc, parameter_constraints, with_parameters)
from ._validation import check_initial_parameters, check_training_data

# the ids of the classifiers inside scikit-learn's _fit, which validated y
# before calling _partial_fit (see SGDClassifier._fit; one fit of an
# estimator at a time: _engine.refusing_concurrent_fits)
_Y_CHECKED_BY_FIT = set()

# scikit-learn's constraints for the parameters it lacks (one table, in
# _parameters.py), and its learning_rate extended by the epoch-wise rates
_HOGWILD_PARAMETERS = {
    **parameter_constraints(),
    "learning_rate": [StrOptions({"auto", "constant", "optimal", "invscaling", "adaptive", "pa1", "pa2"}
                                 | EPOCH_LEARNING_RATES)],
    # scikit-learn's counts, bounded by the core's integer types (beyond, a
    # pybind11 RuntimeError instead of scikit-learn's error naming them)
    "max_iter": [Interval(Integral, 1, INT32_MAX, closed="both")],
    "n_iter_no_change": [Interval(Integral, 1, INT32_MAX, closed="both")],
    "average": [Interval(Integral, 1, INT64_MAX, closed="both"), "boolean"],
}


# scikit-learn's label checks, with shortcuts for the common cases: they
# cost as much as training a small problem (heart_scale, 270 rows x 20
# epochs: 0.3 ms; type_of_target 0.11 ms, compute_class_weight's parameter
# validation 0.08 ms), and they run on every fit.

def _set_classes(estimator, classes):
    """scikit-learn's _check_partial_fit_first_call: classes_ on the first
    call (from `classes`), a ValueError when later calls name other classes.
    Integer or boolean classes are valid labels as they are (what
    type_of_target would find); the others go through scikit-learn's checks
    (a float label that is not whole is a continuous target); so are whole
    float labels, which type_of_target also takes as classes."""
    if (not hasattr(estimator, "classes_") and isinstance(classes, np.ndarray) and classes.ndim == 1
            and classes.size and (classes.dtype.kind in "iub" or _whole_numbers(classes))):
        estimator.classes_ = np.unique(classes)
        return
    _check_partial_fit_first_call(estimator, classes)


def _whole_numbers(values):
    """Float labels that are all finite whole numbers (svmlight files' labels
    are floats): what type_of_target finds to be classes, not a continuous
    target (143 us for three labels)."""
    if values.dtype.kind != "f" or not np.all(np.isfinite(values)):
        return False
    with np.errstate(invalid="ignore"):  # (type_of_target's own test: too large for int64 is continuous)
        return bool(np.all(values == values.astype(np.int64)))


def _class_weights(class_weight, classes, y):
    """compute_class_weight(class_weight, classes=classes, y=y): without
    weights, ones after its check that every label of y is a class."""
    if class_weight is not None:
        return compute_class_weight(class_weight, classes=classes, y=y)
    if set(np.unique(y)) - set(classes):
        raise ValueError("classes should include all valid labels that can be in y")
    return np.ones(classes.shape[0], dtype=np.float64)


class SGDClassifier(_HogwildTraining, _sk.SGDClassifier):
    """Linear classifiers (SVM, logistic regression, ...) trained with parallel SGD.

    A drop-in for :class:`sklearn.linear_model.SGDClassifier`: every
    parameter of scikit-learn 1.9 is accepted with the same meaning and
    default, and the fitted attributes are the same. Training runs in C++
    on all cores, without the GIL.

    Parameters
    ----------
    loss, penalty, alpha, l1_ratio, fit_intercept, max_iter, tol, shuffle, \
verbose, epsilon, n_jobs, random_state, eta0, power_t, \
early_stopping, validation_fraction, n_iter_no_change, class_weight, \
warm_start, average
        As in scikit-learn. ``n_jobs`` is accepted for compatibility and not
        used: the ``n_threads`` threads train min(n_threads, K) of the K
        one-vs-rest classes at a time, each on n_threads // min(n_threads, K)
        threads (the sequential solver: each class on one thread, the model
        of class-by-class training bit for bit). With ``callbacks`` or
        ``verbose``, classes train one after the other on every thread (the
        callbacks run on the calling thread, class by class).
{hogwild_parameters}
    Attributes
    ----------
    coef_, intercept_, classes_, n_iter_, t_, n_features_in_, \
feature_names_in_, loss_function_
        As in scikit-learn (``coef_`` has the dtype of X; training itself
        always uses float64 weights).
    learning_rate_ : str
        With ``learning_rate="auto"``: the schedule that ran ("optimal",
        "invscaling", "constant" or "barzilai_borwein").
    eta0_ : float
        With ``learning_rate="auto"``: its first step (the same for every
        one-vs-rest class).
    batch_size_ : int
        ``solver="minibatch"`` or ``"async"``: the rows a step took
        (``batch_size="auto"`` resolved; the last batch of an epoch may be
        smaller).
    history_ : list of dict
        One record per epoch (per class for one-vs-rest): ``epoch``,
        ``objective`` (mean loss over the epoch's updates plus the penalty
        at its end), ``seconds``, ``elapsed``, ``updates``,
        ``examples_per_second``, ``validation_score`` with early stopping,
        and for ``solver="async"`` ``staleness`` (applied updates by
        staleness 0, 1, ... up to the largest seen, at most
        ``max_staleness``) and ``stale_dropped``.
    fit_info_ : dict
        Where the last training call ran: ``threads``, ``cpus`` (per thread,
        the CPU it ran on as training started, from ``sched_getcpu``; -1
        where unknown), ``nodes`` (per thread, its NUMA node's id),
        ``node_replicas`` (model replicas, one per node; 0: one shared
        model) and ``topology`` (where the topology came from: "sysfs",
        "affinity mask" or "simulated NxM") and ``data`` (where the threads
        read the rows: "in place", or node-local copies, "shard" or
        "replicate"; see ``numa_data``) and ``row_order`` (the order an
        epoch visited the rows in: ``shuffle``, ``shuffle_block_size`` and
        ``shuffle_buffer_blocks`` with "auto" resolved; 1 and 1 with a full
        shuffle or ``shuffle=False``, data order).

    Notes
    -----
    With ``random_state`` set, a fit with one thread is bit-for-bit
    reproducible. With several Hogwild! threads it is not: threads read and
    write shared weights while others update them, and the interleaving
    (which update lands first, which is overwritten) depends on timing.
    The ``"minibatch"`` and ``"gd"`` solvers are bit-for-bit reproducible
    for any number of threads, ``"local"`` and ``"easgd"`` for a given
    number of threads, ``"hogwild"`` with ``deterministic=True`` too.
    """

    _parameter_constraints = {**_sk.SGDClassifier._parameter_constraints, **_HOGWILD_PARAMETERS}

    # scikit-learn's parameters, then those of the table in _parameters.py
    __init__ = with_parameters(_sk.SGDClassifier)

    def partial_fit(self, X, y, classes=None, sample_weight=None, callbacks=None):
        """One epoch over (X, y) (see scikit-learn's ``partial_fit``);
        ``callbacks`` as in :meth:`fit`."""
        with self._callbacks_during_fit(callbacks):
            return super().partial_fit(X, y, classes=classes, sample_weight=sample_weight)

    def _fit(self, X, y, *args, **kwargs):
        self._reset_history()
        # scikit-learn's _fit validates y (alone) before it calls _partial_fit;
        # held by the estimator's id, not in an attribute, which a copy taken
        # during the fit (a checkpointing callback) would carry on into its
        # own partial_fit's unchecked y
        _Y_CHECKED_BY_FIT.add(id(self))
        try:
            return super()._fit(X, y, *args, **kwargs)
        finally:
            _Y_CHECKED_BY_FIT.discard(id(self))

    def decision_function(self, X):
        """Confidence scores (see scikit-learn's); a sparse X's CSR arrays
        are checked first (ValueError naming the array)."""
        refuse_malformed_csr(X)  # (predict, predict_proba and score go through here)
        return super().decision_function(X)

    def _partial_fit(self, X, y, alpha, loss, learning_rate, max_iter, classes,
                     sample_weight, coef_init, intercept_init):
        coef_init, intercept_init = check_initial_parameters(coef_init, intercept_init)
        first_call = not hasattr(self, "classes_")
        self._auto_step_memo = None  # (learning_rate="auto": the rule once per call, see _step_choice)
        if not hasattr(self, "history_"):
            self._reset_history()
        X, y = check_training_data(self, X, y, reset=first_call, y_numeric=False,
                                   y_checked=id(self) in _Y_CHECKED_BY_FIT)
        n_samples, n_features = X.shape
        distributed = getattr(self, "_distributed", None)  # (hogwild.distributed: every rank's classes)
        if distributed is not None and classes is not None:
            classes = distributed.classes
        _set_classes(self, classes)
        n_classes = self.classes_.shape[0]
        if distributed is not None and isinstance(self.class_weight, str) and self.class_weight == "balanced":
            self._expanded_class_weight = distributed.balanced_class_weight(y)
        else:
            self._expanded_class_weight = _class_weights(self.class_weight, self.classes_, y)
        sample_weight = _check_sample_weight(
            sample_weight, X, dtype=np.float64, allow_all_zero_weights=self.early_stopping
        )
        if getattr(self, "coef_", None) is None or coef_init is not None:
            self._allocate_parameter_mem(
                n_classes=n_classes, n_features=n_features, input_dtype=np.float64,
                coef_init=coef_init, intercept_init=intercept_init,
            )
        elif n_features != self.coef_.shape[-1]:
            raise ValueError(
                "Number of features %d does not match previous data %d."
                % (n_features, self.coef_.shape[-1])
            )
        self._cast_coefficients(np.float64)
        self._loss_function_ = self._get_loss_function(loss)
        if not hasattr(self, "t_"):
            self.t_ = 1.0
        if n_classes > 2:
            self._fit_multiclass(X, y, alpha=alpha, learning_rate=learning_rate,
                                 sample_weight=sample_weight, max_iter=max_iter)
        elif n_classes == 2:
            self._fit_binary(X, y, alpha=alpha, learning_rate=learning_rate,
                             sample_weight=sample_weight, max_iter=max_iter)
        else:
            raise ValueError(
                "The number of classes has to be greater than one; got %d class" % n_classes
            )
        self._cast_coefficients(X.dtype)
        return self

    def _train_one_vs_rest(self, i, X, y, alpha, learning_rate, max_iter, pos_weight,
                           neg_weight, sample_weight, validation_mask=None,
                           random_state=None, n_threads=None, stop=None, in_runs=False):
        """scikit-learn's fit_binary: class i against the rest, labels -1/+1.
        Returns its epochs; `in_runs`: its generator of training runs
        instead (see _engine._training_runs), for class-parallel training."""
        y_i = np.where(y == self.classes_[i], 1.0, -1.0)
        binary = len(self.classes_) == 2
        row = slice(None) if binary else i
        first = slice(0, 1) if binary else slice(i, i + 1)
        if self.average:
            coef = self._standard_coef.reshape(-1) if binary else self._standard_coef[row]
            intercept = self._standard_intercept[first]
            average_coef = self._average_coef.reshape(-1) if binary else self._average_coef[row]
            average_intercept = self._average_intercept[first]
        else:
            coef = self.coef_.reshape(-1) if binary else self.coef_[row]
            intercept = self.intercept_[first]
            average_coef = average_intercept = None

        # (scikit-learn's fit_binary draws its dataset's seed, makes the
        # validation split, then draws the solver's seed; a RandomState
        # instance, or None's global one, is drawn from by the split too, so
        # the order counts there)
        if validation_mask is None and not isinstance(random_state, Integral):
            generator = check_random_state(random_state)
            generator.randint(1, MAX_INT)
            validation_mask = self._make_validation_split(y_i, sample_mask=sample_weight > 0)
            seed = generator.randint(MAX_INT)
        else:
            _, seed = seed_draws(random_state, (1, MAX_INT, None), (MAX_INT, None, None))
            if validation_mask is None:
                validation_mask = self._make_validation_split(y_i, sample_mask=sample_weight > 0)
        train = self._training_runs if in_runs else self._train_in_place
        return train(
            X, y_i, sample_weight, validation_mask, coef, intercept, average_coef,
            average_intercept, loss=self.loss, alpha=alpha, learning_rate=learning_rate,
            max_iter=max_iter, seed=seed, weight_pos=pos_weight, weight_neg=neg_weight, classifier=True,
            problem=None if binary else getattr(self.classes_[i], "item", lambda: self.classes_[i])(),
            n_threads=n_threads, stop=stop,
        )

    def _fit_binary(self, X, y, alpha, sample_weight, learning_rate, max_iter):
        n_iter_ = self._train_one_vs_rest(
            1, X, y, alpha, learning_rate, max_iter, self._expanded_class_weight[1],
            self._expanded_class_weight[0], sample_weight, random_state=self.random_state,
        )
        self.t_ += n_iter_ * self._rows_per_epoch(X)
        self.n_iter_ = n_iter_
        self._expose_averaged_weights()
        self.coef_ = self.coef_.reshape(1, -1)

    def _fit_multiclass(self, X, y, alpha, learning_rate, sample_weight, max_iter):
        validation_mask = self._make_validation_split(y, sample_mask=sample_weight > 0)
        (seeds,) = seed_draws(self.random_state, (MAX_INT, None, len(self.classes_)))

        def train_class(i, n_threads=None, stop=None, in_runs=False):
            return self._train_one_vs_rest(
                i, X, y, alpha, learning_rate, max_iter, self._expanded_class_weight[i],
                1.0, sample_weight, validation_mask=validation_mask, random_state=seeds[i],
                n_threads=n_threads, stop=stop, in_runs=in_runs,
            )

        n_values = X.nnz if sp.issparse(X) else X.size
        workers, threads_per_class = self._class_parallelism(len(self.classes_), n_values)
        if workers > 1:
            # (classes that do not divide evenly among the workers are cut
            # into runs of epochs where the work pays for a run's start)
            split = max_iter if (n_values * max_iter >= self.CLASS_SPLIT_MIN_VALUES
                                 and self.solver in self.CLASS_SPLIT_SOLVERS) else None
            n_iter_ = max(train_classes_in_parallel(
                self, functools.partial(train_class, in_runs=True), len(self.classes_), workers,
                threads_per_class, epochs=split))
        else:
            n_iter_ = max(train_class(i) for i in range(len(self.classes_)))
        self.t_ += n_iter_ * self._rows_per_epoch(X)
        self.n_iter_ = n_iter_
        self._expose_averaged_weights()


class SGDRegressor(_HogwildTraining, _sk.SGDRegressor):
    """Linear regression trained with parallel SGD.

    A drop-in for :class:`sklearn.linear_model.SGDRegressor`, with the same
    parameters and fitted attributes, plus ``history_`` (as in
    :class:`hogwild.SGDClassifier`) and these parameters:

    Parameters
    ----------
    loss, penalty, alpha, l1_ratio, fit_intercept, max_iter, tol, shuffle, \
verbose, epsilon, random_state, eta0, power_t, \
early_stopping, validation_fraction, n_iter_no_change, warm_start, average
        As in scikit-learn.
{hogwild_parameters}

    Notes
    -----
    With ``random_state`` set, a fit with one thread is bit-for-bit
    reproducible; with several Hogwild! threads it is not (the interleaving
    of the threads' updates depends on timing) unless ``deterministic=True``.
    The ``"minibatch"`` and ``"gd"`` solvers are bit-for-bit reproducible
    for any number of threads.
    """

    _parameter_constraints = {**_sk.SGDRegressor._parameter_constraints, **_HOGWILD_PARAMETERS}

    # scikit-learn's parameters, then those of the table in _parameters.py
    __init__ = with_parameters(_sk.SGDRegressor)

    def partial_fit(self, X, y, sample_weight=None, callbacks=None):
        """One epoch over (X, y) (see scikit-learn's ``partial_fit``);
        ``callbacks`` as in :meth:`fit`."""
        with self._callbacks_during_fit(callbacks):
            return super().partial_fit(X, y, sample_weight=sample_weight)

    def _fit(self, X, y, *args, **kwargs):
        self._reset_history()
        return super()._fit(X, y, *args, **kwargs)

    def _partial_fit(self, X, y, alpha, loss, learning_rate, max_iter, sample_weight,
                     coef_init, intercept_init):
        coef_init, intercept_init = check_initial_parameters(coef_init, intercept_init)
        first_call = getattr(self, "coef_", None) is None
        self._auto_step_memo = None  # (learning_rate="auto": the rule once per call, see _step_choice)
        if not hasattr(self, "history_"):
            self._reset_history()
        X, y = check_training_data(self, X, y, reset=first_call, y_numeric=True)
        y = np.ascontiguousarray(y, dtype=np.float64)
        n_samples, n_features = X.shape
        sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64)
        if first_call:
            self._allocate_parameter_mem(
                n_classes=1, n_features=n_features, input_dtype=np.float64,
                coef_init=coef_init, intercept_init=intercept_init,
            )
        elif n_features != self.coef_.shape[-1]:
            raise ValueError(
                "Number of features %d does not match previous data %d."
                % (n_features, self.coef_.shape[-1])
            )
        if self.average > 0 and getattr(self, "_average_coef", None) is None:
            self._average_coef = np.zeros(n_features, dtype=np.float64, order="C")
            self._average_intercept = np.zeros(1, dtype=np.float64, order="C")
        self._cast_coefficients(np.float64)
        self._fit_regressor(X, y, alpha, loss, learning_rate, sample_weight, max_iter)
        self._cast_coefficients(X.dtype)
        return self

    def _decision_function(self, X):
        refuse_malformed_csr(X)  # (predict and score go through here; see SGDClassifier.decision_function)
        return super()._decision_function(X)

    def _fit_regressor(self, X, y, alpha, loss, learning_rate, sample_weight, max_iter):
        if not hasattr(self, "t_"):
            self.t_ = 1.0
        validation_mask = self._make_validation_split(y, sample_mask=sample_weight > 0)
        if self.early_stopping and np.count_nonzero(validation_mask) < 2:
            # (scikit-learn's r2_score warns so at every epoch's score: R^2 of one row is NaN)
            warnings.warn("R^2 score is not well-defined with less than two samples.", UndefinedMetricWarning)
        # (scikit-learn's regressor draws the solver's seed, then its dataset's)
        seed, _ = seed_draws(self.random_state, (0, MAX_INT, None), (1, MAX_INT, None))
        if self.average:
            coef, intercept = self._standard_coef, self._standard_intercept
            average_coef, average_intercept = self._average_coef, self._average_intercept
        else:
            coef, intercept = self.coef_, self.intercept_
            average_coef = average_intercept = None
        self.n_iter_ = self._train_in_place(
            X, y, sample_weight, validation_mask, coef, intercept[0:1], average_coef,
            None if average_intercept is None else average_intercept[0:1], loss=loss,
            alpha=alpha, learning_rate=learning_rate, max_iter=max_iter, seed=seed,
            weight_pos=1.0, weight_neg=1.0, classifier=False,
        )
        self.t_ += self.n_iter_ * self._rows_per_epoch(X)
        self._expose_averaged_weights()


# learning_rate, whose default differs from scikit-learn's, then the
# parameters scikit-learn lacks, documented from their table
_LEARNING_RATE_DOC = """\
    learning_rate : str, default="auto"
        scikit-learn's schedules ("constant", "optimal", "invscaling",
        "adaptive", "pa1", "pa2"), the epoch-wise "exponential" and "step",
        or "auto": steps from the data for every solver but "sequential"
        (which then runs scikit-learn's default rate): the "optimal" decay
        from a first step of 1 / L, L the loss's smoothness on the rows
        (for batches, Gower et al. 2019's expected smoothness); "invscaling"
        from 1 / L for regression losses; Barzilai-Borwein steps for "gd".
        ``eta0`` is not used by "auto"; the fitted ``learning_rate_`` and
        ``eta0_`` say what ran. The rule and its sources: the README's "Step
        sizes without tuning".
"""
SGDClassifier.__doc__ = SGDClassifier.__doc__.replace("{hogwild_parameters}", _LEARNING_RATE_DOC + numpydoc())
SGDRegressor.__doc__ = SGDRegressor.__doc__.replace("{hogwild_parameters}", _LEARNING_RATE_DOC + numpydoc())
