"""Model files: ``est.save(path)`` and ``hogwild.load(path)``.

A model file is a NumPy ``.npz`` archive (a zip of ``.npy`` arrays): the
fitted arrays and the optimizer's moments bit for bit, plus one entry
``metadata`` holding UTF-8 JSON (format version, package version,
estimator class, hyper-parameters, scalar attributes, training history,
learning_rate="auto"'s plateau state and a SHA-256 of every array). Loading
uses ``allow_pickle=False`` and builds only the two known estimator
classes (and MatrixFactorization), so a file cannot run code; a truncated or altered file gives a
``ValueError`` naming it.
"""

import errno
import hashlib
import io
import json
import os
import re
import stat
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import check_is_fitted

FORMAT_NAME = "hogwild-model"
# 2: the state partial_fit continues from (optimizer moments, the "auto"
# rate's plateau); a version-1 file loads as a model that starts them anew
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)

# every fitted array an estimator may carry; each is saved when present
_ARRAY_ATTRIBUTES = (
    "coef_", "intercept_", "classes_", "feature_names_in_", "_expanded_class_weight",
    "_standard_coef", "_standard_intercept", "_average_coef", "_average_intercept",
    # MatrixFactorization
    "user_ids_", "item_ids_", "user_factors_", "item_factors_", "user_bias_", "item_bias_",
    "_user_gradient_sum", "_item_gradient_sum", "_seen_indptr", "_seen_items",
)
# partial_fit's state beyond the weights, per binary problem (a class of a
# one-vs-rest fit, named by its index in classes_, or the one problem of a
# binary classifier or a regressor): the optimizer's moments, one array
# each, and learning_rate="auto"'s plateau, in the metadata (see
# _engine._continue_optimizer and _continued_plateau)
_OPTIMIZER_STATE_ARRAY = re.compile(r"_optimizer_(first|second)\.(binary|class[0-9]+)")
_PLATEAU_KEYS = {"best_objective", "epochs", "decay"}
# fitted arrays that scikit-learn's sparsify() turns into a CSR matrix: written
# dense, marked in the metadata, and sparsified again on loading
_SPARSE_ATTRIBUTES = ("coef_",)
_SCALAR_ATTRIBUTES = ("t_", "n_iter_", "n_features_in_", "global_mean_", "n_threads_", "learning_rate_", "eta0_",
                      "batch_size_",
                      # (hogwild train's training file's numbering, which hogwild predict reads its file with)
                      "_svmlight_zero_based")


def save_model(estimator, file):
    """Write a fitted estimator to `file` (a path or a binary file object)."""
    from . import __version__

    check_is_fitted(estimator)
    arrays, aliases = _fitted_arrays(estimator)
    training_state, state_arrays = _training_state(estimator)
    arrays.update(state_arrays)
    metadata = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "hogwild_version": __version__,
        "estimator": type(estimator).__name__,
        "params": _params_to_json(estimator.get_params(deep=False)),
        "attributes": {name: _plain(getattr(estimator, name)) for name in _SCALAR_ATTRIBUTES
                       if hasattr(estimator, name)},
        "arrays": {name: {"dtype": array.dtype.str, "shape": list(array.shape), "sha256": _digest(array)}
                   for name, array in arrays.items()},
        "aliases": aliases,
        "object_arrays": [name for name in arrays if name in _ARRAY_ATTRIBUTES
                          and getattr(estimator, name).dtype == object],
        "sparse_arrays": [name for name in _SPARSE_ATTRIBUTES if sp.issparse(getattr(estimator, name, None))],
        "history": getattr(estimator, "history_", []),
        "training_state": training_state,
    }
    encoded = json.dumps(metadata, default=_plain).encode("utf-8")
    if len(encoded) > MAX_METADATA_BYTES or _json_values(encoded) > MAX_METADATA_VALUES:
        records = len(metadata["history"])
        fitting = _records_that_fit(metadata)
        advice = (f"keep the last {fitting} or fewer (estimator.history_ = estimator.history_[-{fitting}:])"
                  if fitting > 0 else "delete it (del estimator.history_)")
        raise ValueError(f"cannot save a history_ of {records} records: the model file's metadata "
                         f"would exceed {MAX_METADATA_BYTES} bytes or {MAX_METADATA_VALUES} values, which load "
                         f"refuses; {advice}")
    entries = {"metadata": np.frombuffer(encoded, dtype=np.uint8), **arrays}
    if hasattr(file, "write"):
        np.savez(file, **entries)
        return
    path = os.fspath(file)
    # (named here: the errors of the file written aside named it, 'm.hwm.partial')
    if os.path.isdir(path):
        raise IsADirectoryError(errno.EISDIR, "Is a directory, not a model file", path)
    if not os.path.isdir(os.path.dirname(os.path.abspath(path))):
        raise FileNotFoundError(errno.ENOENT, "No such directory to write the model file in", path)
    partial = f"{path}.partial"
    try:
        with open(partial, "wb") as f:  # written aside, then renamed: never half a model under `path`
            np.savez(f, **entries)
        os.replace(partial, path)
    except BaseException:
        if os.path.exists(partial):  # (a full disk, Ctrl-C: no half-written file left behind)
            os.remove(partial)
        raise


