"""Finding, measuring and killing a submission's processes through ``/proc``.

A submission's processes are told apart by their real uid when each
submission runs as its own uid (as root), which no process can change back;
otherwise by their session, which the child starts and a student process could
leave with ``setsid`` (a known limit of running without root).
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Owner:
    """Which processes belong to a submission: those of `uid`, or of `session`."""

    uid: int | None = None
    session: int | None = None


def _status_fields(pid: str) -> dict[str, str] | None:
    try:
        with open(f"/proc/{pid}/status", "rb") as file:
            text = file.read().decode("ascii", "replace")
    except OSError:
        return None
    fields = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key in ("State", "Uid", "VmRSS"):
            fields[key] = value.strip()
    return fields


def _session(pid: str) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as file:
            text = file.read().decode("ascii", "replace")
        # pid (comm) state ppid pgrp session ...; comm may contain spaces.
        return int(text[text.rindex(")") + 2 :].split()[3])
    except (OSError, ValueError, IndexError):
        return None


def find(owner: Owner) -> dict[int, int]:
    """The living (not zombie) processes of `owner`, with their resident KiB."""
    found = {}
    me = os.getpid()
    try:
        names = os.listdir("/proc")
    except OSError:
        return found
    for name in names:
        if not name.isdigit() or int(name) == me:
            continue
        fields = _status_fields(name)
        if not fields or fields.get("State", "").startswith(("Z", "X")):
            continue
        if owner.uid is not None:
            try:
                if int(fields.get("Uid", "").split()[0]) != owner.uid:
                    continue
            except (ValueError, IndexError):
                continue
        elif owner.session is None or _session(name) != owner.session:
            continue
        try:
            resident = int(fields.get("VmRSS", "0 kB").split()[0])
        except (ValueError, IndexError):
            resident = 0
        found[int(name)] = resident
    return found


def _cpu_ticks(pid: int) -> int:
    """utime + stime + cutime + cstime of `pid` (its own CPU time and its reaped children's)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as file:
            text = file.read().decode("ascii", "replace")
        fields = text[text.rindex(")") + 2 :].split()
        return sum(int(value) for value in fields[11:15])
    except (OSError, ValueError, IndexError):
        return 0


def cpu_seconds(owner: Owner) -> float:
    """CPU time of `owner`'s living processes (and of the children they reaped), in seconds.

    Used where there is no cgroup to ask: the time of processes that already
    ended unreaped is lost, so this errs on the low side.
    """
    ticks = os.sysconf("SC_CLK_TCK")
    return sum(_cpu_ticks(pid) for pid in find(owner)) / ticks


def resident_mb(owner: Owner) -> float:
    """Total resident memory of `owner`'s processes, in MB (shared pages count
    once per process, so this errs on the high side)."""
    return sum(find(owner).values()) / 1024


def kill_all(owner: Owner, timeout: float = 5.0) -> int:
    """SIGKILLs every process of `owner`, again until none is left or `timeout`.

    Returns:
        How many processes were still found on the last sweep (0 on success).
    """
    if owner.uid is None and owner.session is None:
        return 0
    if owner.uid == 0:
        raise ValueError("refusing to kill every process of uid 0")
    if owner.session is not None:
        try:
            os.killpg(owner.session, signal.SIGKILL)
        except OSError:
            pass
    deadline = time.monotonic() + timeout
    while True:
        left = find(owner)
        if not left or time.monotonic() > deadline:
            return len(left)
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.005)
