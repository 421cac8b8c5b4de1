"""Resolve a surface spec string: built-in -> ``file.py:name`` -> ``package.module:name`` -> entry point.

User code runs only here, and only the file or module the user named: nothing is scanned.
"""
from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path
from typing import Any

from .errors import OptivizError, SurfaceError, UnknownNameError
from .surface import Surface, _parse_params, registry, surface


def _as_surface(obj: Any, spec: str) -> Surface:
    if isinstance(obj, Surface):
        return obj
    if callable(obj):
        try:
            return surface(obj, name=getattr(obj, "__name__", spec))
        except OptivizError:
            raise
        except Exception as exc:
            raise SurfaceError(f"surface spec {spec!r}: cannot use {obj!r} as a surface: {exc}") from exc
    raise SurfaceError(f"surface spec {spec!r} names a {type(obj).__name__}, which is not callable")


def _from_file(path_text: str, attr: str, spec: str) -> Surface:
    path = Path(path_text).expanduser()
    if not path.is_file():
        raise SurfaceError(f"surface spec {spec!r}: no file {str(path)!r}")
    module_name = f"optiviz_user_{abs(hash(str(path.resolve())))}"
    try:
        loader_spec = importlib.util.spec_from_file_location(module_name, path)
        module = importlib.util.module_from_spec(loader_spec)
        loader_spec.loader.exec_module(module)
    except SyntaxError as exc:
        raise SurfaceError(f"surface spec {spec!r}: syntax error in {path} line {exc.lineno}: {exc.msg}") from exc
    except OptivizError:
        raise
    except Exception as exc:
        raise SurfaceError(f"surface spec {spec!r}: importing {path} failed: {type(exc).__name__}: {exc}") from exc
    return _attr(module, attr, spec, str(path))


def _attr(module: Any, attr: str, spec: str, where: str) -> Surface:
    if not attr:
        raise SurfaceError(f"surface spec {spec!r}: say which function, as {where}:name")
    obj = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            found = sorted(n for n, v in vars(module).items() if isinstance(v, Surface))
            hint = f" (surfaces there: {', '.join(found)})" if found else ""
            raise SurfaceError(f"surface spec {spec!r}: {where} has no attribute {attr!r}{hint}")
        obj = getattr(obj, part)
    return _as_surface(obj, spec)


def _from_module(module_name: str, attr: str, spec: str) -> Surface:
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            raise SurfaceError(f"surface spec {spec!r}: no module named {module_name!r}") from exc
        raise SurfaceError(f"surface spec {spec!r}: importing {module_name} failed: {exc}") from exc
    except SyntaxError as exc:
        raise SurfaceError(f"surface spec {spec!r}: syntax error in {exc.filename} line {exc.lineno}: {exc.msg}") from exc
    except Exception as exc:
        raise SurfaceError(f"surface spec {spec!r}: importing {module_name} failed: {type(exc).__name__}: {exc}") from exc
    return _attr(module, attr, spec, module_name)


def load(spec: str, params: dict[str, Any]) -> Surface:
    if spec.startswith("expr:"):
        from . import expr

        return expr.parse_surface(spec[len("expr:"):], spec)
    head, sep, tail = spec.rpartition(":") if ":" in spec else (spec, "", "")
    if not sep:
        head, tail = spec, ""
    # 1. a built-in (or plugin) name, optionally with parameters: "bowl" or "bowl:condition=50"
    if head in registry or (not sep and "/" not in spec and not spec.endswith(".py")):
        if sep and "=" not in tail and tail:
            raise SurfaceError(f"surface spec {spec!r}: parameters must look like {head}:key=value")
        try:
            s = registry.get(head)
        except UnknownNameError as exc:
            raise SurfaceError(str(exc)) from None
        s = _as_surface(s, spec)
        bound = {**_parse_params(tail, spec), **params}
        return s.with_params(**bound) if bound else s
    # 2. a file: "path/to/file.py:name"
    if head.endswith(".py") or "/" in head or "\\" in head:
        return _from_file(head, tail, spec)
    # 3. a module: "package.module:name"
    return _from_module(head, tail, spec)

