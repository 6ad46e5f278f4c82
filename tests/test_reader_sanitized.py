"""The svmlight parser under AddressSanitizer and UndefinedBehaviorSanitizer.

Compiles tests/cpp/fuzz_svmlight_reader.cpp with the reader's source and
runs it on 100,000 random and mutated inputs: any out-of-bounds access,
overflow or other undefined behaviour aborts the program.
"""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_no_input_makes_the_parser_touch_memory_it_should_not(tmp_path):
    compiler = shutil.which("g++")
    if compiler is None:
        pytest.skip("g++ is not installed")
    program = tmp_path / "fuzz_svmlight_reader"
    build = subprocess.run(
        [compiler, "-std=c++20", "-O1", "-g", "-fopenmp", "-fsanitize=address,undefined",
         "-fno-sanitize-recover=undefined", f"-I{ROOT / 'cpp' / 'include'}",
         str(ROOT / "tests" / "cpp" / "fuzz_svmlight_reader.cpp"), str(ROOT / "cpp" / "src" / "svmlight_reader.cpp"),
         "-o", str(program)],
        capture_output=True, text=True, timeout=300)
    if build.returncode != 0 and "asan" in build.stderr.lower() and "cannot find" in build.stderr:
        pytest.skip(f"the sanitizer runtimes are not installed: {build.stderr.strip().splitlines()[-1]}")
    assert build.returncode == 0, build.stderr
    run = subprocess.run([str(program), "100000"], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    parsed, errors = (int(word.rstrip(",")) for word in run.stdout.split()[1::2])
    assert parsed > 1000 and errors > 1000  # both outcomes exercised
