"""Many classes, the hinge loss: objective and test accuracy of the
one-vs-rest models of hogwild's default (learning_rate="auto"), of
scikit-learn's SGDClassifier and its own rate (hogwild with
learning_rate="optimal" too), and, with --exact, of LIBLINEAR's exact
solution of the same problems (LinearSVC, C = 1 / (alpha n): minutes).

The objective is the mean over the classes of each one-vs-rest problem's
regularized hinge objective, mean(max(0, 1 - y_c (X w_c + b_c))) + alpha /
2 ||w_c||^2.

    python bench/bench_many_classes.py [--classes 50] [--rows 60000]
        [--epochs 5] [--alpha 1e-4] [--exact]
"""

import argparse
import time

import numpy as np
from sklearn.datasets import make_classification
from sklearn.linear_model import SGDClassifier as SklearnSGD

import hogwild


def one_vs_rest_objective(coef, intercept, X, y, classes, alpha):
    total = 0.0
    for c, label in enumerate(classes):
        signs = np.where(y == label, 1.0, -1.0)
        margins = signs * (X @ coef[c] + intercept[c])
        total += np.maximum(0.0, 1.0 - margins).mean() + 0.5 * alpha * coef[c] @ coef[c]
    return total / len(classes)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--classes", type=int, default=50)
    parser.add_argument("--rows", type=int, default=60_000, help="all rows; the last sixth are the test rows")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--alpha", type=float, default=1e-4)
    parser.add_argument("--exact", action="store_true", help="also LIBLINEAR's exact solution (minutes)")
    args = parser.parse_args()

    X, y = make_classification(n_samples=args.rows, n_features=50, n_informative=30, n_redundant=5,
                               n_classes=args.classes, n_clusters_per_class=1, random_state=0)
    cut = args.rows * 5 // 6
    X_train, y_train, X_test, y_test = X[:cut], y[:cut], X[cut:], y[cut:]
    print(f"{args.classes} classes, {cut} training rows of 50 features, hinge, alpha={args.alpha}, "
          f"{args.epochs} epochs\n")
    common = dict(loss="hinge", alpha=args.alpha, max_iter=args.epochs, tol=None, random_state=0)
    models = [("scikit-learn SGDClassifier", SklearnSGD(**common)),
              ("hogwild, default (auto)", hogwild.SGDClassifier(**common)),
              ('hogwild, learning_rate="optimal"', hogwild.SGDClassifier(**common, learning_rate="optimal"))]
    if args.exact:
        from sklearn.svm import LinearSVC

        models.append(("LIBLINEAR exact (LinearSVC)", LinearSVC(C=1.0 / (args.alpha * cut), loss="hinge",
                                                                 dual=True, max_iter=20_000, tol=1e-5)))
    print(f"{'model':<36}{'seconds':>9}{'objective':>12}{'test accuracy':>15}")
    for name, model in models:
        start = time.perf_counter()
        model.fit(X_train, y_train)
        seconds = time.perf_counter() - start
        objective = one_vs_rest_objective(model.coef_, model.intercept_, X_train, y_train, model.classes_, args.alpha)
        print(f"{name:<36}{seconds:>9.2f}{objective:>12.4f}{model.score(X_test, y_test):>15.4f}")


if __name__ == "__main__":
    main()
