"""A small generic registry of named things: optimizers, activations, schedules, surfaces, writers.

Built-ins are registered with the ``register`` decorator when their module is imported. Third-party
plugins are discovered through the entry-point group ``optiviz.<kind>`` and loaded lazily: a plugin's module is
imported only when its name is asked for. A plugin whose name shadows a built-in is refused: asking for that
name raises an error naming the plugin (as for surfaces), rather than silently picking one of the two.

Scanning the installed distributions for entry points takes milliseconds, so the result is cached per
``sys.path``; call ``refresh()`` after installing a plugin into a running interpreter.

``catalog()`` is what listing and describing read: each entry's name, one-line summary and hyperparameters, taken
from what was registered, without building, checking or compiling anything and without importing a plugin.

``snapshot()`` remembers the names in every registry and gives back a function that forgets what user code
registered since: a runner of user scripts (``optiviz gallery``'s workers) hands each script the names a fresh
process has.
"""
from __future__ import annotations

import difflib
import sys
import weakref
from importlib import import_module, metadata
from types import FrameType
from typing import Any, Callable, Generic, Iterator, NamedTuple, TypeVar

from ._check import clip, show
from .errors import InvalidTypeError, OptivizError, UnknownNameError, UserCodeError

T = TypeVar("T")


def did_you_mean(name: str, choices: list[str]) -> str:
    """A short hint listing the closest matches of ``name`` among ``choices`` (or all of them)."""
    close = difflib.get_close_matches(name[:80], choices, n=3, cutoff=0.5)  # difflib is quadratic in length
    if close:
        return "did you mean " + " or ".join(repr(c) for c in close) + "?"
    return "choose from: " + ", ".join(choices)


def _docstring_summary(entry: Any) -> tuple[str, dict[str, Any]]:
    import inspect

    return getattr(entry, "doc", None) or inspect.getdoc(entry) or "", {}


def describe_entry_point(ep: metadata.EntryPoint) -> str:
    """``name = module:attr from the distribution 'dist'``: how messages name an installed plugin."""
    dist = getattr(ep, "dist", None)
    owner = f" from the distribution {dist.name!r}" if dist is not None and getattr(dist, "name", None) else ""
    return f"{ep.name} = {ep.value}{owner}"


_registries: weakref.WeakSet[Registry[Any]] = weakref.WeakSet()  # every registry made, for snapshot()


class CatalogEntry(NamedTuple):
    """One row of ``Registry.catalog()``: what listing and describing show, read without building anything.

    ``summary`` is the entry's first paragraph on one line; ``hyperparameters`` maps each parameter to its default;
    ``plugin`` describes the entry point (``name = module:attr from the distribution 'x'``) for an installed plugin
    that was not loaded, else None; ``problem`` says why a built-in cannot be used (a plugin shadows it), else None.
    """

    name: str
    summary: str
    hyperparameters: dict[str, Any]
    plugin: str | None = None
    problem: str | None = None


def first_paragraph(text: str) -> str:
    """The first paragraph of ``text`` on one line."""
    return " ".join(text.strip().split("\n\n")[0].split())


