"""The softmax-regression and MLP checks: example classes graded end to end, and units.

Each assignment's example class, with the reference solution and the released
stub among it, is graded once per module with the CLI; the unit tests at the
end exercise the comparisons, hints and the ``Case.raises`` / ``Hint.on_error``
extensions on plain data, without running any code in the sandbox.
"""

import json

import numpy as np
import pytest
from conftest import REPO

from autograder.checks import NO_EXPECTED, Case, FunctionCheck, Hint, close_to
from autograder.cli import main
from autograder.grading import check_function_in_process, expected_outputs, judge
from autograder.models import blob_images
from autograder.sandbox import CallResult
from autograder.specs import load_spec
from autograder.specs import mlp as mlp_spec
from autograder.specs import softmax_regression as softmax_spec

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
    # dan: softmax over columns (0), cross_entropy summed (0), accuracy broadcasts labels of
    # shape (n, 1), failing that case (1 * 3/4), softmax_regression returns logits (0), the
    # model ends in a softmax (0).
    "dan": 0.75,
    # eve: softmax without keepdims raises for non-square logits and is wrong for square
    # ones; only the batch of one passes (2 * 1/6); cross_entropy picks a (n, n) matrix (0);
    # accuracy returns a tensor, not a Python float (0); softmax_regression does not flatten
    # (0); the model has 10 units whatever num_classes, right for the default only (3 * 1/2).
    "eve": 0.33 + 1.5,
    # fay: softmax over the whole batch, right for the batch of one (2 * 1/6); cross_entropy
    # of shape (n, 1) (0); accuracy's argmax over axis 0, right by chance on the batch of one
    # (1 * 1/4); nothing else defined.
    "fay": 0.33 + 0.25,
    "gil": 0.0,  # only cross_entropy, without its minus sign
    "hal": 1.6,  # only cross_entropy, one_hot * log: nan on the tiny-probability case (2 * 4/5)
    "reference": 10.0,  # solutions/softmax_regression.py
    "stub": 0.0,  # assignments/softmax_regression.py as released: NotImplementedError
}
MLP_SCORES = {
    "alice": 10.0,  # correct, written differently (tf.where, NumPy mask, separate ReLU layer)
    # bob: mlp_forward returns probabilities (0 of 5); dropout without rescaling passes only
    # rate 0, rate 1 and the two ValueError cases (3 * 4/9 = 1.33); relu and build_mlp right.
    "bob": 1 + 0 + 1.33 + 4,
    # carol: relu is abs (0 of 5) and mlp_forward uses it (0 of 5); dropout never checks the
    # rate, failing the two ValueError cases, and ignores its seed, failing the case that calls
    # it twice with seed 1 (3 * 6/9 = 2; 2.33 before seeds were checked); build_mlp ignores
    # dropout, failing the case with dropout 0.5 (4 * 2/3 = 2.67).
    "carol": 0 + 0 + 2 + 2.67,
    # dan: relu is a 0/1 mask (0), mlp_forward has no hidden activation (0), dropout
    # multiplies by 1 - rate: right for rates 0 and 1 and the two ValueError cases
    # (3 * 4/9), build_mlp has no Flatten (0).
    "dan": 1.33,
    # eve: relu right (1); mlp_forward applies relu to the logits, right only where they are
    # all positive (2 * 1/5); dropout shares one mask per column: right for rates 0 and 1, the
    # ValueError cases and the batch of one, whose columns are single elements (3 * 5/9);
    # build_mlp's hidden layer has no ReLU (0).
    "eve": 1 + 0.4 + 1.67,
    # fay: mlp_forward does not flatten (0); dropout keeps with probability rate: right for
    # rates 0 and 1 and the ValueError cases (3 * 4/9); build_mlp ends in a softmax (0).
    "fay": 1.33,
    # gil: dropout gives zeros for rate 0 and nan for rate 1 (3 * 7/9); build_mlp has fixed
    # sizes, right for the default only (4 * 1/3).
    "gil": 2.33 + 1.33,
    "reference": 10.0,  # solutions/mlp.py
    "stub": 0.0,  # assignments/mlp.py as released
}


