r"""Small seeded datasets, generated in numpy (no download), split into train and test.

    data = ov.nets.dataset("spiral", n=400, noise=0.1, label_noise=0.05, seed=0)
    data.x_train, data.y_train, data.x_test, data.y_test      # float32 numpy arrays
    ov.nets.datasets.names()   # ['circles', 'gaussians', 'moons', 'sine', 'spiral', 'xor']

The 2D classification sets (two classes, labels 0/1) follow TensorFlow Playground's: points live in about
[-1, 1]^2. ``noise`` is the standard deviation of Gaussian jitter added to the inputs; ``label_noise`` is the
fraction of labels flipped (in train and test alike), the irreducible error a model should *not* fit.
``sine`` is a 1D regression set: y = sin(2 pi x) + noise * N(0, 1), x ~ U(-1, 1), few points by default, the
classic stage for overfitting.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from .. import _check as _checks
from ..errors import InvalidValueError
from ..registry import Registry

__all__ = ["Dataset", "dataset", "names", "get", "register"]


@dataclass(frozen=True, eq=False)
class Dataset:
    """Train and test arrays with what a model and a loss need to know about them.

    ``task`` is ``"binary"`` (y in {0, 1}, one logit), ``"multiclass"`` (integer y, ``n_classes`` logits) or
    ``"regression"`` (real y, one output, squared error). ``x_*`` have shape (N, in_dim), ``y_*`` shape (N,).
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    task: str = "binary"
    n_classes: int = 2
    params: dict[str, Any] = field(default_factory=dict)
    description: str = ""

    @property
    def in_dim(self) -> int:
        return int(self.x_train.shape[1])

    @property
    def out_dim(self) -> int:
        """Outputs a model needs: 1 for binary and regression, ``n_classes`` for multiclass."""
        return self.n_classes if self.task == "multiclass" else 1

    @property
    def domain(self) -> tuple[tuple[float, float], ...]:
        """Per input dimension (min, max) over train and test, with a 10% margin (for decision-boundary plots)."""
        x = np.concatenate([self.x_train, self.x_test])
        lo, hi = x.min(axis=0), x.max(axis=0)
        pad = 0.1 * np.maximum(hi - lo, 1e-6)
        return tuple((float(a), float(b)) for a, b in zip(lo - pad, hi + pad))

    def caption(self) -> str:
        return " ".join([self.name] + [f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                                       for k, v in self.params.items() if k != "seed"])

    def __repr__(self) -> str:
        return (f"<Dataset {self.caption()}: {len(self.x_train)} train, {len(self.x_test)} test, "
                f"{self.in_dim}D, {self.task}>")


@dataclass(frozen=True)
class _Info:
    name: str
    generator: Callable[..., tuple[np.ndarray, np.ndarray]]
    defaults: dict[str, Any]
    task: str
    n_classes: int


_datasets: Registry[_Info] = Registry("datasets")


def register(name: str, *, task: str = "binary", n_classes: int = 2):
    """Register ``generator(n, rng, **params) -> (x, y)`` under ``name``; keyword defaults are its parameters."""

    def decorator(gen):
        sig = inspect.signature(gen)
        defaults = {p.name: p.default for p in list(sig.parameters.values())[2:]}
        _datasets.register(name, _Info(name, gen, defaults, task, n_classes))
        return gen

    return decorator


#: the registered dataset names (``names()``) and the entry for one (``get(name)``: ``UnknownNameError`` with close
#: matches if there is none): the registry's own methods
names, get = _datasets.names, _datasets.get


# ------------------------------------------------------------------------------------------------ generators

def _flip(y: np.ndarray, fraction: float, rng: np.random.Generator) -> np.ndarray:
    flip = rng.random(len(y)) < fraction
    return np.where(flip, 1.0 - y, y)


