"""One child process for one submission: start it, watch it, collect what it wrote.

The grader enforces every time and memory limit from outside, with SIGKILL on
all of the submission's processes, so no student code can stop it: the child
only reports what it is doing in its ``progress`` file, and the watcher here
times each phase from what it reads there.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path

from autograder.sandbox import processes, transport
from autograder.sandbox.client import ForkServer, ForkServerError
from autograder.sandbox.protocol import CallResult

ERROR_LIMIT = 1000
TRACEBACK_LIMIT = 4096
MEMORY_POLL_SECONDS = 0.1
KILL_WAIT_SECONDS = 10.0


@dataclass
class Limits:
    """The limits one attempt is watched against (seconds, MB); one time limit per call."""

    call_timeouts: list[float]
    load_timeout: float
    memory_limit_mb: int
    result_limit_bytes: int
    output_cap: int
    poll_interval: float


@dataclass
class Progress:
    """What the child last said it was doing."""

    phase: str = "start"  # start | load | call | done
    numbers: tuple[int, int, int] = (0, 0, 0)
    dropped: int = 0

    @property
    def key(self) -> tuple:
        return (self.phase, self.numbers)


def parse_progress(text: str, previous: Progress) -> Progress:
    """Parses a ``progress`` line; keeps `previous` if it is malformed."""
    words = text.split()
    try:
        phase, numbers, dropped = words[0], [int(word) for word in words[1:4]], previous.dropped
        for word in words[4:5]:
            if word.startswith("dropped="):
                dropped = max(0, int(word[len("dropped="):]))
    except (IndexError, ValueError):
        return previous
    if phase not in ("start", "load", "call", "done") or len(numbers) != 3:
        return previous
    if any(number < 0 or number > 10**9 for number in numbers):
        return previous
    return Progress(phase, tuple(numbers), dropped)


@dataclass
class Outcome:
    """How an attempt ended and what it left behind.

    `reason` is ``"exited"`` (the child ended by itself), ``"load_timeout"``,
    ``"call_timeout"``, ``"memory"``, ``"budget"`` (the submission's deadline),
    ``"spawn_failed"`` or ``"server_died"``.
    """

    reason: str
    progress: Progress = field(default_factory=Progress)
    status: int | None = None
    message: str = ""
    seconds_in_phase: float = 0.0
    load_errors: list[str] | None = None
    results: dict[int, CallResult] = field(default_factory=dict)
    output: str = ""
    output_more: int = 0
    isolation: list[str] | None = None
    log: str = ""


def describe_status(status: int | None) -> str:
    """Says in words how a process ended, from its wait status."""
    if status is None:
        return "the process ended (how is unknown)"
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        what = {"SIGSEGV": " (segmentation fault)", "SIGABRT": " (aborted)",
                "SIGBUS": " (bus error)", "SIGKILL": ""}.get(name, "")
        return f"killed by {name}{what}"
    if os.WIFEXITED(status):
        return f"the process exited with code {os.WEXITSTATUS(status)}"
    return f"the process ended (wait status {status})"


def _text(value, limit: int) -> str | None:
    if value is None:
        return None
    return str(value)[:limit] if type(value) is str else None


def _call_result(folder: int, index: int, limits: Limits) -> CallResult | None:
    try:
        fields, value = transport.read_message(
            folder, f"call_{index}", max_bytes=limits.result_limit_bytes
        )
    except transport.MissingMessage:
        return None
    except transport.TransportError as error:
        return CallResult("error", error=f"the result could not be read: {error}")
    status = fields.get("status")
    seconds = fields.get("seconds")
    if type(seconds) not in (int, float) or not 0 <= seconds < 1e7:
        seconds = 0.0
    if status == "ok":
        return CallResult("ok", value=value, seconds=float(seconds))
    if status == "error":
        return CallResult(
            "error", error=_text(fields.get("error"), ERROR_LIMIT) or "failed",
            traceback=_text(fields.get("traceback"), TRACEBACK_LIMIT), seconds=float(seconds),
        )
    return CallResult("error", error="the result could not be read: unknown status")


def _load_errors(folder: int, limits: Limits) -> tuple[list[str] | None, int]:
    try:
        fields, value = transport.read_message(folder, "load", max_bytes=limits.result_limit_bytes)
    except transport.MissingMessage:
        return None, 0
    except transport.TransportError as error:
        return [f"the list of load errors could not be read: {error}"], 0
    if type(value) is not list or not all(type(item) is str for item in value):
        return ["the list of load errors could not be read: malformed"], 0
    dropped = fields.get("dropped_output")
    return [item[:ERROR_LIMIT] for item in value[:1000]], dropped if type(dropped) is int else 0


def _isolation(folder: int, root_mode: bool) -> list[str] | None:
    try:
        info = os.stat("isolation.json", dir_fd=folder, follow_symlinks=False)
        if root_mode and info.st_uid != 0:
            return None  # not written by the sandbox while it was root
        value = json.loads(transport.read_file(folder, "isolation.json", 1 << 16))
    except (OSError, ValueError, RecursionError):
        return None
    if type(value) is not list or not all(type(item) is str for item in value):
        return None
    return value


def collect(outcome: Outcome, folder: int, first_call: int, calls: int, limits: Limits,
            root_mode: bool) -> None:
    """Reads what the (now dead) child left in its folder into `outcome`."""
    outcome.load_errors, dropped = _load_errors(folder, limits)
    for index in range(first_call, calls):
        result = _call_result(folder, index, limits)
        if result is not None:  # none for the call it died in, and for calls it was told to skip
            outcome.results[index] = result
    outcome.output, more = transport.read_text(folder, "output.txt", limits.output_cap)
    outcome.output_more = more + max(dropped, outcome.progress.dropped)
    outcome.isolation = _isolation(folder, root_mode)
    outcome.log, _ = transport.read_text(folder, "sandbox.log", 4000)


class Watcher:
    """Runs one child for one submission and watches it to the end.

    Args:
        server: The fork server.
        folder: The child's work folder, ready (job written, owned by its uid).
        spec: The child's spec (see `child.main`).
        owner: How to find all of the child's processes.
        limits: The limits to enforce.
        deadline: `time.monotonic` deadline of the whole submission.
    """

    def __init__(self, server: ForkServer, folder: Path, spec: dict, owner: processes.Owner,
                 limits: Limits, deadline: float):
        self.server = server
        self.folder = folder
        self.spec = spec
        self.owner = owner
        self.limits = limits
        self.deadline = deadline

    def run(self, first_call: int, calls: int, root_mode: bool) -> Outcome:
        """Starts the child, waits for it to end or kills it, and collects its results."""
        descriptor = os.open(self.folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        try:
            if not stat.S_ISDIR(os.fstat(descriptor).st_mode):
                raise OSError("the work folder is not a folder")
            try:
                pid = self.server.spawn(self.spec)
            except ForkServerError as error:
                return Outcome("spawn_failed", message=str(error))
            owner = self.owner if self.owner.uid is not None else processes.Owner(session=pid)
            try:
                outcome = self._watch(pid, descriptor, owner)
            finally:
                processes.kill_all(owner)
                ended, status = self.server.wait(pid, KILL_WAIT_SECONDS)
                self.server.forget(pid)
            if outcome.status is None and ended:
                outcome.status = status
            collect(outcome, descriptor, first_call, calls, self.limits, root_mode)
            return outcome
        finally:
            os.close(descriptor)

    def _progress(self, folder: int, previous: Progress) -> Progress:
        try:
            text = transport.read_file(folder, "progress", 4096).decode("ascii", "replace")
        except transport.TransportError:
            return previous
        return parse_progress(text, previous)

    def _watch(self, pid: int, folder: int, owner: processes.Owner) -> Outcome:
        started = time.monotonic()
        progress, phase_started = Progress(), started
        next_memory_check = started
        limits = self.limits
        while True:
            ended, status = self.server.wait(pid, limits.poll_interval)
            now = time.monotonic()
            latest = self._progress(folder, progress)
            if latest.key != progress.key:
                phase_started = now
            progress = latest
            in_phase = now - phase_started
            if ended:
                if status is None and not self.server.alive:
                    return Outcome("server_died", progress, message="the fork server died",
                                   seconds_in_phase=in_phase)
                return Outcome("exited", progress, status, seconds_in_phase=in_phase)
            if now >= next_memory_check:
                next_memory_check = now + MEMORY_POLL_SECONDS
                used = processes.resident_mb(owner)
                if used > limits.memory_limit_mb:
                    processes.kill_all(owner)
                    return Outcome("memory", progress, message=(
                        f"used more than {limits.memory_limit_mb} MB of memory"
                    ), seconds_in_phase=in_phase)
            if now >= self.deadline:
                reason = "budget"
            elif progress.phase in ("start", "load") and now - started > limits.load_timeout:
                reason = "load_timeout"
            elif (progress.phase == "call" and progress.numbers[0] < len(limits.call_timeouts)
                  and in_phase > limits.call_timeouts[progress.numbers[0]]):
                reason = "call_timeout"
            else:
                continue
            processes.kill_all(owner)
            return Outcome(reason, progress, seconds_in_phase=in_phase)
