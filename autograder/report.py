"""Stage 4 of grading: the gradebook, per-student results and feedback.

For a class graded into ``OUT``:

* ``OUT/grades.csv``: ``student,score,max_score``, one column per graded
  function (the points earned) and ``missing_limits``: the kernel limits that
  were NOT in force while the student's code ran (`LIMIT_FIELDS` names joined
  by ``;``, empty when all were, or when the code never ran);
* ``OUT/FOLDER/results.json``: Gradescope's results format; ``extra_data``
  holds the exact student name, the problem's code and ``missing_limits`` (a list);
* ``OUT/FOLDER/feedback.md``: what passed, the first failing case of each
  function (inputs, expected versus got) and a hint.

``FOLDER`` is the student's name when it is a plain file name, and a unique
cleaned form otherwise (`autograder.output_folder`); ``grades.csv`` and
``results.json`` keep the exact name. Everything from a student is escaped for
where it goes (`autograder.escape`): Markdown in ``feedback.md``, formulas in
``grades.csv``, control characters in the terminal. Each student's files are
written, atomically, as soon as the student is graded.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path

from autograder import feedback
from autograder.checks import AssignmentSpec
from autograder.escape import csv_text, markdown_code, markdown_text, terminal_text
from autograder.grading import FunctionGrade, SubmissionGrade
from autograder.output_folder import remove_leftovers, student_folders, write_atomic
from autograder.sandbox.isolation import LIMIT_FIELDS

OUTPUT_IN_RESULTS = 4_000
MISSING_LIMITS_COLUMN = "missing_limits"
LIST_SEPARATOR = ";"
"""Joins the names of a list in one CSV cell."""


def _points(value: float) -> str:
    return f"{value:g}"


def _csv(rows: list[list]) -> str:
    handle = io.StringIO()
    csv.writer(handle).writerows(rows)
    return handle.getvalue()


def grades_csv(grades: Sequence[SubmissionGrade], spec: AssignmentSpec) -> str:
    """The gradebook: one row per student, one column per function, the missing limits.

    The student cell is escaped with `csv_text`; the scores are numbers; the
    last cell names the kernel limits that were not in force for the student
    (`SubmissionGrade.missing_limits`, joined by `LIST_SEPARATOR`).
    """
    functions = [check.function for check in spec.checks]
    rows = [["student", "score", "max_score", *functions, MISSING_LIMITS_COLUMN]]
    for grade in grades:
        by_function = {function.function: function.score for function in grade.functions}
        rows.append(
            [
                csv_text(grade.student),
                _points(grade.score),
                _points(grade.max_score),
                *(_points(by_function.get(function, 0.0)) for function in functions),
                csv_text(LIST_SEPARATOR.join(grade.missing_limits)),
            ]
        )
    return _csv(rows)


NBGRADER_COLUMNS = [
    "assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email",
    "raw_score", "late_submission_penalty", "score", "max_score",
]
"""The columns of ``nbgrader export``'s CSV, in its order."""


def nbgrader_csv(grades: Sequence[SubmissionGrade], spec: AssignmentSpec) -> str:
    """The gradebook with the columns of ``nbgrader export``, and nothing else.

    The missing limits are in each student's ``results.json``.
    """
    rows = [NBGRADER_COLUMNS]
    for grade in grades:
        rows.append([
            spec.name, "", csv_text(grade.timestamp), csv_text(grade.student), "", "", "",
            float(grade.score), 0.0, float(grade.score), float(grade.max_score),
        ])
    return _csv(rows)


def _function_output(function: FunctionGrade) -> str:
    lines = [feedback.cases_passed(function)]
    failure = function.first_failure
    if failure is not None:
        lines.append(f"{feedback.FIRST_FAILING_CASE}: {failure.case}")
        lines += [f"  {label}: {text}" for label, text in failure.details()]
    return "\n".join(lines)


def results_json(grade: SubmissionGrade) -> dict:
    """The grade in Gradescope's results format."""
    output = []
    if grade.problem:
        output.append(feedback.score_zero(grade.problem))
    output.extend(feedback.load_error(error) for error in grade.load_errors)
    output.extend(grade.notes)
    if grade.output:
        output.append(feedback.OUTPUT_OF_CODE + "\n" + grade.output[:OUTPUT_IN_RESULTS])
    return {
        "score": grade.score,
        "max_score": grade.max_score,
        "execution_time": round(grade.seconds, 3),
        "output": "\n".join(output),
        "extra_data": {
            "student": grade.student,
            "problem": grade.problem_reason,
            MISSING_LIMITS_COLUMN: list(grade.missing_limits),
        },
        "tests": [
            {
                "name": function.function,
                "score": function.score,
                "max_score": function.points,
                "status": feedback.mark(function),
                "output": _function_output(function),
                "visibility": "visible",
            }
            for function in grade.functions
        ],
    }


