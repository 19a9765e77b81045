"""Kernel limits and the result channel, without running student code.

cgroup v1 is tested for real where this machine has it (as root); cgroup v2 on
a fake hierarchy (plain folders and files standing in for the cgroup file
system), so its logic is checked on any machine.
"""

import io
import json
import os
import time
from pathlib import Path

import numpy as np
import pytest

from autograder.sandbox import cgroups, transport
from autograder.sandbox.attempt import Progress, _Phases
from autograder.sandbox.isolation import LIMIT_FIELDS, machine_missing_limits

ROOT = os.geteuid() == 0

V1_MOUNTINFO = """\
25 1 0:21 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755
26 25 0:22 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
30 25 0:26 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
31 25 0:27 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
32 25 0:28 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
"""
V1_SELF = "5:pids:/user.slice\n4:memory:/grader\n3:cpu,cpuacct:/\n0::/user.slice\n"


def test_v1_hierarchies_are_found_per_controller_under_the_graders_own_cgroup():
    found = cgroups.find_hierarchies(V1_MOUNTINFO, V1_SELF)
    assert {name: (h.version, str(h.folder)) for name, h in found.items()} == {
        "cpu": (1, "/sys/fs/cgroup/cpu,cpuacct"),
        "cpuacct": (1, "/sys/fs/cgroup/cpu,cpuacct"),
        "memory": (1, "/sys/fs/cgroup/memory/grader"),
        "pids": (1, "/sys/fs/cgroup/pids/user.slice"),
    }


@pytest.fixture
def fake_v2(tmp_path):
    """A cgroup v2 hierarchy at tmp_path/cg, the grader in /grader.slice."""
    mount = tmp_path / "cg"
    (mount / "grader.slice").mkdir(parents=True)
    (mount / "cgroup.controllers").write_text("cpuset cpu io memory pids\n")
    (mount / "grader.slice" / "cgroup.subtree_control").write_text("")
    mountinfo = f"40 1 0:30 / {mount} rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n"
    return cgroups.find_hierarchies(mountinfo, "0::/grader.slice\n"), mount / "grader.slice"


def test_v2_hierarchy_controllers_are_enabled_and_limits_written(fake_v2, monkeypatch):
    hierarchies, grader = fake_v2
    assert {h.version for h in hierarchies.values()} == {2}
    assert {h.folder for h in hierarchies.values()} == {grader}
    # Unlike cgroupfs, the fake's files keep what is written ("+memory"), and a new
    # folder has no files until something is written to them.
    monkeypatch.setattr(cgroups, "_read", lambda path: Path(path).read_text().replace("+", "")
                        if Path(path).exists() else "")
    sandbox = cgroups.SandboxCgroups("autograder-1-x", hierarchies).create()
    assert sandbox.problems == {} and sandbox.missing == []
    assert set((grader / "cgroup.subtree_control").read_text().split()) == {
        "+memory", "+pids", "+cpu"}
    # All submissions together weigh like one process per core, not like one process.
    cores = os.cpu_count() or 1
    assert (grader / "autograder-1-x" / "cpu.weight").read_text() == str(min(10_000, 100 * cores))
    group = sandbox.submission("submission-0", memory_mb=100, processes=7, cores=1.0)
    folder = grader / "autograder-1-x" / "submission-0"
    assert set(group.folders.values()) == {folder}
    assert (folder / "memory.max").read_text() == str(100 * 2**20)
    assert (folder / "pids.max").read_text() == "7"
    assert (folder / "cpu.max").read_text() == "100000 100000"
    assert group.procs_files() == [str(folder / "cgroup.procs")]
    (folder / "cpu.stat").write_text("usage_usec 2500000\nuser_usec 2000000\n")
    (folder / "memory.events").write_text("low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n")
    (folder / "cgroup.procs").write_text("")
    (folder / "cgroup.kill").write_text("")
    assert group.cpu_seconds() == 2.5
    assert group.memory_kills() == 1
    assert group.kill() == 0
    assert (folder / "cgroup.kill").read_text() == "1"


