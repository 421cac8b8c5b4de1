"""The built-in surface library: every surface's calculus, geometry and metadata, and each documented lesson.

Calculus checks run in float64 (``jax.enable_x64`` as a context, so other test files keep float32). The lessons
run the engine exactly as a user would, ``ov.run(surface)`` with the five default optimizers and the surface's
suggested learning rates, and assert what the surface's description says happens.
"""
from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import optiviz as ov
from optiviz.render.style import run_label
from optiviz.surfaces import CLASSIC, DATA, TEACHING

NAMES = sorted(TEACHING + CLASSIC + DATA)
FIVE = ("gd", "adagrad", "rmsprop", "momentum", "adam")


def surface(name: str) -> ov.Surface:
    return ov.load_surface(name)


def value64(s: ov.Surface, x: float, y: float) -> float:
    with jax.enable_x64(True):
        return float(kit(s.name)[0](x, y))


@functools.lru_cache(maxsize=None)
def kit(name: str):
    """Compiled float64 value, gradient, central difference and Hessian of a built-in (compiled once each: eager
    dispatch of every small op would dominate the run time). Call them inside ``jax.enable_x64(True)``."""
    s = surface(name)
    f = lambda p: s(p[0], p[1])  # noqa: E731

    @jax.jit
    def value(x, y):
        return s(x, y)

    @jax.jit
    def grad_and_fd(x, y, h):
        p = jnp.stack([x, y])
        e = jnp.eye(2) * h
        fd = jnp.stack([(f(p + e[i]) - f(p - e[i])) / (2 * h) for i in range(2)])
        return jax.grad(f)(p), fd, f(p)

    @jax.jit
    def hessian(x, y):
        p = jnp.stack([x, y])
        return jax.grad(f)(p), jax.hessian(f)(p), f(p)

    return value, grad_and_fd, hessian


def inside(s: ov.Surface, p) -> bool:
    (x0, x1), (y0, y1) = s.domain
    return x0 <= p[0] <= x1 and y0 <= p[1] <= y1


def distance(p, q) -> float:
    return float(np.hypot(p[0] - q[0], p[1] - q[1]))


# ------------------------------------------------------------------------------------------ the library

def test_the_library_holds_every_surface_the_issue_names():
    wanted = {"flat", "steep_then_flat", "local_minima", "ravine", "saddle", "plateau_cliff", "rosenbrock", "beale",
              "himmelblau", "rastrigin", "booth", "matyas", "goldstein_price", "six_hump_camel", "styblinski_tang",
              "ackley", "bowl", "linreg", "logreg"}
    assert set(NAMES) == wanted
    assert set(ov.surfaces.builtin_names()) == wanted
    assert wanted <= set(ov.surfaces.names())
    from optiviz.surface import registry

    assert set(registry.builtin_names()) == wanted  # registered through the public ov.register_surface


@pytest.mark.parametrize("name", NAMES)
def test_metadata(name):
    s = surface(name)
    assert s.name == name
    assert s.title and s.title != name, "a title in words"
    assert len(s.description.split()) >= 25, "a paragraph saying what it teaches"
    assert inside(s, s.start), "the default start is in the domain"
    assert math.isfinite(float(s(*s.start)))
    for opt in FIVE:  # a suggested rate for each default optimizer (used where the user gives none)
        assert s.lr[opt] > 0
    assert s.lr["sgd"] == s.lr["gd"] and s.lr["nesterov"] == s.lr["momentum"]
    # levels: explicit increasing values, or a kind the renderer understands
    if isinstance(s.levels, str):
        assert s.levels in ("log", "linear", "auto")
    else:
        lv = np.asarray(s.levels, float)
        assert lv.size >= 10 and np.all(np.diff(lv) > 0) and np.all(np.isfinite(lv))
    assert s.check() is s


EXPLICIT_LEVELS = [n for n in NAMES if not isinstance(surface(n).levels, str)]


def test_most_surfaces_choose_their_own_levels():
    assert set(NAMES) - set(EXPLICIT_LEVELS) == {"logreg"}  # its data decide the range: the renderer's "log"


