"""The engine glue: how an estimator hands one binary (or regression)
problem to the C++ core and takes its result back. The options the core
takes, the training call with its progress and callbacks, the per-epoch
history. The estimators (``_sgd.py``) call it for every problem they fit.
"""

import sys
import threading
from contextlib import contextmanager
from functools import lru_cache
from numbers import Integral

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, is_classifier
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import validate_parameter_constraints

from . import _core, cuda
from ._parameters import OPTIMIZERS, core_options_of  # noqa: F401 (OPTIMIZERS: re-exported for the CLI)
from ._progress import EpochReporter
from ._memory import refuse_a_model_beyond_memory
from ._step_size import StepChoice, auto_batch_size, auto_step
from ._fork_safety import team_threads  # noqa: F401 (re-exported: datasets, _matrix_factorization)
from ._validation import check_csr_structure, core_view


MAX_INT = np.iinfo(np.int32).max


def seed_draws(random_state, *draws):
    """The integers scikit-learn's SGD draws from `random_state`: one
    ``RandomState.randint(low, high, size)`` per (low, high, size) of
    `draws`, in order, from ``check_random_state(random_state)``.

    For an integer seed the draws are the same every time and are
    remembered: seeding a RandomState takes about 90 microseconds, as long
    as a small problem's whole training (heart_scale: 270 rows, 20 epochs),
    and a one-vs-rest fit seeds one per class.
    """
    if isinstance(random_state, Integral) and not isinstance(random_state, bool):
        return _seeded_draws(int(random_state), draws)
    generator = check_random_state(random_state)
    return tuple(generator.randint(low, high, size) for low, high, size in draws)


@lru_cache(maxsize=1024)
def _seeded_draws(seed, draws):
    generator = np.random.RandomState(seed)
    values = tuple(generator.randint(low, high, size) for low, high, size in draws)
    for value in values:
        if isinstance(value, np.ndarray):
            value.flags.writeable = False  # (shared by every call with this seed)
    return values
MAX_THREADS_PER_CPU = 16
# parameter sets that passed scikit-learn's validation (see _validate_params)
_VALID_PARAMETER_SETS = set()
MAX_VALID_PARAMETER_SETS = 256
SPARSE_INTERCEPT_DECAY = 0.01  # scikit-learn's: the intercept moves slower on sparse data
# decay_on_plateau's state before any epoch (the core's PlateauState)
NO_PLATEAU_YET = {"best_objective": float("inf"), "epochs": 0, "decay": float("inf")}
# learning_rate="auto": CSR data with at least this fraction of its entries
# stored takes the intercept's full step, as dense data does (see _intercept_decay)
AUTO_FULL_INTERCEPT_MIN_DENSITY = 0.1
ROW_ORDER_BLOCK = 128        # rows of a block of the default row order (see _row_order)
ROW_ORDER_BUFFER = 8         # blocks interleaved, one from each eighth of the data
ROW_ORDER_MIN_ROWS = 16_384  # below, a full shuffle

# The solvers of the C++ core, from its registry (cpp/include/hogwild/solvers.hpp)
SOLVER_INFO = {info["name"]: info for info in _core.solvers()}
SOLVERS = tuple(SOLVER_INFO)
# those that take a per-coordinate optimizer
OPTIMIZER_SOLVERS = tuple(name for name, info in SOLVER_INFO.items() if info["optimizers"])
# those that step along gradients only: no passive-aggressive rates
GRADIENT_SOLVERS = tuple(name for name, info in SOLVER_INFO.items() if not info["passive_aggressive"])
PASSIVE_AGGRESSIVE_RATES = ("pa1", "pa2")
EPOCH_LEARNING_RATES = {"exponential", "step"}  # beyond scikit-learn's

_COEF_NAMES = ("coef_", "_standard_coef", "_average_coef")
_INTERCEPT_NAMES = ("intercept_", "_standard_intercept", "_average_intercept")

# Estimators being fitted now (by id): a second fit of one of them from
# another thread is refused instead of corrupting it.
_FITTING = set()
_FITTING_LOCK = threading.Lock()


def default_thread_count():
    """Threads of n_threads=None: every CPU this process may run on, at most
    omp_get_max_threads() of the core's OpenMP runtime on the calling
    thread (OMP_NUM_THREADS, or a limit threadpoolctl set on it: joblib's
    workers set one so that their threads do not oversubscribe the CPUs)."""
    return max(1, min(_core.usable_cpu_count(), _core.openmp_max_threads()))


def _is_terminal(stream):
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # (a replaced or closed stream)
        return False


def refuse_malformed_csr(X):
    """ValueError naming the array when a CSR matrix's arrays are not a
    valid matrix. scikit-learn's prediction checks no CSR arrays (an indptr
    starting at 1, or one entry too long, gave silently wrong predictions):
    the estimators' prediction paths call this first."""
    if sp.issparse(X) and X.format == "csr":
        check_csr_structure(X)


@lru_cache(maxsize=None)
def _parameter_names(cls):
    return tuple(BaseEstimator._get_param_names.__func__(cls))


class _HogwildTraining:
    """Training through the C++ core, shared by both estimators."""

    @classmethod
    def _get_param_names(cls):
        """scikit-learn's, remembered per class: it reads the signature of
        ``__init__`` (45 parameters: 80 microseconds) in every get_params,
        clone and parameter validation, which every fit runs."""
        return list(_parameter_names(cls))

    def fit(self, X, y, coef_init=None, intercept_init=None, sample_weight=None, callbacks=None):
        """Fit the model with parallel SGD (see scikit-learn's ``fit``).

        callbacks : list of callables, default=None
            Each is called after every epoch as ``callback(record)``, with
            ``record`` a dict of the epoch's figures (``epoch``,
            ``objective``, ``seconds``, ``elapsed``, ``updates``,
            ``examples_per_second``, ``validation_score`` with early
            stopping, ``class`` for a classifier's one-vs-rest) and the
            model as it stands (``coef``, a 1-D copy, and ``intercept``).
            Returning ``False`` stops training after that epoch (for
            one-vs-rest: that class's training). Exceptions propagate out
            of ``fit``.
        """
        with self._callbacks_during_fit(callbacks):
            return super().fit(X, y, coef_init=coef_init, intercept_init=intercept_init,
                               sample_weight=sample_weight)

    def _expose_averaged_weights(self):
        """With ``average``, ``coef_`` and ``intercept_`` become the averaged
        weights once averaging has started (``average <= t_ - 1``, scikit-learn's
        rule), the plain SGD weights before."""
        if self.average > 0:
            if self.average <= self.t_ - 1.0:
                self.coef_ = self._average_coef
                self.intercept_ = self._average_intercept
            else:
                self.coef_ = self._standard_coef
                self.intercept_ = self._standard_intercept

    def save(self, path):
        """Write this fitted model to one file (see :func:`hogwild.load`).

        The file is a NumPy ``.npz`` archive: the fitted arrays bit for bit
        and, as JSON, the hyper-parameters, ``t_``, ``n_iter_``,
        ``history_``, the package version and checksums. It loads without
        executing code. ``path`` may also be a binary file object.
        """
        from ._model_file import save_model

        save_model(self, path)

    def _allocate_parameter_mem(self, n_classes, n_features, *args, **kwargs):
        """scikit-learn's, for a new model: first refused where it cannot be
        trained in the memory available (one row of weights per one-vs-rest
        class), and the training file's numbering that hogwild train kept
        dropped (it is not this model's)."""
        refuse_a_model_beyond_memory(n_classes if n_classes > 2 else 1, n_features)
        self.__dict__.pop("_svmlight_zero_based", None)
        super()._allocate_parameter_mem(n_classes, n_features, *args, **kwargs)

    def _cast_coefficients(self, dtype):
        """Give the coefficient arrays `dtype`, converting each array once.

        The core trains float64 weights; like scikit-learn, the fitted coef_
        then takes the dtype of X (so float32 models stay float32, which
        scipy's sparse products with a sparsified coef_ require), and so
        does a multiclass classifier's intercept_ (scikit-learn's one-vs-rest
        stacks its classes' intercepts in X's dtype; a binary classifier's
        and a regressor's stay float64 there, but for a binary classifier's
        averages: its `_average_intercept` is allocated in X's dtype, and
        once averaging has begun, `intercept_` is that array; its
        `_standard_intercept`, private, keeps the dtype of the call that
        made it, which here follows `intercept_`).
        """
        n_classes = len(getattr(self, "classes_", ()))
        if n_classes > 2 or dtype == np.float64:
            names = _COEF_NAMES + _INTERCEPT_NAMES
        elif n_classes == 2 and self.average:
            averaging = self.average <= getattr(self, "t_", 1.0) - 1
            names = _COEF_NAMES + (_INTERCEPT_NAMES if averaging else ("_average_intercept",))
        else:
            names = _COEF_NAMES
        converted = {}
        for name in names:
            value = getattr(self, name, None)
            if isinstance(value, np.ndarray) and value.dtype != dtype and id(value) not in converted:
                with np.errstate(over="ignore"):
                    converted[id(value)] = (value, np.ascontiguousarray(value, dtype=dtype))
        # weights beyond float32's range (3.4e38) become infinite: an
        # overflow as the core's, never a non-finite model (checked before
        # any attribute changes)
        narrowing = np.dtype(dtype).itemsize < 8
        # (the narrowed array read first: the wider one only where it holds a
        # non-finite value, a pass over the model saved a call)
        if narrowing and any(not np.all(np.isfinite(after)) and np.all(np.isfinite(before))
                             for before, after in converted.values()):
            raise ValueError(
                "Floating-point under-/overflow occurred at epoch #%d. Scaling input data with "
                "StandardScaler or MinMaxScaler might help (the weights exceed the range of %s, the "
                "dtype of X)." % (getattr(self, "n_iter_", 0), np.dtype(dtype).name))
        for name in names:
            value = getattr(self, name, None)
            if isinstance(value, np.ndarray) and id(value) in converted:
                setattr(self, name, converted[id(value)][1])

    def _get_learning_rate_type(self, learning_rate):
        # scikit-learn maps its rates to its Cython codes; the core takes names
        if learning_rate in EPOCH_LEARNING_RATES or learning_rate == "auto":
            return -1
        return super()._get_learning_rate_type(learning_rate)

    def _validate_params(self):
        """scikit-learn's check of the parameters against
        ``_parameter_constraints``, skipped for a set of values (each with
        its type) that passed it before: the check reads nothing else, and
        for 48 parameters it took 110 of the 1,100 microseconds of a fit on
        iris (each fit of a grid search or a cross-validation repeats one
        set). Sets with an unhashable value (a dict ``class_weight``) are
        checked every time."""
        params = self.get_params(deep=False)
        try:
            key = (type(self), id(self._parameter_constraints),
                   tuple((name, type(value), value) for name, value in params.items()))
            known = key in _VALID_PARAMETER_SETS
        except (TypeError, ValueError):  # (unhashable, or an == that is no truth value)
            key, known = None, False
        if known:
            return
        validate_parameter_constraints(self._parameter_constraints, params, caller_name=type(self).__name__)
        if key is not None:
            if len(_VALID_PARAMETER_SETS) >= MAX_VALID_PARAMETER_SETS:
                _VALID_PARAMETER_SETS.clear()
            _VALID_PARAMETER_SETS.add(key)

    def _more_validate_params(self, for_partial_fit=False):
        super()._more_validate_params(for_partial_fit=for_partial_fit)
        if self.device != "cpu":
            cuda._device_index(self.device)  # (a malformed device string: ValueError naming device)
            if self.solver not in cuda.SOLVERS:
                raise ValueError(
                    f"device={self.device!r} trains the GPU solvers {list(cuda.SOLVERS)}, "
                    f"not solver={self.solver!r}; use device='cpu' for it"
                )
        if (self.learning_rate == "auto" and self.solver == "sequential" and is_classifier(self)
                and self.alpha == 0):
            raise ValueError(  # (scikit-learn's check of the rate "auto" runs here)
                "alpha must be > 0 since learning_rate is 'optimal' (what learning_rate='auto' runs for "
                "solver='sequential'). alpha is used to compute the optimal learning rate."
            )
        if self.deterministic and self.solver in ("async", "buckwild") and self.n_threads != 1:
            raise ValueError(
                f"deterministic=True is not available for solver={self.solver!r} on several threads "
                f"(n_threads={self.n_threads}): its threads race by design; use n_threads=1, or "
                "solver='hogwild', 'local', 'minibatch' or 'gd'"
            )
        if self.topology is not None:
            _core.topology(self.topology)  # (a malformed spec: ValueError quoting topology)
        if self.numa_data != "off" and (self.solver != "hogwild" or self.numa == "off" or self.deterministic):
            raise ValueError(
                f"numa_data={self.numa_data!r} copies the data for per-node model replicas, which only "
                "solver='hogwild' keeps, with numa='auto' or 'replicate' and deterministic=False; got "
                f"solver={self.solver!r}, numa={self.numa!r}, deterministic={self.deterministic!r}"
            )
        if self.optimizer != "sgd" and self.solver not in OPTIMIZER_SOLVERS:
            raise ValueError(
                f"optimizer={self.optimizer!r} needs one of the solvers {list(OPTIMIZER_SOLVERS)}, "
                f"not solver={self.solver!r}"
            )
        if self.optimizer != "sgd" and self.learning_rate in PASSIVE_AGGRESSIVE_RATES:
            raise ValueError(f"optimizer={self.optimizer!r} does not combine with learning_rate={self.learning_rate!r}")
        if self.solver in GRADIENT_SOLVERS and self.learning_rate in PASSIVE_AGGRESSIVE_RATES:
            raise ValueError(
                f"learning_rate={self.learning_rate!r} (passive-aggressive steps, one example at a time) is not "
                f"supported by solver={self.solver!r}; use solver='hogwild' or 'sequential'"
            )

    # n_threads=None gives a problem at most one thread per this many stored
    # values of X: below it a second thread's start and epoch barriers cost
    # more than its share saves, and on a machine where another program
    # keeps a core busy the barriers wait for the descheduled thread. Hinge
    # loss (the default), 20 epochs, 1 / 2 threads: agaricus (143,286
    # values) 8.9 / 10.0 ms idle, 8.4 / 20.6 ms next to a busy process; the
    # first 8,000 rows of a9a (110,892) 10.5 / 9.9 ms; all of a9a (451,592)
    # 39.4 / 30.4 ms (bench/bench_small.py [--busy])
    MIN_VALUES_PER_THREAD = 100_000
    # ... and at most one per this many stored values per feature: several
    # threads replicate the features they share and merge them at least
    # once an epoch, work that grows with the features, not the rows; on
    # wide, short data it costs more than a second thread saves (hinge
    # loss, 20 epochs, 1 thread / 2 threads: rcv1_small, 1,000 x 47,117,
    # 1.7 values a feature, 6.3 / 14.7 ms; the same rows 16 times, 26 a
    # feature, 61 / 78 ms; a generated 200,000 x 50,000, 120 a feature,
    # epochs 0.027 / 0.018 s)
    MIN_VALUES_PER_FEATURE_AND_THREAD = 32

    def _threads(self, n_values=None, n_features=None):
        if self.solver == "sequential":
            return 1
        usable = _core.usable_cpu_count()
        if self.n_threads is not None and self.n_threads > MAX_THREADS_PER_CPU * usable:
            # OpenMP ends the process when it cannot create threads: refuse first
            raise ValueError(
                f"n_threads={self.n_threads} is more than {MAX_THREADS_PER_CPU} threads for each of "
                f"the {usable} CPUs this process may use"
            )
        if self.n_threads is not None:
            return self.n_threads
        default = default_thread_count()
        if n_values is not None:
            by_features = (n_values // (self.MIN_VALUES_PER_FEATURE_AND_THREAD * n_features)
                           if n_features else default)
            return max(1, min(default, n_values // self.MIN_VALUES_PER_THREAD, by_features))
        return default

    # below this many stored values in X, a class trains in less time than
    # starting a Python thread for it takes (iris: 600 values, 0.75x)
    CLASS_PARALLEL_MIN_VALUES = 10_000
    # below this many stored values times epochs, one-vs-rest classes that do
    # not divide evenly among the workers are not cut in two (see
    # _class_parallel): the second run's start costs about what the balance gains
    CLASS_SPLIT_MIN_VALUES = 100_000
    # the solvers whose runs of a session continue one another bit for bit
    # whatever the runs' lengths: gd checks its Barzilai-Borwein step at a
    # run's last epoch and async drains its queue of delayed gradients there,
    # so that a run publishes a finished model; a class cut in two would train
    # another model with them
    CLASS_SPLIT_SOLVERS = ("sequential", "hogwild", "local", "easgd", "buckwild", "minibatch")

    def _class_parallelism(self, n_classes, n_values):
        """(workers, threads per class) for a one-vs-rest fit of n_classes:
        the classes need no sharing, so T threads train min(T, K) classes at
        a time with T // min(T, K) threads each (scikit-learn's n_jobs
        parallelizes the same axis). The sequential solver too: each class
        alone on one thread is the model class-by-class training gives. Not
        under distributed training (every rank must train the classes in
        the same order), nor with callbacks or verbose output (callbacks run
        on the calling thread, and records and lines come class by class)."""
        if self.device != "cpu":
            return 1, None  # one GPU: the classes train one after another on it
        if (getattr(self, "_distributed", None) is not None or n_classes < 2
                or getattr(self, "_fit_callbacks", None) or self.verbose
                or n_values < self.CLASS_PARALLEL_MIN_VALUES):
            return 1, None
        requested = self.n_threads if self.n_threads is not None else default_thread_count()
        if self.solver != "sequential":
            requested = self._threads()  # (validates n_threads)
        workers = max(1, min(int(requested), n_classes))
        return workers, (1 if self.solver == "sequential" else max(1, int(requested) // workers))

    def _core_options(self, *, loss, alpha, learning_rate, max_iter, seed, weight_pos, weight_neg,
                      classifier, sparse, n_samples, n_threads=None, n_values=None, n_features=None, eta0=None,
                      initial_eta=0.0, decay_on_plateau=False, restart_momentum=False, intercept_decay=None):
        """The plain configuration the C++ core takes (see config.hpp).
        `eta0` (None: the estimator's), `initial_eta` (the "optimal"
        rate's first step; 0: Bottou's heuristic), `decay_on_plateau`, `restart_momentum` and
        `intercept_decay` (None: scikit-learn's, by X's format) come from
        learning_rate="auto" (see _step_size.py and _intercept_decay)."""
        return dict(
            loss=loss,
            epsilon=float(self.epsilon),
            classifier=classifier,
            penalty=str(self.penalty).lower(),
            alpha=float(alpha),
            l1_ratio=float(self._get_l1_ratio()),
            fit_intercept=bool(self.fit_intercept),
            max_iter=int(max_iter),
            tol=float(self.tol) if self.tol is not None else -np.inf,
            n_iter_no_change=int(self.n_iter_no_change),
            shuffle=bool(self.shuffle),
            seed=int(seed),
            learning_rate=learning_rate,
            eta0=float(self.eta0 if eta0 is None else eta0),
            initial_eta=float(initial_eta),
            decay_on_plateau=bool(decay_on_plateau),
            restart_momentum=bool(restart_momentum),
            plateau=NO_PLATEAU_YET,  # (a continuing call's: see _continued_plateau)
            power_t=float(self.power_t),
            early_stopping=bool(self.early_stopping),
            average=int(self.average),
            t_start=float(getattr(self, "t_", 1.0)),
            weight_pos=float(weight_pos),
            weight_neg=float(weight_neg),
            intercept_decay=float(intercept_decay if intercept_decay is not None
                                  else SPARSE_INTERCEPT_DECAY if sparse else 1.0),
            n_threads=team_threads(self._threads(n_values, n_features) if n_threads is None else n_threads),
            epoch_start=int(round((getattr(self, "t_", 1.0) - 1.0) / max(1, n_samples))),
            **core_options_of(self),  # the parameters scikit-learn lacks, from their table
        ) | self._row_order(n_samples) | {"batch_size": self._batch_rows(n_samples)}

    def _batch_rows(self, n_samples):
        """batch_size with "auto" resolved (_step_size.auto_batch_size) for
        an epoch of `n_samples` rows; under distributed mode="allreduce"
        from every rank's rows (the batch is global), at least one a rank."""
        if self.batch_size != "auto":
            return int(self.batch_size)
        distributed = getattr(self, "_distributed", None)
        if distributed is None:
            return auto_batch_size(n_samples)
        return max(auto_batch_size(distributed.rows_per_epoch(n_samples)), distributed.size)

    def _step_choice(self, X, learning_rate, *, loss, alpha):
        """The learning rate the core runs: learning_rate="auto" resolved
        from the data (_step_size.py) and kept in ``learning_rate_`` and
        ``eta0_`` (its first step; the same for every one-vs-rest class);
        any other rate as it is."""
        if learning_rate != "auto":
            return StepChoice(learning_rate, float(self.eta0))
        # one rule per fit, not per one-vs-rest class (a pass over X): the
        # memo names X by identity, which holds while the fit holds X
        key = (id(X), X.shape, loss, alpha)
        memo = getattr(self, "_auto_step_memo", None)
        if memo is not None and memo[0] == key:
            step = memo[1]
        else:
            # (the validation's scan of a CSR X found its largest row norm)
            known = getattr(self, "_row_norm_memo", None)
            row_norm = known[2] if known is not None and known[:2] == (id(X), X.shape) else None
            step = auto_step(self, X, loss=loss, alpha=alpha, intercept_decay=self._intercept_decay(X, "auto"),
                             row_norm=row_norm)
            self._auto_step_memo = (key, step)
        distributed = getattr(self, "_distributed", None)
        if distributed is not None:
            # every rank takes the smallest of the ranks' first steps (their shards' L differ)
            smallest = -float(distributed.allreduce(np.array([-step.first_step]), maximum=True)[0])
            step = step.with_first_step(smallest)
        first = step.first_step
        if step.learning_rate == "optimal" and step.initial_eta == 0.0:
            # (scikit-learn's own rate: its first step is Bottou's heuristic, which the core
            # computes: typical_weight / max(1, dloss(-typical_weight, 1)), and every loss's
            # derivative there is negative)
            first = np.sqrt(1.0 / np.sqrt(alpha))
        self.learning_rate_, self.eta0_ = step.learning_rate, float(first)
        return step

    def _intercept_decay(self, X, learning_rate):
        """The factor of the intercept's steps: scikit-learn's 0.01 on sparse
        X (1 on dense), by X's format. Under learning_rate="auto" (not the
        sequential solver, which stays scikit-learn's) by X's density
        instead: CSR data with at least AUTO_FULL_INTERCEPT_MIN_DENSITY of
        its entries stored is dense data stored sparse, and a hundredth of
        a step left its intercept far from the optimum (heart_scale's 13
        features, 90% stored: 5.2e-2 relative suboptimality after 50 epochs
        of hogwild; 7.6e-4 with the full step). Truly sparse data keeps
        0.01 (rcv1_small, 0.16% stored: 2.1e-4 with it, 8.6e-4 without),
        and so does distributed training. Measured with bench/bench_defaults.py."""
        if not sp.issparse(X):
            return 1.0
        # (not under distributed training: ranks whose shards fell on either
        # side of the threshold would step their identical models apart)
        if learning_rate == "auto" and self.solver != "sequential" and getattr(self, "_distributed", None) is None:
            entries = X.shape[0] * X.shape[1]
            if entries > 0 and X.nnz >= AUTO_FULL_INTERCEPT_MIN_DENSITY * entries:
                return 1.0
        return SPARSE_INTERCEPT_DECAY

    def _rows_per_epoch(self, X):
        """Rows an epoch visits, by which t_ advances: X's, or under
        distributed mode="allreduce" (one model stepping through every
        rank's rows) all ranks'."""
        distributed = getattr(self, "_distributed", None)
        return X.shape[0] if distributed is None else distributed.rows_per_epoch(X.shape[0])

    def _row_order(self, n_samples):
        """shuffle_block_size and shuffle_buffer_blocks with "auto" resolved:
        blocks of 128 rows interleaved 8 at a time, one from each eighth of
        the data, on data of at least 16,384 rows (bench/bench_row_order.py:
        3-5x faster epochs than a full shuffle on data beyond the caches,
        the objective per epoch within the full shuffle's spread over seeds,
        also with rows sorted by label; blocks drawn at random, the default
        before, needed 64 a buffer to get there, and each block read is a
        memory stream: 1.7x slower epochs); a full shuffle on less data, where the rows sit in the
        caches, for the sequential solver (scikit-learn's order), and with
        shuffle=False (data order, as scikit-learn's: interleaved blocks
        would visit rows in an order of their own). Given as the core runs
        them (its RowOrder reads them so too): 1 and 1 with shuffle=False,
        whatever the blocks, and no buffers with blocks of one row; so they
        are also what fit_info_["row_order"] reports."""
        if not self.shuffle:
            return dict(shuffle_block_size=1, shuffle_buffer_blocks=1)
        block, buffer = self.shuffle_block_size, self.shuffle_buffer_blocks
        if block == "auto":
            large = n_samples >= ROW_ORDER_MIN_ROWS
            block = ROW_ORDER_BLOCK if large and self.solver != "sequential" else 1
        # (the core's RowOrder clamps so: a block at most every row, a
        # buffer at most every block)
        block = min(int(block), max(1, n_samples))
        n_blocks = -(-n_samples // block)
        buffer = 1 if block == 1 else min(ROW_ORDER_BUFFER if buffer == "auto" else int(buffer), max(1, n_blocks))
        return dict(shuffle_block_size=block, shuffle_buffer_blocks=buffer)

    def _train_in_place(self, *args, **kwargs):
        """Run the core on one binary (or regression) problem, to the end
        (max_iter, the stopping rule, an interrupt); returns its epochs.
        Arguments as _training_runs takes them."""
        return train_to_the_end(self._training_runs(*args, **kwargs))

    def _training_runs(self, X, y, sample_weight, validation_mask, coef, intercept,
                       average_coef, average_intercept, *, loss, alpha, learning_rate,
                       max_iter, seed, weight_pos, weight_neg, classifier, problem=None,
                       n_threads=None, stop=None):
        """The training of one binary (or regression) problem as a
        generator of runs, so that a one-vs-rest class can train some epochs
        on one thread and the rest on another (see _class_parallel): the
        first ``next`` sets the session up and yields 0; each
        ``send(epochs)`` trains up to that many more epochs (None: up to
        max_iter) and yields the epochs trained so far. Once training has
        ended (max_iter, the stopping rule, an interrupt) it returns them
        (StopIteration's value). Runs of a session continue one another bit
        for bit (runtime/session.hpp): the model is the one of a single run.

        `problem` names the class of a one-vs-rest problem in the history;
        `n_threads` overrides the estimator's threads (class-parallel
        one-vs-rest); `stop`, a ``_core.StopFlag``, ends training at the
        next epoch's end once set (another class's Ctrl-C or error).

        coef, intercept (a length-1 view) and the average buffers are float64
        arrays the core updates in place. With a ``"cuda"`` device the
        session is ``hogwild._cuda``'s (see hogwild.cuda._session), on one
        thread of the CPU.
        """
        if self.device != "cpu":
            n_threads = 1  # (the GPU does the work; also spares n_threads' check against the CPUs)
        step = self._step_choice(X, learning_rate, loss=loss, alpha=alpha)
        options = self._core_options(
            loss=loss, alpha=alpha, learning_rate=step.learning_rate, max_iter=max_iter, seed=seed,
            weight_pos=weight_pos, weight_neg=weight_neg, classifier=classifier,
            sparse=sp.issparse(X), n_samples=X.shape[0], n_threads=n_threads,
            n_values=X.nnz if sp.issparse(X) else X.size, n_features=X.shape[1], eta0=step.eta0,
            initial_eta=step.initial_eta, decay_on_plateau=step.decay_on_plateau,
            restart_momentum=step.restart_momentum,
            intercept_decay=self._intercept_decay(X, learning_rate),
        )
        if step.decay_on_plateau:
            options.update(self._continued_plateau(problem, options["t_start"]))
        if self.solver in ("minibatch", "async"):
            self.batch_size_ = options["batch_size"]  # (batch_size="auto": what ran)
        self._row_order_ran = {key: options[key] for key in ("shuffle", "shuffle_block_size", "shuffle_buffer_blocks")}
        if self.solver == "gd":  # (its full gradients sum the rows in data order)
            self._row_order_ran = dict(shuffle=False, shuffle_block_size=1, shuffle_buffer_blocks=1)
        mask = None
        if validation_mask is not None and validation_mask.any():
            mask = np.ascontiguousarray(validation_mask, dtype=np.uint8)
        reporter = EpochReporter(
            callbacks=getattr(self, "_fit_callbacks", ()), verbose=self.verbose,
            # (a bar only on a terminal: in a log, its redraws are noise; the epoch lines stay)
            progress=self.verbose > 0 and _is_terminal(sys.stderr),
            # (the records' epochs continue those of history_, a class's its own, as _record_history numbers them)
            max_iter=max_iter, problem=problem, epoch_offset=self._last_recorded_epoch(problem),
            use_average=lambda t: 0 < self.average <= t - 1,
        )
        # distributed training (hogwild.distributed): the ranks' shared
        # stopping rule replaces the core's, which is turned off
        if getattr(self, "_interrupt", None) is not None:
            return 0  # Ctrl-C during an earlier problem of this fit: the rest keep their weights
        distributed = getattr(self, "_distributed", None)
        core_options = dict(options, tol=-np.inf) if distributed is not None else options
        try:
            session_arguments = (self.solver, core_view(X), y, sample_weight, mask, coef, intercept,
                                 average_coef, average_intercept, core_options)
            if self.device == "cpu":
                session = _core.Session(*session_arguments)
            else:
                session = cuda._session(self.device, *session_arguments, reduction=self.gpu_reduction)
            self._continue_optimizer(session, problem, options["t_start"])
            epoch_callback = reporter.after_epoch if reporter.needed else None
            stop_flag = {} if stop is None else {"stop": stop}  # (read in the core: no epoch takes the GIL for it)
            n_iter = 0
            epochs = yield n_iter  # (set up; nothing trained yet)
            while True:
                if distributed is None:
                    within_epoch = reporter.within_epoch if reporter.bar is not None else None
                    requested = max_iter - n_iter if epochs is None else min(epochs, max_iter - n_iter)
                    result = session.run(requested, epoch_callback=epoch_callback, progress_callback=within_epoch,
                                         **stop_flag)
                else:  # (in one run: the ranks train the classes in the same order)
                    requested = max_iter
                    buffers = {"coef": coef, "intercept": intercept}
                    if average_coef is not None:
                        buffers.update(average_coef=average_coef, average_intercept=average_intercept)
                    n_train = X.shape[0] - (int(mask.sum()) if mask is not None else 0)
                    result = distributed.train(session, buffers, options, epoch_callback, problem, n_train)
                    distributed.finish(buffers, problem)
                n_iter += result["n_iter"]
                self._keep_optimizer(session, problem)
                if step.decay_on_plateau:
                    self._plateau_states[problem] = result["plateau"]
                if result.get("interrupt") is not None:
                    # raised by fit / partial_fit once every fitted attribute is set
                    # (the weights of the epochs that finished)
                    self._interrupt = result["interrupt"]
                if result["diverged"] or self._optimizer_overflowed(problem):
                    raise ValueError(
                        "Floating-point under-/overflow occurred at epoch #%d. Scaling input "
                        "data with StandardScaler or MinMaxScaler might help." % n_iter
                    )
                self._record_history(result, problem)
                if (result["n_iter"] < requested or n_iter >= max_iter or result["converged"]
                        or result["interrupted"] or result["stopped_by_callback"] or distributed is not None):
                    return n_iter
                epochs = yield n_iter
        finally:
            reporter.close()

    # A per-coordinate optimizer's state (momenta, squared-gradient sums)
    # carries over from one partial_fit call to the next, as the model does;
    # fit starts it anew (t_ = 1). Kept per binary problem (class of a
    # one-vs-rest fit, None otherwise), with the optimizer it belongs to.
    def _continue_optimizer(self, session, problem, t_start):
        # (setdefault: one step, where a check and then an assignment could
        # let two class-parallel workers each make a dict and lose one)
        self.__dict__.setdefault("_optimizer_states", {})
        if t_start <= 1.0:
            return
        kept = self._optimizer_states.get(problem)
        if kept is not None and kept[0] == self.optimizer:
            try:
                session.set_optimizer_state(kept[1])
            except ValueError:  # another solver keeps it otherwise (e.g. no intercept slot): start anew
                pass

    # learning_rate="auto"'s decay from the first plateau (see _step_size.py)
    # continues too: a partial_fit after a fit (or another partial_fit)
    # starts from the best objective, the epochs seen and C of the call
    # before, per binary problem; fit starts anew (t_ = 1).
    def _continued_plateau(self, problem, t_start):
        self.__dict__.setdefault("_plateau_states", {})  # (one step: see _continue_optimizer)
        kept = self._plateau_states.get(problem) if t_start > 1.0 else None
        return {"plateau": kept if kept is not None else NO_PLATEAU_YET}

    def _keep_optimizer(self, session, problem):
        if self.optimizer != "sgd":
            self._optimizer_states[problem] = (self.optimizer, session.optimizer_state())

    def _optimizer_overflowed(self, problem):
        """Whether an adaptive optimizer's state (squared-gradient sums,
        moments) overflowed: its steps g / sqrt(inf) are 0 and the model
        stops moving, unnoticed (adam, rmsprop and adagrad handed back a
        model of zeros where sgd raised the overflow error; a new user's
        trial)."""
        kept = self._optimizer_states.get(problem) if self.optimizer != "sgd" else None
        return kept is not None and not all(np.all(np.isfinite(np.asarray(state, dtype=np.float64)))
                                            for state in kept[1].values())

    def _last_recorded_epoch(self, problem):
        """The epoch of the problem's (class's; None: the only one) last
        record in history_, 0 if none: a run's records go on from it, after
        this call's earlier runs (see _training_runs) and earlier
        partial_fit calls, also where history_ was trimmed to its last
        records (as save's advice does; counting records repeated numbers)."""
        for record in reversed(self.history_):
            if record.get("class") == problem:
                return int(record.get("epoch", 0))
        return 0

    def _record_history(self, result, problem):
        """Appends the run's epochs to history_ (see _last_recorded_epoch)."""
        history = result["history"]
        first = self._last_recorded_epoch(problem)
        earlier = [r["elapsed"] for r in self.history_ if r.get("class") == problem]
        elapsed = earlier[-1] if earlier else 0.0
        # (whole columns to Python numbers at once: indexing NumPy arrays
        # epoch by epoch cost about a microsecond an epoch)
        def column(key, convert=float):
            values = history[key]
            return list(map(convert, values.tolist() if isinstance(values, np.ndarray) else values))

        objective, seconds, updates = column("objective"), column("seconds"), column("updates", int)
        rates = column("examples_per_second")
        scores = column("validation_score") if self.early_stopping else None
        staleness = column("staleness", lambda counts: np.asarray(counts, dtype=np.int64).tolist()) \
            if "staleness" in history else None
        dropped = column("stale_dropped", int) if "staleness" in history else None
        threads = int(result.get("threads_used", 1))
        for e in range(len(objective)):
            elapsed += seconds[e]
            record = {
                # (one-vs-rest: a class's epochs restarted at 1 in every partial_fit call)
                "epoch": first + e + 1,
                "objective": objective[e],
                "seconds": seconds[e],
                "elapsed": elapsed,
                "updates": updates[e],
                "examples_per_second": rates[e],
            }
            if scores is not None:
                record["validation_score"] = scores[e]
            if staleness is not None:
                record["staleness"] = staleness[e]
                record["stale_dropped"] = dropped[e]
            if problem is not None:
                record["class"] = problem
            record["threads"] = threads
            self.history_.append(record)
        self.fit_info_ = {"threads": int(result.get("threads_used", 1)), "cpus": [], "nodes": [], "node_replicas": 0,
                          "topology": "", "data": "in place", **result.get("placement", {}),
                          "row_order": dict(self._row_order_ran)}

    @contextmanager
    def _callbacks_during_fit(self, callbacks):
        """Makes `callbacks` visible to the training calls of one fit."""
        callbacks = callback_list(callbacks)
        with refusing_concurrent_fits(self):
            self._fit_callbacks = callbacks
            self._interrupt = None
            try:
                yield
                interrupt = self._interrupt
            finally:
                del self._fit_callbacks
                self.__dict__.pop("_interrupt", None)
        if interrupt is not None:
            # Ctrl-C: the estimator is whole (every fitted attribute set, the
            # weights and history_ of the epochs that finished) before it propagates
            raise interrupt

    def _reset_history(self):
        self.history_ = []


def train_to_the_end(runs):
    """Drives a generator of runs (_HogwildTraining._training_runs) to its
    end in one run; returns its epochs."""
    try:
        next(runs)
        runs.send(None)
    except StopIteration as end:
        return end.value
    raise RuntimeError("a run of the remaining epochs did not end the training")  # (never)


def callback_list(callbacks):
    """`callbacks` (None, one callable or an iterable of them) as a list;
    TypeError naming an element that is not callable."""
    if callbacks is None:
        return []
    if callable(callbacks):
        return [callbacks]
    try:
        callbacks = list(callbacks)
    except TypeError:
        callbacks = [callbacks]
    for callback in callbacks:
        if not callable(callback):
            raise TypeError(f"callbacks must be a list of callables, got an element {callback!r}")
    return callbacks


@contextmanager
def refusing_concurrent_fits(estimator):
    """Holds `estimator` as being fitted; RuntimeError if another thread
    fits it already (two fits of one estimator would mix their state)."""
    with _FITTING_LOCK:
        if id(estimator) in _FITTING:
            raise RuntimeError(f"this {type(estimator).__name__} is being fitted already (in another thread): "
                               "fit a clone of it instead (sklearn.base.clone)")
        _FITTING.add(id(estimator))
    try:
        yield
    finally:
        with _FITTING_LOCK:
            _FITTING.discard(id(estimator))
