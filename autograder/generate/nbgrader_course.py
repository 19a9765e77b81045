"""``autograder nbgrader DIR``: a ready nbgrader course folder for the assignments.

The folder holds ``nbgrader_config.py`` and, for every assignment with a check
specification, ``source/NAME/NAME.ipynb``: the notebook of `autograder.generate.student_notebooks`
with nbgrader's cell metadata.

* Answer cells hold the full reference function between ``### BEGIN
  SOLUTION`` and ``### END SOLUTION``; ``nbgrader generate_assignment`` turns
  them into exactly the answer cells of ``assignments/NAME.ipynb``.
* Each graded function has a locked, autograded test cell worth the function's
  points in the check specification. Its visible part asserts the public
  checks; its hidden part, between ``### BEGIN HIDDEN TESTS`` and ``### END
  HIDDEN TESTS``, runs every case, comparing with the reference solution (during
  ``nbgrader autograde`` the kernel runs where `autograder` and `solutions`
  import). A failing check raises `AssertionError` with the report of the first
  failing case (`autograder.notebook.assert_passes`), so nbgrader gives a
  function's points only when all its cases pass, where ``autograder grade``
  would give part of them.
* The introduction, the setup code and the task descriptions are locked.

Assignments without a check specification are left out: nothing could grade
them. Existing files are never overwritten unless asked to (``--force``), and
files the command does not generate (the gradebook, submissions, feedback) are
never touched.
"""

from __future__ import annotations

import json
from pathlib import Path

from nbformat import NotebookNode

from autograder.generate.notebook_cells import (
    code_cell,
    docstring_markdown,
    make_notebook,
    markdown_cell,
    notebook_text,
)
from autograder.generate.solution_parts import SolutionParts
from autograder.generate.student_notebooks import (
    PlannedCell,
    plan_cells,
    points_text,
    read_solution,
    task_markdown,
)

COURSE_ID = "dl-coursekit"
CONFIG_NAME = "nbgrader_config.py"
SCHEMA_VERSION = 3
BEGIN_HIDDEN_TESTS = "### BEGIN HIDDEN TESTS"
END_HIDDEN_TESTS = "### END HIDDEN TESTS"
CELL_TIMEOUT = 300
"""Seconds nbgrader lets a cell run while autograding (its default, 30, is short for training)."""

NBGRADER_HOW_TO = """\
---

**How to work through this notebook.** Run the setup cell first. Then, for each
function, replace `# YOUR CODE HERE` and `raise NotImplementedError` with your
code, run the cell, and run the test cell below it: it prints PASS, or raises an
`AssertionError` explaining the first failing case with a hint. Your grade comes
from more cases than these, so test edge cases too. Don't rename the functions or
change their signatures; before you submit, restart the kernel and run all cells."""


def nbgrader_metadata(
    grade_id: str,
    *,
    grade: bool = False,
    solution: bool = False,
    locked: bool = False,
    points: float | None = None,
) -> dict:
    """A cell's ``nbgrader`` metadata (schema version 3)."""
    metadata = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": SCHEMA_VERSION,
        "solution": solution,
        "task": False,
    }
    if grade:
        metadata["points"] = points
    return {"nbgrader": metadata}


def test_cell_source(assignment: str, function: str, points: float) -> str:
    """The autograded test cell of `function`: public checks, then hidden ones."""
    call = f'"{assignment}", "{function}", {function}'
    return "\n".join(
        [
            f"# Autograded ({points_text(points)}): the public checks of {function}, "
            "then hidden ones.",
            "from autograder.notebook import assert_passes",
            "",
            f"assert_passes({call})",
            BEGIN_HIDDEN_TESTS,
            f"assert_passes({call}, public_only=False)",
            END_HIDDEN_TESTS,
        ]
    )


def source_notebook(name: str, solution: SolutionParts, spec) -> NotebookNode:
    """The nbgrader source notebook of assignment `name`.

    Args:
        name: The assignment's name.
        solution: Its reference solution, split into parts.
        spec: Its `autograder.checks.AssignmentSpec`.

    Returns:
        The notebook with nbgrader metadata on every cell.
    """
    cells = []
    for planned in plan_cells(name, solution, spec):
        cells.extend(_render(name, planned, solution))
    return make_notebook(cells)


