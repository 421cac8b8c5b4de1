"""The trajectory engine (``ov.run``, ``ov.tune``): shapes, recording modes, divergence, tolerances, labels, optax
objects, float64, sharding over devices, learning-rate sweeps, validation and determinism.

Programs are compiled per (surface, optimizers, steps, recording mode, shapes), so the tests reuse a handful of
those combinations; numbers (learning rates, starts, seeds, noise) change freely without recompiling.
"""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import optiviz as ov
from optiviz.engine import program
from optiviz.errors import InvalidValueError, OptivizError, UnknownNameError

ROOT = Path(__file__).resolve().parents[1]
STEPS = 30
PAIR = ["gd:lr=0.09", "adam:lr=0.1"]  # explicit: independent of the surface's suggestions


def bowl_grad(p: np.ndarray) -> np.ndarray:
    return np.stack([2 * p[..., 0], 20 * p[..., 1]], axis=-1)  # bowl: x^2 + 10 y^2


# ------------------------------------------------------------------------------------------- shapes

def test_one_start():
    runs = ov.run("bowl", PAIR, steps=STEPS)
    assert list(runs) == ["gd", "adam"] and len(runs) == 2
    for t in runs.values():
        assert t.path.shape == (STEPS + 1, 2) and t.loss.shape == t.grad_norm.shape == (STEPS + 1,)
        assert t.path.dtype == np.float32
        np.testing.assert_array_equal(t.steps, np.arange(STEPS + 1))
        np.testing.assert_array_equal(t.path[0], ov.load_surface("bowl").start)
        assert t.diverged_at is None and t.reached_at is None
        np.testing.assert_allclose(t.loss, t.path[:, 0] ** 2 + 10 * t.path[:, 1] ** 2, rtol=1e-5)
        np.testing.assert_allclose(t.grad_norm, np.linalg.norm(bowl_grad(t.path), axis=-1), rtol=1e-5)
    gd = runs["gd"].path  # GD's own rule, by hand: p <- p - lr * grad
    np.testing.assert_allclose(gd[1:], gd[:-1] - 0.09 * bowl_grad(gd[:-1]), rtol=1e-5, atol=1e-7)


def test_many_starts_and_seeds():
    starts = np.array([[-2.5, 1.5], [1.0, -1.0], [0.5, 0.5], [2.0, 1.0], [-1.0, -0.3]])
    runs = ov.run("bowl", PAIR, steps=STEPS, starts=starts)
    t = runs["adam"]
    assert t.path.shape == (5, STEPS + 1, 2) and t.loss.shape == (5, STEPS + 1)
    np.testing.assert_array_equal(t.path[:, 0], starts.astype(np.float32))
    assert t.diverged_at.shape == t.reached_at.shape == (5,) and np.all(t.diverged_at == -1)
    assert t.final.shape == (5, 2) and t.final_loss.shape == (5,)
    assert runs.summary().splitlines()[0] == f"bowl: {STEPS} steps from 5 starts"  # not the first start's point
    # each start's path is the path a single run from it walks
    single = ov.run("bowl", PAIR, steps=STEPS, start=starts[3])
    np.testing.assert_allclose(t.path[3], single["adam"].path, rtol=1e-6, atol=1e-7)

    both = ov.run("bowl", ["sgd"], steps=STEPS, starts=starts[:2], seeds=[4, 7])
    assert both["sgd"].path.shape == (2, 2, STEPS + 1, 2) and both["sgd"].diverged_at.shape == (2, 2)
    assert not np.allclose(both["sgd"].path[0, 1], both["sgd"].path[1, 1])  # each seed draws its own noise
    alone = ov.run("bowl", ["sgd"], steps=STEPS, start=starts[1], seed=7)
    np.testing.assert_allclose(both["sgd"].path[1, 1], alone["sgd"].path, rtol=1e-6, atol=1e-7)
    seeded = ov.run("bowl", ["sgd"], steps=STEPS, start=starts[1], seeds=[4, 7])
    assert seeded["sgd"].path.shape == (2, STEPS + 1, 2) and seeded["sgd"].diverged_at.shape == (2,)
    np.testing.assert_allclose(seeded["sgd"].path[1], alone["sgd"].path, rtol=1e-6, atol=1e-7)


# --------------------------------------------------------------------------------- recording modes

