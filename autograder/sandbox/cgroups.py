"""Kernel limits for one submission: a control group (cgroup v1 or v2).

Each submission runs in its own cgroup, created by the grader (as root) below
the grader's own cgroup, so whatever limits the machine puts on the grader
still hold:

* ``memory``: everything the submission holds counts, resident pages, page
  cache, shared memory, ``memfd`` and ``tmpfs`` pages alike; above the limit
  the kernel kills a process of the submission (and only of it);
* ``pids``: the most processes and threads it may have at once;
* ``cpu``: a quota of about one core, so a submission that starts many busy
  processes cannot starve the others graded beside it;
* CPU-time accounting (``cpuacct.usage`` in v1, ``cpu.stat`` in v2): the time
  limits count the CPU time the submission used, not the wall-clock time, so
  a busy machine does not change the scores.

Machines differ: cgroup v1 mounts one hierarchy per controller (or a few
together) under ``/sys/fs/cgroup/NAME``; cgroup v2 has one hierarchy where a
controller must be enabled in the parent's ``cgroup.subtree_control``. Each
controller is looked up where this machine mounts it. What cannot be set up is
named in `SandboxCgroups.missing` (fields of `isolation.LIMIT_FIELDS`), never hidden.
"""

from __future__ import annotations

import errno
import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

#: Controllers used, under their cgroup v1 names (v2 has ``cpu`` for both cpu ones).
CONTROLLERS = ("memory", "pids", "cpu", "cpuacct")
#: The field of the isolation summary each controller provides.
CONTROLLER_LIMITS = {
    "memory": "memory_cgroup", "pids": "pids_cgroup", "cpu": "cpu_quota",
    "cpuacct": "cpu_accounting",
}
CPU_PERIOD_US = 100_000
KILL_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class Hierarchy:
    """Where one controller lives: ``version`` 1 or 2, and the grader's own cgroup folder."""

    controller: str
    version: int
    folder: Path


def _mounts(mountinfo: str) -> list[tuple[str, str, str, list[str]]]:
    """(mount point, root, file system type, super options) of each mount."""
    mounts = []
    for line in mountinfo.splitlines():
        fields = line.split()
        if "-" not in fields:
            continue
        separator = fields.index("-")
        if len(fields) < separator + 4 or separator < 5:
            continue
        root, point = fields[3], fields[4].replace("\\040", " ")
        kind, options = fields[separator + 1], fields[separator + 3].split(",")
        mounts.append((point, root, kind, options))
    return mounts


def _own_paths(self_cgroup: str) -> tuple[dict[str, str], str | None]:
    """The grader's cgroup path per v1 controller, and its v2 path."""
    v1, v2 = {}, None
    for line in self_cgroup.splitlines():
        number, _, rest = line.partition(":")
        names, _, path = rest.partition(":")
        if number == "0" and names == "":
            v2 = path
        for name in names.split(","):
            if name:
                v1[name] = path
    return v1, v2


def _inside(point: str, root: str, path: str) -> Path:
    """The folder of cgroup `path` in a hierarchy mounted at `point` showing `root`."""
    if root != "/" and (path == root or path.startswith(root.rstrip("/") + "/")):
        path = path[len(root):]
    return Path(point) / path.lstrip("/")


