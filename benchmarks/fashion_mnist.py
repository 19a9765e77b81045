"""Benchmark: the Fashion-MNIST lectures on the real data, scratch against concise.

Trains softmax regression, the MLP, the dropout MLP and the two LeNets (modern
and classic), each from scratch and with Keras, with the lectures' defaults
(10 epochs, seeded) on Fashion-MNIST read from its four IDX files, and prints
one row per (topic, implementation):

* the test accuracy on the official 10,000 test images (the mean over the
  seeds, and each seed's), next to the lecture's target and what Dive into
  Deep Learning's TensorFlow track reports;
* the mean training time of an epoch, leaving out the first (it includes
  tracing the step functions), validation excluded;
* for the scratch rows, that time divided by the concise one (target: at most
  1.25, i.e. the hand-written loop is within 25 % of ``fit``).

Usage::

    python benchmarks/fashion_mnist.py [DATA_DIR] [--topics mlp ...] [--epochs 10]
        [--seeds 0 1 2] [--repeats 1] [--replicas 1] [--markdown results.md]

``DATA_DIR`` defaults to ``../shared/data/fashion-mnist`` next to the repository.
With ``--seeds`` every run is made once per seed (data order and initial
weights); with ``--repeats N`` every run is repeated N times per seed. Runs
alternate which implementation goes first, and times are averaged over all of
them: on a busy machine this evens out the load the two implementations see.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shlex
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA_DIR = REPO.parent / "shared" / "data" / "fashion-mnist"

TOPIC_NAMES = ("softmax_regression", "mlp", "dropout_mlp", "lenet", "lenet_classic")
TARGET_ACCURACY = {
    "softmax_regression": 0.840,
    "mlp": 0.880,
    "dropout_mlp": 0.880,
    "lenet": 0.900,
    "lenet_classic": 0.850,
}
D2L_REFERENCE = {
    "softmax_regression": "0.823–0.836",
    "mlp": "0.854–0.866",
    "dropout_mlp": "0.859–0.871",
    "lenet": "0.726 / 0.812",
    "lenet_classic": "0.726 / 0.812",
}
"""Test accuracies in Dive into Deep Learning's TensorFlow track (10 epochs).

For LeNet: the current edition's and the classic edition's, both of the
sigmoid, average-pooling network trained with SGD."""
TARGET_TIME_RATIO = 1.25


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """Parses and checks the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir", nargs="?", default=str(DEFAULT_DATA_DIR),
                        help="folder with the four Fashion-MNIST IDX files "
                             "(default: ../shared/data/fashion-mnist)")
    parser.add_argument("--topics", nargs="+", choices=TOPIC_NAMES, default=list(TOPIC_NAMES))
    parser.add_argument("--impls", nargs="+", choices=("scratch", "concise"),
                        default=["scratch", "concise"])
    parser.add_argument("--epochs", type=int, help="epochs per run (default: the lecture's, 10)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0],
                        help="seeds to run each (topic, impl) with (default: 0)")
    parser.add_argument("--repeats", type=int, default=1, help="runs per (topic, impl, seed)")
    parser.add_argument("--replicas", type=int, default=1, help="MirroredStrategy replicas")
    parser.add_argument("--markdown", metavar="FILE.md", help="also write the results as Markdown")
    args = parser.parse_args(argv)
    if not Path(args.data_dir).is_dir():
        parser.error(f"{args.data_dir} is not a folder; pass the folder of the four IDX files.")
    for name in ("epochs", "repeats", "replicas"):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name} must be at least 1, got {value}.")
    if any(seed < 0 for seed in args.seeds):
        parser.error("--seeds must be non-negative.")
    if args.epochs == 1:
        parser.error("--epochs must be at least 2: the first epoch is left out of the timing.")
    return args


