"""Small problems, where most people first try a drop-in: hogwild against
scikit-learn's SGDClassifier on data sets of hundreds to a hundred thousand
rows, on an idle machine and next to one busy competing process.

    python bench/bench_small.py [--data ../shared/data] [--repeats 9] [--epochs 20] [--busy]

For each data set: scikit-learn's SGDClassifier, hogwild's "sequential"
solver (n_threads=None), its default solver ("hogwild") with n_threads=1
and 2, and the default altogether (n_threads=None: threads by the data's
size, one-vs-rest classes at the same time), pinned and not; max_iter=--epochs, tol=None,
random_state=0; the median of --repeats fits, in milliseconds, the columns'
fits taken in turn (one of each, --repeats times, each round from the next
column on).
--busy starts one process that keeps a core busy (as a browser or a
notebook kernel does on a laptop) for the whole run. Also the fixed cost of
a fit (two rows, one epoch) and of an epoch on tiny data, and the CPU
that idle OpenMP threads use after a fit (hogwild's GOMP_SPINCOUNT against
libgomp's default).

Data: ../shared/data (dna.scale, a9a, heart_scale, agaricus.txt.train)
beside the project, or --data; scikit-learn's iris and digits; a generated
20-class problem of 100,000 rows (scikit-learn's make_classification).
"""

import argparse
import multiprocessing
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np


def burn():
    while True:
        pass


def data_sets(folder):
    from sklearn.datasets import load_digits, load_iris, load_svmlight_file, make_classification

    sets = []

    def svm(name, n_features=None, rows=None, label=None):
        path = folder / name
        if not path.exists():
            print(f"(skipping {label or name}: {path} is absent)", file=sys.stderr)
            return
        X, y = load_svmlight_file(str(path), n_features=n_features, dtype=np.float64)
        if rows:
            X, y = X[:rows], y[:rows]
        X.indices, X.indptr = X.indices.astype(np.int32), X.indptr.astype(np.int32)  # (scikit-learn's SGD takes int32)
        sets.append((label or name, X, y))

    svm("dna.scale", 180, label="dna.scale (3 classes)")
    digits = load_digits()
    sets.append(("digits (10 classes, dense)", digits.data / 16.0, digits.target))
    svm("a9a", 123, rows=2000, label="a9a, first 2,000 rows")
    iris = load_iris()
    sets.append(("iris (3 classes, dense)", iris.data, iris.target))
    svm("heart_scale", 13, label="heart_scale")
    svm("agaricus.txt.train", 126, label="agaricus")
    X, y = make_classification(100_000, 50, n_informative=30, n_classes=20, n_clusters_per_class=1, random_state=0)
    sets.append(("generated, 20 classes, 100,000 x 50 dense", X, y))
    return sets


# run in a fresh process: libgomp reads GOMP_SPINCOUNT once, when loaded
IDLE_THREADS_SCRIPT = """
import json, statistics, time
import numpy as np
import hogwild
rng = np.random.default_rng(0)
X = rng.standard_normal((12000, 20))
y = (X @ rng.standard_normal(20) > 0).astype(int)
used = []
for _ in range(5):
    hogwild.SGDClassifier(n_threads=2, max_iter=5, tol=None, random_state=0).fit(X, y)
    before = time.process_time()
    time.sleep(0.3)
    used.append(time.process_time() - before)
print(json.dumps(statistics.median(used) * 1e3))
"""


