"""Benchmark: grading a class with our grader versus ``nbgrader autograde``.

Builds an nbgrader course for the linear-regression assignment
(``autograder nbgrader``), releases it (``nbgrader generate_assignment``), and
collects N copies of the reference notebook (full marks) and N copies of the
released stub (fails everything) as ``submitted/STUDENT/...``. Then it grades
exactly those notebooks twice:

* with our grader (``grade_class`` over the same ``submitted/`` tree, isolated
  children from a fork server, ``--jobs`` at a time);
* with ``nbgrader autograde`` (one fresh kernel per notebook, one at a time).

It prints the total wall time of each, and for ours the cost per submission in
core-seconds (wall time x workers / submissions), the student code's own compute
(time inside the graded calls and the load, as measured in the child) and the
overhead beyond it; and the same in CPU time, which a busy machine does not
inflate (the wall-time figures are only meaningful on a quiet machine). Usage::

    python benchmarks/grading.py [--copies 10] [--jobs 2] [--skip-nbgrader]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ASSIGNMENT = "linear_regression"


def build_course(root: Path, copies: int) -> Path:
    """An nbgrader course with `copies` reference and `copies` stub submissions."""
    from autograder.generate.nbgrader_course import write_course

    course = root / "course"
    write_course(course)
    subprocess.run(["nbgrader", "generate_assignment", ASSIGNMENT, "--force"], cwd=course,
                   check=True, capture_output=True, text=True, timeout=600)
    notebooks = {
        "ref": course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb",
        "stub": course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb",
    }
    for kind, notebook in notebooks.items():
        for index in range(copies):
            folder = course / "submitted" / f"{kind}{index:03d}" / ASSIGNMENT
            folder.mkdir(parents=True)
            shutil.copy(notebook, folder / notebook.name)
    return course


def grade_with_ours(course: Path, jobs: int) -> dict[str, float]:
    """Grades the course's submitted/ tree with our grader; returns its figures."""
    from autograder.grade_command import open_sandbox
    from autograder.grading import assignment_cases, expected_outputs, grade_class
    from autograder.specs import load_spec
    from autograder.submissions import find_submissions

    spec = load_spec(ASSIGNMENT)
    submissions = find_submissions(course, ASSIGNMENT)
    start = time.perf_counter()
    with open_sandbox(spec, timeout=10, hidden=[course]) as sandbox:
        ready = time.perf_counter()
        cpu_start = _cpu_seconds() + _process_cpu_seconds(sandbox._server.pid)
        grades = grade_class(submissions, spec, sandbox, jobs=jobs)
        done = time.perf_counter()
        # grade_class first computes the expected outputs (the reference, run in the
        # grader): once per class, not per submission. Timed again here, warm, so
        # the per-submission figure below subtracts at most what it cost.
        expected_outputs(spec, assignment_cases(spec))
        setup = time.perf_counter() - done
    # Once the sandbox is closed its fork server has been waited for: its CPU time,
    # and that of every child it reaped, is in this process's children's times.
    cpu = _cpu_seconds() - cpu_start
    figures = {"fork server start-up (s)": ready - start, "grading wall time (s)": done - ready}
    for kind in ("ref", "stub"):
        chosen = [grade for grade in grades if grade.student.startswith(kind)]
        figures[f"{kind}: scores"] = sorted({grade.score for grade in chosen})
        figures[f"{kind}: mean wall per submission, one worker (s)"] = statistics.mean(
            grade.seconds for grade in chosen)
        figures[f"{kind}: mean student compute per submission (s)"] = statistics.mean(
            grade.compute_seconds for grade in chosen)
    core_seconds = (done - ready) * jobs / len(grades)
    compute = statistics.mean(grade.compute_seconds for grade in grades)
    figures["core-seconds per submission (wall x jobs / submissions)"] = core_seconds
    figures["overhead per submission beyond student compute (s)"] = core_seconds - compute
    figures["per-class set-up: expected outputs from the reference (s)"] = setup
    figures["overhead per submission beyond student compute and the set-up (s)"] = (
        (done - ready - setup) * jobs / len(grades) - compute)
    # The same in CPU time (grader, fork server and every child, without the server's
    # start-up): unlike wall time, it does not grow when the machine is busy.
    figures["CPU-seconds per submission, all processes"] = cpu / len(grades)
    figures["CPU overhead per submission beyond student compute (s)"] = cpu / len(grades) - compute
    missing = sorted({name for grade in grades for name in getattr(grade, "missing_limits", [])})
    figures["kernel limits NOT in force"] = missing or "none (cgroup, namespaces, tmpfs)"
    return figures


def _cpu_seconds() -> float:
    """CPU time of this process and of the children it has waited for."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def _process_cpu_seconds(pid: int) -> float:
    """CPU time a living process has used so far (from /proc)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def grade_with_nbgrader(course: Path) -> dict[str, float]:
    """Runs ``nbgrader autograde`` on the same submissions; returns its figures."""
    start = time.perf_counter()
    completed = subprocess.run(
        ["nbgrader", "autograde", ASSIGNMENT, "--create", "--force"], cwd=course,
        capture_output=True, text=True, timeout=7200,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    wall = time.perf_counter() - start
    if completed.returncode != 0:
        print(completed.stderr[-3000:], file=sys.stderr)
        raise SystemExit("nbgrader autograde failed")
    export = subprocess.run(["nbgrader", "export"], cwd=course, capture_output=True, text=True,
                            timeout=600, check=True)
    del export
    scores: dict[str, set[float]] = {"ref": set(), "stub": set()}
    for line in (course / "grades.csv").read_text().splitlines()[1:]:
        fields = line.split(",")
        student, score = fields[3], float(fields[9])
        scores["ref" if student.startswith("ref") else "stub"].add(score)
    submissions = sum(1 for _ in (course / "submitted").iterdir())
    return {
        "nbgrader wall time (s)": wall,
        "nbgrader per submission (s)": wall / submissions,
        "nbgrader ref: scores": sorted(scores["ref"]),
        "nbgrader stub: scores": sorted(scores["stub"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Grading speed: ours versus nbgrader.")
    parser.add_argument("--copies", type=int, default=10,
                        help="copies of the reference and of the stub (default 10 each)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--skip-nbgrader", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with tempfile.TemporaryDirectory() as folder:
        course = build_course(Path(folder), args.copies)
        print(f"{2 * args.copies} notebooks ({args.copies} reference, {args.copies} stub), "
              f"{args.jobs} worker(s), {os.cpu_count()} cores")
        ours = grade_with_ours(course, args.jobs)
        for name, value in ours.items():
            print(f"  ours  {name}: {value:.3f}" if isinstance(value, float)
                  else f"  ours  {name}: {value}")
        if args.skip_nbgrader:
            return
        theirs = grade_with_nbgrader(course)
        for name, value in theirs.items():
            print(f"  {name}: {value:.3f}" if isinstance(value, float) else f"  {name}: {value}")
        theirs_wall = theirs["nbgrader wall time (s)"]
        grading = ours["grading wall time (s)"]
        start_up = ours["fork server start-up (s)"]
        print(f"  speed-up of ours over nbgrader, grading wall time: {theirs_wall / grading:.1f}x")
        print(f"  speed-up including our fork server's start-up: "
              f"{theirs_wall / (grading + start_up):.1f}x")


if __name__ == "__main__":
    main()
