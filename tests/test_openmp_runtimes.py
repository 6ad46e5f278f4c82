"""hogwild's OpenMP runtime beside others (issue "wheels"): the wheel
bundles its own libgomp, as scikit-learn's does. Training with both in one
process works; threadpoolctl sees hogwild's runtime and its limit holds;
no training hangs after fork (GNU libgomp's idle threads do not survive it).

The scripts that could hang or crash run in a subprocess of their own
session, killed with every process it started after TIMEOUT seconds: a
deadlock fails its test instead of hanging the run.
"""

import ctypes
import inspect
import json
import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import threadpoolctl

from hogwild import _core

TIMEOUT = 60

# (/proc/self/maps, dladdr, fork and GNU libgomp: the Linux wheel's world)
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")


# the data of every fit here: enough stored values (12,000 x 20) for two
# threads by default (at most one per 100,000), small enough to take ms
def data(seed=0, n=12000, d=20):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    return X, (X @ rng.standard_normal(d) > 0).astype(int)


def hogwild_fit(seed=0, n_threads=None):
    import hogwild

    X, y = data(seed)
    est = hogwild.SGDClassifier(n_threads=n_threads, max_iter=5, tol=None, random_state=0).fit(X, y)
    return {"score": est.score(X, y), "threads": est.history_[-1]["threads"]}


# the scripts' own copies
HELPERS = "import numpy as np\n\n" + inspect.getsource(data) + "\n" + inspect.getsource(hogwild_fit)

needs_two_cpus = pytest.mark.skipif(_core.usable_cpu_count() < 2, reason="needs 2 usable CPUs to train on 2 threads")


def run_script(body, env=None):
    """The JSON the script's last line prints; fails the test when the
    script fails, or when it has not ended after TIMEOUT seconds."""
    script = HELPERS + textwrap.dedent(body)
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True, env=None if env is None else {**os.environ, **env})
    try:
        out, err = process.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # (and the pool's children, hung or not)
        out, err = process.communicate()
        pytest.fail(f"hung: no end after {TIMEOUT} s; output so far:\n{out}\n{err}")
    assert process.returncode == 0, f"exit status {process.returncode}:\n{out}\n{err}"
    return json.loads(out.strip().splitlines()[-1])


class _DlInfo(ctypes.Structure):
    _fields_ = [("dli_fname", ctypes.c_char_p), ("dli_fbase", ctypes.c_void_p),
                ("dli_sname", ctypes.c_char_p), ("dli_saddr", ctypes.c_void_p)]


def openmp_runtime_of(extension_file):
    """Real path of the library whose omp_get_max_threads the extension
    module calls: the dynamic linker's own answer, searching from the
    module as its calls are resolved."""
    libc = ctypes.CDLL(None)
    dladdr = libc.dladdr if hasattr(libc, "dladdr") else ctypes.CDLL("libdl.so.2").dladdr
    dladdr.argtypes = [ctypes.c_void_p, ctypes.POINTER(_DlInfo)]
    symbol = ctypes.cast(ctypes.CDLL(extension_file).omp_get_max_threads, ctypes.c_void_p).value
    info = _DlInfo()
    assert dladdr(symbol, ctypes.byref(info)), f"dladdr found no library for {extension_file}"
    return os.path.realpath(os.fsdecode(info.dli_fname))


def mapped_libgomps():
    with open("/proc/self/maps") as maps:
        return {os.path.realpath(line.split(None, 5)[5].strip()) for line in maps
                if len(line.split(None, 5)) == 6 and "libgomp" in line}


def hogwild_runtime():
    return openmp_runtime_of(_core.__file__)


def sklearn_runtime():
    from sklearn.utils import _openmp_helpers

    return openmp_runtime_of(_openmp_helpers.__file__)


def test_hogwild_openmp_runtime_is_the_libgomp_its_core_links():
    """The library that answers the core's OpenMP calls is a libgomp this
    process mapped, and the answer of _core.openmp_max_threads is its
    omp_get_max_threads (the one the default thread count reads)."""
    runtime = hogwild_runtime()
    assert "libgomp" in os.path.basename(runtime)
    assert runtime in mapped_libgomps()
    assert _core.openmp_max_threads() == ctypes.CDLL(runtime).omp_get_max_threads()


