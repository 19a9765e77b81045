"""Generating the student versions in `assignments/` from `solutions/`, and the notebooks.

A reference solution marks the body of each graded function with two lines::

    ### BEGIN SOLUTION
    ...the reference code...
    ### END SOLUTION

The student version keeps everything else (module docstring, imports,
signatures, docstrings) and replaces each marked region, markers included, by::

    # YOUR CODE HERE
    raise NotImplementedError

at the indentation of the ``### BEGIN SOLUTION`` line. The same run writes the
student notebooks ``assignments/NAME.ipynb`` and the lecture notebooks
``coursework/notebooks/TOPIC.ipynb`` (see `release_files`). These files are
only ever written by `release`; `stale_files` tells which are out of date.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
STUB_BODY = ("# YOUR CODE HERE", "raise NotImplementedError")


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


@dataclass(frozen=True)
class SolutionRegion:
    """One ``### BEGIN SOLUTION`` … ``### END SOLUTION`` region (0-based lines)."""

    begin: int
    end: int
    indent: str


def solution_regions(source: str, filename: str = "<solution>") -> list[SolutionRegion]:
    """Finds the solution regions of a reference source.

    Args:
        source: The reference solution's text.
        filename: Name used in error messages.

    Returns:
        The regions in order.

    Raises:
        ValueError: If markers are nested, unmatched or missing altogether.
    """
    regions = []
    begin = None
    for number, line in enumerate(source.splitlines()):
        marker = line.strip()
        if marker == BEGIN_SOLUTION:
            if begin is not None:
                raise ValueError(f"{filename}:{number + 1}: nested '{BEGIN_SOLUTION}'.")
            begin = number
        elif marker == END_SOLUTION:
            if begin is None:
                raise ValueError(f"{filename}:{number + 1}: '{END_SOLUTION}' without a begin.")
            begin_line = source.splitlines()[begin]
            indent = begin_line[: len(begin_line) - len(begin_line.lstrip())]
            regions.append(SolutionRegion(begin, number, indent))
            begin = None
    if begin is not None:
        raise ValueError(f"{filename}:{begin + 1}: '{BEGIN_SOLUTION}' is never ended.")
    if not regions:
        raise ValueError(f"{filename}: no '{BEGIN_SOLUTION}' regions; nothing to grade.")
    return regions


def make_stub(source: str, filename: str = "<solution>") -> str:
    """Turns a reference solution into the student version.

    Args:
        source: The reference solution's text.
        filename: The solution's name, for the header and error messages.

    Returns:
        The student version's text.

    Raises:
        ValueError: If the solution markers are malformed.
    """
    header = [
        f"# Generated from solutions/{Path(filename).name} by `autograder release`.",
        "# Fill in the places marked YOUR CODE HERE; do not rename the functions.",
    ]
    return "\n".join(header + stub_lines(source, filename)) + "\n"


def stub_lines(source: str, filename: str = "<solution>") -> list[str]:
    """The lines of `source` with each solution region replaced by the stub body.

    Args:
        source: Reference code with at least one solution region.
        filename: Name used in error messages.

    Returns:
        The student version's lines, without `make_stub`'s header.

    Raises:
        ValueError: If the solution markers are malformed or missing.
    """
    lines = source.splitlines()
    output = []
    position = 0
    for region in solution_regions(source, filename):
        output.extend(lines[position : region.begin])
        output.extend(region.indent + line for line in STUB_BODY)
        position = region.end + 1
    output.extend(lines[position:])
    return output


def release_files() -> dict[Path, str]:
    """Every generated file with its expected content.

    These are the student versions ``assignments/NAME.py``, the student
    notebooks ``assignments/NAME.ipynb`` (`autograder.notebooks`) and the
    lecture notebooks ``coursework/notebooks/TOPIC.ipynb``
    (`coursework.lecture_notebooks`).
    """
    from autograder.notebooks import student_notebook_files
    from coursework.lecture_notebooks import lecture_notebook_files

    files = {}
    for name in assignment_names():
        solution = solutions_dir() / f"{name}.py"
        files[assignments_dir() / f"{name}.py"] = make_stub(solution.read_text(), solution.name)
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
