"""The softmax-regression and MLP checks: example classes graded end to end, and units.

Each assignment's example class, with the reference solution and the released
stub among it, is graded once per module with the CLI; the unit tests at the
end exercise the comparisons, hints and the ``Case.raises`` / ``Hint.on_error``
extensions on plain data, without running any code in the sandbox.
"""

import csv
import json
import shutil

import numpy as np
import pytest
from conftest import REPO

from autograder.checks import NO_EXPECTED, Case, FunctionCheck, Hint, close_to
from autograder.cli import main
from autograder.grading import check_function_in_process, expected_outputs, judge
from autograder.sandbox import CallResult
from autograder.specs import load_spec
from autograder.specs import mlp as mlp_spec
from autograder.specs import softmax_regression as softmax_spec

EXAMPLES = REPO / "examples"

# What each student must score out of 10, and why. A function earns its points
# in proportion to the cases passed, rounded to 2 decimals.
SOFTMAX_SCORES = {
    "alice": 10.0,  # correct, written differently (log-sum-exp, one-hot, functional model)
    # bob: softmax without the max-subtraction fails the two large-logit cases of 6 (2 * 4/6
    # = 1.33); cross_entropy averaged fails all 5 (0); accuracy 1; softmax_regression uses his
    # softmax, so its large-logit case fails (2 * 4/5 = 1.6); the Keras model is right (3).
    "bob": 1.33 + 0 + 1 + 1.6 + 3,
    # carol: accuracy as a count only passes the batch of one, whose count is 0 = 0.0
    # (1 * 1/4); the Keras model lacks its Flatten, so training fails in both cases (0).
    "carol": 2 + 2 + 0.25 + 2 + 0,
    "reference": 10.0,  # solutions/softmax_regression.py
    "stub": 0.0,  # assignments/softmax_regression.py as released: NotImplementedError
}
MLP_SCORES = {
    "alice": 10.0,  # correct, written differently (tf.where, NumPy mask, separate ReLU layer)
    # bob: mlp_forward returns probabilities (0 of 5); dropout without rescaling passes only
    # rate 0, rate 1 and the two ValueError cases (3 * 4/9 = 1.33); relu and build_mlp right.
    "bob": 1 + 0 + 1.33 + 4,
    # carol: relu is abs (0 of 5) and mlp_forward uses it (0 of 5); dropout never checks the
    # rate, failing the two ValueError cases (3 * 7/9 = 2.33); build_mlp ignores dropout,
    # failing the case with dropout 0.5 (4 * 2/3 = 2.67).
    "carol": 0 + 0 + 2.33 + 2.67,
    "reference": 10.0,  # solutions/mlp.py
    "stub": 0.0,  # assignments/mlp.py as released
}


def grade_examples(tmp_path_factory, assignment: str):
    """Grades the example class of `assignment` plus the reference and the stub, once."""
    root = tmp_path_factory.mktemp(assignment)
    submissions = root / "submissions"
    shutil.copytree(EXAMPLES / assignment / "submissions", submissions)
    shutil.copy(REPO / "solutions" / f"{assignment}.py", submissions / "reference.py")
    shutil.copy(REPO / "assignments" / f"{assignment}.py", submissions / "stub.py")
    out = root / "out"
    status = main(["grade", str(submissions), "--assignment", assignment,
                   "--out", str(out), "--jobs", "2", "--timeout", "10"])
    return status, out


@pytest.fixture(scope="module")
def softmax_graded(tmp_path_factory):
    return grade_examples(tmp_path_factory, "softmax_regression")


@pytest.fixture(scope="module")
def mlp_graded(tmp_path_factory):
    return grade_examples(tmp_path_factory, "mlp")


def read_scores(out):
    with (out / "grades.csv").open() as handle:
        return {row["student"]: float(row["score"]) for row in csv.DictReader(handle)}


def feedback(out, student: str) -> str:
    return (out / student / "feedback.md").read_text()