def find_hierarchies(mountinfo: str, self_cgroup: str) -> dict[str, Hierarchy]:
    """Where each of `CONTROLLERS` is mounted on this machine, if anywhere.

    Args:
        mountinfo: The text of ``/proc/self/mountinfo``.
        self_cgroup: The text of ``/proc/self/cgroup``.

    Returns:
        The controllers found, each with the folder of the grader's own cgroup
        in its hierarchy. A controller bound to a v1 hierarchy is used there;
        otherwise from the v2 hierarchy if its root offers it.
    """
    v1_paths, v2_path = _own_paths(self_cgroup)
    found: dict[str, Hierarchy] = {}
    v2_mount = None
    for point, root, kind, options in _mounts(mountinfo):
        if kind == "cgroup":
            for controller in CONTROLLERS:
                if controller in options and controller in v1_paths and controller not in found:
                    found[controller] = Hierarchy(
                        controller, 1, _inside(point, root, v1_paths[controller]))
        elif kind == "cgroup2" and v2_mount is None:
            v2_mount = (point, root)
    if v2_mount is not None and v2_path is not None:
        folder = _inside(*v2_mount, v2_path)
        try:
            offered = set((Path(v2_mount[0]) / "cgroup.controllers").read_text().split())
        except OSError:
            offered = set()
        for controller in CONTROLLERS:
            wanted = "cpu" if controller == "cpuacct" else controller
            if controller not in found and (wanted in offered or controller == "cpuacct"):
                # cpu.stat (usage_usec) exists in every v2 cgroup: no controller needed.
                found[controller] = Hierarchy(controller, 2, folder)
    return found


def machine_hierarchies() -> dict[str, Hierarchy]:
    """`find_hierarchies` for this machine and process ({} off Linux)."""
    try:
        with open("/proc/self/mountinfo") as mountinfo, open("/proc/self/cgroup") as own:
            return find_hierarchies(mountinfo.read(), own.read())
    except OSError:
        return {}


def _write(path: Path, text: str) -> None:
    with open(path, "w") as file:
        file.write(text)


def _read(path: Path) -> str:
    with open(path) as file:
        return file.read()


def _keyed(text: str) -> dict[str, int]:
    """``key value`` lines (``cpu.stat``, ``memory.events``, ``memory.oom_control``)."""
    values = {}
    for line in text.splitlines():
        key, _, value = line.partition(" ")
        try:
            values[key] = int(value)
        except ValueError:
            pass
    return values


def _enable_v2_controllers(parent: Path, controllers: set[str]) -> set[str]:
    """Enables `controllers` for the children of `parent` (v2); returns those enabled."""
    try:
        enabled = set(_read(parent / "cgroup.subtree_control").split())
    except OSError:
        return set()
    wanted = controllers - enabled
    if wanted:
        try:
            _write(parent / "cgroup.subtree_control", " ".join(f"+{name}" for name in wanted))
        except OSError:  # EBUSY: the parent has processes of its own ("no internal processes")
            pass
        try:
            enabled = set(_read(parent / "cgroup.subtree_control").split())
        except OSError:
            return set()
    return controllers & enabled


def folder_name(suffix: str) -> str:
    """The name of a grader's cgroup folder: says which process made it (see `sweep`)."""
    return f"autograder-{os.getpid()}-{suffix}"


