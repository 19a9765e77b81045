"""Benchmark: the optimization lecture's figures, with the batch-size study on Fashion-MNIST.

Runs `coursework.optimization.run` on the real data and prints:

* the saddle point's Hessian eigenvalues and the loss before and after one
  step along the escape direction (target: eigenvalues [-2, 2], loss lower);
* the steps gradient descent, momentum and Adam need to get within 1e-3 of the
  minimum of the ill-conditioned quadratic and of the Rosenbrock function
  (target: momentum at most a third of gradient descent's on the quadratic);
* the largest difference between the hand-written Adam and Keras's after 100
  steps (target: at most 1e-6);
* the batch-size table: the MLP trained for the same epochs with global
  batches 16, 256 and 4096 (learning rate by the square-root rule), for each
  number of `MirroredStrategy` replicas asked for: per-replica batch, steps
  per epoch, mean seconds per epoch (the first epoch, which traces the step
  functions, left out) and test accuracy.

Usage::

    python benchmarks/optimization.py [DATA_DIR] [--impl concise] [--epochs 3]
        [--replicas 1 2] [--markdown results.md]

``DATA_DIR`` defaults to ``../shared/data/fashion-mnist`` next to the repository.
Timings depend on the machine's load; the script records the load average.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shlex
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA_DIR = REPO.parent / "shared" / "data" / "fashion-mnist"


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """Parses and checks the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir", nargs="?", default=str(DEFAULT_DATA_DIR),
                        help="folder with the four Fashion-MNIST IDX files "
                             "(default: ../shared/data/fashion-mnist)")
    parser.add_argument("--impl", choices=("scratch", "concise"), default="concise")
    parser.add_argument("--epochs", type=int, default=3, help="epochs per batch size (default 3)")
    parser.add_argument("--replicas", type=int, nargs="+", default=[1, 2],
                        help="numbers of MirroredStrategy replicas to run the study under")
    parser.add_argument("--markdown", metavar="FILE.md", help="also write the results as Markdown")
    args = parser.parse_args(argv)
    if not Path(args.data_dir).is_dir():
        parser.error(f"{args.data_dir} is not a folder; pass the folder of the four IDX files.")
    if args.epochs < 2:
        parser.error("--epochs must be at least 2: the first epoch is left out of the timing.")
    if min(args.replicas) < 1:
        parser.error("--replicas must be at least 1.")
    return args


def run(args: argparse.Namespace) -> dict[int, dict]:
    """Runs the lecture once per replica count; returns its metrics by replica count."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from coursework import fashion_mnist, optimization
    from coursework.distribute import configure_cpu_replicas, get_strategy

    configure_cpu_replicas(max(args.replicas))  # before TensorFlow starts
    data = fashion_mnist.load_data(args.data_dir)  # parsed once, shared by every run
    config = optimization.DEFAULTS.replace(epochs=args.epochs, verbose=0)
    results = {}
    for replicas in args.replicas:
        start = time.perf_counter()
        result = optimization.run(args.impl, config, get_strategy(replicas), data=data)
        metrics = result.metrics
        metrics["batch_data"] = f"Fashion-MNIST from {args.data_dir}"
        results[replicas] = metrics
        print(f"{replicas} replica(s), {time.perf_counter() - start:.0f} s:", flush=True)
        print(optimization.format_table(metrics["batch_table"]), flush=True)
    return results


def report(results: dict[int, dict], args: argparse.Namespace) -> tuple[str, list[str]]:
    """The figures as Markdown, and the targets missed."""
    first = next(iter(results.values()))
    steps = {kind: first[f"steps_{kind}"] for kind in ("gd", "momentum", "adam")}
    missed = []
    if [round(value, 6) for value in first["saddle_eigenvalues"]] != [-2.0, 2.0]:
        missed.append("saddle eigenvalues")
    if not first["saddle_loss_after"] < first["saddle_loss_before"]:
        missed.append("escape step")
    if not steps["momentum"]["quadratic"] * 3 <= steps["gd"]["quadratic"]:
        missed.append("momentum within a third of GD's steps")
    if not first["adam_max_diff"] <= 1e-6:
        missed.append("Adam within 1e-6 of Keras")
    lines = [
        f"- Saddle of (w1 w2 - 1)² at (0, 0): Hessian eigenvalues {first['saddle_eigenvalues']}; "
        f"loss {first['saddle_loss_before']:g} → {first['saddle_loss_after']:g} after one step "
        "of 0.5 along (1, 1)/√2.",
        f"- Adam, hand-written vs Keras, after 100 steps: max difference "
        f"{first['adam_max_diff']:.3g}.",
        "",
        "| steps to within 1e-3 | gradient descent | momentum | Adam |",
        "|---|---:|---:|---:|",
    ]
    for problem in ("quadratic", "rosenbrock"):
        lines.append(f"| {problem} | " + " | ".join(
            str(steps[kind][problem]) for kind in ("gd", "momentum", "adam")) + " |")
    lines += [
        "",
        "| replicas | global batch | per replica | learning rate | steps/epoch | s/epoch "
        "| test accuracy |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for replicas, metrics in results.items():
        for row in metrics["batch_table"]:
            lines.append(
                f"| {replicas} | {row['batch_size']} | {row['per_replica_batch_size']} "
                f"| {row['learning_rate']:.3g} | {row['steps_per_epoch']} "
                f"| {row['seconds_per_epoch']:.2f} | {row['test_accuracy']:.4f} |"
            )
    return "\n".join(lines), missed


def environment(args: argparse.Namespace, load_before: tuple, load_after: tuple) -> str:
    """A line saying where and how the numbers were measured."""
    import keras
    import tensorflow as tf

    return (
        f"{datetime.date.today().isoformat()}, {platform.machine()}, Python "
        f"{platform.python_version()}, TensorFlow {tf.__version__}, Keras {keras.__version__}, "
        f"{os.cpu_count()} CPU cores shared with other jobs (load average {load_before[0]:.1f} "
        f"before, {load_after[0]:.1f} after), {args.impl} implementation, {args.epochs} epochs "
        "per batch size."
    )


def main(argv: list[str] | None = None) -> int:
    """Runs the benchmark; returns 1 if a target was missed."""
    args = parse_arguments(argv)
    command = "python benchmarks/optimization.py " + shlex.join(
        sys.argv[1:] if argv is None else argv)
    load_before = os.getloadavg()
    start = time.perf_counter()
    results = run(args)
    minutes = (time.perf_counter() - start) / 60
    text, missed = report(results, args)
    setting = environment(args, load_before, os.getloadavg())
    print()
    print(text)
    print(f"\n{setting} Total {minutes:.1f} minutes.")
    print("Targets missed: " + ", ".join(missed) if missed else "Every target met.")
    if args.markdown:
        path = Path(args.markdown)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"Measured with `{command.strip()}`:\n\n{text}\n\n{setting} "
                        f"Total {minutes:.1f} minutes.\n")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
