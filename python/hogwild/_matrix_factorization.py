"""``hogwild.MatrixFactorization``: explicit-rating matrix factorization
trained by parallel SGD (Hogwild! or LIBMF's block schedule)."""

import numbers
import sys
import time

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from . import _core
from ._engine import callback_list, default_thread_count, refusing_concurrent_fits, team_threads
from ._progress import says_stop
from ._ratings import IdMap, rating_columns, refuse_duplicates

SOLVERS = ("blocks", "hogwild", "sequential")
LEARNING_RATES = ("constant", "invscaling", "exponential", "step", "adaptive")
OPTIMIZERS = ("sgd", "adagrad")
# The default (n_threads=None) runs one thread per this many ratings at
# most: on MovieLens 100K's 80,000 training ratings 2 threads of the blocks
# solver beat one only slightly on an idle machine (0.0014 against 0.0017 s
# an epoch, bench/bench_mf.py) and lost 3x next to a busy process, so that
# problem gets one; below some tens of thousands of ratings a second thread
# cannot pay for its start and its waits.
RATINGS_PER_THREAD = 50_000
# The hogwild solver's threads write the same popular rows: on MovieLens
# 100K and on 800,000 generated ratings two threads were slower than one;
# on 10M ratings 1.23x faster. Its default takes a thread per this many.
HOGWILD_RATINGS_PER_THREAD = 5_000_000
MAX_THREADS_PER_CPU = 4


