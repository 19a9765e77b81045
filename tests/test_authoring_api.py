"""The spec authoring API: Hint(like=...), standard cases, model expectations, time limits."""

import numpy as np
import pytest
import tensorflow as tf
from conftest import REPO

from autograder.cases import (
    indexed_examples,
    linear_problem,
    recovery_case,
    rng_for,
    standard_cases,
)
from autograder.checks import (
    Case,
    FunctionCheck,
    Hint,
    HintError,
    batch_order,
    close_to,
    pair_w_b,
    parameters_recovered,
    seeded,
    shuffled_batches,
)
from autograder.grading import judge
from autograder.models import Layer, ModelExpectation, Recipe, blob_images, model_check
from autograder.sandbox import Call, CallResult, Tensor
from autograder.sandbox.harness import run_call
from autograder.specs import load_spec, spec_names


def double(X):
    return X * 2


def doubled_check(**changes):
    fields = dict(
        function="double", points=1, compare=close_to(),
        cases=standard_cases(lambda rng, n, scale: (rng.normal(size=(n, 3)) * scale,), seed=1,
                             large=1e3, known=[Case("known", (np.ones(2, "f4"),),
                                                    expected=np.full(2, 2.0, "f4"), public=True)]),
        hints=(Hint("you added instead of multiplying", like=lambda X: X + 2),
               Hint("the dtype changed", when="dtype")),
    )
    return FunctionCheck(**(fields | changes))


def test_standard_cases_cover_the_usual_inputs():
    cases = doubled_check().cases()
    assert [case.name for case in cases] == [
        "known", "tf.Tensor float32 inputs", "NumPy float64 inputs",
        "batch of one, tf.Tensor float32", "large magnitudes (about 1000), tf.Tensor float32"]
    tensor, numpy, one, large = (case.args[0] for case in cases[1:])
    assert isinstance(tensor, Tensor) and tensor.array.dtype == np.float32
    assert isinstance(numpy, np.ndarray) and numpy.dtype == np.float64
    assert one.array.shape == (1, 3) and np.abs(large.array).max() > 100
    assert np.array_equal(doubled_check().cases()[1].args[0].array, tensor.array), "seeded"


def test_a_hint_like_a_wrong_function_fires_on_its_output():
    check = doubled_check()
    case = check.cases()[2]
    X = case.args[0]
    outcome = judge(check, case, X * 2, CallResult("ok", value=X + 2, returned_type="ndarray"))
    assert outcome.status == "failed" and outcome.hint == "you added instead of multiplying"
    outcome = judge(check, case, X * 2, CallResult("ok", value=X * 3))
    assert outcome.hint is None
    outcome = judge(check, case, X * 2, CallResult("ok", value=(X * 2).astype("f4")))
    assert outcome.problem_kind == "dtype" and outcome.hint == "the dtype changed"


def test_a_hint_that_raises_is_a_grader_error_not_silence():
    def broken(case, got, expected):
        raise KeyError("oops")

    check = doubled_check(hints=(Hint("never", applies=broken),))
    case = check.cases()[0]
    with pytest.raises(HintError, match="oops"):
        check.hint_for(case, np.zeros(2), case.expected, None)
    outcome = judge(check, case, case.expected, CallResult("ok", value=np.zeros(2, "f4")))
    assert outcome.grader_error and "oops" in outcome.grader_error


def test_hints_are_declared_one_way():
    with pytest.raises(ValueError, match="exactly one"):
        Hint("both", like=double, when="dtype")
    with pytest.raises(ValueError, match="property check"):
        doubled_check(needs_reference=False)


def test_time_limit_and_case_options_reach_the_call():
    check = doubled_check(timeout=42.0)
    call = check.call(Case("c", (1.0,), options={"variants": [{}]}))
    assert call.timeout == 42.0 and call.options == {"variants": [{}]}
    with pytest.raises(ValueError, match="timeout"):
        doubled_check(timeout=0)


def test_returned_type_is_checked_where_the_spec_states_it():
    check = load_spec("softmax_regression").check("accuracy")
    case = check.cases()[0]
    as_tensor = judge(check, case, 0.75, CallResult("ok", value=np.array(0.75),
                                                    returned_type="EagerTensor"))
    assert as_tensor.status == "failed" and as_tensor.problem_kind == "returned_type"
    assert "a Python float" in as_tensor.message and "a tf.Tensor" in as_tensor.message
    as_float = judge(check, case, 0.75, CallResult("ok", value=0.75, returned_type="float"))
    assert as_float.passed


