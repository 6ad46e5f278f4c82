"""hogwild.MatrixFactorization: the update rule against a NumPy reference,
convergence on MovieLens 100K and on generated low-rank ratings, the
parallel solvers against the sequential one, inputs, fallbacks, errors,
model files."""

import pickle
import re

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

import hogwild
from hogwild import MatrixFactorization
from hogwild.datasets import load_movielens, make_ratings

from conftest import DATA_DIR, skip_without


@pytest.fixture(scope="module")
def movielens():
    """u1.base / u1.test: ((users, items), ratings) for each."""
    folder = DATA_DIR / "ml-100k"
    train = load_movielens(skip_without(folder / "u1.base"))
    test = load_movielens(skip_without(folder / "u1.test"))
    return ((train[0], train[1]), train[2]), ((test[0], test[1]), test[2])


def rmse(model, data):
    X, y = data
    return float(np.sqrt(np.mean((model.predict(X).astype(np.float64) - y) ** 2)))


# -- the update rule, exactly ------------------------------------------------

def reference_epochs(p, q, bu, bi, mean, rating, etas, eta_bias_scale, alpha, alpha_bias, adagrad):
    """One (user, item) pair trained for len(etas) epochs, in float32 as
    the core computes (the update of rating_update.hpp, written out)."""
    f32 = np.float32
    p, q, bu, bi = p.astype(f32).copy(), q.astype(f32).copy(), f32(bu), f32(bi)
    gu = gi = f32(1.0)
    for eta in etas:
        eta, eta_b = f32(eta), f32(eta * eta_bias_scale)
        error = f32(rating) - (f32(mean) + bu + bi + f32(np.dot(p, q)))
        if adagrad:
            gp, gq = alpha * p - error * q, alpha * q - error * p
            su, si = eta / np.sqrt(gu), eta / np.sqrt(gi)
            gu, gi = gu + f32(np.mean(gp * gp)), gi + f32(np.mean(gq * gq))
            bu, bi = (bu + (eta_b / eta) * su * (error - alpha_bias * bu),
                      bi + (eta_b / eta) * si * (error - alpha_bias * bi))
            p, q = p - su * gp, q - si * gq
        else:
            bu, bi = bu + eta_b * (error - alpha_bias * bu), bi + eta_b * (error - alpha_bias * bi)
            p, q = p + eta * (error * q - alpha * p), q + eta * (error * p - alpha * q)
    return p, q, bu, bi


@pytest.mark.parametrize("optimizer", ["sgd", "adagrad"])
@pytest.mark.parametrize("learning_rate,etas", [
    ("constant", [0.05, 0.05, 0.05]),
    ("exponential", [0.05, 0.05 * 0.5, 0.05 * 0.25]),
    ("invscaling", [0.05, 0.05 / 2 ** 0.5, 0.05 / 3 ** 0.5]),
    ("step", [0.05, 0.05, 0.05 * 0.5]),
])
@pytest.mark.parametrize("solver", ["sequential", "hogwild", "blocks"])
def test_update_rule_matches_a_numpy_reference(optimizer, learning_rate, etas, solver):
    """With one rating the order cannot matter: every solver must apply
    exactly the documented rule, regularization, schedule and bias step."""
    k = 11  # not a multiple of the 8 lanes: the tail is exercised too
    model = MatrixFactorization(n_factors=k, solver=solver, optimizer=optimizer, learning_rate=learning_rate,
                                eta0=0.05, eta0_bias=0.1, gamma=0.5, step_epochs=2, alpha=0.3, alpha_bias=0.2,
                                init_std=0.5, max_iter=3, tol=None, random_state=0, n_threads=2)
    model.fit((np.array([7]), np.array(["a"])), np.array([4.5]))
    # the initial factors: the first draws of the documented random_state
    rng = np.random.RandomState(0)
    p0 = (rng.standard_normal((1, k)) * 0.5).astype(np.float32)[0]
    q0 = (rng.standard_normal((1, k)) * 0.5).astype(np.float32)[0]
    p, q, bu, bi = reference_epochs(p0, q0, 0.0, 0.0, 4.5, 4.5, etas, 2.0, 0.3, 0.2, optimizer == "adagrad")
    np.testing.assert_allclose(model.user_factors_[0], p, rtol=2e-6, atol=1e-7)
    np.testing.assert_allclose(model.item_factors_[0], q, rtol=2e-6, atol=1e-7)
    np.testing.assert_allclose([model.user_bias_[0], model.item_bias_[0]], [bu, bi], rtol=2e-6, atol=1e-8)
    assert [record["eta"] for record in model.history_] == pytest.approx(etas)
    assert model.global_mean_ == 4.5


