"""Golden trajectories from PyTorch and optax, which ``tests/test_conventions.py`` compares optiviz against.

Every case runs 500 steps in float64 from the start of each of three small 2D surfaces (a curved valley, an
ill-conditioned rotated quadratic and a tilted double well), with the framework's own optimizer:
``torch.optim.<Class>`` (``foreach=False``, the plain per-parameter loop) for ``TORCH_CASES`` and ``optax.<alias>``
for ``OPTAX_CASES``. Each case also names the optiviz optimizer (and hyperparameters) that should follow it; the
tests run those without needing torch. Paths are stored every ``EVERY`` steps (the last step included) in one
compressed ``.npz``, together with the case tables as JSON, so a table edited without regenerating is caught.

    python tests/golden/make_golden.py                 # rewrites tests/golden/golden.npz (needs torch and optax)
    python tests/golden/make_golden.py --out x.npz --only torch

Learning rates are small enough that no path is chaotic: there, float64 rounding differences between two
correct implementations stay near 1e-13 over 500 steps instead of being amplified, so 1e-10 is a real test.
Torch is not a dependency of optiviz nor of its tests: install it next to them to regenerate
(``pip install torch numpy``).
"""
from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

STEPS = 500
EVERY = 5
HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden.npz"

# ----------------------------------------------------------------------------------------------- surfaces
# Written with arithmetic only, so the same function runs on torch tensors and on jax arrays.

_C, _S = math.cos(0.5), math.sin(0.5)


def banana(x, y):
    """A gentle Rosenbrock valley: minimum (1, 1), largest curvature ~ 42 there."""
    return (1 - x) ** 2 + 5 * (y - x * x) ** 2


def ravine(x, y):
    """A quadratic with curvatures 1 and 20 along axes rotated by 0.5 rad: minimum (0, 0)."""
    a = _C * x + _S * y
    b = -_S * x + _C * y
    return 0.5 * a * a + 10 * b * b


def wells(x, y):
    """A tilted double well coupled to y: two minima near x = -1 and x = +1, a hill between."""
    return 0.25 * (x * x - 1) ** 2 + 0.5 * (y + 0.3 * x) ** 2 + 0.1 * x


SURFACES = {"banana": (banana, (-1.5, 2.0)), "ravine": (ravine, (-2.0, 1.5)), "wells": (wells, (0.3, 1.5))}

# --------------------------------------------------------------------------------------------------- cases


class Case(NamedTuple):
    """One framework optimizer and the optiviz optimizer that must follow it.

    ``ref``: the torch.optim class or optax alias (or ``"chain"``: ``optax.chain`` of the ``[transform,
    arguments]`` pairs in ``ref_kwargs["transforms"]``); ``ref_kwargs``: its arguments; ``name`` / ``kwargs``: the
    optiviz optimizer and its hyperparameters. A value ``{"optax_schedule": fn, **args}`` stands for
    ``optax.<fn>(**args)`` on both sides (optax's schedules are learning rates in optiviz too), and
    ``{"schedule": name, **args}`` for optiviz's ``ov.schedule(name, **args)``. A torch case's
    ``ref_kwargs["scheduler"] = {"torch_scheduler": cls, **args}`` steps
    ``torch.optim.lr_scheduler.<cls>(optimizer, **args)`` after every ``optimizer.step()``, as torch asks.
    """

    id: str
    ref: str
    ref_kwargs: dict
    name: str
    kwargs: dict


T = dict(convention="torch")

