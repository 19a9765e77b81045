"""Student source: notebook clean-up, statement-by-statement compilation, errors.

A chunk is compiled one top-level statement at a time so that the sandbox can
tell where top-level code is running, and skip a statement that hung or
crashed the process when it loads the submission again.
"""

from __future__ import annotations
import __future__

import ast
import linecache
import re
import traceback
from collections.abc import Iterable
from types import CodeType

MESSAGE_LIMIT = 300
TRACEBACK_LIMIT = 2048


def strip_magics(code: str) -> str:
    """Replaces notebook ``%magic`` and ``!shell`` lines by ``pass``.

    Indentation is kept, so a magic inside a block leaves the block valid, and
    so is the line count, so line numbers stay right.
    """
    lines = code.splitlines()
    for number, line in enumerate(lines):
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")):
            lines[number] = line[: len(line) - len(stripped)] + "pass"
    return "\n".join(lines) + "\n"


def parse_chunk(code: str, label: str) -> ast.Module:
    """Parses a chunk, ignoring notebook magics if it does not parse as it is.

    Raises:
        SyntaxError: If it does not parse either way (the error of the cleaned
            version, which is the one the student can act on).
    """
    try:
        return ast.parse(code, filename=label)
    except SyntaxError:
        pass
    return ast.parse(strip_magics(code), filename=label)


def register_source(label: str, code: str) -> None:
    """Lets tracebacks and `inspect.getsource` find a chunk's lines."""
    linecache.cache[label] = (len(code), None, code.splitlines(True), label)


class StatementCompiler:
    """Compiles top-level statements one by one, honouring ``__future__`` imports."""

    def __init__(self) -> None:
        self.flags = 0

    def compile(self, statement: ast.stmt, label: str) -> CodeType:
        """Compiles one top-level statement of the chunk `label`."""
        code = compile(
            ast.Module(body=[statement], type_ignores=[]), label, "exec",
            flags=self.flags, dont_inherit=True,
        )
        if isinstance(statement, ast.ImportFrom) and statement.module == "__future__":
            for alias in statement.names:
                feature = getattr(__future__, alias.name, None)
                if feature is not None:
                    self.flags |= feature.compiler_flag
        return code


_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b.")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_TF_NODE = re.compile(r"\{\{function_node [^}]*\}\}\s*")
_TF_OP = re.compile(r"\s*\[Op:[\w.]+\](?:\s*name:\s*\S*)?\s*$")
_BOILERPLATE = ("Exception encountered when calling", "Arguments received by", "Traceback")


def meaningful_line(text: str) -> str:
    """The first line of an error message that says something, without escape codes.

    TensorFlow and Keras wrap their messages: Keras opens with "Exception
    encountered when calling ..." and ends with the arguments received, in
    bold escape codes; TensorFlow adds ``{{function_node ...}}`` and ``[Op:...]``.
    """
    text = _CONTROLS.sub("", _ESCAPES.sub("", _TF_NODE.sub("", text)))
    for line in text.splitlines():
        line = line.strip().lstrip("•").strip()
        if line and not line.startswith(_BOILERPLATE):
            return _TF_OP.sub("", line)
    return ""


def raising_function(error: BaseException, labels: Iterable[str]) -> str | None:
    """The name of the student's function in which `error` was raised, if any."""
    frames = _student_frames(error, labels)
    return frames[-1].name if frames else None


def _message(error: BaseException) -> str:
    try:
        text = str(error)
    except BaseException:  # noqa: BLE001 - __str__ is student code
        text = "<message could not be shown>"
    if type(text) is not str:
        text = "<message could not be shown>"
    text = " ".join(meaningful_line(text).split())
    if len(text) > MESSAGE_LIMIT:
        text = text[: MESSAGE_LIMIT - 3] + "..."
    name = type(error).__name__
    return f"{name}: {text}" if text else name


def _student_frames(error: BaseException, labels: Iterable[str]) -> list[traceback.FrameSummary]:
    labels = set(labels)
    frames = traceback.extract_tb(error.__traceback__)
    return [frame for frame in frames if frame.filename in labels]


def describe_error(
    error: BaseException, labels: Iterable[str], chunk: str | None = None
) -> tuple[str, str | None]:
    """Summarises an exception raised by student code.

    Args:
        error: The exception.
        labels: Labels of the submission's chunks: only frames in them are shown.
        chunk: The chunk being loaded, if any: its own line numbers are given
            as ``(line N)``, other chunks' as ``(line N of LABEL)``.

    Returns:
        A one-line summary such as ``"ZeroDivisionError: division by zero (line
        12 of alice.py)"`` and a traceback through the student's frames, at
        most `TRACEBACK_LIMIT` characters (`None` if there are none).
    """
    labels = list(labels)
    summary = _message(error)
    if isinstance(error, SyntaxError) and error.filename in labels:
        summary = f"SyntaxError: {error.msg}"
        where = error.filename
        line = error.lineno
        frames = []
    else:
        frames = _student_frames(error, labels)
        where = frames[-1].filename if frames else None
        line = frames[-1].lineno if frames else None
    if where is not None and line is not None:
        summary += f" (line {line})" if where == chunk else f" (line {line} of {where})"
    if not frames:
        return summary, None
    text = "".join(traceback.format_list(frames)) + _message(error) + "\n"
    if len(text) > TRACEBACK_LIMIT:
        text = "...\n" + text[-(TRACEBACK_LIMIT - 4) :]
    return summary, "Traceback (student code only):\n" + text
