#!/usr/bin/env bash
# The GPU build's check on a machine with a CUDA GPU, in one run and one table:
#
#   bench/gpu/device_check.sh          (from anywhere; it works in the repository root)
#
# 1. build and install with CUDA (pip install --no-build-isolation --no-deps . -Ccmake.define.HOGWILD_CUDA=ON)
# 2. what the machine and the build are (nvidia-smi, hogwild.build_info(), hogwild.cuda)
# 3. the GPU tests (pytest -m gpu tests/gpu -x)
# 4. bench/bench_gpu.py (its targets: bandwidth, epoch time, vs CPU hogwild, vs PyTorch)
# 5. CPU hogwild thread scaling (1, 2, 4, 8, 16 threads) on the same problem, the
#    machine's NUMA topology, and the most threads again with a model replica
#    per node (numa="replicate") against one shared model
# 6. one Markdown table of it all, on stdout and in summary.md
#
# Logs and results go to $OUT when it is set, else build/device_check/. Each
# stage runs under `timeout`, within a total budget (TOTAL_BUDGET seconds,
# default 470); a failed stage is recorded and the next one runs. Exits 1
# when the build or the GPU tests failed, else 0.
#
# Environment: SKIP_BUILD=1 (use the hogwild already installed), PYTHON
# (default python3), TOTAL_BUDGET, BUILD_TIMEOUT (300), TESTS_TIMEOUT (150),
# BENCH_TIMEOUT (180), SCALING_TIMEOUT (60), GPU_TESTS (tests/gpu),
# BENCH_ARGS (extra arguments of bench_gpu.py, e.g. --quick), SCALING_ROWS
# (1000000), SCALING_FEATURES (100000), SCALING_NNZ (40), SCALING_EPOCHS (5),
# SCALING_THREADS ("1 2 4 8 16").

set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$REPO" || exit 2
PY=${PYTHON:-python3}
LOG=${OUT:-$REPO/build/device_check}
mkdir -p "$LOG"
LOG=$(cd "$LOG" && pwd)
STAGES="$LOG/stages.tsv"
: >"$STAGES"

TOTAL_BUDGET=${TOTAL_BUDGET:-470}
START=$(date +%s)
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-16}
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 PIP_BREAK_SYSTEM_PACKAGES=1
export PYTHONUNBUFFERED=1

elapsed() { echo $(( $(date +%s) - START )); }

# stage_limit DEFAULT LATER: seconds a stage may take, leaving LATER seconds to the stages after it
# (at least 10: `timeout 0` would mean no limit at all)
stage_limit() {
    local left=$(( TOTAL_BUDGET - $(elapsed) - $2 ))
    (( left > $1 )) && left=$1
    (( left < 10 )) && left=10
    echo "$left"
}

# record NAME STATUS SECONDS NOTE
record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$STAGES"; }

header() { printf '\n== %s (at %ss) ==\n' "$1" "$(elapsed)"; }

status_of() {  # status_of RC [TIMEOUT_SECONDS]
    case "$1" in
        0) echo ok ;;
        124|137) echo "FAILED (timed out after ${2:-?} s)" ;;
        *) echo "FAILED (exit $1)" ;;
    esac
}

BUILD_FAILED=0
TESTS_FAILED=0

# ---------------------------------------------------------------- 1. build
header "1. build and install with CUDA"
if [[ "${SKIP_BUILD:-0}" == 1 ]]; then
    echo "SKIP_BUILD=1: using the installed hogwild"
    record build skipped 0 "SKIP_BUILD=1"
else
    limit=$(stage_limit "${BUILD_TIMEOUT:-300}" 170)
    t0=$(date +%s)
    echo "$PY -m pip install --no-build-isolation --no-deps -v . -Ccmake.define.HOGWILD_CUDA=ON" \
         "(timeout ${limit} s, CMAKE_BUILD_PARALLEL_LEVEL=$CMAKE_BUILD_PARALLEL_LEVEL; log: $LOG/build.log)"
    timeout --kill-after=10 "$limit" "$PY" -m pip install --no-build-isolation --no-deps -v . \
        -Ccmake.define.HOGWILD_CUDA=ON >"$LOG/build.log" 2>&1
    rc=$?
    seconds=$(( $(date +%s) - t0 ))
    if (( rc != 0 )); then
        BUILD_FAILED=1
        echo "--- build failed (exit $rc); the end of $LOG/build.log:"
        tail -n 60 "$LOG/build.log"
    else
        grep -E "Successfully installed|Built wheel" "$LOG/build.log" | tail -n 2
    fi
    record build "$(status_of $rc "$limit")" "$seconds" "pip install -Ccmake.define.HOGWILD_CUDA=ON"
    echo "build: $(status_of $rc "$limit"), ${seconds} s"
