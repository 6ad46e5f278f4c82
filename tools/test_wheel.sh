#!/usr/bin/env bash
# A wheel tested as a user gets it: installed into a fresh virtual
# environment, run with a PATH that holds no compiler, linker or CMake, with
# no source tree beside it; then a copy of the tests runs
# against the installed package, and `hogwild info` and `hogwild demo` run.
#
#   tools/test_wheel.sh dist/cuda-OFF/hogwild-*-manylinux*.whl [pytest arguments]
#
# Without pytest arguments it runs WHEEL_TESTS, a smoke subset for what a
# wheel can get wrong that the checkout's build cannot: the bundled OpenMP
# runtime (test_openmp_runtimes), the extension's entry points from every
# module (every solver, the reader, model files, bad input, the training
# session, the GPU trainer's emulation, the command line's tests) and the
# installed `hogwild` command (`hogwild info`, `hogwild demo` below); the
# Ctrl-C tests are left out (each starts Python again and waits for a
# signal; .ci/run's first stage runs them against the checkout's build).
# About a minute here. Pass `tests` to run the whole suite. The data sets are read from ../shared/data where it
# exists (HOGWILD_SHARED_DATA), as in the checkout.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
wheel=$(realpath "$1")
shift
WHEEL_TESTS=(-k "not ctrl_c"
             tests/test_openmp_runtimes.py tests/test_input_validation.py tests/test_hogwild_solver.py
             tests/test_synchronous_solvers.py tests/test_model_file.py tests/test_svmlight.py tests/test_session.py
             tests/test_gpu_emulation.py tests/test_cuda_device.py tests/test_cli.py)
tests=("${@:-${WHEEL_TESTS[@]}}")

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q --upgrade pip
started=$(date +%s)
"$work/venv/bin/python" -m pip install -q "$wheel[test]"
echo "installed $(basename "$wheel") with its test extra in $(( $(date +%s) - started )) s"

# the tests and their pytest settings (pyproject's), without the sources
cp -r "$repo/tests" "$work/tests"
rm -rf "$work/tests/cpp" "$work/tests/fuzz"
"$work/venv/bin/python" - "$repo/pyproject.toml" "$work/pytest.ini" <<'PY'
import sys, tomllib
options = tomllib.load(open(sys.argv[1], "rb"))["tool"]["pytest"]["ini_options"]
with open(sys.argv[2], "w") as ini:
    ini.write("[pytest]\n")
    for key in ("filterwarnings", "markers"):
        ini.write(f"{key} =\n" + "".join(f"    {line}\n" for line in options[key]))
PY

# a PATH with the system's programs but no compiler, assembler, linker or build tool
mkdir -p "$work/bin"
for program in /usr/local/bin/* /usr/bin/* /bin/*; do
    name=$(basename "$program")
    case "$name" in
        cc|c++|cpp|c89|c99|gcc*|g++*|*-gcc*|*-g++*|*-cc|clang*|nvcc*|cmake*|ninja*|make|gmake|as|ld|ld.*|*-ld|*-as)
            continue ;;
    esac
    [ -e "$work/bin/$name" ] || ln -s "$program" "$work/bin/$name"
done
data="${HOGWILD_SHARED_DATA:-$repo/../shared/data}"
cd "$work"
run() {  # the environment a user has: the venv first, no compiler
    env -i HOME="$HOME" PATH="$work/venv/bin:$work/bin" CI="${CI:-}" HOGWILD_SHARED_DATA="$data" "$@"
}
for compiler in cc gcc c++ g++ clang nvcc cmake; do
    if run sh -c "command -v $compiler" >/dev/null 2>&1; then echo "a $compiler is on the test's PATH"; exit 1; fi
done
run python -c "
import hogwild, sys
assert hogwild.__file__.startswith('$work/venv/'), hogwild.__file__
print('hogwild', hogwild.__version__, 'from', hogwild.__file__)"
run hogwild info
run hogwild demo
run python -m pytest -q -p no:cacheprovider -rs "${tests[@]}"
