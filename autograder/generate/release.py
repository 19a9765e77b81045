"""``autograder release``: regenerating every generated file of the kit.

The generated files are the student versions ``assignments/NAME.py``
(`autograder.generate.stubs`), the student notebooks ``assignments/NAME.ipynb``
(`autograder.generate.student_notebooks`) and the lecture notebooks
``coursework/notebooks/TOPIC.ipynb`` (`autograder.generate.lecture_notebooks`).
These files are only ever written by `release`; `stale_files` tells which are
out of date.

`release` never overwrites a generated file that was edited since it wrote it
(a student who completed ``assignments/NAME.py`` in place keeps their work):
``assignments/release-manifest.json`` records what it wrote, and the edited
files are listed instead (`autograder.generate.writing`); ``--force``
overwrites them.
"""

from __future__ import annotations

from pathlib import Path

from autograder.generate.lecture_notebooks import lecture_notebook_files
from autograder.generate.stubs import stub_files
from autograder.generate.student_notebooks import student_notebook_files
from autograder.generate.writing import manifest_text, stale, write_generated
from autograder.layout import assignments_dir

MANIFEST_NAME = "release-manifest.json"
WRITER = "autograder release"
HOW_TO_KEEP = (
    "If this is your own work, keep it: copy it out of assignments/ first "
    "(`autograder start NAME` gives you a working copy of an assignment)."
)


def kit_root() -> Path:
    """The folder holding `assignments/`, `coursework/` and `solutions/`."""
    return assignments_dir().parent


def manifest_path() -> Path:
    """``assignments/release-manifest.json``: what `release` wrote."""
    return assignments_dir() / MANIFEST_NAME


def release_files() -> dict[Path, str]:
    """Every generated file with its expected content (see the module docstring)."""
    files = stub_files()
    files.update(student_notebook_files())
    files.update(lecture_notebook_files())
    return files


def stale_files() -> dict[Path, str]:
    """Generated files (and the manifest) that are missing or out of date, with their content."""
    files = release_files()
    expected = dict(files)
    expected[manifest_path()] = manifest_text(kit_root(), files, WRITER)
    return stale(expected)


def release(*, force: bool = False) -> list[Path]:
    """Regenerates `assignments/` from `solutions/`, and the lecture notebooks.

    Args:
        force: Overwrite generated files even where they were edited.

    Returns:
        The files that were written because they changed.

    Raises:
        EditedFilesError: If generated files were edited and `force` is not
            given; nothing is written then.
    """
    return write_generated(
        kit_root(),
        release_files(),
        manifest_path(),
        force=force,
        writer=WRITER,
        how_to_keep=HOW_TO_KEEP,
    )
