"""Learning-rate schedules: values and trajectories against optax's schedules, the update-count convention,
pytree behaviour (new numbers do not recompile) and validation."""
from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import optiviz as ov
from optiviz.engine import program
from optiviz.errors import InvalidValueError, UnknownNameError
from optiviz.optimizers import parse

T = np.arange(0, 2001)


def test_names():
    assert ov.schedules.names() == ["constant", "cosine", "exponential", "inverse_sqrt", "step"]


def _inverse_sqrt(lr):
    """optax has no 1 / sqrt(t + 1) schedule: this is one written as optax schedules are (a function of count)."""
    return lambda count: lr / jnp.sqrt(count + 1.0)


# (our schedule, the optax schedule with the same numbers)
SCHEDULES = {
    "constant": (ov.schedule("constant", lr=0.3), optax.constant_schedule(0.3)),
    "exponential": (ov.schedule("exponential", lr=0.3, decay_rate=0.99, transition_steps=7.0),
                    optax.exponential_decay(0.3, transition_steps=7, decay_rate=0.99)),
    "cosine": (ov.schedule("cosine", lr=0.3, steps=1500, alpha=0.1),
               optax.cosine_decay_schedule(0.3, decay_steps=1500, alpha=0.1)),
    "step": (ov.schedule("step", lr=0.3, every=250, factor=0.5),
             optax.exponential_decay(0.3, transition_steps=250, decay_rate=0.5, staircase=True)),
    "inverse_sqrt": (ov.schedule("inverse_sqrt", lr=0.3), _inverse_sqrt(0.3)),
}


@pytest.fixture
def x64():
    with jax.enable_x64(True):
        yield


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_values_match_optax(x64, name):
    ours, theirs = SCHEDULES[name]
    t = jnp.asarray(T)
    np.testing.assert_allclose(np.asarray(ours(t)) * np.ones(T.shape), np.asarray(theirs(t)) * np.ones(T.shape),
                               rtol=1e-12)


def test_step_schedule_is_optax_piecewise_constant(x64):
    ours = ov.schedule("step", lr=1.0, every=100, factor=0.1)
    theirs = optax.piecewise_constant_schedule(1.0, {100 * k: 0.1 for k in range(1, 5)})
    t = jnp.arange(0, 450)
    np.testing.assert_allclose(np.asarray(ours(t)), np.asarray(theirs(t)), rtol=1e-12)


def test_schedule_shapes():
    cos = ov.schedule("cosine", lr=1.0, steps=100, alpha=0.2)
    assert float(cos(0)) == 1.0 and float(cos(50)) == pytest.approx(0.6) and float(cos(100)) == pytest.approx(0.2)
    assert float(cos(10_000)) == pytest.approx(0.2)  # stays at alpha * lr after the last step
    inv = ov.schedule("inverse_sqrt", lr=2.0)
    assert [float(inv(t)) for t in (0, 3, 99)] == pytest.approx([2.0, 1.0, 0.2])
    assert float(ov.schedule("exponential", lr=1.0, decay_rate=0.5, transition_steps=10)(20)) == pytest.approx(0.25)


def test_the_first_update_uses_t_zero():
    """A schedule sees the number of updates made before this one (0 first), as in optax."""
    opt = ov.optimizer("gd", lr=ov.schedule("step", lr=1.0, every=1, factor=0.5))
    g = jnp.array([1.0, -2.0])
    state = opt.init(g)
    steps = []
    for _ in range(3):
        updates, state = opt.update(g, state)
        steps.append(np.asarray(updates))
    np.testing.assert_allclose(steps, [[-1.0, 2.0], [-0.5, 1.0], [-0.25, 0.5]])


def test_torchs_cosine_annealing_keeps_following_the_cosine():
    # CosineAnnealingLR(T_max=steps, eta_min=alpha * lr) does not stop at T_max: back up to lr at 2 T_max
    # (its values against torch itself: test_conventions' golden learning rates)
    optax_, torch = (ov.schedule("cosine", lr=1.0, steps=100, alpha=0.2, convention=c) for c in ("optax", "torch"))
    ours, theirs = jax.jit(lambda t: (torch(t), optax_(t)))(np.array([0.0, 50, 100, 150, 200, 300]))
    np.testing.assert_allclose(np.asarray(ours), [1.0, 0.6, 0.2, 0.6, 1.0, 0.2], rtol=1e-6)
    np.testing.assert_allclose(np.asarray(theirs), [1.0, 0.6, 0.2, 0.2, 0.2, 0.2], rtol=1e-6)
    assert str(torch) == "cosine(lr=1, steps=100, alpha=0.2, convention=torch)"


