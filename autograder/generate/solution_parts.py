"""Splitting a reference solution into the parts its notebooks are made of.

A reference solution (`solutions/NAME.py`) reads top to bottom: a module
docstring, imports and other module-level code, and the graded functions, each
with a ``### BEGIN SOLUTION`` … ``### END SOLUTION`` region in its body (see
`autograder.generate.stubs`). `split_solution` cuts the source, without importing it,
into `Part`s in source order:

* ``"code"``: consecutive top-level statements without a solution region
  (imports, constants, helpers), kept as one part; the first is the setup;
* ``"function"``: one top-level function holding a solution region, a graded
  function;
* ``"exercise"``: module-level code holding a solution region that is not a
  single function (rare; it gets an answer cell but no checks).

Comments just above a statement belong to it; the parts' texts are the exact
source lines, so a part's `stub` is exactly its piece of the `.py` stub.
"""

from __future__ import annotations

import ast
import dataclasses

from autograder.generate.stubs import END_SOLUTION, solution_regions, stub_lines


@dataclasses.dataclass(frozen=True)
class Part:
    """A piece of a reference solution that becomes a notebook cell.

    Attributes:
        kind: "code", "function" or "exercise" (see the module docstring).
        source: The reference text, solution markers included.
        name: The function's name for a "function", else "".
        signature: ``name(arguments)`` for a "function", else "".
        docstring: The function's cleaned docstring, or "".
    """

    kind: str
    source: str
    name: str = ""
    signature: str = ""
    docstring: str = ""

    @property
    def stub(self) -> str:
        """The student's version: each solution region replaced by the stub body."""
        if self.kind == "code":
            return self.source
        return "\n".join(stub_lines(self.source, self.name or "<exercise>"))


@dataclasses.dataclass(frozen=True)
class SolutionParts:
    """A reference solution cut into parts.

    Attributes:
        docstring: The module docstring, cleaned ("" if there is none).
        parts: The parts in source order.
    """

    docstring: str
    parts: tuple[Part, ...]

    @property
    def functions(self) -> list[Part]:
        """The graded functions' parts."""
        return [part for part in self.parts if part.kind == "function"]


@dataclasses.dataclass
class _Segment:
    first: int  # 0-based lines, inclusive
    last: int
    nodes: list[ast.stmt]


def split_solution(source: str, filename: str = "<solution>") -> SolutionParts:
    """Cuts a reference solution into parts (see the module docstring).

    Args:
        source: The solution's text.
        filename: Name used in error messages.

    Returns:
        The module docstring and the parts.

    Raises:
        ValueError: If the source does not parse or its solution markers are
            malformed or missing.
    """
    try:
        tree = ast.parse(source, filename)
    except SyntaxError as error:
        raise ValueError(f"{filename}:{error.lineno}: cannot parse: {error.msg}") from error
    lines = source.splitlines()
    regions = solution_regions(source, filename)
    docstring = ast.get_docstring(tree) or ""
    body = tree.body[1:] if docstring else tree.body
    start = tree.body[0].end_lineno if docstring else 0
    segments = _merge_regions(_segments(body, lines, start), regions)
    parts: list[Part] = []
    code_start = None  # first line of the code part being gathered
    for segment in segments:
        if not any(segment.first <= r.begin and r.end <= segment.last for r in regions):
            if code_start is None:
                code_start = segment.first
            else:
                parts.pop()
            parts.append(Part("code", _text(lines, code_start, segment.last)))
            continue
        code_start = None
        text = _text(lines, segment.first, segment.last)
        node = segment.nodes[0]
        if len(segment.nodes) == 1 and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            signature = f"{node.name}({ast.unparse(node.args)})"
            doc = ast.get_docstring(node) or ""
            parts.append(Part("function", text, node.name, signature, doc))
        else:
            parts.append(Part("exercise", text))
    names = [part.name for part in parts if part.kind == "function"]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"{filename}: graded functions defined twice: {', '.join(repeated)}.")
    return SolutionParts(docstring, tuple(parts))


def _text(lines: list[str], first: int, last: int) -> str:
    return "\n".join(lines[first : last + 1]).strip("\n")


def _segments(body: list[ast.stmt], lines: list[str], start: int) -> list[_Segment]:
    """One segment per statement, with the comment lines above it."""
    segments: list[_Segment] = []
    position = start  # first line not yet in a segment
    for node in body:
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])]) - 1
        gap = range(position, first)
        ends = [i for i in gap if lines[i].strip() == END_SOLUTION]
        if ends and segments:  # a region's end marker closes the code above it
            segments[-1].last = ends[-1]
            position = ends[-1] + 1
        leading = [i for i in range(position, first) if lines[i].strip()]
        segments.append(_Segment(leading[0] if leading else first, node.end_lineno - 1, [node]))
        position = node.end_lineno
    trailing = [i for i in range(position, len(lines)) if lines[i].strip()]
    if trailing and segments:
        segments[-1].last = trailing[-1]
    return segments


def _merge_regions(segments: list[_Segment], regions) -> list[_Segment]:
    """Joins the segments a module-level solution region spans into one."""
    for region in regions:
        touched = [s for s in segments if s.first <= region.end and region.begin <= s.last]
        if len(touched) > 1:
            merged = _Segment(
                touched[0].first, touched[-1].last, [n for s in touched for n in s.nodes]
            )
            index = segments.index(touched[0])
            segments = [s for s in segments if s not in touched]
            segments.insert(index, merged)
    return segments
