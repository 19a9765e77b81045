"""The sandbox that runs student code: values, adapters, limits, isolation, hostility.

One fork server (a module-scoped `Sandbox` with short limits) serves every test
that runs student code; the fixtures in tests/fixtures/sandbox are the
student submissions.
"""

import os
import re
import shutil
import signal
import socket
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO

from autograder.sandbox import (
    AdapterError,
    Call,
    Chunk,
    Sandbox,
    Tensor,
    Variable,
    isolation_report,
    processes,
    run_call,
    transport,
)
from autograder.sandbox.attempt import WALL_FACTOR, Progress, describe_status, parse_progress
from autograder.sandbox.harness import to_plain
from autograder.sandbox.isolation import LIMIT_FIELDS
from autograder.sandbox.runner import UID_BASE, UID_SPAN
from autograder.sandbox.source import strip_magics

FIXTURES = Path(__file__).parent / "fixtures" / "sandbox"
GOOD = (FIXTURES / "good.py").read_text()
HOSTILE = (FIXTURES / "hostile.py").read_text()
ROOT = os.geteuid() == 0
needs_root = pytest.mark.skipif(not ROOT, reason="hiding paths and cutting the network need root")

CASE_TIMEOUT = 1.5
LOAD_TIMEOUT = 2.0
SUBMISSION_TIMEOUT = 6.0
MEMORY_MB = 800
OUTPUT_CAP = 2000


