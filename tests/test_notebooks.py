"""The generated notebooks: student notebooks, their checks, and the lecture notebooks.

Executing tests run real kernels with nbclient (about 10 s each); they are
parametrized over the assignments that have a check specification and over
the lecture topics, so new ones are covered without new tests.
"""

import dataclasses
import gzip
import shutil
import struct
import types
from concurrent.futures import ThreadPoolExecutor

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from autograder import cli, layout
from autograder.cell_tags import CHECK_CELL_TAG
from autograder.generate import release
from autograder.generate.lecture_notebooks import (
    DATA_DIR_VARIABLE,
    lecture_notebook,
    lecture_source,
    split_lecture,
)
from autograder.generate.nbgrader_course import course_assignments, source_notebook
from autograder.generate.notebook_cells import cell_id, docstring_markdown
from autograder.generate.solution_parts import split_solution
from autograder.generate.student_notebooks import load_spec_if_any, read_solution, student_notebook
from autograder.submissions import notebook_chunks
from coursework import time_machine
from coursework.quiet_start import STARTUP_LINE
from coursework.text_data import write_aclimdb
from coursework.topics import TOPICS
from tests.conftest import SHARED_DATA

CHECKED = course_assignments()
"""Assignments with a solution and a check specification."""


def execute(notebook, cwd, timeout=300):
    """Runs a notebook top to bottom in a fresh kernel, in place."""
    NotebookClient(
        notebook, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}
    ).execute()
    return notebook


def stdout_of(cell):
    return "".join(o.text for o in cell.outputs if o.output_type == "stream" and o.name == "stdout")


def errors_of(notebook):
    return [
        (cell.id, output.ename)
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "error"
    ]


def startup_lines(notebook):
    """TensorFlow's C++ start-up lines among the notebook's stderr outputs."""
    return [
        line
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if output.get("name") == "stderr"
        for line in output.get("text", "").splitlines()
        if STARTUP_LINE.match(line)
    ]


def is_check(cell):
    return CHECK_CELL_TAG in cell.metadata.get("tags", [])


def completed(name):
    """The student notebook with every answer cell replaced by the reference's.

    The reference cells come from the nbgrader source notebook, matched by cell
    id, so this also checks that both notebooks name their cells alike.
    """
    solution, spec = read_solution(name), load_spec_if_any(name)
    reference = {cell.id: cell.source for cell in source_notebook(name, solution, spec).cells}
    notebook = student_notebook(name, solution, spec)
    answers = [part.name for part in solution.functions]
    for cell in notebook.cells:
        if cell.id in answers:
            assert "raise NotImplementedError" in cell.source
            cell.source = reference[cell.id]
    return notebook


# ---------------------------------------------------------------------------
# What is generated.
# ---------------------------------------------------------------------------
def test_generated_notebooks_are_valid_deterministic_and_without_outputs():
    first, second = release.release_files(), release.release_files()
    assert first == second
    notebooks = [path for path in first if path.suffix == ".ipynb"]
    expected = {f"{name}.ipynb" for name in layout.assignment_names()} | {
        f"{topic}.ipynb" for topic in TOPICS
    }
    assert {path.name for path in notebooks} == expected
    for path in notebooks:
        notebook = nbformat.reads(first[path], as_version=4)
        nbformat.validate(notebook)
        ids = [cell.id for cell in notebook.cells]
        assert len(ids) == len(set(ids)), path
        assert all(not cell.get("outputs") for cell in notebook.cells), path
        assert notebook.metadata.kernelspec.name == "python3"


@pytest.mark.parametrize("name", layout.assignment_names())
def test_student_notebook_shows_the_stub_and_checks_what_the_spec_grades(name):
    notebook = nbformat.reads(
        (layout.assignments_dir() / f"{name}.ipynb").read_text(), as_version=4
    )
    stub = (layout.assignments_dir() / f"{name}.py").read_text()
    solution = read_solution(name)
    cells = {cell.id: cell for cell in notebook.cells}
    assert notebook.cells[0].source.startswith("# ")
    assert solution.docstring.splitlines()[2] in notebook.cells[0].source
    assert cells["setup"].source in stub
    position = 0
    for part in solution.functions:  # the answer cells are the stub's functions, in order
        answer = cells[part.name].source
        assert "# YOUR CODE HERE\n" in answer and "### BEGIN SOLUTION" not in answer
        assert stub.index(answer) >= position
        position = stub.index(answer)
        assert part.signature in cells[f"{part.name}-task"].source
    spec = load_spec_if_any(name)
    checks = [cell for cell in notebook.cells if is_check(cell)]
    graded = [check.function for check in spec.checks] if spec else []
    assert [cell.id for cell in checks] == [f"{function}-check" for function in graded]
    for cell, function in zip(checks, graded, strict=True):
        assert f'check("{name}", "{function}", {function})' in cell.source
        points = spec.check(function).points
        assert f"({points:g} point" in cells[f"{function}-task"].source


