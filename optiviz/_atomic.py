"""Write a file all at once or not at all, and leave nothing behind on an error or a signal.

``atomic_path(path)`` yields a temporary path in the destination's own folder (so the final ``os.replace`` is one
atomic rename on one file system) and moves it into place only when the block succeeds and no signal arrived
meanwhile. The temporary name is hidden (``.NAME.XXXXXXXX.part``) and always fits the file system's name limit,
however long ``NAME`` is. A destination that is a symbolic link is written through: its target is replaced, the
link stays. ``check_target(path)`` does every check that can be done before any work (name and path length,
folder, permissions, a folder in the way) so that a long render never fails at its last step.

Signals: ``handle_signals()`` (the command line wraps every command in it) turns SIGINT, SIGTERM and SIGHUP into
``Interrupted`` (a ``KeyboardInterrupt``, so ``except Exception`` cannot swallow it) carrying the exit code 128 +
signal number, removes the temporary files being written at once, and remembers the signal (``received()``) so
that a command whose interrupt was swallowed somewhere below (a callback that turned it into another error) still
ends with the signal's code. Outside it (the API in a user's program), ``atomic_path`` itself makes SIGTERM and
SIGHUP remove its temporary file before the process ends as it would have, and an interrupt never renames.

Failures while writing (a full disk, an I/O error) are ``RunFailure`` (exit 1), with the temporary file removed.
"""
from __future__ import annotations

import errno
import os
import secrets
import signal
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from ._check import clip, expand_user
from .errors import Interrupted, InvalidValueError, RenderError, RunFailure

#: the signals every command handles, with the exit code each ends the command with
SIGNALS = {name: getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)}
EXIT_CODES = {name: 128 + int(num) for name, num in SIGNALS.items()}

# The temporary files being written and the signals received. Module-level because a signal handler, which
# receives no arguments of ours, must find them; both are only touched under _LOCK or in the main thread.
_LIVE: set[str] = set()
_RECEIVED: list[int] = []
_LOCK = threading.Lock()

_DISK_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), errno.EFBIG}


# --------------------------------------------------------------------------------------------- checking

def _limits(folder: Path) -> tuple[int, int]:
    """(NAME_MAX, PATH_MAX) in bytes for ``folder`` (255 and 4096 where the system will not say)."""
    try:
        name_max = os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):
        name_max = 255
    try:
        path_max = os.pathconf(folder, "PC_PATH_MAX")
    except (OSError, ValueError, AttributeError):
        path_max = 4096
    return int(name_max or 255), int(path_max or 4096)


def _folder_label(folder: Path) -> str:
    return "the current folder" if str(folder) in ("", ".") else f"output folder {clip(str(folder))!r}"


def resolve(path: "str | os.PathLike[str]") -> Path:
    """The file a write to ``path`` should replace: ``path`` itself, or the target of the symbolic link(s) it is."""
    p = expand_user(path)
    if p.is_symlink():
        return Path(os.path.realpath(p))
    return p


def check_target(path: "str | os.PathLike[str]") -> Path:
    """Every check of an output path that can be done before any work; returns the path to write (links resolved).

    Raises ``InvalidValueError`` for a name or path too long for the file system, ``RenderError`` for a missing
    or unwritable folder or a folder where the file should go (all exit 2, bad input).
    """
    try:
        raw = os.fspath(path)
    except TypeError:
        raise InvalidValueError(f"an output path must be a string or a path, got {type(path).__name__}") from None
    if not isinstance(raw, str) or not raw.strip() or "\0" in raw:
        raise InvalidValueError(f"{clip(repr(raw))} is not a usable file name")
    given = expand_user(raw)
    for part in given.parts:  # checked before the file system is asked anything (it would say ENAMETOOLONG)
        if len(os.fsencode(part)) > 255:
            name_max, _ = _limits(Path("."))
            if len(os.fsencode(part)) > name_max:
                raise InvalidValueError(f"the name {clip(part)!r} is {len(os.fsencode(part))} bytes long; this file "
                                        f"system allows {name_max}")
    try:
        p = resolve(given)
        folder = p.parent
        name_max, path_max = _limits(folder if folder.is_dir() else Path("."))
    except OSError as exc:
        raise RenderError(f"cannot write {clip(str(given))}: {exc.strerror or exc}") from None
    name_bytes = len(os.fsencode(p.name))
    if name_bytes > name_max:
        raise InvalidValueError(f"the file name {clip(p.name)!r} is {name_bytes} bytes long; this file system "
                                f"allows {name_max}")
    if len(os.fsencode(str(p.absolute()))) >= path_max:
        raise InvalidValueError(f"the path {clip(str(p))!r} is longer than this system allows ({path_max} bytes)")
    if not folder.exists():
        raise RenderError(f"{_folder_label(folder)} does not exist")
    if not folder.is_dir():
        raise RenderError(f"{_folder_label(folder)} is not a folder")
    if p.is_dir():
        raise RenderError(f"cannot write {clip(str(p))}: it is a folder")
    if p.exists() and not os.access(p, os.W_OK) and os.geteuid() != 0:
        # rename would replace it anyway, but a read-only file says "do not overwrite me"
        raise RenderError(f"cannot write {clip(str(p))}: the file is read-only")
    # tried for real: permissions, read-only mounts and ACLs all show here, and root passes os.access everywhere
    try:
        fd, probe = _create_temp(p)
    except OSError as exc:
        raise RenderError(f"{_folder_label(folder)} is not writable ({exc.strerror or exc})") from None
    try:
        os.close(fd)
    finally:
        _remove(probe)
    return p


