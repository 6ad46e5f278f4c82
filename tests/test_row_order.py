"""The default row order (bench/bench_row_order.py measures it): blocks of
128 rows, 8 blocks interleaved (one from each eighth of the data), on data
of at least 16,384 rows for the parallel solvers; a full shuffle below and
for the sequential solver."""

import numpy as np
import pytest

import hogwild
from hogwild.datasets import make_sparse_classification

ONE_THREAD = dict(solver="hogwild", n_threads=1, max_iter=3, tol=None, random_state=0, loss="log_loss")


def fitted(X, y, **params):
    return hogwild.SGDClassifier(**{**ONE_THREAD, **params}).fit(X, y).coef_


@pytest.fixture(scope="module")
def large():
    """16,384 rows: just enough for the blocked default."""
    return make_sparse_classification(16_384, 2_000, 20, random_state=3)


def test_the_default_on_large_data_is_blocks_of_128_interleaved_8_at_a_time(large):
    X, y = large
    default = fitted(X, y)
    np.testing.assert_array_equal(default, fitted(X, y, shuffle_block_size=128, shuffle_buffer_blocks=8))
    np.testing.assert_array_equal(default, fitted(X, y, shuffle_block_size=128))  # (buffer "auto": 8)
    assert not np.array_equal(default, fitted(X, y, shuffle_block_size=1))
    assert not np.array_equal(default, fitted(X, y, shuffle_block_size=128, shuffle_buffer_blocks=1))
    assert not np.array_equal(default, fitted(X, y, shuffle_block_size=64, shuffle_buffer_blocks=8))


def test_below_16384_rows_and_for_the_sequential_solver_the_default_is_a_full_shuffle(large):
    X, y = large
    X, y = X[:16_383], y[:16_383]
    np.testing.assert_array_equal(fitted(X, y), fitted(X, y, shuffle_block_size=1))
    X, y = large
    sequential = dict(solver="sequential")
    np.testing.assert_array_equal(fitted(X, y, **sequential), fitted(X, y, shuffle_block_size=1, **sequential))


def objective(X, y, coef, intercept, alpha):
    s = np.where(y > 0, 1.0, -1.0)
    margins = s * (X @ coef.ravel() + intercept[0])
    return np.logaddexp(0.0, -margins).mean() + 0.5 * alpha * coef.ravel() @ coef.ravel()


def test_on_a9a_sorted_by_label_the_default_order_converges_like_a_full_shuffle(a9a):
    """The adversarial case of a block order: every block of one class. A
    plain block shuffle is far off after 10 epochs (measured: +33%); the
    default's 8 interleaved blocks, one from each eighth of the data, stay
    within 0.5% of the full shuffle (measured: -0.0%; 8 blocks drawn at
    random, as CorgiPile draws them: +2.7%, and 64 of them -0.2%),
    averaged over 3 seeds (the seeds' own spread: 0.3%)."""
    X, y = a9a[0], a9a[1]
    order = np.argsort(y, kind="stable")
    X, y = X[order].astype(np.float32), y[order]

    def mean_objective(**params):
        values = []
        for seed in range(3):
            model = hogwild.SGDClassifier(**{**ONE_THREAD, "max_iter": 10, "average": True,
                                             "random_state": seed, **params}).fit(X, y)
            values.append(objective(X, y, model.coef_, model.intercept_, model.alpha))
        return np.mean(values)

    full_shuffle = mean_objective(shuffle_block_size=1)
    assert mean_objective() / full_shuffle - 1.0 < 0.005
    assert mean_objective(shuffle_buffer_blocks=1, shuffle_block_size=128) / full_shuffle - 1.0 > 0.1


def test_shuffle_false_is_data_order_on_large_data():
    """shuffle=False visits the rows in data order whatever their number, as
    scikit-learn's does: "auto" must not interleave blocks there (it did,
    on data of at least 16,384 rows)."""
    from hogwild.datasets import make_sparse_classification

    X, y = make_sparse_classification(20_000, 500, 10, random_state=0)
    params = dict(n_threads=1, max_iter=1, tol=None, shuffle=False, random_state=0)
    model = hogwild.SGDClassifier(**params).fit(X, y)
    explicit = hogwild.SGDClassifier(shuffle_block_size=1, **params).fit(X, y)
    np.testing.assert_array_equal(model.coef_, explicit.coef_)


