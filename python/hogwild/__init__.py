"""hogwild: parallel lock-free SGD for linear models and matrix factorization.

``hogwild.SGDClassifier`` and ``hogwild.SGDRegressor`` are drop-ins for
scikit-learn's estimators of the same names that train on every core;
``hogwild.MatrixFactorization`` trains rating models (Hogwild! or LIBMF's
block schedule).
"""

from importlib.metadata import PackageNotFoundError, version

from . import _core, datasets
from ._matrix_factorization import MatrixFactorization
from ._model_file import load_model as load
from ._sgd import SGDClassifier, SGDRegressor

try:
    __version__ = version("hogwild")
except PackageNotFoundError:  # running from a source tree
    __version__ = _core.build_info()["version"]


def build_info():
    """What the compiled core was built with.

    Returns
    -------
    dict
        ``version``, ``compiler``, ``cxx_standard``, ``build_type``,
        ``openmp`` (the ``_OPENMP`` date), ``cuda`` ("on"/"off"),
        ``cuda_compiler_found``, ``simd`` (instruction sets the build may
        use) and ``usable_cpus`` (CPUs this process may run on now).
    """
    info = dict(_core.build_info())
    info["usable_cpus"] = _core.usable_cpu_count()
    return info


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

__all__ = ["MatrixFactorization", "SGDClassifier", "SGDRegressor", "build_info", "load", "__version__"]
