"""device="cuda" without a GPU: the parameters' validation, hogwild.cuda
with the CUDA module absent or reporting no device, the one clear error a
fit raises then, and the wiring from the estimators and the command line
to hogwild._cuda's Session (through a fake module that trains on the CPU
core, so that these tests run on any machine, with or without a CUDA
build)."""

import importlib
import sys
import threading
import types

import numpy as np
import pytest

import hogwild
from hogwild import _core, cli, cuda
from hogwild.datasets import make_sparse_classification

BUILD_INFO = {"cuda_version": "13.0", "cuda_architectures": "80;90", "cuda_runtime": "static"}
NO_DRIVER = "no CUDA driver was found (cudaErrorInsufficientDriver)"
OLD_DRIVER = ("the CUDA driver is older than this build's runtime "
              "(cudaErrorInsufficientDriver: driver 12.2, runtime 13.0)")


class FakeCuda(types.ModuleType):
    """hogwild._cuda as its contract describes it; its sessions are the CPU
    core's, and it records how each was asked for."""

    def __init__(self, names=("NVIDIA H200",), reason=""):
        super().__init__("hogwild._cuda")
        self.names = list(names)
        self.reason = reason
        self.sessions = []   # (solver, device, reduction, options, calling thread) of each session
        self.running = 0     # sessions in a run() now
        self.most_running = 0

    def device_count(self):
        return len(self.names)

    def unavailable_reason(self):
        return "" if self.names else self.reason

    def device_name(self, i):
        return self.names[i]

    def build_info(self):
        return dict(BUILD_INFO)

    def Session(self, solver, X, y, sample_weight, validation_mask, coef, intercept, average_coef,
                average_intercept, options, device=0, reduction="ordered"):
        if solver not in ("minibatch", "gd"):
            raise ValueError(f"the CUDA module trains minibatch and gd, not {solver!r}")
        self.sessions.append(dict(solver=solver, device=device, reduction=reduction, options=dict(options),
                                  thread=threading.get_ident()))
        return _CountedSession(self, _core.Session(solver, X, y, sample_weight, validation_mask, coef, intercept,
                                                   average_coef, average_intercept, options))


class _CountedSession:
    """A CPU session that counts how many of its module's sessions run at once."""

    def __init__(self, module, session):
        self.module, self.session = module, session

    def run(self, epochs=None, epoch_callback=None, progress_callback=None):
        self.module.running += 1
        self.module.most_running = max(self.module.most_running, self.module.running)
        try:
            return self.session.run(epochs, epoch_callback, progress_callback)
        finally:
            self.module.running -= 1

    def optimizer_state(self):
        return self.session.optimizer_state()

    def set_optimizer_state(self, state):
        return self.session.set_optimizer_state(state)


@pytest.fixture
def fake_cuda(monkeypatch):
    """Installs a FakeCuda as hogwild._cuda: fake_cuda(names=..., reason=...)."""
    def install(**kwargs):
        module = FakeCuda(**kwargs)
        monkeypatch.setitem(sys.modules, "hogwild._cuda", module)
        return module
    return install


@pytest.fixture
def no_cuda(monkeypatch):
    """hogwild._cuda absent, as in a build without CUDA (whatever this build has)."""
    monkeypatch.setitem(sys.modules, "hogwild._cuda", None)


@pytest.fixture(scope="module")
def classification():
    return make_sparse_classification(1500, 120, 8, random_state=4)


ESTIMATORS = [hogwild.SGDClassifier, hogwild.SGDRegressor]
SMALL = dict(solver="minibatch", max_iter=3, tol=None, random_state=0)


# --- the parameters -----------------------------------------------------------

@pytest.mark.parametrize("device", ["gpu", "cuda:", "cuda:-1", "cuda:x", "CUDA", "cuda:1.5", "cuda0", " cuda",
                                    "cuda:0 ", "cpu:0", "", "cuda:\u0661"])
@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_a_malformed_device_is_a_value_error_naming_device(classification, estimator, device):
    X, y = classification
    expected = r"^device=.* is not a device: use 'cpu', 'cuda' \(GPU 0\) or 'cuda:N'"
    with pytest.raises(ValueError, match=expected) as error:
        estimator(device=device, **SMALL).fit(X, y)
    assert str(error.value).startswith(f"device={device!r} is not a device")