def test_a_schedule_takes_its_optimizers_convention_unless_it_names_one():
    cos = ov.schedule("cosine", lr=0.1, steps=50)
    assert cos.convention is None  # optax's formula when called on its own
    spec = ov.optimizers.spec("adam", lr=cos, convention="torch")
    assert spec.hparams["lr"].convention == "torch"
    assert spec.replace(b1=0.8).hparams["lr"].convention == "torch"
    assert spec.replace(convention="optax").hparams["lr"] == cos  # it follows the optimizer back
    named = ov.schedule("cosine", lr=0.1, steps=50, convention="optax")
    assert ov.optimizers.spec("adam", lr=named, convention="torch").hparams["lr"] == named
    assert ov.optimizers.spec("adam", lr=ov.schedule("step", lr=0.1, convention="torch")).hparams["lr"].convention \
        == "torch"
    parsed = parse("gd:lr=cosine(0.1,steps=50,convention=torch)").hparams["lr"]
    assert parsed == ov.schedule("cosine", lr=0.1, steps=50, convention="torch")
    # the convention is static, the numbers traced: a pytree with the same leaves
    assert jax.tree_util.tree_leaves(parsed) == [0.1, 50.0, 0.0]
    assert jax.tree_util.tree_map(lambda v: v, parsed) == parsed


# ---------------------------------------------------------------------- trajectories against optax

# (label, optimizer name, hyperparameters with a schedule, the optax optimizer). optax's step counts are given as
# floats: with an int, optax divides the int32 update count by an int, which JAX does in float32 even under x64
# (ours converts every schedule parameter to a float, so it computes in the run's precision)
SCHEDULED = [
    ("gd-cosine", "gd", dict(lr=ov.schedule("cosine", lr=1.5e-3, steps=800, alpha=0.1)),
     optax.sgd(optax.cosine_decay_schedule(1.5e-3, 800.0, alpha=0.1))),
    ("momentum-step", "momentum", dict(lr=ov.schedule("step", lr=6e-4, every=200, factor=0.5), momentum=0.9),
     optax.sgd(optax.exponential_decay(6e-4, 200.0, 0.5, staircase=True), momentum=0.9)),
    ("adagrad-inverse_sqrt", "adagrad", dict(lr=ov.schedule("inverse_sqrt", lr=0.5)),
     optax.adagrad(_inverse_sqrt(0.5))),
    ("adam-exponential", "adam", dict(lr=ov.schedule("exponential", lr=0.03, decay_rate=0.999)),
     optax.adam(optax.exponential_decay(0.03, 1.0, 0.999))),
    ("rmsprop-constant", "rmsprop", dict(lr=ov.schedule("constant", lr=0.01)), optax.rmsprop(0.01)),
]
START = (-1.5, 2.5)
STEPS = 1000


@pytest.fixture(scope="module")
def optax_paths():
    surface = ov.load_surface("rosenbrock")
    with jax.enable_x64(True):
        grad = jax.grad(lambda p: surface.fn(p[0], p[1]))

        def walk(opt, p0):
            def body(carry, _):
                p, state = carry
                updates, state = opt.update(grad(p), state, p)
                return (optax.apply_updates(p, updates), state), p

            (last, _), path = jax.lax.scan(body, (p0, opt.init(p0)), None, length=STEPS)
            return jnp.concatenate([path, last[None]])

        @jax.jit
        def walks(p0):
            return ({label: walk(ov.optimizer(name, **hp), p0) for label, name, hp, _ in SCHEDULED},
                    {label: walk(ref, p0) for label, _, _, ref in SCHEDULED})

        return jax.tree_util.tree_map(np.asarray, walks(jnp.asarray(START, jnp.float64)))


@pytest.fixture(scope="module")
def engine_runs():
    with jax.enable_x64(True):
        return ov.run("rosenbrock", {label: dict(hp, name=name) for label, name, hp, _ in SCHEDULED},
                      steps=STEPS, start=START)


