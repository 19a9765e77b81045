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
import hashlib
import json
import os
from pathlib import Path

from autograder import feedback
from autograder.cell_tags import NOT_SUBMITTED_TAGS
from autograder.safe_read import UnreadableFile, check_entry, is_real_folder, read_file
from autograder.sandbox import Chunk

MAX_SOURCE_BYTES = 5_000_000
MAX_TIMESTAMP_BYTES = 1_000
SUBMISSION_SUFFIXES = (".py", ".ipynb")
MAX_LISTED_FILES = 2_000
"""Files looked at when saying what a folder without the assignment holds."""


@dataclasses.dataclass(frozen=True)
class Submission:
    """One student's submission.

    Attributes:
        student: The student's name (file or folder name), exactly.
        path: The submitted file, or None when none can be graded.
        problem: Why the submission cannot be graded, if it cannot.
        problem_reason: The kind of problem, as a code: a reason of
            `autograder.safe_read.REASONS` (``symlink``, ``hard_link``, …) or
            ``no_file`` when the folder holds no file for the assignment.
        root: The submissions folder the file was found in: no folder between
            it and the file may be a link. None for a file a student names
            on the command line.
        timestamp: nbgrader's ``timestamp.txt`` beside the notebook, if any.
    """

    student: str
    path: Path | None
    problem: str | None = None
    problem_reason: str | None = None
    root: Path | None = None
    timestamp: str = ""


def find_submissions(root: str | Path, assignment: str) -> list[Submission]:
    """Lists every student's submission under `root`, sorted by student.

    Only regular files and real folders count. A symbolic link (to a file or
    to a folder), a file with several hard links, a FIFO or a device is
    never followed or opened: its student is listed with the problem.

    Args:
        root: The submissions folder (it may itself be a link).
        assignment: The assignment's name (``linear_regression``).

    Returns:
        One `Submission` per student; students whose entry cannot be graded
        are listed with a `problem`, so they still get a row.

    Raises:
        FileNotFoundError: If `root` is not a folder.
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"The submissions folder {str(root)!r} does not exist.")
    if (root / "submitted").is_dir():  # an nbgrader course folder
        root = root / "submitted"
    found: dict[str, Submission] = {}
    with os.scandir(root) as scan:
        entries = sorted(scan, key=lambda entry: entry.name)
    for entry in entries:
        name, path = entry.name, Path(entry.path)
        if name.startswith((".", "_")):
            continue
        is_file_name = path.suffix in SUBMISSION_SUFFIXES
        student = path.stem if is_file_name else name
        if entry.is_symlink():
            if (is_file_name or entry.is_dir()) and student not in found:
                found[student] = _refused(student, UnreadableFile("symlink", path), root)
        elif entry.is_dir(follow_symlinks=False):
            found[name] = _from_folder(root, path, assignment)
        elif is_file_name and student not in found:
            found[student] = _checked(student, path, root)
    return [found[student] for student in sorted(found)]


def _refused(student: str, error: UnreadableFile, root: Path) -> Submission:
    return Submission(student, None, feedback.refusal(error), error.reason, root)


def _checked(student: str, path: Path, root: Path, timestamp: str = "") -> Submission:
    """The submission of `path` if it is a regular file with one link, else its refusal."""
    try:
        check_entry(path)
    except UnreadableFile as error:
        return dataclasses.replace(_refused(student, error, root), timestamp=timestamp)
    return Submission(student, path, root=root, timestamp=timestamp)


def _from_folder(root: Path, folder: Path, assignment: str) -> Submission:
    inner = folder / assignment  # nbgrader's submitted/STUDENT/ASSIGNMENT/
    candidates = [
        folder / f"{assignment}.py",
        folder / f"{assignment}.ipynb",
        inner / f"{assignment}.ipynb",
        inner / f"{assignment}.py",
    ]
    if os.path.lexists(inner) and not is_real_folder(inner):
        candidates = candidates[:2] + [inner]  # a link or file where the folder should be
    for candidate in candidates:
        if not os.path.lexists(candidate):
            continue
        timestamp = read_timestamp(root, candidate.parent) if candidate.parent == inner else ""
        return _checked(folder.name, candidate, root, timestamp)
    others = _submission_files(folder)
    seen = f" (found: {', '.join(others[:5])})" if others else ""
    return Submission(
        folder.name,
        None,
        f"no {assignment}.py or {assignment}.ipynb in {folder.name}/{seen}",
        "no_file",
        root,
    )


def _submission_files(folder: Path) -> list[str]:
    """Names of the .py and .ipynb files under `folder`, without following links."""
    names, looked_at = [], 0
    for _, folders, files in os.walk(folder, followlinks=False):
        folders.sort()
        for name in sorted(files):
            looked_at += 1
            if Path(name).suffix in SUBMISSION_SUFFIXES:
                names.append(name)
        if looked_at > MAX_LISTED_FILES:
            break
    return sorted(names)


def read_timestamp(root: Path, folder: Path) -> str:
    """The first line of nbgrader's ``timestamp.txt`` in `folder`, or "".

    The file is read like a submission: a link, a FIFO or a large file gives "".
    """
    try:
        data = read_file(folder / "timestamp.txt", limit=MAX_TIMESTAMP_BYTES, root=root)
    except UnreadableFile:
        return ""
    lines = data.decode("utf-8", errors="replace").strip().splitlines()
    return lines[0].strip()[:64] if lines else ""


def submission_fingerprint(submission: Submission) -> str:
    """What identifies the submitted contents: their SHA-256, or why there are none.

    A grade kept from an earlier run is reused only while this is unchanged.
    """
    if submission.path is None:
        return f"problem:{submission.problem_reason}"
    try:
        data = read_file(submission.path, limit=MAX_SOURCE_BYTES, root=submission.root,
                         allow_hard_links=submission.root is None)
    except UnreadableFile as error:
        return f"refused:{error.reason}"
    return "sha256:" + hashlib.sha256(data).hexdigest()


def read_chunks(path: Path, root: Path | None = None) -> list[Chunk]:
    """Reads the code of a submitted file as chunks to execute in order.

    The file is read with `autograder.safe_read.read_file`: never through a
    link, never a FIFO or device, never more than `MAX_SOURCE_BYTES`.

    Args:
        path: A ``.py`` file (one chunk) or a ``.ipynb`` notebook (a chunk per
            non-empty code cell, labelled ``cell N``).
        root: The submissions folder `path` was found in; then no folder on
            the way may be a link and the file must have a single hard link.
            Without it (a student's own file on the command line), only the
            file itself must not be a link.

    Returns:
        The chunks.

    Raises:
        UnreadableFile: If the file is refused (a link, not a regular file,
            too large); it is a `ValueError`, with a `reason` code.
        ValueError: If the file is not a notebook.
    """
    data = read_file(path, limit=MAX_SOURCE_BYTES, root=root, allow_hard_links=root is None)
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

    These are the check and set-up cells of the generated student notebooks
    (tagged with one of `autograder.cell_tags.NOT_SUBMITTED_TAGS`) and
    nbgrader's test cells; they import `autograder` or `coursework`, which
    graded code cannot.
    """
    metadata = cell.get("metadata")
    if not isinstance(metadata, dict):
        return False
    tags = metadata.get("tags")
    nbgrader = metadata.get("nbgrader")
    if isinstance(tags, list) and any(tag in tags for tag in NOT_SUBMITTED_TAGS):
        return True
    return isinstance(nbgrader, dict) and bool(nbgrader.get("grade")) and not nbgrader.get(
        "solution"
    )
