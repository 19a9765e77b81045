"""Every problem a student reads is worded in autograder/feedback.py, from facts.

`problem(kind, **facts)` takes no sentence: the wording of each kind is in
``feedback.PROBLEM_SENTENCES``. These tests read every ``problem(...)`` call in
the autograder (specs, model checks, shared comparisons) and fail on a kind
without a sentence or a template fact the call does not give; a kind without
a sentence also fails where the problem is made, and a comparison that returns
its own sentence is a grader error (which tests/test_hint_coverage.py rejects
on every example student).
"""

import ast
import re
import string
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO

from autograder import feedback
from autograder.checks import Case, FunctionCheck, Problem, problem
from autograder.grading import judge
from autograder.sandbox import CallResult

KIND = re.compile(r"[a-z_]+(\.[A-Za-z0-9_]+)*")


def _strings(node: ast.AST) -> set[str]:
    return {child.value for child in ast.walk(node)
            if isinstance(child, ast.Constant) and isinstance(child.value, str)
            and KIND.fullmatch(child.value)}


def _bindings(function: ast.AST, name: str) -> set[str]:
    """The kind-like strings assigned to `name` (or looped over into it) in `function`."""
    found: set[str] = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Assign) and any(
                name in {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
                for target in node.targets):
            found |= _strings(node.value)
        elif isinstance(node, ast.For) and name in {
                n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)}:
            found |= _strings(node.iter)
    return found


def problem_calls() -> list[tuple[str, int, set[str], set[str] | None, int]]:
    """Every ``problem(...)`` call in autograder/: file, line, kinds, fact names, positionals."""
    calls = []
    for path in sorted((REPO / "autograder").rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        functions = [node for node in ast.walk(tree)
                     if isinstance(node, ast.FunctionDef | ast.Lambda)]
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == "problem" and node.args):
                continue
            first = node.args[0]
            if isinstance(first, ast.Constant) and not isinstance(first.value, str):
                continue  # a spec's local data helper that happens to be called `problem`
            if isinstance(first, ast.JoinedStr):  # f"layers.missing.{kind}": a family
                prefix = first.values[0].value if isinstance(first.values[0], ast.Constant) else ""
                kinds = {prefix + "Anything"}
            elif isinstance(first, ast.Name):
                enclosing = [f for f in functions if f.lineno <= node.lineno <= f.end_lineno]
                kinds = _bindings(enclosing[-1], first.id) if enclosing else set()
            else:
                kinds = _strings(first)
            facts = (None if any(k.arg is None for k in node.keywords)
                     else {k.arg for k in node.keywords})
            where = str(Path(path).relative_to(REPO))
            calls.append((where, node.lineno, kinds, facts, len(node.args)))
    return calls


def test_every_problem_made_in_the_autograder_is_worded_in_feedback():
    calls = problem_calls()
    assert len(calls) > 60, "the scan found too few problem(...) calls: is it still reading?"
    errors = []
    for where, line, kinds, facts, positional in calls:
        if positional != 1:
            errors.append(f"{where}:{line}: problem() takes the kind and facts, no sentence")
        if not kinds:
            errors.append(f"{where}:{line}: could not tell which kind this problem is")
        for kind in sorted(kinds):
            try:
                template = feedback.problem_template(kind)
            except feedback.UnknownProblem as error:
                errors.append(f"{where}:{line}: {error}")
                continue
            if isinstance(template, str) and facts is not None:
                needed = {field for _, field, _, _ in string.Formatter().parse(template) if field}
                if needed - facts:
                    errors.append(f"{where}:{line}: {kind!r} needs the facts {needed - facts}")
    assert not errors, "\n".join(errors)


def test_the_scan_sees_the_kinds_of_every_spec():
    kinds = {kind for _, _, found, _, _ in problem_calls() for kind in found}
    for kind in ("dropout.swapped", "clipping.mutated", "model.masking", "training.test_loss",
                 "cross_validate.not_float", "train.not_moving", "model.metric",
                 "layers.missing.Anything", "layers.config.Anything"):
        assert kind in kinds


def test_a_kind_without_a_sentence_fails_where_the_problem_is_made():
    with pytest.raises(feedback.UnknownProblem, match="no.such.kind"):
        problem("no.such.kind", got=1)
    with pytest.raises(feedback.UnknownProblem, match="expected"):
        problem("shape", path="the result", got=(2, 3))
    with pytest.raises(TypeError):
        problem("shape", "a sentence of my own")  # no caller words its own problem
    with pytest.raises(TypeError):
        Problem("shape", {}, "a sentence of my own")


