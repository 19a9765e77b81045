"""Every hint of every spec is earned: at least one example student triggers it.

Each assignment's example class is graded with all cases, once per session
(the `example_classes` fixture, shared with the assignment's own tests); every
hint shown on any case of any example student counts, the reference and the
stub's not. A hint no student triggers, or a hint whose own code fails (a
grader error), fails the test: a broken hint must never be silent.
"""

import pytest
from conftest import REPO
from example_classes import ADDED

from autograder.specs import load_spec, spec_names

ASSIGNMENTS = [name for name in spec_names() if (REPO / "examples" / name / "submissions").is_dir()]


def all_hints(spec):
    return {(check.function, hint.message) for check in spec.checks for hint in check.hints}


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_hint_is_triggered_by_an_example_student(assignment, example_classes):
    spec = load_spec(assignment)
    graded = example_classes(assignment)
    assert graded.status == 0
    fired, errors = set(), []
    for student, grade in graded.grades().items():
        for function in grade["functions"]:
            for outcome in function["outcomes"]:
                if outcome["hint"] and student not in ADDED:
                    fired.add((function["function"], outcome["hint"]))
                if outcome["grader_error"]:
                    errors.append(f"{student}: {outcome['grader_error']}")
    assert not errors, errors
    missing = sorted(all_hints(spec) - fired)
    assert not missing, "hints no example student triggers:\n" + "\n".join(
        f"{function}: {message[:70]}" for function, message in missing)


def test_the_examples_cover_every_assignment_with_hints():
    for name in spec_names():
        if any(check.hints for check in load_spec(name).checks):
            assert name in ASSIGNMENTS, f"{name} has hints but no examples/{name}/submissions"
