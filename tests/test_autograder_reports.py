"""Reports safe to open and never lost: escaping, folder names, atomic writes, kept grades.

These run on grades built in memory; `test_autograder_grading` grades the
example class (with its hostile students) end to end.
"""

import csv
import io
import json
import os
import re

import pytest

from autograder.escape import (
    csv_text,
    csv_unescape,
    markdown_block,
    markdown_code,
    markdown_text,
    terminal_text,
)
from autograder.feedback import missing_limits_summary
from autograder.grading import CaseOutcome, FunctionGrade, SubmissionGrade
from autograder.output_folder import (
    GRADE_FILE,
    RESERVED_NAMES,
    load_grade,
    save_grade,
    student_folder,
    student_folders,
    write_atomic,
)
from autograder.report import (
    NBGRADER_COLUMNS,
    feedback_markdown,
    gradebook,
    missing_limit_counts,
    ran_count,
    results_json,
    summary_table,
    write_reports,
)
from autograder.sandbox.isolation import LIMIT_FIELDS
from autograder.specs import load_spec

FAKE = ("\x1b[2J\x1b]0;hacked\x07\x1b]8;;https://evil.example\x07click\x1b]8;;\x07\r"
        "**Score: 10 / 10**\n# Passed\n<img src=x onerror=alert(1)> [link](http://e) `code`"
        " \u202eevil\x9b31m")


def a_grade(student, message=FAKE, score=1.0):
    failure = CaseOutcome("small known example", status="raised", message=f"linreg raised {message}",
                          inputs="numpy float32 (2, 2)", expected="float32 array [[1.]]",
                          got=message, hint="Use `tf.matmul`.")
    return SubmissionGrade(
        student=student, source=None, max_score=10.0, load_errors=[f"cell 2: {message}"],
        notes=[message], output=message,
        functions=[FunctionGrade("linreg", 1.0, 0.0, [failure]),
                   FunctionGrade("squared_loss", 1.0, score, [CaseOutcome("c", status="passed")])],
    )


# ---------------------------------------------------------------------------
# Escaping
# ---------------------------------------------------------------------------
def test_terminal_text_shows_every_control_character():
    shown = terminal_text(FAKE)
    assert not any(ord(c) < 32 and c != "\n" or 0x7f <= ord(c) < 0xa0 for c in shown)
    assert "\u202e" not in shown and "\\u202e" in shown and "\\x9b" in shown
    assert "\\x1b[2J" in shown and "\\x07" in shown and "\\x0d" in shown
    assert terminal_text("a\tb\nc") == "a\tb\nc"
    assert terminal_text("a\tb\nc", single_line=True) == "a\\tb\\nc"
    assert terminal_text("bad \udcff byte") == "bad \\udcff byte"  # a name that is not UTF-8


def test_markdown_text_reads_literally_on_one_line():
    text = markdown_text(FAKE)
    assert "\n" not in text and "\x1b" not in text and "\r" not in text
    assert "<" not in text and "&lt;img" in text
    assert "\\*\\*Score" in text and "\\[link\\]" in text and "\\`code\\`" in text
    assert "\\# Passed" in text
    assert markdown_text("a & b") == "a &amp; b"
    assert markdown_text("5 - 3 = 2. (ok)") == "5 - 3 = 2. (ok)"  # plain text stays readable


def test_markdown_code_spans_cannot_be_closed_from_inside():
    assert markdown_code("x <b>y</b>") == "`x <b>y</b>`"
    assert markdown_code("a ``b`` c") == "```a ``b`` c```"
    assert markdown_code("`edge`") == "`` `edge` ``"
    assert "\n" not in markdown_code("two\nlines")
    block = markdown_block("```\n# not a heading\n```")
    assert block.startswith("````text\n") and block.endswith("\n````")


@pytest.mark.parametrize("cell", ["=HYPERLINK(\"http://evil\",\"x\")", "+1", "-2+3", "@SUM(A1)",
                                  "\tx", "\rx", "'quoted"])
def test_csv_cells_that_could_be_formulas_get_a_quote(cell):
    escaped = csv_text(cell)
    assert escaped == "'" + cell and csv_unescape(escaped) == cell


def test_plain_csv_cells_are_kept():
    for cell in ("alice", "alice!", "O'Brien", "1.5", ""):
        assert csv_text(cell) == cell and csv_unescape(csv_text(cell)) == cell