def temp_name(path: Path, suffix: str = "") -> Path:
    """A hidden name next to ``path``: ``.NAME.XXXXXXXX.part`` (+ ``suffix``), ``NAME`` cut so it fits NAME_MAX."""
    tail = f".{secrets.token_hex(4)}.part{suffix}"
    name_max, _ = _limits(path.parent if path.parent.is_dir() else Path("."))
    room = name_max - len(os.fsencode(tail)) - 1
    stem = os.fsencode(path.name)[: max(room, 1)].decode("utf-8", "ignore") or "x"
    return path.parent / f".{stem}{tail}"


def _create_temp(path: Path, suffix: str = "") -> tuple[int, str]:
    """Create a new temporary file next to ``path``; its name is in ``_LIVE`` (the caller removes both).

    The name is registered before the file exists, so a signal arriving at any point (even between ``os.open``
    and the caller's ``try``) finds it and removes it.
    """
    for _ in range(100):
        tmp = str(temp_name(path, suffix))
        with _LOCK:
            _LIVE.add(tmp)
        try:  # 0o666 and the umask: the file ends up as readable as any other the user writes
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), tmp
        except FileExistsError:  # someone else's file: not ours to remove
            with _LOCK:
                _LIVE.discard(tmp)
            continue
        except BaseException:
            with _LOCK:
                _LIVE.discard(tmp)
            raise
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(path))  # pragma: no cover


def _remove(tmp: str) -> None:
    try:
        os.unlink(tmp)
    except FileNotFoundError:
        pass
    finally:
        with _LOCK:
            _LIVE.discard(tmp)


def write_failure(path: Path, exc: OSError) -> RunFailure:
    """The one-line ``RunFailure`` for an ``OSError`` while writing ``path`` (exit 1: the input was fine)."""
    if exc.errno in _DISK_FULL:
        return RunFailure(f"cannot write {clip(str(path))}: the disk is full (nothing was written)")
    return RunFailure(f"cannot write {clip(str(path))}: {exc.strerror or exc}")


# ---------------------------------------------------------------------------------------------- writing

