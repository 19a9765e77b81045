"""The lecture notebooks `coursework/notebooks/TOPIC.ipynb`, generated from the lectures.

Each lecture module of `coursework.topics.TOPICS` reads top to bottom, in
sections introduced by a banner::

    # ---------------------------------------------------------------------------
    # Setup: the true parameters and the lecture's hyperparameters.
    # ---------------------------------------------------------------------------

Its notebook is derived from its source, never edited by hand: the module
docstring as Markdown, the imports, then for each banner a Markdown heading
("Setup", followed by the rest of the banner's text) and the section's code.
The ``if __name__ == "__main__":`` block is left out. A section that defines
functions named ``show_...`` taking no arguments (demonstrations that print
what the section's code does) gets a cell calling each, after its code: the
lecture module itself runs no TensorFlow when imported, which would fix the
devices before a strategy could split the CPU. Two cells follow that
train both implementations with the lecture's hyperparameters for only
`QUICK_EPOCHS` epochs and show their training curves inline, drawn by
`coursework.plotting`.

Lectures on a data set read it from their default source; the environment
variable `DATA_DIR_VARIABLE` names a folder of its files instead (for
Fashion-MNIST, the four IDX files), which is how tests run these notebooks on
a few tiny files.

``autograder release`` writes the notebooks with the assignments, and its
drift test fails when one is out of date.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib.util
import re
from pathlib import Path

from autograder.generate.notebook_cells import (
    QUIET_START_CODE,
    QUIET_START_ID,
    cell_id,
    code_cell,
    docstring_markdown,
    make_notebook,
    markdown_cell,
    notebook_text,
)
from coursework.topics import TOPICS

QUICK_EPOCHS = 2
"""Epochs each implementation trains for in a notebook."""

DATA_DIR_VARIABLE = "COURSEWORK_DATA_DIR"
"""Environment variable naming a folder of the lecture's data files."""

DEMONSTRATION_PREFIX = "show_"
"""A section's functions with this prefix and no arguments get a cell calling them."""

FUTURE_IMPORT = "from __future__ import annotations"

_BANNER = re.compile(r"^# ?-{10,}\s*$")


def notebooks_dir() -> Path:
    """The folder of the generated lecture notebooks."""
    import coursework

    return Path(coursework.__file__).parent / "notebooks"


@dataclasses.dataclass(frozen=True)
class Section:
    """One banner section of a lecture.

    Attributes:
        title: The banner's text, its comment lines joined.
        code: The section's code ("" when the banner only introduces text).
    """

    title: str
    code: str

    @property
    def heading(self) -> str:
        """The short heading: the title up to its first colon ("Setup")."""
        head, colon, _ = self.title.partition(": ")
        return (head if colon and len(head) <= 40 else self.title).rstrip(".")

    @property
    def demonstrations(self) -> tuple[str, ...]:
        """Names of the section's ``show_...`` functions that take no arguments, in order."""
        try:
            tree = ast.parse(self.code)
        except SyntaxError:
            return ()
        return tuple(
            node.name
            for node in tree.body
            if isinstance(node, ast.FunctionDef)
            and node.name.startswith(DEMONSTRATION_PREFIX)
            and not (node.args.args or node.args.posonlyargs or node.args.kwonlyargs)
            and not (node.args.vararg or node.args.kwarg)
        )

    @property
    def text(self) -> str:
        """The rest of the title after the heading, as a sentence ("" if none).

        Its first word is capitalized unless it is a one-letter symbol ("y = X w").
        """
        head, colon, rest = self.title.partition(": ")
        if not colon or len(head) > 40:
            return ""
        first = rest.split(" ", 1)[0]
        return rest[0].upper() + rest[1:] if len(first) > 1 and first.isalpha() else rest


@dataclasses.dataclass(frozen=True)
class Lecture:
    """A lecture module cut into what its notebook shows.

    Attributes:
        docstring: The module docstring.
        preamble: The code before the first banner (the imports).
        sections: The banner sections in order.
        functions: Names of the module's top-level functions.
    """

    docstring: str
    preamble: str
    sections: tuple[Section, ...]
    functions: frozenset[str] = frozenset()


