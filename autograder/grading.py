"""Stages 2 and 3 of grading: run each submission isolated, compare its outputs.

The grader process computes the expected outputs from the reference solution
once (`expected_outputs`), then for each submission asks the sandbox to run
the student's functions in a fresh child process (`autograder.sandbox`) and
compares the plain data that comes back (`grade_submission`). `grade_class`
does this for a whole class with several submissions in flight at once.
"""

from __future__ import annotations

import dataclasses
import importlib
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from autograder import feedback
from autograder.checks import (
    NO_EXPECTED,
    AssignmentSpec,
    Case,
    FunctionCheck,
    HintError,
    Problem,
    problem,
)
from autograder.escape import terminal_text
from autograder.feedback import describe, describe_inputs
from autograder.safe_read import UnreadableFile
from autograder.sandbox import CallResult, Sandbox, run_call
from autograder.sandbox.harness import run_call_typed
from autograder.sandbox.source import meaningful_line
from autograder.submissions import Submission, read_chunks

PUBLIC_ONLY_NOTE = "public checks only"

OUTCOME_STATUSES = ("passed", "failed", "raised", "missing", "timed_out", "crashed", "skipped")
"""Every `CaseOutcome.status`: the output was right; it was wrong; the call raised;
the function is not defined; it ran out of time; it took its process down; it
was not run (the submission did not load, or ran out of time before)."""

_RESULT_STATUSES = {"ok": "failed", "error": "raised", "missing": "missing",
                    "timeout": "timed_out", "crashed": "crashed", "not_run": "skipped"}


@dataclasses.dataclass
class CaseOutcome:
    """How one case went, as data.

    Attributes:
        case: The case's name.
        status: One of `OUTCOME_STATUSES`.
        message: What went wrong, when it did (from `autograder.feedback`).
        inputs: The inputs, described by type, shape and dtype.
        expected: The expected output, described (None for property checks).
        got: The student's output, described.
        hint: Advice for the mistake, when one was recognized.
        problem_kind: The kind of the comparison's problem ("shape", "values", ...).
        error_type: The exception's type name, when the call raised.
        returned_type: The type name of what the call returned ("float",
            "EagerTensor"), when it returned.
        grader_error: A bug of the spec met on this case (a hint that raised, a
            problem without a sentence).
        caused_by: Another graded function of the student's that this failure
            comes from (it raised inside it, or it fails its own checks).
    """

    case: str
    status: str = "failed"
    message: str | None = None
    inputs: str = ""
    expected: str | None = None
    got: str | None = None
    hint: str | None = None
    problem_kind: str | None = None
    error_type: str | None = None
    returned_type: str | None = None
    grader_error: str | None = None
    caused_by: str | None = None

    def __post_init__(self):
        if self.status not in OUTCOME_STATUSES:
            raise ValueError(f"CaseOutcome status must be one of {OUTCOME_STATUSES}, "
                             f"got {self.status!r}")

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def details(self) -> list[tuple[str, str]]:
        """What a report shows of a failing case: (label, text) pairs in order."""
        if self.status in ("missing", "skipped"):
            return [("problem", self.message)] if self.message else []
        pairs = [("inputs", self.inputs), ("expected", self.expected), ("got", self.got),
                 ("problem", self.message), ("hint", self.hint)]
        return [(label, text) for label, text in pairs if text is not None]


@dataclasses.dataclass
class FunctionGrade:
    """The grade of one graded function."""

    function: str
    points: float
    score: float
    outcomes: list[CaseOutcome]

    @property
    def passed(self) -> bool:
        return all(outcome.passed for outcome in self.outcomes)

    @property
    def first_failure(self) -> CaseOutcome | None:
        return next((outcome for outcome in self.outcomes if not outcome.passed), None)


