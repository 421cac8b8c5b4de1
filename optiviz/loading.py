"""Spec -> Surface, the one owner: a built-in -> ``file.py:name`` -> ``package.module:name`` -> entry point.

    "ravine", "bowl:condition=50"             a built-in, with parameters after a colon
    "path/to/my_surfaces.py:bowl"             a file (``.py`` or a path separator marks it), then the function
    "my_package.surfaces:bowl"                an importable module, then the function
    "bump"                                    an entry point named ``bump`` in the group ``optiviz.surfaces``
    "expr:x**2 + 10*y**2"                     a formula, parsed safely by ``optiviz.expr`` (never evaluated)

Any of the first four may end in ``:key=value,...`` to bind the surface's parameters. The object found may be a
``Surface`` or a plain function ``f(x, y)``; for a plain function (or a formula) the domain is inferred unless
given. User code runs only here, and only the file, module or plugin the user named: nothing is scanned.

Every problem raises ``SurfaceError`` whose message starts with the spec and says what is wrong.
"""
from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import os
import sys
import weakref
from collections import OrderedDict
from importlib import metadata
from pathlib import Path
from typing import Any, Callable

from ._check import clip, expand_user, show
from ._dtype import compute
from .errors import OptivizError, SurfaceError, UserCodeError
from .registry import describe_entry_point, did_you_mean
from .surface import Surface, _first_line, registry, surface, with_view

__all__ = ["load_surface", "from_callable", "from_formula", "infer_domain", "parse_params"]

GROUP = "optiviz.surfaces"
DEFAULT_DOMAIN = ((-3.0, 3.0), (-3.0, 3.0))


def _fail(spec: Any, what: str) -> SurfaceError:
    return SurfaceError(f"surface spec {_shown(spec)}: {what}")


def _shown(spec: Any) -> str:
    # a path may be long and is worth quoting whole; past 300 characters it is no path anyone typed
    return show(spec, 300) if isinstance(spec, str) and len(spec) <= 300 else show(spec)


def _exited(spec: Any, where: str, exc: BaseException) -> UserCodeError:
    """A user's file, module or plugin that called ``sys.exit`` (or raised another ``BaseException``) at import:
    one line naming it (exit 2), instead of optiviz exiting with the user's code and no message."""
    what = f"called sys.exit({clip(repr(exc.code), 40)})" if isinstance(exc, SystemExit) else \
        f"raised {type(exc).__name__}"
    return UserCodeError(f"surface spec {_shown(spec)}: {where} {what} while being imported; a surface module must "
                         "define functions, not exit")


# ------------------------------------------------------------------------------------------------ entry

def load_surface(spec: "str | Surface | Callable[..., Any]", *, domain: Any = None, start: Any = None,
                 **params: Any) -> Surface:
    """Resolve ``spec`` to a checked ``Surface``.

    ``spec`` is a Surface, a plain function f(x, y), a built-in name with optional parameters
    (``"bowl:condition=50"``), ``"path/to/file.py:name"``, ``"package.module:name"``, an installed plugin's name,
    or ``"expr:<formula in x and y>"``. Keyword ``params`` are bound with ``with_params``; ``domain`` and ``start``
    replace the surface's own (for a plain function or a formula, the domain is otherwise inferred).
    Every problem raises ``SurfaceError`` naming the spec.
    """
    if isinstance(spec, Surface):
        s = spec.with_params(**params) if params else spec
        return with_view(s, domain, start, who=f"surface {s.name!r}").check()
    return _load(spec, params, domain=domain, start=start)