@pytest.fixture(scope="module")
def secret(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hidden")
    (folder / "answers.txt").write_text("the answer is 42")
    return folder


@pytest.fixture(scope="module")
def sandbox(secret):
    with Sandbox(
        hidden_paths=[secret, REPO / "solutions", REPO / "autograder"], case_timeout=CASE_TIMEOUT,
        load_timeout=LOAD_TIMEOUT, submission_timeout=SUBMISSION_TIMEOUT,
        memory_limit_mb=MEMORY_MB, result_limit_mb=4, output_cap=OUTPUT_CAP,
    ) as box:
        yield box


def good(sandbox, *calls):
    return sandbox.run([Chunk("good.py", GOOD)], list(calls))


def hostile(sandbox, *calls):
    return sandbox.run([Chunk("hostile.py", HOSTILE)], list(calls))


def time_limit_errors(limit):
    """The two ways a call can run out of time: its CPU time, or (on a very busy
    machine, or while it waits) the wall-clock ceiling above it."""
    return {f"took longer than {limit:g} s of CPU time",
            f"took longer than {limit * WALL_FACTOR:g} s of wall-clock time (it was waiting, "
            f"not computing; the limit is {limit:g} s of CPU time)"}


def leftover_processes(run):
    """Processes still running as the uid `run` ran as (as root; other graders may be
    running on this machine, so only this run's own uid is looked at)."""
    if not ROOT:
        return {}
    [uid] = [int(match) for line in run.isolation
             for match in re.findall(r"ran as unprivileged uid (\d+)", line)]
    return processes.find(processes.Owner(uid=uid))


# -- values and adapters -----------------------------------------------------


def test_good_submission_values_round_trip_with_dtypes_shapes_and_tuples(sandbox):
    X, w = np.arange(6.0).reshape(3, 2), np.array([[1.0], [2.0]])
    run = good(sandbox, Call("kinds"), Call("wander"), Call("linreg", (Tensor(X), Tensor(w), 0.5)))
    assert run.load_errors == []
    assert [call.status for call in run.calls] == ["ok", "ok", "ok"], run.calls
    value = run.calls[0].value
    assert value["int16"].dtype == np.int16 and value["int16"].shape == (2, 3)
    assert value["bool"].dtype == bool
    np.testing.assert_array_equal(value["fortran"], np.arange(6.0).reshape(2, 3))
    assert value["scalar"].shape == () and value["scalar"].dtype == np.float32
    assert value["tensor"].dtype == np.int64
    assert value["variable"].dtype == np.float64 and value["variable"].shape == (1, 1)
    assert value["tuple"] == (1, 2.0, "three", None, True)
    assert type(value["tuple"]) is tuple and type(value["tuple"][1]) is float
    assert value["nested"] == [(1, [2, (3,)]), {"a": ()}]
    assert value["strings"].tolist() == ["ab", "c"]
    assert value["empty"].shape == (0, 4) and value["empty"].dtype == np.float32
    np.testing.assert_allclose(run.calls[2].value, X @ w + 0.5)  # written after a chdir
    assert "loading good.py" in run.output
    assert any("uid" in line for line in run.isolation) or not ROOT
    assert run.notes == []


def test_inplace_adapter_reads_back_variables_nested_in_lists_and_dicts(sandbox):
    params = [Variable(np.ones((2, 1))), Variable(np.zeros(1))]
    grads = [Tensor(np.full((2, 1), 4.0)), Tensor(np.array([2.0]))]
    sgd = Call("sgd", (params, grads, 0.5, 2), adapter="inplace")
    nested = Call("scale_nested", ({"weights": [Variable(np.array([1.0, 2.0]))], "steps": [0]}, 3.0),
                  adapter="inplace")
    run = good(sandbox, sgd, nested)
    assert [call.status for call in run.calls] == ["ok", "ok"], run.calls
    first = run.calls[0].value
    assert first["return"] is None
    np.testing.assert_allclose(first["args"][0][0], np.zeros((2, 1)))
    np.testing.assert_allclose(first["args"][0][1], [-0.5])
    second = run.calls[1].value
    assert second["return"] == "done"
    np.testing.assert_allclose(second["args"][0]["weights"][0], [3.0, 6.0])
    assert second["args"][0]["steps"] == [0, 1]
    # The same adapter in this process gives the same answer (the grader runs references so).
    namespace = {}
    exec(compile(GOOD, "good.py", "exec"), namespace)
    local = run_call(namespace["sgd"], sgd)
    np.testing.assert_allclose(local["args"][0][0], first["args"][0][0])
    assert isinstance(params[0], Variable) and params[0].array.sum() == 2  # inputs untouched


def test_iterate_adapter_lists_items_and_stops_after_max_items(sandbox):
    features, labels = np.arange(10.0).reshape(5, 2), np.arange(5)
    run = good(
        sandbox,
        Call("data_iter", (2, features, labels), adapter="iterate"),
        Call("count_forever", adapter="iterate", options={"max_items": 5}),
        Call("count_forever", adapter="iterate", options={"max_items": 5}),
    )
    assert run.calls[0].status == "ok"
    batches = run.calls[0].value
    assert [type(batch) for batch in batches] == [tuple] * 3
    np.testing.assert_array_equal(batches[2][0], features[4:])
    assert run.calls[1].status == "error"
    assert run.calls[1].error == "count_forever yielded more than 5 items"


def test_keras_model_adapter_summarises_and_trains(sandbox):
    rng = np.random.default_rng(0)
    train = {
        "x": rng.normal(size=(32, 4, 2)).astype("float32"), "y": rng.integers(0, 3, 32),
        "x_eval": rng.normal(size=(5, 4, 2)).astype("float32"), "epochs": 2, "batch_size": 8,
        "optimizer": {"class_name": "Adam", "config": {"learning_rate": 0.01}},
        "loss": {"class_name": "SparseCategoricalCrossentropy", "config": {"from_logits": True}},
        "seed": 1,
    }
    build = Call("build_mlp", kwargs={"hidden": 16}, adapter="keras_model",
                 options={"input_shape": [4, 2], "train": train}, timeout=60.0)
    run = good(sandbox, build, Call("not_a_model", adapter="keras_model",
                                    options={"input_shape": [4, 2]}))
    assert run.calls[0].status == "ok", run.calls[0]
    summary = run.calls[0].value
    assert summary["class"] == "Sequential"
    assert [layer["class_name"] for layer in summary["layers"]] == ["Flatten", "Dense", "Dropout", "Dense"]
    assert summary["layers"][1]["config"] == {"units": 16, "activation": "relu", "use_bias": True}
    assert summary["layers"][2]["config"]["rate"] == 0.25
    assert summary["param_count"] == (8 * 16 + 16) + (16 * 3 + 3)
    assert summary["output_shape"] == [2, 3]
    assert summary["predictions"].shape == (5, 3)
    assert np.isfinite(summary["predictions"]).all()
    assert run.calls[1].status == "error"
    assert run.calls[1].error == "not_a_model returned a list, expected a keras.Model"
    namespace = {}
    exec(compile(GOOD, "good.py", "exec"), namespace)
    local = run_call(namespace["build_mlp"], Call("build_mlp", adapter="keras_model",
                                                  options={"input_shape": [4, 2]}))
    def without_names(layers):  # Keras numbers automatic names per process
        return [{key: value for key, value in layer.items() if key != "name"} for layer in layers]

    assert without_names(local["layers"]) == without_names(summary["layers"])
    assert local["param_count"] == summary["param_count"]
    with pytest.raises(AdapterError, match="expected a keras.Model"):
        run_call(namespace["not_a_model"], Call("not_a_model", adapter="keras_model"))


def test_children_start_clean_not_with_the_graders_tensorflow_state(sandbox):
    import tensorflow as tf

    assert len(tf.config.list_logical_devices("CPU")) == 2  # conftest's, in this process
    run = good(sandbox, Call("tensorflow_state"))
    assert run.calls[0].value == {"logical_cpus": 1, "intra_op": 1, "inter_op": 1,
                                  "name": "submission"}
    assert sandbox.server_info["leaked"] == []


def test_unseeded_student_code_draws_the_same_numbers_on_every_grading(sandbox):
    """Each child starts from `reset_random_state`'s state, not the fork server's."""
    import random

    import tensorflow as tf

    from autograder.sandbox.harness import reset_random_state

    source = ("import random\nimport numpy as np\nimport tensorflow as tf\n"
              "AT_LOAD = [random.random(), float(np.random.rand()), float(tf.random.uniform(()))]\n"
              "def draws():\n    return AT_LOAD\n")
    reset_random_state()
    expected = [random.random(), float(np.random.rand()), float(tf.random.uniform(()))]
    for _ in range(2):
        run = sandbox.run([Chunk("draws.py", source)], [Call("draws")])
        assert run.calls[0].value == expected


def test_malformed_requests_are_the_graders_errors(sandbox):
    with pytest.raises(ValueError, match="unique"):
        sandbox.run([Chunk("a", ""), Chunk("a", "")], [])
    with pytest.raises(ValueError, match="Unknown adapter"):
        sandbox.run([Chunk("a", "")], [Call("f", adapter="magic")])
    with pytest.raises(ValueError, match="timeout"):
        sandbox.run([Chunk("a", "")], [Call("f", timeout=-1)])
    with pytest.raises(ValueError, match="cannot send"):
        sandbox.run([Chunk("a", "")], [Call("f", (object(),))])


# -- load errors -------------------------------------------------------------


def test_broken_chunks_are_reported_and_the_others_still_run(sandbox):
    chunks = [
        Chunk("cell 1", "def f(x):\n    return x + 1\n"),
        Chunk("cell 2", "def broken(:\n    pass\n"),
        Chunk("cell 3", "%matplotlib inline\n!pip install nothing\nvalue = undefined_name\nnever = 1\n"),
        Chunk("cell 4", "import numpy as np\n\ndef g():\n    return np.int32(7)\n"),
        Chunk("cell 5", "if __name__ == '__main__':\n    raise SystemExit(1)\n"),
    ]
    run = sandbox.run(chunks, [Call("f", (1,)), Call("g"), Call("never_defined"), Call("never")])
    assert len(run.load_errors) == 2, run.load_errors
    assert run.load_errors[0].startswith("cell 2: SyntaxError:")
    assert run.load_errors[0].endswith("(line 1)")
    assert run.load_errors[1] == "cell 3: NameError: name 'undefined_name' is not defined (line 3)"
    assert run.calls[0].value == 2
    assert run.calls[1].value == np.int32(7) and run.calls[1].value.dtype == np.int32
    assert run.calls[2].status == "missing"
    assert run.calls[2].error == "function 'never_defined' is not defined in the submission"
    assert run.calls[3].error == "function 'never' is not defined in the submission"


def test_student_errors_name_the_line_and_keep_a_short_traceback(sandbox):
    code = "def inner(x):\n    return 1 / x\n\ndef outer(x):\n    return inner(x)\n"
    run = sandbox.run([Chunk("alice.py", code)], [Call("outer", (0,))])
    result = run.calls[0]
    assert result.status == "error"
    assert result.error == "ZeroDivisionError: division by zero (line 2 of alice.py)"
    assert 'File "alice.py", line 5, in outer' in result.traceback
    assert "autograder" not in result.traceback


# -- limits ------------------------------------------------------------------


def test_a_loop_that_ignores_signals_times_out_and_the_next_call_runs(sandbox):
    run = hostile(sandbox, Call("spin"), Call("identity", (7,)), Call("spin_again", timeout=0.5))
    assert run.calls[0].status == "timeout"
    assert run.calls[0].error in time_limit_errors(CASE_TIMEOUT)
    assert run.calls[0].seconds < CASE_TIMEOUT + 1  # CPU seconds, measured by the grader
    assert run.calls[1].status == "ok" and run.calls[1].value == 7
    assert run.calls[2].status == "timeout" and run.calls[2].error in time_limit_errors(0.5)
    assert run.notes == ["restarted after call 1 (spin) timed out"]
    assert leftover_processes(run) == {}


def test_an_endless_top_level_loop_is_stopped_and_skipped(sandbox):
    chunks = [
        Chunk("cell 1", "def f():\n    return 'f'\n"),
        Chunk("cell 2", "print('training...')\nwhile True:\n    pass\nafter = 1\n"),
        Chunk("cell 3", "def g():\n    return after\n"),
    ]
    run = sandbox.run(chunks, [Call("f"), Call("g")])
    assert [call.value for call in run.calls] == ["f", 1]
    [error] = run.load_errors
    prefix = "cell 2: top-level code stopped at line 2: "
    assert error.startswith(prefix) and error[len(prefix):] in time_limit_errors(LOAD_TIMEOUT)
    assert run.notes[0].startswith(f"load took longer than {LOAD_TIMEOUT:g} s")
    assert "top-level code was stopped" in run.notes[0]
    assert "training..." in run.output


def test_a_load_that_never_finishes_ends_with_not_run_calls(sandbox):
    forever = "while True:\n    pass\n"
    run = sandbox.run([Chunk("loop.py", forever * 6)], [Call("f"), Call("g")])
    assert [call.status for call in run.calls] == ["not_run", "not_run"]
    assert "while loading the submission" in run.calls[0].error
    assert run.load_errors[-1] == "loading the submission did not finish"
    assert any("time budget" in note for note in run.notes)


def test_the_submission_budget_ends_with_timeout_and_not_run(sandbox):
    spinners = "".join(f"def spin{n}():\n    while True:\n        pass\n" for n in range(6))
    code = spinners + "def identity(x):\n    return x\n"
    calls = [Call(f"spin{n}") for n in range(6)] + [Call("identity", (1,))]
    run = sandbox.run([Chunk("spinners.py", code)], calls)
    statuses = [call.status for call in run.calls]
    assert statuses[:3] == ["timeout"] * 3
    assert statuses[-1] == "not_run" and "time budget" in run.calls[-1].error


def test_after_a_timeout_the_same_functions_other_cases_are_skipped(sandbox):
    run = hostile(sandbox, Call("spin"), Call("identity", (1,)), Call("spin"), Call("spin"),
                  Call("identity", (2,)))
    assert [call.status for call in run.calls] == ["timeout", "ok", "not_run", "not_run", "ok"]
    assert run.calls[2].error.startswith("skipped: an earlier case of the same function took")
    assert [run.calls[1].value, run.calls[4].value] == [1, 2]


def test_a_memory_hog_is_killed_and_grading_goes_on(sandbox):
    run = hostile(sandbox, Call("hog", timeout=5), Call("huge_allocation"), Call("identity", (3,)))
    assert run.calls[0].status == "crashed"
    assert run.calls[0].error == f"used more than {MEMORY_MB} MB of memory"
    assert run.calls[1].status == "error"
    assert run.calls[1].error.startswith(f"used more than {MEMORY_MB} MB of memory (MemoryError")
    assert run.calls[2].value == 3


def test_a_print_flood_is_capped_and_grading_goes_on(sandbox):
    run = hostile(sandbox, Call("flood"), Call("identity", (4,)))
    assert [call.value for call in run.calls] == ["still here", 4]
    body, _, note = run.output.rpartition("\n[... ")
    assert len(body) <= OUTPUT_CAP
    cut = int(note.split()[0])
    assert 49_000_000 < cut <= 50_000_000


def test_nothing_the_child_writes_moves_a_time_limit(sandbox):
    """Rewriting the progress file neither restarts a call's clock nor lets a result
    arrive after its call has ended."""
    run = hostile(sandbox, Call("spin_and_reset_clock"), Call("identity", (6,)))
    assert run.calls[0].status == "timeout"
    assert run.calls[0].error in time_limit_errors(CASE_TIMEOUT)
    assert run.calls[0].seconds < CASE_TIMEOUT + 1
    assert run.calls[1].value == 6
    run = hostile(sandbox, Call("claim_done_then_answer"), Call("identity", (7,)))
    # "done" ends every call at once: the answers that come later are not taken.
    assert [call.status for call in run.calls] == ["crashed", "crashed"]
    assert all("without leaving a result" in call.error for call in run.calls)


@needs_root
def test_memory_held_in_a_memfd_counts_and_is_killed(sandbox):
    """Pages of a memfd never show in the resident size; the cgroup counts them."""
    run = hostile(sandbox, Call("memfd_hog", (MEMORY_MB + 400,), timeout=30),
                  Call("identity", (8,)))
    assert run.calls[0].status == "crashed"
    assert run.calls[0].error == f"used more than {MEMORY_MB} MB of memory"
    assert run.calls[1].value == 8
    assert run.missing_limits == []


@pytest.mark.slow
@needs_root
def test_the_memfd_attack_of_the_issue_is_killed_under_the_default_limit(secret):
    """4.5 GB held in memfds got full marks under a 4 GB limit before cgroups."""
    with Sandbox(hidden_paths=[secret]) as box:
        assert box.memory_limit_mb == 4096
        run = box.run([Chunk("hostile.py", HOSTILE)],
                      [Call("memfd_hog", (4608,), timeout=60), Call("identity", (9,))])
    assert run.calls[0].status == "crashed"
    assert run.calls[0].error == "used more than 4096 MB of memory"
    assert run.calls[1].value == 9


@needs_root
def test_ipc_objects_lock_files_and_processes_end_with_the_submission(sandbox):
    def host_ipc_keys():
        keys = set()
        for name in ("shm", "msg"):
            lines = Path(f"/proc/sysvipc/{name}").read_text().splitlines()[1:]
            keys.update(int(line.split()[0]) for line in lines)
        return keys

    run = hostile(sandbox, Call("leave_ipc"), Call("find_ipc"), Call("processes_seen"))
    assert run.calls[0].value == [True, True]
    assert run.calls[1].value == [True, True, True]  # its own traces, while it runs
    assert run.calls[2].value == [1, 2]  # its supervisor and itself: no other process
    assert 0x4A554459 not in host_ipc_keys()
    assert not Path("/run/lock/judy.lock").exists()
    later = hostile(sandbox, Call("find_ipc"))
    assert later.calls[0].value == [False, False, False]


@needs_root
def test_a_cpu_hog_is_held_to_one_core_and_leaves_nothing(sandbox):
    run = hostile(sandbox, Call("cpu_hog", (6,)), Call("processes_seen"))
    assert run.calls[0].value == "started"
    assert len(run.calls[1].value) == 2 + 6
    assert leftover_processes(run) == {}
    assert any("a CPU quota of 1 core(s)" in line for line in run.isolation)
    assert any(line.startswith("own cgroup, removed afterwards") for line in run.isolation)
    assert run.missing_limits == []


def test_without_cgroups_the_missing_limits_are_named_and_cpu_time_still_counts(secret):
    with Sandbox(hidden_paths=[secret], cgroups=False, case_timeout=CASE_TIMEOUT,
                 memory_limit_mb=MEMORY_MB) as box:
        run = box.run([Chunk("hostile.py", HOSTILE)], [Call("spin"), Call("identity", (3,))])
    assert run.calls[0].status == "timeout"
    assert run.calls[0].error in time_limit_errors(CASE_TIMEOUT)
    assert run.calls[1].value == 3
    assert {"memory_cgroup", "pids_cgroup", "cpu_quota", "cpu_accounting"} <= set(
        run.missing_limits)
    assert set(run.missing_limits) <= set(LIMIT_FIELDS)
    assert run.isolation[-1] == "limits NOT in force: " + ", ".join(run.missing_limits)
    if ROOT:  # the namespaces and the tmpfs do not need a cgroup
        assert "pid_namespace" not in run.missing_limits
        assert "work_folder_tmpfs" not in run.missing_limits


@needs_root
def test_every_cgroup_and_work_folder_mount_is_removed(sandbox):
    hostile(sandbox, Call("identity", (1,)))
    cgroups = sandbox._cgroups
    assert set(cgroups.folders) == {"memory", "pids", "cpu", "cpuacct"}
    for folder in cgroups.folders.values():
        assert [child for child in folder.iterdir() if child.is_dir()] == []
    mounts = Path("/proc/self/mountinfo").read_text()
    assert str(sandbox._root) + "/" not in mounts


# -- hostility ---------------------------------------------------------------


def test_exits_and_kills_do_not_take_the_grader_down(sandbox):
    run = hostile(
        sandbox, Call("exit_quietly"), Call("kill_parent"), Call("kill_everything"),
        Call("kill_own_group"), Call("fork_and_hide"), Call("identity", (5,)),
    )
    statuses = [call.status for call in run.calls]
    assert statuses[0] == "crashed" and "exited with code 0" in run.calls[0].error
    assert statuses[1] in ("error", "crashed")
    if ROOT:
        assert statuses[1] == "error" and "PermissionError" in run.calls[1].error
    assert run.calls[2].value == "survived"
    assert statuses[3] == "crashed" and "SIGKILL" in run.calls[3].error
    assert run.calls[4].value == "forked"
    assert run.calls[5].value == 5
    assert leftover_processes(run) == {}
    assert good(sandbox, Call("tensorflow_state")).calls[0].status == "ok"


@needs_root
def test_hidden_paths_cannot_be_read(sandbox, secret):
    run = hostile(
        sandbox, Call("read", (str(secret / "answers.txt"),)),
        Call("read", (str(REPO / "solutions" / "linear_regression.py"),)),
        Call("read", (str(FIXTURES / "good.py"),)),
    )
    assert [call.status for call in run.calls] == ["error", "error", "ok"]
    assert "answers.txt" in run.calls[0].error
    assert run.calls[2].value == GOOD
    assert any(str(secret) in line for line in run.isolation)
    assert any(line.startswith("hid ") and str(REPO / "solutions") in line
               for line in run.isolation)


@needs_root
def test_folders_outside_the_system_and_python_are_emptied(sandbox):
    """Another copy of the course elsewhere on the machine is out of reach too."""
    other_copy = Path(tempfile.mkdtemp(prefix="coursekit-copy-", dir="/srv"))
    try:
        (other_copy / "linear_regression.py").write_text("def linreg(X, w, b): ...\n")
        os.chmod(other_copy, 0o755)
        run = hostile(sandbox, Call("read", (str(other_copy / "linear_regression.py"),)))
    finally:
        shutil.rmtree(other_copy)
    assert run.calls[0].status == "error"
    assert any(line.startswith("emptied ") and "/srv" in line for line in run.isolation)


@needs_root
def test_student_code_cannot_reach_a_loopback_server(sandbox):
    with socket.create_server(("127.0.0.1", 0)) as server:
        run = hostile(sandbox, Call("connect", (server.getsockname()[1],)))
        server.setblocking(False)
        with pytest.raises(BlockingIOError):
            server.accept()  # no connection ever arrived
    assert run.calls[0].status == "error"
    assert "unreachable" in run.calls[0].error, run.calls[0].error


def test_objects_are_never_trusted_only_described(sandbox):
    run = hostile(sandbox, Call("always_equal"), Call("liar"))
    assert run.calls[0].value == {"__unsupported__": "AlwaysEqual",
                                  "repr": run.calls[0].value["repr"]}
    assert run.calls[0].value["repr"].startswith("<submission.AlwaysEqual object")
    liar = run.calls[1].value
    assert liar[0] == 1 and liar[1]["__unsupported__"] == "AlwaysEqual"
    assert liar[2]["ok"]["__unsupported__"] == "AlwaysEqual"
    assert liar[3]["__unsupported__"] == "generator"
    assert liar[4]["__unsupported__"] == "builtin_function_or_method"


def test_forged_result_files_are_refused_not_unpickled(sandbox):
    marker = Path("/tmp/sandbox-pwned")
    marker.unlink(missing_ok=True)
    run = hostile(sandbox, Call("forge_results"), *[Call("identity", (n,)) for n in range(1, 7)])
    assert [call.status for call in run.calls] == ["error"] * 7, run.calls
    errors = [call.error for call in run.calls]
    assert all(error.startswith("the result could not be read") for error in errors), errors
    assert "dtype object" in errors[0]
    assert "larger than" in errors[1]
    assert "cannot open" in errors[2]
    assert "not a regular file" in errors[3]
    assert "malformed" in errors[4]
    assert "nested" in errors[5] or "JSON" in errors[5]
    assert "does not match" in errors[6]
    assert not marker.exists()


# -- concurrency and cost ------------------------------------------------------


def test_parallel_runs_from_two_threads_all_complete(sandbox):
    code = "import os\ndef who(n):\n    return n, os.getuid()\n"

    def submit(number):
        return sandbox.run([Chunk(f"s{number}.py", code)], [Call("who", (number,))])

    with ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(submit, range(4)))
    values = [run.calls[0].value for run in runs]
    assert [value[0] for value in values] == [0, 1, 2, 3]
    if ROOT:
        assert len({value[1] for value in values}) == 4  # one fresh uid each
        assert all(UID_BASE <= value[1] < UID_BASE + UID_SPAN for value in values)
        assert all(leftover_processes(run) == {} for run in runs)


