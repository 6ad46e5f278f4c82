"""Rating data for matrix factorization: the MovieLens file layouts and a
generator of low-rank ratings with popular users and items.

The package ships no MovieLens file: GroupLens's licence forbids
redistributing it (download it from https://grouplens.org/datasets/movielens/).
"""

import io
import numbers
import os
import warnings

import numpy as np

from ._ratings import RatingRowsError, _finite_ratings, named_roles
from .datasets import _read_text

# file names tried, in order, when load_movielens is given a folder
MOVIELENS_FILES = ("u.data", "ratings.csv", "ratings.dat")


def load_movielens(path, return_timestamps=False):
    """Read MovieLens ratings.

    Parameters
    ----------
    path : str or os.PathLike
        A ratings file in one of the MovieLens layouts, or a folder holding
        one (``u.data``, ``ratings.csv`` or ``ratings.dat``, tried in that
        order):

        * 100K: ``u.data``, ``u1.base``, ``u1.test``...: ``user item rating
          timestamp``, tab-separated;
        * 1M/10M: ``ratings.dat``: ``user::item::rating::timestamp``;
        * 20M/25M/32M and "latest": ``ratings.csv``: a header
          ``userId,movieId,rating,timestamp``, then comma-separated values.

        Your own files in these layouts too (comma-, tab- or
        space-separated, integer ids). A first line (after blank lines and
        ``#`` comments) whose first field is not a number is a header;
        where its names say which columns hold the user and the item
        (``user``/``userId``/``user_id``, ``item``/``movieId``...,
        ``rating``/``score``, ``timestamp``; case, quotes and a UTF-8
        byte-order mark ignored), the columns are read by name, else by
        position (user, item, rating[, timestamp]).
        ``.gz`` and ``.bz2`` files are decompressed.
    return_timestamps : bool, default=False
        Also return the timestamps (int64, seconds since 1970).

    Returns
    -------
    users : ndarray of shape (n,), int64
    items : ndarray of shape (n,), int64
    ratings : ndarray of shape (n,), float32
        (MovieLens ids as written: 1-based, not contiguous in the newer sets.)
    timestamps : ndarray of shape (n,), int64
        Only with ``return_timestamps``.

    Raises
    ------
    FileNotFoundError
        No such file, or a folder without a ratings file.
    ValueError
        A file in none of these layouts, a header naming the user or the
        item column alone, or one column twice, a rating that is NaN,
        infinite or beyond +-8.5e37 (the factors are float32): naming the
        file and the line.
    """
    name, text = _read_text(ratings_file(path))
    layout = _layout(text, return_timestamps, name)
    # ids (and timestamps) as 64-bit integers, exactly; ratings as numbers
    fields = [("user", np.int64), ("item", np.int64), ("rating", np.float64)]
    if return_timestamps:
        fields.append(("timestamp", np.int64))
    if not layout.text.strip():
        raise ValueError(f"{name}: holds no ratings")
    try:
        with warnings.catch_warnings():  # (a header alone: NumPy's "input contained no data"; said below)
            warnings.filterwarnings("ignore", "loadtxt: input contained no data", UserWarning)
            table = np.loadtxt(io.BytesIO(layout.text), delimiter=layout.delimiter, skiprows=layout.skip,
                               dtype=np.dtype(fields), ndmin=1, usecols=layout.columns)
    except (ValueError, IndexError) as error:
        raise ValueError(f"{name}: not a MovieLens ratings file (integer user and item ids, a numeric rating"
                         f"{', an integer timestamp' if return_timestamps else ''}): "
                         f"{_first_bad_line(layout, len(fields)) or error}") from None
    if table.shape[0] == 0:
        raise ValueError(f"{name}: holds no ratings")
    ratings = table["rating"]
    try:  # (fit's check, here naming the file's line: 1e300 became inf in float32, said "NaN ... at row 1" by fit)
        _finite_ratings(ratings)
    except RatingRowsError as error:
        raise ValueError(f"{name}: {error.naming('line', _lines_of_rows(layout, error.rows))}") from None
    columns = [table["user"], table["item"], ratings.astype(np.float32)]
    if return_timestamps:
        columns.append(table["timestamp"])
    return tuple(np.ascontiguousarray(column) for column in columns)


def ratings_file(path):
    """The ratings file `path` names: itself, or the MovieLens file a folder
    holds (MOVIELENS_FILES, in that order). FileNotFoundError for a folder
    without one."""
    path = os.fspath(path)
    if not os.path.isdir(path):
        return path
    found = [name for name in MOVIELENS_FILES if os.path.exists(os.path.join(path, name))]
    if not found:
        raise FileNotFoundError(f"{path}: no MovieLens ratings file in this folder (looked for "
                                f"{', '.join(MOVIELENS_FILES)})")
    return os.path.join(path, found[0])


