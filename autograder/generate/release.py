"""``autograder release``: regenerating every generated file of the kit.

The generated files are the student versions ``assignments/NAME.py``
(`autograder.generate.stubs`), the student notebooks ``assignments/NAME.ipynb``
(`autograder.generate.student_notebooks`) and the lecture notebooks
``coursework/notebooks/TOPIC.ipynb`` (`autograder.generate.lecture_notebooks`).
These files are only ever written by `release`; `stale_files` tells which are
out of date.
"""

from __future__ import annotations

from pathlib import Path

from autograder.generate.lecture_notebooks import lecture_notebook_files
from autograder.generate.stubs import stub_files
from autograder.generate.student_notebooks import student_notebook_files


def release_files() -> dict[Path, str]:
    """Every generated file with its expected content (see the module docstring)."""
    files = stub_files()
    files.update(student_notebook_files())
    files.update(lecture_notebook_files())
    return files


def stale_files() -> dict[Path, str]:
    """Generated files that are missing or out of date, with their expected content."""
    return {
        path: content
        for path, content in release_files().items()
        if not path.exists() or path.read_text() != content
    }


def release() -> list[Path]:
    """Regenerates `assignments/` from `solutions/`, and the lecture notebooks.

    Returns:
        The files that were written because they changed.
    """
    stale = stale_files()
    for path, content in stale.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return list(stale)
