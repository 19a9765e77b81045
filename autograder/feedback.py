"""Every sentence a student or a TA reads, in one place.

The grader decides with data (statuses, exception types, problem kinds,
counts); this module turns that data into words. Reports (terminal, notebook,
Markdown, Gradescope JSON, CSV summary) take their sentences from here and
only arrange and escape them.
"""

from __future__ import annotations

import statistics
from typing import Any

import numpy as np


# ---------------------------------------------------------------------------
# Describing plain data for students.
# ---------------------------------------------------------------------------
def describe(value: Any, limit: int = 160) -> str:
    """A short description of a plain value: arrays by dtype and shape, numbers as is."""
    if isinstance(value, np.ndarray | np.generic):
        value = np.asarray(value)
        if value.size <= 6:
            text = _nested(value) if value.dtype.kind in "biuf" else np.array2string(
                value, separator=", ").replace("\n", "")
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


def _number(value: Any) -> str:
    """A number as written by hand: 3.0, 0.75, 1e+30, nan, 7."""
    if isinstance(value, np.floating | float):
        value = np.float64(value) if isinstance(value, float) else value
        if np.isfinite(value) and value != 0 and not 1e-4 <= abs(value) < 1e16:
            return np.format_float_scientific(value, unique=True, trim="0", precision=6)
        if np.isfinite(value):
            text = np.format_float_positional(value, unique=False, precision=6, trim="0")
            return text + "0" if text.endswith(".") else text
        return str(value)
    return str(value)


def _nested(array: np.ndarray) -> str:
    """A small numeric array as nested lists of plainly written numbers."""
    if array.ndim == 0:
        return _number(array[()])
    return "[" + ", ".join(_nested(item) for item in array) + "]"


def describe_inputs(case: Any) -> str:
    """The inputs of a case by type, shape and dtype."""
    parts = [describe_argument(value) for value in case.args]
    parts += [f"{key}={describe_argument(value)}" for key, value in case.kwargs.items()]
    return ", ".join(parts)


def describe_argument(value: Any) -> str:
    """Like `describe`, naming `Tensor`, `Variable` and `Function` markers."""
    from autograder.sandbox import Function, Tensor, Variable

    if isinstance(value, Function):
        body = value.source.strip().rsplit("return ", 1)[-1].strip()
        return f"the function {value.name}(x) = {body}"[:120]
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
# Problems found by comparisons (`autograder.checks.Problem`).
# ---------------------------------------------------------------------------
def _values_sentence(facts: dict) -> str:
    index = facts.get("index") or ()
    where = f" at index {index}" if index else ""
    return (
        f"{facts['path']} differs{where}: got {facts['got']}, expected {facts['expected']} "
        f"({facts['differ']} of {facts['size']} values differ, rtol={facts['rtol']:g}, "
        f"atol={facts['atol']:g})"
    ) if "differ" in facts else f"{facts['path']} should be {facts['expected']}, got {facts['got']}"


def _type_sentence(facts: dict) -> str:
    if "function" in facts:  # what a function returned, rather than a part of it
        return f"{facts['function']} should return {facts['wanted']}, got {facts['got']}"
    return f"{facts['path']} should be {facts['wanted']}, got {facts['got']}"


def _layer_listing(layers: list) -> str:
    """A model's layers as ``Dense(10, relu), Flatten``: `layers` holds (kind, settings) pairs."""
    parts = [f"{kind}({', '.join(map(str, settings))})" if settings else kind
             for kind, settings in layers]
    return ", ".join(parts) or "none"


def _alternatives(names: list) -> str:
    """"A, B or C"."""
    names = [str(name) for name in names]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def _layer_count_sentence(facts: dict) -> str:
    count, layer = facts["count"], facts["layer"]
    return (f"the model has {count} {layer} layer{'' if count == 1 else 's'}, expected "
            f"{facts['expected']} (its layers: {_layer_listing(facts['layers'])})")


def _layer_setting_sentence(facts: dict) -> str:
    several = facts["several"]
    return (f"the {facts['layer']} layer{'s have' if several else ' has'} {facts['setting']} "
            f"{facts['got']!r}, expected {facts['expected']!r}")


