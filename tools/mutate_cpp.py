#!/usr/bin/env python3
"""Mutation testing of the C++ core: does the test suite notice planted bugs?

    python tools/mutate_cpp.py --list            # the mutants (tools/cpp_mutants.toml)
    python tools/mutate_cpp.py                   # all of them: a table of verdicts and the score
    python tools/mutate_cpp.py --only l2-doubled-hogwild --only 'average-start-*'

Run it from the project's virtual environment (it needs pybind11, cmake,
ninja and the test dependencies; `pip install -e ".[test,mutation]"`). The
working tree is copied to --work-dir (default build/mutation-cpp, ignored by
git), configured once with CMake and built there (the _core module only);
each mutant is applied to the copy, rebuilt incrementally (only the
translation units that include the mutated file) and tested with its
pytest selection (`pytest -x -q`), with a timeout. The copy and its build
directory are kept, so a second run rebuilds only what changed. With ccache
on PATH, restoring a file after a mutant costs a cache hit, not a compile.
See tools/mutation_engine.py for the verdicts and the score.

Not part of CI: a full run rebuilds the core about twice per mutant.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import mutation_engine as engine  # noqa: E402

CORE_NAME = "_core" + (sysconfig.get_config_var("EXT_SUFFIX") or ".so")
CORE_LINK = f"python/hogwild/{CORE_NAME}"


def project_version() -> str:
    data = engine.tomllib.loads((engine.ROOT / "pyproject.toml").read_text())
    return data["project"]["version"]


class CppTool(engine.Tool):
    title = "C++ mutants"
    keep = {CORE_LINK}

    def __init__(self, build_jobs: int, optimize: str):
        self.build_jobs = build_jobs
        self.optimize = optimize

    def build_dir(self, slot: engine.Slot) -> Path:
        return slot.dir / f"build-{self.optimize}"

    def prepare(self, slot: engine.Slot) -> None:
        build = self.build_dir(slot)
        if (build / "CMakeCache.txt").exists():
            return
        import pybind11

        # the build type "Mutation" carries the optimization level alone (Release would add -O3)
        build_type = ["-DCMAKE_BUILD_TYPE=Release"] if self.optimize == "O3" else [
            "-DCMAKE_BUILD_TYPE=Mutation", f"-DCMAKE_CXX_FLAGS_MUTATION=-{self.optimize} -DNDEBUG"]
        command = [
            "cmake", "-S", str(slot.tree), "-B", str(build), *build_type,
            "-DHOGWILD_BUILD_PYTHON=ON", "-DHOGWILD_CUDA=OFF", f"-DSKBUILD_PROJECT_VERSION={project_version()}",
            f"-Dpybind11_DIR={pybind11.get_cmake_dir()}", f"-DPython_EXECUTABLE={sys.executable}",
        ]
        if shutil.which("ninja"):
            command += ["-G", "Ninja"]
        if shutil.which("ccache"):
            command += ["-DCMAKE_CXX_COMPILER_LAUNCHER=ccache"]
        out = subprocess.run(command, capture_output=True, text=True)
        if out.returncode != 0:
            raise SystemExit(f"cmake configure failed:\n{out.stdout}\n{out.stderr}")

    def build(self, slot: engine.Slot) -> tuple[bool, float, str]:
        start = time.perf_counter()
        build = self.build_dir(slot)
        out = subprocess.run(["cmake", "--build", str(build), "--target", "_core", "--parallel", str(self.build_jobs)],
                             capture_output=True, text=True)
        seconds = time.perf_counter() - start
        if out.returncode != 0:
            return False, seconds, out.stdout + out.stderr
        link = slot.tree / CORE_LINK
        if not link.is_symlink() or Path(os.readlink(link)) != build / CORE_NAME:
            if link.exists() or link.is_symlink():
                link.unlink()
            link.symlink_to(build / CORE_NAME)
        return True, seconds, out.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    engine.add_common_arguments(parser, engine.ROOT / "tools" / "cpp_mutants.toml",
                                engine.ROOT / "build" / "mutation-cpp")
    parser.add_argument("--build-jobs", type=int, default=max(1, (os.cpu_count() or 1)),
                        help="parallel compile jobs of each build (default: the CPU count)")
    parser.add_argument("--optimize", choices=["O1", "O2", "O3"], default="O1",
                        help="optimization level of the mutation builds (default %(default)s: compiles in about "
                             "half the time of the release build's -O3; the tests compare results, which do not "
                             "depend on it)")
    args = parser.parse_args(argv)
    return CppTool(max(1, args.build_jobs // max(1, args.jobs)), args.optimize).run(args)


if __name__ == "__main__":
    sys.exit(main())