TORCH_CASES = [
    Case("sgd", "SGD", dict(lr=0.02), "gd", dict(T, lr=0.02)),
    Case("sgd-weight-decay", "SGD", dict(lr=0.02, weight_decay=0.1), "gd", dict(T, lr=0.02, weight_decay=0.1)),
    Case("sgd-momentum", "SGD", dict(lr=0.004, momentum=0.9), "momentum", dict(T, lr=0.004, momentum=0.9)),
    Case("sgd-momentum-dampening", "SGD", dict(lr=0.004, momentum=0.9, dampening=0.3, weight_decay=0.05),
         "momentum", dict(T, lr=0.004, momentum=0.9, dampening=0.3, weight_decay=0.05)),
    Case("sgd-nesterov", "SGD", dict(lr=0.004, momentum=0.9, nesterov=True, weight_decay=0.05),
         "nesterov", dict(T, lr=0.004, momentum=0.9, weight_decay=0.05)),
    Case("adagrad", "Adagrad", dict(lr=0.3), "adagrad", dict(T, lr=0.3)),
    Case("adagrad-large-eps", "Adagrad", dict(lr=0.3, eps=1e-2), "adagrad", dict(T, lr=0.3, eps=1e-2)),
    Case("adagrad-lr-decay", "Adagrad", dict(lr=0.3, lr_decay=0.01, initial_accumulator_value=0.1, eps=1e-2,
                                             weight_decay=0.01),
         "adagrad", dict(T, lr=0.3, lr_decay=0.01, initial_accumulator_value=0.1, eps=1e-2, weight_decay=0.01)),
    Case("rmsprop", "RMSprop", dict(lr=0.003), "rmsprop", dict(T, lr=0.003)),
    Case("rmsprop-large-eps", "RMSprop", dict(lr=0.001, eps=1e-2), "rmsprop", dict(T, lr=0.001, eps=1e-2)),
    Case("rmsprop-momentum", "RMSprop", dict(lr=0.001, alpha=0.9, momentum=0.9, eps=1e-2), "rmsprop",
         dict(T, lr=0.001, decay=0.9, momentum=0.9, eps=1e-2)),
    Case("rmsprop-centered", "RMSprop", dict(lr=0.003, centered=True, eps=1e-2), "rmsprop",
         dict(T, lr=0.003, centered=True, eps=1e-2)),
    Case("rmsprop-centered-momentum", "RMSprop", dict(lr=0.001, centered=True, momentum=0.8, eps=1e-2,
                                                      weight_decay=0.05),
         "rmsprop", dict(T, lr=0.001, centered=True, momentum=0.8, eps=1e-2, weight_decay=0.05)),
    Case("adadelta", "Adadelta", dict(lr=0.5), "adadelta", dict(T, lr=0.5)),
    Case("adadelta-weight-decay", "Adadelta", dict(lr=0.3, rho=0.95, eps=1e-5, weight_decay=0.05), "adadelta",
         dict(T, lr=0.3, rho=0.95, eps=1e-5, weight_decay=0.05)),
    Case("adam", "Adam", dict(lr=0.01), "adam", dict(T, lr=0.01)),
    Case("adam-large-eps", "Adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-2), "adam",
         dict(T, lr=0.01, b1=0.8, b2=0.99, eps=1e-2)),
    Case("adam-weight-decay", "Adam", dict(lr=0.01, weight_decay=0.05), "adam", dict(T, lr=0.01, weight_decay=0.05)),
    Case("amsgrad", "Adam", dict(lr=0.01, amsgrad=True), "amsgrad", dict(T, lr=0.01)),
    Case("amsgrad-large-eps", "Adam", dict(lr=0.01, amsgrad=True, betas=(0.8, 0.99), eps=1e-2), "amsgrad",
         dict(T, lr=0.01, b1=0.8, b2=0.99, eps=1e-2)),
    Case("adamw", "AdamW", dict(lr=0.01), "adamw", dict(T, lr=0.01)),
    Case("adamw-weight-decay", "AdamW", dict(lr=0.01, weight_decay=0.1, eps=1e-3), "adamw",
         dict(T, lr=0.01, weight_decay=0.1, eps=1e-3)),
    Case("adamax", "Adamax", dict(lr=0.01), "adamax", dict(T, lr=0.01)),
    Case("adamax-weight-decay", "Adamax", dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.05, eps=1e-2), "adamax",
         dict(T, lr=0.01, b1=0.8, b2=0.99, weight_decay=0.05, eps=1e-2)),
    Case("nadam", "NAdam", dict(lr=0.01), "nadam", dict(T, lr=0.01)),
    Case("nadam-momentum-decay", "NAdam", dict(lr=0.01, momentum_decay=0.02, eps=1e-2, weight_decay=0.05),
         "nadam", dict(T, lr=0.01, momentum_decay=0.02, eps=1e-2, weight_decay=0.05)),
    Case("radam", "RAdam", dict(lr=0.01), "radam", dict(T, lr=0.01)),
    Case("rprop", "Rprop", dict(lr=0.01), "rprop", dict(T, lr=0.01)),
    Case("rprop-etas", "Rprop", dict(lr=0.02, etas=(0.3, 1.1), step_sizes=(1e-4, 0.05)), "rprop",
         dict(T, lr=0.02, eta_minus=0.3, eta_plus=1.1, min_step_size=1e-4, max_step_size=0.05)),
    Case("radam-large-eps", "RAdam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-2, weight_decay=0.05), "radam",
         dict(T, lr=0.01, b1=0.8, b2=0.99, eps=1e-2, weight_decay=0.05)),
    Case("adam-decoupled", "Adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-2, weight_decay=0.1,
                                        decoupled_weight_decay=True),
         "adam", dict(T, lr=0.01, b1=0.8, b2=0.99, eps=1e-2, weight_decay=0.1, decoupled_weight_decay=True)),
    Case("adamw-amsgrad", "AdamW", dict(lr=0.01, amsgrad=True, betas=(0.8, 0.99), eps=1e-2, weight_decay=0.1),
         "adamw", dict(T, lr=0.01, amsgrad=True, b1=0.8, b2=0.99, eps=1e-2, weight_decay=0.1)),
    Case("nadam-decoupled", "NAdam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-2, weight_decay=0.1,
                                          decoupled_weight_decay=True),
         "nadam", dict(T, lr=0.01, b1=0.8, b2=0.99, eps=1e-2, weight_decay=0.1, decoupled_weight_decay=True)),
    Case("radam-decoupled", "RAdam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-2, weight_decay=0.1,
                                          decoupled_weight_decay=True),
         "radam", dict(T, lr=0.01, b1=0.8, b2=0.99, eps=1e-2, weight_decay=0.1, decoupled_weight_decay=True)),
    # learning-rate schedulers: the optiviz schedule names no convention, so it takes the optimizer's (torch's)
    Case("sgd-steplr", "SGD", dict(lr=0.02, scheduler={"torch_scheduler": "StepLR", "step_size": 100, "gamma": 0.5}),
         "gd", dict(T, lr={"schedule": "step", "lr": 0.02, "every": 100, "factor": 0.5})),
    Case("adam-exponentiallr", "Adam", dict(lr=0.02, scheduler={"torch_scheduler": "ExponentialLR", "gamma": 0.995}),
         "adam", dict(T, lr={"schedule": "exponential", "lr": 0.02, "decay_rate": 0.995})),
    # 500 steps are 3.3 half periods of CosineAnnealingLR: down, up, down, up (optax's cosine would stop at 150)
    Case("sgd-momentum-cosineannealinglr", "SGD",
         dict(lr=0.004, momentum=0.9, scheduler={"torch_scheduler": "CosineAnnealingLR", "T_max": 150,
                                                 "eta_min": 4e-4}),
         "momentum", dict(T, lr={"schedule": "cosine", "lr": 0.004, "steps": 150, "alpha": 0.1},
                          momentum=0.9)),
    # torch's RMSprop scales by lr after its momentum trace: under a schedule that is another path than optax's
    Case("rmsprop-momentum-cosineannealinglr", "RMSprop",
         dict(lr=0.002, momentum=0.9, eps=1e-2, scheduler={"torch_scheduler": "CosineAnnealingLR", "T_max": 120}),
         "rmsprop", dict(T, lr={"schedule": "cosine", "lr": 0.002, "steps": 120}, momentum=0.9, eps=1e-2)),
]

