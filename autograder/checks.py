"""Check specifications: what is graded, with which inputs, and how outputs compare.

An assignment's specification (one module per assignment in
`autograder/specs/`, defining ``SPEC``) lists a `FunctionCheck` per graded
function. The spec API, in short (docs/authoring.md has the walk-through):

* `Case`: one call (arguments, optional literal `expected`, `public`,
  `raises` for inputs that must be rejected). `autograder.cases.standard_cases`
  generates the usual ones (tf.Tensor float32, NumPy float64, a batch of one,
  large magnitudes) from one function that draws the inputs.
* `FunctionCheck`: points, cases, the comparison (`close_to`, or any
  ``compare(got, expected, case) -> Problem | None``), hints, and the call's
  time limit in seconds (`timeout`).
* `problem(kind, **facts)`: what a comparison returns for a wrong output, as
  data; the sentence a student reads is the kind's entry in
  `autograder.feedback.PROBLEM_SENTENCES` (a spec's new kind adds its own there).
* `Hint`: advice for a known mistake. ``Hint(message, like=wrong_function)``:
  the grader runs `wrong_function` (the mistake, written as a student would)
  on the case's inputs and shows the hint when the student's output matches
  its output under the check's own comparison, or when both raised the same
  exception type. ``Hint(message, when="kind")``: shown when the comparison's
  `Problem` is of that kind (dotted kinds match by prefix), for property
  checks that have no expected output. ``Hint(message, applies=predicate)`` is
  the escape hatch: ``predicate(case, got, expected) -> bool`` on plain data.
  A hint that raises is a grader error, reported, never silence.
* `autograder.models.model_check`: a Keras model graded by layer structure,
  logits, parameter count and a brief training whose recipe the spec gives.
* Comparisons several specs share: `pair_w_b` (a result ``(w, b)``),
  `parameters_recovered` (training that must find the true parameters),
  `shuffled_batches` (one pass of a minibatch iterator) and `seeded` (seeds
  reproduce on cases with variants; `seeded_training` for a learned ``(w, b)``);
  their sentences are in
  `autograder.feedback`.

Everything here works on *plain data*: numpy arrays, Python numbers, strings,
None, lists, tuples and dicts, exactly what comes back from the sandboxed
child process (see `autograder.sandbox`). Nothing here ever calls an object the
student made, so an object that claims to equal everything cannot pass: it
arrives as ``{"__unsupported__": type name}`` and fails the type check.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autograder import feedback
from autograder.feedback import describe, describe_argument, describe_inputs, is_unsupported
from autograder.sandbox import Call, run_call

__all__ = [
    "NO_EXPECTED", "AssignmentSpec", "Case", "Comparison", "FunctionCheck", "Hint", "HintError",
    "Mismatch", "Problem", "argument_array", "array_or_none", "as_array", "close_to",
    "compare_values", "describe", "describe_argument", "describe_inputs", "is_unsupported",
    "batch_order", "pair_w_b", "parameters_recovered", "problem", "seeded", "seeded_training",
    "shuffled_batches",
]

NO_EXPECTED = object()
"""Marks a case whose expected output is computed by running the reference solution."""


@dataclasses.dataclass(frozen=True)
class Problem:
    """What is wrong with an output, as data.

    Attributes:
        kind: A dotted name saying what kind of problem it is ("shape",
            "dtype", "values", "layers.missing.Flatten", "dropout.not_rescaled");
            hints select problems by kind, never by their wording.
        facts: The facts the sentence is made of (plain values: numbers,
            shapes, names). The sentence itself is `autograder.feedback`'s
            (``PROBLEM_SENTENCES``): no spec words its own.
    """

    kind: str
    facts: dict = dataclasses.field(default_factory=dict)

    @property
    def message(self) -> str:
        """The sentence a student reads."""
        return feedback.problem_sentence(self.kind, self.facts)

    def is_a(self, kind: str) -> bool:
        """Whether this problem is of `kind` or of a narrower kind ("layers" covers "layers.x")."""
        return self.kind == kind or self.kind.startswith(kind + ".")

    def __str__(self) -> str:
        return self.message


def problem(kind: str, **facts: Any) -> Problem:
    """A `Problem` of `kind` with its `facts`, worded by ``feedback.PROBLEM_SENTENCES[kind]``.

    Raises:
        feedback.UnknownProblem: If `kind` has no sentence there, or its
            sentence needs a fact not given (a bug in the spec, caught here,
            where the problem is made, rather than when a student reads it).
    """
    found = Problem(kind, facts)
    feedback.problem_sentence(kind, facts)
    return found


Mismatch = Problem | None
"""A comparison returns None when the output is right, else a `Problem`."""


@dataclasses.dataclass(frozen=True)
class Case:
    """One call of a graded function.

    Attributes:
        name: What the case exercises, shown to students ("batch of one, float64").
        args: Positional arguments (plain data, or `Tensor`/`Variable` markers).
        kwargs: Keyword arguments.
        expected: The expected output as plain data (NumPy scalars and arrays
            welcome). Left out, it is computed by the grader from the reference
            solution (hidden cases only).
        public: Whether ``autograder check`` runs this case for students; public
            cases need a literal `expected`, a property comparison or `raises`.
        options: Adapter options of this case only, added to the check's
            (e.g. ``{"variants": [{}, {"seed": 2}]}``: call again as is, then
            with ``seed=2``, and compare the list of outputs).
        raises: The name of the exception type the call must raise
            ("ValueError"), for inputs the function must reject; None when it
            must return. Such a case passes exactly when the call raised an
            exception of that type (or a subclass of a built-in one); it is
            never run on the reference solution.
    """

    name: str
    args: tuple = ()
    kwargs: dict = dataclasses.field(default_factory=dict)
    expected: Any = NO_EXPECTED
    public: bool = False
    raises: str | None = None
    options: dict = dataclasses.field(default_factory=dict)


class HintError(RuntimeError):
    """A hint's own code failed: a bug in the spec, reported as a grader error."""


