"""The Surface type, the ``@surface`` decorator, and resolving a spec string to a Surface.

A surface is a scalar function f(x, y) written with ``jax.numpy``, plus what a picture of it needs: the domain to
draw, a start from which its lesson shows, its known minima and contour levels. JAX differentiates it.

    @ov.surface(domain=((-3, 3), (-2, 2)), start=(-2.5, 1.5), minima=[(0.0, 0.0)])
    def bowl(x, y):
        return x**2 + 10 * y**2

Specs resolve in one order: a built-in name (``"ravine"``, ``"bowl:condition=50"``) -> ``path/to/file.py:name``
-> ``package.module:name`` -> an entry point in the group ``optiviz.surfaces``.
"""
from __future__ import annotations

import inspect
import math
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Sequence

from .errors import SurfaceError
from .registry import Registry

Domain = tuple[tuple[float, float], tuple[float, float]]
Point = tuple[float, float]

#: the built-in library lives in the top-level ``surfaces/`` folder, installed as ``optiviz.surfaces``
registry: Registry["Surface"] = Registry("surfaces", builtins="optiviz.surfaces")


@dataclass(frozen=True, eq=False)
class Surface:
    """A 2D loss surface. Call it as ``s(x, y)``; ``s.grad(xy)`` is its gradient by JAX.

    Attributes: ``name``, ``title``, ``description`` (what it teaches), ``domain`` ((xmin, xmax), (ymin, ymax)),
    ``start`` (x, y), ``minima`` [(x, y), ...] (the global one first), ``levels`` ("log", "linear" or explicit
    values), ``lr`` (suggested learning rates per optimizer name, used where the user gave none), ``params``
    (the parameters bound by ``with_params``), and for data-driven surfaces ``data`` (arrays) with
    ``batch_loss(x, y, batch)`` and ``batch_size``.

    Surfaces hash by identity, so the engine's compiled programs are reused for the same surface object.
    """

    fn: Callable[..., Any]
    name: str
    domain: Domain
    start: Point
    minima: tuple[Point, ...] = ()
    title: str = ""
    description: str = ""
    levels: Any = "auto"
    lr: dict[str, float] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    data: Any = None
    batch_loss: Callable[..., Any] | None = None
    batch_size: int | None = None
    factory: Callable[..., "Surface"] | None = field(default=None, repr=False)

    def __call__(self, x, y):
        return self.fn(x, y)

    # -- evaluation -------------------------------------------------------------------------------------------
    def value(self, xy):
        """f at a point ``xy`` = (x, y) (any array whose last axis has size 2)."""
        return self.fn(xy[..., 0], xy[..., 1])

    def grad(self, xy):
        """The gradient (df/dx, df/dy) at ``xy``, by JAX."""
        import jax
        import jax.numpy as jnp

        xy = jnp.asarray(xy, dtype=jnp.result_type(float))
        return jax.grad(lambda p: self.fn(p[0], p[1]))(xy)

    def grid(self, n: int = 200, domain: Domain | None = None):
        """``(X, Y, Z)`` numpy arrays of f on an n x n grid over the domain (one vectorized call)."""
        import jax.numpy as jnp
        import numpy as np

        (x0, x1), (y0, y1) = domain or self.domain
        X, Y = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
        Z = np.asarray(self.fn(jnp.asarray(X), jnp.asarray(Y)), dtype=float)
        if Z.shape != X.shape:  # a function written for scalars only: vectorize it
            import jax

            Z = np.asarray(jax.vmap(jax.vmap(self.fn))(jnp.asarray(X), jnp.asarray(Y)), dtype=float)
        return X, Y, Z

    @property
    def global_minimum(self) -> Point | None:
        return self.minima[0] if self.minima else None

    # -- parameters -------------------------------------------------------------------------------------------
    def with_params(self, **params: Any) -> "Surface":
        """The same surface with parameters changed (``load_surface("bowl", condition=50)``)."""
        if not params:
            return self
        if self.factory is None:
            raise SurfaceError(f"surface {self.name!r} takes no parameters (got {', '.join(params)})")
        return self.factory(**{**self.params, **params})

    def __repr__(self) -> str:
        extra = "".join(f", {k}={v!r}" for k, v in self.params.items())
        return f"<Surface {self.name}{extra} domain={self.domain} start={self.start}>"

    # -- checks -----------------------------------------------------------------------------------------------
    def check(self) -> "Surface":
        """Raise ``SurfaceError`` naming this surface if f is not a finite, differentiable scalar at the start."""
        import jax
        import jax.numpy as jnp

        check_geometry(self.name, self.domain, self.start)
        try:
            value, grad = jax.value_and_grad(lambda p: self.fn(p[0], p[1]))(jnp.asarray(self.start, jnp.float32))
        except TypeError as exc:
            msg = str(exc).splitlines()[0]
            if "Gradient only defined for scalar" in msg or "scalar" in msg:
                raise SurfaceError(f"surface {self.name!r} must return a scalar for a scalar (x, y): {msg}") from exc
            raise SurfaceError(f"surface {self.name!r} cannot be differentiated by JAX: {msg}") from exc
        except jax.errors.JAXTypeError as exc:  # pragma: no cover - depends on the user's function
            raise SurfaceError(f"surface {self.name!r} cannot be differentiated by JAX: {exc}") from exc
        except Exception as exc:  # the user's function failed: say which surface, keep the cause
            first = (str(exc).splitlines() or [type(exc).__name__])[0]
            if "TracerArrayConversionError" in type(exc).__name__ or "ConcretizationTypeError" in type(exc).__name__:
                raise SurfaceError(f"surface {self.name!r} cannot be differentiated by JAX (write it with "
                                   f"jax.numpy, not numpy or math): {type(exc).__name__}") from exc
            raise SurfaceError(f"surface {self.name!r} failed at its start {self.start}: "
                               f"{type(exc).__name__}: {first}") from exc
        if getattr(value, "shape", ()) != ():
            raise SurfaceError(f"surface {self.name!r} must return a scalar, got shape {value.shape}")
        if not math.isfinite(float(value)):
            raise SurfaceError(f"surface {self.name!r} is {float(value)} at its start {self.start}")
        if not all(math.isfinite(float(g)) for g in grad):
            raise SurfaceError(f"surface {self.name!r} has a non-finite gradient at its start {self.start}")
        return self