@dataclasses.dataclass
class SubmissionGrade:
    """One student's grade with everything the reports need.

    `problem` says why a submission could not be graded at all, and
    `problem_reason` is its kind as a code (see `Submission.problem_reason`;
    ``unreadable_notebook`` and ``no_code`` are added here).
    """

    student: str
    source: str | None
    max_score: float
    functions: list[FunctionGrade] = dataclasses.field(default_factory=list)
    problem: str | None = None
    problem_reason: str | None = None
    timestamp: str = ""
    load_errors: list[str] = dataclasses.field(default_factory=list)
    output: str = ""
    notes: list[str] = dataclasses.field(default_factory=list)
    isolation: list[str] = dataclasses.field(default_factory=list)
    missing_limits: list[str] = dataclasses.field(default_factory=list)
    seconds: float = 0.0
    compute_seconds: float = 0.0

    @property
    def score(self) -> float:
        return round(sum(function.score for function in self.functions), 4)


# ---------------------------------------------------------------------------
# Expected outputs, from the reference solution, in the grader process.
# ---------------------------------------------------------------------------
def assignment_cases(
    spec: AssignmentSpec, public_only: bool = False
) -> list[tuple[FunctionCheck, Case]]:
    """Every (check, case) pair of an assignment, in grading order."""
    return [
        (check, case)
        for check in spec.checks
        for case in check.cases()
        if case.public or not public_only
    ]


def expected_outputs(
    spec: AssignmentSpec, pairs: Sequence[tuple[FunctionCheck, Case]]
) -> list[Any]:
    """The expected output of each case: its literal value, or the reference's.

    The reference solution (`solutions.NAME`) is imported only when a case
    needs it, so public checks work in a student's copy without `solutions/`.
    """
    reference = None
    expected = []
    for check, case in pairs:
        if case.expected is not NO_EXPECTED or not check.needs_reference or case.raises:
            expected.append(None if case.expected is NO_EXPECTED else case.expected)
            continue
        if reference is None:
            reference = importlib.import_module(f"solutions.{spec.name}")
        output = run_call(getattr(reference, check.function), check.call(case))
        expected.append(check.view(output) if check.view else output)
    return expected


# ---------------------------------------------------------------------------
# Comparing one submission's outputs.
# ---------------------------------------------------------------------------
def judge(check: FunctionCheck, case: Case, expected: Any, result: CallResult, *,
          graded: Sequence[str] = (), file_failed: bool = False) -> CaseOutcome:
    """Compares one call's result with its expected output.

    Args:
        check: The function's check.
        case: The case.
        expected: The expected output (plain data, viewed).
        result: What the call did.
        graded: The assignment's graded functions, to tell when an exception
            was raised inside another of them.
        file_failed: Whether the submission did not load completely (then a
            missing function is "not graded" rather than "not defined").
    """
    outcome = CaseOutcome(
        case=case.name, status=_RESULT_STATUSES.get(result.status, "crashed"),
        inputs=describe_inputs(case), error_type=result.error_type,
        returned_type=result.returned_type,
    )
    if case.raises:
        outcome.expected = feedback.raises_phrase(case.raises)
    elif check.needs_reference or case.expected is not NO_EXPECTED:
        outcome.expected = describe(expected)
    if result.status == "error" and case.raises and result.error_type == case.raises:
        outcome.status = "passed"
        return outcome
    if result.status != "ok":
        outcome.message = feedback.call_failure(check.function, result, case.raises, file_failed)
        other = result.error_function
        if result.status == "error" and other in graded and other != check.function:
            outcome.caused_by = other
            outcome.message = feedback.raised_in_other(check.function, other, outcome.message)
            outcome.hint = feedback.fix_other_first(other)
        elif result.error_type == "NotImplementedError":
            outcome.hint = feedback.not_implemented_hint(check.function)
        elif result.status == "error":
            kind = f"raised.{result.error_type}"
            outcome.problem_kind = kind
            # Made for hints (when="raised.X") only: the student reads call_failure's sentence.
            _add_hint(outcome, check, case, None, expected, Problem(kind), result.error_type)
        return outcome
    got = check.view(result.value) if check.view else result.value
    outcome.got = describe(got)
    if case.raises:
        found = problem("did_not_raise", function=check.function, wanted=case.raises,
                        got=outcome.got)
    elif check.returns and result.returned_type not in check.returns:
        found = problem("returned_type", function=check.function,
                        wanted=feedback.type_phrase(check.returns[0]),
                        got=feedback.type_phrase(result.returned_type or "unknown"))
    else:
        try:
            found = check.compare_output(got, expected, case)
        except Exception as error:  # noqa: BLE001 - odd student output must not crash grading
            found = problem("unchecked", error=f"{type(error).__name__}: {error}",
                            got=outcome.got)
            if isinstance(error, feedback.UnknownProblem):  # the spec's bug: reported, not silent
                outcome.grader_error = str(error)
                print(f"autograder: spec error: {error}", file=sys.stderr)
    if found is None:
        outcome.status = "passed"
        return outcome
    outcome.message, outcome.problem_kind = found.message, found.kind
    _add_hint(outcome, check, case, got, expected, found, None)
    return outcome


