"""A small generic registry of named things: optimizers, activations, schedules, surfaces, writers.

Built-ins are registered with the ``register`` decorator when their module is imported. Third-party
plugins are discovered through the entry-point group ``optiviz.<kind>`` and loaded lazily: a plugin's module is
imported only when its name is asked for. A plugin whose name shadows a built-in is refused: asking for that
name raises an error naming the plugin (as for surfaces), rather than silently picking one of the two.

Scanning the installed distributions for entry points takes milliseconds, so the result is cached per
``sys.path``; call ``refresh()`` after installing a plugin into a running interpreter.
"""
from __future__ import annotations

import difflib
import sys
from importlib import import_module, metadata
from typing import Any, Callable, Generic, Iterator, TypeVar

from ._check import clip, show
from .errors import InvalidTypeError, OptivizError, UnknownNameError

T = TypeVar("T")


def did_you_mean(name: str, choices: list[str]) -> str:
    """A short hint listing the closest matches of ``name`` among ``choices`` (or all of them)."""
    close = difflib.get_close_matches(name[:80], choices, n=3, cutoff=0.5)  # difflib is quadratic in length
    if close:
        return "did you mean " + " or ".join(repr(c) for c in close) + "?"
    return "choose from: " + ", ".join(choices)


def _describe(ep: metadata.EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    owner = f" from the distribution {dist.name!r}" if dist is not None and getattr(dist, "name", None) else ""
    return f"{ep.name} = {ep.value}{owner}"


class Registry(Generic[T]):
    """Name -> object, with did-you-mean on a miss and entry-point plugins.

    ``builtins`` names a module whose import registers the built-in entries; it is imported on first use,
    so creating a registry costs nothing. ``adapt(name, obj)`` turns what a plugin's entry point loads into
    the registry's entry type (for example a bare optimizer factory into an ``OptimizerInfo``).
    """

    def __init__(self, kind: str, *, builtins: str | None = None,
                 adapt: Callable[[str, Any], T] | None = None) -> None:
        self.kind = kind
        self.group = f"optiviz.{kind}"
        self._builtins_module = builtins
        self._adapt = adapt
        self._entries: dict[str, T] = {}
        self._plugins: dict[str, T] = {}
        self._loaded_builtins = builtins is None
        self._eps_key: tuple[str, ...] | None = None
        self._eps: list[metadata.EntryPoint] = []

    @property
    def _noun(self) -> str:
        return self.kind[:-1] if self.kind.endswith("s") else self.kind

    def register(self, name: str | None = None, obj: T | None = None) -> Callable[[T], T] | T:
        """Register ``obj`` under ``name``; used as ``@registry.register("name")`` or called directly.

        A name already registered is refused (``OptivizError``): two built-ins may not share a name.
        """

        def decorator(o: T) -> T:
            key = name or getattr(o, "name", None) or getattr(o, "__name__")
            if key in self._entries:
                raise OptivizError(f"{self._noun} {key!r} is already registered")
            self._entries[key] = o
            return o

        return decorator if obj is None else decorator(obj)

    def _ensure_builtins(self) -> None:
        if not self._loaded_builtins:
            self._loaded_builtins = True  # first, so that the module may use this registry while it loads
            try:
                import_module(self._builtins_module)
            except BaseException:
                self._loaded_builtins = False
                raise

    def refresh(self) -> None:
        """Forget the cached entry-point scan (after installing a plugin into a running interpreter)."""
        self._eps_key = None

    def _entry_points(self) -> list[metadata.EntryPoint]:
        key = tuple(sys.path)
        if key != self._eps_key:
            self._eps = list(metadata.entry_points(group=self.group))
            self._eps_key = key
        return self._eps

    def _shadowing(self, name: str) -> list[metadata.EntryPoint]:
        return [ep for ep in self._entry_points() if ep.name == name]

    def _load_plugin(self, name: str) -> T | None:
        eps = self._shadowing(name)
        if not eps:
            return None
        if len({ep.value for ep in eps}) > 1:
            raise OptivizError(f"several installed plugins provide the {self._noun} {name!r}: "
                               + "; ".join(_describe(ep) for ep in eps) + "; uninstall all but one")
        ep = eps[0]
        try:
            obj = ep.load()
            if self._adapt is not None:
                obj = self._adapt(name, obj)
        except OptivizError:
            raise
        except Exception as exc:  # a broken plugin is the user's to fix: say which one
            raise OptivizError(f"cannot load the {self._noun} plugin {_describe(ep)}: "
                               f"{type(exc).__name__}: {exc}") from exc
        self._plugins[name] = obj
        return obj

    def get(self, name: str) -> T:
        """The entry called ``name``; an unknown name raises ``UnknownNameError`` with close matches.

        A built-in that an installed plugin shadows raises ``OptivizError`` naming the plugin; a name that is
        not a string (``None``, a number) raises ``InvalidTypeError``.
        """
        if not isinstance(name, str):
            raise InvalidTypeError(f"a {self._noun} is given by its name, such as {self._example()!r}, "
                                   f"got {show(name)}")
        self._ensure_builtins()
        if name in self._entries:
            clash = self._shadowing(name)
            if clash:
                raise OptivizError(
                    f"the installed plugin ({_describe(clash[0])}, group {self.group}) shadows the built-in "
                    f"{self._noun} {name!r}; built-in names are reserved, so rename the plugin's entry point")
            return self._entries[name]
        if name in self._plugins:
            return self._plugins[name]
        plugin = self._load_plugin(name)
        if plugin is not None:
            return plugin
        raise UnknownNameError(f"unknown {self._noun} {show(name)}; {did_you_mean(clip(name), self.names())}")

    def _example(self) -> str:
        names = self.builtin_names()
        return names[0] if names else "name"

    def names(self, *, plugins: bool = True) -> list[str]:
        """Sorted names of the built-ins, and of installed plugins unless ``plugins=False``."""
        self._ensure_builtins()
        found = set(self._entries)
        if plugins:
            found |= {ep.name for ep in self._entry_points()} | set(self._plugins)
        return sorted(found)

    def builtin_names(self) -> list[str]:
        return self.names(plugins=False)

    def items(self) -> Iterator[tuple[str, Any]]:
        """(name, entry) for the built-ins, sorted by name."""
        self._ensure_builtins()
        return iter(sorted(self._entries.items()))

    def __contains__(self, name: object) -> bool:
        self._ensure_builtins()
        if name in self._entries or name in self._plugins:
            return True
        return any(ep.name == name for ep in self._entry_points())

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {len(self._entries)} built-in)"
