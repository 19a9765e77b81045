"""``autograder grade``: grade a whole class and write its reports.

The stages are: find the submissions (`autograder.submissions`), compute the
expected outputs and run every submission isolated, several at once
(`autograder.grading`, `autograder.sandbox`), then write the gradebook, results
and feedback (`autograder.report`).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from pathlib import Path

from autograder.checks import AssignmentSpec
from autograder.class_report import write_class_report
from autograder.grading import SubmissionGrade, assignment_cases, grade_class
from autograder.layout import solutions_dir
from autograder.report import summary_table, write_reports
from autograder.sandbox import Sandbox
from autograder.specs import load_spec
from autograder.submissions import find_submissions


def submission_timeout(case_timeout: float, calls: int) -> float:
    """The time one submission may take in all: every call at its limit, plus start-up."""
    return 30.0 + case_timeout * calls


def grader_paths() -> list[Path]:
    """What student code must never read: the reference solutions, the checks, their history.

    A student's copy of the kit may have no `solutions` package; then there is
    nothing of it to hide.
    """
    import autograder

    paths = [Path(autograder.__file__).parent]
    try:
        paths.append(solutions_dir())
    except ImportError:
        pass
    for folder in {path.parent for path in paths}:
        if (folder / ".git").exists():
            paths.append(folder / ".git")
    return paths


def open_sandbox(
    spec: AssignmentSpec, *, timeout: float, hidden: Sequence[Path] = (), public_only: bool = False
) -> Sandbox:
    """The sandbox to grade `spec` in, hiding the grader's paths and `hidden`.

    Args:
        spec: The assignment's checks; their number sets the submission's time budget.
        timeout: Seconds allowed per graded call.
        hidden: More paths student code must not read (submissions, output).
        public_only: Whether only the public cases will run.
    """
    calls = len(assignment_cases(spec, public_only))
    return Sandbox(
        hidden_paths=[*grader_paths(), *hidden],
        case_timeout=timeout,
        submission_timeout=submission_timeout(timeout, calls),
    )


class ProgressBar:
    """A one-line progress bar on standard error."""

    def __init__(self, total: int, width: int = 30):
        self.total, self.width = total, width
        self.start = time.perf_counter()
        self.interactive = sys.stderr.isatty()

    def __call__(self, grade: SubmissionGrade, done: int, total: int) -> None:
        filled = int(self.width * done / max(total, 1))
        bar = "#" * filled + "." * (self.width - filled)
        elapsed = time.perf_counter() - self.start
        line = (
            f"[{bar}] {done}/{total} graded, {elapsed:.1f} s "
            f"(last: {grade.student} {grade.score:g}/{grade.max_score:g})"
        )
        if self.interactive:
            print(
                "\r" + line.ljust(100),
                end="" if done < total else "\n",
                file=sys.stderr,
                flush=True,
            )
        else:
            print(line, file=sys.stderr, flush=True)


def grade_command(
    submissions_root: Path,
    assignment: str,
    out: Path,
    *,
    jobs: int,
    timeout: float,
    csv_format: str = "columns",
) -> int:
    """Grades every submission under `submissions_root` into `out`.

    Returns:
        0 once grading completed, whatever the students scored.

    Raises:
        ValueError: For the instructor's mistakes: unknown assignment, bad
            options, an output folder inside the submissions.
        FileNotFoundError: If the submissions folder does not exist.
    """
    spec = load_spec(assignment)
    if jobs < 1:
        raise ValueError(f"--jobs must be at least 1, got {jobs}.")
    if timeout <= 0:
        raise ValueError(f"--timeout must be positive, got {timeout}.")
    submissions = find_submissions(submissions_root, assignment)
    root, out = submissions_root.resolve(), out.resolve()
    if out == root or root in out.parents:
        raise ValueError(f"--out {str(out)!r} is inside the submissions folder; choose another.")
    if not submissions:
        raise ValueError(f"No submissions found in {str(submissions_root)!r}.")
    print(
        f"Grading {len(submissions)} submission(s) of {assignment} with {jobs} worker(s)...",
        file=sys.stderr,
    )
    with open_sandbox(spec, timeout=timeout, hidden=[root, out]) as sandbox:
        grades = grade_class(
            submissions, spec, sandbox, jobs=jobs, on_done=ProgressBar(len(submissions))
        )
    write_reports(grades, spec, out, csv_format)
    class_report = write_class_report(grades, spec, out)
    print(summary_table(grades, spec))
    mean = sum(grade.score for grade in grades) / len(grades)
    print(
        f"\n{len(grades)} graded, mean {mean:.2f} / {spec.max_score:g}. "
        f"Gradebook: {out / 'grades.csv'}"
    )
    print(f"Where the class struggled: {class_report}")
    isolation = next((grade.isolation for grade in grades if grade.isolation), [])
    if isolation:
        print("Isolation of the student code:")
        print("\n".join(f"  - {line}" for line in isolation))
    return 0
