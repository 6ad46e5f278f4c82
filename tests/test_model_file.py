"""est.save(path) / hogwild.load(path): bit-exact, safe, and loud on damage."""

import io
import json
import os
import pickle
import re
import zipfile

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

import hogwild
from hogwild.datasets import make_sparse_classification


@pytest.fixture(scope="module")
def problem():
    return make_sparse_classification(2000, 300, 8, random_state=5)


def assert_same_model(a, b, X, same_timings=True):
    assert type(a) is type(b)
    assert a.get_params() == b.get_params()
    for name in ("coef_", "intercept_", "classes_"):
        if hasattr(a, name):
            left, right = getattr(a, name), getattr(b, name)
            assert left.dtype == right.dtype and left.shape == right.shape
            np.testing.assert_array_equal(left, right)
    assert (a.t_, a.n_iter_, a.n_features_in_) == (b.t_, b.n_iter_, b.n_features_in_)
    timing = {"seconds", "elapsed", "examples_per_second"}
    strip = (lambda h: h) if same_timings else (lambda h: [{k: v for k, v in r.items() if k not in timing} for r in h])
    assert strip(a.history_) == strip(b.history_)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))


@pytest.mark.parametrize("params", [
    dict(),
    dict(loss="log_loss", average=10),
    dict(class_weight={-1.0: 2.0, 1.0: 0.5}, penalty="elasticnet"),
    dict(solver="sequential", loss="modified_huber", average=True),
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_classifier_round_trip_is_bit_exact(problem, tmp_path, params, dtype):
    X, y = problem
    X = X.astype(dtype)
    model = hogwild.SGDClassifier(max_iter=4, tol=None, random_state=0, **params).fit(X, y)
    model.save(tmp_path / "model.hwm")
    loaded = hogwild.load(tmp_path / "model.hwm")
    assert_same_model(model, loaded, X)
    if hasattr(model, "predict_proba"):
        np.testing.assert_array_equal(model.predict_proba(X), loaded.predict_proba(X))


def test_multiclass_with_string_labels(dna, tmp_path):
    X, y = dna
    labels = np.array(["exon-intron", "intron-exon", "neither"])[y.astype(int) - 1]
    model = hogwild.SGDClassifier(max_iter=3, tol=None, random_state=0).fit(X, labels)
    path = str(tmp_path / "dna.hwm")
    model.save(path)
    loaded = hogwild.load(path)
    assert_same_model(model, loaded, X)
    assert loaded.classes_.dtype.kind == "U"


def test_feature_names_come_back_as_objects(problem, tmp_path):
    X, y = problem
    model = hogwild.SGDClassifier(max_iter=2, tol=None, random_state=0).fit(X, y)
    # as a pandas DataFrame would have set them
    model.feature_names_in_ = np.array([f"f{j}" for j in range(X.shape[1])], dtype=object)
    model.save(tmp_path / "m.hwm")
    loaded = hogwild.load(tmp_path / "m.hwm")
    assert loaded.feature_names_in_.dtype == object
    np.testing.assert_array_equal(loaded.feature_names_in_, model.feature_names_in_)
    model.feature_names_in_ = np.array([1, "f1"], dtype=object)
    with pytest.raises(TypeError, match="cannot save feature_names_in_"):
        model.save(tmp_path / "other.hwm")


def test_regressor_round_trip_and_file_objects(problem):
    X, y = problem
    model = hogwild.SGDRegressor(max_iter=3, tol=None, random_state=0, average=5).fit(X, y)
    buffer = io.BytesIO()
    model.save(buffer)
    buffer.seek(0)
    assert_same_model(model, hogwild.load(buffer), X)


def assert_partial_fit_continues_after_loading(model, X, y, tmp_path):
    """A partial_fit of the model saved and loaded equals one of the model itself."""
    model.save(tmp_path / "m.hwm")
    loaded = hogwild.load(tmp_path / "m.hwm")
    model.partial_fit(X, y)
    loaded.partial_fit(X, y)
    assert_same_model(model, loaded, X, same_timings=False)


@pytest.mark.parametrize("average", [False, 10])
def test_training_continues_identically_after_loading(problem, tmp_path, average):
    X, y = problem
    model = hogwild.SGDClassifier(max_iter=3, tol=None, random_state=0, n_threads=1, average=average).fit(X, y)
    assert_partial_fit_continues_after_loading(model, X, y, tmp_path)


@pytest.mark.parametrize("params, labels", [
    (dict(optimizer="adam"), "three"),
    (dict(optimizer="momentum"), "two"),
    (dict(optimizer="adagrad", max_iter=30), "strings"),
    (dict(max_iter=30), "two"),    # learning_rate="auto" past its plateau: 1/t decay from there
    (dict(max_iter=30), "three"),
])
def test_optimizer_and_plateau_states_survive_a_model_file(problem, tmp_path, params, labels):
    """A model file held only the weights: a partial_fit after loading
    restarted Adam's moments (or momentum's velocity, Adagrad's sums) and
    learning_rate="auto"'s plateau decay, so that it differed from one
    after saving."""
    X, y = problem
    y = {"two": y, "three": np.arange(len(y)) % 3,
         "strings": np.array(["a", "b", "c"])[np.arange(len(y)) % 3]}[labels]
    model = hogwild.SGDClassifier(**{**dict(max_iter=3, tol=None, random_state=0, n_threads=1), **params}).fit(X, y)
    assert_partial_fit_continues_after_loading(model, X, y, tmp_path)


def test_a_regressors_optimizer_state_survives_a_model_file(problem, tmp_path):
    X, y = problem
    model = hogwild.SGDRegressor(optimizer="adam", max_iter=3, tol=None, random_state=0, n_threads=1).fit(X, y)
    assert_partial_fit_continues_after_loading(model, X, y, tmp_path)


@pytest.mark.parametrize("change, message", [
    (lambda entries, m: entries.update({"_optimizer_first.binary": np.full(301, np.nan)}),
     "optimizer state of 'binary' is malformed"),
    (lambda entries, m: m["training_state"]["optimizers"].update(class7="adam"),
     "optimizer state of 'class7' is malformed"),
    (lambda entries, m: m["training_state"].update(optimizers={}), "belongs to no optimizer state"),
    (lambda entries, m: m["training_state"]["plateaus"].update(binary={"epochs": -1}),
     "plateau state of 'binary' is malformed"),
    (lambda entries, m: m.update(training_state=[1]), "training state is malformed"),
    # (found by a review: these loaded, and partial_fit quietly restarted the
    # optimizer, or raised a divergence)
    (lambda entries, m: entries.update({"_optimizer_first.binary": np.zeros(7)}),
     "optimizer state of 'binary' is malformed"),
    (lambda entries, m: entries.update({"_optimizer_second.binary": -entries["_optimizer_second.binary"] - 1.0}),
     "optimizer state of 'binary' is malformed"),
    (lambda entries, m: m["training_state"]["plateaus"].update(binary=dict(best_objective=0.5, epochs=3, decay=-3.0)),
     "plateau state of 'binary' is malformed"),
    (lambda entries, m: m["training_state"]["plateaus"].update(binary=dict(best_objective=0.5, epochs=10**30,
                                                                           decay=2.0)),
     "plateau state of 'binary' is malformed"),
])
def test_a_forged_training_state_is_refused(problem, tmp_path, change, message):
    from hogwild._model_file import _digest

    X, y = problem
    path = tmp_path / "m.hwm"
    hogwild.SGDClassifier(optimizer="adam", max_iter=30, tol=None, random_state=0, n_threads=1).fit(X, y).save(path)

    def forge(entries, metadata):
        change(entries, metadata)
        for name, value in entries.items():
            if name != "metadata":
                metadata["arrays"][name] = {"dtype": value.dtype.str, "shape": list(value.shape),
                                            "sha256": _digest(value)}
    rewrite(path, forge)
    with pytest.raises(ValueError, match=message) as raised:
        hogwild.load(path)
    assert str(raised.value).startswith(f"{path}: ")


@pytest.mark.parametrize("labels", ["two", "three"])
def test_a_sparsified_model_saves_its_weights(problem, tmp_path, labels):
    """sparsify() makes coef_ a CSR matrix, which save skipped: the file
    held no weights and did not load (found by a new-user trial)."""
    X, y = problem
    y = y if labels == "two" else np.arange(len(y)) % 3
    model = hogwild.SGDClassifier(penalty="l1", max_iter=3, tol=None, random_state=0).fit(X, y)
    dense = model.coef_.copy()
    model.sparsify()
    model.save(tmp_path / "m.hwm")
    loaded = hogwild.load(tmp_path / "m.hwm")
    assert type(loaded.coef_) is type(model.coef_)
    np.testing.assert_array_equal(loaded.coef_.toarray(), dense)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    loaded.densify()
    np.testing.assert_array_equal(loaded.coef_, dense)


def test_pickling_a_loaded_model_still_works(problem, tmp_path):
    X, y = problem
    model = hogwild.SGDClassifier(max_iter=2, tol=None).fit(X, y)
    model.save(tmp_path / "m.hwm")
    again = pickle.loads(pickle.dumps(hogwild.load(tmp_path / "m.hwm")))
    np.testing.assert_array_equal(again.predict(X), model.predict(X))


def test_saving_an_unfitted_model_raises(tmp_path):
    with pytest.raises(NotFittedError):
        hogwild.SGDClassifier().save(tmp_path / "m.hwm")
    assert not (tmp_path / "m.hwm").exists()


def test_save_leaves_no_partial_file(problem, tmp_path):
    X, y = problem
    hogwild.SGDClassifier(max_iter=2, tol=None).fit(X, y).save(tmp_path / "m.hwm")
    assert [p.name for p in tmp_path.iterdir()] == ["m.hwm"]


@pytest.fixture()
def saved(problem, tmp_path):
    X, y = problem
    path = tmp_path / "m.hwm"
    hogwild.SGDClassifier(max_iter=2, tol=None, random_state=0).fit(X, y).save(path)
    return path


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.hwm"):
        hogwild.load(tmp_path / "nope.hwm")


@pytest.mark.parametrize("keep", [0, 10, 100, 1000, -1])
def test_truncated_file(saved, keep):
    data = saved.read_bytes()
    saved.write_bytes(data[:keep] if keep >= 0 else data[:-50])
    with pytest.raises(ValueError, match="m.hwm: not a readable hogwild model file"):
        hogwild.load(saved)


def test_every_flipped_byte_is_caught_or_harmless(saved, problem):
    """A flipped bit anywhere gives ValueError, or (in zip bookkeeping that
    nothing reads) the same model: never a crash or a different model."""
    X, _ = problem
    original = hogwild.load(saved)
    data = saved.read_bytes()
    for position in range(0, len(data), max(1, len(data) // 400)):
        damaged = bytearray(data)
        damaged[position] ^= 0x10
        saved.write_bytes(bytes(damaged))
        try:
            model = hogwild.load(saved)
        except ValueError:
            continue
        np.testing.assert_array_equal(model.coef_, original.coef_)
        np.testing.assert_array_equal(model.predict(X), original.predict(X))


def rewrite(path, change):
    """Rewrite a model file with valid zip checksums but altered entries."""
    with np.load(path, allow_pickle=False) as archive:
        entries = {key: archive[key] for key in archive.files}
    metadata = json.loads(entries["metadata"].tobytes())
    change(entries, metadata)
    entries["metadata"] = np.frombuffer(json.dumps(metadata).encode(), dtype=np.uint8)
    with open(path, "wb") as f:
        np.savez(f, **entries)


def test_altered_weights_fail_their_checksum(saved):
    def change(entries, metadata):
        entries["coef_"] = entries["coef_"] * 2
    rewrite(saved, change)
    with pytest.raises(ValueError, match="'coef_' does not match its checksum"):
        hogwild.load(saved)


@pytest.mark.parametrize("change, message", [
    (lambda e, m: m.update(format_version=99), "format version 99"),
    (lambda e, m: m.update(format="something-else"), "not a hogwild model file"),
    (lambda e, m: m.update(estimator="os.system"), "unknown estimator 'os.system'"),
    (lambda e, m: m["params"].update(alpha=-1.0), "invalid hyper-parameters"),
    (lambda e, m: m["params"].update(bogus=1), "invalid hyper-parameters"),
    (lambda e, m: m["attributes"].update(__class__="x"), "unexpected attribute"),
    (lambda e, m: m["arrays"].update(__dict__=m["arrays"]["coef_"]), "unexpected array"),
    (lambda e, m: e.pop("intercept_"), "missing or unexpected array 'intercept_'"),
    (lambda e, m: m.pop("params"), "no valid 'params'"),
])
def test_altered_metadata_is_refused(saved, change, message):
    rewrite(saved, change)
    with pytest.raises(ValueError, match=message):
        hogwild.load(saved)


def test_a_pickle_inside_is_never_executed(tmp_path):
    marker = tmp_path / "executed"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    path = tmp_path / "evil.hwm"
    with open(path, "wb") as f:
        np.savez(f, metadata=np.frombuffer(b"{}", dtype=np.uint8), coef_=np.array([Payload()], dtype=object))
    with pytest.raises(ValueError, match="evil.hwm"):
        hogwild.load(path)
    assert not marker.exists()


def test_random_bytes_and_other_zip_files_are_refused(tmp_path):
    path = tmp_path / "junk.hwm"
    path.write_bytes(np.random.default_rng(0).bytes(5000))
    with pytest.raises(ValueError, match="junk.hwm"):
        hogwild.load(path)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("readme.txt", "hello")
    with pytest.raises(ValueError, match="junk.hwm"):
        hogwild.load(path)


def test_a_version_1_file_loads_and_trains_on_from_its_weights(problem, tmp_path):
    """Files written before the training state was saved (format version 1)
    load; a partial_fit then starts the optimizer anew."""
    X, y = problem
    path = tmp_path / "m.hwm"
    model = hogwild.SGDClassifier(optimizer="adam", max_iter=3, tol=None, random_state=0, n_threads=1).fit(X, y)
    model.save(path)

    def as_version_1(entries, metadata):
        metadata["format_version"] = 1
        for name in [name for name in entries if name.startswith("_optimizer_")]:
            del entries[name], metadata["arrays"][name]
        del metadata["training_state"]
    rewrite(path, as_version_1)
    loaded = hogwild.load(path)
    np.testing.assert_array_equal(loaded.coef_, model.coef_)
    assert not getattr(loaded, "_optimizer_states", None)
    loaded.partial_fit(X, y)


def test_an_older_format_version_is_refused(saved):
    rewrite(saved, lambda e, m: m.update(format_version=0))
    with pytest.raises(ValueError, match="format version 0"):
        hogwild.load(saved)


def test_a_save_that_fails_part_way_leaves_the_old_file(saved, problem, monkeypatch):
    X, y = problem
    before = saved.read_bytes()
    newer = hogwild.SGDClassifier(max_iter=3, tol=None, random_state=1).fit(X, y)

    def fail_part_way(file, **entries):
        file.write(b"PK\x03\x04 half a model")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", fail_part_way)
    with pytest.raises(OSError, match="disk full"):
        newer.save(saved)
    monkeypatch.undo()
    assert saved.read_bytes() == before
    assert hogwild.load(saved).coef_.shape == newer.coef_.shape


@pytest.mark.parametrize("params", [dict(average=10), dict(solver="sequential", average=True)])
def test_a_loaded_model_shares_its_arrays_as_the_saved_one_did(problem, tmp_path, params):
    """With averaging, coef_ and intercept_ are views of the averaged arrays
    (scikit-learn's bookkeeping); they come back as views, not copies."""
    X, y = problem
    model = hogwild.SGDClassifier(max_iter=2, tol=None, random_state=0, **params).fit(X.astype(np.float64), y)
    model.save(tmp_path / "m.hwm")
    loaded = hogwild.load(tmp_path / "m.hwm")
    for fitted, kept in [("coef_", "_average_coef"), ("intercept_", "_average_intercept")]:
        assert np.shares_memory(getattr(model, fitted), getattr(model, kept)), fitted
        assert np.shares_memory(getattr(loaded, fitted), getattr(loaded, kept)), fitted


def test_a_save_that_fails_leaves_neither_a_model_nor_a_partial_file(problem, tmp_path, monkeypatch):
    """A full disk (here: np.savez failing midway) must not leave a
    half-written model or its .partial file behind; an earlier model under
    the same name stays as it was."""
    X, y = problem
    model = hogwild.SGDClassifier(max_iter=2, tol=None, n_threads=1, random_state=0).fit(X, y)
    path = tmp_path / "model.hwm"
    path.write_bytes(b"the earlier model")

    def full_disk(f, **arrays):
        f.write(b"half a model")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez", full_disk)
    with pytest.raises(OSError, match="No space left on device"):
        model.save(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.hwm"]
    assert path.read_bytes() == b"the earlier model"


def saved_members(model):
    """The members of `model`'s file: name -> bytes."""
    buffer = io.BytesIO()
    model.save(buffer)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def rezip(members, compression=zipfile.ZIP_STORED):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    buffer.seek(0)
    return buffer


def npy(array):
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def with_metadata(members, change):
    metadata = json.loads(np.load(io.BytesIO(members["metadata.npy"])).tobytes().decode())
    change(metadata)
    return {**members, "metadata.npy": npy(np.frombuffer(json.dumps(metadata).encode(), dtype=np.uint8))}


def test_hostile_model_files_are_refused_with_a_value_error_naming_them(problem):
    """Issue 14, fault 4: hostile files raised TypeError, AttributeError,
    KeyError or RecursionError, and a small file whose extra member
    inflated to gigabytes was inflated whole before loading."""
    X, y = problem
    members = saved_members(hogwild.SGDClassifier(max_iter=2, tol=None, n_threads=1).fit(X, y))
    coef_member = next(name for name in members if name.startswith("coef_"))
    hostile = {
        # a member no metadata declares, deflated: 40 MB of zeros in a few kB
        "an extra member": (rezip({**members, "bomb.npy": b"\0" * 40_000_000}, zipfile.ZIP_DEFLATED),
                            "unexpected member"),
        # a declared array that inflates far past its declared shape
        "an oversized array": (rezip({**members, coef_member: npy(np.zeros(5_000_000))}, zipfile.ZIP_DEFLATED),
                               "more than the"),
        "an array declared as a number": (rezip(with_metadata(members, lambda m: m["arrays"].update(coef_=3))),
                                       "no valid declared shape"),
        "aliases of the wrong shape": (rezip(with_metadata(members, lambda m: m.update(aliases={"coef_": 5}))),
                                       "malformed|bad array alias"),
        "a history that is not a list": (rezip(with_metadata(members, lambda m: m.update(history=7))),
                                         "malformed"),
        "deeply nested JSON": (rezip({**members, "metadata.npy": npy(np.frombuffer(b"[" * 100_000 + b"]" * 100_000,
                                                                                   dtype=np.uint8))}),
                               "not valid JSON"),
    }
    for what, (file, message) in hostile.items():
        file.name = f"{what}.hwm"
        with pytest.raises(ValueError, match=message) as raised:
            hogwild.load(file)
        assert str(raised.value).startswith(f"{what}.hwm: "), what


def forged(path, arrays=None, attributes=None):
    """Rewrite a model file with changed arrays and attributes and their
    checksums recomputed: a file edited on purpose, which the checksums
    alone do not catch."""
    from hogwild._model_file import _digest

    def change(entries, metadata):
        for array_name, value in (arrays or {}).items():
            value = np.asarray(value)
            entries[array_name] = value
            metadata["arrays"][array_name] = {"dtype": value.dtype.str, "shape": list(value.shape),
                                              "sha256": _digest(value)}
        metadata["attributes"].update(attributes or {})
    rewrite(path, change)


# (arrays from the saved model m, attributes, message)
EDITED_MODELS = [
    (lambda m: dict(coef_=np.full_like(m.coef_, np.nan)), {}, "coef_ holds NaN or infinity"),
    (lambda m: dict(intercept_=np.array([np.inf])), {}, "intercept_ holds NaN or infinity"),
    (lambda m: dict(intercept_=np.zeros(5)), {}, r"intercept_ must be a float array of shape \(1,\)"),
    (lambda m: dict(coef_=m.coef_.astype(complex)), {}, "coef_ does not match n_features_in_"),
    (lambda m: dict(coef_=m.coef_.ravel()), {}, r"coef_ has shape \(300,\), expected \(1, 300\) for 2 classes"),
    (lambda m: dict(classes_=np.array([1])), {}, "classes_ must be a 1-D array of at least 2 classes"),
    (lambda m: dict(classes_=np.array([0, 1, 2])), {}, r"coef_ has shape \(1, 300\), expected \(3, 300\)"),
    (lambda m: dict(_expanded_class_weight=np.array([1.0, np.nan])), {}, "the class weights do not match classes_"),
    (lambda m: {}, dict(t_="x"), "t_ must be a finite number >= 1"),
    (lambda m: {}, dict(n_iter_=[1]), "n_iter_ must be a non-negative integer"),
    (lambda m: {}, dict(eta0_="x"), "eta0_ must be a finite number"),
    (lambda m: dict(classes_=np.array([0.0, np.nan])), {}, "classes_ must hold distinct labels"),
    (lambda m: dict(classes_=np.array([1, 1])), {}, "classes_ must hold distinct labels"),
    (lambda m: {}, dict(n_features_in_=300.0), "n_features_in_ must be an integer"),
]


@pytest.mark.parametrize("arrays, attributes, message", EDITED_MODELS)
def test_a_model_file_edited_with_its_checksums_is_checked_for_consistency(saved, arrays, attributes, message):
    """Issue 14: arrays that disagree with one another, non-finite weights
    and wrong-typed attributes loaded, and failed later (IndexError in
    predict) or predicted NaN."""
    forged(saved, arrays(hogwild.load(saved)), attributes)
    with pytest.raises(ValueError, match=message) as raised:
        hogwild.load(saved)
    assert str(raised.value).startswith(f"{saved}: ")


def test_a_model_file_still_loads_after_a_forged_rewrite_that_changes_nothing(saved, problem):
    """(the forging helper itself keeps a valid file valid)"""
    X, _ = problem
    original = hogwild.load(saved)
    forged(saved, {"coef_": original.coef_})
    np.testing.assert_array_equal(hogwild.load(saved).predict(X), original.predict(X))


def test_a_matrix_factorization_file_with_nan_factors_or_repeated_ids_is_refused(tmp_path):
    rng = np.random.RandomState(0)
    users, items = rng.randint(0, 30, 600), rng.randint(0, 20, 600)
    pairs = np.unique(np.stack([users, items], axis=1), axis=0)
    model = hogwild.MatrixFactorization(n_factors=4, max_iter=2).fit(pairs, rng.uniform(1, 5, len(pairs)))
    path = tmp_path / "mf.hwm"
    for arrays, message in ((dict(user_factors_=np.full_like(model.user_factors_, np.nan)), "do not agree"),
                            (dict(user_ids_=np.zeros_like(model.user_ids_)), "do not agree")):
        model.save(path)
        forged(path, arrays)
        with pytest.raises(ValueError, match=message):
            hogwild.load(path)
    # (an edited n_iter_ loaded, and the next partial_fit met a TypeError; a
    # new user's trial)
    for attribute, value in (("n_iter_", "x"), ("n_iter_", -1), ("n_threads_", 0)):
        members = saved_members(model)
        edited = rezip(with_metadata(members, lambda m: m["attributes"].update({attribute: value})))
        edited.name = "edited.hwm"
        with pytest.raises(ValueError, match=f"edited.hwm: {attribute} must be an integer >= "):
            hogwild.load(edited)


def test_a_special_file_is_refused_without_blocking(tmp_path):
    """A FIFO blocked the loader forever (and /dev/zero read until memory ran out)."""
    fifo = tmp_path / "model.hwm"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match="not a regular file"):
        hogwild.load(fifo)
    if os.path.exists("/dev/zero"):
        with pytest.raises(ValueError, match="/dev/zero: not a regular file"):
            hogwild.load("/dev/zero")


def test_metadata_of_many_small_values_is_refused_before_it_is_parsed(problem):
    """A 260 KB file of `{},` history records took 6.3 GB as Python objects."""
    from hogwild._model_file import MAX_METADATA_VALUES

    X, y = problem
    members = saved_members(hogwild.SGDClassifier(max_iter=2, tol=None, n_threads=1).fit(X, y))
    bomb = rezip(with_metadata(members, lambda m: m.update(history=[{}] * (MAX_METADATA_VALUES // 2 + 1))),
                 zipfile.ZIP_DEFLATED)
    bomb.name = "bomb.hwm"
    with pytest.raises(ValueError, match="bomb.hwm: the model file's metadata holds more values"):
        hogwild.load(bomb)


def test_save_refuses_a_history_that_load_would_refuse(problem, tmp_path, monkeypatch):
    """(a file that saves must load: the limits are checked on both sides)
    The message says how many of the last records would fit (it said the
    last 100,000, whatever the history's length), and they do."""
    from hogwild import _model_file

    X, y = problem
    model = hogwild.SGDClassifier(max_iter=2, tol=None, n_threads=1).fit(X, y)
    monkeypatch.setattr(_model_file, "MAX_METADATA_VALUES", 5000)
    model.history_ = model.history_ * 1000
    with pytest.raises(ValueError, match=r"cannot save a history_ of 2000 records.*keep the last \d+ or fewer") as error:
        model.save(tmp_path / "long.hwm")
    keep = int(re.search(r"keep the last (\d+)", str(error.value)).group(1))
    assert 100 < keep < 2000
    model.history_ = model.history_[-keep:]
    model.save(tmp_path / "long.hwm")
    assert len(hogwild.load(tmp_path / "long.hwm").history_) == keep
    # records of different sizes (an async run's last epoch: a long staleness
    # histogram): the count comes from the records themselves, not from
    # their mean (which advised 783, then 628, then 533 where 469 fitted)
    long = dict(model.history_[-1], staleness=list(range(200)))
    model.history_ = model.history_ * 2 + [long] * 20
    with pytest.raises(ValueError, match=r"keep the last \d+ or fewer") as error:
        model.save(tmp_path / "mixed.hwm")
    keep = int(re.search(r"keep the last (\d+)", str(error.value)).group(1))
    model.history_ = model.history_[-keep:]
    model.save(tmp_path / "mixed.hwm")
    model.history_ = [model.history_[0]] + model.history_  # one more does not fit
    with pytest.raises(ValueError, match="cannot save a history_"):
        model.save(tmp_path / "mixed.hwm")


def test_averaging_buffers_left_by_an_earlier_averaged_fit_do_not_block_loading(tmp_path):
    """A refit with average off keeps the buffers of an averaged fit on
    other data (as scikit-learn does): stale and unused, not checked."""
    rng = np.random.RandomState(0)
    model = hogwild.SGDRegressor(solver="sequential", average=True, max_iter=3, tol=None)
    model.fit(rng.rand(40, 5), rng.rand(40))
    model.set_params(average=False).fit(rng.rand(40, 7), rng.rand(40))
    model.save(tmp_path / "refit.hwm")
    assert hogwild.load(tmp_path / "refit.hwm").coef_.shape == (7,)


def test_a_random_state_generator_is_saved_as_none_with_a_warning(tmp_path):
    """A RandomState's state is not kept: said at saving (it was silent,
    and a reloaded estimator's fits no longer repeated; a new user's
    trial), the file loads with random_state=None."""
    X, y = np.random.default_rng(0).normal(size=(40, 3)), np.arange(40) % 2
    model = hogwild.SGDClassifier(max_iter=2, tol=None, random_state=np.random.RandomState(0)).fit(X, y)
    with pytest.warns(UserWarning, match="random_state is a RandomState instance: the model file keeps "
                                         "random_state=None"):
        model.save(tmp_path / "m.hwm")
    assert hogwild.load(tmp_path / "m.hwm").get_params()["random_state"] is None


def test_saving_to_a_path_that_cannot_be_written_names_that_path(tmp_path):
    """(the errors named the file written aside, 'x.hwm.partial'; a new
    user's trial)"""
    X, y = np.random.default_rng(0).normal(size=(40, 3)), np.arange(40) % 2
    model = hogwild.SGDClassifier(max_iter=2, tol=None, random_state=0).fit(X, y)
    missing = tmp_path / "no" / "x.hwm"
    with pytest.raises(FileNotFoundError, match=r"No such directory to write the model file in: '.*no/x\.hwm'$"):
        model.save(missing)
    with pytest.raises(IsADirectoryError, match=r"Is a directory, not a model file: '.*'$"):
        model.save(tmp_path)
    assert list(tmp_path.iterdir()) == []
