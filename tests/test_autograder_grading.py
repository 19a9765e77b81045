"""Grading the example class end to end, with the reference and the stub among it."""

import csv
import json
import os
import shutil
from pathlib import Path

import pytest
from conftest import REPO

from autograder.cli import main

EXAMPLES = REPO / "examples" / "linear_regression" / "submissions"

# What each example student must score (out of 10), and why.
EXPECTED_SCORES = {
    "alice": 10.0,  # correct, written differently from the reference
    "bob": 9.0,  # squared_loss lacks its 1/2 (1 point)
    "carol": None,  # several mistakes: filled in below from its own analysis
    "dave": 0.0,  # syntax error
    "erin": 8.0,  # normal_equation loops forever (2 points)
    "frank": 10.0,  # correct notebook that prints a lot and has a broken cell
    "grace": 0.0,  # tries to read the reference solution
    "heidi": 0.0,  # returns objects that claim to equal anything
    # ivan: a CPU hog; his training starts 16 busy processes, each in its own session, and
    # waits for them: it runs out of CPU time (3 points); the rest is correct. Held to one
    # core, he cannot starve the students graded beside him (their scores do not change).
    "ivan": 7.0,
    "judy": 10.0,  # correct; leaves SysV shared memory, a message queue, a memfd behind
    "reference": 10.0,  # solutions/linear_regression.py
    "stub": 0.0,  # assignments/linear_regression.py as released
}
# carol: linreg 1 + squared_loss 1 + sgd 1/4 (only the batch-of-one case is right)
# + data_iter 2 * 2/5 (batches of 10 over 1000 and batches of one are complete)
# + normal_equation 0 + training 3 (her two mistakes cancel out in training).
EXPECTED_SCORES["carol"] = 1 + 1 + 0.25 + 0.8 + 0 + 3


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The example class plus the reference and the stub, graded once."""
    root = tmp_path_factory.mktemp("class")
    submissions = root / "submissions"
    shutil.copytree(EXAMPLES, submissions)
    shutil.copy(REPO / "solutions" / "linear_regression.py", submissions / "reference.py")
    shutil.copy(REPO / "assignments" / "linear_regression.py", submissions / "stub.py")
    out = root / "out"
    status = main(["grade", str(submissions), "--assignment", "linear_regression",
                   "--out", str(out), "--jobs", "2", "--timeout", "5"])
    return status, out


def read_grades(out):
    with (out / "grades.csv").open() as handle:
        return list(csv.DictReader(handle))


def test_grading_completes_with_status_zero(graded):
    status, out = graded
    assert status == 0
    assert (out / "grades.csv").is_file()


def test_every_student_gets_the_expected_score(graded):
    _, out = graded
    scores = {row["student"]: float(row["score"]) for row in read_grades(out)}
    assert scores == pytest.approx(EXPECTED_SCORES)


def test_grades_csv_format(graded):
    _, out = graded
    with (out / "grades.csv").open() as handle:
        header = next(csv.reader(handle))
    assert header == ["student", "score", "max_score", "linreg", "squared_loss", "sgd",
                      "data_iter", "normal_equation", "train_linear_regression"]
    for row in read_grades(out):
        assert float(row["max_score"]) == 10
        per_function = sum(float(row[name]) for name in header[3:])
        assert per_function == pytest.approx(float(row["score"]))


def test_results_json_follow_gradescope_format(graded):
    _, out = graded
    for student in EXPECTED_SCORES:
        results = json.loads((out / student / "results.json").read_text())
        assert set(results) >= {"score", "max_score", "execution_time", "tests"}
        assert results["score"] == pytest.approx(EXPECTED_SCORES[student])
        assert len(results["tests"]) == 6
        for test in results["tests"]:
            assert set(test) == {"name", "score", "max_score", "status", "output", "visibility"}
            assert test["status"] in ("passed", "failed")
            assert 0 <= test["score"] <= test["max_score"]


def test_feedback_explains_failures_with_hints(graded):
    _, out = graded
    bob = (out / "bob" / "feedback.md").read_text()
    assert "## `squared_loss`: failed" in bob
    assert "divide by 2" in bob
    assert "expected:" in bob and "got:" in bob
    carol = (out / "carol" / "feedback.md").read_text()
    assert "assign_sub" in carol or "batch_size" in carol
    assert "intercept" in carol
    stub = (out / "stub" / "feedback.md").read_text()
    assert "NotImplementedError" in stub


def test_zeros_come_with_their_reason(graded):
    _, out = graded
    dave = json.loads((out / "dave" / "results.json").read_text())
    assert "SyntaxError" in dave["output"]
    erin = (out / "erin" / "feedback.md").read_text()
    assert "did not finish" in erin
    frank = json.loads((out / "frank" / "results.json").read_text())
    assert "this_cell_has_a_typo" in frank["output"]


def test_a_cpu_hog_only_loses_his_own_points(graded):
    _, out = graded
    ivan = json.loads((out / "ivan" / "results.json").read_text())
    training = [test for test in ivan["tests"] if "train_linear_regression" in test["name"]]
    assert training and all(test["score"] == 0 for test in training)
    assert "CPU time" in (out / "ivan" / "feedback.md").read_text()


@pytest.mark.skipif(os.geteuid() != 0, reason="IPC and PID namespaces need root")
def test_nothing_a_submission_leaves_behind_outlives_its_grading(graded):
    """judy's shared memory, message queue, lock file and hidden process are gone."""
    keys = set()
    for name in ("shm", "msg"):
        lines = Path(f"/proc/sysvipc/{name}").read_text().splitlines()[1:]
        keys.update(int(line.split()[0]) for line in lines)
    assert 0x4A554459 not in keys  # "JUDY"
    assert not Path("/run/lock/judy.lock").exists()
    _, out = graded
    assert json.loads((out / "judy" / "results.json").read_text())["score"] == 10


