"""The command line, run as users run it: `hogwild.cli.main` in this
process (a new Python for each of the file's 55 commands cost 1.9 s of
imports each, most of this file's time), and in a process of its own where
the process is the point (`python -m hogwild`'s exit status, pipes whose
reader leaves, a 32 GiB allocation)."""

import re
import subprocess
import sys

import numpy as np
import pytest
from conftest import run_cli as run


def run_process(*args):
    """`python -m hogwild ARGS` in a process of its own."""
    return subprocess.run([sys.executable, "-m", "hogwild", *args], capture_output=True, text=True, timeout=300)


def test_demo_trains_and_compares():
    out = run("demo", "--epochs", "5")
    assert out.returncode == 0, out.stderr
    assert "hogwild, 1 thread" in out.stdout
    assert "scikit-learn SGDClassifier" in out.stdout
    accuracies = [float(line.split()[-3]) for line in out.stdout.splitlines()
                  if line.startswith(("hogwild", "scikit-learn"))]
    assert len(accuracies) == 3 and min(accuracies) > 0.83


def test_info_prints_build():
    out = run("info")
    assert out.returncode == 0
    assert "openmp" in out.stdout and "usable_cpus" in out.stdout


def test_bad_command_is_one_clear_line():
    out = run_process("fly")
    assert out.returncode == 2
    assert "invalid choice" in out.stderr
    assert "Traceback" not in out.stderr


def error_line(out):
    """A user mistake: one line on stderr, no traceback."""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert "Traceback" not in out.stderr
    return lines[0]


def table_rows(stdout):
    return [line.split() for line in stdout.splitlines() if line.strip()[:1].isdigit()
            and len(line.split()) >= 4]


def test_train_prints_a_table_writes_a_model_and_a_plot(a9a_files, tmp_path):
    train, test = a9a_files
    model_path, plot_path = tmp_path / "a9a.hwm", tmp_path / "a9a.png"
    out = run("train", str(train), "--test", str(test), "--epochs", "4", "--threads", "1,2", "--seed", "1",
              "-o", str(model_path), "--plot", str(plot_path))
    assert out.returncode == 0, out.stderr
    rows = table_rows(out.stdout)
    assert [row[0] for row in rows] == ["1", "2", "3", "4"] * 2  # epochs of both runs
    assert all(0.8 < float(row[2]) < 0.86 for row in rows[2:4] + rows[6:])  # test accuracy column
    assert out.stdout.count("test accuracy: ") == 2
    assert plot_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    import hogwild
    from hogwild.datasets import load_svmlight_files

    model = hogwild.load(model_path)
    assert model.n_threads == 2 and model.n_iter_ == 4
    X, y, X_test, y_test = load_svmlight_files([str(train), str(test)])
    # the file holds the model of the last run (2 racy threads: its accuracy varies, 0.836 to 0.85)
    printed = float(re.findall(r"test accuracy: ([0-9.]+)", out.stdout)[-1])
    assert model.score(X_test, y_test) == pytest.approx(printed, abs=5e-5)
    assert model.score(X_test, y_test) > 0.82
    predictions = tmp_path / "predictions.txt"
    out = run("predict", str(model_path), str(test), "-o", str(predictions))
    assert out.returncode == 0, out.stderr
    np.testing.assert_array_equal(np.loadtxt(predictions), model.predict(X_test))
    assert "accuracy against the labels" in out.stderr

    out = run("predict", str(model_path), str(test), "--proba")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "# -1 1"  # the columns' classes, spelled as the predictions spell them
    assert [float(c) for c in lines[0][2:].split()] == model.classes_.tolist()
    assert len(lines) == X_test.shape[0] + 1
    np.testing.assert_allclose(np.loadtxt(lines), model.predict_proba(X_test), rtol=1e-5)


def test_train_a_regression(tmp_path):
    from sklearn.datasets import dump_svmlight_file

    from hogwild.datasets import make_sparse_regression

    X, y = make_sparse_regression(2000, 50, 5, random_state=0)
    path = tmp_path / "reg.svm"
    dump_svmlight_file(X, y, str(path))
    out = run("train", str(path), "--test", str(path), "--loss", "squared_error", "--epochs", "3",
              "--learning-rate", "invscaling")
    assert out.returncode == 0, out.stderr
    assert "SGDRegressor" in out.stdout and "test R2" in out.stdout
    assert len(table_rows(out.stdout)) == 3