def split_lecture(source: str, filename: str = "<lecture>") -> Lecture:
    """Cuts a lecture's source at its banners.

    Args:
        source: The lecture module's text.
        filename: Name used in error messages.

    Returns:
        The docstring, the code before the first banner and the sections.

    Raises:
        ValueError: If the source does not parse or has no docstring.
    """
    try:
        tree = ast.parse(source, filename)
    except SyntaxError as error:
        raise ValueError(f"{filename}:{error.lineno}: cannot parse: {error.msg}") from error
    docstring = ast.get_docstring(tree)
    if not docstring:
        raise ValueError(f"{filename} has no module docstring to introduce its notebook.")
    lines = source.splitlines()
    for node in tree.body:  # leave out the `if __name__ == "__main__":` block
        if isinstance(node, ast.If) and "__main__" in ast.unparse(node.test):
            lines[node.lineno - 1 : node.end_lineno] = [""] * (node.end_lineno - node.lineno + 1)
    position = tree.body[0].end_lineno
    chunks, titles = [[]], []
    while position < len(lines):
        end = _banner_end(lines, position)
        if end is None:
            chunks[-1].append(lines[position])
            position += 1
            continue
        titles.append(" ".join(line.lstrip("#").strip() for line in lines[position + 1 : end]))
        chunks.append([])
        position = end + 1
    code = ["\n".join(chunk).strip("\n") for chunk in chunks]
    sections = tuple(Section(title, text) for title, text in zip(titles, code[1:], strict=True))
    functions = frozenset(
        node.name for node in tree.body if isinstance(node, ast.FunctionDef)
    )
    return Lecture(docstring, code[0], sections, functions)


def _banner_end(lines: list[str], start: int) -> int | None:
    """The closing line of a banner opening at `start`, or None if there is none."""
    if not _BANNER.match(lines[start]):
        return None
    for index in range(start + 1, len(lines)):
        if _BANNER.match(lines[index]):
            return index if index > start + 1 else None
        if not lines[index].startswith("#"):
            return None
    return None


TRAIN_TEXT = """\
## Train both implementations

Both implementations train here with the lecture's hyperparameters but only
`QUICK_EPOCHS` epochs, so that the notebook runs quickly;
`coursework train {topic} --impl scratch` (or `--impl concise`) trains for the
lecture's full `DEFAULTS.epochs`. A lecture on a data set reads it from its
default source; to read it from a folder of its files instead (for
Fashion-MNIST, the four IDX files), set the environment variable
`{variable}` to that folder before starting Jupyter."""

TRAIN_CODE = """\
import os

from coursework.distribute import get_strategy
{plot_import}from coursework.topics import IMPLEMENTATIONS

QUICK_EPOCHS = {epochs}

config = DEFAULTS.replace(
    epochs=min(QUICK_EPOCHS, DEFAULTS.epochs),
    data_dir=os.environ.get("{variable}") or None,
    verbose=0,
)
strategy = get_strategy()
print(f"Training on {{strategy.num_replicas_in_sync}} replica(s).")
results = {{}}
for impl in IMPLEMENTATIONS:
    results[impl] = run(impl, config, strategy)
    figures = ", ".join(
        f"{{k}} = {{v:.4g}}" if isinstance(v, float) else f"{{k}} = {{v}}"
        for k, v in results[impl].metrics.items()
    )
    print(f"{{impl}}: {{figures}}")"""

CURVES_TEXT = """\
## Training curves

The history of each run, one record per epoch, drawn by
`coursework.plotting.plot_history` (the loss on a log scale)."""

CURVES_CODE = """\
%matplotlib inline
import tempfile
from pathlib import Path

from IPython.display import Image, display

curves = Path(tempfile.mkdtemp(prefix="{topic}-curves-"))
for impl, result in results.items():
    title = f"{topic} ({{impl}})"
    path = {plot_call}
    display(Image(filename=str(path)))"""

