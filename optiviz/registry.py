"""A small generic registry of named things: optimizers, activations, schedules, surfaces, writers.

Built-ins are registered with the ``register`` decorator when their module is imported. Third-party
plugins are discovered through the entry-point group ``optiviz.<kind>`` and loaded lazily, only when a
name is not found among the built-ins; a plugin whose name shadows a built-in is refused.
"""
from __future__ import annotations

import difflib
from importlib import import_module, metadata
from typing import Any, Callable, Generic, Iterator, TypeVar

from .errors import OptivizError, UnknownNameError

T = TypeVar("T")


def did_you_mean(name: str, choices: list[str]) -> str:
    """A short hint listing the closest matches of ``name`` among ``choices`` (or all of them)."""
    close = difflib.get_close_matches(name, choices, n=3, cutoff=0.5)
    if close:
        return "did you mean " + " or ".join(repr(c) for c in close) + "?"
    return "choose from: " + ", ".join(choices)


class Registry(Generic[T]):
    """Name -> object, with did-you-mean on a miss and entry-point plugins.

    ``builtins`` names a module whose import registers the built-in entries; it is imported on first use,
    so creating a registry costs nothing.
    """

    def __init__(self, kind: str, *, builtins: str | None = None) -> None:
        self.kind = kind
        self.group = f"optiviz.{kind}"
        self._builtins_module = builtins
        self._entries: dict[str, T] = {}
        self._plugins: dict[str, T] = {}
        self._loaded_builtins = builtins is None

    def register(self, name: str | None = None, obj: T | None = None) -> Callable[[T], T] | T:
        """Register ``obj`` under ``name``; used as ``@registry.register("name")`` or called directly."""

        def decorator(o: T) -> T:
            key = name or getattr(o, "name", None) or getattr(o, "__name__")
            if key in self._entries:
                raise OptivizError(f"{self.kind} {key!r} is already registered")
            self._entries[key] = o
            return o

        return decorator if obj is None else decorator(obj)

    def _ensure_builtins(self) -> None:
        if not self._loaded_builtins:
            self._loaded_builtins = True
            import_module(self._builtins_module)

    def _entry_points(self) -> list[metadata.EntryPoint]:
        return list(metadata.entry_points(group=self.group))

    def _load_plugin(self, name: str) -> T | None:
        for ep in self._entry_points():
            if ep.name != name:
                continue
            if name in self._entries:
                raise OptivizError(
                    f"plugin {ep.value!r} registers {self.kind} {name!r}, which shadows a built-in; rename it"
                )
            try:
                obj = ep.load()
            except Exception as exc:  # a broken plugin is the user's to fix: say which one
                raise OptivizError(f"cannot load {self.kind} plugin {name!r} ({ep.value}): {exc}") from exc
            self._plugins[name] = obj
            return obj
        return None

    def get(self, name: str) -> T:
        """The entry called ``name``; an unknown name raises ``UnknownNameError`` with close matches."""
        self._ensure_builtins()
        if name in self._entries:
            return self._entries[name]
        if name in self._plugins:
            return self._plugins[name]
        plugin = self._load_plugin(name)
        if plugin is not None:
            return plugin
        raise UnknownNameError(f"unknown {self.kind[:-1] if self.kind.endswith('s') else self.kind} "
                               f"{name!r}; {did_you_mean(name, self.names())}")

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
        self._ensure_builtins()
        return iter(sorted(self._entries.items()))

    def __contains__(self, name: object) -> bool:
        self._ensure_builtins()
        return name in self._entries or name in {ep.name for ep in self._entry_points()}

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {len(self._entries)} built-in)"
