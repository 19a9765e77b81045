"""Escaping what a student controls before a person opens it.

Student names, printed output, exception messages and the reprs of returned
objects reach three kinds of reader, each with its own way to be fooled:

* a terminal runs ANSI and OSC escape sequences (colours, a rewritten title,
  hyperlinks, a cleared screen), and a carriage return or a bidirectional
  override hides text: `terminal_text` shows every control character as a
  visible ``\\x1b``-style escape instead;
* a Markdown viewer renders ``**Score: 10**``, links, images and raw HTML:
  `markdown_text` and `markdown_code` make such text read literally;
* a spreadsheet runs a CSV cell that starts with ``=``, ``+``, ``-``, ``@``, a
  tab or a carriage return as a formula: `csv_text` prefixes it with ``'``, as
  OWASP advises ("CSV injection").

Every report applies these to text from a student and only to that: numbers
and wording of the grader's own are written as they are. In particular the
score columns of ``grades.csv`` are numbers the grader formats itself; they are
never prefixed, so that a spreadsheet still sums them (a negative number there
would be a number too, not text from a student).
"""

from __future__ import annotations

import re

_CONTROL = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
    "\ud800-\udfff]"
)
"""Control characters but newline and tab: C0, DEL, C1, line separators, the
bidirectional marks and overrides ("Trojan source"), and lone surrogates (the
bytes of a file name that is not UTF-8, which no terminal can print)."""

_LINE_BREAKS = re.compile("[\n\t]")


def _visible(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_text(text: str, *, single_line: bool = False) -> str:
    """`text` with every control character shown as a visible escape.

    Args:
        text: Text from a student.
        single_line: Also show newlines and tabs as ``\\n`` and ``\\t`` (a
            table cell, a progress line).

    Returns:
        Text that a terminal prints as it reads: ``\\x1b[2J`` instead of a
        cleared screen.
    """
    text = _CONTROL.sub(_visible, str(text))
    if single_line:
        text = _LINE_BREAKS.sub(lambda m: "\\n" if m.group() == "\n" else "\\t", text)
    return text


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]#!|~$])")
"""What makes Markdown mid-line (emphasis, code, links, images, tables, a
heading's closing hashes, strike-through, maths); the text never starts a line."""
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def markdown_text(text: str) -> str:
    """`text` as literal Markdown text on one line: no emphasis, link, image or HTML.

    Markdown punctuation is backslash-escaped and ``& < >`` become HTML
    entities (which every Markdown viewer shows as the characters), control
    characters are shown as escapes, and line breaks as spaces (so the text
    cannot start a heading or a list).
    """
    text = terminal_text(text).replace("\r", " ")
    text = re.sub(r"\s*\n\s*", " ", text).replace("\t", " ")
    text = "".join(_HTML.get(character, character) for character in text)
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def markdown_code(text: str) -> str:
    """`text` as a Markdown code span (HTML and Markdown inside read literally).

    The fence is one backtick longer than the longest run of backticks in the
    text, so the text cannot close it; line breaks become spaces.
    """
    text = re.sub(r"\s*\n\s*", " ", terminal_text(text)).replace("\t", " ")
    runs = [len(run) for run in re.findall(r"`+", text)]
    fence = "`" * (max(runs, default=0) + 1)
    padding = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{padding}{text}{padding}{fence}"


def markdown_block(text: str) -> str:
    """`text` as a fenced Markdown code block, lines kept, read literally."""
    text = terminal_text(text)
    runs = [len(run) for run in re.findall(r"`{3,}|~{3,}", text)]
    fence = "`" * max(3, max(runs, default=0) + 1)
    return f"{fence}text\n{text.rstrip()}\n{fence}"


CSV_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What a cell starts with that a spreadsheet may run as a formula (OWASP)."""


def csv_text(text: str) -> str:
    """A CSV cell for text from a student: prefixed with ``'`` if it could be a formula.

    A cell already starting with ``'`` is prefixed too, so that `csv_unescape`
    gives back the exact text in every case.
    """
    text = str(text)
    return "'" + text if text.startswith((*CSV_FORMULA_STARTS, "'")) else text


def csv_unescape(cell: str) -> str:
    """The exact text of a cell written by `csv_text`."""
    return cell[1:] if cell.startswith("'") else cell