def feedback_markdown(grade: SubmissionGrade, assignment: str) -> str:
    """Feedback for the student, as Markdown.

    Everything from the student (name, messages, descriptions of returned
    values) is escaped so that it reads literally; hints are the grader's own.
    """
    lines = [f"# {feedback.feedback_title(assignment, markdown_text(grade.student))}", ""]
    lines.append(f"**{feedback.score_line(grade.score, grade.max_score)}**")
    lines.append("")
    if grade.problem:
        lines += [feedback.could_not_grade(markdown_text(grade.problem)), ""]
    if grade.load_errors:
        lines += [feedback.LOAD_ERRORS_INTRO, ""]
        lines += [f"- {markdown_code(error)}" for error in grade.load_errors]
        lines.append("")
    for note in grade.notes:
        lines += [feedback.note(markdown_text(note)), ""]
    for function in grade.functions:
        heading = feedback.function_heading(function)
        name, rest = heading[: len(function.function)], heading[len(function.function):]
        lines += [f"## `{name}`{rest}", "", feedback.cases_passed(function)]
        failure = function.first_failure
        if failure is not None:
            case = markdown_text(failure.case)
            lines += ["", f"{feedback.FIRST_FAILING_CASE}: **{case}**", ""]
            lines += [f"- {label}: {_markdown_detail(label, text)}"
                      for label, text in failure.details() if label != "hint"]
            if failure.hint:
                lines += ["", f"> {feedback.HINT}: {failure.hint}"]
        lines.append("")
    return "\n".join(lines)


def _markdown_detail(label: str, text: str) -> str:
    """A failing case's detail: values as code, the problem as escaped text."""
    return markdown_text(text) if label == "problem" else markdown_code(text)


CSV_FORMATS = ("columns", "nbgrader")
"""``columns``: a column per graded function; ``nbgrader``: ``nbgrader export``'s columns."""


def gradebook(
    grades: Sequence[SubmissionGrade], spec: AssignmentSpec, csv_format: str = "columns"
) -> str:
    """The text of ``grades.csv``, rows sorted by the exact student name.

    Raises:
        ValueError: If `csv_format` is not one of `CSV_FORMATS`.
    """
    if csv_format not in CSV_FORMATS:
        raise ValueError(f"Unknown format {csv_format!r}; use one of {', '.join(CSV_FORMATS)}.")
    ordered = sorted(grades, key=lambda grade: grade.student)
    return (nbgrader_csv if csv_format == "nbgrader" else grades_csv)(ordered, spec)


def write_student_reports(grade: SubmissionGrade, spec: AssignmentSpec, folder: Path) -> None:
    """Writes one student's ``results.json`` and ``feedback.md`` into `folder`, atomically."""
    folder.mkdir(parents=True, exist_ok=True)
    remove_leftovers(folder)
    write_atomic(folder / "results.json", json.dumps(results_json(grade), indent=2) + "\n")
    write_atomic(folder / "feedback.md", feedback_markdown(grade, spec.name))


def write_reports(
    grades: Sequence[SubmissionGrade], spec: AssignmentSpec, out: Path, csv_format: str = "columns"
) -> None:
    """Writes the gradebook and every student's results and feedback under `out`.

    Raises:
        ValueError: If `csv_format` is not one of `CSV_FORMATS`.
    """
    text = gradebook(grades, spec, csv_format)
    out.mkdir(parents=True, exist_ok=True)
    folders = student_folders(grade.student for grade in grades)
    for grade in grades:
        write_student_reports(grade, spec, out / folders[grade.student])
    write_atomic(out / "grades.csv", text)


def missing_limit_counts(grades: Sequence[SubmissionGrade]) -> dict[str, int]:
    """How many students' code ran without each kernel limit, in `LIMIT_FIELDS` order.

    Limits in force for every student are left out.
    """
    counts = {name: 0 for name in LIMIT_FIELDS}
    for grade in grades:
        for name in grade.missing_limits:
            counts[name] = counts.get(name, 0) + 1
    return {name: count for name, count in counts.items() if count}


def ran_count(grades: Sequence[SubmissionGrade]) -> int:
    """How many students' code ran in the sandbox (the others had a `problem`: refused, empty)."""
    return sum(grade.problem is None for grade in grades)


def summary_table(grades: Sequence[SubmissionGrade], spec: AssignmentSpec) -> str:
    """A plain-text table of the class: scores per function and the reason for zeros.

    Names and notes have their control characters shown as escapes (the
    table goes to the instructor's terminal).
    """
    functions = [check.function for check in spec.checks]
    header = ["student", "score", *functions, "note"]
    rows = []
    for grade in grades:
        by_function = {function.function: function.score for function in grade.functions}
        note = feedback.summary_note(grade)
        rows.append(
            [
                terminal_text(grade.student, single_line=True),
                f"{_points(grade.score)}/{_points(grade.max_score)}",
                *(_points(by_function.get(function, 0.0)) for function in functions),
                terminal_text(note[:60], single_line=True),
            ]
        )
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in [header, *rows]
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)
