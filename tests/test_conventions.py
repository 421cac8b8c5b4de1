"""optiviz against PyTorch and optax themselves: golden trajectories, conventions, and optax interop.

``tests/golden/golden.npz`` holds float64 paths (500 steps, three surfaces) that ``tests/golden/make_golden.py``
produced with ``torch.optim`` and ``optax``; here every case runs through optiviz (float64, the optax-style step
loop) and must follow the framework to 1e-10. Torch is not needed, except by the test that re-runs the script.

Compiles are the cost: cases that share an optimizer and its static options run in one jitted program,
vmapped over their (case, surface) rows with the hyperparameters as traced arguments.
"""
from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import optiviz as ov

sys.path.insert(0, str(Path(__file__).resolve().parent / "golden"))
import make_golden as golden  # noqa: E402

TOL = 1e-10
GOLD = np.load(golden.GOLDEN)
SURFACE_FNS = [fn for fn, _ in golden.SURFACES.values()]
STARTS = np.array([start for _, start in golden.SURFACES.values()])


def _grad(p):
    """The gradients of the surfaces, row k of ``p`` (shape (surfaces, 2)) on surface k.

    Every optimizer here acts coordinate by coordinate, so one run on the stacked (surfaces, 2) array is the
    runs on each surface side by side: one small program instead of one per surface.
    """
    return jnp.stack([jax.grad(lambda q, fn=fn: fn(q[0], q[1]))(p[k]) for k, fn in enumerate(SURFACE_FNS)])


def _static(value) -> bool:
    return isinstance(value, (bool, str)) or callable(value)


def _walk(name, static, hp):
    opt = ov.optimizer(name, **static, **hp)
    p0 = jnp.asarray(STARTS)

    def body(carry, _):
        p, state = carry
        updates, state = opt.update(_grad(p), state, p)
        p = p + updates
        return (p, state), p

    _, path = jax.lax.scan(body, (p0, opt.init(p0)), None, length=golden.STEPS)
    return jnp.concatenate([p0[None], path])[::golden.EVERY].transpose(1, 0, 2)


def _paths(cases) -> dict[str, np.ndarray]:
    """case id -> (surfaces, recorded steps, 2) optiviz paths, float64; one program for all cases, the cases that
    share an optimizer and its static options vmapped over their hyperparameters."""
    groups = defaultdict(list)
    for case in cases:
        # every hyperparameter, defaults filled in: cases differing only in numbers share a program
        spec = ov.optimizers.spec(case.name, **{k: golden.value(v) for k, v in case.kwargs.items()})
        kwargs = {**spec.hparams, "convention": spec.convention}
        static = tuple(sorted((k, v) for k, v in kwargs.items() if _static(v)))
        numeric = {k: float(v) for k, v in kwargs.items() if not _static(v)}
        groups[(case.name, static, tuple(sorted(numeric)))].append((case.id, numeric))
    with jax.enable_x64(True):
        def run(hps):
            return [jax.vmap(lambda hp, name=name, static=static: _walk(name, dict(static), hp))(hp)
                    for (name, static, _), hp in zip(groups, hps)]

        hps = [{key: jnp.asarray([r[1][key] for r in rows], jnp.float64) for key in keys}
               for (_, _, keys), rows in groups.items()]
        # the program runs for ~10 ms: XLA's backend optimisations cost more than they save (compile 1.9 -> 1.5 s
        # CPU for the torch cases, 1.4 -> 1.05 s for optax's; the paths move by < 1e-14)
        results = jax.jit(run).lower(hps).compile({"xla_backend_optimization_level": 0})(hps)
    out = {}
    for rows, paths in zip(groups.values(), results):
        for (case_id, _), path in zip(rows, np.asarray(paths)):
            out[case_id] = path
    return out


@pytest.fixture(scope="module")
def torch_paths():
    return _paths(golden.TORCH_CASES)


@pytest.fixture(scope="module")
def optax_paths():
    return _paths(golden.OPTAX_CASES)


def test_the_golden_file_was_made_from_these_tables():
    # a case edited here without re-running make_golden.py would compare against stale paths
    assert json.loads(str(GOLD["tables"])) == json.loads(golden.tables())
    assert GOLD["torch"].shape == (len(golden.TORCH_CASES), len(SURFACE_FNS), golden.STEPS // golden.EVERY + 1, 2)
    assert GOLD["optax"].shape[0] == len(golden.OPTAX_CASES)
    assert GOLD["torch"].dtype == np.float64 and np.all(np.isfinite(GOLD["torch"]))


@pytest.mark.parametrize("i", range(len(golden.TORCH_CASES)), ids=[c.id for c in golden.TORCH_CASES])
def test_follows_torch(torch_paths, i):
    case = golden.TORCH_CASES[i]
    ref = GOLD["torch"][i]
    # every path goes somewhere, so following it means something
    assert np.all(np.linalg.norm(ref[:, -1] - ref[:, 0], axis=-1) > 0.3)
    np.testing.assert_allclose(torch_paths[case.id], ref, rtol=0, atol=TOL)


def test_schedules_give_torchs_learning_rate_at_every_update():
    # torch steps its scheduler after each optimizer.step(), so update t (from 0) uses the lr of t scheduler steps:
    # optiviz's schedule(t), under the torch convention the optimizer passes on to a schedule that names none
    lrs = [ov.optimizers.spec(case.name, **{k: golden.value(v) for k, v in case.kwargs.items()}).hparams["lr"]
           for case in golden.SCHEDULED]
    assert all(lr.convention == "torch" for lr in lrs)
    with jax.enable_x64(True):
        ours = jax.jit(lambda t: jnp.stack([lr(t) for lr in lrs]))(jnp.arange(golden.STEPS, dtype=jnp.float64))
    # torch's recursions (lr * gamma, CosineAnnealingLR's ratio of cosines) round differently from the closed forms
    np.testing.assert_allclose(np.asarray(ours), GOLD["torch_lr"], rtol=1e-12, atol=1e-18)


def test_every_torch_scheduler_a_schedule_names_is_compared_with_torch():
    import re

    named = {m for name in ov.schedules.names() for m in re.findall(r"\b([A-Z]\w*LR)\(", ov.schedules.get(name).__doc__)}
    compared = {c.ref_kwargs["scheduler"]["torch_scheduler"] for c in golden.SCHEDULED}
    assert named - {"LambdaLR"} == compared == {"StepLR", "ExponentialLR", "CosineAnnealingLR"}


@pytest.mark.parametrize("i", range(len(golden.OPTAX_CASES)), ids=[c.id for c in golden.OPTAX_CASES])
def test_follows_optax(optax_paths, i):
    case = golden.OPTAX_CASES[i]
    ref = GOLD["optax"][i]
    assert np.all(np.linalg.norm(ref[:, -1] - ref[:, 0], axis=-1) > 0.3)
    np.testing.assert_allclose(optax_paths[case.id], ref, rtol=0, atol=TOL)


@pytest.mark.skipif(importlib.util.find_spec("torch") is None,
                    reason="torch is not installed (it is not a test dependency): the golden file is read instead")
def test_the_script_reproduces_the_golden_torch_paths(tmp_path):
    out = tmp_path / "torch.npz"
    subprocess.run([sys.executable, str(Path(golden.__file__)), "--only", "torch", "--out", str(out)], check=True,
                   capture_output=True)
    fresh = np.load(out)
    np.testing.assert_allclose(fresh["torch"], GOLD["torch"], rtol=0, atol=1e-13)
    np.testing.assert_allclose(fresh["torch_lr"], GOLD["torch_lr"], rtol=1e-13, atol=0)


# ------------------------------------------------------------------------------------ the convention switch

def test_convention_torch_takes_torchs_defaults_and_formulas_in_one_word():
    spec = ov.optimizers.spec("adagrad", convention="torch")
    assert spec.hparams == {"lr": 0.01, "initial_accumulator_value": 0.0, "eps": 1e-10, "eps_in_sqrt": False,
                            "lr_decay": 0.0, "weight_decay": 0.0}
    assert spec.convention == "torch" and spec.caption().endswith("convention=torch")
    assert ov.optimizers.spec("rmsprop", convention="torch").hparams["convention"] == "torch"
    assert ov.optimizers.spec("adamw", convention="torch").hparams["weight_decay"] == 1e-2
    # what the user gives wins over the convention's defaults; the convention survives replace()
    spec = ov.optimizers.spec("adam", convention="torch", lr=0.05)
    assert spec.hparams["lr"] == 0.05
    assert spec.replace(b1=0.8).convention == "torch"
    assert spec.replace(convention="optax").hparams["lr"] == 0.05  # the given lr stays, the rest follows optax


def test_conventions_are_metadata_of_the_hyperparameter_spec():
    # readable without building anything: what describe (and the catalog) show side by side
    info = ov.optimizers.get("amsgrad")
    assert info.conventions["torch"]["convention"] == "torch"
    assert set(info.formulas) == {"optax", "torch"}
    assert info.defaults_for("torch")["lr"] == 1e-3 and info.defaults_for("optax")["lr"] == 0.1


def test_every_torch_optimizer_has_a_torch_convention_and_lion_has_none():
    torch_optim = {"gd", "sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam", "adamw", "adamax",
                   "nadam", "radam", "amsgrad", "rprop"}
    assert {n for n in ov.optimizers.names() if "torch" in ov.optimizers.get(n).conventions} == torch_optim
    # every one of them is compared with torch itself
    assert {c.name for c in golden.TORCH_CASES} == torch_optim - {"sgd"}  # sgd is gd on noisy gradients
    with pytest.raises(ov.OptivizError, match="torch.optim has no lion"):
        ov.optimizer("lion", convention="torch")
    with pytest.raises(ov.OptivizError, match=r"unknown convention 'pytorch'; did you mean 'torch'"):
        ov.optimizer("adam", convention="pytorch")


#: the constructor options of the torch.optim optimizers that apply to a smooth 2D surface (torch 2.14), less those
#: that choose how it runs, not what it computes (foreach, fused, capturable, differentiable) and maximize
TORCH_OPTIONS = {
    "SGD": {"lr", "momentum", "dampening", "weight_decay", "nesterov"},
    "Adagrad": {"lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"},
    "RMSprop": {"lr", "alpha", "eps", "weight_decay", "momentum", "centered"},
    "Adadelta": {"lr", "rho", "eps", "weight_decay"},
    "Adam": {"lr", "betas", "eps", "weight_decay", "amsgrad", "decoupled_weight_decay"},
    "AdamW": {"lr", "betas", "eps", "weight_decay", "amsgrad"},
    "Adamax": {"lr", "betas", "eps", "weight_decay"},
    "NAdam": {"lr", "betas", "eps", "weight_decay", "momentum_decay", "decoupled_weight_decay"},
    "RAdam": {"lr", "betas", "eps", "weight_decay", "decoupled_weight_decay"},
    "Rprop": {"lr", "etas", "step_sizes"},
}


def test_every_torch_option_is_compared_with_torch():
    # each option is set (to other than torch's default) in some golden case, so its optiviz counterpart is checked
    used = defaultdict(set)
    for case in golden.TORCH_CASES:
        used[case.ref] |= set(case.ref_kwargs) - {"scheduler"}
    assert {cls: opts - used[cls] for cls, opts in TORCH_OPTIONS.items() if opts - used[cls]} == {}
    assert set(used) == set(TORCH_OPTIONS)


def test_momentum_decay_is_refused_where_it_would_be_ignored():
    with pytest.raises(ov.OptivizError, match="momentum_decay is PyTorch's momentum schedule"):
        ov.optimizer("nadam", momentum_decay=0.01)
    ov.optimizer("nadam", momentum_decay=0.01, convention="torch")


def test_learning_rate_is_lr():
    assert ov.optimizers.spec("adam", learning_rate=0.3).hparams["lr"] == 0.3
    assert ov.optimizers.parse("adam:learning_rate=0.3").hparams["lr"] == 0.3
    with pytest.raises(ov.OptivizError, match="give lr or learning_rate"):
        ov.optimizer("adam", lr=0.1, learning_rate=0.1)


def test_the_command_line_spells_conventions_too():
    spec = ov.optimizers.parse("radam:convention=torch,eps=0.01")
    assert spec.convention == "torch" and spec.hparams["eps"] == 0.01 and spec.hparams["lr"] == 1e-3


# ------------------------------------------------------------------------------ identities (hypothesis)

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

N = 20


def _floats(lo, hi):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False)