def test_v2_without_delegation_names_the_missing_limits(fake_v2, monkeypatch):
    hierarchies, grader = fake_v2

    def refuse(path, text):
        raise OSError(16, "Device or resource busy")

    monkeypatch.setattr(cgroups, "_write", refuse)
    sandbox = cgroups.SandboxCgroups("autograder-1-y", hierarchies).create()
    assert sandbox.missing == ["cpu_quota", "memory_cgroup", "pids_cgroup"]
    assert "delegated" in sandbox.problems["memory"]
    assert set(sandbox.folders) == {"cpuacct"}  # cpu.stat needs no controller


def test_no_cgroups_at_all_names_every_cgroup_limit():
    sandbox = cgroups.SandboxCgroups("autograder-1-z", {}).create()
    assert sandbox.missing == sorted(cgroups.CONTROLLER_LIMITS.values())
    assert all(name in LIMIT_FIELDS for name in sandbox.missing)


@pytest.mark.skipif(not ROOT or not cgroups.machine_hierarchies(), reason="needs root and cgroups")
def test_v1_submission_cgroup_for_real_limits_counts_and_cleans_up():
    hierarchies = cgroups.machine_hierarchies()
    sandbox = cgroups.SandboxCgroups(cgroups.folder_name(f"test{time.time_ns()}"))
    sandbox.create()
    try:
        group = sandbox.submission("submission-0", memory_mb=64, processes=5, cores=1.0)
        assert group.problems == {}
        for controller, folder in group.folders.items():
            if hierarchies[controller].version == 1 and controller == "memory":
                assert (folder / "memory.limit_in_bytes").read_text().strip() == str(64 * 2**20)
            if hierarchies[controller].version == 1 and controller == "pids":
                assert (folder / "pids.max").read_text().strip() == "5"
            if hierarchies[controller].version == 1 and controller == "cpu":
                assert (folder / "cpu.cfs_quota_us").read_text().strip() == "100000"
                shares = (folder.parent / "cpu.shares").read_text().strip()
                assert shares == str(1024 * (os.cpu_count() or 1))
        pid = os.fork()
        if pid == 0:  # joins, burns a little CPU, then exits
            try:
                for path in group.procs_files():
                    with open(path, "w") as file:
                        file.write("0")
                deadline = time.process_time() + 0.2
                while time.process_time() < deadline:
                    pass
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        assert group.cpu_seconds() >= 0.2  # a dead process's CPU time still counts
        assert group.pids() == []
        assert group.remove()
        assert not any(folder.exists() for folder in group.folders.values())
    finally:
        sandbox.remove()
    assert not any(folder.exists() for folder in sandbox.folders.values())


def test_stale_cgroup_folders_of_dead_graders_are_swept(tmp_path):
    hierarchy = cgroups.Hierarchy("pids", 1, tmp_path)
    dead = tmp_path / "autograder-999999999-abc"
    (dead / "submission-3").mkdir(parents=True)
    alive = tmp_path / f"autograder-{os.getpid()}-def"
    alive.mkdir()
    removed = cgroups.SandboxCgroups("unused", {"pids": hierarchy}).sweep()
    assert removed == [dead] and not dead.exists() and alive.exists()


def test_machine_missing_limits_are_fields_not_sentences():
    missing = machine_missing_limits()
    assert all(name in LIMIT_FIELDS for name in missing)
    if ROOT and cgroups.machine_hierarchies():
        assert not {"memory_cgroup", "pids_cgroup", "cpu_quota", "unique_uid"} & set(missing)


# -- the result channel --------------------------------------------------------


def _message(folder, name, text, blob=b""):
    (folder / f"{name}.npys").write_bytes(blob)
    (folder / f"{name}.json").write_text(text)


def test_the_json_part_is_capped_before_it_is_parsed(tmp_path, monkeypatch):
    parsed = []
    monkeypatch.setattr(json, "loads", lambda text: parsed.append(text))
    bomb = '{"format": 1, "arrays": [], "value": [' + "[]," * 1_000_000 + "[]]}"
    _message(tmp_path, "bomb", bomb)
    with pytest.raises(transport.TransportError, match="larger than"):
        transport.read_message(tmp_path, "bomb", max_bytes=2**30)
    assert parsed == []  # refused by its size alone