def recipe_phrase(recipe: dict) -> str:
    """A brief training in words ("2 epochs of Adam on MeanSquaredError, batches of 32")."""
    epochs = f"{recipe['epochs']} epoch" + ("" if recipe["epochs"] == 1 else "s")
    return (f"{epochs} of {recipe['optimizer']} on {recipe['loss']}, "
            f"batches of {recipe['batch_size']}")


def _training_sentence(facts: dict) -> str:
    if "error_type" in facts:
        return (f"training the model ({recipe_phrase(facts['recipe'])}) raised "
                f"{facts['error_type']}: {facts['error']}")
    if "got" in facts:
        return (f"after training, the predictions have shape {facts['got']}, "
                f"expected {facts['expected']}")
    return "after training, the model's outputs contain inf or nan"


def _metric_sentence(facts: dict) -> str:
    recipe, value, target = recipe_phrase(facts["recipe"]), facts["value"], facts["target"]
    if facts["metric"] == "accuracy":
        return (f"after a brief training ({recipe}) on an easy data set the model reaches an "
                f"accuracy of {value:.2f} on held-out inputs; a correct model reaches at least "
                f"{target:g}")
    return (f"after a brief training ({recipe}) the model's mean squared error on held-out "
            f"inputs is {value:.3g}; a correct model reaches at most {target:g}")


_ZEROED = ("{fraction:.3f} of the elements were zeroed with rate {rate:g}; expected {rate:g} ± "
           "{tolerance:.3f}")


TRAINING_MEASURES = {"norm": "the L2 norm of w", "test_loss": "the test loss"}
"""What `_bounds_sentence` names, by its ``measure`` fact."""


def _bounds_sentence(facts: dict) -> str:
    low, high = facts["low"], facts["high"]
    wanted = f"above {low:g}" if high == np.inf else f"below {high:g}"
    return (f"with lambd = {facts['lambd']:g} {TRAINING_MEASURES[facts['measure']]} is "
            f"{facts['value']:.3g}; expected it {wanted}")