def test_a_comparison_returning_its_own_sentence_is_a_grader_error():
    check = FunctionCheck(function="f", points=1, needs_reference=False,
                          compare=lambda got, expected, case: "wrong, in my own words",
                          cases=(Case("one", (1.0,)),))
    outcome = judge(check, check.cases()[0], None, CallResult("ok", value=np.float64(2.0)))
    assert not outcome.passed
    assert outcome.grader_error and "must return a Problem" in outcome.grader_error


def test_a_family_of_kinds_shares_one_sentence_and_keeps_its_kind():
    listing = [("Flatten", []), ("Dense", [128, "relu"]), ("Dense", [10])]
    found = problem("layers.missing.Dropout", layer="Dropout", count=0, expected=1,
                    layers=listing)
    assert found.kind == "layers.missing.Dropout" and found.is_a("layers.missing")
    assert found.message == ("the model has 0 Dropout layers, expected 1 (its layers: "
                             "Flatten, Dense(128, relu), Dense(10))")
    extra = problem("layers.extra.Dense", layer="Dense", count=3, expected=2, layers=[])
    assert extra.message == "the model has 3 Dense layers, expected 2 (its layers: none)"
    one = problem("layers.config.units", layer="Dense", setting="units", got=64, expected=256,
                  several=False)
    assert one.message == "the Dense layer has units 64, expected 256"
    several = problem("layers.config.activation", layer="Dense", setting="activation",
                      got=["relu", "linear"], expected=["relu", "relu"], several=True)
    assert several.message == ("the Dense layers have activation ['relu', 'linear'], expected "
                               "['relu', 'relu']")


@pytest.mark.parametrize(("kind", "facts", "sentence"), [
    ("model.metric", {"metric": "accuracy", "value": 0.5, "target": 0.8,
                      "recipe": {"epochs": 2, "optimizer": "Adam", "batch_size": 32,
                                 "loss": "SparseCategoricalCrossentropy"}},
     "after a brief training (2 epochs of Adam on SparseCategoricalCrossentropy, batches of 32) "
     "on an easy data set the model reaches an accuracy of 0.50 on held-out inputs; a correct "
     "model reaches at least 0.8"),
    ("model.metric", {"metric": "mse", "value": 1.23456, "target": 0.1,
                      "recipe": {"epochs": 1, "optimizer": "SGD", "batch_size": 8,
                                 "loss": "MeanSquaredError"}},
     "after a brief training (1 epoch of SGD on MeanSquaredError, batches of 8) the model's mean "
     "squared error on held-out inputs is 1.23; a correct model reaches at most 0.1"),
    ("model.training", {"got": (), "expected": (128, 10)},
     "after training, the predictions have shape (), expected (128, 10)"),
    ("model.training", {}, "after training, the model's outputs contain inf or nan"),
    ("model.output_shape", {"batch": 2, "input_shape": [28, 28], "got": [2, 28, 10],
                            "expected": [2, 10]},
     "on a batch of 2 inputs of shape (28, 28) the model outputs shape [2, 28, 10], "
     "expected [2, 10]"),
    ("model.params", {"got": 101770, "expected": 7850},
     "the model has 101,770 parameters, expected 7,850"),
    ("layers.recurrent", {"layers": ["Embedding", "Dense"],
                          "recurrent": ("SimpleRNN", "GRU", "LSTM", "Bidirectional")},
     "the model's layers are Embedding, Dense; expected Embedding, one recurrent layer "
     "(SimpleRNN, GRU, LSTM or Bidirectional), Dense"),
    ("dropout.swapped", {"fraction": 0.7, "rate": 0.3, "tolerance": 0.0213},
     "0.700 of the elements were zeroed with rate 0.3; expected 0.3 ± 0.021 (you keep with "
     "probability rate)"),
    ("training.test_loss", {"measure": "test_loss", "lambd": 3.0, "value": 4.56, "low": 0.0,
                            "high": 1.0},
     "with lambd = 3 the test loss is 4.56; expected it below 1"),
    ("training.small_start", {"measure": "norm", "lambd": 0.0, "value": 0.148, "low": 8.0,
                              "high": np.inf},
     "with lambd = 0 the L2 norm of w is 0.148; expected it above 8"),
    ("type", {"function": "cross_validate", "wanted": "(train_loss, valid_loss)",
              "got": "None"},
     "cross_validate should return (train_loss, valid_loss), got None"),
    ("type", {"path": "b", "wanted": "a single number", "got": "list of 2: (1, 2)"},
     "b should be a single number, got list of 2: (1, 2)"),
])
def test_sentences_read_as_before(kind, facts, sentence):
    assert problem(kind, **facts).message == sentence