def load_model(file):
    """Read a model file written by ``save``; returns the fitted estimator."""
    name = _describe(file)
    if not hasattr(file, "read"):
        if not os.path.exists(file):
            raise FileNotFoundError(f"No such model file: '{name}'")
        if not stat.S_ISREG(os.stat(file).st_mode):  # (a FIFO would block, /dev/zero never end)
            raise ValueError(f"{name}: not a regular file")
    try:
        entries = _read_entries(file, name)
    except ValueError as error:
        if str(error).startswith(f"{name}: "):
            raise  # (ours, naming the file already)
        raise ValueError(f"{name}: not a readable hogwild model file (truncated or corrupted?): {error}") from None
    except Exception as error:  # whatever a damaged zip or .npy header raises
        raise ValueError(f"{name}: not a readable hogwild model file (truncated or corrupted?): "
                         f"{type(error).__name__}: {error}") from None

    metadata = entries["metadata"]
    try:
        return _estimator_from(entries, metadata, name)
    except (TypeError, KeyError, AttributeError, IndexError, ValueError) as error:  # metadata of the wrong shape
        if isinstance(error, ValueError) and str(error).startswith(f"{name}: "):
            raise  # (ours, naming the file already)
        raise ValueError(f"{name}: the model file's metadata is malformed ({type(error).__name__}: {error})") \
            from None