@pytest.mark.parametrize("name", EXPLICIT_LEVELS)
def test_levels_cover_the_interesting_range(name):
    """Explicit levels start at (or just below) the global minimum's value and reach into the upper half of the
    values on the map, so neither the floor nor the walls are one flat colour."""
    s = surface(name)
    _, _, Z = s.grid(101)
    lv = np.asarray(s.levels, float)
    zmin, zmax = float(np.nanmin(Z)), float(np.nanmax(Z))
    assert lv[0] <= zmin + 1e-6 * max(1.0, abs(zmin))
    assert lv[-1] >= zmin + 0.5 * (zmax - zmin)
    assert np.sum((lv > zmin) & (lv < zmax)) >= 10, "at least ten contour lines on the map"


# -------------------------------------------------------------------------------------------- calculus

@pytest.mark.parametrize("name", NAMES)
@settings(deadline=None)
@given(u=st.floats(0.0, 1.0), v=st.floats(0.0, 1.0))
def test_gradient_matches_central_differences(name, u, v):
    s = surface(name)
    (x0, x1), (y0, y1) = s.domain
    x, y = x0 + u * (x1 - x0), y0 + v * (y1 - y0)
    h = 1e-6 * max(x1 - x0, y1 - y0)
    with jax.enable_x64(True):
        g, fd, fx = (np.asarray(a) for a in kit(name)[1](jnp.float64(x), jnp.float64(y), jnp.float64(h)))
    # rounding in the difference quotient: about eps * |f| / h
    scale = 1.0 + np.abs(g).max() + abs(float(fx)) * 1e-16 / h
    np.testing.assert_allclose(g, fd, rtol=1e-5, atol=1e-6 * scale, err_msg=f"{name} at ({x}, {y})")


@pytest.mark.parametrize("name", NAMES)
def test_minima_are_stationary_and_the_global_one_is_lowest(name):
    s = surface(name)
    assert s.minima, f"{name} lists its known minima"
    with jax.enable_x64(True):
        values = []
        for m in s.minima:
            assert inside(s, m)
            g, H, v = (np.asarray(a) for a in kit(name)[2](jnp.float64(m[0]), jnp.float64(m[1])))
            assert np.linalg.norm(g) <= 1e-8 * (1.0 + np.linalg.norm(H, 2)), f"{name}: {m} is not stationary: {g}"
            assert np.linalg.eigvalsh(H).min() >= -1e-6 * (1.0 + np.linalg.norm(H, 2)), f"{name}: {m} is a saddle"
            values.append(float(v))
        n = 201 if name in DATA else 601
        _, _, Z = s.grid(n)
    glob = values[0]
    assert glob <= min(values) + 1e-9 * (1 + abs(glob)), "the global minimum is listed first"
    assert glob <= np.nanmin(Z) + 1e-9 * (1 + abs(glob)), f"{name}: a grid point is lower than {s.minima[0]}"
    assert len({(round(a, 6), round(b, 6)) for a, b in s.minima}) == len(s.minima), "no duplicates"


def test_ackley_cusp_has_zero_gradient_at_the_minimum():
    """The cone at Ackley's minimum has no derivative; its subgradient there contains 0, and that is what JAX
    returns (not NaN, which would poison a run that reaches the minimum exactly)."""
    s = surface("ackley")
    assert np.all(np.asarray(s.grad(jnp.zeros(2))) == 0)
    r = ov.run(s, ["adam"], start=(0.0, 0.0), steps=3)
    assert np.all(r["adam"].path == 0) and r["adam"].diverged_at is None


# ------------------------------------------------------------------------------------------- parameters

def test_parameters_by_keyword_and_by_spec_give_the_same_surface():
    a = ov.load_surface("bowl", condition=50)
    b = ov.load_surface("bowl:condition=50")
    assert a is b, "the same parameters give the same object (and so the same compiled program)"
    assert a.params == {"condition": 50}
    assert float(a(0.0, 1.0)) == 50.0
    assert a.lr["gd"] == pytest.approx(0.9 / 50)
    assert ov.load_surface("bowl") is not a and float(ov.load_surface("bowl")(0.0, 1.0)) == 10.0
    r = ov.load_surface("rosenbrock:a=2,b=10")
    assert r.minima[0] == (2.0, 4.0) and r.lr["gd"] == pytest.approx(0.03)