class MatrixFactorization(RegressorMixin, BaseEstimator):
    """Matrix factorization of explicit ratings, trained by SGD on every core.

    The model (Koren, Bell & Volinsky, "Matrix factorization techniques for
    recommender systems", IEEE Computer 2009; the biased "SVD" of Surprise)::

        rating(u, i) = mean + user_bias[u] + item_bias[i] + user_factors[u] @ item_factors[i]

    minimizes the squared error over the observed ratings plus
    ``alpha * (|p_u|^2 + |q_i|^2) + alpha_bias * (b_u^2 + b_i^2)`` per
    rating, by SGD.

    Parameters
    ----------
    n_factors : int, default=64
        Dimension of the user and item factors.
    solver : {"blocks", "hogwild", "sequential"}, default="blocks"
        How threads share the work. ``"blocks"``: LIBMF's FPSGD (Zhuang et
        al., RecSys 2013): users and items are cut into 2T+1 random bands,
        a thread takes a block of ratings whose user band and item band no
        other thread holds, so threads never write the same row.
        ``"hogwild"``: threads take shares of the shuffled ratings and write
        the shared factors lock-free (Niu et al., NIPS 2011). Both give
        results that vary with the threads' timing. ``"sequential"``: one
        thread, bit-identical results for the same ``random_state``.
    alpha : float, default=0.08
        L2 penalty on the factors (per rating, as Surprise's ``reg_pu`` /
        ``reg_qi``).
    alpha_bias : float, default=0.01
        L2 penalty on the biases.
    biased : bool, default=True
        Model the global mean and the user and item biases; False predicts
        the factors' product alone.
    learning_rate : {"constant", "invscaling", "exponential", "step", "adaptive"}, default="constant"
        The step of epoch e (from 0, over every ``fit``/``partial_fit``
        epoch): ``eta0``; ``eta0 / (e + 1) ** power_t``; ``eta0 * gamma ** e``;
        ``eta0 * gamma ** (e // step_epochs)``; or ``eta0`` divided by 5
        each time ``n_iter_no_change`` epochs pass without an improvement
        of ``tol`` (scikit-learn's "adaptive"). The schedules of the linear
        solvers that count updates ("optimal", passive-aggressive) have no
        meaning here.
    eta0 : float, default=0.01
        Initial step of the factors.
    eta0_bias : float or None, default=None
        Initial step of the biases (None: ``eta0``); follows the same schedule.
    power_t, gamma, step_epochs
        Of the schedules above.
    optimizer : {"sgd", "adagrad"}, default="sgd"
        ``"adagrad"`` is LIBMF's row-wise AdaGrad (Chin et al., PAKDD 2015):
        each user and item row scales its step by the inverse square root
        of its accumulated squared gradients (use a larger ``eta0``, e.g.
        0.05). The per-coordinate optimizers of the linear solvers
        (momentum, Adam) would double or triple the model's memory and are
        not offered.
    init_std : float, default=0.01
        Standard deviation of the normal initial factors (biases start at 0).
    max_iter : int, default=50
        Epochs of ``fit``.
    tol : float or None, default=1e-4
        Training stops when the monitored RMSE (validation with
        ``early_stopping``, else training) has not improved by ``tol`` for
        ``n_iter_no_change`` epochs; None trains ``max_iter`` epochs.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the ratings, monitor their RMSE,
        and keep the model of the best validation epoch.
    validation_fraction : float, default=0.1
    n_iter_no_change : int, default=10
        (A validation RMSE of SGD on ratings often pauses for several
        epochs before it falls again: on MovieLens 100K 5 stopped at epoch
        18 with a test RMSE of 0.956; the best epoch's model is kept, so
        patience costs only time.)
    n_threads : int or None, default=None
        Threads; None uses every CPU this process may use, at most
        ``OMP_NUM_THREADS`` or a threadpoolctl limit on OpenMP, but no more
        than one per 50,000 ratings (``hogwild``: one per 5,000,000, where
        its threads start to gain on one). In a forked process, one thread
        on the thread that forked, as for ``SGDClassifier``'s ``n_threads``.
    random_state : int, RandomState or None, default=None
        Seeds the initial factors, the validation split and the shuffles.
    verbose : int, default=0
        > 0 prints a line per epoch.

    Attributes
    ----------
    user_ids_, item_ids_ : ndarray of shape (n_users,), (n_items,)
        The ids seen in training (int64 or str); row k of the factors is
        the id at position k.
    user_factors_ : ndarray of shape (n_users, n_factors), float32
    item_factors_ : ndarray of shape (n_items, n_factors), float32
    user_bias_, item_bias_ : ndarray of float32
    global_mean_ : float
        Mean training rating (0.0 when not ``biased``).
    n_iter_ : int
        Epochs trained, over every ``fit`` and ``partial_fit`` call since
        the last ``fit``.
    n_threads_ : int
        Threads of the last training call.
    history_ : list of dict
        Per epoch: ``epoch``, ``train_rmse`` (of the ratings as each was
        met during the epoch, before its update: free to compute, slightly
        above the end-of-epoch RMSE), ``validation_rmse`` (with early
        stopping), ``eta``, ``elapsed`` (seconds since the call started),
        ``ratings_per_second``.

    Notes
    -----
    Inputs (``X``, ``y``) may be: three columns as ``X=(users, items)``
    and ``y=ratings``; a pandas DataFrame of user, item, rating columns;
    an array of (user, item[, rating]) rows; or a SciPy sparse matrix of
    users x items whose stored entries are the ratings. Ids are any
    integers or strings. ``predict`` takes the same layouts without
    ratings; a user or item not seen in training is predicted from what is
    known (the mean plus the known bias), never NaN.
    """

    def __init__(self, n_factors=64, *, solver="blocks", alpha=0.08, alpha_bias=0.01, biased=True,
                 learning_rate="constant", eta0=0.01, eta0_bias=None, power_t=0.5, gamma=0.9, step_epochs=10,
                 optimizer="sgd", init_std=0.01, max_iter=50, tol=1e-4, early_stopping=False,
                 validation_fraction=0.1, n_iter_no_change=10, n_threads=None, random_state=None, verbose=0):
        self.n_factors = n_factors
        self.solver = solver
        self.alpha = alpha
        self.alpha_bias = alpha_bias
        self.biased = biased
        self.learning_rate = learning_rate
        self.eta0 = eta0
        self.eta0_bias = eta0_bias
        self.power_t = power_t
        self.gamma = gamma
        self.step_epochs = step_epochs
        self.optimizer = optimizer
        self.init_std = init_std
        self.max_iter = max_iter
        self.tol = tol
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.n_threads = n_threads
        self.random_state = random_state
        self.verbose = verbose

    # -- training ----------------------------------------------------------

    def fit(self, X, y=None, callbacks=None):
        """Train a new model on the ratings.

        Parameters
        ----------
        X : tuple (users, items), DataFrame, array of shape (n, 2) or (n, 3), or sparse matrix
            The rated (user, item) pairs (see the class Notes).
        y : array-like of shape (n,), optional
            The ratings, unless X holds them.
        callbacks : list of callables, optional
            Each is called as ``callback(record)`` after every epoch with its
            ``history_`` record; returning ``False`` stops training.

        Returns
        -------
        self

        Raises
        ------
        ValueError
            Bad parameters; empty input, NaN or infinite ratings, a
            (user, item) pair given twice, mixed id types; training that
            diverged (lower ``eta0``).
        TypeError
            A callback that is not callable.
        """
        return self._fit(X, y, callbacks, self.max_iter, hold_out=self.early_stopping)

    def _fit(self, X, y, callbacks, epochs, *, hold_out):
        """A new model trained `epochs` epochs (`hold_out`: early stopping's validation ratings held out)."""
        self._check_params()
        users, items, ratings = rating_columns(X, y, need_ratings=True)
        user_map, user_index = IdMap.fit(users, "user")
        item_map, item_index = IdMap.fit(items, "item")
        refuse_duplicates(user_index, item_index, len(item_map))
        random_state = check_random_state(self.random_state)
        model = {
            "user_ids_": user_map.ids, "item_ids_": item_map.ids,
            "user_factors_": self._initial_factors(random_state, len(user_map)),
            "item_factors_": self._initial_factors(random_state, len(item_map)),
            "user_bias_": np.zeros(len(user_map), np.float32), "item_bias_": np.zeros(len(item_map), np.float32),
            "_user_gradient_sum": np.ones(len(user_map), np.float32),
            "_item_gradient_sum": np.ones(len(item_map), np.float32),
            "global_mean_": float(np.mean(ratings)) if self.biased else 0.0,
        }
        self._train(model, user_index, item_index, ratings, epochs, random_state, callbacks, epochs_before=0,
                    history=[], hold_out=hold_out)
        return self

    def partial_fit(self, X, y=None, callbacks=None):
        """One more epoch over these ratings, keeping the model (a first call
        starts one). Users and items not seen before get new rows; the
        global mean stays that of the first call. ``early_stopping`` does
        not apply, as in scikit-learn's ``partial_fit``: every rating given
        trains (a held-out share left some new items untrained, and a
        single rating was refused).

        Parameters and errors as in :meth:`fit`.
        """
        if not hasattr(self, "user_factors_"):
            return self._fit(X, y, callbacks, 1, hold_out=False)
        self._check_params()
        users, items, ratings = rating_columns(X, y, need_ratings=True)
        user_map, user_index = IdMap(self.user_ids_).extended(users, "user")
        item_map, item_index = IdMap(self.item_ids_).extended(items, "item")
        refuse_duplicates(user_index, item_index, len(item_map))
        if self.n_factors != self.user_factors_.shape[1]:
            raise ValueError(f"n_factors={self.n_factors} but the model has {self.user_factors_.shape[1]} factors: "
                             "call fit to start a new model")
        random_state = check_random_state(self.random_state)
        new_users, new_items = len(user_map) - len(self.user_ids_), len(item_map) - len(self.item_ids_)
        model = {
            "user_ids_": user_map.ids, "item_ids_": item_map.ids,
            "user_factors_": np.concatenate([self.user_factors_, self._initial_factors(random_state, new_users)]),
            "item_factors_": np.concatenate([self.item_factors_, self._initial_factors(random_state, new_items)]),
            "user_bias_": np.concatenate([self.user_bias_, np.zeros(new_users, np.float32)]),
            "item_bias_": np.concatenate([self.item_bias_, np.zeros(new_items, np.float32)]),
            "_user_gradient_sum": np.concatenate([self._user_gradient_sum, np.ones(new_users, np.float32)]),
            "_item_gradient_sum": np.concatenate([self._item_gradient_sum, np.ones(new_items, np.float32)]),
            "global_mean_": self.global_mean_,
        }
        seen = (self._seen_indptr, self._seen_items)
        self._train(model, user_index, item_index, ratings, 1, random_state, callbacks,
                    epochs_before=self.n_iter_, history=list(self.history_), seen=seen, hold_out=False)
        return self

    def _initial_factors(self, random_state, n_rows):
        return (random_state.standard_normal((n_rows, self.n_factors)) * self.init_std).astype(np.float32)

    def _threads(self, n_ratings):
        if self.solver == "sequential":
            return 1
        usable = _core.usable_cpu_count()
        if self.n_threads is not None:
            if self.n_threads > MAX_THREADS_PER_CPU * usable:
                raise ValueError(f"n_threads={self.n_threads} is more than {MAX_THREADS_PER_CPU} threads for each "
                                 f"of the {usable} CPUs this process may use")
            return self.n_threads
        per_thread = HOGWILD_RATINGS_PER_THREAD if self.solver == "hogwild" else RATINGS_PER_THREAD
        return max(1, min(default_thread_count(), n_ratings // per_thread))

    def _train(self, model, user_index, item_index, ratings, epochs, random_state, callbacks, *, epochs_before,
               history, hold_out, seen=None):
        """Trains `model` (a dict of fresh arrays) and, unless training
        diverged, makes it the estimator's; Ctrl-C leaves the estimator
        whole (the epochs that finished) and propagates. `hold_out`:
        validation_fraction of the ratings held out for early stopping."""
        callbacks = callback_list(callbacks)
        training = np.ones(len(ratings), dtype=bool)
        if hold_out:
            n_validation = int(round(self.validation_fraction * len(ratings)))
            if n_validation < 1 or n_validation >= len(ratings):
                raise ValueError(f"validation_fraction={self.validation_fraction} leaves no validation or no "
                                 f"training ratings out of {len(ratings)}")
            training[random_state.permutation(len(ratings))[:n_validation]] = False
        validation = (user_index[~training], item_index[~training], ratings[~training].astype(np.float32))
        n_threads = team_threads(self._threads(int(training.sum())))
        with refusing_concurrent_fits(self):
            trainer = _core.FactorizationTrainer(
                user_index[training], item_index[training], ratings[training].astype(np.float32),
                model["user_factors_"], model["item_factors_"], model["user_bias_"], model["item_bias_"],
                model["_user_gradient_sum"], model["_item_gradient_sum"], model["global_mean_"], self.biased,
                self.solver, n_threads, int(random_state.randint(np.iinfo(np.int32).max)))
            interrupt = None
            try:
                # (a callback's exception, handed back: raised below once the model is whole, as a Ctrl-C's)
                interrupt = self._epochs(trainer, model, validation if hold_out else None, epochs, epochs_before,
                                         history, callbacks)
            except KeyboardInterrupt as error:
                interrupt = error
            if not all(np.all(np.isfinite(model[name])) for name in ("user_factors_", "item_factors_", "user_bias_",
                                                                      "item_bias_")):
                raise ValueError("matrix factorization diverged (factors became infinite or NaN): lower eta0")
            model["n_threads_"] = trainer.threads
            model["n_iter_"] = len(history)  # (history holds the earlier calls' epochs too)
            model["history_"] = history
            model["_seen_indptr"], model["_seen_items"] = _seen_pairs(
                len(model["user_ids_"]), len(model["item_ids_"]), user_index, item_index, seen)
            for name, value in model.items():
                setattr(self, name, value)
            if interrupt is not None:
                raise interrupt

    def _epochs(self, trainer, model, validation, epochs, epochs_before, history, callbacks):
        """The epoch loop: schedule, history, callbacks, stopping rule
        (on the `validation` ratings' RMSE where given, else the training
        RMSE). Returns the exception a callback raised (None if none), for the
        caller to raise once the epochs that finished are the model's (it
        propagated at once and left the estimator unfitted)."""
        eta0_bias = self.eta0 if self.eta0_bias is None else self.eta0_bias
        adaptive_scale = 1.0
        best, best_model, epochs_without_improvement = np.inf, None, 0
        start = time.perf_counter()
        for epoch in range(epochs_before, epochs_before + epochs):
            scale = self._schedule(epoch) * adaptive_scale
            eta = self.eta0 * scale
            before = time.perf_counter()
            squared_error, n_trained = trainer.run_epoch(eta, eta0_bias * scale, self.alpha, self.alpha_bias,
                                                         self.optimizer == "adagrad")
            seconds = time.perf_counter() - before
            record = {"epoch": epoch + 1, "train_rmse": float(np.sqrt(squared_error / max(n_trained, 1))),
                      "eta": eta, "elapsed": time.perf_counter() - start,
                      "ratings_per_second": n_trained / seconds if seconds > 0 else float("inf")}
            if not np.isfinite(record["train_rmse"]):
                history.append(record)
                return  # diverged: the caller checks the factors
            monitored = record["train_rmse"]
            if validation is not None:
                monitored = record["validation_rmse"] = _rmse(model, *validation, self.biased, trainer.threads)
            history.append(record)
            if self.verbose:
                print(_epoch_line(record), file=sys.stdout, flush=True)
            if validation is not None and monitored < best:
                best_model = {name: model[name].copy() for name in _TRAINED_ARRAYS}
            try:
                stop = any(says_stop(callback(dict(record))) for callback in callbacks)
            except Exception as error:  # noqa: BLE001 (the caller raises it with the finished epochs kept)
                return error
            if self.tol is not None:
                epochs_without_improvement = 0 if monitored < best - self.tol else epochs_without_improvement + 1
            best = min(best, monitored)
            if epochs_without_improvement >= self.n_iter_no_change:
                if self.learning_rate == "adaptive" and eta > 1e-6:
                    adaptive_scale /= 5.0
                    epochs_without_improvement = 0
                else:
                    stop = True
            if stop:
                break
        if best_model is not None:
            for name, array in best_model.items():
                model[name][...] = array

    def _schedule(self, epoch):
        if self.learning_rate == "invscaling":
            return 1.0 / (epoch + 1) ** self.power_t
        if self.learning_rate == "exponential":
            return self.gamma ** epoch
        if self.learning_rate == "step":
            return self.gamma ** (epoch // self.step_epochs)
        return 1.0

    # -- prediction --------------------------------------------------------

    def predict(self, X):
        """Predicted ratings.

        Parameters
        ----------
        X : tuple (users, items), DataFrame, array of shape (n, 2), or sparse matrix
            (User, item) pairs (a rating column, if any, is ignored; for a
            sparse matrix, its stored entries in COO order).

        Returns
        -------
        ndarray of shape (n,), float32
            A pair with an unknown user or item gets the global mean plus
            the known bias.

        Raises
        ------
        ValueError
            Ids of the other kind than training's (strings for a model of
            integer ids, or the reverse: ids read from a CSV file as
            strings would all be unknown).
        """
        check_is_fitted(self, "user_factors_")
        users, items, _ = rating_columns(X, None, need_ratings=False)
        if len(users) == 0:
            return np.empty(0, dtype=np.float32)
        return self._predict_indices(IdMap(self.user_ids_).indices(users, "user"),
                                     IdMap(self.item_ids_).indices(items, "item"))

    def _predict_indices(self, user_index, item_index):
        return _core.predict_ratings(user_index, item_index, self.user_factors_, self.item_factors_,
                                     self.user_bias_, self.item_bias_, self.global_mean_, self.biased,
                                     team_threads(default_thread_count()))

    def score(self, X, y=None):
        """Coefficient of determination R^2 of the predictions (as every
        scikit-learn regressor; a higher score is a lower RMSE on the same
        ratings). X and y as in :meth:`fit`."""
        users, items, ratings = rating_columns(X, y, need_ratings=True)
        check_is_fitted(self, "user_factors_")
        predicted = self._predict_indices(IdMap(self.user_ids_).indices(users, "user"),
                                          IdMap(self.item_ids_).indices(items, "item"))
        return float(r2_score(ratings, predicted))

    def recommend(self, user, k=10, exclude_seen=True):
        """The k items of highest predicted rating for one user.

        Parameters
        ----------
        user : int or str
            A user id; an unknown user gets the items of highest bias.
        k : int, default=10
        exclude_seen : bool, default=True
            Leave out the items the user rated in training.

        Returns
        -------
        items : ndarray of shape (k,) (fewer when fewer items are left)
            Item ids, best first.
        scores : ndarray of shape (k,), float32
            Their predicted ratings.

        Raises
        ------
        ValueError
            `user` is of the other kind than training's ids (a string for
            a model of integer ids, or the reverse).
        """
        check_is_fitted(self, "user_factors_")
        k = _positive_int(k, "k")
        if not isinstance(exclude_seen, (bool, np.bool_)):
            raise TypeError(f"exclude_seen must be a bool, got {exclude_seen!r}")
        index = int(IdMap(self.user_ids_).indices(_one_id(user, "user"), "user")[0])
        n_items = len(self.item_ids_)
        scores = self._predict_indices(np.full(n_items, index, np.int32), np.arange(n_items, dtype=np.int32))
        if exclude_seen and index >= 0:
            scores[self._seen_items[self._seen_indptr[index]:self._seen_indptr[index + 1]]] = -np.inf
        return _top(self.item_ids_, scores, k)

    def similar_items(self, item, k=10):
        """The k items whose factors are closest to `item`'s by cosine
        similarity (the item itself left out).

        Returns
        -------
        items : ndarray of shape (k,)
        similarities : ndarray of shape (k,), float32, in [-1, 1]

        Raises
        ------
        KeyError
            `item` was not seen in training.
        """
        check_is_fitted(self, "user_factors_")
        k = _positive_int(k, "k")
        index = int(IdMap(self.item_ids_).indices(_one_id(item, "item"), "item")[0])
        if index < 0:
            raise KeyError(f"item {item!r} was not seen in training")
        norms = np.linalg.norm(self.item_factors_, axis=1)
        norms[norms == 0] = 1.0
        similarities = (self.item_factors_ @ self.item_factors_[index]) / (norms * norms[index])
        similarities[index] = -np.inf
        return _top(self.item_ids_, similarities.astype(np.float32), k)

    def save(self, path):
        """Write the fitted model to `path` (a ``.npz`` model file; read it
        with ``hogwild.load``)."""
        from ._model_file import save_model

        save_model(self, path)

    # -- checks ------------------------------------------------------------

    def _check_params(self):
        _positive_int(self.n_factors, "n_factors")
        _positive_int(self.max_iter, "max_iter")
        _positive_int(self.n_iter_no_change, "n_iter_no_change")
        _positive_int(self.step_epochs, "step_epochs")
        _choice(self.solver, "solver", SOLVERS)
        _choice(self.learning_rate, "learning_rate", LEARNING_RATES)
        _choice(self.optimizer, "optimizer", OPTIMIZERS)
        for name in ("alpha", "alpha_bias", "init_std"):
            _real(getattr(self, name), name, low=0.0)
        for name in ("eta0", "power_t", "gamma"):
            _real(getattr(self, name), name, low=0.0, strict=True)
        if self.eta0_bias is not None:
            _real(self.eta0_bias, "eta0_bias", low=0.0)
        if self.tol is not None:
            _real(self.tol, "tol", low=0.0)
        _real(self.validation_fraction, "validation_fraction", low=0.0, strict=True)
        if self.validation_fraction >= 1:
            raise ValueError(f"validation_fraction must be below 1, got {self.validation_fraction}")
        if self.n_threads is not None:
            _positive_int(self.n_threads, "n_threads")
        if not isinstance(self.biased, (bool, np.bool_)):
            raise TypeError(f"biased must be a bool, got {self.biased!r}")
        if not isinstance(self.early_stopping, (bool, np.bool_)):
            raise TypeError(f"early_stopping must be a bool, got {self.early_stopping!r}")
        if isinstance(self.verbose, (bool, np.bool_)) or not isinstance(self.verbose, numbers.Integral) \
                or self.verbose < 0:
            raise ValueError(f"verbose must be an integer >= 0, got {self.verbose!r}")


_TRAINED_ARRAYS = ("user_factors_", "item_factors_", "user_bias_", "item_bias_", "_user_gradient_sum",
                   "_item_gradient_sum")


def _rmse(model, users, items, ratings, biased, n_threads):
    predicted = _core.predict_ratings(users, items, model["user_factors_"], model["item_factors_"],
                                      model["user_bias_"], model["item_bias_"], model["global_mean_"], biased,
                                      team_threads(n_threads))
    return float(np.sqrt(np.mean((predicted.astype(np.float64) - ratings) ** 2)))


def _seen_pairs(n_users, n_items, user_index, item_index, earlier):
    """The items each user rated (CSR arrays), adding the earlier ones."""
    seen = sp.csr_matrix((np.ones(len(user_index), np.int8), (user_index, item_index)), shape=(n_users, n_items))
    if earlier is not None:
        indptr, items = earlier
        old_users = len(indptr) - 1
        rows = np.repeat(np.arange(old_users), np.diff(indptr))
        seen = seen + sp.csr_matrix((np.ones(len(items), np.int8), (rows, items)), shape=(n_users, n_items))
    seen.sum_duplicates()
    return seen.indptr.astype(np.int64), seen.indices.astype(np.int32)


def _top(ids, scores, k):
    candidates = np.flatnonzero(np.isfinite(scores))
    k = min(k, len(candidates))
    best = candidates[np.argpartition(-scores[candidates], k - 1)[:k]] if k else candidates[:0]
    best = best[np.lexsort((best, -scores[best]))]  # highest first, ties by index
    return ids[best], scores[best]


def _epoch_line(record):
    line = f"-- Epoch {record['epoch']}: train RMSE {record['train_rmse']:.5f}"
    if "validation_rmse" in record:
        line += f", validation RMSE {record['validation_rmse']:.5f}"
    return line + f", eta {record['eta']:.3g}, {record['ratings_per_second']:.3g} ratings/s"


def _one_id(value, name):
    """One user or item id as a 1-element array (a list or array is refused)."""
    if isinstance(value, (list, tuple, np.ndarray)) and np.ndim(value) > 0:
        raise ValueError(f"{name} must be one id, got {type(value).__name__} of {np.size(value)}")
    return np.asarray([value])


def _positive_int(value, name):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _choice(value, name, options):
    if value not in options:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, options))}; got {value!r}")


def _real(value, name, *, low, strict=False):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real) or not np.isfinite(value) \
            or value < low or (strict and value == low):
        bound = f"> {low}" if strict else f">= {low}"
        raise ValueError(f"{name} must be a finite number {bound}, got {value!r}")