def test_on_sorted_data_no_epoch_ends_on_one_class(a9a):
    """The blocks that the buffers leave over (249 blocks of 128 rows are
    8 x 31 + 1) join full buffers: as a buffer of their own they put 128
    rows of one class in a row, and on the seeds where that buffer came
    last (3 of these 40) the 5th epoch ended on it: test accuracy
    0.45-0.55, where the full shuffle's worst is 0.79 (measured)."""
    X, y, X_test, y_test = a9a
    X, y = X[:31_800], y[:31_800]
    order = np.argsort(y, kind="stable")
    X, y = X[order], y[order]
    scores = [hogwild.SGDClassifier(max_iter=5, tol=None, n_threads=1, random_state=seed).fit(X, y).score(X_test, y_test)
              for seed in range(40)]
    assert min(scores) > 0.78


@pytest.mark.parametrize("solver", ["sequential", "hogwild"])
def test_shuffle_false_is_data_order_whatever_the_blocks(solver):
    """shuffle=False visits the rows in data order also with an explicit
    shuffle_block_size and shuffle_buffer_blocks (the buffers interleaved
    their blocks: rows 0, 128, 256, ..., the sequential solver 0.64 away
    from scikit-learn's model)."""
    X, y = make_sparse_classification(3_000, 200, 10, random_state=1)
    params = dict(solver=solver, n_threads=1, max_iter=2, tol=None, shuffle=False, random_state=0)
    data_order = hogwild.SGDClassifier(shuffle_block_size=1, **params).fit(X, y).coef_
    for blocks in (dict(shuffle_block_size=128), dict(shuffle_block_size=100, shuffle_buffer_blocks=3)):
        np.testing.assert_array_equal(hogwild.SGDClassifier(**blocks, **params).fit(X, y).coef_, data_order)


def test_fit_info_says_which_order_ran(large):
    X, y = large
    ran = lambda **params: hogwild.SGDClassifier(**{**ONE_THREAD, "max_iter": 1, **params}).fit(X, y).fit_info_["row_order"]  # noqa: E731
    assert ran() == dict(shuffle=True, shuffle_block_size=128, shuffle_buffer_blocks=8)
    assert ran(shuffle_buffer_blocks=3) == dict(shuffle=True, shuffle_block_size=128, shuffle_buffer_blocks=3)
    full = dict(shuffle=True, shuffle_block_size=1, shuffle_buffer_blocks=1)
    assert ran(solver="sequential") == full
    assert ran(shuffle_block_size=1, shuffle_buffer_blocks=5) == full  # (one-row blocks take no buffers)
    assert hogwild.SGDClassifier(**ONE_THREAD).fit(X[:16_383], y[:16_383]).fit_info_["row_order"] == full
    assert ran(shuffle=False, shuffle_block_size=64) == dict(shuffle=False, shuffle_block_size=1, shuffle_buffer_blocks=1)
    regressor = hogwild.SGDRegressor(max_iter=1, tol=None, n_threads=1).fit(X, y.astype(float))
    assert regressor.fit_info_["row_order"] == dict(shuffle=True, shuffle_block_size=128, shuffle_buffer_blocks=8)
    # as the core clamps them (a review found the values asked for reported):
    # a block at most every row, at most every block a buffer
    assert ran(shuffle_block_size=50_000) == dict(shuffle=True, shuffle_block_size=16_384, shuffle_buffer_blocks=1)
    assert ran(shuffle_buffer_blocks=1000) == dict(shuffle=True, shuffle_block_size=128, shuffle_buffer_blocks=128)
    # gd's full gradients take the rows in data order
    data_order = dict(shuffle=False, shuffle_block_size=1, shuffle_buffer_blocks=1)
    assert ran(solver="gd") == data_order