def test_every_estimator_parameter_is_reachable_from_train(a9a_files, tmp_path):
    """Issue 14: l1_ratio, class_weight, early stopping and the solver knobs
    were out of the command line's reach. Each of the parameter table's
    rows has an option; --param sets any other."""
    import hogwild

    model_path = tmp_path / "m.hwm"
    out = run("train", str(a9a_files[0]), "--epochs", "2", "--threads", "1", "--penalty", "elasticnet",
              "--l1-ratio", "0.3", "--early-stopping", "--hot-features", "64", "--sync-every", "auto",
              "--max-staleness", "2", "--precision", "int8", "--param", "class_weight=balanced",
              "--param", "n_iter_no_change=3", "--param", "validation_fraction=0.2", "-o", str(model_path))
    assert out.returncode == 0, out.stderr
    params = hogwild.load(model_path).get_params()
    assert {k: params[k] for k in ("l1_ratio", "early_stopping", "hot_features", "sync_every", "max_staleness",
                                   "precision", "class_weight", "n_iter_no_change", "validation_fraction")} == {
        "l1_ratio": 0.3, "early_stopping": True, "hot_features": 64, "sync_every": "auto", "max_staleness": 2,
        "precision": "int8", "class_weight": "balanced", "n_iter_no_change": 3, "validation_fraction": 0.2}
    bad = run("train", str(a9a_files[0]), "--param", "nope=1")
    assert error_line(bad) == "hogwild train: error: --param nope: SGDClassifier has no parameter 'nope'"


def test_penalty_none_and_spelled_out_booleans_reach_the_estimator(a9a_files, tmp_path):
    """--penalty none, which --help offers, was refused (scikit-learn's is
    None); --param shuffle=false passed the string 'false' on (found by a
    new-user trial)."""
    import hogwild

    model_path = tmp_path / "m.hwm"
    out = run("train", str(a9a_files[0]), "--epochs", "1", "--threads", "1", "--penalty", "none",
              "--param", "shuffle=false", "--param", "fit_intercept=False", "-o", str(model_path))
    assert out.returncode == 0, out.stderr
    params = hogwild.load(model_path).get_params()
    assert (params["penalty"], params["shuffle"], params["fit_intercept"]) == (None, False, False)


def test_a_feature_index_of_2_to_the_32_is_one_error_line(tmp_path):
    """Issue 14: a 33-line traceback (a 32 GiB weight vector). Where the
    allocation fails (this machine): one error line; where the system lends
    the memory lazily, training runs: never a traceback."""
    data = tmp_path / "huge_index.svm"
    data.write_text("1 4294967296:1\n-1 1:1\n")
    out = run_process("train", str(data), "--epochs", "1", "--threads", "1")
    assert "Traceback" not in out.stderr
    if out.returncode != 0:
        assert out.returncode == 1
        assert error_line(out).startswith("hogwild train: error: out of memory: ")


def test_info_names_the_versions_a_bug_report_needs():
    import numpy
    import scipy
    import sklearn

    out = run("info")
    assert out.returncode == 0
    facts = dict(line.split(": ", 1) for line in out.stdout.splitlines() if ": " in line)
    assert {k.strip(): v.strip() for k, v in facts.items() if k.strip() in ("numpy", "scipy", "sklearn")} == {
        "numpy": numpy.__version__, "scipy": scipy.__version__, "sklearn": sklearn.__version__}


def test_version_is_the_packages():
    import hogwild

    out = run("--version")
    assert out.returncode == 0 and out.stdout.strip() == f"hogwild {hogwild.__version__}"