@register("spiral")
def spiral(n, rng, noise=0.05, label_noise=0.0, turns=1.75):
    """Two interleaved spiral arms (TF Playground): radius grows with the angle; arm 1 is arm 0 turned by pi."""
    half = n // 2
    out_x, out_y = [], []
    for label, count in ((0, n - half), (1, half)):
        frac = np.arange(count) / max(count, 1)
        r = frac
        t = 2 * np.pi * turns * frac + np.pi * label
        pts = np.stack([r * np.sin(t), r * np.cos(t)], axis=1)
        out_x.append(pts)
        out_y.append(np.full(count, float(label)))
    x = np.concatenate(out_x) + noise * rng.standard_normal((n, 2))
    return x, _flip(np.concatenate(out_y), label_noise, rng)


@register("xor")
def xor(n, rng, noise=0.05, label_noise=0.0, padding=0.05):
    """XOR quadrants: y = 1 where x1 * x2 > 0; points keep ``padding`` away from the axes before the jitter."""
    x = rng.uniform(-1, 1, size=(n, 2))
    x = x + np.sign(x) * padding
    y = (x[:, 0] * x[:, 1] > 0).astype(float)
    return x + noise * rng.standard_normal((n, 2)), _flip(y, label_noise, rng)


@register("circles")
def circles(n, rng, noise=0.05, label_noise=0.0, factor=0.5):
    """A disk (label 1, radius < ``factor``) inside a ring (label 0, radius 0.7 .. 1) (TF Playground "circle")."""
    half = n // 2
    r_in = rng.uniform(0, factor, half)
    r_out = rng.uniform(0.7, 1.0, n - half)
    angle = rng.uniform(0, 2 * np.pi, n)
    r = np.concatenate([r_in, r_out])
    x = np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1)
    y = np.concatenate([np.ones(half), np.zeros(n - half)])
    return x + noise * rng.standard_normal((n, 2)), _flip(y, label_noise, rng)


@register("moons")
def moons(n, rng, noise=0.05, label_noise=0.0):
    """Two interleaving half circles (as scikit-learn's make_moons), centred and scaled into about [-1, 1]^2."""
    half = n // 2
    t0 = rng.uniform(0, np.pi, n - half)
    t1 = rng.uniform(0, np.pi, half)
    a = np.stack([np.cos(t0), np.sin(t0)], axis=1)
    b = np.stack([1 - np.cos(t1), 0.5 - np.sin(t1)], axis=1)
    x = (np.concatenate([a, b]) - np.array([0.5, 0.25])) / 1.5
    y = np.concatenate([np.zeros(n - half), np.ones(half)])
    return x + noise * rng.standard_normal((n, 2)), _flip(y, label_noise, rng)


@register("gaussians")
def gaussians(n, rng, noise=0.3, label_noise=0.0, separation=1.0):
    """Two Gaussian blobs of standard deviation ``noise`` centred at +-(separation/2, separation/2)."""
    half = n // 2
    c = separation / 2
    x = np.concatenate([rng.standard_normal((n - half, 2)) * noise + [-c, -c],
                        rng.standard_normal((half, 2)) * noise + [c, c]])
    y = np.concatenate([np.zeros(n - half), np.ones(half)])
    return x, _flip(y, label_noise, rng)


@register("sine", task="regression", n_classes=0)
def sine(n, rng, noise=0.3, frequency=1.0):
    """1D regression: y = sin(2 pi frequency x) + noise * N(0, 1), x ~ U(-1, 1)."""
    x = rng.uniform(-1, 1, size=(n, 1))
    y = np.sin(2 * np.pi * frequency * x[:, 0]) + noise * rng.standard_normal(n)
    return x, y


# ------------------------------------------------------------------------------------------------ building

_DEFAULT_N = {"sine": 40}