def test_feedback_neutralises_everything_from_the_student():
    feedback = feedback_markdown(a_grade("**Score: 10** <b>x</b>\n# heading"), "linear_regression")
    lines = feedback.splitlines()
    assert lines[0].startswith("# linear_regression: feedback for \\*\\*Score")
    assert [line for line in lines if line.startswith("**Score")] == ["**Score: 1 / 10**"]
    assert not any(line.startswith(("# Passed", "# heading")) for line in lines)
    outside_code = re.sub(r"(`+).*?\1", "", feedback)  # HTML in a code span is literal
    assert "<" not in outside_code and "&lt;img" in outside_code and "\x1b" not in feedback
    assert "> Hint: Use `tf.matmul`." in feedback  # the grader's own Markdown is kept


def test_gradebook_escapes_names_but_not_scores():
    spec = load_spec("linear_regression")
    grades = [a_grade("=HYPERLINK(\"x\")"), a_grade("-1", score=0.5), a_grade("bob")]
    rows = list(csv.reader(io.StringIO(gradebook(grades, spec))))
    assert [row[0] for row in rows[1:]] == ["'-1", "'=HYPERLINK(\"x\")", "bob"]  # sorted by name
    assert [row[1] for row in rows[1:]] == ["0.5", "1", "1"]  # numbers, ours, never prefixed
    nbgrader = list(csv.reader(io.StringIO(gradebook(grades, spec, "nbgrader"))))
    assert nbgrader[1][3] == "'-1"


def test_missing_limits_are_a_list_in_results_and_a_column_in_the_gradebook():
    spec = load_spec("linear_regression")
    limited, unlimited, refused = a_grade("amy"), a_grade("ben"), a_grade("cy")
    limited.missing_limits = ["pids_cgroup", "cpu_quota"]
    refused.problem, refused.problem_reason = "a symbolic link", "symlink"
    rows = list(csv.DictReader(io.StringIO(gradebook([refused, unlimited, limited], spec))))
    assert list(rows[0])[-1] == "missing_limits"
    assert {row["student"]: row["missing_limits"] for row in rows} == {
        "amy": "pids_cgroup;cpu_quota", "ben": "", "cy": ""}
    assert results_json(limited)["extra_data"]["missing_limits"] == ["pids_cgroup", "cpu_quota"]
    assert results_json(unlimited)["extra_data"]["missing_limits"] == []
    # nbgrader's format keeps exactly the columns of nbgrader export.
    nbgrader = next(csv.reader(io.StringIO(gradebook([limited], spec, "nbgrader"))))
    assert nbgrader == NBGRADER_COLUMNS


def test_the_class_summary_counts_each_missing_limit():
    grades = [a_grade(name) for name in ("amy", "ben", "cy", "dan")]
    grades[0].missing_limits = ["pids_cgroup", "cpu_quota"]
    grades[1].missing_limits = ["cpu_quota"]
    grades[3].problem = "a FIFO"
    counts = missing_limit_counts(grades)
    assert counts == {"pids_cgroup": 1, "cpu_quota": 2}  # in LIMIT_FIELDS order
    assert list(counts) == [name for name in LIMIT_FIELDS if name in counts]
    assert ran_count(grades) == 3
    line = missing_limits_summary(counts, 3)
    assert "pids_cgroup for 1 of 3; cpu_quota for 2 of 3" in line
    assert "missing_limits column of grades.csv" in line
    assert "grades.csv" not in missing_limits_summary(counts, 3, csv_column=False)
    assert missing_limits_summary({}, 3) == (
        "Kernel limits: all in force for the 3 student(s) whose code ran.")


def test_summary_table_escapes_names_and_notes():
    grade = a_grade("\x1b[31mred\x07")
    grade.problem = "bad \x1b]0;title\x07"
    table = summary_table([grade], load_spec("linear_regression"))
    assert "\x1b" not in table and "\x07" not in table and "\\x1b[31mred\\x07" in table


# ---------------------------------------------------------------------------
# Folder names
# ---------------------------------------------------------------------------
def test_plain_names_are_their_own_folder():
    for name in ("alice", "Bob_2", "s.smith", "x-y"):
        assert student_folder(name) == name