# ---------------------------------------------------------------------------
# The example classes, graded with the CLI.
# ---------------------------------------------------------------------------
def test_softmax_class_gets_the_expected_scores(softmax_graded):
    status, out = softmax_graded
    assert status == 0
    assert read_scores(out) == pytest.approx(SOFTMAX_SCORES)


def test_mlp_class_gets_the_expected_scores(mlp_graded):
    status, out = mlp_graded
    assert status == 0
    assert read_scores(out) == pytest.approx(MLP_SCORES)


def test_softmax_results_have_one_test_per_function(softmax_graded):
    _, out = softmax_graded
    results = json.loads((out / "reference" / "results.json").read_text())
    assert [test["name"].split()[0] for test in results["tests"]] == [
        "softmax", "cross_entropy", "accuracy", "softmax_regression", "build_softmax_model"]
    assert results["score"] == results["max_score"] == 10


def test_softmax_mistakes_come_with_hints(softmax_graded):
    _, out = softmax_graded
    bob = feedback(out, "bob")
    assert "Subtract each row's maximum" in bob
    assert "You averaged the losses" in bob
    carol = feedback(out, "carol")
    assert "number of correct predictions" in carol
    assert "Add keras.layers.Flatten()" in carol
    assert "raise NotImplementedError" in feedback(out, "stub")


def test_mlp_mistakes_come_with_hints(mlp_graded):
    _, out = mlp_graded
    bob = feedback(out, "bob")
    assert "Divide the kept elements by 1 - rate" in bob
    assert "leave out the softmax" in bob
    carol = feedback(out, "carol")
    assert "not their absolute value" in carol
    assert "raise ValueError when it is not in [0, 1]" in carol
    assert "Add keras.layers.Dropout(dropout)" in carol
    assert "raise NotImplementedError" in feedback(out, "stub")


@pytest.mark.parametrize("assignment, functions", [("softmax_regression", 5), ("mlp", 4)])
def test_public_checks_pass_on_the_reference(assignment, functions, capsys):
    status = main(["check", str(REPO / "solutions" / f"{assignment}.py"), "--timeout", "10"])
    report = capsys.readouterr().out
    assert status == 0, report
    assert f"{functions} of {functions} functions pass" in report


# ---------------------------------------------------------------------------
# The specifications themselves.
# ---------------------------------------------------------------------------
def test_points_and_public_cases():
    assert softmax_spec.SPEC.max_score == 10 and mlp_spec.SPEC.max_score == 10
    for spec in (softmax_spec.SPEC, mlp_spec.SPEC):
        assert load_spec(spec.name) is spec
        for check in spec.checks:
            public = [case for case in check.cases() if case.public]
            assert public, check.function
            for case in public:  # checkable without the reference solution
                assert (case.expected is not NO_EXPECTED or case.raises
                        or not check.needs_reference), (check.function, case.name)


def test_training_images_are_seeded_and_balanced():
    data = softmax_spec.training_images()
    assert data["x"].shape == (256, 28, 28) and data["x_eval"].shape == (128, 28, 28)
    assert np.bincount(data["y"]).tolist() == [26] * 6 + [25] * 4
    softmax_spec.training_images.cache_clear()
    assert np.array_equal(softmax_spec.training_images()["x_eval"], data["x_eval"])
    options = softmax_spec.BUILD_SOFTMAX_MODEL.options
    assert "y_eval" not in options["train"], "the held-out labels never reach student code"


def test_raising_cases_never_run_the_reference():
    pairs = [(mlp_spec.DROPOUT, case) for case in mlp_spec.dropout_cases() if case.raises]
    assert len(pairs) == 2
    assert expected_outputs(mlp_spec.SPEC, pairs) == [None, None]


def layer(class_name, params=0, **config):
    return {"class_name": class_name, "name": class_name.lower(), "params": params,
            "config": config}


def summary(*layers, params, output, predictions=None):
    if predictions is None:
        labels = softmax_spec.training_images()["y_eval"]
        predictions = np.eye(output[1], dtype=np.float32)[labels]
    return {"class": "Sequential", "layers": list(layers), "param_count": params,
            "output_shape": list(output), "predictions": predictions}


