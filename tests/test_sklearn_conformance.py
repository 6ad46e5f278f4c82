"""scikit-learn's own estimator checks."""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

import hogwild

# The same exemption scikit-learn grants its own SGD estimators: with SGD, a
# sample of weight 2 is one larger step, not two steps on two samples.
SAMPLE_WEIGHT_IS_NOT_REPETITION = {
    "check_sample_weight_equivalence_on_dense_data": "sample_weight is not equivalent to removing/repeating samples.",
    "check_sample_weight_equivalence_on_sparse_data": "sample_weight is not equivalent to removing/repeating samples.",
}
# A full batch's gradient is a mean over its rows: a row of weight c is the
# row repeated c times only up to that mean's denominator (the row count, not
# the total weight). test_oracles_synchronous.py checks the exact equivalence
# with eta and alpha rescaled by the denominators.
SAMPLE_WEIGHT_IS_NOT_REPETITION_IN_BATCHES = {
    check: "a weight-c row is c repeated rows only up to the batch mean's denominator (rows, not total weight)"
    for check in SAMPLE_WEIGHT_IS_NOT_REPETITION
}
# Checks that fit twice and compare exact predictions: several Hogwild!
# threads are not bit-reproducible (documented), one thread is. Each of these
# failed in most of 8 reruns (check_classifier_data_not_an_array and
# check_regressor_data_not_an_array are skipped where pandas is absent);
# check_n_features_in_after_fitting, listed here before, passed in all 8
# and is checked again. check_regressors_int (int X against its float copy,
# predictions within 1e-2) failed in 1 of 7 local reruns and one CI run on
# 2026-12-01 (differences up to 0.024 on its 50 rows).
NOT_BIT_REPRODUCIBLE_WITH_THREADS = {
    "check_regressors_int": "several Hogwild! threads are not bit-reproducible",
    "check_classifier_data_not_an_array": "several Hogwild! threads are not bit-reproducible",
    "check_regressor_data_not_an_array": "several Hogwild! threads are not bit-reproducible",
    "check_fit_idempotent": "several Hogwild! threads are not bit-reproducible",
    "check_class_weight_balanced_linear_classifier": "several Hogwild! threads are not bit-reproducible",
    "check_supervised_y_2d": "several Hogwild! threads are not bit-reproducible",
}

# Delayed gradients need small steps (step x delay x curvature < ~1): this
# check weights one class 1000x (a 1000x step) on 50 rows; async SGD's
# accuracy there then depends on the threads' timing (below the check's 0.87
# in ~1 run of 5 with 2 threads, measured; 1 of 8 reruns again). test_async_solver.py checks that
# async honours class weights at ordinary scales.
DELAYED_GRADIENTS_AT_1000X_STEPS = {
    "check_class_weight_classifiers": "async SGD's stale gradients at the check's 1000x class weights",
}


# The same check under two Hogwild! threads: 1000x steps on 50 dense rows of
# 2 features, where every row writes the weights the other thread is
# writing; in 2 of 25 reruns (1 of 30 with hot_features=0, none of 30 with
# write="locked" or one thread) the model fell under the check's 0.87.
RACING_1000X_STEPS = {
    "check_class_weight_classifiers": "two Hogwild! threads racing on 1000x steps (2 features, 50 rows)",
}


# The same check for two local-SGD replicas under learning_rate="auto": its
# steps are 1 / L of the data (rows of squared norm ~3,000 here), so the
# 1000x class weight is a 1000x step again; averaging two replicas that
# each jump so far gave 0.5-1.0 of the predictions to class 0 over 10 seeds
# (5 of 10 above 0.87; hogwild on one thread: 9 of 10). test_default_steps.py
# checks class weights at ordinary scales under "auto".
REPLICAS_AT_1000X_STEPS = {
    "check_class_weight_classifiers": "two averaged replicas jumping 1000x steps (2 features, 50 rows)",
}


def expected_failures(estimator):
    failures = dict(SAMPLE_WEIGHT_IS_NOT_REPETITION_IN_BATCHES if estimator.solver in ("minibatch", "gd")
                    else SAMPLE_WEIGHT_IS_NOT_REPETITION)
    if estimator.solver in ("hogwild", "async") and (estimator.n_threads or 2) > 1:
        failures.update(NOT_BIT_REPRODUCIBLE_WITH_THREADS)
    if estimator.solver == "async":
        failures.update(DELAYED_GRADIENTS_AT_1000X_STEPS)
    if estimator.solver == "hogwild" and (estimator.n_threads or 2) > 1:
        failures.update(RACING_1000X_STEPS)
    if estimator.solver == "local" and (estimator.n_threads or 2) > 1:
        failures.update(REPLICAS_AT_1000X_STEPS)
    return failures


# Some checks train with few epochs on purpose; scikit-learn warns there too.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks([
    hogwild.SGDClassifier(n_threads=2, random_state=0),
    hogwild.SGDClassifier(solver="sequential", random_state=0),
    hogwild.SGDRegressor(n_threads=2, random_state=0),
    hogwild.SGDRegressor(solver="sequential", random_state=0),
    hogwild.SGDClassifier(solver="local", n_threads=2, random_state=0),
    hogwild.SGDRegressor(solver="easgd", n_threads=2, random_state=0),
    # (tol=None, 200 epochs: with the default tol the fit stops after a handful
    # of epochs, where two threads' stale gradients leave the accuracy of
    # check_classifiers_train within timing noise of its 0.83 bar (0.807 worst of
    # 600 fits under a CPU hog, once below in an idle CI run); 200 epochs: 0.91
    # worst of 300 under the same hog)
    hogwild.SGDClassifier(solver="async", n_threads=2, batch_size=4, random_state=0, tol=None, max_iter=200),
    hogwild.SGDRegressor(solver="async", n_threads=1, batch_size=4, random_state=0),
    hogwild.SGDClassifier(solver="buckwild", n_threads=1, random_state=0),
    hogwild.SGDClassifier(solver="hogwild", n_threads=1, random_state=0),
    hogwild.SGDRegressor(solver="hogwild", n_threads=1, random_state=0),
    # (the checks' data sets have 30-200 rows: batches of 16 make several steps an epoch)
    hogwild.SGDClassifier(solver="minibatch", batch_size=16, n_threads=2, random_state=0),
    hogwild.SGDRegressor(solver="minibatch", batch_size=16, n_threads=2, random_state=0),
    # one step an epoch: the per-epoch stopping rule would end training after
    # a few dozen steps, so gd runs its max_iter steps (tol=None)
    hogwild.SGDClassifier(solver="gd", tol=None, n_threads=2, random_state=0),
    hogwild.SGDRegressor(solver="gd", tol=None, n_threads=2, random_state=0),
], expected_failed_checks=expected_failures)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