@pytest.mark.parametrize("spec, match", [
    ("bowl:condition=-1", "condition must be"),
    ("bowl:condition=0", "condition must be"),
    ("bowl:tilt=2", "no parameter 'tilt'; it takes condition"),
    ("ravine:scale=2", "takes no parameters"),
    ("linreg:n=1", "n must be"),
    ("linreg:n=64.5", "n must be"),
    ("logreg:spread=0", "spread must be"),
    ("bowl:condition=abc", "not a number"),
    ("bowl:condition", "key=value"),
])
def test_bad_parameters_are_refused_naming_the_spec(spec, match):
    with pytest.raises(ov.SurfaceError, match=match) as info:
        ov.load_surface(spec)
    assert spec.split(":")[0] in str(info.value)


def test_data_surfaces_are_seeded_and_parametric():
    a, b = ov.load_surface("linreg"), ov.load_surface("linreg:seed=1")
    assert a.minima != b.minima
    assert ov.load_surface("linreg:seed=1") is b
    xs, ys = a.data
    assert xs.shape == ys.shape == (64,)
    w, c = np.polyfit(xs, ys, 1)  # the listed minimum is the least-squares fit
    assert a.minima[0] == pytest.approx((w, c), abs=1e-9)
    assert abs(np.mean(xs) - 1.0) < 0.3, "x is not centred by default: the bowl is tilted"
    # the full-data loss equals the minibatch loss on the whole dataset
    assert float(a(1.0, 0.5)) == pytest.approx(float(a.batch_loss(1.0, 0.5, (xs, ys))), rel=1e-6)


# ----------------------------------------------------------------------------------------------- lessons

@pytest.fixture(scope="module")
def runs():
    """ov.run(surface) with the defaults (five optimizers, 200 steps, suggested lrs), once per surface."""
    cache = {}

    def get(name, **kw):
        key = (name, tuple(sorted(kw.items())))
        if key not in cache:
            cache[key] = ov.run(surface(name), steps=200, **kw)
        return cache[key]

    return get


def test_the_defaults_are_the_five_optimizers_at_the_suggested_rates(runs):
    r = runs("ravine")
    assert list(r) == list(FIVE)
    for name in FIVE:
        assert r[name].spec.hparams["lr"] == surface("ravine").lr[name]


@functools.lru_cache(maxsize=None)
def tuned_table(name: str) -> dict[str, float]:
    """The rule behind every built-in surface's suggested lrs: ov.tune from the start, 200 steps, 3 figures."""
    s = surface(name)
    return {k: float(f"{r.lr:.3g}") for k, r in ov.tune(s, FIVE, steps=200).items()}


_TUNED = [n for n in TEACHING + DATA] + [pytest.param(n, marks=pytest.mark.slow) for n in CLASSIC if n not in
                                        ("rosenbrock", "bowl")]


@pytest.mark.parametrize("name", _TUNED)
def test_suggested_lrs_are_the_tuned_ones_and_say_so(name):
    s = surface(name)
    assert s.lr_tuned == FIVE
    assert {k: s.lr[k] for k in FIVE} == tuned_table(name)


def test_a_race_at_the_suggested_lrs_says_how_each_lr_was_chosen(runs):
    r = runs("ravine")
    assert all(run_label(t).endswith("(tuned)") and t.how == "tuned" for t in r.values())
    mine = ov.run(surface("ravine"), {"gd": {"lr": 0.01}, "nesterov": None}, steps=5)
    assert mine["gd"].how is None and run_label(mine["gd"]) == "GD lr 0.01"  # the user's own lr
    assert run_label(mine["nesterov"]).endswith("(suggested)")  # kin of a tuned optimizer: not tuned itself
    # parameterized surfaces keep their authors' formulas: said so
    assert run_label(ov.run(surface("rosenbrock"), ["gd"], steps=5)["gd"]).endswith("(suggested)")