def test_info_survives_a_reader_that_stops_early():
    """`hogwild info | head -1`: no BrokenPipeError traceback."""
    out = subprocess.run(f"'{sys.executable}' -m hogwild info | head -1", shell=True, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0 and out.stderr == "" and len(out.stdout.splitlines()) == 1


@pytest.mark.parametrize("option", ["-o", "--plot"])
def test_an_output_path_that_cannot_be_written_is_refused_before_training(a9a_files, tmp_path, option):
    missing = tmp_path / "no" / "such" / "dir" / "out.file"
    out = run("train", str(a9a_files[0]), "--epochs", "50", option, str(missing))
    assert out.returncode == 1
    assert error_line(out) == f"hogwild train: error: {option} '{missing}': no such directory '{missing.parent}'"
    assert table_rows(out.stdout) == []  # refused before a single epoch


@pytest.mark.parametrize("command", [("train",), ("tune", "--learning-rate")])
def test_a_plot_format_matplotlib_cannot_write_is_refused_before_training(a9a_files, tmp_path, command):
    """(.txt trained, wrote the model, then failed in matplotlib with a
    message naming no option; a new user's trial)"""
    plot = tmp_path / "curve.txt"
    out = run(*command[:1], str(a9a_files[0]), *command[1:], "--epochs", "50", "--plot", str(plot))
    assert out.returncode == 1
    line = error_line(out)
    assert line.startswith(f"hogwild {command[0]}: error: --plot '{plot}': matplotlib writes ")
    assert line.endswith(", not 'txt'") and "png" in line
    assert table_rows(out.stdout) == [] and not plot.exists()


def test_a_plot_path_without_extension_is_written_as_png_under_that_name(a9a_files, tmp_path):
    """(the file was noext.png where the message said noext)"""
    plot = tmp_path / "noext"
    out = run("train", str(a9a_files[0]), "--epochs", "2", "--threads", "1", "--plot", str(plot))
    assert out.returncode == 0, out.stderr
    assert f"convergence plot written to {plot}" in out.stdout
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_train_uses_the_estimators_default_rates(tmp_path):
    """Issue 14: `--loss squared_error` with default options trained at the
    classifier's `optimal` rate and diverged (test R2 -3.5e19) with no
    warning. The defaults are the estimator's (SGDRegressor: learning_rate
    "auto", eta0 0.01): the same model as SGDRegressor() with those settings."""
    from sklearn.datasets import dump_svmlight_file

    import hogwild
    import hogwild.datasets
    from hogwild.datasets import make_sparse_regression

    X, y = make_sparse_regression(3000, 50, 5, random_state=0)
    path, model_path = tmp_path / "reg.svm", tmp_path / "reg.hwm"
    dump_svmlight_file(X, y, str(path))
    out = run("train", str(path), "--loss", "squared_error", "--epochs", "5", "--threads", "1", "-o", str(model_path))
    assert out.returncode == 0, out.stderr
    cli = hogwild.load(model_path)
    assert (cli.learning_rate, cli.eta0) == ("auto", 0.01)
    assert cli.learning_rate_ == "invscaling"  # (the regressor under "auto": scikit-learn's decay, eta0 from the data)
    assert f"learning rate invscaling from {cli.eta0_:.3g})" in out.stdout
    X_file, y_file = hogwild.datasets.load_svmlight(str(path))
    direct = hogwild.SGDRegressor(max_iter=5, tol=None, n_threads=1, random_state=0).fit(X_file, y_file)
    np.testing.assert_array_equal(cli.coef_, direct.coef_)
    assert cli.score(X_file, y_file) > 0.3  # converging, not the R2 of -3.5e19 it was


def test_predict_refuses_data_with_more_features(a9a_files, tmp_path):
    small = tmp_path / "small.svm"
    small.write_text("1 1:1 2:1\n-1 2:1\n")
    model_path = tmp_path / "small.hwm"
    assert run("train", str(small), "--epochs", "1", "-o", str(model_path)).returncode == 0
    out = run("predict", str(model_path), str(a9a_files[1]))
    assert out.returncode == 1
    assert "the model knows 2 features" in error_line(out)


@pytest.mark.parametrize("first_index", [0, 1])
def test_predict_reads_its_file_numbered_as_the_training_file(tmp_path, first_index):
    """A training file numbered from 0 (1) and a file to predict that
    happens to hold no index 0 (holds index 0): read on its own, "auto"
    numbering shifted every feature by a column and the accuracy was 0
    (a new user's trial); the model file keeps the training file's
    numbering."""
    base = first_index
    (tmp_path / "train.svm").write_text(f"1 {base}:1 {base + 2}:1\n-1 {base + 1}:1\n" * 50)
    (tmp_path / "test.svm").write_text(f"1 {base + 2}:1\n-1 {base + 1}:1\n" if base == 0 else
                                       "1 2:1\n-1 1:1\n")
    model_path = tmp_path / "m.hwm"
    assert run("train", str(tmp_path / "train.svm"), "--epochs", "5", "--seed", "0", "-o", str(model_path)).returncode == 0
    out = run("predict", str(model_path), str(tmp_path / "test.svm"))
    assert out.returncode == 0, out.stderr
    if base == 0:
        assert out.stdout.split() == ["1", "-1"]
        assert "accuracy against the labels in" in out.stderr and out.stderr.strip().endswith("1.0000")
    else:  # (file indices 2 and 1 are the training file's second and first feature)
        assert out.stdout.split() == ["-1", "1"]
    if base == 1:
        (tmp_path / "zero.svm").write_text("1 0:1\n")
        out = run("predict", str(model_path), str(tmp_path / "zero.svm"))
        assert out.returncode == 1
        assert error_line(out).endswith("the model was trained on a file whose indices start at 1")
    # refit in Python: the file's numbering no longer applies, predict reads as load_svmlight does
    import hogwild

    refit = hogwild.load(model_path)
    refit.fit(*hogwild.datasets.load_svmlight(str(tmp_path / "train.svm")))
    assert not hasattr(refit, "_svmlight_zero_based")


def test_train_writes_its_model_when_the_reader_of_its_output_leaves(tmp_path):
    """`hogwild train ... -o m.hwm | head -1`: the epoch table's reader
    gone, training went on to write the model (it stopped at the broken
    pipe, wrote nothing, and exited 0)."""
    data = tmp_path / "train.svm"
    data.write_text("1 1:1 2:0.5\n-1 2:1\n" * 50)
    process = subprocess.Popen([sys.executable, "-m", "hogwild", "train", str(data), "--epochs", "3", "-o",
                                str(tmp_path / "m.hwm")], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # (the reader leaves before the first line)
    assert process.wait(timeout=300) == 0
    assert process.stderr.read() == b""
    process.stderr.close()
    import hogwild

    assert hogwild.load(tmp_path / "m.hwm").n_iter_ == 3


@pytest.mark.parametrize("options, message", [
    (("--alpha", "nan"), "--alpha must be a finite number >= 0"),
    (("--momentum", "2"), "--momentum must be a float in the range [0.0, 1.0). Got 2 instead."),
    (("--seed", "-1"), "--seed must be an int in the range [0, 4294967295]"),
    (("--param", "eta0=-1"), "--param eta0 must be a float in the range (0.0, inf). Got -1 instead."),
    (("--solver", "sequential", "--optimizer", "adam"), "optimizer='adam' needs one of the solvers"),
    (("-o", ""), "-o needs a path, got ''"),
])
def test_option_values_the_estimator_refuses_are_usage_errors_before_reading(tmp_path, options, message):
    """(they were exit status 1 after the data was read, in scikit-learn's
    words naming the parameter, not the option; -o '' trained and wrote
    nothing; a new user's trial). The data file does not exist: the
    options are checked first."""
    out = run("train", str(tmp_path / "not_read.svm"), *options)
    assert out.returncode == 2
    line = error_line(out)
    assert line.startswith("hogwild train: error: " + message), line
    assert line.endswith("(see 'hogwild train --help')")


def test_predict_gives_its_predictions_for_rows_labeled_nan(tmp_path):
    """Unlabeled rows: the predictions, and a note instead of the score
    (exit 1 after NumPy's warning and scikit-learn's error before)."""
    (tmp_path / "train.svm").write_text("1 1:1\n-1 2:1\n" * 20)
    assert run("train", str(tmp_path / "train.svm"), "--epochs", "3", "-o", str(tmp_path / "m.hwm")).returncode == 0
    (tmp_path / "unlabeled.svm").write_text("1 1:1\nnan 2:1\n")
    out = run("predict", str(tmp_path / "m.hwm"), str(tmp_path / "unlabeled.svm"))
    assert out.returncode == 0
    assert out.stdout.split() == ["1", "-1"]
    assert out.stderr == f"no accuracy: the labels in {tmp_path / 'unlabeled.svm'} are not all numbers (row 2: nan)\n"


def test_train_exits_cleanly_when_the_reader_leaves_after_the_table(tmp_path):
    """`... | head -n 7` with a buffered stdout: the last lines, flushed at
    exit past the wrapper, gave exit status 120 and "Exception ignored ...
    BrokenPipeError" (the review)."""
    import os

    data = tmp_path / "train.svm"
    data.write_text("1 1:1 2:0.5\n-1 2:1\n" * 50)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    done = subprocess.run(["bash", "-c", f"'{sys.executable}' -m hogwild train '{data}' --epochs 3 -o '{tmp_path}/m.hwm'"
                           " | head -n 7; echo status ${PIPESTATUS[0]}"], capture_output=True, text=True, env=env,
                          timeout=300)
    assert done.stdout.splitlines()[-1] == "status 0" and done.stderr == ""
    assert (tmp_path / "m.hwm").exists()


def test_an_output_that_is_an_input_is_refused(tmp_path):
    """-o naming the training file replaced the data by the model (and
    predict's, the model by predictions; a new user's trial)."""
    data = tmp_path / "data.svm"
    data.write_text("1 1:1\n-1 2:1\n" * 10)
    out = run("train", str(data), "--epochs", "1", "-o", str(data))
    assert error_line(out) == f"hogwild train: error: -o '{data}' is the training data; name another file"
    assert data.read_text().startswith("1 1:1")
    assert run("train", str(data), "--epochs", "1", "-o", str(tmp_path / "m.hwm")).returncode == 0
    out = run("predict", str(tmp_path / "m.hwm"), str(data), "-o", str(tmp_path / "m.hwm"))
    assert error_line(out) == f"hogwild predict: error: -o '{tmp_path / 'm.hwm'}' is the model file; name another file"


def test_a_huge_objective_fits_its_column(tmp_path):
    """(1e300 was printed in %f: 300 digits)"""
    data = tmp_path / "data.svm"
    data.write_text("1 1:1\n-1 2:1\n" * 10)
    out = run("train", str(data), "--epochs", "1", "--learning-rate", "constant", "--eta0", "1e300")
    assert out.returncode == 0, out.stderr
    (row,) = table_rows(out.stdout)
    assert max(len(field) for field in row) <= 12 and "e+" in row[1]


def test_predict_names_a_model_file_of_another_kind(tmp_path):
    """A matrix factorization model: one line, not a traceback (a new
    user's trial)."""
    import hogwild

    model = hogwild.MatrixFactorization(n_factors=2, max_iter=1).fit((np.array([1, 2]), np.array([3, 4])), [4.0, 2.0])
    model.save(tmp_path / "mf.hwm")
    (tmp_path / "x.svm").write_text("1 1:1\n")
    out = run("predict", str(tmp_path / "mf.hwm"), str(tmp_path / "x.svm"))
    assert out.returncode == 1
    assert error_line(out) == (f"hogwild predict: error: '{tmp_path / 'mf.hwm'}' holds a MatrixFactorization, not a "
                               "linear model (a matrix factorization model predicts with 'hogwild mf recommend')")


def test_predict_with_a_model_fitted_on_a_dataframe_warns_nothing(tmp_path):
    """An svmlight file has no column names: scikit-learn's warning that X
    has none, which a CLI user could not avoid, is not printed."""
    pd = pytest.importorskip("pandas")
    import hogwild

    X = pd.DataFrame({"a": [0.0, 1.0, 0.0, 1.0], "b": [1.0, 0.0, 1.0, 0.0]})
    hogwild.SGDClassifier(max_iter=3, tol=None).fit(X, [0, 1, 0, 1]).save(tmp_path / "df.hwm")
    (tmp_path / "x.svm").write_text("1 1:1\n0 2:1\n")
    out = run("predict", str(tmp_path / "df.hwm"), str(tmp_path / "x.svm"))
    assert out.returncode == 0, out.stderr
    assert "feature names" not in out.stderr and "Warning" not in out.stderr
    assert out.stderr.startswith("accuracy against the labels")
    assert len(out.stdout.split()) == 2


@pytest.mark.parametrize("args, message", [
    (("train", "no/such/file.svm"), "no such data file: 'no/such/file.svm'"),
    (("predict", "no/such/model.hwm", "x.svm"), "no such model file: 'no/such/model.hwm'"),
])
def test_missing_files(args, message):
    out = run(*args)
    assert out.returncode == 1
    assert message in error_line(out)


@pytest.mark.parametrize("args, message", [
    (("train", "x.svm", "--threads", "two"), "argument --threads"),
    (("train", "x.svm", "--threads", "0"), "thread counts must be >= 1"),
    (("train", "x.svm", "--epochs", "0"), "--epochs must be >= 1"),
    (("train", "x.svm", "--loss", "cubic"), "argument --loss: invalid choice"),
    (("train",), "the following arguments are required: data"),
    (("bench", "--write", "racy,sloppy"), "unknown write policy 'sloppy'"),
])
def test_bad_options_are_one_line_with_exit_2(args, message):
    out = run(*args)
    assert out.returncode == 2
    assert message in error_line(out)


def test_malformed_data_names_file_and_line(tmp_path):
    path = tmp_path / "bad.svm"
    path.write_text("1 1:1\n-1 2:oops\n")
    out = run("train", str(path))
    assert out.returncode == 1
    line = error_line(out)
    assert "bad.svm, line 2: the value in '2:oops' is not a number" in line


def test_a_model_file_that_is_not_one(tmp_path):
    bogus = tmp_path / "bogus.hwm"
    bogus.write_text("not a model")
    data = tmp_path / "d.svm"
    data.write_text("1 1:1\n")
    out = run("predict", str(bogus), str(data))
    assert out.returncode == 1
    assert "bogus.hwm: not a readable hogwild model file" in error_line(out)


def test_bench_prints_threads_by_policies():
    out = run("bench", "--rows", "20000", "--features", "2000", "--nnz", "10", "--epochs", "2",
              "--threads", "1,2", "--write", "racy,atomic")
    assert out.returncode == 0, out.stderr
    rows = [line.split() for line in out.stdout.splitlines() if line.split()[:1] in (["1"], ["2"])]
    assert [(r[0], r[1]) for r in rows] == [("1", "racy"), ("1", "atomic"), ("2", "racy"), ("2", "atomic")]
    # speedup: examples/s against the first row's (both printed to 3 digits: ~1%)
    for row in rows:
        ratio = float(row[3]) / float(rows[0][3])
        assert abs(float(row[4].rstrip("x")) - ratio) <= 0.011 * ratio + 0.005
    # one thread is deterministic, whatever the write policy: the same objective
    assert rows[0][5] == rows[1][5]


def test_info_reports_cpus_numa_and_gpus():
    out = run("info")
    assert out.returncode == 0
    for key in ("hogwild:", "usable_cpus:", "numa_nodes:", "gpus:"):
        assert key in out.stdout


def test_info_shows_the_cores_topology():
    """`hogwild info` prints the NUMA nodes the core reads (one node with
    every usable CPU on a machine without NUMA)."""
    from hogwild import _core, topology
    from hogwild.cli import _cpu_list

    out = run("info", check=True).stdout
    machine = topology()
    nodes = machine["nodes"]
    assert f"numa_nodes: {len(nodes)} ({machine['source']})" in out
    for node in nodes:
        assert f"node {node['node']}: CPUs {_cpu_list(sorted(node['cpus']))}, {node['physical_cores']} physical" in out
    assert sorted(cpu for node in nodes for cpu in node["cpus"]) == sorted(_core.allowed_cpus())


def test_topology_reads_sysfs_and_keeps_only_allowed_cpus(tmp_path):
    from hogwild import _core

    allowed = _core.allowed_cpus()
    node = tmp_path / "node"
    (node / "node0").mkdir(parents=True)
    (node / "node0" / "cpulist").write_text(f"{allowed[0]}\n")
    (node / "node3").mkdir()
    (node / "node3" / "cpulist").write_text(f"{allowed[-1]},100000-100003\n")
    (node / "node5").mkdir()
    (node / "node5" / "cpulist").write_text("100004-100005\n")  # no allowed CPU: dropped
    (node / "nodeX").mkdir()
    nodes = _core.topology(sysfs_root=str(tmp_path))["nodes"]
    assert [(n["node"], n["cpus"]) for n in nodes] == [(0, [allowed[0]]), (3, [allowed[-1]])]
    absent = _core.topology(sysfs_root=str(tmp_path / "absent"))
    assert absent["source"] == "affinity mask"
    assert [(n["node"], n["cpus"]) for n in absent["nodes"]] == [(0, allowed)]


def test_cpu_lists_are_written_as_sysfs_writes_them():
    from hogwild.cli import _cpu_list

    assert _cpu_list([0, 1, 2, 3, 8, 10, 11]) == "0-3,8,10-11"
    assert _cpu_list([5]) == "5"


def test_datasets_writes_the_shipped_a9a_as_svmlight_files(tmp_path):
    """The README's command-line examples start from files the package
    ships: `hogwild datasets a9a DIR` writes them out."""
    from hogwild.datasets import load_a9a, load_svmlight_files

    out = run("datasets", "a9a", str(tmp_path / "data"))
    assert out.returncode == 0, out.stderr
    paths = out.stdout.split()
    assert paths == [str(tmp_path / "data" / "a9a"), str(tmp_path / "data" / "a9a.t")]
    written = load_svmlight_files(paths, n_features=123)
    for mine, shipped in zip(written, load_a9a()):
        if hasattr(mine, "toarray"):
            assert (mine != shipped).nnz == 0 and mine.shape == shipped.shape
        else:
            np.testing.assert_array_equal(mine, shipped)


@pytest.mark.parametrize("args, command", [
    (("train", "missing.svm", "--epochs", "-1"), "hogwild train"),
    (("train", "missing.svm", "--alpha", "-1"), "hogwild train"),
    (("predict", "model.hwm", "data.svm", "--bogus"), "hogwild predict"),
    (("bench", "--write", "foo"), "hogwild bench"),
    (("mf", "train", "ratings.csv", "--epochs", "0"), "hogwild mf train"),
    # (an option before a command's name is its parent's mistake)
    (("--bogus", "train", "data.svm"), "hogwild"),
    (("mf", "--bogus", "train", "ratings.csv"), "hogwild mf"),
    (("mf", "train", "ratings.csv", "--bogus"), "hogwild mf train"),
])
def test_a_mistake_in_a_commands_options_points_to_that_commands_help(args, command):
    """(these pointed to 'hogwild --help', which does not list them; a new
    user's trial)"""
    out = run(*args)
    assert out.returncode == 2
    line = error_line(out)
    assert line.startswith(f"{command}: error: ") and line.endswith(f"(see '{command} --help')")


def test_help_is_plain_text():
    """A terminal shows markup as typed: the options taken from the
    parameter table's numpydoc showed ``solver="hogwild"`` with its
    reStructuredText quotes (19 in 'hogwild train --help'). Every command's
    help, as --help prints it."""
    import argparse

    from hogwild.cli import _parser

    def helps(parser):
        yield parser.prog, parser.format_help()
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for command in action.choices.values():
                    yield from helps(command)

    shown = dict(helps(_parser()))
    assert {"hogwild", "hogwild train", "hogwild predict", "hogwild tune", "hogwild mf train",
            "hogwild mf recommend"} <= set(shown)
    assert [prog for prog, text in shown.items() if "`" in text] == []


@pytest.fixture
def three_classes(tmp_path):
    """Train and test files of 3 classes (labels 1, 2, 3 as svmlight writes
    them: floats), 1-based indices."""
    from sklearn.datasets import dump_svmlight_file, make_classification

    X, y = make_classification(600, 12, n_informative=6, n_classes=3, random_state=0)
    paths = tmp_path / "train.svm", tmp_path / "test.svm"
    for path, rows in zip(paths, (slice(0, 400), slice(400, None))):
        dump_svmlight_file(X[rows], (y[rows] + 1).astype(float), str(path), zero_based=False)
    return paths


def test_a_one_vs_rest_epoch_shows_its_class_against_the_rest_on_the_test_data(three_classes, tmp_path):
    """(the column was empty for more than two classes; a new user's trial)"""
    import hogwild

    train, test = three_classes
    model_path = tmp_path / "m.hwm"
    out = run("train", str(train), "--test", str(test), "--epochs", "4", "--threads", "1", "-o", str(model_path))
    assert out.returncode == 0, out.stderr
    rows = [line.split() for line in out.stdout.splitlines() if re.match(r"\s+\d+\s+[123]\s", line)]
    assert [(row[0], row[1]) for row in rows] == [(str(e), str(c)) for c in (1, 2, 3) for e in (1, 2, 3, 4)]
    model = hogwild.load(model_path)
    X_test, y_test = hogwild.datasets.load_svmlight(str(test), n_features=12)
    for k, row in enumerate(rows[3::4]):  # each class's last epoch: its weights in the model
        against_the_rest = np.mean((X_test @ model.coef_[k] + model.intercept_[k] > 0) == (y_test == k + 1))
        assert float(row[3]) == pytest.approx(against_the_rest, abs=5e-5)


def test_predict_names_labels_that_are_no_class_and_spells_classes_as_its_predictions(three_classes, tmp_path):
    """A file of another task scored 0.0000 without a word; the --proba
    header said 1.0 2.0 3.0 over predictions 1, 2, 3 (a new user's trial)."""
    train, test = three_classes
    model_path = tmp_path / "m.hwm"
    assert run("train", str(train), "--epochs", "2", "-o", str(model_path)).returncode == 0
    out = run("predict", str(model_path), str(test), "--proba")
    assert out.returncode == 0 and out.stdout.splitlines()[0] == "# 1 2 3"
    assert set(run("predict", str(model_path), str(test)).stdout.split()) <= {"1", "2", "3"}
    other = tmp_path / "other.svm"
    other.write_text("1 1:0.5\n-1 2:0.5\n-1 3:1\n7 1:1\n")
    out = run("predict", str(model_path), str(other))
    assert out.returncode == 0
    assert out.stderr.splitlines()[0] == (f"note: 3 of the 4 labels in {other} are no class of the model "
                                          "(-1 7; its classes: 1 2 3)")


def test_too_many_features_are_named_by_the_files_own_index(three_classes, tmp_path):
    """(a file numbered from 1 holding 500:1 was said to have features up to index 499)"""
    train, _ = three_classes
    model_path = tmp_path / "m.hwm"
    assert run("train", str(train), "--epochs", "1", "-o", str(model_path)).returncode == 0
    wide = tmp_path / "wide.svm"
    wide.write_text("1 3:1 500:1\n")
    out = run("predict", str(model_path), str(wide))
    assert out.returncode == 1
    assert error_line(out) == (f"hogwild predict: error: '{wide}' has features up to index 500, "
                               "but the model knows 12 features")


def test_predict_keeps_large_classes_apart_and_scores_labels_of_any_kind(tmp_path):
    """(a review: ten significant digits wrote classes 12345678901, ...02 and
    ...03 as one; a model of string classes, or a file labeled 1e20, ended
    predict with scikit-learn's label-type error after every prediction)"""
    import hogwild

    rows = "".join(f"{label} {j}:1\n" for label, j in ((12345678901, 1), (12345678902, 2), (12345678903, 3))) * 30
    (tmp_path / "ids.svm").write_text(rows)
    assert run("train", str(tmp_path / "ids.svm"), "--epochs", "5", "-o", str(tmp_path / "ids.hwm")).returncode == 0
    out = run("predict", str(tmp_path / "ids.hwm"), str(tmp_path / "ids.svm"), "--proba")
    assert out.returncode == 0 and out.stdout.splitlines()[0] == "# 12345678901 12345678902 12345678903"
    out = run("predict", str(tmp_path / "ids.hwm"), str(tmp_path / "ids.svm"))
    assert out.stdout.splitlines()[:3] == ["12345678901", "12345678902", "12345678903"]
    assert out.stderr.strip() == f"accuracy against the labels in {tmp_path / 'ids.svm'}: 1.0000"

    X = np.array([[1.0, 0.0], [0.0, 1.0]] * 20)
    hogwild.SGDClassifier(max_iter=5, tol=None).fit(X, np.array(["neg", "pos"] * 20)).save(tmp_path / "s.hwm")
    (tmp_path / "numbers.svm").write_text("1 1:1\n1e20 2:1\n")
    out = run("predict", str(tmp_path / "s.hwm"), str(tmp_path / "numbers.svm"))
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["neg", "pos"]
    assert out.stderr.splitlines()[-1] == f"accuracy against the labels in {tmp_path / 'numbers.svm'}: 0.0000"
