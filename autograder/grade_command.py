"""``autograder grade``: grade a whole class and write its reports.

The stages are: find the submissions (`autograder.submissions`), compute the
expected outputs and run every submission isolated, several at once
(`autograder.grading`, `autograder.sandbox`), then write the gradebook, results
and feedback (`autograder.report`).

Nothing is lost when a run is killed: each student's reports are written as
soon as the student is graded, and a run started again into the same output
folder keeps every grade whose submission and settings are unchanged
(`autograder.output_folder`), grading only the others (``--regrade`` grades
everyone again). The gradebook is the same as an uninterrupted run's.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from pathlib import Path

from autograder import feedback
from autograder.assignment_guess import guess_wrong_assignment
from autograder.checks import AssignmentSpec
from autograder.class_report import write_class_report
from autograder.escape import terminal_text
from autograder.grading import SubmissionGrade, assignment_cases, grade_class
from autograder.layout import solutions_dir
from autograder.output_folder import (
    load_grade,
    remove_leftovers,
    save_grade,
    student_folders,
    write_atomic,
)
from autograder.report import (
    CSV_FORMATS,
    gradebook,
    missing_limit_counts,
    ran_count,
    summary_table,
    write_student_reports,
)
from autograder.sandbox import Sandbox
from autograder.sandbox.limits import Limits
from autograder.specs import load_spec
from autograder.submissions import Submission, find_submissions, submission_fingerprint


def submission_timeout(case_timeout: float, calls: int | Sequence[float | None]) -> float:
    """The time one submission may take in all: every call at its limit, plus start-up.

    Args:
        case_timeout: The limit of a call that sets none.
        calls: The calls' own limits (None: `case_timeout`), or how many calls.
    """
    if isinstance(calls, int):
        calls = [None] * calls
    return 30.0 + sum(case_timeout if limit is None else limit for limit in calls)


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
    limits = [check.timeout for check, _ in assignment_cases(spec, public_only)]
    return Sandbox(
        hidden_paths=[*grader_paths(), *hidden],
        limits=Limits(case_timeout=timeout, submission_timeout=submission_timeout(timeout, limits)),
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
            f"(last: {terminal_text(grade.student, single_line=True)} "
            f"{grade.score:g}/{grade.max_score:g})"
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
    regrade: bool = False,
) -> int:
    """Grades every submission under `submissions_root` into `out`.

    Students already graded into `out` by an earlier (perhaps killed) run, with
    the same submission and settings, keep their grade unless `regrade`.

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
    if csv_format not in CSV_FORMATS:
        raise ValueError(f"Unknown format {csv_format!r}; use one of {', '.join(CSV_FORMATS)}.")
    submissions = find_submissions(submissions_root, assignment)
    root, out = submissions_root.resolve(), out.resolve()
    if out == root or root in out.parents:
        raise ValueError(f"--out {str(out)!r} is inside the submissions folder; choose another.")
    if not submissions:
        raise ValueError(f"No submissions found in {str(submissions_root)!r}.")
    out.mkdir(parents=True, exist_ok=True)
    folders = student_folders(submission.student for submission in submissions)
    fingerprints = {
        submission.student: grading_fingerprint(submission, spec, timeout)
        for submission in submissions
    }
    kept: dict[str, SubmissionGrade] = {}
    if not regrade:
        for submission in submissions:
            student = submission.student
            grade = load_grade(out / folders[student], student, fingerprints[student])
            if grade is not None:
                kept[student] = grade
    todo = [submission for submission in submissions if submission.student not in kept]
    print(
        f"Grading {len(todo)} submission(s) of {assignment} with {jobs} worker(s)"
        + (f"; {len(kept)} already graded in {out} are kept (--regrade grades them again)"
           if kept else "") + "...",
        file=sys.stderr,
    )
    progress = ProgressBar(len(todo))

    def on_done(grade: SubmissionGrade, done: int, total: int) -> None:
        folder = out / folders[grade.student]
        write_student_reports(grade, spec, folder)
        save_grade(folder, grade, fingerprints[grade.student])  # last: marks it complete
        progress(grade, done, total)

    graded: dict[str, SubmissionGrade] = dict(kept)
    if todo:
        with open_sandbox(spec, timeout=timeout, hidden=[root, out]) as sandbox:
            for grade in grade_class(todo, spec, sandbox, jobs=jobs, on_done=on_done):
                graded[grade.student] = grade
    grades = [graded[submission.student] for submission in submissions]
    guess = guess_wrong_assignment(grades, submissions, spec)
    if guess is not None:
        print(feedback.wrong_assignment_warning(guess, assignment), file=sys.stderr)
        for grade in grades:
            if grade.student in guess.lacking and not any(
                note == feedback.wrong_assignment_note(guess, assignment) for note in grade.notes
            ):
                grade.notes.append(feedback.wrong_assignment_note(guess, assignment))
                folder = out / folders[grade.student]
                write_student_reports(grade, spec, folder)
                save_grade(folder, grade, fingerprints[grade.student])
    remove_leftovers(out)
    write_atomic(out / "grades.csv", gradebook(grades, spec, csv_format))
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
    print(feedback.missing_limits_summary(missing_limit_counts(grades), ran_count(grades),
                                          csv_column=csv_format == "columns"))
    return 0


def grading_fingerprint(submission: Submission, spec: AssignmentSpec, timeout: float) -> dict:
    """What a kept grade must have been computed from: the same file and settings."""
    return {
        "assignment": spec.name,
        "max_score": spec.max_score,
        "timeout": timeout,
        "submission": submission_fingerprint(submission),
        "timestamp": submission.timestamp,
    }
