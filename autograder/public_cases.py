"""The public cases of an assignment as data files, for the student kit.

The student kit (``autograder kit``) ships the check specifications without
their hidden cases: in each spec module the expression that makes a function's
cases is replaced by ``load_public_cases(ASSIGNMENT, FUNCTION)``, which reads
the public cases from ``autograder/specs/ASSIGNMENT.public.json`` (and its
``.npys`` arrays), written by `write_public_cases` from the full specification.
The files hold plain data only (`autograder.sandbox.transport`): reading them
imports and unpickles nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import numpy as np

from autograder.checks import NO_EXPECTED, AssignmentSpec, Case
from autograder.sandbox.transport import read_message, write_message

MAX_BYTES = 64 * 2**20
SUFFIX = ".public"


def _plain(value):
    """NumPy scalars as 0-d arrays, containers walked: the transport's plain data."""
    if isinstance(value, np.generic):
        return np.asarray(value)
    if type(value) is list:
        return [_plain(item) for item in value]
    if type(value) is tuple:
        return tuple(_plain(item) for item in value)
    if type(value) is dict:
        return {key: _plain(item) for key, item in value.items()}
    return value


def public_cases_data(spec: AssignmentSpec) -> dict:
    """The public cases of every function of `spec`, as plain data."""
    functions = {}
    for check in spec.checks:
        cases = []
        for case in check.cases():
            if not case.public:
                continue
            fields = {
                field.name: _plain(getattr(case, field.name))
                for field in dataclasses.fields(Case)
                if field.name != "expected"
            }
            fields["has_expected"] = case.expected is not NO_EXPECTED
            fields["expected"] = None if case.expected is NO_EXPECTED else _plain(case.expected)
            cases.append(fields)
        functions[check.function] = cases
    return functions


def write_public_cases(spec: AssignmentSpec, folder: Path) -> list[Path]:
    """Writes ``ASSIGNMENT.public.json`` and ``.npys`` into `folder`; returns them."""
    name = f"{spec.name}{SUFFIX}"
    write_message(folder, name, public_cases_data(spec), max_bytes=MAX_BYTES, allow_markers=True)
    return [folder / f"{name}.json", folder / f"{name}.npys"]


def load_public_cases(assignment: str, function: str) -> Callable[[], list[Case]]:
    """The cases callable of a `FunctionCheck` in the student kit (see the module docstring).

    Raises (when called):
        ValueError: If the data file is missing or holds no cases of `function`.
    """

    def cases() -> list[Case]:
        folder = Path(__file__).parent / "specs"
        _, functions = read_message(
            folder, f"{assignment}{SUFFIX}", max_bytes=MAX_BYTES, allow_markers=True
        )
        if type(functions) is not dict or function not in functions:
            raise ValueError(f"The public cases of {assignment}.{function} are missing.")
        made = []
        for fields in functions[function]:
            fields = dict(fields)
            if not fields.pop("has_expected"):
                fields["expected"] = NO_EXPECTED
            made.append(Case(**fields))
        return made

    return cases