def mlp_summary(hiddens=256, outputs=10, rate=None, *, params=None):
    layers = [layer("Flatten"), layer("Dense", units=hiddens, activation="relu")]
    if rate is not None:
        layers.append(layer("Dropout", rate=rate))
    layers.append(layer("Dense", units=outputs, activation="linear"))
    if params is None:
        params = 784 * hiddens + hiddens + hiddens * outputs + outputs
    return summary(*layers, params=params, output=(2, outputs))


def test_model_structure_checks():
    compare_softmax, compare_mlp = softmax_spec.compare_softmax_model, mlp_spec.compare_mlp
    default = Case("default")
    softmax = summary(layer("Flatten"), layer("Dense", 7850, units=10, activation="linear"),
                      params=7850, output=(2, 10))
    assert compare_softmax(softmax, None, default) is None
    assert compare_mlp(mlp_summary(), None, default) is None
    assert mlp_summary()["param_count"] == 203_530
    assert compare_mlp(mlp_summary(64, 10, 0.5), None, Case("drop", (64, 10, 0.5))) is None
    assert "1 Dropout layer" in compare_mlp(mlp_summary(64, 10), None, Case("d", (64, 10, 0.5)))
    assert "no Dropout layer" in compare_mlp(mlp_summary(rate=0.0), None, default)
    assert "rate 0.2" in compare_mlp(mlp_summary(64, 10, 0.2), None, Case("d", (64, 10, 0.5)))
    assert "parameters" in compare_mlp(mlp_summary(params=1), None, default)
    assert "[256, 10]" in compare_mlp(mlp_summary(128), None, default)
    wrong = mlp_summary()
    wrong["layers"][-1]["config"]["activation"] = "softmax"
    assert "logits" in compare_mlp(wrong, None, default)
    hints = [mlp_spec.BUILD_MLP.hint_for(default, wrong, None)]
    assert "without activation" in hints[0]


def test_model_accuracy_is_computed_from_the_predictions():
    labels = softmax_spec.training_images()["y_eval"]
    good = mlp_summary()
    assert mlp_spec.compare_mlp(good, None, Case("default")) is None
    bad = mlp_summary()
    bad["predictions"] = np.eye(10, dtype=np.float32)[(labels + 1) % 10]
    assert "accuracy of 0.00" in mlp_spec.compare_mlp(bad, None, Case("default"))
    bad["predictions"] = np.zeros((3, 10), np.float32)
    assert "shape" in mlp_spec.compare_mlp(bad, None, Case("default"))


def test_dropout_properties():
    rng = np.random.default_rng(0)
    X = rng.uniform(1, 2, (100, 100)).astype(np.float32)
    case = Case("rate 0.3", (X, 0.3))
    keep = rng.random(X.shape) >= 0.3
    compare = mlp_spec.compare_dropout
    assert compare(np.where(keep, X / np.float32(0.7), 0), None, case) is None
    assert "not rescaled" in compare(np.where(keep, X, 0), None, case)
    assert "keep with probability rate" in compare(np.where(~keep, X / 0.7, 0), None, case)
    assert "shape" in compare(X[:5], None, case)
    assert compare(X, None, Case("rate 0", (X, 0.0))) is None
    assert "inf or nan" in compare(np.full_like(X, np.inf), None, Case("rate 1", (X, 1.0)))
    hint = mlp_spec.DROPOUT.hint_for(case, np.where(keep, X, 0), None)
    assert "Divide the kept elements by 1 - rate" in hint


def test_softmax_tolerance_follows_the_logits_precision():
    X = np.array([[-1e4, -1e4, -1e4]], np.float32)
    case, expected = Case("big", (X,)), np.full((1, 3), 1 / 3, np.float32)
    log_sum_exp = np.float32(-1e4) + np.float32(np.log(3.0))  # rounded at ±5e-4
    assert softmax_spec.compare_softmax(np.exp(X - log_sum_exp), expected, case) is None
    small = Case("small", (np.zeros((1, 3), np.float32),))
    assert softmax_spec.compare_softmax(expected * 1.001, expected, small) is not None


