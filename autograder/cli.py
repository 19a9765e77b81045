"""The ``autograder`` command: release assignments, check and grade submissions."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def build_parser() -> argparse.ArgumentParser:
    """Returns the argument parser of the ``autograder`` command."""
    parser = argparse.ArgumentParser(
        prog="autograder", description="Release, check and grade the course's assignments."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    release = commands.add_parser(
        "release", help="regenerate assignments/ (student versions) from solutions/"
    )
    release.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if assignments/ is out of date",
    )
    release.add_argument(
        "--force",
        action="store_true",
        help="also overwrite generated files that were edited since they were written",
    )
    start = commands.add_parser(
        "start",
        help="copy an assignment into your own working folder (students)",
        description="Copy the student version of assignment NAME (assignments/NAME.py, or "
        "the notebook with --notebook) into DIR, where you work on it. An existing file is "
        "never overwritten.",
    )
    start.add_argument("name", help="the assignment, e.g. linear_regression")
    start.add_argument(
        "--notebook", action="store_true", help="copy the Jupyter notebook instead of the .py"
    )
    start.add_argument(
        "--dir", default=".", help="your working folder (default: the current folder)"
    )
    grade = commands.add_parser(
        "grade",
        help="grade a class of submissions, isolated and in parallel",
        description="Grade every submission in SUBMISSIONS (STUDENT.py, STUDENT.ipynb, "
        "STUDENT/ASSIGNMENT.py|ipynb, or nbgrader's submitted/ tree) and write the gradebook, "
        "Gradescope results and feedback under --out.",
    )
    grade.add_argument("submissions", help="folder with one entry per student")
    grade.add_argument(
        "--assignment", required=True, help="assignment name, e.g. linear_regression"
    )
    grade.add_argument("--out", required=True, help="folder for grades.csv and per-student reports")
    grade.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="submissions graded at once (default: number of cores)",
    )
    grade.add_argument(
        "--timeout", type=float, default=10.0, help="seconds allowed per graded call (default 10)"
    )
    grade.add_argument(
        "--format",
        choices=("columns", "nbgrader"),
        default="columns",
        help="grades.csv columns: one per graded function (default), or those of `nbgrader export`",
    )
    grade.add_argument(
        "--regrade",
        action="store_true",
        help="grade every student again, even those an earlier run into --out already graded",
    )
    check = commands.add_parser(
        "check",
        help="run the public checks on your own file (students)",
        description="Run the public checks of an assignment on FILE (.py or .ipynb) and print "
        "what is wrong and why. Needs no reference solution.",
    )
    check.add_argument("file", help="your assignment file")
    check.add_argument("--assignment", help="assignment name (default: the file's name)")
    check.add_argument(
        "--timeout", type=float, default=10.0, help="seconds allowed per check (default 10)"
    )
    kit = commands.add_parser(
        "kit",
        help="write the student kit: no solutions, no hidden cases (instructors)",
        description="Write what students get into OUT: the lectures, the assignments' stubs "
        "and notebooks, and the public checks with `autograder start` and `autograder check`; "
        "no reference solutions, no hidden cases. Also builds OUT/dist/*.whl to pip install.",
    )
    kit.add_argument("out", help="the kit folder (new, empty, or a kit written before)")
    kit.add_argument("--no-wheel", action="store_true", help="write the folder only")
    gradescope = commands.add_parser(
        "gradescope",
        help="write Gradescope's autograder package for an assignment (instructors)",
        description="Write Gradescope's autograder zip for ASSIGNMENT: setup.sh (installs the "
        "kit and its dependencies), run_autograder (grades /autograder/submission/ into "
        "/autograder/results/results.json, public cases visible, hidden ones after_published) "
        "and the kit's wheel.",
    )
    gradescope.add_argument("assignment", help="e.g. linear_regression")
    gradescope.add_argument("--out", default="autograder.zip", help="the zip to write")
    gradescope.add_argument(
        "--timeout", type=float, default=10.0, help="seconds allowed per graded call (default 10)"
    )
    nbgrader = commands.add_parser(
        "nbgrader",
        help="write an nbgrader course folder with the assignments (instructors)",
        description="Write DIR/nbgrader_config.py and DIR/source/NAME/NAME.ipynb for every "
        "assignment with checks: reference solutions between solution markers and autograded "
        "test cells (public checks visible, all cases hidden) worth the checks' points. "
        "An edited nbgrader_config.py is kept, an edited source notebook is overwritten only "
        "with --force, and other files are never touched.",
    )
    nbgrader.add_argument("dir", help="the course folder (created if missing)")
    nbgrader.add_argument(
        "--assignment",
        action="append",
        metavar="NAME",
        help="add or update only this assignment (repeatable; default: all)",
    )
    nbgrader.add_argument(
        "--force",
        action="store_true",
        help="overwrite source notebooks edited since they were written "
        "(an edited nbgrader_config.py is always kept)",
    )
    nbgrader.add_argument(
        "--course-id", default="dl-coursekit", help="nbgrader course id (default dl-coursekit)"
    )
    new = commands.add_parser(
        "new",
        help="scaffold a new assignment: solution, checks, example class (instructors)",
        description="Write solutions/NAME.py (a reference solution with solution markers), "
        "autograder/specs/NAME.py (its checks) and examples/NAME/submissions/; nothing is "
        "overwritten. Then follow docs/authoring.md.",
    )
    new.add_argument("name", help="the new assignment's name, e.g. weight_decay")
    return parser


def run_new(args: argparse.Namespace) -> int:
    """``autograder new NAME``."""
    from autograder.generate.scaffold import new_assignment
    from autograder.layout import solutions_dir

    for path in new_assignment(args.name, solutions_dir().parent):
        print(f"wrote {path}")
    print(f"Next: write the solution and its checks, add example students, then run "
          f"`autograder release` and `autograder check solutions/{args.name}.py` "
          "(docs/authoring.md).")
    return 0


def run_nbgrader(args: argparse.Namespace) -> int:
    """``autograder nbgrader DIR [--assignment NAME] [--force] [--course-id ID]``."""
    from autograder.generate.nbgrader_course import CONFIG_NAME, update_course

    update = update_course(
        Path(args.dir), force=args.force, course_id=args.course_id, assignments=args.assignment
    )
    for path in update.written:
        print(f"wrote {path}")
    if update.kept_config:
        print(f"kept your edited {CONFIG_NAME} (delete it to get a fresh one)")
    if not update.assignments:
        print(f"{args.dir} is up to date; no source notebook changed.")
        return 0
    for name in update.assignments:
        released = (Path(args.dir) / "release" / name).exists()
        again = " --force  # regenerates the student version" if released else ""
        print(f"Next: cd {args.dir} && nbgrader generate_assignment {name}{again}")
    return 0


def run_kit(args: argparse.Namespace) -> int:
    """``autograder kit OUT [--no-wheel]``."""
    from autograder.generate.student_kit import write_kit

    written = write_kit(Path(args.out), wheel=not args.no_wheel)
    for path in written:
        print(f"wrote {path}")
    print(f"Give students {args.out} (or the wheel): pip install -e {args.out}")
    return 0


def run_gradescope(args: argparse.Namespace) -> int:
    """``autograder gradescope ASSIGNMENT --out autograder.zip``."""
    from autograder.generate.gradescope_package import write_gradescope_package

    path = write_gradescope_package(args.assignment, Path(args.out), timeout=args.timeout)
    print(f"wrote {path}")
    print("Upload it as the assignment's autograder on Gradescope (Configure Autograder > "
          "Zip file upload); students submit " f"{args.assignment}.py or .ipynb.")
    return 0


def run_grade(args: argparse.Namespace) -> int:
    """``autograder grade SUBMISSIONS --assignment NAME --out DIR``."""
    from autograder.grade_command import grade_command

    return grade_command(
        Path(args.submissions),
        args.assignment,
        Path(args.out),
        jobs=args.jobs,
        timeout=args.timeout,
        csv_format=args.format,
        regrade=args.regrade,
    )


def run_check(args: argparse.Namespace) -> int:
    """``autograder check FILE [--assignment NAME]``."""
    from autograder.check_command import check_command

    path = Path(args.file)
    return check_command(path, args.assignment or path.stem, timeout=args.timeout)


def run_release(args: argparse.Namespace) -> int:
    """``autograder release [--check]``."""
    from autograder.generate import release
    from autograder.layout import assignment_names

    if args.check:
        stale = release.stale_files()
        for path in stale:
            print(f"out of date: {path}")
        if stale:
            print("Run `autograder release` and commit assignments/.", file=sys.stderr)
        return 1 if stale else 0
    written = release.release(force=args.force)
    for path in written:
        print(f"wrote {path}")
    print(f"assignments/ is up to date ({len(assignment_names())} assignment(s)).")
    return 0


def run_start(args: argparse.Namespace) -> int:
    """``autograder start NAME [--notebook] [--dir DIR]``."""
    from autograder.workspace import start_assignment

    path = start_assignment(args.name, Path(args.dir), notebook=args.notebook)
    print(f"wrote {path}")
    if args.notebook:
        print(f"Next: open it in Jupyter (jupyter lab {path}), fill in the functions, run the "
              "check cells.")
    print(f"Check your work: autograder check {path} --assignment {args.name}")
    return 0


COMMANDS_WITHOUT_TENSORFLOW = ("start",)
"""Commands that never import TensorFlow (the others load checks, which do)."""

INSTRUCTOR_MODULES = ("solutions", "autograder.generate")
"""Modules the student kit leaves out (see `autograder.generate.student_kit`)."""

COMMANDS = {
    "release": run_release,
    "start": run_start,
    "kit": run_kit,
    "gradescope": run_gradescope,
    "grade": run_grade,
    "check": run_check,
    "nbgrader": run_nbgrader,
    "new": run_new,
}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``autograder`` console script."""
    args = build_parser().parse_args(argv)
    if args.command not in COMMANDS_WITHOUT_TENSORFLOW:
        from coursework.quiet_start import import_tensorflow

        import_tensorflow()  # without TensorFlow's C++ start-up lines
    try:
        return COMMANDS[args.command](args)
    except ModuleNotFoundError as error:
        if error.name not in INSTRUCTOR_MODULES:
            raise
        print(
            f"autograder: error: `autograder {args.command}` needs the instructor's kit, with "
            "the reference solutions; this is the student kit. Students use `autograder start` "
            "and `autograder check`.",
            file=sys.stderr,
        )
        return 2
    except (ValueError, FileNotFoundError, RuntimeError) as error:
        print(f"autograder: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
