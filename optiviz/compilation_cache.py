"""JAX's persistent compilation cache, kept in the user's cache directory, so a second run compiles nothing.

    ov.compilation_cache.enable()      # what run(), tune(), surface checks, training and rendering call first
    ov.compilation_cache.location()    # the directory in use, or None

Where: ``$OPTIVIZ_CACHE_DIR`` when set, else the platform's user cache directory for optiviz (``platformdirs``:
``$XDG_CACHE_HOME/optiviz`` or ``~/.cache/optiviz`` on Linux, ``~/Library/Caches/optiviz`` on macOS,
``%LOCALAPPDATA%\\optiviz\\Cache`` on Windows), in its subfolder ``jax``. Off: ``OPTIVIZ_NO_CACHE=1``, the command
line's ``--no-cache``, or ``disable()``. A cache directory the user already gave JAX (``JAX_COMPILATION_CACHE_DIR``)
is left as it is.

Why these settings: JAX stores only programs that took at least a second to compile unless told otherwise, and
optiviz's programs compile in tenths of a second, so the minimum compile time and entry size are 0. A size bound
(``MAX_BYTES``) turns on JAX's least-recently-used eviction, which also takes a file lock (``filelock``) around every
read and write: two processes sharing the directory never see half a file. Entries are keyed by JAX's version, the
program and the compiler flags, so an upgrade never reads a stale program.

Enabled on first use of the engine or the renderer, never at ``import optiviz``: importing stays free of JAX.
"""
from __future__ import annotations

import os
from pathlib import Path

__all__ = ["enable", "disable", "location", "directory", "ENV_DIR", "ENV_OFF", "MAX_BYTES"]

ENV_DIR = "OPTIVIZ_CACHE_DIR"
ENV_OFF = "OPTIVIZ_NO_CACHE"
#: the bound on the cache's size on disk (least recently used entries go first). Why not larger: JAX's eviction
#: lists and reads every entry on each write (~25 us an entry), and optiviz's entries are small (~20 kB), so the
#: bound is also the worst cost of storing a program: 64 MiB holds ~3,000 programs (the whole test suite stores
#: ~1,200) and caps a store at ~0.08 s, where 512 MiB let it reach ~0.6 s on a well-used cache.
MAX_BYTES = 64 * 2**20



def _env_off() -> bool:
    return os.environ.get(ENV_OFF, "").strip().lower() not in ("", "0", "false", "no", "off")


def directory() -> Path:
    """Where the cache lives when it is on: ``$OPTIVIZ_CACHE_DIR`` or the user cache directory's ``optiviz/jax``."""
    given = os.environ.get(ENV_DIR, "").strip()
    if given:
        return Path(given).expanduser()
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

    if jax.config.jax_compilation_cache_dir:  # set before (by us, or by the user: theirs to keep)
        return Path(jax.config.jax_compilation_cache_dir)
    path = directory()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    jax.config.update("jax_compilation_cache_dir", str(path))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)  # every size (0 means "JAX's default")
    try:  # the size bound is what makes JAX lock the directory (it needs filelock, a dependency of optiviz)
        import filelock  # noqa: F401

        jax.config.update("jax_compilation_cache_max_size", MAX_BYTES)
    except ImportError:
        pass
    return path


def location() -> Path | None:
    """The directory JAX stores compiled programs in, or None when the cache is off or not enabled yet."""
    import sys

    if _env_off() or "jax" not in sys.modules:
        return None
    import jax

    return Path(jax.config.jax_compilation_cache_dir) if jax.config.jax_compilation_cache_dir else None
