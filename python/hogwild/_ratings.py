"""Ratings as the matrix factorization estimator takes them: the accepted
input layouts, their checks, and the maps from users' and items' own ids
(any integers or strings) to the dense row indices of the factor model.
"""

import numpy as np
import scipy.sparse as sp


def rating_columns(X, y, *, need_ratings, what="X"):
    """The (users, items, ratings) columns of one input.

    Accepted layouts:

    * a SciPy sparse matrix of users x items: its stored entries are the
      ratings (ids are the row and column indices; `y` must be None);
    * a pandas DataFrame: columns user, item[, rating] in that order;
    * a tuple ``(users, items)`` of two 1-D array-likes of equal length;
    * an array-like of shape (n, 2) of (user, item) pairs, or (n, 3) with
      the ratings in the last column (NumPy's common dtype: use a tuple or a
      DataFrame for string ids with numeric ratings).

    Returns users, items (1-D arrays of ids) and ratings (float64, or None
    when neither `y` nor a rating column is given and `need_ratings` is
    False).
    """
    ratings = None
    if sp.issparse(X):
        if y is not None:
            raise ValueError(f"{what} is a sparse matrix of ratings: y must be None")
        coo = X.tocoo()  # (duplicates stay separate: refused below, not summed)
        users, items, ratings = coo.row.astype(np.int64), coo.col.astype(np.int64), coo.data
    elif hasattr(X, "iloc") and hasattr(X, "columns"):  # a pandas DataFrame
        users, items, ratings = _dataframe_columns(X, y, need_ratings, what)
    elif isinstance(X, tuple):
        if len(X) != 2:
            raise ValueError(f"{what} as a tuple must be (users, items), got a tuple of {len(X)}")
        users, items = (_one_column(column, f"{what}[{k}]") for k, column in enumerate(X))
        if len(users) != len(items):
            raise ValueError(f"{what}: users and items differ in length ({len(users)} and {len(items)})")
    else:
        table = np.asarray(X)
        if table.ndim != 2 or table.shape[1] not in (2, 3):
            raise ValueError(f"{what} must be (user, item) pairs of shape (n, 2), or (n, 3) with ratings, "
                             f"got shape {table.shape}")
        users, items = table[:, 0], table[:, 1]
        if table.shape[1] == 3:
            if y is not None:
                raise ValueError(f"{what} has a rating column and y was given too")
            ratings = table[:, 2]
    if y is not None:
        ratings = _one_column(y, "y")
        if len(ratings) != len(users):
            raise ValueError(f"y has {len(ratings)} ratings for {len(users)} (user, item) pairs in {what}")
    if len(users) == 0 and need_ratings:
        raise ValueError(f"{what} holds no ratings (0 rows)")
    if ratings is not None:
        ratings = _finite_ratings(ratings)
    elif need_ratings:
        raise ValueError(f"no ratings given: pass y, or {what} with a rating column or as a sparse matrix")
    return users, items, ratings


# DataFrame column names taken for each role (compared in lower case);
# without them the columns count by position: user, item[, rating]
# (in the plain form _plain_name gives: "userId", "user_id" and "User ID" are "userid")
_ROLE_NAMES = {"user": ("user", "users", "userid", "uid"),
               "item": ("item", "items", "itemid", "movieid", "movie", "iid"),
               "rating": ("rating", "ratings", "score", "value"),
               "timestamp": ("timestamp", "time", "ts")}
_ROLE_OF_NAME = {name: role for role, names in _ROLE_NAMES.items() for name in names}


def _plain_name(name):
    return "".join(c for c in str(name).lower() if c not in " \t\"'_-")


def named_roles(names, what):
    """Per role ("user", "item", "rating", "timestamp"), the position of the
    column whose name (in lower case, without quotes, spaces, "_" and "-":
    "User ID", "user_id" and "userId" alike) is one of the role's names, or
    None: how a DataFrame's columns and a ratings file's header are read. ValueError when two columns name one
    role, or when the user or the item column is named alone, or the
    rating without them (a table is read by names or by position, never
    half and half)."""
    names = list(names)
    roles = dict.fromkeys(_ROLE_NAMES)
    for position, name in enumerate(names):
        role = _ROLE_OF_NAME.get(_plain_name(name))
        if role is None:
            continue
        if roles[role] is not None:
            raise ValueError(f"{what}: two columns name the {role} ({names[roles[role]]!r} and {name!r})")
        roles[role] = position
    if (roles["user"] is None) != (roles["item"] is None) or (roles["user"] is None and roles["rating"] is not None):
        raise ValueError(f"{what}: name both the user and the item columns (e.g. 'user', 'item', 'rating'; "
                         f"'userId', 'movieId'), or none; got columns {list(names)}")
    return roles