@pytest.mark.parametrize("params, message", [
    (dict(device=0), "The 'device' parameter of .* must be an instance of 'str'"),
    (dict(device=None), "The 'device' parameter of .* must be an instance of 'str'"),
    (dict(device="cuda", gpu_reduction="sum"), "The 'gpu_reduction' parameter of .* must be a str among"),
])
@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_device_and_gpu_reduction_take_their_types(classification, estimator, params, message):
    X, y = classification
    with pytest.raises(ValueError, match=message):
        estimator(**params, **SMALL).fit(X, y)


@pytest.mark.parametrize("solver", sorted(set(hogwild._engine.SOLVERS) - set(cuda.SOLVERS)))
@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_a_gpu_device_refuses_the_cpu_solvers(classification, fake_cuda, estimator, solver):
    module = fake_cuda()
    X, y = classification
    with pytest.raises(ValueError) as error:
        estimator(device="cuda:0", solver=solver, max_iter=2, tol=None).fit(X, y)
    assert str(error.value) == (f"device='cuda:0' trains the GPU solvers ['minibatch', 'gd'], "
                                f"not solver={solver!r}; use device='cpu' for it")
    assert module.sessions == []  # refused before any training


def test_the_device_parameters_are_in_both_estimators(classification):
    for estimator in ESTIMATORS:
        params = estimator().get_params()
        assert (params["device"], params["gpu_reduction"]) == ("cpu", "ordered")
        assert "    device : {\"cpu\", \"cuda\", \"cuda:N\"}, default='cpu'" in estimator.__doc__
        assert "    gpu_reduction : {\"ordered\", \"atomic\"}, default='ordered'" in estimator.__doc__


# --- hogwild.cuda -------------------------------------------------------------

def test_without_the_cuda_module_nothing_is_available(no_cuda, monkeypatch):
    assert cuda.is_available() is False
    assert cuda.device_count() == 0
    # the reason follows what the build's configuration found
    monkeypatch.setattr(cuda, "_core", types.SimpleNamespace(build_info=lambda: {"cuda_compiler_found": "no"}))
    assert cuda.unavailable_reason() == ("this hogwild was built without CUDA (no CUDA compiler was found at build "
                                         "time; build_info()['cuda'] == 'off')")
    monkeypatch.setattr(cuda, "_core", types.SimpleNamespace(build_info=lambda: {"cuda_compiler_found": "yes"}))
    assert cuda.unavailable_reason() == (
        "this hogwild was built without CUDA (a CUDA compiler was found at build time, but the CUDA module is "
        "missing: a build from before GPU training, or the module was removed; build_info()['cuda'] == 'off')")
    monkeypatch.setattr(cuda, "_core", types.SimpleNamespace(
        build_info=lambda: {"cuda_compiler_found": "no", "cuda_option": "OFF"}))
    assert cuda.unavailable_reason() == ("this hogwild was built without CUDA (it was built with HOGWILD_CUDA=OFF, "
                                         "as the CPU wheel is; build_info()['cuda'] == 'off')")
    with pytest.raises(cuda.CudaUnavailableError, match=r"^this hogwild was built without CUDA \(it was built with HOGWILD_CUDA=OFF"):
        cuda.device_name(0)


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_without_the_cuda_module_a_gpu_fit_says_how_to_rebuild(classification, no_cuda, estimator):
    X, y = classification
    with pytest.raises(RuntimeError) as error:
        estimator(device="cuda", **SMALL).fit(X, y)
    message = str(error.value)
    assert isinstance(error.value, cuda.CudaUnavailableError)
    assert message.startswith("device='cuda': this hogwild was built without CUDA (")
    assert "build_info()['cuda'] == 'off'" in message
    assert message.endswith("; to train on a GPU, install a CUDA toolkit with nvcc on PATH and run `pip install .` "
                            "again (add -Ccmake.define.HOGWILD_CUDA=ON to make a missing CUDA compiler a build "
                            "error instead of a build without CUDA)")