@needs_two_cpus
@pytest.mark.parametrize("loaded_first", ["sklearn", "hogwild"])
def test_sklearn_and_hogwild_openmp_runtimes_alternate_in_one_process(loaded_first):
    """scikit-learn's HistGradientBoostingClassifier (OpenMP, its own
    libgomp) and a 2-thread hogwild fit, three times each, alternating."""
    hogwild_gomp, sklearn_gomp = hogwild_runtime(), sklearn_runtime()
    if hogwild_gomp == sklearn_gomp:
        pytest.skip(f"scikit-learn and hogwild share one OpenMP runtime here ({hogwild_gomp})")
    result = run_script("""
        import LOADED_FIRST
        import json
        import threadpoolctl
        from sklearn.ensemble import HistGradientBoostingClassifier

        X, y = data(1)
        rounds = []
        for _ in range(3):
            boosted = HistGradientBoostingClassifier(max_iter=10, random_state=0).fit(X, y)
            rounds.append({"boosting": boosted.score(X, y), **hogwild_fit(n_threads=2)})
        openmp = sorted(lib["filepath"] for lib in threadpoolctl.threadpool_info() if lib["user_api"] == "openmp")
        print(json.dumps({"rounds": rounds, "openmp": openmp}))
    """.replace("LOADED_FIRST", loaded_first))
    assert hogwild_gomp in result["openmp"] and sklearn_gomp in result["openmp"]
    for r in result["rounds"]:
        assert r["boosting"] > 0.8 and r["score"] > 0.95 and r["threads"] == 2, result["rounds"]


@needs_two_cpus
@pytest.mark.parametrize("limits", [1, {"openmp": 1}, "hogwild's runtime alone"])
def test_threadpoolctl_sees_and_limits_hogwild_runtime(limits):
    """threadpoolctl lists the core's libgomp; under its limit of 1 the
    default (n_threads=None) trains on one thread, an explicit n_threads
    as given; the default is back to 2 once the limit is lifted."""
    runtime = hogwild_runtime()
    listed = [lib for lib in threadpoolctl.threadpool_info() if lib["user_api"] == "openmp"]
    assert runtime in [os.path.realpath(lib["filepath"]) for lib in listed]
    assert hogwild_fit()["threads"] == 2
    if limits == "hogwild's runtime alone":
        limit = threadpoolctl.ThreadpoolController().select(filepath=runtime).limit(limits=1)
    else:
        limit = threadpoolctl.threadpool_limits(limits=limits)
    with limit:
        assert _core.openmp_max_threads() == 1
        assert hogwild_fit()["threads"] == 1
        assert hogwild_fit(n_threads=2)["threads"] == 2
    assert hogwild_fit()["threads"] == 2


@needs_two_cpus
def test_a_blas_limit_leaves_hogwild_threads_alone():
    with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
        assert hogwild_fit()["threads"] == 2


@needs_two_cpus
def test_omp_num_threads_caps_the_default_threads():
    result = run_script("""
        import json
        from hogwild import MatrixFactorization, _core
        from hogwild.datasets import _thread_count

        print(json.dumps({"max": _core.openmp_max_threads(), "default": hogwild_fit()["threads"],
                          "explicit": hogwild_fit(n_threads=2)["threads"], "datasets": _thread_count(None),
                          "factorization": MatrixFactorization(solver="blocks")._threads(10**6)}))
    """, env={"OMP_NUM_THREADS": "1"})
    assert result == {"max": 1, "default": 1, "explicit": 2, "datasets": 1, "factorization": 1}


@needs_two_cpus
def test_fork_children_of_a_multithreaded_parent_train_and_do_not_hang():
    """multiprocessing's "fork" pool after a 2-thread fit in the parent.
    libgomp's pool of the forking thread is a stale copy in the child (its
    next team of 2 waited forever): the children train on one thread there;
    a new thread of the child, or a child forked before the parent's
    2-thread fit, trains on 2. The core's other parallel calls (matrix
    factorization, the generator, the svmlight reader) hung as well."""
    result = run_script("""
        import io
        import json
        import multiprocessing
        import threading

        def other_calls(seed):
            from hogwild import MatrixFactorization
            from hogwild.datasets import load_svmlight, make_ratings, make_sparse_classification

            users, items, ratings = make_ratings(400, 300, 20_000, random_state=seed)
            factors = MatrixFactorization(n_factors=4, n_threads=2, max_iter=3, random_state=0)
            factors.fit((users, items), ratings)
            generated, _ = make_sparse_classification(5000, 100, 5, random_state=seed, n_threads=2)
            text = b"".join(b"%d 1:%d 3:%d\\n" % (i % 2, i, -i) for i in range(5000))
            parsed, _ = load_svmlight(io.BytesIO(text), n_threads=2)
            return {"factorization_threads": factors.n_threads_,
                    "factorization_score": factors.score((users, items), ratings),
                    "generated": generated.shape[0], "parsed": parsed.shape[0]}

        def on_new_thread(seed):
            out = []
            thread = threading.Thread(target=lambda: out.append(hogwild_fit(seed)))
            thread.start()
            thread.join()
            return out[0]

        if __name__ == "__main__":
            context = multiprocessing.get_context("fork")
            with context.Pool(1) as forked_before:
                parent = hogwild_fit(n_threads=2)
                with context.Pool(2) as forked_after:
                    defaults = forked_after.map(hogwild_fit, [1, 2])
                    explicit = forked_after.starmap(hogwild_fit, [(3, 2), (4, 2)])
                    new_thread = forked_after.map(on_new_thread, [5, 6])
                    others = forked_after.map(other_calls, [8, 9])
                before = forked_before.map(hogwild_fit, [7])
            print(json.dumps({"parent": parent, "defaults": defaults, "explicit": explicit,
                              "new_thread": new_thread, "before": before, "others": others}))
    """)
    assert result["parent"]["threads"] == 2
    for name, threads in (("defaults", 1), ("explicit", 1), ("new_thread", 2), ("before", 2)):
        for child in result[name]:
            assert child["score"] > 0.95 and child["threads"] == threads, (name, result[name])
    for child in result["others"]:
        assert child["factorization_threads"] == 1 and child["factorization_score"] > 0.1, result["others"]
        assert child["generated"] == 5000 and child["parsed"] == 5000, result["others"]


