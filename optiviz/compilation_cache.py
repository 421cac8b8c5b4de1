"""JAX's persistent compilation cache, kept in the user's cache directory, so a second run compiles nothing.

    ov.compilation_cache.enable()      # what run(), tune(), surface checks, training and rendering call first
    ov.compilation_cache.location()    # the directory in use, or None

Where: ``$OPTIVIZ_CACHE_DIR`` when set, else the platform's user cache directory for optiviz (``platformdirs``:
``$XDG_CACHE_HOME/optiviz`` or ``~/.cache/optiviz`` on Linux, ``~/Library/Caches/optiviz`` on macOS,
``%LOCALAPPDATA%\\optiviz\\Cache`` on Windows), in its subfolder ``jax``. Off: ``OPTIVIZ_NO_CACHE=1``, the command
line's ``--no-cache``, or ``disable()``. A cache directory the user already gave JAX (``JAX_COMPILATION_CACHE_DIR``)
is left as it is.

Why these settings: JAX stores only programs that took at least a second to compile unless told otherwise, and
optiviz's programs compile in tenths of a second, so the minimum compile time and entry size are 0. Entries are keyed
by JAX's version, the program and the compiler flags, so an upgrade never reads a stale program.

Why optiviz keeps the folder itself (``_Store``) instead of JAX's bounded cache: JAX's least-recently-used cache
lists the folder and reads every entry's access-time file on each store, under a lock, so storing a program costs
O(entries) (9 / 15 / 24 / 30 ms at 300 / 600 / 900 / 1,200 of optiviz's ~20 kB entries, measured quiet), and the
unbounded setting writes entries in place, so a second process could read half a file. ``_Store`` writes each entry
to a temporary file and renames it into place (a reader sees a whole entry or none, with no lock), marks use by the
entry's modification time, and lists the folder once per process that stores something, trimming the oldest entries
when the folder outgrows ``MAX_BYTES`` (each process counts its own stores after that listing, so processes storing
side by side can take the folder past the bound until one of them trims). It is put in JAX's own cache slot, a
private name (``jax._src.compilation_cache._cache``), before JAX builds its cache; where that slot is missing
(another JAX version), JAX's own bounded cache is used, as before.

Enabled on first use of the engine or the renderer, never at ``import optiviz``: importing stays free of JAX.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

__all__ = ["enable", "disable", "location", "directory", "ENV_DIR", "ENV_OFF", "MAX_BYTES"]

ENV_DIR = "OPTIVIZ_CACHE_DIR"
ENV_OFF = "OPTIVIZ_NO_CACHE"
#: the bound on the cache's size on disk: when a store takes the folder past it, the least recently used entries go
#: (down to ``TRIM_TO`` of it). optiviz's programs are ~20 kB, so 64 MiB holds ~3,000 of them.
MAX_BYTES = 64 * 2**20
TRIM_TO = 0.8
_ENTRY = "-cache"  # JAX's names: <key>-cache, and <key>-atime beside it for JAX's own LRU cache
_LOCK = threading.Lock()
_MINE: list[str] = []  # the folder enable() gave JAX, once it has
_STALE_TMP_SECONDS = 3600.0  # a temporary file older than this was left by a killed process



def _env_off() -> bool:
    return os.environ.get(ENV_OFF, "").strip().lower() not in ("", "0", "false", "no", "off")


def directory() -> Path:
    """Where the cache lives when it is on: ``$OPTIVIZ_CACHE_DIR`` or the user cache directory's ``optiviz/jax``."""
    given = os.environ.get(ENV_DIR, "").strip()
    if given:
        from ._check import expand_user
        from .errors import InvalidValueError

        try:
            return expand_user(given)
        except InvalidValueError as exc:
            raise InvalidValueError(f"{ENV_DIR}: {exc}") from None
    import platformdirs

    return Path(platformdirs.user_cache_dir("optiviz", appauthor=False)) / "jax"


def disable() -> None:
    """Turn the cache off for this process and the processes it starts (``--no-cache`` sets ``OPTIVIZ_NO_CACHE``).

    Call it before the first compilation: JAX decides once per process whether it uses the cache."""
    import sys

    os.environ[ENV_OFF] = "1"
    if "jax" in sys.modules:
        import jax

        jax.config.update("jax_enable_compilation_cache", False)


def enable() -> Path | None:
    """Point JAX's persistent compilation cache at ``directory()``; the directory in use, or None when the cache is
    off or cannot be created (a read-only home, say: programs are then compiled in each run). Cheap to call again."""
    if _env_off():
        return None
    import jax

    with _LOCK:  # the server's warm-up thread and a request can both get here first
        given = jax.config.jax_compilation_cache_dir
        if given:  # set before (by us, or by the user: theirs to keep)
            if _MINE and given == _MINE[0]:
                _install(Path(given))  # puts the store back after JAX's reset_cache(); otherwise a no-op
            return Path(given)
        path = directory()
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError:
            return None
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
        jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)  # every size (0 means "JAX's default")
        # the store goes in before the folder is published: a compile in another thread meanwhile uses no cache,
        # rather than making JAX build its own
        if not _install(path):
            try:  # JAX's bounded cache, which locks the folder (it needs filelock, a dependency of optiviz)
                import filelock  # noqa: F401

                jax.config.update("jax_compilation_cache_max_size", MAX_BYTES)
            except ImportError:
                pass
        jax.config.update("jax_compilation_cache_dir", str(path))
        _MINE[:] = [str(path)]
        return path


