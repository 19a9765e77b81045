"""The output folder of a graded class: one unique folder per student, written safely.

``OUT/grades.csv`` is the gradebook; every student has a folder
``OUT/FOLDER/`` with ``results.json``, ``feedback.md`` and ``grade.json`` (the
whole grade, for the grader itself). This module decides the folder names and
writes and reads these files:

* `student_folders`: a student's folder name is their name when that is a
  plain, safe file name; any other name (``alice!``, ``../x``, ``grades.csv``,
  ``=HYPERLINK(…)``) is cleaned and followed by ``~`` and a hash of the exact
  name. A plain name never contains ``~``, so no two students share a folder,
  and no student takes a name of the gradebook's (`RESERVED_NAMES`).
* `write_atomic`: each file is written to a temporary file in the same folder,
  flushed to disk, then renamed over the old one; a reader (or a run killed
  half-way) sees the old file or the new one, never half of one.
* `save_grade` and `load_grade`: ``grade.json`` is written last, once a
  student's reports are complete, so a run that was killed and started again
  grades only the students without one (and whose submission and grading
  settings are unchanged).
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import os
import re
import tempfile
import types
import typing
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from autograder.grading import SubmissionGrade
from autograder.safe_read import UnreadableFile, read_file

GRADE_FILE = "grade.json"
GRADE_FORMAT = 1
"""Version of ``grade.json``; a file of another version is graded again."""
MAX_GRADE_BYTES = 20_000_000

RESERVED_NAMES = frozenset(
    ["grades.csv", "class_report.md", "scores.png", "pass_rates.png"]
    + ["con", "prn", "aux", "nul"]
    + [f"{device}{number}" for device in ("com", "lpt") for number in range(1, 10)]
)
"""Names no student folder may take (compared in lower case): the gradebook's
files, and names Windows cannot create (the folder may be copied there)."""

_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
MAX_CLEANED_LENGTH = 60


def student_folder(student: str, *, hashed: bool = False) -> str:
    """The folder name of `student`'s reports, unique to this exact name.

    A plain name (letters, digits, ``.``, ``-`` and ``_``, starting with a
    letter or digit, at most 100 characters, not ending with ``.`` and not in
    `RESERVED_NAMES`) is kept. Any other name, or any name when `hashed`,
    becomes its cleaned form, ``~`` and 16 hex digits of the SHA-256 of the
    exact name.
    """
    if (
        not hashed
        and _PLAIN.fullmatch(student)
        and not student.endswith(".")
        and student.lower() not in RESERVED_NAMES
        and student.split(".")[0].lower() not in RESERVED_NAMES
    ):
        return student
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", student).strip("._-")[:MAX_CLEANED_LENGTH]
    digest = hashlib.sha256(student.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return f"{cleaned or 'student'}~{digest}"


def student_folders(students: Iterable[str]) -> dict[str, str]:
    """The folder name of every student, unique even where case is ignored.

    Each student gets `student_folder`, except when that is already taken
    without regard to case (``Alice`` and ``alice`` on a Mac's disk): then the
    later name, in sorted order, gets its hashed form, and in the unheard-of
    event of a hash collision a counter too.
    """
    folders: dict[str, str] = {}
    taken: set[str] = set()
    for student in sorted(set(students)):
        folder = student_folder(student)
        if folder.lower() in taken:
            folder = student_folder(student, hashed=True)
        base, number = folder, 1
        while folder.lower() in taken:
            number += 1
            folder = f"{base}-{number}"
        taken.add(folder.lower())
        folders[student] = folder
    return folders


def write_atomic(path: Path, text: str) -> None:
    """Writes `text` to `path`: a temporary file, flushed, then renamed over `path`."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", errors="backslashreplace",
                       newline="") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise


def remove_leftovers(folder: Path) -> None:
    """Removes the temporary files `write_atomic` left in `folder` when a run was killed."""
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return
    for entry in entries:
        if entry.name.startswith(".") and entry.name.endswith(".tmp") and entry.is_file(
            follow_symlinks=False
        ):
            try:
                os.unlink(entry.path)
            except FileNotFoundError:
                pass


def save_grade(folder: Path, grade: SubmissionGrade, fingerprint: dict) -> None:
    """Writes ``grade.json``: the whole grade and what it was computed from.

    Args:
        folder: The student's output folder.
        grade: The grade.
        fingerprint: What must be unchanged for the grade to be reused: the
            submission's contents and the grading settings (`load_grade`).
    """
    record = {
        "format": GRADE_FORMAT,
        "student": grade.student,
        "fingerprint": fingerprint,
        "grade": _plain(grade),
    }
    write_atomic(folder / GRADE_FILE, json.dumps(record, indent=1) + "\n")


def load_grade(folder: Path, student: str, fingerprint: dict) -> SubmissionGrade | None:
    """The grade saved in `folder` for `student`, if it is still valid.

    Returns:
        The grade, or None when there is none, it is unreadable, belongs to
        another name, or was computed from another submission or settings.
    """
    try:
        record = json.loads(read_file(folder / GRADE_FILE, limit=MAX_GRADE_BYTES))
        if (
            record.get("format") != GRADE_FORMAT
            or record.get("student") != student
            or record.get("fingerprint") != fingerprint
        ):
            return None
        grade = _from_plain(SubmissionGrade, record["grade"])
    except (UnreadableFile, ValueError, TypeError, KeyError, AttributeError):
        return None
    return grade if grade.student == student else None


def _plain(value: Any) -> Any:
    """`value` as JSON data: dataclasses as dicts, enums as their values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: _plain(getattr(value, field.name))
                for field in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return _plain(value.value)
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def _from_plain(kind: Any, data: Any) -> Any:
    """Rebuilds a value of type `kind` (dataclasses, lists, optionals) from `_plain` data."""
    if dataclasses.is_dataclass(kind):
        if not isinstance(data, dict):
            raise TypeError(f"expected an object for {kind.__name__}")
        hints = typing.get_type_hints(kind)
        fields = {field.name for field in dataclasses.fields(kind) if field.init}
        return kind(**{name: _from_plain(hints[name], data[name])
                       for name in fields if name in data})
    origin, arguments = typing.get_origin(kind), typing.get_args(kind)
    if origin in (list, tuple) and isinstance(data, list):
        item = arguments[0] if arguments else Any
        return origin(_from_plain(item, element) for element in data)
    if origin in (typing.Union, types.UnionType):
        if data is None and type(None) in arguments:
            return None
        for argument in arguments:
            if argument is not type(None):
                try:
                    return _from_plain(argument, data)
                except (TypeError, ValueError):
                    continue
        raise TypeError(f"no type of {kind} fits {data!r}")
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return kind(data)
    return data
