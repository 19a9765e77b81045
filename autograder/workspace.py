"""``autograder start NAME``: a student's own working copy of an assignment.

Students never work in ``assignments/``: those files are generated and
``autograder release`` keeps them up to date. `start_assignment` copies the
student version (``assignments/NAME.py``, or the notebook) into the student's
working folder, and never overwrites a file that is already there.
"""

from __future__ import annotations

import os
from pathlib import Path

from autograder.layout import assignments_dir, student_assignment_names


def start_assignment(name: str, folder: Path, *, notebook: bool = False) -> Path:
    """Copies assignment `name` into `folder` and returns the new file.

    Args:
        name: The assignment, e.g. "linear_regression".
        folder: The student's working folder; created if missing.
        notebook: Copy ``NAME.ipynb`` instead of ``NAME.py``.

    Returns:
        The path of the copy.

    Raises:
        ValueError: If the assignment is unknown, `folder` is a file, or the
            copy would replace an existing file (it never does).
    """
    known = student_assignment_names()
    if name not in known:
        raise ValueError(f"Unknown assignment {name!r}. Known assignments: {', '.join(known)}.")
    source = assignments_dir() / f"{name}{'.ipynb' if notebook else '.py'}"
    if not source.is_file():
        raise ValueError(f"{name} has no {'notebook' if notebook else '.py file'} in this kit.")
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"{folder} is a file; give the folder to work in.")
    target = folder / source.name
    if target.resolve() == source.resolve():
        raise ValueError(
            f"{target} is the generated version itself; start in another folder (--dir)."
        )
    folder.mkdir(parents=True, exist_ok=True)
    data = source.read_bytes()
    try:  # O_EXCL: an existing file, or a link planted there, is never replaced
        handle = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        raise ValueError(
            f"{target} already exists, and your work in it is kept. Keep working on it, "
            "or start a fresh copy in another folder with --dir."
        ) from None
    with os.fdopen(handle, "wb") as stream:
        stream.write(data)
    return target