@pytest.fixture(scope="module")
def softmax_graded(example_classes):
    return example_classes("softmax_regression")


@pytest.fixture(scope="module")
def mlp_graded(example_classes):
    return example_classes("mlp")


# ---------------------------------------------------------------------------
# The example classes, graded with the CLI.
# ---------------------------------------------------------------------------
def test_softmax_class_gets_the_expected_scores(softmax_graded):
    assert softmax_graded.status == 0
    assert softmax_graded.scores() == pytest.approx(SOFTMAX_SCORES)


def test_mlp_class_gets_the_expected_scores(mlp_graded):
    assert mlp_graded.status == 0
    assert mlp_graded.scores() == pytest.approx(MLP_SCORES)


def test_softmax_results_have_one_test_per_function(softmax_graded):
    results = json.loads((softmax_graded.folder("reference") / "results.json").read_text())
    assert [test["name"].split()[0] for test in results["tests"]] == [
        "softmax", "cross_entropy", "accuracy", "softmax_regression", "build_softmax_model"]
    assert results["score"] == results["max_score"] == 10


def test_softmax_mistakes_come_with_hints(softmax_graded):
    bob = softmax_graded.feedback("bob")
    assert "Subtract each row's maximum" in bob
    assert "You averaged the losses" in bob
    carol = softmax_graded.feedback("carol")
    assert "number of correct predictions" in carol
    assert "Add keras.layers.Flatten()" in carol
    assert "raise NotImplementedError" in softmax_graded.feedback("stub")


def test_mlp_mistakes_come_with_hints(mlp_graded):
    bob = mlp_graded.feedback("bob")
    assert "Divide the kept elements by 1 - rate" in bob
    assert "leave out the softmax" in bob
    carol = mlp_graded.feedback("carol")
    assert "not their absolute value" in carol
    assert "raise ValueError when it is not in [0, 1]" in carol
    assert "Add keras.layers.Dropout(dropout)" in carol
    assert "raise NotImplementedError" in mlp_graded.feedback("stub")


@pytest.mark.slow
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
    data = blob_images()
    assert data["x"].shape == (256, 28, 28) and data["x_eval"].shape == (128, 28, 28)
    assert np.bincount(data["y"]).tolist() == [26] * 6 + [25] * 4
    blob_images.cache_clear()
    assert np.array_equal(blob_images()["x_eval"], data["x_eval"])
    options = softmax_spec.BUILD_SOFTMAX_MODEL.options
    assert "y_eval" not in options["train"], "the held-out labels never reach student code"
    assert options["train"]["optimizer"] == {"class_name": "Adam",
                                             "config": {"learning_rate": 0.003}}


def test_raising_cases_never_run_the_reference():
    pairs = [(mlp_spec.DROPOUT, case) for case in mlp_spec.DROPOUT.cases() if case.raises]
    assert len(pairs) == 2
    assert expected_outputs(mlp_spec.SPEC, pairs) == [None, None]


def layer(class_name, params=0, **config):
    return {"class_name": class_name, "name": class_name.lower(), "params": params,
            "config": config}


def summary(*layers, params, output, predictions=None):
    if predictions is None:
        labels = blob_images()["y_eval"]
        predictions = np.eye(output[1], dtype=np.float32)[labels]
    return {"class": "Sequential", "layers": list(layers), "param_count": params,
            "output_shape": list(output), "predictions": predictions, "compiled": False}


def mlp_summary(hiddens=256, outputs=10, rate=None, *, params=None):
    layers = [layer("Flatten"), layer("Dense", units=hiddens, activation="relu")]
    if rate is not None:
        layers.append(layer("Dropout", rate=rate))
    layers.append(layer("Dense", units=outputs, activation="linear"))
    if params is None:
        params = 784 * hiddens + hiddens + hiddens * outputs + outputs
    return summary(*layers, params=params, output=(2, outputs))


def kind(check, got, case):
    found = check.compare(got, None, case)
    return found and found.kind


