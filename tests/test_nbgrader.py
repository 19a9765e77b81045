"""``autograder nbgrader``: the course folder, and nbgrader's own commands run on it.

The end-to-end test runs the workflow an instructor follows, with nbgrader's
real commands in a temporary course folder::

    autograder nbgrader course && cd course
    nbgrader generate_assignment linear_regression
    # submitted/ref_student: the source notebook (the reference solution)
    # submitted/stub_student: the released notebook, untouched
    # submitted/public_student: the reference, but linreg hard-codes the public case's bias
    nbgrader autograde linear_regression --create
    nbgrader export
"""

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbgrader.nbgraderformat import MetadataValidator

from autograder import cli, layout
from autograder.generate.nbgrader_course import (
    CONFIG_NAME,
    course_assignments,
    course_files,
    source_notebook,
    write_course,
)
from autograder.generate.student_notebooks import read_solution
from autograder.specs import load_spec

ASSIGNMENT = "linear_regression"
STUDENTS = {"ref_student": "source", "stub_student": "release"}
"""Each test student and the folder their notebook is copied from."""


def nbgrader(course, *args, timeout=600):
    """Runs ``nbgrader ARGS`` in the course folder; fails the test if it fails."""
    completed = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=course,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed


@pytest.fixture(scope="module")
def graded_course(tmp_path_factory):
    """A course folder after generate_assignment, autograde and export."""
    course = tmp_path_factory.mktemp("nbgrader") / "course"
    assert cli.main(["nbgrader", str(course)]) == 0
    nbgrader(course, "generate_assignment", ASSIGNMENT)
    for student, origin in STUDENTS.items():
        folder = course / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        shutil.copy(course / origin / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", folder)
    # Passes the public case of linreg (whose bias is 0.5) and no hidden one.
    notebook = read_notebook(course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    [answer] = [cell for cell in notebook.cells if cell.id == "linreg"]
    answer.source = answer.source.replace("tf.matmul(X, w) + b", "tf.matmul(X, w) + 0.5")
    assert "+ 0.5" in answer.source
    folder = course / "submitted" / "public_student" / ASSIGNMENT
    folder.mkdir(parents=True)
    nbformat.write(notebook, folder / f"{ASSIGNMENT}.ipynb")
    autograde = nbgrader(course, "autograde", ASSIGNMENT, "--create")
    (course / "autograde.log").write_text(autograde.stdout + autograde.stderr)
    nbgrader(course, "export")
    return course


def read_notebook(path):
    return nbformat.read(path, as_version=4)


# ---------------------------------------------------------------------------
# The course folder.
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", course_assignments())
def test_source_notebook_has_reference_solutions_and_tests_worth_the_spec_points(name):
    spec, solution = load_spec(name), read_solution(name)
    notebook = source_notebook(name, solution, spec)
    MetadataValidator().validate_nb(notebook)
    cells = {cell.id: cell for cell in notebook.cells}
    for part in solution.functions:
        answer = cells[part.name]
        assert answer.source == part.source and "### BEGIN SOLUTION" in answer.source
        assert answer.metadata.nbgrader["solution"] and not answer.metadata.nbgrader["grade"]
    tests = [cell for cell in notebook.cells if cell.metadata.nbgrader["grade"]]
    assert [cell.id for cell in tests] == [f"{check.function}-test" for check in spec.checks]
    for cell, check in zip(tests, spec.checks, strict=True):
        meta = cell.metadata.nbgrader
        assert meta["points"] == check.points and meta["locked"] and meta["schema_version"] == 3
        # No hidden-tests section: nbgrader leaves the cell as it is, so its checksum
        # does not change between generate_assignment and autograde (nbgrader #1961).
        assert "HIDDEN" not in cell.source
        assert cell.source.rstrip().endswith(
            f'assert_passes("{name}", "{check.function}", {check.function})'
        )
    assert sum(cell.metadata.nbgrader["points"] for cell in tests) == spec.max_score
    answers = {part.name for part in solution.functions}
    given = [cell for cell in notebook.cells if cell.id not in answers]
    assert all(cell.metadata.nbgrader["locked"] for cell in given)


def test_config_is_valid_and_the_same_whatever_the_assignments():
    config = course_files()[Path(CONFIG_NAME)]
    compile(config, CONFIG_NAME, "exec")
    assert course_files(assignments=[ASSIGNMENT])[Path(CONFIG_NAME)] == config
    assert 'c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\\nraise NotImplementedError"}' in config
    assert "c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))" in config


def test_updates_keep_an_edited_config_and_refuse_edited_notebooks(tmp_path, capsys):
    course = tmp_path / "course"
    names = course_assignments()
    other = next(name for name in names if name != ASSIGNMENT)

    # A course with one assignment; the next-step line names it.
    assert cli.main(["nbgrader", str(course), "--assignment", ASSIGNMENT]) == 0
    out = capsys.readouterr().out
    assert f"nbgrader generate_assignment {ASSIGNMENT}" in out
    assert not (course / "source" / other).exists()
    assert write_course(course, course_id="dl-coursekit") != []  # the others are added
    assert write_course(course) == []  # up to date: nothing to write, no complaint

    # The instructor edits the configuration; adding or updating keeps it, even with --force.
    config = course / CONFIG_NAME
    config.write_text(config.read_text() + "c.Execute.timeout = 60  # the instructor's own\n")
    (course / "gradebook.db").write_text("grades")
    notebook = course / "source" / other / f"{other}.ipynb"
    notebook.unlink()
    assert cli.main(["nbgrader", str(course), "--assignment", other]) == 0
    out = capsys.readouterr().out
    assert "kept your edited nbgrader_config.py" in out
    assert f"nbgrader generate_assignment {other}" in out
    assert f"generate_assignment {ASSIGNMENT}" not in out
    assert notebook.exists() and "the instructor's own" in config.read_text()
    assert cli.main(["nbgrader", str(course), "--force"]) == 0
    assert "the instructor's own" in config.read_text()

    # An edited source notebook is never overwritten without --force; nothing is written.
    source = course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    source.write_text(source.read_text().replace("YOUR CODE HERE", "YOUR  CODE  HERE"))
    edited = source.read_text()
    assert cli.main(["nbgrader", str(course)]) == 2
    error = capsys.readouterr().err
    assert f"source/{ASSIGNMENT}/{ASSIGNMENT}.ipynb" in error and "--force" in error
    assert source.read_text() == edited
    assert cli.main(["nbgrader", str(course), "--force"]) == 0
    assert source.read_text() != edited
    assert (course / "gradebook.db").read_text() == "grades"


def test_unknown_assignment_is_refused(tmp_path, capsys):
    assert cli.main(["nbgrader", str(tmp_path / "c"), "--assignment", "linear_regresion"]) == 2
    assert "linear_regression" in capsys.readouterr().err
    assert not (tmp_path / "c").exists()


def test_a_file_is_not_a_course_folder(tmp_path):
    path = tmp_path / "course"
    path.write_text("")
    with pytest.raises(ValueError, match="is a file"):
        write_course(path)


# ---------------------------------------------------------------------------
# nbgrader's commands.
# ---------------------------------------------------------------------------
def test_released_answer_cells_are_the_student_notebook_answer_cells(graded_course):
    released = read_notebook(graded_course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    student = read_notebook(layout.assignments_dir() / f"{ASSIGNMENT}.ipynb")
    answers = {cell.id: cell.source for cell in released.cells if cell.metadata.nbgrader["solution"]}
    assert answers
    for cell in student.cells:
        if cell.id in answers:
            assert answers[cell.id] == cell.source
    tests = [cell.source for cell in released.cells if cell.metadata.nbgrader["grade"]]
    assert tests and not any("HIDDEN" in source or "public_only" in source for source in tests)


def test_autograde_gives_full_marks_to_the_reference_and_zero_to_the_stub(graded_course):
    with open(graded_course / "grades.csv", newline="") as file:
        rows = {row["student_id"]: row for row in csv.DictReader(file)}
    max_score = load_spec(ASSIGNMENT).max_score
    assert set(rows) == set(STUDENTS) | {"public_student"}
    assert float(rows["ref_student"]["score"]) == max_score
    assert float(rows["ref_student"]["max_score"]) == max_score
    assert float(rows["stub_student"]["score"]) == 0.0
    # The test cells ran the hidden cases: passing the public case alone loses linreg's points.
    assert float(rows["public_student"]["score"]) <= max_score - 1
    path = graded_course / "autograded" / "public_student" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    [test] = [cell for cell in read_notebook(path).cells if cell.id == "linreg-test"]
    [error] = [output for output in test.outputs if output.output_type == "error"]
    assert "FAIL  linreg" in error.evalue and "small known example" not in error.evalue


def test_autograde_does_not_warn_of_changed_checksums(graded_course):
    log = (graded_course / "autograde.log").read_text()
    assert "Autograding" in log or "autograde" in log.lower()
    assert "checksum" not in log, log[-3000:]


def test_failing_test_cells_explain_the_failure(graded_course):
    def test_cells(student):
        path = graded_course / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        return [cell for cell in read_notebook(path).cells if cell.metadata.nbgrader["grade"]]

    for cell in test_cells("stub_student"):
        [error] = [output for output in cell.outputs if output.output_type == "error"]
        assert error.ename == "AssertionError"
        assert "FAIL  " in error.evalue and "NotImplementedError" in error.evalue
    for cell in test_cells("ref_student"):  # PASS on stdout, nothing on stderr
        assert all(output.get("name") != "stderr" for output in cell.outputs)
        assert "PASS  " in "".join(output.get("text", "") for output in cell.outputs)


def test_autograder_grade_reads_the_same_submissions(graded_course, tmp_path):
    out = tmp_path / "grades"
    command = ["grade", str(graded_course), "--assignment", ASSIGNMENT, "--out", str(out)]
    assert cli.main(command) == 0
    with open(out / "grades.csv", newline="") as file:
        scores = {row["student"]: float(row["score"]) for row in csv.DictReader(file)}
    spec = load_spec(ASSIGNMENT)
    assert scores["ref_student"] == spec.max_score and scores["stub_student"] == 0.0
    assert 0 < scores["public_student"] < spec.max_score
