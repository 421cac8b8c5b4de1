"""What a run hands back: ``Trajectory`` (one optimizer's recorded run, numpy arrays), ``Trajectories`` (label ->
Trajectory, with the run's configuration) and ``TuneResult`` (the learning rate a sweep chose, and the sweep)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..labeled import LabeledRuns, Report, as_html, table
from ..optimizers import OptimizerSpec, format_value
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
    it; the render's labels end with it (``render.style.run_label``). ``tol`` is the tolerance ``reached_at``
    refers to (None when the run was given none).
    """

    label: str
    caption: str
    path: np.ndarray
    loss: np.ndarray
    grad_norm: np.ndarray
    steps: np.ndarray
    diverged_at: int | np.ndarray | None
    reached_at: int | np.ndarray | None
    spec: OptimizerSpec | None = None
    grads: np.ndarray | None = None
    updates: np.ndarray | None = None
    lrs: np.ndarray | None = None
    how: str | None = None
    tol: float | None = None

    @property
    def name(self) -> str:
        return self.spec.name if self.spec else self.label

    @property
    def final(self) -> np.ndarray:
        """The last recorded point(s), shape (..., 2)."""
        return self.path[..., -1, :]

    @property
    def final_loss(self) -> float | np.ndarray:
        """The loss at the last recorded point: a float for a single run, an array of shape (...) for many."""
        last = self.loss[..., -1]
        return float(last) if np.ndim(last) == 0 else last

    @property
    def diverged(self) -> bool | np.ndarray:
        d = self.diverged_at
        return (d is not None) if not isinstance(d, np.ndarray) else d >= 0

    def row(self) -> dict[str, str]:
        """This run's cells of the results table (``Trajectories.summary``, the notebook's HTML table): what ran,
        how its lr was chosen, the final loss, steps to ``tol``, divergence; many runs (starts, seeds, an lr grid)
        are summarised in one row, never listed."""
        fl = np.asarray(self.loss[..., -1], dtype=float)
        spec = self.spec
        lr = _lr_choice(self)
        cells = {"run": self.label, "optimizer": spec.name if spec else "-", "lr chosen": lr}
        if fl.ndim == 0:
            x, y = (float(v) for v in self.final)
            cells.update({"final loss": _num(fl), "final (x, y)": f"({_num(x)}, {_num(y)})",
                          "reached tol": "never" if self.reached_at is None else f"step {self.reached_at}",
                          "diverged": "-" if self.diverged_at is None else f"at step {self.diverged_at}"})
        else:
            cells.update({"final loss": _many_losses(fl, self.lrs), "final (x, y)": f"{fl.size} runs",
                          "reached tol": _count(np.asarray(self.reached_at), "median step", np.median),
                          "diverged": _count(np.asarray(self.diverged_at), "first at step", np.min)})
        cells["hyperparameters"] = _hyperparameters(self)
        return cells

    def _repr_html_(self) -> str:
        return as_html(_report(f"{self.label}: {len(self.steps)} recorded steps, path {self.path.shape}", [self],
                               self.tol is not None))

    def __repr__(self) -> str:
        r = self.row()
        return f"<Trajectory {self.label}: path {self.path.shape}, final loss {r['final loss']}>"


def _num(x: Any) -> str:
    """A number as the tables print it: 4 significant figures, a plain float (never an array's repr)."""
    return f"{float(x):.4g}"


def _many_losses(fl: np.ndarray, lrs: np.ndarray | None) -> str:
    """Final losses of many runs in one cell: the median and range, or over an lr grid the best lr's median."""
    if np.all(np.isnan(fl)):
        return "nan"
    if lrs is not None and len(lrs) > 1:
        per_lr = np.nanmedian(fl.reshape(len(lrs), -1), axis=1)
        best = int(np.nanargmin(per_lr))
        median = "" if fl.size == len(lrs) else " (median)"
        return f"best {_num(per_lr[best])}{median} at lr={format_value(float(lrs[best]))}"
    return f"median {_num(np.nanmedian(fl))} (min {_num(np.nanmin(fl))}, max {_num(np.nanmax(fl))})"


