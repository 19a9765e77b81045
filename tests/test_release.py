"""The generated student versions in assignments/."""

import importlib

import pytest

from autograder import layout
from autograder.generate import release, stubs


def test_assignments_are_up_to_date():
    stale = release.stale_files()
    assert not stale, f"run `autograder release` and commit: {sorted(map(str, stale))}"


@pytest.mark.parametrize("name", layout.assignment_names())
def test_stub_keeps_docstrings_and_signatures_and_raises(name):
    import inspect

    solution = importlib.import_module(f"solutions.{name}")
    stub = importlib.import_module(f"assignments.{name}")
    assert stub.__doc__ == solution.__doc__
    graded = [n for n, f in vars(solution).items()
              if inspect.isfunction(f) and f.__module__ == solution.__name__]
    assert graded
    for function_name in graded:
        reference, student = getattr(solution, function_name), getattr(stub, function_name)
        assert inspect.signature(student) == inspect.signature(reference)
        assert student.__doc__ == reference.__doc__
        arguments = [None] * len(inspect.signature(student).parameters)
        with pytest.raises(NotImplementedError):
            result = student(*arguments)
            if inspect.isgenerator(result):  # generator functions raise on first next()
                next(result)


def test_make_stub_replaces_regions_at_their_indentation():
    source = 'def f(x):\n    """Doc."""\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\n'
    stub = stubs.make_stub(source, "f.py")
    assert "return x" not in stub
    assert "    # YOUR CODE HERE\n    raise NotImplementedError\n" in stub
    assert '"""Doc."""' in stub


@pytest.mark.parametrize(
    "source, message",
    [
        ("x = 1\n", "no '### BEGIN SOLUTION'"),
        ("### BEGIN SOLUTION\nx = 1\n", "never ended"),
        ("### END SOLUTION\n", "without a begin"),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n", "nested"),
    ],
)
def test_malformed_markers_are_reported_with_their_line(source, message):
    with pytest.raises(ValueError, match=message):
        stubs.make_stub(source, "bad.py")


def test_unknown_assignment_names_the_known_ones():
    with pytest.raises(ValueError, match="linear_regression"):
        layout.check_assignment_name("linear_regresion")


# ---------------------------------------------------------------------------
# Release never destroys edits; students work on their own copy.
# ---------------------------------------------------------------------------
def _fake_release(monkeypatch, tmp_path, files):
    """Points `release` at files under tmp_path instead of the repository's."""
    monkeypatch.setattr(release, "kit_root", lambda: tmp_path)
    monkeypatch.setattr(release, "manifest_path", lambda: tmp_path / "assignments" / "m.json")
    monkeypatch.setattr(release, "release_files", lambda: dict(files))


def test_release_refuses_to_overwrite_an_edited_file_and_force_overrides(
    monkeypatch, tmp_path, capsys
):
    from autograder import cli

    stub, notebook = tmp_path / "assignments" / "a.py", tmp_path / "assignments" / "a.ipynb"
    _fake_release(monkeypatch, tmp_path, {stub: "stub v1\n", notebook: "nb v1\n"})
    assert cli.main(["release"]) == 0
    assert stub.read_text() == "stub v1\n"
    assert "assignments/a.py" in (tmp_path / "assignments" / "m.json").read_text()

    # An unedited file is updated when its source changes.
    _fake_release(monkeypatch, tmp_path, {stub: "stub v2\n", notebook: "nb v1\n"})
    assert cli.main(["release"]) == 0
    assert stub.read_text() == "stub v2\n"

    # A student completes the stub in place; the next release must keep it.
    stub.write_text("my finished solution\n")
    _fake_release(monkeypatch, tmp_path, {stub: "stub v3\n", notebook: "nb v2\n"})
    capsys.readouterr()
    assert cli.main(["release"]) == 2
    error = capsys.readouterr().err
    assert "assignments/a.py" in error and "edited" in error and "--force" in error
    assert "a.ipynb" not in error
    assert stub.read_text() == "my finished solution\n"
    assert notebook.read_text() == "nb v1\n", "nothing at all is written on refusal"
    assert cli.main(["release", "--check"]) == 1

    assert cli.main(["release", "--force"]) == 0
    assert stub.read_text() == "stub v3\n" and notebook.read_text() == "nb v2\n"
    assert cli.main(["release", "--check"]) == 0


def test_release_refuses_on_a_malformed_manifest(monkeypatch, tmp_path, capsys):
    from autograder import cli

    stub = tmp_path / "assignments" / "a.py"
    _fake_release(monkeypatch, tmp_path, {stub: "stub\n"})
    stub.parent.mkdir()
    (tmp_path / "assignments" / "m.json").write_text("{not json")
    assert cli.main(["release"]) == 2
    assert "manifest" in capsys.readouterr().err
    assert not stub.exists()


def test_the_committed_manifest_matches_the_generated_files():
    manifest = release.manifest_path()
    assert manifest.is_file(), "run `autograder release` and commit the manifest"
    assert manifest not in release.stale_files()


def test_start_copies_an_assignment_and_never_overwrites(tmp_path, capsys):
    from autograder import cli

    work = tmp_path / "work"
    assert cli.main(["start", "linear_regression", "--dir", str(work)]) == 0
    copy = work / "linear_regression.py"
    assert copy.read_text() == (layout.assignments_dir() / "linear_regression.py").read_text()
    assert f"autograder check {copy}" in capsys.readouterr().out

    copy.write_text("my work\n")
    assert cli.main(["start", "linear_regression", "--dir", str(work)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert copy.read_text() == "my work\n"

    assert cli.main(["start", "linear_regression", "--notebook", "--dir", str(work)]) == 0
    assert (work / "linear_regression.ipynb").read_text() == (
        layout.assignments_dir() / "linear_regression.ipynb"
    ).read_text()

    assert cli.main(["start", "linear_regresion", "--dir", str(work)]) == 2
    error = capsys.readouterr().err
    assert "Known assignments: " in error and " linear_regression," in error


def test_start_refuses_to_write_into_the_generated_folder(capsys):
    from autograder import cli

    assert cli.main(["start", "linear_regression", "--dir", str(layout.assignments_dir())]) == 2
    assert "generated version itself" in capsys.readouterr().err
