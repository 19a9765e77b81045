"""Grading the example class end to end, with the reference and the stub among it.

Besides the committed example students, the fixture adds those git cannot
store: a hard link to the reference solution, a FIFO and a link to /dev/zero.
"""

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO, copy_class
from example_classes import build_example_class, timeout

from autograder.cli import main
from autograder.escape import csv_unescape
from autograder.output_folder import RESERVED_NAMES, student_folder
from autograder.sandbox.cgroups import machine_hierarchies
from autograder.sandbox.isolation import LIMIT_FIELDS

EXAMPLES = REPO / "examples" / "linear_regression" / "submissions"

# What each example student must score (out of 10), and why.
EXPECTED_SCORES = {
    # alice: correct, written differently from the reference. Her data_iter shuffled with
    # tf.random.shuffle(seed=seed), which does not reproduce in eager mode; now that seeds are
    # checked (the docstring promises them) she shuffles statelessly, as ivan and judy do.
    "alice": 10.0,
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
    "victor": 1.0,  # escape sequences, Markdown and HTML everywhere; only squared_loss right
    "alice!": 2.0,  # cleans to alice's folder name; only linreg and squared_loss
    "=HYPERLINK(A1)": 1.0,  # a formula for a name; only linreg
    "mallory": 0.0,  # a symbolic link to the reference solution
    "oscar": 0.0,  # a student folder that is a link to solutions/
    "peggy": 0.0,  # (fixture) a hard link to a copy of the reference solution
    "trent": 0.0,  # (fixture) a FIFO: reading it would hang
    "zoe": 0.0,  # (fixture) a link to /dev/zero: reading it would never end
    "\x1b[31mred\x07": 0.0,  # (fixture) escape sequences in the name; a syntax error
    # kim: one mistake per function. linreg flattens (0), squared_loss sums (0), sgd rebinds
    # a local name (0), data_iter does not shuffle: only the two 7-example cases, too small
    # to tell, pass (2 * 2/5 = 0.8), normal_equation returns w flat (0), and her training
    # uses her sgd, so the parameters never move (0).
    "kim": 0.8,
    # leo: linreg without bias (0); squared_loss broadcasts y of shape (n,) to (n, n), right
    # only where y is (n, 1) or n = 1 (1 * 2/6 = 0.33); sgd climbs (0); data_iter unpairs
    # features and labels (0); normal_equation right (2); his training diverges (0).
    "leo": 2.33,
    # mia: only data_iter, ignoring its seed: the seeded case fails (2 * 4/5 = 1.6).
    "mia": 1.6,
    "reference": 10.0,  # solutions/linear_regression.py
    "stub": 0.0,  # assignments/linear_regression.py as released
}
# Why each refused student gets 0, as the structured reason in results.json.
REFUSED = {"mallory": "symlink", "oscar": "symlink", "peggy": "hard_link",
           "trent": "not_regular", "zoe": "symlink"}
# carol: linreg 1 + squared_loss 1 + sgd 1/4 (only the batch-of-one case is right)
# + data_iter 2 * 2/5 (batches of 10 over 1000 and batches of one are complete)
# + normal_equation 0 + training 3 (her two mistakes cancel out in training).
EXPECTED_SCORES["carol"] = 1 + 1 + 0.25 + 0.8 + 0 + 3


@pytest.fixture(scope="module")
def graded(example_classes):
    """The example class (with the students git cannot store: example_classes.py), graded
    once per session; what it printed is kept in terminal.txt beside it."""
    graded_class = example_classes("linear_regression")
    return graded_class.status, graded_class.out


def read_grades(out):
    with (out / "grades.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row["student"] = csv_unescape(row["student"])
    return rows


def report(out, student, name):
    """A student's report file; the folder is the name, or a unique form of it."""
    path = out / student_folder(student) / name
    return json.loads(path.read_text()) if name.endswith(".json") else path.read_text()


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
                      "data_iter", "normal_equation", "train_linear_regression",
                      "missing_limits"]
    for row in read_grades(out):
        assert float(row["max_score"]) == 10
        per_function = sum(float(row[name]) for name in header[3:-1])
        assert per_function == pytest.approx(float(row["score"]))


def test_results_json_follow_gradescope_format(graded):
    _, out = graded
    for student in EXPECTED_SCORES:
        results = report(out, student, "results.json")
        assert results["extra_data"]["student"] == student
        assert set(results) >= {"score", "max_score", "execution_time", "tests"}
        assert results["score"] == pytest.approx(EXPECTED_SCORES[student])
        assert len(results["tests"]) == 6
        for test in results["tests"]:
            assert set(test) == {"name", "score", "max_score", "status", "output", "visibility"}
            assert test["status"] in ("passed", "failed")
            assert 0 <= test["score"] <= test["max_score"]


