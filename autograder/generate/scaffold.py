"""``autograder new NAME``: the files of a new assignment, ready to fill in.

Writes ``solutions/NAME.py`` (a reference solution with one graded function
between solution markers), ``autograder/specs/NAME.py`` (its checks, written
with the spec API: standard cases, a known public case, a hint like a wrong
function) and ``examples/NAME/submissions/`` (where the example class goes).
docs/authoring.md says what to do next.
"""

from __future__ import annotations

import keyword
from pathlib import Path

SOLUTION = '''"""Assignment: {title}.

Explain the idea of the assignment here: what the student implements, the
formulas, and why. The docstring of each graded function states exactly what
the checks grade (shapes, dtypes, return types, errors raised), and nothing
more.

Check your work with ``autograder check {name}.py --assignment {name}``.
"""

import tensorflow as tf


def scale(X, factor):
    """Multiplies every element of `X` by `factor`.

    Args:
        X: A NumPy array or `tf.Tensor` of floats, any shape.
        factor: A Python float.

    Returns:
        A `tf.Tensor` of the shape and dtype of `X`.
    """
    ### BEGIN SOLUTION
    X = tf.convert_to_tensor(X)
    return X * tf.cast(factor, X.dtype)
    ### END SOLUTION
'''

SPEC = '''"""Checks of the {title} assignment (`solutions/{name}.py`).

The spec API: docs/authoring.md and the docstrings of autograder.checks,
autograder.cases and autograder.models.
"""

from __future__ import annotations

import numpy as np

from autograder.cases import standard_cases
from autograder.checks import AssignmentSpec, Case, FunctionCheck, Hint, close_to


def scale_added(X, factor):
    return X + factor


SCALE = FunctionCheck(
    "scale", points=1, description="every element times factor, same shape and dtype",
    cases=standard_cases(
        lambda rng, n, scale: (rng.normal(size=(n, 3)) * scale, 2.5), seed=1, large=1e4,
        known=[Case("small known example", (np.array([1.0, -2.0], "f4"), 3.0),
                    expected=np.array([3.0, -6.0], "f4"), public=True)]),
    compare=close_to(rtol=1e-6, atol=1e-6),
    hints=(Hint("Multiply by factor; do not add it.", like=scale_added),),
)


SPEC = AssignmentSpec("{name}", (SCALE,))
'''


def new_assignment(name: str, root: Path) -> list[Path]:
    """Writes the files of a new assignment `name` under the kit folder `root`.

    Args:
        name: The assignment's name: a Python identifier in lower case.
        root: The folder holding `solutions/`, `autograder/` and `examples/`.

    Returns:
        The files and folders written.

    Raises:
        ValueError: If `name` is not a valid module name, or any of the files
            already exists (nothing is overwritten).
    """
    if not name.isidentifier() or keyword.iskeyword(name) or name != name.lower():
        raise ValueError(
            f"{name!r} cannot name an assignment: use a lower-case Python identifier such as "
            "'weight_decay'."
        )
    solution = root / "solutions" / f"{name}.py"
    spec = root / "autograder" / "specs" / f"{name}.py"
    examples = root / "examples" / name / "submissions"
    existing = [str(path) for path in (solution, spec, examples) if path.exists()]
    if existing:
        raise ValueError(f"Assignment {name!r} already exists: {', '.join(existing)}.")
    title = name.replace("_", " ")
    solution.write_text(SOLUTION.format(name=name, title=title))
    spec.write_text(SPEC.format(name=name, title=title))
    examples.mkdir(parents=True)
    return [solution, spec, examples]
