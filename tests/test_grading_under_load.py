"""Scores do not depend on how busy the machine is.

Each example class is graded with as many busy loops as the machine has cores
running beside the grader, and must get exactly the scores its own test module
expects (those are the scores of a quiet machine). Time limits count the CPU
time a submission used, so waiting for a core costs no points; the CPU hog
among the students (ivan) is held to one core and cannot starve the others.
Nothing here asserts on speed.
"""

import os
import subprocess
import sys

import pytest
from example_classes import grade_example_class
from test_autograder_grading import EXPECTED_SCORES as LINEAR_REGRESSION_SCORES
from test_autograder_softmax_mlp import MLP_SCORES, SOFTMAX_SCORES

CLASSES = {  # assignment: the scores its own test module expects
    "linear_regression": LINEAR_REGRESSION_SCORES,
    "softmax_regression": SOFTMAX_SCORES,
    "mlp": MLP_SCORES,
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
    assert all(loop.poll() is None for loop in busy_loops)
    graded = grade_example_class(assignment, tmp_path)
    assert all(loop.poll() is None for loop in busy_loops)  # they were busy all along
    assert graded.status == 0
    assert graded.scores() == pytest.approx(CLASSES[assignment])