def _estimator_from(entries, metadata, name):
    from . import MatrixFactorization, SGDClassifier, SGDRegressor

    classes = {"SGDClassifier": SGDClassifier, "SGDRegressor": SGDRegressor,
               "MatrixFactorization": MatrixFactorization}
    if metadata.get("estimator") not in classes:
        raise ValueError(f"{name}: unknown estimator {metadata.get('estimator')!r}")
    estimator = classes[metadata["estimator"]]()
    try:
        estimator.set_params(**_params_from_json(metadata["params"]))
        if isinstance(estimator, MatrixFactorization):
            estimator._check_params()
        else:
            estimator._validate_params()
    except (ValueError, TypeError) as error:
        raise ValueError(f"{name}: invalid hyper-parameters in the model file: {error}") from None

    state_arrays = {}
    for array_name, expected in metadata["arrays"].items():
        if not _known_array(array_name) or array_name not in entries:
            raise ValueError(f"{name}: missing or unexpected array '{array_name}'")
        array = entries[array_name]
        if (array.dtype.str != expected["dtype"] or list(array.shape) != expected["shape"]
                or _digest(array) != expected["sha256"]):
            raise ValueError(f"{name}: array '{array_name}' does not match its checksum (file altered or corrupted)")
        if array_name not in _ARRAY_ATTRIBUTES:
            state_arrays[array_name] = array
            continue
        if array_name in metadata.get("object_arrays", []):
            array = array.astype(object)
        setattr(estimator, array_name, array)
    for alias, (target, shape) in metadata.get("aliases", {}).items():
        if alias not in _ARRAY_ATTRIBUTES or target not in metadata["arrays"]:
            raise ValueError(f"{name}: bad array alias '{alias}'")
        # the saved estimator shared this memory (e.g. coef_ is the averaged coef): share it again
        setattr(estimator, alias, getattr(estimator, target).reshape(shape))
    for attribute, value in metadata.get("attributes", {}).items():
        if attribute not in _SCALAR_ATTRIBUTES:
            raise ValueError(f"{name}: unexpected attribute '{attribute}'")
        setattr(estimator, attribute, value)
    history = metadata.get("history", [])
    if not isinstance(history, list) or not all(isinstance(record, dict) for record in history):
        raise ValueError(f"{name}: the model file's metadata is malformed (history is not a list of records)")
    estimator.history_ = history
    if isinstance(estimator, MatrixFactorization):
        _check_factor_model(estimator, name)
        if state_arrays:
            raise ValueError(f"{name}: unexpected array '{next(iter(state_arrays))}' in a factor model")
    else:
        _check_linear_model(estimator, name)
        _restore_training_state(estimator, metadata.get("training_state") or {}, state_arrays, name)
        sparse = metadata.get("sparse_arrays", [])
        if not isinstance(sparse, list) or not set(sparse) <= set(_SPARSE_ATTRIBUTES):
            raise ValueError(f"{name}: the model file's metadata is malformed (sparse_arrays)")
        if sparse:
            estimator.sparsify()  # (scikit-learn's own, as the saved model had it)
    return estimator


def _known_array(array_name):
    return array_name in _ARRAY_ATTRIBUTES or _OPTIMIZER_STATE_ARRAY.fullmatch(array_name) is not None


def _problem_slots(estimator):
    """{problem key as _engine keeps it: slot name in the file} for every
    binary problem of the estimator (see _sgd's `problem=`)."""
    classes = getattr(estimator, "classes_", None)
    if classes is None or len(classes) <= 2:
        return {None: "binary"}
    return {getattr(label, "item", lambda label=label: label)(): f"class{k}" for k, label in enumerate(classes)}


def _training_state(estimator):
    """The metadata entry and the arrays of partial_fit's state beyond the
    weights (empty for a factor model, whose Adagrad sums are arrays)."""
    optimizer_states = getattr(estimator, "_optimizer_states", {}) or {}
    plateau_states = getattr(estimator, "_plateau_states", {}) or {}
    if not (optimizer_states or plateau_states) or not hasattr(estimator, "coef_"):
        return {}, {}
    slots = _problem_slots(estimator)
    arrays, optimizers, plateaus = {}, {}, {}
    for problem, (optimizer, moments) in optimizer_states.items():
        if problem in slots:
            optimizers[slots[problem]] = optimizer
            for moment in ("first", "second"):
                arrays[f"_optimizer_{moment}.{slots[problem]}"] = np.ascontiguousarray(moments[moment],
                                                                                     dtype=np.float64)
    for problem, plateau in plateau_states.items():
        if problem in slots:
            plateaus[slots[problem]] = {key: _plain(value) for key, value in plateau.items()}
    return {"optimizers": optimizers, "plateaus": plateaus}, arrays


