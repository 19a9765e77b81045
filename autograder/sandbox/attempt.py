"""One child process for one submission: start it, watch it, collect what it wrote.

The grader enforces every time and memory limit from outside, with SIGKILL on
all of the submission's processes, so no student code can stop it. Timing
lives here, in the trusted process: an attempt goes through phases (load, then
each call to make, then done) and the watcher measures each phase itself, by
the CPU time the submission's cgroup used (dead processes included) under a
wall-clock ceiling `WALL_FACTOR` times larger. The child's ``progress`` file
can only end a phase early: the watcher moves forward only, and reads a
phase's result the moment it sees the phase end, so nothing the child writes
can give a call more time or replace a result later.
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
from autograder.sandbox.cgroups import SubmissionCgroup
from autograder.sandbox.client import ForkServer, ForkServerError
from autograder.sandbox.limits import WALL_FACTOR, Limits  # noqa: F401 - WALL_FACTOR re-exported
from autograder.sandbox.protocol import CallResult

ERROR_LIMIT = 1000
TRACEBACK_LIMIT = 4096
NAME_LIMIT = 200
MEMORY_POLL_SECONDS = 0.1
KILL_WAIT_SECONDS = 10.0
#: How much longer than its CPU-time limit a phase may take in wall-clock time
#: (a busy machine, or code that waits instead of computing).
#: Wall-clock seconds allowed between saying "done" and exiting.
DONE_GRACE_SECONDS = 2.0
NO_RESULT = "the call ended without leaving a result (the sandbox's files were tampered with)"


@dataclass
class TimeLeft:
    """What is left of the submission's time budget when an attempt starts."""

    cpu_seconds: float
    wall_deadline: float  # time.monotonic()


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
    ``"spawn_failed"`` or ``"server_died"``. `phase` and `call` say where the
    watcher's own clock was when it ended (``"load"``, ``"call"`` or ``"done"``);
    `progress` is what the child last claimed (it only locates a top-level
    statement to skip). `wall_clock` says a timeout came from the wall-clock
    ceiling rather than the CPU-time limit.
    """

    reason: str
    progress: Progress = field(default_factory=Progress)
    status: int | None = None
    message: str = ""
    seconds_in_phase: float = 0.0
    phase: str = "load"
    call: int | None = None
    wall_clock: bool = False
    cpu_seconds: float = 0.0
    load_errors: list[str] | None = None
    results: dict[int, CallResult] = field(default_factory=dict)
    output: str = ""
    output_more: int = 0
    isolation: list[str] | None = None
    missing_limits: list[str] = field(default_factory=list)
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
        return CallResult("ok", value=value, seconds=float(seconds),
                          returned_type=_text(fields.get("returned_type"), NAME_LIMIT))
    if status in ("error", "missing"):
        return CallResult(
            status, error=_text(fields.get("error"), ERROR_LIMIT) or "failed",
            traceback=_text(fields.get("traceback"), TRACEBACK_LIMIT), seconds=float(seconds),
            error_type=_text(fields.get("error_type"), NAME_LIMIT),
            error_function=_text(fields.get("error_function"), NAME_LIMIT),
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


def _isolation(folder: int, root_mode: bool) -> tuple[list[str], list[str]] | None:
    """The child's isolation report and missing limits, if it wrote them (as root)."""
    try:
        info = os.stat("isolation.json", dir_fd=folder, follow_symlinks=False)
        if root_mode and info.st_uid != 0:
            return None  # not written by the sandbox while it was root
        value = json.loads(transport.read_file(folder, "isolation.json", 1 << 16))
    except (OSError, ValueError, RecursionError):
        return None
    if type(value) is not dict:
        return None
    report, missing = value.get("report"), value.get("missing")
    if not all(type(items) is list and all(type(item) is str for item in items)
               for items in (report, missing)):
        return None
    return report, missing


def _student_status(job_folder: int) -> int | None:
    """The wait status of the student's process, as its supervisor wrote it (as root)."""
    try:
        info = os.stat("status.json", dir_fd=job_folder, follow_symlinks=False)
        if info.st_uid != 0:
            return None
        value = json.loads(transport.read_file(job_folder, "status.json", 256))
    except (OSError, ValueError, RecursionError):
        return None
    status = value.get("status") if type(value) is dict else None
    return status if type(status) is int else None