def test_softmax_hints_on_outputs():
    case = softmax_spec.softmax_cases()[0]
    X = case.args[0].astype(np.float64)
    by_columns = np.exp(X) / np.exp(X).sum(axis=0)
    assert "columns sum to 1" in softmax_spec.SOFTMAX.hint_for(case, by_columns, case.expected)
    nan = np.full_like(case.expected, np.nan)
    assert "Subtract each row's maximum" in softmax_spec.SOFTMAX.hint_for(case, nan, case.expected)
    accuracy = softmax_spec.accuracy_cases()[0]
    assert "number of correct" in softmax_spec.ACCURACY.hint_for(accuracy, 3.0, 0.75)
    assert "one number" in softmax_spec.compare_accuracy(np.array([0.75]), 0.75, accuracy)


# ---------------------------------------------------------------------------
# The two small extensions of the check model.
# ---------------------------------------------------------------------------
RAISING = FunctionCheck(
    function="f", points=1, cases=lambda: [], compare=close_to(),
    hints=(Hint("check the input", lambda case, got, expected: True),),
)


@pytest.mark.parametrize(
    "result, passed, message",
    [
        (CallResult("error", error="ValueError: bad rate (line 3 of s.py)"), True, None),
        (CallResult("error", error="ValueError"), True, None),
        (CallResult("error", error="TypeError: nope"), False, "it should raise ValueError"),
        (CallResult("error", error="Exception: ValueError: fake"), False, "should raise"),
        (CallResult("ok", value=np.zeros(2)), False, "should raise ValueError for these inputs"),
        (CallResult("timeout", error="took longer than 1 s"), False, "did not finish"),
    ],
)
def test_a_case_can_require_an_exception(result, passed, message):
    case = Case("bad input", (1.5,), raises="ValueError")
    outcome = judge(RAISING, case, None, result)
    assert outcome.passed is passed
    assert outcome.expected == "raises ValueError"
    if message:
        assert message in outcome.message
    if result.status == "ok":
        assert outcome.hint == "check the input"


def test_raises_cases_work_in_process():
    def dropout(X, rate, seed=None):
        if not 0 <= rate <= 1:
            raise ValueError("rate outside [0, 1]")
        return X

    grade = check_function_in_process(mlp_spec.SPEC, "dropout_layer", dropout)
    by_case = {outcome.case: outcome.passed for outcome in grade.outcomes}
    assert by_case["rate 1.5 raises ValueError"] and by_case["rate 0 returns X unchanged"]
    assert not by_case["rate 1 returns zeros"]


def test_error_hints_see_the_error_and_only_errors():
    check = FunctionCheck(
        function="f", points=1, cases=lambda: [], compare=close_to(),
        hints=(
            Hint("on output", lambda case, got, expected: True),
            Hint("shapes", lambda case, error, expected: "incompatible" in error, on_error=True),
        ),
    )
    case = Case("c", (np.zeros(2),), expected=np.ones(2))
    failed = judge(check, case, case.expected, CallResult("error", error="E: incompatible"))
    assert failed.hint == "shapes"
    other = judge(check, case, case.expected, CallResult("error", error="E: other"))
    assert other.hint is None
    wrong = judge(check, case, case.expected, CallResult("ok", value=np.zeros(2)))
    assert wrong.hint == "on output"
    stub = judge(check, case, case.expected, CallResult("error", error="NotImplementedError"))
    assert "raise NotImplementedError" in stub.hint


def test_a_compiled_model_is_refused():
    """The model builders must return uncompiled models."""
    from autograder.grading import check_function_in_process
    from autograder.specs import load_spec
    from solutions.mlp import build_mlp

    def compiled_mlp(*args, **kwargs):
        model = build_mlp(*args, **kwargs)
        model.compile(optimizer="sgd", loss="mse")
        return model

    grade = check_function_in_process(load_spec("mlp"), "build_mlp", compiled_mlp)
    assert not grade.passed
    assert "already compiled" in grade.first_failure.message
