"""Issue 14's faults of state and concurrency: an interrupted fit leaves a
whole estimator; one estimator fitted from two threads at once is refused,
not corrupted."""

import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest
import scipy.sparse as sp

import hogwild


def test_ctrl_c_leaves_every_fitted_attribute_set_with_the_finished_epochs():
    """Fault 3: after Ctrl-C, coef_ was 1-D, n_iter_ missing and t_ 1.0.
    Now the estimator holds the weights of the epochs that finished, with
    n_iter_, t_ and history_ up to them (binary and one-vs-rest: the
    classes after the interrupted one keep their starting weights)."""
    script = textwrap.dedent("""
        import os, signal, threading, json, io
        import numpy as np
        import hogwild
        from hogwild.datasets import make_sparse_classification
        X, y = make_sparse_classification(100000, 5000, 20, random_state=0)
        out = {}
        for name, labels in (("binary", y), ("multiclass", (y > 0).astype(int) + (X[:, 0].toarray().ravel() > 0))):
            model = hogwild.SGDClassifier(max_iter=10**6, tol=None, n_threads=2, random_state=0)
            threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
            try:
                model.fit(X, labels)
                out[name] = "not interrupted"
                continue
            except KeyboardInterrupt:
                pass
            buffer = io.BytesIO()
            model.save(buffer)
            buffer.seek(0)
            loaded = hogwild.load(buffer)
            out[name] = dict(coef_shape=list(model.coef_.shape), n_iter=model.n_iter_, t=model.t_,
                             rows=X.shape[0], epochs=len({r["epoch"] for r in model.history_}),
                             score=model.score(X, labels), same=bool(np.array_equal(loaded.coef_, model.coef_)),
                             classes=len(model.classes_))
        print(json.dumps(out))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    import json

    result = json.loads(done.stdout.strip().splitlines()[-1])
    binary, multiclass = result["binary"], result["multiclass"]
    assert binary["coef_shape"] == [1, 5000] and binary["n_iter"] >= 1
    assert binary["epochs"] == binary["n_iter"] and binary["t"] == 1.0 + binary["n_iter"] * binary["rows"]
    assert binary["score"] > 0.6 and binary["same"]
    assert multiclass["coef_shape"] == [3, 5000] and multiclass["classes"] == 3 and multiclass["same"]
    assert isinstance(multiclass["n_iter"], int) and multiclass["t"] == 1.0 + multiclass["n_iter"] * 100000


def test_a_second_fit_of_one_estimator_from_another_thread_is_refused():
    """Fault 5: two threads fitting one estimator raised an internal
    AttributeError and left it unusable. The second is refused at once;
    the first finishes its model."""
    rng = np.random.RandomState(0)
    X = sp.random(2000, 50, density=0.2, random_state=rng, format="csr")
    y = (X @ rng.normal(size=50) > 0).astype(int)
    started, tried = threading.Event(), threading.Event()

    def hold(record):
        started.set()
        tried.wait(10)

    model = hogwild.SGDClassifier(max_iter=3, tol=None, n_threads=1, random_state=0)
    first = threading.Thread(target=lambda: model.fit(X, y, callbacks=[hold]))
    first.start()
    assert started.wait(10)
    try:
        with pytest.raises(RuntimeError, match="this SGDClassifier is being fitted already \\(in another thread\\)"):
            model.fit(X, y)
    finally:
        tried.set()
        first.join(30)
    assert not first.is_alive()
    reference = hogwild.SGDClassifier(max_iter=3, tol=None, n_threads=1, random_state=0).fit(X, y)
    np.testing.assert_array_equal(model.coef_, reference.coef_)
    model.fit(X, y)  # free again once the first is done


# ---------------------------------------------------------------- after the second attack (issue 14)


def float_index_matrix(fill):
    X = sp.csr_matrix(np.random.RandomState(0).rand(60, 6))
    X.indices = X.indices.astype(np.float64)
    X.indices[7] = fill
    return X


@pytest.mark.parametrize("fill", [np.nan, 5.5, 2.0])
@pytest.mark.parametrize("solver", ["hogwild", "sequential", "minibatch", "buckwild"])
def test_csr_indices_that_are_not_integers_are_refused_everywhere(fill, solver):
    """Float indices holding NaN compared False with every bound and became
    INT_MIN: a segmentation fault; 5.5 was silently read as column 5."""
    X, y = float_index_matrix(fill), np.arange(60) % 2
    message = "X.indices must hold integers, got dtype float64"
    with pytest.raises(TypeError, match=message):
        hogwild.SGDClassifier(solver=solver, max_iter=2, tol=None).fit(X, y)
    with pytest.raises(TypeError, match=message):
        hogwild.SGDRegressor(solver=solver, max_iter=2, tol=None).partial_fit(X, y.astype(float))
    fitted = hogwild.SGDClassifier(solver=solver, max_iter=2, tol=None).fit(np.random.RandomState(1).rand(60, 6), y)
    for method in ("predict", "decision_function"):
        with pytest.raises(TypeError, match=message):
            getattr(fitted, method)(X)


def test_weights_beyond_float32_are_an_overflow_error_not_an_infinite_model():
    """Training runs in float64; the model takes X's float32, where weights
    above 3.4e38 became inf with no error."""
    from hogwild.datasets import load_a9a

    X, y, _, _ = load_a9a()
    X, y = X[:3000], y[:3000]
    assert X.dtype == np.float32
    model = hogwild.SGDClassifier(solver="sequential", loss="perceptron", learning_rate="constant", eta0=1e40,
                                  alpha=0, max_iter=5, tol=None)
    with pytest.raises(ValueError, match=r"Floating-point under-/overflow occurred at epoch #\d+.*exceed the "
                                         r"range of float32"):
        model.fit(X, y)
    # (float64 X keeps those weights, finite)
    model.fit(X.astype(np.float64), y)
    assert np.all(np.isfinite(model.coef_))


@pytest.mark.parametrize("solver", ["hogwild", "sequential", "local", "async", "buckwild", "minibatch", "gd"])
@pytest.mark.parametrize("argument", ["coef_init", "intercept_init"])
def test_a_warm_start_with_nan_or_infinity_is_refused(solver, argument):
    """buckwild's fixed point turned a NaN coef_init into 0 and an infinite
    one into 3e38, and trained on."""
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(40, 3)), rng.normal(size=40)
    bad = {"coef_init": np.array([0.0, np.nan, 0.0], dtype=object), "intercept_init": np.array([np.inf])}[argument]
    with pytest.raises(ValueError, match=f"{argument} contains NaN or infinity"):
        hogwild.SGDRegressor(solver=solver, max_iter=2, tol=None).fit(X, y, **{argument: bad})
    with pytest.raises(ValueError, match=f"{argument} contains NaN or infinity"):
        hogwild.SGDClassifier(solver=solver, max_iter=2, tol=None).fit(X, y > 0, **{argument: bad})


@pytest.mark.parametrize("name, value", [
    ("max_iter", 2**31), ("n_iter_no_change", 2**31), ("step_epochs", 2**31), ("max_staleness", 2**31),
    ("n_threads", 2**31), ("batch_size", 2**63), ("sync_every", 2**63), ("shuffle_block_size", 2**63),
    ("shuffle_buffer_blocks", 2**63), ("hot_features", 2**63), ("node_sync_every", 2**63), ("average", 2**63),
])
def test_counts_beyond_the_cores_integers_are_refused_by_name(name, value):
    """They passed scikit-learn's checks and failed in pybind11's conversion
    (RuntimeError: Unable to cast Python instance...)."""
    X, y = np.random.RandomState(0).rand(30, 3), np.arange(30) % 2
    with pytest.raises(ValueError, match=f"The '{name}' parameter of SGDClassifier must be"):
        hogwild.SGDClassifier(**{name: value}).fit(X, y)


def test_an_index_beyond_what_a_sparse_matrix_holds_is_a_value_error(tmp_path):
    from hogwild.datasets import load_svmlight

    path = tmp_path / "huge.svm"
    path.write_text("1 9223372036854775807:1\n")
    with pytest.raises(ValueError, match="huge.svm: feature index 9223372036854775807 needs 9223372036854775808 "
                                         "columns, more than a sparse matrix can hold"):
        load_svmlight(path, zero_based=True)


@pytest.mark.parametrize("estimator, labels", [(hogwild.SGDClassifier, [0, 1, 0]), (hogwild.SGDClassifier, [0, 1, 2]),
                                               (hogwild.SGDRegressor, [0.5, 1.5, 2.5])])
def test_a_model_beyond_the_memory_available_is_refused_before_any_allocation(monkeypatch, estimator, labels):
    """A feature index of 2**31 in a 2-line svmlight file: 16 GiB of
    weights, which training holds several times; the process was killed
    by the kernel after minutes (a new user's trial). With 1 GiB
    available: 2**25 features need 640 MiB (trained; three classes 1,152
    MiB: 8 bytes a weight of each and 12 a feature: refused), 2**26 need
    1,280 (refused)."""
    from hogwild import _memory

    monkeypatch.setattr(_memory, "available_memory", lambda: 2**30)

    def X_of(n_features):
        return sp.csr_matrix((np.ones(3, np.float32), np.array([1, 2, 3]), np.array([0, 1, 2, 3])),
                             shape=(3, n_features))

    fits = len(set(labels)) < 3 or estimator is hogwild.SGDRegressor
    model = estimator(max_iter=1, tol=None, n_threads=1)
    if fits:
        assert model.fit(X_of(2**25), labels).coef_.shape[-1] == 2**25
    with pytest.raises(MemoryError, match=r"^X has 67108864 features \(n_features_in_: the largest column index "
                                          r"\+ 1\): training a model of 67108864 float64 weights needs at least "
                                          r"1,280 MiB, more than the 1,024 MiB of memory available$"):
        estimator(max_iter=1, tol=None).fit(X_of(2**26), [0, 1, 0])
    if not fits:
        with pytest.raises(MemoryError, match="33554432 float64 weights for each of 3 classes needs at least 1,152 MiB"):
            model.fit(X_of(2**25), labels)


def fake_system(root, meminfo_gib, cgroup_line, groups):
    """/proc and /sys under `root`: MemAvailable of `meminfo_gib` GiB, no
    swap, /proc/self/cgroup's line, and {folder: (file names, limit,
    usage, reclaimable cache)} in GiB."""
    (root / "proc" / "self").mkdir(parents=True)
    (root / "proc" / "meminfo").write_text(f"MemTotal: 99 kB\nMemAvailable: {meminfo_gib * 2**20} kB\n")
    (root / "proc" / "self" / "cgroup").write_text(cgroup_line + "\n")
    for folder, (names, limit, usage, cache) in groups.items():
        path = root / "sys" / "fs" / "cgroup" / folder
        path.mkdir(parents=True, exist_ok=True)
        (path / names[0]).write_text("max\n" if limit is None else f"{int(limit * 2**30)}\n")
        (path / names[1]).write_text(f"{int(usage * 2**30)}\n")
        (path / "memory.stat").write_text(f"{names[2]} {int(cache * 2**30)}\nother 5\n")


V1 = ("memory.limit_in_bytes", "memory.usage_in_bytes", "total_inactive_file")
V2 = ("memory.max", "memory.current", "inactive_file")


@pytest.mark.parametrize("cgroup_line, groups, expected_gib", [
    # cgroup v1: the process's group (4 GiB, 3.9 used of which 3 page cache: 3.1 left)...
    ("4:memory:/jobs/one", {"memory": (V1, None, 9, 0), "memory/jobs": (V1, 8, 1, 0),
                            "memory/jobs/one": (V1, 4, 3.9, 3)}, 3.1),
    # ... and a parent's tighter room (2 GiB, 1.5 used): 0.5
    ("4:memory:/jobs/one", {"memory": (V1, None, 9, 0), "memory/jobs": (V1, 2, 1.5, 0),
                            "memory/jobs/one": (V1, 4, 3.9, 3)}, 0.5),
    # cgroup v2, no limit anywhere: MemAvailable
    ("0::/user/app", {"": (V2, None, 1, 0), "user": (V2, None, 1, 0), "user/app": (V2, None, 1, 0)}, 20),
    # cgroup v2 with a limit; the root's folder holds cgroup.controllers
    ("0::/user/app", {"": (V2, None, 1, 0), "user": (V2, None, 1, 0), "user/app": (V2, 6, 2.5, 0.5)}, 4),
    # a namespaced path not found under the mount: the mount is the process's group
    ("0::/../elsewhere", {"": (V2, 3, 1, 0)}, 2),
])
def test_the_memory_available_is_the_tightest_of_the_system_and_the_cgroups(tmp_path, cgroup_line, groups,
                                                                             expected_gib):
    """The review's cases: the root cgroup was read instead of the
    process's own (whose limit went unseen), and reclaimable page cache
    (the data file just read) counted as used."""
    from hogwild import _memory

    fake_system(tmp_path, 20, cgroup_line, groups)
    if cgroup_line.startswith("0::"):
        (tmp_path / "sys" / "fs" / "cgroup" / "cgroup.controllers").write_text("memory\n")
    assert _memory.available_memory(str(tmp_path)) == pytest.approx(expected_gib * 2**30, abs=2)


def test_the_memory_available_is_none_where_the_system_does_not_say(tmp_path):
    from hogwild import _memory

    assert _memory.available_memory(str(tmp_path)) is None