def test_a_cuda_module_that_fails_to_load_says_so(classification, monkeypatch):
    """A module that is there but cannot load (a missing library) is not
    passed off as a build without CUDA."""
    real_import = importlib.import_module

    def failing_import(name, *args):
        if name == "hogwild._cuda":
            raise ImportError("libcudart.so.13: cannot open shared object file: No such file or directory")
        return real_import(name, *args)

    monkeypatch.delitem(sys.modules, "hogwild._cuda", raising=False)
    monkeypatch.setattr(importlib, "import_module", failing_import)
    assert cuda.device_count() == 0
    assert cuda.unavailable_reason() == ("hogwild._cuda is present but cannot be loaded: libcudart.so.13: cannot "
                                         "open shared object file: No such file or directory")
    X, y = classification
    with pytest.raises(RuntimeError, match=r"^device='cuda': hogwild._cuda is present but cannot be loaded: "
                                           r"libcudart.so.13: cannot open shared object file"):
        hogwild.SGDClassifier(device="cuda", **SMALL).fit(X, y)


@pytest.mark.parametrize("reason, reported", [
    (NO_DRIVER, NO_DRIVER), (OLD_DRIVER, OLD_DRIVER), ("no CUDA device is visible", "no CUDA device is visible"),
    ("", "no CUDA device is visible"),  # (a module that gives no reason)
])
def test_no_usable_device_is_one_runtime_error_with_the_modules_reason(classification, fake_cuda, reason, reported):
    module = fake_cuda(names=(), reason=reason)
    assert cuda.is_available() is False
    assert cuda.device_count() == 0
    assert cuda.unavailable_reason() == reported
    with pytest.raises(cuda.CudaUnavailableError, match=r"^no usable CUDA device: "):
        cuda.device_name(0)
    X, y = classification
    for estimator in ESTIMATORS:
        with pytest.raises(RuntimeError) as error:
            estimator(device="cuda", **SMALL).fit(X, y)
        assert str(error.value) == f"device='cuda': no usable CUDA device: {reported}"
    assert module.sessions == []


def test_a_device_index_beyond_the_visible_devices(classification, fake_cuda):
    X, y = classification
    fake_cuda(names=("NVIDIA H200",))
    with pytest.raises(ValueError) as error:
        hogwild.SGDClassifier(device="cuda:3", **SMALL).fit(X, y)
    assert str(error.value) == "device='cuda:3' but 1 CUDA device is visible (cuda:0)"
    with pytest.raises(IndexError, match=r"^device_name\(1\): 1 CUDA device is visible \(indices 0 to 0\)$"):
        cuda.device_name(1)
    with pytest.raises(TypeError, match="device_name takes a device index"):
        cuda.device_name("0")

    module = fake_cuda(names=("NVIDIA H200", "NVIDIA A100"))
    with pytest.raises(ValueError) as error:
        hogwild.SGDRegressor(device="cuda:2", **SMALL).fit(X, y)
    assert str(error.value) == "device='cuda:2' but 2 CUDA devices are visible (cuda:0 to cuda:1)"
    assert module.sessions == []
    assert cuda.is_available() is True
    assert cuda.unavailable_reason() == ""
    assert [cuda.device_name(i) for i in range(cuda.device_count())] == ["NVIDIA H200", "NVIDIA A100"]
    assert cuda.device_name() == "NVIDIA H200"


# --- the estimators' sessions ---------------------------------------------------

