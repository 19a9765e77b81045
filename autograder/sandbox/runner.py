"""`Sandbox`: runs a submission's functions in isolated child processes.

One `Sandbox` owns one fork server (see `server`). `Sandbox.run` gives each
submission a fresh child (as root: a fresh uid too) in a fresh work folder,
and watches it (see `attempt`). When a call times out or the child dies, a new
child loads the submission again and goes on with the next call; when the
top-level code hangs, dies or eats all memory, the offending statement is
skipped on the next load. All of it within the submission's time budget.
"""

from __future__ import annotations

import os
import random
import shutil
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from autograder.sandbox import processes, transport
from autograder.sandbox.attempt import Limits, Outcome, Watcher, describe_status
from autograder.sandbox.client import ForkServer, ForkServerError
from autograder.sandbox.harness import check_call
from autograder.sandbox.isolation import isolation_report
from autograder.sandbox.protocol import Call, CallResult, Chunk, SubmissionRun

__all__ = ["Sandbox", "isolation_report"]

UID_BASE = 1_600_000_000
UID_SPAN = 100_000_000
JOB_LIMIT_BYTES = 1 << 36


def _git_warnings(hidden: list[Path]) -> list[str]:
    """Warns about git folders that hold the history of hidden files but are not hidden."""
    warnings = []
    for path in hidden:
        for folder in [path, *path.parents]:
            git = folder / ".git"
            if git.exists():
                if not any(git == other or other in git.parents for other in hidden):
                    warnings.append(
                        f"WARNING: {git} is readable by student code and holds the history "
                        f"of {path}; add it to the hidden paths"
                    )
                break
    return sorted(set(warnings))


class _Submission:
    """The state of one `Sandbox.run`."""

    def __init__(self, labels: list[str], calls: Sequence[Call], deadline: float):
        self.labels = labels
        self.calls = list(calls)
        self.deadline = deadline
        self.results: list[CallResult | None] = [None] * len(calls)
        self.skips: dict[tuple[int, int], str] = {}
        self.next_call = 0
        self.load_errors: list[str] | None = None
        self.outputs: list[tuple[str, int]] = []
        self.notes: list[str] = []
        self.isolation: list[str] | None = None

    def name(self, index: int) -> str:
        return f"call {index + 1} ({self.calls[index].function})"

    def advance(self) -> None:
        """Moves `next_call` past the calls that have a result."""
        while self.next_call < len(self.calls) and self.results[self.next_call] is not None:
            self.next_call += 1

    def current_call(self, outcome: Outcome) -> int | None:
        """The call the child was running when it stopped, if any."""
        if outcome.load_errors is None:
            return None
        index = self.next_call
        while index < len(self.calls) and self.results[index] is not None:
            index += 1
        return index if index < len(self.calls) else None

    def give_up(self, status: str, error: str) -> None:
        for index, result in enumerate(self.results):
            if result is None:
                self.results[index] = CallResult(status, error=error)
        self.next_call = len(self.calls)