def location() -> Path | None:
    """The directory JAX stores compiled programs in, or None when the cache is off or not enabled yet."""
    import sys

    if _env_off() or "jax" not in sys.modules:
        return None
    import jax

    return Path(jax.config.jax_compilation_cache_dir) if jax.config.jax_compilation_cache_dir else None


def _install(path: Path) -> bool:
    """Make ``_Store(path)`` JAX's persistent cache, before JAX builds its own; False where JAX has no such hook (or
    has already built its cache in this process)."""
    try:
        from jax._src import compilation_cache as jcc

        _store_type()
    except ImportError:
        return False
    if not all(hasattr(jcc, name) for name in ("_cache", "_cache_initialized", "_cache_initialized_mutex")):
        return False
    import jax

    # the user asked JAX for its own cache's behaviour (a size bound, content checks): theirs to keep
    if getattr(jax.config, "jax_compilation_cache_max_size", -1) != -1 or \
            getattr(jax.config, "jax_compilation_cache_check_contents", False):
        return False
    with jcc._cache_initialized_mutex:
        if jcc._cache_initialized or jcc._cache is not None:
            return isinstance(jcc._cache, _store_type())
        jcc._cache = _store_type()(path)
        jcc._cache_initialized = True
    return True


_STORE_TYPE: list[type] = []  # made on first use: its base class is JAX's


def _store_type() -> type:
    """The class of optiviz's cache folder (``_Store``), a subclass of JAX's cache interface."""
    if _STORE_TYPE:
        return _STORE_TYPE[0]
    from jax._src.compilation_cache_interface import CacheInterface

    class _Store(CacheInterface):  # type: ignore[misc]
        """JAX's persistent cache as files ``<key>-cache`` in one folder, written whole by a rename.

        ``get`` reads an entry and touches its modification time (the recency mark); ``put`` writes a new entry to a
        temporary file and renames it into place, then trims the folder when it has outgrown ``MAX_BYTES``: the
        folder is listed on the first store of a process and its size kept up to date by the process's own stores
        after that. Another process may delete an entry at any time; a read that loses that race is a miss."""

        def __init__(self, path: Path) -> None:
            self._path = Path(path)
            self._bytes: int | None = None  # the folder's size as this process last knew it

        def get(self, key: str) -> bytes | None:
            entry = self._path / f"{key}{_ENTRY}"
            try:
                value = entry.read_bytes()
            except OSError:
                return None
            try:
                os.utime(entry)
            except OSError:
                pass
            return value

        def put(self, key: str, value: bytes) -> None:
            entry = self._path / f"{key}{_ENTRY}"
            if entry.exists():
                return
            import time

            from . import _atomic
            from .errors import OptivizError

            atime = entry.with_name(f"{key}-atime")
            try:  # JAX's own cache (an older optiviz, another JAX) reads <key>-atime beside every entry it lists
                atime.write_bytes(time.time_ns().to_bytes(8, "little"))
                _atomic.write_bytes(entry, value)
            except (OSError, OptivizError):  # a full or read-only disk, a folder gone: the program is not kept
                _unlink(atime)
                return
            if self._bytes is None:
                self._bytes = _folder_bytes(self._path)
            else:
                self._bytes += len(value)
            if self._bytes > MAX_BYTES:
                self._bytes = _trim(self._path, int(MAX_BYTES * TRIM_TO))

    _STORE_TYPE.append(_Store)
    return _Store


def _entries(folder: Path) -> list[tuple[float, int, Path]]:
    """(modification time, size, path) of each entry; stale temporary files left by a killed process are removed."""
    import time

    found, now = [], time.time()
    with os.scandir(folder) as it:
        for item in it:
            try:
                st = item.stat()
            except OSError:
                continue
            if item.name.endswith(_ENTRY):
                found.append((st.st_mtime, st.st_size, Path(item.path)))
            elif item.name.startswith(".") and _ENTRY + "." in item.name and item.name.endswith(".part") and \
                    now - st.st_mtime > _STALE_TMP_SECONDS:  # only the temporary names _atomic gives our entries
                _unlink(Path(item.path))
    return found


def _folder_bytes(folder: Path) -> int:
    return sum(size for _, size, _ in _entries(folder))


def _trim(folder: Path, target: int) -> int:
    """Delete the least recently used entries until the folder holds at most ``target`` bytes; the bytes left."""
    entries = sorted(_entries(folder))
    total = sum(size for _, size, _ in entries)
    for _, size, entry in entries:
        if total <= target:
            break
        _unlink(entry)
        _unlink(entry.with_name(entry.name[:-len(_ENTRY)] + "-atime"))
        total -= size
    return total


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except OSError:  # gone already (another process trimmed it) or not ours to delete
        pass
