"""``autograder kit OUT``: what students get, without the answers.

The kit is a folder, and an installable wheel built from it (``OUT/dist/``),
holding:

* the lectures (`coursework/`, with their notebooks);
* the assignments' student versions (`assignments/`: stubs and notebooks);
* the grader's student side: ``autograder start``, ``autograder check`` and the
  notebooks' check cells, with the check specifications reduced to their public
  cases.

It holds no reference solutions (`solutions/`, the example classes), no hidden
cases and no expected outputs beyond the public cases'. In each spec module
the expression that makes a function's cases is replaced by
``load_public_cases(ASSIGNMENT, FUNCTION)`` (`autograder.public_cases`), which
reads the public cases from a data file written here; module-level functions
that nothing uses any more (the case makers) are removed. Building refuses a
kit in which the name of a hidden case still appears in a spec.

The instructor-only code (`autograder.generate`: release, nbgrader courses,
this kit) is left out too; ``autograder release`` and ``autograder grade`` in
the kit say that they need the instructor's kit.
"""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from autograder.layout import assignments_dir, student_assignment_names

KIT_MARKER = ".autograder-kit.json"
KIT_NAME = "dl-coursekit-student"
PACKAGES = ("coursework", "assignments", "autograder")
LEFT_OUT = (("autograder", "generate"),)
"""Folders of the packages the kit does not ship (instructor-only code)."""
SHIPPED_SUFFIXES = (".py", ".ipynb")
CHECK_MAKERS = ("FunctionCheck", "model_check")
"""The calls in a spec whose ``cases=`` are cut down to the public cases."""
INSTRUCTOR_ONLY_DEPENDENCIES = ("nbgrader", "nbformat")

KIT_README = """\
# Deep-learning course kit: student edition

Lectures, assignments and public checks for the course. Install it (Python 3.10
or newer), either from this folder or from the wheel in `dist/`:

```bash
pip install -e .                # or: pip install dist/{wheel}
```

Work on an assignment in your own folder, and check it as often as you like:

```bash
autograder start linear_regression          # writes ./linear_regression.py (--notebook: the .ipynb)
autograder check linear_regression.py       # the public checks: what is wrong, and a hint
```

The public checks are a few small cases; your grade uses more, so test edge
cases too. Train a lecture's model with `coursework train linear_regression
--impl scratch`; the lecture notebooks are in `coursework/notebooks/`.
Assignments: {assignments}.
"""


def kit_root() -> Path:
    """The instructor's kit: the folder holding `assignments/`, `autograder/`, `solutions/`."""
    return assignments_dir().parent


