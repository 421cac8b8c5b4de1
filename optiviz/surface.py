"""The Surface type and the ``@surface`` decorator (a leaf: it imports only ``errors`` and ``registry``).

A surface is a scalar function f(x, y) written with ``jax.numpy``, plus what a picture of it needs: the domain to
draw, a start from which its lesson shows, its known minima and contour levels. JAX differentiates it.

    @ov.surface(domain=((-3, 3), (-2, 2)), start=(-2.5, 1.5), minima=[(0.0, 0.0)])
    def bowl(x, y):
        return x**2 + 10 * y**2

Turning what a user names (``"ravine"``, ``"file.py:bowl"``, ``"expr:x**2"``, ...) into a Surface is
``loading.load_surface``'s job.
"""
from __future__ import annotations

import inspect
import math
import weakref
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Sequence, overload

from ._dtype import compute, fits, floats
from .errors import Interrupted, SurfaceError, UserCodeError
from .registry import Registry

Domain = tuple[tuple[float, float], tuple[float, float]]
Point = tuple[float, float]

#: the built-in library lives in the top-level ``surfaces/`` folder, installed as ``optiviz.surfaces``
registry: Registry["Surface"] = Registry("surfaces", builtins="optiviz.surfaces",
                                        describe=lambda s: (s.title, s.params))


