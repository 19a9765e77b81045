"""Reading a file a student controls without following it anywhere.

Everything in a submissions folder is hostile: a "file" may be a symbolic link
to the reference solution or to ``/dev/zero``, a hard link to somebody else's
file, a FIFO that blocks whoever opens it, or a device. `read_file` reads only
a regular file with a single link, found without following a symbolic link in
any folder below the submissions root (the root itself may be a link):

* each folder on the way is opened with ``O_NOFOLLOW | O_DIRECTORY`` relative
  to the one above it, so no folder can be swapped for a link in between;
* the file is checked with ``lstat`` first (a device or FIFO is never opened),
  then opened with ``O_NOFOLLOW | O_NONBLOCK`` and checked again with
  ``fstat`` (the same file, whatever happened since);
* at most ``limit + 1`` bytes are read, so an endless file costs nothing.

A refusal is an `UnreadableFile` whose `reason` is one of `REASONS` and whose
`details` hold its facts: data later code acts on. The sentence a student
reads for it comes from `autograder.feedback.refusal`.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

REASONS = ("missing", "symlink", "hard_link", "not_regular", "too_large", "unreadable")
"""Why a file is refused, as codes (their sentences: `autograder.feedback.refusal`)."""


class UnreadableFile(ValueError):
    """A file that is refused, with its `reason` (one of `REASONS`).

    Attributes:
        reason: The reason code.
        path: The refused path.
        details: The facts of the refusal (``links``, ``kind``, ``limit``, ``error``).

    Its sentence for the student is ``autograder.feedback.refusal(error)``.
    """

    def __init__(self, reason: str, path: Path | str, **details):
        if reason not in REASONS:
            raise ValueError(f"unknown refusal reason {reason!r}; one of {REASONS}")
        self.reason = reason
        self.path = Path(path)
        self.details = details
        facts = "".join(f", {key}={value!r}" for key, value in details.items())
        super().__init__(f"{self.path.name} refused: {reason}{facts}")


def file_kind(mode: int) -> str:
    """A plain name for the type of file with st_mode `mode`."""
    kinds = [
        (stat.S_ISDIR, "folder"), (stat.S_ISLNK, "symbolic link"), (stat.S_ISFIFO, "FIFO"),
        (stat.S_ISCHR, "character device"), (stat.S_ISBLK, "block device"),
        (stat.S_ISSOCK, "socket"), (stat.S_ISREG, "regular file"),
    ]
    return next((name for test, name in kinds if test(mode)), "special file")


def check_entry(path: Path, *, allow_hard_links: bool = False) -> None:
    """Checks, without following links, that `path` is a regular file with one link.

    Raises:
        UnreadableFile: If it is not.
    """
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise UnreadableFile("missing", path) from None
    except OSError as error:
        raise UnreadableFile("unreadable", path, error=error.strerror) from None
    _check_status(info, path, allow_hard_links)


def _check_status(info: os.stat_result, path: Path, allow_hard_links: bool) -> None:
    if stat.S_ISLNK(info.st_mode):
        raise UnreadableFile("symlink", path)
    if not stat.S_ISREG(info.st_mode):
        raise UnreadableFile("not_regular", path, kind=file_kind(info.st_mode))
    if info.st_nlink > 1 and not allow_hard_links:
        raise UnreadableFile("hard_link", path, links=info.st_nlink)


def is_real_folder(path: Path) -> bool:
    """Whether `path` is a folder and not a symbolic link to one."""
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def read_file(
    path: str | Path, *, limit: int, root: str | Path | None = None,
    allow_hard_links: bool = False,
) -> bytes:
    """The bytes of the regular file `path`, refusing links and special files.

    Args:
        path: The file.
        limit: The most bytes accepted; a larger file is refused.
        root: A folder above `path` that may itself be a link; every folder
            between it and the file must be a real folder. Without a root,
            only the file itself is checked (a student's own file given on the
            command line).
        allow_hard_links: Accept a file with several hard links.

    Returns:
        The file's contents.

    Raises:
        UnreadableFile: If the file is missing, a link, not a regular file,
            larger than `limit`, or cannot be read.
    """
    path = Path(path)
    folder_fd = _open_folders(path, root)
    try:
        try:
            info = os.lstat(path.name, dir_fd=folder_fd)
        except FileNotFoundError:
            raise UnreadableFile("missing", path) from None
        except OSError as error:
            raise UnreadableFile("unreadable", path, error=error.strerror) from None
        _check_status(info, path, allow_hard_links)  # a device or FIFO is never opened
        try:
            fd = os.open(
                path.name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC,
                dir_fd=folder_fd,
            )
        except OSError as error:
            if error.errno == errno.ELOOP:  # it became a link since the lstat
                raise UnreadableFile("symlink", path) from None
            raise UnreadableFile("unreadable", path, error=error.strerror) from None
    finally:
        os.close(folder_fd)
    try:
        _check_status(os.fstat(fd), path, allow_hard_links)
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except BlockingIOError:
        raise UnreadableFile("unreadable", path, error="it would block") from None
    except OSError as error:
        raise UnreadableFile("unreadable", path, error=error.strerror) from None
    finally:
        os.close(fd)
    if size > limit:
        raise UnreadableFile("too_large", path, limit=limit)
    return b"".join(chunks)


def _open_folders(path: Path, root: str | Path | None) -> int:
    """A descriptor of `path`'s folder, reached from `root` without following links."""
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
    if root is None:
        start, parts = path.parent, ()
    else:
        root = Path(root)
        try:
            parts = path.parent.relative_to(root).parts
        except ValueError:
            raise ValueError(f"{path} is not inside {root}") from None
        start = root
    try:
        fd = os.open(start, flags)
    except FileNotFoundError:
        raise UnreadableFile("missing", path) from None
    except OSError as error:
        raise UnreadableFile("unreadable", path, error=error.strerror) from None
    try:
        for part in parts:
            if part in ("..", "."):
                raise UnreadableFile("unreadable", path, error="the path leaves its folder")
            try:
                next_fd = os.open(part, flags | os.O_NOFOLLOW, dir_fd=fd)
            except OSError as error:
                raise _folder_refusal(part, fd, path, error) from None
            os.close(fd)
            fd = next_fd
    except BaseException:
        os.close(fd)
        raise
    return fd


def _folder_refusal(part: str, folder_fd: int, path: Path, error: OSError) -> UnreadableFile:
    """Why the folder `part` on the way to `path` could not be opened."""
    if error.errno not in (errno.ELOOP, errno.ENOTDIR):
        return UnreadableFile("unreadable", path, error=error.strerror)
    try:
        mode = os.lstat(part, dir_fd=folder_fd).st_mode
    except OSError:
        return UnreadableFile("unreadable", path, error=error.strerror)
    if stat.S_ISLNK(mode):
        return UnreadableFile("symlink", part)
    return UnreadableFile("not_regular", part, kind=file_kind(mode))
