"""Noticing a class graded against the wrong assignment, and naming the right one.

When most submissions lack most of the graded functions, the instructor has
probably passed the wrong ``--assignment``. The submissions' top-level
function names are read with `ast` (parsed, never run) and compared with every
assignment's graded functions; the best match is named.
"""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Sequence

from autograder.checks import AssignmentSpec
from autograder.grading import SubmissionGrade
from autograder.specs import load_spec, spec_names
from autograder.submissions import Submission, read_chunks


@dataclasses.dataclass(frozen=True)
class Guess:
    """A class that looks graded against the wrong assignment.

    Attributes:
        lacking: Students whose submission lacks most of the graded functions.
        total: Students graded.
        likely: The assignment whose graded functions they define most, if any.
        defined: How many of `likely`'s graded functions they define, on average.
    """

    lacking: tuple[str, ...]
    total: int
    likely: str | None
    defined: float


def _missing(grade: SubmissionGrade) -> int:
    return sum(
        1 for function in grade.functions
        if function.outcomes and all(o.status in ("missing", "skipped") for o in function.outcomes)
    )


def defined_functions(submission: Submission) -> set[str]:
    """The names of the functions a submission defines at top level (empty if unreadable)."""
    if submission.problem or submission.path is None:
        return set()
    names: set[str] = set()
    try:
        chunks = read_chunks(submission.path)
    except (OSError, ValueError):
        return names
    for chunk in chunks:
        try:
            tree = ast.parse(chunk.code)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        names |= {node.name for node in tree.body
                  if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)}
    return names


def guess_wrong_assignment(
    grades: Sequence[SubmissionGrade], submissions: Sequence[Submission], spec: AssignmentSpec
) -> Guess | None:
    """A `Guess` when more than half the class lacks more than half the graded functions."""
    half = len(spec.checks) / 2
    lacking = [grade for grade in grades if _missing(grade) > half]
    if not grades or len(lacking) <= len(grades) / 2:
        return None
    by_student = {submission.student: submission for submission in submissions}
    defined = [defined_functions(by_student[grade.student]) for grade in lacking
               if grade.student in by_student]
    best, best_share = None, 0.0
    for name in spec_names():
        if name == spec.name:
            continue
        functions = set(load_spec(name).functions)
        share = sum(len(functions & names) for names in defined) / max(1, len(defined))
        if share / len(functions) > best_share:
            best, best_share = name, share / len(functions)
    likely = best if best_share >= 0.5 else None
    share = best_share * len(load_spec(likely).functions) if likely else 0.0
    return Guess(tuple(grade.student for grade in lacking), len(grades), likely, share)
