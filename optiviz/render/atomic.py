"""Write a file all at once or not at all: a temporary file in the same folder, then ``os.replace``.

The rename is atomic on one filesystem, so a reader never sees half a GIF, and a render that fails or is
interrupted (an exception, Ctrl-C) removes its temporary file and leaves the destination untouched.
"""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ..errors import RenderError


def check_folder(path: Path) -> Path:
    """Raise a one-line ``RenderError`` unless ``path``'s folder exists and we may create files in it."""
    folder = path.parent
    if not folder.exists():
        raise RenderError(f"cannot write {path}: the folder {folder} does not exist")
    if not folder.is_dir():
        raise RenderError(f"cannot write {path}: {folder} is not a folder")
    if path.is_dir():
        raise RenderError(f"cannot write {path}: it is a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise RenderError(f"cannot write {path}: the folder {folder} is not writable")
    return path


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success move it into place, on any failure delete it."""
    check_folder(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    except OSError as exc:  # root passes os.access everywhere; the real test is creating a file
        raise RenderError(f"cannot write {path}: the folder {path.parent} is not writable ({exc.strerror})") from None
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o666 & ~_umask())  # mkstemp makes 0600; a saved picture is as readable as any file
        os.replace(tmp_path, path)
    except BaseException:  # KeyboardInterrupt too: never leave a partial file behind
        try:
            tmp_path.unlink()
        except FileNotFoundError:
            pass
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