def test_an_assignment_without_a_spec_gets_a_notebook_without_checks():
    solution = read_solution("linear_regression")
    notebook = student_notebook("linear_regression", solution, None)
    assert not [cell for cell in notebook.cells if is_check(cell)]
    assert "no automatic checks yet" in notebook.cells[0].source
    assert [cell.id for cell in notebook.cells if cell.cell_type == "code"] == [
        "quiet-start",
        "setup",
        *[part.name for part in solution.functions],
    ]


def test_a_spec_grading_an_undefined_function_is_rejected():
    spec = types.SimpleNamespace(checks=(types.SimpleNamespace(function="nope", points=1),))
    with pytest.raises(ValueError, match="nope"):
        student_notebook("linear_regression", read_solution("linear_regression"), spec)


def test_split_solution_keeps_helpers_comments_and_module_level_regions():
    source = '''"""Doc."""

import numpy as np

SCALE = 2  # a constant


# A comment above the function.
@staticmethod
def graded(x):
    """Doubles.

    Args:
        x: A number.
    """
    ### BEGIN SOLUTION
    return SCALE * x
    ### END SOLUTION


def helper():
    return 1


### BEGIN SOLUTION
TABLE = {"a": 1}
LIMIT = 3
### END SOLUTION
'''
    parts = split_solution(source, "demo.py").parts
    assert [part.kind for part in parts] == ["code", "function", "code", "exercise"]
    assert parts[0].source == "import numpy as np\n\nSCALE = 2  # a constant"
    assert parts[1].source.startswith("# A comment above the function.\n@staticmethod\ndef graded")
    assert parts[1].signature == "graded(x)" and parts[1].docstring.startswith("Doubles.")
    assert parts[1].stub.endswith("    # YOUR CODE HERE\n    raise NotImplementedError")
    assert parts[3].source.startswith("### BEGIN SOLUTION\nTABLE")
    assert parts[3].stub == "# YOUR CODE HERE\nraise NotImplementedError"
    assert "\n".join(part.stub for part in parts).count("NotImplementedError") == 2


def test_docstring_markdown_lists_arguments_and_labels_returns():
    text = docstring_markdown(
        """Summary line.

        Details with ``code``::

            x = 1

        Args:
            x (int): First, wrapped
                onto a second line.
            y: Second.

        Returns:
            The result.
        """
    )
    assert text.startswith("Summary line.\n\nDetails with ``code``:\n\n    x = 1")
    assert "**Args:**\n\n- `x` (int): First, wrapped onto a second line.\n- `y`: Second." in text
    assert text.endswith("**Returns:** The result.")
    assert docstring_markdown("Title.\n\nBody.", title=True) == "# Title\n\nBody."
    assert cell_id("linreg check") == "linreg-check"


def test_submissions_leave_out_check_cells_and_nbgrader_test_cells():
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("x = 1"),
            nbformat.v4.new_code_cell("check()", metadata={"tags": [CHECK_CELL_TAG]}),
            nbformat.v4.new_code_cell(
                "assert_passes()", metadata={"nbgrader": {"grade": True, "solution": False}}
            ),
            nbformat.v4.new_code_cell(
                "y = 2", metadata={"nbgrader": {"grade": False, "solution": True}}
            ),
        ]
    )
    chunks = notebook_chunks(nbformat.writes(notebook))
    assert [chunk.code for chunk in chunks] == ["x = 1", "y = 2"]


# ---------------------------------------------------------------------------
# Running the student notebooks.
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", CHECKED)
def test_stub_notebook_runs_to_the_end_and_every_check_reports_fail(name, tmp_path):
    notebook = nbformat.reads(
        (layout.assignments_dir() / f"{name}.ipynb").read_text(), as_version=4
    )
    execute(notebook, tmp_path)
    assert errors_of(notebook) == []
    assert startup_lines(notebook) == []
    checks = [cell for cell in notebook.cells if is_check(cell)]
    assert checks
    for cell in checks:
        report = stdout_of(cell)
        assert report.startswith("FAIL  "), (cell.id, report)
        assert "hint: Replace the `raise NotImplementedError`" in report


@pytest.mark.parametrize("name", CHECKED)
def test_completed_notebook_passes_in_the_kernel_and_with_autograder_check(
    name, tmp_path, capsys
):
    notebook = execute(completed(name), tmp_path)
    assert errors_of(notebook) == []
    for cell in notebook.cells:
        if is_check(cell):
            assert stdout_of(cell).startswith("PASS  "), (cell.id, stdout_of(cell))
    path = tmp_path / f"{name}.ipynb"
    nbformat.write(completed(name), path)
    capsys.readouterr()
    assert cli.main(["check", str(path), "--assignment", name]) == 0
    report = capsys.readouterr().out
    count = len(load_spec_if_any(name).checks)
    assert f"{count} of {count} functions pass" in report
    assert "failed when run" not in report  # the check cells were left out


