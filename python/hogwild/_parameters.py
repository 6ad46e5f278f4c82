"""The parameters hogwild's estimators have beyond scikit-learn's.

One table (PARAMETERS) gives each its name, default, accepted values,
documentation and how the core's options take it; it feeds both
estimators' ``__init__`` signatures, their parameter validation, their
docstrings and the options the engine hands the core. Adding a knob is one
row here and, when the core needs it, one field of the core's
configuration (cpp/include/hogwild/config.hpp) with its row in the
bindings' option table (cpp/bindings/config_options.cpp).
"""

import inspect
import textwrap
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

from sklearn.utils._param_validation import Interval, StrOptions

from . import _core

# the core's integer types: a count beyond them is refused by name
INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1

OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")


def solver_names():
    """The solvers of the C++ core's registry, in its order."""
    return tuple(info["name"] for info in _core.solvers())


def _auto_or_int(value):
    """ "auto" as the core's -1, else the integer."""
    return -1 if value == "auto" else int(value)


@dataclass(frozen=True)
class Parameter:
    name: str
    default: Any
    constraints: list  # scikit-learn's parameter validation
    kind: str          # the numpydoc type, without the default
    doc: str           # the numpydoc description
    core: Any = None   # the value as the core's options take it (None: not passed as it is)