def _load(spec: Any, params: dict[str, Any], *, domain: Any = None, start: Any = None) -> Surface:
    """Resolve a spec string or a plain function to a checked Surface (see the module docstring)."""
    if callable(spec) and not isinstance(spec, str):
        label = getattr(spec, "__name__", repr(spec))
        s = from_callable(spec, label, domain=domain, start=start)
        return _finish(s, params, None, None, label)
    if not isinstance(spec, str):
        raise SurfaceError(f"cannot make a surface from {type(spec).__name__} {spec!r}: give a name, a spec "
                           f"string, a Surface or a function f(x, y)")
    text = spec.strip()
    if not text:
        raise SurfaceError("empty surface spec: give a name such as 'ravine' (see optiviz list surfaces)")
    if text.startswith("expr:"):
        if params:
            raise _fail(spec, f"a formula takes no parameters (got {', '.join(params)})")
        return from_formula(text[len("expr:"):], spec, domain=domain, start=start).check(spec)
    target, bound = _split_params(text, spec)
    bound.update(params)
    s, user = _find(target, spec, domain=domain, start=start)
    # a user's plain function got the domain/start at construction; a Surface gets them replaced afterwards
    return _finish(s, bound, None if user else domain, None if user else start, spec)


def _finish(s: Surface, params: dict[str, Any], domain: Any, start: Any, spec: str) -> Surface:
    if params:
        try:
            s = s.with_params(**params)
        except SurfaceError as exc:
            raise _fail(spec, str(exc)) from None
    s = with_view(s, domain, start, who=f"surface spec {spec!r}")
    return s.check(spec)


def parse_params(text: str, spec: str) -> dict[str, Any]:
    """``"condition=50,a=1.5"`` -> {"condition": 50, "a": 1.5} (ints stay ints)."""
    out: dict[str, Any] = {}
    for item in filter(None, (t.strip() for t in text.split(","))):
        key, sep, raw = item.partition("=")
        key, raw = key.strip(), raw.strip()
        if not sep or not key:
            raise SurfaceError(f"surface spec {spec!r}: parameters must look like name:key=value,key=value")
        try:
            out[key] = int(raw) if raw.lstrip("+-").isdigit() else float(raw)
        except ValueError:
            raise SurfaceError(f"surface spec {spec!r}: {key}={raw!r} is not a number") from None
    return out


def _split_params(text: str, spec: str) -> tuple[str, dict[str, Any]]:
    """``"bowl:condition=50"`` -> ("bowl", {"condition": 50}); the parameter list is the last ``:``-part when it
    holds a ``=`` (a file or module name never does)."""
    head, sep, tail = text.rpartition(":")
    if sep and "=" in tail and not _is_drive(head):
        return head.strip(), parse_params(tail, spec)
    return text, {}


def _is_drive(head: str) -> bool:
    return len(head) == 1 and head.isalpha()  # "C:\\..." on Windows


def _looks_like_file(target: str) -> bool:
    path, _ = _split_attr(target)
    return path.endswith(".py") or "/" in path or "\\" in path


def _find(target: str, spec: str, *, domain: Any, start: Any) -> tuple[Surface, bool]:
    """The surface ``target`` names, and whether it was built here from a user's plain function."""
    # 1. a built-in
    if target in registry.builtin_names():
        _refuse_shadowing(target, spec)
        return registry.get(target), False
    head = target.split(":", 1)[0]
    if head in registry.builtin_names():  # "bowl:condition" (no value)
        raise _fail(spec, f"parameters must look like {head}:key=value,key=value")
    # 2. a file: "path/to/file.py:name" (or "file.py" holding one surface)
    if _looks_like_file(target):
        path, attr = _split_attr(target)
        return _pick(_from_file(path, spec), attr, spec, path, domain, start)
    # 3. a module: "package.module:name"
    if ":" in target:
        module, attr = _split_attr(target)
        return _pick(_from_module(module, spec), attr, spec, module, domain, start)
    # 4. an installed plugin
    ep = _entry_point(target, spec)
    if ep is not None:
        try:
            obj = ep.load()
        except Exception as exc:
            raise _fail(spec, f"the plugin {ep.name} = {ep.value} failed to load: {_first_line(exc)}") from exc
        except (SystemExit, GeneratorExit) as exc:
            raise _exited(spec, f"the plugin {ep.name} = {ep.value}", exc) from None
        return _as_surface(obj, spec, ep.name, domain, start)
    known = sorted(set(registry.builtin_names()) | {e.name for e in _entry_points()})
    hint = did_you_mean(target, known)
    if "." in target:
        hint += f"; for a function in a module write {target}:name"
    raise _fail(spec, f"no built-in or plugin surface {show(target)}; {hint}")


def _split_attr(target: str) -> tuple[str, str]:
    head, sep, tail = target.rpartition(":")
    if not sep or _is_drive(head):
        return target, ""
    return head, tail.strip()


# ----------------------------------------------------------------------------------------- user objects

def _as_surface(obj: Any, spec: str, label: str, domain: Any, start: Any) -> tuple[Surface, bool]:
    if isinstance(obj, Surface):
        return obj, False
    if callable(obj):
        return from_callable(obj, label, domain=domain, start=start, spec=spec), True
    raise _fail(spec, f"{label!r} is not a function f(x, y) or a Surface (it is {type(obj).__name__} "
                      f"{_short(obj)})")


def _short(obj: Any) -> str:
    text = repr(obj)
    return text if len(text) <= 40 else text[:37] + "..."


#: plain function -> {(domain, start): Surface}, so the same function gives the same Surface (and program)
_FROM_CALLABLE: "weakref.WeakKeyDictionary[Any, dict[Any, Surface]]" = weakref.WeakKeyDictionary()


def from_callable(fn: Callable[..., Any], label: str, *, domain: Any = None, start: Any = None,
                  spec: str | None = None) -> Surface:
    """A Surface from a plain ``f(x, y)``, with the domain inferred when not given (see ``infer_domain``)."""
    key = (label, _key(domain), _key(start))
    try:
        cache = _FROM_CALLABLE.setdefault(fn, {})
    except TypeError:  # not weak-referenceable (a builtin or a slotted callable): no caching
        cache = {}
    if key in cache:
        return cache[key]
    try:
        s = surface(fn, name=label, domain=domain if domain is not None else infer_domain(fn), start=start)
    except SurfaceError as exc:
        text = str(exc)
        if text.startswith(f"surface {label!r}"):
            text = label + text[len(f"surface {label!r}"):]
        raise _fail(spec or label, text) from None
    cache[key] = s
    return s


def _key(value: Any) -> Any:
    try:
        hash(value)
        return value
    except TypeError:
        return repr(value)


def infer_domain(fn: Callable[..., Any]) -> tuple[tuple[float, float], tuple[float, float]]:
    """A domain for a function that came without one.

    ``[-3, 3]^2`` unless f's lowest point on a coarse grid over ``[-10, 10]^2`` lies outside it; then the square
    around the origin that holds that point with a 30 % margin. A lowest point on the edge of the search box means
    f keeps falling that way (unbounded below), and the default box is as good as any; so is a function that
    cannot be evaluated on a grid (the check that follows explains what is wrong with it).
    """
    import numpy as np

    n, r = 81, 10.0
    g = np.linspace(-r, r, n)
    X, Y = np.meshgrid(g, g)
    try:
        import jax.numpy as jnp

        with np.errstate(all="ignore"):
            Z = np.asarray(fn(jnp.asarray(X, jnp.float32), jnp.asarray(Y, jnp.float32)), dtype=float)
    except Exception:
        return DEFAULT_DOMAIN
    if Z.shape != X.shape or not np.isfinite(Z).any():
        return DEFAULT_DOMAIN
    i, j = np.unravel_index(np.argmin(np.where(np.isfinite(Z), Z, np.inf)), Z.shape)
    if i in (0, n - 1) or j in (0, n - 1):
        return DEFAULT_DOMAIN
    far = max(abs(g[j]), abs(g[i]))
    if far <= 2.5:
        return DEFAULT_DOMAIN
    half = float(np.ceil(1.3 * far))
    return ((-half, half), (-half, half))