@pytest.mark.parametrize("label", [s[0] for s in SCHEDULED])
def test_scheduled_trajectories_match_optax_in_float64(optax_paths, engine_runs, label):
    ours, theirs = optax_paths
    assert np.linalg.norm(theirs[label][-1] - theirs[label][0]) > 0.1
    np.testing.assert_allclose(ours[label], theirs[label], rtol=1e-5, atol=1e-9)
    np.testing.assert_allclose(engine_runs[label].path, theirs[label], rtol=1e-5, atol=1e-9)


def test_a_schedule_is_a_pytree_of_its_numbers():
    s = ov.schedule("cosine", lr=0.1, steps=50)
    assert jax.tree_util.tree_leaves(s) == [0.1, 50.0, 0.0]
    again = jax.tree_util.tree_map(lambda v: v * 2, s)
    assert again.name == "cosine" and again.lr == 0.2 and dict(again.params)["steps"] == 100.0


def test_new_schedule_numbers_do_not_recompile():
    cos = ov.schedule("cosine", lr=0.05, steps=40)
    first = ov.run("bowl", {"gd": {"lr": cos}}, steps=40)
    before = program._execute._cache_size()
    second = ov.run("bowl", {"gd": {"lr": ov.schedule("cosine", lr=0.08, steps=20, alpha=0.5)}}, steps=40)
    assert program._execute._cache_size() == before
    assert not np.allclose(first["gd"].path, second["gd"].path)


def test_schedules_in_spec_strings_and_captions():
    spec = parse("adagrad:lr=inverse_sqrt(0.5)")
    assert spec.hparams["lr"] == ov.schedule("inverse_sqrt", lr=0.5)
    spec = parse("adam:lr=cosine(0.1,steps=50),b1=0.8")
    assert spec.caption() == "adam lr=cosine(lr=0.1, steps=50, alpha=0) b1=0.8 b2=0.999 eps=1e-08"


# ---------------------------------------------------------------------------------- validation

def test_unknown_schedule_says_did_you_mean():
    with pytest.raises(UnknownNameError, match=r"unknown schedule 'cosin'; did you mean 'cosine'\?"):
        ov.schedule("cosin", lr=0.1)


@pytest.mark.parametrize("name, params, message", [
    ("cosine", dict(lr=0.1, decay=0.5), "schedule 'cosine' has no parameter 'decay'; it takes lr, steps, alpha, "
                                        "convention"),
    ("cosine", dict(lr=0.1, convention="pytorch"), r"schedule 'cosine': unknown convention 'pytorch'; did you mean "
                                                   r"'torch'\?"),
    ("cosine", dict(steps=10), "schedule 'cosine' needs lr"),
    ("cosine", dict(lr=0.0), "schedule 'cosine': lr must be > 0, got 0"),
    ("cosine", dict(lr=-1.0), "schedule 'cosine': lr must be > 0, got -1"),
    ("cosine", dict(lr=math.nan), "schedule 'cosine': lr must be finite, got nan"),
    ("cosine", dict(lr=0.1, steps=0), "schedule 'cosine': steps must be > 0, got 0"),
    ("cosine", dict(lr=0.1, alpha=2.0), r"schedule 'cosine': alpha must be in \[0, 1\], got 2"),
    ("cosine", dict(lr="fast"), "schedule 'cosine': lr must be a number, got 'fast'"),
    ("cosine", dict(lr=True), "schedule 'cosine': lr must be a number, got True"),
    ("step", dict(lr=0.1, factor=1.5), r"schedule 'step': factor must be in \(0, 1\], got 1.5"),
    ("step", dict(lr=0.1, every=-3), "schedule 'step': every must be > 0, got -3"),
    ("exponential", dict(lr=0.1, decay_rate=0.0), r"schedule 'exponential': decay_rate must be in \(0, 1\]"),
    ("exponential", dict(lr=0.1, transition_steps=math.inf), "transition_steps must be finite"),
])
def test_bad_schedule_parameters_are_refused(name, params, message):
    with pytest.raises(InvalidValueError, match=message):
        ov.schedule(name, **params)


def test_only_lr_takes_a_schedule():
    with pytest.raises(InvalidValueError, match="adam: b1 must be a number"):
        ov.optimizer("adam", b1=ov.schedule("constant", lr=0.9))


@pytest.mark.parametrize("name", ov.schedules.names())
def test_docstrings_give_the_equation(name):
    assert "eta_t = " in (ov.schedules.get(name).__doc__ or "")
