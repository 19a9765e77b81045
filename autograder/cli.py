"""The ``autograder`` command: release assignments, check and grade submissions."""

from __future__ import annotations

import argparse
import sys


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
        "--check", action="store_true",
        help="write nothing; exit 1 if assignments/ is out of date",
    )
    return parser


def run_release(args: argparse.Namespace) -> int:
    """``autograder release [--check]``."""
    from autograder import release

    if args.check:
        stale = release.stale_files()
        for path in stale:
            print(f"out of date: {path}")
        if stale:
            print("Run `autograder release` and commit assignments/.", file=sys.stderr)
        return 1 if stale else 0
    written = release.release()
    for path in written:
        print(f"wrote {path}")
    print(f"assignments/ is up to date ({len(release.assignment_names())} assignment(s)).")
    return 0


COMMANDS = {"release": run_release}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``autograder`` console script."""
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except (ValueError, FileNotFoundError) as error:
        print(f"autograder: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