def _render(name: str, planned: PlannedCell, solution: SolutionParts) -> list[NotebookNode]:
    locked = nbgrader_metadata(planned.name, locked=True)
    if planned.role == "intro":
        intro = docstring_markdown(solution.docstring or name, title=True)
        return [markdown_cell(intro + "\n\n" + NBGRADER_HOW_TO, planned.name, locked)]
    if planned.role == "code":
        return [code_cell(planned.part.source, planned.name, locked)]
    if planned.role == "task":
        return [markdown_cell(task_markdown(planned), planned.name, locked)]
    if planned.role == "answer":
        answer = nbgrader_metadata(planned.name, solution=True)
        return [code_cell(planned.part.source, planned.name, answer)]
    test_name = f"{planned.part.name}-test"
    test = nbgrader_metadata(test_name, grade=True, locked=True, points=planned.points)
    return [code_cell(test_cell_source(name, planned.part.name, planned.points), test_name, test)]


def config_text(course_id: str, assignments: list[str]) -> str:
    """The course's ``nbgrader_config.py``."""
    listed = "".join(f"    {json.dumps(name)},\n" for name in assignments)
    return f'''"""nbgrader configuration of the {course_id} course.

Written by `autograder nbgrader`; `autograder nbgrader DIR --force` rewrites it.
Workflow, from this folder:

    nbgrader generate_assignment NAME        # source/NAME -> release/NAME (student version)
    # collect the students' notebooks into submitted/STUDENT/NAME/NAME.ipynb
    nbgrader autograde NAME --create         # runs the hidden tests too
    nbgrader export                          # grades.csv

The test cells import `autograder` and `solutions`: run nbgrader where the course
kit is installed (pip install -e .).
"""

import os

c = get_config()  # noqa: F821 - provided by nbgrader

c.CourseDirectory.course_id = {json.dumps(course_id)}
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))

ASSIGNMENTS = [
{listed}]
"""The assignments in source/, one per check specification of the kit."""

c.ClearSolutions.code_stub = {{"python": "# YOUR CODE HERE\\nraise NotImplementedError"}}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
c.ClearSolutions.begin_solution_delimeter = "BEGIN SOLUTION"
c.ClearSolutions.end_solution_delimeter = "END SOLUTION"
c.ClearHiddenTests.begin_test_delimeter = "BEGIN HIDDEN TESTS"
c.ClearHiddenTests.end_test_delimeter = "END HIDDEN TESTS"

# Training checks take longer than nbgrader's default of 30 seconds per cell.
c.Execute.timeout = {CELL_TIMEOUT}
'''


def course_assignments() -> list[str]:
    """The assignments of the course: those with a solution and a check specification."""
    from autograder.layout import assignment_names
    from autograder.specs import spec_names

    return sorted(set(assignment_names()) & set(spec_names()))


def course_files(course_id: str = COURSE_ID) -> dict[Path, str]:
    """Every file of the course folder, by path relative to it, with its text."""
    from autograder.specs import load_spec

    names = course_assignments()
    files = {Path(CONFIG_NAME): config_text(course_id, names)}
    for name in names:
        notebook = source_notebook(name, read_solution(name), load_spec(name))
        files[Path("source") / name / f"{name}.ipynb"] = notebook_text(notebook)
    return files


def write_course(
    root: str | Path, *, force: bool = False, course_id: str = COURSE_ID
) -> list[Path]:
    """Writes the nbgrader course folder `root`.

    Args:
        root: The course folder; created if missing.
        force: Overwrite generated files that exist with other contents.
        course_id: nbgrader's course id.

    Returns:
        The files written (those missing or different), absolute.

    Raises:
        ValueError: If `root` is a file, or files would be overwritten without
            `force`; nothing is written then.
    """
    root = Path(root)
    if root.exists() and not root.is_dir():
        raise ValueError(f"{root} is a file; give the folder to write the course into.")
    files = {root / path: text for path, text in course_files(course_id).items()}
    changed = {path: text for path, text in files.items() if not _has_text(path, text)}
    existing = [path for path in changed if path.exists()]
    if existing and not force:
        listed = ", ".join(str(path.relative_to(root)) for path in existing)
        raise ValueError(
            f"{root} already has files this would overwrite: {listed}. Nothing was written. "
            "Use --force to overwrite these (only these: the gradebook, submissions and "
            "other files are never touched), or choose another folder."
        )
    for path, text in changed.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return [path.resolve() for path in changed]


def _has_text(path: Path, text: str) -> bool:
    try:
        return path.is_file() and path.read_text() == text
    except (OSError, UnicodeDecodeError):
        return False