def test_missing_limits_per_student_in_the_gradebook_and_results(graded):
    """Which kernel limits were not in force is data: a list in results.json, a CSV column."""
    _, out = graded
    rows = {row["student"]: row for row in read_grades(out)}
    for student in EXPECTED_SCORES:
        missing = report(out, student, "results.json")["extra_data"]["missing_limits"]
        assert isinstance(missing, list) and set(missing) <= set(LIMIT_FIELDS), student
        assert rows[student]["missing_limits"] == ";".join(missing)
        if student in REFUSED:  # its code never ran: no limit was needed
            assert missing == []
        elif os.geteuid() == 0 and machine_hierarchies():
            assert not {"memory_cgroup", "pids_cgroup", "cpu_quota"} & set(missing), student
    assert "Kernel limits" in (out.parent / "terminal.txt").read_text()


def test_a_missing_kernel_limit_is_named_for_each_student_it_concerns(tmp_path, monkeypatch,
                                                                       capsys):
    """With no pids cgroup (forced), the students whose code ran say so; the refused do not."""
    from autograder.sandbox import cgroups, runner

    def without_pids(name):
        hierarchies = {controller: hierarchy for controller, hierarchy
                       in cgroups.machine_hierarchies().items() if controller != "pids"}
        return cgroups.SandboxCgroups(name, hierarchies)

    monkeypatch.setattr(runner, "SandboxCgroups", without_pids)
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    shutil.copy(REPO / "solutions" / "linear_regression.py", submissions / "reference.py")
    shutil.copy(EXAMPLES / "bob.py", submissions / "bob.py")
    (submissions / "mallory.py").symlink_to(REPO / "solutions" / "linear_regression.py")
    out = tmp_path / "out"
    status = main(["grade", str(submissions), "--assignment", "linear_regression",
                   "--out", str(out), "--jobs", "2", "--timeout", "5"])
    terminal = capsys.readouterr().out
    assert status == 0
    rows = {row["student"]: row for row in read_grades(out)}
    assert float(rows["reference"]["score"]) == 10 and float(rows["bob"]["score"]) == 9
    for student in ("reference", "bob"):
        missing = report(out, student, "results.json")["extra_data"]["missing_limits"]
        assert "pids_cgroup" in missing
        assert rows[student]["missing_limits"].split(";") == missing
        if os.geteuid() == 0 and "memory" in machine_hierarchies():
            assert "memory_cgroup" not in missing  # only the forced one is missing
    assert report(out, "mallory", "results.json")["extra_data"]["missing_limits"] == []
    assert rows["mallory"]["missing_limits"] == ""
    assert "pids_cgroup for 2 of 2" in terminal


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


def test_links_and_special_files_are_refused_with_their_reason(graded):
    _, out = graded
    for student, reason in REFUSED.items():
        results = report(out, student, "results.json")
        assert results["score"] == 0 and results["extra_data"]["problem"] == reason, student
        assert all(test["score"] == 0 for test in results["tests"])
    assert "copy of the file instead of a link" in report(out, "peggy", "results.json")["output"]
    assert "symbolic link" in report(out, "oscar", "feedback.md")


def test_colliding_names_keep_their_own_reports(graded):
    _, out = graded
    folders = {student_folder(student) for student in EXPECTED_SCORES}
    assert len(folders) == len(EXPECTED_SCORES)
    assert {path.name for path in out.iterdir() if path.is_dir()} == folders
    # Every file of the gradebook has a name no student folder can take.
    assert {path.name for path in out.iterdir() if not path.is_dir()} <= RESERVED_NAMES
    for student in ("alice", "alice!"):
        results = report(out, student, "results.json")
        assert results["extra_data"]["student"] == student
        assert results["score"] == EXPECTED_SCORES[student]
    assert student_folder("alice") == "alice" and student_folder("alice!") != "alice"


def test_formula_names_are_text_in_the_gradebook(graded):
    _, out = graded
    cells = [row[0] for row in csv.reader((out / "grades.csv").open())]
    assert "'=HYPERLINK(A1)" in cells
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells)


def test_student_text_reads_literally_in_feedback(graded):
    _, out = graded
    feedback = report(out, "victor", "feedback.md")
    assert "\x1b" not in feedback and "\x07" not in feedback and "\r" not in feedback
    assert "<img" not in feedback and "<b>" not in feedback and "&lt;img" in feedback
    score_lines = [line for line in feedback.splitlines() if "Score: 10 / 10" in line]
    assert score_lines and all(line.count("\\*\\*Score") == 1 for line in score_lines)
    assert feedback.splitlines().count("**Score: 1 / 10**") == 1  # the grader's own line
    assert not any(line.startswith("# Passed") for line in feedback.splitlines())
    red = report(out, "\x1b[31mred\x07", "feedback.md")
    assert "\x1b" not in red and r"\\x1b\[31mred\\x07" in red.splitlines()[0]  # renders \x1b[31m


def test_terminal_output_shows_control_characters_as_escapes(graded):
    _, out = graded
    terminal = (out.parent / "terminal.txt").read_text()
    assert "\\x1b[31mred\\x07" in terminal  # the name, made visible
    assert not any(ord(c) < 32 and c not in "\n\t" or 0x7f <= ord(c) < 0xa0 for c in terminal)