def _pick(module: Any, attr: str, spec: str, where: str, domain: Any, start: Any) -> tuple[Surface, bool]:
    """``module.attr`` as a surface; with no ``attr``, the one Surface the module defines."""
    found = sorted(n for n, v in vars(module).items() if isinstance(v, Surface) and not n.startswith("_"))
    if not attr:
        if len(found) == 1:
            return getattr(module, found[0]), False
        listing = f" (it defines {', '.join(found)})" if found else ""
        raise _fail(spec, f"say which function in {where}, as {where}:name{listing}")
    obj: Any = module
    for part in attr.split("."):
        if not part.isidentifier() or not hasattr(obj, part):
            funcs = found or sorted(n for n, v in vars(module).items()
                                    if callable(v) and not n.startswith("_") and not isinstance(v, type))
            hint = f"; did you mean {' or '.join(map(repr, _close(attr, funcs)))}?" if _close(attr, funcs) else \
                (f"; it defines {', '.join(funcs[:12])}" if funcs else "")
            raise _fail(spec, f"{where} has no attribute {attr!r}{hint}")
        obj = getattr(obj, part)
    return _as_surface(obj, spec, attr.split(".")[-1], domain, start)


def _close(name: str, choices: list[str]) -> list[str]:
    import difflib

    return difflib.get_close_matches(name, choices, n=3, cutoff=0.6)


# ------------------------------------------------------------------------------------------ files, modules

#: (resolved path, mtime, size) -> module: naming an unchanged file again does not re-run it, so its surfaces
#: stay the same objects (and the engine reuses its compiled programs); an edited file is run afresh.
_FILES: dict[tuple[str, int, int], Any] = {}


class _NoBytecodeLoader(importlib.machinery.SourceFileLoader):
    """Runs a user's file as an import would, but writes no ``__pycache__`` beside it: naming a surface file leaves
    the user's folder as it was (Python caches an imported file's bytecode next to it unless
    PYTHONDONTWRITEBYTECODE is set)."""

    def set_data(self, path: str, data: object, *, _mode: int = 0o666) -> None:
        """Write nothing: this is the one place SourceFileLoader writes a file (the bytecode cache)."""


def _from_file(path_text: str, spec: str) -> Any:
    path = expand_user(path_text)
    if not path.is_file():
        where = "" if path.is_absolute() else f" (relative to {os.getcwd()})"
        raise _fail(spec, f"no file {str(path)!r}{where}")
    if path.suffix != ".py":
        raise _fail(spec, f"{str(path)!r} is not a Python file (.py)")
    resolved = path.resolve()
    stat = resolved.stat()
    key = (str(resolved), stat.st_mtime_ns, stat.st_size)
    if key in _FILES:
        return _FILES[key]
    module_name = f"optiviz_user_{resolved.stem}_{abs(hash(str(resolved))):x}"
    try:
        loader_spec = importlib.util.spec_from_file_location(
            module_name, resolved, loader=_NoBytecodeLoader(module_name, str(resolved)))
        if loader_spec is None or loader_spec.loader is None:  # pragma: no cover - a .py path always has a loader
            raise _fail(spec, f"cannot load {path} as a Python file")
        module = importlib.util.module_from_spec(loader_spec)
    except Exception as exc:  # pragma: no cover - unreadable file system entries
        raise _fail(spec, f"cannot read {path}: {_first_line(exc)}") from exc
    # registered while it runs, as an import would be, so dataclasses and pickling inside it work
    sys.modules[module_name] = module
    try:
        loader_spec.loader.exec_module(module)
    except SyntaxError as exc:
        sys.modules.pop(module_name, None)
        raise _fail(spec, f"syntax error in {path}, line {exc.lineno}: {exc.msg}") from None
    except OptivizError as exc:  # e.g. an @ov.surface with an inverted domain
        sys.modules.pop(module_name, None)
        raise _fail(spec, f"in {path}: {exc}") from None
    except BaseException as exc:
        sys.modules.pop(module_name, None)
        if isinstance(exc, KeyboardInterrupt):  # Ctrl-C (or its like): never ours to swallow
            raise
        if not isinstance(exc, Exception):  # SystemExit, GeneratorExit: the user's code ended the import
            raise _exited(spec, str(path), exc) from None
        raise _fail(spec, f"running {path} failed: {_first_line(exc)}") from exc
    _FILES[key] = module
    return module