def _restore_training_state(estimator, state, arrays, name):
    """Puts back what _training_state saved, checked (a partial_fit after
    loading goes on as one after saving would)."""
    def refuse(problem):
        raise ValueError(f"{name}: {problem}")

    if not isinstance(state, dict) or not set(state) <= {"optimizers", "plateaus"}:
        refuse("the training state is malformed")
    optimizers, plateaus = state.get("optimizers", {}), state.get("plateaus", {})
    if not isinstance(optimizers, dict) or not isinstance(plateaus, dict):
        refuse("the training state is malformed")
    problems = {slot: problem for problem, slot in _problem_slots(estimator).items()}
    restored = {}
    # (the moments of every feature and the intercept's, as the core keeps them;
    # the second moments are sums or averages of squares)
    n_slots = estimator.n_features_in_ + 1
    for slot, optimizer in optimizers.items():
        moments = {moment: arrays.pop(f"_optimizer_{moment}.{slot}", None) for moment in ("first", "second")}
        if slot not in problems or optimizer not in ("momentum", "nesterov", "adagrad", "rmsprop", "adam") or any(
                m is None or m.dtype != np.float64 or m.shape not in ((0,), (n_slots,)) or not np.all(np.isfinite(m))
                for m in moments.values()) or np.any(moments["second"] < 0.0):
            refuse(f"the optimizer state of '{slot}' is malformed")
        restored[problems[slot]] = (optimizer, moments)
    if arrays:
        refuse(f"array '{next(iter(arrays))}' belongs to no optimizer state")
    kept_plateaus = {}
    for slot, plateau in plateaus.items():
        if (slot not in problems or not isinstance(plateau, dict) or set(plateau) != _PLATEAU_KEYS
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in plateau.values())
                or not isinstance(plateau["epochs"], int) or not 0 <= plateau["epochs"] <= 2**31 - 1
                or not all(isinstance(plateau[k], float) and not np.isnan(plateau[k]) and plateau[k] >= 0.0
                           for k in ("best_objective", "decay"))):
            refuse(f"the learning-rate plateau state of '{slot}' is malformed")
        kept_plateaus[problems[slot]] = dict(plateau)
    if restored:
        estimator._optimizer_states = restored
    if kept_plateaus:
        estimator._plateau_states = kept_plateaus


