"""``hogwild mf``: matrix factorization from the command line (train on a
ratings file, recommend from a saved model)."""

import time


class _MfError(ValueError):
    """A problem with the command's input (reported as one line by the CLI)."""


def add_commands(commands, parser_class, thread_count, writable, refuse_overwriting):
    """Adds ``mf train`` and ``mf recommend`` under ``mf``."""
    from ._matrix_factorization import LEARNING_RATES, OPTIMIZERS, SOLVERS

    mf = commands.add_parser("mf", help="matrix factorization of ratings: train, recommend")
    actions = mf.add_subparsers(dest="mf_command", required=True, parser_class=parser_class)

    train = actions.add_parser("train", help="train on a ratings file, print a per-epoch table")
    train.add_argument("ratings", help="ratings in a MovieLens layout (u.data / u1.base, ratings.dat, ratings.csv; "
                                       ".gz, .bz2 too) or a folder holding one")
    train.add_argument("--test", metavar="RATINGS", help="test ratings, scored (RMSE) at the end")
    train.add_argument("--factors", type=int, default=64, help="n_factors (default 64)")
    train.add_argument("--epochs", type=int, default=50, help="max_iter (default 50)")
    train.add_argument("--solver", default="blocks", choices=SOLVERS)
    train.add_argument("--threads", type=int, default=None, help="n_threads (default: by the data's size)")
    train.add_argument("--alpha", type=float, default=0.08, help="L2 on the factors (default 0.08)")
    train.add_argument("--alpha-bias", type=float, default=0.01, help="L2 on the biases (default 0.01)")
    train.add_argument("--eta0", type=float, default=0.01, help="initial step (default 0.01)")
    train.add_argument("--learning-rate", default="constant", choices=LEARNING_RATES)
    train.add_argument("--optimizer", default="sgd", choices=OPTIMIZERS)
    train.add_argument("--tol", type=float, default=1e-4, help="stop when the RMSE stalls by less for 10 epochs "
                       "(default 1e-4, as MatrixFactorization)")
    train.add_argument("--early-stopping", action="store_true",
                       help="hold out 10%% of the ratings and keep the epoch of best validation RMSE")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("-o", "--output", metavar="MODEL", help="write the model here")
    train.set_defaults(run=lambda args: _train(args, writable, refuse_overwriting))

    recommend = actions.add_parser("recommend", help="a user's top items from a saved model")
    recommend.add_argument("model", help="a model file written by 'hogwild mf train -o' or model.save()")
    recommend.add_argument("user", help="the user's id as in the training file")
    recommend.add_argument("-k", type=int, default=10, help="items to list (default 10)")
    recommend.add_argument("--include-seen", action="store_true", help="also list items the user rated")
    recommend.set_defaults(run=_recommend)


# MatrixFactorization's parameters by their options here
_OPTIONS = {"n_factors": "--factors", "max_iter": "--epochs", "alpha": "--alpha", "alpha_bias": "--alpha-bias",
            "eta0": "--eta0", "tol": "--tol", "n_threads": "--threads"}


def _train(args, writable, refuse_overwriting):
    import numpy as np

    from ._matrix_factorization import MatrixFactorization
    from ._rating_datasets import load_movielens, movielens_lines, ratings_file
    from ._ratings import RatingRowsError

    model = MatrixFactorization(
        n_factors=args.factors, solver=args.solver, alpha=args.alpha, alpha_bias=args.alpha_bias, eta0=args.eta0,
        learning_rate=args.learning_rate, optimizer=args.optimizer, max_iter=args.epochs, tol=args.tol,
        early_stopping=args.early_stopping, n_threads=args.threads, random_state=args.seed)
    try:  # (the options checked before the data is read, as a usage error naming the option)
        model._check_params()
        model._threads(0)  # (--threads beyond the CPUs: found by fit, after reading, naming n_threads)
    except (ValueError, TypeError) as error:
        name, _, rest = str(error).partition(" ")
        parameter, equals, value = name.partition("=")
        args.command_parser_1.error(f"{_OPTIONS.get(parameter, parameter)}{' ' + value if equals else ''} {rest}")
    if not 0 <= args.seed < 2**32:  # (NumPy's seeds; refused by fit after the data was read)
        args.command_parser_1.error(f"--seed must be in [0, 2**32 - 1], got {args.seed}")
    if args.output:
        writable(args.output, "-o")
        # (a folder's ratings file: -o naming it inside the folder replaced the data)
        inputs = [(kind, ratings_file(path) if path else path)
                  for kind, path in (("ratings file", args.ratings), ("test file", args.test))]
        refuse_overwriting(args.output, "-o", inputs)
    users, items, ratings = load_movielens(args.ratings)
    test = load_movielens(args.test) if args.test else None
    print(f"{args.ratings}: {len(ratings)} ratings, {len(np.unique(users))} users, {len(np.unique(items))} items"
          + ("" if test is None else f"; test {args.test}: {len(test[2])} ratings"))
    header = f"{'epoch':>5}  {'train RMSE':>10}" + (f"  {'valid RMSE':>10}" if args.early_stopping else "") \
        + f"  {'seconds':>8}  {'ratings/s':>10}"
    print(header)

    def row(record):
        line = f"{record['epoch']:>5}  {record['train_rmse']:>10.5f}"
        if "validation_rmse" in record:
            line += f"  {record['validation_rmse']:>10.5f}"
        print(line + f"  {record['elapsed']:>8.3f}  {record['ratings_per_second']:>10.3g}", flush=True)

    start = time.perf_counter()
    try:
        model.fit((users, items), ratings, callbacks=[row])
    except RatingRowsError as error:  # (fit counts ratings from 0: named by the file's lines, as an editor shows them)
        raise _MfError(f"{ratings_file(args.ratings)}: "
                       + error.naming("line", movielens_lines(args.ratings, error.rows))) from None
    line = f"trained in {time.perf_counter() - start:.3f} s ({model.n_iter_} epochs, {model.n_threads_} thread" \
        + ("s" if model.n_threads_ > 1 else "") + f", solver {args.solver})"
    if test is not None:
        predicted = model.predict((test[0], test[1])).astype(np.float64)
        line += f"; test RMSE {np.sqrt(np.mean((predicted - test[2]) ** 2)):.4f}"
    print(line)
    if args.output:
        model.save(args.output)
        print(f"model written to {args.output}")
    return 0


def _recommend(args):
    from . import load
    from ._matrix_factorization import MatrixFactorization

    if args.k < 1:
        args.command_parser_1.error(f"-k must be >= 1, got {args.k}")
    model = load(args.model)
    if not isinstance(model, MatrixFactorization):
        raise _MfError(f"{args.model} holds a {type(model).__name__}, not a matrix factorization model")
    user = args.user
    if model.user_ids_.dtype.kind == "i":
        try:
            user = int(user)
        except ValueError:
            raise _MfError(f"the model's user ids are integers; got {args.user!r}") from None
    known = user in set(model.user_ids_.tolist())
    items, scores = model.recommend(user, k=args.k, exclude_seen=not args.include_seen)
    if not known:
        print(f"# user {args.user} was not seen in training: the items of highest bias")
    print("rank\titem\tpredicted rating")
    for rank, (item, score) in enumerate(zip(items, scores), start=1):
        print(f"{rank}\t{item}\t{score:.4f}")
    return 0