def _from_module(module_name: str, spec: str) -> Any:
    if not all(part.isidentifier() for part in module_name.split(".")):
        raise _fail(spec, f"{module_name!r} is not a module name (for a file, give its path ending in .py)")
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and (module_name == exc.name or module_name.startswith(exc.name + ".")):
            raise _fail(spec, f"no module named {exc.name!r} (is it installed, or on sys.path?)") from None
        raise _fail(spec, f"importing {module_name} failed: {_first_line(exc)}") from exc
    except SyntaxError as exc:
        raise _fail(spec, f"syntax error in {exc.filename}, line {exc.lineno}: {exc.msg}") from None
    except OptivizError as exc:
        raise _fail(spec, f"in {module_name}: {exc}") from None
    except Exception as exc:
        raise _fail(spec, f"importing {module_name} failed: {_first_line(exc)}") from exc
    except (SystemExit, GeneratorExit) as exc:
        raise _exited(spec, module_name, exc) from None


# ---------------------------------------------------------------------------------------------- plugins

def _entry_points() -> list[metadata.EntryPoint]:
    # the registry's one scan, cached per sys.path (a scan costs milliseconds; every load of a built-in looks)
    return registry.entry_points()


def _entry_point(name: str, spec: str) -> metadata.EntryPoint | None:
    eps = [ep for ep in _entry_points() if ep.name == name]
    values = {ep.value for ep in eps}
    if len(values) > 1:
        raise _fail(spec, "several installed plugins provide it: " + "; ".join(describe_entry_point(ep) for ep in eps)
                    + "; uninstall all but one")
    return eps[0] if eps else None


def _refuse_shadowing(name: str, spec: str) -> None:
    """A plugin may not reuse a built-in's name: say so rather than silently ignore it (or it us)."""
    for ep in _entry_points():
        if ep.name == name:
            raise _fail(spec, f"the installed plugin ({describe_entry_point(ep)}, group {GROUP}) shadows the built-in "
                              f"surface {name!r}; built-in names are reserved, so rename the plugin's entry point")


# ---------------------------------------------------------------------------------------------- formulas

#: (formula, domain, start) -> Surface: the same formula gives the same object, so compiled programs are reused
_CACHE: "OrderedDict[Any, Any]" = OrderedDict()
_CACHE_SIZE = 64


def from_formula(text: str, spec: str | None = None, *, domain: Any = None, start: Any = None) -> Surface:
    """The Surface for a formula in x and y (``"expr:..."``), validated and compiled by ``optiviz.expr``.

    The domain is inferred as for a plain function unless given; its name is ``expr:<formula>``.
    """
    from . import expr  # the formula compiler, only for a formula

    source = text.strip() if isinstance(text, str) else text
    label = spec if spec is not None else f"expr:{source}"
    key = (source, _key(domain), _key(start), str(compute()))  # a formula refused in float32 may load under x64
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    tree = expr.validate(source, label)
    fn = expr.compile_formula(tree)
    fn.__name__ = "formula"
    try:
        s = surface(fn, name=f"expr:{source}", title=source, domain=domain if domain is not None else
                    infer_domain(fn), start=start, description=f"The formula {source}, given by the user.")
    except SurfaceError as exc:
        raise SurfaceError(f"surface spec {label!r}: {str(exc).partition(': ')[2] or exc}") from None
    _CACHE[key] = s
    if len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return s