@pytest.mark.slow
def test_a_recipe_is_data_the_sandbox_follows():
    recipe = Recipe(data=blob_images, optimizer="SGD", optimizer_config={"learning_rate": 0.1},
                    loss="SparseCategoricalCrossentropy", epochs=1, target=0.5)
    check = model_check(
        "build", points=1, arguments={"units": 10}, recipe=recipe,
        expect=lambda units: ModelExpectation((Layer("Flatten"), Layer("Dense", units=units)),
                                              output_shape=(units,), param_count=7850),
        cases=[Case("default", (), public=True)], timeout=60)
    train = check.options["train"]
    assert train["optimizer"] == {"class_name": "SGD", "config": {"learning_rate": 0.1}}
    assert train["epochs"] == 1 and check.timeout == 60 and "y_eval" not in train
    from autograder.sandbox import run_call

    def build(units=10):
        import keras
        return keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
                                 keras.layers.Dense(units)])

    output = run_call(build, check.call(check.cases()[0]))
    assert output["predictions"].shape == (128, 10)
    assert check.compare(output, None, check.cases()[0]) is None


def test_every_spec_hint_is_declared_with_the_new_api():
    for name in spec_names():
        for check in load_spec(name).checks:
            for hint in check.hints:
                assert hint.like or hint.when or hint.applies, (name, check.function)


def test_wrong_functions_run_on_every_case_without_grader_errors():
    """Each like= mistake runs on each case; a mistake may raise (then it matches raises)."""
    from autograder.checks import wrong_output

    for name in spec_names():
        for check in load_spec(name).checks:
            for case in check.cases():
                for hint in check.hints:
                    for like in hint.like or ():
                        output = wrong_output(check, like, case)
                        assert output.raised is None or isinstance(output.raised, str)
    assert tf.executing_eagerly()


def test_autograder_new_scaffolds_a_working_assignment(tmp_path):
    import importlib.util

    from autograder.generate.scaffold import new_assignment
    from autograder.grading import check_function_in_process

    (tmp_path / "solutions").mkdir()
    (tmp_path / "autograder" / "specs").mkdir(parents=True)
    written = new_assignment("weight_tying", tmp_path)
    assert [path.name for path in written] == ["weight_tying.py", "weight_tying.py", "submissions"]
    with pytest.raises(ValueError, match="already exists"):
        new_assignment("weight_tying", tmp_path)
    with pytest.raises(ValueError, match="lower-case Python identifier"):
        new_assignment("Bad-Name", tmp_path)

    def load(path):
        module_spec = importlib.util.spec_from_file_location(f"scaffolded_{path.parent.name}", path)
        module = importlib.util.module_from_spec(module_spec)
        module_spec.loader.exec_module(module)
        return module

    spec = load(tmp_path / "autograder" / "specs" / "weight_tying.py").SPEC
    solution = load(tmp_path / "solutions" / "weight_tying.py")
    assert "### BEGIN SOLUTION" in (tmp_path / "solutions" / "weight_tying.py").read_text()
    assert check_function_in_process(spec, "scale", solution.scale).passed
    wrong = check_function_in_process(spec, "scale", lambda X, factor: X + factor)
    assert wrong.first_failure.hint == "Multiply by factor; do not add it."