grads64 = hnp.arrays(np.float64, (N, 2), elements=st.one_of(_floats(-50, -1e-3), _floats(1e-3, 50)))


def _updates(name, static, hp, grads):
    """The updates of ``name`` along a gradient sequence (float64, one jit per (name, static options))."""
    return np.asarray(_updates_jit(name, tuple(sorted(static.items())))(
        {k: jnp.asarray(v, jnp.float64) for k, v in hp.items()}, jnp.asarray(grads)))


import functools  # noqa: E402


@functools.lru_cache(maxsize=None)
def _updates_jit(name, static):
    @jax.jit
    def run(hp, grads):
        opt = ov.optimizer(name, **dict(static), **hp)
        params = jnp.zeros(2, grads.dtype)
        state = opt.init(params)

        def body(state, g):
            u, state = opt.update(g, state, params)
            return state, u

        return jax.lax.scan(body, state, grads)[1]

    return run


@settings(deadline=None, max_examples=30)
@given(lr=_floats(1e-3, 1.0), b1=_floats(0.0, 0.95), b2=_floats(0.5, 0.999), grads=grads64)
def test_torch_nadam_with_an_instant_momentum_schedule_is_optaxs_nadam(lr, b1, b2, grads):
    # 0.96 ** (t * 1e6) underflows to 0, so mu_t = b1 for every t: Dozat's schedule collapses to optax's constant
    with jax.enable_x64(True):
        torch = _updates("nadam", {"convention": "torch"}, dict(lr=lr, b1=b1, b2=b2, momentum_decay=1e6), grads)
        optax_ = _updates("nadam", {}, dict(lr=lr, b1=b1, b2=b2), grads)
    np.testing.assert_allclose(torch, optax_, rtol=1e-12, atol=1e-300)