PROBLEM_SENTENCES = {
    "unsupported": "{path} is {got}, not a number, array or tensor",
    "not_none": "{path} should be None, got {got}",
    "none": "{path} is None; did you forget a return statement?",
    "type": _type_sentence,
    "keys": "{path} has keys {got}, expected {expected}",
    "length": "{path} has {got} items, expected {expected}",
    "empty": "{path} is empty (shape {got}), expected shape {expected}",
    "shape": "{path} has shape {got}, expected {expected}",
    "dtype": "{path} has dtype {got}, expected {expected} (the dtype of the inputs)",
    "not_numbers": "{path} has dtype {got}, expected numbers",
    "not_finite": "{path} contains inf or nan: {got}",
    "values": _values_sentence,
    "returned_type": "{function} should return {wanted}; it returned {got}",
    "did_not_raise": "{function} should raise {wanted} for these inputs, but it returned {got}",
    "unchecked": "the output could not be checked ({error}); got {got}",
    "seed.ignored": "two calls with the same seed gave a different {what}: the same seed must "
                    "give the same {what}",
    "seed.fixed": "calls with different seeds (or none) gave the same {what}: the {what} must "
                  "change with the seed",
    "batches.type": "the function should yield batches (X, y); got {got}",
    "batches.batch": "batch {index} should be a pair (X, y) of a 2-D X and its labels, got {got}",
    "batches.sizes": "only the last batch may be smaller than batch_size {batch_size}; batch "
                     "sizes were {sizes}",
    "batches.missing": "one pass should cover each of the {n} examples exactly once; got {got} "
                       "examples, {missing} missing",
    "batches.unpaired": "features and labels are no longer paired: a label was yielded with "
                        "another example's features",
    "batches.unshuffled": "the examples come in their original order; they should be shuffled",
    "train.diverged": "training diverged: the parameters are inf or nan",
    "train.not_moving": "the learned parameters are {error} away from the true ones (w = {w}, "
                        "b = {b}); expected within {tol}",
    "train.inaccurate": "the learned parameters are {error} away from the true ones (w = {w}, "
                        "b = {b}); expected within {tol}",
    # Keras models (autograder.models and the specs' own model checks).
    "model.not_a_model": "expected a keras.Model, got {got}",
    "model.compiled": "the model is already compiled; return it uncompiled, the training code "
                      "chooses the optimizer and loss",
    "layers.missing": _layer_count_sentence,  # layers.missing.<Kind>, with layer=<Kind>
    "layers.extra": _layer_count_sentence,  # layers.extra.<Kind>
    "layers.order": lambda facts: (
        f"the model's layers come in the order {_layer_listing(facts['layers'])}; expected "
        f"{', '.join(facts['expected'])}"),
    "layers.recurrent": lambda facts: (
        f"the model's layers are {', '.join(facts['layers'])}; expected Embedding, one "
        f"recurrent layer ({_alternatives(facts['recurrent'])}), Dense"),
    "layers.config": _layer_setting_sentence,  # layers.config.<setting>
    "model.logits": "the last layer has activation {activation!r}; the model must output logits "
                    "(no activation)",
    "model.output_shape": lambda facts: (
        f"on a batch of {facts['batch']} inputs of shape {tuple(facts['input_shape'])} the model "
        f"outputs shape {facts['got']}, expected {facts['expected']}"),
    "model.params": "the model has {got:,} parameters, expected {expected:,}",
    "model.training": _training_sentence,
    "model.metric": _metric_sentence,
    "model.masking": "the same texts padded at the start instead of the end get other logits: "
                     "the recurrent layer reads the padding",
    # Specs' own property checks.
    "dropout.rate_0": "with rate 0 the result must equal X",
    "dropout.rate_1": "with rate 1 every element must be zeroed",
    "dropout.not_rescaled": "the kept elements equal X (not rescaled); they should be "
                            "X / (1 - rate)",
    "dropout.multiplied": "the kept elements are X * (1 - rate); they should be X / (1 - rate)",
    "dropout.values": "the kept (non-zero) elements should equal X / (1 - rate)",
    "dropout.shared_mask": "the same elements are zeroed all along axis {axis}: draw the mask for "
                           "every element, in the shape of X",
    "dropout.fraction": _ZEROED,
    "dropout.swapped": _ZEROED + " (you keep with probability rate)",
    "clipping.mutated": "the list of gradients passed in was changed; return a new list and leave "
                        "the input as it was",
    "cross_validate.not_float": "{path} should be a Python float, got {got}",
    "training.diverged": lambda facts: (
        f"training diverged: w reached {describe(facts['magnitude'])} in magnitude"),
    "training.not_decayed": _bounds_sentence,
    "training.small_start": _bounds_sentence,
    "training.test_loss": _bounds_sentence,
}
"""The sentence of each problem kind: a `str.format` template or a function of the facts.

A kind ``a.b.c`` without an entry of its own takes its family's (``a.b``,
then ``a``): ``layers.missing.Flatten`` is worded by ``layers.missing``, with
the layer's kind among the facts.
"""


class UnknownProblem(LookupError):
    """A problem kind without a sentence, or facts its sentence lacks: a bug in a spec."""


def problem_template(kind: str):
    """The template (or function) wording `kind`, from its own entry or its family's.

    Raises:
        UnknownProblem: If neither `kind` nor any family of it has a sentence.
    """
    family = kind
    while family not in PROBLEM_SENTENCES:
        if "." not in family:
            raise UnknownProblem(
                f"the problem kind {kind!r} has no sentence: add one to PROBLEM_SENTENCES in "
                "autograder/feedback.py")
        family = family.rsplit(".", 1)[0]
    return PROBLEM_SENTENCES[family]


def problem_sentence(kind: str, facts: dict) -> str:
    """The sentence for a problem of `kind`, filled from its `facts`.

    Raises:
        UnknownProblem: If `kind` has no sentence, or the sentence needs a fact
            that `facts` lacks.
    """
    template = problem_template(kind)
    try:
        return template(facts) if callable(template) else template.format(**facts)
    except (KeyError, IndexError) as error:
        raise UnknownProblem(
            f"the sentence of problem kind {kind!r} needs the fact {error}; got facts "
            f"{sorted(facts)}") from error


