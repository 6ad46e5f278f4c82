"""The ``hogwild`` command line."""

import argparse
import sys
import time


def _demo(args):
    import numpy as np

    from . import SGDClassifier, build_info
    from .datasets import load_a9a

    X, y, X_test, y_test = load_a9a()
    n_cpus = build_info()["usable_cpus"]
    print(f"UCI Adult (a9a): {X.shape[0]} training rows, {X_test.shape[0]} test rows, "
          f"{X.shape[1]} features, {X.nnz} nonzeros (float32 CSR)")
    print(f"logistic regression, L2, alpha=1e-4, {args.epochs} epochs; this machine: "
          f"{n_cpus} usable CPUs\n")
    print(f"{'model':<34}{'test accuracy':>14}{'seconds':>10}{'examples/s':>14}")

    def report(name, model):
        start = time.perf_counter()
        model.fit(X, y)
        seconds = time.perf_counter() - start
        accuracy = model.score(X_test, y_test)
        rate = X.shape[0] * model.n_iter_ / seconds
        print(f"{name:<34}{accuracy:>14.4f}{seconds:>10.3f}{rate:>14.3g}")
        return seconds

    common = dict(loss="log_loss", alpha=1e-4, max_iter=args.epochs, tol=None, random_state=0)
    report("hogwild, 1 thread", SGDClassifier(n_threads=1, **common))
    report(f"hogwild, {n_cpus} threads", SGDClassifier(n_threads=n_cpus, **common))
    try:
        from sklearn.linear_model import SGDClassifier as SklearnSGD
    except ImportError:
        print("(scikit-learn is not installed: no comparison)")
        return 0
    report("scikit-learn SGDClassifier", SklearnSGD(**common))
    np.seterr(all="ignore")
    return 0


def _info(args):
    from . import build_info

    for key, value in build_info().items():
        print(f"{key:>20}: {value}")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="hogwild", description="Parallel lock-free SGD for linear models.")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="train on the shipped a9a data with 1 and all threads")
    demo.add_argument("--epochs", type=int, default=10, help="epochs per model (default 10)")
    demo.set_defaults(run=_demo)
    info = commands.add_parser("info", help="version, build and CPU information")
    info.set_defaults(run=_info)
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