def test_unbiased_model_has_no_mean_or_bias():
    users, items, ratings = make_ratings(50, 40, 400, random_state=3)
    model = MatrixFactorization(n_factors=4, biased=False, max_iter=3, random_state=0).fit((users, items), ratings)
    assert model.global_mean_ == 0.0
    assert not model.user_bias_.any() and not model.item_bias_.any()
    np.testing.assert_allclose(model.predict((users[:5], items[:5])),
                               np.sum(model.user_factors_[model.user_ids_.searchsorted(users[:5])]
                                      * model.item_factors_[model.item_ids_.searchsorted(items[:5])], axis=1),
                               rtol=1e-6)


# -- convergence ---------------------------------------------------------------

def test_movielens_default_parameters(movielens):
    train, test = movielens
    model = MatrixFactorization(random_state=0).fit(*train)
    assert rmse(model, test) <= 0.94
    assert model.history_[-1]["train_rmse"] < model.history_[0]["train_rmse"]


def test_sequential_solver_is_bit_identical_between_runs(movielens):
    train, _ = movielens
    first = MatrixFactorization(solver="sequential", max_iter=5, random_state=4).fit(*train)
    second = MatrixFactorization(solver="sequential", max_iter=5, random_state=4).fit(*train)
    for name in ("user_factors_", "item_factors_", "user_bias_", "item_bias_"):
        assert np.array_equal(getattr(first, name), getattr(second, name)), name
    assert not np.array_equal(
        first.user_factors_, MatrixFactorization(solver="sequential", max_iter=5, random_state=5).fit(*train)
        .user_factors_)


@pytest.mark.parametrize("solver", ["hogwild", "blocks"])
def test_parallel_solvers_match_sequential(movielens, solver):
    train, test = movielens
    sequential = rmse(MatrixFactorization(solver="sequential", random_state=0).fit(*train), test)
    parallel = MatrixFactorization(solver=solver, n_threads=2, random_state=0).fit(*train)
    assert parallel.n_threads_ == 2
    assert abs(rmse(parallel, test) - sequential) <= 0.005


@pytest.mark.parametrize("solver", ["sequential", "hogwild", "blocks"])
def test_noiseless_rank_5_ratings_are_recovered(solver):
    users, items, ratings = make_ratings(400, 300, 40_000, rank=5, noise=0.0, random_state=7)
    held_out = np.zeros(len(ratings), bool)
    held_out[:2000] = True
    model = MatrixFactorization(n_factors=5, solver=solver, n_threads=2, alpha=0.0, alpha_bias=0.0, eta0=0.02,
                                init_std=0.1, max_iter=300, tol=None, random_state=0)
    model.fit((users[~held_out], items[~held_out]), ratings[~held_out])
    assert model.history_[-1]["train_rmse"] < 0.01
    assert rmse(model, ((users[held_out], items[held_out]), ratings[held_out])) < 0.01


def test_adagrad_converges(movielens):
    train, test = movielens
    model = MatrixFactorization(optimizer="adagrad", eta0=0.05, alpha=0.1, max_iter=20, random_state=0)
    assert rmse(model.fit(*train), test) <= 0.94


def test_regularization_shrinks_the_factors(movielens):
    train, _ = movielens
    norms = [np.linalg.norm(MatrixFactorization(alpha=alpha, max_iter=10, init_std=0.1, random_state=0)
                            .fit(*train).item_factors_) for alpha in (0.0, 0.1, 1.0)]
    assert norms[0] > norms[1] > norms[2]


def test_early_stopping_keeps_the_best_validation_epoch(movielens):
    train, test = movielens
    # no regularization and many factors: the validation RMSE turns up early
    model = MatrixFactorization(n_factors=128, alpha=0.0, alpha_bias=0.0, eta0=0.02, init_std=0.1,
                                solver="sequential", early_stopping=True, n_iter_no_change=3, tol=0.0, max_iter=100, random_state=0)
    model.fit(*train)
    scores = [record["validation_rmse"] for record in model.history_]
    assert model.n_iter_ < 100
    best = int(np.argmin(scores))
    assert best == len(scores) - 1 - 3
    # the model kept is the best epoch's: a fresh fit stopped there predicts the same
    again = clone(model).set_params(early_stopping=True, max_iter=best + 1, tol=None).fit(*train)
    assert again.history_[-1]["validation_rmse"] == scores[best]
    np.testing.assert_array_equal(model.predict(test[0]), again.predict(test[0]))


def test_adaptive_schedule_divides_the_step_by_5():
    users, items, ratings = make_ratings(100, 80, 3000, noise=1.0, random_state=2)
    model = MatrixFactorization(learning_rate="adaptive", eta0=0.02, tol=10.0, n_iter_no_change=2, max_iter=7,
                                random_state=0).fit((users, items), ratings)
    # the first epoch improves on nothing; then every 2 epochs without an improvement of 10 divide by 5
    assert [r["eta"] for r in model.history_] == pytest.approx([0.02, 0.02, 0.02, 0.004, 0.004, 0.0008, 0.0008])


