"""What the sandbox costs: fork-server start-up and per-submission overhead.

Run with ``python benchmarks/sandbox_overhead.py [--submissions N]``. Prints:

* the fork server's start-up time (a fresh interpreter importing TensorFlow);
* the wall time per submission for an empty submission with 10 trivial calls,
  one submission after the other, and from 2 threads at once;
* the same for a submission whose calls use TensorFlow (the first TensorFlow
  operation in each fresh child starts the TensorFlow runtime);
* which kernel limits were in force (cgroup, namespaces, tmpfs work folder):
  their set-up and clean-up are part of the cost measured.
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from autograder.sandbox import Call, Chunk, Sandbox  # noqa: E402

TRIVIAL = [Chunk("empty.py", "def identity(x):\n    return x\n")]
TRIVIAL_CALLS = [Call("identity", (n,)) for n in range(10)]
TENSORFLOW = [Chunk("tf.py", "import tensorflow as tf\ndef add(a, b):\n    return tf.add(a, b)\n")]
TENSORFLOW_CALLS = [Call("add", (float(n), 1.0)) for n in range(10)]


def per_submission(sandbox: Sandbox, chunks, calls, count: int, threads: int) -> float:
    """Mean wall time per submission over `count` submissions on `threads` threads."""

    def one(_):
        run = sandbox.run(chunks, calls)
        if any(result.status != "ok" for result in run.calls):
            raise RuntimeError(f"unexpected results: {run.calls}")

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, range(count)))
    return (time.perf_counter() - started) / count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=20,
                        help="submissions per measurement (default 20)")
    args = parser.parse_args(argv)
    sandbox = Sandbox(hidden_paths=[REPO / "solutions", REPO / "autograder"])
    started = time.perf_counter()
    sandbox.start()
    startup = time.perf_counter() - started
    try:
        print(f"fork-server start-up: {startup:.2f} s "
              f"(TensorFlow import in the server: {sandbox.server_info['seconds']:.2f} s)")
        per_submission(sandbox, TRIVIAL, TRIVIAL_CALLS, 2, 1)  # warm-up
        missing = sandbox.run(TRIVIAL, TRIVIAL_CALLS[:1]).missing_limits
        print("limits NOT in force: " + (", ".join(missing) if missing else "none"))
        for label, chunks, calls in (
            ("empty submission, 10 trivial calls", TRIVIAL, TRIVIAL_CALLS),
            ("TensorFlow submission, 10 tf.add calls", TENSORFLOW, TENSORFLOW_CALLS),
        ):
            sequential = per_submission(sandbox, chunks, calls, args.submissions, 1)
            parallel = per_submission(sandbox, chunks, calls, args.submissions, 2)
            print(f"{label}: {sequential * 1000:.0f} ms per submission sequentially, "
                  f"{parallel * 1000:.0f} ms per submission with 2 threads "
                  f"({args.submissions} submissions each)")
    finally:
        sandbox.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