def dataset(name: "str | Dataset", *, n: int | None = None, test_fraction: float = 0.5, seed: int = 0,
            **params: Any) -> Dataset:
    """Generate the dataset ``name`` (or parse ``"spiral:noise=0.2,n=600"``) with ``n`` points in total,
    a random ``test_fraction`` of them held out as the test set, everything drawn from ``seed``.

    ``n`` defaults to 400 (40 for ``sine``). Parameters: ``noise``, ``label_noise`` and each generator's own
    (see its docstring). A ``Dataset`` passes through unchanged.
    """
    if isinstance(name, Dataset):
        if params or n is not None:
            raise InvalidValueError("a Dataset is already generated: give its name to change its parameters")
        return name
    if not isinstance(name, str):
        raise InvalidValueError(f"a dataset is a name like 'spiral', got {name!r}")
    text, _, rest = name.strip().partition(":")
    pairs = []
    for item in filter(None, (t.strip() for t in rest.split(","))):
        key, eq, raw = item.partition("=")
        if not eq or not key.strip():
            raise InvalidValueError(f"dataset spec {_checks.show(name)}: write parameters as "
                                    f"{_checks.clip(text, 30)}:key=value,key=value")
        try:
            value: Any = int(raw) if raw.strip().lstrip("-").isdigit() else float(raw)
        except ValueError:
            raise InvalidValueError(f"dataset {_checks.clip(text, 30)}: {_checks.clip(key.strip(), 30)}="
                                    f"{_checks.show(raw.strip())} is not a number") from None
        pairs.append((key.strip(), value))
    for key, value in _checks.unique(pairs, f"dataset {_checks.clip(text, 30)}").items():
        if key == "n":
            n = value
        elif key == "test_fraction":
            test_fraction = value
        elif key == "seed":
            seed = value
        else:
            params.setdefault(key, value)
    info = get(text)
    for key in params:
        if key not in info.defaults:
            takes = ", ".join(["n", "test_fraction", "seed", *info.defaults])
            raise InvalidValueError(f"dataset {text} has no parameter {_checks.show(key, 30)}; it takes {takes}")
    n = _DEFAULT_N.get(text, 400) if n is None else n
    n = _checks.whole(n, "n", lo=4, limit_name="dataset")  # before any point is drawn: spiral:n=1e9 is refused
    test_fraction = _checks.number(test_fraction, "test_fraction", lo=0, hi=1, lo_open=True, hi_open=True)
    seed = _checks.whole(seed, "seed", lo=0, hi=2**63 - 1)
    values = {**info.defaults, **params}
    where = f"dataset {text}"
    for key, value in values.items():
        if key == "noise":
            values[key] = _checks.number(value, key, lo=0, where=where)
        elif key == "label_noise":
            values[key] = _checks.number(value, key, lo=0, hi=0.5, where=where)
        else:
            values[key] = _checks.number(value, key, where=where)
    rng = np.random.default_rng(seed)
    x, y = info.generator(int(n), rng, **values)
    # the points are stored in float32 whatever the compute dtype: refuse what the cast would make inf (with
    # NumPy's "overflow encountered in cast"), naming the parameters that put them there
    top, limit = (float(np.max(np.abs(x))) if np.size(x) else 0.0), float(np.finfo(np.float32).max)
    if not top <= limit:
        given = ", ".join(f"{k}={v:g}" for k, v in values.items() if isinstance(v, float) and k != "label_noise")
        raise InvalidValueError(f"dataset {text}: with {given} its points reach {top:.6g}, beyond float32's range "
                                f"({limit:.6g}), which datasets are stored in")
    order = rng.permutation(len(x))
    n_test = min(max(1, int(round(test_fraction * len(x)))), len(x) - 1)
    test, train = order[:n_test], order[n_test:]
    f32 = np.float32
    return Dataset(text, x[train].astype(f32), y[train].astype(f32), x[test].astype(f32), y[test].astype(f32),
                   info.task, info.n_classes, {**values, "n": int(n), "seed": int(seed)},
                   (inspect.getdoc(info.generator) or "").split("\n")[0])
