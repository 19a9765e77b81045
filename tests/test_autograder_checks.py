"""The comparison rules and the linear-regression checks, on plain data."""

import importlib
import inspect
import re

import numpy as np
import pytest

from autograder.checks import compare_values, describe
from autograder.grading import judge
from autograder.sandbox import CallResult
from autograder.specs import load_spec, spec_names
from autograder.specs.linear_regression import SPEC


def test_equal_values_pass():
    assert compare_values(np.ones((2, 1), np.float32), np.ones((2, 1), np.float32)) is None
    assert compare_values((np.zeros(2), 1.0), (np.zeros(2), 1.0)) is None
    assert compare_values({"a": 1.0, "b": None}, {"a": 1.0, "b": None}) is None


@pytest.mark.parametrize(
    "got, expected, message",
    [
        (np.ones(3), np.ones((3, 1)), "shape (3,), expected (3, 1)"),
        (np.ones((3, 1), np.int32), np.ones((3, 1)), "dtype int32"),
        (np.array([1.0, 2.0]), np.array([1.0, 2.5]), "differs at index (1,)"),
        (None, np.ones(2), "is None"),
        (np.zeros(0), np.ones(2), "is empty"),
        ([], [np.ones(2)], "has 0 items, expected 1"),
        ([np.ones(2), np.ones(2)], [np.ones(2)], "has 2 items, expected 1"),
        ({"a": 1.0}, {"a": 1.0, "b": 2.0}, "has keys"),
        ({"a": 1.0, "c": 3.0}, {"a": 1.0}, "has keys"),
        (np.array([np.nan]), np.array([1.0]), "inf or nan"),
        ({"__unsupported__": "AlwaysEqual", "repr": "x"}, np.ones(2), "object of type AlwaysEqual"),
        ("1.0", np.ones(()), "should be an array or number"),
    ],
)
def test_mismatches_are_described(got, expected, message):
    problem = compare_values(got, expected)
    assert problem is not None and message in problem.message


def test_tolerances_are_explicit():
    assert compare_values(np.array([1.0 + 1e-7]), np.array([1.0])) is None
    assert compare_values(np.array([1.001]), np.array([1.0]), rtol=1e-2) is None
    assert "rtol=1e-05" in compare_values(np.array([1.001]), np.array([1.0])).message


def test_a_float_result_keeps_the_expected_dtype():
    """A float32 result where float64 is expected fails by default ("same"); "float" allows it."""
    expected = np.ones(2, np.float32)
    assert compare_values(np.ones(2, np.float64), expected).kind == "dtype"
    assert compare_values(np.ones(2, np.float64), expected, dtype="float") is None
    assert compare_values(np.ones(2, np.int32), np.ones(2, np.int64)) is None


def test_describe_is_short_for_large_arrays():
    assert describe(np.zeros((100, 3), np.float32)) == "float32 array of shape (100, 3)"
    assert describe(np.array(2.5)) == "float64 2.5"


def test_every_assignment_spec_loads_and_has_cases():
    assert "linear_regression" in spec_names()
    for name in spec_names():
        spec = load_spec(name)
        assert spec.name == name and spec.max_score > 0
        for check in spec.checks:
            cases = check.cases()
            assert cases, f"{name}.{check.function} has no cases"
            assert any(case.public for case in cases), f"{name}.{check.function} has no public case"
            assert [c.name for c in cases] == [c.name for c in check.cases()], "cases are seeded"


def test_unknown_assignment_lists_the_known_ones():
    with pytest.raises(ValueError, match="Known assignments: .*linear_regression"):
        load_spec("linear_regresion")


def test_linear_regression_points_total_ten():
    assert SPEC.max_score == 10
    assert [c.function for c in SPEC.checks] == [
        "linreg", "squared_loss", "sgd", "data_iter", "normal_equation", "train_linear_regression"]


# ---------------------------------------------------------------------------
# Docstrings and grading agree: a type a graded docstring promises is checked.
# ---------------------------------------------------------------------------
PROMISED_TYPES = [
    (re.compile(r"\b(a|A) (1-D )?`tf\.Tensor`"), "EagerTensor"),
    (re.compile(r"as a Python `?float`?"), "float"),
    (re.compile(r"^None\."), "NoneType"),
    (re.compile(r"^The str\b"), "str"),
    (re.compile(r"^The tuple\b"), "tuple"),
]
"""A type promised in a Returns section, and the type name the spec must then require."""


def returns_section(function):
    doc = inspect.getdoc(function) or ""
    text = doc.split("Returns:", 1)[1] if "Returns:" in doc else ""
    return " ".join(re.split(r"\n\s*(?:Raises|Yields):", text)[0].split())


@pytest.mark.parametrize("name", spec_names())
def test_every_type_a_graded_docstring_promises_is_checked(name):
    solution = importlib.import_module(f"solutions.{name}")
    for check in load_spec(name).checks:
        promise = returns_section(getattr(solution, check.function))
        for pattern, type_name in PROMISED_TYPES:
            if pattern.search(promise):
                assert type_name in check.returns, (
                    f"{name}.{check.function} promises {type_name} ({promise[:60]!r}...) "
                    f"but its check allows {check.returns or 'any type'}")


def test_promised_tensors_are_required():
    for name, function in [("softmax_regression", "softmax"), ("mlp", "relu")]:
        check = load_spec(name).check(function)
        case = next(case for case in check.cases() if case.public)
        expected = case.expected
        as_array = judge(check, case, expected,
                         CallResult("ok", value=expected, returned_type="ndarray"))
        assert as_array.status == "failed" and as_array.problem_kind == "returned_type"
        assert "a tf.Tensor" in as_array.message and "a NumPy array" in as_array.message
        assert judge(check, case, expected,
                     CallResult("ok", value=expected, returned_type="EagerTensor")).passed


@pytest.mark.parametrize("assignment, function", [
    ("linear_regression", "train_linear_regression"), ("weight_decay", "train_weight_decay")])
def test_training_seeds_must_reproduce(assignment, function):
    """The seed decides the start and the order: the same seed twice gives the same w."""
    check = next(c for c in load_spec(assignment).checks if c.function == function)
    case = next(c for c in check.cases() if c.options.get("variants"))
    w, b = case.expected if case.expected is not None else (np.full((200, 1), 0.01, "f4"), 0.05)
    w = np.asarray(w, np.float32)
    other = w + np.float32(1e-4)  # trained from another seed: as good, not the same

    def kind(outputs):
        found = check.compare(outputs, case.expected, case)
        return found.kind if found else None

    assert kind([(w, b), (w, b), (other, b)]) is None
    assert kind([(w, b), (other, b), (other, b)]) == "seed.ignored"
    assert kind([(w, b), (w, b), (w, b)]) == "seed.fixed"