def test_fork_server_starts_once_and_serves_every_run(sandbox):
    assert sandbox.startup_seconds > 0
    server = sandbox._server.pid
    run = sandbox.run([Chunk("empty.py", "")], [Call("missing")] * 10)
    assert [call.status for call in run.calls] == ["missing"] * 10
    assert sandbox._server.pid == server  # one fork server for every run (speed: benchmarks/)


def test_close_leaves_no_process_behind(secret):
    box = Sandbox(hidden_paths=[secret])
    box.start()
    server_pid = box._server.pid
    code = "import os, time\ndef f():\n    os.fork()\n    time.sleep(60)\n"
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(box.run, [Chunk("s.py", code)], [Call("f", timeout=30)])
        time.sleep(1.0)  # the child and its fork are sleeping now
        box.close()
        run = pending.result()
    with pytest.raises(ProcessLookupError):
        os.kill(server_pid, 0)
    assert run.calls[0].status == "crashed"
    assert leftover_processes(run) == {}


# -- pieces, in this process -----------------------------------------------------


def test_to_plain_converts_what_it_knows_and_describes_the_rest():
    class Sneaky(list):
        def __eq__(self, other):
            return True

    assert to_plain(Sneaky([np.int8(1)])) == [np.array(1, dtype=np.int8)]
    assert type(to_plain(Sneaky([]))) is list
    assert to_plain({1: 2})["__unsupported__"] == "dict"
    assert to_plain(np.array([object()], dtype=object))["__unsupported__"] == "ndarray"
    deep = []
    for _ in range(200):
        deep = [deep]
    with pytest.raises(ValueError, match="nested"):
        to_plain(deep)