def _add_hint(outcome: CaseOutcome, check: FunctionCheck, case: Case, got: Any, expected: Any,
              found: Problem, raised: str | None) -> None:
    try:
        outcome.hint = check.hint_for(case, got, expected, found, raised)
    except HintError as error:
        outcome.grader_error = str(error)
        print(f"autograder: spec error: {error}", file=sys.stderr)


def score_function(check: FunctionCheck, outcomes: list[CaseOutcome]) -> FunctionGrade:
    """Points in proportion to the cases passed."""
    passed = sum(outcome.passed for outcome in outcomes)
    score = round(check.points * passed / len(outcomes), 2) if outcomes else 0.0
    return FunctionGrade(check.function, check.points, score, outcomes)


def grade_submission(
    submission: Submission,
    spec: AssignmentSpec,
    pairs: Sequence[tuple[FunctionCheck, Case]],
    expected: Sequence[Any],
    sandbox: Sandbox,
) -> SubmissionGrade:
    """Grades one submission: load its code, run it in the sandbox, compare.

    Never raises for anything the student did; problems end up in the grade.
    """
    start = time.perf_counter()
    grade = SubmissionGrade(
        student=submission.student,
        source=str(submission.path) if submission.path else None,
        max_score=float(sum(check.points for check in _checks_in_order(pairs))),
        timestamp=submission.timestamp,
    )
    results: list[CallResult | None] = [None] * len(pairs)
    if submission.problem:
        grade.problem, grade.problem_reason = submission.problem, submission.problem_reason
    else:
        try:
            chunks = read_chunks(submission.path, submission.root)
        except UnreadableFile as error:
            grade.problem, grade.problem_reason = feedback.refusal(error), error.reason
        except ValueError as error:
            grade.problem, grade.problem_reason = str(error), "unreadable_notebook"
        else:
            if not chunks:
                grade.problem = f"{submission.path.name} contains no code"
                grade.problem_reason = "no_code"
            else:
                run = sandbox.run(chunks, [check.call(case) for check, case in pairs])
                results = list(run.calls)
                grade.compute_seconds = sum(result.seconds for result in run.calls)
                grade.load_errors, grade.output = run.load_errors, run.output
                grade.notes, grade.isolation = run.notes, run.isolation
                grade.missing_limits = run.missing_limits
    for check in _checks_in_order(pairs):
        outcomes = []
        for index, (pair_check, case) in enumerate(pairs):
            if pair_check is not check:
                continue
            result = results[index] or CallResult(status="not_run", error=grade.problem)
            outcomes.append(judge(check, case, expected[index], result, graded=spec.functions,
                                  file_failed=bool(grade.problem or grade.load_errors)))
        grade.functions.append(score_function(check, outcomes))
    blame_used_functions(grade, spec)
    grade.seconds = time.perf_counter() - start
    return grade


