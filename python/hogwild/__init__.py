"""hogwild: parallel lock-free SGD for linear models and matrix factorization.

``hogwild.SGDClassifier`` and ``hogwild.SGDRegressor`` are drop-ins for
scikit-learn's estimators of the same names that train on every core;
``hogwild.MatrixFactorization`` trains rating models (Hogwild! or LIBMF's
block schedule). ``hogwild.cuda`` says whether a GPU can train
(``device="cuda"``).
"""

from importlib.metadata import PackageNotFoundError, version

from ._openmp_wait import short_spins_while_loading

with short_spins_while_loading():  # (libgomp reads its settings once, when the core loads it)
    from . import _core
from . import cuda, datasets  # noqa: E402
from ._matrix_factorization import MatrixFactorization
from ._model_file import load_model as load
from ._sgd import SGDClassifier, SGDRegressor

try:
    __version__ = version("hogwild")
except PackageNotFoundError:  # running from a source tree
    __version__ = _core.build_info()["version"]


def build_info():
    """What the compiled modules were built with.

    Returns
    -------
    dict
        ``version``, ``compiler``, ``cxx_standard``, ``build_type``,
        ``openmp`` (the ``_OPENMP`` date), ``cuda`` ("on" when the CUDA
        module ``hogwild._cuda`` was built and imports, else "off"),
        ``cuda_compiler_found``, ``simd`` (instruction sets the build may
        use) and ``usable_cpus`` (CPUs this process may run on now). With
        ``cuda`` "on", also the CUDA module's ``cuda_version`` (of the
        toolkit it was built with, e.g. "13.0"), ``cuda_architectures``
        (e.g. "80;90") and ``cuda_runtime`` ("static" or "shared").
        Whether a GPU is usable now is :func:`hogwild.cuda.is_available`.
    """
    info = dict(_core.build_info())
    info["usable_cpus"] = _core.usable_cpu_count()
    # (the core is built without CUDA code and reports "off" whatever was built beside it)
    cuda_module = cuda._module()
    info["cuda"] = "off" if cuda_module is None else "on"
    if cuda_module is not None:
        info.update({key: str(value) for key, value in cuda_module.build_info().items()})
    return info


def topology(spec=None):
    """The machine as hogwild's solvers see it: NUMA nodes and their CPUs.

    Parameters
    ----------
    spec : str or None, default=None
        ``"NxM"``: a simulated machine of N NUMA nodes of M CPUs each,
        mapped onto the CPUs this process may use (the estimators'
        ``topology`` parameter). None: the environment variable
        ``HOGWILD_TOPOLOGY`` when set, else Linux's sysfs
        (``/sys/devices/system/node`` and ``.../cpu``), restricted to the
        process's CPU affinity (taskset, cgroups); one node holding every
        usable CPU where sysfs says nothing.

    Returns
    -------
    dict
        ``nodes``: one dict per node, ``node`` (its id), ``cpus`` (the
        usable CPUs of it in the order threads take them: the first
        hardware thread of each physical core, then SMT siblings; a
        simulated node lists the real CPUs its CPUs run on),
        ``physical_cores`` and ``distances`` (to every node, in sysfs's
        units: 10 is local); ``simulated``; ``source`` ("sysfs",
        "affinity mask" or "simulated NxM").

    Raises
    ------
    ValueError
        When ``spec`` (or ``HOGWILD_TOPOLOGY``) is not of the form "NxM".
    """
    return _core.topology("" if spec is None else str(spec))


load.__doc__ = """Read a model written by ``est.save(path)``.

    ``path`` is a path or a binary file object. Nothing in the file is
    executed (it is read with ``allow_pickle=False``); a truncated or altered
    file raises ``ValueError`` naming it.

    Returns
    -------
    SGDClassifier or SGDRegressor
        Fitted, with the saved hyper-parameters, arrays (bit for bit),
        ``t_``, ``n_iter_`` and ``history_``: ready for ``predict``,
        ``partial_fit`` or a warm start.
    """

__all__ = ["MatrixFactorization", "SGDClassifier", "SGDRegressor", "build_info", "cuda", "load", "topology",
           "__version__"]