@dataclass(frozen=True, eq=False)
class Surface:
    """A 2D loss surface. Call it as ``s(x, y)``; ``s.grad(xy)`` is its gradient by JAX.

    Attributes: ``name``, ``title``, ``description`` (what it teaches), ``domain`` ((xmin, xmax), (ymin, ymax)),
    ``start`` (x, y), ``minima`` [(x, y), ...] (the global one first), ``levels`` ("log", "linear" or explicit
    values), ``lr`` (suggested learning rates per optimizer name, used where the user gave none), ``params``
    (the parameters bound by ``with_params``), and for data-driven surfaces ``data`` (arrays) with
    ``batch_loss(x, y, batch)`` and ``batch_size``. ``axis_labels`` names the two coordinates in pictures
    (default ("x", "y"); a network's landscape says "d1", "d2" or "PC1 (96.2% var)", ...). ``precomputed_grid``
    (X, Y, Z), optional, is f already evaluated on a ``meshgrid`` over the domain (an expensive surface, such as a
    network's loss on a plane, computed once): ``grid`` hands it out instead of evaluating f again. ``lr_tuned``
    names the optimizers whose suggested lr is their tuned one (``ov.tune``: 200 steps from ``start``), so a race
    drawn with it can say so ("(tuned)"); the others' labels say "(suggested)".

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
    axis_labels: tuple[str, str] = ("x", "y")
    lr_tuned: tuple[str, ...] = ()
    precomputed_grid: Any = field(default=None, repr=False)
    factory: Callable[..., "Surface"] | None = field(default=None, repr=False)

    def __getattribute__(self, name: str) -> Any:
        value = object.__getattribute__(self, name)
        if type(value) is _Deferred:  # a lazy surface's minima, levels or data: computed on first use, then kept
            value = value.compute()
            object.__setattr__(self, name, value)
        return value

    def __call__(self, x, y):
        return self.fn(x, y)

    # -- evaluation -------------------------------------------------------------------------------------------
    def value(self, xy):
        """f at a point ``xy`` = (x, y) (any array whose last axis has size 2)."""
        return self.fn(xy[..., 0], xy[..., 1])

    def grad(self, xy: Any) -> Any:
        """The gradient (df/dx, df/dy) at ``xy``, by JAX."""
        import jax

        xy = floats(xy)
        return jax.grad(lambda p: self.fn(p[0], p[1]))(xy)

    def grid(self, n: int = 200, domain: Domain | None = None, *, exact: bool = True) -> tuple[Any, Any, Any]:
        """``(X, Y, Z)`` numpy arrays of f on an n x n grid over the domain (one vectorized call).

        A ``precomputed_grid`` over the same domain is returned instead of evaluating f when it is n x n, or
        whatever its size when ``exact=False`` (the caller takes any resolution the surface already has).
        """
        import numpy as np

        from . import _check

        n = _check.whole(n, "n", lo=2, limit_name="grid")
        (x0, x1), (y0, y1) = domain or self.domain
        carried = self.precomputed_grid
        if carried is not None:
            try:
                X, Y, Z = (np.asarray(a, dtype=float) for a in carried)
                ok = X.ndim == 2 and X.shape == Y.shape == Z.shape and min(X.shape) >= 2
            except (TypeError, ValueError):
                ok = False
            if not ok:
                raise SurfaceError(f"surface {self.name!r}: precomputed_grid must be three equal 2D arrays "
                                   "(X, Y, Z) from a meshgrid")
            # a replaced domain (with_view) or another size is evaluated afresh; copies: callers own what they get
            same = np.allclose([X[0, 0], X[0, -1], Y[0, 0], Y[-1, 0]], [x0, x1, y0, y1], rtol=1e-9, atol=0)
            if same and (not exact or X.shape == (n, n)):
                return X.copy(), Y.copy(), Z.copy()
        from . import compilation_cache

        compilation_cache.enable()
        X, Y = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
        import jax

        # one compiled program (evaluated op by op, each operation of f would compile on its own)
        xs, ys = (a.astype(compute()) for a in (X, Y))
        Z = np.asarray(jax.jit(self.fn)(xs, ys), dtype=float)
        if Z.shape != X.shape:  # a function written for scalars only: vectorize it
            Z = np.asarray(jax.jit(jax.vmap(jax.vmap(self.fn)))(xs, ys), dtype=float)
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
    def check(self, spec: str | None = None) -> "Surface":
        """Raise ``SurfaceError`` unless f is a finite scalar with a finite JAX gradient at the start.

        The message names ``spec`` (what the user typed) when given, else the surface's name. A surface that
        passed is remembered (by identity), so checking it again costs nothing.

        f is traced abstractly first, as the engine's jit will trace it (numpy, math, float() or a Python ``if`` on
        x or y fail there, and so do the user's own errors, with their own message); then its value and gradient
        at the start are one compiled program (evaluating op by op would compile each operation separately).
        """
        if self in _CHECKED:
            return self
        from . import compilation_cache

        compilation_cache.enable()
        import jax
        import numpy as np

        who = f"surface spec {spec!r}" if spec else f"surface {self.name!r}"
        check_geometry(self.name, self.domain, self.start, who=who)
        for corner in (*self.domain[0], *self.domain[1]):  # the start lies inside: it fits when the corners do
            fits(corner, "domain", where=who)
        at = f"at its start ({self.start[0]:g}, {self.start[1]:g})"
        fn, name = self.fn, self.name

        def value(x, y):
            v = fn(x, y)
            if isinstance(v, bool) or not isinstance(v, (jax.Array, np.ndarray, np.generic, int, float)):
                raise _NotANumber(type(v).__name__)
            return v

        def not_differentiable(exc: Exception) -> SurfaceError:
            if isinstance(exc, jax.errors.ConcretizationTypeError):  # float(x), math.*, `if x > 0`
                why = ("it turns x or y into a Python number (float(), math.*, or an `if` on x or y); write it with "
                       "jax.numpy (jnp.sin, jnp.where, ...)")
            elif isinstance(exc, jax.errors.TracerArrayConversionError):  # np.sin(x), np.asarray(x)
                why = ("it calls numpy on x or y; write it with jax.numpy (import jax.numpy as jnp; jnp.sin, "
                       "jnp.exp, ...)")
            else:
                why = _first_line(exc)
            return SurfaceError(f"{who}: {name} cannot be differentiated by JAX: {why}")

        x0, y0 = (np.asarray(v, compute()) for v in self.start)  # float64 under x64: 1e39 + x**2 is finite there
        # 1. the value's shape and type, traced (nothing compiled): the user's own errors surface here
        try:
            shape = jax.eval_shape(value, x0, y0)
        except _NotANumber as exc:
            raise SurfaceError(f"{who}: {name}(x, y) must return a number, got {exc}") from None
        except (jax.errors.ConcretizationTypeError, jax.errors.TracerArrayConversionError) as exc:
            raise not_differentiable(exc) from exc
        except Exception as exc:
            raise SurfaceError(f"{who}: {name} failed {at}: {_first_line(exc)}") from exc
        except (SystemExit, GeneratorExit):  # the user's function tried to end the program
            raise UserCodeError(f"{who}: {name} called sys.exit {at}; a surface must return a number") from None
        except KeyboardInterrupt as exc:
            from . import _atomic

            if isinstance(exc, Interrupted) or not _atomic.handling_signals() or _atomic.received() is not None:
                raise  # a real Ctrl-C (or one we cannot tell from it): never swallowed
            raise UserCodeError(f"{who}: {name} raised KeyboardInterrupt {at}; a surface must return a "
                                "number") from None
        if shape.shape != ():
            raise SurfaceError(f"{who}: {name}(x, y) must return a scalar for scalar x and y, got shape {shape.shape}")
        if shape.dtype.kind != "f":  # an int or bool has no gradient; a complex loss has no order to descend
            what = {"b": "a bool", "i": "an integer", "u": "an integer", "c": "a complex number"}.get(
                shape.dtype.kind, str(shape.dtype))
            raise SurfaceError(f"{who}: {name}(x, y) must return a number (a real float computed from x and y "
                               f"with jax.numpy), got {what}")
        # 2. value and gradient at the start: one program
        f = lambda p: floats(value(p[0], p[1]))  # noqa: E731
        try:
            v, grad = jax.jit(jax.value_and_grad(f))(np.asarray(self.start, compute()))
        except Exception as exc:
            raise not_differentiable(exc) from exc
        v, grad = float(v), np.asarray(grad)
        if not math.isfinite(v):
            raise SurfaceError(f"{who}: {name} is {v} {at}; choose a start where it is finite")
        if not np.all(np.isfinite(grad)):
            raise SurfaceError(f"{who}: the gradient of {name} is not finite {at} "
                               f"({float(grad[0]):g}, {float(grad[1]):g}); choose another start")
        _CHECKED.add(self)
        return self


class _Deferred:
    """A field of a lazy surface (``@surface(lazy=True)``) not computed yet: ``compute()`` makes it."""

    __slots__ = ("compute",)

    def __init__(self, compute: Callable[[], Any]) -> None:
        self.compute = compute


class _NotANumber(Exception):
    """A surface function returned something that is not a number (its type's name is the message)."""


#: surfaces whose check() passed (weak: a surface nobody holds is forgotten)
_CHECKED: "weakref.WeakSet[Surface]" = weakref.WeakSet()


def _first_line(exc: BaseException) -> str:
    text = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def check_geometry(name: str, domain: Any, start: Any, *, who: str | None = None) -> None:
    """Raise ``SurfaceError`` unless ``domain`` is ((xmin, xmax), (ymin, ymax)) with min < max and holds ``start``."""
    who = who or f"surface {name!r}"
    try:
        (x0, x1), (y0, y1) = domain
        x0, x1, y0, y1 = map(float, (x0, x1, y0, y1))
    except (TypeError, ValueError):
        raise SurfaceError(f"{who}: domain must be ((xmin, xmax), (ymin, ymax)), got {domain!r}") from None
    if not all(map(math.isfinite, (x0, x1, y0, y1))) or not (x0 < x1 and y0 < y1):
        raise SurfaceError(f"{who}: domain {domain!r} is empty or inverted (need xmin < xmax, ymin < ymax)")
    try:
        sx, sy = map(float, start)
    except (TypeError, ValueError):
        raise SurfaceError(f"{who}: start must be (x, y), got {start!r}") from None
    if not (x0 <= sx <= x1 and y0 <= sy <= y1):
        raise SurfaceError(f"{who}: start ({sx:g}, {sy:g}) is outside the domain {domain!r}")


def _as_point(p: Sequence[float]) -> Point:
    x, y = p
    return (float(x), float(y))


def default_start(domain: Domain) -> Point:
    """The start used when none is given: a quarter of the way in from the top-left corner of the domain."""
    (x0, x1), (y0, y1) = domain
    return (x0 + 0.25 * (x1 - x0), y0 + 0.75 * (y1 - y0))


def _domain(who: str, domain: Any) -> Domain:
    try:
        (x0, x1), (y0, y1) = domain
        return ((float(x0), float(x1)), (float(y0), float(y1)))
    except (TypeError, ValueError):
        raise SurfaceError(f"{who}: domain must be ((xmin, xmax), (ymin, ymax)), got {domain!r}") from None


def _call_with(value: Callable[..., Any], params: dict[str, Any], *args: Any) -> Any:
    """Call ``value(*args, **params)``, passing only the parameters it names (all of them if it takes **kw)."""
    try:
        sig = inspect.signature(value)
    except (TypeError, ValueError):
        return value(*args, **params)
    if any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values()):
        return value(*args, **params)
    return value(*args, **{k: v for k, v in params.items() if k in sig.parameters})