def test_model_structure_checks():
    softmax, mlp = softmax_spec.BUILD_SOFTMAX_MODEL, mlp_spec.BUILD_MLP
    default = Case("default")
    model = summary(layer("Flatten"), layer("Dense", 7850, units=10, activation="linear"),
                    params=7850, output=(2, 10))
    assert kind(softmax, model, default) is None
    assert kind(mlp, mlp_summary(), default) is None
    assert mlp_summary()["param_count"] == 203_530
    assert kind(mlp, mlp_summary(64, 10, 0.5), Case("drop", (64, 10, 0.5))) is None
    assert kind(mlp, mlp_summary(64, 10), Case("d", (64, 10, 0.5))) == "layers.missing.Dropout"
    assert kind(mlp, mlp_summary(rate=0.0), default) == "layers.extra.Dropout"
    assert kind(mlp, mlp_summary(64, 10, 0.2), Case("d", (64, 10, 0.5))) == "layers.config.rate"
    assert kind(mlp, mlp_summary(params=1), default) == "model.params"
    found = mlp.compare(mlp_summary(128), None, default)
    assert found.kind == "layers.config.units" and "[256, 10]" in found.message
    wrong = mlp_summary()
    wrong["layers"][-1]["config"]["activation"] = "softmax"
    assert kind(mlp, wrong, default) == "model.logits"
    assert "without activation" in mlp.hint_for(default, wrong, None, mlp.compare(wrong, None,
                                                                                  default))
    separate = summary(layer("InputLayer"), layer("Reshape"), layer("Dense", units=256),
                       layer("ReLU"), layer("Dense", units=10), params=203_530, output=(2, 10))
    assert kind(mlp, separate, default) is None, "Reshape flattens, ReLU folds into Dense"
    flat = summary(layer("Dense", units=10), params=7850, output=(2, 28, 10))
    assert kind(softmax, flat, default) == "layers.missing.Flatten"


def test_model_accuracy_is_computed_from_the_predictions():
    labels = blob_images()["y_eval"]
    mlp, default = mlp_spec.BUILD_MLP, Case("default")
    bad = mlp_summary()
    bad["predictions"] = np.eye(10, dtype=np.float32)[(labels + 1) % 10]
    assert "accuracy of 0.00" in mlp.compare(bad, None, default).message
    bad["predictions"] = np.zeros((3, 10), np.float32)
    assert "shape" in mlp.compare(bad, None, default).message
    failed = mlp_summary()
    del failed["predictions"]
    failed["training_error"] = {"type": "ValueError", "message": "bad shapes"}
    found = mlp.compare(failed, None, default)
    assert found.kind == "model.training" and "raised ValueError: bad shapes" in found.message


def test_dropout_properties():
    rng = np.random.default_rng(0)
    X = rng.uniform(1, 2, (100, 100)).astype(np.float32)
    case = Case("rate 0.3", (X, 0.3))
    keep = rng.random(X.shape) >= 0.3
    check = mlp_spec.DROPOUT
    assert kind(check, np.where(keep, X / np.float32(0.7), 0), case) is None
    assert kind(check, np.where(keep, X, 0), case) == "dropout.not_rescaled"
    assert kind(check, np.where(~keep, X / np.float32(0.7), 0), case) == "dropout.swapped"
    assert kind(check, X[:5], case) == "shape"
    assert kind(check, np.where(keep, X / 0.7, 0).astype(np.float64), case) == "dtype"
    assert kind(check, X, Case("rate 0", (X, 0.0))) is None
    assert kind(check, np.full_like(X, np.inf), Case("rate 1", (X, 1.0))) == "dropout.rate_1"
    columns = np.broadcast_to(keep[:1], X.shape)
    assert kind(check, np.where(columns, X / np.float32(0.7), 0), case) == "dropout.shared_mask"
    found = check.compare(np.where(keep, X, 0), None, case)
    assert "Divide the kept elements by 1 - rate" in check.hint_for(case, None, None, found)