def test_hostile_submissions_gain_nothing(graded):
    _, out = graded
    for student in ("grace", "heidi"):
        results = json.loads((out / student / "results.json").read_text())
        assert results["score"] == 0
    heidi = (out / "heidi" / "feedback.md").read_text()
    assert "AlwaysEqual" in heidi


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--assignment", "nope"], "Unknown assignment 'nope'"),
        (["--assignment", "linear_regression", "--jobs", "0"], "--jobs must be at least 1"),
    ],
)
def test_instructor_mistakes_give_a_clear_message(arguments, message, tmp_path, capsys):
    status = main(["grade", str(EXAMPLES), "--out", str(tmp_path / "o"), *arguments])
    assert status == 2
    assert message in capsys.readouterr().err


def test_missing_submissions_folder(tmp_path, capsys):
    status = main(["grade", str(tmp_path / "missing"), "--assignment", "linear_regression",
                   "--out", str(tmp_path / "o")])
    assert status == 2
    assert "does not exist" in capsys.readouterr().err


def test_output_inside_submissions_is_refused(tmp_path, capsys):
    shutil.copytree(EXAMPLES, tmp_path / "subs")
    status = main(["grade", str(tmp_path / "subs"), "--assignment", "linear_regression",
                   "--out", str(tmp_path / "subs" / "grades")])
    assert status == 2
    assert "inside the submissions folder" in capsys.readouterr().err


def test_student_check_passes_the_reference(capsys):
    status = main(["check", str(REPO / "solutions" / "linear_regression.py")])
    report = capsys.readouterr().out
    assert status == 0, report
    assert "6 of 6 functions pass" in report


def test_student_check_explains_mistakes(capsys):
    status = main(["check", str(EXAMPLES / "bob.py"), "--assignment", "linear_regression"])
    report = capsys.readouterr().out
    assert status == 1
    assert "FAIL  squared_loss" in report and "PASS  linreg" in report
    assert "hint: The loss is (y_hat - y)² / 2: divide by 2." in report


def test_student_check_of_the_stub(capsys):
    status = main(["check", str(REPO / "assignments" / "linear_regression.py")])
    report = capsys.readouterr().out
    assert status == 1
    assert "0 of 6 functions pass" in report
    assert "raise NotImplementedError" in report


def test_nbgrader_tree_and_nbgrader_csv_format(tmp_path):
    """nbgrader's submitted/ tree is graded directly; --format nbgrader writes export's columns."""
    from autograder.report import NBGRADER_COLUMNS

    folder = tmp_path / "course" / "submitted" / "stu1" / "linear_regression"
    folder.mkdir(parents=True)
    shutil.copy(REPO / "assignments" / "linear_regression.ipynb", folder / "linear_regression.ipynb")
    (folder / "timestamp.txt").write_text("2026-11-20 10:00:00.000000 UTC")
    out = tmp_path / "out"
    status = main(["grade", str(tmp_path / "course"), "--assignment", "linear_regression",
                   "--out", str(out), "--format", "nbgrader", "--jobs", "1"])
    assert status == 0
    with (out / "grades.csv").open() as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == NBGRADER_COLUMNS
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["assignment"] == "linear_regression" and row["student_id"] == "stu1"
    assert row["timestamp"] == "2026-11-20 10:00:00.000000 UTC"
    assert float(row["score"]) == 0.0 and float(row["max_score"]) == 10.0
    assert (out / "stu1" / "feedback.md").is_file()


def test_student_check_works_without_the_solutions_package(monkeypatch, capsys):
    """A student's copy of the kit has no solutions/: the public checks need none."""
    import sys

    monkeypatch.setitem(sys.modules, "solutions", None)  # importing it now fails
    status = main(["check", str(EXAMPLES / "bob.py"), "--assignment", "linear_regression"])
    output = capsys.readouterr()
    assert status == 1, output.err
    assert "FAIL  squared_loss" in output.out and "PASS  linreg" in output.out


def test_class_report_beside_the_gradebook(graded):
    _, out = graded
    report = (out / "class_report.md").read_text()
    assert "| `squared_loss` |" in report
    # bob forgot the 1/2 of squared_loss: its hint is among those that fired, with a count.
    assert any(line.startswith("- **") and "(`squared_loss`)" in line
               for line in report.splitlines())
    assert (out / "scores.png").read_bytes().startswith(b"\x89PNG")
    assert (out / "pass_rates.png").read_bytes().startswith(b"\x89PNG")