PARAMETERS = (

    Parameter(
        "solver", "hogwild", [StrOptions(set(solver_names()))],
        '{"hogwild", "sequential", "local", "easgd", "async", "buckwild", "minibatch", "gd"}',
        """\
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
        center (with ``average``, the average of the replicas' mean at each
        synchronization: the center lags them). ``"async"``: asynchronous mini-batch SGD: workers compute a
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
        ``gd`` do not support ``learning_rate="pa1"``/``"pa2"``.""",
    ),
    Parameter(
        "n_threads", None, [Interval(Integral, 1, INT32_MAX, closed="both"), None],
        'int',
        """\
        Threads of every solver but ``"sequential"``; None uses every CPU
        this process may run on, at most ``OMP_NUM_THREADS`` or a
        threadpoolctl limit on OpenMP (``threadpool_limits``; joblib's
        workers set one). In a process forked (``os.fork``,
        multiprocessing's ``"fork"``) by a thread that had trained on
        several threads, training on that thread takes one thread whatever
        ``n_threads`` says (GNU OpenMP's idle threads do not survive the
        fork; waiting for them would hang); the process's other threads
        keep ``n_threads``.""",
    ),
    Parameter(
        "write", "racy", [StrOptions({"racy", "atomic", "locked"})],
        '{"racy", "atomic", "locked"}',
        """\
        How Hogwild! threads write shared weights: plain (relaxed atomic)
        stores that may occasionally overwrite a concurrent update, atomic
        compare-and-swap updates, or one lock around each row (a baseline).""", core=str,
    ),
    Parameter(
        "hot_features", "auto", [StrOptions({"auto"}), Interval(Integral, 0, INT64_MAX, closed="both")],
        '"auto" or int',
        """\
        How many of the most frequent features each Hogwild! thread keeps in
        a private replica whose changes are merged into the shared weights
        (see the README). "auto": every feature that occurs (at most 2**20;
        every feature where the L2 penalty is one factor, plain sgd without
        L1) when more than one thread runs, none with one thread; 0: none
        (textbook Hogwild!, every write goes to the shared weights).""", core=_auto_or_int,
    ),
    Parameter(
        "sync_every", "auto", [StrOptions({"auto"}), Interval(Integral, 1, INT64_MAX, closed="both")],
        '"auto" or int',
        """\
        ``"hogwild"``: rows of each thread between merges of the replicas'
        frequent features ("auto": 256, or where a thread's share of the
        rows exceeds 32,768, 1/128 of that share, at most 4096; all
        replicated features are merged every ~64 x n_features /
        nonzeros-per-row rows). ``"local"`` / ``"easgd"``: rows
        of each thread between synchronizations of the replicas ("auto":
        256).""", core=_auto_or_int,
    ),
    Parameter(
        "shuffle_block_size", "auto", [StrOptions({"auto"}), Interval(Integral, 1, INT64_MAX, closed="both")],
        '"auto" or int',
        """\
        With ``shuffle=True``, shuffle blocks of this many consecutive rows
        instead of single rows: memory is read in sequential runs, which
        makes epochs on data larger than the CPU caches 3-5x faster than a
        full shuffle (every row a cache miss). 1: a full shuffle, as
        scikit-learn's. ``"auto"``: 128 rows (with ``shuffle_buffer_blocks``
        8) for data of at least 16,384 rows, 1 below (there the data sits
        in the caches), for the ``"sequential"`` solver (scikit-learn's
        order, for exact parity) and with ``shuffle=False`` (data order).""",  # (passed to the core by the engine's _row_order)
    ),
    Parameter(
        "shuffle_buffer_blocks", "auto", [StrOptions({"auto"}), Interval(Integral, 1, INT64_MAX, closed="both")],
        '"auto" or int',
        """\
        With blocks (``shuffle_block_size > 1``), interleave the rows of
        this many blocks, one drawn from each of as many equal parts of the
        data (strata of consecutive blocks): the first row of each block,
        then the second of each, and so on. Updates then come from every
        part of the data at a time (a plain block shuffle, 1, feeds runs of
        neighbouring rows, often of one label, to the model; blocks drawn at
        random leave a buffer's mix of labels to chance on data sorted by
        label) while each block is still read forwards, one memory stream a
        block. A two-level order after CorgiPile (Xu et al., "In-Database
        Machine Learning with CorgiPile: Stochastic Gradient Descent without
        Full Data Shuffle", SIGMOD 2022), which draws the buffer's blocks at
        random and shuffles its rows. ``"auto"``: 8. See the README's "Row
        order" for the measurements.""",  # (passed by the engine's _row_order)
    ),
    Parameter(
        "pin_threads", True, ["boolean"],
        'bool',
        """\
        Pin each thread to its own CPU while training.""", core=bool,
    ),
    Parameter(
        "deterministic", False, ["boolean"],
        'bool',
        """        The same model for the same ``random_state`` and ``n_threads``.
        ``solver="hogwild"`` on several threads then gives each thread a
        private replica and, every ``sync_every`` rows, sets each
        coordinate to its last value plus the mean change of the replicas
        that changed it, in thread order (the updates land at fixed points
        instead of whenever a thread writes). ``sequential``, ``minibatch`` and
        ``gd`` are deterministic anyway, ``local`` and ``easgd`` per thread
        count; ``async`` and ``buckwild`` on several threads are refused
        (ValueError) with it.""", core=bool,
    ),
    Parameter(
        "numa", "auto", [StrOptions({"auto", "off", "replicate"})],
        '{"auto", "off", "replicate"}',
        """\
        NUMA placement of ``solver="hogwild"`` on several threads (see the
        README's "NUMA"). ``"auto"``: on a machine of several NUMA nodes,
        threads are spread over the nodes and each node keeps a replica of
        the model, merged with the global model every ``node_sync_every``
        rows of the node (after DimmWitted, Zhang & Ré, VLDB 2014); on one
        node, as ``"off"``. ``"off"``: one shared model, threads packed onto
        the physical cores of as few nodes as they need. ``"replicate"``:
        replicas even on one node (to test the code path). Other solvers,
        and ``write="locked"`` (the serialized baseline), place their
        threads as ``"off"`` and keep one model. ``fit_info_`` says where each
        thread ran.""", core=str,
    ),
    Parameter(
        "node_sync_every", "auto", [StrOptions({"auto"}), Interval(Integral, 1, INT64_MAX, closed="both")],
        '"auto" or int',
        """\
        With node replicas (``numa``): rows a node trains between two merges
        of its replica with the global model. ``"auto"``: so that a merge
        (one pass over the model) costs about a sixteenth of the node's
        first thread's work.""", core=_auto_or_int,
    ),
    Parameter(
        "numa_data", "off", [StrOptions({"off", "shard", "replicate"})],
        '{"off", "shard", "replicate"}',
        """\
        Where the threads of node replicas (``numa``) read the rows.
        ``"off"``: the caller's arrays, in place (no copy). ``"shard"``: each
        node gets a copy of a share of the rows, written first by its own
        threads (so it lies in that node's memory), and its threads visit
        only those rows, in an order of their own each epoch: the copies
        take the data's size once in all. The shares are rows drawn at
        random (with ``shuffle``; a file sorted by label gives each node
        both classes) or contiguous ranges in data order (``shuffle=False``).
        ``"replicate"``: every node
        gets a copy of all rows, and the threads follow one order over all
        of them: the data's size once per node. Ignored (``fit_info_["data"]``
        says "in place") where no node replicas run; ValueError with
        ``numa="off"`` or another solver.""", core=str,
    ),
    Parameter(
        "topology", None, [None, str],
        'str or None',
        """\
        A simulated machine, ``"NxM"``: N NUMA nodes of M CPUs each, mapped
        onto the CPUs this process may use (for tests and for trying
        ``numa`` on a laptop). None: the environment variable
        ``HOGWILD_TOPOLOGY`` when set, else the machine's own topology as
        Linux's sysfs describes it, restricted to the process's CPU
        affinity (``hogwild.topology()`` shows it).""", core=lambda v: "" if v is None else str(v),
    ),
    Parameter(
        "gamma", 0.9, [Interval(Real, 0, 1, closed="right")],
        'float in (0, 1]',
        """\
        Decay of ``learning_rate="exponential"`` (``eta0 * gamma**epoch``)
        and ``"step"`` (``eta0 * gamma**(epoch // step_epochs)``).""", core=float,
    ),
    Parameter(
        "step_epochs", 10, [Interval(Integral, 1, INT32_MAX, closed="both")],
        'int',
        """\
        Epochs between the decays of ``learning_rate="step"``.""", core=int,
    ),
    Parameter(
        "optimizer", "sgd", [StrOptions(set(OPTIMIZERS))],
        '{"sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"}',
        """\
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
        ``fit`` / ``partial_fit`` call.""", core=str,
    ),
    Parameter(
        "momentum", 0.9, [Interval(Real, 0, 1, closed="left")],
        'float in [0, 1)',
        """\
        Momentum of ``optimizer="momentum"`` and ``"nesterov"``.""", core=float,
    ),
    Parameter(
        "beta1", 0.9, [Interval(Real, 0, 1, closed="left")],
        'float in [0, 1)',
        """\
        Decay of Adam's moving average of the gradient.""", core=float,
    ),
    Parameter(
        "beta2", 0.999, [Interval(Real, 0, 1, closed="left")],
        'float in [0, 1)',
        """\
        Decay of the moving average of the squared gradient (Adam, RMSprop).""", core=float,
    ),
    Parameter(
        "optimizer_eps", 1e-8, [Interval(Real, 0, None, closed="neither")],
        'float > 0',
        """\
        Added to the root of the squared-gradient statistic (Adagrad,
        RMSprop, Adam) so that steps stay finite.""", core=float,
    ),
    Parameter(
        "batch_size", "auto", [StrOptions({"auto"}), Interval(Integral, 1, INT64_MAX, closed="both")],
        '"auto" or int >= 1',
        """\
        Rows per step of ``solver="minibatch"`` and ``"async"`` (the last
        batch of an epoch may be smaller). Their learning-rate schedules
        count optimizer steps, not rows. ``"auto"``: the training rows
        // 400, at least 8 and at most 256 (an epoch of at least 400 steps
        where the data has the rows; see ``_step_size.py``); the fitted
        ``batch_size_`` says what ran.""", core=_auto_or_int,
    ),
    Parameter(
        "elasticity", 0.1, [Interval(Real, 0, 1, closed="neither")],
        'float in (0, 1)',
        """\
        ``solver="easgd"``: the fraction of its distance to the center a
        replica moves at each synchronization.""", core=float,
    ),
    Parameter(
        "max_staleness", 8, [Interval(Integral, 0, INT32_MAX, closed="both")],
        'int >= 0',
        """\
        ``solver="async"``: updates a gradient's snapshot may lag behind the
        weights it is applied to; staler gradients are recomputed. With one
        thread, every gradient is applied this many updates late (simulated
        asynchrony).""", core=int,
    ),
    Parameter(
        "staleness_aware", True, ["boolean"],
        'bool',
        """\
        ``solver="async"``: divide each step by its staleness (at least 1).""", core=bool,
    ),
    Parameter(
        "precision", "int16", [StrOptions({"int8", "int16", "bfloat16"})],
        '{"int8", "int16", "bfloat16"}',
        """\
        ``solver="buckwild"``: the type of the shared weights. Fixed-point
        ranges start at max(1, 2 x the largest initial weight) and double
        after an epoch in which a write saturated; the intercept stays
        float64.""", core=str,
    ),
    Parameter(
        # (the form "cuda:N" is checked by the engine's _more_validate_params)
        "device", "cpu", [str],
        '{"cpu", "cuda", "cuda:N"}',
        """\
        Where training runs: ``"cpu"``, or a CUDA GPU: ``"cuda"`` (device
        0) or ``"cuda:N"`` (device N), for ``solver="minibatch"`` and
        ``"gd"`` (see :mod:`hogwild.cuda` for what is visible). The data is
        uploaded once per ``fit`` / ``partial_fit`` call (for one-vs-rest,
        once per class: the classes train one after another on the GPU);
        the weights stay on the device during the call and are in
        ``coef_`` afterwards. ``n_threads`` is not used; the row order is
        drawn on the CPU as for ``"cpu"``. ``predict`` runs on the CPU.
        A build without CUDA, no driver or no visible device is a
        RuntimeError when training starts, saying which.""",
    ),
    Parameter(
        "gpu_reduction", "ordered", [StrOptions({"ordered", "atomic"})],
        '{"ordered", "atomic"}',
        """\
        With a ``"cuda"`` device, how a batch's gradient is summed:
        ``"ordered"``: in a fixed row order, so that the model is bit for
        bit the same on every run, and the CPU ``minibatch`` / ``gd`` model
        up to the summation order of the margins; ``"atomic"``: with atomic
        additions, faster but not bit-reproducible. Not used on the CPU.""",
    ),
)