@pytest.mark.parametrize("device, index", [("cuda", 0), ("cuda:1", 1)])
@pytest.mark.parametrize("reduction", cuda.REDUCTIONS)
def test_a_gpu_fit_hands_the_cpu_sessions_arguments_to_the_cuda_session(classification, fake_cuda, device, index,
                                                                        reduction):
    """The GPU session gets the CPU session's arguments, the device's index,
    the reduction and one thread: with the fake module's CPU sessions, the
    model is the CPU minibatch model of one thread bit for bit."""
    module = fake_cuda(names=("NVIDIA H200", "NVIDIA H200"))
    X, y = classification
    params = dict(solver="minibatch", optimizer="adam", learning_rate="constant", eta0=0.01, batch_size=64,
                  average=True, max_iter=4, tol=None, random_state=0)
    gpu = hogwild.SGDClassifier(device=device, gpu_reduction=reduction, n_threads=2, **params).fit(X, y)
    cpu = hogwild.SGDClassifier(n_threads=1, **params).fit(X, y)
    assert [(s["solver"], s["device"], s["reduction"], s["options"]["n_threads"]) for s in module.sessions] == [
        ("minibatch", index, reduction, 1)]
    assert "device" not in module.sessions[0]["options"]  # (the core's option parser refuses unknown keys)
    np.testing.assert_array_equal(gpu.coef_, cpu.coef_)
    np.testing.assert_array_equal(gpu.intercept_, cpu.intercept_)
    assert [r["objective"] for r in gpu.history_] == [r["objective"] for r in cpu.history_]

    module.sessions.clear()
    y_regression = X @ np.linspace(-1.0, 1.0, X.shape[1])
    # (a rate given: under "auto", gd takes Barzilai-Borwein steps on the CPU only)
    rate = dict(learning_rate="invscaling", eta0=0.01)
    regressor = hogwild.SGDRegressor(device=device, gpu_reduction=reduction, solver="gd", max_iter=3, tol=None,
                                     **rate)
    regressor.fit(X, y_regression)
    expected = hogwild.SGDRegressor(solver="gd", max_iter=3, tol=None, n_threads=1, **rate).fit(X, y_regression)
    assert [(s["solver"], s["device"], s["reduction"]) for s in module.sessions] == [("gd", index, reduction)]
    np.testing.assert_array_equal(regressor.coef_, expected.coef_)


def test_the_cpu_device_never_asks_for_a_cuda_session(classification, fake_cuda, monkeypatch):
    module = fake_cuda()
    monkeypatch.setattr(cuda, "_session", lambda *args, **kwargs: pytest.fail("a CUDA session for device='cpu'"))
    X, y = classification
    hogwild.SGDClassifier(**SMALL).fit(X, y)
    assert module.sessions == []


def test_gpu_classes_train_one_after_another(classification, fake_cuda):
    """One-vs-rest classes share one GPU: one after another, on the calling
    thread (the CPU would train 2 at a time here)."""
    module = fake_cuda()
    X, y = classification
    labels = np.where(y > 0, 1, 0) + (np.arange(len(y)) % 3 == 0)  # three classes
    params = dict(solver="minibatch", loss="log_loss", learning_rate="constant", eta0=0.05, max_iter=3, tol=None,
                  random_state=0, n_threads=2)
    gpu = hogwild.SGDClassifier(device="cuda", **params)
    assert gpu._class_parallelism(3, X.nnz) == (1, None)
    assert hogwild.SGDClassifier(**params)._class_parallelism(3, X.nnz) == (2, 1)
    gpu.fit(X, labels)
    assert len(module.sessions) == 3
    assert {s["thread"] for s in module.sessions} == {threading.get_ident()}
    assert module.most_running == 1
    cpu = hogwild.SGDClassifier(**dict(params, n_threads=1)).fit(X, labels)
    np.testing.assert_array_equal(gpu.coef_, cpu.coef_)
    assert [r["class"] for r in gpu.history_] == [0, 0, 0, 1, 1, 1, 2, 2, 2]


def test_partial_fit_continues_the_optimizer_on_the_gpu_session(classification, fake_cuda):
    module = fake_cuda()
    X, y = classification
    params = dict(solver="minibatch", optimizer="momentum", learning_rate="constant", eta0=0.01, random_state=0)
    gpu = hogwild.SGDClassifier(device="cuda", **params)
    cpu = hogwild.SGDClassifier(n_threads=1, **params)
    for _ in range(3):
        gpu.partial_fit(X, y, classes=[-1, 1])
        cpu.partial_fit(X, y, classes=[-1, 1])
        np.testing.assert_array_equal(gpu.coef_, cpu.coef_)
    assert len(module.sessions) == 3


# --- build_info -----------------------------------------------------------------

def test_build_info_says_cuda_on_exactly_when_the_module_imports():
    try:
        importlib.import_module("hogwild._cuda")
        importable = True
    except ImportError:
        importable = False
    info = hogwild.build_info()
    assert info["cuda"] == ("on" if importable else "off")
    assert ("cuda_version" in info) == importable