def test_dropout_seeds_must_reproduce():
    rng = np.random.default_rng(1)
    X = rng.uniform(1, 2, (100, 100)).astype(np.float32)
    masks = [rng.random(X.shape) >= 0.5 for _ in range(2)]
    out = [np.where(mask, X / np.float32(0.5), 0).astype(np.float32) for mask in masks]
    case = Case("seeds", (X, 0.5), {"seed": 1}, options={"variants": [{}, {"seed": 2}]})
    check = mlp_spec.DROPOUT
    assert kind(check, [out[0], out[0], out[1]], case) is None
    assert kind(check, [out[0], out[1], out[1]], case) == "seed.ignored"
    assert kind(check, [out[0], out[0], out[0]], case) == "seed.fixed"
    unseeded = Case("no seed", (X, 0.5), options={"variants": [{}]})
    assert kind(check, [out[0], out[1]], unseeded) is None
    assert kind(check, [out[0], out[0]], unseeded) == "seed.fixed"


def test_softmax_tolerance_follows_the_logits_precision():
    X = np.array([[-1e4, -1e4, -1e4]], np.float32)
    case, expected = Case("big", (X,)), np.full((1, 3), 1 / 3, np.float32)
    log_sum_exp = np.float32(-1e4) + np.float32(np.log(3.0))  # rounded at ±5e-4
    assert softmax_spec.compare_softmax(np.exp(X - log_sum_exp), expected, case) is None
    small = Case("small", (np.zeros((1, 3), np.float32),))
    assert softmax_spec.compare_softmax(expected * 1.001, expected, small) is not None
    assert softmax_spec.compare_softmax(expected.astype(np.float64), expected, small).kind == "dtype"


def test_softmax_hints_on_outputs():
    check = softmax_spec.SOFTMAX
    case = check.cases()[0]
    X = case.args[0]
    by_columns = (np.exp(X) / np.exp(X).sum(axis=0)).astype(np.float32)
    found = check.compare(by_columns, case.expected, case)
    assert "columns sum to 1" in check.hint_for(case, by_columns, case.expected, found)
    nan = np.full_like(case.expected, np.nan)
    found = check.compare(nan, case.expected, case)
    assert "Subtract each row's maximum" in check.hint_for(case, nan, case.expected, found)
    accuracy = softmax_spec.ACCURACY
    known = accuracy.cases()[0]
    assert "number of correct" in accuracy.hint_for(known, 3.0, 0.75, None)


def test_the_raising_softmax_without_keepdims_gets_its_hint():
    check = softmax_spec.SOFTMAX
    case = check.cases()[0]
    result = CallResult("error", error="InvalidArgumentError: Incompatible shapes",
                        error_type="InvalidArgumentError")
    outcome = judge(check, case, case.expected, result)
    assert outcome.status == "raised" and "keepdims=True" in outcome.hint


# ---------------------------------------------------------------------------
# Cases that must raise, and hints on raised exceptions.
# ---------------------------------------------------------------------------
RAISING = FunctionCheck(
    function="f", points=1, cases=lambda: [], compare=close_to(),
    hints=(Hint("check the input", when="did_not_raise"),),
)


@pytest.mark.parametrize(
    "result, passed, message",
    [
        (CallResult("error", error="ValueError: bad rate (line 3 of s.py)",
                    error_type="ValueError"), True, None),
        (CallResult("error", error="TypeError: nope", error_type="TypeError"), False,
         "it should raise ValueError"),
        (CallResult("error", error="ValueError: fake", error_type="Exception"), False,
         "should raise"),
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


def test_error_hints_match_the_exception_type_and_only_errors():
    def shapes(X):
        raise ValueError("incompatible")

    check = FunctionCheck(
        function="f", points=1, cases=lambda: [], compare=close_to(),
        hints=(Hint("shapes", like=shapes), Hint("on output", applies=lambda *_: True)),
    )
    case = Case("c", (np.zeros(2),), expected=np.ones(2))
    failed = judge(check, case, case.expected,
                   CallResult("error", error="ValueError: incompatible", error_type="ValueError"))
    assert failed.hint == "shapes" and failed.status == "raised"
    other = judge(check, case, case.expected,
                  CallResult("error", error="KeyError: 1", error_type="KeyError"))
    assert other.hint == "on output"
    wrong = judge(check, case, case.expected, CallResult("ok", value=np.zeros(2)))
    assert wrong.hint == "on output" and wrong.status == "failed"
    stub = judge(check, case, case.expected, CallResult(
        "error", error="NotImplementedError", error_type="NotImplementedError"))
    assert "raise NotImplementedError" in stub.hint


@pytest.mark.slow
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
