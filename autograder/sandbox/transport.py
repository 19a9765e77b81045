"""Plain data on disk: JSON plus NumPy ``.npy`` records, read defensively.

A *message* named ``NAME`` is two files in one folder: ``NAME.json`` holds the
fields and the value tree, ``NAME.npys`` the arrays the tree refers to, one
``.npy`` record after the other. Writers create both under temporary names and
rename them into place (``.npys`` first), so a process killed mid-write leaves
no half message.

The grader reads messages written by student processes, so `read_message`
treats the folder as hostile: files are opened without following symbolic
links (``O_NOFOLLOW | O_NONBLOCK``, so a FIFO cannot block it either), must be
regular files (checked with ``fstat`` on the open file) with one link and below
a size cap; the JSON file has its own small cap (`JSON_LIMIT_BYTES`), checked
before it is parsed, so the grader never parses more than that of what a child
wrote; the JSON tree is validated node by node, and each ``.npy`` record is
read on its own: its header is parsed and checked (plain dtype, no pickles,
data size exactly what dtype and shape say) before its data is read, and the
records may not overlap. Nothing is ever unpickled or imported. Every problem
is a `TransportError`.

Value tree nodes: JSON ``null``, booleans, numbers and strings stand for
themselves and JSON arrays for lists; the objects ``{"__tuple__": [...]}``,
``{"__dict__": {...}}``, ``{"__ndarray__": k}`` (the k-th array) and, for job
files only, ``{"__tensor__": k}``, ``{"__variable__": k}`` and
``{"__function__": [source, name]}`` mark the rest.
"""

from __future__ import annotations

import io
import json
import os
import stat
from pathlib import Path
from typing import Any

import numpy as np
from numpy.lib import format as npy_format

from autograder.sandbox.harness import PLAIN_DTYPE_KINDS, Function, Tensor, Variable

FORMAT = 1
MAX_DEPTH = 200
#: The largest JSON part of a message from a child (arrays travel as ``.npy``).
JSON_LIMIT_BYTES = 2 * 2**20
MAX_NODES = 1_000_000
#: Bytes of a text file past the kept part whose characters are counted (the
#: rest counts one character a byte: "roughly how many more").
COUNT_LIMIT_BYTES = 1 << 24
#: The largest ``.npy`` header read (NumPy writes them well under 1 KB).
NPY_HEADER_LIMIT = 1 << 16
_OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_MARKERS = {"__tensor__": Tensor, "__variable__": Variable}


class TransportError(ValueError):
    """A message could not be written or is missing, too large or malformed."""


class MissingMessage(TransportError):
    """The message's JSON file does not exist."""


# ---------------------------------------------------------------------------
# Writing


