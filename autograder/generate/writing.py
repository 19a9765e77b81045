"""Writing generated files without ever destroying someone's edits.

Every command that writes generated files (``autograder release``,
``autograder nbgrader``) records in a *manifest*, a JSON file beside them, the
SHA-256 of each file as it wrote it. Before writing again it compares:

* a file that is missing, or unchanged since it was written (its digest is the
  recorded one), is simply rewritten;
* a file whose text differs both from the new text and from what was written
  (a student completed the stub in place, an instructor edited a notebook) is
  *edited*: nothing at all is written, and `EditedFilesError` lists those files,
  unless `force` is given.

Files are written atomically (a temporary file renamed into place), so an
interrupted run never leaves half a file.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

MANIFEST_FORMAT = 1


class EditedFilesError(ValueError):
    """Generated files were edited since they were written; nothing was written.

    Attributes:
        paths: The edited files.
    """

    def __init__(self, message: str, paths: list[Path]):
        super().__init__(message)
        self.paths = paths


def digest(text: str) -> str:
    """The SHA-256 of `text` (UTF-8), in hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_manifest(path: Path) -> dict[str, str]:
    """The recorded digests by relative path; empty when the manifest is missing.

    Raises:
        ValueError: If the manifest exists but is not one this module wrote.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"The manifest {path} cannot be read ({error}); delete it and run "
                         "again with --force to regenerate every file.") from error
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, dict) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in files.items()
    ):
        raise ValueError(f"The manifest {path} is malformed; delete it and run again with "
                         "--force to regenerate every file.")
    return files


def manifest_text(
    root: Path, files: Mapping[Path, str], writer: str, others: Mapping[str, str] | None = None
) -> str:
    """The manifest recording `files` (absolute paths under `root`) as written now.

    Args:
        root: The folder the recorded paths are relative to.
        files: The files written, with their text.
        writer: The command that wrote them.
        others: Entries of other files to keep recording.
    """
    entries = dict(others or {})
    entries.update({_relative(path, root): digest(text) for path, text in files.items()})
    data = {
        "format": MANIFEST_FORMAT,
        "written_by": writer,
        "note": "SHA-256 of each generated file as written; files that differ were edited.",
        "files": dict(sorted(entries.items())),
    }
    return json.dumps(data, indent=1) + "\n"


def current_text(path: Path) -> str | None:
    """The text of `path`, or None when it is missing or unreadable as text."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def stale(files: Mapping[Path, str]) -> dict[Path, str]:
    """The files that are missing or whose text is not the expected one."""
    return {path: text for path, text in files.items() if current_text(path) != text}


def edited(root: Path, files: Mapping[Path, str], manifest: Mapping[str, str]) -> list[Path]:
    """The stale files that exist and are not what was last written (see the module)."""
    found = []
    for path in stale(files):
        if not path.exists() and not path.is_symlink():
            continue
        text = current_text(path)
        if text is None or manifest.get(_relative(path, root)) != digest(text):
            found.append(path)
    return found


def write_text_atomically(path: Path, text: str) -> None:
    """Writes `text` to `path` through a temporary file in the same folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        if path.exists():
            os.chmod(temporary, path.stat().st_mode & 0o777)
        else:
            os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_generated(
    root: Path,
    files: Mapping[Path, str],
    manifest_path: Path,
    *,
    force: bool = False,
    writer: str,
    how_to_keep: str = "",
    merge: bool = False,
) -> list[Path]:
    """Writes the stale `files` and the manifest, refusing to overwrite edited files.

    Args:
        root: The folder the manifest's paths are relative to.
        files: Every generated file (absolute path) with its text.
        manifest_path: Where the manifest lives (rewritten when it changes).
        force: Overwrite edited files too.
        writer: The command, recorded in the manifest and named in messages.
        how_to_keep: A sentence on how to keep one's work, added to the refusal.
        merge: Keep the manifest's entries of files not in `files` (a command
            that writes part of its files at a time); otherwise drop them.

    Returns:
        The files written (the manifest not included).

    Raises:
        EditedFilesError: If files were edited and `force` is not given; then
            nothing is written.
        ValueError: If the manifest is malformed.
    """
    try:
        manifest = read_manifest(manifest_path)
    except ValueError:
        if not force:
            raise
        manifest = {}
    changed_by_hand = [] if force else edited(root, files, manifest)
    if changed_by_hand:
        listed = "\n".join(f"  {_relative(path, root)}" for path in changed_by_hand)
        raise EditedFilesError(
            f"These generated files were edited since `{writer}` wrote them:\n{listed}\n"
            f"Nothing was written. {how_to_keep}".rstrip()
            + f" `{writer} --force` overwrites them.",
            changed_by_hand,
        )
    written = list(stale(files))
    for path in written:
        write_text_atomically(path, files[path])
    text = manifest_text(root, files, writer, manifest if merge else None)
    if current_text(manifest_path) != text:
        write_text_atomically(manifest_path, text)
    return written


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()