def _resolve(value: Any, params: dict[str, Any]) -> Any:
    return _call_with(value, params) if callable(value) else value


def _freeze(params: dict[str, Any]) -> Any:
    try:
        key = tuple(sorted(params.items()))
        hash(key)
        return key
    except TypeError:
        return None


@overload  # @surface over a function, or surface(f, name=...): a Surface
def surface(fn: Callable[..., Any], /, *, domain: Any = ..., start: Any = ..., minima: Any = ..., name: str | None = ...,
            title: str | None = ..., description: str | None = ..., levels: Any = ...,
            lr: dict[str, float] | None = ..., data: Any = ..., batch_loss: Callable[..., Any] | None = ...,
            batch_size: int | None = ..., validate: Callable[..., None] | None = ..., lr_tuned: Any = ...,
            lazy: bool = ...) -> Surface: ...


@overload  # @surface(domain=...): a decorator making one
def surface(fn: None = None, /, *, domain: Any = ..., start: Any = ..., minima: Any = ..., name: str | None = ...,
            title: str | None = ..., description: str | None = ..., levels: Any = ...,
            lr: dict[str, float] | None = ..., data: Any = ..., batch_loss: Callable[..., Any] | None = ...,
            batch_size: int | None = ..., validate: Callable[..., None] | None = ..., lr_tuned: Any = ...,
            lazy: bool = ...) -> Callable[[Callable[..., Any]], Surface]: ...