def type_phrase(type_name: str) -> str:
    """How a returned type reads in a sentence ("a Python float", "a tf.Tensor")."""
    return TYPE_PHRASES.get(type_name, f"a {type_name}")


TYPE_PHRASES = {
    "float": "a Python float",
    "int": "a Python int",
    "bool": "a Python bool",
    "NoneType": "None",
    "ndarray": "a NumPy array",
    "float64": "a NumPy float64",
    "float32": "a NumPy float32",
    "EagerTensor": "a tf.Tensor",
    "Tensor": "a tf.Tensor",
    "ResourceVariable": "a tf.Variable",
    "list": "a list",
    "tuple": "a tuple",
    "dict": "a dict",
}


# ---------------------------------------------------------------------------
# Calls that did not return.
# ---------------------------------------------------------------------------
def raises_phrase(exception: str) -> str:
    """What a case that must raise expects."""
    return f"raises {exception}"


def call_failure(function: str, result: Any, raises: str | None = None,
                 file_failed: bool = False) -> str:
    """Why a call gave no output to compare (`result` is a `CallResult`).

    Args:
        function: The graded function.
        result: The call's result.
        raises: The exception the case wants, if any.
        file_failed: Whether the submission did not load completely.
    """
    status, error = result.status, result.error
    if status == "missing" and file_failed:
        return (f"{function} was not graded: your code stopped with an error before defining "
                "it (the error is shown at the top)")
    if status == "missing":
        return f"{function} is not defined in your submission"
    if status == "not_run" and file_failed:
        return f"{function} was not graded: your submission could not be run (see the top)"
    if status == "timeout":
        return f"{function} did not finish: {error or 'time limit reached'}"
    if status == "not_run":
        return f"{function} was not run: {error or 'the submission ran out of time'}"
    if status == "crashed":
        return f"{function} crashed the process: {error or 'unknown reason'}"
    text = f"{function} raised {error or 'an error'}"
    if raises:
        text += f"; it should raise {raises}"
    return text


def raised_in_other(function: str, other: str, message: str) -> str:
    """A call that failed inside another of the student's graded functions."""
    return f"{message}, inside your {other} (which {function} calls)"


def fix_other_first(other: str) -> str:
    """The hint for a failure that comes from another graded function."""
    return f"Fix {other} first: this error comes from it, and its own checks say what is wrong."


def uses_failing(function: str, other: str, message: str) -> str:
    """A wrong output of a function that calls another function failing its checks."""
    return f"{message} ({function} uses your {other}, which fails its own checks: fix it first)"


def not_implemented_hint(function: str) -> str:
    """The hint for a function still raising the stub's NotImplementedError."""
    return f"Replace the `raise NotImplementedError` in {function} by your code."


# ---------------------------------------------------------------------------
# The class as a whole.
# ---------------------------------------------------------------------------
def wrong_assignment_warning(guess: Any, assignment: str) -> str:
    """The instructor's warning when a class looks graded against the wrong assignment."""
    text = (f"WARNING: {len(guess.lacking)} of {guess.total} submissions lack most of the "
            f"functions graded in {assignment}.")
    if guess.likely:
        return (text + f" They look like the {guess.likely} assignment: did you mean "
                f"--assignment {guess.likely}?")
    return text + " Check --assignment: they match no assignment with checks either."


def wrong_assignment_note(guess: Any, assignment: str) -> str:
    """The note in a lacking student's feedback."""
    text = f"Your submission defines few of the functions graded in {assignment}"
    if guess.likely:
        return text + (f"; it looks like the {guess.likely} assignment. If you submitted the "
                       "wrong file, tell your instructor.")
    return text + "; did you submit the right file?"


# ---------------------------------------------------------------------------
# Reports: the sentences and labels of feedback.md, results.json, the terminal
# and the notebook. Callers escape what came from the student before passing
# it in (autograder.escape) and arrange the lines.
# ---------------------------------------------------------------------------
FIRST_FAILING_CASE = "First failing case"
CASE = "case"
HINT = "Hint"
CODE_PRINTED = "Your code printed:"
OUTPUT_OF_CODE = "Output of your code:"
LOAD_ERRORS_INTRO = "Parts of your code failed when they were run (the rest was still graded):"
NO_CASE_RAN = "no case could run"
MORE_CASES_IN_GRADING = "The graded run uses more cases than these, so test edge cases too."


