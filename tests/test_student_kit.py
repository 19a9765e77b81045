"""``autograder kit``: the student kit holds no answers, and its public checks work.

The kit is built once (folder and wheel). The tests scan every file of both for
the text of each solution region and the name of each hidden case, then run
``autograder check`` inside the kit, with Python importing the kit's packages
only, on the reference solution (passes every public check) and the stub
(fails them).
"""

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder import layout
from autograder.generate import student_kit
from autograder.generate.stubs import solution_regions
from autograder.specs import load_spec, spec_names

KIT_ONLY = (
    "import sys, runpy\n"
    "# Import the kit's packages only: not the instructor's kit installed in editable mode.\n"
    "sys.meta_path[:] = [f for f in sys.meta_path\n"
    "                    if not getattr(f, '__module__', '').startswith('__editable__')]\n"
    "sys.argv = sys.argv[1:]\n"
    "runpy.run_module(sys.argv[0], run_name='__main__', alter_sys=True)\n"
)


@pytest.fixture(scope="module")
def kit(tmp_path_factory):
    out = tmp_path_factory.mktemp("kit") / "student-kit"
    written = student_kit.write_kit(out)
    assert written[-1] == out and written[0].suffix == ".whl"
    return out


def kit_texts(kit):
    """Every file of the kit folder and of its wheel, as text, by name."""
    texts = {}
    for path in kit.rglob("*"):
        if path.is_file() and path.suffix != ".whl":
            texts[str(path.relative_to(kit))] = path.read_bytes().decode("utf-8", "replace")
    [wheel] = (kit / "dist").glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        for name in archive.namelist():
            texts[f"wheel:{name}"] = archive.read(name).decode("utf-8", "replace")
    return texts


def normalized(text):
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def run_in_kit(kit, *args, cwd=None):
    environment = {**os.environ, "PYTHONPATH": str(kit), "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run(
        [sys.executable, "-c", KIT_ONLY, *args],
        cwd=cwd or kit,
        env=environment,
        capture_output=True,
        text=True,
        timeout=900,
    )


KNOWN_LEAKS: dict[str, str] = {}
"""Solutions whose answers the kit is known to give away, with why (strict xfail)."""


def test_kit_has_no_solutions_and_no_examples(kit):
    texts = kit_texts(kit)
    assert not any("solutions/" in name or name.startswith("solutions") for name in texts)
    assert not any("examples" in Path(name.removeprefix("wheel:")).parts for name in texts)
    assert any(name.startswith("wheel:assignments/") for name in texts)
    assert any(name.startswith("wheel:coursework/notebooks/") for name in texts)


@pytest.mark.parametrize(
    "solution",
    [
        pytest.param(path.name, marks=pytest.mark.xfail(strict=True, reason=KNOWN_LEAKS[path.name]))
        if path.name in KNOWN_LEAKS else path.name
        for path in sorted(Path(layout.solutions_dir()).glob("[!_]*.py"))
    ],
)
def test_no_solution_region_appears_in_the_kit(kit, solution):
    kit_text = {name: normalized(text) for name, text in kit_texts(kit).items()}

    hint_messages = [
        normalized(hint.message)
        for name in spec_names()
        for check in load_spec(name).checks
        for hint in check.hints
    ]
    path = Path(layout.solutions_dir()) / solution
    source = path.read_text()
    lines = source.splitlines()
    regions = solution_regions(source, solution)
    assert regions
    for region in regions:
        body = normalized("\n".join(lines[region.begin + 1 : region.end]))
        assert body
        leaks = [name for name, text in kit_text.items() if body in text]
        if leaks and any(body in message for message in hint_messages):
            continue  # a hint prints this line to students anyway (see the report)
        assert not leaks, f"{solution}:{region.begin + 1} appears in {leaks}"


def test_no_hidden_case_appears_in_the_kit(kit):
    texts = kit_texts(kit)

    # Generic grader modules shipped unchanged may word a kind of case ("batch of one");
    # every assignment-specific file (specs, their data, notebooks) is scanned.
    repo = layout.assignments_dir().parent
    generic = {
        name for name in texts
        if name.startswith("autograder/") and not name.startswith("autograder/specs/")
        and (repo / name).is_file() and (repo / name).read_text() == texts[name]
    }
    hidden = 0
    for name in spec_names():
        for check in load_spec(name).checks:
            for case in check.cases():
                if case.public:
                    continue
                hidden += 1
                leaks = [
                    file for file, text in texts.items()
                    if case.name in text and file.removeprefix("wheel:") not in generic
                ]
                assert not leaks, f"hidden case {case.name!r} of {check.function} in {leaks}"
    assert hidden >= 20


