"""Check specifications, one module per assignment, each defining ``SPEC``.

The module's name is the assignment's name, which is also the name of its
reference solution in `solutions/`.
"""

from __future__ import annotations

import importlib

from autograder.checks import AssignmentSpec


def spec_names() -> list[str]:
    """Names of the assignments that have a check specification."""
    from pathlib import Path

    folder = Path(__file__).parent
    return sorted(p.stem for p in folder.glob("*.py") if not p.stem.startswith("_"))


def load_spec(name: str) -> AssignmentSpec:
    """The check specification of assignment `name`.

    Raises:
        ValueError: If there is no such assignment.
    """
    known = spec_names()
    if name not in known:
        raise ValueError(f"Unknown assignment {name!r}. Known assignments: {', '.join(known)}.")
    return importlib.import_module(f"autograder.specs.{name}").SPEC
