"""`Sandbox`: runs a submission's functions in isolated child processes.

One `Sandbox` owns one fork server (see `server`). `Sandbox.run` gives each
submission a fresh child (as root: a fresh uid, its own cgroup with memory,
process and CPU limits, its own PID, IPC, UTS, mount and network namespaces,
and a work folder on a size-capped tmpfs) and watches it (see `attempt`). When
a call times out or the child dies, a new child loads the submission again and
goes on with the next call; when the top-level code hangs, dies or eats all
memory, the offending statement is skipped on the next load. All of it within
the submission's time budget. Nothing is left behind: the cgroup, the tmpfs,
the namespaces (and with them SysV shared memory and message queues) go with
the submission.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import random
import shutil
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from autograder.sandbox import isolation, processes, transport
from autograder.sandbox.attempt import TimeLeft, Watcher
from autograder.sandbox.cgroups import (
    CONTROLLER_LIMITS,
    SandboxCgroups,
    SubmissionCgroup,
    folder_name,
)
from autograder.sandbox.client import ForkServer, ForkServerError
from autograder.sandbox.harness import check_call
from autograder.sandbox.isolation import LIMIT_FIELDS, isolation_report
from autograder.sandbox.limits import Limits
from autograder.sandbox.protocol import Call, Chunk, SubmissionRun
from autograder.sandbox.submission import SubmissionState

__all__ = ["Sandbox", "isolation_report"]

UID_BASE = 1_600_000_000
UID_SPAN = 100_000_000
JOB_LIMIT_BYTES = 1 << 36
#: Room in a work folder beyond the largest result (job, output, logs).
WORK_FOLDER_EXTRA_MB = 64


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


def _sweep_work_folders(work_root: Path) -> list[Path]:
    """Unmounts and deletes the work folders of graders that died without cleaning up.

    A sandbox's folder is named ``autograder-sandbox-PID-...``; its submissions'
    tmpfs mounts stay behind if the grader is killed (SIGKILL, a reboot of a
    container). Those of processes that no longer exist are removed.

    Returns:
        The folders removed.
    """
    removed = []
    for folder in work_root.glob("autograder-sandbox-*-*"):
        pid = folder.name.split("-")[2]
        if not pid.isdigit() or Path(f"/proc/{pid}").exists() or not folder.is_dir():
            continue
        prefix = str(folder) + "/"
        try:
            with open("/proc/self/mountinfo") as mountinfo:
                points = [line.split()[4] for line in mountinfo]
        except OSError:
            points = []
        for point in sorted(points, reverse=True):
            if point.startswith(prefix):
                try:
                    isolation.umount(point)
                except OSError:
                    pass
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


class Sandbox:
    """Runs student code in isolated, time- and memory-limited child processes.

    Use it as a context manager (or call `start` and `close`); `run` is
    thread-safe.

    Args:
        hidden_paths: Files and folders student code must not be able to read
            (as root: covered with an empty read-only file system in the child).
        limits: All the limits at once (`autograder.sandbox.limits.Limits`);
            any of them may also be given by name, overriding `limits`:
        case_timeout: CPU seconds each call may take (all the submission's
            processes together); in wall-clock time `wall_factor` times as much.
        submission_timeout: CPU seconds the whole submission may take, restarts
            included (in wall-clock time `wall_factor` times as much).
        load_timeout: CPU seconds executing the submission's top-level code may take.
        memory_limit_mb: Memory of all the submission's processes together (with
            a cgroup: everything they hold, page cache, shared memory and
            tmpfs files included).
        output_cap: Characters of the student's output kept.
        result_limit_mb: Largest result of one call (arrays included).
        process_limit: Most processes and threads a submission may have (as root).
        poll_interval: Seconds between two looks at a running child.
        work_root: Folder for the work folders (default: the system's temporary folder).
        cpu_cores: The CPU quota of one submission, in cores (as root, with a cgroup).
        cgroups: Whether to put each submission in a cgroup of its own (as root,
            where the machine has them); without, memory is polled, CPU time read
            from /proc, and the missing limits say so.
        wall_factor: How much longer than its CPU-time limit anything may take in
            wall-clock time.

    Raises:
        ValueError: If a limit is not positive or the work folder would be hidden.
    """

    def __init__(
        self,
        *,
        hidden_paths: Sequence[Path],
        limits: Limits | None = None,
        work_root: Path | None = None,
        cgroups: bool = True,
        **settings: float,
    ):
        try:
            limits = dataclasses.replace(limits or Limits(), **settings)
        except TypeError as error:
            raise ValueError(f"unknown sandbox limit: {error}") from None
        self.limits = limits
        if isinstance(hidden_paths, (str, Path)):
            raise ValueError("hidden_paths must be a sequence of paths, not one path")
        self.hidden_paths = sorted({Path(path).resolve() for path in hidden_paths})
        self.work_root = Path(work_root or tempfile.gettempdir()).resolve()
        for path in self.hidden_paths:
            if path == self.work_root or path in self.work_root.parents:
                raise ValueError(f"the work folder {self.work_root} is inside hidden {path}")
        for field in dataclasses.fields(Limits):  # read-only copies, for messages
            setattr(self, field.name, getattr(limits, field.name))
        self.result_limit_bytes = limits.result_limit_bytes
        self.work_folder_mb = int(limits.result_limit_mb) * 2 + WORK_FOLDER_EXTRA_MB
        self.root_mode = os.geteuid() == 0
        self.use_cgroups = bool(cgroups)
        self.startup_seconds: float | None = None
        self.server_info: dict = {}
        self._lock = threading.Lock()
        self._server: ForkServer | None = None
        self._root: Path | None = None
        self._uids: set[int] = set()
        self._random = random.SystemRandom()
        self._closed = False
        self._warnings = _git_warnings(self.hidden_paths)
        self._cgroups: SandboxCgroups | None = None
        self._mounts: set[Path] = set()
        self._submissions = itertools.count()

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
                if self.root_mode:
                    _sweep_work_folders(self.work_root)
                self._root = Path(tempfile.mkdtemp(prefix=f"autograder-sandbox-{os.getpid()}-",
                                                   dir=self.work_root))
                os.chmod(self._root, 0o711)
            if self._cgroups is None and self.root_mode and self.use_cgroups:
                cgroups = SandboxCgroups(folder_name(self._root.name.rsplit("-", 1)[-1]))
                cgroups.sweep()
                self._cgroups = cgroups.create()
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
            for folder in list(self._mounts):
                self._unmount(folder, locked=True)
            if self._cgroups is not None:
                self._cgroups.remove()
                self._cgroups = None
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
        with self._lock:
            cgroups_in_force = self._cgroups is not None and not self._cgroups.missing
        while True:
            uid = UID_BASE + self._random.randrange(UID_SPAN)
            with self._lock:
                if uid in self._uids:
                    continue
                self._uids.add(uid)
            # With cgroups and PID namespaces no process outlives its submission:
            # the scan of /proc for an old process of this uid is only needed without.
            if cgroups_in_force or not processes.find(processes.Owner(uid=uid)):
                return uid
            with self._lock:
                self._uids.discard(uid)

    def _release_uid(self, uid: int | None, sweep: bool = True) -> None:
        """Forgets `uid`, after killing its processes left (`sweep`: by a scan of /proc)."""
        if uid is not None:
            if sweep:
                processes.kill_all(processes.Owner(uid=uid))
            with self._lock:
                self._uids.discard(uid)

    # -- running -------------------------------------------------------------

    def call_timeout(self, call: Call) -> float:
        """Seconds `call` may take: its own `Call.timeout`, else `case_timeout`."""
        return self.limits.call_timeout(call.timeout)

    def _limits(self, calls: list[Call]) -> Limits:
        return self.limits.for_calls([call.timeout for call in calls])

    def _spec(self, folder: Path, uid: int | None, cgroup: SubmissionCgroup | None) -> dict:
        procs: dict[str, list[str]] = {}
        if cgroup is not None:
            for controller, path in cgroup.folders.items():
                procs.setdefault(str(path / "cgroup.procs"), []).append(
                    CONTROLLER_LIMITS[controller])
        return {
            "workdir": str(folder), "hidden": [str(path) for path in self.hidden_paths],
            "uid": uid, "gid": uid, "memory_limit_mb": self.memory_limit_mb,
            "file_limit_bytes": self.result_limit_bytes + 2**24,
            "process_limit": self.process_limit, "output_cap": self.output_cap,
            "result_limit_bytes": self.result_limit_bytes, "job_limit_bytes": JOB_LIMIT_BYTES,
            "pid_namespace": self.root_mode, "cgroup_procs": procs,
            "memory_cgroup": cgroup is not None and "memory" in cgroup.folders,
        }

    # -- kernel limits ---------------------------------------------------------

    def _new_cgroup(self) -> SubmissionCgroup | None:
        with self._lock:
            cgroups = self._cgroups
        if cgroups is None or not cgroups.folders:
            return None
        return cgroups.submission(f"submission-{next(self._submissions)}",
                                  memory_mb=self.memory_limit_mb,
                                  processes=self.process_limit, cores=self.cpu_cores)

    def _mount_work_folder(self, base: Path) -> bool:
        """Puts `base` on a size-capped tmpfs of its own (as root); whether it worked."""
        if not self.root_mode:
            return False
        try:
            isolation.mount("none", str(base), "tmpfs", isolation.MS_NOSUID | isolation.MS_NODEV,
                            f"size={self.work_folder_mb}m,mode=0711")
        except OSError:
            return False
        with self._lock:
            self._mounts.add(base)
        return True

    def _unmount(self, folder: Path, locked: bool = False) -> None:
        """Unmounts a work folder's tmpfs (`locked`: the caller holds `_lock`)."""
        try:
            isolation.umount(str(folder))
        except OSError:
            pass
        if locked:
            self._mounts.discard(folder)
        else:
            with self._lock:
                self._mounts.discard(folder)

    def _missing_limits(self, cgroup: SubmissionCgroup | None, tmpfs: bool,
                        child: list[str]) -> list[str]:
        missing = set(child)
        if cgroup is None:
            missing.update(CONTROLLER_LIMITS.values())
        else:
            missing.update(cgroup.missing)
        if not tmpfs:
            missing.add("work_folder_tmpfs")
        if not self.root_mode:
            missing.update(("unique_uid", "pid_namespace"))
        return [name for name in LIMIT_FIELDS if name in missing]

    def _prepare_folder(self, base: Path, number: int, job: dict, uid: int | None) -> Path:
        folder = base / f"attempt-{number}"
        folder.mkdir(mode=0o700)
        (folder / "job").mkdir(mode=0o700)
        try:
            transport.write_message(folder / "job", "job", job, max_bytes=JOB_LIMIT_BYTES,
                                    allow_markers=True, json_limit=JOB_LIMIT_BYTES)
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
        budget = self.limits
        submission = SubmissionState(
            chunks, calls, started + self.submission_timeout * self.wall_factor, budget)
        uid = self._allocate_uid()
        base = Path(tempfile.mkdtemp(prefix="submission-", dir=self._root))
        os.chmod(base, 0o711)
        cgroup, tmpfs = None, False
        try:
            cgroup = self._new_cgroup()
            tmpfs = self._mount_work_folder(base)
            self._run_attempts(server, submission, uid, base, cgroup)
        finally:
            contained = (cgroup is not None and not cgroup.missing and submission.isolation
                         and "pid_namespace" not in submission.missing_limits)
            if cgroup is not None:
                cgroup.remove()
            self._release_uid(uid, sweep=not contained)
            if tmpfs:
                self._unmount(base)
            shutil.rmtree(base, ignore_errors=True)
        run = submission.summary(time.monotonic() - started, self._isolation_notes(cgroup, tmpfs))
        run.missing_limits = self._missing_limits(cgroup, tmpfs, submission.missing_limits)
        if run.missing_limits:
            run.isolation.append("limits NOT in force: " + ", ".join(run.missing_limits))
        return run

    def _run_attempts(self, server: ForkServer, submission: SubmissionState, uid: int | None,
                      base: Path, cgroup: SubmissionCgroup | None) -> None:
        owner = processes.Owner(uid=uid)
        limits = self._limits(submission.calls)
        for number in itertools.count():
            cpu_left = self.submission_timeout - submission.cpu_seconds
            if time.monotonic() >= submission.deadline or cpu_left <= 0:
                submission.out_of_time(None)
                return
            try:
                folder = self._prepare_folder(base, number, submission.job(), uid)
            except OSError as error:  # the sandbox was closed meanwhile, or the disk is full
                submission.give_up("crashed", f"the sandbox could not prepare a work folder: "
                                              f"{error.strerror or error}")
                return
            watcher = Watcher(server, folder, self._spec(folder, uid, cgroup), owner, limits,
                              TimeLeft(cpu_left, submission.deadline), cgroup)
            outcome = watcher.run(submission.next_call, submission.settled(),
                                  len(submission.calls), self.root_mode)
            shutil.rmtree(folder, ignore_errors=True)
            if not submission.absorb(outcome):
                return
            if outcome.reason == "server_died":
                try:
                    server = self._current_server()
                except ForkServerError as error:
                    submission.give_up("crashed", f"the sandbox stopped: {error}")
                    return

    def _isolation_notes(self, cgroup: SubmissionCgroup | None, tmpfs: bool) -> list[str]:
        """The grader's own lines for `SubmissionRun.isolation`."""
        clock = ("CPU time of all its processes (from its cgroup)"
                 if cgroup is not None and "cpuacct" in cgroup.folders
                 else "CPU time of its living processes (no cgroup: from /proc)")
        notes = [
            f"time limits enforced by the grader with SIGKILL, counting the {clock}: "
            f"{self.case_timeout:g} s per call, {self.load_timeout:g} s to load, "
            f"{self.submission_timeout:g} s in all; in wall-clock time at most "
            f"{self.wall_factor:g} times as long"
        ]
        if cgroup is not None:
            kernel = []
            if "memory" in cgroup.folders:
                kernel.append(f"memory {self.memory_limit_mb} MB (everything it holds)")
            if "pids" in cgroup.folders:
                kernel.append(f"{self.process_limit} processes and threads")
            if "cpu" in cgroup.folders:
                kernel.append(f"a CPU quota of {self.cpu_cores:g} core(s)")
            if kernel:
                notes.append("own cgroup, removed afterwards: " + ", ".join(kernel))
        problems = dict(self._cgroups.problems) if self._cgroups is not None else {}
        if cgroup is not None:
            problems.update(cgroup.problems)
        for controller, problem in sorted(problems.items()):
            notes.append(f"no {controller} cgroup: {problem}")
        if tmpfs:
            notes.append(f"work folder on its own tmpfs of at most {self.work_folder_mb} MB, "
                         "removed afterwards")
        leaked = self.server_info.get("leaked") or []
        if leaked:
            notes.append("WARNING: the fork server had loaded " + ", ".join(leaked)
                         + "; student code could read them in its memory")
        return notes + self._warnings
