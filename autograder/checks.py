"""Check specifications: what is graded, with which inputs, and how outputs compare.

An assignment's specification (one module per assignment in
`autograder/specs/`) lists a `FunctionCheck` per graded function: its points,
the seeded `Case`s it is called with, how the student's output is compared and
the `Hint`s shown for common mistakes.

Everything here works on *plain data*: numpy arrays, Python numbers, strings,
None, lists, tuples and dicts, exactly what comes back from the sandboxed
child process (see `autograder.sandbox`). Nothing here ever calls an object the
student made, so an object that claims to equal everything cannot pass: it
arrives as ``{"__unsupported__": type name}`` and fails the type check.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autograder.sandbox import Call

NO_EXPECTED = object()
"""Marks a case whose expected output is computed by running the reference solution."""

Mismatch = str | None
"""A comparison returns None when the output is right, else what is wrong, in words."""


@dataclasses.dataclass(frozen=True)
class Case:
    """One call of a graded function.

    Attributes:
        name: What the case exercises, shown to students ("batch of one, float64").
        args: Positional arguments (plain data, or `Tensor`/`Variable` markers).
        kwargs: Keyword arguments.
        expected: The expected output as plain data. Left out, it is computed
            by the grader from the reference solution (hidden cases only).
        public: Whether ``autograder check`` runs this case for students; public
            cases need a literal `expected`, a property comparison or `raises`.
        raises: The name of the exception the call must raise ("ValueError"),
            for inputs the function must reject; None when it must return.
            Such a case passes exactly when the call raises an exception of
            that type name; it is never run on the reference solution.
    """

    name: str
    args: tuple = ()
    kwargs: dict = dataclasses.field(default_factory=dict)
    expected: Any = NO_EXPECTED
    public: bool = False
    raises: str | None = None

    def raised_expected(self, error: str | None) -> bool:
        """Whether an error summary ("ValueError: ...") is the exception this case wants.

        Args:
            error: The summary of what the call raised, type name first, as the
                sandbox reports it (None when nothing was raised).
        """
        if self.raises is None or not error:
            return False
        name = error.split(":", 1)[0].split(" (", 1)[0].strip()
        return name == self.raises


@dataclasses.dataclass(frozen=True)
class Hint:
    """Advice shown when a failing output looks like a known mistake.

    Attributes:
        message: What the student probably did and how to fix it.
        applies: ``applies(case, got, expected) -> bool`` on plain data; it must
            not raise on odd outputs (exceptions count as False).
        on_error: Whether the hint is about calls that raised instead of
            returning: then `applies` gets the error summary (a str such as
            ``"InvalidArgumentError: ... (line 3)"``) as `got`.
    """

    message: str
    applies: Callable[[Case, Any, Any], bool]
    on_error: bool = False

    def matches(self, case: Case, got: Any, expected: Any) -> bool:
        """Whether this hint applies, treating any exception as no."""
        try:
            return bool(self.applies(case, got, expected))
        except Exception:  # noqa: BLE001 - the output may be anything
            return False


Comparison = Callable[[Any, Any, Case], Mismatch]
"""``compare(got, expected, case)`` returning None or a description of the mismatch."""


@dataclasses.dataclass(frozen=True)
class FunctionCheck:
    """The grading of one function.

    Attributes:
        function: The function's name in the assignment.
        points: Points for the function; earned in proportion to the cases passed.
        cases: Returns the function's cases (seeded, so always the same).
        compare: Compares the student's output with the expected one.
        adapter: How the sandbox calls the function and what it sends back
            ("value", "inplace", "iterate" or "keras_model").
        options: Adapter options (plain data).
        hints: Advice for common mistakes, first match shown.
        description: One line on what the function must do.
        needs_reference: Whether hidden cases compare with the reference's
            output; property checks that only look at the student's output
            set this to False.
    """

    function: str
    points: float
    cases: Callable[[], Sequence[Case]]
    compare: Comparison
    adapter: str = "value"
    options: dict = dataclasses.field(default_factory=dict)
    hints: tuple[Hint, ...] = ()
    description: str = ""
    needs_reference: bool = True

    def call(self, case: Case) -> Call:
        """The sandbox call for `case`."""
        return Call(self.function, case.args, dict(case.kwargs), self.adapter, dict(self.options))

    def hint_for(self, case: Case, got: Any, expected: Any, *, error: bool = False) -> str | None:
        """The first hint that applies to a failing output, if any.

        With `error`, `got` is the summary of the error the call raised, and
        only the hints marked `Hint.on_error` are considered; otherwise only
        the others.
        """
        for hint in self.hints:
            if hint.on_error == error and hint.matches(case, got, expected):
                return hint.message
        return None


@dataclasses.dataclass(frozen=True)
class AssignmentSpec:
    """Everything the grader needs to know about one assignment.

    Attributes:
        name: The assignment's name (also its module in `solutions/`).
        checks: One `FunctionCheck` per graded function, in grading order.
    """

    name: str
    checks: tuple[FunctionCheck, ...]

    @property
    def max_score(self) -> float:
        """Total points of the assignment."""
        return float(sum(check.points for check in self.checks))

    def check(self, function: str) -> FunctionCheck:
        """The check of `function`.

        Raises:
            ValueError: If `function` is not graded in this assignment.
        """
        for check in self.checks:
            if check.function == function:
                return check
        raise ValueError(f"{function!r} is not a graded function of {self.name!r}.")


# ---------------------------------------------------------------------------
# Describing plain data for students.
# ---------------------------------------------------------------------------
def describe(value: Any, limit: int = 160) -> str:
    """A short description of a plain value: arrays by dtype and shape, numbers as is."""
    if isinstance(value, np.ndarray):
        if value.size <= 6:
            text = np.array2string(value, precision=6, separator=", ").replace("\n", "")
            return f"{value.dtype} array {text}" if value.ndim else f"{value.dtype} {text}"
        return f"{value.dtype} array of shape {value.shape}"
    if is_unsupported(value):
        return f"an object of type {value['__unsupported__']}"
    if isinstance(value, tuple | list):
        kind = "tuple" if isinstance(value, tuple) else "list"
        inner = ", ".join(describe(item, 60) for item in value[:4])
        more = ", ..." if len(value) > 4 else ""
        text = f"{kind} of {len(value)}: ({inner}{more})"
    elif isinstance(value, dict):
        text = "dict with keys " + ", ".join(map(repr, list(value)[:8]))
    else:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe_inputs(case: Case) -> str:
    """The inputs of a case by type, shape and dtype."""
    parts = [describe_argument(value) for value in case.args]
    parts += [f"{key}={describe_argument(value)}" for key, value in case.kwargs.items()]
    return ", ".join(parts)


def describe_argument(value: Any) -> str:
    """Like `describe`, naming `Tensor` and `Variable` markers."""
    from autograder.sandbox import Tensor, Variable

    if isinstance(value, Tensor):
        return f"tf.Tensor {value.array.dtype} {value.array.shape}"
    if isinstance(value, Variable):
        return f"tf.Variable {value.array.dtype} {value.array.shape}"
    if isinstance(value, list | tuple) and any(isinstance(v, Tensor | Variable) for v in value):
        kind = "tuple" if isinstance(value, tuple) else "list"
        return f"{kind} [" + ", ".join(describe_argument(v) for v in value) + "]"
    if isinstance(value, np.ndarray):
        return f"numpy {value.dtype} {value.shape}"
    return describe(value, 60)


def is_unsupported(value: Any) -> bool:
    """Whether the sandbox sent a placeholder for an object it could not convert."""
    return isinstance(value, dict) and "__unsupported__" in value


# ---------------------------------------------------------------------------
# Comparisons.
# ---------------------------------------------------------------------------
def as_array(value: Any) -> np.ndarray | None:
    """Turns a plain number or array into an array; None for anything else."""
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, bool | int | float | np.number):
        return np.asarray(value)
    return None


def compare_values(
    got: Any,
    expected: Any,
    *,
    rtol: float = 1e-5,
    atol: float = 1e-6,
    dtype: str = "float",
    path: str = "the result",
) -> Mismatch:
    """Compares an output with the expected plain value, structure first.

    Type, then length or keys in both directions, then shape, then dtype, then
    values with `rtol`/`atol`. An empty output never matches a non-empty one.

    Args:
        got: The student's output.
        expected: The expected output.
        rtol: Relative tolerance for numbers.
        atol: Absolute tolerance for numbers.
        dtype: "exact" (same dtype), "float" (any float for a float, any
            integer for an integer) or "any".
        path: How to name the value in messages ("the result", "item 2").

    Returns:
        None when equal within tolerance, else a sentence saying what differs.
    """
    if is_unsupported(got):
        return f"{path} is {describe(got)}, not a number, array or tensor"
    if expected is None:
        return None if got is None else f"{path} should be None, got {describe(got)}"
    if got is None:
        return f"{path} is None; did you forget a return statement?"
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return f"{path} should be a dict, got {describe(got)}"
        missing = [key for key in expected if key not in got]
        extra = [key for key in got if key not in expected]
        if missing or extra:
            return f"{path} has keys {sorted(got)}, expected {sorted(expected)}"
        for key in expected:
            problem = compare_values(
                got[key], expected[key], rtol=rtol, atol=atol, dtype=dtype, path=f"{path}[{key!r}]"
            )
            if problem:
                return problem
        return None
    if isinstance(expected, tuple | list):
        if not isinstance(got, tuple | list):
            kind = type(expected).__name__
            return f"{path} should be a {kind} of {len(expected)}, got {describe(got)}"
        if len(got) != len(expected):
            return f"{path} has {len(got)} items, expected {len(expected)}"
        for index, (got_item, expected_item) in enumerate(zip(got, expected, strict=True)):
            problem = compare_values(
                got_item,
                expected_item,
                rtol=rtol,
                atol=atol,
                dtype=dtype,
                path=f"item {index} of {path}",
            )
            if problem:
                return problem
        return None
    if isinstance(expected, str):
        return None if got == expected else f"{path} should be {expected!r}, got {describe(got)}"
    expected_array, got_array = as_array(expected), as_array(got)
    if expected_array is None:
        raise TypeError(f"cannot compare with a {type(expected).__name__}")
    if got_array is None:
        return f"{path} should be an array or number, got {describe(got)}"
    if got_array.size == 0 and expected_array.size != 0:
        return f"{path} is empty (shape {got_array.shape}), expected shape {expected_array.shape}"
    if got_array.shape != expected_array.shape:
        return f"{path} has shape {got_array.shape}, expected {expected_array.shape}"
    problem = _compare_dtypes(got_array.dtype, expected_array.dtype, dtype)
    if problem:
        return f"{path} has dtype {got_array.dtype}, expected {expected_array.dtype}"
    if got_array.dtype.kind not in "biuf" or expected_array.dtype.kind not in "biuf":
        if got_array.dtype.kind not in "biuf":
            return f"{path} has dtype {got_array.dtype}, expected numbers"
    got_values = got_array.astype(np.float64)
    expected_values = expected_array.astype(np.float64)
    if not np.all(np.isfinite(got_values) | ~np.isfinite(expected_values)):
        return f"{path} contains inf or nan: {describe(got_array)}"
    close = np.isclose(got_values, expected_values, rtol=rtol, atol=atol, equal_nan=True)
    if not np.all(close):
        index = tuple(int(i) for i in np.argwhere(~close)[0])
        where = f" at index {index}" if index else ""
        return (
            f"{path} differs{where}: got {got_values[index]:.6g}, expected "
            f"{expected_values[index]:.6g} ({int(np.sum(~close))} of {close.size} values differ, "
            f"rtol={rtol:g}, atol={atol:g})"
        )
    return None


def _compare_dtypes(got: np.dtype, expected: np.dtype, mode: str) -> bool:
    """True when the dtypes do not agree under `mode`."""
    if mode == "any":
        return False
    if mode == "exact":
        return got != expected
    float_kinds, int_kinds = "f", "biu"
    if expected.kind in float_kinds:
        return got.kind not in float_kinds
    if expected.kind in int_kinds:
        return got.kind not in int_kinds
    return False


def close_to(*, rtol: float = 1e-5, atol: float = 1e-6, dtype: str = "float") -> Comparison:
    """A comparison of the whole output against the expected one (see `compare_values`)."""

    def compare(got: Any, expected: Any, case: Case) -> Mismatch:
        del case
        return compare_values(got, expected, rtol=rtol, atol=atol, dtype=dtype)

    return compare


# ---------------------------------------------------------------------------
# Turning plain outputs into arrays in hints and property checks.
# ---------------------------------------------------------------------------
def array_or_none(value: Any) -> np.ndarray | None:
    """`value` as a float64 array, or None if it is not numeric plain data."""
    array = as_array(value)
    if array is None or array.dtype.kind not in "biuf":
        return None
    return array.astype(np.float64)


def argument_array(value: Any) -> np.ndarray:
    """The array inside an argument (`Tensor`/`Variable` marker or plain)."""
    return np.asarray(getattr(value, "array", value))
