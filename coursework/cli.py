"""The ``coursework`` command: train a lecture's model from the shell.

Example::

    coursework train linear_regression --impl scratch --replicas 2 \\
        --metrics-out metrics.json --plot curves.png
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from coursework.topics import IMPLEMENTATIONS, TOPICS


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
    train.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    train.add_argument("--data-dir", help="folder with the lecture's data files")
    train.add_argument("--metrics-out", metavar="FILE.json",
                       help="write the history and final metrics as JSON")
    train.add_argument("--plot", metavar="FILE.png", help="save the training curves as PNG")
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


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
    if args.seed < 0:
        raise ValueError(f"--seed must be non-negative, got {args.seed}.")
    if args.data_dir is not None and not Path(args.data_dir).is_dir():
        raise ValueError(f"--data-dir {args.data_dir!r} is not a folder.")


def train(args: argparse.Namespace) -> dict:
    """Runs ``coursework train`` and returns the report it writes as JSON."""
    _check_arguments(args)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow's C++ start-up chatter
    from coursework.distribute import get_strategy
    from coursework.plotting import plot_history
    from coursework.topics import load_topic

    lecture = load_topic(args.topic)
    config = lecture.DEFAULTS.replace(
        epochs=args.epochs,
        learning_rate=args.lr,
        batch_size=args.batch_size,
        seed=args.seed,
        data_dir=args.data_dir,
        verbose=0 if args.quiet else "auto",
    )
    strategy = get_strategy(args.replicas)
    result = lecture.run(args.impl, config, strategy)
    report = {
        "topic": args.topic,
        "impl": args.impl,
        "replicas": strategy.num_replicas_in_sync,
        "config": {
            "epochs": config.epochs,
            "learning_rate": config.learning_rate,
            "batch_size": config.batch_size,
            "seed": config.seed,
        },
        "metrics": result.metrics,
        "history": result.history,
    }
    if args.metrics_out:
        path = Path(args.metrics_out)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report, indent=2) + "\n")
    if args.plot:
        plot_history(result.history, args.plot, title=f"{args.topic} ({args.impl})")
    return report


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``coursework`` console script."""
    args = build_parser().parse_args(argv)
    try:
        report = train(args)
    except (ValueError, FileNotFoundError, RuntimeError) as error:
        print(f"coursework: error: {error}", file=sys.stderr)
        return 2
    figures = ", ".join(f"{name} = {value:.6g}" for name, value in report["metrics"].items())
    print(f"{report['topic']} ({report['impl']}, {report['replicas']} replica(s)): {figures}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