def test_transport_round_trips_and_refuses_hostile_files(tmp_path):
    value = {"a": (np.arange(3, dtype=np.uint8), [None, 1.5, "x"]), "t": Tensor(np.eye(2))}
    transport.write_message(tmp_path, "m", value, {"status": "ok"}, max_bytes=2**20,
                            allow_markers=True)
    fields, back = transport.read_message(tmp_path, "m", max_bytes=2**20, allow_markers=True)
    assert fields == {"status": "ok"}
    assert back["a"][1] == [None, 1.5, "x"] and back["a"][0].dtype == np.uint8
    assert isinstance(back["t"], Tensor)
    with pytest.raises(transport.TransportError, match="malformed"):
        transport.read_message(tmp_path, "m", max_bytes=2**20)  # markers not allowed here
    with pytest.raises(transport.TransportError, match="cannot send"):
        transport.write_message(tmp_path, "n", object(), max_bytes=2**20)
    (tmp_path / "link.json").symlink_to(tmp_path / "m.json")
    with pytest.raises(transport.TransportError, match="cannot open"):
        transport.read_message(tmp_path, "link", max_bytes=2**20)
    with pytest.raises(transport.MissingMessage):
        transport.read_message(tmp_path, "absent", max_bytes=2**20)


def test_small_helpers():
    assert strip_magics("%time x = 1\nif True:\n    !ls\n") == "pass\nif True:\n    pass\n"
    assert describe_status(signal.SIGSEGV) == "killed by SIGSEGV (segmentation fault)"
    assert describe_status(3 << 8) == "the process exited with code 3"
    progress = parse_progress("call 3 0 0 dropped=12", Progress())
    assert progress.phase == "call" and progress.numbers == (3, 0, 0) and progress.dropped == 12
    assert parse_progress("garbage", progress) is progress
    assert processes.kill_all(processes.Owner()) == 0


def test_isolation_report_says_what_this_machine_allows():
    lines = isolation_report()
    assert lines and all(isinstance(line, str) for line in lines)
    assert lines[-1].startswith("limits NOT in force: ")
    if ROOT:
        assert any("mount namespaces work" in line for line in lines)
        assert any("PID, IPC and UTS namespaces work" in line for line in lines)
