"""Stage 1 of grading: finding each student's submission and reading its code.

A submissions folder holds one entry per student, in any of these forms:

* ``STUDENT.py`` or ``STUDENT.ipynb``;
* ``STUDENT/ASSIGNMENT.py`` or ``STUDENT/ASSIGNMENT.ipynb``;
* nbgrader's ``submitted/STUDENT/ASSIGNMENT/ASSIGNMENT.ipynb`` tree (pass the
  course folder, its ``submitted`` folder, or the folder above the students).

From a notebook the code cells are taken in order, each as its own chunk, so a
cell that fails is reported and the others still run; check cells and
nbgrader's test cells are left out (they are not the student's code). Nothing
here executes student code: reading is all that happens in the grader process.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from autograder.cell_tags import CHECK_CELL_TAG
from autograder.sandbox import Chunk

MAX_SOURCE_BYTES = 5_000_000


@dataclasses.dataclass(frozen=True)
class Submission:
    """One student's submission.

    Attributes:
        student: The student's name (file or folder name).
        path: The submitted file, or None when none was found.
        problem: Why the submission cannot be graded, if it cannot.
    """

    student: str
    path: Path | None
    problem: str | None = None


def find_submissions(root: str | Path, assignment: str) -> list[Submission]:
    """Lists every student's submission under `root`, sorted by student.

    Args:
        root: The submissions folder.
        assignment: The assignment's name (``linear_regression``).

    Returns:
        One `Submission` per student; students whose folder holds no file for
        the assignment are listed with a `problem`, so they still get a row.

    Raises:
        FileNotFoundError: If `root` is not a folder.
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"The submissions folder {str(root)!r} does not exist.")
    if (root / "submitted").is_dir():  # an nbgrader course folder
        root = root / "submitted"
    found: dict[str, Submission] = {}
    for entry in sorted(root.iterdir()):
        if entry.name.startswith((".", "_")):
            continue
        if entry.is_dir():
            found[entry.name] = _from_folder(entry, assignment)
        elif entry.suffix in (".py", ".ipynb") and entry.stem not in found:
            found[entry.stem] = Submission(entry.stem, entry)
    return [found[student] for student in sorted(found)]


def _from_folder(folder: Path, assignment: str) -> Submission:
    candidates = [
        folder / f"{assignment}.py",
        folder / f"{assignment}.ipynb",
        folder / assignment / f"{assignment}.ipynb",
        folder / assignment / f"{assignment}.py",
    ]
    for candidate in candidates:
        if candidate.is_file():
            return Submission(folder.name, candidate)
    others = sorted(p.name for p in folder.rglob("*") if p.suffix in (".py", ".ipynb"))
    seen = f" (found: {', '.join(others[:5])})" if others else ""
    return Submission(
        folder.name,
        None,
        f"no {assignment}.py or {assignment}.ipynb in {folder.name}/{seen}",
    )


def read_chunks(path: Path) -> list[Chunk]:
    """Reads the code of a submitted file as chunks to execute in order.

    Args:
        path: A ``.py`` file (one chunk) or a ``.ipynb`` notebook (a chunk per
            non-empty code cell, labelled ``cell N``).

    Returns:
        The chunks.

    Raises:
        ValueError: If the file is too large, not UTF-8 text, or not a notebook.
    """
    data = path.read_bytes()
    if len(data) > MAX_SOURCE_BYTES:
        raise ValueError(f"{path.name} is {len(data):,} bytes; the limit is {MAX_SOURCE_BYTES:,}.")
    text = data.decode("utf-8", errors="replace")
    if path.suffix == ".py":
        return [Chunk(path.name, text)]
    return notebook_chunks(text, path.name)


def notebook_chunks(text: str, name: str = "notebook") -> list[Chunk]:
    """The code cells of a notebook's JSON text, in order.

    Raises:
        ValueError: If `text` is not a Jupyter notebook.
    """
    try:
        notebook = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"{name} is not a valid notebook (bad JSON: {error}).") from error
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        raise ValueError(f"{name} is not a valid notebook (no list of cells).")
    chunks = []
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code" or _is_check(cell):
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(str(line) for line in source)
        if not isinstance(source, str):
            raise ValueError(f"{name}: cell {number} has no readable source.")
        if source.strip():
            chunks.append(Chunk(f"cell {number}", source))
    return chunks


def _is_check(cell: dict) -> bool:
    """Whether a cell runs checks rather than holding the student's code.

    These are the check cells of the generated student notebooks (tagged
    `autograder.cell_tags.CHECK_CELL_TAG`) and nbgrader's test cells; both import
    `autograder`, which graded code cannot.
    """
    metadata = cell.get("metadata")
    if not isinstance(metadata, dict):
        return False
    tags = metadata.get("tags")
    nbgrader = metadata.get("nbgrader")
    if isinstance(tags, list) and CHECK_CELL_TAG in tags:
        return True
    return isinstance(nbgrader, dict) and bool(nbgrader.get("grade")) and not nbgrader.get(
        "solution"
    )