class _Layout:
    """How a ratings file's text is read: `text` (ratings.dat's "::" made
    tabs), `delimiter` (None: tabs or spaces), `skip` (lines before the
    first rating: a header and what precedes it), `columns` (the user,
    item, rating[, timestamp] columns' positions) and `double_colon`."""

    def __init__(self, text, delimiter, skip, columns, double_colon):
        self.text, self.delimiter, self.skip = text, delimiter, skip
        self.columns, self.double_colon = columns, double_colon


def _layout(text, return_timestamps, name):
    """The _Layout of a ratings file's bytes, read from its first line that
    is neither blank nor a # comment (which NumPy skips: a comment first
    made a ratings.dat unreadable). That line is a header when its first
    field is not a number (not when it merely does not start with a digit:
    "-1", " 1" and a byte-order mark dropped the first rating); a header's
    names (quotes removed), where they name the user and item columns,
    say which column is which, as a DataFrame's do (_ratings.named_roles:
    a header "movieId,userId,rating" was read by position, users and items
    swapped); else the columns count by position."""
    if text.startswith(b"\xef\xbb\xbf"):  # (a UTF-8 byte-order mark: a spreadsheet's CSV export)
        text = text[3:]
    lines_before, first_line = 0, b""
    for lines_before, line in enumerate(io.BytesIO(text)):
        if line.strip() and not line.lstrip().startswith(b"#"):
            first_line = line.rstrip(b"\r\n")
            break
    double_colon = b"::" in first_line  # (ratings.dat: read as tabs, its lines shown as written)
    if double_colon:
        text, delimiter = text.replace(b"::", b"\t"), "\t"
        first_line = first_line.replace(b"::", b"\t")
    else:
        delimiter = "," if b"," in first_line else None  # (None: tabs or spaces)
    # (a header's names split on its tabs where it has them: "user id<TAB>movie id" is two names)
    header_delimiter = delimiter or ("\t" if b"\t" in first_line else None)
    names = [field.strip().strip(b"\"'").decode("utf-8", "replace")
             for field in first_line.split(header_delimiter.encode() if header_delimiter else None)]
    n_columns = 4 if return_timestamps else 3
    positions = tuple(range(n_columns))
    if not names or _is_number(names[0]):
        return _Layout(text, delimiter, 0, positions, double_colon)
    roles = named_roles(names, f"{name}'s header")
    if roles["user"] is None:  # (names of none: by position)
        return _Layout(text, delimiter, lines_before + 1, positions, double_colon)
    wanted = ("user", "item", "rating", "timestamp")[:n_columns]
    missing = [role for role in wanted if roles[role] is None]
    if missing:
        raise ValueError(f"{name}'s header names no {' and no '.join(missing)} column (e.g. userId, movieId, rating"
                         f"{', timestamp' if return_timestamps else ''}); got {', '.join(names)}")
    return _Layout(text, delimiter, lines_before + 1, tuple(roles[role] for role in wanted), double_colon)


def _is_number(field):
    try:
        float(field)
    except ValueError:
        return False
    return True


def _data_lines(layout):
    """(line number as an editor counts it, the line) of each rating line."""
    for number, raw in enumerate(io.BytesIO(layout.text), start=1):  # (lazily: a file of 30M lines)
        if number <= layout.skip or not raw.strip() or raw.lstrip().startswith(b"#"):  # (loadtxt's comments)
            continue
        yield number, raw


def _lines_of_rows(layout, rows):
    """The file lines of ratings `rows` (counted from 0 among the ratings), in one pass."""
    wanted, lines = set(rows), {}
    for k, (number, _) in enumerate(_data_lines(layout)):
        if k in wanted:
            lines[k] = number
            if len(lines) == len(wanted):
                break
    return [lines.get(row) for row in rows]


def movielens_lines(path, rows):
    """The file lines (as an editor counts them) of ratings `rows` (counted
    from 0, as load_movielens returns them) of a ratings file or folder:
    for messages about ratings found wrong after reading."""
    path = ratings_file(path)
    return _lines_of_rows(_layout(_read_text(path)[1], False, path), rows)


def _first_bad_line(layout, n_fields):
    """'line N: ...' for the first line the columns do not parse on, counted
    from 1 in the file as an editor shows it (NumPy's message counted rows
    from 0, after the header), or None."""
    for number, raw in _data_lines(layout):
        fields = raw.split(layout.delimiter.encode() if layout.delimiter else None)
        try:
            if len(fields) <= max(layout.columns):
                raise ValueError(f"{len(fields)} columns, not {max(layout.columns) + 1}")
            user, item, rating = (fields[k] for k in layout.columns[:3])
            int(user), int(item), float(rating)
            if n_fields > 3:
                int(fields[layout.columns[3]])
        except ValueError as error:
            shown = raw.decode("utf-8", "replace").strip().replace("\t", "::" if layout.double_colon else "\t")
            return f"line {number}: {shown[:80]!r} ({error})"
    return None


