"""The generated student versions in assignments/."""

import importlib

import pytest

from autograder import layout
from autograder.generate import release, stubs


def test_assignments_are_up_to_date():
    stale = release.stale_files()
    assert not stale, f"run `autograder release` and commit: {sorted(map(str, stale))}"


@pytest.mark.parametrize("name", layout.assignment_names())
def test_stub_keeps_docstrings_and_signatures_and_raises(name):
    import inspect

    solution = importlib.import_module(f"solutions.{name}")
    stub = importlib.import_module(f"assignments.{name}")
    assert stub.__doc__ == solution.__doc__
    graded = [n for n, f in vars(solution).items()
              if inspect.isfunction(f) and f.__module__ == solution.__name__]
    assert graded
    for function_name in graded:
        reference, student = getattr(solution, function_name), getattr(stub, function_name)
        assert inspect.signature(student) == inspect.signature(reference)
        assert student.__doc__ == reference.__doc__
        arguments = [None] * len(inspect.signature(student).parameters)
        with pytest.raises(NotImplementedError):
            result = student(*arguments)
            if inspect.isgenerator(result):  # generator functions raise on first next()
                next(result)


def test_make_stub_replaces_regions_at_their_indentation():
    source = 'def f(x):\n    """Doc."""\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\n'
    stub = stubs.make_stub(source, "f.py")
    assert "return x" not in stub
    assert "    # YOUR CODE HERE\n    raise NotImplementedError\n" in stub
    assert '"""Doc."""' in stub


@pytest.mark.parametrize(
    "source, message",
    [
        ("x = 1\n", "no '### BEGIN SOLUTION'"),
        ("### BEGIN SOLUTION\nx = 1\n", "never ended"),
        ("### END SOLUTION\n", "without a begin"),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n", "nested"),
    ],
)
def test_malformed_markers_are_reported_with_their_line(source, message):
    with pytest.raises(ValueError, match=message):
        stubs.make_stub(source, "bad.py")


def test_unknown_assignment_names_the_known_ones():
    with pytest.raises(ValueError, match="linear_regression"):
        layout.check_assignment_name("linear_regresion")