@dataclasses.dataclass(frozen=True)
class Hint:
    """Advice shown when a failing output looks like a known mistake.

    Give exactly one of `like`, `when` and `applies`.

    Attributes:
        message: What the student probably did and how to fix it.
        like: The mistake as a function with the graded function's signature
            (or a tuple of such functions, for one message). The grader runs
            it on the case's inputs (same adapter as the student's call) and
            the hint applies when the student's output equals its output under
            the check's comparison, or when both raised the same exception type.
        when: A `Problem` kind, or several: the hint applies when the
            comparison's problem is of one of them (for property checks).
        applies: ``applies(case, got, expected) -> bool`` on plain data (`got`
            is None when the call raised).
    """

    message: str
    like: Callable | tuple[Callable, ...] | None = None
    when: str | tuple[str, ...] | None = None
    applies: Callable[[Case, Any, Any], bool] | None = None

    def __post_init__(self):
        given = [name for name in ("like", "when", "applies") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(
                f"Hint({self.message[:40]!r}...) needs exactly one of like=, when= or applies=; "
                f"got {given or 'none'}"
            )
        if isinstance(self.when, str):
            object.__setattr__(self, "when", (self.when,))
        if callable(self.like):
            object.__setattr__(self, "like", (self.like,))

    @property
    def name(self) -> str:
        """A short name for listings: the wrong function's name, the kinds, or the message."""
        if self.like is not None:
            return "like=" + ", ".join(getattr(like, "__name__", "function") for like in self.like)
        if self.when is not None:
            return f"when={', '.join(self.when)}"
        return self.message[:50]


Comparison = Callable[[Any, Any, Case], Mismatch]
"""``compare(got, expected, case)`` returning None or a `Problem`."""


@dataclasses.dataclass(frozen=True)
class WrongOutput:
    """What a `Hint.like` function gave on a case: a value, or the type of what it raised."""

    value: Any = None
    raised: str | None = None


@dataclasses.dataclass(frozen=True)
class FunctionCheck:
    """The grading of one function.

    Attributes:
        function: The function's name in the assignment.
        points: Points for the function; earned in proportion to the cases passed.
        cases: The function's cases (seeded, so always the same): a sequence,
            or a function returning one (evaluated when grading starts).
        compare: Compares the student's output with the expected one.
        adapter: How the sandbox calls the function and what it sends back
            ("value", "inplace", "iterate" or "keras_model").
        options: Adapter options (plain data).
        hints: Advice for common mistakes, first match shown.
        description: One line on what the function must do.
        needs_reference: Whether hidden cases compare with the reference's
            output; property checks that only look at the student's output
            set this to False.
        timeout: Seconds each call of this function may take (None: the
            grader's ``--timeout``), for functions that train a model.
        returns: The type names the function may return, as the sandbox
            reports them (`autograder.sandbox.CallResult.returned_type`, e.g.
            ``("float",)`` for "a Python float"); empty: any.
        uses: Other graded functions this one is expected to call, so that a
            failure they explain is reported as caused by them.
        view: What of the adapter's output is compared and shown, e.g. the
            updated parameters of an "inplace" call (``lambda out:
            out["args"][0]``). A literal `Case.expected` is given as viewed.
    """

    function: str
    points: float
    cases: Callable[[], Sequence[Case]] | Sequence[Case]
    compare: Comparison
    adapter: str = "value"
    options: dict = dataclasses.field(default_factory=dict)
    hints: tuple[Hint, ...] = ()
    description: str = ""
    needs_reference: bool = True
    timeout: float | None = None
    returns: tuple[str, ...] = ()
    uses: tuple[str, ...] = ()
    view: Callable[[Any], Any] | None = None

    def __post_init__(self):
        if not callable(self.cases):
            frozen = tuple(self.cases)
            object.__setattr__(self, "cases", lambda: frozen)
        if self.timeout is not None and not self.timeout > 0:
            raise ValueError(f"{self.function}: timeout must be positive, got {self.timeout!r}")
        if not self.needs_reference and any(hint.like is not None for hint in self.hints):
            raise ValueError(
                f"{self.function}: Hint(like=...) compares with the wrong function's output, "
                "which a property check (needs_reference=False) ignores; use when= instead"
            )
        object.__setattr__(self, "hints", tuple(self.hints))
        object.__setattr__(self, "returns", tuple(self.returns))
        object.__setattr__(self, "uses", tuple(self.uses))

    def call(self, case: Case) -> Call:
        """The sandbox call for `case`."""
        return Call(self.function, case.args, dict(case.kwargs), self.adapter,
                    {**self.options, **case.options}, self.timeout)

    def compare_output(self, got: Any, expected: Any, case: Case) -> Mismatch:
        """`compare`, checked to return a `Problem` or None.

        Raises:
            feedback.UnknownProblem: If the comparison returned anything else (a
                sentence of its own, say): problems are worded in `autograder.feedback`.
        """
        found = self.compare(got, expected, case)
        if found is None or isinstance(found, Problem):
            return found
        raise feedback.UnknownProblem(
            f"{self.function}: the comparison must return a Problem (made with "
            f"problem(kind, **facts)) or None, got {type(found).__name__}")

    def hint_for(
        self, case: Case, got: Any, expected: Any, found: Problem | None = None,
        raised: str | None = None,
    ) -> str | None:
        """The first hint that applies to a failing call, if any.

        Args:
            case: The case.
            got: The student's output (None when the call raised).
            expected: The expected output.
            found: The problem the comparison (or the judge) found.
            raised: The exception type the student's call raised, if it did.

        Raises:
            HintError: If a hint's own code fails (a bug in the spec).
        """
        for hint in self.hints:
            try:
                if self._hint_applies(hint, case, got, expected, found, raised):
                    return hint.message
            except HintError:
                raise
            except Exception as error:  # noqa: BLE001 - reported as the spec's bug
                raise HintError(
                    f"hint {hint.name!r} of {self.function} failed on case {case.name!r}: "
                    f"{type(error).__name__}: {error}"
                ) from error
        return None

    def _hint_applies(self, hint: Hint, case: Case, got, expected, found, raised) -> bool:
        if hint.when is not None:
            return found is not None and any(found.is_a(kind) for kind in hint.when)
        if hint.applies is not None:
            return bool(hint.applies(case, got, expected))
        for like in hint.like:
            wrong = wrong_output(self, like, case)
            if raised is not None or wrong.raised is not None:
                if raised is not None and raised == wrong.raised:
                    return True
            elif self.compare_output(got, wrong.value, case) is None:
                return True
        return False


_WRONG_OUTPUTS: dict[tuple[int, int, int], tuple[Callable, Case, WrongOutput]] = {}
_WRONG_LOCK = threading.Lock()


def wrong_output(check: FunctionCheck, like: Callable, case: Case) -> WrongOutput:
    """What the mistake `like` gives on `case` (viewed), computed once per (mistake, case)."""
    key = (id(check), id(like), id(case))
    with _WRONG_LOCK:
        cached = _WRONG_OUTPUTS.get(key)
    if cached is not None and cached[0] is like and cached[1] is case:
        return cached[2]
    try:
        value = run_call(like, check.call(case))
    except Exception as error:  # noqa: BLE001 - the mistake may well raise
        output = WrongOutput(raised=type(error).__name__)
    else:
        output = WrongOutput(value=check.view(value) if check.view else value)
    with _WRONG_LOCK:
        if len(_WRONG_OUTPUTS) > 10_000:
            _WRONG_OUTPUTS.clear()
        _WRONG_OUTPUTS[key] = (like, case, output)
    return output


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

    @property
    def functions(self) -> list[str]:
        """The graded functions' names, in grading order."""
        return [check.function for check in self.checks]

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
    dtype: str = "same",
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
        dtype: "same" (a float result has the expected float dtype, an integer
            result any integer dtype), "exact" (the very same dtype), "float"
            (any float for a float, any integer for an integer) or "any".
        path: How to name the value in messages ("the result", "item 2").

    Returns:
        None when equal within tolerance, else the `Problem`.
    """
    if is_unsupported(got):
        return problem("unsupported", path=path, got=describe(got))
    if expected is None:
        return None if got is None else problem("not_none", path=path, got=describe(got))
    if got is None:
        return problem("none", path=path)
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return problem("type", path=path, wanted="a dict", got=describe(got))
        if sorted(got) != sorted(expected):
            return problem("keys", path=path, got=sorted(got), expected=sorted(expected))
        for key in expected:
            found = compare_values(got[key], expected[key], rtol=rtol, atol=atol, dtype=dtype,
                                   path=f"{path}[{key!r}]")
            if found:
                return found
        return None
    if isinstance(expected, tuple | list):
        if not isinstance(got, tuple | list):
            wanted = f"a {type(expected).__name__} of {len(expected)}"
            return problem("type", path=path, wanted=wanted, got=describe(got))
        if len(got) != len(expected):
            return problem("length", path=path, got=len(got), expected=len(expected))
        for index, (got_item, expected_item) in enumerate(zip(got, expected, strict=True)):
            found = compare_values(got_item, expected_item, rtol=rtol, atol=atol, dtype=dtype,
                                   path=f"item {index} of {path}")
            if found:
                return found
        return None
    if isinstance(expected, str):
        if got == expected:
            return None
        return problem("values", path=path, got=describe(got), expected=repr(expected))
    expected_array, got_array = as_array(expected), as_array(got)
    if expected_array is None:
        raise TypeError(f"cannot compare with a {type(expected).__name__}")
    if got_array is None:
        return problem("type", path=path, wanted="an array or number", got=describe(got))
    if got_array.size == 0 and expected_array.size != 0:
        return problem("empty", path=path, got=got_array.shape, expected=expected_array.shape)
    if got_array.shape != expected_array.shape:
        return problem("shape", path=path, got=got_array.shape, expected=expected_array.shape)
    if _dtypes_differ(got_array.dtype, expected_array.dtype, dtype):
        return problem("dtype", path=path, got=str(got_array.dtype),
                       expected=str(expected_array.dtype))
    if got_array.dtype.kind not in "biuf":
        return problem("not_numbers", path=path, got=str(got_array.dtype))
    got_values = got_array.astype(np.float64)
    expected_values = expected_array.astype(np.float64)
    if not np.all(np.isfinite(got_values) | ~np.isfinite(expected_values)):
        return problem("not_finite", path=path, got=describe(got_array))
    close = np.isclose(got_values, expected_values, rtol=rtol, atol=atol, equal_nan=True)
    if not np.all(close):
        index = tuple(int(i) for i in np.argwhere(~close)[0])
        return problem(
            "values", path=path, index=index, got=f"{got_values[index]:.6g}",
            expected=f"{expected_values[index]:.6g}", differ=int(np.sum(~close)),
            size=int(close.size), rtol=rtol, atol=atol,
        )
    return None


def _dtypes_differ(got: np.dtype, expected: np.dtype, mode: str) -> bool:
    """True when the dtypes do not agree under `mode`."""
    if mode == "any":
        return False
    if mode == "exact":
        return got != expected
    float_kinds, int_kinds = "f", "biu"
    if expected.kind in float_kinds:
        if mode == "same":
            return got != expected
        return got.kind not in float_kinds
    if expected.kind in int_kinds:
        return got.kind not in int_kinds
    return False


def close_to(*, rtol: float = 1e-5, atol: float = 1e-6, dtype: str = "same",
             float64: tuple[float, float] | None = None, scaled: bool = False) -> Comparison:
    """A comparison of the whole output against the expected one (see `compare_values`).

    Args:
        rtol: Relative tolerance.
        atol: Absolute tolerance.
        dtype: How dtypes must agree (see `compare_values`).
        float64: (rtol, atol) to use instead when the expected output is float64.
        scaled: Multiply atol by the largest expected magnitude (at least 1),
            for sums of many products whose rounding grows with their size.
    """

    def compare(got: Any, expected: Any, case: Case) -> Mismatch:
        del case
        tolerances = (rtol, atol)
        wanted = as_array(expected)
        if float64 is not None and wanted is not None and wanted.dtype == np.float64:
            tolerances = float64
        relative, absolute = tolerances
        if scaled and wanted is not None and wanted.size and wanted.dtype.kind in "biuf":
            absolute *= max(1.0, float(np.max(np.abs(wanted))))
        return compare_values(got, expected, rtol=relative, atol=absolute, dtype=dtype)

    return compare


# ---------------------------------------------------------------------------
# Comparisons several specs share.
# ---------------------------------------------------------------------------
def pair_w_b(*, rtol: float, atol: float, dtype: str = "same") -> Comparison:
    """A comparison of a pair ``(w, b)``: the weights as an array, b as one number.

    Args:
        rtol: Relative tolerance of w and b.
        atol: Absolute tolerance of w and b.
        dtype: How w's dtype must agree (see `compare_values`); b may be any
            single number: a Python or NumPy number, a 0-d array or tensor (not
            an array of shape (1,), which the docstrings do not promise).
    """

    def compare(got: Any, expected: Any, case: Case) -> Mismatch:
        del case
        if not isinstance(got, tuple | list) or len(got) != 2:
            return problem("type", path="the result", wanted="a pair (w, b)", got=describe(got))
        b = array_or_none(got[1])
        if b is None or b.ndim != 0:
            return problem("type", path="b", wanted="a single number", got=describe(got[1]))
        true_b = np.asarray(float(np.ravel(expected[1])[0]))
        return (compare_values(got[0], np.asarray(expected[0]), rtol=rtol, atol=atol, dtype=dtype,
                               path="w")
                or compare_values(b.reshape(()), true_b, rtol=rtol, atol=atol, dtype="float",
                                  path="b"))

    return compare


NOT_MOVING = 0.1
"""`parameters_recovered`: weights all below this in magnitude have not left a small start."""


def parameters_recovered(tol: float) -> Comparison:
    """A training comparison: the trained ``(w, b)`` is within `tol` of the true parameters.

    The case's `expected` holds the true ``(w, b)`` the data was made from
    (`autograder.cases.recovery_case`). Problem kinds: "type" (not a pair of
    the right sizes), "shape" (w not in the true w's shape, e.g. (d, 1)),
    "train.diverged" (inf or nan), "train.not_moving" (every weight still
    below `NOT_MOVING`), "train.inaccurate".
    """

    def compare(got: Any, expected: Any, case: Case) -> Mismatch:
        del case
        w, b = (array_or_none(part) for part in got) if (
            isinstance(got, tuple | list) and len(got) == 2) else (None, None)
        true_w, true_b = np.asarray(expected[0], np.float64), float(expected[1])
        if w is None or b is None or w.size != true_w.size or b.size != 1:
            return problem("type", path="the result", got=describe(got),
                           wanted=f"(w, b) with {true_w.size} values in w and one in b")
        if w.shape != true_w.shape:
            return problem("shape", path="w", got=w.shape, expected=true_w.shape)
        if not (np.all(np.isfinite(w)) and np.all(np.isfinite(b))):
            return problem("train.diverged")
        error = max(np.max(np.abs(w.ravel() - true_w.ravel())), abs(float(b.ravel()[0]) - true_b))
        if error <= tol:
            return None
        kind = "train.not_moving" if np.max(np.abs(w)) < NOT_MOVING else "train.inaccurate"
        return problem(kind, error=f"{error:.3g}", w=np.round(w.ravel(), 4).tolist(),
                       b=f"{float(b.ravel()[0]):.4f}", tol=f"{tol:g}")

    return compare


def shuffled_batches(got: Any, expected: Any, case: Case) -> Mismatch:
    """A property comparison of one pass of a minibatch iterator (the "iterate" adapter).

    The function is called as ``f(batch_size, features, labels, ...)`` with
    features and labels from `autograder.cases.indexed_examples` (each row says
    which example it is). Its output must be pairs ``(X, y)`` of a 2-D X and
    its labels, all of `batch_size` examples but a smaller last one, covering
    each example exactly once with its own label, shuffled (from 20 examples
    on). Problem kinds: "batches.type", "batches.batch", "batches.sizes",
    "batches.missing", "batches.unpaired", "batches.unshuffled".
    """
    del expected
    batch_size, features, labels = case.args[0], *map(argument_array, case.args[1:3])
    if not isinstance(got, list) or not got:
        return problem("batches.type", got=describe(got))
    batches = [[array_or_none(part) for part in item] if isinstance(item, tuple | list) else []
               for item in got]
    for index, (X, y, *_) in enumerate(part + [None, None] for part in batches):
        if len(batches[index]) != 2 or X is None or y is None or X.ndim != 2 or len(X) != len(y):
            return problem("batches.batch", index=index, got=describe(got[index]))
    sizes = [len(X) for X, _ in batches]
    if max(sizes) > batch_size or any(size != batch_size for size in sizes[:-1]):
        return problem("batches.sizes", batch_size=batch_size, sizes=sizes[:12])
    X = np.concatenate([X for X, _ in batches])
    y = np.concatenate([np.ravel(y) for _, y in batches])
    ids = (X[:, 0] // X.shape[1]).astype(int)
    n = len(features)
    if X.shape[1] != features.shape[1] or sorted(ids) != list(range(n)):
        return problem("batches.missing", n=n, got=len(ids), missing=n - len(set(ids)))
    if not (np.allclose(X, features[ids]) and np.allclose(y, labels.ravel()[ids])):
        return problem("batches.unpaired")
    if n >= 20 and np.array_equal(ids, np.arange(n)):
        return problem("batches.unshuffled")
    return None


def batch_order(batches: list) -> list:
    """The examples of one pass of `shuffled_batches`, in order: its `seeded` key."""
    return [np.asarray(X).tolist() for X, _ in batches]


def seeded(compare: Comparison, key: Callable[[Any], Any], what: str) -> Comparison:
    """`compare` on each output, and seeds checked on the cases called several times.

    A case with ``options={"variants": [{}, {"seed": 2}]}`` gets the list of its
    outputs: the call as is, then once per variant. With a ``seed`` in the
    case's kwargs, the second output (the same call again) must give the same
    ``key(output)`` as the first (else "seed.ignored"); the last output, with
    another seed or none, must give another (else "seed.fixed").

    Args:
        compare: The comparison of one output (the case it gets has no variants).
        key: What a seed decides in an output (the mask, the order), as an array
            or data comparable with ``==``.
        what: That in words, for the problem's sentence ("mask", "batch order").
    """

    def compare_all(got: Any, expected: Any, case: Case) -> Mismatch:
        variants = case.options.get("variants")
        outputs = got if variants and isinstance(got, list) else [got]
        single = dataclasses.replace(case, options={})
        for output in outputs:
            found = compare(output, expected, single)
            if found:
                return found
        if len(outputs) < 2:
            return None
        keys = [key(output) for output in outputs]
        if "seed" in case.kwargs and not _same(keys[0], keys[1]):
            return problem("seed.ignored", what=what)
        return problem("seed.fixed", what=what) if _same(keys[0], keys[-1]) else None

    return compare_all


def seeded_training(compare: Comparison) -> Comparison:
    """`seeded` for a training function returning ``(w, b)``: `compare` on each output,
    and the seed decides the start and the order, so the learned w to the last bit."""
    return seeded(compare, lambda out: np.asarray(out[0]), "learned w")


def _same(first: Any, second: Any) -> bool:
    if isinstance(first, np.ndarray) or isinstance(second, np.ndarray):
        return bool(np.array_equal(first, second))
    return first == second


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