#: the torch cases that step a learning-rate scheduler
SCHEDULED = [c for c in TORCH_CASES if "scheduler" in c.ref_kwargs]

OPTAX_CASES = [
    Case("sgd", "sgd", dict(learning_rate=0.02), "gd", dict(lr=0.02)),
    Case("momentum", "sgd", dict(learning_rate=0.004, momentum=0.9), "momentum", dict(lr=0.004, momentum=0.9)),
    Case("nesterov", "sgd", dict(learning_rate=0.004, momentum=0.9, nesterov=True), "nesterov",
         dict(lr=0.004, momentum=0.9)),
    Case("sgd-schedule", "sgd", dict(learning_rate={"optax_schedule": "cosine_decay_schedule", "init_value": 0.03,
                                                    "decay_steps": 400, "alpha": 0.1}),
         "gd", dict(lr={"optax_schedule": "cosine_decay_schedule", "init_value": 0.03, "decay_steps": 400,
                        "alpha": 0.1})),
    Case("adagrad", "adagrad", dict(learning_rate=0.3), "adagrad", dict(lr=0.3)),
    Case("adagrad-large-eps", "adagrad", dict(learning_rate=0.3, initial_accumulator_value=0.0, eps=1e-2),
         "adagrad", dict(lr=0.3, initial_accumulator_value=0.0, eps=1e-2)),
    Case("rmsprop", "rmsprop", dict(learning_rate=0.001, decay=0.99), "rmsprop", dict(lr=0.001, decay=0.99)),
    Case("rmsprop-eps-outside", "rmsprop", dict(learning_rate=0.001, decay=0.99, eps=1e-2, eps_in_sqrt=False, bias_correction=True),
         "rmsprop", dict(lr=0.001, decay=0.99, eps=1e-2, eps_in_sqrt=False, bias_correction=True)),
    Case("rmsprop-momentum", "rmsprop", dict(learning_rate=0.001, momentum=0.9, eps=1e-2), "rmsprop",
         dict(lr=0.001, momentum=0.9, eps=1e-2)),
    Case("rmsprop-nesterov", "rmsprop", dict(learning_rate=0.0005, momentum=0.9, nesterov=True, eps=1e-2), "rmsprop",
         dict(lr=0.0005, momentum=0.9, nesterov=True, eps=1e-2)),
    Case("rmsprop-centered", "rmsprop", dict(learning_rate=0.003, centered=True, eps=1e-2), "rmsprop",
         dict(lr=0.003, centered=True, eps=1e-2)),
    Case("rmsprop-centered-momentum-schedule", "rmsprop",
         dict(learning_rate={"optax_schedule": "exponential_decay", "init_value": 0.002, "transition_steps": 50,
                             "decay_rate": 0.8},
              centered=True, momentum=0.8, eps=1e-2, eps_in_sqrt=False),
         "rmsprop", dict(lr={"optax_schedule": "exponential_decay", "init_value": 0.002, "transition_steps": 50,
                             "decay_rate": 0.8}, centered=True, momentum=0.8, eps=1e-2, eps_in_sqrt=False)),
    Case("adadelta", "adadelta", dict(learning_rate=0.5), "adadelta", dict(lr=0.5)),
    Case("adadelta-weight-decay", "adadelta", dict(learning_rate=0.3, rho=0.95, eps=1e-5, weight_decay=0.05),
         "adadelta", dict(lr=0.3, rho=0.95, eps=1e-5, weight_decay=0.05)),
    Case("adam", "adam", dict(learning_rate=0.01), "adam", dict(lr=0.01)),
    Case("adam-large-eps", "adam", dict(learning_rate=0.01, b1=0.8, b2=0.99, eps=1e-2), "adam",
         dict(lr=0.01, b1=0.8, b2=0.99, eps=1e-2)),
    Case("adamw", "adamw", dict(learning_rate=0.01, weight_decay=0.1), "adamw", dict(lr=0.01, weight_decay=0.1)),
    Case("adamax", "adamax", dict(learning_rate=0.01, eps=1e-2), "adamax", dict(lr=0.01, eps=1e-2)),
    Case("amsgrad", "amsgrad", dict(learning_rate=0.01, b1=0.8, b2=0.99, eps=1e-2), "amsgrad",
         dict(lr=0.01, b1=0.8, b2=0.99, eps=1e-2)),
    Case("nadam", "nadam", dict(learning_rate=0.01, eps=1e-2), "nadam", dict(lr=0.01, eps=1e-2)),
    Case("radam", "radam", dict(learning_rate=0.01), "radam", dict(lr=0.01)),
    Case("radam-large-eps", "radam", dict(learning_rate=0.01, b1=0.8, b2=0.99, eps=1e-2), "radam",
         dict(lr=0.01, b1=0.8, b2=0.99, eps=1e-2)),
    Case("rprop", "rprop", dict(learning_rate=0.01), "rprop", dict(lr=0.01)),
    Case("rprop-etas", "rprop", dict(learning_rate=0.02, eta_minus=0.3, eta_plus=1.1, min_step_size=1e-4,
                                     max_step_size=0.05),
         "rprop", dict(lr=0.02, eta_minus=0.3, eta_plus=1.1, min_step_size=1e-4, max_step_size=0.05)),
    Case("lion", "lion", dict(learning_rate=0.002, weight_decay=0.01), "lion", dict(lr=0.002, weight_decay=0.01)),
    Case("nadamw", "nadamw", dict(learning_rate=0.01, eps=1e-2, weight_decay=0.1), "nadam",
         dict(lr=0.01, eps=1e-2, weight_decay=0.1, decoupled_weight_decay=True)),
    # optax has no AdamW with AMSGrad: its parts, chained as optax.adamw chains scale_by_adam's
    Case("adamw-amsgrad", "chain", dict(transforms=[["scale_by_amsgrad", dict(b1=0.8, b2=0.99, eps=1e-2)],
                                                    ["add_decayed_weights", dict(weight_decay=0.1)],
                                                    ["scale_by_learning_rate", dict(learning_rate=0.01)]]),
         "adamw", dict(lr=0.01, b1=0.8, b2=0.99, eps=1e-2, weight_decay=0.1, amsgrad=True)),
]


