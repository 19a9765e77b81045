"""The package layering in pyproject.toml's [tool.importlinter], checked with import-linter.

The contracts: no import circles inside `autograder` or `coursework`;
`coursework` and the solutions never import `autograder`; the grader's layers
(commands over grading stages over checks over the sandbox); and
`autograder.generate` needs none of the grading machinery.
"""

import os
import subprocess
import sys
from pathlib import Path

import importlinter  # noqa: F401 - the test extra installs it; fail loudly without it

REPO = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept():
    environment = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from importlinter.cli import lint_imports_command; "
            "sys.exit(lint_imports_command())",
            "--no-cache",
        ],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout
