"""Grading one submission inside Gradescope's autograder container.

Gradescope runs ``run_autograder`` (written by ``autograder gradescope``, see
`autograder.generate.gradescope_package`) once per submission, with the
student's files in ``/autograder/submission/``. `run_autograder` finds the
assignment's file there (``NAME.py`` or ``NAME.ipynb``, or the only Python file
or notebook uploaded), grades it with the same stages as ``autograder grade``
(isolated, time-limited, compared with the reference solution), and writes
``/autograder/results/results.json``:

* one test per case, worth the function's points divided by its cases;
* public cases ``visible`` at once, hidden ones ``after_published`` (students
  see them once the instructor publishes the grades);
* ``extra_data.missing_limits``: the kernel limits that were NOT in force
  while the code ran (names of `LIMIT_FIELDS`; data, not part of the output text);
* the results file is written atomically after grading, so a submission that
  writes its own results file (it cannot reach the real one from the sandbox)
  changes nothing.

Run by hand: ``python -m autograder.gradescope ASSIGNMENT [--root DIR]``; the
root defaults to the environment variable ``AUTOGRADER_ROOT``, else
``/autograder``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from autograder import feedback
from autograder.grade_command import open_sandbox
from autograder.grading import SubmissionGrade, grade_class
from autograder.specs import load_spec
from autograder.submissions import Submission

ROOT_VARIABLE = "AUTOGRADER_ROOT"
DEFAULT_ROOT = "/autograder"
OUTPUT_LIMIT = 4_000
VISIBLE, AFTER_PUBLISHED = "visible", "after_published"


def find_submission_file(folder: Path, assignment: str) -> tuple[Path | None, str | None]:
    """The file to grade in `folder`, or None and why there is none.

    Prefers ``ASSIGNMENT.py``, then ``ASSIGNMENT.ipynb``, anywhere below
    `folder`; else the only ``.py`` or ``.ipynb`` file. Links are not followed.
    """
    if not folder.is_dir():
        return None, f"the submission folder {folder} does not exist"
    candidates = sorted(
        path
        for path in folder.rglob("*")
        if path.suffix in (".py", ".ipynb")
        and not path.is_symlink()
        and path.is_file()
        and not any(part.startswith(".") for part in path.relative_to(folder).parts)
    )
    for name in (f"{assignment}.py", f"{assignment}.ipynb"):
        named = [path for path in candidates if path.name == name]
        if named:
            return named[0], None
    if len(candidates) == 1:
        return candidates[0], None
    found = ", ".join(str(path.relative_to(folder)) for path in candidates[:10]) or "none"
    return None, (
        f"upload {assignment}.py or {assignment}.ipynb (found: {found})"
    )


def submission_for(folder: Path, assignment: str) -> Submission:
    """The student's submission in `folder`, read like any class's (`autograder.submissions`).

    `folder` is its root: no folder below it may be a link, and a file with
    several hard links is refused when it is read.
    """
    path, problem = find_submission_file(folder, assignment)
    return Submission("student", path, problem, "no_file" if problem else None, root=folder)


def results_json(grade: SubmissionGrade, spec) -> dict:
    """The grade in Gradescope's results format, one test per case (see the module)."""
    public = {
        check.function: {case.name for case in check.cases() if case.public}
        for check in spec.checks
    }
    tests = []
    for function in grade.functions:
        count = len(function.outcomes)
        for outcome in function.outcomes:
            output = "" if outcome.passed else "\n".join(
                f"{label}: {text}" for label, text in outcome.details()
            )
            is_public = outcome.case in public.get(function.function, set())
            tests.append(
                {
                    "name": f"{function.function}: {outcome.case}",
                    "score": function.points / count if outcome.passed else 0.0,
                    "max_score": function.points / count,
                    "status": "passed" if outcome.passed else "failed",
                    "output": output[:OUTPUT_LIMIT],
                    "visibility": VISIBLE if is_public else AFTER_PUBLISHED,
                }
            )
        if not function.outcomes:
            tests.append(
                {
                    "name": feedback.not_graded_test(function.function),
                    "score": 0.0,
                    "max_score": function.points,
                    "status": "failed",
                    "output": grade.problem or feedback.NO_CASE_RAN,
                    "visibility": VISIBLE,
                }
            )
    messages = []
    if grade.problem:
        messages.append(feedback.could_not_grade(grade.problem))
    messages += [feedback.load_error(error) for error in grade.load_errors]
    messages += list(grade.notes)
    if grade.output.strip():
        messages.append(feedback.CODE_PRINTED + "\n" + grade.output[-OUTPUT_LIMIT:])
    return {
        "score": grade.score,
        "execution_time": round(grade.seconds, 3),
        "output": "\n\n".join(messages),
        "visibility": VISIBLE,
        "stdout_visibility": "hidden",
        "extra_data": {"missing_limits": list(grade.missing_limits)},
        "tests": tests,
    }


def write_json_atomically(path: Path, data: dict) -> None:
    """Writes `data` as JSON to `path` through a temporary file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".results.", dir=path.parent)
    with os.fdopen(handle, "w") as stream:
        json.dump(data, stream, indent=2)
        stream.write("\n")
    os.replace(temporary, path)


def run_autograder(assignment: str, root: Path, *, timeout: float = 10.0) -> dict:
    """Grades ``root/submission`` and writes ``root/results/results.json``; returns the results.

    Raises:
        ValueError: If the assignment is unknown (an error in the package, not the student's).
    """
    spec = load_spec(assignment)
    results_path = root / "results" / "results.json"
    submission = submission_for(root / "submission", assignment)
    with open_sandbox(spec, timeout=timeout, hidden=[root / "results", root / "source"]) as box:
        [grade] = grade_class([submission], spec, box, jobs=1)
    results = results_json(grade, spec)
    write_json_atomically(results_path, results)
    return results


def main(argv: list[str] | None = None) -> int:
    """``python -m autograder.gradescope ASSIGNMENT [--root DIR] [--timeout S]``."""
    parser = argparse.ArgumentParser(
        prog="python -m autograder.gradescope",
        description="Grade /autograder/submission for Gradescope (run by run_autograder).",
    )
    parser.add_argument("assignment")
    parser.add_argument("--root", default=os.environ.get(ROOT_VARIABLE, DEFAULT_ROOT))
    parser.add_argument("--timeout", type=float, default=10.0)
    args = parser.parse_args(argv)
    from coursework.quiet_start import import_tensorflow

    import_tensorflow()  # without TensorFlow's C++ start-up lines
    results = run_autograder(args.assignment, Path(args.root), timeout=args.timeout)
    total = sum(test["max_score"] for test in results["tests"])
    print(f"{args.assignment}: {results['score']:g} / {total:g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
