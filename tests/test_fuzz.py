"""Short coverage-guided fuzz runs (atheris) of hogwild.load and of the
svmlight reader, as CI runs them: a fixed number of executions from the
seed corpora under tests/fuzz/ (copied: libFuzzer adds to its corpus
folder); any exception but the promised ValueError, or a crash, fails.
Long runs by hand: python tests/fuzz/fuzz_load.py DIR -runs=1000000."""

import os
import shutil
import subprocess
import sys

import pytest

pytest.importorskip("atheris", reason="fuzzing needs atheris (pip install '.[test]')")

FUZZ = os.path.join(os.path.dirname(__file__), "fuzz")


@pytest.mark.parametrize("harness, corpus, max_len", [
    ("fuzz_load.py", "corpus_load", 20000),
    ("fuzz_reader.py", "corpus_reader", 4096),
])
def test_a_short_fuzz_run_finds_nothing(harness, corpus, max_len, tmp_path):
    work = tmp_path / "corpus"
    shutil.copytree(os.path.join(FUZZ, corpus), work)
    done = subprocess.run([sys.executable, os.path.join(FUZZ, harness), str(work), "-runs=20000",
                           f"-max_len={max_len}", "-seed=1", f"-artifact_prefix={tmp_path}/crash-"],
                          capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Done 20000 runs" in done.stderr
    assert not list(tmp_path.glob("crash-*"))
