"""Building Jupyter notebooks whose text is the same every time they are generated.

Generated notebooks are committed and compared with a fresh generation by the
release drift test, so nothing in them may change from one run to the next:
cell ids are derived from names (`cell_id`), there are no timestamps and no
outputs, and the JSON is written with sorted keys (`notebook_text`).

`docstring_markdown` turns a Google-style docstring into Markdown for the
explanation cells.
"""

from __future__ import annotations

import inspect
import re

import nbformat
from nbformat import NotebookNode

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
"""The kernel every generated notebook asks for."""

QUIET_START_CODE = """\
from coursework.quiet_start import import_tensorflow

import_tensorflow()  # TensorFlow without its C++ start-up lines (red stderr in a notebook)"""
"""The first code cell of every generated notebook (see `coursework.quiet_start`)."""

QUIET_START_ID = "quiet-start"

_ID_CHARACTERS = re.compile(r"[^A-Za-z0-9_-]+")
_SECTIONS = ("Args", "Arguments", "Attributes", "Raises", "Returns", "Yields")
_ITEM_SECTIONS = ("Args", "Arguments", "Attributes", "Raises")
_ITEM = re.compile(r"^(\*{0,2}[\w.]+)(\s*\([^)]*\))?:\s*(.*)$")


def cell_id(name: str) -> str:
    """A valid nbformat cell id made from `name` ("linreg check" -> "linreg-check").

    Raises:
        ValueError: If nothing of `name` can be used.
    """
    identifier = _ID_CHARACTERS.sub("-", name).strip("-")[:64]
    if not identifier:
        raise ValueError(f"Cannot make a cell id from {name!r}.")
    return identifier


def markdown_cell(source: str, name: str, metadata: dict | None = None) -> NotebookNode:
    """A Markdown cell with the id `cell_id(name)`."""
    return nbformat.v4.new_markdown_cell(
        source.strip("\n"), id=cell_id(name), metadata=metadata or {}
    )


def code_cell(source: str, name: str, metadata: dict | None = None) -> NotebookNode:
    """A code cell without outputs with the id `cell_id(name)`."""
    return nbformat.v4.new_code_cell(source.strip("\n"), id=cell_id(name), metadata=metadata or {})


def make_notebook(cells: list[NotebookNode]) -> NotebookNode:
    """A Python 3 notebook of `cells`.

    Raises:
        ValueError: If two cells share an id, or the notebook is not valid nbformat.
    """
    ids = [cell.id for cell in cells]
    duplicates = sorted({identifier for identifier in ids if ids.count(identifier) > 1})
    if duplicates:
        raise ValueError(f"Cell ids must be unique; repeated: {', '.join(duplicates)}.")
    notebook = nbformat.v4.new_notebook(
        cells=cells,
        metadata={"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}},
    )
    try:
        nbformat.validate(notebook)
    except nbformat.ValidationError as error:
        raise ValueError(f"The generated notebook is not valid nbformat: {error}") from error
    return notebook


def notebook_text(notebook: NotebookNode) -> str:
    """The notebook's JSON text, keys sorted, ending with a newline."""
    return nbformat.writes(notebook, version=4).rstrip("\n") + "\n"


# ---------------------------------------------------------------------------
# Docstrings as Markdown.
# ---------------------------------------------------------------------------
def docstring_markdown(docstring: str, title: bool = False) -> str:
    """Turns a Google-style docstring into Markdown.

    The summary and description are kept as they are (``code`` and `code`
    already read as code in Markdown; a paragraph ending with ``::`` ends with
    ``:`` and its indented block stays a code block). ``Args:``-like sections
    become bullet lists and ``Returns:``-like sections a bold label and text.

    Args:
        docstring: The docstring, indented or not.
        title: Make the first line a level-1 heading (for a module docstring).

    Returns:
        The Markdown text.
    """
    lines = inspect.cleandoc(docstring).splitlines()
    output: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        section = line.strip().removesuffix(":")
        if line.endswith(":") and not line.startswith(" ") and section in _SECTIONS:
            body, index = _section_body(lines, index + 1)
            output.extend(_section_markdown(section, body))
            continue
        if line.rstrip().endswith("::") and not line.strip() == "::":
            line = line.rstrip()[:-1]
        output.append(line)
        index += 1
    if title and output:
        output[0] = "# " + output[0].strip().removesuffix(".")
    return re.sub(r"\n{3,}", "\n\n", "\n".join(output)).strip("\n")


def _section_body(lines: list[str], index: int) -> tuple[list[str], int]:
    """The indented lines of a section, dedented, and the index after them."""
    body = []
    while index < len(lines) and (not lines[index].strip() or lines[index].startswith(" ")):
        body.append(lines[index])
        index += 1
    while body and not body[-1].strip():
        body.pop()
        index -= 1
    return inspect.cleandoc("\n".join(body)).splitlines(), index


def _section_markdown(section: str, body: list[str]) -> list[str]:
    if section not in _ITEM_SECTIONS:
        text = " ".join(line.strip() for line in body if line.strip())
        return ["", f"**{section}:** {text}", ""]
    items: list[str] = []
    for line in body:
        match = _ITEM.match(line) if not line.startswith(" ") else None
        if match:
            kind = match.group(2).strip() if match.group(2) else ""
            name = f"`{match.group(1)}`" + (f" {kind}" if kind else "")
            items.append(f"- {name}: {match.group(3)}".rstrip())
        elif items and line.strip():
            items[-1] += " " + line.strip()
        elif line.strip():
            items.append(f"- {line.strip()}")
    return ["", f"**{section}:**", "", *items, ""]