def test_tol_stops_training():
    users, items, ratings = make_ratings(100, 80, 3000, random_state=2)
    model = MatrixFactorization(tol=10.0, n_iter_no_change=3, max_iter=50).fit((users, items), ratings)
    assert model.n_iter_ == 4  # the first epoch, then 3 without an improvement of 10


def test_callbacks_see_each_epoch_and_can_stop():
    users, items, ratings = make_ratings(100, 80, 3000, random_state=2)
    seen = []
    model = MatrixFactorization(max_iter=10, tol=None)
    model.fit((users, items), ratings, callbacks=[lambda record: seen.append(record["epoch"]) or len(seen) < 4])
    assert seen == [1, 2, 3, 4] and model.n_iter_ == 4
    with pytest.raises(TypeError, match="callables"):
        model.fit((users, items), ratings, callbacks=[1])


# -- inputs ------------------------------------------------------------------

def test_input_layouts_give_the_same_model():
    pd = pytest.importorskip("pandas")
    users, items, ratings = make_ratings(60, 50, 800, random_state=1)
    params = dict(n_factors=4, solver="sequential", max_iter=3, random_state=0)
    reference = MatrixFactorization(**params).fit((users, items), ratings)
    layouts = [
        (np.column_stack([users, items]), ratings),
        (np.column_stack([users, items, ratings]), None),
        (pd.DataFrame({"u": users, "i": items, "r": ratings}), None),
        (pd.DataFrame({"u": users, "i": items}), ratings),
    ]
    for X, y in layouts:
        model = MatrixFactorization(**params).fit(X, y)
        np.testing.assert_array_equal(model.predict((users, items)), reference.predict((users, items)),
                                      err_msg=type(X).__name__)
    # a sparse matrix: its stored entries, in its own order
    for matrix in (sp.coo_matrix((ratings, (users, items))), sp.csr_matrix(sp.coo_matrix((ratings, (users, items))))):
        coo = matrix.tocoo()
        in_matrix_order = MatrixFactorization(**params).fit((coo.row, coo.col), coo.data)
        model = MatrixFactorization(**params).fit(matrix)
        np.testing.assert_array_equal(model.predict((users, items)), in_matrix_order.predict((users, items)))


def test_dataframe_columns_are_taken_by_name():
    pd = pytest.importorskip("pandas")
    users, items, ratings = make_ratings(60, 50, 800, random_state=1)
    params = dict(n_factors=4, solver="sequential", max_iter=3, random_state=0)
    reference = MatrixFactorization(**params).fit((users, items), ratings)
    frames = [pd.DataFrame({"movieId": items, "rating": ratings, "userId": users}),
              pd.DataFrame({"Rating": ratings, "Item": items, "User": users})]
    for frame in frames:
        model = MatrixFactorization(**params).fit(frame)
        np.testing.assert_array_equal(model.predict(frame), reference.predict((users, items)))
    with pytest.raises(ValueError, match="rating column .'rating'. and y was given too"):
        MatrixFactorization(**params).fit(pd.DataFrame({"user": users, "item": items, "rating": ratings}), ratings)
    with pytest.raises(ValueError, match="name both the user and the item columns"):
        MatrixFactorization(**params).fit(pd.DataFrame({"user": users, "thing": items, "rating": ratings}))


@pytest.mark.parametrize("users,message", [
    ([1, "b", "a"], "all integers or all strings"),
    (np.array([2**63 + 1, 1, 2], dtype=np.uint64), "fit in 64-bit"),
    ([2**70, 1, 2], "fit in 64"),
])
def test_ids_that_cannot_be_mapped_are_refused(users, message):
    with pytest.raises(ValueError, match=message):
        MatrixFactorization(max_iter=1).fit((users, ["x", "x", "y"]), [1.0, 2.0, 3.0])


def test_string_ids_and_unknown_ids_fall_back():
    users = np.array(["ann", "bob", "ann", "cy"])
    items = np.array([10, 10, 20, 30])
    model = MatrixFactorization(n_factors=3, max_iter=5, random_state=0).fit((users, items), [5.0, 3.0, 4.0, 1.0])
    assert list(model.user_ids_) == ["ann", "bob", "cy"] and list(model.item_ids_) == [10, 20, 30]
    item_20 = model.item_bias_[1]
    predicted = model.predict((np.array(["zed", "zed", "ann"]), np.array([20, 99, 99])))
    assert predicted[0] == pytest.approx(model.global_mean_ + item_20)
    assert predicted[1] == pytest.approx(model.global_mean_)
    assert predicted[2] == pytest.approx(model.global_mean_ + model.user_bias_[0])
    assert np.all(np.isfinite(predicted))
    # ids of the other kind are refused, as partial_fit refuses them (they
    # looked up as unknown: ids read from a CSV file as strings predicted
    # the fallback for every pair; a new user's trial)
    with pytest.raises(ValueError, match="user ids are integers but the model was trained on string ids"):
        model.predict((np.array([1]), np.array([20])))
    with pytest.raises(ValueError, match="item ids are strings but the model was trained on integer ids"):
        model.predict((np.array(["ann"]), np.array(["20"])))
    with pytest.raises(ValueError, match="user ids are integers but the model was trained on string ids"):
        model.recommend(7)