def test_local_minima_at_tuned_lrs_gd_and_adam_jump_the_ridge_too(runs):
    s = surface("local_minima")
    glob, local = s.minima
    assert value64(s, *glob) < value64(s, *local), "the far one is deeper"
    r = runs("local_minima")
    for name in ("gd", "momentum", "adam"):  # at the tuned lrs escaping is the lr's doing as much as the method's
        assert distance(r[name].final, glob) < 0.05, name
    small = ov.run(s, {"gd": {"lr": 0.02}, "momentum": {"lr": 0.006}}, steps=200)
    assert distance(small["gd"].final, local) < 0.05 and distance(small["momentum"].final, glob) < 0.05
    for t in r.values():
        assert t.diverged_at is None


def test_ravine_gd_crawls_even_at_its_tuned_lr(runs):
    r = runs("ravine", tol=1e-2)
    assert r["gd"].reached_at is None
    for name in ("momentum", "adagrad", "adam"):
        assert r[name].reached_at is not None and r[name].reached_at < 60, name
    assert surface("ravine").lr["gd"] < 2 / 100  # the walls' curvature caps GD's lr


def test_saddle_gd_lingers_only_as_long_as_its_lr_makes_it(runs):
    s = surface("saddle")
    r = runs("saddle")

    def near_saddle(t):
        return int(np.sum(np.linalg.norm(t.path, axis=-1) < 0.1))

    assert 0 < near_saddle(r["gd"]) < 20, "at its tuned lr GD passes the saddle quickly"
    for name in ("rmsprop", "adam"):
        assert near_saddle(r[name]) == 0, name
    for t in r.values():
        assert min(distance(t.final, m) for m in s.minima) < 0.05, t.label
    slow = ov.run(s, {"gd": {"lr": 0.03}}, steps=200)["gd"]
    assert near_saddle(slow) >= 80 and abs(slow.loss[120] - 0.25) < 1e-3, "at lr 0.03 GD sits at the saddle"


def test_flat_gd_stays_on_the_plateau_while_rmsprop_adam_and_momentum_drop(runs):
    r = runs("flat")
    assert r["gd"].final_loss > 0.9
    for name in ("rmsprop", "adam", "momentum"):
        assert r[name].final_loss < 1e-2, name
    # not a matter of GD's learning rate: every rate that is stable in the well (lr < 2) stalls
    lrs = {f"gd{i}": {"name": "gd", "lr": lr} for i, lr in enumerate((0.1, 0.5, 1.0, 1.9))}
    sweep = ov.run(surface("flat"), lrs, steps=200)
    assert all(t.final_loss > 0.99 for t in sweep.values())


def test_steep_then_flat_tuned_rates_arrive_and_a_floor_sized_gd_rate_diverges(runs):
    s = surface("steep_then_flat")
    r = runs("steep_then_flat")
    for t in r.values():
        assert distance(t.final, s.minima[0]) < 0.25, t.label
    assert s.lr["adagrad"] > 3, "Adagrad's tuned lr is about the distance to the minimum: one step jumps the floor"
    big = ov.run(s, {"gd": {"lr": 1.0}}, steps=50)
    assert big["gd"].diverged_at is not None


def test_plateau_cliff_throws_gd_with_lr_2_off_the_picture():
    s = surface("plateau_cliff")
    r = ov.run(s, {"gd": {"lr": 2.0}, "momentum": {"lr": 0.3}, "adam": {"lr": 0.1}}, steps=200)
    for name in ("gd", "momentum"):
        assert not all(inside(s, p) for p in r[name].path), f"{name} is thrown out of the domain"
    assert all(inside(s, p) for p in r["adam"].path) and distance(r["adam"].final, s.minima[0]) < 0.2
    # GD's largest step (at the cliff) is many times its steps on the plateau
    steps = np.linalg.norm(np.diff(r["gd"].path, axis=0), axis=1)
    assert steps.max() > 10 * steps[:3].max()
    # and not only from this start: from every start across the middle of the plateau
    starts = np.stack([np.linspace(2.5, 3.3, 9), np.full(9, 1.5)], axis=1)
    many = ov.run(s, {"gd": {"lr": 2.0}, "adam": {"lr": 0.1}}, starts=starts, steps=60)
    assert np.all(many["gd"].path[:, :, 0].min(axis=1) < s.domain[0][0])
    assert np.all(many["adam"].path[:, :, 0].min(axis=1) > s.domain[0][0])