def blame_used_functions(grade: SubmissionGrade, spec: AssignmentSpec) -> None:
    """Marks wrong outputs of a function that uses another failing function of the student's."""
    failing = {function.function for function in grade.functions if not function.passed}
    for function in grade.functions:
        used = [name for name in spec.check(function.function).uses if name in failing]
        if not used:
            continue
        for outcome in function.outcomes:
            if outcome.status == "failed" and outcome.caused_by is None:
                outcome.caused_by = used[0]
                outcome.message = feedback.uses_failing(function.function, used[0],
                                                        outcome.message)


def _checks_in_order(pairs: Sequence[tuple[FunctionCheck, Case]]) -> list[FunctionCheck]:
    checks: list[FunctionCheck] = []
    for check, _ in pairs:
        if all(check is not seen for seen in checks):
            checks.append(check)
    return checks


def grade_class(
    submissions: Sequence[Submission],
    spec: AssignmentSpec,
    sandbox: Sandbox,
    *,
    jobs: int,
    public_only: bool = False,
    on_done: Callable[[SubmissionGrade, int, int], None] | None = None,
) -> list[SubmissionGrade]:
    """Grades every submission, `jobs` at a time.

    Args:
        submissions: The students' submissions.
        spec: The assignment's checks.
        sandbox: A started sandbox (thread-safe).
        jobs: How many submissions run at once.
        public_only: Grade with the public cases only (no reference needed).
        on_done: Called as ``on_done(grade, done, total)`` after each student.

    Returns:
        The grades, in the order of `submissions`.
    """
    pairs = assignment_cases(spec, public_only)
    expected = expected_outputs(spec, pairs)
    lock = threading.Lock()
    done = 0

    def grade_one(submission: Submission) -> SubmissionGrade:
        nonlocal done
        try:
            grade = grade_submission(submission, spec, pairs, expected, sandbox)
        except Exception as error:  # noqa: BLE001 - a grader bug must not sink the class
            grade = SubmissionGrade(submission.student, str(submission.path), spec.max_score)
            grade.problem = f"internal grader error: {type(error).__name__}: {error}"
            grade.problem_reason = "grader_error"
            name = terminal_text(submission.student, single_line=True)
            print(f"autograder: grading {name} failed: {error!r}", file=sys.stderr)
            grade.functions = [score_function(check, []) for check in spec.checks]
        with lock:
            done += 1
            if on_done:
                on_done(grade, done, len(submissions))
        return grade

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(grade_one, submissions))


# ---------------------------------------------------------------------------
# Checking one function in the calling process (notebook check cells).
# ---------------------------------------------------------------------------
def check_function_in_process(
    spec: AssignmentSpec, function: str, implementation: Callable, *, public_only: bool = True
) -> FunctionGrade:
    """Runs one function's cases on `implementation` in this process.

    This is for a student's own notebook, whose check cells test the function
    the student just wrote in the same kernel; grading never uses it (graded
    code always runs in the sandbox).

    Args:
        spec: The assignment's checks.
        function: The graded function's name.
        implementation: The function to check.
        public_only: Only the public cases (no reference solution needed).

    Returns:
        The function's grade with every case's outcome.
    """
    check = spec.check(function)
    pairs = [(check, case) for case in check.cases() if case.public or not public_only]
    expected = expected_outputs(spec, pairs)
    outcomes = []
    for (_, case), wanted in zip(pairs, expected, strict=True):
        start = time.perf_counter()
        try:
            value, returned_type = run_call_typed(implementation, check.call(case))
            result = CallResult(status="ok", value=value, returned_type=returned_type)
        except Exception as error:  # noqa: BLE001 - report the student's exception
            result = CallResult(status="error", error_type=type(error).__name__,
                                error=f"{type(error).__name__}: {meaningful_line(str(error))}")
        result.seconds = time.perf_counter() - start
        outcomes.append(judge(check, case, wanted, result))
    return score_function(check, outcomes)