def test_build_info_merges_the_cuda_modules_build(fake_cuda, no_cuda):
    info = hogwild.build_info()
    assert info["cuda"] == "off"
    assert not set(BUILD_INFO) & set(info)
    fake_cuda()
    info = hogwild.build_info()
    assert info["cuda"] == "on"
    assert {key: info[key] for key in BUILD_INFO} == BUILD_INFO
    assert info["usable_cpus"] >= 1 and "openmp" in info  # (the core's keys are still there)


# --- the command line -------------------------------------------------------------

def run_cli(capsys, *args):
    try:
        status = cli.main(list(args))
    except SystemExit as exit_:
        status = exit_.code
    out = capsys.readouterr()
    return status, out.out, out.err


def test_train_device_reaches_the_estimator(a9a_files, tmp_path, fake_cuda, capsys):
    module = fake_cuda(names=("NVIDIA H200", "NVIDIA H200"))
    model_path = tmp_path / "gpu.hwm"
    status, out, err = run_cli(capsys, "train", str(a9a_files[0]), "--epochs", "2", "--solver", "minibatch",
                               "--device", "cuda:1", "--gpu-reduction", "atomic", "-o", str(model_path))
    assert status == 0, err
    assert "solver=minibatch, device=cuda:1, epochs=2)" in out
    assert [(s["device"], s["reduction"]) for s in module.sessions] == [(1, "atomic")]
    params = hogwild.load(model_path).get_params()
    assert (params["device"], params["gpu_reduction"]) == ("cuda:1", "atomic")


@pytest.mark.parametrize("args, status, message", [
    # (options the estimator refuses whatever the machine: usage errors, found before the data is read)
    (["--device", "cuda", "--solver", "hogwild"], 2,
     ("hogwild train: error: device='cuda' trains the GPU solvers ['minibatch', 'gd'], not solver='hogwild'; "
      "use device='cpu' for it (see 'hogwild train --help')")),
    (["--device", "gpu", "--solver", "minibatch"], 2,
     ("hogwild train: error: device='gpu' is not a device: use 'cpu', 'cuda' (GPU 0) or 'cuda:N' "
      "(N the index of a GPU: 0, 1, ...) (see 'hogwild train --help')")),
    (["--device", "cuda:1", "--solver", "gd"], 1,
     "hogwild train: error: device='cuda:1' but 1 CUDA device is visible (cuda:0)"),
])
def test_train_device_mistakes_are_one_line(a9a_files, fake_cuda, capsys, args, status, message):
    fake_cuda()
    exit_status, _, err = run_cli(capsys, "train", str(a9a_files[0]), "--epochs", "1", *args)
    assert exit_status == status
    assert err.strip() == message


def test_train_on_a_gpu_without_the_cuda_module_is_one_line(a9a_files, no_cuda, capsys):
    status, _, err = run_cli(capsys, "train", str(a9a_files[0]), "--epochs", "1", "--solver", "gd",
                             "--device", "cuda")
    assert status == 1
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("hogwild train: error: device='cuda': this hogwild was built without CUDA (")
    assert "pip install ." in err


def test_train_refuses_an_unknown_gpu_reduction(a9a_files, capsys):
    status, _, err = run_cli(capsys, "train", str(a9a_files[0]), "--gpu-reduction", "sum")
    assert status == 2
    assert "argument --gpu-reduction: invalid choice: 'sum'" in err


def test_info_lists_the_cuda_devices_or_why_none(fake_cuda, capsys, monkeypatch):
    monkeypatch.setattr(cli, "_gpus", lambda: [])  # (nvidia-smi's view is not the subject here)
    fake_cuda(names=("NVIDIA H200", "NVIDIA H100"))
    status, out, _ = run_cli(capsys, "info")
    assert status == 0
    assert "        cuda_devices: 2 device(s): 0 NVIDIA H200, 1 NVIDIA H100\n" in out
    assert "                cuda: on\n" in out and "        cuda_version: 13.0\n" in out

    fake_cuda(names=(), reason=NO_DRIVER)
    status, out, _ = run_cli(capsys, "info")
    assert f"        cuda_devices: 0 devices ({NO_DRIVER})\n" in out

    monkeypatch.setitem(sys.modules, "hogwild._cuda", None)
    status, out, _ = run_cli(capsys, "info")
    assert "        cuda_devices: 0 devices (this hogwild was built without CUDA (" in out
    assert "                cuda: off\n" in out