def points(value: float) -> str:
    """Points as students read them (2, 1.33)."""
    return f"{value:g}"


def mark(function: Any) -> str:
    """"passed" or "failed", for a `FunctionGrade`."""
    return "passed" if function.passed and function.outcomes else "failed"


def pass_fail(function: Any) -> str:
    """PASS or FAIL, for the terminal."""
    return "PASS" if mark(function) == "passed" else "FAIL"


def cases_passed(function: Any) -> str:
    """How many of a function's cases passed."""
    passed = sum(outcome.passed for outcome in function.outcomes)
    return f"{passed} of {len(function.outcomes)} cases passed."


def feedback_title(assignment: str, student: str) -> str:
    """The title of a student's feedback (`student` escaped by the caller)."""
    return f"{assignment}: feedback for {student}"


def score_line(score: float, max_score: float) -> str:
    """The student's score."""
    return f"Score: {points(score)} / {points(max_score)}"


def function_heading(function: Any) -> str:
    """A function's heading: name, passed or failed, points."""
    score = f"{points(function.score)} / {points(function.points)}"
    return f"{function.function}: {mark(function)} ({score})"


def could_not_grade(problem: str) -> str:
    """Why a submission got no grade at all."""
    return f"Your submission could not be graded: {problem}"


def could_not_check(problem: str) -> str:
    """Why a student's file could not be checked (``autograder check``)."""
    return f"Your file could not be checked: {problem}"


def score_zero(problem: str) -> str:
    """The same, in Gradescope's output."""
    return f"Score 0: {problem}"


def load_error(error: str) -> str:
    """One part of the student's code that failed when it ran."""
    return f"Code that failed to run: {error}"


def load_error_short(error: str) -> str:
    """The same, on the terminal."""
    return f"! Part of your code failed when run: {error}"


def note(text: str) -> str:
    """A note about the whole submission."""
    return f"Note: {text}"


def functions_passing(passed: int, total: int) -> str:
    """The last line of ``autograder check``."""
    return f"{passed} of {total} functions pass their public checks."


def check_line(function: Any, *, public: bool = True) -> str:
    """PASS or FAIL and a function's name, with its cases (notebook check cells)."""
    kind = "public " if public else ""
    total = len(function.outcomes)
    cases = f"{total} {kind}case{'s' if total != 1 else ''}"
    if function.passed and function.outcomes:
        return f"PASS  {function.function}  ({cases})"
    passed = sum(outcome.passed for outcome in function.outcomes)
    return f"FAIL  {function.function}  ({passed} of {cases} pass)"


def no_cases(function: str, public: bool) -> str:
    """A function without cases to run."""
    return f"{function} has no {'public ' if public else ''}cases to run."


def summary_note(grade: Any) -> str:
    """The summary table's note for one student: the reason for a zero, a time-out, a crash.

    Decided from the outcomes' statuses, never from their wording.
    """
    if grade.problem:
        return grade.problem
    if grade.load_errors:
        return grade.load_errors[0]
    failures = [function.first_failure for function in grade.functions if function.first_failure]
    stuck = [outcome for function in grade.functions for outcome in function.outcomes
             if outcome.status in ("timed_out", "crashed")]
    if stuck:
        return stuck[0].message or ""
    if failures and grade.score == 0:
        return failures[0].message or ""
    return ""


def missing_limits_summary(counts: dict[str, int], ran: int, *, csv_column: bool = True) -> str:
    """The instructor's line after grading a class: which kernel limits were NOT in force.

    Args:
        counts: For each missing limit (a `LIMIT_FIELDS` name), how many
            students' code ran without it.
        ran: How many students' code ran in the sandbox.
        csv_column: Whether ``grades.csv`` has a ``missing_limits`` column.
    """
    if not counts:
        return f"Kernel limits: all in force for the {ran} student(s) whose code ran."
    missing = "; ".join(f"{name} for {count} of {ran}" for name, count in counts.items())
    where = "extra_data.missing_limits in results.json" + (
        " and the missing_limits column of grades.csv" if csv_column else "")
    return (f"Kernel limits NOT in force (students whose code ran without them): {missing}. "
            f"Per student: {where}.")


