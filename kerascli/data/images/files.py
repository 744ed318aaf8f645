"""Finding image files and opening them safely: what a path is, before any decoder sees it.

Only regular files with an image extension are read. Paths are looked at through the file
system's own metadata (`stat`), and a file is opened without blocking and checked on its open
descriptor, so a named pipe, a device or a link loop is refused with a reason, never read.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from pathlib import Path

from kerascli.errors import DataError

# The decoders that may look at a file. Pillow otherwise tries every format it knows, and some
# of its rarer parsers have had memory-safety bugs.
FORMATS = ("PNG", "JPEG", "BMP")
EXTENSIONS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".jpe": "JPEG", ".bmp": "BMP"}
SUPPORTED = "PNG, JPEG or BMP"
_MAGIC = {"PNG": b"\x89PNG\r\n\x1a\n", "JPEG": b"\xff\xd8\xff", "BMP": b"BM"}


class UnsupportedImage(DataError):
    """A file that is not an image of a format the reader takes (by its name or its content).

    Its own type so that `serve` answers it as an unsupported media type (415), where a damaged
    image of a supported format is unprocessable (422).
    """


def find_images(
    paths: list[str | Path], extensions=EXTENSIONS, supported: str = SUPPORTED
) -> tuple[list[Path], list[DataError]]:
    """Expands files and directories into the image files to read.

    A directory contributes its PNG, JPEG and BMP files (by extension, case-insensitive, not
    recursive, sorted by name); other files in it are skipped. A file named explicitly must have
    one of those extensions: anything else is refused without being opened. Nothing is opened
    here: only the file system's own metadata is read, so a named pipe or a device cannot block.

    Args:
        paths: Files and directories, as the user gave them.
        extensions: The file name endings read. Defaults to `EXTENSIONS` (PNG, JPEG, BMP).
        supported: Those formats in words, for errors. Defaults to `SUPPORTED`.

    Returns:
        `(files, errors)`: the image files in order, and one `DataError` per path that gave none
        (missing, a broken symbolic link, not a regular file, not an image extension, a directory
        without images) and per image-named directory entry that cannot be read.
    """
    files: list[Path] = []
    errors: list[DataError] = []
    for given in paths:
        path = Path(given)
        try:
            mode = os.stat(path).st_mode  # follows symbolic links, as opening would
        except (OSError, ValueError) as error:
            errors.append(DataError(str(path), stat_problem(path, error)))
            continue
        if stat.S_ISDIR(mode):
            found, problems = _scan_directory(path, extensions)
            errors.extend(problems)
            if not found and not problems:
                errors.append(DataError(str(path), f"no {supported} files in this directory"))
            files.extend(found)
        elif not stat.S_ISREG(mode):
            errors.append(DataError(str(path), not_regular(mode), "name an image file"))
        elif path.suffix.lower() not in extensions:
            errors.append(unsupported(path, supported))
        else:
            files.append(path)
    return files, errors


def _scan_directory(path: Path, extensions=EXTENSIONS) -> tuple[list[Path], list[DataError]]:
    """The image files of one directory, and an error per image-named entry that is no file."""
    found: list[Path] = []
    problems: list[DataError] = []
    try:
        # scandir knows each entry's type without a stat call: it matters at 10,000 files.
        with os.scandir(path) as listing:
            entries = sorted(
                (
                    entry
                    for entry in listing
                    if not entry.name.startswith(".")
                    and os.path.splitext(entry.name)[1].lower() in extensions
                ),
                key=lambda entry: entry.name,
            )
    except OSError as error:
        return [], [DataError(str(path), f"cannot list the directory: {error.strerror}")]
    for entry in entries:
        try:
            # Both follow symbolic links; a link loop raises rather than answering False.
            is_file, is_dir = entry.is_file(), entry.is_dir()
        except OSError:
            is_file = is_dir = False
        if is_file:
            found.append(path / entry.name)
        elif not is_dir:  # a folder named like an image is neither recursed into nor an error
            # A broken link or a pipe named `x.png` was meant as an image: saying so beats
            # skipping it silently.
            problems.append(DataError(str(path / entry.name), _entry_problem(path / entry.name)))
    return found, problems


def _entry_problem(path: Path) -> str:
    try:
        return not_regular(os.stat(path).st_mode)
    except (OSError, ValueError) as error:
        return stat_problem(path, error)


def stat_problem(path: Path, error: BaseException) -> str:
    """Why a path cannot be looked at, in words (`os.stat`'s error)."""
    if isinstance(error, ValueError):  # an embedded NUL byte
        return "not a valid path"
    if error.errno == errno.ELOOP:
        return "a symbolic link loop"
    if error.errno in (errno.ENOENT, errno.ENOTDIR):
        if os.path.islink(path):
            with contextlib.suppress(OSError):
                return f"a broken symbolic link (its target {os.readlink(path)} does not exist)"
            return "a broken symbolic link"
        return "no such file or directory"
    if error.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    return f"cannot read: {error.strerror or error}"


def not_regular(mode: int) -> str:
    kind = (
        "a named pipe"
        if stat.S_ISFIFO(mode)
        else "a socket"
        if stat.S_ISSOCK(mode)
        else "a device"
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
        else "a directory"
        if stat.S_ISDIR(mode)
        else "not a regular file"
    )
    return f"{kind}, not an image file" if kind.startswith("a ") else kind


def unsupported(path: Path, supported: str = SUPPORTED) -> UnsupportedImage:
    """The error for a file whose name says it is not an image of the `supported` formats."""
    kind = f"'{path.suffix}' files" if path.suffix else "files without an extension"
    return UnsupportedImage(str(path), f"{kind} are not read", f"kerascli reads {supported} images")


def signature(path: Path) -> str | None:
    """The format a file's first bytes claim, to tell a damaged image from a non-image."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(8)
    except OSError:
        return None
    return next((name for name, magic in _MAGIC.items() if head.startswith(magic)), None)


def file_size(path: Path) -> int | None:
    try:
        return os.stat(path).st_size
    except OSError:
        return None


def open_regular(path: Path):
    """Opens a file for reading only if it is a regular file.

    The file is opened without blocking and checked on the open descriptor, so a named pipe
    (which would wait forever for a writer) or a device (`/dev/zero` never ends) is refused
    without being read, and nothing can be swapped in between the check and the read.
    """
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            if stat.S_ISDIR(mode):
                raise IsADirectoryError(errno.EISDIR, "is a directory")
            raise DataError(str(path), not_regular(mode), "name an image file")
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise
