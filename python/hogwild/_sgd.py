"""Drop-in replacements for scikit-learn's SGDClassifier and SGDRegressor.

They subclass scikit-learn's estimators, so parameters, defaults, parameter
validation, prediction, probabilities, `score`, `sparsify`/`densify`,
pickling and `clone` are scikit-learn's own; only training is replaced by
the C++ core. The fitting bookkeeping (random draws, `t_`, `n_iter_`,
averaging, warnings) mirrors scikit-learn 1.9 line for line, so that with
``solver="sequential"`` the learned model is scikit-learn's.
"""

import warnings
from contextlib import contextmanager
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn import linear_model as _sk
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state, compute_class_weight
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import _check_partial_fit_first_call
from sklearn.utils.validation import _check_sample_weight

from . import _core
from ._progress import EpochReporter
from ._validation import check_training_data, core_view

MAX_INT = np.iinfo(np.int32).max
MAX_THREADS_PER_CPU = 16
SPARSE_INTERCEPT_DECAY = 0.01  # scikit-learn's: the intercept moves slower on sparse data

OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")
# The solvers of the C++ core, from its registry (cpp/include/hogwild/solvers.hpp)
SOLVER_INFO = {info["name"]: info for info in _core.solvers()}
SOLVERS = tuple(SOLVER_INFO)
# those that take a per-coordinate optimizer
OPTIMIZER_SOLVERS = tuple(name for name, info in SOLVER_INFO.items() if info["optimizers"])
# those that step along gradients only: no passive-aggressive rates
GRADIENT_SOLVERS = tuple(name for name, info in SOLVER_INFO.items() if not info["passive_aggressive"])
PASSIVE_AGGRESSIVE_RATES = ("pa1", "pa2")
EPOCH_LEARNING_RATES = {"exponential", "step"}  # beyond scikit-learn's

_HOGWILD_PARAMETERS = {
    "solver": [StrOptions(set(SOLVERS))],
    "n_threads": [Interval(Integral, 1, None, closed="left"), None],
    "write": [StrOptions({"racy", "atomic", "locked"})],
    "hot_features": [StrOptions({"auto"}), Interval(Integral, 0, None, closed="left")],
    "sync_every": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
    "shuffle_block_size": [Interval(Integral, 1, None, closed="left")],
    "pin_threads": ["boolean"],
    "learning_rate": [StrOptions({"constant", "optimal", "invscaling", "adaptive", "pa1", "pa2"}
                                 | EPOCH_LEARNING_RATES)],
    "gamma": [Interval(Real, 0, 1, closed="right")],
    "step_epochs": [Interval(Integral, 1, None, closed="left")],
    "optimizer": [StrOptions(set(OPTIMIZERS))],
    "momentum": [Interval(Real, 0, 1, closed="left")],
    "beta1": [Interval(Real, 0, 1, closed="left")],
    "beta2": [Interval(Real, 0, 1, closed="left")],
    "optimizer_eps": [Interval(Real, 0, None, closed="neither")],
    "batch_size": [Interval(Integral, 1, None, closed="left")],
    "elasticity": [Interval(Real, 0, 1, closed="neither")],
    "max_staleness": [Interval(Integral, 0, None, closed="left")],
    "staleness_aware": ["boolean"],
    "precision": [StrOptions({"int8", "int16", "bfloat16"})],
}


_COEF_NAMES = ("coef_", "_standard_coef", "_average_coef")


class _HogwildTraining:
    """Training through the C++ core, shared by both estimators."""

    def save(self, path):
        """Write this fitted model to one file (see :func:`hogwild.load`).

        The file is a NumPy ``.npz`` archive: the fitted arrays bit for bit
        and, as JSON, the hyper-parameters, ``t_``, ``n_iter_``,
        ``history_``, the package version and checksums. It loads without
        executing code. ``path`` may also be a binary file object.
        """
        from ._model_file import save_model

        save_model(self, path)

    def _cast_coefficients(self, dtype):
        """Give the coefficient arrays `dtype`, converting each array once.

        The core trains float64 weights; like scikit-learn, the fitted coef_
        then takes the dtype of X (so float32 models stay float32, which
        scipy's sparse products with a sparsified coef_ require).
        """
        converted = {}
        for name in _COEF_NAMES:
            value = getattr(self, name, None)
            if isinstance(value, np.ndarray) and value.dtype != dtype:
                if id(value) not in converted:
                    converted[id(value)] = np.ascontiguousarray(value, dtype=dtype)
                setattr(self, name, converted[id(value)])

    def _get_learning_rate_type(self, learning_rate):
        # scikit-learn maps its rates to its Cython codes; the core takes names
        if learning_rate in EPOCH_LEARNING_RATES:
            return -1
        return super()._get_learning_rate_type(learning_rate)

    def _more_validate_params(self, for_partial_fit=False):
        super()._more_validate_params(for_partial_fit=for_partial_fit)
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

    def _threads(self):
        if self.solver == "sequential":
            return 1
        usable = _core.usable_cpu_count()
        if self.n_threads is not None and self.n_threads > MAX_THREADS_PER_CPU * usable:
            # OpenMP ends the process when it cannot create threads: refuse first
            raise ValueError(
                f"n_threads={self.n_threads} is more than {MAX_THREADS_PER_CPU} threads for each of "
                f"the {usable} CPUs this process may use"
            )
        return self.n_threads if self.n_threads is not None else usable

    def _core_options(self, *, loss, alpha, learning_rate, max_iter, seed, weight_pos, weight_neg,
                      classifier, sparse, n_samples):
        """The plain configuration the C++ core takes (see config.hpp)."""
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
            shuffle_block_size=int(self.shuffle_block_size),
            seed=int(seed),
            learning_rate=learning_rate,
            eta0=float(self.eta0),
            power_t=float(self.power_t),
            early_stopping=bool(self.early_stopping),
            average=int(self.average),
            t_start=float(getattr(self, "t_", 1.0)),
            weight_pos=float(weight_pos),
            weight_neg=float(weight_neg),
            intercept_decay=SPARSE_INTERCEPT_DECAY if sparse else 1.0,
            n_threads=int(self._threads()),
            write=self.write,
            hot_features=-1 if self.hot_features == "auto" else int(self.hot_features),
            sync_every=-1 if self.sync_every == "auto" else int(self.sync_every),
            pin_threads=bool(self.pin_threads),
            gamma=float(self.gamma),
            step_epochs=int(self.step_epochs),
            epoch_start=int(round((getattr(self, "t_", 1.0) - 1.0) / max(1, n_samples))),
            optimizer=self.optimizer,
            momentum=float(self.momentum),
            beta1=float(self.beta1),
            beta2=float(self.beta2),
            optimizer_eps=float(self.optimizer_eps),
            batch_size=int(self.batch_size),
            elasticity=float(self.elasticity),
            max_staleness=int(self.max_staleness),
            staleness_aware=bool(self.staleness_aware),
            precision=self.precision,
        )

    def _train_in_place(self, X, y, sample_weight, validation_mask, coef, intercept,
                        average_coef, average_intercept, *, loss, alpha, learning_rate,
                        max_iter, seed, weight_pos, weight_neg, classifier, problem=None):
        """Run the core on one binary (or regression) problem.

        `problem` names the class of a one-vs-rest problem in the history.

        coef, intercept (a length-1 view) and the average buffers are float64
        arrays the core updates in place.
        """
        options = self._core_options(
            loss=loss, alpha=alpha, learning_rate=learning_rate, max_iter=max_iter, seed=seed,
            weight_pos=weight_pos, weight_neg=weight_neg, classifier=classifier,
            sparse=sp.issparse(X), n_samples=X.shape[0],
        )
        mask = None
        if validation_mask is not None and validation_mask.any():
            mask = np.ascontiguousarray(validation_mask, dtype=np.uint8)
        reporter = EpochReporter(
            callbacks=getattr(self, "_fit_callbacks", ()), verbose=self.verbose, progress=self.verbose > 0,
            max_iter=max_iter, problem=problem, epoch_offset=len(self.history_) if problem is None else 0,
            use_average=lambda t: 0 < self.average <= t - 1,
        )
        try:
            result = _core.train(
                self.solver, core_view(X), y, sample_weight, mask, coef, intercept,
                average_coef, average_intercept, options,
                epoch_callback=reporter.after_epoch if reporter.needed else None,
            )
        finally:
            reporter.close()
        if result["diverged"]:
            raise ValueError(
                "Floating-point under-/overflow occurred at epoch #%d. Scaling input "
                "data with StandardScaler or MinMaxScaler might help." % result["n_iter"]
            )
        self._record_history(result, problem)
        return result["n_iter"]

    def _record_history(self, result, problem):
        history = result["history"]
        start = len(self.history_)
        earlier = [r["elapsed"] for r in self.history_ if r.get("class") == problem]
        elapsed = earlier[-1] if earlier else 0.0
        for e in range(len(history["objective"])):
            elapsed += float(history["seconds"][e])
            record = {
                "epoch": start + e + 1 if problem is None else e + 1,
                "objective": float(history["objective"][e]),
                "seconds": float(history["seconds"][e]),
                "elapsed": elapsed,
                "updates": int(history["updates"][e]),
                "examples_per_second": float(history["examples_per_second"][e]),
            }
            if self.early_stopping:
                record["validation_score"] = float(history["validation_score"][e])
            if "staleness" in history:
                record["staleness"] = [int(c) for c in history["staleness"][e]]
                record["stale_dropped"] = int(history["stale_dropped"][e])
            if problem is not None:
                record["class"] = problem
            self.history_.append(record)

    @contextmanager
    def _callbacks_during_fit(self, callbacks):
        """Makes `callbacks` visible to the training calls of one fit."""
        if callbacks is None:
            callbacks = []
        elif callable(callbacks):
            callbacks = [callbacks]
        else:
            try:
                callbacks = list(callbacks)
            except TypeError:
                callbacks = [callbacks]
            for callback in callbacks:
                if not callable(callback):
                    raise TypeError(f"callbacks must be a list of callables, got an element {callback!r}")
        self._fit_callbacks = callbacks
        try:
            yield
        finally:
            del self._fit_callbacks

    def _reset_history(self):
        self.history_ = []


class SGDClassifier(_HogwildTraining, _sk.SGDClassifier):
    """Linear classifiers (SVM, logistic regression, ...) trained with parallel SGD.

    A drop-in for :class:`sklearn.linear_model.SGDClassifier`: every
    parameter of scikit-learn 1.9 is accepted with the same meaning and
    default, and the fitted attributes are the same. Training runs in C++
    on all cores, without the GIL.

    Parameters
    ----------
    loss, penalty, alpha, l1_ratio, fit_intercept, max_iter, tol, shuffle, \
verbose, epsilon, n_jobs, random_state, learning_rate, eta0, power_t, \
early_stopping, validation_fraction, n_iter_no_change, class_weight, \
warm_start, average
        As in scikit-learn. ``n_jobs`` is accepted for compatibility and not
        used: one-vs-rest problems are trained one after the other, each on
        ``n_threads`` threads.
    solver : {"hogwild", "sequential", "local", "easgd", "async", "buckwild", \
"minibatch", "gd"}, default="hogwild"
        How ``n_threads`` threads share SGD (the README compares them):
        ``"hogwild"``: threads update one shared weight vector without
        locks. ``"sequential"``: one thread running scikit-learn's algorithm
        step for step (the reference; with ``shuffle=False`` or the same
        ``random_state`` it learns scikit-learn's model). ``"local"``: each
        thread trains a private replica, and the replicas are replaced by
        their mean every ``sync_every`` rows of each thread (model
        averaging). ``"easgd"``: elastic averaging SGD (Zhang, Choromanska &
        LeCun 2015, synchronous): every ``sync_every`` rows each replica
        moves a fraction ``elasticity`` towards a center variable and the
        center by the same forces towards the replicas; the model is the
        center. ``"async"``: asynchronous mini-batch SGD: workers compute a
        batch's mean gradient on the shared weights as they read them and
        apply it later; a gradient more than ``max_staleness`` updates old
        is recomputed, and with ``staleness_aware`` its step is divided by
        its staleness (Zhang, Gupta, Lian & Liu 2016); the staleness of
        every update is counted in ``history_``. ``"buckwild"``: Hogwild!
        on ``precision`` (int8 / int16 fixed point or bfloat16) shared
        weights with unbiased stochastic rounding (De Sa et al. 2015).
        ``"minibatch"``: synchronous parallel mini-batch SGD, one step per
        ``batch_size`` rows of the shuffled order on the batch's mean
        gradient. ``"gd"``: full-batch gradient descent, one step per epoch
        on the mean gradient over all training rows. ``minibatch`` and
        ``gd`` reduce the gradient in a fixed order: the model is bit for
        bit the same for any number of threads; ``local`` and ``easgd`` are
        deterministic for a given thread count. ``async``, ``minibatch`` and
        ``gd`` do not support ``learning_rate="pa1"``/``"pa2"``.
    n_threads : int, default=None
        Threads of every solver but ``"sequential"``; None uses every CPU
        this process may run on.
    write : {"racy", "atomic", "locked"}, default="racy"
        How Hogwild! threads write shared weights: plain (relaxed atomic)
        stores that may occasionally overwrite a concurrent update, atomic
        compare-and-swap updates, or one lock around each row (a baseline).
    hot_features : "auto" or int, default="auto"
        How many of the most frequent features each Hogwild! thread keeps in
        a private replica whose changes are merged into the shared weights
        (see the README). "auto": every feature that occurs (at most 2**20)
        when more than one thread runs, none with one thread; 0: none
        (textbook Hogwild!, every write goes to the shared weights).
    sync_every : "auto" or int, default="auto"
        ``"hogwild"``: rows between merges of the replicas' frequent features
        ("auto": 256; all replicated features are merged every ~16 x
        n_features / nonzeros-per-row rows). ``"local"`` / ``"easgd"``: rows
        of each thread between synchronizations of the replicas ("auto":
        256).
    shuffle_block_size : int, default=1
        With ``shuffle=True``, permute blocks of this many consecutive rows
        instead of single rows. Blocks keep memory access sequential (faster
        epochs on large data) at the price of a less random order.
    pin_threads : bool, default=True
        Pin each thread to its own CPU while training.
    gamma : float in (0, 1], default=0.9
        Decay of ``learning_rate="exponential"`` (``eta0 * gamma**epoch``)
        and ``"step"`` (``eta0 * gamma**(epoch // step_epochs)``).
    step_epochs : int, default=10
        Epochs between the decays of ``learning_rate="step"``.
    optimizer : {"sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"}, \
default="sgd"
        How a coordinate's gradient g becomes its step, for every solver but
        ``"sequential"`` (eta is the learning rate of the schedule, t the
        optimizer step): ``"sgd"``: ``-eta g``;
        ``"momentum"``: ``v = momentum v + g``, ``-eta v``; ``"nesterov"``:
        the same velocity, ``-eta (g + momentum v)``; ``"adagrad"``:
        ``-eta g / (sqrt(sum of g**2) + optimizer_eps)``; ``"rmsprop"``: the
        same with a moving average of g**2 (decay ``beta2``); ``"adam"``:
        Adam with bias correction. On sparse data the state is updated
        lazily, only for the features a step's rows contain. Under
        ``"hogwild"`` and ``"buckwild"`` the per-coordinate state is shared
        by the threads as the weights are (lock-free); ``"local"`` and
        ``"easgd"`` keep it per replica. The state starts afresh with each
        ``fit`` / ``partial_fit`` call.
    momentum : float in [0, 1), default=0.9
        Momentum of ``optimizer="momentum"`` and ``"nesterov"``.
    beta1 : float in [0, 1), default=0.9
        Decay of Adam's moving average of the gradient.
    beta2 : float in [0, 1), default=0.999
        Decay of the moving average of the squared gradient (Adam, RMSprop).
    optimizer_eps : float > 0, default=1e-8
        Added to the root of the squared-gradient statistic (Adagrad,
        RMSprop, Adam) so that steps stay finite.
    batch_size : int >= 1, default=256
        Rows per step of ``solver="minibatch"`` and ``"async"`` (the last
        batch of an epoch may be smaller). Their learning-rate schedules
        count optimizer steps, not rows.
    elasticity : float in (0, 1), default=0.1
        ``solver="easgd"``: the fraction of its distance to the center a
        replica moves at each synchronization.
    max_staleness : int >= 0, default=8
        ``solver="async"``: updates a gradient's snapshot may lag behind the
        weights it is applied to; staler gradients are recomputed. With one
        thread, every gradient is applied this many updates late (simulated
        asynchrony).
    staleness_aware : bool, default=True
        ``solver="async"``: divide each step by its staleness (at least 1).
    precision : {"int8", "int16", "bfloat16"}, default="int16"
        ``solver="buckwild"``: the type of the shared weights. Fixed-point
        ranges start at max(1, 2 x the largest initial weight) and double
        after an epoch in which a write saturated; the intercept stays
        float64.

    Attributes
    ----------
    coef_, intercept_, classes_, n_iter_, t_, n_features_in_, \
feature_names_in_, loss_function_
        As in scikit-learn (``coef_`` has the dtype of X; training itself
        always uses float64 weights).
    history_ : list of dict
        One record per epoch (per class for one-vs-rest): ``epoch``,
        ``objective`` (mean loss over the epoch's updates plus the penalty
        at its end), ``seconds``, ``elapsed``, ``updates``,
        ``examples_per_second``, ``validation_score`` with early stopping,
        and for ``solver="async"`` ``staleness`` (applied updates by
        staleness 0..max_staleness) and ``stale_dropped``.

    Notes
    -----
    With ``random_state`` set, a fit with one thread is bit-for-bit
    reproducible. With several Hogwild! threads it is not: threads read and
    write shared weights while others update them, and the interleaving
    (which update lands first, which is overwritten) depends on timing.
    The ``"minibatch"`` and ``"gd"`` solvers are bit-for-bit reproducible
    for any number of threads, ``"local"`` and ``"easgd"`` for a given
    number of threads.
    """

    _parameter_constraints = {**_sk.SGDClassifier._parameter_constraints, **_HOGWILD_PARAMETERS}

    def __init__(
        self,
        loss="hinge",
        *,
        penalty="l2",
        alpha=0.0001,
        l1_ratio=0.15,
        fit_intercept=True,
        max_iter=1000,
        tol=1e-3,
        shuffle=True,
        verbose=0,
        epsilon=0.1,
        n_jobs=None,
        random_state=None,
        learning_rate="optimal",
        eta0=0.01,
        power_t=0.5,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=5,
        class_weight=None,
        warm_start=False,
        average=False,
        solver="hogwild",
        n_threads=None,
        write="racy",
        hot_features="auto",
        sync_every="auto",
        shuffle_block_size=1,
        pin_threads=True,
        gamma=0.9,
        step_epochs=10,
        optimizer="sgd",
        momentum=0.9,
        beta1=0.9,
        beta2=0.999,
        optimizer_eps=1e-8,
        batch_size=256,
        elasticity=0.1,
        max_staleness=8,
        staleness_aware=True,
        precision="int16",
    ):
        super().__init__(
            loss=loss, penalty=penalty, alpha=alpha, l1_ratio=l1_ratio,
            fit_intercept=fit_intercept, max_iter=max_iter, tol=tol, shuffle=shuffle,
            verbose=verbose, epsilon=epsilon, n_jobs=n_jobs, random_state=random_state,
            learning_rate=learning_rate, eta0=eta0, power_t=power_t,
            early_stopping=early_stopping, validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change, class_weight=class_weight,
            warm_start=warm_start, average=average,
        )
        self.solver = solver
        self.n_threads = n_threads
        self.write = write
        self.hot_features = hot_features
        self.sync_every = sync_every
        self.shuffle_block_size = shuffle_block_size
        self.pin_threads = pin_threads
        self.gamma = gamma
        self.step_epochs = step_epochs
        self.optimizer = optimizer
        self.momentum = momentum
        self.beta1 = beta1
        self.beta2 = beta2
        self.optimizer_eps = optimizer_eps
        self.batch_size = batch_size
        self.elasticity = elasticity
        self.max_staleness = max_staleness
        self.staleness_aware = staleness_aware
        self.precision = precision

    def fit(self, X, y, coef_init=None, intercept_init=None, sample_weight=None, callbacks=None):
        """Fit the model with parallel SGD (see scikit-learn's ``fit``).

        callbacks : list of callables, default=None
            Each is called after every epoch as ``callback(record)``, with
            ``record`` a dict of the epoch's figures (``epoch``,
            ``objective``, ``seconds``, ``elapsed``, ``updates``,
            ``examples_per_second``, ``validation_score`` with early
            stopping, ``class`` for one-vs-rest) and the model as it stands
            (``coef``, a 1-D copy, and ``intercept``). Returning ``False``
            stops training after that epoch (for one-vs-rest: that class's
            training). Exceptions propagate out of ``fit``.
        """
        with self._callbacks_during_fit(callbacks):
            return super().fit(X, y, coef_init=coef_init, intercept_init=intercept_init,
                               sample_weight=sample_weight)

    def partial_fit(self, X, y, classes=None, sample_weight=None, callbacks=None):
        """One epoch over (X, y) (see scikit-learn's ``partial_fit``);
        ``callbacks`` as in :meth:`fit`."""
        with self._callbacks_during_fit(callbacks):
            return super().partial_fit(X, y, classes=classes, sample_weight=sample_weight)

    def _fit(self, X, y, *args, **kwargs):
        self._reset_history()
        return super()._fit(X, y, *args, **kwargs)

    def _partial_fit(self, X, y, alpha, loss, learning_rate, max_iter, classes,
                     sample_weight, coef_init, intercept_init):
        first_call = not hasattr(self, "classes_")
        if not hasattr(self, "history_"):
            self._reset_history()
        X, y = check_training_data(self, X, y, reset=first_call, y_numeric=False)
        n_samples, n_features = X.shape
        _check_partial_fit_first_call(self, classes)
        n_classes = self.classes_.shape[0]
        self._expanded_class_weight = compute_class_weight(
            self.class_weight, classes=self.classes_, y=y
        )
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
                           random_state=None):
        """scikit-learn's fit_binary: class i against the rest, labels -1/+1."""
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

        random_state = check_random_state(random_state)
        random_state.randint(1, np.iinfo(np.int32).max)  # scikit-learn's dataset seed draw
        if validation_mask is None:
            validation_mask = self._make_validation_split(y_i, sample_mask=sample_weight > 0)
        seed = random_state.randint(MAX_INT)
        n_iter = self._train_in_place(
            X, y_i, sample_weight, validation_mask, coef, intercept, average_coef,
            average_intercept, loss=self.loss, alpha=alpha, learning_rate=learning_rate,
            max_iter=max_iter, seed=seed, weight_pos=pos_weight, weight_neg=neg_weight, classifier=True,
            problem=None if binary else getattr(self.classes_[i], "item", lambda: self.classes_[i])(),
        )
        return n_iter

    def _fit_binary(self, X, y, alpha, sample_weight, learning_rate, max_iter):
        n_iter_ = self._train_one_vs_rest(
            1, X, y, alpha, learning_rate, max_iter, self._expanded_class_weight[1],
            self._expanded_class_weight[0], sample_weight, random_state=self.random_state,
        )
        self.t_ += n_iter_ * X.shape[0]
        self.n_iter_ = n_iter_
        if self.average > 0:
            if self.average <= self.t_ - 1:
                self.coef_ = self._average_coef.reshape(1, -1)
                self.intercept_ = self._average_intercept
            else:
                self.coef_ = self._standard_coef.reshape(1, -1)
                self.intercept_ = self._standard_intercept
        else:
            self.coef_ = self.coef_.reshape(1, -1)

    def _fit_multiclass(self, X, y, alpha, learning_rate, sample_weight, max_iter):
        validation_mask = self._make_validation_split(y, sample_mask=sample_weight > 0)
        random_state = check_random_state(self.random_state)
        seeds = random_state.randint(MAX_INT, size=len(self.classes_))
        n_iter_ = 0
        for i, seed in enumerate(seeds):
            n_iter_i = self._train_one_vs_rest(
                i, X, y, alpha, learning_rate, max_iter, self._expanded_class_weight[i],
                1.0, sample_weight, validation_mask=validation_mask, random_state=seed,
            )
            n_iter_ = max(n_iter_, n_iter_i)
        self.t_ += n_iter_ * X.shape[0]
        self.n_iter_ = n_iter_
        if self.average > 0:
            if self.average <= self.t_ - 1.0:
                self.coef_ = self._average_coef
                self.intercept_ = self._average_intercept
            else:
                self.coef_ = self._standard_coef
                self.intercept_ = self._standard_intercept


