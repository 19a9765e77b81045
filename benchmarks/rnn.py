"""Benchmark: the recurrent-network lectures on real data, over several seeds.

* ``rnn_lm``: the character language model on The Time Machine in D2L's setting
  (hidden 32, 100 epochs, batch 1024, 32 steps), scratch RNN and concise GRU
  (and any other implementation and cell). Figure: ``val_perplexity``, exp of
  the mean per-token cross-entropy on the last 10 % of the book. Targets: at
  most 7.0 for the scratch RNN, 6.0 for the concise GRU, a run under 10 minutes.
  D2L's TensorFlow track reaches about 7.4 (minimum 7.24).
* ``text_classification`` on IMDB: ``test_accuracy`` on the 25,000 test
  reviews after the lecture's epochs (at most 5). Target: at least 0.87.

Each run is appended to a JSON-lines file as soon as it ends (so that runs in
several processes, or interrupted ones, add up), then every run in the file is
summarized: per implementation the mean, minimum and maximum over the seeds,
the target, and the wall time and CPU time of a run (training, evaluation and
generation). On a machine shared with other jobs the wall time mostly measures
the others; the CPU time (all threads) is what the run itself used, and bounds
its wall time on a quiet machine with at least one free core.

Usage::

    python benchmarks/rnn.py rnn_lm --runs scratch:rnn concise:gru --seeds 0 1 2 \\
        --out runs.jsonl [--data-dir FOLDER] [--replicas 1]
    python benchmarks/rnn.py text_classification --runs scratch concise --seeds 0
    python benchmarks/rnn.py rnn_lm --summarize runs.jsonl [--markdown]

``--data-dir`` defaults to ``../shared/data/timemachine`` for ``rnn_lm``; for
IMDB it is an aclImdb folder, by default one written to a temporary folder from
``../shared/data/imdb``'s shards. The machine's load changes wall times: say
how busy it was when quoting them.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"

TARGETS = {
    ("rnn_lm", "scratch", "rnn"): ("val_perplexity", "<=", 7.0),
    ("rnn_lm", "concise", "gru"): ("val_perplexity", "<=", 6.0),
    ("rnn_lm", "concise", "rnn"): ("val_perplexity", "<=", 7.0),
    ("rnn_lm", "scratch", "gru"): ("val_perplexity", "<=", 6.0),
    ("text_classification", "scratch", None): ("test_accuracy", ">=", 0.87),
    ("text_classification", "concise", None): ("test_accuracy", ">=", 0.87),
}
"""(topic, impl, cell): (metric, comparison, target)."""
D2L_REFERENCE = {"rnn_lm": "about 7.4 (minimum 7.24), scratch RNN"}
TIME_LIMIT_SECONDS = {"rnn_lm": 600}


def parse_arguments(argv=None) -> argparse.Namespace:
    """Parses and checks the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("topic", choices=("rnn_lm", "text_classification"))
    parser.add_argument("--runs", nargs="+", default=[],
                        help="IMPL or IMPL:CELL, e.g. scratch:rnn concise:gru (rnn_lm) or scratch")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, help="epochs per run (default: the lecture's)")
    parser.add_argument("--replicas", type=int, default=1)
    parser.add_argument("--data-dir", help="the lecture's data folder")
    parser.add_argument("--out", default="rnn_benchmark.jsonl",
                        help="JSON-lines file the runs are appended to")
    parser.add_argument("--summarize", metavar="FILE.jsonl",
                        help="only summarize the runs already in FILE")
    parser.add_argument("--markdown", action="store_true", help="print the summary as Markdown")
    args = parser.parse_args(argv)
    for run in args.runs:
        impl, _, cell = run.partition(":")
        if impl not in ("scratch", "concise") or (cell and args.topic != "rnn_lm"):
            parser.error(f"--runs {run!r}: use scratch or concise (with :rnn or :gru for rnn_lm).")
    if not args.runs and not args.summarize:
        parser.error("give --runs to train, or --summarize FILE.")
    return args


