"""The example classes, graded through the real autograder at most once per test session.

Each assignment ships an example class (examples/NAME/submissions) of correct,
mistaken and hostile students. Its tests grade it with ``autograder grade``,
with the reference solution and the released stub among it, and state only
what each student must score and be told: the ``example_classes`` fixture of
conftest.py grades a class the first time a test asks for it and hands every
later test the same `GradedClass`.
"""

import contextlib
import csv
import dataclasses
import io
import json
import os
import shutil
from pathlib import Path

from conftest import REPO, copy_class

from autograder.cli import main
from autograder.escape import csv_unescape
from autograder.output_folder import GRADE_FILE
from autograder.specs import load_spec

TIMEOUTS = {
    "linear_regression": "5",
    "cnn": "60",  # build_lenet trains for a few seconds; a busy machine may take several times that
    "weight_decay": "30",  # the spec gives train_weight_decay its own, longer time limit
}
"""The ``--timeout`` each class is graded with; "10" for the others."""
ADDED = ("reference", "stub")
"""The submissions added to each class: solutions/NAME.py and assignments/NAME.py as released."""


def timeout(assignment: str) -> str:
    """The ``--timeout`` `assignment`'s example class is graded with."""
    return TIMEOUTS.get(assignment, "10")


def add_unstorable_students(submissions: Path, root: Path) -> None:
    """linear_regression's students git cannot store: a hard link to a copy of the
    reference solution (peggy), a FIFO (trent), a link to /dev/zero (zoe) and a
    name full of escape sequences (a copy of dave's syntax error)."""
    outside = shutil.copy(REPO / "solutions" / "linear_regression.py", root / "solution_copy.py")
    os.link(outside, submissions / "peggy.py")
    os.mkfifo(submissions / "trent.py")
    (submissions / "zoe.py").symlink_to("/dev/zero")
    examples = REPO / "examples" / "linear_regression" / "submissions"
    shutil.copy(examples / "dave.py", submissions / "\x1b[31mred\x07.py")


UNSTORABLE = {"linear_regression": add_unstorable_students}


def build_example_class(assignment: str, root: Path) -> Path:
    """Writes `assignment`'s example class to ``root/submissions``, with the
    reference, the stub and the students git cannot store, and returns it."""
    submissions = copy_class(REPO / "examples" / assignment / "submissions", root / "submissions")
    shutil.copy(REPO / "solutions" / f"{assignment}.py", submissions / "reference.py")
    shutil.copy(REPO / "assignments" / f"{assignment}.py", submissions / "stub.py")
    if assignment in UNSTORABLE:
        UNSTORABLE[assignment](submissions, root)
    return submissions


@dataclasses.dataclass
class GradedClass:
    """An example class graded with ``autograder grade --jobs 2``.

    Attributes:
        assignment: The assignment's name.
        status: The command's exit status.
        out: The output folder (grades.csv, a folder of reports per student);
            what the command printed, stdout and stderr, is in terminal.txt beside it.
    """

    assignment: str
    status: int
    out: Path

    def terminal(self) -> str:
        """What the command printed, stdout and stderr."""
        return (self.out.parent / "terminal.txt").read_text()

    def scores(self) -> dict[str, float]:
        """Each student's score, from grades.csv."""
        with (self.out / "grades.csv").open() as handle:
            return {csv_unescape(row["student"]): float(row["score"])
                    for row in csv.DictReader(handle)}

    def grades(self) -> dict[str, dict]:
        """Each student's whole grade as saved in grade.json (functions, case outcomes)."""
        records = (json.loads(path.read_text()) for path in self.out.glob(f"*/{GRADE_FILE}"))
        return {record["student"]: record["grade"] for record in records}

    def folder(self, student: str) -> Path:
        """The folder of `student`'s reports."""
        folders = {json.loads(path.read_text())["student"]: path.parent
                   for path in self.out.glob(f"*/{GRADE_FILE}")}
        return folders[student]

    def feedback(self, student: str) -> str:
        """`student`'s feedback.md."""
        return (self.folder(student) / "feedback.md").read_text()

    def hints_not_in_feedback(self) -> list[tuple[str, str]]:
        """The spec's hints that no student's feedback.md shows, as (function, hint)."""
        shown = "\n".join(self.feedback(student) for student in self.scores())
        return [(check.function, hint.message) for check in load_spec(self.assignment).checks
                for hint in check.hints if hint.message not in shown]


def grade_example_class(assignment: str, root: Path) -> GradedClass:
    """Grades `assignment`'s example class (`build_example_class`) under `root`."""
    submissions = build_example_class(assignment, root)
    out = root / "out"
    terminal = io.StringIO()
    with contextlib.redirect_stdout(terminal), contextlib.redirect_stderr(terminal):
        status = main(["grade", str(submissions), "--assignment", assignment, "--out", str(out),
                       "--jobs", "2", "--timeout", timeout(assignment)])
    (root / "terminal.txt").write_text(terminal.getvalue(), errors="surrogateescape")
    return GradedClass(assignment, status, out)