@pytest.mark.parametrize("offset", [0, -5, 10**12])
def test_integer_ids_map_alike_over_any_range(offset):
    """(a small range of integer ids maps through a table, a wide one by sorting: the same map)"""
    users = np.array([3, 1, 3, 7]) + offset
    model = MatrixFactorization(n_factors=2, max_iter=1, random_state=0).fit((users, np.array([1, 1, 2, 2])),
                                                                            [1.0, 2.0, 3.0, 4.0])
    assert list(model.user_ids_) == [1 + offset, 3 + offset, 7 + offset]
    assert model.predict((np.array([7 + offset, 2 + offset]), np.array([2, 2])))[1] == pytest.approx(
        model.global_mean_ + model.item_bias_[1])


def test_recommend_and_similar_items():
    users, items, ratings = make_ratings(80, 60, 2000, random_state=5)
    model = MatrixFactorization(n_factors=6, max_iter=20, random_state=0).fit((users, items), ratings)
    user = users[0]
    seen = set(items[users == user])
    top, scores = model.recommend(user, k=5)
    assert len(top) == 5 and not seen & set(top)
    assert np.all(np.diff(scores) <= 0)
    everything = model.predict((np.full(60, user), model.item_ids_))
    unseen = [i for i in model.item_ids_ if i not in seen]
    assert set(top) == set(sorted(unseen, key=lambda i: -everything[list(model.item_ids_).index(i)])[:5])
    all_items, _ = model.recommend(user, k=1000, exclude_seen=False)
    assert len(all_items) == 60
    # an unknown user: the items of highest bias
    cold, _ = model.recommend(10**9, k=3)
    assert list(cold) == list(model.item_ids_[np.argsort(-model.item_bias_, kind="stable")[:3]])
    similar, similarity = model.similar_items(items[0], k=4)
    assert items[0] not in similar and np.all(np.abs(similarity) <= 1.0 + 1e-6)
    with pytest.raises(KeyError, match="not seen"):
        model.similar_items(10_000)
    with pytest.raises(ValueError, match="k must be a positive integer"):
        model.recommend(user, k=0)
    with pytest.raises(ValueError, match="user must be one id"):
        model.recommend([user, user])
    with pytest.raises(TypeError, match="exclude_seen must be a bool"):
        model.recommend(user, exclude_seen="no")


def test_partial_fit_grows_the_model_and_continues():
    users, items, ratings = make_ratings(100, 80, 4000, random_state=6)
    first = users < 50
    model = MatrixFactorization(n_factors=4, random_state=0)
    model.partial_fit((users[first], items[first]), ratings[first])
    assert model.n_iter_ == 1 and len(model.user_ids_) == 50
    mean = model.global_mean_
    model.partial_fit((users[~first], items[~first]), ratings[~first])
    assert model.n_iter_ == 2 and len(model.user_ids_) == 100 and len(model.history_) == 2
    assert model.global_mean_ == mean
    top, _ = model.recommend(users[0], k=100)  # items seen in either call are excluded
    assert not set(top) & set(items[users == users[0]])
    with pytest.raises(ValueError, match="strings but the model was trained on integer ids"):
        model.partial_fit((np.array(["a"]), np.array([1])), [3.0])


def test_partial_fit_trains_on_every_rating_given_early_stopping_or_not():
    """early_stopping applies to fit only, as in scikit-learn: partial_fit
    held out validation_fraction of each batch (2 of 20 new items never
    trained) and refused a single rating."""
    users, items, ratings = make_ratings(200, 100, 4000, random_state=0)
    model = MatrixFactorization(early_stopping=True, max_iter=5, random_state=0).fit((users, items), ratings)
    assert "validation_rmse" in model.history_[-1]
    model.partial_fit(([1], [2000]), [5.0])
    model.partial_fit(([1] * 20, list(range(3000, 3020))), [5.0] * 20)
    new = np.isin(model.item_ids_, np.arange(3000, 3020))
    assert new.sum() == 20 and np.all(model.item_bias_[new] != 0.0)
    assert "validation_rmse" not in model.history_[-1]
    first = MatrixFactorization(early_stopping=True, random_state=0).partial_fit(([1], [2]), [4.0])
    assert first.n_iter_ == 1 and first.item_bias_[0] != 0.0


