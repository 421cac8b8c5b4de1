"""The optimizers, in the manner of optax's ``alias_test.py``: one table of (name, hyperparameters) drives
convergence, no-recompile and pytree tests; differential tests pin every optimizer optax has to the same
convention and compare trajectories in float64; hypothesis checks the invariants that tie them together.

Compiles are the cost here, so each group of tests shares one compiled program (the engine runs every optimizer
of the table in one program; the differential tests run every pair in one jit), and hypothesis examples pass
their numbers as arguments of a jitted function so that no example recompiles.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import optiviz as ov
from optiviz.engine import program
from optiviz.errors import InvalidValueError, UnknownNameError

sched = ov.schedule

BOWL_STEPS = 2000  # bowl: f = x^2 + 10 y^2 from its start (-2.5, 1.5); minimum (0, 0); L = 20, so GD needs lr < 0.1
ROSEN_STEPS = 10_000  # Rosenbrock from the classic start (-1.2, 1); minimum (1, 1) at the end of a curved valley
ROSEN_START = (-1.2, 1.0)


@dataclass(frozen=True)
class Case:
    """One registered optimizer: hyperparameters that honestly converge on each surface, and how close they get.

    ``rosen_tol`` is the distance to (1, 1) after ``ROSEN_STEPS`` steps; most get within 1e-3, the documented
    exceptions get their own (measured values are 2 to 50 times tighter than the tolerance).
    """

    name: str
    bowl: dict = field(default_factory=dict)
    rosenbrock: dict = field(default_factory=dict)
    bowl_tol: float = 1e-3
    rosen_tol: float = 1e-3
    why: str = ""


TABLE = [
    Case("gd", dict(lr=0.05), dict(lr=1.5e-3), rosen_tol=1e-2,
         why="lr must stay below 2 / L ~ 2e-3 at the valley floor, so the crawl along the valley is slow"),
    Case("sgd", dict(lr=sched("inverse_sqrt", lr=0.05), noise=0.1), dict(lr=1.5e-3, noise=0.01),
         bowl_tol=1e-2, rosen_tol=2e-2,
         why="gradient noise leaves a floor of about lr * noise; a decaying lr lowers it on the bowl"),
    Case("momentum", dict(lr=0.02), dict(lr=2e-4), rosen_tol=2e-3,
         why="momentum 0.9 multiplies the step by 10, so the lr is 10 times smaller than GD's"),
    Case("nesterov", dict(lr=0.02), dict(lr=2e-4), rosen_tol=2e-3),
    Case("adagrad", dict(lr=0.5), dict(lr=0.5), rosen_tol=5e-3,
         why="its step decays like 1 / sqrt(t), so it slows down along the valley"),
    Case("rmsprop", dict(lr=sched("cosine", lr=0.05, steps=BOWL_STEPS)),
         dict(lr=sched("cosine", lr=3e-3, steps=ROSEN_STEPS)),
         why="with a constant lr it hovers at a distance ~ lr around the minimum (sign-like steps); a cosine "
             "schedule lets it settle"),
    Case("adadelta", dict(lr=1.0, rho=0.95, eps=1e-4), dict(lr=sched("cosine", lr=1.0, steps=ROSEN_STEPS), rho=0.99),
         rosen_tol=5e-3,
         why="with a constant lr its step ratio sqrt(E[dx^2]) / sqrt(E[g^2]) keeps it bouncing in Rosenbrock's "
             "curved valley about 0.5 from the minimum; a decaying lr damps the bounce"),
    Case("adam", dict(lr=0.05), dict(lr=0.01)),
    Case("adamax", dict(lr=0.05), dict(lr=0.02)),
    Case("nadam", dict(lr=0.05), dict(lr=sched("cosine", lr=0.02, steps=ROSEN_STEPS))),
    Case("amsgrad", dict(lr=0.05), dict(lr=0.5),
         why="the running max of v_hat remembers the large gradients of the start, so it needs a larger lr"),
    Case("radam", dict(lr=0.05), dict(lr=5e-3),
         why="its first steps (until rho_t > 5) are momentum on the raw gradient, which is ~200 at Rosenbrock's start"),
    Case("rprop", dict(lr=0.01), dict(lr=0.01), rosen_tol=2e-3,
         why="it steps by the sign of each coordinate, and along Rosenbrock's flat valley floor that sign is set by "
             "the steep cross-valley slope, so it ends ~1.1e-3 short along the floor (loss 2.5e-7)"),
    Case("adamw", dict(lr=0.05), dict(lr=0.01),
         why="the default weight decay 1e-4 moves the fixed point by ~1e-4, inside the tolerance"),
    Case("lion", dict(lr=sched("cosine", lr=0.02, steps=BOWL_STEPS), weight_decay=0.0),
         dict(lr=sched("cosine", lr=3e-3, steps=ROSEN_STEPS), weight_decay=0.0),
         why="its sign steps all have length lr, so only a decaying lr reaches the minimum; weight decay would "
             "move the fixed point"),
]
CASES = {c.name: c for c in TABLE}


def test_the_table_covers_every_registered_optimizer():
    assert sorted(CASES) == ov.optimizers.names()


def _scaled(hp: dict, factor: float) -> dict:
    """The same hyperparameters with the learning rate (a number or a schedule's lr) scaled."""
    lr = hp["lr"]
    if isinstance(lr, ov.Schedule):
        lr = ov.schedule(lr.name, **{**dict(lr.params), "lr": lr.lr * factor})
    else:
        lr = lr * factor
    return {**hp, "lr": lr}


@pytest.fixture(scope="module")
def converged():
    """Every optimizer of the table on both surfaces: one program per surface, run once."""
    out = {}
    for surface, key, steps, start in [("bowl", "bowl", BOWL_STEPS, None), ("rosenbrock", "rosenbrock", ROSEN_STEPS,
                                                                            ROSEN_START)]:
        opts = {c.name: dict(getattr(c, key), name=c.name) for c in TABLE}
        out[surface] = ov.run(surface, opts, steps=steps, start=start, record="final")
    return out


@pytest.mark.parametrize("name", sorted(CASES))
def test_converges_on_the_bowl(converged, name):
    run = converged["bowl"][name]
    assert run.diverged_at is None
    assert np.linalg.norm(run.final) < CASES[name].bowl_tol
    assert run.final_loss < 10 * CASES[name].bowl_tol ** 2


@pytest.mark.parametrize("name", sorted(CASES))
def test_converges_on_rosenbrock(converged, name):
    run = converged["rosenbrock"][name]
    assert run.diverged_at is None
    start_loss = float(ov.load_surface("rosenbrock").value(jnp.asarray(ROSEN_START)))
    assert np.linalg.norm(run.final - np.array([1.0, 1.0])) < CASES[name].rosen_tol
    assert run.final_loss < 1e-3 * start_loss


def test_new_learning_rates_and_start_do_not_recompile(converged):
    """Every optimizer's hyperparameters and the start are traced: a second call reuses the program."""
    del converged  # compiled the rosenbrock program
    before = program._execute._cache_size()
    opts = {c.name: dict(_scaled(c.rosenbrock, 0.9), name=c.name) for c in TABLE}
    again = ov.run("rosenbrock", opts, steps=ROSEN_STEPS, start=(-1.0, 1.5), record="final")
    assert program._execute._cache_size() == before
    assert all(np.all(np.isfinite(t.final)) for t in again.values())


# ------------------------------------------------------------------------------------------ pytrees

def _tree(scale: float):
    return {"w": jnp.full((3, 2), scale), "layers": [jnp.arange(4.0) * scale, (jnp.asarray(scale),)],
            "b": jnp.linspace(-1.0, 1.0, 5) * scale}


def _numbers(hp: dict) -> dict:
    """The numeric hyperparameters of a table entry (a schedule's lr replaced by its initial value)."""
    return {k: (v.lr if isinstance(v, ov.Schedule) else v) for k, v in hp.items() if k != "noise"}


@pytest.mark.parametrize("name", sorted(CASES))
def test_nested_pytree_updates_are_finite_shaped_like_params_and_do_not_recompile(name):
    hp = _numbers(CASES[name].bowl)

    @jax.jit
    def three_steps(hp, params, grads):
        opt = ov.optimizer(name, **hp)  # traced hyperparameters pass through validation, as in optax
        state = opt.init(params)
        for _ in range(3):
            updates, state = opt.update(grads, state, params)
            params = jax.tree_util.tree_map(jnp.add, params, updates)
        return updates, params

    params = _tree(1.0)
    grads = jax.tree_util.tree_map(lambda p: jnp.full_like(p, -0.5), params)
    updates, new = three_steps(hp, params, grads)
    for out in (updates, new):
        assert jax.tree_util.tree_structure(out) == jax.tree_util.tree_structure(params)
        for a, b in zip(jax.tree_util.tree_leaves(out), jax.tree_util.tree_leaves(params)):
            assert a.shape == b.shape and a.dtype == b.dtype and np.all(np.isfinite(np.asarray(a)))
    # the gradient is -0.5 everywhere, so every optimizer moves every leaf up (checked on the host: no small
    # device program per leaf shape)
    assert all(np.all(np.asarray(u) > 0) for u in jax.tree_util.tree_leaves(updates))
    three_steps({**hp, "lr": hp["lr"] * 0.5}, _tree(2.0), _tree(0.25))
    assert three_steps._cache_size() == 1


def test_optimizers_compose_with_optax():
    """Our optimizers have optax's call shapes: optax.chain and optax.apply_updates take them."""
    opt = optax.chain(optax.clip_by_global_norm(1.0), ov.optimizer("adam", lr=0.1))
    params = {"x": jnp.array([3.0, -4.0])}
    state = opt.init(params)
    updates, state = opt.update({"x": jnp.array([30.0, -40.0])}, state, params)
    assert jnp.allclose(optax.apply_updates(params, updates)["x"], jnp.array([2.9, -3.9]), atol=1e-6)


def test_weight_decay_needs_params_only_when_it_is_used():
    params = jnp.ones(2)
    opt = ov.optimizer("adadelta")  # weight_decay = 0: no params needed
    opt.update(params, opt.init(params))
    opt = ov.optimizer("adamw")
    with pytest.raises(InvalidValueError, match="needs params"):
        opt.update(params, opt.init(params))


# ---------------------------------------------------------------------------------- validation

NAMES = ov.optimizers.names()


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("lr, message", [(0.0, "lr must be > 0"), (-0.1, "lr must be > 0"),
                                         (math.nan, "lr must be finite"), (math.inf, "lr must be finite"),
                                         ("fast", "lr must be a number"), (True, "lr must be a number")])
def test_bad_learning_rates_are_refused(name, lr, message):
    with pytest.raises(InvalidValueError, match=message) as info:
        ov.optimizer(name, lr=lr)
    assert str(info.value).startswith(f"{name}: ")


UNIT = [(name, key) for name in NAMES for key in ("b1", "b2", "momentum", "decay", "rho")
        if key in ov.optimizers.get(name).defaults]


@pytest.mark.parametrize("name, key", UNIT)
@pytest.mark.parametrize("value", [-0.1, 1.0, 1.5, math.nan])
def test_decay_rates_outside_the_unit_interval_are_refused(name, key, value):
    message = f"{key} must be finite" if math.isnan(value) else rf"{key} must be in \[0, 1\), got {value:g}"
    with pytest.raises(InvalidValueError, match=message):
        ov.optimizer(name, **{key: value})


@pytest.mark.parametrize("name", [n for n in NAMES if "eps" in ov.optimizers.get(n).defaults])
def test_negative_eps_is_refused(name):
    with pytest.raises(InvalidValueError, match="eps must be >= 0, got -1e-08"):
        ov.optimizer(name, eps=-1e-8)


@pytest.mark.parametrize("key", ["weight_decay", "initial_accumulator_value", "noise"])
def test_other_nonnegative_hyperparameters(key):
    name = {"weight_decay": "adamw", "initial_accumulator_value": "adagrad", "noise": "sgd"}[key]
    with pytest.raises(InvalidValueError, match=f"{key} must be >= 0"):
        ov.optimizer(name, **{key: -1.0})


def test_unknown_hyperparameters_name_the_close_match_and_the_accepted_ones():
    with pytest.raises(InvalidValueError) as info:
        ov.optimizer("adam", beta1=0.9)
    assert str(info.value) == ("adam has no hyperparameter 'beta1' (did you mean 'b1'?); "
                               "it takes lr, b1, b2, eps, weight_decay, decoupled_weight_decay, noise, convention")
    with pytest.raises(InvalidValueError, match="momentum has no hyperparameter 'b1'"):
        ov.optimizer("momentum", b1=0.9)


def test_a_spec_is_replaced_by_value_not_by_name():
    spec = ov.optimizers.spec("adam", lr=0.1)
    assert spec.replace(b1=0.5).hparams == {"lr": 0.1, "b1": 0.5, "b2": 0.999, "eps": 1e-8, "weight_decay": 0.0,
                                          "decoupled_weight_decay": False}
    with pytest.raises(InvalidValueError, match="adam: b1 must be in"):
        spec.replace(b1=2.0)
    with pytest.raises(InvalidValueError, match="changes hyperparameters, not the optimizer"):
        spec.replace(name="gd")


def test_flags_must_be_booleans():
    with pytest.raises(InvalidValueError, match="bias_correction must be true or false, got 2"):
        ov.optimizer("rmsprop", bias_correction=2)


def test_unknown_optimizer_says_did_you_mean():
    with pytest.raises(UnknownNameError, match=r"unknown optimizer 'adma'; did you mean .*'adam'"):
        ov.optimizer("adma")


@pytest.mark.parametrize("name", NAMES)
def test_every_docstring_gives_equations_symbols_and_a_reference(name):
    doc = ov.optimizers.get(name).doc
    assert "theta_t = " in doc and "Symbols:" in doc and "Reference:" in doc
    for key in ov.optimizers.get(name).defaults:
        assert f"``{key}``" in doc, f"{name}'s docstring does not map {key}"


# ------------------------------------------------------------------------- differential: optax

@dataclass(frozen=True)
class Pair:
    """Our optimizer and optax's, with every hyperparameter pinned to the same value."""

    id: str
    name: str
    hparams: dict
    reference: object


# learning rates for which every path on Rosenbrock is smooth (not chaotic) over 1,000 steps: there, float64
# rounding differences stay near 1e-12 instead of being amplified (NAdam at lr = 0.05 would be)
PAIRS = [
    Pair("gd", "gd", dict(lr=1e-3), optax.sgd(1e-3)),
    Pair("sgd", "sgd", dict(lr=1e-3, noise=0.0), optax.sgd(1e-3)),
    Pair("momentum", "momentum", dict(lr=5e-4, momentum=0.9), optax.sgd(5e-4, momentum=0.9)),
    Pair("nesterov", "nesterov", dict(lr=5e-4, momentum=0.9), optax.sgd(5e-4, momentum=0.9, nesterov=True)),
    Pair("adagrad", "adagrad", dict(lr=0.3, initial_accumulator_value=0.1, eps=1e-7),
         optax.adagrad(0.3, initial_accumulator_value=0.1, eps=1e-7)),
    Pair("rmsprop", "rmsprop", dict(lr=0.01, decay=0.9, eps=1e-8), optax.rmsprop(0.01, decay=0.9, eps=1e-8)),
    Pair("rmsprop-bias-correction", "rmsprop", dict(lr=0.01, decay=0.8, eps=1e-6, bias_correction=True),
         optax.rmsprop(0.01, decay=0.8, eps=1e-6, bias_correction=True)),
    Pair("rmsprop-eps-outside", "rmsprop", dict(lr=0.01, decay=0.9, eps=1e-6, eps_in_sqrt=False),
         optax.rmsprop(0.01, decay=0.9, eps=1e-6, eps_in_sqrt=False)),
    Pair("rmsprop-momentum", "rmsprop", dict(lr=0.01, decay=0.9, eps=1e-6, momentum=0.9),
         optax.rmsprop(0.01, decay=0.9, eps=1e-6, momentum=0.9)),
    Pair("rmsprop-both", "rmsprop", dict(lr=0.01, eps=1e-8, bias_correction=True, eps_in_sqrt=False),
         optax.rmsprop(0.01, eps=1e-8, bias_correction=True, eps_in_sqrt=False)),
    # optax.adadelta(learning_rate=None) returns +dx: compare with learning_rate=1.0, which is Zeiler's method
    Pair("adadelta", "adadelta", dict(lr=1.0, rho=0.9, eps=1e-6), optax.adadelta(1.0, rho=0.9, eps=1e-6)),
    Pair("adadelta-decay", "adadelta", dict(lr=1.0, rho=0.95, eps=1e-6, weight_decay=1e-3),
         optax.adadelta(1.0, rho=0.95, eps=1e-6, weight_decay=1e-3)),
    Pair("adam", "adam", dict(lr=0.02, b1=0.9, b2=0.999, eps=1e-8), optax.adam(0.02, b1=0.9, b2=0.999, eps=1e-8)),
    Pair("adamax", "adamax", dict(lr=0.02, b1=0.9, b2=0.999, eps=1e-8), optax.adamax(0.02, b1=0.9, b2=0.999, eps=1e-8)),
    Pair("nadam", "nadam", dict(lr=0.02, b1=0.9, b2=0.999, eps=1e-8), optax.nadam(0.02, b1=0.9, b2=0.999, eps=1e-8)),
    Pair("amsgrad", "amsgrad", dict(lr=0.02, b1=0.9, b2=0.999, eps=1e-8),
         optax.amsgrad(0.02, b1=0.9, b2=0.999, eps=1e-8)),
    Pair("adamw", "adamw", dict(lr=0.02, b1=0.9, b2=0.999, eps=1e-8, weight_decay=1e-2),
         optax.adamw(0.02, b1=0.9, b2=0.999, eps=1e-8, weight_decay=1e-2)),
    Pair("radam", "radam", dict(lr=1e-3, b1=0.9, b2=0.999, eps=1e-8), optax.radam(1e-3, b1=0.9, b2=0.999, eps=1e-8)),
    Pair("rprop", "rprop", dict(lr=1e-3), optax.rprop(1e-3)),
    Pair("lion", "lion", dict(lr=3e-3, b1=0.9, b2=0.99, weight_decay=1e-3),
         optax.lion(3e-3, b1=0.9, b2=0.99, weight_decay=1e-3)),
]
DIFF_STEPS = 1000
DIFF_START = (-1.5, 2.5)


def test_every_optimizer_with_an_optax_counterpart_is_compared():
    assert {p.name for p in PAIRS} == set(ov.optimizers.names())


@pytest.fixture
def x64():
    """float64 for this test only (JAX's context manager: it does not leak into other tests)."""
    with jax.enable_x64(True):
        yield


def _walk(opt, grad, p0, steps: int):
    """The path p_0 ... p_steps of a plain optax-style loop."""

    def body(carry, _):
        p, state = carry
        updates, state = opt.update(grad(p), state, p)
        return (optax.apply_updates(p, updates), state), p

    (last, _), path = jax.lax.scan(body, (p0, opt.init(p0)), None, length=steps)
    return jnp.concatenate([path, last[None]])


@pytest.fixture(scope="module")
def reference_paths():
    """optax's paths and our optimizers' paths (the raw step loop), every pair in one float64 jit."""
    surface = ov.load_surface("rosenbrock")
    with jax.enable_x64(True):
        grad = jax.grad(lambda p: surface.fn(p[0], p[1]))

        @jax.jit
        def walks(p0):
            ours = {p.id: _walk(ov.optimizer(p.name, **p.hparams), grad, p0, DIFF_STEPS) for p in PAIRS}
            theirs = {p.id: _walk(p.reference, grad, p0, DIFF_STEPS) for p in PAIRS}
            return ours, theirs

        ours, theirs = walks(jnp.asarray(DIFF_START, jnp.float64))
        assert theirs["adam"].dtype == jnp.float64
        return jax.tree_util.tree_map(np.asarray, (ours, theirs))


@pytest.mark.parametrize("pair", PAIRS, ids=[p.id for p in PAIRS])
def test_step_loop_matches_optax_in_float64(reference_paths, pair):
    ours, theirs = reference_paths
    assert np.all(np.isfinite(theirs[pair.id]))
    # the path must actually go somewhere for the comparison to mean anything
    assert np.linalg.norm(theirs[pair.id][-1] - theirs[pair.id][0]) > 0.1
    np.testing.assert_allclose(ours[pair.id], theirs[pair.id], rtol=1e-5, atol=1e-9)


@pytest.fixture(scope="module")
def engine_paths():
    """The same pairs through the full engine (``ov.run``), in float64, one program."""
    with jax.enable_x64(True):
        runs = ov.run("rosenbrock", {p.id: dict(p.hparams, name=p.name) for p in PAIRS}, steps=DIFF_STEPS,
                      start=DIFF_START)
    assert runs["adam"].path.dtype == np.float64
    return runs


@pytest.mark.parametrize("pair", PAIRS, ids=[p.id for p in PAIRS])
def test_engine_matches_optax_in_float64(engine_paths, reference_paths, pair):
    theirs = reference_paths[1][pair.id]
    run = engine_paths[pair.id]
    assert run.path.shape == theirs.shape == (DIFF_STEPS + 1, 2)
    np.testing.assert_allclose(run.path, theirs, rtol=1e-5, atol=1e-9)
    surface = ov.load_surface("rosenbrock")
    np.testing.assert_allclose(run.loss, surface.fn(theirs[:, 0], theirs[:, 1]), rtol=1e-5, atol=1e-9)


# ---------------------------------------------------------------------------------- invariants

STEPS = 12


def finite(min_value: float, max_value: float):
    """Floats that float32 represents exactly, in [min_value, max_value] (rounded to float32); no subnormals,
    which XLA:CPU flushes to zero."""
    return st.floats(float(np.float32(min_value)), float(np.float32(max_value)), allow_nan=False,
                     allow_infinity=False, allow_subnormal=False, width=32)


grads_strategy = hnp.arrays(np.float32, (STEPS, 2), elements=finite(-100, 100))
nonzero_grads = hnp.arrays(np.float32, (STEPS, 2), elements=st.one_of(finite(-100, -0.01),
                                                                       finite(0.01, 100)))


@functools.lru_cache(maxsize=None)
def _updates_fn(name: str, flags: tuple = ()):
    """A jitted loop: the updates and states of ``name`` along a gradient sequence, hyperparameters traced."""

    @jax.jit
    def run(hp, grads, params):
        opt = ov.optimizer(name, **hp, **dict(flags))
        state = opt.init(params)

        def body(state, g):
            updates, state = opt.update(g, state, params)
            return state, (updates, state)

        return jax.lax.scan(body, state, grads)[1]

    return run


def _zero_decay(name: str) -> dict:
    return {"weight_decay": 0.0} if "weight_decay" in ov.optimizers.get(name).defaults else {}


@pytest.mark.parametrize("name", NAMES)
@settings(deadline=None)
@given(lr=finite(1e-4, 1.0),
       params=hnp.arrays(np.float32, (1, 2), elements=finite(-10, 10)))
def test_zero_gradient_from_a_fresh_state_gives_a_zero_update(name, lr, params):
    # weight decay is switched off: it moves params even without a gradient, by design
    updates, _ = _updates_fn(name)(dict(lr=lr, **_zero_decay(name)), np.zeros((1, 2), np.float32), params[0])
    assert np.array_equal(np.asarray(updates), np.zeros((1, 2)))


@settings(deadline=None)
@given(lr=finite(1e-4, 1.0), grads=grads_strategy)
def test_momentum_zero_is_gradient_descent_exactly(lr, grads):
    p = np.zeros(2, np.float32)
    heavy, _ = _updates_fn("momentum")(dict(lr=lr, momentum=0.0), grads, p)
    plain, _ = _updates_fn("gd")(dict(lr=lr), grads, p)
    np.testing.assert_array_equal(np.asarray(heavy), np.asarray(plain))
    nesterov, _ = _updates_fn("nesterov")(dict(lr=lr, momentum=0.0), grads, p)
    np.testing.assert_array_equal(np.asarray(nesterov), np.asarray(plain))


@settings(deadline=None)
@given(lr=finite(1e-4, 1.0), b2=finite(0.5, 0.999),
       eps=finite(1e-8, 1e-3), grads=grads_strategy)
def test_adam_with_b1_zero_is_bias_corrected_rmsprop(lr, b2, eps, grads):
    p = np.zeros(2, np.float32)
    adam, _ = _updates_fn("adam")(dict(lr=lr, b1=0.0, b2=b2, eps=eps), grads, p)
    rms, _ = _updates_fn("rmsprop", (("bias_correction", True), ("eps_in_sqrt", False)))(
        dict(lr=lr, decay=b2, eps=eps), grads, p)
    np.testing.assert_allclose(np.asarray(adam), np.asarray(rms), rtol=1e-6, atol=1e-30)


@settings(deadline=None)
@given(g0=finite(0.0, 1.0), grads=grads_strategy)
def test_adagrad_accumulator_never_decreases(g0, grads):
    _, states = _updates_fn("adagrad")(dict(lr=0.1, initial_accumulator_value=g0), grads, np.zeros(2, np.float32))
    # chain(add_decayed_weights, scale_by_rss, scale_by_inverse_time, scale_by_lr): the RssState
    acc = np.asarray(next(s for s in states if hasattr(s, "sum_of_squares")).sum_of_squares)
    assert np.all(acc[0] >= np.float32(g0))
    assert np.all(np.diff(acc, axis=0) >= 0)


SCALE_FREE = [("adagrad", dict(initial_accumulator_value=0.0, eps=0.0)), ("rmsprop", dict(eps=0.0)),
              ("adam", dict(eps=0.0))]


@pytest.mark.parametrize("name, hp", SCALE_FREE, ids=[n for n, _ in SCALE_FREE])
@settings(deadline=None)
@given(scale=finite(1e-3, 1e3), grads=nonzero_grads)
def test_adaptive_updates_ignore_the_gradient_scale_when_eps_is_zero(name, hp, scale, grads):
    # Adagrad also needs a zero initial accumulator: G_0 = 0.1 is a scale of its own
    p = np.zeros(2, np.float32)
    run = _updates_fn(name)
    plain, _ = run(dict(lr=0.1, **hp), grads, p)
    scaled, _ = run(dict(lr=0.1, **hp), grads * np.float32(scale), p)
    np.testing.assert_allclose(np.asarray(scaled), np.asarray(plain), rtol=2e-4, atol=1e-7)


def adam_step_bound(lr: float, b1: float, b2: float, t: np.ndarray) -> np.ndarray:
    """The largest |update| Adam (eps = 0) can make at step t over all gradient histories (Cauchy-Schwarz):

        |m_hat_t| / sqrt(v_hat_t) <= (1 - b1) / sqrt(1 - b2) * sqrt(1 - b2**t) / (1 - b1**t)
                                     * sqrt(sum_{k<t} (b1**2 / b2)**k),

    attained by gradients proportional to (b1 / b2)**(t - i). It equals lr at t = 1, and tends to
    lr * (1 - b1) / sqrt(1 - b2) (Kingma & Ba's bound) for a gradient that was zero until step t.
    """
    q = b1 * b1 / b2
    sums = np.cumsum(q ** np.arange(t.max()))[t - 1]
    return lr * (1 - b1) / np.sqrt(1 - b2) * np.sqrt(1 - b2 ** t) / (1 - b1 ** t) * np.sqrt(sums)


@settings(deadline=None)
@given(lr=finite(1e-3, 1.0), b1=finite(0.0, 0.99),
       b2=finite(0.5, 0.9999), grads=grads_strategy)
def test_adam_step_is_bounded(lr, b1, b2, grads):
    updates, _ = _updates_fn("adam")(dict(lr=lr, b1=b1, b2=b2, eps=1e-8), grads, np.zeros(2, np.float32))
    t = np.arange(1, STEPS + 1)
    bound = adam_step_bound(lr, np.float64(np.float32(b1)), np.float64(np.float32(b2)), t)
    # slack 1e-3: in float32, 1 - b2**t cancels (b2 near 1), so the bias correction is only good to ~1e-4
    assert np.all(np.abs(np.asarray(updates)) <= bound[:, None] * (1 + 1e-3) + 1e-7)


def test_adam_step_bound_is_kingma_and_bas_for_a_sparse_gradient_and_attained_by_growing_ones(x64):
    lr, b1, b2, n = 1.0, 0.9, 0.999, 300
    kingma = lr * (1 - b1) / np.sqrt(1 - b2)
    run = _updates_fn("adam")
    # a gradient that was zero until step 5000: the step nears the paper's lr (1 - b1) / sqrt(1 - b2), from below
    sparse = np.zeros((5000, 1))
    sparse[-1] = 1.0
    step = -float(run(dict(lr=lr, b1=b1, b2=b2, eps=0.0), sparse, np.zeros(1))[0][-1, 0])
    assert 0.8 * kingma < step <= kingma
    # gradients growing like (b2 / b1)**i attain the general bound, which exceeds the paper's after ~200 steps:
    # the paper's bound is for this sparse case, not a bound over every history
    growing = ((b1 / b2) ** np.arange(n - 1, -1, -1.0))[:, None]
    steps = -np.asarray(run(dict(lr=lr, b1=b1, b2=b2, eps=0.0), growing, np.zeros(1))[0][:, 0])
    assert steps[-1] == pytest.approx(adam_step_bound(lr, b1, b2, np.array([n]))[0], rel=1e-9)
    assert steps[-1] > 1.1 * kingma


@settings(deadline=None)
@given(l1=finite(0.1, 10.0), l2=finite(0.1, 10.0),
       angle=finite(0.0, 3.14159), frac=finite(0.01, 0.99),
       start=hnp.arrays(np.float64, (2,), elements=finite(-10, 10)))
def test_gradient_descent_decreases_a_convex_quadratic_when_lr_is_below_two_over_L(l1, l2, angle, frac, start):
    c, s = math.cos(angle), math.sin(angle)
    rot = np.array([[c, -s], [s, c]])
    hessian = rot @ np.diag([l1, l2]) @ rot.T
    lr = frac * 2.0 / max(l1, l2)
    with jax.enable_x64(True):
        losses = np.asarray(_quadratic_descent(hessian, lr, start))
    # every eigencomponent shrinks by |1 - lr * lambda| < 1, so the loss never increases
    assert np.all(losses[1:] <= losses[:-1] + 1e-12 * losses[0])


@jax.jit
def _quadratic_descent(hessian, lr, start):
    opt = ov.optimizer("gd", lr=lr)
    loss = lambda p: 0.5 * p @ hessian @ p  # noqa: E731

    def body(carry, _):
        p, state = carry
        updates, state = opt.update(jax.grad(loss)(p), state, p)
        return (p + updates, state), loss(p)

    return jax.lax.scan(body, (start, opt.init(start)), None, length=40)[1]


def test_gradient_descent_above_two_over_L_diverges(x64):
    hessian = np.diag([1.0, 4.0])  # L = 4
    assert np.all(np.diff(np.asarray(_quadratic_descent(hessian, 0.49, np.array([1.0, 1.0])))) < 0)
    losses = np.asarray(_quadratic_descent(hessian, 0.51, np.array([1.0, 1.0])))
    assert losses[-1] > losses[0]
