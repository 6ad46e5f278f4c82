"""Every fenced Python block of the README runs as written (issue 14): the
blocks in order, in one namespace, in a fresh folder, as a reader pasting
them into one session would."""

import os
import re

import pytest

README = os.path.join(os.path.dirname(__file__), "..", "README.md")


def python_blocks():
    with open(README, encoding="utf-8") as f:
        return re.findall(r"^```python\n(.*?)^```", f.read(), flags=re.M | re.S)


def test_the_readme_has_python_blocks():
    assert len(python_blocks()) >= 7


# (the blocks fit with scikit-learn's default tol and a few epochs, as a reader would)
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_every_python_block_of_the_readme_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "__readme__"}
    for number, block in enumerate(python_blocks(), start=1):
        if "mpi4py" in block:
            pytest.importorskip("mpi4py", reason="the README's MPI block needs the mpi extra")
        try:
            exec(compile(block, f"README.md python block {number}", "exec"), namespace)
        except Exception as error:  # noqa: BLE001 (the block and the error, in the failure)
            pytest.fail(f"README python block {number} raised {type(error).__name__}: {error}\n{block}")
    assert os.path.exists(tmp_path / "model.hwm") and os.path.exists(tmp_path / "threads.png")