class _Encoder:
    def __init__(self, blob: io.BufferedWriter, max_bytes: int, allow_markers: bool):
        self.blob = blob
        self.max_bytes = max_bytes
        self.allow_markers = allow_markers
        self.arrays: list[list[int]] = []

    def array(self, array: np.ndarray) -> int:
        if array.dtype.kind not in PLAIN_DTYPE_KINDS or array.dtype.fields is not None:
            raise TransportError(f"cannot send an array of dtype {array.dtype}")
        offset = self.blob.tell()
        if offset + array.nbytes > self.max_bytes:
            raise TransportError(f"the data is larger than {self.max_bytes // 2**20} MB")
        npy_format.write_array(self.blob, np.asarray(array), allow_pickle=False)
        self.arrays.append([offset, self.blob.tell() - offset])
        return len(self.arrays) - 1

    def encode(self, value: Any, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            raise TransportError(f"the data is nested more than {MAX_DEPTH} levels deep")
        kind = type(value)
        if value is None or kind in (bool, int, float, str):
            return value
        if kind is list:
            return [self.encode(item, depth + 1) for item in value]
        if kind is tuple:
            return {"__tuple__": [self.encode(item, depth + 1) for item in value]}
        if kind is dict:
            if not all(type(key) is str for key in value):
                raise TransportError("cannot send a dict whose keys are not all str")
            return {"__dict__": {key: self.encode(item, depth + 1) for key, item in value.items()}}
        if kind is np.ndarray:
            return {"__ndarray__": self.array(value)}
        if self.allow_markers and kind is Function:
            if type(value.source) is not str or type(value.name) is not str:
                raise TransportError("a Function marker needs a str source and name")
            return {"__function__": [value.source, value.name]}
        if self.allow_markers and kind in (Tensor, Variable):
            tag = "__tensor__" if kind is Tensor else "__variable__"
            return {tag: self.array(np.asarray(value.array))}
        raise TransportError(f"cannot send a value of type {kind.__name__} (only plain data)")


def write_message(
    folder: Path,
    name: str,
    value: Any,
    fields: dict | None = None,
    *,
    max_bytes: int,
    allow_markers: bool = False,
    json_limit: int = JSON_LIMIT_BYTES,
) -> None:
    """Writes `value` (and JSON-able `fields`) as the message `name` in `folder`.

    Args:
        folder: Where the two files go.
        name: The message name (file names without extension).
        value: Plain data (and, with `allow_markers`, `Tensor`/`Variable` markers).
        fields: Extra JSON-able top-level fields, such as a status.
        max_bytes: Cap on the size of the arrays.
        allow_markers: Whether `Tensor`/`Variable` markers may be sent (job files).
        json_limit: Cap on the JSON part (lists, numbers and strings outside arrays).

    Raises:
        TransportError: If `value` is not plain data or is too large.
    """
    folder = Path(folder)
    blob_path, json_path = folder / f"{name}.npys", folder / f"{name}.json"
    temporary_blob, temporary_json = folder / f".{name}.npys.tmp", folder / f".{name}.json.tmp"
    with open(temporary_blob, "wb") as blob:
        encoder = _Encoder(blob, max_bytes, allow_markers)
        tree = encoder.encode(value)
    header = dict(fields or {})
    header.update(format=FORMAT, arrays=encoder.arrays, value=tree)
    text = json.dumps(header)
    if len(text) > min(max_bytes, json_limit):
        raise TransportError(
            f"the data outside arrays is larger than {min(max_bytes, json_limit)} bytes of JSON "
            "(return NumPy arrays or tensors for large data)")
    temporary_json.write_text(text)
    os.replace(temporary_blob, blob_path)
    os.replace(temporary_json, json_path)


# ---------------------------------------------------------------------------
# Reading


def read_file(folder: Path | int, filename: str, max_bytes: int) -> bytes:
    """Reads a file written by an untrusted process, without trusting it.

    Args:
        folder: The folder, as a path or an open directory descriptor.
        filename: A plain file name inside it (no slashes).
        max_bytes: The largest acceptable size.

    Returns:
        The file's content (at most `max_bytes`, even if it grows meanwhile).

    Raises:
        MissingMessage: If the file does not exist.
        TransportError: If it is a link, not a regular file, has several hard
            links or is larger than `max_bytes`.
    """
    descriptor, _ = _open_checked(folder, filename, max_bytes)
    try:
        parts, size = [], 0
        while size <= max_bytes:
            part = os.read(descriptor, min(1 << 24, max_bytes + 1 - size))
            if not part:
                break
            parts.append(part)
            size += len(part)
        if size > max_bytes:
            raise TransportError(f"{filename} is larger than {max_bytes} bytes")
        return b"".join(parts)
    except OSError as error:
        raise TransportError(f"cannot read {filename}: {error.strerror}") from None
    finally:
        os.close(descriptor)


def _npy_header(record: bytes) -> tuple[tuple, bool, np.dtype, int, int]:
    """Parses the ``.npy`` header at the start of `record` without unpickling anything.

    Returns:
        ``(shape, fortran_order, dtype, element_count, data_offset)``.

    Raises:
        TransportError: If the header is malformed, of an unknown version, or
            describes an array `_check_header` refuses.
    """
    stream = io.BytesIO(record)
    try:
        version = npy_format.read_magic(stream)
        if version == (1, 0):
            shape, fortran, dtype = npy_format.read_array_header_1_0(stream)
        elif version in ((2, 0), (3, 0)):
            shape, fortran, dtype = npy_format.read_array_header_2_0(stream)
        else:
            raise TransportError(f"unsupported .npy version {version}")
    except TransportError:
        raise
    except Exception as error:
        raise TransportError(f"malformed .npy header: {str(error)[:200]}") from None
    return shape, fortran, dtype, _check_header(shape, dtype), stream.tell()


def parse_npy(record: memoryview) -> np.ndarray:
    """Builds an array from one ``.npy`` record, checking it first.

    Only plain dtypes (`PLAIN_DTYPE_KINDS`, no fields, no objects) are accepted,
    and the record's length must match its header exactly, so a forged header
    can neither smuggle a pickle nor make the reader allocate a huge array.

    Raises:
        TransportError: If the record is malformed.
    """
    shape, fortran, dtype, count, start = _npy_header(record)
    if start + count * dtype.itemsize != len(record):
        raise TransportError("array data does not match its header")
    flat = np.frombuffer(record, dtype=dtype, count=count, offset=start)
    return flat.reshape(shape, order="F" if fortran else "C").copy()


class _Decoder:
    def __init__(self, arrays: list[np.ndarray], allow_markers: bool):
        self.arrays = arrays
        self.allow_markers = allow_markers
        self.nodes = 0

    def array(self, index: Any) -> np.ndarray:
        if type(index) is not int or not 0 <= index < len(self.arrays):
            raise TransportError(f"bad array reference {index!r}")
        return self.arrays[index]

    def decode(self, node: Any, depth: int = 0) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise TransportError(f"the data has more than {MAX_NODES} items")
        if depth > MAX_DEPTH:
            raise TransportError(f"the data is nested more than {MAX_DEPTH} levels deep")
        kind = type(node)
        if node is None or kind in (bool, int, float, str):
            return node
        if kind is list:
            return [self.decode(item, depth + 1) for item in node]
        if kind is not dict or len(node) != 1:
            raise TransportError("malformed data node")
        ((tag, content),) = node.items()
        if tag == "__tuple__" and type(content) is list:
            return tuple(self.decode(item, depth + 1) for item in content)
        if tag == "__dict__" and type(content) is dict:
            return {key: self.decode(item, depth + 1) for key, item in content.items()}
        if tag == "__ndarray__":
            return self.array(content)
        if self.allow_markers and tag in _MARKERS:
            return _MARKERS[tag](self.array(content))
        if (
            self.allow_markers and tag == "__function__" and type(content) is list
            and len(content) == 2 and all(type(part) is str for part in content)
        ):
            return Function(*content)
        raise TransportError(f"malformed data node {tag[:40]!r}")


def _open_checked(folder: Path | int, filename: str, max_bytes: int) -> tuple[int, int]:
    """Opens a file written by an untrusted process; returns (descriptor, size).

    Raises:
        MissingMessage: If the file does not exist.
        TransportError: If it is a link, not a regular file, has several hard
            links or is larger than `max_bytes`.
    """
    if "/" in filename or filename in ("", ".", ".."):
        raise TransportError(f"bad file name {filename!r}")
    directory = folder if isinstance(folder, int) else None
    path = filename if directory is not None else os.path.join(folder, filename)
    try:
        descriptor = os.open(path, _OPEN_FLAGS, dir_fd=directory)
    except FileNotFoundError:
        raise MissingMessage(f"{filename} is missing") from None
    except OSError as error:
        raise TransportError(f"cannot open {filename}: {error.strerror}") from None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise TransportError(f"{filename} is not a regular file")
        if info.st_nlink != 1:
            raise TransportError(f"{filename} has {info.st_nlink} hard links")
        if info.st_size > max_bytes:
            raise TransportError(
                f"{filename} is larger than {max_bytes} bytes ({info.st_size} bytes)"
            )
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor, info.st_size


def _read_exactly(descriptor: int, offset: int, size: int, filename: str) -> bytes:
    parts, done = [], 0
    while done < size:
        part = os.pread(descriptor, min(1 << 24, size - done), offset + done)
        if not part:
            raise TransportError(f"{filename} ended early")
        parts.append(part)
        done += len(part)
    return b"".join(parts)


def _read_npy(descriptor: int, span: list[int], limit: int, filename: str) -> np.ndarray:
    """Reads the ``.npy`` record at `span` = [offset, length]: header first, then data."""
    offset, length = span
    head = _read_exactly(descriptor, offset, min(length, NPY_HEADER_LIMIT), filename)
    shape, fortran, dtype, count, start = _npy_header(head)
    if start + count * dtype.itemsize != length or length > limit:
        raise TransportError("array data does not match its header")
    array = np.empty(count, dtype=dtype)
    view = memoryview(array.view(np.uint8).reshape(-1))
    done = 0
    while done < view.nbytes:
        read = os.preadv(descriptor, [view[done:]], offset + start + done)
        if read <= 0:
            raise TransportError(f"{filename} ended early")
        done += read
    return array.reshape(shape, order="F" if fortran else "C")


def _check_header(shape, dtype: np.dtype) -> int:
    """Checks a ``.npy`` header's dtype and shape; returns the number of items."""
    if dtype.kind not in PLAIN_DTYPE_KINDS or dtype.fields is not None or dtype.hasobject:
        raise TransportError(f"refused array dtype {dtype}")
    if dtype.itemsize == 0 or dtype.subdtype is not None:
        raise TransportError(f"refused array dtype {dtype}")
    if not all(type(size) is int and size >= 0 for size in shape) or len(shape) > 32:
        raise TransportError(f"bad array shape {shape!r}")
    count = 1
    for size in shape:
        count *= size
    return count


def read_message(
    folder: Path | int, name: str, *, max_bytes: int, allow_markers: bool = False,
    json_limit: int = JSON_LIMIT_BYTES,
) -> tuple[dict, Any]:
    """Reads and validates the message `name` (see the module docstring).

    Args:
        folder: The folder, as a path or an open directory descriptor.
        name: The message name.
        max_bytes: Cap on the arrays' file.
        allow_markers: Whether `Tensor`/`Variable` markers are accepted.
        json_limit: Cap on the JSON file, checked before it is parsed.

    Returns:
        The top-level fields (without ``value``, ``arrays`` and ``format``) and
        the decoded value.

    Raises:
        MissingMessage: If the message does not exist.
        TransportError: If it is malformed or too large.
    """
    text = read_file(folder, f"{name}.json", min(json_limit, max_bytes))
    try:
        header = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise TransportError(f"{name}.json is not valid JSON: {str(error)[:100]}") from None
    del text
    if type(header) is not dict or header.get("format") != FORMAT or "value" not in header:
        raise TransportError(f"{name}.json is not a message")
    spans = header.pop("arrays", None)
    if type(spans) is not list:
        raise TransportError(f"{name}.json has no array list")
    arrays = []
    if spans:
        filename = f"{name}.npys"
        descriptor, size = _open_checked(folder, filename, max_bytes)
        try:
            end = 0
            for span in spans:
                if (
                    type(span) is not list or len(span) != 2
                    or not all(type(number) is int and number >= 0 for number in span)
                    or span[0] < end or span[0] + span[1] > size
                ):  # in order, inside the file, never overlapping: each byte is read once
                    raise TransportError(f"bad array span {str(span)[:60]}")
                end = span[0] + span[1]
                arrays.append(_read_npy(descriptor, span, max_bytes, filename))
        except OSError as error:
            raise TransportError(f"cannot read {filename}: {error.strerror}") from None
        finally:
            os.close(descriptor)
    tree = header.pop("value")
    header.pop("format")
    try:
        value = _Decoder(arrays, allow_markers).decode(tree)
    except RecursionError:
        raise TransportError("the data is nested too deeply") from None
    return header, value


def read_text(folder: Path | int, filename: str, max_chars: int) -> tuple[str, int]:
    """Reads the start of a text file written by an untrusted process.

    Args:
        folder: The folder, as a path or an open directory descriptor.
        filename: The file name.
        max_chars: How many characters to keep.

    Returns:
        The first `max_chars` characters (UTF-8, undecodable bytes replaced)
        and roughly how many more characters the file holds; ``("", 0)`` if
        the file is missing or unusable.
    """
    directory = folder if isinstance(folder, int) else None
    path = filename if directory is not None else os.path.join(folder, filename)
    try:
        descriptor = os.open(path, _OPEN_FLAGS, dir_fd=directory)
    except OSError:
        return "", 0
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1:
            return "", 0
        head = os.read(descriptor, max_chars * 4 + 4)
        text = head.decode("utf-8", "replace")
        if len(text) <= max_chars and len(head) == info.st_size:
            return text, 0
        characters = _count_utf8_characters(head)
        block = os.read(descriptor, COUNT_LIMIT_BYTES)  # counted; the rest only measured
        characters += _count_utf8_characters(block)
        rest = max(0, os.fstat(descriptor).st_size - len(head) - len(block))
        return text[:max_chars], max(characters + rest - max_chars, 1)
    except OSError:
        return "", 0
    finally:
        os.close(descriptor)


def _count_utf8_characters(data: bytes) -> int:
    codes = np.frombuffer(data, dtype=np.uint8)
    return int(np.count_nonzero((codes & 0xC0) != 0x80))