@settings(deadline=None, max_examples=30)
@given(lr=_floats(1e-3, 1.0), g0=_floats(1e-3, 1.0), grads=grads64)
def test_adagrad_eps_placement_is_all_that_separates_the_conventions(lr, g0, grads):
    # with eps = 0 both placements are g / sqrt(G)
    with jax.enable_x64(True):
        inside = _updates("adagrad", {}, dict(lr=lr, initial_accumulator_value=g0, eps=0.0), grads)
        outside = _updates("adagrad", {"convention": "torch"}, dict(lr=lr, initial_accumulator_value=g0, eps=0.0),
                           grads)
    np.testing.assert_allclose(outside, inside, rtol=1e-12)


@settings(deadline=None, max_examples=30)
@given(lr=_floats(1e-3, 1.0), decay=_floats(0.0, 0.5), grads=grads64)
def test_adagrad_lr_decay_is_an_inverse_time_schedule(lr, decay, grads):
    # torch's lr / (1 + (t - 1) lr_decay) is the schedule lr(t) = lr / (1 + t lr_decay) (t from 0): a plain
    # callable of the step is a learning rate
    with jax.enable_x64(True):
        decayed = _updates("adagrad", {}, dict(lr=lr, lr_decay=decay), grads)
        scheduled = np.asarray(_inverse_time_adagrad(lr, decay, jnp.asarray(grads)))
    np.testing.assert_allclose(decayed, scheduled, rtol=1e-12)