def _check_linear_model(model, name):
    """The arrays and attributes of a linear model agree with one another
    and hold finite numbers (the checksums guard against accidents, not
    against a file edited with its checksums recomputed)."""
    from sklearn.base import is_classifier

    def refuse(problem):
        raise ValueError(f"{name}: {problem}")

    coef = getattr(model, "coef_", None)
    n_features = getattr(model, "n_features_in_", None)
    if isinstance(n_features, bool) or not isinstance(n_features, int):
        refuse(f"n_features_in_ must be an integer, got {n_features!r}")
    names = getattr(model, "feature_names_in_", None)
    if names is not None and names.shape != (n_features,):
        refuse("feature_names_in_ does not match n_features_in_")
    if not isinstance(coef, np.ndarray) or coef.dtype.kind != "f" or coef.shape[-1:] != (n_features,):
        refuse("coef_ does not match n_features_in_")
    intercept = getattr(model, "intercept_", None)
    if is_classifier(model):
        classes = getattr(model, "classes_", None)
        if not isinstance(classes, np.ndarray) or classes.ndim != 1 or len(classes) < 2:
            refuse("classes_ must be a 1-D array of at least 2 classes")
        if (classes.dtype.kind == "f" and not np.all(np.isfinite(classes))) or len(np.unique(classes)) != len(classes):
            refuse("classes_ must hold distinct labels")
        rows = 1 if len(classes) == 2 else len(classes)
        if coef.shape != (rows, n_features):
            refuse(f"coef_ has shape {coef.shape}, expected {(rows, n_features)} for {len(classes)} classes")
        weights = getattr(model, "_expanded_class_weight", None)
        if weights is not None and (weights.dtype.kind != "f" or weights.shape != (len(classes),)
                                    or not np.all(np.isfinite(weights))):
            refuse("the class weights do not match classes_")
    else:
        rows = 1
        if coef.ndim != 1:
            refuse(f"coef_ has shape {coef.shape}, expected ({n_features},)")
    if not isinstance(intercept, np.ndarray) or intercept.dtype.kind != "f" or intercept.shape != (rows,):
        refuse(f"intercept_ must be a float array of shape ({rows},)")
    # (a refit with average off leaves the buffers of an earlier averaged
    # fit behind, as scikit-learn does: unused, so not checked)
    averaged = (("_standard_coef", coef), ("_average_coef", coef), ("_standard_intercept", intercept),
                ("_average_intercept", intercept)) if model.average else ()
    for attribute, like in averaged:
        value = getattr(model, attribute, None)
        if value is not None and (not isinstance(value, np.ndarray) or value.dtype.kind != "f"
                                  or value.size != like.size):
            refuse(f"{attribute} does not match {'coef_' if like is coef else 'intercept_'}")
    for attribute in ("coef_", "intercept_") + tuple(attribute for attribute, _ in averaged):
        value = getattr(model, attribute, None)
        if value is not None and not np.all(np.isfinite(value)):
            refuse(f"{attribute} holds NaN or infinity")
    t, n_iter = getattr(model, "t_", 1.0), getattr(model, "n_iter_", 0)
    if isinstance(t, bool) or not isinstance(t, (int, float)) or not np.isfinite(t) or t < 1.0:
        refuse(f"t_ must be a finite number >= 1, got {t!r}")
    if isinstance(n_iter, bool) or not isinstance(n_iter, int) or n_iter < 0:
        refuse(f"n_iter_ must be a non-negative integer, got {n_iter!r}")
    eta0, rate = getattr(model, "eta0_", 0.0), getattr(model, "learning_rate_", "")
    if isinstance(eta0, bool) or not isinstance(eta0, (int, float)) or not np.isfinite(eta0) or not isinstance(rate, str):
        refuse("eta0_ must be a finite number and learning_rate_ a name")
    batch = getattr(model, "batch_size_", 1)
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        refuse(f"batch_size_ must be a positive integer, got {batch!r}")
    if not isinstance(getattr(model, "_svmlight_zero_based", False), bool):
        refuse("the training file's numbering (_svmlight_zero_based) must be true or false")


def _check_factor_model(model, name):
    """The arrays of a factor model agree with one another (the core reads
    them by these sizes)."""
    try:
        n_users, n_items = len(model.user_ids_), len(model.item_ids_)
        k = model.n_factors
        shapes_agree = (
            model.user_factors_.shape == (n_users, k) and model.item_factors_.shape == (n_items, k)
            and all(getattr(model, attribute).shape == (n,) for attribute, n in (
                ("user_bias_", n_users), ("item_bias_", n_items), ("_user_gradient_sum", n_users),
                ("_item_gradient_sum", n_items), ("_seen_indptr", n_users + 1)))
            and all(getattr(model, attribute).dtype == np.float32 for attribute in (
                "user_factors_", "item_factors_", "user_bias_", "item_bias_", "_user_gradient_sum",
                "_item_gradient_sum"))
            and model._seen_items.dtype == np.int32 and model._seen_indptr[-1] == len(model._seen_items)
            and np.all(np.diff(model._seen_indptr) >= 0) and model._seen_indptr[0] == 0
            and (len(model._seen_items) == 0 or (model._seen_items.min() >= 0 and model._seen_items.max() < n_items))
            and isinstance(model.global_mean_, float) and np.isfinite(model.global_mean_)
            and all(np.all(np.isfinite(getattr(model, attribute))) for attribute in (
                "user_factors_", "item_factors_", "user_bias_", "item_bias_", "_user_gradient_sum",
                "_item_gradient_sum"))
            and len(np.unique(model.user_ids_)) == n_users and len(np.unique(model.item_ids_)) == n_items
        )
    except AttributeError as error:
        raise ValueError(f"{name}: the factor model is incomplete ({error})") from None
    if not shapes_agree:
        raise ValueError(f"{name}: the factor model's arrays do not agree with one another")
    # (as a linear model's: partial_fit counts its epochs on from n_iter_, which
    # an edited file made a string, a TypeError at the next partial_fit)
    for attribute, least in (("n_iter_", 0), ("n_threads_", 1)):
        value = getattr(model, attribute, least)
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise ValueError(f"{name}: {attribute} must be an integer >= {least}, got {value!r}")


