"""The student versions `assignments/NAME.py`, generated from `solutions/NAME.py`.

A reference solution marks the body of each graded function with two lines::

    ### BEGIN SOLUTION
    ...the reference code...
    ### END SOLUTION

The student version keeps everything else (module docstring, imports,
signatures, docstrings) and replaces each marked region, markers included, by::

    # YOUR CODE HERE
    raise NotImplementedError

at the indentation of the ``### BEGIN SOLUTION`` line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from autograder.layout import assignment_names, assignments_dir, solutions_dir

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
STUB_BODY = ("# YOUR CODE HERE", "raise NotImplementedError")


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


def stub_files() -> dict[Path, str]:
    """``assignments/NAME.py`` of every assignment with its expected text."""
    files = {}
    for name in assignment_names():
        solution = solutions_dir() / f"{name}.py"
        files[assignments_dir() / f"{name}.py"] = make_stub(solution.read_text(), solution.name)
    return files