def check_geometry(name: str, domain: Any, start: Any) -> None:
    try:
        (x0, x1), (y0, y1) = domain
        x0, x1, y0, y1 = map(float, (x0, x1, y0, y1))
    except (TypeError, ValueError):
        raise SurfaceError(f"surface {name!r}: domain must be ((xmin, xmax), (ymin, ymax)), got {domain!r}") from None
    if not all(map(math.isfinite, (x0, x1, y0, y1))) or not (x0 < x1 and y0 < y1):
        raise SurfaceError(f"surface {name!r}: domain {domain!r} is empty or inverted (need xmin < xmax, ymin < ymax)")
    try:
        sx, sy = map(float, start)
    except (TypeError, ValueError):
        raise SurfaceError(f"surface {name!r}: start must be (x, y), got {start!r}") from None
    if not (x0 <= sx <= x1 and y0 <= sy <= y1):
        raise SurfaceError(f"surface {name!r}: start ({sx:g}, {sy:g}) is outside the domain {domain!r}")


def _as_point(p: Sequence[float]) -> Point:
    x, y = p
    return (float(x), float(y))


def _resolve(value: Any, params: dict[str, Any]) -> Any:
    return value(**params) if callable(value) else value


def surface(fn: Callable[..., Any] | None = None, *, domain: Any = ((-3.0, 3.0), (-3.0, 3.0)), start: Any = None,
            minima: Any = (), name: str | None = None, title: str | None = None, description: str | None = None,
            levels: Any = "auto", lr: dict[str, float] | None = None, data: Any = None,
            batch_loss: Callable[..., Any] | None = None, batch_size: int | None = None):
    """Decorate ``f(x, y, **params)`` (written with jax.numpy) to make it a ``Surface``.

    Keyword parameters of ``f`` after ``x, y`` become the surface's parameters (``s.with_params(k=v)``).
    ``domain``, ``start``, ``minima``, ``levels``, ``lr`` and ``data`` may be callables of those parameters.
    ``start`` defaults to a point a quarter of the way into the domain; ``name`` to the function's name; ``title``
    and ``description`` to the docstring's first line and body.
    """

    def build(f: Callable[..., Any]) -> Surface:
        sig = inspect.signature(f)
        positional = list(sig.parameters)[:2]
        if len(positional) < 2:
            raise SurfaceError(f"surface {getattr(f, '__name__', f)!r} must take (x, y)")
        defaults = {k: p.default for k, p in list(sig.parameters.items())[2:] if p.default is not p.empty}
        doc = inspect.getdoc(f) or ""
        first, _, body = doc.partition("\n")
        label = name or getattr(f, "__name__", "surface")

        def make(**params: Any) -> Surface:
            unknown = set(params) - set(defaults)
            if unknown:
                raise SurfaceError(f"surface {label!r} has no parameter {sorted(unknown)[0]!r}"
                                   + (f"; it takes {', '.join(defaults)}" if defaults else "; it takes none"))
            bound = {**defaults, **params}
            fn = (lambda x, y: f(x, y, **bound)) if bound else f
            dom = _resolve(domain, bound)
            (x0, x1), (y0, y1) = dom
            st = _resolve(start, bound)
            if st is None:
                st = (x0 + 0.25 * (x1 - x0), y0 + 0.75 * (y1 - y0))
            s = Surface(
                fn=fn, name=label, domain=((float(x0), float(x1)), (float(y0), float(y1))), start=_as_point(st),
                minima=tuple(_as_point(m) for m in _resolve(minima, bound)), title=title or first.strip() or label,
                description=description if description is not None else body.strip(),
                levels=_resolve(levels, bound), lr=dict(_resolve(lr, bound) or {}), params=bound,
                data=_resolve(data, bound), batch_loss=(lambda x, y, b: batch_loss(x, y, b, **bound)) if batch_loss
                and bound else batch_loss, batch_size=_resolve(batch_size, bound),
                factory=make if defaults else None,
            )
            check_geometry(label, s.domain, s.start)
            return s

        return make()

    return build if fn is None else build(fn)