def _count(events: np.ndarray, what: str, pick: Any) -> str:
    """How many of many runs had an event (-1 is never), and when: ``"3 of 50, first at step 12"``."""
    hit = events[events >= 0]
    return f"{hit.size} of {events.size}" + (f", {what} {int(pick(hit))}" if hit.size else "")


def _lr_choice(t: Trajectory) -> str:
    """How the lr was chosen: what the run says (``how``), else given by the user or the optimizer's default."""
    if t.how:
        return t.how
    if t.lrs is not None:
        return "grid"
    if t.spec is None:
        return "-"
    return "given" if "lr" in t.spec.given else "default"


def _hyperparameters(t: Trajectory) -> str:
    """The short form: the lr (3 significant figures, or the grid) and the hyperparameters the user set; the full
    set as used is ``caption``."""
    if t.spec is None:
        return t.caption.partition(" ")[2] or "-"
    hp = t.spec.hparams
    parts = []
    if t.lrs is not None:
        parts.append(f"lr grid of {len(t.lrs)} from {format_value(float(np.min(t.lrs)))} "
                     f"to {format_value(float(np.max(t.lrs)))}")
    elif "lr" in hp:
        lr = hp["lr"]
        parts.append(f"lr={lr:.3g}" if isinstance(lr, float) else f"lr={format_value(lr)}")
    parts += [f"{k}={format_value(v)}" for k, v in hp.items() if k in t.spec.given and k != "lr"]
    if t.spec.noise:
        parts.append(f"noise={format_value(t.spec.noise)}")
    if t.spec.convention != "optax":
        parts.append(f"convention={t.spec.convention}")
    return " ".join(parts)


def _report(title: str, runs: list[Trajectory], tol: bool) -> Report:
    """The results table of ``runs``: a column for steps to tolerance only when one was set, for how the lr was
    chosen only when some run says more than that the user gave it."""
    rows = [t.row() for t in runs]
    header = ["run", "optimizer", "final loss", "final (x, y)", "reached tol", "diverged", "lr chosen",
              "hyperparameters"]
    if not tol:
        header.remove("reached tol")
    if all(r["lr chosen"] in ("given", "-") for r in rows):
        header.remove("lr chosen")
    return Report(title, header, [tuple(r[h] for h in header) for r in rows])


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

    def report(self) -> Report:
        """The results table (``summary()``, ``str()``, the notebook's HTML): one row per optimizer with its final
        loss, steps to ``tol`` (when one was set), divergence, how its lr was chosen and its hyperparameters."""
        # many starts: say how many (naming the first one alone would claim every run began there)
        where = f"{len(self.start)} starts" if self.start.ndim == 2 else \
            f"({self.start[0]:.4g}, {self.start[1]:.4g})"
        head = f"{self.surface.name}: {self.n_steps} steps from {where}" + \
            (f", tol {self.tol:g}" if self.tol is not None else "")
        return _report(head, list(self.values()), self.tol is not None)

    def __repr__(self) -> str:
        return f"<Trajectories on {self.surface.name}: {self._named()} ({self.n_steps} steps)>"


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

    def __repr__(self) -> str:
        reached = "" if self.reached_at is None else f", reached tol at step {self.reached_at}"
        return (f"<TuneResult {self.label}: lr={self.lr:.3g} of {len(self.lrs)}, final loss {_num(self.objective)} "
                f"after {self.budget} steps{reached}>")


def event(a: np.ndarray) -> Any:
    """A recorded step (``diverged_at``, ``reached_at``) as handed out: an int or None for one run, an int64
    array with -1 for "never" for many."""
    if a.ndim == 0:
        return None if int(a) < 0 else int(a)
    return a.astype(np.int64)