def _dataframe_columns(X, y, need_ratings, what):
    """(users, items, ratings or None) of a DataFrame: by column name where
    the names say (user/userId..., item/movieId..., rating), else by position."""
    roles = named_roles(list(X.columns), what)
    if roles["user"] is not None:
        user, item = X.columns[roles["user"]], X.columns[roles["item"]]
        rating = X.columns[roles["rating"]] if roles["rating"] is not None else None
    else:
        wanted = 2 if (y is not None or not need_ratings) else 3
        if X.shape[1] < wanted:
            raise ValueError(f"{what} is a DataFrame of {X.shape[1]} column(s); expected user, item"
                             + ("" if wanted == 2 else ", rating") + " columns (named, or in that order)")
        user, item = X.columns[0], X.columns[1]
        rating = X.columns[2] if X.shape[1] >= 3 else None
    if rating is not None and y is not None:
        raise ValueError(f"{what} has a rating column ({rating!r}) and y was given too")
    ratings = X[rating].to_numpy() if rating is not None and need_ratings else None
    return _one_column(X[user].to_numpy(), "user"), _one_column(X[item].to_numpy(), "item"), ratings


def _one_column(values, name):
    if not isinstance(values, np.ndarray):
        try:  # (a list of numbers and strings would become strings in an array of str: keep the objects)
            column = np.asarray(values)
            if column.dtype.kind in "US" and not all(isinstance(v, str) for v in np.asarray(values, dtype=object)):
                column = np.asarray(values, dtype=object)
        except OverflowError:
            raise ValueError(f"{name}: an id does not fit in 64 bits") from None
    else:
        column = values
    if column.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {column.shape}")
    return column


class RatingRowsError(ValueError):
    """A ValueError about some of the given ratings: `rows` (counted from
    0 among them); `naming(kind, numbers)` is the message with those rows
    called otherwise (the CLI: a file's lines as an editor counts them)."""

    def __init__(self, template, rows):
        self.template, self.rows = template, [int(row) for row in rows]
        super().__init__(self.naming("row", self.rows))

    def naming(self, kind, numbers):
        places = f"{kind} {numbers[0]}" if len(numbers) == 1 else \
            f"{kind}s {', '.join(map(str, numbers[:-1]))} and {numbers[-1]}"
        return self.template.format(places=places)


# The largest rating magnitude: the factors and biases are float32, and a
# rating beyond their range overflowed into a "diverged, lower eta0" error
_MAX_RATING = float(np.finfo(np.float32).max) / 4


