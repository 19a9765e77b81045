"""Scores do not depend on how busy the machine is.

Each example class is graded with as many busy loops as the machine has cores
running beside the grader, and must get exactly the scores its own test module
expects (those are the scores of a quiet machine). Time limits count the CPU
time a submission used, so waiting for a core costs no points; the CPU hog
among the students (ivan) is held to one core and cannot starve the others.
Nothing here asserts on speed.
"""

import csv
import os
import shutil
import subprocess
import sys

import pytest
from conftest import REPO, copy_class
from test_autograder_grading import EXPECTED_SCORES as LINEAR_REGRESSION_SCORES
from test_autograder_grading import build_class as build_linear_regression_class
from test_autograder_softmax_mlp import MLP_SCORES, SOFTMAX_SCORES

from autograder.cli import main
from autograder.escape import csv_unescape

CLASSES = {
    # assignment: (expected scores, --timeout its own test module grades with)
    "linear_regression": (LINEAR_REGRESSION_SCORES, "5"),
    "softmax_regression": (SOFTMAX_SCORES, "10"),
    "mlp": (MLP_SCORES, "10"),
}


@pytest.fixture
def busy_loops():
    """One endless busy loop per core, in processes of their own, for the test's length."""
    loops = [subprocess.Popen([sys.executable, "-c", "while True:\n    pass\n"])
             for _ in range(os.cpu_count() or 2)]
    try:
        yield loops
    finally:
        for loop in loops:
            loop.kill()
            loop.wait()


@pytest.mark.slow
@pytest.mark.parametrize("assignment", sorted(CLASSES))
def test_example_class_scores_are_the_same_with_busy_loops_beside(assignment, busy_loops,
                                                                   tmp_path):
    expected, timeout = CLASSES[assignment]
    if assignment == "linear_regression":  # with the hostile entries git cannot store
        submissions = build_linear_regression_class(tmp_path)
    else:
        submissions = copy_class(REPO / "examples" / assignment / "submissions",
                                 tmp_path / "submissions")
        shutil.copy(REPO / "solutions" / f"{assignment}.py", submissions / "reference.py")
        shutil.copy(REPO / "assignments" / f"{assignment}.py", submissions / "stub.py")
    out = tmp_path / "out"
    assert all(loop.poll() is None for loop in busy_loops)
    status = main(["grade", str(submissions), "--assignment", assignment, "--out", str(out),
                   "--jobs", "2", "--timeout", timeout])
    assert all(loop.poll() is None for loop in busy_loops)  # they were busy all along
    assert status == 0
    with (out / "grades.csv").open() as handle:
        scores = {csv_unescape(row["student"]): float(row["score"])
                  for row in csv.DictReader(handle)}
    assert scores == pytest.approx(expected)
