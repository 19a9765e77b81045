"""Starting a cluster of training processes on one machine: ``coursework train --workers N``.

`MultiWorkerMirroredStrategy` trains one model with several processes, the
*workers*, usually one per machine. Each learns its place from ``TF_CONFIG``:
the addresses of every worker and its own index. To try it on one machine,
`launch_local_workers` starts N copies of the same ``coursework train``
command, each with its own index and a free port on the loopback interface,
and waits for them:

* only the chief (worker 0) prints to the terminal and writes metrics, plots
  and checkpoints; the other workers' output goes to log files;
* when a worker dies (killed, out of memory), the others cannot go on, since
  every step adds up gradients from all of them. The launcher stops the rest
  and starts the whole cluster again, up to ``max_restarts`` times; with a
  checkpoint folder (one is made when none is given) the new cluster resumes
  from the last finished epoch.

On a real cluster the same command runs on every machine with
``--cluster host:port,... --task-index I`` (or with ``TF_CONFIG`` set), and
the cluster manager (a Kubernetes Job, say) restarts failed workers.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

_POLL_SECONDS = 0.2
"""How often the launcher looks at its workers."""


def free_ports(count: int) -> list[int]:
    """Returns `count` distinct TCP ports that are free on the loopback interface now."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


@dataclasses.dataclass(frozen=True)
class WorkerExit:
    """How one worker of an attempt ended.

    Attributes:
        index: The worker's task index (0 is the chief).
        returncode: Its exit status; negative for a signal (-9 is SIGKILL).
    """

    index: int
    returncode: int


@dataclasses.dataclass
class LaunchResult:
    """What a local cluster run did.

    Attributes:
        returncode: 0 when every worker of the last attempt succeeded.
        attempts: How many times the cluster was started.
        failures: The workers that failed, attempt by attempt.
        log_dir: Where the non-chief workers' output is.
    """

    returncode: int
    attempts: int
    failures: list[WorkerExit]
    log_dir: Path


def launch_local_workers(
    train_arguments: Sequence[str],
    workers: int,
    *,
    checkpoint_dir: str | Path,
    log_dir: str | Path | None = None,
    max_restarts: int = 2,
    environment: dict[str, str] | None = None,
) -> LaunchResult:
    """Runs ``coursework train`` as a cluster of `workers` local processes.

    Args:
        train_arguments: The ``train`` command's arguments (topic and options),
            without ``--workers``, ``--cluster``, ``--task-index`` and
            ``--checkpoint-dir``, which the launcher adds.
        workers: Number of worker processes (at least 2).
        checkpoint_dir: The chief's checkpoint folder, shared by the attempts.
        log_dir: Folder for the other workers' output (a new temporary one if None).
        max_restarts: How many times the cluster is started again after a worker
            is killed (by a signal: out of memory, a reboot). A worker that fails
            with an error status stops the run, since a restart would fail again.
        environment: Extra environment variables for the workers.

    Returns:
        A `LaunchResult`.

    Raises:
        ValueError: If `workers` is below 2 or `max_restarts` is negative.
    """
    if workers < 2:
        raise ValueError(f"--workers must be at least 2 to start a cluster, got {workers}.")
    if max_restarts < 0:
        raise ValueError(f"max_restarts must be at least 0, got {max_restarts}.")
    log_dir = Path(log_dir or tempfile.mkdtemp(prefix="coursework-workers-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    failures: list[WorkerExit] = []
    for attempt in range(max_restarts + 1):
        exits = _run_attempt(
            list(train_arguments), workers, attempt, Path(checkpoint_dir), log_dir, environment
        )
        failed = [worker for worker in exits if worker.returncode != 0]
        if not failed:
            return LaunchResult(0, attempt + 1, failures, log_dir)
        failures.extend(failed)
        killed = [worker for worker in failed if worker.returncode < 0]
        first = (killed or failed)[0]
        how = (
            f"killed by signal {-first.returncode}"
            if first.returncode < 0
            else f"exit status {first.returncode}"
        )
        if not killed:
            # An error of the program itself would only happen again.
            print(
                f"coursework: worker {first.index} failed ({how}); not restarting. The other "
                f"workers' output is in {log_dir}.",
                file=sys.stderr,
                flush=True,
            )
            return LaunchResult(first.returncode, attempt + 1, failures, log_dir)
        if attempt < max_restarts:
            print(
                f"coursework: worker {first.index} stopped ({how}); starting the {workers} "
                f"workers again from the last checkpoint (attempt {attempt + 2} of "
                f"{max_restarts + 1}).",
                file=sys.stderr,
                flush=True,
            )
        else:
            print(
                f"coursework: worker {first.index} stopped ({how}) and no restart is left; "
                f"the other workers' output is in {log_dir}.",
                file=sys.stderr,
                flush=True,
            )
    return LaunchResult(failures[-1].returncode or 1, max_restarts + 1, failures, log_dir)


def _run_attempt(
    arguments: list[str],
    workers: int,
    attempt: int,
    checkpoint_dir: Path,
    log_dir: Path,
    environment: dict[str, str] | None,
) -> list[WorkerExit]:
    """Starts every worker once and waits until all have ended, or one has failed.

    Returns:
        How the workers that ended by themselves ended (those stopped by the
        launcher after another failed are left out).
    """
    addresses = ",".join(f"127.0.0.1:{port}" for port in free_ports(workers))
    processes: list[subprocess.Popen] = []
    logs = []
    env = {**os.environ, **(environment or {}), "COURSEWORK_ATTEMPT": str(attempt)}
    env.pop("TF_CONFIG", None)
    try:
        for index in range(workers):
            command = [
                sys.executable, "-m", "coursework", "train", *arguments,
                "--cluster", addresses, "--task-index", str(index),
                "--checkpoint-dir", str(checkpoint_dir),
            ]  # fmt: skip
            if index == 0:
                output = None  # the chief talks to the terminal
            else:
                output = open(log_dir / f"worker-{index}.log", "a")  # noqa: SIM115
                logs.append(output)
            processes.append(
                subprocess.Popen(
                    command, env=env, stdout=output, stderr=subprocess.STDOUT if output else None
                )
            )
        while True:
            codes = [process.poll() for process in processes]
            if any(code not in (None, 0) for code in codes) or all(code == 0 for code in codes):
                break
            time.sleep(_POLL_SECONDS)
    finally:
        # The workers still running when the first one failed are stopped by us:
        # only the ones that had already ended report their own status.
        ended = {index for index, process in enumerate(processes) if process.poll() is not None}
        for process in processes:
            if process.poll() is None:
                process.kill()
        for process in processes:
            process.wait()
        for log in logs:
            log.close()
    return [
        WorkerExit(index, process.returncode)
        for index, process in enumerate(processes)
        if index in ended
    ]