class Registry(Generic[T]):
    """Name -> object, with did-you-mean on a miss and entry-point plugins.

    ``builtins`` names a module whose import registers the built-in entries; it is imported on first use,
    so creating a registry costs nothing. ``adapt(name, obj)`` turns what a plugin's entry point loads into
    the registry's entry type (for example a bare optimizer factory into an ``OptimizerInfo``).
    ``describe(entry) -> (summary, hyperparameters)`` reads an entry's metadata for ``catalog()`` (by default its
    docstring's first paragraph and no hyperparameters); it must not build or evaluate anything.
    """

    def __init__(self, kind: str, *, builtins: str | None = None,
                 adapt: Callable[[str, Any], T] | None = None,
                 describe: Callable[[T], tuple[str, dict[str, Any]]] | None = None) -> None:
        self.kind = kind
        self.group = f"optiviz.{kind}"
        self._builtins_module = builtins
        self._adapt = adapt
        self._describe = describe or _docstring_summary
        self._entries: dict[str, T] = {}
        self._plugins: dict[str, T] = {}
        self._owner: dict[str, str | None] = {}  # name -> the module whose import registered it (see snapshot())
        self._loaded_builtins = builtins is None
        self._eps_key: tuple[str, ...] | None = None
        self._eps: list[metadata.EntryPoint] = []
        _registries.add(self)

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
            self._owner[key] = _importing()
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

    def entry_points(self) -> list[metadata.EntryPoint]:
        """The installed entry points of this registry's group (nothing imported): the one scan of the installed
        distributions, cached per ``sys.path``. Every caller that looks for plugins asks here."""
        key = tuple(sys.path)
        if key != self._eps_key:
            self._eps = list(metadata.entry_points(group=self.group))
            self._eps_key = key
        return self._eps

    def _shadowing(self, name: str) -> list[metadata.EntryPoint]:
        return [ep for ep in self.entry_points() if ep.name == name]

    def _load_plugin(self, name: str) -> T | None:
        eps = self._shadowing(name)
        if not eps:
            return None
        if len({ep.value for ep in eps}) > 1:
            raise OptivizError(f"several installed plugins provide the {self._noun} {name!r}: "
                               + "; ".join(describe_entry_point(ep) for ep in eps) + "; uninstall all but one")
        ep = eps[0]
        try:
            obj = ep.load()
            if self._adapt is not None:
                obj = self._adapt(name, obj)
        except OptivizError:
            raise
        except Exception as exc:  # a broken plugin is the user's to fix: say which one
            raise OptivizError(f"cannot load the {self._noun} plugin {describe_entry_point(ep)}: "
                               f"{type(exc).__name__}: {clip(str(exc))}") from exc
        except (SystemExit, GeneratorExit) as exc:  # a plugin that exits at import must not end optiviz silently
            code = clip(repr(getattr(exc, "code", None)), 40)
            raise UserCodeError(f"the {self._noun} plugin {describe_entry_point(ep)} called sys.exit({code}) while being "
                                "imported") from None
        self._plugins[name] = obj
        return obj

    def _shadow_message(self, name: str, ep: metadata.EntryPoint) -> str:
        return (f"the installed plugin ({describe_entry_point(ep)}, group {self.group}) shadows the built-in {self._noun} "
                f"{name!r}; built-in names are reserved, so rename the plugin's entry point")

    def get(self, name: str) -> T:
        """The entry called ``name``; an unknown name raises ``UnknownNameError`` with close matches.

        A built-in that an installed plugin shadows raises ``OptivizError`` naming the plugin; a name that is
        not a string (``None``, a number) raises ``InvalidTypeError``.
        """
        if not isinstance(name, str):
            article = "an" if self._noun[:1] in "aeiou" else "a"
            raise InvalidTypeError(f"{article} {self._noun} is given by its name, such as {self._example()!r}, "
                                   f"got {show(name)}")
        self._ensure_builtins()
        if name in self._entries:
            clash = self._shadowing(name)
            if clash:
                raise OptivizError(self._shadow_message(name, clash[0]))
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
            found |= {ep.name for ep in self.entry_points()} | set(self._plugins)
        return sorted(found)

    def builtin_names(self) -> list[str]:
        return self.names(plugins=False)

    def items(self) -> Iterator[tuple[str, Any]]:
        """(name, entry) for the built-ins, sorted by name."""
        self._ensure_builtins()
        return iter(sorted(self._entries.items()))

    def catalog(self) -> list[CatalogEntry]:
        """Every name with its summary and hyperparameters, sorted by name, read from what was registered.

        Nothing is built, checked or compiled, and no plugin is imported: a plugin is listed by its entry point
        (``plugin``), and a built-in that a plugin shadows says so (``problem``) instead of failing the listing.
        """
        self._ensure_builtins()
        plugins: dict[str, list[metadata.EntryPoint]] = {}
        for ep in self.entry_points():
            plugins.setdefault(ep.name, []).append(ep)
        rows = []
        for name in self.names():
            if name in self._entries:
                summary, hyper = self._describe(self._entries[name])
                problem = self._shadow_message(name, plugins[name][0]) if name in plugins else None
                rows.append(CatalogEntry(name, first_paragraph(summary), dict(hyper), None, problem))
            elif name in self._plugins:  # already loaded by get(): its metadata is known
                summary, hyper = self._describe(self._plugins[name])
                rows.append(CatalogEntry(name, first_paragraph(summary), dict(hyper),
                                         "; ".join(describe_entry_point(ep) for ep in plugins.get(name, []))))
            else:
                rows.append(CatalogEntry(name, "", {}, "; ".join(describe_entry_point(ep) for ep in plugins[name])))
        return rows

    def __contains__(self, name: object) -> bool:
        self._ensure_builtins()
        if name in self._entries or name in self._plugins:
            return True
        return any(ep.name == name for ep in self.entry_points())

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {len(self._entries)} built-in)"


def _importing() -> str | None:
    """The module whose import runs the caller: the innermost module-level frame on the stack, unless that is
    ``__main__`` (a script, a notebook cell: the user's own code, not an import)."""
    frame: FrameType | None = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_name == "<module>":
            name = frame.f_globals.get("__name__")
            return name if isinstance(name, str) and name != "__main__" else None
        frame = frame.f_back
    return None


def snapshot() -> Callable[[], None]:
    """Remember every registry's names now; the function returned puts them back.

    A name registered since goes, unless a module registered it as it was imported and is still imported
    (``sys.modules``): that is how optiviz's built-ins register (decorators at module level, and the ``builtins``
    module a registry imports on first use, whoever triggered it), and a library's names belong to it as long as
    it stays imported, as in a fresh process that imports it. So a snapshot taken before a registry loads its
    built-ins, or before its module was imported, does not empty it, and a forgotten module (one removed from
    ``sys.modules`` to be imported afresh) takes its names along. Plugins loaded since are forgotten (they load
    again when asked for); names removed since come back."""
    saved = {reg: (dict(reg._entries), dict(reg._plugins)) for reg in list(_registries)}

    def restore() -> None:
        for reg in list(_registries):
            entries, plugins = saved.get(reg, ({}, {}))
            kept = {k: entries.get(k, v) for k, v in reg._entries.items()
                    if k in entries or reg._owner.get(k) in sys.modules}
            reg._entries.clear()
            reg._entries.update({**kept, **entries})
            for k in set(reg._owner) - set(reg._entries):
                del reg._owner[k]
            reg._plugins.clear()
            reg._plugins.update(plugins)

    return restore