@contextmanager
def atomic_path(path: "str | os.PathLike[str]", *, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success move it into place, on any failure or signal delete it.

    ``suffix`` ends the temporary name (for writers that pick a format from it). ``path`` is checked first
    (``check_target``); a symbolic link is written through. An ``OSError`` inside the block or from the rename
    becomes ``RunFailure`` (disk full: exit 1, nothing left).
    """
    with _cleanup_on_termination():  # before the first file exists
        target = check_target(path)
        try:
            fd, tmp = _create_temp(target, suffix)
        except OSError as exc:
            raise write_failure(target, exc) from None
        try:
            os.close(fd)
            try:
                yield Path(tmp)
                if _RECEIVED:  # an interrupt arrived and something below swallowed it: never rename
                    raise _interrupted(_RECEIVED[0])
                os.replace(tmp, target)
            except OSError as exc:
                raise write_failure(target, exc) from exc
        finally:
            _remove(tmp)


def write_bytes(path: "str | os.PathLike[str]", data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; returns the path written (links resolved)."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            f.write(data)
    return resolve(path)


def write_text(path: "str | os.PathLike[str]", text: str) -> Path:
    return write_bytes(path, text.encode("utf-8"))


def remove_temporaries() -> None:
    """Delete every temporary file being written now (called from the signal handlers)."""
    with _LOCK:
        live = list(_LIVE)
    for tmp in live:
        try:
            os.unlink(tmp)
        except OSError:
            pass


# ---------------------------------------------------------------------------------------------- signals

def _interrupted(signum: int) -> Interrupted:
    try:
        name = signal.Signals(signum).name
    except ValueError:  # pragma: no cover
        name = f"signal {signum}"
    return Interrupted(signum, "interrupted" if name == "SIGINT" else f"terminated by {name}")


def _raise(signum: int, frame: Any) -> None:
    del frame
    _RECEIVED.append(signum)
    remove_temporaries()
    raise _interrupted(signum)


def signal_name(code: int) -> str:
    """``SIGTERM`` for exit code 143."""
    try:
        return signal.Signals(code - 128).name
    except ValueError:
        return f"signal {code - 128}"


def handling_signals() -> bool:
    """Whether ``handle_signals`` is active (the command line): every real interrupt is then ``received()``."""
    return _ACTIVE.is_set()


def received() -> int | None:
    """The exit code of the first signal received inside ``handle_signals`` (None if none)."""
    return 128 + _RECEIVED[0] if _RECEIVED else None


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextmanager
def handle_signals() -> Iterator[None]:
    """For the block: SIGINT, SIGTERM and SIGHUP raise ``Interrupted`` (exit code 128 + n) after removing the
    temporary files being written; the previous handlers come back afterwards. A no-op outside the main thread."""
    if not _in_main_thread():
        yield
        return
    previous = {num: signal.getsignal(num) for num in SIGNALS.values()}
    previous_hook = sys.unraisablehook
    del _RECEIVED[:]

    def hook(unraisable: Any) -> None:
        # The interrupt landed where Python cannot raise it (a gc callback, a __del__): it was swallowed.
        # Send the signal again from another thread, so the main thread gets it back at its next bytecode.
        if isinstance(unraisable.exc_value, Interrupted):
            signum = unraisable.exc_value.signum
            while True:
                try:
                    threading.Thread(target=_resend, args=(signum,), daemon=True).start()
                    return
                except Interrupted:  # the resent signal landed here, while the thread was starting (a loaded
                    continue  # machine): this hook swallows it too, so send it once more
        previous_hook(unraisable)

    sys.unraisablehook = hook
    for num in SIGNALS.values():
        signal.signal(num, _raise)
    _ACTIVE.set()
    try:
        yield
    finally:
        _ACTIVE.clear()
        for num, handler in previous.items():
            signal.signal(num, handler if handler is not None else signal.SIG_DFL)
        sys.unraisablehook = previous_hook
        del _RECEIVED[:]


_ACTIVE = threading.Event()  # handle_signals' handlers are installed


def _resend(signum: int) -> None:
    time.sleep(0.002)
    if _ACTIVE.is_set():
        os.kill(os.getpid(), signum)


def _die(signum: int, frame: Any) -> None:
    """SIGTERM/SIGHUP in a program that left them at their default: clean up, then end as the default would."""
    del frame
    remove_temporaries()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def _note_interrupt(signum: int, frame: Any) -> None:
    del frame
    _RECEIVED.append(signum)
    raise KeyboardInterrupt


@contextmanager
def _cleanup_on_termination() -> Iterator[None]:
    """Inside ``atomic_path`` when no ``handle_signals`` is active: SIGTERM/SIGHUP at their defaults clean up
    first, and Ctrl-C (at Python's default) is remembered so it can never end in a rename."""
    if not _in_main_thread():
        yield
        return
    installed = {}
    for num in SIGNALS.values():
        current = signal.getsignal(num)
        if current == signal.SIG_DFL and num != signal.SIGINT:
            installed[num] = (current, _die)
        elif current is signal.default_int_handler:
            installed[num] = (current, _note_interrupt)
    mark = len(_RECEIVED)
    for num, (_, handler) in installed.items():
        signal.signal(num, handler)
    try:
        yield
    finally:
        for num, (old, _) in installed.items():
            signal.signal(num, old)
        if installed.get(signal.SIGINT, (None, None))[1] is _note_interrupt:
            del _RECEIVED[mark:]
