"""The child process: isolate, load the submission, run the calls, write results.

Runs in a process forked by the fork server. Everything it reports goes to its
work folder (see `transport`): ``progress`` (what it is doing: the grader ends
a phase when it says so, and times each phase itself), ``load`` and
``call_<i>`` messages, ``output.txt`` (what the student code printed) and
``sandbox.log`` (the child's own diagnostics). ``isolation.json`` is written
while the child is still root, so the grader can tell it from a file forged by
the student code (which cannot create root-owned files).

As root, the child is the first process of its own PID namespace: it sets
everything up, then forks the process that runs the student code as an
unprivileged user, waits for it, kills whatever it left behind
(``kill(-1)``), and writes its wait status as ``job/status.json`` (a folder
the student's uid cannot enter).

Work folder layout and the job (``job/job.json``, written by the grader)::

    {"chunks": [[label, code], ...], "calls": [{"function": ..., "args": ...,
     "kwargs": ..., "adapter": ..., "options": ...}, ...], "first_call": i,
     "settled_calls": [i, ...],  # calls after first_call not to run
     "skips": [[chunk, statement, message], ...]}
"""

from __future__ import annotations

import builtins
import json
import os
import signal
import sys
import time
import traceback
import types
from typing import NoReturn

from autograder.sandbox import isolation, transport
from autograder.sandbox.harness import (
    AdapterError,
    Call,
    reset_random_state,
    run_call_typed,
    type_name,
)
from autograder.sandbox.output import CappedOutput, OutputBudget
from autograder.sandbox.source import (
    StatementCompiler,
    describe_error,
    parse_chunk,
    raising_function,
    register_source,
)

PROGRESS_WIDTH = 80
MODULE_NAME = "submission"
EXIT_SETUP_FAILED = 70


class Progress:
    """The ``progress`` file: one line, rewritten in place at each step."""

    def __init__(self, descriptor: int):
        self.descriptor = descriptor
        self.words = ["start", "0", "0", "0"]
        self.budget: OutputBudget | None = None

    @property
    def dropped(self) -> int:
        """Characters of output dropped so far (past the cap)."""
        return self.budget.dropped if self.budget is not None else 0

    def set(self, phase: str, *numbers: int) -> None:
        self.words = [phase, *(str(number) for number in numbers)]
        self._write()

    def set_dropped(self, dropped: int) -> None:
        """Rewrites the line with the current count of dropped characters."""
        self._write()

    def _write(self) -> None:
        line = " ".join([*self.words, f"dropped={self.dropped}"]).ljust(PROGRESS_WIDTH) + "\n"
        try:
            os.pwrite(self.descriptor, line.encode("ascii"), 0)
        except OSError:
            pass


class _MissingFunction(Exception):
    pass


def _open(name: str, flags: int) -> int:
    return os.open(name, flags | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)


def _configure_tensorflow() -> str:
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    try:
        tf.config.set_visible_devices([], "GPU")
    except (RuntimeError, ValueError):
        pass
    return "TensorFlow limited to 1 intra-op and 1 inter-op thread; GPUs hidden"


def _clean_environment(workdir: str) -> None:
    import tempfile

    path = os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin")
    os.environ.clear()
    os.environ.update(
        PATH=path, HOME=workdir, TMPDIR=workdir, LANG="C.UTF-8", USER="student",
        LOGNAME="student", TF_CPP_MIN_LOG_LEVEL="2", OMP_NUM_THREADS="1",
        TF_NUM_INTRAOP_THREADS="1", TF_NUM_INTEROP_THREADS="1", MPLBACKEND="Agg",
        PYTHONHASHSEED="0",
    )
    tempfile.tempdir = None


