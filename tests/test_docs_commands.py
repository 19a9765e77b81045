"""The guides' commands are real: every ``autograder ...`` line parses with the CLI's parser."""

import re
import shlex
from pathlib import Path

import pytest

from autograder.cli import build_parser

REPO = Path(__file__).resolve().parents[1]
GUIDES = ["docs/running-a-course.md", "docs/nbgrader.md", "README.md"]


def autograder_commands(text):
    """The ``autograder`` command lines of the bash blocks of a Markdown text."""
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", text, re.S):
        for line in block.splitlines():
            for part in re.split(r"&&|;", line.split("#", 1)[0]):
                words = shlex.split(part.replace("sudo ", "", 1))
                if words[:1] == ["autograder"]:
                    commands.append(words[1:])
    return commands


@pytest.mark.parametrize("guide", GUIDES)
def test_every_autograder_command_in_the_guides_parses(guide):
    commands = autograder_commands((REPO / guide).read_text())
    assert commands
    parser = build_parser()
    for words in commands:
        words = [word for word in words if not (word.startswith("[") or word.endswith("]"))]
        parser.parse_args(words)


def test_running_a_course_covers_the_four_ways():
    text = (REPO / "docs/running-a-course.md").read_text()
    used = {words[0] for words in autograder_commands(text)}
    assert {"kit", "start", "check", "gradescope", "nbgrader", "grade", "release"} <= used
    assert "nbgrader generate_assignment" in text and "run_autograder" in text
