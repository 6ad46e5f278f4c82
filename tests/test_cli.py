"""The command line, run as users run it."""

import subprocess
import sys


def run(*args):
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
    out = run("fly")
    assert out.returncode == 2
    assert "invalid choice" in out.stderr
    assert "Traceback" not in out.stderr
