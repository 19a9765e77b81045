"""The data the grader hands to the sandbox and gets back from it.

`Tensor`, `Variable` and `Call` live in `harness` (which must not import other
autograder modules, yet has to recognise them) and are re-exported here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from autograder.sandbox.harness import Call, Function, Tensor, Variable

__all__ = [
    "Call", "CallResult", "Chunk", "Function", "STATUSES", "SubmissionRun", "Tensor", "Variable",
]

#: Every `CallResult.status`: the function returned, raised, is not defined in
#: the submission, ran out of time, took its process down, or was never started
#: because the submission's time budget ran out.
STATUSES = ("ok", "error", "missing", "timeout", "crashed", "not_run")


@dataclass(frozen=True)
class Chunk:
    """One piece of student source; chunks run in order in one namespace.

    Attributes:
        label: Name shown in messages and tracebacks, such as ``"alice.py"`` or
            ``"cell 3"``.
        code: The Python source (notebook ``%magic`` and ``!shell`` lines are
            ignored).
    """

    label: str
    code: str


@dataclass
class CallResult:
    """What became of one `Call`.

    Attributes:
        status: One of `STATUSES`.
        value: The plain-data result when `status` is ``"ok"``, else `None`.
        error: One-line summary, such as ``"ZeroDivisionError: division by zero
            (line 12 of alice.py)"`` or ``"took longer than 10 s"``.
        traceback: Short traceback through the student's own code, if any.
        seconds: Time the call took.
        error_type: The name of the exception's type when `status` is
            ``"error"`` ("ValueError", "InvalidArgumentError").
        returned_type: The name of the type of what the function returned,
            before conversion to plain data ("float", "EagerTensor"), when
            `status` is ``"ok"``.
        error_function: The student's function in which the exception was
            raised (the innermost frame of the student's code), if any.
    """

    status: str
    value: object = None
    error: str | None = None
    traceback: str | None = None
    seconds: float = 0.0
    error_type: str | None = None
    returned_type: str | None = None
    error_function: str | None = None


@dataclass
class SubmissionRun:
    """Everything one `Sandbox.run` found out about a submission.

    Attributes:
        load_errors: One entry per chunk that failed to run, such as
            ``"cell 3: NameError: name 'x' is not defined (line 2)"``.
        calls: One `CallResult` per requested call, in the same order.
        output: What the student code printed (stdout and stderr), capped.
        seconds: Wall time of the whole submission.
        notes: Anything else worth reporting (time-outs, restarts, ...).
        isolation: What isolation was in force, or could not be applied and why.
        missing_limits: The limits that were NOT in force for this submission,
            as fields of `isolation.LIMIT_FIELDS` (empty when all were).
    """

    load_errors: list[str] = field(default_factory=list)
    calls: list[CallResult] = field(default_factory=list)
    output: str = ""
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    isolation: list[str] = field(default_factory=list)
    missing_limits: list[str] = field(default_factory=list)
