"""The untrusted side of the autograder: student code in isolated child processes.

`Sandbox.run` executes a submission's source and calls its functions in a
fresh, isolated, time- and memory-limited child process, and returns plain
data only (`SubmissionRun`). `run_call` calls a function the same way in the
current process (the grader uses it on the reference solution).
"""

from autograder.sandbox.client import ForkServerError
from autograder.sandbox.harness import AdapterError, run_call, to_plain
from autograder.sandbox.protocol import (
    STATUSES,
    Call,
    CallResult,
    Chunk,
    Function,
    SubmissionRun,
    Tensor,
    Variable,
)
from autograder.sandbox.runner import Sandbox, isolation_report

__all__ = [
    "STATUSES", "AdapterError", "Call", "CallResult", "Chunk", "ForkServerError", "Function",
    "Sandbox", "SubmissionRun", "Tensor", "Variable", "isolation_report", "run_call", "to_plain",
]