# The largest metadata a model file may hold (history included: a record
# an epoch, ~150-300 bytes), the most JSON values it may hold (parsed, each
# takes ~50-100 bytes of memory: `{},` records of 3 bytes each made 256 MB
# of metadata take 6 GB; 8,000,000 values, e.g. 400,000 history records,
# take well under 1 GB), and the room a .npy member's header may take
# besides the array's bytes. `save` refuses what `load` would refuse.
MAX_METADATA_BYTES = 256 * 2**20
MAX_METADATA_VALUES = 8_000_000
NPY_HEADER_ROOM = 2**16


def _read_entries(file, name):
    """The metadata and the arrays of a model file, reading no member the
    metadata does not declare and none larger than it declares (a small
    file that inflates to gigabytes is refused before it is inflated)."""
    import zipfile

    with zipfile.ZipFile(file if hasattr(file, "read") else os.fspath(file)) as archive:
        members = {info.filename: info for info in archive.infolist()}
        meta = members.get("metadata.npy")
        if meta is None:
            raise ValueError(f"{name}: not a hogwild model file (no metadata)")
        if meta.file_size > MAX_METADATA_BYTES + NPY_HEADER_ROOM:
            raise ValueError(f"{name}: metadata of {meta.file_size} bytes, more than a model file holds")
        with archive.open(meta) as f:
            raw = np.lib.format.read_array(f, allow_pickle=False)
        metadata = _read_metadata({"metadata": raw}, name)
        declared = metadata["arrays"]
        unknown = sorted(set(members) - {"metadata.npy"} - {f"{k}.npy" for k in declared})
        if unknown:
            raise ValueError(f"{name}: unexpected member(s) {', '.join(unknown)} in the model file")
        entries = {"metadata": metadata}
        for array_name, expected in declared.items():
            info = members.get(f"{array_name}.npy")
            if info is None or not _known_array(array_name):
                raise ValueError(f"{name}: missing or unexpected array '{array_name}'")
            limit = _declared_bytes(expected, name, array_name) + NPY_HEADER_ROOM
            if info.file_size > limit:
                raise ValueError(f"{name}: array '{array_name}' takes {info.file_size} bytes, more than the "
                                 f"{limit} its declared shape and dtype need")
            with archive.open(info) as f:
                entries[array_name] = np.lib.format.read_array(f, allow_pickle=False)
        return entries


def _declared_bytes(expected, name, array_name):
    try:
        shape = [int(n) for n in expected["shape"]]
        itemsize = np.dtype(expected["dtype"]).itemsize
    except (TypeError, KeyError, ValueError):
        raise ValueError(f"{name}: array '{array_name}' has no valid declared shape and dtype") from None
    if any(n < 0 for n in shape):
        raise ValueError(f"{name}: array '{array_name}' declares a negative dimension")
    return int(np.prod(shape, dtype=np.float64)) * itemsize


def _fitted_arrays(estimator):
    """The arrays to write, and the attributes that are views of another."""
    arrays, aliases = {}, {}
    for name in _ARRAY_ATTRIBUTES:
        value = getattr(estimator, name, None)
        if name in _SPARSE_ATTRIBUTES and sp.issparse(value):
            arrays[name] = np.ascontiguousarray(value.toarray())  # (sparsify()'d: written dense)
            continue
        if not isinstance(value, np.ndarray):
            continue
        owner = next((other for other, saved in arrays.items()
                      if saved.size == value.size and np.shares_memory(getattr(estimator, other), value)
                      and value.flags.c_contiguous), None)
        if owner is not None:
            aliases[name] = [owner, list(value.shape)]
            continue
        if value.dtype == object:
            if not all(isinstance(item, str) for item in value.ravel()):
                raise TypeError(f"cannot save {name}: only numbers and strings can be stored without pickle")
            value = value.astype(str)
        arrays[name] = np.ascontiguousarray(value)
    return arrays, aliases