fi

# ---------------------------------------------------------------- 2. the machine and the build
header "2. machine and build"
{
    if nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv >"$LOG/gpu.csv" 2>&1; then
        cat "$LOG/gpu.csv"
    else
        why=$(head -c 300 "$LOG/gpu.csv")
        echo "nvidia-smi failed: $why" | tee "$LOG/gpu.csv"
    fi
    echo "CPUs: $(nproc)"
    timeout 60 "$PY" - "$REPO" <<'EOF' 2>&1
import sys
from pathlib import Path
try:
    import hogwild
except Exception as error:
    print(f"import hogwild failed: {type(error).__name__}: {error}")
    sys.exit(1)
where = Path(hogwild.__file__).resolve()
print("hogwild:", hogwild.__version__, "from", where)
if Path(sys.argv[1]).resolve() in where.parents:
    print("WARNING: hogwild resolves to the source tree, not the installed package")
print("build_info:", hogwild.build_info())
try:
    from hogwild import cuda
    print("cuda devices:", cuda.device_count(), "| unavailable_reason:", repr(cuda.unavailable_reason()))
    for i in range(cuda.device_count()):
        print(f"  cuda:{i}:", cuda.device_name(i))
except Exception as error:
    print(f"hogwild.cuda: {type(error).__name__}: {error}")
try:
    from hogwild import _cuda
    print("_cuda.build_info:", _cuda.build_info())
except Exception as error:
    print(f"hogwild._cuda: {type(error).__name__}: {error}")
try:
    import torch
    print("torch:", torch.__version__, "cuda:", torch.version.cuda, "available:", torch.cuda.is_available())
except Exception as error:
    print(f"torch: {type(error).__name__}: {error}")
EOF
} | tee "$LOG/machine.txt"
GPU_LINE=$(sed -n 2p "$LOG/gpu.csv")
record machine "ok" 0 "${GPU_LINE:-$(head -n 1 "$LOG/gpu.csv")}"

# ---------------------------------------------------------------- 3. GPU tests
header "3. GPU tests"
GPU_TESTS=${GPU_TESTS:-tests/gpu}
limit=$(stage_limit "${TESTS_TIMEOUT:-150}" 110)
t0=$(date +%s)
echo "$PY -m pytest -q -p no:cacheprovider -m gpu $GPU_TESTS -x (timeout ${limit} s; log: $LOG/gpu_tests.log)"
# from the repository root: it has no hogwild/ of its own (the sources are in python/), so the tests
# import the installed package, which has the compiled modules
timeout --kill-after=10 "$limit" "$PY" -m pytest -q -p no:cacheprovider -m gpu "$GPU_TESTS" -x \
    >"$LOG/gpu_tests.log" 2>&1
rc=$?
seconds=$(( $(date +%s) - t0 ))
tail -n 25 "$LOG/gpu_tests.log"
counts=$(tail -n 5 "$LOG/gpu_tests.log" | grep -oE '[0-9]+ (passed|failed|errors?|skipped|deselected|xfailed|xpassed)' \
         | paste -sd, - | sed 's/,/, /g')
passed=$(grep -oE '[0-9]+ passed' <<<"$counts" | grep -oE '[0-9]+' || echo 0)
case $rc in
    0) if (( passed > 0 )); then status=ok; else status="FAILED (none passed: all skipped?)"; fi ;;
    5) status="FAILED (no tests collected)" ;;
    *) status=$(status_of $rc "$limit") ;;
esac
[[ $status == ok ]] || TESTS_FAILED=1
record gpu_tests "$status" "$seconds" "${counts:-no pytest summary line}"