@pytest.mark.parametrize("X,y,message", [
    ((np.array([1, 1]), np.array([2, 2])), [3.0, 4.0], "duplicated .user, item. pair"),
    ((np.array([1, 2]), np.array([2, 2])), [3.0, np.nan], "ratings must be finite"),
    ((np.array([1, 2]), np.array([2, 2])), [3.0, np.inf], "ratings must be finite"),
    # (a ComplexWarning, the imaginary part dropped; float32's overflow, then
    # a "diverged, lower eta0" error: a new user's trial)
    ((np.array([1, 2]), np.array([2, 2])), np.array([3.0, 4.0]) + 1j, "ratings must be real numbers"),
    ((np.array([1, 2]), np.array([2, 2])), [3.0, 1e39], r"ratings must lie within \+-8.51e\+37 .*1e\+39 at row 1"),
    ((np.array([], dtype=int), np.array([], dtype=int)), [], "no ratings"),
    ((np.array([1, 2]), np.array([2])), [3.0, 4.0], "differ in length"),
    ((np.array([1, 2]), np.array([2, 3])), [3.0], "y has 1 ratings for 2"),
    ((np.array([1, "a"], dtype=object), np.array([2, 3])), [3.0, 4.0], "all integers or all strings"),
    ((np.array([1.5, 2.0]), np.array([2, 3])), [3.0, 4.0], "integers or strings"),
    (np.array([[1, 2]]), None, "no ratings given"),
    (np.ones((3, 4)), None, r"shape \(n, 2\)"),
    (sp.csr_matrix(np.eye(3)), [1.0, 2.0, 3.0], "y must be None"),
    ((np.array([1]), np.array([2]), np.array([3])), None, "tuple must be .users, items."),
    ((np.array([1, 2]), np.array([2, 3])), ["good", "bad"], "ratings must be numbers"),
])
def test_bad_input_is_refused(X, y, message):
    with pytest.raises(ValueError, match=message):
        MatrixFactorization(max_iter=1).fit(X, y)


@pytest.mark.parametrize("params,message", [
    ({"n_factors": 0}, "n_factors must be a positive integer"),
    ({"n_factors": 2.5}, "n_factors must be a positive integer"),
    ({"solver": "magic"}, "solver must be one of"),
    ({"learning_rate": "optimal"}, "learning_rate must be one of"),
    ({"optimizer": "adam"}, "optimizer must be one of"),
    ({"alpha": -1.0}, "alpha must be a finite number >= 0"),
    ({"eta0": 0.0}, "eta0 must be a finite number > 0"),
    ({"eta0": float("nan")}, "eta0 must be a finite number"),
    ({"validation_fraction": 1.0}, "validation_fraction must be below 1"),
    ({"max_iter": 0}, "max_iter must be a positive integer"),
    ({"n_threads": 0}, "n_threads must be a positive integer"),
    ({"n_threads": 10_000}, "more than 4 threads for each"),
    ({"tol": -1.0}, "tol must be a finite number >= 0"),
    ({"verbose": -1}, "verbose must be an integer >= 0"),
    ({"verbose": "x"}, "verbose must be an integer >= 0"),
])
def test_bad_parameters_are_refused(params, message):
    with pytest.raises(ValueError, match=message):
        MatrixFactorization(**params).fit((np.array([1, 2]), np.array([1, 2])), [1.0, 2.0])


def test_divergence_raises_and_leaves_no_model():
    users, items, ratings = make_ratings(50, 40, 1000, random_state=0)
    model = MatrixFactorization(eta0=50.0, init_std=1.0, max_iter=20, tol=None)
    with pytest.raises(ValueError, match="diverged.*lower eta0"):
        model.fit((users, items), ratings * 100)
    with pytest.raises(NotFittedError):
        model.predict((users, items))


def test_predict_checks_its_input():
    users, items, ratings = make_ratings(50, 40, 1000, random_state=0)
    model = MatrixFactorization(max_iter=2).fit((users, items), ratings)
    with pytest.raises(ValueError, match="differ in length"):
        model.predict((users, items[:-1]))
    assert model.predict(np.empty((0, 2), dtype=int)).shape == (0,)
    with pytest.raises(NotFittedError):
        MatrixFactorization().predict((users, items))
    # a rating column is ignored; score computes R^2 on the ratings
    np.testing.assert_array_equal(model.predict(np.column_stack([users, items, ratings])),
                                  model.predict((users, items)))
    assert 0.0 < model.score((users, items), ratings) <= 1.0


def test_thread_count_follows_the_data_size():
    users, items, ratings = make_ratings(50, 40, 1000, random_state=0)
    assert MatrixFactorization(max_iter=1).fit((users, items), ratings).n_threads_ == 1  # (too little work)
    assert MatrixFactorization(max_iter=1, n_threads=2).fit((users, items), ratings).n_threads_ == 2
    assert MatrixFactorization(max_iter=1, n_threads=2, solver="sequential").fit((users, items), ratings) \
        .n_threads_ == 1
    many = make_ratings(1000, 1000, 120_000, random_state=0)
    expected = min(2, hogwild.build_info()["usable_cpus"])
    assert MatrixFactorization(max_iter=1).fit((many[0], many[1]), many[2]).n_threads_ == expected
    # (hogwild's threads gain on one only from millions of ratings)
    assert MatrixFactorization(max_iter=1, solver="hogwild").fit((many[0], many[1]), many[2]).n_threads_ == 1