def test_one_frozen_limits_type_and_per_function_time_limits():
    import dataclasses

    from autograder.grade_command import open_sandbox, submission_timeout
    from autograder.sandbox.limits import Limits

    limits = Limits(case_timeout=5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        limits.case_timeout = 6
    with pytest.raises(ValueError, match="memory_limit_mb must be positive"):
        Limits(memory_limit_mb=0)
    assert limits.for_calls([None, 60]).call_timeouts == (5.0, 60.0)
    assert submission_timeout(10, [None, 60]) == 30 + 10 + 60
    spec = load_spec("mlp")
    sandbox = open_sandbox(spec, timeout=10)
    assert isinstance(sandbox.limits, Limits) and sandbox.limits.case_timeout == 10
    assert sandbox.limits.submission_timeout == submission_timeout(
        10, [check.timeout for check in spec.checks for _ in check.cases()])


# ---------------------------------------------------------------------------
# Messages: TensorFlow errors, files that do not load, failures caused elsewhere.
# ---------------------------------------------------------------------------
def test_tensorflow_and_keras_errors_are_cut_to_their_first_meaningful_line():
    from autograder.sandbox.source import meaningful_line

    keras_error = (
        "Exception encountered when calling Sequential.call().\n\n\x1b[1mInput 0 of layer "
        '"dense" is incompatible with the layer: expected axis -1 of input shape to have value '
        "784, but received input with shape (2, 28, 28)\x1b[0m\n\nArguments received by "
        "Sequential.call():\n  • inputs=tf.Tensor(shape=(2, 28, 28), dtype=float32)")
    line = meaningful_line(keras_error)
    assert line.startswith('Input 0 of layer "dense" is incompatible') and "\x1b" not in line
    assert line.endswith("(2, 28, 28)")
    tf_error = ("{{function_node __wrapped__AddV2_device_/job:localhost/replica:0/task:0/"
                "device:CPU:0}} Incompatible shapes: [2,3] vs. [2] [Op:AddV2] name: ")
    assert meaningful_line(tf_error) == "Incompatible shapes: [2,3] vs. [2]"


def test_a_file_that_does_not_load_leaves_its_functions_not_graded():
    check = doubled_check()
    case = check.cases()[0]
    missing = CallResult("missing", error="function 'double' is not defined in the submission")
    outcome = judge(check, case, case.expected, missing, file_failed=True)
    assert outcome.status == "missing" and "was not graded" in outcome.message
    assert outcome.details() == [("problem", outcome.message)], "no inputs, no expected value"
    alone = judge(check, case, case.expected, missing)
    assert alone.message == "double is not defined in your submission"


def test_a_failure_raised_inside_another_graded_function_says_so():
    check = doubled_check()
    case = check.cases()[0]
    raised = CallResult("error", error="InvalidArgumentError: Incompatible shapes (line 4)",
                        error_type="InvalidArgumentError", error_function="softmax")
    outcome = judge(check, case, case.expected, raised, graded=["softmax", "double"])
    assert outcome.caused_by == "softmax" and "inside your softmax" in outcome.message
    assert outcome.hint.startswith("Fix softmax first")


def test_wrong_outputs_of_a_function_using_a_failing_one_name_it():
    from autograder.grading import CaseOutcome, FunctionGrade, SubmissionGrade, blame_used_functions

    spec = load_spec("softmax_regression")
    grade = SubmissionGrade("s", None, 10.0, functions=[
        FunctionGrade("softmax", 2, 0, [CaseOutcome("c", status="failed", message="nan")]),
        FunctionGrade("softmax_regression", 2, 0, [CaseOutcome("c", status="failed",
                                                               message="differs")]),
    ])
    blame_used_functions(grade, spec)
    outcome = grade.functions[1].outcomes[0]
    assert outcome.caused_by == "softmax" and "uses your softmax" in outcome.message


def test_the_summary_note_comes_from_statuses_not_wording():
    from autograder import feedback
    from autograder.grading import CaseOutcome, FunctionGrade, SubmissionGrade

    stuck = CaseOutcome("c", status="timed_out", message="anything at all")
    wrong = CaseOutcome("d", status="failed", message="did not finish, says the student")
    grade = SubmissionGrade("s", None, 2.0, functions=[
        FunctionGrade("f", 1, 1, [CaseOutcome("a", status="passed")]),
        FunctionGrade("g", 1, 0, [wrong]), FunctionGrade("h", 1, 0, [stuck])])
    assert feedback.summary_note(grade) == "anything at all"
    grade.functions.pop()
    assert feedback.summary_note(grade) == "", "a wrong output is no time-out, whatever it says"


def test_numpy_scalars_and_arrays_as_expected_values_are_shown_plainly():
    from autograder.feedback import describe

    assert describe(np.float64(0.75)) == "float64 0.75"
    assert describe(np.float32(2.5)) == "float32 2.5"
    assert describe(np.array([1.0, 2.0], "f4")) == "float32 array [1.0, 2.0]"
    check = doubled_check()
    case = Case("known scalar", (np.float32(1.5),), expected=np.float32(3.0), public=True)
    outcome = judge(check, case, case.expected, CallResult("ok", value=np.float32(3.0)))
    assert outcome.passed and outcome.expected == "float32 3.0"


# ---------------------------------------------------------------------------
# Comparisons and case builders several specs share.
# ---------------------------------------------------------------------------
def test_pair_w_b_compares_the_weights_then_one_number_for_b():
    compare = pair_w_b(rtol=1e-3, atol=1e-3, dtype="float")
    w = np.array([[2.0], [-1.0]])
    case = Case("c", ())
    assert compare((w.astype("f4"), np.float32(1.0)), (w, 1.0), case) is None
    assert compare((w, np.array(1.0)), (w, np.array([1.0])), case) is None  # 0-d: a number
    found = compare((w, np.array([1.0])), (w, 1.0), case)  # the docstrings promise one number
    assert found.kind == "type" and "got float64 array [1.0]" in found.message
    assert compare(w, (w, 1.0), case).kind == "type"
    found = compare((w, np.array([1.0, 2.0])), (w, 1.0), case)
    assert found.kind == "type" and "b should be a single number" in found.message
    assert compare((w.ravel(), 1.0), (w, 1.0), case).kind == "shape"
    found = compare((w, 1.5), (w, 1.0), case)
    assert found.kind == "values" and found.message.startswith("b differs")
    assert pair_w_b(rtol=1e-3, atol=1e-3, dtype="exact")((w.astype("f4"), 1.0), (w, 1.0),
                                                         case).kind == "dtype"


def test_parameters_recovered_tells_diverged_from_unmoved_from_inaccurate():
    compare = parameters_recovered(5e-3)
    case = recovery_case("c", 6, [2.0, -3.4], 4.2)
    true_w, true_b = case.expected
    assert case.args[0].shape == (1000, 2) and case.args[1].shape == (1000, 1)
    assert np.abs(case.args[0] @ true_w + true_b - case.args[1]).max() < 0.1  # noise 0.01
    assert compare((true_w + 1e-3, true_b - 1e-3), case.expected, case) is None
    assert compare((np.full((2, 1), np.nan), 0.0), case.expected, case).kind == "train.diverged"
    assert compare((np.zeros((2, 1)), 0.0), case.expected, case).kind == "train.not_moving"
    found = compare((true_w * 0.9, true_b), case.expected, case)
    assert found.kind == "train.inaccurate" and "expected within 0.005" in found.message
    assert compare((true_w, true_b, 0), case.expected, case).kind == "type"
    assert compare((true_w.ravel(), true_b), case.expected, case).kind == "shape"  # not (d, 1)
    again = recovery_case("c", 6, [2.0, -3.4], 4.2, num_epochs=5, seed=1)
    assert np.array_equal(again.args[0], case.args[0]) and again.kwargs == {"num_epochs": 5,
                                                                            "seed": 1}


def test_linear_problem_draws_x_then_w_then_the_noise():
    X, y = linear_problem(rng_for(4), 30, 5, b=0.7, noise=0.1)
    rng = rng_for(4)
    X_again = rng.normal(size=(30, 5)).astype("f4")
    w = rng.normal(size=(5, 1))
    assert X.dtype == y.dtype == np.float32 and y.shape == (30, 1)
    assert np.array_equal(X, X_again) and np.abs(X @ w + 0.7 - y).max() < 0.5
    X, y = linear_problem(rng_for(4), 3, 2, b=0.0, noise=0.0, w=np.zeros((2, 1)), scale=100.0,
                          dtype="float64")
    assert X.dtype == np.float64 and np.abs(X).max() > 10 and not np.any(y)


def one_pass(order, batch_size, pairs=True, n=20):
    features, labels = indexed_examples(n, 3)
    batches = [(features[order[i:i + batch_size]], labels[order[i:i + batch_size]])
               for i in range(0, len(order), batch_size)]
    if not pairs:
        batches = [(X, np.roll(y, 1)) for X, y in batches]
    return batches


def test_shuffled_batches_and_seeds_of_a_minibatch_iterator():
    n, rng = 20, np.random.default_rng(0)
    case = Case("c", (6, *indexed_examples(n, 3)))
    order = rng.permutation(n)
    assert shuffled_batches(one_pass(order, 6), None, case) is None
    assert shuffled_batches(one_pass(np.arange(n), 6), None, case).kind == "batches.unshuffled"
    assert shuffled_batches(one_pass(order[:18], 6), None, case).kind == "batches.missing"
    assert shuffled_batches(one_pass(order, 6, pairs=False), None,
                            case).kind == "batches.unpaired"
    assert shuffled_batches(one_pass(order, 7), None, case).kind == "batches.sizes"
    assert shuffled_batches([np.ones(3)], None, case).kind == "batches.batch"
    assert shuffled_batches(None, None, case).kind == "batches.type"
    compare = seeded(shuffled_batches, batch_order, "batch order")
    seeds = Case("c", case.args, {"seed": 0}, options={"variants": [{}, {"seed": 1}]})
    first, other = one_pass(order, 6), one_pass(rng.permutation(n), 6)
    assert compare([first, first, other], None, seeds) is None
    found = compare([first, other, other], None, seeds)
    assert found.kind == "seed.ignored" and "different batch order" in found.message
    assert compare([first, first, first], None, seeds).kind == "seed.fixed"
    assert compare([first, first, one_pass(np.arange(n), 6)], None,
                   seeds).kind == "batches.unshuffled", "every output is checked"
    assert compare(first, None, case) is None  # a case without variants: one output


def test_seed_calls_can_start_from_a_fresh_random_state():
    """An op seed (``tf.random.normal(seed=s)``) draws anew on each eager call, but
    reproduces in a new program: ``fresh_random_state`` puts each call there."""

    def op_seed(seed=0):
        return tf.random.normal((4,), seed=seed).numpy()

    def ignores_seed(seed=0):
        return np.concatenate([tf.random.normal((2,)).numpy(), np.random.rand(2)])

    def stateless(seed=0):
        return tf.random.stateless_normal((4,), seed=[seed, 0]).numpy()

    compare = seeded(lambda got, expected, case: None, lambda out: out, "w")
    kinds = {}
    for fresh in (False, True):
        case = Case("c", (), {"seed": 1},
                    options={"variants": [{}, {"seed": 2}], "fresh_random_state": fresh})
        for function in (op_seed, ignores_seed, stateless):
            outputs = run_call(function, Call("f", (), case.kwargs, options=case.options))
            found = compare(outputs, None, case)
            kinds[function.__name__, fresh] = found.kind if found else None
    assert kinds == {("op_seed", False): "seed.ignored", ("op_seed", True): None,
                     ("ignores_seed", False): "seed.ignored", ("ignores_seed", True): "seed.fixed",
                     ("stateless", False): None, ("stateless", True): None}
    with pytest.raises(ValueError, match="fresh_random_state"):
        run_call(stateless, Call("f", options={"fresh_random_state": "yes"}))


def test_indexed_examples_say_which_example_they_are():
    X, y = indexed_examples(5, 3, column=False)
    assert X.shape == (5, 3) and y.shape == (5,) and X.dtype == np.float32
    assert list(X[:, 0] // 3) == list(range(5)) and list(y) == [0, 10, 20, 30, 40]
    X, y = indexed_examples(4, tensor=True, dtype="float64")
    assert isinstance(X, Tensor) and y.array.shape == (4, 1) and X.array.dtype == np.float64


SIZED_SPECS = ("linear_regression", "softmax_regression", "mlp")
"""The three assignments issue 9's target was set on (before: 1,589 lines, 106 per function)."""


def test_the_three_first_specs_average_at_most_40_lines_per_graded_function():
    # The same measure as `wc -l autograder/specs/{linear_regression,softmax_regression,mlp}.py`
    # divided by their 15 graded functions (docs/authoring.md).
    lines = sum(len((REPO / "autograder" / "specs" / f"{name}.py").read_bytes().splitlines())
                for name in SIZED_SPECS)
    functions = sum(len(load_spec(name).checks) for name in SIZED_SPECS)
    print(f"{lines} spec lines for {functions} graded functions: {lines / functions:.1f} each")
    assert functions == 15
    assert lines / functions <= 40