def _finite_ratings(ratings):
    if np.iscomplexobj(ratings):  # (NumPy dropped the imaginary part with a ComplexWarning)
        raise ValueError("ratings must be real numbers, got complex values")
    try:
        values = np.asarray(ratings, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("ratings must be numbers") from None
    bad = ~np.isfinite(values)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise RatingRowsError(f"ratings must be finite: {int(bad.sum())} are NaN or infinite (the first at "
                              "{places})", [first])
    huge = np.abs(values) > _MAX_RATING
    if huge.any():
        first = int(np.flatnonzero(huge)[0])
        raise RatingRowsError(f"ratings must lie within +-{_MAX_RATING:.3g} (the factors are float32): "
                              f"{values[first]:g} at {{places}}", [first])
    return values


def refuse_duplicates(users, items, n_items):
    """Raises naming the first (user, item) pair given twice; users and items
    are dense indices."""
    keys = users.astype(np.int64) * np.int64(max(n_items, 1)) + items
    ordered = np.sort(keys)
    if not np.any(ordered[1:] == ordered[:-1]):
        return
    order = np.argsort(keys, kind="stable")  # (only now: to name the rows)
    repeated = np.flatnonzero(keys[order][1:] == keys[order][:-1])
    if repeated.size:
        first, second = sorted((int(order[repeated[0]]), int(order[repeated[0] + 1])))
        raise RatingRowsError(f"{repeated.size} duplicated (user, item) pair(s): {{places}} rate the same item by "
                              "the same user; aggregate them first (e.g. keep the latest)", [first, second])


def _plain_ids(ids, name):
    """Ids as int64 or str arrays (never object): what sorting, searching and
    the model file need."""
    ids = np.asarray(ids)
    if ids.dtype.kind == "u" and len(ids) and ids.max() > np.iinfo(np.int64).max:
        raise ValueError(f"{name} ids must fit in 64-bit signed integers; got {ids.max()}")
    if ids.dtype.kind in "iu":
        return ids.astype(np.int64)
    if ids.dtype.kind == "b":
        return ids.astype(np.int64)
    if ids.dtype.kind == "f":
        if not np.all(np.isfinite(ids)) or not np.all(ids == np.round(ids)):
            raise ValueError(f"{name} ids must be integers or strings; got non-integral or NaN numbers")
        return ids.astype(np.int64)
    if ids.dtype.kind in "US":
        return ids.astype(str)
    if ids.dtype.kind == "O":
        kinds = {type(v) for v in ids.tolist()}
        if kinds <= {str}:
            return ids.astype(str)
        if all(issubclass(k, (int, np.integer)) and not issubclass(k, bool) for k in kinds):
            try:
                return ids.astype(np.int64)
            except OverflowError:
                raise ValueError(f"{name} ids must fit in 64-bit signed integers") from None
        raise ValueError(f"{name} ids must be all integers or all strings, got {sorted(k.__name__ for k in kinds)}")
    raise ValueError(f"{name} ids must be integers or strings, got dtype {ids.dtype}")


class IdMap:
    """Dense indices 0..n-1 for the ids seen in training, in the order they
    were first added; unknown ids look up as -1."""

    def __init__(self, ids):
        self.ids = ids
        self._sorted_positions = np.argsort(ids, kind="stable")

    @classmethod
    def fit(cls, ids, name):
        """The map of the distinct `ids` (sorted), and the indices of `ids`."""
        plain = _plain_ids(ids, name)
        if plain.dtype.kind == "i" and len(plain):
            low, high = int(plain.min()), int(plain.max())
            if high - low <= 4 * len(plain) + 1024:
                # integer ids over a modest range (MovieLens', generated ones):
                # a table instead of a sort
                present = np.zeros(high - low + 1, dtype=bool)
                present[plain - low] = True
                table = np.cumsum(present, dtype=np.int64) - 1
                return cls(np.flatnonzero(present) + low), table[plain - low].astype(np.int32)
        distinct, indices = np.unique(plain, return_inverse=True)
        return cls(distinct), indices.astype(np.int32).ravel()

    def indices(self, ids, name):
        """Indices of `ids`; -1 for an id not in the map. Ids of the other
        kind (strings for a map of integers, or the reverse) are refused, as
        partial_fit refuses them: read from a CSV file as strings, they all
        looked up as unknown, every prediction the fallback's."""
        plain = _plain_ids(ids, name)
        if len(self.ids) and len(plain) and plain.dtype.kind != self.ids.dtype.kind:
            raise ValueError(f"{name} ids are {_kind(plain)}s but the model was trained on {_kind(self.ids)} ids")
        if len(self.ids) == 0:
            return np.full(len(plain), -1, dtype=np.int32)
        sorted_ids = self.ids[self._sorted_positions]
        positions = np.searchsorted(sorted_ids, plain)
        clipped = np.minimum(positions, len(sorted_ids) - 1)
        found = sorted_ids[clipped] == plain
        return np.where(found, self._sorted_positions[clipped], -1).astype(np.int32)

    def extended(self, ids, name):
        """A map that also holds the new ids among `ids` (appended in sorted
        order), and the indices of `ids` in it."""
        plain = _plain_ids(ids, name)
        if len(self.ids) and plain.dtype.kind != self.ids.dtype.kind:
            raise ValueError(f"{name} ids are {_kind(plain)}s but the model was trained on {_kind(self.ids)} ids")
        known = self.indices(plain, name)
        new_ids = np.unique(plain[known < 0])
        grown = IdMap(np.concatenate([self.ids, new_ids]) if len(self.ids) else new_ids)
        return grown, grown.indices(plain, name)

    def __len__(self):
        return len(self.ids)


def _kind(ids):
    return "string" if ids.dtype.kind == "U" else "integer"