@dataclass
class SandboxCgroups:
    """The grader's folder of submission cgroups in each hierarchy (one per `Sandbox`).

    Args:
        name: The folder's name, unique on this machine.
        hierarchies: Where the controllers live (default: this machine's).
    """

    name: str
    hierarchies: dict[str, Hierarchy] = field(default_factory=machine_hierarchies)
    folders: dict[str, Path] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)

    def sweep(self) -> list[Path]:
        """Removes the empty folders of graders that died without cleaning up.

        Folders are named ``autograder-PID-...`` (see `folder_name`): those whose
        process no longer exists are removed, with their empty children.

        Returns:
            The folders removed.
        """
        removed = []
        for hierarchy in self.hierarchies.values():
            try:
                folders = list(hierarchy.folder.glob("autograder-*-*/"))
            except OSError:
                continue
            for folder in folders:
                pid = folder.name.split("-")[1]
                if not pid.isdigit() or Path(f"/proc/{pid}").exists():
                    continue
                for child in folder.iterdir():
                    if child.is_dir():
                        _remove_folder(child, timeout=0)
                if _remove_folder(folder, timeout=0):
                    removed.append(folder)
        return removed

    def create(self) -> SandboxCgroups:
        """Creates the folders (as root); controllers that fail go to `problems`."""
        v2_enabled: set[str] | None = None
        for controller in CONTROLLERS:
            hierarchy = self.hierarchies.get(controller)
            if hierarchy is None:
                self.problems[controller] = "not mounted on this machine"
                continue
            folder = hierarchy.folder / self.name
            try:
                folder.mkdir(exist_ok=True)
            except OSError as error:
                self.problems[controller] = f"cannot create a cgroup ({error.strerror})"
                continue
            if hierarchy.version == 2 and controller != "cpuacct":
                if v2_enabled is None:
                    wanted = {name for name in ("memory", "pids", "cpu")
                              if self.hierarchies.get(name, hierarchy).version == 2}
                    enabled = _enable_v2_controllers(hierarchy.folder, wanted)
                    v2_enabled = _enable_v2_controllers(folder, enabled) if enabled else set()
                if controller not in v2_enabled:
                    self.problems[controller] = (
                        "not enabled for child cgroups (the grader's cgroup must be delegated "
                        "and hold no processes of its own)")
                    continue
            self.folders[controller] = folder
        if "cpu" in self.folders:
            self._weigh_like_processes(os.cpu_count() or 1)
        return self

    def _weigh_like_processes(self, count: int) -> None:
        """Gives the folder the CPU weight of `count` ordinary processes.

        The scheduler shares the CPU among sibling groups, not processes: left at
        the default weight, all submissions together would get the share of
        one process of the machine, and a busy machine would slow grading more
        than it slows anything else (scores do not change: limits count CPU time).
        """
        folder = self.folders["cpu"]
        try:
            if self.hierarchies["cpu"].version == 1:
                _write(folder / "cpu.shares", str(1024 * count))
            else:
                _write(folder / "cpu.weight", str(min(10_000, 100 * count)))
        except OSError:
            pass

    @property
    def missing(self) -> list[str]:
        """The fields of `isolation.LIMIT_FIELDS` that these cgroups cannot provide."""
        return sorted(CONTROLLER_LIMITS[name] for name in CONTROLLERS if name not in self.folders)

    def submission(self, name: str, *, memory_mb: int, processes: int,
                   cores: float = 1.0) -> SubmissionCgroup:
        """Creates the cgroup of one submission with its limits (see `SubmissionCgroup`)."""
        versions = {controller: self.hierarchies[controller].version for controller in self.folders}
        group = SubmissionCgroup({}, versions)
        for controller, parent in self.folders.items():
            folder = parent / name
            try:
                folder.mkdir(exist_ok=True)  # in v2 (and v1 "cpu,cpuacct") shared by several
                group.folders[controller] = folder
                group._limit(controller, memory_mb=memory_mb, processes=processes, cores=cores)
            except OSError as error:
                group.folders.pop(controller, None)
                group.problems[controller] = f"cannot set up ({error.strerror})"
        return group

    def remove(self) -> None:
        """Removes the folders (best effort; submission cgroups first)."""
        for folder in {*self.folders.values()}:
            for child in sorted(folder.glob("*/"), reverse=True):
                if child.is_dir():
                    _remove_folder(child)
            _remove_folder(folder)
        self.folders.clear()