def test_kit_specs_hold_exactly_the_public_cases(kit):
    script = (
        "import json\n"
        "from autograder.specs import load_spec, spec_names\n"
        "print(json.dumps({n: {c.function: [case.name for case in c.cases()] "
        "for c in load_spec(n).checks} for n in spec_names()}))\n"
    )
    (kit / "list_cases.py").write_text(script)
    try:
        completed = run_in_kit(kit, "list_cases")
    finally:
        (kit / "list_cases.py").unlink()
    assert completed.returncode == 0, completed.stderr[-3000:]
    in_kit = json.loads(completed.stdout.strip().splitlines()[-1])
    assert sorted(in_kit) == spec_names()
    for name in spec_names():
        for check in load_spec(name).checks:
            public = [case.name for case in check.cases() if case.public]
            assert in_kit[name][check.function] == public


CHECK_ALL = (
    "import contextlib, io, json, sys\n"
    "from autograder.cli import main\n"
    "reports = []\n"
    "for path in sys.argv[1:]:\n"
    "    output = io.StringIO()\n"
    "    with contextlib.redirect_stdout(output):\n"
    "        status = main(['check', path])\n"
    "    reports.append({'path': path, 'status': status, 'stdout': output.getvalue()})\n"
    "print(json.dumps(reports))\n"
)
"""``autograder check FILE`` on each file named, one after the other in one process (one
TensorFlow start-up instead of one per file); prints each exit status and report as JSON."""


@pytest.mark.slow
def test_check_in_the_kit_passes_the_reference_and_fails_the_stub(kit, tmp_path):
    (tmp_path / "reference").mkdir()
    files = []
    for name in spec_names():
        reference = tmp_path / "reference" / f"{name}.py"
        reference.write_text((layout.solutions_dir() / f"{name}.py").read_text())
        files += [reference, kit / "assignments" / f"{name}.py"]
    (tmp_path / "check_all.py").write_text(CHECK_ALL)
    completed = run_in_kit(kit, "check_all", *map(str, files), cwd=tmp_path)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    reports = json.loads(completed.stdout.strip().splitlines()[-1])
    assert [report["path"] for report in reports] == [str(path) for path in files]
    for name, passed, failed in zip(spec_names(), reports[::2], reports[1::2], strict=True):
        functions = len(load_spec(name).checks)
        assert passed["status"] == 0, passed["stdout"][-3000:]
        assert f"{functions} of {functions} functions pass" in passed["stdout"]
        assert failed["status"] == 1, failed["stdout"][-3000:]
        assert f"0 of {functions} functions pass" in failed["stdout"]


def test_kit_start_works_and_instructor_commands_say_what_they_need(kit, tmp_path):
    started = run_in_kit(kit, "autograder", "start", "linear_regression", "--dir", str(tmp_path))
    assert started.returncode == 0, started.stderr[-2000:]
    assert (tmp_path / "linear_regression.py").read_text() == (
        kit / "assignments" / "linear_regression.py"
    ).read_text()
    for command in (["release"], ["nbgrader", str(tmp_path / "course")]):
        refused = run_in_kit(kit, "autograder", *command)
        assert refused.returncode == 2
        assert "needs the instructor's kit" in refused.stderr, refused.stderr[-2000:]


def test_kit_refuses_a_folder_of_other_files(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="not a student kit"):
        student_kit.write_kit(tmp_path, wheel=False)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_a_spec_whose_cases_cannot_be_cut_out_is_refused():
    source = "CHECK = FunctionCheck(name, points=1, cases=lambda: [])\n"
    with pytest.raises(ValueError, match="name its function"):
        student_kit.public_spec_source(source, "x", "x.py")
    kept = student_kit.public_spec_source(
        "def hidden_cases():\n    return []\n\n\nCHECK = FunctionCheck('f', 1, hidden_cases)\n",
        "x",
        "x.py",
    )
    assert "hidden_cases" not in kept and "load_public_cases('x', 'f')" in kept
