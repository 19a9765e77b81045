"""Walling a child process off before it runs student code (Linux only).

As root, the child joins its submission's cgroup (memory, processes, CPU: see
`cgroups`), enters new mount, network, IPC and UTS namespaces (the fork server
already started it as the first process of a new PID namespace), covers each
hidden path with an empty read-only file system, gets private ``/tmp``,
``/dev/shm`` and ``/run/lock`` and a ``/proc`` that shows only its own
processes, and its process for the student code becomes a fresh unprivileged
user (its own uid and gid, no supplementary groups, no new privileges). It can
then neither read the hidden folders, nor reach any network (not even
loopback), nor see, signal or trace the grader or other submissions, nor leave
SysV shared memory, message queues or lock files behind.

Without root it tries an unprivileged user namespace for the same hiding and
network cut (the process keeps the grader's uid), and when even that is
impossible it runs without isolation, saying so. Resource limits apply in
every case. Only the standard library is used, through ``ctypes`` for the
system calls Python 3.11 lacks.

What could not be put in force is also returned as data: the fields of
`LIMIT_FIELDS` that are missing.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import resource
import subprocess
import sys
from functools import cache
from pathlib import Path

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_RDONLY = 0x1
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_NOEXEC = 0x8
MS_REMOUNT = 0x20
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 0x40000
MNT_DETACH = 2
PR_SET_NO_NEW_PRIVS = 38
PR_SET_CHILD_SUBREAPER = 36
_CAPABILITY_VERSION_3 = 0x20080522
#: Headroom of the address-space cap above the start-up size plus the memory
#: limit: TensorFlow reserves much more address space than it uses.
ADDRESS_SPACE_HEADROOM_MB = 2048
SHM_SIZE_MB = 64
TMP_SIZE_MB = 256
LOCK_SIZE_MB = 1
HOSTNAME = "sandbox"

#: Every limit the isolation summary can name as missing (`SubmissionRun.missing_limits`).
LIMIT_FIELDS = (
    "unique_uid",  # a fresh uid per submission (needs root)
    "mount_namespace",  # hidden paths covered, other top-level folders emptied
    "network_namespace",  # no network, not even loopback
    "ipc_namespace",  # SysV shared memory and message queues private, gone at the end
    "pid_namespace",  # sees, signals and leaves behind no other process
    "uts_namespace",  # its own host name
    "private_locks",  # its own /run/lock and /var/lock
    "memory_cgroup",  # everything it holds counts (page cache, shmem, memfd, tmpfs)
    "pids_cgroup",  # a limit on processes and threads
    "cpu_quota",  # about one core, so it cannot starve its neighbours
    "cpu_accounting",  # time limits count its CPU time, dead processes included
    "work_folder_tmpfs",  # its work folder on a size-capped tmpfs
)


@cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        number = ctypes.get_errno()
        raise OSError(number, f"{what}: {os.strerror(number)}")


def unshare(flags: int) -> None:
    """``unshare(2)``. Raises `OSError` on failure."""
    _check(_libc().unshare(ctypes.c_int(flags)), "unshare")


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str = "") -> None:
    """``mount(2)``. Raises `OSError` on failure."""
    def encode(text):
        return None if text is None else os.fsencode(text)

    _check(
        _libc().mount(
            encode(source), encode(target), encode(fstype), ctypes.c_ulong(flags),
            encode(data) if data else None,
        ),
        f"mount {target}",
    )


def setns(descriptor: int, kind: int) -> None:
    """``setns(2)``. Raises `OSError` on failure."""
    _check(_libc().setns(ctypes.c_int(descriptor), ctypes.c_int(kind)), "setns")


def umount(target: str) -> None:
    """``umount2(target, MNT_DETACH)``. Raises `OSError` on failure."""
    _check(_libc().umount2(os.fsencode(target), ctypes.c_int(MNT_DETACH)), f"umount {target}")


def prctl(option: int, value: int) -> None:
    """``prctl(2)`` with one argument. Raises `OSError` on failure."""
    _check(
        _libc().prctl(ctypes.c_int(option), ctypes.c_ulong(value), ctypes.c_ulong(0),
                      ctypes.c_ulong(0), ctypes.c_ulong(0)),
        "prctl",
    )


def _drop_capabilities() -> None:
    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                    ("inheritable", ctypes.c_uint32)]

    header = Header(_CAPABILITY_VERSION_3, 0)
    data = (Data * 2)()
    _check(_libc().capset(ctypes.byref(header), ctypes.byref(data)), "capset")


def _write(path: str, text: str) -> None:
    with open(path, "w") as file:
        file.write(text)


def _hide(path: str) -> str:
    """Covers `path` with something empty and read-only; returns how."""
    if os.path.isdir(path):
        mount("none", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
              "size=4k,mode=0555")
        return "empty read-only tmpfs"
    mount("/dev/null", path, None, MS_BIND)
    mount(None, path, None, MS_REMOUNT | MS_BIND | MS_RDONLY)
    return "empty read-only file"


def _hide_all(hidden: list[str], report: list[str]) -> None:
    hid, missing = [], []
    for path in hidden:
        if not os.path.lexists(path):
            missing.append(path)
            continue
        try:
            _hide(path)
            hid.append(path)
        except OSError as error:
            report.append(f"could NOT hide {path}: {error.strerror}")
    if hid:
        report.append(f"hid {', '.join(hid)} (covered by an empty read-only file system)")
    if missing:
        report.append(f"not visible at all: {', '.join(missing)}")


def _python_paths() -> list[str]:
    """Folders the interpreter needs to import modules (the installation, sys.path)."""
    paths = {sys.prefix, sys.exec_prefix, sys.base_prefix, os.path.dirname(sys.executable)}
    paths.update(entry for entry in sys.path if entry)
    return sorted({os.path.realpath(path) for path in paths if os.path.isdir(path)})


def _outermost(paths: list[str]) -> list[str]:
    """The paths not inside another of them (binding those brings the rest along)."""
    paths = sorted(set(paths))
    return [path for path in paths
            if not any(other != path and os.path.commonpath([other, path]) == other
                       for other in paths)]


def _private_ancestor(path: str) -> str | None:
    """The first folder above `path` that other users cannot enter, if any."""
    current = "/"
    for part in Path(path).parts[1:]:
        if not os.stat(current).st_mode & 0o001:
            return current
        current = os.path.join(current, part)
    return None


def _cover(folder: str, keep: list[str], options: str, read_only: bool) -> None:
    """Mounts a tmpfs over `folder`, with only the folders in `keep` bound back in."""
    handles = {path: os.open(path, os.O_PATH | os.O_DIRECTORY) for path in sorted(keep)}
    try:
        mount("none", folder, "tmpfs", MS_NOSUID | MS_NODEV, options)
        for path, handle in handles.items():
            os.makedirs(path, mode=0o755, exist_ok=True)
            mount(f"/proc/self/fd/{handle}", path, None, MS_BIND | MS_REC)
        if read_only:
            mount(None, folder, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    finally:
        for handle in handles.values():
            os.close(handle)


def _expose_python(report: list[str]) -> None:
    """Lets an unprivileged user import modules from a private folder (``/root/.pyenv``).

    The private folder is covered, in this mount namespace only, by a read-only
    tmpfs holding nothing but bind mounts of the needed subfolders: the rest
    of it stays out of reach.
    """
    groups: dict[str, set[str]] = {}
    for path in _python_paths():
        ancestor = _private_ancestor(path)
        if ancestor is not None:
            top = os.path.join(ancestor, Path(path).relative_to(ancestor).parts[0])
            groups.setdefault(ancestor, set()).add(top)
    for ancestor, tops in sorted(groups.items()):
        try:
            _cover(ancestor, sorted(tops), "size=64k,mode=0755", read_only=True)
            report.append(f"made {', '.join(sorted(tops))} readable for imports (the rest of "
                          f"the private folder {ancestor} stays unreadable)")
        except OSError as error:
            report.append(f"could not make Python modules under {ancestor} readable "
                          f"({error.strerror}): imports not done by the fork server may fail")


SYSTEM_FOLDERS = frozenset({
    "bin", "boot", "dev", "etc", "lib", "lib32", "lib64", "libx32", "proc", "run", "sbin", "sys",
    "usr", "var", "tmp",
})
"""Top-level folders of the operating system, left as they are (``/tmp`` is made private)."""


def _cover_other_folders(workdir: str, report: list[str]) -> None:
    """Empties every top-level folder that is not the system's: ``/home``, ``/work``, ``/srv``...

    Hiding the grader's own paths is not enough when the machine holds other
    copies of the course (another checkout, a backup, a colleague's home), so
    the student code sees only the system, the Python installation and its
    own work folder: each other top-level folder is covered by an empty,
    read-only tmpfs with just the needed folders inside bound back in.
    """
    needed = _outermost([workdir, *_python_paths()])
    covered = []
    for name in sorted(os.listdir("/")):
        folder = os.path.join("/", name)
        if name in SYSTEM_FOLDERS or os.path.islink(folder) or not os.path.isdir(folder):
            continue
        keep = [path for path in needed
                if path != folder and os.path.commonpath([folder, path]) == folder]
        if folder in needed:
            continue
        try:
            _cover(folder, keep, "size=64k,mode=0755", read_only=True)
            covered.append(folder)
        except OSError as error:
            report.append(f"could NOT empty {folder} ({error.strerror})")
    if covered:
        report.append(f"emptied {', '.join(covered)} but for the Python installation and the "
                      "work folder")


def _private_temporary_folders(workdir: str, report: list[str], missing: list[str]) -> None:
    """Gives the process its own empty ``/tmp``, ``/var/tmp``, ``/dev/shm`` and lock folders.

    Submissions can then neither see nor leave files for one another there
    (lock files in ``/run/lock`` included: ``/var/lock`` usually links to it);
    the work folder and the Python installation (a virtual environment in
    ``/tmp``, say), if they lie inside one of them, are bound back in.
    """
    private = []
    needed = _outermost([workdir, *_python_paths()])
    for folder, size in (("/tmp", TMP_SIZE_MB), ("/var/tmp", TMP_SIZE_MB),
                         ("/dev/shm", SHM_SIZE_MB), ("/run/lock", LOCK_SIZE_MB),
                         ("/var/lock", LOCK_SIZE_MB)):
        if not os.path.isdir(folder) or os.path.islink(folder):
            continue
        if os.path.realpath(folder) in needed:  # Python itself lives there
            report.append(f"shared {folder} (the Python installation is in it)")
            continue
        keep = [path for path in needed
                if path != folder and os.path.commonpath([folder, path]) == folder]
        try:
            _cover(folder, keep, f"size={size}m,mode=1777", False)
            private.append(f"{folder} ({size} MB)")
        except OSError as error:
            report.append(f"shared {folder} ({error.strerror})")
            if folder.endswith("/lock") and "private_locks" not in missing:
                missing.append("private_locks")
    if private:
        report.append(f"private, empty {', '.join(private)}")


def _resident_start_mb() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) // 1024
    return 0


def set_limits(spec: dict, report: list[str], unique_uid: bool) -> None:
    """Applies the resource limits of `spec` to the current process."""
    limits = []
    address_mb = _resident_start_mb() + spec["memory_limit_mb"] + ADDRESS_SPACE_HEADROOM_MB
    for name, kind, value in (
        ("address space", resource.RLIMIT_AS, address_mb * 2**20),
        ("file size", resource.RLIMIT_FSIZE, spec["file_limit_bytes"]),
        ("core dumps", resource.RLIMIT_CORE, 0),
        ("processes", resource.RLIMIT_NPROC, spec["process_limit"] if unique_uid else None),
    ):
        if value is None:
            continue
        try:
            resource.setrlimit(kind, (value, value))
            limits.append(name)
        except (OSError, ValueError) as error:
            report.append(f"could not limit {name}: {error}")
    if spec.get("memory_cgroup"):
        memory = (f"memory: the kernel kills the submission above {spec['memory_limit_mb']} MB "
                  "(everything it holds counts: resident pages, page cache, shared memory, "
                  "memfd and tmpfs)")
    else:
        memory = f"memory: killed above {spec['memory_limit_mb']} MB resident (polled)"
    report.append(f"{memory}; address space capped at {address_mb} MB; limits on "
                  f"{', '.join(limits)}")


def _become(uid: int, gid: int) -> None:
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    if os.getresuid() != (uid, uid, uid) or os.getresgid() != (gid, gid, gid):
        raise OSError(errno.EPERM, "could not change to the sandbox user")


def join_cgroup(spec: dict, missing: list[str]) -> None:
    """Moves this process into its submission's cgroup (``spec["cgroup_procs"]``).

    Done first, as root, so that everything the submission does is charged
    there; a controller that cannot be joined is named in `missing`.
    """
    for path, fields in spec.get("cgroup_procs", {}).items():
        try:
            _write(path, "0")  # "0": the writing process
        except OSError:
            missing.extend(field for field in fields if field not in missing)
    missing.extend(field for field in spec.get("cgroup_missing", []) if field not in missing)


def _new_namespaces(flags: tuple[tuple[int, str], ...], report: list[str],
                    missing: list[str]) -> set[str]:
    entered = set()
    for flag, name in flags:
        try:
            unshare(flag)
            entered.add(name)
        except OSError as error:
            report.append(f"no {name} namespace ({error.strerror})")
            missing.append(f"{name}_namespace")
    return entered


def _private_proc(report: list[str], missing: list[str]) -> None:
    """In a new PID namespace (this process is its first), a ``/proc`` showing only it."""
    if os.getpid() != 1:
        missing.append("pid_namespace")
        report.append("other processes on the machine are visible (no PID namespace)")
        return
    try:
        mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
        report.append("own PID namespace: sees, signals and leaves behind no other process")
    except OSError as error:
        missing.append("pid_namespace")
        report.append(f"own PID namespace, but /proc shows the machine's ({error.strerror})")


def _own_host_name(report: list[str]) -> None:
    try:
        _check(_libc().sethostname(HOSTNAME.encode(), ctypes.c_size_t(len(HOSTNAME))),
               "sethostname")
    except OSError:
        pass
    report.append("own IPC and UTS namespaces: SysV shared memory and message queues are "
                  "private and vanish with the submission")


def _isolate_as_root(spec: dict, report: list[str], missing: list[str]) -> None:
    namespaces = _new_namespaces(
        ((CLONE_NEWNS, "mount"), (CLONE_NEWNET, "network"), (CLONE_NEWIPC, "ipc"),
         (CLONE_NEWUTS, "uts")), report, missing)
    if "network" in namespaces:
        report.append("no network (empty network namespace, loopback down)")
    if {"ipc", "uts"} <= namespaces:
        _own_host_name(report)
    if "mount" in namespaces:
        mount(None, "/", None, MS_REC | MS_PRIVATE)
        _private_proc(report, missing)
        _cover_other_folders(os.path.realpath(spec["workdir"]), report)
        _expose_python(report)
        _private_temporary_folders(os.path.realpath(spec["workdir"]), report, missing)
        _hide_all(spec["hidden"], report)
    else:
        missing.extend(["pid_namespace", "private_locks"])
        report.append(f"NOT hidden (no mount namespace): {', '.join(spec['hidden'])}")
    set_limits(spec, report, unique_uid=True)
    prctl(PR_SET_NO_NEW_PRIVS, 1)
    report.append(
        f"ran as unprivileged uid {spec['uid']} (a fresh uid for this submission: it cannot "
        "signal or trace the grader or other submissions, nor read their files)"
    )


def _isolate_in_user_namespace(spec: dict, report: list[str], missing: list[str]) -> bool:
    uid, gid = os.getuid(), os.getgid()
    try:
        unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS)
    except OSError as error:
        report.append(f"NOT isolated: not root and user namespaces unavailable ({error.strerror});"
                      " student code could read " + (", ".join(spec["hidden"]) or "anything"))
        return False
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/uid_map", f"0 {uid} 1")
    _write("/proc/self/gid_map", f"0 {gid} 1")
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    _own_host_name(report)
    _cover_other_folders(os.path.realpath(spec["workdir"]), report)
    _private_temporary_folders(os.path.realpath(spec["workdir"]), report, missing)
    _hide_all(spec["hidden"], report)
    # A second user namespace locks those mounts (they can no longer be
    # unmounted) and gives the process back its ordinary uid, without privileges.
    unshare(CLONE_NEWUSER | CLONE_NEWNS)
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/uid_map", f"{uid} 0 1")
    _write("/proc/self/gid_map", f"{gid} 0 1")
    _drop_capabilities()
    report.append("no network (empty network namespace, loopback down)")
    report.append(
        f"ran as the grader's own uid {uid} in a user namespace (not root): student code "
        "could signal the grader's processes"
    )
    return True


def isolate(spec: dict) -> tuple[list[str], list[str]]:
    """Isolates the current (child) process as far as this machine allows.

    As root, the process still is root afterwards: `drop_privileges` must
    follow before any student code runs.

    Args:
        spec: ``hidden`` (paths), ``uid`` and ``gid`` (used as root),
            ``memory_limit_mb``, ``file_limit_bytes`` and ``process_limit``,
            and optionally ``cgroup_procs`` (see `join_cgroup`), ``cgroup_missing``.

    Returns:
        Plain sentences saying what isolation is in force, and the fields of
        `LIMIT_FIELDS` that are not (as data, for the grade report).

    Raises:
        OSError: If a step that must not fail fails.
    """
    report: list[str] = []
    missing: list[str] = []
    join_cgroup(spec, missing)
    if os.geteuid() == 0:
        _isolate_as_root(spec, report, missing)
        return report, _ordered(missing)
    missing.extend(["unique_uid", "pid_namespace"])
    try:
        isolated = _isolate_in_user_namespace(spec, report, missing)
    except OSError as error:
        report.append(f"user namespace set-up failed part-way ({error.strerror})")
        isolated = False
    set_limits(spec, report, unique_uid=False)
    try:
        prctl(PR_SET_NO_NEW_PRIVS, 1)
    except OSError:
        report.append("could not forbid new privileges")
    if not isolated:
        missing.extend(["mount_namespace", "network_namespace", "ipc_namespace",
                        "uts_namespace", "private_locks"])
        report.append("ran as the grader's own uid without namespaces")
    return report, _ordered(missing)


def _ordered(missing: list[str]) -> list[str]:
    """`missing` without repeats, in the order of `LIMIT_FIELDS`."""
    return [name for name in LIMIT_FIELDS if name in missing]


def drop_privileges(spec: dict) -> None:
    """As root, becomes the submission's unprivileged ``uid``/``gid`` (else nothing).

    Raises:
        OSError: If that fails: student code never runs as root.
    """
    if os.geteuid() == 0:
        _become(spec["uid"], spec["gid"])


def become_subreaper() -> None:
    """Makes orphaned descendants of this process its children (best effort)."""
    try:
        prctl(PR_SET_CHILD_SUBREAPER, 1)
    except OSError:
        pass


# ---------------------------------------------------------------------------
# What this machine allows


def _probe() -> dict:
    """Tries the isolation steps in this (throw-away) process."""
    found = {"root": os.geteuid() == 0, "platform": sys.platform,
             "namespaces": False, "mounts": False}
    probe_dir = os.environ.get("SANDBOX_PROBE_DIR", "/")
    step = "unshare"
    try:
        if found["root"]:
            unshare(CLONE_NEWNS | CLONE_NEWNET)
            for flag, name in ((CLONE_NEWIPC, "ipc"), (CLONE_NEWUTS, "uts"),
                               (CLONE_NEWPID, "pid")):
                try:
                    unshare(flag)
                    found[f"{name}_namespace"] = True
                except OSError:
                    found[f"{name}_namespace"] = False
        else:
            uid = os.getuid()
            unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET)
            step = "uid map"
            _write("/proc/self/setgroups", "deny")
            _write("/proc/self/uid_map", f"0 {uid} 1")
        found["namespaces"] = True
        step = "mount"
        mount(None, "/", None, MS_REC | MS_PRIVATE)
        mount("none", probe_dir, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
              "size=4k")
        found["mounts"] = True
    except OSError as error:
        found["error"] = f"{step}: {error.strerror}"
    return found


def probe_main() -> None:
    """Entry point of the probe process: prints `_probe`'s findings as JSON."""
    print(json.dumps(_probe()))


@cache
def probe_machine() -> dict:
    """Runs `_probe` in a fresh process (cached); empty dict if that fails."""
    import tempfile

    if not sys.platform.startswith("linux"):
        return {"root": False, "namespaces": False, "mounts": False, "error": "not Linux"}
    with tempfile.TemporaryDirectory(prefix="sandbox-probe-") as probe_dir:
        # Loaded by path, not through the package, so the probe process stays
        # single-threaded (NumPy's thread pool would make user namespaces fail).
        code = (
            "import importlib.util as u, sys; "
            "s = u.spec_from_file_location('sandbox_isolation_probe', sys.argv[1]); "
            "m = u.module_from_spec(s); s.loader.exec_module(m); m.probe_main()"
        )
        try:
            completed = subprocess.run(
                [sys.executable, "-c", code, __file__], capture_output=True,
                text=True, timeout=60,
                env={"PATH": os.environ.get("PATH", ""), "SANDBOX_PROBE_DIR": probe_dir},
            )
            return json.loads(completed.stdout.strip().splitlines()[-1])
        except (OSError, ValueError, IndexError, subprocess.SubprocessError):
            return {}


def machine_missing_limits() -> list[str]:
    """The fields of `LIMIT_FIELDS` this machine cannot put in force (as data).

    A submission's own `SubmissionRun.missing_limits` says what was actually
    missing for it; this is what the probe and the cgroup mounts predict.
    """
    from autograder.sandbox import cgroups

    found = probe_machine()
    missing = set()
    if not found.get("root"):
        missing.update(("unique_uid", "pid_namespace", "work_folder_tmpfs"))
        missing.update(cgroups.CONTROLLER_LIMITS.values())
    else:
        hierarchies = cgroups.machine_hierarchies()
        missing.update(limit for controller, limit in cgroups.CONTROLLER_LIMITS.items()
                       if controller not in hierarchies)
        missing.update(f"{name}_namespace" for name in ("ipc", "uts", "pid")
                       if not found.get(f"{name}_namespace"))
    if not found.get("mounts"):
        missing.update(("mount_namespace", "network_namespace", "ipc_namespace",
                        "uts_namespace", "pid_namespace", "private_locks"))
    return _ordered(list(missing))


def isolation_report() -> list[str]:
    """Says in plain sentences what isolation this machine allows.

    Returns:
        Sentences for the header of a grade report; the last one names the
        limits this machine cannot enforce (see `machine_missing_limits`).
    """
    found = probe_machine()
    if not found:
        return ["NOT known whether student code can be isolated: the probe process failed"]
    lines = []
    if found.get("root"):
        lines.append("running as root: each submission runs as its own fresh unprivileged uid, "
                     "cannot signal the grader or other submissions, nor gain privileges")
    else:
        lines.append("not running as root: student code keeps the grader's uid")
    if found.get("mounts"):
        lines.append("mount namespaces work: hidden folders are covered by an empty read-only "
                     "file system; /tmp, /dev/shm and /run/lock are private")
        lines.append("network namespaces work: student code has no network, not even loopback")
    else:
        reason = found.get("error", "unknown reason")
        lines.append(f"NOT isolated: namespaces unavailable ({reason}); student code could read "
                     "the hidden folders (solutions, tests) and use the network")
    if found.get("pid_namespace") and found.get("ipc_namespace"):
        lines.append("PID, IPC and UTS namespaces work: a submission sees no other process, "
                     "and its processes, SysV shared memory and message queues end with it")
    missing = machine_missing_limits()
    if not {"memory_cgroup", "pids_cgroup", "cpu_quota"} & set(missing):
        lines.append("each submission runs in its own cgroup: memory (everything it holds: "
                     "page cache, shared memory, memfd, tmpfs), processes, a CPU quota of about "
                     "one core; its work folder is on a size-capped tmpfs")
    if "cpu_accounting" not in missing:
        lines.append("time limits count the CPU time a submission used (from its cgroup), "
                     "under a wall-clock ceiling several times larger, so a busy machine does "
                     "not change the scores")
    else:
        lines.append("time limits count the CPU time of a submission's living processes "
                     "(no cgroup), under a wall-clock ceiling; memory is polled")
    lines.append("limits NOT in force: " + (", ".join(missing) if missing else "none"))
    return lines