def _read_metadata(entries, name):
    if "metadata" not in entries:
        raise ValueError(f"{name}: not a hogwild model file (no metadata)")
    raw = entries["metadata"].tobytes()
    if _json_values(raw) > MAX_METADATA_VALUES:
        raise ValueError(f"{name}: the model file's metadata holds more values than a model file's does")
    try:
        metadata = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ValueError(f"{name}: the model file's metadata is not valid JSON (file altered or corrupted)") from None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT_NAME:
        raise ValueError(f"{name}: not a hogwild model file")
    if metadata.get("format_version") not in READABLE_VERSIONS:
        raise ValueError(f"{name}: model file format version {metadata.get('format_version')} "
                         f"(written by hogwild {metadata.get('hogwild_version')}); this hogwild reads "
                         f"versions {', '.join(map(str, READABLE_VERSIONS))}")
    for key, kind in (("params", dict), ("arrays", dict), ("attributes", dict)):
        if not isinstance(metadata.get(key), kind):
            raise ValueError(f"{name}: the model file's metadata has no valid '{key}'")
    return metadata


def _records_that_fit(metadata):
    """How many of the history's last records the metadata can hold, each
    record measured as it encodes (records differ: an async run's last
    epoch carries a long staleness histogram)."""
    rest = json.dumps(dict(metadata, history=[]), default=_plain).encode("utf-8")
    size, values = len(rest), _json_values(rest)
    fitting = 0
    for record in reversed(metadata["history"]):
        raw = json.dumps(record, default=_plain).encode("utf-8")
        size += len(raw) + 1  # (and its comma)
        values += _json_values(raw) + 1
        if size > MAX_METADATA_BYTES or values > MAX_METADATA_VALUES:
            break
        fitting += 1
    return fitting


def _json_values(raw):
    """An upper bound of the values in JSON text, counted before parsing:
    values are separated by commas, objects and arrays open with a brace
    or a bracket (commas inside strings count too)."""
    return raw.count(b",") + raw.count(b"{") + raw.count(b"[")


def _params_to_json(params):
    params = dict(params)
    class_weight = params.get("class_weight")
    if isinstance(class_weight, dict):  # JSON keys are strings: keep the labels' types
        params["class_weight"] = {"__pairs__": [[_plain(k), _plain(v)] for k, v in class_weight.items()]}
    if isinstance(params.get("random_state"), np.random.RandomState):
        # a generator's state is not a hyper-parameter worth a pickle; said, so
        # that nobody counts on a reloaded estimator's fits repeating
        warnings.warn("random_state is a RandomState instance: the model file keeps random_state=None "
                      "(an int makes a reloaded estimator's fits reproducible)", UserWarning, stacklevel=4)
        params["random_state"] = None
    return {key: _plain(value) for key, value in params.items()}


def _params_from_json(params):
    params = dict(params)
    class_weight = params.get("class_weight")
    if isinstance(class_weight, dict):
        params["class_weight"] = {k: v for k, v in class_weight.get("__pairs__", [])}
    return params


def _plain(value):
    """A JSON-encodable Python value for NumPy scalars."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (str, int, float, bool, type(None), list, dict)):
        return value
    raise TypeError(f"cannot store {type(value).__name__} {value!r} in a model file")


def _digest(array):
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def _describe(file):
    if isinstance(file, (io.IOBase,)) or hasattr(file, "read"):
        return getattr(file, "name", "<file object>")
    return os.fspath(file)
