"""Finding submissions and reading their code (nothing is executed here)."""

import json

import nbformat
import pytest

from autograder.submissions import find_submissions, notebook_chunks, read_chunks


def test_every_layout_is_found(tmp_path):
    (tmp_path / "ann.py").write_text("x = 1\n")
    (tmp_path / "ben").mkdir()
    (tmp_path / "ben" / "linear_regression.py").write_text("x = 2\n")
    (tmp_path / "cat").mkdir()
    nbformat.write(nbformat.v4.new_notebook(), tmp_path / "cat" / "linear_regression.ipynb")
    (tmp_path / "dan.ipynb").write_text("{}")
    (tmp_path / "eve").mkdir()
    (tmp_path / "eve" / "notes.txt").write_text("oops")
    (tmp_path / ".hidden.py").write_text("")
    (tmp_path / "README.md").write_text("not a submission")
    found = {s.student: s for s in find_submissions(tmp_path, "linear_regression")}
    assert sorted(found) == ["ann", "ben", "cat", "dan", "eve"]
    assert found["ben"].path.name == "linear_regression.py"
    assert found["eve"].path is None and "no linear_regression.py" in found["eve"].problem


def test_nbgrader_submitted_tree(tmp_path):
    folder = tmp_path / "submitted" / "stu1" / "linear_regression"
    folder.mkdir(parents=True)
    nbformat.write(nbformat.v4.new_notebook(), folder / "linear_regression.ipynb")
    for root in (tmp_path, tmp_path / "submitted"):
        [submission] = find_submissions(root, "linear_regression")
        assert submission.student == "stu1" and submission.path.parent == folder


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        find_submissions(tmp_path / "nope", "linear_regression")


def test_notebook_code_cells_in_order(tmp_path):
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# title"),
        nbformat.v4.new_code_cell("a = 1"),
        nbformat.v4.new_code_cell("   "),
        nbformat.v4.new_code_cell("b = a + 1"),
    ])
    path = tmp_path / "n.ipynb"
    nbformat.write(notebook, path)
    chunks = read_chunks(path)
    assert [(c.label, c.code) for c in chunks] == [("cell 2", "a = 1"), ("cell 4", "b = a + 1")]


@pytest.mark.parametrize("text", ["not json", json.dumps({"cells": "nope"}), json.dumps([1, 2])])
def test_malformed_notebooks_are_reported(text):
    with pytest.raises(ValueError, match="not a valid notebook"):
        notebook_chunks(text, "bad.ipynb")