class _Phases:
    """The watcher's own clock: which phase the attempt is in, and since when.

    Args:
        calls: The calls this attempt makes, in order (not those already settled).
    """

    def __init__(self, calls: list[int]):
        self.phases: list[tuple[str, int | None]] = [
            ("load", None), *(("call", index) for index in calls), ("done", None)]
        self.index = 0

    @property
    def current(self) -> tuple[str, int | None]:
        return self.phases[self.index]

    def claimed(self, progress: Progress) -> int:
        """The phase the child claims to be in (never earlier than the current one)."""
        if progress.phase == "done":
            return len(self.phases) - 1
        if progress.phase == "call":
            target = ("call", progress.numbers[0])
            if target in self.phases:
                return max(self.index, self.phases.index(target))
        return self.index


class Watcher:
    """Runs one child for one submission and watches it to the end.

    Args:
        server: The fork server.
        folder: The child's work folder, ready (job written, owned by its uid).
        spec: The child's spec (see `child.main`).
        owner: How to find all of the child's processes without a cgroup.
        limits: The limits to enforce.
        budget: What is left of the submission's time budget.
        cgroup: The submission's cgroup, if this machine has one.
    """

    def __init__(self, server: ForkServer, folder: Path, spec: dict, owner: processes.Owner,
                 limits: Limits, budget: TimeLeft, cgroup: SubmissionCgroup | None = None):
        self.server = server
        self.folder = folder
        self.spec = spec
        self.owner = owner
        self.limits = limits
        self.budget = budget
        self.cgroup = cgroup
        self._owner = owner
        self._cpu_floor = 0.0
        self._next_scan = 0.0

    def run(self, first_call: int, settled: set[int], calls: int, root_mode: bool) -> Outcome:
        """Starts the child, waits for it to end or kills it, and collects its results."""
        descriptor = os.open(self.folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        job_folder = None
        try:
            if not stat.S_ISDIR(os.fstat(descriptor).st_mode):
                raise OSError("the work folder is not a folder")
            job_folder = os.open("job", os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW,
                                 dir_fd=descriptor)
            phases = _Phases([index for index in range(first_call, calls)
                              if index not in settled])
            outcome = Outcome("spawn_failed")
            kills_before = self.cgroup.memory_kills() if self.cgroup is not None else 0
            cpu_before = self._cpu()
            try:
                pid = self.server.spawn(self.spec)
            except ForkServerError as error:
                return Outcome("spawn_failed", message=str(error))
            owner = self.owner if self.owner.uid is not None else processes.Owner(session=pid)
            self._owner = owner
            try:
                outcome = self._watch(pid, descriptor, owner, phases, cpu_before)
            finally:
                self._kill(pid, owner)
                ended, status = self.server.wait(pid, KILL_WAIT_SECONDS)
                self.server.forget(pid)
            if outcome.status is None and ended:
                outcome.status = status
            student = _student_status(job_folder)
            if student is not None:
                outcome.status = student
            outcome.cpu_seconds = max(0.0, self._cpu() - cpu_before)
            if (self.cgroup is not None and outcome.reason == "exited"
                    and self.cgroup.memory_kills() > kills_before):
                outcome.reason = "memory"
                outcome.message = f"used more than {self.limits.memory_limit_mb} MB of memory"
            if outcome.reason in ("exited", "memory", "server_died"):
                self._collect_phase(outcome, descriptor, phases)  # what it left as it died
            self._collect_rest(outcome, descriptor, root_mode)
            if self.cgroup is not None and (outcome.isolation is None or set(
                    outcome.missing_limits) & {"pid_namespace", *self.cgroup.missing}):
                processes.kill_all(owner)  # not sure all its processes were in the cgroup
            return outcome
        finally:
            if job_folder is not None:
                os.close(job_folder)
            os.close(descriptor)

    def _kill(self, pid: int, owner: processes.Owner) -> None:
        try:
            os.kill(pid, signal.SIGKILL)  # the first process of its PID namespace: all go
        except OSError:
            pass
        if self.cgroup is not None:
            self.cgroup.kill()  # no process can leave its cgroup
        else:
            processes.kill_all(owner)

    def _cpu(self) -> float:
        """CPU seconds the submission used so far (never decreasing)."""
        used = self.cgroup.cpu_seconds() if self.cgroup is not None else None
        if used is None:  # a scan of /proc: not at every poll
            now, owner = time.monotonic(), self._owner
            if now < self._next_scan or not (owner.uid or owner.session):
                return self._cpu_floor
            self._next_scan = now + MEMORY_POLL_SECONDS
            used = processes.cpu_seconds(owner)
        self._cpu_floor = max(self._cpu_floor, used)
        return self._cpu_floor

    def _progress(self, folder: int, previous: Progress) -> Progress:
        try:
            text = transport.read_file(folder, "progress", 4096).decode("ascii", "replace")
        except transport.TransportError:
            return previous
        return parse_progress(text, previous)

    def _collect_phase(self, outcome: Outcome, folder: int, phases: _Phases) -> None:
        """Reads the result of the current phase (load errors or a call's result)."""
        phase, index = phases.current
        if phase == "load":
            outcome.load_errors, dropped = _load_errors(folder, self.limits)
            outcome.output_more = max(outcome.output_more, dropped)
        elif phase == "call":
            result = _call_result(folder, index, self.limits)
            if result is not None:
                outcome.results[index] = result

    def _end_phases(self, outcome: Outcome, folder: int, phases: _Phases, target: int) -> None:
        """Ends every phase before `target`, reading what each left, as the child moves on."""
        while phases.index < target:
            phase, index = phases.current
            self._collect_phase(outcome, folder, phases)
            if phase == "call" and index not in outcome.results:
                outcome.results[index] = CallResult("crashed", error=NO_RESULT)
            if phase == "load" and outcome.load_errors is None:
                outcome.load_errors = ["the list of load errors is missing"]
            phases.index += 1

    def _collect_rest(self, outcome: Outcome, folder: int, root_mode: bool) -> None:
        outcome.output, more = transport.read_text(folder, "output.txt", self.limits.output_cap)
        outcome.output_more = more + max(outcome.output_more, outcome.progress.dropped)
        isolation = _isolation(folder, root_mode)
        if isolation is not None:
            outcome.isolation, outcome.missing_limits = isolation
        outcome.log, _ = transport.read_text(folder, "sandbox.log", 4000)

    def _phase_limit(self, phases: _Phases) -> float:
        phase, index = phases.current
        if phase == "load":
            return self.limits.load_timeout
        if phase == "call":
            return self.limits.call_timeouts[index]
        return DONE_GRACE_SECONDS / self.limits.wall_factor

    def _watch(self, pid: int, folder: int, owner: processes.Owner, phases: _Phases,
               cpu_started: float) -> Outcome:
        limits = self.limits
        progress = Progress()
        outcome = Outcome("exited")
        wall_started = time.monotonic()
        phase_wall, phase_cpu = wall_started, cpu_started
        next_memory_check = wall_started
        poll_memory = self.cgroup is None or "memory" not in self.cgroup.folders
        while True:
            ended, status = self.server.wait(pid, limits.poll_interval)
            now, cpu = time.monotonic(), self._cpu()
            progress = self._progress(folder, progress)
            target = phases.claimed(progress)
            if target != phases.index:
                self._end_phases(outcome, folder, phases, target)
                phase_wall, phase_cpu = now, cpu
            outcome.progress = progress
            outcome.phase, outcome.call = phases.current
            outcome.seconds_in_phase = cpu - phase_cpu
            if ended:
                if status is None and not self.server.alive:
                    outcome.reason, outcome.message = "server_died", "the fork server died"
                    return outcome
                outcome.status = status
                return outcome
            if poll_memory and now >= next_memory_check:
                next_memory_check = now + MEMORY_POLL_SECONDS
                if processes.resident_mb(owner) > limits.memory_limit_mb:
                    outcome.reason = "memory"
                    outcome.message = f"used more than {limits.memory_limit_mb} MB of memory"
                    return outcome
            limit = self._phase_limit(phases)
            over_wall = now - phase_wall > limit * limits.wall_factor
            if cpu - cpu_started > self.budget.cpu_seconds or now >= self.budget.wall_deadline:
                outcome.reason = "budget"
            elif cpu - phase_cpu <= limit and not over_wall:
                continue
            elif phases.current[0] == "done":
                outcome.reason = "exited"  # everything is collected; it just did not leave
            else:
                outcome.reason = f"{phases.current[0]}_timeout"
                outcome.wall_clock = cpu - phase_cpu <= limit
            return outcome
