"""``autograder gradescope ASSIGNMENT --out autograder.zip``: Gradescope's autograder package.

The zip holds, at its top level as Gradescope requires:

* ``setup.sh``: run once when Gradescope builds the image; installs the kit's
  dependencies with the version ranges of ``pyproject.toml`` (nbgrader left
  out: grading does not use it), then the kit itself from the wheel;
* ``run_autograder``: run for every submission; grades
  ``/autograder/submission/`` with `autograder.gradescope` and writes
  ``/autograder/results/results.json`` (public cases visible, hidden ones
  ``after_published``). The environment variables ``AUTOGRADER_ROOT`` (instead
  of ``/autograder``) and ``AUTOGRADER_PYTHON`` (instead of ``python3``) let
  it run outside Gradescope, which is how the tests run it;
* the instructor's kit as a wheel (with `solutions/`: the hidden cases compare
  with the reference). This zip is for Gradescope, never for students.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from autograder.layout import assignments_dir, check_assignment_name

GRADER_ONLY_LEFT_OUT = ("nbgrader",)
KIT_PARTS = ("pyproject.toml", "README.md", "coursework", "solutions", "assignments", "autograder")

SETUP_SH = """\
#!/usr/bin/env bash
# Gradescope runs this once, when it builds the autograder image.
# Written by `autograder gradescope`; installs the course kit and its dependencies.
set -euo pipefail
cd "$(dirname "$0")"
PYTHON="${{AUTOGRADER_PYTHON:-python3}}"
if ! command -v "$PYTHON" >/dev/null; then
    apt-get update && apt-get install -y python3 python3-pip
fi
"$PYTHON" -m pip install --no-cache-dir {dependencies}
"$PYTHON" -m pip install --no-cache-dir --no-deps ./{wheel}
"""

RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Gradescope runs this for every submission: grade /autograder/submission/ and
# write /autograder/results/results.json. Written by `autograder gradescope`.
set -uo pipefail
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
PYTHON="${{AUTOGRADER_PYTHON:-python3}}"
export TF_CPP_MIN_LOG_LEVEL=3
"$PYTHON" -m autograder.gradescope {assignment} --root "$ROOT" --timeout {timeout}
status=$?
if [ ! -s "$ROOT/results/results.json" ]; then
    message="The autograder failed (exit $status); please tell your instructor."
    mkdir -p "$ROOT/results"
    printf '{{"score": 0, "output": "%s"}}\\n' "$message" > "$ROOT/results/results.json"
fi
"""


def kit_root() -> Path:
    return assignments_dir().parent


def grading_dependencies(root: Path) -> list[str]:
    """The kit's dependencies with their version ranges, without the nbgrader-only ones."""
    import tomllib

    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    return [
        dependency
        for dependency in project.get("dependencies", [])
        if not dependency.lower().startswith(GRADER_ONLY_LEFT_OUT)
    ]


def build_kit_wheel(root: Path, dist: Path) -> Path:
    """Builds the instructor's kit as a wheel into `dist` (offline, from a clean copy).

    Raises:
        RuntimeError: If pip fails.
    """
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "kit"
        copy.mkdir()
        ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build")
        for part in KIT_PARTS:
            source = root / part
            if source.is_dir():
                shutil.copytree(source, copy / part, ignore=ignore)
            elif source.is_file():
                shutil.copy2(source, copy / part)
        completed = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
             "--disable-pip-version-check", "-q", "-w", str(dist), str(copy)],
            capture_output=True,
            text=True,
            check=False,
        )
    if completed.returncode != 0:
        raise RuntimeError(f"building the kit's wheel failed:\n{completed.stderr[-2000:]}")
    wheels = sorted(dist.glob("*.whl"))
    if not wheels:
        raise RuntimeError("building the kit's wheel wrote no wheel.")
    return wheels[-1]


def write_gradescope_package(assignment: str, out: str | Path, *, timeout: float = 10.0) -> Path:
    """Writes Gradescope's autograder zip for `assignment` to `out`.

    Args:
        assignment: The assignment to grade.
        out: The zip file to write (replaced if it exists; must end in .zip).
        timeout: Seconds allowed per graded call.

    Returns:
        The path of the zip.

    Raises:
        ValueError: If the assignment is unknown or has no checks, or `out` is
            not a .zip path.
        RuntimeError: If building the wheel fails.
    """
    from autograder.specs import spec_names

    check_assignment_name(assignment)
    if assignment not in spec_names():
        raise ValueError(f"{assignment} has no checks (autograder/specs/{assignment}.py).")
    out = Path(out)
    if out.suffix != ".zip" or out.is_dir():
        raise ValueError(f"--out must name a .zip file, got {str(out)!r}.")
    if not timeout > 0:
        raise ValueError(f"--timeout must be positive, got {timeout}.")
    root = kit_root()
    with tempfile.TemporaryDirectory() as scratch:
        wheel = build_kit_wheel(root, Path(scratch))
        dependencies = " ".join(shlex.quote(item) for item in grading_dependencies(root))
        setup = SETUP_SH.format(dependencies=dependencies, wheel=wheel.name)
        run = RUN_AUTOGRADER.format(assignment=shlex.quote(assignment), timeout=timeout)
        out.parent.mkdir(parents=True, exist_ok=True)
        temporary = out.with_name(f".{out.name}.tmp")
        with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, text in (("setup.sh", setup), ("run_autograder", run)):
                info = zipfile.ZipInfo(name)
                info.external_attr = 0o100755 << 16  # executable, as Gradescope runs them
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, text)
            archive.write(wheel, wheel.name)
        temporary.replace(out)
    return out
