"""The code base stays ruff-clean (generated assignments/ excluded in pyproject)."""

import shutil
import subprocess

import pytest
from conftest import REPO


def test_ruff_is_clean():
    ruff = shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed (pip install -e '.[test]')")
    completed = subprocess.run([ruff, "check", str(REPO)], capture_output=True, text=True)
    assert completed.returncode == 0, completed.stdout
