"""``autograder check``: a student's public checks, with friendly explanations.

It runs only the public cases (small known examples and property checks), so
it needs no reference solution and works in a student's copy of the kit. The
student's code still runs in a separate, time-limited process, so an endless
loop is reported instead of hanging the terminal.
"""

from __future__ import annotations

from pathlib import Path

from autograder import feedback
from autograder.escape import terminal_text
from autograder.grade_command import open_sandbox
from autograder.grading import SubmissionGrade, grade_class
from autograder.specs import load_spec
from autograder.submissions import Submission


def format_report(grade: SubmissionGrade) -> str:
    """The student-facing report of a public check run."""
    lines = []
    if grade.problem:
        lines += [feedback.could_not_check(grade.problem), ""]
    for error in grade.load_errors:
        lines.append(feedback.load_error_short(error))
    if grade.load_errors:
        lines.append("")
    for function in grade.functions:
        lines.append(f"{feedback.pass_fail(function)}  {function.function}")
        failure = function.first_failure
        if failure is None or function.passed:
            continue
        lines.append(f"      {feedback.CASE}: {failure.case}")
        lines += [f"      {label}: {text}" for label, text in failure.details()]
    passed = sum(function.passed and bool(function.outcomes) for function in grade.functions)
    lines += ["", feedback.functions_passing(passed, len(grade.functions))]
    if passed == len(grade.functions):
        lines.append(feedback.MORE_CASES_IN_GRADING)
    if grade.output.strip():
        lines += ["", feedback.CODE_PRINTED, grade.output.rstrip()[-2000:]]
    return "\n".join(lines)


def check_command(path: Path, assignment: str, *, timeout: float) -> int:
    """Runs the public checks on `path` and prints the report.

    Returns:
        0 when every function passes its public checks, 1 otherwise.

    Raises:
        ValueError: If the assignment is unknown, or `path` is not a regular
            file (a FIFO or a device is refused, never opened).
        FileNotFoundError: If `path` does not exist.
    """
    spec = load_spec(assignment)
    path = path.resolve()  # the student's own file: a link to it is fine here
    if not path.exists():
        raise FileNotFoundError(f"{str(path)!r} does not exist.")
    if not path.is_file():
        raise ValueError(f"{str(path)!r} is not a regular file.")
    if path.suffix not in (".py", ".ipynb"):
        raise ValueError(f"{path.name} is neither a .py file nor a .ipynb notebook.")
    with open_sandbox(spec, timeout=timeout, public_only=True) as sandbox:
        [grade] = grade_class(
            [Submission(path.stem, path)], spec, sandbox, jobs=1, public_only=True
        )
    print(f"Public checks of {assignment} on {path}:\n")
    print(terminal_text(format_report(grade)))  # the student's output and messages
    return 0 if all(f.passed and f.outcomes for f in grade.functions) else 1