def not_graded_test(function: str) -> str:
    """The name of Gradescope's test for a function none of whose cases ran."""
    return f"{function}: not graded"


# ---------------------------------------------------------------------------
# Files refused before they are read (`autograder.safe_read.UnreadableFile`).
# ---------------------------------------------------------------------------
REFUSAL_SENTENCES = {
    "missing": "{name} does not exist",
    "symlink": "{name} is a symbolic link; submit the file itself, not a link to it",
    "hard_link": (
        "{name} has {links} hard links (it is the same file as another one); "
        "submit a copy of the file instead of a link"
    ),
    "not_regular": "{name} is not a regular file (it is a {kind})",
    "too_large": "{name} is larger than the limit of {limit:,} bytes",
    "unreadable": "{name} could not be read ({error})",
}
"""Why a file is refused, by `autograder.safe_read.REASONS` code."""


def refusal(error: Any) -> str:
    """The sentence for a refused file (an `autograder.safe_read.UnreadableFile`)."""
    return REFUSAL_SENTENCES[error.reason].format(name=error.path.name, **error.details)


# ---------------------------------------------------------------------------
# The class report for the TA (`autograder.class_report`): class_report.md and
# its two charts. Student names never appear in it.
# ---------------------------------------------------------------------------
STATUS_WORDS = {
    "failed": "wrong output",
    "raised": "raised an exception",
    "missing": "not defined",
    "timed_out": "timed out",
    "crashed": "crashed its process",
    "skipped": "not run",
}
"""How the failing cases of each `CaseOutcome.status` are counted in the report."""
CLASS_FUNCTIONS = "Functions"
CLASS_TABLE_COLUMNS = ("function", "points", "passed every case", "pass rate", "mean points",
                       "cases passed", "what went wrong (cases)")
CLASS_HINTS = "Hints that fired, most frequent first"
NO_HINT_FIRED = "No hint fired."
NO_SUBMISSIONS = "No submissions were graded."
SCORES_CHART_TEXT = "Histogram of the scores"
PASS_RATES_CHART_TEXT = "Pass rate per function"
SCORE_AXIS = "score"
STUDENTS_AXIS = "students"
PASS_RATE_AXIS = "students passing every case (%)"


def short_number(value: float) -> str:
    """A class statistic with at most two decimals (7.5, 6.33, 10)."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def students(count: int) -> str:
    """"1 student", "12 students"."""
    return f"{count} student" + ("" if count == 1 else "s")


def class_report_title(assignment: str) -> str:
    """The class report's title."""
    return f"{assignment}: class report"


def class_summary(scores: list, max_score: float, full: int, zero: int, not_graded: int) -> str:
    """The report's first sentence: how many students, mean, median, full marks and zeros."""
    text = (f"{students(len(scores))} graded: mean {short_number(statistics.mean(scores))}, "
            f"median {short_number(statistics.median(scores))} out of "
            f"{short_number(max_score)}; {full} with full marks, {zero} with zero")
    return text + (f" ({not_graded} of them could not be graded at all)." if not_graded else ".")


def went_wrong(statuses: list[tuple[str, int]]) -> str:
    """The failing cases of a function by status ("wrong output 12, timed out 1"), or "-"."""
    return ", ".join(f"{STATUS_WORDS.get(status, status)} {count}"
                     for status, count in statuses) or "-"


def of_students(passing: int, total: int) -> str:
    """How many students passed every case of a function."""
    return f"{passing} of {total}"


def lowest_pass_rate(function: str, rate: float) -> str:
    """The report's last line (`function` already in Markdown code)."""
    return f"Lowest pass rate: {function} ({rate:.0%})."


def scores_chart_title(max_score: float) -> str:
    """The title of the histogram of the scores."""
    return f"Scores (out of {short_number(max_score)})"