# ---------------------------------------------------------------- 4. bench_gpu.py
header "4. bench/bench_gpu.py"
limit=$(stage_limit "${BENCH_TIMEOUT:-180}" 40)
t0=$(date +%s)
rm -f "$LOG/bench_gpu.json"
# shellcheck disable=SC2086  # BENCH_ARGS is a list of arguments
timeout --kill-after=10 "$limit" "$PY" bench/bench_gpu.py --json "$LOG/bench_gpu.json" ${BENCH_ARGS:-} 2>&1 \
    | tee "$LOG/bench_gpu.log"
rc=${PIPESTATUS[0]}
seconds=$(( $(date +%s) - t0 ))
status=$(status_of $rc "$limit")
if [[ $status == ok ]] && grep -q "nothing was measured" "$LOG/bench_gpu.log"; then
    status="NOT MEASURED"
fi
record bench_gpu "$status" "$seconds" "$(grep -m1 '^no GPU to measure' "$LOG/bench_gpu.log" | cut -c1-200)"

# ---------------------------------------------------------------- 5. CPU thread scaling
header "5. CPU hogwild thread scaling"
limit=$(stage_limit "${SCALING_TIMEOUT:-60}" 5)
t0=$(date +%s)
rm -f "$LOG/cpu_scaling.json"
timeout --kill-after=10 "$limit" "$PY" - "$LOG/cpu_scaling.json" <<'EOF' 2>&1 | tee "$LOG/cpu_scaling.log"
import json, os, statistics, sys, time, warnings

import hogwild
from hogwild.datasets import make_sparse_classification

rows = int(os.environ.get("SCALING_ROWS", 1_000_000))
features = int(os.environ.get("SCALING_FEATURES", 100_000))
nnz = int(os.environ.get("SCALING_NNZ", 40))
epochs = int(os.environ.get("SCALING_EPOCHS", 5))
usable = hogwild.build_info()["usable_cpus"]
threads = [int(t) for t in os.environ.get("SCALING_THREADS", "1 2 4 8 16").split()]
start = time.perf_counter()
X, y = make_sparse_classification(rows, features, nnz, random_state=0)
machine = hogwild.topology()
report = {"rows": rows, "features": features, "nnz": X.nnz, "epochs": epochs, "usable_cpus": usable,
          "data_seconds": time.perf_counter() - start, "scaling": [],
          "topology": f"{len(machine['nodes'])} NUMA node(s) ({machine['source']}): " + "; ".join(
              f"node {n['node']} {len(n['cpus'])} CPUs / {n['physical_cores']} cores" for n in machine["nodes"])}
print("topology:", report["topology"], flush=True)
print(f"{rows:,} x {features:,}, {X.nnz:,} nonzeros, made in {report['data_seconds']:.1f} s; hogwild, log_loss, "
      f"alpha=1e-4, {epochs} epochs; median epoch seconds after the first; {usable} usable CPUs", flush=True)
base = None
for t in threads:
    if t > usable:
        report["scaling"].append({"threads": t, "skipped": f"only {usable} usable CPUs"})
        print(f"{t:>3} threads: skipped, only {usable} usable CPUs", flush=True)
        with open(sys.argv[1], "w") as f:
            json.dump(report, f, indent=2)
        continue
    runs = [(t, "auto")] + ([(t, "replicate")] if t == max(c for c in threads if c <= usable) and t > 1 else [])
    for t, numa in runs:
        model = hogwild.SGDClassifier(loss="log_loss", alpha=1e-4, max_iter=epochs, tol=None, random_state=0,
                                      n_threads=t, numa=numa)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(X, y)
        seconds = statistics.median(r["seconds"] for r in model.history_[1:] or model.history_)
        base = base or (seconds if t == threads[0] else None)
        entry = {"threads": t, "numa": numa, "node_replicas": model.fit_info_["node_replicas"],
                 "median_epoch_seconds": seconds, "rows_per_second": rows / seconds,
                 "speedup": (base / seconds) if base else None, "objective": model.history_[-1]["objective"]}
        report["scaling"].append(entry)
        print(f"{t:>3} threads, numa={numa} ({entry['node_replicas']} node replicas): {seconds:.4f} s/epoch, "
              f"{rows / seconds / 1e6:.1f} M rows/s, objective {entry['objective']:.5f}"
              + (f", {base / seconds:.2f}x of {threads[0]} thread{'s' * (threads[0] > 1)}" if base else ""),
              flush=True)
        with open(sys.argv[1], "w") as f:  # after each run, so that a timeout keeps what was measured
            json.dump(report, f, indent=2)
