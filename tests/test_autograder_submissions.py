"""Finding submissions and reading their code (nothing is executed here)."""

import json
import os
import signal

import nbformat
import pytest

from autograder import feedback
from autograder.safe_read import UnreadableFile, read_file
from autograder.submissions import (
    find_submissions,
    notebook_chunks,
    read_chunks,
    submission_fingerprint,
)


def test_every_layout_is_found(tmp_path):
    (tmp_path / "ann.py").write_text("x = 1\n")
    (tmp_path / "ben").mkdir()
    (tmp_path / "ben" / "linear_regression.py").write_text("x = 2\n")
    (tmp_path / "cat").mkdir()
    nbformat.write(nbformat.v4.new_notebook(), tmp_path / "cat" / "linear_regression.ipynb")
    (tmp_path / "dan.ipynb").write_text("{}")
    (tmp_path / "eve").mkdir()
    (tmp_path / "eve" / "notes.txt").write_text("oops")
    (tmp_path / ".hidden.py").write_text("")
    (tmp_path / "README.md").write_text("not a submission")
    found = {s.student: s for s in find_submissions(tmp_path, "linear_regression")}
    assert sorted(found) == ["ann", "ben", "cat", "dan", "eve"]
    assert found["ben"].path.name == "linear_regression.py"
    assert found["eve"].path is None and "no linear_regression.py" in found["eve"].problem


def test_nbgrader_submitted_tree(tmp_path):
    folder = tmp_path / "submitted" / "stu1" / "linear_regression"
    folder.mkdir(parents=True)
    nbformat.write(nbformat.v4.new_notebook(), folder / "linear_regression.ipynb")
    for root in (tmp_path, tmp_path / "submitted"):
        [submission] = find_submissions(root, "linear_regression")
        assert submission.student == "stu1" and submission.path.parent == folder


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        find_submissions(tmp_path / "nope", "linear_regression")


def test_notebook_code_cells_in_order(tmp_path):
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# title"),
        nbformat.v4.new_code_cell("a = 1"),
        nbformat.v4.new_code_cell("   "),
        nbformat.v4.new_code_cell("b = a + 1"),
    ])
    path = tmp_path / "n.ipynb"
    nbformat.write(notebook, path)
    chunks = read_chunks(path)
    assert [(c.label, c.code) for c in chunks] == [("cell 2", "a = 1"), ("cell 4", "b = a + 1")]


@pytest.mark.parametrize("text", ["not json", json.dumps({"cells": "nope"}), json.dumps([1, 2])])
def test_malformed_notebooks_are_reported(text):
    with pytest.raises(ValueError, match="not a valid notebook"):
        notebook_chunks(text, "bad.ipynb")


# ---------------------------------------------------------------------------
# Hostile entries: links, hard links, FIFOs, devices, huge files.
# ---------------------------------------------------------------------------
@pytest.fixture
def no_hang():
    """Fails a test that blocks (reading a FIFO would) instead of hanging the suite."""
    def alarm(signum, frame):
        raise TimeoutError("blocked: reading should never wait")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def hostile_class(root):
    """A class with one entry of each kind that must never be followed or opened."""
    secret = root.parent / f"{root.name}-secret"
    secret.mkdir()
    (secret / "linear_regression.py").write_text("x = 'reference'\n")
    root.mkdir()
    (root / "ok.py").write_text("x = 1\n")
    (root / "linked.py").symlink_to(secret / "linear_regression.py")
    (root / "folder_link").symlink_to(secret)
    (root / "zero.ipynb").symlink_to("/dev/zero")
    os.link(secret / "linear_regression.py", root / "hard.py")
    os.mkfifo(root / "fifo.py")
    (root / "inner").mkdir()  # STUDENT/ASSIGNMENT.py is a link
    (root / "inner" / "linear_regression.py").symlink_to(secret / "linear_regression.py")
    (root / "nbg" / "linear_regression").mkdir(parents=True)  # STUDENT/ASSIGNMENT/ is a link
    os.rmdir(root / "nbg" / "linear_regression")
    (root / "nbg" / "linear_regression").symlink_to(secret)
    (root / "README.md").symlink_to(secret / "linear_regression.py")  # not a submission
    return root


def test_links_and_special_files_are_listed_with_their_reason_and_never_opened(tmp_path, no_hang):
    found = {s.student: s for s in find_submissions(hostile_class(tmp_path / "c"), "linear_regression")}
    assert sorted(found) == ["fifo", "folder_link", "hard", "inner", "linked", "nbg", "ok", "zero"]
    assert found["ok"].problem is None and found["ok"].path.name == "ok.py"
    reasons = {name: s.problem_reason for name, s in found.items() if name != "ok"}
    assert reasons == {"fifo": "not_regular", "folder_link": "symlink", "hard": "hard_link",
                       "inner": "symlink", "linked": "symlink", "nbg": "symlink",
                       "zero": "symlink"}
    assert all(found[name].path is None for name in reasons)
    assert "copy of the file instead of a link" in found["hard"].problem
    assert "FIFO" in found["fifo"].problem