# ---------------------------------------------------------------------------
# Spec modules without their hidden cases.
# ---------------------------------------------------------------------------
def _callee(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _constant(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def public_spec_source(
    source: str, assignment: str, filename: str = "<spec>", keep: frozenset[str] = frozenset()
) -> str:
    """A spec module's source with every function's cases read from the public data.

    Args:
        source: The spec module's text.
        assignment: The assignment's name.
        filename: Used in error messages.
        keep: Names other modules import from this one: never removed.

    Returns:
        The text for the student kit.

    Raises:
        ValueError: If a ``FunctionCheck(...)`` call does not name its function
            and cases plainly, so its hidden cases cannot be cut out.
    """
    tree = ast.parse(source, filename)
    encoded = source.encode("utf-8")
    starts = [0]
    for line in encoded.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    replacements = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and _callee(node.func) in CHECK_MAKERS):
            continue
        keywords = {keyword.arg: keyword.value for keyword in node.keywords}
        function = _constant(keywords.get("function", node.args[0] if node.args else None))
        cases = keywords.get("cases", node.args[2] if len(node.args) > 2 else None)
        if function is None or cases is None:
            raise ValueError(
                f"{filename}:{node.lineno}: FunctionCheck must name its function as a string "
                "and give cases= so that the student kit can leave the hidden cases out."
            )
        begin = starts[cases.lineno - 1] + cases.col_offset
        end = starts[cases.end_lineno - 1] + cases.end_col_offset
        call = f"load_public_cases({assignment!r}, {function!r})"
        replacements.append((begin, end, call.encode()))
    if not replacements:
        raise ValueError(f"{filename}: no FunctionCheck(...) found.")
    for begin, end, text in sorted(replacements, reverse=True):
        encoded = encoded[:begin] + text + encoded[end:]
    result = _remove_unused_functions(encoded.decode("utf-8"), filename, keep)
    return _add_import(result, "from autograder.public_cases import load_public_cases", filename)


def _remove_unused_functions(source: str, filename: str, keep: frozenset[str]) -> str:
    """Drops module-level functions no code refers to any more, until none is left."""
    while True:
        tree = ast.parse(source, filename)
        used = set(keep) | {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
        used |= {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
        unused = [
            node
            for node in tree.body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name not in used
        ]
        if not unused:
            return source
        lines = source.splitlines(keepends=True)
        for node in sorted(unused, key=lambda item: item.lineno, reverse=True):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1
            del lines[first : node.end_lineno]
        source = "".join(lines)


def _add_import(source: str, line: str, filename: str) -> str:
    tree = ast.parse(source, filename)
    imports = [node for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)]
    position = imports[-1].end_lineno if imports else 0
    lines = source.splitlines(keepends=True)
    lines.insert(position, line + "\n")
    return "".join(lines)


def imported_names(sources: dict[str, str]) -> dict[str, frozenset[str]]:
    """For each spec module, the names other spec modules import from it."""
    names: dict[str, set[str]] = {name: set() for name in sources}
    for name, source in sources.items():
        for node in ast.walk(ast.parse(source, f"{name}.py")):
            if isinstance(node, ast.ImportFrom) and node.module:
                origin = node.module.removeprefix("autograder.specs.")
                if origin in names and origin != name:
                    names[origin] |= {alias.name for alias in node.names}
    return {name: frozenset(found) for name, found in names.items()}


def hidden_case_names(spec) -> list[str]:
    """The names of the hidden cases of every function of `spec`."""
    return [case.name for check in spec.checks for case in check.cases() if not case.public]


# ---------------------------------------------------------------------------
# The kit's files.
# ---------------------------------------------------------------------------
def kit_pyproject(root: Path) -> str:
    """The kit's pyproject.toml: the course's version and dependencies, student packages only."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        raise RuntimeError("Building the student kit needs Python 3.11 or newer.") from None
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    dependencies = [
        dependency
        for dependency in project.get("dependencies", [])
        if not dependency.lower().startswith(INSTRUCTOR_ONLY_DEPENDENCIES)
    ]
    listed = "".join(f"    {json.dumps(dependency)},\n" for dependency in dependencies)
    return f"""[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "{KIT_NAME}"
version = {json.dumps(project["version"])}
description = "Student edition of the course kit: lectures, assignments, public checks."
readme = "README.md"
requires-python = {json.dumps(project.get("requires-python", ">=3.10"))}
dependencies = [
{listed}]

[project.scripts]
coursework = "coursework.cli:main"
autograder = "autograder.cli:main"

[tool.setuptools.packages.find]
include = ["coursework*", "assignments*", "autograder*"]

[tool.setuptools.package-data]
"*" = ["*.ipynb", "*.json", "*.npys"]
"""


def kit_files() -> dict[Path, bytes]:
    """Every file of the kit, by path relative to the kit folder.

    Raises:
        ValueError: If a spec cannot be reduced to its public cases, or a
            hidden case's name still appears in the reduced spec.
    """
    from autograder.public_cases import write_public_cases
    from autograder.specs import load_spec, spec_names

    root = kit_root()
    files: dict[Path, bytes] = {}
    specs = set(spec_names())
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*")):
            relative = path.relative_to(root)
            if (
                not path.is_file()
                or path.suffix not in SHIPPED_SUFFIXES
                or "__pycache__" in relative.parts
                or any(relative.parts[: len(left)] == left for left in LEFT_OUT)
            ):
                continue
            if relative.parent == Path("autograder/specs") and relative.stem in specs:
                continue  # written below, without the hidden cases
            files[relative] = path.read_bytes()
    folder = root / "autograder" / "specs"
    sources = {name: (folder / f"{name}.py").read_text() for name in sorted(specs)}
    keep = imported_names(sources)
    with tempfile.TemporaryDirectory() as scratch:
        for name, source in sources.items():
            spec = load_spec(name)
            text = public_spec_source(source, name, f"{name}.py", keep[name])
            leaked = [case for case in hidden_case_names(spec) if case in text]
            if leaked:
                raise ValueError(
                    f"autograder/specs/{name}.py: hidden cases still appear in the student "
                    f"kit's version: {', '.join(map(repr, leaked))}. Make them inside the "
                    "FunctionCheck's cases= expression."
                )
            files[Path("autograder/specs") / f"{name}.py"] = text.encode()
            for data in write_public_cases(spec, Path(scratch)):
                files[Path("autograder/specs") / data.name] = data.read_bytes()
    names = student_assignment_names()
    wheel = f"{KIT_NAME.replace('-', '_')}-*.whl"
    readme = KIT_README.format(wheel=wheel, assignments=", ".join(names))
    files[Path("README.md")] = readme.encode()
    files[Path("pyproject.toml")] = kit_pyproject(root).encode()
    marker = {"kit": KIT_NAME, "assignments": names, "files": sorted(map(str, files))}
    files[Path(KIT_MARKER)] = (json.dumps(marker, indent=1) + "\n").encode()
    return files


def write_kit(out: str | Path, *, wheel: bool = True) -> list[Path]:
    """Writes the student kit into `out`, and its wheel into ``out/dist``.

    Args:
        out: The kit folder: missing, empty, or a kit written before (replaced).
        wheel: Also build the installable wheel.

    Returns:
        The wheel's path (if built) followed by the kit folder.

    Raises:
        ValueError: If `out` holds other files, or the kit cannot be made.
        RuntimeError: If building the wheel fails.
    """
    out = Path(out)
    foreign = out.exists() and (
        not out.is_dir() or (any(out.iterdir()) and not (out / KIT_MARKER).exists())
    )
    if foreign:
        raise ValueError(
            f"{out} exists and is not a student kit written before; give a new or empty folder."
        )
    files = kit_files()  # before touching anything: a failure leaves `out` as it was
    if out.exists():
        shutil.rmtree(out)
    for relative, data in files.items():
        path = out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    written = [out]
    if wheel:
        written.insert(0, build_wheel(out))
    return written


def build_wheel(kit: Path) -> Path:
    """Builds the kit's wheel into ``kit/dist`` (offline: no build isolation) and returns it.

    Raises:
        RuntimeError: If pip fails.
    """
    dist = kit / "dist"
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "kit"
        shutil.copytree(kit, copy, ignore=shutil.ignore_patterns("dist"))
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