def tables() -> str:
    """The case tables as canonical JSON (stored with the paths)."""
    return json.dumps({"steps": STEPS, "every": EVERY, "surfaces": {k: v[1] for k, v in SURFACES.items()},
                       "torch": [c._asdict() for c in TORCH_CASES], "optax": [c._asdict() for c in OPTAX_CASES]},
                      sort_keys=True)


def value(v: Any) -> Any:
    """``{"optax_schedule": fn, **args}`` -> ``optax.<fn>(**args)``; ``{"schedule": name, **args}`` ->
    ``ov.schedule(name, **args)``; anything else unchanged."""
    if isinstance(v, dict) and "optax_schedule" in v:
        import optax

        return getattr(optax, v["optax_schedule"])(**{k: a for k, a in v.items() if k != "optax_schedule"})
    if isinstance(v, dict) and "schedule" in v:
        import optiviz as ov

        return ov.schedule(v["schedule"], **{k: a for k, a in v.items() if k != "schedule"})
    return v


def optax_optimizer(case: Case) -> Any:
    """The optax optimizer of an ``OPTAX_CASES`` entry."""
    import optax

    if case.ref == "chain":
        return optax.chain(*(getattr(optax, fn)(**args) for fn, args in case.ref_kwargs["transforms"]))
    return getattr(optax, case.ref)(**{k: value(v) for k, v in case.ref_kwargs.items()})