@jax.jit
def _inverse_time_adagrad(lr, decay, grads):
    return _scan(ov.optimizer("adagrad", lr=lambda t: lr / (1 + t * decay)), grads)


def _scan(opt, grads):
    params = jnp.zeros(grads.shape[1:], grads.dtype)

    def body(state, g):
        u, state = opt.update(g, state, params)
        return state, u

    return jax.lax.scan(body, opt.init(params), grads)[1]


@settings(deadline=None, max_examples=30)
@given(lr=_floats(1e-3, 1.0), b1=_floats(0.0, 0.95), b2=_floats(0.9, 0.999), grads=grads64)
def test_radam_conventions_agree_without_eps(lr, b1, b2, grads):
    # torch adds eps before the bias correction, optax after it: with eps = 0 the two are one formula
    with jax.enable_x64(True):
        torch = _updates("radam", {"convention": "torch"}, dict(lr=lr, b1=b1, b2=b2, eps=0.0), grads)
        optax_ = _updates("radam", {}, dict(lr=lr, b1=b1, b2=b2, eps=0.0), grads)
    np.testing.assert_allclose(torch, optax_, rtol=1e-10)


@settings(deadline=None, max_examples=30)
@given(lr=_floats(1e-3, 1.0), mom=_floats(0.0, 0.95), decay=_floats(0.5, 0.99), grads=grads64)
def test_rmsprop_momentum_order_matters_only_under_a_schedule(lr, mom, decay, grads):
    hp = dict(lr=lr, momentum=mom, decay=decay, eps=1e-3)
    with jax.enable_x64(True):
        torch = _updates("rmsprop", {"convention": "torch"}, hp, grads)
        optax_ = _updates("rmsprop", {"eps_in_sqrt": False}, hp, grads)
    np.testing.assert_allclose(torch, optax_, rtol=1e-10, atol=1e-300)


@settings(deadline=None, max_examples=30)
@given(lr=_floats(1e-3, 1.0), b2=_floats(0.5, 0.999), eps=_floats(1e-8, 1e-3), grads=grads64)
def test_adam_with_b1_zero_is_bias_corrected_rmsprop_with_eps_outside(lr, b2, eps, grads):
    with jax.enable_x64(True):
        adam = _updates("adam", {}, dict(lr=lr, b1=0.0, b2=b2, eps=eps), grads)
        rms = _updates("rmsprop", {"bias_correction": True, "eps_in_sqrt": False}, dict(lr=lr, decay=b2, eps=eps),
                       grads)
    np.testing.assert_allclose(adam, rms, rtol=1e-12)


@settings(deadline=None, max_examples=30)
@given(lr=_floats(1e-3, 1.0), mom=_floats(0.0, 0.95), grads=grads64)
def test_dampening_zero_is_optaxs_trace_and_full_dampening_keeps_only_the_first_gradient(lr, mom, grads):
    with jax.enable_x64(True):
        plain = _updates("momentum", {}, dict(lr=lr, momentum=mom), grads)
        zero = _updates("momentum", {"convention": "torch"}, dict(lr=lr, momentum=mom, dampening=0.0), grads)
        full = _updates("momentum", {}, dict(lr=lr, momentum=mom, dampening=1.0), grads)
    np.testing.assert_allclose(zero, plain, rtol=1e-12)
    # dampening 1: v_1 = g_1, then v_t = momentum * v_{t-1}
    np.testing.assert_allclose(full, -lr * grads[0] * mom ** np.arange(N)[:, None], rtol=1e-12, atol=1e-300)