def idle_threads_cpu_ms(spin_count):
    """Milliseconds of CPU the idle threads of a 2-thread fit use in the
    0.3 s after it, in a fresh process: with hogwild's setting (None) or
    GOMP_SPINCOUNT=spin_count."""
    import json
    import subprocess

    env = {key: value for key, value in os.environ.items() if key not in ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY")}
    if spin_count is not None:
        env["GOMP_SPINCOUNT"] = spin_count
    done = subprocess.run([sys.executable, "-c", IDLE_THREADS_SCRIPT], capture_output=True, text=True, env=env,
                          check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def median_ms(fit, repeats):
    return medians_ms({"fit": fit}, repeats)["fit"]


def medians_ms(fits, repeats):
    """Median milliseconds of each fit, the fits taken in turn (one of each,
    `repeats` times, each round from the next fit on): a machine whose
    speed drifts during the run then moves every column alike, where blocks
    of one fit after another skewed the ratios between columns."""
    times = {key: [] for key in fits}
    keys = list(fits)
    for round_ in range(repeats):
        # (each round starts at the next column: none always follows the
        # same one, whose idle OpenMP threads may still spin)
        for key in keys[round_ % len(keys):] + keys[:round_ % len(keys)]:
            start = time.perf_counter()
            fits[key]()
            times[key].append((time.perf_counter() - start) * 1e3)
    return {key: statistics.median(values) for key, values in times.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--busy", action="store_true", help="keep one competing process busy during the run")
    args = parser.parse_args()

    import sklearn.linear_model as sk

    import hogwild

    busy = None
    if args.busy:
        busy = multiprocessing.Process(target=burn, daemon=True)
        busy.start()
    try:
        common = dict(max_iter=args.epochs, tol=None, random_state=0)
        print(f"median of {args.repeats} fits, ms; max_iter={args.epochs}, tol=None; "
              f"{os.cpu_count()} CPUs" + ("; one competing busy process" if busy else "; idle"))
        print()
        print("| data | scikit-learn | sequential | hogwild, 1 thread | hogwild, 2 threads | default | "
              "default, pin_threads=False | default's threads |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- |")
        for name, X, y in data_sets(args.data):
            runs = {
                "sklearn": lambda: sk.SGDClassifier(**common).fit(X, y),
                "sequential": lambda: hogwild.SGDClassifier(solver="sequential", **common).fit(X, y),
                "1": lambda: hogwild.SGDClassifier(n_threads=1, **common).fit(X, y),
                "2": lambda: hogwild.SGDClassifier(n_threads=2, **common).fit(X, y),
                "default": lambda: hogwild.SGDClassifier(**common).fit(X, y),
                "unpinned": lambda: hogwild.SGDClassifier(pin_threads=False, **common).fit(X, y),
            }
            figures = medians_ms(runs, args.repeats)
            default = hogwild.SGDClassifier(**common).fit(X, y)
            per_class = default.history_[-1].get("threads", "")
            workers = 1 if len(default.classes_) == 2 else \
                default._class_parallelism(len(default.classes_), X.nnz if hasattr(X, "nnz") else X.size)[0]
            threads = f"{per_class}" if workers == 1 else f"{workers} classes at a time x {per_class}"
            base = figures["sklearn"]
            cells = [f"{figures['sklearn']:.1f}"] + [f"{figures[k]:.1f} ({base / figures[k]:.2f}x)"
                                                       for k in ("sequential", "1", "2", "default", "unpinned")]
            print(f"| {name} | " + " | ".join(cells) + f" | {threads} |", flush=True)

        X2, y2 = np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([0, 1])
        fixed, fixed_sk = medians_ms({"hogwild": lambda: hogwild.SGDClassifier(max_iter=1, tol=None).fit(X2, y2),
                                      "sklearn": lambda: sk.SGDClassifier(max_iter=1, tol=None).fit(X2, y2)},
                                     51).values()
        print(f"\nfixed cost of a fit (2 rows, 1 epoch): hogwild {fixed:.3f} ms, scikit-learn {fixed_sk:.3f} ms")
        tiny = [median_ms(lambda: hogwild.SGDClassifier(max_iter=e, tol=None).fit(X2, y2), 51) for e in (1, 101)]
        print(f"cost of an epoch on 2 rows: hogwild {(tiny[1] - tiny[0]) / 100 * 1e3:.1f} us")
        spun = {setting: idle_threads_cpu_ms(setting) for setting in (None, "300000")}
        print(f"CPU used by idle OpenMP threads in the 0.3 s after a 2-thread fit (median of 5): "
              f"{spun[None]:.2f} ms as hogwild sets libgomp (GOMP_SPINCOUNT=10000), "
              f"{spun['300000']:.2f} ms at libgomp's default (300000)")
    finally:
        if busy is not None:
            busy.terminate()


if __name__ == "__main__":
    main()
