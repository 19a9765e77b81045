"""``autograder gradescope``: the autograder zip, unpacked and run as Gradescope would.

The zip is unpacked into a fake ``/autograder`` (its path given to
``run_autograder`` through ``AUTOGRADER_ROOT``), the kit's wheel is unpacked
into a folder on ``PYTHONPATH`` instead of being installed by ``setup.sh``, and
``run_autograder`` grades the reference solution, the stub and a hostile
submission.
"""

import json
import os
import shutil
import subprocess
import sys
import zipfile

import pytest

from autograder import cli, layout
from autograder.sandbox.isolation import LIMIT_FIELDS
from autograder.specs import load_spec

ASSIGNMENT = "linear_regression"

HOSTILE = '''\
# Hostile: writes its own results file, at import and while being graded,
# and looks for the reference solution in the autograder's source folder.
import glob
import json
import os

ROOT = os.environ.get("AUTOGRADER_ROOT", "/autograder")


def forge():
    try:
        os.makedirs(os.path.join(ROOT, "results"), exist_ok=True)
        with open(os.path.join(ROOT, "results", "results.json"), "w") as handle:
            json.dump({"score": 999, "output": "forged"}, handle)
    except OSError:
        pass


forge()
STOLEN = glob.glob(os.path.join(ROOT, "source", "*"))


def linreg(X, w, b):
    forge()
    return X
'''


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gradescope")
    zip_path = folder / "autograder.zip"
    assert cli.main(["gradescope", ASSIGNMENT, "--out", str(zip_path), "--timeout", "20"]) == 0
    return zip_path


def test_zip_has_setup_run_autograder_and_the_wheel(package):
    with zipfile.ZipFile(package) as archive:
        names = archive.namelist()
        setup = archive.read("setup.sh").decode()
        run = archive.read("run_autograder").decode()
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
    [wheel] = [name for name in names if name.endswith(".whl")]
    assert set(names) == {"setup.sh", "run_autograder", wheel}
    assert modes["setup.sh"] & 0o111 and modes["run_autograder"] & 0o111
    assert "'tensorflow>=2.16,<3'" in setup and "'keras>=3.0,<4'" in setup
    assert "nbgrader" not in setup
    assert f"--no-deps ./{wheel}" in setup
    assert f"-m autograder.gradescope {ASSIGNMENT}" in run and "AUTOGRADER_ROOT" in run
    for script in ("setup.sh", "run_autograder"):
        checked = subprocess.run(["bash", "-n"], input=setup if script == "setup.sh" else run,
                                 text=True, capture_output=True)
        assert checked.returncode == 0, checked.stderr


def test_bad_arguments_are_refused(tmp_path, capsys):
    assert cli.main(["gradescope", "linear_regresion", "--out", str(tmp_path / "a.zip")]) == 2
    assert "Known assignments" in capsys.readouterr().err
    assert cli.main(["gradescope", ASSIGNMENT, "--out", str(tmp_path / "a.tar")]) == 2
    assert ".zip" in capsys.readouterr().err


def run_autograder(package, tmp_path, submission_name, text):
    """Unpacks the package into a fake root, adds the submission, runs run_autograder."""
    root = tmp_path / "autograder"
    source = root / "source"
    with zipfile.ZipFile(package) as archive:
        archive.extractall(source)
        [wheel] = [name for name in archive.namelist() if name.endswith(".whl")]
    site = tmp_path / "site"
    with zipfile.ZipFile(source / wheel) as archive:
        archive.extractall(site)
    (root / "submission").mkdir(parents=True)
    (root / "submission" / submission_name).write_text(text)
    (root / "results").mkdir()
    environment = {
        **os.environ,
        "AUTOGRADER_ROOT": str(root),
        "AUTOGRADER_PYTHON": sys.executable,
        "PYTHONPATH": str(site),
    }
    completed = subprocess.run(
        ["bash", str(source / "run_autograder")],
        env=environment, capture_output=True, text=True, timeout=900,
    )
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-3000:]
    results = json.loads((root / "results" / "results.json").read_text())
    shutil.rmtree(site)
    return results


def check_visibility(results):
    spec = load_spec(ASSIGNMENT)
    public = {f"{c.function}: {case.name}" for c in spec.checks for case in c.cases() if case.public}
    hidden = {f"{c.function}: {case.name}" for c in spec.checks for case in c.cases()
              if not case.public}
    visible = {test["name"] for test in results["tests"] if test["visibility"] == "visible"}
    later = {test["name"] for test in results["tests"] if test["visibility"] == "after_published"}
    assert visible == public and later == hidden
    assert sum(test["max_score"] for test in results["tests"]) == pytest.approx(spec.max_score)
    assert set(results["extra_data"]["missing_limits"]) <= set(LIMIT_FIELDS)


@pytest.mark.slow
def test_run_autograder_grades_reference_stub_and_hostile(package, tmp_path):
    spec = load_spec(ASSIGNMENT)
    reference = (layout.solutions_dir() / f"{ASSIGNMENT}.py").read_text()
    results = run_autograder(package, tmp_path / "reference", f"{ASSIGNMENT}.py", reference)
    check_visibility(results)
    assert results["score"] == pytest.approx(spec.max_score), results
    assert all(test["status"] == "passed" for test in results["tests"])

    stub = (layout.assignments_dir() / f"{ASSIGNMENT}.py").read_text()
    results = run_autograder(package, tmp_path / "stub", "my_work.py", stub)  # any single .py
    check_visibility(results)
    assert results["score"] == 0
    public = [test for test in results["tests"] if test["visibility"] == "visible"]
    assert all("NotImplementedError" in test["output"] for test in public)

    results = run_autograder(package, tmp_path / "hostile", f"{ASSIGNMENT}.py", HOSTILE)
    check_visibility(results)
    assert results["score"] == 0 and "forged" not in json.dumps(results)