PLOT_HISTORY_CALL = 'plot_history(result.history, curves / f"{impl}.png", title=title)'
PLOT_RESULT_CALL = 'plot_result(result, curves / f"{impl}.png", title=title)'
"""How the curves cell draws a run: with `coursework.plotting`, or with the
lecture's own ``plot_result(result, path, title)`` when it defines one."""

PLOT_RESULT_TEXT = """\
## Figures

Each run drawn by the lecture's own `plot_result`."""


def lecture_notebook(topic: str, source: str):
    """The notebook of lecture `topic` from its module's source.

    Args:
        topic: The topic's name (a key of `TOPICS`).
        source: The lecture module's text.

    Returns:
        The notebook, without outputs.

    Raises:
        ValueError: If the source cannot be split (see `split_lecture`).
    """
    lecture = split_lecture(source, f"{topic}.py")
    origin = (
        f"*This notebook is generated from `coursework/{topic}.py` by `autograder release`; "
        "edit the module, not the notebook.*"
    )
    intro = docstring_markdown(lecture.docstring, title=True)
    cells = [markdown_cell(intro + "\n\n" + origin, "intro")]
    preamble, future = lecture.preamble, ""
    if preamble.startswith(FUTURE_IMPORT):  # must open the notebook's first code cell
        preamble, future = preamble[len(FUTURE_IMPORT) :].lstrip("\n"), FUTURE_IMPORT + "\n\n"
    cells.append(code_cell(future + QUIET_START_CODE, QUIET_START_ID))
    if preamble:
        cells.append(code_cell(preamble, "imports"))
    used = {"intro", QUIET_START_ID, "imports", "train", "train-code", "curves", "curves-code"}
    for section in lecture.sections:
        name = _unique(cell_id(section.heading.lower()), used)
        text = f"## {section.heading}" + (f"\n\n{section.text}" if section.text else "")
        cells.append(markdown_cell(text, name))
        if section.code:
            cells.append(code_cell(section.code, f"{name}-code"))
        for number, demo in enumerate(section.demonstrations, start=1):
            demo_name = _unique(f"{name}-show" + (f"-{number}" if number > 1 else ""), used)
            cells.append(code_cell(f"{demo}()", demo_name))
    own_plot = "plot_result" in lecture.functions
    settings = {
        "topic": topic,
        "variable": DATA_DIR_VARIABLE,
        "epochs": QUICK_EPOCHS,
        "plot_call": PLOT_RESULT_CALL if own_plot else PLOT_HISTORY_CALL,
        "plot_import": "" if own_plot else "from coursework.plotting import plot_history\n",
    }
    cells += [
        markdown_cell(TRAIN_TEXT.format(**settings), "train"),
        code_cell(TRAIN_CODE.format(**settings), "train-code"),
        markdown_cell(PLOT_RESULT_TEXT if own_plot else CURVES_TEXT, "curves"),
        code_cell(CURVES_CODE.format(**settings), "curves-code"),
    ]
    return make_notebook(cells)


def _unique(name: str, used: set[str]) -> str:
    candidate, number = name, 1
    while candidate in used or f"{candidate}-code" in used:
        number += 1
        candidate = f"{name}-{number}"
    used.update({candidate, f"{candidate}-code"})
    return candidate


def lecture_source(topic: str) -> Path:
    """The path of lecture `topic`'s module, found without importing it.

    Raises:
        ValueError: If the topic is unknown or its module cannot be found.
    """
    if topic not in TOPICS:
        raise ValueError(f"Unknown topic {topic!r}. Known topics: {', '.join(sorted(TOPICS))}.")
    spec = importlib.util.find_spec(TOPICS[topic])
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        raise ValueError(f"The module {TOPICS[topic]} of topic {topic!r} cannot be found.")
    return Path(spec.origin)


def lecture_notebook_files() -> dict[Path, str]:
    """``coursework/notebooks/TOPIC.ipynb`` of every topic with its expected text."""
    return {
        notebooks_dir() / f"{topic}.ipynb": notebook_text(
            lecture_notebook(topic, lecture_source(topic).read_text())
        )
        for topic in sorted(TOPICS)
    }