# ---------------------------------------------------------------------------
# Lecture notebooks.
# ---------------------------------------------------------------------------
def test_split_lecture_cuts_at_banners_and_drops_the_main_block():
    source = '''"""Lecture: demo.

Text.
"""

import numpy as np

# ---------------------------------------------------------------------------
# Setup: the constants, spread
# over two lines.
# ---------------------------------------------------------------------------
A = 1


# ---------------------------------------------------------------------------
# Data: y = 2x.
# ---------------------------------------------------------------------------


# -----------------------------------------------------------------------------
# Train and evaluate.
# -----------------------------------------------------------------------------
def run():
    return A


if __name__ == "__main__":
    run()
'''
    lecture = split_lecture(source, "demo.py")
    assert lecture.docstring.startswith("Lecture: demo.")
    assert lecture.preamble == "import numpy as np"
    assert [(s.heading, s.text) for s in lecture.sections] == [
        ("Setup", "The constants, spread over two lines."),
        ("Data", "y = 2x."),
        ("Train and evaluate", ""),
    ]
    assert [s.code for s in lecture.sections] == ["A = 1", "", "def run():\n    return A"]


def write_tiny_fashion_mnist(folder, train=64, test=32):
    """The four Fashion-MNIST IDX files with a few random images."""
    rng = np.random.default_rng(0)
    files = {
        "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", train),
        "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", test),
    }
    for images_name, labels_name, count in files.values():
        images = rng.integers(0, 256, size=(count, 28, 28), dtype=np.uint8)
        labels = (np.arange(count) % 10).astype(np.uint8)
        with gzip.open(folder / images_name, "wb") as file:
            file.write(struct.pack(">IIII", 2051, count, 28, 28) + images.tobytes())
        with gzip.open(folder / labels_name, "wb") as file:
            file.write(struct.pack(">II", 2049, count) + labels.tobytes())
    return folder


def write_tiny_aclimdb(folder, train=160, test=40, words=30):
    """An ``aclImdb`` tree of short made-up reviews, half positive, half negative.

    `train` is above the lecture's batch of 128, so that an epoch has a step.
    """
    rng = np.random.default_rng(0)
    tone = {"pos": ["great", "moving", "superb", "fun"], "neg": ["dull", "awful", "boring", "weak"]}
    common = ["the", "film", "plot", "actors", "and", "a", "was", "<br />", "it", "story"]
    reviews = []
    for split, count in (("train", train), ("test", test)):
        for number in range(count):
            label = ("neg", "pos")[number % 2]
            text = " ".join(rng.choice(common + tone[label], size=words))
            reviews.append({"path": f"{split}/{label}/{number}_7.txt", "text": text + "."})
    return write_aclimdb(reviews, folder / "aclImdb")


@dataclasses.dataclass(frozen=True)
class MissingData:
    """A lecture not run because this machine lacks its real data."""

    reason: str


def lecture_data(folder):
    """One folder with every lecture's data files, as `DATA_DIR_VARIABLE` names it.

    Tiny Fashion-MNIST files and a tiny aclImdb tree are made up here. The
    Time Machine cannot be: the lecture checks the book's SHA-1, so the real
    book (180 KB; 2 epochs of 4 minibatches) is copied from the shared data.

    Returns:
        The folder, and topic name to the reason its data is missing (the
        topics whose lecture needs a file this machine does not have).
    """
    folder.mkdir(parents=True, exist_ok=True)
    write_tiny_fashion_mnist(folder)
    write_tiny_aclimdb(folder)
    book = SHARED_DATA / "timemachine" / time_machine.FILE_NAME
    missing = {}
    if book.is_file():
        shutil.copyfile(book, folder / time_machine.FILE_NAME)
    else:
        missing["rnn_lm"] = f"the real book {book} is not on this machine"
    return folder, missing


@pytest.fixture(scope="module")
def executed_lectures(tmp_path_factory):
    """Every topic's lecture notebook run on its tiny data, two kernels at a time.

    Returns:
        Topic name to the executed notebook, the `CellExecutionError` it
        raised, or, for a topic whose data this machine lacks, a `MissingData`.
    """
    folder = tmp_path_factory.mktemp("lectures")
    data, missing = lecture_data(folder / "data")

    def run(topic):
        if topic in missing:
            return MissingData(missing[topic])
        notebook = lecture_notebook(topic, lecture_source(topic).read_text())
        try:
            return execute(notebook, folder)
        except CellExecutionError as error:
            return error

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(DATA_DIR_VARIABLE, str(data))
        with ThreadPoolExecutor(max_workers=2) as pool:
            return dict(zip(sorted(TOPICS), pool.map(run, sorted(TOPICS)), strict=True))


@pytest.mark.parametrize("topic", sorted(TOPICS))
def test_lecture_notebook_runs_top_to_bottom_and_shows_curves(topic, executed_lectures):
    notebook = executed_lectures[topic]
    if isinstance(notebook, MissingData):
        pytest.skip(f"{topic}: {notebook.reason}")
    if isinstance(notebook, CellExecutionError):
        raise notebook
    cells = {cell.id: cell for cell in notebook.cells}
    assert startup_lines(notebook) == []
    printed = stdout_of(cells["train-code"])
    assert "scratch:" in printed and "concise:" in printed
    images = [o for o in cells["curves-code"].outputs if "image/png" in o.get("data", {})]
    assert len(images) == 2