def imdb_folder() -> Path:
    """An aclImdb folder written from ../shared/data/imdb's JSON-lines shards."""
    from coursework.text_data import write_aclimdb

    shards = sorted((SHARED_DATA / "imdb").glob("imdb_*.jsonl.gz"))
    if not shards:
        sys.exit(f"No IMDB shards in {SHARED_DATA / 'imdb'}; pass --data-dir ACLIMDB_FOLDER.")

    def reviews():
        for shard in shards:
            with gzip.open(shard, "rt", encoding="utf-8") as stream:
                for line in stream:
                    yield json.loads(line)

    return write_aclimdb(reviews(), Path(tempfile.mkdtemp(prefix="aclImdb-")))


def train(args: argparse.Namespace) -> None:
    """Trains every (run, seed) and appends one JSON line for each."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from coursework.distribute import get_strategy
    from coursework.topics import load_topic

    lecture = load_topic(args.topic)
    data_dir = args.data_dir
    if data_dir is None:
        if args.topic == "rnn_lm":
            data_dir = str(SHARED_DATA / "timemachine")
        else:
            data_dir = str(imdb_folder())
    strategy = get_strategy(args.replicas)
    for run in args.runs:
        impl, _, cell = run.partition(":")
        for seed in args.seeds:
            changes = {"seed": seed, "data_dir": data_dir, "epochs": args.epochs, "verbose": 2}
            if cell:
                changes["cell"] = cell
            config = lecture.DEFAULTS.replace(**changes)
            start, cpu_start = time.perf_counter(), time.process_time()
            result = lecture.run(impl, config, strategy)
            seconds = time.perf_counter() - start
            cpu_seconds = time.process_time() - cpu_start
            record = {
                "topic": args.topic, "impl": impl, "cell": getattr(config, "cell", None),
                "seed": seed, "epochs": config.epochs, "replicas": strategy.num_replicas_in_sync,
                "wall_seconds": seconds, "cpu_seconds": cpu_seconds,
                "metrics": result.metrics, "samples": result.samples,
                "epoch_seconds": [epoch["seconds"] for epoch in result.history],
            }
            with open(args.out, "a", encoding="utf-8") as stream:
                stream.write(json.dumps(record) + "\n")
            print(json.dumps(record), flush=True)


def summarize(path: str, topic: str, markdown: bool) -> None:
    """Prints mean, min and max of the headline metric per implementation."""
    groups: dict[tuple, list[dict]] = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record["topic"] == topic:
            groups.setdefault((record["impl"], record["cell"], record["epochs"]), []).append(record)
    header = ["implementation", "epochs", "seeds", "metric", "mean", "min", "max", "target",
              "met", "wall s (mean, max)", "CPU s (mean, max)"]
    rows = []
    for (impl, cell, epochs), records in sorted(groups.items(), key=str):
        metric, comparison, target = TARGETS[(topic, impl, cell)]
        values = [record["metrics"][metric] for record in records]
        met = all(value <= target if comparison == "<=" else value >= target for value in values)
        walls = [record["wall_seconds"] for record in records]
        cpus = [record.get("cpu_seconds", float("nan")) for record in records]
        limit = TIME_LIMIT_SECONDS.get(topic)
        if limit is not None:
            met = met and max(cpus) < limit
        rows.append([
            f"{impl}" + (f" {cell}" if cell else ""), str(epochs),
            ", ".join(str(record["seed"]) for record in records), metric,
            f"{statistics.mean(values):.4g}", f"{min(values):.4g}", f"{max(values):.4g}",
            f"{comparison} {target}" + (f", < {limit} CPU s" if limit else ""),
            "yes" if met else "NO",
            f"{statistics.mean(walls):.0f}, {max(walls):.0f}",
            f"{statistics.mean(cpus):.0f}, {max(cpus):.0f}",
        ])
    if markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for row in rows:
            print("| " + " | ".join(row) + " |")
    else:
        widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]
        for row in [header, *rows]:
            print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    if topic in D2L_REFERENCE:
        print(f"\nD2L's TensorFlow track: {D2L_REFERENCE[topic]}.")
    samples = {(r["impl"], r["cell"], r["seed"]): r["samples"]["generated"]
               for records in groups.values() for r in records
               if "generated" in r.get("samples", {})}
    for (impl, cell, seed), text in sorted(samples.items(), key=str):
        print(f"{impl} {cell} seed {seed}: {text!r}")


def main(argv=None) -> int:
    args = parse_arguments(argv)
    if args.runs:
        train(args)
    summarize(args.summarize or args.out, args.topic, args.markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
