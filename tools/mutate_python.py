#!/usr/bin/env python3
"""Mutation testing of python/hogwild with a curated mutant list.

    python tools/mutate_python.py --list       # the mutants (tools/python_mutants.toml)
    python tools/mutate_python.py              # all of them: a table of verdicts and the score
    python tools/mutate_python.py --only 'sgd-*'

The same approach as tools/mutate_cpp.py (see tools/mutation_engine.py):
the working tree is copied to --work-dir (default build/mutation-python),
the compiled _core of the hogwild this interpreter imports is linked into
the copy (so build it first: pip install -e .), and each mutant is applied
to the copy and tested with its pytest selection, with a timeout. No build
step: a mutant costs only its tests.

Why a hand-written list beside mutmut (tools/run_mutmut.py): mutmut needs
the package restaged in a src layout to run at all (see that script), and
it then generates ~2,200 mutants of these four files, nearly all of them in
code that every fit runs, so each one runs the whole selection: hours on a
2-core machine, and hundreds of survivors (mostly reworded error messages)
to judge. This list holds ~30 mutants chosen for what matters here, each
with a targeted selection: a run takes minutes and every survivor is worth
reading.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import sysconfig
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import mutation_engine as engine  # noqa: E402

CORE_NAME = "_core" + (sysconfig.get_config_var("EXT_SUFFIX") or ".so")
CORE_LINK = f"python/hogwild/{CORE_NAME}"


def installed_core() -> Path:
    """The compiled _core of the hogwild this interpreter imports (an editable
    install's or a regular one's)."""
    out = subprocess.run([sys.executable, "-c", "import hogwild._core as c; print(c.__file__)"],
                         capture_output=True, text=True, cwd="/")
    if out.returncode != 0:
        raise SystemExit("hogwild is not importable here: build and install it first (pip install -e .)\n"
                         + out.stderr)
    return Path(out.stdout.strip()).resolve()


class PythonTool(engine.Tool):
    title = "Python mutants"
    keep = {CORE_LINK}

    def prepare(self, slot: engine.Slot) -> None:
        core, link = installed_core(), slot.tree / CORE_LINK
        if link.is_symlink() and link.resolve() == core:
            return
        if link.exists() or link.is_symlink():
            link.unlink()
        link.symlink_to(core)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    engine.add_common_arguments(parser, engine.ROOT / "tools" / "python_mutants.toml",
                                engine.ROOT / "build" / "mutation-python")
    return PythonTool().run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