# ---------------------------------------------------------------------------------------- optax, both ways

import optax  # noqa: E402


def test_an_optiviz_optimizer_is_an_optax_gradient_transformation_with_a_telling_repr():
    opt = ov.optimizer("adam", lr=0.1, b1=0.8)
    assert isinstance(opt, optax.GradientTransformation)
    assert repr(opt) == "<optiviz optimizer adam lr=0.1 b1=0.8 b2=0.999 eps=1e-08>"
    assert repr(ov.optimizer("adam", weight_decay=0.1)).endswith("eps=1e-08 weight_decay=0.1>")
    assert "convention=torch" in repr(ov.optimizer("nadam", convention="torch"))
    assert isinstance(ov.optimizers.chain(ov.optimizers.scale(2.0)), optax.GradientTransformation)
    # optax's own wrappers take it
    wrapped = optax.MultiSteps(opt, every_k_schedule=2)
    params = jnp.ones(2)
    wrapped.update(params, wrapped.init(params), params)


def test_an_optax_schedule_is_a_learning_rate():
    sched = optax.cosine_decay_schedule(0.1, 50)
    spec = ov.optimizers.spec("adam", learning_rate=sched)
    assert str(spec.hparams["lr"]) == "cosine_decay_schedule"
    runs = ov.run("rosenbrock", {"scheduled": {"name": "gd", "lr": sched}, "ref": optax.sgd(sched)}, steps=30)
    np.testing.assert_allclose(runs["scheduled"].path, runs["ref"].path, rtol=1e-6)
    assert runs["scheduled"].caption.startswith("gd lr=cosine_decay_schedule")


def test_tune_keeps_a_schedules_shape_and_picks_its_peak():
    sched = optax.warmup_cosine_decay_schedule(0.0, 1.0, 5, 40)  # zero at the first step: the peak is the scale
    tuned = ov.tune("bowl", {"gd": {"lr": sched}}, steps=40, lrs=[1e-3, 1e-2, 5e-2])["gd"]
    assert tuned.lr in (1e-3, 1e-2, 5e-2)
    lr = tuned.spec.hparams["lr"]
    t = np.arange(40)
    np.testing.assert_allclose(np.asarray(jax.vmap(lr)(t)), tuned.lr * np.asarray(jax.vmap(sched)(t)), rtol=1e-6)
    # run(lrs=...) reads a grid the same way: each value is the schedule's peak
    grid = ov.run("bowl", {"gd": {"lr": sched}}, steps=40, lrs=[tuned.lr])
    again = ov.run("bowl", [tuned.spec], steps=40)
    np.testing.assert_allclose(grid["gd"].path[0], again["gd"].path, rtol=1e-5)


def test_an_optax_schedule_trains_a_network_and_optax_optimizers_keep_their_labels():
    sched = optax.exponential_decay(0.05, 20, 0.5)
    runs = ov.nets.train(None, "moons", [ov.optimizer("adam", lr=sched), ("mine", optax.adam(sched)),
                                         ov.optimizers.resolve("optax:sgd:learning_rate=0.1")], 30)
    assert list(runs) == ["adam", "mine", "optax.sgd(learning_rate=0.1)"]
    h, h2 = runs["adam"], runs["mine"]
    np.testing.assert_allclose(h.train_loss, h2.train_loss, rtol=1e-3)  # float32 over 30 steps
    assert h.train_loss[-1] < h.train_loss[0]


def test_optax_transformations_take_labels_from_pairs_and_mappings():
    runs = ov.run("bowl", [("mine", optax.adam(0.1)), ("theirs", optax.sgd(0.01)), "gd"], steps=5)
    assert list(runs) == ["mine", "theirs", "gd"]
    runs = ov.run("bowl", {"a": optax.adam(0.1), "b": ("adam", {"lr": 0.1})}, steps=5)
    assert list(runs) == ["a", "b"]
    np.testing.assert_allclose(runs["a"].path, runs["b"].path, rtol=1e-5)


