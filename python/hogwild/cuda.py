"""GPU training: whether a CUDA device can train here, and which.

``SGDClassifier(device="cuda")`` and ``SGDRegressor(device="cuda")`` train
the ``"minibatch"`` and ``"gd"`` solvers on a GPU through the compiled
module ``hogwild._cuda``, which exists only when the package was built
with a CUDA compiler. Every function here works without it: it then
reports no device and says why.
"""

import importlib
import re

from . import _core

# the solvers the CUDA module implements
SOLVERS = ("minibatch", "gd")
# how a batch's gradient is summed on the device (the estimators' gpu_reduction)
REDUCTIONS = ("ordered", "atomic")

NOT_BUILT = "this hogwild was built without CUDA"
HOW_TO_REBUILD = ("to train on a GPU, install a CUDA toolkit with nvcc on PATH and run `pip install .` again "
                  "(add -Ccmake.define.HOGWILD_CUDA=ON to make a missing CUDA compiler a build error "
                  "instead of a build without CUDA)")
NO_DEVICE = "no CUDA device is visible"


class CudaUnavailableError(RuntimeError):
    """Training was asked for on a GPU that this process cannot use: the
    package was built without CUDA, or no driver, a driver older than the
    build's runtime, or no device (the message says which)."""


def _load():
    """(hogwild._cuda, None), or (None, why) where it cannot be imported.

    Only the module's own absence is "built without CUDA"; a module that is
    there but fails to load (a missing shared library) says so, with the
    import's error, instead of passing for a CPU-only build."""
    try:
        return importlib.import_module("hogwild._cuda"), None
    except ModuleNotFoundError as error:
        if error.name != "hogwild._cuda":
            return None, f"hogwild._cuda is present but cannot be loaded: {error}"
        return None, _not_built()
    except ImportError as error:
        return None, f"hogwild._cuda is present but cannot be loaded: {error}"


def _not_built():
    """Why a build has no CUDA module, from what its configuration found."""
    info = _core.build_info()
    if info.get("cuda_option") == "OFF":
        why = "it was built with HOGWILD_CUDA=OFF, as the CPU wheel is"
    elif info.get("cuda_compiler_found") == "yes":
        why = ("a CUDA compiler was found at build time, but the CUDA module is missing: "
               "a build from before GPU training, or the module was removed")
    else:
        why = "no CUDA compiler was found at build time"
    return f"{NOT_BUILT} ({why}; build_info()['cuda'] == 'off')"


def _module():
    """hogwild._cuda, or None where it cannot be imported."""
    return _load()[0]


def is_available():
    """Whether ``device="cuda"`` can train in this process.

    Returns
    -------
    bool
        True when the package was built with CUDA and at least one usable
        CUDA device is visible (:func:`device_count` > 0). Never raises.
    """
    return device_count() > 0


def device_count():
    """The number of usable CUDA devices.

    Returns
    -------
    int
        0 when the package was built without CUDA, when no CUDA driver is
        installed or it is older than the build's runtime, or when no device
        is visible (``CUDA_VISIBLE_DEVICES``); :func:`unavailable_reason`
        says which. Never raises.
    """
    module = _module()
    return 0 if module is None else int(module.device_count())


def unavailable_reason():
    """Why no CUDA device can train here.

    Returns
    -------
    str
        ``""`` when at least one device is usable; else one sentence, e.g.
        that the package was built without CUDA, that no CUDA driver was
        found, that the driver is older than the build's CUDA runtime, or
        that no CUDA device is visible.
    """
    module, why = _load()
    if module is None:
        return why
    if int(module.device_count()) > 0:
        return ""
    return str(module.unavailable_reason()) or NO_DEVICE


def device_name(i=0):
    """The name of CUDA device `i`, e.g. ``"NVIDIA H200"``.

    Parameters
    ----------
    i : int, default=0
        The device's index, as in ``device="cuda:i"``.

    Returns
    -------
    str

    Raises
    ------
    CudaUnavailableError
        (a RuntimeError) when no device is usable; the message is
        :func:`unavailable_reason`.
    IndexError
        When `i` is not the index of a visible device.
    TypeError
        When `i` is not an integer.
    """
    if isinstance(i, bool) or not isinstance(i, int):
        raise TypeError(f"device_name takes a device index (int), got {i!r}")
    module, count = _usable_module()
    if not 0 <= i < count:
        raise IndexError(f"device_name({i}): {_visible(count)} (indices 0 to {count - 1})")
    return str(module.device_name(i))


def _usable_module():
    """(hogwild._cuda, device count > 0), else CudaUnavailableError saying why."""
    module, why = _load()
    if module is None:
        raise CudaUnavailableError(why + ("; " + HOW_TO_REBUILD if why.startswith(NOT_BUILT) else ""))
    count = int(module.device_count())
    if count == 0:
        raise CudaUnavailableError(f"no usable CUDA device: {module.unavailable_reason() or NO_DEVICE}")
    return module, count


def _visible(count):
    return f"{count} CUDA device is visible" if count == 1 else f"{count} CUDA devices are visible"


def _device_index(device):
    """The GPU index of an estimator's `device` (None for ``"cpu"``).

    ``"cuda"`` is device 0, ``"cuda:N"`` device N; anything else is a
    ValueError naming ``device``. Whether that device exists is checked
    when training starts (:func:`_session`)."""
    if device == "cpu":
        return None
    match = re.fullmatch(r"cuda(?::([0-9]+))?", device) if isinstance(device, str) else None
    if match is None:
        raise ValueError(f"device={device!r} is not a device: use 'cpu', 'cuda' (GPU 0) or 'cuda:N' "
                         "(N the index of a GPU: 0, 1, ...)")
    return int(match.group(1) or 0)


def _session(device, *session_arguments, reduction):
    """A training session of ``hogwild._cuda`` on `device` ("cuda" or
    "cuda:N"); `session_arguments` are those of ``hogwild._core.Session``.

    Raises one error saying why when the device cannot train:
    CudaUnavailableError (a RuntimeError) for a build without CUDA (with how
    to rebuild), no driver, a driver too old, or no visible device;
    ValueError for an index beyond the visible devices or a malformed
    `device`."""
    index = _device_index(device)
    if index is None:
        raise ValueError("device='cpu' trains through hogwild._core.Session, not a CUDA session")
    try:
        module, count = _usable_module()
    except CudaUnavailableError as error:
        raise CudaUnavailableError(f"device={device!r}: {error}") from None
    if index >= count:
        raise ValueError(f"device={device!r} but {_visible(count)}"
                         + (f" (cuda:0 to cuda:{count - 1})" if count > 1 else " (cuda:0)"))
    return module.Session(*session_arguments, device=index, reduction=reduction)
