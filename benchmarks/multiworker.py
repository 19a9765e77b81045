"""One process versus a cluster of local workers: the same figures, and their cost.

Trains linear regression (synthetic data) and the MLP (Fashion-MNIST from
``--data-dir``) with the scratch and concise implementations, once as a single
process (`MirroredStrategy`, one replica) and once as ``--workers 2``
(`MultiWorkerMirroredStrategy`, one CPU per worker), all with the same global
batch, and prints the headline metric and the throughput, in total and per
replica, of each run. Every run is a ``coursework train`` command, as a user
would type it.

Usage::

    python benchmarks/multiworker.py --data-dir ../shared/data/fashion-mnist [--epochs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run(arguments: list[str]) -> tuple[dict, float]:
    """Runs ``coursework train ARGUMENTS`` and returns its report and wall time."""
    with tempfile.TemporaryDirectory() as folder:
        metrics = Path(folder) / "m.json"
        start = time.perf_counter()
        completed = subprocess.run(
            [sys.executable, "-m", "coursework", "train", *arguments, "--quiet",
             "--metrics-out", str(metrics)],
            capture_output=True, text=True, cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3"},
        )  # fmt: skip
        seconds = time.perf_counter() - start
        if completed.returncode != 0:
            command = " ".join(arguments)
            raise RuntimeError(f"coursework train {command} failed:\n{completed.stderr}")
        return json.loads(metrics.read_text()), seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", required=True, help="folder with Fashion-MNIST's IDX files")
    parser.add_argument("--epochs", type=int, default=3, help="epochs per run (default 3)")
    args = parser.parse_args()
    topics = [
        ("linear_regression", [], "w_error"),
        ("mlp", ["--data-dir", args.data_dir], "test_accuracy"),
    ]
    rows = []
    for topic, extra, metric in topics:
        for impl in ("scratch", "concise"):
            for workers in (1, 2):
                cluster = ["--workers", "2"] if workers > 1 else ["--replicas", "1"]
                report, seconds = run(
                    [topic, "--impl", impl, "--epochs", str(args.epochs), *extra, *cluster]
                )
                history = report["history"]
                throughput = sum(r["examples_per_second"] for r in history) / len(history)
                replicas = report["replicas"]
                rows.append(
                    (topic, impl, workers, replicas, metric, report["metrics"][metric],
                     throughput, throughput / replicas, seconds)
                )  # fmt: skip
                print(
                    f"{topic:<18} {impl:<8} workers {workers}: {metric} "
                    f"{report['metrics'][metric]:.4g}, {throughput:,.0f} examples/s "
                    f"({throughput / replicas:,.0f} per replica), {seconds:.0f} s with start-up",
                    flush=True,
                )
    print("\n| topic | impl | workers | replicas | metric | value | examples/s | per replica "
          "| wall s |")  # fmt: skip
    print("|---|---|---:|---:|---|---:|---:|---:|---:|")
    for topic, impl, workers, replicas, metric, value, speed, per_replica, seconds in rows:
        print(
            f"| {topic} | {impl} | {workers} | {replicas} | {metric} | {value:.4g} | "
            f"{speed:,.0f} | {per_replica:,.0f} | {seconds:.0f} |"
        )
    print(f"\nEpochs {args.epochs}; load average {os.getloadavg()[0]:.1f}; {os.cpu_count()} cores.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
