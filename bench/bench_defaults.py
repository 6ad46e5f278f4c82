"""Every solver with its default parameters, against the L-BFGS optimum.

What a user gets who switches ``solver=`` (and ``optimizer=``) and leaves
the rest alone: L2 logistic regression, float32 CSR, ``tol=None``,
``max_iter`` epochs (``gd``: 4x as many), 2 threads unless told. For
every data set: relative suboptimality of the regularized training
objective after the last epoch (one-vs-rest: the sum over the classes'
problems), epochs and seconds until the objective first came within
1e-2 and 1e-3 of the optimum (binary problems: measured after every epoch
from a callback), and test accuracy.

    python bench/bench_defaults.py [--data a9a,dna,rcv1,heart,zipf] [--epochs 50] [--threads 2]
    python bench/bench_defaults.py --only gd,minibatch --set learning_rate=optimal

Data: ``../shared/data`` beside the project (``HOGWILD_SHARED_DATA``
overrides), the shipped a9a where it is absent; rcv1_small and
heart_scale have no test split: their last fifth is the test set; zipf is
make_sparse_classification(220,000 x 50,000, 30 nonzeros a row), the last
20,000 rows the test set.
"""

import argparse
import os
import time
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

import hogwild
from hogwild.datasets import load_a9a, load_svmlight, load_svmlight_files, make_sparse_classification

from bench_solvers import logistic_objective  # (this folder: the objective and its gradient)

SHARED = Path(os.environ.get("HOGWILD_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


def load(name):
    """(X, y, X_test, y_test) as float32 CSR."""
    if name == "a9a":
        return load_a9a()
    if name == "dna":
        X, y = load_svmlight(SHARED / "dna.scale", n_features=180)
        X_test, y_test = load_svmlight(SHARED / "dna.scale.t", n_features=180)
        return X, y, X_test, y_test
    if name == "agaricus":
        X, y, X_test, y_test = load_svmlight_files([SHARED / "agaricus.txt.train", SHARED / "agaricus.txt.test"])
        return X, y, X_test, y_test
    if name in ("rcv1", "heart"):
        X, y = load_svmlight(SHARED / ("rcv1_small.svm" if name == "rcv1" else "heart_scale"))
        order = np.random.default_rng(0).permutation(X.shape[0])
        X, y = X[order], y[order]
        cut = X.shape[0] * 4 // 5
        return X[:cut], y[:cut], X[cut:], y[cut:]
    if name == "zipf":
        X, y = make_sparse_classification(220_000, 50_000, 30, random_state=0)
        return X[:200_000], y[:200_000], X[200_000:], y[200_000:]
    raise ValueError(f"unknown data set {name!r}")


def one_vs_rest_problems(X, y, alpha):
    """One objective per class (one for two classes), as the estimators split them."""
    classes = np.unique(y)
    labels = [classes[1]] if len(classes) == 2 else list(classes)
    return classes, [logistic_objective(X, np.where(y == c, 1.0, -1.0), alpha) for c in labels]


def optimum(objectives, n_features):
    total = 0.0
    for objective in objectives:
        result = minimize(objective, np.zeros(n_features + 1), jac=True, method="L-BFGS-B",
                          options=dict(maxiter=20000, gtol=1e-10, ftol=1e-15))
        total += result.fun
    return total


def configurations(only):
    configs = {}
    for solver in ("sequential", "hogwild", "local", "easgd", "async", "buckwild", "minibatch", "gd"):
        configs[solver] = dict(solver=solver)
    for optimizer in ("momentum", "nesterov", "adagrad", "rmsprop", "adam"):
        configs[f"hogwild, {optimizer}"] = dict(solver="hogwild", optimizer=optimizer)
    if only:
        wanted = only.split(",")
        configs = {name: p for name, p in configs.items() if any(w == name or w == p["solver"] for w in wanted)}
    return configs


def parse_settings(pairs):
    settings = {}
    for pair in pairs or ():
        key, value = pair.split("=", 1)
        for convert in (int, float):
            try:
                value = convert(value)
                break
            except ValueError:
                pass
        settings[key] = value
    return settings


def run(params, data, alpha, epochs, n_threads, objectives, best, seed=0):
    X, y, X_test, y_test = data
    trace = []

    def measure(record):
        value, _ = objectives[0](np.concatenate([record["coef"], [record["intercept"]]]))
        trace.append((record["elapsed"], record["epoch"], (value - best) / abs(best)))

    model = hogwild.SGDClassifier(loss="log_loss", alpha=alpha, max_iter=epochs, tol=None, random_state=seed,
                                  n_threads=1 if params["solver"] == "sequential" else n_threads, **params)
    start = time.perf_counter()
    model.fit(X, y, callbacks=[measure] if len(objectives) == 1 else None)
    seconds = time.perf_counter() - start
    coef = np.atleast_2d(model.coef_).astype(np.float64)
    total = sum(objective(np.concatenate([coef[k], [model.intercept_[k]]]))[0]
                for k, objective in enumerate(objectives))
    return dict(final=(total - best) / abs(best), accuracy=model.score(X_test, y_test), seconds=seconds,
                trace=trace, eta0=model.get_params()["eta0"], learning_rate=model.get_params()["learning_rate"])


def first_reaching(trace, tolerance):
    for seconds, epoch, gap in trace:
        if gap <= tolerance:
            return f"{epoch} ({seconds:.3f} s)"
    return "-"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="a9a,rcv1,agaricus,dna,heart,zipf")
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--alpha", type=float, default=1e-4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--only", default=None, help="comma-separated configurations or solvers")
    parser.add_argument("--set", action="append", metavar="NAME=VALUE", help="a parameter for every configuration")
    args = parser.parse_args()
    settings = parse_settings(args.set)

    print(f"log_loss, l2, alpha={args.alpha:g}, float32 CSR, tol=None, {args.threads} threads, "
          f"{args.epochs} epochs (gd {4 * args.epochs}); settings {settings or 'none'}\n")
    print("| data | setting | epochs | suboptimality | epochs (s) to 1e-2 | to 1e-3 | test accuracy | fit s |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name in args.data.split(","):
        data = load(name)
        X64 = data[0].astype(np.float64)
        classes, objectives = one_vs_rest_problems(X64, data[1], args.alpha)
        best = optimum(objectives, X64.shape[1])
        for label, params in configurations(args.only).items():
            epochs = 4 * args.epochs if params["solver"] == "gd" else args.epochs
            result = run({**params, **settings}, data, args.alpha, epochs, args.threads, objectives, best)
            binary = len(objectives) == 1
            print(f"| {name} | {label} | {epochs} | {result['final']:.2e} | "
                  f"{first_reaching(result['trace'], 1e-2) if binary else ''} | "
                  f"{first_reaching(result['trace'], 1e-3) if binary else ''} | "
                  f"{result['accuracy']:.3f} | {result['seconds']:.2f} |", flush=True)


if __name__ == "__main__":
    main()