def test_student_check_output_has_no_escape_sequences(capsys):
    status = main(["check", str(EXAMPLES / "victor.py"), "--assignment", "linear_regression"])
    report_text = capsys.readouterr().out
    assert status == 1
    assert "\x1b" not in report_text and "\r" not in report_text and "\x07" not in report_text
    assert "\\x1b[2J" in report_text  # shown, not run


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
    copy_class(EXAMPLES, tmp_path / "subs")
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

    stub = REPO / "assignments" / "linear_regression.ipynb"
    submitted = tmp_path / "course" / "submitted"
    for student in ("stu1", "stu2", "stu3"):
        (submitted / student / "linear_regression").mkdir(parents=True)
    folder = submitted / "stu1" / "linear_regression"
    shutil.copy(stub, folder / "linear_regression.ipynb")
    (folder / "timestamp.txt").write_text("2026-11-20 10:00:00.000000 UTC")
    # stu2: timestamp.txt is a link to a file the grader can read and the student cannot.
    secret = tmp_path / "secret.txt"
    secret.write_text("root:SECRET\n")
    shutil.copy(stub, submitted / "stu2" / "linear_regression" / "linear_regression.ipynb")
    (submitted / "stu2" / "linear_regression" / "timestamp.txt").symlink_to(secret)
    # stu3: the notebook is a link to the reference solution.
    (submitted / "stu3" / "linear_regression" / "linear_regression.ipynb").symlink_to(
        REPO / "solutions" / "linear_regression.py")
    out = tmp_path / "out"
    status = main(["grade", str(tmp_path / "course"), "--assignment", "linear_regression",
                   "--out", str(out), "--format", "nbgrader", "--jobs", "1"])
    assert status == 0
    with (out / "grades.csv").open() as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == NBGRADER_COLUMNS
    by_student = {row[3]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    row = by_student["stu1"]
    assert row["assignment"] == "linear_regression" and row["student_id"] == "stu1"
    assert row["timestamp"] == "2026-11-20 10:00:00.000000 UTC"
    assert float(row["score"]) == 0.0 and float(row["max_score"]) == 10.0
    assert (out / "stu1" / "feedback.md").is_file()
    assert by_student["stu2"]["timestamp"] == ""
    assert "SECRET" not in (out / "grades.csv").read_text()
    assert float(by_student["stu3"]["score"]) == 0.0
    assert json.loads((out / "stu3" / "results.json").read_text())["extra_data"]["problem"] == (
        "symlink")


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


@pytest.mark.slow
def test_a_killed_run_grades_only_the_rest_and_ends_with_the_same_gradebook(graded, tmp_path):
    """SIGKILL a ``--jobs 1`` run once a few students are graded, then start it again.

    The students graded before the kill keep their reports (not graded again);
    the final grades.csv is byte for byte that of the fixture's uninterrupted
    ``--jobs 2`` run, so this also shows that the number of jobs changes nothing.
    """
    submissions = build_example_class("linear_regression", tmp_path)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "autograder", "grade", str(submissions),
               "--assignment", "linear_regression", "--out", str(out),
               "--jobs", "1", "--timeout", timeout("linear_regression")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])}
    log = tmp_path / "first.log"
    with log.open("wb") as handle:
        first = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT, env=env)
    # Students are graded in sorted order; erin's endless loop alone takes her time limit,
    # so the run cannot finish between this wait and the kill, however fast the machine.
    deadline = time.monotonic() + 900
    while len(list(out.glob("*/grade.json"))) < 3:
        assert first.poll() is None, log.read_text(errors="replace")
        assert time.monotonic() < deadline, "no student was graded in 15 minutes"
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.wait()
    kept = {path.parent.name: path.stat().st_mtime_ns for path in out.glob("*/grade.json")}
    assert 3 <= len(kept) < len(EXPECTED_SCORES)
    assert student_folder("erin") not in kept
    assert not (out / "grades.csv").exists()

    second = subprocess.run(command, capture_output=True, env=env, timeout=1800)
    assert second.returncode == 0, second.stderr.decode(errors="replace")
    assert f"{len(kept)} already graded" in second.stderr.decode(errors="replace")
    for folder, mtime in kept.items():  # not graded again
        assert (out / folder / "grade.json").stat().st_mtime_ns == mtime
    _, uninterrupted = graded
    assert (out / "grades.csv").read_bytes() == (uninterrupted / "grades.csv").read_bytes()


@pytest.mark.slow
def test_a_class_graded_against_the_wrong_assignment_is_named(tmp_path, capsys):
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    for student in ("ann", "ben", "cat"):
        shutil.copy(REPO / "solutions" / "softmax_regression.py", submissions / f"{student}.py")
    out = tmp_path / "out"
    status = main(["grade", str(submissions), "--assignment", "linear_regression",
                   "--out", str(out), "--jobs", "2", "--timeout", "5"])
    assert status == 0
    warning = capsys.readouterr().err
    assert "3 of 3 submissions lack most of the functions graded in linear_regression" in warning
    assert "--assignment softmax_regression" in warning
    note = (out / student_folder("ann") / "feedback.md").read_text().replace("\\_", "_")
    assert "looks like the softmax_regression assignment" in note