RECORDED = {"gd": {}, "adam": {}, "too big": {"name": "gd", "lr": 0.15}}  # 0.15 > 2 / L = 0.1: diverges


@pytest.fixture(scope="module")
def every_step():
    return ov.run("bowl", RECORDED, steps=50, tol=1e-2)


@pytest.mark.parametrize("record, expected", [(7, [0, 7, 14, 21, 28, 35, 42, 50]), ("final", [50]), (80, [50])])
def test_recording_modes_agree_at_the_recorded_steps(every_step, record, expected):
    sparse = ov.run("bowl", RECORDED, steps=50, tol=1e-2, record=record)
    for label, full in every_step.items():
        t = sparse[label]
        np.testing.assert_array_equal(t.steps, expected)
        # the same steps, though not always bitwise: each mode is its own program, which XLA may fuse (and so
        # round) differently
        np.testing.assert_allclose(t.path, full.path[expected], rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(t.loss, full.loss[expected], rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(t.grad_norm, full.grad_norm[expected], rtol=1e-5, atol=1e-6)
        assert t.diverged_at == full.diverged_at and t.reached_at == full.reached_at
    assert every_step["too big"].diverged_at is not None and every_step["gd"].reached_at is not None


def test_divergence_is_recorded_and_the_path_frozen_without_nan(every_step):
    t = every_step["too big"]
    d = t.diverged_at
    assert isinstance(d, int) and 0 < d <= 50
    for series in (t.path, t.loss, t.grad_norm):
        assert np.all(np.isfinite(series))
    # frozen at the last point inside the bound from step d on
    np.testing.assert_array_equal(t.path[d:], np.broadcast_to(t.path[d - 1], t.path[d:].shape))
    # and the step it refused really leaves the bound (100 domain widths around the domain)
    refused = t.path[d - 1] - 0.15 * bowl_grad(t.path[d - 1].astype(np.float64))
    assert np.max(np.abs(refused)) > 3 + 100 * 6
    assert np.all(np.abs(t.path[:d]) < 3 + 100 * 6)


def test_internals_of_a_diverged_run_are_zero_after_the_refused_step(every_step):
    t = ov.run("bowl", RECORDED, steps=50, tol=1e-2, internals=True)["too big"]
    d = t.diverged_at
    assert d == every_step["too big"].diverged_at
    assert np.all(np.isfinite(t.grads)) and np.all(np.isfinite(t.updates))
    assert np.all(t.updates[d - 1:] == 0) and np.all(t.grads[d:] == 0)  # step d - 1 was refused
    np.testing.assert_allclose(t.updates[:d - 1], np.diff(t.path[:d], axis=0), rtol=1e-5, atol=1e-6)


def test_many_starts_freeze_each_diverged_run_as_a_single_run_would():
    # the batched program freezes after its loop (only when some run diverged): same series as one start each
    starts = np.array([[0.5, 0.3], [2.5, -1.5], [1e-3, 0.0]])
    many = ov.run("bowl", RECORDED, steps=50, starts=starts, tol=1e-2, internals=True)
    for label, t in many.items():
        for j, st in enumerate(starts):
            one = ov.run("bowl", RECORDED, steps=50, start=st, tol=1e-2, internals=True)[label]
            assert (t.diverged_at[j] if t.diverged_at[j] >= 0 else None) == one.diverged_at
            assert (t.reached_at[j] if t.reached_at[j] >= 0 else None) == one.reached_at
            for field in ("path", "loss", "grad_norm", "grads", "updates"):
                a = getattr(t, field)[j]
                assert np.all(np.isfinite(a))
                np.testing.assert_allclose(a, getattr(one, field), rtol=1e-5, atol=1e-6)
    assert np.all(many["too big"].diverged_at[:2] > 0) and many["gd"].diverged_at.max() == -1


def test_a_nan_is_a_divergence_too():
    @ov.surface(domain=((0.0, 2.0), (-1.0, 1.0)), start=(1.0, 0.5), name="root")
    def root(x, y):
        return jnp.sqrt(x) + y**2  # descending drives x below 0, where sqrt is NaN

    t = ov.run(root, {"gd": {"lr": 0.5}}, steps=20)["gd"]
    # x: 1 -> 0.75 -> 0.46 -> 0.09 -> (-0.73: sqrt is NaN there, so that step is refused)
    assert t.diverged_at == 4
    assert np.all(np.isfinite(t.path)) and np.all(np.isfinite(t.loss)) and np.all(np.isfinite(t.grad_norm))
    assert np.all(t.path[:, 0] > 0) and np.all(t.path[4:] == t.path[3])


def test_reached_at_is_the_first_step_at_or_below_tol(every_step):
    for t in every_step.values():
        below = np.flatnonzero(t.loss <= 1e-2)
        assert t.reached_at == (int(below[0]) if below.size else None)
    never = ov.run("bowl", RECORDED, steps=50, tol=-1.0)
    assert all(t.reached_at is None for t in never.values())
    many = ov.run("bowl", PAIR, steps=STEPS, starts=[[-2.5, 1.5], [0.01, 0.0]], tol=1e-3)
    assert many["gd"].reached_at[1] == 0 and many["gd"].reached_at.dtype == np.int64


def test_internals_are_the_gradient_used_and_the_update_made():
    t = ov.run("bowl", PAIR, steps=STEPS, internals=True)["adam"]
    assert t.grads.shape == t.updates.shape == (STEPS, 2)
    np.testing.assert_allclose(t.grads, bowl_grad(t.path[:-1]), rtol=1e-5)
    np.testing.assert_allclose(t.updates, np.diff(t.path, axis=0), rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------------- optimizers in

def test_the_same_optimizer_twice_gets_distinct_labels():
    runs = ov.run("bowl", ["gd:lr=0.05", "gd:lr=0.01"], steps=STEPS)
    assert list(runs) == ["gd(lr=0.05)", "gd(lr=0.01)"]
    assert not np.allclose(runs["gd(lr=0.05)"].path, runs["gd(lr=0.01)"].path)
    assert runs["gd(lr=0.05)"].caption == "gd lr=0.05"
    twice = ov.run("bowl", ["gd", "gd"], steps=STEPS)
    assert list(twice) == ["gd", "gd#2"]
    labelled = ov.run("bowl", {"slow": {"name": "gd", "lr": 0.01}, "fast": {"name": "gd", "lr": 0.05}}, steps=STEPS)
    assert list(labelled) == ["slow", "fast"] and labelled["slow"].name == "gd"
    np.testing.assert_array_equal(labelled["fast"].path, runs["gd(lr=0.05)"].path)
    objects = ov.run("bowl", [ov.optimizer("adam", lr=0.1), ov.optimizer("adam", lr=0.2, b1=0.5)], steps=STEPS)
    assert list(objects) == ["adam(lr=0.1, b1=0.9)", "adam(lr=0.2, b1=0.5)"]


def test_an_optax_transformation_runs_as_it_is():
    runs = ov.run("rosenbrock", [optax.adam(0.05), "adam:lr=0.05"], steps=STEPS)
    assert list(runs) == ["optimizer1", "adam"]
    np.testing.assert_allclose(runs["optimizer1"].path, runs["adam"].path, rtol=1e-5, atol=1e-6)
    assert runs["optimizer1"].spec is None and runs["optimizer1"].caption == "optimizer1"
    chained = ov.run("bowl", {"clipped": optax.chain(optax.clip(0.5), optax.sgd(0.1))}, steps=STEPS)
    assert np.all(np.abs(np.diff(chained["clipped"].path, axis=0)) <= 0.05 + 1e-7)


def test_the_runs_noise_reaches_every_optimizer_even_an_optax_one():
    quiet = ov.run("bowl", [optax.sgd(0.05), "gd:lr=0.05"], steps=STEPS)
    noisy = ov.run("bowl", [optax.sgd(0.05), "gd:lr=0.05"], steps=STEPS, noise=0.5)
    np.testing.assert_allclose(quiet["optimizer1"].path, quiet["gd"].path, rtol=1e-6)
    for label in ("optimizer1", "gd"):
        assert not np.allclose(noisy[label].path, quiet[label].path)
    assert noisy["gd"].caption == "gd lr=0.05 noise=0.5"


def test_unknown_run_label_says_did_you_mean():
    runs = ov.run("bowl", PAIR, steps=STEPS)
    with pytest.raises(KeyError, match="did you mean 'adam'"):
        runs["adma"]


def test_enable_x64_gives_float64():
    before = jax.config.jax_enable_x64
    try:
        ov.enable_x64()
        t = ov.run("bowl", PAIR, steps=STEPS)["adam"]
        assert t.path.dtype == t.loss.dtype == t.grad_norm.dtype == np.float64
    finally:
        jax.config.update("jax_enable_x64", before)
    assert ov.run("bowl", PAIR, steps=STEPS)["adam"].path.dtype == np.float32


# ------------------------------------------------------------------------------------ compile once

def test_new_numbers_do_not_recompile():
    ov.run("bowl", {"gd": {"lr": 0.05}, "sgd": {"noise": 0.5}}, steps=STEPS, start=(1.0, 1.0), seed=1)
    before = program._execute._cache_size()
    ov.run("bowl", {"gd": {"lr": 0.01}, "sgd": {"noise": 2.0, "lr": 0.3}}, steps=STEPS, start=(-2.0, 0.5), seed=9)
    assert program._execute._cache_size() == before



def test_a_repeat_call_reuses_its_checked_plan(monkeypatch):
    from optiviz.engine import api

    opts = {"gd": {"lr": 0.05}, "adam": {}}
    first = ov.run("bowl", opts, steps=STEPS, start=(1.0, 1.0))
    plans = []
    original = api._plan
    monkeypatch.setattr(api, "_plan", lambda *a, **k: plans.append(1) or original(*a, **k))
    first.start[0] = 99.0  # what a call hands out is its own: the cached plan is not changed through it
    again = ov.run("bowl", opts, steps=STEPS, start=(1.0, 1.0))
    assert plans == []  # served from the cache
    np.testing.assert_array_equal(again.start, [1.0, 1.0])
    for label in opts:
        np.testing.assert_array_equal(again[label].path, first[label].path)
        assert again[label].caption == first[label].caption and again[label].path is not first[label].path
    other = ov.run("bowl", {"gd": {"lr": 0.01}, "adam": {}}, steps=STEPS, start=(1.0, 1.0))
    assert plans == [1] and not np.allclose(other["gd"].path, first["gd"].path)
    ov.run("bowl", {"gd": {"lr": 0.05}, "adam": {}}, steps=STEPS, start=(1.0, 1.0), tol=1e-3)
    ov.run("bowl", [ov.optimizer("gd", lr=0.05)], steps=STEPS, start=(1.0, 1.0))  # not plain data: no cache
    ov.run("bowl", [ov.optimizer("gd", lr=0.05)], steps=STEPS, start=(1.0, 1.0))
    assert plans == [1, 1, 1, 1]

@settings(deadline=None)
@given(seed=st.integers(0, 2**31 - 1), noise=st.floats(0.01, 3.0),
       x=st.floats(-2.9, 2.9), y=st.floats(-1.9, 1.9))
def test_runs_are_bitwise_deterministic(seed, noise, x, y):
    kw = dict(steps=STEPS, start=(x, y), seed=seed)
    opts = {"sgd": {"noise": noise}, "adam": {"noise": noise}}
    first, second = ov.run("bowl", opts, **kw), ov.run("bowl", opts, **kw)
    for label in opts:
        for field in ("path", "loss", "grad_norm"):
            assert np.array_equal(getattr(first[label], field), getattr(second[label], field))
    assert not np.array_equal(first["sgd"].path, ov.run("bowl", opts, **{**kw, "seed": seed + 1})["sgd"].path)


# -------------------------------------------------------------------------------------- sharding

SHARDED = textwrap.dedent("""
    import json, sys
    import numpy as np
    import jax
    jax.config.update("jax_enable_x64", True)  # float64: the two programs may round differently
    import optiviz as ov
    from optiviz.engine import program

    seen = {}
    original = program._execute

    def spy(prog, hparams, noises, salts, starts, *rest):
        out = original(prog, hparams, noises, salts, starts, *rest)
        seen["starts_on"] = len(starts.sharding.device_set)
        seen["path_on"] = len(out[0][0].sharding.device_set)
        return out

    program._execute = spy
    starts = np.load(sys.argv[1])
    runs = ov.run("rosenbrock", ["gd", "adam"], steps=40, starts=starts)
    np.save(sys.argv[2], np.stack([runs["gd"].path, runs["adam"].path]))
    print(json.dumps(dict(devices=jax.local_device_count(), **seen)))
""")


def test_starts_are_sharded_over_devices_with_the_same_result(tmp_path):
    starts = np.random.default_rng(0).uniform([-2, -1], [2, 3], (7, 2))  # 7: padded to 8 for two devices
    np.save(tmp_path / "starts.npy", starts)
    (tmp_path / "sharded.py").write_text(SHARDED)
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=2", "JAX_PLATFORMS": "cpu",
           "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, str(tmp_path / "sharded.py"), str(tmp_path / "starts.npy"),
                           str(tmp_path / "paths.npy")], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report == {"devices": 2, "starts_on": 2, "path_on": 2}
    sharded = np.load(tmp_path / "paths.npy")
    with jax.enable_x64(True):
        here = ov.run("rosenbrock", ["gd", "adam"], steps=40, starts=starts)
    assert jax.local_device_count() == 1
    assert sharded.shape == (2, 7, 41, 2) and sharded.dtype == np.float64
    np.testing.assert_allclose(sharded, np.stack([here["gd"].path, here["adam"].path]), rtol=1e-9, atol=1e-12)


# ------------------------------------------------------------------------------------------ tune

def test_tune_picks_a_stable_learning_rate_by_one_vmapped_program(monkeypatch):
    def no_runs(*args):
        raise AssertionError("tune must not loop over ov.run")

    monkeypatch.setattr(program, "_execute", no_runs)
    before = program._execute_grid._cache_size()
    result = ov.tune("bowl", ["gd", "momentum"], steps=60)
    assert program._execute_grid._cache_size() <= before + 1
    gd = result["gd"]
    # bowl: L = 2 * condition = 20, so GD is stable only for lr < 2 / L = 0.1
    assert 0.01 < gd.lr < 2 / 20
    assert gd.objective < gd.objectives[0] and gd.objective < gd.objectives[-1]
    assert np.isinf(gd.objectives[-1])  # lr = 10 diverges
    assert gd.lrs.shape == gd.objectives.shape == (25,) and gd.spec.hparams["lr"] == gd.lr
    # its repr is one line of plain numbers, not the 25-value arrays of the sweep
    assert repr(gd).startswith(f"<TuneResult gd: lr={gd.lr:.3g} of 25, final loss {gd.objective:.4g} after 60 steps")
    # a second sweep from elsewhere reuses the same program
    again = ov.tune("bowl", ["gd", "momentum"], steps=60, start=(2.0, -1.0))
    assert program._execute_grid._cache_size() <= before + 1
    assert again["gd"].lr < 2 / 20


# ------------------------------------------------------------------------------------ validation

@pytest.mark.parametrize("steps, message", [(0, "steps must be a whole number >= 1, got 0"), (-5, "steps must be a whole number >= 1"),
                                            (2.5, "steps must be a whole number"), ("10", "whole number"),
                                            (True, "whole number")])
def test_bad_steps(steps, message):
    with pytest.raises(InvalidValueError, match=message):
        ov.run("bowl", PAIR, steps=steps)


@pytest.mark.parametrize("kw, message", [
    (dict(start=(1.0, 2.0, 3.0)), r"start must be \(x, y\) or an \(N, 2\) array, got shape \(3,\)"),
    (dict(start=[[[1.0, 2.0]]]), r"got shape \(1, 1, 2\)"),
    (dict(start="ab"), "start must be numbers"),
    (dict(start=(math.nan, 0.0)), "start must be finite"),
    (dict(starts=np.zeros((0, 2))), "starts is empty"),
    (dict(starts=np.zeros((4, 3))), r"starts must be .* got shape \(4, 3\)"),
    (dict(start=(0.0, 0.0), starts=[[0.0, 0.0]]), "give start or starts, not both"),
    (dict(record=0), "record must be 'all', 'final' or a whole number of steps >= 1, got 0"),
    (dict(record=-3), "record must be"), (dict(record="sometimes"), "record must be"),
    (dict(record=True), "record must be"), (dict(record=2.5), "record must be"),
    (dict(seed=-1), "seed must be a whole number >= 0, got -1"), (dict(seed="a"), "seed must be"),
    (dict(seed=2**64), "seed must be"), (dict(seeds=[2**63]), "seeds must be"),
    (dict(seeds=[]), "seeds must be"), (dict(seeds=[1, -2]), "seeds must be"),
    (dict(tol=math.nan), "tol must be finite"), (dict(tol="low"), "tol must be a number"),
    (dict(noise=-1.0), "noise must be >= 0"),
    (dict(internals=True, record="final"), "internals=True needs record='all'"),
    (dict(batch_size=0), "batch_size must be a whole number >= 1"),
])
def test_bad_run_arguments(kw, message):
    with pytest.raises(InvalidValueError, match=message):
        ov.run("bowl", PAIR, steps=STEPS, **kw)


def test_a_minibatch_larger_than_the_dataset_is_refused():
    n = len(ov.load_surface("linreg").data[0])
    with pytest.raises(InvalidValueError, match=f"batch_size {n + 1} is larger than linreg's dataset \\({n} points\\)"):
        ov.run("linreg", ["sgd"], steps=STEPS, batch_size=n + 1)


@pytest.mark.parametrize("optimizers, error, message", [
    (["adma"], UnknownNameError, "did you mean .*'adam'"),
    ({"zz": {}}, UnknownNameError, "unknown optimizer 'zz'"),
    ([], InvalidValueError, "no optimizers given"),
    ({}, InvalidValueError, "no optimizers given"),
    (["adam:lr=0"], InvalidValueError, "adam: lr must be > 0"),
    ({"adam": {"beta": 0.9}}, InvalidValueError, "adam has no hyperparameter 'beta'"),
    ([42], InvalidValueError, "cannot use 42 as an optimizer"),
])
def test_bad_optimizers(optimizers, error, message):
    with pytest.raises(error, match=message):
        ov.run("bowl", optimizers, steps=STEPS)


def test_tune_validation():
    with pytest.raises(InvalidValueError, match="lrs must be a non-empty list"):
        ov.tune("bowl", ["gd"], lrs=[0.1, -1.0])
    with pytest.raises(InvalidValueError, match="tune needs registered optimizers"):
        ov.tune("bowl", [optax.sgd(0.1)])
    with pytest.raises(InvalidValueError, match="tune takes one start"):
        ov.tune("bowl", ["gd"], start=[[0.0, 0.0], [1.0, 1.0]])
    with pytest.raises(OptivizError):
        ov.tune("bowl", ["gd"], tol=math.nan)


def test_a_comma_list_string_is_the_command_lines_form():
    runs = ov.run("bowl", "gd,adam:lr=0.2,b1=0.8,adam", steps=STEPS)
    assert list(runs) == ["gd", "adam(lr=0.2, b1=0.8)", "adam(lr=0.1, b1=0.9)"]
    assert runs["adam(lr=0.2, b1=0.8)"].spec.hparams["b1"] == pytest.approx(0.8)


def test_a_learning_rate_grid_runs_in_one_program_and_matches_single_runs():
    starts = np.array([[-2.0, 1.0], [1.5, -0.5], [0.3, 0.2]])
    grid = np.array([[0.01, 0.02], [0.05, 0.1], [0.2, 0.4]])
    before = program._execute_grid._cache_size()
    runs = ov.run("local_minima", ["gd", "momentum"], lrs=grid, starts=starts, steps=40, tol=0.0, record="final")
    assert runs["gd"].path.shape == (3, 3, 1, 2) and runs["gd"].reached_at.shape == (3, 3)
    np.testing.assert_array_equal(runs["momentum"].lrs, grid[:, 1])
    for g in range(3):
        one = ov.run("local_minima", {"gd": {"lr": grid[g, 0]}, "momentum": {"lr": grid[g, 1]}}, starts=starts,
                     steps=40, tol=0.0, record="final")
        for k in ("gd", "momentum"):
            np.testing.assert_allclose(runs[k].path[g], one[k].path, rtol=1e-5, atol=1e-6)
            np.testing.assert_array_equal(runs[k].reached_at[g], one[k].reached_at)
    # another grid of the same size, other starts of the same count: no new program
    ov.run("local_minima", ["gd", "momentum"], lrs=grid * 2, starts=starts + 0.1, steps=40, tol=0.0, record="final")
    assert program._execute_grid._cache_size() == before + 1
    one_start = ov.run("bowl", ["gd"], lrs=[0.01, 0.1, 1.0], steps=30)
    assert one_start["gd"].path.shape == (3, 31, 2) and one_start["gd"].diverged_at.tolist()[2] >= 0
    with pytest.raises(ov.InvalidValueError, match="one column per optimizer"):
        ov.run("bowl", ["gd", "adam"], lrs=np.ones((2, 3)))
    with pytest.raises(ov.InvalidValueError, match="> 0"):
        ov.run("bowl", ["gd"], lrs=[0.1, -1.0])
