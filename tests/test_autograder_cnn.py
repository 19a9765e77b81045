"""The cnn checks: the example class graded end to end (tests/test_hint_coverage.py
shows every hint triggered by one of its students).

The class (examples/cnn/submissions) holds a correct student who writes
everything differently (tf.nn.conv2d, tf.nn.pool, a sigmoid LeNet), one student
per classic mistake and a hostile one; it is graded once with the CLI, with the
reference solution and the released stub among it.
"""

import numpy as np
import pytest
from conftest import REPO
from example_classes import timeout

from autograder.checks import NO_EXPECTED
from autograder.cli import main
from autograder.specs import cnn as cnn_spec
from autograder.specs import load_spec

SUBMISSIONS = REPO / "examples" / "cnn" / "submissions"

# What each student must score out of 10, and why. A function earns its points in
# proportion to the cases passed (corr2d 6 cases, conv_output_shape 11, pool2d 8,
# the two channel functions 4 each, build_lenet 2), rounded to 2 decimals.
SCORES = {
    "alice": 10.0,  # correct, written differently; a sigmoid, average-pooling LeNet
    # bob: a flipped kernel fails every corr2d case (0) and every channel case but the
    # 1 × 1 kernels (0.25 + 0.25); padding counted once fails 3 of 11 (2 * 8/11 = 1.45);
    # pool2d right (2); LeNet ends in a softmax (0).
    "bob": 0 + 1.45 + 2 + 0.25 + 0.25 + 0,
    # carol: corr2d one row short (0); sizes as floats pass only the 4 ValueError cases
    # (0.73); pooling ignoring the stride passes the 5 stride-1 and ValueError cases
    # (1.25); channels stacked (0) and put last (0); no padding in the LeNet (0).
    "carol": 0 + 0.73 + 1.25 + 0 + 0 + 0,
    # dave: float32 everywhere fails the float64 cases (corr2d 4/6 = 1.33, the channel
    # functions 2/4 each); the stride ignored passes 6 of 11 (1.09); pooling sums for
    # "avg" and never rejects a mode, passing only 2 float32 max cases (0.5); the LeNet
    # ignores num_classes (1).
    "dave": 1.33 + 1.09 + 0.5 + 0.5 + 0.5 + 1,
    # erin: no + 1 and no ValueError (0); pooling always max passes the 3 max cases (0.75);
    # input channels kept apart in corr2d_multi_in_out (0); no pooling layers (0).
    "erin": 2 + 0 + 0.75 + 1 + 0 + 0,
    "frank": 10 - 2 + 1.45,  # + 1 before dividing by the stride: 8 of 11
    "grace": 10 - 2 + 0.73,  # np.floor gives floats: only the 4 ValueError cases pass
    "mallory": 0.0,  # hostile: forged output, objects equal to anything, a fake model summary
    "reference": 10.0,  # solutions/cnn.py
    "stub": 0.0,  # assignments/cnn.py as released
}


@pytest.fixture(scope="module")
def graded(example_classes):
    return example_classes("cnn")


def test_the_class_gets_the_expected_scores(graded):
    assert graded.status == 0
    assert graded.scores() == pytest.approx(SCORES, abs=0.011)


@pytest.mark.parametrize("student, hint", [
    ("bob", "Leave the last Dense layer without activation"),
    ("carol", "Give the first Conv2D padding='same'"),
    ("dave", "Use the num_classes argument"),
    ("erin", "Put a pooling layer"),
    ("bob", "Do not flip the kernel"),
    ("carol", "The output has h - kh + 1 rows"),
    ("stub", "raise NotImplementedError"),
])
def test_feedback_names_the_mistake(graded, student, hint):
    assert hint in graded.feedback(student)


def test_the_hostile_student_gets_nothing_and_breaks_nothing(graded):
    feedback = graded.feedback("mallory")
    assert "Score: 0 / 10" in feedback
    assert "keras.Model" in feedback  # the made-up summary is refused


def test_public_checks_pass_on_the_reference(capsys):
    status = main(["check", str(REPO / "solutions" / "cnn.py"), "--timeout", timeout("cnn")])
    report = capsys.readouterr().out
    assert status == 0, report
    assert "6 of 6 functions pass" in report


def test_points_public_cases_and_training_data():
    spec = cnn_spec.SPEC
    assert load_spec("cnn") is spec and spec.max_score == 10
    assert [check.function for check in spec.checks] == [
        "corr2d", "conv_output_shape", "pool2d", "corr2d_multi_in", "corr2d_multi_in_out",
        "build_lenet"]
    for check in spec.checks:
        public = [case for case in check.cases() if case.public]
        assert public, check.function
        for case in public:
            assert (case.expected is not NO_EXPECTED or case.raises
                    or not check.needs_reference), (check.function, case.name)
    data = cnn_spec.training_blocks()
    assert data["x"].shape == (1024, 28, 28, 1) and data["x_eval"].shape == (128, 28, 28, 1)
    assert np.bincount(data["y"]).tolist() == [103] * 4 + [102] * 6
    assert np.array_equal(cnn_spec.training_blocks()["x"], data["x"])  # seeded, cached


def test_size_hints_tell_the_wrong_formulas_apart():
    check = cnn_spec.CONV_OUTPUT_SHAPE
    case = next(c for c in check.cases() if c.name.startswith("28 × 28, kernel 5, stride 2"))
    assert "Round down" in check.hint_for(case, (12.5, 12.5), (12, 12))
    assert "Return a tuple of two ints" in check.hint_for(case, (12.0, 12.0), (12, 12))
    assert "Off by one: the first window" in check.hint_for(case, (11, 11), (12, 12))
    assert "Divide by the stride" in check.hint_for(case, (24, 24), (12, 12))
    assert check.hint_for(case, (13, 13), (12, 12)) is None
