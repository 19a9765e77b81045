"""Where the course kit keeps its assignments: `solutions/`, `assignments/` and the names.

An assignment is a module ``solutions/NAME.py`` (the reference solution, the
single source of truth); its student versions ``assignments/NAME.py`` and
``assignments/NAME.ipynb`` are generated from it by `autograder.generate`.
"""

from __future__ import annotations

from pathlib import Path


def solutions_dir() -> Path:
    """The folder of the reference solutions (the `solutions` package)."""
    import solutions

    return Path(solutions.__file__).parent


def assignments_dir() -> Path:
    """The folder of the generated student versions (the `assignments` package)."""
    import assignments

    return Path(assignments.__file__).parent


def assignment_names() -> list[str]:
    """Names of every assignment: the modules in `solutions/`, sorted."""
    return sorted(
        path.stem for path in solutions_dir().glob("*.py") if not path.stem.startswith("_")
    )


def check_assignment_name(name: str) -> None:
    """Raises `ValueError` with the known names if `name` is not an assignment."""
    known = assignment_names()
    if name not in known:
        raise ValueError(f"Unknown assignment {name!r}. Known assignments: {', '.join(known)}.")


def student_assignment_names() -> list[str]:
    """Names of the assignments whose student versions exist in `assignments/`.

    Unlike `assignment_names`, this works in a student kit, which has no `solutions/`.
    """
    return sorted(
        path.stem for path in assignments_dir().glob("*.py") if not path.stem.startswith("_")
    )
