"""Stage 4 of grading: the gradebook, per-student results and feedback.

For a class graded into ``OUT``:

* ``OUT/grades.csv``: ``student,score,max_score`` and one column per graded
  function (the points earned);
* ``OUT/STUDENT/results.json``: Gradescope's results format;
* ``OUT/STUDENT/feedback.md``: what passed, the first failing case of each
  function (inputs, expected versus got) and a hint.

Student names become folder names, so they are made safe first.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Sequence
from pathlib import Path

from autograder.checks import AssignmentSpec
from autograder.grading import FunctionGrade, SubmissionGrade

OUTPUT_IN_RESULTS = 4_000


def safe_name(student: str) -> str:
    """A folder name for `student`: letters, digits, ``.``, ``-`` and ``_`` only."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", student).strip("._") or "student"
    return name[:100]


def _points(value: float) -> str:
    return f"{value:g}"


def write_grades_csv(grades: Sequence[SubmissionGrade], spec: AssignmentSpec, path: Path) -> None:
    """Writes the gradebook: one row per student, one column per function."""
    functions = [check.function for check in spec.checks]
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "score", "max_score", *functions])
        for grade in grades:
            by_function = {function.function: function.score for function in grade.functions}
            writer.writerow(
                [
                    grade.student,
                    _points(grade.score),
                    _points(grade.max_score),
                    *(_points(by_function.get(function, 0.0)) for function in functions),
                ]
            )


NBGRADER_COLUMNS = [
    "assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email",
    "raw_score", "late_submission_penalty", "score", "max_score",
]
"""The columns of ``nbgrader export``'s CSV, in its order."""


def _submission_timestamp(grade: SubmissionGrade) -> str:
    """nbgrader's ``timestamp.txt`` beside a collected notebook, if there is one."""
    if not grade.source:
        return ""
    stamp = Path(grade.source).parent / "timestamp.txt"
    try:
        return stamp.read_text().strip()[:64] if stamp.is_file() else ""
    except OSError:
        return ""


def write_nbgrader_csv(grades: Sequence[SubmissionGrade], spec: AssignmentSpec, path: Path) -> None:
    """Writes the gradebook with the columns of ``nbgrader export``."""
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(NBGRADER_COLUMNS)
        for grade in grades:
            writer.writerow([
                spec.name, "", _submission_timestamp(grade), grade.student, "", "", "",
                float(grade.score), 0.0, float(grade.score), float(grade.max_score),
            ])


def _function_output(function: FunctionGrade) -> str:
    passed = sum(outcome.passed for outcome in function.outcomes)
    lines = [f"{passed} of {len(function.outcomes)} cases passed."]
    failure = function.first_failure
    if failure is not None:
        lines.append(f"First failing case: {failure.case}")
        lines += [f"  {label}: {text}" for label, text in failure.details()]
    return "\n".join(lines)


def results_json(grade: SubmissionGrade) -> dict:
    """The grade in Gradescope's results format."""
    output = []
    if grade.problem:
        output.append(f"Score 0: {grade.problem}")
    output.extend(f"Code that failed to run: {error}" for error in grade.load_errors)
    output.extend(grade.notes)
    if grade.output:
        output.append("Output of your code:\n" + grade.output[:OUTPUT_IN_RESULTS])
    return {
        "score": grade.score,
        "max_score": grade.max_score,
        "execution_time": round(grade.seconds, 3),
        "output": "\n".join(output),
        "tests": [
            {
                "name": function.function,
                "score": function.score,
                "max_score": function.points,
                "status": "passed" if function.passed and function.outcomes else "failed",
                "output": _function_output(function),
                "visibility": "visible",
            }
            for function in grade.functions
        ],
    }


def feedback_markdown(grade: SubmissionGrade, assignment: str) -> str:
    """Feedback for the student, as Markdown."""
    lines = [f"# {assignment}: feedback for {grade.student}", ""]
    lines.append(f"**Score: {_points(grade.score)} / {_points(grade.max_score)}**")
    lines.append("")
    if grade.problem:
        lines += [f"Your submission could not be graded: {grade.problem}", ""]
    if grade.load_errors:
        lines += ["Parts of your code failed when they were run (the rest was still graded):", ""]
        lines += [f"- `{error}`" for error in grade.load_errors]
        lines.append("")
    for note in grade.notes:
        lines += [f"Note: {note}", ""]
    for function in grade.functions:
        mark = "passed" if function.passed and function.outcomes else "failed"
        lines.append(
            f"## `{function.function}`: {mark} ({_points(function.score)} / "
            f"{_points(function.points)})"
        )
        lines.append("")
        passed = sum(outcome.passed for outcome in function.outcomes)
        lines.append(f"{passed} of {len(function.outcomes)} cases passed.")
        failure = function.first_failure
        if failure is not None:
            lines += ["", f"First failing case: **{failure.case}**", ""]
            lines += [f"- {label}: {text}" for label, text in failure.details() if label != "hint"]
            if failure.hint:
                lines += ["", f"> Hint: {failure.hint}"]
        lines.append("")
    return "\n".join(lines)


CSV_FORMATS = ("columns", "nbgrader")
"""``columns``: a column per graded function; ``nbgrader``: ``nbgrader export``'s columns."""


def write_reports(
    grades: Sequence[SubmissionGrade], spec: AssignmentSpec, out: Path, csv_format: str = "columns"
) -> None:
    """Writes the gradebook and every student's results and feedback under `out`.

    Raises:
        ValueError: If `csv_format` is not one of `CSV_FORMATS`.
    """
    if csv_format not in CSV_FORMATS:
        raise ValueError(f"Unknown format {csv_format!r}; use one of {', '.join(CSV_FORMATS)}.")
    out.mkdir(parents=True, exist_ok=True)
    writer = write_nbgrader_csv if csv_format == "nbgrader" else write_grades_csv
    writer(grades, spec, out / "grades.csv")
    for grade in grades:
        folder = out / safe_name(grade.student)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "results.json").write_text(json.dumps(results_json(grade), indent=2) + "\n")
        (folder / "feedback.md").write_text(feedback_markdown(grade, spec.name))


def summary_table(grades: Sequence[SubmissionGrade], spec: AssignmentSpec) -> str:
    """A plain-text table of the class: scores per function and the reason for zeros."""
    functions = [check.function for check in spec.checks]
    header = ["student", "score", *functions, "note"]
    rows = []
    for grade in grades:
        by_function = {function.function: function.score for function in grade.functions}
        note = grade.problem or (grade.load_errors[0] if grade.load_errors else "")
        if not note:
            failed = [f.first_failure.message for f in grade.functions if f.first_failure]
            timeouts = [m for m in failed if "did not finish" in m or "crashed" in m]
            if timeouts:
                note = timeouts[0]
            elif failed and grade.score == 0:  # say why a zero is a zero
                note = failed[0]
        rows.append(
            [
                grade.student,
                f"{_points(grade.score)}/{_points(grade.max_score)}",
                *(_points(by_function.get(function, 0.0)) for function in functions),
                note[:60],
            ]
        )
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in [header, *rows]
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)