def _remove_folder(folder: Path, timeout: float = 2.0) -> bool:
    """``rmdir`` a cgroup, again while its last processes are being reaped."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            os.rmdir(folder)
            return True
        except FileNotFoundError:
            return True
        except OSError as error:
            if error.errno != errno.EBUSY or time.monotonic() > deadline:
                return False
            time.sleep(0.01)


@dataclass
class SubmissionCgroup:
    """One submission's cgroup: limits, usage, its processes, and removal.

    Attributes:
        folders: The cgroup folder per controller (in v2 all the same folder).
        versions: The cgroup version per controller.
        problems: Controllers that could not be set up, and why.
    """

    folders: dict[str, Path]
    versions: dict[str, int]
    problems: dict[str, str] = field(default_factory=dict)

    def _limit(self, controller: str, *, memory_mb: int, processes: int, cores: float) -> None:
        folder, version = self.folders[controller], self.versions[controller]
        if controller == "memory":
            limit = memory_mb * 2**20
            if version == 1:
                _write(folder / "memory.limit_in_bytes", str(limit))
                if (folder / "memory.memsw.limit_in_bytes").exists():  # no escape into swap
                    _write(folder / "memory.memsw.limit_in_bytes", str(limit))
            else:
                _write(folder / "memory.max", str(limit))
                if (folder / "memory.swap.max").exists():
                    _write(folder / "memory.swap.max", "0")
        elif controller == "pids":
            _write(folder / "pids.max", str(processes))
        elif controller == "cpu":
            quota = max(1000, int(CPU_PERIOD_US * cores))
            if version == 1:
                _write(folder / "cpu.cfs_period_us", str(CPU_PERIOD_US))
                _write(folder / "cpu.cfs_quota_us", str(quota))
            else:
                _write(folder / "cpu.max", f"{quota} {CPU_PERIOD_US}")

    @property
    def missing(self) -> list[str]:
        """The fields of `isolation.LIMIT_FIELDS` this cgroup does not provide."""
        return sorted(CONTROLLER_LIMITS[name] for name in CONTROLLERS if name not in self.folders)

    def procs_files(self) -> list[str]:
        """The ``cgroup.procs`` files a process writes its pid to, to join this cgroup."""
        return sorted({str(folder / "cgroup.procs") for folder in self.folders.values()})

    def cpu_seconds(self) -> float | None:
        """CPU time used by the submission's processes so far, dead ones included."""
        folder = self.folders.get("cpuacct")
        if folder is None:
            return None
        try:
            if self.versions["cpuacct"] == 1:
                return int(_read(folder / "cpuacct.usage")) / 1e9
            return _keyed(_read(folder / "cpu.stat"))["usage_usec"] / 1e6
        except (OSError, ValueError, KeyError):
            return None

    def memory_kills(self) -> int:
        """How many of the submission's processes the kernel killed for memory so far."""
        folder = self.folders.get("memory")
        if folder is None:
            return 0
        try:
            if self.versions["memory"] == 1:
                return _keyed(_read(folder / "memory.oom_control")).get("oom_kill", 0)
            return _keyed(_read(folder / "memory.events")).get("oom_kill", 0)
        except OSError:
            return 0

    def peak_memory_mb(self) -> float | None:
        """The most memory the submission held at once, if the kernel says."""
        folder = self.folders.get("memory")
        if folder is None:
            return None
        name = "memory.max_usage_in_bytes" if self.versions["memory"] == 1 else "memory.peak"
        try:
            return int(_read(folder / name)) / 2**20
        except (OSError, ValueError):
            return None

    def pids(self) -> list[int]:
        """The submission's living processes (seen from the grader's pid namespace)."""
        for folder in self.folders.values():
            try:
                return [int(line) for line in _read(folder / "cgroup.procs").split()]
            except (OSError, ValueError):
                continue
        return []

    def kill(self, timeout: float = KILL_TIMEOUT_SECONDS) -> int:
        """SIGKILLs every process of the submission, again until none is left.

        Returns:
            How many processes were still there at the end (0 on success).
        """
        for controller, folder in self.folders.items():
            if self.versions[controller] == 2 and (folder / "cgroup.kill").exists():
                try:
                    _write(folder / "cgroup.kill", "1")
                except OSError:
                    pass
                break
        deadline = time.monotonic() + timeout
        while True:
            left = self.pids()
            if not left or time.monotonic() > deadline:
                return len(left)
            for pid in left:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.005)

    def remove(self) -> bool:
        """Kills what is left and removes the cgroup folders; whether all are gone.

        `folders` keeps saying which limits were in force.
        """
        self.kill()
        return all([_remove_folder(folder) for folder in set(self.folders.values())])