class Sandbox:
    """Runs student code in isolated, time- and memory-limited child processes.

    Use it as a context manager (or call `start` and `close`); `run` is
    thread-safe.

    Args:
        hidden_paths: Files and folders student code must not be able to read
            (as root: covered with an empty read-only file system in the child).
        case_timeout: Seconds each call may take.
        submission_timeout: Seconds the whole submission may take, restarts included.
        load_timeout: Seconds executing the submission's top-level code may take.
        memory_limit_mb: Resident memory of all the submission's processes together.
        output_cap: Characters of the student's output kept.
        result_limit_mb: Largest result of one call (arrays included).
        process_limit: Most processes and threads a submission may have (as root).
        poll_interval: Seconds between two looks at a running child.
        work_root: Folder for the work folders (default: the system's temporary folder).

    Raises:
        ValueError: If a limit is not positive or the work folder would be hidden.
    """

    def __init__(
        self,
        *,
        hidden_paths: Sequence[Path],
        case_timeout: float = 10.0,
        submission_timeout: float = 120.0,
        load_timeout: float = 30.0,
        memory_limit_mb: int = 4096,
        output_cap: int = 20_000,
        result_limit_mb: int = 512,
        process_limit: int = 256,
        poll_interval: float = 0.05,
        work_root: Path | None = None,
    ):
        for name, value in (
            ("case_timeout", case_timeout), ("submission_timeout", submission_timeout),
            ("load_timeout", load_timeout), ("memory_limit_mb", memory_limit_mb),
            ("output_cap", output_cap), ("result_limit_mb", result_limit_mb),
            ("process_limit", process_limit), ("poll_interval", poll_interval),
        ):
            if not value > 0:
                raise ValueError(f"{name} must be positive, got {value!r}")
        if isinstance(hidden_paths, (str, Path)):
            raise ValueError("hidden_paths must be a sequence of paths, not one path")
        self.hidden_paths = sorted({Path(path).resolve() for path in hidden_paths})
        self.work_root = Path(work_root or tempfile.gettempdir()).resolve()
        for path in self.hidden_paths:
            if path == self.work_root or path in self.work_root.parents:
                raise ValueError(f"the work folder {self.work_root} is inside hidden {path}")
        self.case_timeout = float(case_timeout)
        self.submission_timeout = float(submission_timeout)
        self.load_timeout = float(load_timeout)
        self.memory_limit_mb = int(memory_limit_mb)
        self.output_cap = int(output_cap)
        self.result_limit_bytes = int(result_limit_mb) * 2**20
        self.process_limit = int(process_limit)
        self.poll_interval = float(poll_interval)
        self.root_mode = os.geteuid() == 0
        self.startup_seconds: float | None = None
        self.server_info: dict = {}
        self._lock = threading.Lock()
        self._server: ForkServer | None = None
        self._root: Path | None = None
        self._uids: set[int] = set()
        self._random = random.SystemRandom()
        self._closed = False
        self._warnings = _git_warnings(self.hidden_paths)

    # -- life cycle ---------------------------------------------------------

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.close()

    def start(self) -> Sandbox:
        """Starts the fork server (importing TensorFlow there: seconds). Idempotent.

        Raises:
            ForkServerError: If the server does not start.
        """
        with self._lock:
            self._closed = False
            if self._server is not None and self._server.alive:
                return self
            if self._root is None:
                self._root = Path(tempfile.mkdtemp(prefix="autograder-sandbox-",
                                                   dir=self.work_root))
                os.chmod(self._root, 0o711)
            if self._server is not None:
                self._server.close()
            started = time.monotonic()
            server = ForkServer(self._root / "server.log")
            self.server_info = server.start()
            self._server = server
            self.startup_seconds = time.monotonic() - started
        return self

    def close(self) -> None:
        """Stops the fork server and every child, and deletes the work folders."""
        with self._lock:
            self._closed = True
            if self._server is not None:
                self._server.close()
                self._server = None
            for uid in list(self._uids):
                processes.kill_all(processes.Owner(uid=uid))
            if self._root is not None:
                shutil.rmtree(self._root, ignore_errors=True)
                self._root = None

    def _current_server(self) -> ForkServer:
        with self._lock:
            server, closed = self._server, self._closed
        if closed:
            raise ForkServerError("the sandbox has been closed")
        if server is None or not server.alive:
            self.start()
            with self._lock:
                server = self._server
        return server

    # -- users ---------------------------------------------------------------

    def _allocate_uid(self) -> int | None:
        if not self.root_mode:
            return None
        while True:
            uid = UID_BASE + self._random.randrange(UID_SPAN)
            with self._lock:
                if uid in self._uids:
                    continue
                self._uids.add(uid)
            if not processes.find(processes.Owner(uid=uid)):
                return uid
            with self._lock:
                self._uids.discard(uid)

    def _release_uid(self, uid: int | None) -> None:
        if uid is not None:
            processes.kill_all(processes.Owner(uid=uid))
            with self._lock:
                self._uids.discard(uid)

    # -- running -------------------------------------------------------------

    def call_timeout(self, call: Call) -> float:
        """Seconds `call` may take: its own `Call.timeout`, else `case_timeout`."""
        return float(call.timeout) if call.timeout is not None else self.case_timeout

    def _limits(self, calls: list[Call]) -> Limits:
        return Limits(
            call_timeouts=[self.call_timeout(call) for call in calls],
            load_timeout=self.load_timeout,
            memory_limit_mb=self.memory_limit_mb, result_limit_bytes=self.result_limit_bytes,
            output_cap=self.output_cap, poll_interval=self.poll_interval,
        )

    def _spec(self, folder: Path, uid: int | None) -> dict:
        return {
            "workdir": str(folder), "hidden": [str(path) for path in self.hidden_paths],
            "uid": uid, "gid": uid, "memory_limit_mb": self.memory_limit_mb,
            "file_limit_bytes": self.result_limit_bytes + 2**24,
            "process_limit": self.process_limit, "output_cap": self.output_cap,
            "result_limit_bytes": self.result_limit_bytes, "job_limit_bytes": JOB_LIMIT_BYTES,
        }

    def _prepare_folder(self, base: Path, number: int, job: dict, uid: int | None) -> Path:
        folder = base / f"attempt-{number}"
        folder.mkdir(mode=0o700)
        (folder / "job").mkdir(mode=0o700)
        try:
            transport.write_message(folder / "job", "job", job, max_bytes=JOB_LIMIT_BYTES,
                                    allow_markers=True)
        except transport.TransportError as error:
            raise ValueError(f"The calls cannot be sent to the sandbox: {error}") from None
        if uid is not None:
            os.chown(folder, uid, uid)
        return folder

    def run(self, chunks: Sequence[Chunk], calls: Sequence[Call]) -> SubmissionRun:
        """Loads one submission in a fresh isolated child and makes the calls.

        Args:
            chunks: The student's source, run in order in one namespace.
            calls: The calls to make, in order.

        Returns:
            What happened, with one `CallResult` per call.

        Raises:
            ValueError: If `chunks` or `calls` are malformed (not for anything
                the student code does).
            ForkServerError: If the fork server cannot be started.
        """
        chunks, calls = list(chunks), list(calls)
        labels = [chunk.label for chunk in chunks]
        if not all(type(label) is str and type(chunk.code) is str
                   for label, chunk in zip(labels, chunks, strict=True)):
            raise ValueError("chunk labels and code must be str")
        if len(set(labels)) != len(labels):
            raise ValueError(f"chunk labels must be unique, got {labels}")
        for call in calls:
            check_call(call)
        started = time.monotonic()
        server = self._current_server()
        submission = _Submission(labels, calls, started + self.submission_timeout)
        uid = self._allocate_uid()
        base = Path(tempfile.mkdtemp(prefix="submission-", dir=self._root))
        os.chmod(base, 0o711)
        try:
            self._run_attempts(server, submission, chunks, uid, base)
        finally:
            self._release_uid(uid)
            shutil.rmtree(base, ignore_errors=True)
        return self._summary(submission, time.monotonic() - started)

    def _job(self, chunks: list[Chunk], submission: _Submission) -> dict:
        return {
            "chunks": [[chunk.label, chunk.code] for chunk in chunks],
            "calls": [
                {"function": call.function, "args": tuple(call.args), "kwargs": dict(call.kwargs),
                 "adapter": call.adapter, "options": dict(call.options),
                 "timeout": call.timeout}
                for call in submission.calls
            ],
            "first_call": submission.next_call,
            "skips": [[chunk, statement, message]
                      for (chunk, statement), message in submission.skips.items()],
        }

    def _run_attempts(self, server: ForkServer, submission: _Submission, chunks: list[Chunk],
                      uid: int | None, base: Path) -> None:
        owner = processes.Owner(uid=uid)
        number = 0
        while True:
            if time.monotonic() >= submission.deadline:
                self._out_of_time(submission, None)
                return
            folder = self._prepare_folder(base, number, self._job(chunks, submission), uid)
            number += 1
            watcher = Watcher(server, folder, self._spec(folder, uid), owner,
                              self._limits(submission.calls),
                              submission.deadline)
            outcome = watcher.run(submission.next_call, len(submission.calls), self.root_mode)
            shutil.rmtree(folder, ignore_errors=True)
            if not self._absorb(submission, outcome, chunks, number):
                return
            if outcome.reason == "server_died":
                try:
                    server = self._current_server()
                except ForkServerError as error:
                    submission.give_up("crashed", f"the sandbox stopped: {error}")
                    return

    def _absorb(self, submission: _Submission, outcome: Outcome, chunks: list[Chunk],
                number: int) -> bool:
        """Takes in an attempt's outcome; returns whether to start another."""
        if number > 1:
            outcome.output = f"[sandbox: fresh process, attempt {number}]\n" + outcome.output
        submission.outputs.append((outcome.output, outcome.output_more))
        if submission.isolation is None:
            submission.isolation = outcome.isolation
        if outcome.load_errors is not None:
            submission.load_errors = outcome.load_errors
        for index, result in outcome.results.items():
            submission.results[index] = result
        submission.advance()
        current = submission.current_call(outcome)
        if outcome.reason == "spawn_failed":
            submission.give_up("crashed", "the sandbox could not start a process: "
                                          f"{outcome.message}")
            submission.notes.append(f"sandbox failure: {outcome.message}")
            return False
        if outcome.reason == "budget":
            self._out_of_time(submission, current, outcome)
            return False
        if outcome.progress.phase == "start" and outcome.load_errors is None:
            lines = outcome.log.strip().splitlines()
            detail = lines[-1] if lines else describe_status(outcome.status)
            submission.give_up("crashed", f"the sandbox could not set up: {detail}")
            submission.notes.append("sandbox set-up failed: " + outcome.log.strip()[-1500:])
            return False
        if outcome.load_errors is None:  # stopped while loading
            return self._skip_statement(submission, outcome, chunks)
        if current is None:  # every call has its result
            return False
        what = self._call_failure(submission, outcome, current)
        if submission.next_call < len(submission.calls):
            submission.notes.append(f"restarted after {submission.name(current)} {what}")
            return True
        return False

    def _call_failure(self, submission: _Submission, outcome: Outcome, current: int) -> str:
        """Records the result of the call an attempt stopped in; says what happened."""
        reason = outcome.reason
        if reason == "call_timeout":
            limit = self.call_timeout(submission.calls[current])
            result = CallResult("timeout", error=f"took longer than {limit:g} s",
                                seconds=outcome.seconds_in_phase)
            what = "timed out"
        elif reason == "memory":
            result = CallResult("crashed", error=outcome.message,
                                seconds=outcome.seconds_in_phase)
            what = "used too much memory"
        elif reason == "server_died":
            result = CallResult("crashed", error="the sandbox's fork server died")
            what = "was interrupted by the fork server's death"
        else:
            how = describe_status(outcome.status)
            result = CallResult("crashed", error=f"{how} during the call",
                                seconds=outcome.seconds_in_phase)
            what = f"crashed ({how})"
        submission.results[current] = result
        submission.advance()
        return what

    def _skip_statement(self, submission: _Submission, outcome: Outcome,
                        chunks: list[Chunk]) -> bool:
        chunk, statement, line = outcome.progress.numbers
        if outcome.progress.phase != "load" or chunk >= len(chunks) or (
            (chunk, statement) in submission.skips
        ):
            submission.give_up("crashed", "loading the submission failed: "
                                          f"{describe_status(outcome.status)}")
            return False
        label = chunks[chunk].label
        if outcome.reason == "load_timeout":
            why = f"took longer than {self.load_timeout:g} s"
            submission.notes.append(
                f"load took longer than {self.load_timeout:g} s; top-level code was stopped "
                f"(line {line} of {label}) and skipped on a fresh start"
            )
        elif outcome.reason == "memory":
            why = outcome.message
            submission.notes.append(f"top-level code at line {line} of {label} {why}; "
                                    "it was skipped on a fresh start")
        else:
            why = f"took the process down ({describe_status(outcome.status)})"
            submission.notes.append(f"top-level code at line {line} of {label} {why}; "
                                    "it was skipped on a fresh start")
        submission.skips[(chunk, statement)] = f"top-level code stopped at line {line}: {why}"
        return True

    def _out_of_time(self, submission: _Submission, current: int | None,
                     outcome: Outcome | None = None) -> None:
        budget = f"the submission's time budget of {self.submission_timeout:g} s ran out"
        if current is not None:
            submission.results[current] = CallResult(
                "timeout", error=budget,
                seconds=outcome.seconds_in_phase if outcome is not None else 0.0,
            )
        loading = submission.load_errors is None
        left = sum(result is None for result in submission.results)
        if loading:
            submission.notes.append(f"{budget} while loading the submission")
            submission.give_up("not_run", f"not run: {budget} while loading the submission")
        else:
            if left:
                submission.notes.append(f"{budget}; {left} call(s) not run")
            submission.give_up("not_run", f"not run: {budget}")

    def _summary(self, submission: _Submission, seconds: float) -> SubmissionRun:
        texts = [text for text, _ in submission.outputs]
        output = "\n".join(text for text in texts if text)
        more = sum(count for _, count in submission.outputs)
        if len(output) > self.output_cap:
            more += len(output) - self.output_cap
            output = output[: self.output_cap]
        if more:
            output += f"\n[... {more} more characters cut]"
        isolation = list(submission.isolation or [
            "isolation report missing: the sandbox did not write it, or the student code "
            "removed it"
        ])
        isolation.append(
            f"time limits enforced by the grader with SIGKILL: {self.case_timeout:g} s per call, "
            f"{self.load_timeout:g} s to load, {self.submission_timeout:g} s in all"
        )
        leaked = self.server_info.get("leaked") or []
        if leaked:
            isolation.append("WARNING: the fork server had loaded " + ", ".join(leaked)
                             + "; student code could read them in its memory")
        isolation.extend(self._warnings)
        load_errors = submission.load_errors
        if load_errors is None:  # no load finished: say what is known
            load_errors = [f"{submission.labels[chunk]}: {message}"
                           for (chunk, _), message in sorted(submission.skips.items())]
            load_errors.append("loading the submission did not finish")
        return SubmissionRun(
            load_errors=list(load_errors),
            calls=[result or CallResult("not_run", error="not run") for result in
                   submission.results],
            output=output, seconds=seconds, notes=submission.notes, isolation=isolation,
        )

