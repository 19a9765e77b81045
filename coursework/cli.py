"""The ``coursework`` command: train a lecture's model from the shell.

Example::

    coursework train linear_regression --impl scratch --replicas 2 \\
        --metrics-out metrics.json --plot curves.png
    coursework train mlp --workers 2 --data-dir data/fashion-mnist   # a local cluster
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from pathlib import Path

from coursework.topics import IMPLEMENTATIONS, TOPICS

LECTURE_OPTIONS = ("cell", "dataset", "weight_decay")
"""Options only some lectures have: fields of their own `RunConfig` subclass."""


def build_parser() -> argparse.ArgumentParser:
    """Returns the argument parser of the ``coursework`` command."""
    parser = argparse.ArgumentParser(
        prog="coursework", description="Train the course's lecture models."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    train = commands.add_parser(
        "train",
        help="train one lecture's model",
        description=f"Train one lecture's model. Topics: {', '.join(sorted(TOPICS))}.",
    )
    train.add_argument("topic", help="the lecture to train, e.g. linear_regression")
    train.add_argument("--impl", choices=IMPLEMENTATIONS, default="concise",
                       help="from scratch or concise Keras (default: concise)")
    train.add_argument("--epochs", type=int, help="passes over the training data")
    train.add_argument("--lr", type=float, help="learning rate")
    train.add_argument("--batch-size", type=int,
                       help="global batch size, split between the replicas")
    train.add_argument("--replicas", type=int,
                       help="replicas of MirroredStrategy (default: all GPUs, or 1 CPU); "
                            "on a CPU-only machine, that many logical CPUs")
    train.add_argument("--weight-decay", type=float, metavar="LAMBDA",
                       help="weight-decay strength λ, for lectures with weight decay "
                            "(default: the lecture's)")
    train.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    train.add_argument("--data-dir", help="folder with the lecture's data files")
    train.add_argument("--cell", choices=("rnn", "gru"),
                       help="recurrent cell of rnn_lm (default rnn, i.e. tanh)")
    train.add_argument("--dataset", choices=("imdb", "ag_news"),
                       help="data set of text_classification (default imdb)")
    train.add_argument("--metrics-out", metavar="FILE.json",
                       help="write the history and final metrics as JSON")
    train.add_argument("--plot", metavar="FILE.png", help="save the training curves as PNG")
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    cluster = train.add_argument_group(
        "several processes (MultiWorkerMirroredStrategy; see docs/distributed.md)"
    )
    cluster.add_argument(
        "--workers",
        type=int,
        help="start this many local worker processes and train as one cluster",
    )
    cluster.add_argument(
        "--cluster",
        metavar="HOST:PORT,...",
        help="every worker's address, the chief first (same list on every "
        "machine); instead of TF_CONFIG",
    )
    cluster.add_argument(
        "--task-index", type=int, help="this machine's position in --cluster (0 is the chief)"
    )
    cluster.add_argument(
        "--checkpoint-dir",
        metavar="DIR",
        help="save the training state after every epoch and resume from it",
    )
    cluster.add_argument(
        "--max-restarts",
        type=int,
        default=2,
        help="with --workers: start the cluster again this many times after "
        "a worker fails (default 2)",
    )
    cluster.add_argument(
        "--export-weights",
        metavar="DIR",
        help="every worker writes its copy of the trained weights to "
        "DIR/worker-I.npz, to check that the copies agree",
    )
    train.add_argument(
        "--mixed-precision",
        action="store_true",
        help="compute in float16 on GPUs with loss scaling (concise only)",
    )
    return parser


PLOT_SUFFIXES = (".png", ".pdf", ".svg")
"""File types `coursework.plotting` can write."""


def check_output_file(
    value: str, flag: str, example: str, suffixes: tuple[str, ...] | None = None
) -> None:
    """Rejects an output file that could not be written, before any training.

    Args:
        value: The path given.
        flag: The option's name, for the message.
        example: A file name to suggest.
        suffixes: The allowed suffixes, if restricted.

    Raises:
        ValueError: If `value` is a folder, lies under a file, is in a folder
            that cannot be written, or has the wrong suffix.
    """
    path = Path(value)
    if path.is_dir():
        raise ValueError(
            f"{flag} {value!r} is a folder; give a file name, such as {str(path / example)!r}."
        )
    if suffixes and path.suffix.lower() not in suffixes:
        raise ValueError(f"{flag} {value!r} must end in {', '.join(suffixes)}.")
    for parent in path.absolute().parents:
        if parent.exists():
            if not parent.is_dir():
                raise ValueError(f"{flag} {value!r}: {str(parent)!r} is a file, not a folder.")
            if not os.access(parent, os.W_OK | os.X_OK):
                raise ValueError(f"{flag} {value!r}: cannot write into {str(parent)!r}.")
            break
    if path.exists() and not os.access(path, os.W_OK):
        raise ValueError(f"{flag} {value!r} exists and cannot be overwritten.")


def _check_arguments(args: argparse.Namespace) -> None:
    """Rejects bad values before TensorFlow is even imported."""
    if args.topic not in TOPICS:
        known = ", ".join(sorted(TOPICS))
        raise ValueError(f"Unknown topic {args.topic!r}. Known topics: {known}.")
    for name in ("epochs", "batch_size", "replicas"):
        value = getattr(args, name)
        if value is not None and value < 1:
            flag = "--" + name.replace("_", "-")
            raise ValueError(f"{flag} must be at least 1, got {value}.")
    if args.lr is not None and not args.lr > 0:
        raise ValueError(f"--lr must be positive, got {args.lr}.")
    if args.weight_decay is not None and not args.weight_decay >= 0:
        raise ValueError(f"--weight-decay must be at least 0, got {args.weight_decay}.")
    if args.seed < 0:
        raise ValueError(f"--seed must be non-negative, got {args.seed}.")
    if args.data_dir is not None and not Path(args.data_dir).is_dir():
        raise ValueError(f"--data-dir {args.data_dir!r} is not a folder.")
    if args.metrics_out is not None:
        check_output_file(args.metrics_out, "--metrics-out", "metrics.json")
    if args.plot is not None:
        check_output_file(args.plot, "--plot", "curves.png", PLOT_SUFFIXES)
    if args.metrics_out and args.plot and Path(args.metrics_out) == Path(args.plot):
        raise ValueError("--metrics-out and --plot name the same file; give two names.")
    if args.workers is not None and args.workers < 1:
        raise ValueError(f"--workers must be at least 1, got {args.workers}.")
    if (args.cluster is None) != (args.task_index is None):
        raise ValueError("--cluster and --task-index go together: give both or neither.")
    if args.cluster is not None and args.workers is not None:
        raise ValueError("Give --workers (a local cluster) or --cluster (a real one), not both.")
    in_cluster = args.cluster is not None or (args.workers or 1) > 1
    if in_cluster and args.replicas is not None:
        raise ValueError(
            "--replicas applies to one process; each worker of a cluster trains on all of its "
            "own GPUs (or its CPU)."
        )
    if args.mixed_precision and args.impl == "scratch":
        raise ValueError(
            "--mixed-precision applies to the concise (Keras) implementation; the scratch "
            "models compute in float32 as written."
        )


def train(args: argparse.Namespace) -> dict:
    """Runs ``coursework train`` and returns the report it writes as JSON."""
    _check_arguments(args)
    from coursework.quiet_start import import_tensorflow

    import_tensorflow()  # without TensorFlow's C++ start-up lines
    if args.cluster is not None:
        from coursework.distribute import cluster_config

        workers = [address.strip() for address in args.cluster.split(",") if address.strip()]
        os.environ["TF_CONFIG"] = json.dumps(cluster_config(workers, args.task_index))
    from coursework.distribute import (
        get_multi_worker_strategy,
        get_strategy,
        is_chief,
        mixed_precision,
        read_cluster_config,
        task_index,
        worker_count,
    )
    from coursework.plotting import plot_history
    from coursework.topics import load_topic
    from coursework.training import checkpointing

    lecture = load_topic(args.topic)
    options = {name: getattr(args, name) for name in LECTURE_OPTIONS}
    for name, value in options.items():
        if value is not None and not hasattr(lecture.DEFAULTS, name):
            flag = "--" + name.replace("_", "-")
            raise ValueError(f"{flag} does not apply to {args.topic}.")
    config = lecture.DEFAULTS.replace(
        **options,
        epochs=args.epochs,
        learning_rate=args.lr,
        batch_size=args.batch_size,
        seed=args.seed,
        data_dir=args.data_dir,
        verbose=0 if args.quiet else "auto",
    )
    with contextlib.ExitStack() as stack:
        if args.mixed_precision:
            stack.enter_context(mixed_precision())  # until the run ends
        if read_cluster_config() is not None:
            strategy = get_multi_worker_strategy()
        else:
            strategy = get_strategy(args.replicas)
        chief = is_chief(strategy)
        if not chief:
            config = config.replace(verbose=0)
        with checkpointing(args.checkpoint_dir):
            result = lecture.run(args.impl, config, strategy)
    if args.export_weights:
        export_weights(result.model, args.export_weights, task_index())
    report = {
        "topic": args.topic,
        "impl": args.impl,
        "chief": chief,
        "workers": worker_count(strategy),
        "replicas": strategy.num_replicas_in_sync,
        "config": {
            "epochs": config.epochs,
            "learning_rate": config.learning_rate,
            "batch_size": config.batch_size,
            "seed": config.seed,
            **{name: getattr(config, name) for name in LECTURE_OPTIONS if hasattr(config, name)},
        },
        "metrics": result.metrics,
        "samples": result.samples,
        "history": result.history,
    }
    if not chief:
        return report  # only the chief writes results
    if args.metrics_out:
        path = Path(args.metrics_out)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report, indent=2) + "\n")
    if args.plot:
        title = f"{args.topic} ({args.impl})"
        plot_result = getattr(lecture, "plot_result", None)  # a lecture's own figure, if any
        if plot_result is not None:
            plot_result(result, args.plot, title=title)
        else:
            plot_history(result.history, args.plot, title=title)
    return report


def _short(value, limit: int = 100) -> str:
    """A metric for the one-line summary: numbers to 6 digits, the rest as short JSON."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:.6g}"
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= limit else "(see --metrics-out)"


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``coursework`` console script."""
    args = build_parser().parse_args(argv)
    try:
        if (args.workers or 1) > 1:
            _check_arguments(args)
            return launch(args, argv if argv is not None else sys.argv[1:])
        report = train(args)
    except (ValueError, FileNotFoundError, RuntimeError) as error:
        print(f"coursework: error: {error}", file=sys.stderr)
        return 2
    if not report["chief"]:
        return 0
    figures = ", ".join(
        f"{name} = {_short(value)}" for name, value in report["metrics"].items()
    )
    where = f"{report['replicas']} replica(s)"
    if report["workers"] > 1:
        where = f"{report['workers']} workers, {where}"
    print(f"{report['topic']} ({report['impl']}, {where}): {figures}")
    for name, text in report["samples"].items():
        print(f"{name}: {text!r}")
    return 0


def launch(args: argparse.Namespace, argv: list[str]) -> int:
    """Runs ``coursework train ... --workers N`` as a cluster of local processes."""
    import tempfile

    from coursework.multiworker import launch_local_workers

    arguments = _without_options(argv, {"--workers", "--checkpoint-dir", "--max-restarts"})
    if arguments and arguments[0] == "train":
        arguments = arguments[1:]
    with tempfile.TemporaryDirectory(prefix="coursework-checkpoints-") as scratch_folder:
        result = launch_local_workers(
            arguments,
            args.workers,
            checkpoint_dir=args.checkpoint_dir or scratch_folder,
            max_restarts=args.max_restarts,
        )
    return result.returncode


def _without_options(argv: list[str], names: set[str]) -> list[str]:
    """`argv` without the given options and their values (``--x V`` or ``--x=V``)."""
    kept: list[str] = []
    skip = False
    for argument in argv:
        if skip:
            skip = False
            continue
        name = argument.split("=", 1)[0]
        if name in names:
            skip = "=" not in argument
            continue
        kept.append(argument)
    return kept


def export_weights(model, folder: str, task_index: int) -> Path:
    """Writes a model's variables to ``folder/worker-I.npz``, in the model's order.

    Args:
        model: A trained scratch (`tf.Module`) or Keras model, or a dict of them
            by name (a lecture that fits several models); their arrays are then
            named ``NAME/I``.
        folder: Where to write (created if missing).
        task_index: This worker's index in its cluster (0 alone).

    Returns:
        The file written.
    """
    import numpy as np

    models = model if isinstance(model, dict) else {"": model}
    arrays = {}
    for name, each in models.items():
        variables = getattr(each, "variables", None) or each.trainable_variables
        for index, variable in enumerate(variables):
            key = f"{name}/{index}" if name else f"arr_{index}"
            arrays[key] = np.asarray(variable.numpy())
    path = Path(folder) / f"worker-{task_index}.npz"
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **arrays)
    return path


if __name__ == "__main__":
    sys.exit(main())