class SGDRegressor(_HogwildTraining, _sk.SGDRegressor):
    """Linear regression trained with parallel SGD.

    A drop-in for :class:`sklearn.linear_model.SGDRegressor`, with the same
    parameters and fitted attributes, plus the parameters ``solver``,
    ``n_threads``, ``write``, ``hot_features``, ``sync_every``,
    ``shuffle_block_size``, ``pin_threads``, ``gamma``, ``step_epochs``,
    ``optimizer``, ``momentum``, ``beta1``, ``beta2``, ``optimizer_eps``,
    ``batch_size``, ``elasticity``, ``max_staleness``, ``staleness_aware``
    and ``precision`` described in :class:`hogwild.SGDClassifier`, and
    ``history_``.

    Notes
    -----
    With ``random_state`` set, a fit with one thread is bit-for-bit
    reproducible; with several Hogwild! threads it is not (the interleaving
    of the threads' updates depends on timing). The ``"minibatch"`` and
    ``"gd"`` solvers are bit-for-bit reproducible for any number of threads.
    """

    _parameter_constraints = {**_sk.SGDRegressor._parameter_constraints, **_HOGWILD_PARAMETERS}

    def __init__(
        self,
        loss="squared_error",
        *,
        penalty="l2",
        alpha=0.0001,
        l1_ratio=0.15,
        fit_intercept=True,
        max_iter=1000,
        tol=1e-3,
        shuffle=True,
        verbose=0,
        epsilon=0.1,
        random_state=None,
        learning_rate="invscaling",
        eta0=0.01,
        power_t=0.25,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=5,
        warm_start=False,
        average=False,
        solver="hogwild",
        n_threads=None,
        write="racy",
        hot_features="auto",
        sync_every="auto",
        shuffle_block_size=1,
        pin_threads=True,
        gamma=0.9,
        step_epochs=10,
        optimizer="sgd",
        momentum=0.9,
        beta1=0.9,
        beta2=0.999,
        optimizer_eps=1e-8,
        batch_size=256,
        elasticity=0.1,
        max_staleness=8,
        staleness_aware=True,
        precision="int16",
    ):
        super().__init__(
            loss=loss, penalty=penalty, alpha=alpha, l1_ratio=l1_ratio,
            fit_intercept=fit_intercept, max_iter=max_iter, tol=tol, shuffle=shuffle,
            verbose=verbose, epsilon=epsilon, random_state=random_state,
            learning_rate=learning_rate, eta0=eta0, power_t=power_t,
            early_stopping=early_stopping, validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change, warm_start=warm_start, average=average,
        )
        self.solver = solver
        self.n_threads = n_threads
        self.write = write
        self.hot_features = hot_features
        self.sync_every = sync_every
        self.shuffle_block_size = shuffle_block_size
        self.pin_threads = pin_threads
        self.gamma = gamma
        self.step_epochs = step_epochs
        self.optimizer = optimizer
        self.momentum = momentum
        self.beta1 = beta1
        self.beta2 = beta2
        self.optimizer_eps = optimizer_eps
        self.batch_size = batch_size
        self.elasticity = elasticity
        self.max_staleness = max_staleness
        self.staleness_aware = staleness_aware
        self.precision = precision

    def fit(self, X, y, coef_init=None, intercept_init=None, sample_weight=None, callbacks=None):
        """Fit the model with parallel SGD (see scikit-learn's ``fit``).

        callbacks : list of callables, default=None
            Each is called after every epoch as ``callback(record)``, with
            ``record`` a dict of the epoch's figures (``epoch``,
            ``objective``, ``seconds``, ``elapsed``, ``updates``,
            ``examples_per_second``, ``validation_score`` with early
            stopping) and the model as it stands
            (``coef``, a 1-D copy, and ``intercept``). Returning ``False``
            stops training after that epoch. Exceptions propagate out of ``fit``.
        """
        with self._callbacks_during_fit(callbacks):
            return super().fit(X, y, coef_init=coef_init, intercept_init=intercept_init,
                               sample_weight=sample_weight)

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
        first_call = getattr(self, "coef_", None) is None
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

    def _fit_regressor(self, X, y, alpha, loss, learning_rate, sample_weight, max_iter):
        if not hasattr(self, "t_"):
            self.t_ = 1.0
        validation_mask = self._make_validation_split(y, sample_mask=sample_weight > 0)
        random_state = check_random_state(self.random_state)
        seed = random_state.randint(0, MAX_INT)
        random_state.randint(1, np.iinfo(np.int32).max)  # scikit-learn's dataset seed draw
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
        self.t_ += self.n_iter_ * X.shape[0]
        if self.average > 0:
            if self.average <= self.t_ - 1.0:
                self.coef_ = self._average_coef
                self.intercept_ = self._average_intercept
            else:
                self.coef_ = self._standard_coef
                self.intercept_ = self._standard_intercept