def benchmark(args: argparse.Namespace) -> list[dict]:
    """Trains every (topic, impl) and returns one result row for each."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from coursework import fashion_mnist
    from coursework.distribute import get_strategy
    from coursework.topics import load_topic

    data = fashion_mnist.load_data(args.data_dir)  # parsed once, shared by every run
    strategy = get_strategy(args.replicas)
    rows = []
    for topic in args.topics:
        lecture = load_topic(topic)
        runs: dict[str, list] = {impl: [] for impl in args.impls}
        speeds: dict[str, list] = {impl: [] for impl in args.impls}
        settings = [(seed, repeat) for seed in args.seeds for repeat in range(args.repeats)]
        for index, (seed, repeat) in enumerate(settings):
            config = lecture.DEFAULTS.replace(epochs=args.epochs, seed=seed, verbose=0)
            order = args.impls if index % 2 == 0 else args.impls[::-1]
            for impl in order:
                start = time.perf_counter()
                result = lecture.run(impl, config, strategy, data=data)
                total = time.perf_counter() - start
                epoch_seconds = [record["seconds"] for record in result.history]
                runs[impl].append((seed, result.metrics["test_accuracy"], epoch_seconds, total))
                speeds[impl] += [r["examples_per_second"] for r in result.history[1:]]
                print(f"{topic:<18} {impl:<8} seed {seed} repeat {repeat + 1}: test accuracy "
                      f"{result.metrics['test_accuracy']:.4f}, epochs "
                      f"{' '.join(f'{s:.2f}' for s in epoch_seconds)} s, run {total:.0f} s",
                      flush=True)
        for impl in args.impls:
            accuracies = [accuracy for _, accuracy, _, _ in runs[impl]]
            later_epochs = [s for _, _, seconds, _ in runs[impl] for s in seconds[1:]]
            by_seed = {seed: [a for s, a, _, _ in runs[impl] if s == seed] for seed in args.seeds}
            rows.append({
                "topic": topic,
                "impl": impl,
                "test_accuracy": statistics.mean(accuracies),
                "seed_accuracies": {seed: statistics.mean(a) for seed, a in by_seed.items()},
                "target": TARGET_ACCURACY[topic],
                "epoch_seconds": statistics.mean(later_epochs),
                # Per replica, so a run on several GPUs compares with one CPU.
                "examples_per_second_per_replica": (
                    statistics.mean(speeds[impl] or [0.0]) / strategy.num_replicas_in_sync
                ),
                "epochs": config.epochs,
            })
    concise = {row["topic"]: row["epoch_seconds"] for row in rows if row["impl"] == "concise"}
    for row in rows:
        if row["impl"] == "scratch" and row["topic"] in concise:
            row["time_ratio"] = row["epoch_seconds"] / concise[row["topic"]]
    return rows


def meets_target(row: dict) -> bool:
    """Whether every seed's accuracy reaches the target (not only their mean)."""
    return min(row["seed_accuracies"].values()) >= row["target"]


def table(rows: list[dict]) -> str:
    """The results as a Markdown table (readable as plain text too)."""
    lines = [
        "| topic | impl | test accuracy | per seed | target | D2L (TF) | mean epoch s "
        "| examples/s per replica | scratch / concise |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        accuracy_ok = "✓" if meets_target(row) else "✗"
        ratio = ""
        if "time_ratio" in row:
            ratio_ok = "✓" if row["time_ratio"] <= TARGET_TIME_RATIO else "✗"
            ratio = f"{row['time_ratio']:.2f} {ratio_ok}"
        per_seed = " ".join(f"{accuracy:.4f}" for accuracy in row["seed_accuracies"].values())
        lines.append(
            f"| {row['topic']} | {row['impl']} | {row['test_accuracy']:.4f} {accuracy_ok} "
            f"| {per_seed} | ≥ {row['target']:.3f} | {D2L_REFERENCE[row['topic']]} "
            f"| {row['epoch_seconds']:.2f} | {row['examples_per_second_per_replica']:,.0f} "
            f"| {ratio} |"
        )
    return "\n".join(lines)


def environment(args: argparse.Namespace, load_before: tuple, load_after: tuple) -> str:
    """A line saying where and how the numbers were measured."""
    import keras
    import tensorflow as tf

    return (
        f"{datetime.date.today().isoformat()}, Python {platform.python_version()}, "
        f"TensorFlow {tf.__version__}, Keras {keras.__version__}, {os.cpu_count()} CPU cores, "
        f"{args.replicas} replica(s), seed(s) {' '.join(map(str, args.seeds))}, "
        f"{args.repeats} repeat(s); load average "
        f"{load_before[0]:.1f} before and {load_after[0]:.1f} after (1 minute)."
    )


def main(argv: list[str] | None = None) -> int:
    """Runs the benchmark; returns 1 if a target was missed."""
    args = parse_arguments(argv)
    command = "python benchmarks/fashion_mnist.py " + shlex.join(
        sys.argv[1:] if argv is None else argv
    )
    load_before = os.getloadavg()
    start = time.perf_counter()
    rows = benchmark(args)
    minutes = (time.perf_counter() - start) / 60
    text = table(rows)
    setting = environment(args, load_before, os.getloadavg())
    print()
    print(text)
    print(f"\n{setting} Total {minutes:.1f} minutes.")
    if args.markdown:
        path = Path(args.markdown)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            f"Measured with `{command.strip()}`:\n\n{text}\n\n{setting} "
            f"Total {minutes:.1f} minutes.\n"
        )
    missed = [row for row in rows if not meets_target(row)
              or row.get("time_ratio", 0.0) > TARGET_TIME_RATIO]
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