@needs_two_cpus
def test_fork_children_check_a_large_csr_matrix_after_the_parent_did():
    """The check of a CSR matrix of 2**20 stored values or more scans it on
    every usable CPU; after the parent had checked one, a forked child's
    fit or predict on it waited forever in that scan (found by a new-user
    trial: a multiprocessing "fork" pool, n_threads=1 everywhere)."""
    result = run_script("""
        import json
        import multiprocessing
        import numpy as np
        import scipy.sparse as sp
        from hogwild import SGDClassifier

        X = sp.random(100_000, 1000, density=0.011, format="csr", random_state=0)
        y = np.arange(X.shape[0]) % 2

        def fit_and_predict(alpha):
            model = SGDClassifier(alpha=alpha, max_iter=1, tol=None, n_threads=1).fit(X, y)
            return int(model.predict(X).shape[0])

        if __name__ == "__main__":
            parent = fit_and_predict(1e-4)
            with multiprocessing.get_context("fork").Pool(2) as pool:
                children = pool.map(fit_and_predict, [1e-5, 1e-3])
            print(json.dumps({"nnz": int(X.nnz), "parent": parent, "children": children}))
    """)
    assert result["nnz"] >= 2**20 and result["children"] == [result["parent"]] * 2


@needs_two_cpus
def test_loky_children_of_a_multithreaded_parent_train():
    """joblib's loky workers start as new processes (no fork): they train
    with the default threads, which joblib's limit for its workers caps."""
    result = run_script("""
        import json
        from joblib import Parallel, delayed

        def child(seed):
            from hogwild import _core

            return dict(hogwild_fit(seed), expected=min(_core.usable_cpu_count(), _core.openmp_max_threads()))

        if __name__ == "__main__":
            parent = hogwild_fit(n_threads=2)
            children = Parallel(n_jobs=2, backend="loky")(delayed(child)(seed) for seed in (1, 2, 3, 4))
            print(json.dumps({"parent": parent, "children": children}))
    """)
    assert result["parent"]["threads"] == 2
    assert len(result["children"]) == 4
    for child in result["children"]:
        assert child["score"] > 0.95 and child["threads"] == child["expected"], result["children"]


def _spin_script_result(environment_changes):
    """GOMP_SPINCOUNT in a fresh process after `import hogwild` (and
    training on two threads works). Its environment: this process's
    without the OpenMP wait settings, then the changes."""
    env = {key: value for key, value in os.environ.items() if key not in ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY")}
    env.update(environment_changes)
    script = HELPERS + textwrap.dedent("""
        import json, os
        import hogwild
        spin_count = os.environ.get("GOMP_SPINCOUNT")
        assert hogwild_fit(n_threads=2)["threads"] == 2
        print(json.dumps({"spin_count": spin_count}))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=TIMEOUT, env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@needs_two_cpus
def test_idle_openmp_threads_sleep_soon_unless_the_user_chose():
    """libgomp's idle threads spun for GOMP_SPINCOUNT=300,000 iterations
    after every parallel region (3.4 ms of CPU after each fit here, taken
    from whatever else runs). The package asks for 10,000 while its core
    loads libgomp (which reads the setting then), unless the user chose,
    and takes it out of the environment again (programs started later and
    other OpenMP runtimes keep their defaults). The CPU the idle threads
    then use, 0.1 against 3.4 ms after a fit here, is measured by
    bench/bench_small.py (next to busy processes a fit's own end can fall
    in the window, so it is no test)."""
    from hogwild._openmp_wait import ask_for_short_spins, short_spins_while_loading

    environ = {}
    with short_spins_while_loading(environ):
        assert environ == {"GOMP_SPINCOUNT": "10000"}
    assert environ == {}
    for chosen in ({"GOMP_SPINCOUNT": "5"}, {"OMP_WAIT_POLICY": "active"}):
        environ = dict(chosen)
        assert not ask_for_short_spins(environ) and environ == chosen
        with short_spins_while_loading(environ):
            assert environ == chosen
        assert environ == chosen
    assert _spin_script_result({})["spin_count"] is None
    assert _spin_script_result({"GOMP_SPINCOUNT": "300000"})["spin_count"] == "300000"
