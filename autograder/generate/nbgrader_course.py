"""``autograder nbgrader DIR``: a ready nbgrader course folder for the assignments.

The folder holds ``nbgrader_config.py`` and, for every assignment with a check
specification, ``source/NAME/NAME.ipynb``: the notebook of `autograder.generate.student_notebooks`
with nbgrader's cell metadata.

* Answer cells hold the full reference function between ``### BEGIN
  SOLUTION`` and ``### END SOLUTION``; ``nbgrader generate_assignment`` turns
  them into exactly the answer cells of ``assignments/NAME.ipynb``.
* Each graded function has a locked, autograded test cell worth the function's
  points in the check specification. In a student's kernel it asserts the
  public checks; while ``nbgrader autograde`` runs it (nbgrader sets
  ``NBGRADER_EXECUTION=autograde``) it runs every case, comparing with the
  reference solution (the kernel runs where `autograder` and `solutions`
  import). The hidden cases live in the checks, not in the notebook, so the
  cell needs no ``### BEGIN HIDDEN TESTS`` section: nbgrader leaves it
  unchanged and its checksum stays the one it recorded (nbgrader warns
  "Attribute 'checksum' … has changed!" for every cell whose hidden tests it
  cleared, nbgrader issue #1961). A failing check raises `AssertionError` with
  the report of the first failing case (`autograder.notebook.assert_passes`),
  so nbgrader gives a function's points only when all its cases pass, where
  ``autograder grade`` would give part of them.
* The introduction, the setup code and the task descriptions are locked.

Assignments without a check specification are left out: nothing could grade
them. Adding or updating assignments in an existing course is safe: the
course's ``.autograder-manifest.json`` records what was written, a source
notebook edited since is never overwritten unless asked to (``--force``), an
edited ``nbgrader_config.py`` is always kept, and files the command does not
generate (the gradebook, submissions, feedback) are never touched.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from nbformat import NotebookNode

from autograder.generate.notebook_cells import (
    QUIET_START_CODE,
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
from autograder.generate.writing import current_text, digest, read_manifest, write_generated

COURSE_ID = "dl-coursekit"
CONFIG_NAME = "nbgrader_config.py"
MANIFEST_NAME = ".autograder-manifest.json"
WRITER = "autograder nbgrader"
SCHEMA_VERSION = 3
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
    """The autograded test cell of `function`: public checks, every case when autograded."""
    return "\n".join(
        [
            f"# Autograded ({points_text(points)}). Here: the public checks of {function}; "
            "when nbgrader autogrades, every case.",
            "from autograder.notebook import assert_passes",
            "",
            f'assert_passes("{assignment}", "{function}", {function})',
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
    if planned.role == "quiet":
        return [code_cell(QUIET_START_CODE, planned.name, locked)]
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


def config_text(course_id: str) -> str:
    """The course's ``nbgrader_config.py`` (the same whichever assignments the course has)."""
    return f'''"""nbgrader configuration of the {course_id} course.

Written by `autograder nbgrader`, which never overwrites it once you edit it (delete
it to get a fresh one). Workflow, from this folder:

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


def course_files(
    course_id: str = COURSE_ID, assignments: list[str] | None = None
) -> dict[Path, str]:
    """Files of the course folder, by path relative to it, with their text.

    Args:
        course_id: nbgrader's course id.
        assignments: The assignments to include (default: every one with checks).

    Raises:
        ValueError: If an assignment is unknown or has no check specification.
    """
    from autograder.specs import load_spec

    known = course_assignments()
    names = known if assignments is None else list(dict.fromkeys(assignments))
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ValueError(
            f"No assignment with checks named {', '.join(map(repr, unknown))}. "
            f"Known: {', '.join(known)}."
        )
    files = {Path(CONFIG_NAME): config_text(course_id)}
    for name in names:
        notebook = source_notebook(name, read_solution(name), load_spec(name))
        files[Path("source") / name / f"{name}.ipynb"] = notebook_text(notebook)
    return files


@dataclass
class CourseUpdate:
    """What `write_course` did.

    Attributes:
        written: The files written (absolute).
        assignments: The assignments whose source notebook was written.
        kept_config: The edited ``nbgrader_config.py`` that was kept, if any.
    """

    written: list[Path] = field(default_factory=list)
    assignments: list[str] = field(default_factory=list)
    kept_config: Path | None = None


def update_course(
    root: str | Path,
    *,
    force: bool = False,
    course_id: str = COURSE_ID,
    assignments: list[str] | None = None,
) -> CourseUpdate:
    """Writes or updates the nbgrader course folder `root`.

    Args:
        root: The course folder; created if missing.
        force: Overwrite source notebooks edited since they were written.
        course_id: nbgrader's course id (for a new ``nbgrader_config.py``).
        assignments: Only these assignments (default: every one with checks).

    Returns:
        What was written, and whether an edited configuration was kept.

    Raises:
        EditedFilesError: If source notebooks were edited and `force` is not
            given; nothing is written then.
        ValueError: If `root` is a file or an assignment is unknown.
    """
    root = Path(root)
    if root.exists() and not root.is_dir():
        raise ValueError(f"{root} is a file; give the folder to write the course into.")
    files = {root / path: text for path, text in course_files(course_id, assignments).items()}
    manifest_path = root / MANIFEST_NAME
    update = CourseUpdate()
    config = root / CONFIG_NAME
    existing = current_text(config)
    if existing is not None and existing != files[config]:
        recorded = {} if not manifest_path.exists() else read_manifest(manifest_path)
        if recorded.get(CONFIG_NAME) != digest(existing):
            del files[config]  # the instructor's edits win, even with --force
            update.kept_config = config.resolve()
    written = write_generated(
        root,
        files,
        manifest_path,
        force=force,
        writer=WRITER,
        how_to_keep="To keep your edits, copy those notebooks first.",
        merge=True,
    )
    update.written = [path.resolve() for path in written]
    update.assignments = sorted(
        path.parent.name for path in written if path.suffix == ".ipynb"
    )
    return update


def write_course(
    root: str | Path, *, force: bool = False, course_id: str = COURSE_ID
) -> list[Path]:
    """Writes the whole course folder `root` (see `update_course`); returns the files written."""
    return update_course(root, force=force, course_id=course_id).written
