"""The optimization checks: the example class graded end to end, and the `Function` marker.

The class, with the reference solution and the released stub among it, is
graded once with the CLI. Every hint of the specification must be shown to at
least one example student.
"""

import numpy as np
import pytest
from conftest import REPO

from autograder.cli import main
from autograder.sandbox import Call, Function, Tensor, run_call
from autograder.sandbox.transport import read_message, write_message
from autograder.specs import load_spec
from autograder.specs import optimization as spec

# What each student must score out of 10, and why. Each function is worth 2
# points, earned in proportion to the cases passed, rounded to 2 decimals.
SCORES = {
    "alice": 10.0,  # correct, written differently (row-by-row Hessian, tf.linalg, paper's Adam)
    # bob: a single non-persistent tape raises in all 6 Hessian cases (0); minimum and maximum
    # swapped fail 4 of 9 (2 * 5/9 = 1.11); the unfixed eigenvector sign fails 4 of 6
    # (2 * 2/6 = 0.67); momentum and Adam right.
    "bob": 0 + 1.11 + 0.67 + 2 + 2,
    # carol: a single persistent tape returns None (0 of 6); her classifier raises LinAlgError
    # instead of ValueError on a non-square matrix (2 * 8/9 = 1.78); the eigenvector of the
    # largest eigenvalue passes only the rejected matrix (2 * 1/6 = 0.33); the velocity's sign
    # fails all 5 (0); Adam right.
    "carol": 0 + 1.78 + 0.33 + 0 + 2,
    # dave: None for the linear function's Hessian (2 * 5/6 = 1.67); the eigenvector divided by
    # its first component passes only the rejected matrix (0.33); Adam without bias correction
    # fails all 6 (0).
    "dave": 1.67 + 2 + 0.33 + 2 + 0,
    # erin: a row of eigh's matrix passes the symmetric 2-by-2 saddle and the rejected matrix
    # (2 * 2/6 = 0.67); epsilon inside the square root only matters where sqrt(v) is small,
    # failing 4 of 6 (0.67).
    "erin": 2 + 2 + 0.67 + 2 + 0.67,
    # mallory (hostile): zeros pass only the linear function's Hessian (2 * 1/6 = 0.33); a str
    # subclass that claims to equal everything is not the promised str (0); an endless loop, an
    # exit and a search for the reference earn nothing.
    "mallory": 0.33,
    "reference": 10.0,  # solutions/optimization.py
    "stub": 0.0,  # assignments/optimization.py as released: NotImplementedError
}


@pytest.fixture(scope="module")
def graded(example_classes):
    return example_classes("optimization")


def test_class_gets_the_expected_scores(graded):
    assert graded.status == 0
    assert graded.scores() == pytest.approx(SCORES)


def test_every_hint_is_shown_to_some_example_student(graded):
    assert graded.hints_not_in_feedback() == []


def test_classic_mistakes_get_their_hints(graded):
    feedback = graded.feedback
    assert "Nest two tapes" in feedback("bob")  # the error of a reused tape
    assert "Nest two tapes" in feedback("carol")  # the None of an unrecorded gradient
    assert "Minimum and maximum are swapped" in feedback("bob")
    assert "Minimum and maximum are swapped" not in feedback("carol")  # she raised LinAlgError
    assert "eigenvector of another eigenvalue" in feedback("carol")
    assert "eigenvector of another eigenvalue" in feedback("erin")
    assert "does not have length 1" in feedback("dave")
    assert "The velocity has the wrong sign" in feedback("carol")
    assert "bias correction is missing" in feedback("dave")
    assert "Epsilon goes outside the square root" in feedback("erin")
    mallory = feedback("mallory")
    assert "took longer than" in mallory and "crashed" in mallory
    assert "raise NotImplementedError" in feedback("stub")


def test_public_checks_pass_on_the_reference(capsys):
    status = main(["check", str(REPO / "solutions" / "optimization.py"), "--timeout", "20"])
    report = capsys.readouterr().out
    assert status == 0, report
    assert "5 of 5 functions pass" in report


def test_spec_points_and_public_cases():
    assert load_spec("optimization") is spec.SPEC
    assert spec.SPEC.max_score == 10
    for check in spec.SPEC.checks:
        assert any(case.public for case in check.cases()), check.function


# ---------------------------------------------------------------------------
# The Function marker: a test function defined where the student's code runs.
# ---------------------------------------------------------------------------
def test_function_marker_becomes_the_function_it_defines():
    def apply(f, x):
        return f(x)

    call = Call("apply", (spec.SADDLE, Tensor(np.array([2.0, 3.0], np.float32))))
    assert float(run_call(apply, call)) == pytest.approx(25.0)
    quadratic = spec.quadratic_form(np.array([[2.0, 1.0], [1.0, 4.0]]))
    call = Call("apply", (quadratic, Tensor(np.array([1.0, -1.0]))))
    assert float(run_call(apply, call)) == pytest.approx(0.5 * (2 - 1 - 1 + 4))


def test_function_marker_without_its_function_is_an_error():
    with pytest.raises(ValueError, match="does not define it"):
        run_call(lambda f: f, Call("f", (Function("g = 1"),)))


def test_function_marker_crosses_the_transport_only_in_job_files(tmp_path):
    value = {"args": (spec.MIXED, Tensor(np.ones(3, np.float32)))}
    write_message(tmp_path, "job", value, max_bytes=2**20, allow_markers=True)
    _, back = read_message(tmp_path, "job", max_bytes=2**20, allow_markers=True)
    assert back["args"][0] == spec.MIXED
    with pytest.raises(ValueError, match="malformed data node"):
        read_message(tmp_path, "job", max_bytes=2**20, allow_markers=False)
    with pytest.raises(ValueError, match="only plain data"):
        write_message(tmp_path, "result", spec.MIXED, max_bytes=2**20)


def test_reference_hessian_of_every_case_function_is_symmetric_in_xs_dtype():
    from solutions.optimization import hessian

    for case in spec.hessian_cases():
        if not case.raises:
            H = run_call(hessian, Call("hessian", case.args))
            assert H.dtype == case.args[1].array.dtype, case.name
            np.testing.assert_allclose(H, H.T, atol=1e-5, err_msg=case.name)