# -- persistence ---------------------------------------------------------------

def test_model_file_and_pickle_round_trip(tmp_path):
    users, items, ratings = make_ratings(60, 50, 900, random_state=2)
    users = np.array([f"user{u}" for u in users])
    model = MatrixFactorization(n_factors=5, optimizer="adagrad", eta0=0.05, max_iter=4, random_state=0)
    model.fit((users, items), ratings)
    model.save(tmp_path / "model.npz")
    for loaded in (hogwild.load(tmp_path / "model.npz"), pickle.loads(pickle.dumps(model))):
        assert isinstance(loaded, MatrixFactorization)
        assert loaded.get_params() == model.get_params()
        np.testing.assert_array_equal(loaded.predict((users, items)), model.predict((users, items)))
        assert loaded.history_ == model.history_ and loaded.n_iter_ == 4
        np.testing.assert_array_equal(loaded.recommend("user3")[0], model.recommend("user3")[0])
        loaded.partial_fit((users[:10], items[:10]), ratings[:10])  # training continues (AdaGrad's sums kept)
        assert loaded.n_iter_ == 5


def test_model_file_with_inconsistent_arrays_is_refused(tmp_path):
    import json
    import zipfile

    users, items, ratings = make_ratings(30, 20, 200, random_state=2)
    MatrixFactorization(n_factors=3, max_iter=1).fit((users, items), ratings).save(tmp_path / "m.npz")
    with zipfile.ZipFile(tmp_path / "m.npz") as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    metadata = json.loads(np.load(tmp_path / "m.npz")["metadata"].tobytes())
    metadata["params"]["n_factors"] = 4  # the factors have 3 columns
    import io
    buffer = io.BytesIO()
    np.save(buffer, np.frombuffer(json.dumps(metadata).encode(), dtype=np.uint8))
    entries["metadata.npy"] = buffer.getvalue()
    with zipfile.ZipFile(tmp_path / "bad.npz", "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    with pytest.raises(ValueError, match="do not agree"):
        hogwild.load(tmp_path / "bad.npz")


# -- data sets -----------------------------------------------------------------

def test_load_movielens_layouts(tmp_path):
    (tmp_path / "u.data").write_text("1\t10\t5\t881250949\n2\t10\t3\t891717742\n")
    (tmp_path / "ratings.csv").write_text("userId,movieId,rating,timestamp\n1,10,4.5,1\n3,7,0.5,2\n")
    (tmp_path / "ratings.dat").write_text("1::10::5::978300760\n6::20::2::978300761\n")
    users, items, ratings = load_movielens(tmp_path)  # a folder: u.data first
    assert list(users) == [1, 2] and list(items) == [10, 10] and list(ratings) == [5.0, 3.0]
    users, items, ratings, stamps = load_movielens(tmp_path / "ratings.csv", return_timestamps=True)
    assert list(users) == [1, 3] and list(ratings) == [4.5, 0.5] and list(stamps) == [1, 2]
    users, items, ratings = load_movielens(tmp_path / "ratings.dat")
    assert list(users) == [1, 6] and list(items) == [10, 20] and ratings.dtype == np.float32
    (tmp_path / "big.data").write_text("9007199254740993\t1\t4\t0\n9007199254740992\t1\t3\t0\n")
    assert list(load_movielens(tmp_path / "big.data")[0]) == [2**53 + 1, 2**53]  # (exact: not through float64)
    (tmp_path / "bad.data").write_text("1\t10\n")
    with pytest.raises(ValueError, match=r"bad.data: not a MovieLens ratings file.*line 1: '1\\t10' "
                                         r"\(2 columns, not 3\)"):
        load_movielens(tmp_path / "bad.data")
    # the line as an editor counts it, after a header and a blank line (NumPy
    # said row 3 for line 6: from 0, after the header; a new user's trial)
    (tmp_path / "bad.csv").write_text("userId,movieId,rating,timestamp\n1,10,4,1\n1,11,5,1\n\n2,10,3,1\n2,12,x,1\n")
    with pytest.raises(ValueError, match=r"line 6: '2,12,x,1' \(could not convert string to float"):
        load_movielens(tmp_path / "bad.csv")
    (tmp_path / "bad.dat").write_text("1::10::5::978300760\n6::20::x::978300761\n")
    with pytest.raises(ValueError, match=r"line 2: '6::20::x::978300761' \(could not convert"):
        load_movielens(tmp_path / "bad.dat")
    (tmp_path / "noted.dat").write_text("# from MovieLens 1M\n1::10::5::978300760\n6::20::2::978300761\n")
    assert list(load_movielens(tmp_path / "noted.dat")[1]) == [10, 20]  # (a comment first: unreadable before)
    (tmp_path / "noted.csv").write_text("# ratings\nuserId,movieId,rating,timestamp\n1,10,4.5,1\n3,7,0.5,2\n")
    assert list(load_movielens(tmp_path / "noted.csv")[2]) == [4.5, 0.5]
    (tmp_path / "header_only.csv").write_text("userId,movieId,rating,timestamp\n")
    with pytest.raises(ValueError, match="header_only.csv: holds no ratings"):  # (NumPy's warning first, before)
        load_movielens(tmp_path / "header_only.csv")
    (tmp_path / "commented.data").write_text("1\t10\t4\t1\n# a comment\n1\t11\tx\t1\n")
    with pytest.raises(ValueError, match=r"line 3: '1\\t11\\tx\\t1'"):
        load_movielens(tmp_path / "commented.data")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no MovieLens ratings file"):
        load_movielens(tmp_path / "empty")


def test_load_movielens_reads_the_headers_names_and_every_rating(tmp_path):
    """From a new user's trial: a header "movieId,userId,rating" was read by
    position (users and items swapped); a first line that did not start
    with a digit ("-1", " 1", a byte-order mark) was taken for a header and
    its rating dropped; a rating beyond float32 became inf with NumPy's
    warning and a NaN rating was reported as "row 1" at fit."""
    (tmp_path / "swapped.csv").write_text("movieId,userId,rating\n10,1,4\n11,1,3\n10,2,5\n")
    users, items, ratings = load_movielens(tmp_path / "swapped.csv")
    assert list(users) == [1, 1, 2] and list(items) == [10, 11, 10] and list(ratings) == [4, 3, 5]
    (tmp_path / "named.csv").write_text("Rating,item_id,Timestamp,USER\n4,10,7,1\n3,11,8,2\n")
    users, items, ratings, stamps = load_movielens(tmp_path / "named.csv", return_timestamps=True)
    assert list(users) == [1, 2] and list(items) == [10, 11] and list(ratings) == [4, 3] and list(stamps) == [7, 8]
    (tmp_path / "named.tsv").write_text("user\titem\trating\n1\t10\t4\n2\t10\t3\n")
    assert list(load_movielens(tmp_path / "named.tsv")[0]) == [1, 2]
    (tmp_path / "unnamed.csv").write_text("a,b,c\n1,10,4\n")  # (names of neither: by position)
    assert list(load_movielens(tmp_path / "unnamed.csv")[1]) == [10]
    (tmp_path / "half.csv").write_text("userId,foo,rating\n1,10,4\n")
    with pytest.raises(ValueError, match="half.csv's header: name both the user and the item columns"):
        load_movielens(tmp_path / "half.csv")
    # (the review of the fix: a timestamp taken for the unnamed rating, a
    # short header's columns taken twice, R's quoted names read by position,
    # names with spaces split on them, a role named twice)
    (tmp_path / "stars.csv").write_text("userId,movieId,timestamp,stars\n1,10,964982703,4\n")
    with pytest.raises(ValueError, match="stars.csv's header names no rating column"):
        load_movielens(tmp_path / "stars.csv")
    (tmp_path / "short.csv").write_text("user,item\n1,10,4,100\n")
    with pytest.raises(ValueError, match="short.csv's header names no rating and no timestamp column"):
        load_movielens(tmp_path / "short.csv", return_timestamps=True)
    (tmp_path / "quoted.csv").write_text('"movieId","userId","rating"\n10,1,4\n11,1,3\n')
    assert list(load_movielens(tmp_path / "quoted.csv")[1]) == [10, 11]
    (tmp_path / "spaced.tsv").write_text("movie id\tUser ID\trating\n10\t1\t4\n")
    assert list(load_movielens(tmp_path / "spaced.tsv")[0]) == [1]
    (tmp_path / "twice.csv").write_text("user_id,item_id,rating,user\n1,10,4,2\n")
    with pytest.raises(ValueError, match=r"twice.csv's header: two columns name the user \('user_id' and 'user'\)"):
        load_movielens(tmp_path / "twice.csv")
    for name, first in (("negative.csv", b"-1,10,4"), ("space.csv", b" 1,10,4"), ("bom.csv", b"\xef\xbb\xbf1,10,4")):
        (tmp_path / name).write_bytes(first + b"\n1,11,3\n2,10,5\n")
        assert len(load_movielens(tmp_path / name)[2]) == 3, name
    for value in ("1e+300", "1e+38"):  # (beyond float32; beyond what the float32 factors can fit)
        (tmp_path / "huge.csv").write_text(f"user,item,rating\n1,10,4\n\n1,11,{value}\n")
        expected = rf"huge.csv: ratings must lie within \+-8.51e\+37 .*: {re.escape(value)} at line 4"
        with pytest.raises(ValueError, match=expected):
            load_movielens(tmp_path / "huge.csv")
    (tmp_path / "nan.csv").write_text("user,item,rating\n1,10,4\n1,11,nan\n")
    with pytest.raises(ValueError, match=r"nan.csv: ratings must be finite: 1 are NaN or infinite \(the first at line 3"):
        load_movielens(tmp_path / "nan.csv")


def test_movielens_100k_reads_as_documented(movielens):
    (users, items), ratings = movielens[0]
    assert len(ratings) == 80_000 and users.max() == 943 and items.max() == 1682
    assert set(np.unique(ratings)) == {1.0, 2.0, 3.0, 4.0, 5.0}


def test_make_ratings():
    users, items, ratings = make_ratings(300, 200, 20_000, rank=3, random_state=9)
    assert len(np.unique(users * 200 + items)) == 20_000  # pairs are distinct
    counts = np.bincount(users, minlength=300)
    assert counts.max() > 3 * np.median(counts)  # Zipf: a few popular users
    uniform = np.bincount(make_ratings(300, 200, 20_000, popularity="uniform", random_state=9)[0], minlength=300)
    assert uniform.max() < 1.5 * np.median(uniform)
    again = make_ratings(300, 200, 20_000, rank=3, random_state=9)
    assert all(np.array_equal(a, b) for a, b in zip((users, items, ratings), again))
    with pytest.raises(ValueError, match="more than half"):
        make_ratings(10, 10, 60)
    with pytest.raises(ValueError, match="popularity"):
        make_ratings(popularity="pareto")


def test_ctrl_c_leaves_a_whole_model_and_propagates():
    """SIGINT during a long fit: KeyboardInterrupt within a few seconds of the
    signal (one epoch at most), the estimator fitted with the epochs that
    finished (in a subprocess: the signal is the process's)."""
    import json
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent("""
        import os, signal, threading, json, time
        import numpy as np
        import hogwild
        users, items, ratings = hogwild.datasets.make_ratings(20000, 5000, 1_000_000, random_state=0)
        out = {}
        for solver in ("sequential", "hogwild", "blocks"):
            model = hogwild.MatrixFactorization(solver=solver, n_threads=2, max_iter=10**6, tol=None)
            sent = []
            def interrupt():
                sent.append(time.perf_counter())
                os.kill(os.getpid(), signal.SIGINT)
            # (armed after the first epoch, so that a slow machine, or a
            # sanitized build, still has a finished epoch to keep)
            def arm(record):
                if record["epoch"] == 1:
                    threading.Timer(0.5, interrupt).start()
            try:
                model.fit((users, items), ratings, callbacks=[arm])
                out[solver] = "not interrupted"
                continue
            except KeyboardInterrupt:
                pass
            out[solver] = dict(seconds=time.perf_counter() - sent[0], n_iter=model.n_iter_,
                               history=len(model.history_), finite=bool(np.isfinite(model.predict((users, items))).all()))
        print(json.dumps(out))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    for solver, result in json.loads(done.stdout).items():
        assert result != "not interrupted", solver
        assert result["seconds"] < 5.0 and result["finite"], (solver, result)  # (from the signal)
        assert result["n_iter"] == result["history"] >= 1, (solver, result)


@pytest.mark.parametrize("error", [KeyboardInterrupt, RuntimeError])
def test_a_callback_raising_keeps_the_finished_epochs(error):
    """(any other exception left the estimator unfitted, as the linear
    models' did; the review)"""
    users, items, ratings = make_ratings(100, 80, 3000, random_state=2)
    model = MatrixFactorization(max_iter=10, tol=None)

    def interrupt_at_3(record):
        if record["epoch"] == 3:
            raise error

    with pytest.raises(error):
        model.fit((users, items), ratings, callbacks=[interrupt_at_3])
    assert model.n_iter_ == 3 and [r["epoch"] for r in model.history_] == [1, 2, 3]
    assert np.isfinite(model.predict((users, items))).all()


@pytest.mark.parametrize("kwargs, message", [
    (dict(mean=np.nan), "mean must be a number of size below 1e30, got nan"),
    (dict(mean=1e300), r"mean must be a number of size below 1e30, got 1e\+300"),
    (dict(mean="3.5"), "mean must be a number of size below 1e30"),
    (dict(bias_std=1e200), "makes ratings beyond float32's range"),
])
def test_make_ratings_refuses_what_makes_ratings_not_finite(kwargs, message):
    """(NaN, inf and 1e300 means handed back non-finite ratings; a new user's trial)"""
    with pytest.raises(ValueError, match=message):
        make_ratings(10, 10, 5, random_state=0, **kwargs)