def surface(fn: Callable[..., Any] | None = None, *, domain: Any = ((-3.0, 3.0), (-3.0, 3.0)), start: Any = None,
            minima: Any = (), name: str | None = None, title: str | None = None, description: str | None = None,
            levels: Any = "auto", lr: dict[str, float] | None = None, data: Any = None,
            batch_loss: Callable[..., Any] | None = None, batch_size: int | None = None,
            validate: Callable[..., None] | None = None, lr_tuned: Any = (), lazy: bool = False) -> Any:
    """Decorate ``f(x, y, **params)`` (written with jax.numpy) to make it a ``Surface``.

    Keyword parameters of ``f`` after ``x, y`` become the surface's parameters (``s.with_params(k=v)``).
    ``domain``, ``start``, ``minima``, ``levels``, ``lr``, ``data`` and ``batch_size`` may be callables of those
    parameters (each is passed the ones it names); ``batch_loss(x, y, batch, **params)`` is the loss on a minibatch
    of ``data``; ``validate(**params)`` may raise ``SurfaceError`` for values that make no sense. ``lr_tuned``: the
    optimizers whose ``lr`` entry is their tuned lr (the labels of a race say "(tuned)" for them).
    ``lazy=True``: ``minima``, ``levels`` and ``data`` are computed when first read, not when the surface is made
    (a surface whose dataset or minimum is costly to compute registers, and is listed, without computing them).
    ``start`` defaults to a point a quarter of the way into the domain; ``name`` to the function's name; ``title``
    and ``description`` to the docstring's first line and body. The same parameters give the same Surface object,
    so the engine's compiled programs are reused.
    """

    def build(f: Callable[..., Any]) -> Surface:
        try:
            sig = inspect.signature(f)
        except (TypeError, ValueError):
            raise SurfaceError(f"surface {getattr(f, '__name__', f)!r}: cannot read its signature") from None
        plain = [p for p in sig.parameters.values() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        if len(plain) < 2 and not any(p.kind is p.VAR_POSITIONAL for p in sig.parameters.values()):
            raise SurfaceError(f"surface {getattr(f, '__name__', f)!r} must take (x, y)")
        defaults = {p.name: p.default for p in plain[2:] if p.default is not p.empty}
        defaults.update({p.name: p.default for p in sig.parameters.values()
                         if p.kind is p.KEYWORD_ONLY and p.default is not p.empty})
        # the coordinates are called what the function calls them: linreg(w, b) draws axes w and b
        axis_labels = (plain[0].name, plain[1].name) if len(plain) >= 2 else ("x", "y")
        doc = inspect.getdoc(f) or ""
        first, _, body = doc.partition("\n")
        label = str(name or getattr(f, "__name__", "surface"))
        made: dict[Any, Surface] = {}

        def make(**params: Any) -> Surface:
            unknown = set(params) - set(defaults)
            if unknown:
                raise SurfaceError(f"surface {label!r} has no parameter {sorted(unknown)[0]!r}"
                                   + (f"; it takes {', '.join(defaults)}" if defaults else "; it takes none"))
            bound = {**defaults, **params}
            from . import _check

            for k, v in params.items():  # an int beyond a float's range would overflow in the first math below
                if isinstance(v, int) and not isinstance(v, bool):
                    _check.number(v, k, where=f"surface {label!r}")  # the one number check: "must be finite"
            key = _freeze(bound)
            if key is not None and key in made:
                return made[key]
            if validate is not None:
                _call_with(validate, bound)
            fn = (lambda x, y: f(x, y, **bound)) if bound else f
            who = f"surface {label!r}"
            dom = _domain(who, _resolve(domain, bound))
            st = _resolve(start, bound)
            st = default_start(dom) if st is None else st
            check_geometry(label, dom, st, who=who)
            bl = batch_loss
            if batch_loss is not None and bound:
                bl = lambda x, y, b: _call_with(batch_loss, bound, x, y, b)  # noqa: E731
            def later(compute: Callable[[], Any]) -> Any:
                return _Deferred(compute) if lazy else compute()

            s = Surface(
                fn=fn, name=label, domain=dom, start=_as_point(st),
                minima=later(lambda: tuple(_as_point(m) for m in _resolve(minima, bound))),
                title=title or first.strip() or label,
                description=description if description is not None else " ".join(body.split()),
                levels=later(lambda: _resolve(levels, bound)), lr=dict(_resolve(lr, bound) or {}), params=bound,
                data=later(lambda: _resolve(data, bound)), batch_loss=bl, batch_size=_resolve(batch_size, bound),
                axis_labels=axis_labels, factory=make if defaults else None, lr_tuned=tuple(lr_tuned),
            )
            if key is not None:
                made[key] = s
            return s

        return make()

    return build if fn is None else build(fn)


def register(s: "Surface | Callable[..., Any]") -> Surface:
    """Add a surface to the library under its name (``surfaces/`` registers the built-ins with it).

    Usable as a decorator over ``@ov.surface(...)``; a plain function is wrapped with ``surface`` first.
    """
    if not isinstance(s, Surface):
        s = surface(s)
    registry.register(s.name, s)
    return s


#: the public name (``ov.register_surface``)
register_surface = register


def names() -> list[str]:
    return registry.names()


#: surfaces with a replaced domain/start, per original, so that asking twice gives the same object
_VIEWS: "weakref.WeakKeyDictionary[Surface, dict[Any, Surface]]" = weakref.WeakKeyDictionary()


def with_view(s: Surface, domain: Any, start: Any, *, who: str) -> Surface:
    """``s`` with its domain and/or start replaced (validated). A kept start that falls outside a new domain moves
    to that domain's default start; a start given outside the domain is an error."""
    if domain is None and start is None:
        return s
    dom = s.domain if domain is None else _domain(who, domain)
    if start is None:
        st = s.start
        try:
            check_geometry(s.name, dom, st, who=who)
        except SurfaceError:
            st = default_start(dom)
    else:
        st = start
    check_geometry(s.name, dom, st, who=who)
    st = _as_point(st)
    key = (dom, st)
    views = _VIEWS.setdefault(s, {})
    if key not in views:
        views[key] = replace(s, domain=dom, start=st, factory=None)
    return views[key]