def test_optax_aliases_by_name():
    opt = ov.optimizers.resolve("optax:adam:learning_rate=0.1,b1=0.8")
    assert repr(opt) == "<optiviz optimizer optax.adam(learning_rate=0.1, b1=0.8)>"
    runs = ov.run("bowl", "gd,optax:sgd:lr=0.05,momentum=0.9,nesterov=true", steps=5)
    assert list(runs) == ["gd", "optax.sgd(learning_rate=0.05, momentum=0.9, nesterov=true)"]
    ref = ov.run("bowl", {"n": ("nesterov", {"lr": 0.05, "momentum": 0.9})}, steps=5)["n"]
    np.testing.assert_allclose(runs[list(runs)[1]].path, ref.path, rtol=1e-6)
    with pytest.raises(ov.OptivizError, match="optax has no optimizer 'adma'; did you mean .*'adam'"):
        ov.optimizers.resolve("optax:adma")
    with pytest.raises(ov.OptivizError, match=r"optax\.adam: .*unexpected keyword argument 'beta1'"):
        ov.optimizers.resolve("optax:adam:learning_rate=0.1,beta1=0.9")


def test_optax_aliases_need_optax(monkeypatch):
    monkeypatch.setitem(sys.modules, "optax", None)  # import optax now raises ImportError
    with pytest.raises(ov.OptivizError, match=r"needs optax, which is not installed \(pip install optax\)"):
        ov.optimizers.resolve("optax:adam:learning_rate=0.1")


# ------------------------------------------------------------------------------------- complex parameters

COMPLEX = [("adam", {}), ("adagrad", {}), ("rmsprop", {"centered": True, "momentum": 0.5}),
           ("amsgrad", {}), ("nadam", {}), ("radam", {}), ("adamw", {}), ("lion", {}), ("momentum", {})]
OPTAX_OF = {"adam": lambda: optax.adam(0.1), "adagrad": lambda: optax.adagrad(0.5),
            "rmsprop": lambda: optax.rmsprop(0.01, centered=True, momentum=0.5),
            "amsgrad": lambda: optax.amsgrad(0.1), "nadam": lambda: optax.nadam(0.1), "radam": lambda: optax.radam(0.1),
            "adamw": lambda: optax.adamw(0.1), "lion": lambda: optax.lion(0.01),
            "momentum": lambda: optax.sgd(0.05, momentum=0.9)}


@pytest.mark.parametrize("name, hp", COMPLEX, ids=[n for n, _ in COMPLEX])
def test_complex_parameters_follow_optax(name, hp):
    # |g|^2 = g conj(g), never g**2 (which is complex and would make the step rotate)
    rng = np.random.default_rng(0)
    grads = rng.normal(size=(8, 3)) + 1j * rng.normal(size=(8, 3))
    params = jnp.asarray(rng.normal(size=3) + 1j * rng.normal(size=3), jnp.complex64)
    ours, theirs = ov.optimizer(name, **hp), OPTAX_OF[name]()
    s1, s2 = ours.init(params), theirs.init(params)
    for g in grads:
        g = jnp.asarray(g, jnp.complex64)
        u1, s1 = ours.update(g, s1, params)
        u2, s2 = theirs.update(g, s2, params)
        np.testing.assert_allclose(np.asarray(u1), np.asarray(u2), rtol=2e-5, atol=1e-6)
    assert np.abs(np.asarray(u1)).max() > 0


