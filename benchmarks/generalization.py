"""Benchmark: the polynomial-regression and weight-decay lectures against their targets.

Runs ``coursework train TOPIC --impl IMPL --seed SEED --metrics-out FILE`` (in
this process, through `coursework.cli.main`) for both lectures, both
implementations and every seed, reads the metrics back from the JSON files,
and prints one row per run with the targets checked:

* polynomial_regression: ``weights_error`` ≤ 0.05 (the normal fit recovers the
  four true weights); ``test_loss_underfit`` ≥ 10 × ``test_loss_normal``;
  ``test_loss_overfit`` > ``train_loss_overfit``;
* weight_decay: ``test_loss_no_decay`` ≥ 100 × ``test_loss`` (λ = 3 against
  λ = 0, from the same initial weights); K-fold: ``chosen_test_loss`` ≤ 2 ×
  ``best_test_loss``.

Usage::

    python benchmarks/generalization.py [--seeds 0 1 2] [--topics ...] [--impls ...]
        [--out-dir DIR] [--markdown results.md]

Exits with status 1 when a target is missed. On a busy machine, run one process
per topic and implementation with a shared ``--out-dir``, then tabulate them
all with ``--report-only --out-dir DIR``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

TOPIC_NAMES = ("polynomial_regression", "weight_decay")

TARGETS = {
    "polynomial_regression": {
        "weights_error ≤ 0.05": lambda m: m["weights_error"] <= 0.05,
        "underfit/normal test ≥ 10": (
            lambda m: m["test_loss_underfit"] >= 10 * m["test_loss_normal"]
        ),
        "overfit test > train": lambda m: m["test_loss_overfit"] > m["train_loss_overfit"],
    },
    "weight_decay": {
        "no decay / λ test ≥ 100": lambda m: m["test_loss_no_decay"] >= 100 * m["test_loss"],
        "chosen / best test ≤ 2": lambda m: m["chosen_test_loss"] <= 2 * m["best_test_loss"],
    },
}
"""Each topic's targets by name, as predicates of a run's metrics."""

COLUMNS = {
    "polynomial_regression": (
        "weights_error", "train_loss_normal", "test_loss_normal", "test_loss_underfit",
        "train_loss_overfit", "test_loss_overfit",
    ),
    "weight_decay": (
        "train_loss", "test_loss", "w_norm", "test_loss_no_decay", "w_norm_no_decay",
        "chosen_lambda", "chosen_test_loss", "best_test_loss",
    ),
}


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """Parses and checks the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--topics", nargs="+", choices=TOPIC_NAMES, default=list(TOPIC_NAMES))
    parser.add_argument("--impls", nargs="+", choices=("scratch", "concise"),
                        default=["scratch", "concise"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--out-dir", help="folder for the metrics JSON files (default: temporary)")
    parser.add_argument("--markdown", metavar="FILE.md", help="also write the results as Markdown")
    parser.add_argument("--report-only", action="store_true",
                        help="train nothing: tabulate the runs already saved in --out-dir "
                             "(several benchmark processes can share one folder)")
    args = parser.parse_args(argv)
    if args.report_only and not args.out_dir:
        parser.error("--report-only needs --out-dir")
    if any(seed < 0 for seed in args.seeds):
        parser.error("seeds must be non-negative")
    return args


def run_one(topic: str, impl: str, seed: int, out_dir: Path) -> dict:
    """Trains one lecture through the ``coursework`` command; returns its metrics."""
    from coursework.cli import main

    path = out_dir / f"{topic}-{impl}-seed{seed}.json"
    arguments = ["train", topic, "--impl", impl, "--seed", str(seed), "--quiet",
                 "--metrics-out", str(path)]
    start = time.perf_counter()
    if main(arguments) != 0:
        raise RuntimeError(f"coursework {' '.join(arguments)} failed")
    seconds = time.perf_counter() - start
    row = {"topic": topic, "impl": impl, "seed": seed, "seconds": seconds,
           "metrics": json.loads(path.read_text())["metrics"]}
    path.with_suffix(".row.json").write_text(json.dumps(row) + "\n")
    return row


def read_rows(out_dir: Path) -> list[dict]:
    """The rows of earlier runs saved in `out_dir` (see `run_one`), by topic, seed, impl."""
    rows = [json.loads(path.read_text()) for path in out_dir.glob("*.row.json")]
    order = {"scratch": 0, "concise": 1}
    return sorted(rows, key=lambda row: (row["topic"], row["seed"], order[row["impl"]]))


def table(rows: list[dict], topic: str) -> list[str]:
    """Markdown lines: one row per run of `topic`, its figures and targets."""
    columns, targets = COLUMNS[topic], TARGETS[topic]
    lines = [
        "| impl | seed | " + " | ".join(columns) + " | " + " | ".join(targets) + " | s |",
        "|---|---:|" + "---:|" * len(columns) + ":---:|" * len(targets) + "---:|",
    ]
    for row in rows:
        if row["topic"] != topic:
            continue
        metrics = row["metrics"]
        figures = " | ".join(f"{metrics[name]:.4g}" for name in columns)
        checks = " | ".join("✓" if target(metrics) else "✗" for target in targets.values())
        lines.append(f"| {row['impl']} | {row['seed']} | {figures} | {checks} | "
                     f"{row['seconds']:.0f} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    out_dir = Path(args.out_dir or tempfile.mkdtemp(prefix="generalization-"))
    out_dir.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()[0]
    rows = []
    for topic in [] if args.report_only else args.topics:
        for seed in args.seeds:
            for impl in args.impls:
                row = run_one(topic, impl, seed, out_dir)
                rows.append(row)
                print(f"{topic} {impl} seed {seed}: {row['metrics']} ({row['seconds']:.0f} s)",
                      flush=True)
    if args.report_only:
        rows = [row for row in read_rows(out_dir) if row["topic"] in args.topics]
    import keras
    import tensorflow as tf

    lines = []
    for topic in args.topics:
        lines += [f"#### {topic}", "", *table(rows, topic), ""]
    lines.append(
        f"{datetime.date.today()}, Python {platform.python_version()}, TensorFlow "
        f"{tf.__version__}, Keras {keras.__version__}, {os.cpu_count()} CPU cores, 1 replica, "
        f"seeds {' '.join(sorted({str(row['seed']) for row in rows}))}; load average "
        f"{load_before:.1f} (1 minute) when this report was made. Metrics JSON in {out_dir}."
    )
    text = "\n".join(lines)
    print(text)
    if args.markdown:
        Path(args.markdown).write_text(text + "\n")
    missed = [
        (row["topic"], row["impl"], row["seed"], name)
        for row in rows
        for name, target in TARGETS[row["topic"]].items()
        if not target(row["metrics"])
    ]
    for topic, impl, seed, name in missed:
        print(f"target missed: {topic} {impl} seed {seed}: {name}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