def parameter_constraints():
    """scikit-learn's `_parameter_constraints` entries of the table."""
    return {p.name: p.constraints for p in PARAMETERS}


def numpydoc():
    """The table as the entries of a numpydoc Parameters section, indented
    for a class docstring."""
    entries = []
    for p in PARAMETERS:
        entry = f"{p.name} : {p.kind}, default={p.default!r}\n" + textwrap.indent(textwrap.dedent(p.doc), "    ")
        entries.append(entry)
    return textwrap.indent("\n".join(entries), "    ")


# scikit-learn's parameters whose default differs here: every solver but the
# sequential one takes its steps from the data (see _step_size.py)
CHANGED_DEFAULTS = {"learning_rate": "auto"}


def with_parameters(sklearn_class):
    """An ``__init__`` taking scikit-learn's parameters of `sklearn_class`
    (with CHANGED_DEFAULTS), then the table's (keyword-only), under one
    explicit signature: scikit-learn finds an estimator's parameters by
    reading it (get_params, clone, the repr).

    The function is written out as source, as dataclasses does: binding
    arguments to a built signature at every call took 50 microseconds, a
    tenth of a small fit (and clone, as in a grid search, constructs one
    estimator per fit)."""
    base = inspect.signature(sklearn_class.__init__)
    base = base.replace(parameters=[p.replace(default=CHANGED_DEFAULTS.get(p.name, p.default))
                                    for p in base.parameters.values()])
    ours = [inspect.Parameter(p.name, inspect.Parameter.KEYWORD_ONLY, default=p.default) for p in PARAMETERS]
    signature = base.replace(parameters=list(base.parameters.values()) + ours)
    defaults = {p.name: p.default for p in signature.parameters.values() if p.default is not p.empty}
    listed, keyword_only = [], False
    for p in list(signature.parameters.values())[1:]:
        if p.kind is inspect.Parameter.KEYWORD_ONLY and not keyword_only:
            listed.append("*")
            keyword_only = True
        listed.append(f"{p.name}=_defaults[{p.name!r}]" if p.name in defaults else p.name)
    sklearn_names = list(base.parameters)[1:]
    body = [f"    _sklearn_init(self, {', '.join(f'{n}={n}' for n in sklearn_names)})"]
    body += [f"    self.{p.name} = {p.name}" for p in PARAMETERS]
    source = f"def __init__(self, {', '.join(listed)}):\n" + "\n".join(body) + "\n"
    namespace = {"_defaults": defaults, "_sklearn_init": sklearn_class.__init__}
    exec(source, namespace)  # noqa: S102 (source built above from the parameter names only)
    __init__ = namespace["__init__"]
    assert inspect.signature(__init__) == signature
    return __init__


def core_options_of(estimator):
    """The options of the table's parameters the core takes, from `estimator`."""
    return {p.name: p.core(getattr(estimator, p.name)) for p in PARAMETERS if p.core is not None}