@pytest.mark.parametrize("name", [n for n in ov.optimizers.names() if n not in ("sgd", "rprop")])
def test_complex_updates_turn_with_the_gradients_phase(name):
    # with |g|^2 every optimizer is equivariant: gradients all turned by a phase turn every update by it. g**2
    # would not be (optax's own adadelta squares complex gradients, so adadelta is checked here, not against it)
    rng = np.random.default_rng(1)
    grads = jnp.asarray(rng.normal(size=(6, 3)) + 1j * rng.normal(size=(6, 3)), jnp.complex64)
    turn = jnp.exp(1j * 0.7).astype(jnp.complex64)
    hp = {"weight_decay": 0.0} if "weight_decay" in ov.optimizers.get(name).defaults else {}
    opt = ov.optimizer(name, **hp)
    plain, turned = _scan(opt, grads), _scan(opt, grads * turn)
    np.testing.assert_allclose(np.asarray(turned), np.asarray(plain * turn), rtol=1e-4, atol=1e-6)
    assert np.abs(np.asarray(plain)).max() > 0


def test_complex_parameters_are_refused_under_torchs_convention():
    opt = ov.optimizer("adam", convention="torch")
    params = jnp.ones(2, jnp.complex64)
    with pytest.raises(ov.OptivizError, match="convention='torch' takes real parameters only"):
        opt.update(params, opt.init(params), params)
    # Rprop compares signs, which complex numbers lack: refused under either convention
    opt = ov.optimizer("rprop")
    with pytest.raises(ov.OptivizError, match="rprop compares the signs of successive gradients"):
        opt.update(params, opt.init(params), params)


# ------------------------------------------------------------------------------------------ command line

@pytest.fixture
def recorder(monkeypatch, tmp_path):
    """The renderer replaced by a recorder of the runs it was given (the CLI tests' fake, in small)."""
    monkeypatch.chdir(tmp_path)
    seen = []

    def animate(runs, surface=None, **options):
        seen.append(runs)
        return object()

    monkeypatch.setattr(ov, "animate", animate, raising=False)
    monkeypatch.setattr(ov, "save", lambda anim, path, **kw: Path(path).write_bytes(b"x"), raising=False)
    return seen


def test_optax_optimizers_on_the_command_line(capsys, recorder):
    from optiviz.cli import main

    code = main(["animate", "--surface", "bowl", "--optimizers", "gd,optax:adam:learning_rate=0.1,b1=0.8",
                 "--steps", "10", "--frames", "5"])
    assert code == 0, capsys.readouterr().err
    runs = recorder[0]
    assert list(runs) == ["gd", "optax.adam(learning_rate=0.1, b1=0.8)"]
    ref = ov.run("bowl", [ov.optimizer("adam", lr=0.1, b1=0.8)], steps=10)["adam"]
    np.testing.assert_allclose(runs["optax.adam(learning_rate=0.1, b1=0.8)"].path, ref.path, rtol=1e-5)


def test_optax_on_the_command_line_without_optax_is_one_clear_line(capsys, recorder, monkeypatch):
    from optiviz.cli import main

    monkeypatch.setitem(sys.modules, "optax", None)
    code = main(["animate", "--surface", "bowl", "--optimizers", "optax:adam:learning_rate=0.1", "--steps", "5"])
    err = capsys.readouterr().err
    assert code == 2 and err == ("optiviz: error: 'optax:adam:learning_rate=0.1' needs optax, which is not "
                                 "installed (pip install optax)\n")


def test_tune_on_the_command_line_keeps_a_schedule_and_tunes_its_peak(capsys, recorder):
    from optiviz.cli import main

    code = main(["animate", "--surface", "bowl", "--optimizers", "gd:lr=cosine(0.1,steps=10),adagrad:convention=torch",
                 "--steps", "10", "--frames", "5", "--tune"])
    out, err = capsys.readouterr()
    assert code == 0, err
    gd = recorder[0]["gd"].spec.hparams["lr"]
    assert isinstance(gd, ov.schedules.Scaled) and str(gd.schedule) == "cosine(lr=0.1, steps=10, alpha=0)"
    assert recorder[0]["adagrad"].spec.convention == "torch"