def test_reading_refuses_what_changed_into_a_link_after_discovery(tmp_path, no_hang):
    root = tmp_path / "c"
    (root / "stu").mkdir(parents=True)
    (root / "stu" / "linear_regression.py").write_text("x = 1\n")
    [submission] = find_submissions(root, "linear_regression")
    assert read_chunks(submission.path, submission.root)[0].code == "x = 1\n"
    (root / "stu").rename(root / "real")  # the student folder becomes a link
    (root / "stu").symlink_to(root / "real")
    with pytest.raises(UnreadableFile) as refused:
        read_chunks(submission.path, submission.root)
    assert refused.value.reason == "symlink"
    (root / "stu").unlink()
    (root / "stu").mkdir()  # the file becomes a FIFO, then a link to /dev/zero
    os.mkfifo(root / "stu" / "linear_regression.py")
    with pytest.raises(UnreadableFile) as refused:
        read_chunks(submission.path, submission.root)
    assert refused.value.reason == "not_regular" and refused.value.details == {"kind": "FIFO"}
    assert feedback.refusal(refused.value) == (
        "linear_regression.py is not a regular file (it is a FIFO)")
    (root / "stu" / "linear_regression.py").unlink()
    (root / "stu" / "linear_regression.py").symlink_to("/dev/zero")
    with pytest.raises(UnreadableFile) as refused:
        read_chunks(submission.path, submission.root)
    assert refused.value.reason == "symlink"


def test_reading_stops_at_the_size_cap(tmp_path, monkeypatch):
    from autograder import submissions

    monkeypatch.setattr(submissions, "MAX_SOURCE_BYTES", 1000)
    path = tmp_path / "big.py"
    path.write_text("x = 1\n" * 1000)
    with pytest.raises(UnreadableFile) as refused:
        read_chunks(path, tmp_path)
    assert refused.value.reason == "too_large"
    assert read_file(path, limit=6000, root=tmp_path) == path.read_bytes()


def test_devices_are_refused_without_being_opened(tmp_path):
    for device in ("/dev/zero", "/dev/null"):
        with pytest.raises(UnreadableFile) as refused:
            read_file(device, limit=100)
        assert refused.value.reason == "not_regular"
        assert refused.value.details["kind"] == "character device"


def test_a_students_own_file_may_be_a_hard_link_but_not_a_link(tmp_path):
    """`autograder check FILE`: no submissions root, the student's own file."""
    (tmp_path / "mine.py").write_text("x = 1\n")
    os.link(tmp_path / "mine.py", tmp_path / "copy.py")
    assert read_chunks(tmp_path / "copy.py")[0].code == "x = 1\n"
    (tmp_path / "link.py").symlink_to(tmp_path / "mine.py")
    with pytest.raises(UnreadableFile) as refused:
        read_chunks(tmp_path / "link.py")
    assert refused.value.reason == "symlink"
    assert "link.py is a symbolic link; submit the file itself" in feedback.refusal(refused.value)


def test_nbgrader_timestamp_is_read_like_a_submission(tmp_path, no_hang):
    folder = tmp_path / "submitted" / "stu1" / "linear_regression"
    folder.mkdir(parents=True)
    nbformat.write(nbformat.v4.new_notebook(), folder / "linear_regression.ipynb")
    stamp = folder / "timestamp.txt"
    stamp.write_text("2026-11-20 10:00:00 UTC\nsecond line\n")
    [submission] = find_submissions(tmp_path, "linear_regression")
    assert submission.timestamp == "2026-11-20 10:00:00 UTC"
    secret = tmp_path / "secret"
    secret.write_text("root:x:0:0\n")
    for make in (lambda: stamp.symlink_to(secret), lambda: os.link(secret, stamp),
                 lambda: os.mkfifo(stamp), lambda: stamp.symlink_to("/dev/zero"),
                 lambda: stamp.write_text("x" * 100_000)):
        stamp.unlink()
        make()
        [submission] = find_submissions(tmp_path, "linear_regression")
        assert submission.timestamp == "" and submission.problem is None


def test_the_submissions_root_itself_may_be_a_link(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "ann.py").write_text("x = 1\n")
    (tmp_path / "alias").symlink_to(tmp_path / "real")
    [submission] = find_submissions(tmp_path / "alias", "linear_regression")
    assert submission.problem is None
    assert read_chunks(submission.path, submission.root)[0].code == "x = 1\n"


def test_fingerprint_changes_with_the_contents(tmp_path):
    (tmp_path / "ann.py").write_text("x = 1\n")
    [submission] = find_submissions(tmp_path, "linear_regression")
    before = submission_fingerprint(submission)
    assert before.startswith("sha256:") and submission_fingerprint(submission) == before
    (tmp_path / "ann.py").write_text("x = 2\n")
    assert submission_fingerprint(submission) != before
    (tmp_path / "ann.py").unlink()
    (tmp_path / "ann.py").symlink_to("/dev/zero")
    [linked] = find_submissions(tmp_path, "linear_regression")
    assert submission_fingerprint(linked) == "problem:symlink"


def test_check_command_refuses_a_fifo_without_opening_it(tmp_path, no_hang, capsys):
    from autograder.cli import main

    os.mkfifo(tmp_path / "linear_regression.py")
    assert main(["check", str(tmp_path / "linear_regression.py")]) == 2
    assert "is not a regular file" in capsys.readouterr().err


def test_gradescope_submission_is_read_like_a_class(tmp_path):
    """The Gradescope entry point reads /autograder/submission with the same checks."""
    from autograder.gradescope import submission_for

    folder = tmp_path / "submission"
    folder.mkdir()
    (tmp_path / "elsewhere.py").write_text("x = 1\n")
    os.link(tmp_path / "elsewhere.py", folder / "linear_regression.py")
    submission = submission_for(folder, "linear_regression")
    with pytest.raises(UnreadableFile) as refused:
        read_chunks(submission.path, submission.root)
    assert refused.value.reason == "hard_link"
    (folder / "linear_regression.py").unlink()
    (folder / "linear_regression.py").write_text("x = 2\n")
    submission = submission_for(folder, "linear_regression")
    assert read_chunks(submission.path, submission.root)[0].code == "x = 2\n"