def test_himmelblau_optimizers_land_in_different_minima(runs):
    s = surface("himmelblau")
    r = runs("himmelblau")
    landed = {min(range(4), key=lambda i: distance(t.final, s.minima[i])) for t in r.values()}
    assert len(landed) >= 3


def test_styblinski_tang_small_steps_end_in_the_worst_minimum_tuned_ones_in_the_best(runs):
    s = surface("styblinski_tang")
    worst, best = s.minima[-1], s.minima[0]
    small = ov.run(s, {"gd": {"lr": 0.01}}, steps=200)["gd"]
    assert distance(small.final, worst) < 0.05
    r = runs("styblinski_tang")
    for name in ("gd", "momentum", "adam"):
        assert distance(r[name].final, best) < 0.05, name


def test_rosenbrock_momentum_and_adam_get_further_along_the_valley_than_gd(runs):
    r = runs("rosenbrock")
    assert r["momentum"].final_loss < r["gd"].final_loss / 10
    assert r["adam"].final_loss < r["gd"].final_loss


# ----------------------------------------------------------------------------------------- data surfaces

def test_linreg_sgd_draws_real_minibatches():
    s = surface("linreg")
    n = len(s.data[0])
    a = ov.run(s, ["sgd"], steps=100, seed=0)["sgd"]
    b = ov.run(s, ["sgd"], steps=100, seed=1)["sgd"]
    again = ov.run(s, ["sgd"], steps=100, seed=0)["sgd"]
    assert np.array_equal(a.path, again.path), "a seed gives the same path"
    assert np.abs(a.path - b.path).max() > 0.05, "different seeds give different minibatches"
    assert a.spec.noise == 0.0, "the minibatch is the noise: no Gaussian noise on top"
    # a batch of the whole dataset is the full gradient: sgd is then gd
    full = ov.run(s, {"sgd": {"lr": 0.15}, "gd": {"lr": 0.15}}, steps=100, batch_size=n)
    np.testing.assert_allclose(full["sgd"].path, full["gd"].path, atol=1e-5)
    # with small batches it jitters around the fit instead of settling there
    r = ov.run(s, {"sgd": {"lr": 0.15}, "gd": {"lr": 0.15}}, steps=300, batch_size=4)
    fit = s.minima[0]
    assert distance(r["gd"].final, fit) < 1e-3
    tail = r["sgd"].path[150:]
    assert np.mean(np.linalg.norm(tail - np.asarray(fit), axis=1)) > 10 * distance(r["gd"].final, fit)
    assert np.mean(np.linalg.norm(tail - np.asarray(fit), axis=1)) < 1.0, "but stays near it"


def test_logreg_has_a_minimum_only_when_the_classes_overlap():
    s = surface("logreg")
    assert len(s.minima) == 1
    sep = ov.load_surface("logreg:spread=0.3")
    xs, ts = sep.data
    assert xs[ts == 0].max() < xs[ts == 1].min(), "spread=0.3 separates the classes"
    assert sep.minima == (), "no minimum: the loss keeps falling as w grows"
    r = ov.run(sep, ["gd"], steps=300)["gd"]
    w = r.path[:, 0]
    assert w[300] > w[200] > w[100] > 0 and np.all(np.diff(r.loss[50:]) < 0)


# ------------------------------------------------------------------------------------- compiled programs

def _compiled_count():
    from optiviz.engine import program

    return program._execute._cache_size()


def test_the_same_surface_reuses_the_compiled_program():
    s = ov.load_surface("bowl:condition=7")
    ov.run(s, ["gd", "adam"], steps=20)
    before = _compiled_count()
    ov.run(s, {"gd": {"lr": 0.01}, "adam": {"lr": 0.3}}, steps=20, start=(1.0, 1.0))
    ov.run("bowl:condition=7", ["gd", "adam"], steps=20)  # the spec resolves to the same object
    ov.run(ov.load_surface("bowl", condition=7), ["gd", "adam"], steps=20)
    assert _compiled_count() == before
    ov.run(ov.load_surface("bowl", condition=8), ["gd", "adam"], steps=20)
    assert _compiled_count() == before + 1, "a different surface is a different program"
