"""The student notebooks `assignments/NAME.ipynb`, generated from `solutions/NAME.py`.

A student notebook has, in this order:

1. the assignment's introduction: the solution's module docstring as Markdown,
   with how to work through the notebook;
2. a setup cell: the solution's imports and other module-level code;
3. for each graded function, a Markdown cell with its task (signature, points,
   docstring), its answer cell (the function exactly as in the `.py` stub:
   signature, docstring, ``# YOUR CODE HERE`` / ``raise NotImplementedError``)
   and, when the assignment has a check specification, a check cell running
   the function's public checks in the kernel (`autograder.notebook.check`).

An assignment whose specification has not been written yet still gets its
notebook, without check cells, and the introduction says so; once
`autograder/specs/NAME.py` exists, ``autograder release`` adds them.

The nbgrader version (`autograder.generate.nbgrader_course`) follows the same plan
(`plan_cells`), so the answer cells of a notebook nbgrader releases are the
student notebook's answer cells, with the same cell ids.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from nbformat import NotebookNode

from autograder.cell_tags import CHECK_CELL_TAG, SETUP_CELL_TAG
from autograder.generate.notebook_cells import (
    QUIET_START_CODE,
    QUIET_START_ID,
    code_cell,
    docstring_markdown,
    make_notebook,
    markdown_cell,
    notebook_text,
)
from autograder.generate.solution_parts import Part, SolutionParts, split_solution


@dataclasses.dataclass(frozen=True)
class PlannedCell:
    """One cell of an assignment notebook, before it is rendered.

    Attributes:
        role: "intro", "quiet" (imports TensorFlow without its start-up
            lines), "code" (setup and other given code), "task" (a graded
            function's explanation), "answer" (code the student completes) or
            "check" (the checks of the function above).
        name: The cell's id, derived from the function's name.
        part: The solution part the cell shows (None for "intro").
        points: The function's points, when the assignment has a spec for it.
        number: The graded function's position, counting from 1 ("task" only).
    """

    role: str
    name: str
    part: Part | None = None
    points: float | None = None
    number: int = 0


def load_spec_if_any(name: str):
    """The check specification of assignment `name`, or None if it has none yet."""
    from autograder.specs import load_spec, spec_names

    return load_spec(name) if name in spec_names() else None


def read_solution(name: str) -> SolutionParts:
    """The parts of `solutions/NAME.py`.

    Raises:
        ValueError: If `name` is not an assignment or its solution is malformed.
    """
    from autograder.layout import check_assignment_name, solutions_dir

    check_assignment_name(name)
    path = solutions_dir() / f"{name}.py"
    return split_solution(path.read_text(), path.name)


def plan_cells(name: str, solution: SolutionParts, spec) -> list[PlannedCell]:
    """The cells of an assignment notebook, in order.

    Args:
        name: The assignment's name.
        solution: Its reference solution, split into parts.
        spec: Its `autograder.checks.AssignmentSpec`, or None.

    Returns:
        The planned cells: the introduction, then each part's cells.

    Raises:
        ValueError: If the spec grades a function the solution does not define.
    """
    graded = {check.function: check for check in spec.checks} if spec else {}
    defined = {part.name for part in solution.functions}
    missing = sorted(set(graded) - defined)
    if missing:
        raise ValueError(
            f"The checks of {name!r} grade {', '.join(missing)}, which solutions/{name}.py "
            "does not define as functions with a '### BEGIN SOLUTION' region."
        )
    cells = [PlannedCell("intro", "intro"), PlannedCell("quiet", QUIET_START_ID)]
    code_parts = exercises = functions = 0
    for part in solution.parts:
        if part.kind == "code":
            label = f"code-{code_parts}" if code_parts else "setup"
            cells.append(PlannedCell("code", label, part))
            code_parts += 1
        elif part.kind == "exercise":
            exercises += 1
            cells.append(PlannedCell("answer", f"exercise-{exercises}", part))
        else:
            functions += 1
            check = graded.get(part.name)
            points = check.points if check else None
            cells.append(PlannedCell("task", f"{part.name}-task", part, points, functions))
            cells.append(PlannedCell("answer", part.name, part, points))
            if check:
                cells.append(PlannedCell("check", f"{part.name}-check", part, points))
    return cells


def points_text(points: float) -> str:
    """Points in words: "1 point", "2.5 points"."""
    number = int(points) if float(points).is_integer() else points
    return f"{number} point" + ("" if number == 1 else "s")


def task_markdown(cell: PlannedCell) -> str:
    """The explanation of a graded function: heading, points and docstring."""
    part = cell.part
    heading = f"## {cell.number}. `{part.signature}`"
    if cell.points is not None:
        heading += f" ({points_text(cell.points)})"
    return heading + "\n\n" + docstring_markdown(part.docstring or f"Complete `{part.name}`.")


STUDENT_HOW_TO = """\
---

**How to work through this notebook.** Run the setup cell first. Then, for each
function, replace `# YOUR CODE HERE` and `raise NotImplementedError` with your
code, run the cell, and run the check cell below it: it prints PASS, or the first
failing case with what was expected, what your function returned and a hint.
These are the public checks; the graded run uses more cases, so test edge cases
too. When every check passes, check the whole notebook from a terminal:

    autograder check {name}.ipynb --assignment {name}

Don't rename the functions or change their signatures."""

NO_CHECKS_YET = """\
---

**How to work through this notebook.** Run the setup cell first. Then, for each
function, replace `# YOUR CODE HERE` and `raise NotImplementedError` with your
code and run the cell. This assignment has no automatic checks yet: test your
functions on small examples of your own. Don't rename the functions or change
their signatures."""


def student_notebook(name: str, solution: SolutionParts, spec) -> NotebookNode:
    """The student notebook of assignment `name`.

    Args:
        name: The assignment's name.
        solution: Its reference solution, split into parts.
        spec: Its check specification, or None (no check cells).

    Returns:
        The notebook, without outputs.
    """
    cells = []
    for planned in plan_cells(name, solution, spec):
        if planned.role == "intro":
            how_to = (STUDENT_HOW_TO if spec else NO_CHECKS_YET).format(name=name)
            intro = docstring_markdown(solution.docstring or name, title=True)
            cells.append(markdown_cell(intro + "\n\n" + how_to, planned.name))
        elif planned.role == "quiet":
            cells.append(code_cell(QUIET_START_CODE, planned.name, {"tags": [SETUP_CELL_TAG]}))
        elif planned.role == "code":
            cells.append(code_cell(planned.part.source, planned.name))
        elif planned.role == "task":
            cells.append(markdown_cell(task_markdown(planned), planned.name))
        elif planned.role == "answer":
            cells.append(code_cell(planned.part.stub, planned.name))
        else:
            source = check_cell_source(name, planned.part.name)
            cells.append(code_cell(source, planned.name, {"tags": [CHECK_CELL_TAG]}))
    return make_notebook(cells)


def check_cell_source(assignment: str, function: str) -> str:
    """The code of a student notebook's check cell."""
    return (
        "from autograder.notebook import check\n\n"
        f'check("{assignment}", "{function}", {function})'
    )


def student_notebook_files() -> dict[Path, str]:
    """``assignments/NAME.ipynb`` of every assignment with its expected text."""
    from autograder.layout import assignment_names, assignments_dir

    return {
        assignments_dir() / f"{name}.ipynb": notebook_text(
            student_notebook(name, read_solution(name), load_spec_if_any(name))
        )
        for name in assignment_names()
    }