def _redirect_output(spec: dict, progress: Progress) -> None:
    output = _open("output.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.dup2(output, 1)
    os.dup2(output, 2)
    os.close(output)
    budget = OutputBudget(spec["output_cap"] * 4 + 1024, on_drop=progress.set_dropped)
    progress.budget = budget
    sys.stdout = sys.__stdout__ = CappedOutput(1, budget)
    sys.stderr = sys.__stderr__ = CappedOutput(2, budget)
    sys.stdin = sys.__stdin__ = open(os.devnull)  # noqa: SIM115 - lives as long as the process


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            stream.flush()
        except BaseException:  # noqa: BLE001 - the student may have replaced them
            pass


def _load(job: dict, namespace: dict, progress: Progress) -> list[str]:
    chunks = job["chunks"]
    labels = [label for label, _ in chunks]
    skips = {(chunk, statement): message for chunk, statement, message in job["skips"]}
    compiler = StatementCompiler()
    errors = []
    for index, (label, code) in enumerate(chunks):
        register_source(label, code)
        try:
            tree = parse_chunk(code, label)
        except SyntaxError as error:
            errors.append(f"{label}: {describe_error(error, labels, label)[0]}")
            continue
        except (ValueError, RecursionError, MemoryError) as error:
            errors.append(f"{label}: {type(error).__name__}: {error}")
            continue
        for number, statement in enumerate(tree.body):
            if (index, number) in skips:
                errors.append(f"{label}: {skips[(index, number)]}")
                continue
            progress.set("load", index, number, statement.lineno)
            try:
                exec(compiler.compile(statement, label), namespace)  # noqa: S102 - the point
            except BaseException as error:  # noqa: BLE001 - student code may raise anything
                errors.append(f"{label}: {describe_error(error, labels, label)[0]}")
                break
            finally:
                _flush()
    return errors


def _call(namespace: dict, call: Call, labels: list[str], memory_limit_mb: int) -> dict:
    started = time.perf_counter()
    result = {"status": "error", "error": None, "traceback": None, "error_type": None,
              "returned_type": None, "error_function": None}
    value = None
    try:
        function = namespace.get(call.function)
        if function is None:
            raise _MissingFunction(
                f"function {call.function!r} is not defined in the submission"
            )
        if not callable(function):
            raise _MissingFunction(
                f"{call.function!r} is not a function (it is a {type(function).__name__})"
            )
        value, result["returned_type"] = run_call_typed(function, call)
        result["status"] = "ok"
    except _MissingFunction as error:
        result["status"] = "missing"
        result["error"] = str(error)
    except AdapterError as error:
        result["error"] = str(error)
        result["error_type"] = "AdapterError"
        result["traceback"] = describe_error(error, labels)[1]
    except MemoryError as error:
        summary, result["traceback"] = describe_error(error, labels)
        result["error"] = f"used more than {memory_limit_mb} MB of memory ({summary})"
        result["error_type"] = "MemoryError"
    except BaseException as error:  # noqa: BLE001 - student code may raise anything
        result["error"], result["traceback"] = describe_error(error, labels)
        result["error_type"] = type_name(error)
        result["error_function"] = raising_function(error, labels)
    result["seconds"] = time.perf_counter() - started
    return result | {"value": value}


def _write_result(workdir: str, index: int, result: dict, max_bytes: int) -> None:
    value = result.pop("value")
    try:
        transport.write_message(workdir, f"call_{index}", value, result, max_bytes=max_bytes)
    except (transport.TransportError, OSError, MemoryError, RecursionError) as error:
        result.update(status="error", error=f"the result could not be sent: {error}")
        transport.write_message(workdir, f"call_{index}", None, result, max_bytes=max_bytes)


def _prepare(spec: dict) -> tuple[dict, Progress, int]:
    """Everything before the student code runs, as root.

    Returns:
        The job, the progress file, and an open descriptor of the ``job``
        folder (where `_supervise` writes the status).
    """
    os.setsid()
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    workdir = spec["workdir"]
    os.chdir(workdir)
    log = _open("sandbox.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    progress = Progress(_open("progress", os.O_WRONLY | os.O_CREAT | os.O_TRUNC))
    progress.set("start", 0, 0, 0)
    job_folder = os.open("job", os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    _, job = transport.read_message(
        job_folder, "job", max_bytes=spec["job_limit_bytes"], allow_markers=True,
        json_limit=spec["job_limit_bytes"],
    )
    report, missing = isolation.isolate(spec)
    report.append(_configure_tensorflow())
    with open(_open("isolation.json", os.O_WRONLY | os.O_CREAT | os.O_TRUNC), "w") as file:
        json.dump({"report": report, "missing": missing}, file)
    return job, progress, job_folder


def _supervise(spec: dict, job: dict, progress: Progress, job_folder: int) -> int:
    """As the first process of a PID namespace: runs the student's process, then cleans up.

    Returns:
        The exit code of this process (its student process's wait status is
        written to ``job/status.json``).
    """
    student = os.fork()
    if student == 0:
        code = EXIT_SETUP_FAILED
        try:
            os.close(job_folder)
            code = _run(spec, job, progress)
        except BaseException:  # noqa: BLE001 - report anything, then exit
            _report_crash()
        finally:
            os._exit(code)
    status = None
    while True:
        try:
            pid, wait_status = os.wait()
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        if pid == student:
            status = wait_status
            try:
                os.kill(-1, signal.SIGKILL)  # all the rest of this namespace
            except OSError:
                pass
    descriptor = os.open("status.json", os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW,
                         0o600, dir_fd=job_folder)
    with open(descriptor, "w") as file:
        json.dump({"status": status}, file)
    return 0


def _report_crash() -> None:
    try:
        traceback.print_exc()
        _flush()
    except BaseException:  # noqa: BLE001
        pass


def _run(spec: dict, job: dict, progress: Progress) -> int:
    isolation.drop_privileges(spec)
    workdir = spec["workdir"]
    _clean_environment(workdir)
    _redirect_output(spec, progress)
    # Unseeded student code draws the same numbers on every grading, so it
    # gets the same scores every time (the fork server's own state was drawn
    # from the operating system's entropy when it started).
    reset_random_state()
    sys.argv = [MODULE_NAME]
    module = types.ModuleType(MODULE_NAME)
    module.__dict__["__builtins__"] = builtins
    sys.modules[MODULE_NAME] = module
    namespace = module.__dict__
    load_errors = _load(job, namespace, progress)
    # workdir is absolute: the student code may change directory
    transport.write_message(
        workdir, "load", load_errors, {"dropped_output": progress.dropped},
        max_bytes=spec["result_limit_bytes"],
    )
    labels = [label for label, _ in job["chunks"]]
    settled = set(job.get("settled_calls", ()))  # already decided by the grader: not run
    for index in range(job["first_call"], len(job["calls"])):
        if index in settled:
            continue
        progress.set("call", index, 0, 0)
        call = Call(**job["calls"][index])
        result = _call(namespace, call, labels, spec["memory_limit_mb"])
        _flush()
        _write_result(workdir, index, result, spec["result_limit_bytes"])
    _flush()
    progress.set("done", 0, 0, 0)
    return 0


def main(spec: dict) -> NoReturn:
    """Runs one child to the end and exits; never returns.

    Args:
        spec: What the grader set up: ``workdir``, ``hidden``, ``uid``,
            ``gid``, and the limits (see `isolation.isolate`).
    """
    code = EXIT_SETUP_FAILED
    try:
        job, progress, job_folder = _prepare(spec)
        if os.getpid() == 1:  # a PID namespace of its own
            code = _supervise(spec, job, progress, job_folder)
        else:
            os.close(job_folder)
            code = _run(spec, job, progress)
    except BaseException:  # noqa: BLE001 - report anything, then exit
        _report_crash()
    finally:
        os._exit(code)