def register(s: Surface) -> Surface:
    """Add a surface to the built-in library (used by ``surfaces/``)."""
    registry.register(s.name, s)
    return s


def names() -> list[str]:
    return registry.names()


def _parse_params(text: str, spec: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in filter(None, (t.strip() for t in text.split(","))):
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise SurfaceError(f"surface spec {spec!r}: parameters must look like name:key=value,key=value")
        try:
            out[key.strip()] = float(raw) if any(c in raw for c in ".eE") or not raw.strip().lstrip("-").isdigit() \
                else int(raw)
        except ValueError:
            raise SurfaceError(f"surface spec {spec!r}: {key.strip()}={raw!r} is not a number") from None
    return out


def load_surface(spec: "str | Surface | Callable[..., Any]", **params: Any) -> Surface:
    """Resolve ``spec`` to a checked ``Surface``.

    ``spec`` is a Surface, a plain function f(x, y), a built-in name with optional parameters
    (``"bowl:condition=50"``), ``"path/to/file.py:name"``, ``"package.module:name"``, an installed plugin's name,
    or ``"expr:<formula in x and y>"``. Keyword ``params`` are bound with ``with_params``.
    """
    if isinstance(spec, Surface):
        s = spec
    elif callable(spec):
        s = surface(spec)
    elif isinstance(spec, str):
        s = _load_string(spec, params)
        params = {}
    else:
        raise SurfaceError(f"cannot make a surface from {type(spec).__name__} {spec!r}")
    if params:
        s = s.with_params(**params)
    return s.check()


def _load_string(spec: str, params: dict[str, Any]) -> Surface:
    text = spec.strip()
    if not text:
        raise SurfaceError("empty surface spec")
    from . import _loading  # user code is only touched here, when a user names it

    return _loading.load(text, params)