EOF
rc=${PIPESTATUS[0]}
seconds=$(( $(date +%s) - t0 ))
record cpu_scaling "$(status_of $rc "$limit")" "$seconds" ""

# ---------------------------------------------------------------- 6. summary
header "6. summary"
"$PY" - "$LOG" "$BUILD_FAILED" "$TESTS_FAILED" <<'EOF'
import json, sys
from pathlib import Path

log = Path(sys.argv[1])
build_failed, tests_failed = sys.argv[2] == "1", sys.argv[3] == "1"
stages = {}
for line in (log / "stages.tsv").read_text().splitlines():
    name, status, seconds, note = (line.split("\t") + ["", "", ""])[:4]
    stages[name] = (status, seconds, note)

rows = []
def add(measure, value, target="—", met="—"):
    rows.append((measure, value, target, met))

def stage_status(name):
    return stages.get(name, ("not run", "", ""))

status, seconds, note = stage_status("build")
add("build (pip install, HOGWILD_CUDA=ON)", f"{status}, {seconds} s" if status != "skipped" else f"skipped ({note})",
    "builds", "NO" if build_failed else ("—" if status == "skipped" else "yes"))
status, seconds, note = stage_status("gpu_tests")
add("GPU tests (pytest -m gpu -x)", f"{status}: {note} ({seconds} s)", "all pass", "NO" if tests_failed else "yes")

status, seconds, note = stage_status("bench_gpu")
bench = log / "bench_gpu.json"
report = json.loads(bench.read_text()) if bench.exists() else None
if report and report.get("measured"):
    for row in report["table"]:
        add("bench: " + row["measure"], row["value"], row["target"], row["met"])
    if status != "ok":
        add("bench_gpu.py", status + " (the rows above are what it measured)")
elif report:
    add("bench_gpu.py", f"nothing measured: {report.get('reason', '?')}", "a GPU", "NO")
else:
    add("bench_gpu.py", f"{status} (no bench_gpu.json; see bench_gpu.log)", "runs", "NO")

status, seconds, note = stage_status("cpu_scaling")
scaling = log / "cpu_scaling.json"
if scaling.exists():
    data = json.loads(scaling.read_text())
    problem = f"{data['rows']:,} x {data['features']:,}, {data['nnz'] // data['rows']} nnz/row"
    add("CPU topology", data.get("topology", "?"))
    for entry in data["scaling"]:
        if "skipped" in entry:
            add(f"CPU hogwild, {entry['threads']} threads", f"skipped: {entry['skipped']}")
            continue
        first = data["scaling"][0]["threads"]
        speedup = f", {entry['speedup']:.2f}x of {first} thread{'s' * (first > 1)}" if entry["speedup"] else ""
        numa = "" if entry.get("numa", "auto") == "auto" else f", numa={entry['numa']}"
        add(f"CPU hogwild, {entry['threads']} thread{'s' * (entry['threads'] > 1)}{numa} ({problem})",
            f"{entry['median_epoch_seconds'] * 1e3:,.1f} ms/epoch{speedup}, {entry.get('node_replicas', 0)} node "
            f"replicas, objective {entry.get('objective', float('nan')):.5f}")
    if status != "ok":
        add("CPU scaling", status + " (the rows above are what it measured)")
else:
    add("CPU scaling", f"{status} (no cpu_scaling.json; see cpu_scaling.log)")

text = "| measure | value | target | met |\n| --- | --- | --- | --- |\n" + "".join(
    "| " + " | ".join(str(cell).replace("|", "/") for cell in row) + " |\n" for row in rows)
gpu = stage_status("machine")[2] or "unknown GPU"
title = f"device check: {gpu}\n\n"
(log / "summary.md").write_text(title + text)
print(title + text, end="")
EOF
record summary ok 0 ""
echo
echo "total: $(elapsed) s; logs in $LOG"
if (( BUILD_FAILED || TESTS_FAILED )); then
    exit 1
fi
exit 0