def recorded(path: np.ndarray) -> np.ndarray:
    """Every ``EVERY``-th point of a (STEPS + 1, 2) path, the last included."""
    return path[::EVERY]


# ------------------------------------------------------------------------------------------------- runners

def _torch_optimizer(case: Case, p: Any) -> tuple[Any, Any]:
    """``torch.optim.<ref>`` over the tensor ``p``, and its learning-rate scheduler (None without one)."""
    import torch

    kwargs = dict(case.ref_kwargs)
    sched = kwargs.pop("scheduler", None)
    opt = getattr(torch.optim, case.ref)([p], foreach=False, **kwargs)
    if sched is None:
        return opt, None
    args = {k: v for k, v in sched.items() if k != "torch_scheduler"}
    return opt, getattr(torch.optim.lr_scheduler, sched["torch_scheduler"])(opt, **args)


def torch_paths(perturb: float = 0.0) -> np.ndarray:
    """(len(TORCH_CASES), len(SURFACES), STEPS // EVERY + 1, 2) float64, from the starts moved by ``perturb``."""
    import torch

    # float64 throughout: torch keeps some optimizer scalars (NAdam's mu_product) in the default dtype
    torch.set_default_dtype(torch.float64)
    out = np.empty((len(TORCH_CASES), len(SURFACES), STEPS // EVERY + 1, 2))
    for i, case in enumerate(TORCH_CASES):
        for j, (fn, start) in enumerate(SURFACES.values()):
            p = torch.tensor(np.add(start, perturb), dtype=torch.float64, requires_grad=True)
            opt, scheduler = _torch_optimizer(case, p)
            path = [p.detach().numpy().copy()]
            for _ in range(STEPS):
                opt.zero_grad()
                fn(p[0], p[1]).backward()
                opt.step()
                if scheduler is not None:
                    scheduler.step()  # after the optimizer's step, as torch's documentation asks
                path.append(p.detach().numpy().copy())
            out[i, j] = recorded(np.array(path))
    return out


def torch_lrs() -> np.ndarray:
    """(len(SCHEDULED), STEPS) float64: the learning rate each scheduled torch case uses at updates 0 .. STEPS - 1
    (``param_groups[0]["lr"]`` when ``optimizer.step()`` runs)."""
    import torch

    torch.set_default_dtype(torch.float64)
    out = np.empty((len(SCHEDULED), STEPS))
    for i, case in enumerate(SCHEDULED):
        p = torch.zeros(2, dtype=torch.float64, requires_grad=True)
        opt, scheduler = _torch_optimizer(case, p)
        for t in range(STEPS):
            out[i, t] = opt.param_groups[0]["lr"]
            opt.step()  # no gradient: nothing moves, but the scheduler sees the step it expects first
            scheduler.step()
    return out


def optax_paths(perturb: float = 0.0) -> np.ndarray:
    """(len(OPTAX_CASES), len(SURFACES), STEPS // EVERY + 1, 2) float64, from the starts moved by ``perturb``."""
    import jax
    import jax.numpy as jnp
    import optax

    out = np.empty((len(OPTAX_CASES), len(SURFACES), STEPS // EVERY + 1, 2))
    with jax.enable_x64(True):
        for i, case in enumerate(OPTAX_CASES):
            opt = optax_optimizer(case)
            for j, (fn, start) in enumerate(SURFACES.values()):
                grad = jax.grad(lambda p, fn=fn: fn(p[0], p[1]))

                def body(carry, _):
                    p, state = carry
                    updates, state = opt.update(grad(p), state, p)
                    p = optax.apply_updates(p, updates)
                    return (p, state), p

                p0 = jnp.asarray(np.add(start, perturb), jnp.float64)
                _, path = jax.jit(lambda p0: jax.lax.scan(body, (p0, opt.init(p0)), None, length=STEPS))(p0)
                out[i, j] = recorded(np.concatenate([np.asarray(p0)[None], np.asarray(path)]))
    return out


def check(only: str | None = None, perturb: float = 1e-12) -> int:
    """Print how much each case amplifies a ``perturb`` change of its start (1 = not at all); a case above 1e3 is
    too chaotic for a 1e-10 comparison of two correct implementations, and is flagged (exit status 1)."""
    bad = 0
    for kind, cases, run in [("torch", TORCH_CASES, torch_paths), ("optax", OPTAX_CASES, optax_paths)]:
        if only not in (None, kind):
            continue
        amp = np.abs(run(perturb) - run()).max(axis=(2, 3)) / perturb
        for case, row in zip(cases, amp):
            flag = " <- chaotic" if row.max() > 1e3 else ""
            bad += bool(flag)
            print(f"{kind:6s} {case.id:36s} " + " ".join(f"{a:8.1e}" for a in row) + flag)
    return 1 if bad else 0


def make(only: str | None = None) -> dict[str, np.ndarray]:
    arrays = {"tables": np.array(tables())}
    if only in (None, "torch"):
        arrays["torch"] = torch_paths()
        arrays["torch_lr"] = torch_lrs()
    if only in (None, "optax"):
        arrays["optax"] = optax_paths()
    return arrays


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=GOLDEN)
    parser.add_argument("--only", choices=["torch", "optax"])
    parser.add_argument("--check", action="store_true", help="only report each case's sensitivity to its start")
    args = parser.parse_args(argv)
    if args.check:
        return check(args.only)
    arrays = make(args.only)
    np.savez_compressed(args.out, **arrays)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e3:.0f} kB): "
          + ", ".join(f"{k} {v.shape}" for k, v in arrays.items() if k != "tables"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