def test_arrays_travel_as_npy_records_checked_before_reading(tmp_path):
    value = {"w": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.array(2.5)}
    transport.write_message(tmp_path, "ok", value, max_bytes=2**20)
    _, back = transport.read_message(tmp_path, "ok", max_bytes=2**20)
    assert back["w"].dtype == np.float32 and back["w"].tolist() == [[0, 1, 2], [3, 4, 5]]
    # The same record listed twice would be built twice: overlapping spans are refused.
    header = json.loads((tmp_path / "ok.json").read_text())
    span = header["arrays"][0]
    header["arrays"] = [span, span]
    header["value"] = {"__tuple__": [{"__ndarray__": 0}, {"__ndarray__": 1}]}
    (tmp_path / "ok.json").write_text(json.dumps(header))
    with pytest.raises(transport.TransportError, match="bad array span"):
        transport.read_message(tmp_path, "ok", max_bytes=2**20)
    # A header that promises a huge array is refused before anything is allocated.
    forged = np.lib.format.header_data_from_array_1_0(np.zeros(3))
    forged["shape"] = (10**12,)
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, forged)
    blob = buffer.getvalue() + b"\0" * 24
    _message(tmp_path, "huge", json.dumps(
        {"format": 1, "arrays": [[0, len(blob)]], "value": {"__ndarray__": 0}}), blob)
    with pytest.raises(transport.TransportError, match="does not match"):
        transport.read_message(tmp_path, "huge", max_bytes=2**20)


def test_fifos_links_and_hard_links_are_refused_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "fifo.json")
    with pytest.raises(transport.TransportError, match="not a regular file"):
        transport.read_message(tmp_path, "fifo", max_bytes=2**20)
    transport.write_message(tmp_path, "real", [1], max_bytes=2**20)
    os.symlink(tmp_path / "real.json", tmp_path / "link.json")
    with pytest.raises(transport.TransportError, match="cannot open"):
        transport.read_message(tmp_path, "link", max_bytes=2**20)
    os.link(tmp_path / "real.json", tmp_path / "hard.json")
    with pytest.raises(transport.TransportError, match="hard links"):
        transport.read_message(tmp_path, "hard", max_bytes=2**20)


def test_a_result_too_big_for_json_says_to_send_arrays(tmp_path):
    with pytest.raises(transport.TransportError, match="NumPy arrays"):
        transport.write_message(tmp_path, "big", [0.5] * 500_000, max_bytes=2**30)


# -- the watcher's own clock -----------------------------------------------------


def test_the_phase_clock_only_moves_forward_and_only_to_known_calls():
    phases = _Phases([2, 3, 5])
    assert phases.current == ("load", None)
    claim = Progress("call", (3, 0, 0))
    assert phases.claimed(claim) == 2  # the call 3 phase
    phases.index = 2
    assert phases.claimed(Progress("call", (2, 0, 0))) == 2  # never back
    assert phases.claimed(Progress("load", (0, 0, 0))) == 2
    assert phases.claimed(Progress("call", (4, 0, 0))) == 2  # settled, not run: ignored
    assert phases.claimed(Progress("done", (0, 0, 0))) == 4


@pytest.mark.skipif(not ROOT, reason="mounting a tmpfs needs root")
def test_work_folders_of_dead_graders_are_unmounted_and_deleted(tmp_path):
    from autograder.sandbox import isolation
    from autograder.sandbox.runner import _sweep_work_folders

    dead = tmp_path / "autograder-sandbox-999999999-abc"
    submission = dead / "submission-x"
    submission.mkdir(parents=True)
    isolation.mount("none", str(submission), "tmpfs", 0, "size=1m")
    (submission / "left.txt").write_text("left behind")
    alive = tmp_path / f"autograder-sandbox-{os.getpid()}-def"
    alive.mkdir()
    assert _sweep_work_folders(tmp_path) == [dead]
    assert not dead.exists() and alive.is_dir()
    assert str(submission) not in Path("/proc/self/mountinfo").read_text()
