"""What a run hands back: ``Trajectory`` (one optimizer's recorded run, numpy arrays), ``Trajectories`` (label ->
Trajectory, with the run's configuration) and ``TuneResult`` (the learning rate a sweep chose, and the sweep)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..labeled import LabeledRuns, table
from ..optimizers import OptimizerSpec
from ..surface import Surface


@dataclass
class Trajectory:
    """One optimizer's recorded run, as numpy arrays.

    ``path`` has shape ``(T, 2)`` for one start, ``(N, T, 2)`` for N starts and ``(S, N, T, 2)`` with S seeds,
    where ``steps`` (length T) gives the step number of each recorded point (all steps by default, so T = steps+1).
    ``loss`` and ``grad_norm`` (of the full gradient) are taken at the recorded points. ``diverged_at`` /
    ``reached_at`` are the first step that diverged / had loss <= ``tol``: an int or None for a single run, an
    int array with -1 for "never" otherwise. With ``internals=True``, ``grads`` and ``updates`` (shape
    ``(..., steps, 2)``) hold the gradient each step used and the update it made. A run over a grid of learning
    rates (``run(lrs=...)``) puts the grid first, ``(G, ...)``, and keeps it in ``lrs``. ``how`` says how the lr
    was chosen ("tuned", "suggested", or what ``run(how=...)`` said; see ``api.lr_choice``), None when the user gave
    it; the render's labels end with it (``render.style.run_label``).
    """

    label: str
    caption: str
    path: np.ndarray
    loss: np.ndarray
    grad_norm: np.ndarray
    steps: np.ndarray
    diverged_at: Any
    reached_at: Any
    spec: OptimizerSpec | None = None
    grads: np.ndarray | None = None
    updates: np.ndarray | None = None
    lrs: np.ndarray | None = None
    how: str | None = None

    @property
    def name(self) -> str:
        return self.spec.name if self.spec else self.label

    @property
    def final(self) -> np.ndarray:
        """The last recorded point(s), shape (..., 2)."""
        return self.path[..., -1, :]

    @property
    def final_loss(self) -> np.ndarray:
        return self.loss[..., -1]

    @property
    def diverged(self) -> Any:
        d = self.diverged_at
        return (d is not None) if not isinstance(d, np.ndarray) else d >= 0

    def __repr__(self) -> str:
        return (f"<Trajectory {self.label}: path {self.path.shape}, final loss "
                f"{np.asarray(self.final_loss).ravel()[:3]}{' ...' if np.size(self.final_loss) > 3 else ''}>")


class Trajectories(LabeledRuns[Trajectory]):
    """label -> ``Trajectory``, in the order the optimizers were given, with the run's configuration."""

    def __init__(self, runs: dict[str, Trajectory], surface: Surface, *, n_steps: int, seed: int,
                 start: np.ndarray, record: Any, tol: float | None) -> None:
        super().__init__(runs)
        self.surface = surface
        self.n_steps = n_steps
        self.seed = seed
        self.start = start
        self.record = record
        self.tol = tol
        #: label -> ``TuneResult`` when the learning rates were tuned first (``run(..., tune=True)``), else None
        self.tuned: dict[str, TuneResult] | None = None

    def tuning_report(self) -> str:
        """How the learning rates were tuned (``run(..., tune=True)``): the grid, the budget, the objective,
        and one row per optimizer; empty if they were not."""
        if not self.tuned:
            return ""
        first = next(iter(self.tuned.values()))
        lrs = first.lrs
        lines = [f"tuned learning rates: {len(lrs)} values from {lrs.min():.3g} to {lrs.max():.3g}, "
                 f"budget {first.budget} steps, objective: {first.description}"]
        rows = [(label, f"lr={r.lr:.3g}", f"final loss {r.objective:.4g}",
                 "reached tol at " + ("-" if r.reached_at is None else f"step {r.reached_at}"))
                for label, r in self.tuned.items()]
        lines += ["  " + line for line in table(rows)]
        return "\n".join(lines)

    def summary(self) -> str:
        """A plain-text table: final point, final loss, steps to ``tol`` (when one was set), divergence, per
        optimizer."""
        rows = [("optimizer", "final (x, y)", "final loss", "reached tol", "diverged at", "hyperparameters")]
        for t in self.values():
            if t.path.ndim == 2:
                x, y = t.final
                rows.append((t.label, f"({x:.4g}, {y:.4g})", f"{float(t.final_loss):.4g}",
                             "-" if t.reached_at is None else str(t.reached_at),
                             "-" if t.diverged_at is None else str(t.diverged_at),
                             t.caption.partition(" ")[2]))
            else:
                fl = np.asarray(t.final_loss)
                rows.append((t.label, f"{fl.size} runs", f"median {np.nanmedian(fl):.4g}",
                             f"{np.mean(np.asarray(t.reached_at) >= 0):.0%} reached",
                             f"{np.mean(np.asarray(t.diverged_at) >= 0):.0%} diverged", t.caption.partition(" ")[2]))
        if self.tol is None:  # no tolerance was set: a column of "-" says nothing
            rows = [r[:3] + r[4:] for r in rows]
        lines = table(rows)
        # many starts: say how many (naming the first one alone would claim every run began there)
        where = f"{len(self.start)} starts" if self.start.ndim == 2 else \
            f"({self.start[0]:.4g}, {self.start[1]:.4g})"
        head = f"{self.surface.name}: {self.n_steps} steps from {where}" + \
            (f", tol {self.tol:g}" if self.tol is not None else "")
        return "\n".join([head, *lines])

    def __repr__(self) -> str:
        return f"<Trajectories on {self.surface.name}: {', '.join(self)} ({self.n_steps} steps)>"


@dataclass
class TuneResult:
    """The learning rate a sweep chose for one optimizer, and the whole sweep behind the choice."""

    label: str
    lr: float
    objective: float
    reached_at: int | None
    lrs: np.ndarray
    objectives: np.ndarray
    reached: np.ndarray
    spec: OptimizerSpec | None = None
    budget: int = 0
    description: str = field(default="final loss after the step budget, ties broken by steps to reach tol")

    def note(self) -> str:
        """What a caption adds for a tuned run: the objective the choice was made on, and the budget."""
        return f"(tuned: final loss {self.objective:.3g} after {self.budget} steps)"

    def caption(self) -> str:
        return f"lr={self.lr:.3g} {self.note()}"


def event(a: np.ndarray) -> Any:
    """A recorded step (``diverged_at``, ``reached_at``) as handed out: an int or None for one run, an int64
    array with -1 for "never" for many."""
    if a.ndim == 0:
        return None if int(a) < 0 else int(a)
    return a.astype(np.int64)
