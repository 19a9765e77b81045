"""Checks that run inside a notebook's kernel, on the function the student just wrote.

A student notebook (`assignments/NAME.ipynb`) has, below each graded function,
a check cell::

    from autograder.notebook import check

    check("linear_regression", "linreg", linreg)

`check` runs the function's public cases in the kernel and prints PASS, or the
first failing case with its inputs, the expected and the actual output, what
is wrong and a hint. It never raises, so "Run All" goes on to the next cell.
Check cells carry the `autograder.cell_tags.CHECK_CELL_TAG` tag, and `autograder check`/`grade`
leave them out when they read a notebook (the graded code runs in a sandbox
where `autograder` cannot be imported).

The nbgrader version of an assignment (see `autograder.generate.nbgrader_course`) uses
`assert_passes` instead, which raises `AssertionError` with the same report,
so that nbgrader gives the test cell's points only when every case passes. It
runs the public cases in a student's kernel and every case while ``nbgrader
autograde`` runs the notebook.

Unlike grading, these checks run the student's code in the kernel itself, with
no time limit: an endless loop has to be interrupted from the notebook.
"""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
from collections.abc import Callable

from autograder import feedback
from autograder.escape import terminal_text


def check(assignment: str, function: str, implementation: Callable) -> None:
    """Runs `function`'s public checks on `implementation` and prints a report.

    Never raises: problems, including a mistyped assignment or function name,
    are printed.

    Args:
        assignment: The assignment's name, e.g. "linear_regression".
        function: The graded function's name, e.g. "linreg".
        implementation: The student's function.
    """
    try:
        grade = run_checks(assignment, function, implementation)
    except Exception as error:  # noqa: BLE001 - a check cell must not stop "Run All"
        print(f"ERROR  the checks of {function} could not run: {type(error).__name__}: {error}")
        return
    print(terminal_text(format_function_report(grade)))


AUTOGRADE_VARIABLE = "NBGRADER_EXECUTION"
"""nbgrader sets it to "autograde" in the kernel while ``nbgrader autograde`` runs."""


def autograding() -> bool:
    """Whether this kernel runs under ``nbgrader autograde``."""
    return os.environ.get(AUTOGRADE_VARIABLE) == "autograde"


def assert_passes(
    assignment: str,
    function: str,
    implementation: Callable,
    *,
    public_only: bool | None = None,
) -> None:
    """Raises `AssertionError` with the report unless every case passes.

    For nbgrader's autograded test cells. Anything written to stderr while the
    cases run (warnings, the student's own messages, TensorFlow's C++ logs) goes
    to stdout instead, because nbgrader gives no points to a test cell that
    writes to stderr.

    Args:
        assignment: The assignment's name.
        function: The graded function's name.
        implementation: The student's function.
        public_only: Only the public cases; False runs every case, the hidden
            ones compared with the reference solution (the instructor's kernel).
            None (the default): every case under ``nbgrader autograde``
            (`autograding`), the public ones otherwise.

    Raises:
        AssertionError: If a case fails, with the first failure explained.
    """
    if public_only is None:
        public_only = not autograding()
    with _stderr_to_stdout(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        grade = run_checks(assignment, function, implementation, public_only=public_only)
    report = terminal_text(format_function_report(grade, public=public_only))
    if not (grade.passed and grade.outcomes):
        raise AssertionError("\n" + report)
    print(report)


@contextlib.contextmanager
def _stderr_to_stdout():
    """Sends Python's and the process's (file descriptor 2) stderr to stdout."""
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        saved = os.dup(2)
        os.dup2(1, 2)
    except OSError:
        saved = None  # no file descriptors to redirect here
    try:
        with contextlib.redirect_stderr(sys.stdout):
            yield
    finally:
        sys.stderr.flush()
        if saved is not None:
            os.dup2(saved, 2)
            os.close(saved)


def run_checks(
    assignment: str, function: str, implementation: Callable, *, public_only: bool = True
):
    """The `autograder.grading.FunctionGrade` of `implementation`, checked in this process.

    Raises:
        ValueError: If the assignment has no checks or `function` is not graded.
        TypeError: If `implementation` is not callable.
    """
    from autograder.grading import check_function_in_process
    from autograder.specs import load_spec

    if not callable(implementation):
        raise TypeError(
            f"{function} should be a function, got {type(implementation).__name__}; "
            "run the cell that defines it first."
        )
    spec = load_spec(assignment)
    return check_function_in_process(spec, function, implementation, public_only=public_only)


def format_function_report(grade, *, public: bool = True) -> str:
    """The report of one function's checks, in the style of ``autograder check``.

    Args:
        grade: A `autograder.grading.FunctionGrade`.
        public: Whether only the public cases ran (changes the wording).

    Returns:
        "PASS  name …" with the number of cases, or "FAIL  name" and the first
        failing case's inputs, expected and actual output, problem and hint.
    """
    lines = [feedback.check_line(grade, public=public)]
    if grade.passed and grade.outcomes:
        if public:
            lines.append(f"      {feedback.MORE_CASES_IN_GRADING}")
        return "\n".join(lines)
    failure = grade.first_failure
    if failure is None:
        lines.append(f"      {feedback.no_cases(grade.function, public)}")
        return "\n".join(lines)
    lines.append(f"      {feedback.CASE}: {failure.case}")
    lines += [f"      {label}: {text}" for label, text in failure.details()]
    return "\n".join(lines)