def make_ratings(n_users=1000, n_items=1000, n_ratings=50_000, *, rank=5, noise=0.0, mean=3.5, bias_std=0.3,
                 popularity="zipf", zipf_exponent=0.8, random_state=0):
    """Generate ratings of a low-rank model with biases, for tests and benchmarks.

    Users and items are drawn with probability proportional to
    ``1 / r ** zipf_exponent`` for their popularity rank r (a random
    permutation of the ids), or uniformly; each (user, item) pair at most
    once. The rating of (u, i) is ``mean + b_u + b_i + p_u @ q_i`` plus
    normal noise, with ``p, q ~ N(0, s^2)`` scaled so that the product has
    standard deviation 0.8, and biases ``~ N(0, bias_std^2)``. Ratings are
    not rounded or clipped (so the model is exactly low-rank).

    Parameters
    ----------
    n_users, n_items, n_ratings : int
        ``n_ratings`` is at most half of ``n_users * n_items``.
    rank : int, default=5
    noise : float, default=0.0
        Standard deviation of the added noise.
    mean, bias_std : float
    popularity : {"zipf", "uniform"}, default="zipf"
    zipf_exponent : float, default=0.8
    random_state : int, default=0

    Returns
    -------
    users, items : ndarray of shape (n_ratings,), int64
        Ids 0..n_users-1 and 0..n_items-1.
    ratings : ndarray of shape (n_ratings,), float32

    Raises
    ------
    ValueError
        Bad sizes or parameters.
    """
    for name, value in (("n_users", n_users), ("n_items", n_items), ("n_ratings", n_ratings), ("rank", rank)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    if n_ratings > n_users * n_items // 2:
        raise ValueError(f"n_ratings={n_ratings} is more than half of the {n_users * n_items} (user, item) pairs")
    if popularity not in ("zipf", "uniform"):
        raise ValueError(f"popularity must be 'zipf' or 'uniform', got {popularity!r}")
    for name, value in (("noise", noise), ("bias_std", bias_std), ("zipf_exponent", zipf_exponent)):
        if not isinstance(value, numbers.Real) or not np.isfinite(value) or value < 0:
            raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    if isinstance(mean, bool) or not isinstance(mean, numbers.Real) or not abs(mean) < 1e30:
        # (NaN, inf and 1e300, which float32 ratings hold as inf, were handed back before)
        raise ValueError(f"mean must be a number of size below 1e30, got {mean!r}")
    rng = np.random.default_rng(random_state)

    def sampler(n):
        """Draws n-valued ids by popularity (inverse-CDF on uniform draws)."""
        if popularity == "uniform":
            return lambda size: rng.integers(0, n, size)
        cumulative = np.cumsum(1.0 / np.arange(1, n + 1) ** zipf_exponent)
        ranked = rng.permutation(n)  # popularity rank -> id
        return lambda size: ranked[np.minimum(np.searchsorted(cumulative, rng.random(size) * cumulative[-1]), n - 1)]

    draw_users, draw_items = sampler(n_users), sampler(n_items)
    keys = np.empty(0, dtype=np.int64)
    for _ in range(64):  # a pair drawn twice is kept once: draw again until there are enough
        wanted = n_ratings - len(keys)
        draw = int(wanted * (1.1 if len(keys) == 0 else 3.0)) + 1024
        fresh = draw_users(draw).astype(np.int64) * n_items + draw_items(draw)
        keys = _distinct(np.concatenate([keys, fresh]))
        if len(keys) >= n_ratings:
            break
    else:
        raise ValueError("could not draw that many distinct (user, item) pairs under this popularity: "
                         "lower zipf_exponent or n_ratings")
    keys = rng.permutation(keys)[:n_ratings]
    users, items = keys // n_items, keys % n_items
    scale = (0.64 / rank) ** 0.25
    user_factors = rng.normal(0.0, scale, (n_users, rank))
    item_factors = rng.normal(0.0, scale, (n_items, rank))
    ratings = mean + rng.normal(0.0, bias_std, n_users)[users] + rng.normal(0.0, bias_std, n_items)[items]
    for start in range(0, n_ratings, 1 << 20):  # in chunks: no (n_ratings, rank) temporaries
        chunk = slice(start, start + (1 << 20))
        ratings[chunk] += np.einsum("ij,ij->i", user_factors[users[chunk]], item_factors[items[chunk]])
    if noise > 0:
        ratings += rng.normal(0.0, noise, n_ratings)
    with np.errstate(over="ignore"):  # (said below)
        ratings = ratings.astype(np.float32)
    if not np.all(np.isfinite(ratings)):
        raise ValueError(f"noise={noise!r} or bias_std={bias_std!r} makes ratings beyond float32's range")
    return users, items, ratings


def _distinct(keys):
    """The distinct values, sorted (by sorting: NumPy's hash-based unique
    is several times slower on ten million int64)."""
    keys.sort()
    return keys[np.concatenate([[True], keys[1:] != keys[:-1]])] if len(keys) else keys