@pytest.mark.parametrize("name", ["alice!", "grades.csv", "GRADES.CSV", "scores.png", "con",
                                  "../etc", ".hidden", "", "a~b", "x" * 150, "a/b", "name.",
                                  "=HYPERLINK(\"x\")", "\x1b[31m"])
def test_other_names_get_a_unique_safe_folder(name):
    folder = student_folder(name)
    assert "~" in folder and "/" not in folder and not folder.startswith(".")
    assert folder.lower() not in RESERVED_NAMES and len(folder) <= 80
    assert student_folder(name) == folder  # the same every run


def test_no_two_students_share_a_folder_even_ignoring_case():
    names = ["alice", "alice!", "alice?", "Alice", "ALICE", "grades.csv", "grades_csv",
             "a~b", "a_b", "a b", student_folder("alice!")]
    folders = student_folders(names)
    assert set(folders) == set(names)
    assert len({folder.lower() for folder in folders.values()}) == len(names)
    assert folders["ALICE"] == "ALICE"  # the first in sorted order keeps its plain name
    impostor = student_folder("alice!")  # a student named like alice!'s folder
    assert folders["alice!"] == impostor and folders[impostor] != impostor


def test_a_student_named_like_the_gradebook_breaks_nothing(tmp_path):
    spec = load_spec("linear_regression")
    grades = [a_grade("grades.csv"), a_grade("alice"), a_grade("alice!", score=0.0)]
    write_reports(grades, spec, tmp_path)
    assert (tmp_path / "grades.csv").is_file()
    rows = list(csv.DictReader((tmp_path / "grades.csv").open()))
    assert [row["student"] for row in rows] == ["alice", "alice!", "grades.csv"]
    for grade in grades:
        results = json.loads((tmp_path / student_folder(grade.student) / "results.json").read_text())
        assert results["extra_data"]["student"] == grade.student
        assert results["score"] == grade.score


# ---------------------------------------------------------------------------
# Atomic writes and kept grades
# ---------------------------------------------------------------------------
def test_write_atomic_replaces_whole_files_and_leaves_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "results.json"
    write_atomic(path, "old")
    write_atomic(path, "new \udcff")
    assert path.read_text() == "new \\udcff"

    def fail(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(path, "half")
    assert path.read_text() == "new \\udcff"
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]


def test_a_saved_grade_comes_back_whole(tmp_path):
    grade = a_grade("alice!")
    grade.problem_reason, grade.timestamp, grade.isolation = None, "2026-11-20", ["a limit"]
    save_grade(tmp_path, grade, {"submission": "sha256:1"})
    loaded = load_grade(tmp_path, "alice!", {"submission": "sha256:1"})
    assert loaded == grade and loaded.score == grade.score
    assert loaded.functions[0].first_failure.got == FAKE


def test_a_saved_grade_is_not_reused_for_another_file_name_or_format(tmp_path):
    save_grade(tmp_path, a_grade("alice"), {"submission": "sha256:1"})
    assert load_grade(tmp_path, "alice", {"submission": "sha256:2"}) is None  # resubmitted
    assert load_grade(tmp_path, "alice!", {"submission": "sha256:1"}) is None  # not hers
    record = json.loads((tmp_path / GRADE_FILE).read_text())
    for broken in ({**record, "format": 0}, {**record, "grade": {"student": "alice"}}):
        (tmp_path / GRADE_FILE).write_text(json.dumps(broken))
        assert load_grade(tmp_path, "alice", {"submission": "sha256:1"}) is None
    (tmp_path / GRADE_FILE).write_text("{half a fi")
    assert load_grade(tmp_path, "alice", {"submission": "sha256:1"}) is None


def test_leftovers_of_a_killed_write_are_removed(tmp_path):
    from autograder.output_folder import remove_leftovers

    (tmp_path / ".results.json.abc123.tmp").write_text("half")
    (tmp_path / "results.json").write_text("whole")
    (tmp_path / ".keep").write_text("not ours")
    remove_leftovers(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".keep", "results.json"]


def test_a_case_outcome_status_is_one_of_the_statuses():
    assert CaseOutcome("c", status="passed").passed
    assert not CaseOutcome("c", status="timed_out").passed
    with pytest.raises(ValueError, match="status must be one of"):
        CaseOutcome("c", True)  # a bool is not a status: it would read as a failure
