"""The child's ``sys.stdout``/``sys.stderr``: written to a file, up to a cap.

Past the cap, text is only counted, so a student printing megabytes costs
neither disk nor time; the count reaches the grader through the progress file.
"""

from __future__ import annotations

import io
import os
import time
from collections.abc import Callable

FLUSH_CHARS = 8192
REPORT_EVERY_SECONDS = 0.2


class OutputBudget:
    """Bytes that may still be written, and characters dropped, shared by stdout and stderr."""

    def __init__(self, keep_bytes: int, on_drop: Callable[[int], None] | None = None):
        self.keep_bytes = keep_bytes
        self.written = 0
        self.dropped = 0
        self._on_drop = on_drop
        self._last_report = 0.0

    @property
    def full(self) -> bool:
        return self.written >= self.keep_bytes

    def drop(self, characters: int) -> None:
        self.dropped += characters
        now = time.monotonic()
        if self._on_drop is not None and now - self._last_report > REPORT_EVERY_SECONDS:
            self._last_report = now
            self._on_drop(self.dropped)

    def write(self, descriptor: int, data: bytes) -> None:
        room = self.keep_bytes - self.written
        kept, rest = data[: max(room, 0)], data[max(room, 0) :]
        while kept:
            try:
                count = os.write(descriptor, kept)
            except InterruptedError:
                continue
            except OSError:  # file too large, disk full: drop the rest
                rest = kept + rest
                break
            self.written += count
            kept = kept[count:]
        if rest:
            self.drop(len(rest.decode("utf-8", "ignore")))


class _BinaryOutput(io.RawIOBase):
    def __init__(self, text: CappedOutput):
        self._text = text

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        data = bytes(data)
        self._text.flush()
        if self._text.budget.full:
            self._text.budget.drop(len(data))
        else:
            self._text.budget.write(self._text.fileno(), data)
        return len(data)


class CappedOutput(io.TextIOBase):
    """A text stream on a file descriptor that keeps at most `budget.keep_bytes` bytes.

    Lines are written as they end (like a terminal), so the output of a
    process killed for taking too long is there up to its last line.
    """

    encoding = "utf-8"
    errors = "backslashreplace"

    def __init__(self, descriptor: int, budget: OutputBudget):
        self._descriptor = descriptor
        self.budget = budget
        self._pending: list[str] = []
        self._pending_chars = 0
        self.buffer = _BinaryOutput(self)

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._descriptor

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        if self.budget.full:
            self.budget.drop(len(text))
            return len(text)
        self._pending.append(text)
        self._pending_chars += len(text)
        if "\n" in text or self._pending_chars > FLUSH_CHARS:
            self.flush()
        return len(text)

    def flush(self) -> None:
        if not self._pending:
            return
        text = "".join(self._pending)
        self._pending, self._pending_chars = [], 0
        self.budget.write(self._descriptor, text.encode("utf-8", "backslashreplace"))
