"""``hogwild tune``: the learning-rate range test and the batch-size sweep
of :mod:`hogwild.tune` from the command line."""


def _positive_int(text):
    import argparse

    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text}")
    return value


def add_command(commands, load_data, classification_losses, regression_losses, solvers, optimizers):
    """Adds ``tune`` to the CLI's subcommands."""
    tune = commands.add_parser("tune", help="suggest eta0 (learning-rate range test) or compare batch sizes")
    tune.add_argument("data", help="training data, svmlight/libsvm format (.gz, .bz2 too)")
    what = tune.add_mutually_exclusive_group(required=True)
    what.add_argument("--learning-rate", action="store_true", dest="range_test",
                      help="short runs over a geometric range of constant steps: the curve and the suggested eta0")
    what.add_argument("--batch-size", action="store_true", dest="batch_sweep",
                      help="time to a target objective for each power-of-two batch size (minibatch, async)")
    tune.add_argument("--test", metavar="DATA", help="--batch-size: time to the best validation score on this file")
    tune.add_argument("--loss", default="log_loss", choices=classification_losses + regression_losses)
    tune.add_argument("--alpha", type=float, default=1e-4, help="regularization strength (default 1e-4)")
    tune.add_argument("--solver", default=None, choices=solvers,
                      help="default: hogwild (--learning-rate), minibatch (--batch-size)")
    tune.add_argument("--optimizer", default="sgd", choices=optimizers)
    tune.add_argument("--threads", type=_positive_int, default=None, help="n_threads (default: the estimator's)")
    tune.add_argument("--rows", type=int, default=10_000, help="--learning-rate: rows of the subsample (default 10000)")
    tune.add_argument("--epochs", type=int, default=None,
                      help="epochs of each run (default 2 for --learning-rate, 20 for --batch-size)")
    tune.add_argument("--n-features", type=int, default=None, help="feature count (default: from the data)")
    tune.add_argument("--seed", type=int, default=0)
    tune.add_argument("--plot", metavar="PNG", help="--learning-rate: write the curve here (needs matplotlib)")
    tune.set_defaults(run=lambda args: _tune(args, load_data, regression_losses))


def _tune(args, load_data, regression_losses):
    from . import SGDClassifier, SGDRegressor
    from .tune import find_learning_rate, sweep_batch_size

    from .cli import _plot_format

    plot_format = _plot_format(args.plot) if args.plot else None
    paths = [args.data] + ([args.test] if args.test else [])
    loaded = load_data(paths, n_features=args.n_features)
    X, y = loaded[0]
    solver = args.solver or ("hogwild" if args.range_test else "minibatch")
    estimator_class = SGDRegressor if args.loss in regression_losses else SGDClassifier
    estimator = estimator_class(loss=args.loss, alpha=args.alpha, solver=solver, optimizer=args.optimizer,
                                n_threads=args.threads, random_state=args.seed)
    print(f"{args.data}: {X.shape[0]} examples, {X.shape[1]} features; {estimator_class.__name__}"
          f"(loss={args.loss}, alpha={args.alpha:g}, solver={solver}, optimizer={args.optimizer})")
    if args.range_test:
        result = find_learning_rate(estimator, X, y, n_rows=args.rows, epochs=args.epochs or 2,
                                    random_state=args.seed)
        print(f"learning-rate range test: {len(result.etas)} runs of {args.epochs or 2} epochs on "
              f"{result.n_rows} rows, learning_rate='constant'\n")
        print(f"{'eta0':>12}{'objective':>14}")
        for eta, value in zip(result.etas, result.objectives):
            print(f"{eta:>12.3g}{value:>14.6g}" if value < float("inf") else f"{eta:>12.3g}{'diverged':>14}")
        print(f"\nsuggested eta0: {result.suggested_eta0:.3g} (the lowest point / 3), e.g. "
              f"hogwild train {args.data} --learning-rate constant --eta0 {result.suggested_eta0:.3g}")
        if args.plot:
            import matplotlib

            matplotlib.use("Agg")
            result.plot().figure.savefig(args.plot, format=plot_format, dpi=120, bbox_inches="tight")
            print(f"plot written to {args.plot}")
        return 0
    validation = {} if not args.test else dict(X_val=loaded[1][0], y_val=loaded[1][1])
    sweep = sweep_batch_size(estimator, X, y, max_iter=args.epochs or 20, **validation)
    what = "validation score" if args.test else "training objective"
    print(f"batch-size sweep: {args.epochs or 20} epochs each; target {what} {sweep.target:.6g}\n")
    print(f"{'batch_size':>10}{'seconds':>10}{'epochs':>8}")
    for batch, seconds, epochs in zip(sweep.batch_sizes, sweep.seconds, sweep.epochs):
        print(f"{batch:>10}{'-' if seconds is None else format(seconds, '.3f'):>10}"
              f"{'-' if epochs is None else epochs:>8}")
    print(f"\nfastest to the target: batch_size={sweep.best_batch_size}")
    return 0
