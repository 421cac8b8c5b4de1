"""What training hands back: ``History`` (one run's record, numpy arrays) and ``Histories`` (label -> History)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ..errors import InvalidValueError
from ..labeled import LabeledRuns, Report, as_html
from ..optimizers import OptimizerSpec
from .datasets import Dataset
from .diagnostics import diagnose
from .models import MLP

__all__ = ["History", "Histories"]


@dataclass
class History:
    """One run's record, as numpy arrays indexed by recorded step (``steps``, length T).

    ``train_loss`` / ``test_loss``: the data loss (without the penalty) of the deterministic network (no
    dropout) on the whole train / test split; ``train_acc`` / ``test_acc``: accuracy (R^2 for regression).
    ``grad_norms`` (T, layers): the norm of each weight layer's gradient (weights and bias together) of the data
    loss, as used by the step (a minibatch's, with dropout's masks), input layer first. ``path`` (T, P): the
    flattened weights at each recorded step (``weights_at(step)`` unflattens them), or None if not kept.
    ``params``: the final weights (the best ones if early stopping stopped the run). ``diverged_at`` /
    ``stopped_at``: the step a NaN/inf appeared / early stopping stopped, or None.
    """

    label: str
    caption: str
    model: MLP
    task: str
    steps: np.ndarray
    train_loss: np.ndarray
    test_loss: np.ndarray
    train_acc: np.ndarray
    test_acc: np.ndarray
    grad_norms: np.ndarray
    path: np.ndarray | None
    params: Any
    diverged_at: int | None
    stopped_at: int | None
    best_step: int | None
    spec: OptimizerSpec | None = None
    config: dict[str, Any] = field(default_factory=dict)
    unravel: Any = field(default=None, repr=False)
    #: how the lr was chosen ("tuned", "0.5 of stability limit"), said in the pictures' labels
    how: str | None = None

    @property
    def note(self) -> str | None:
        """What a picture adds to the label in parentheses: how the lr was chosen and, for a run on minibatches,
        the minibatch size ("tuned, minibatch 32"); None when there is nothing to add."""
        parts = [self.how] if self.how else []
        if (self.config or {}).get("batch_size"):
            parts.append(f"minibatch {self.config['batch_size']}")
        return ", ".join(parts) or None

    @property
    def shown(self) -> str:
        """The label with its note: ``"sgd (minibatch 32)"``."""
        return f"{self.label} ({self.note})" if self.note else self.label

    def weights_at(self, step: int) -> Any:
        """The weights (a tuple of ``Dense``) at a recorded ``step``."""
        if self.path is None:
            raise InvalidValueError("this history kept no weight path: train with keep_path=True")
        hits = np.nonzero(self.steps == step)[0]
        if not len(hits):
            raise InvalidValueError(f"step {step} was not recorded; recorded steps are 0, "
                                    f"{self.steps[1] if len(self.steps) > 1 else ''} ... {self.steps[-1]}")
        return jax.tree_util.tree_map(np.asarray, self.unravel(jnp.asarray(self.path[hits[0]])))

    @property
    def final_train_loss(self) -> float:
        return float(self.train_loss[-1])

    @property
    def final_test_loss(self) -> float:
        return float(self.test_loss[-1])

    @property
    def gap(self) -> float:
        """Final test loss minus final train loss: how much worse the model does on data it has not seen."""
        return self.final_test_loss - self.final_train_loss

    def diagnosis(self) -> str:
        """One line saying which side is bad (see ``ov.nets.diagnose``)."""
        return diagnose(self)

    def row(self, score: str) -> dict[str, str]:
        """This run's cells of the results table: final train/test loss and ``score`` (accuracy or R^2),
        divergence or early stopping, the diagnosis."""
        end = "-" if self.diverged_at is None and self.stopped_at is None else \
            f"diverged at step {self.diverged_at}" if self.diverged_at is not None else \
            f"stopped at step {self.stopped_at}" + ("" if self.best_step is None else f" (best {self.best_step})")
        return {"run": self.shown, "train loss": f"{self.final_train_loss:.4g}",
                "test loss": f"{self.final_test_loss:.4g}", f"train {score}": f"{float(self.train_acc[-1]):.3f}",
                f"test {score}": f"{float(self.test_acc[-1]):.3f}", "ended": end, "diagnosis": self.diagnosis()}

    def _repr_html_(self) -> str:
        return as_html(_report(f"{self.label}: {len(self.steps)} records to step {int(self.steps[-1])}", [self],
                               self.task))

    def __repr__(self) -> str:
        return (f"<History {self.label}: {len(self.steps)} records to step {int(self.steps[-1])}, "
                f"train {self.final_train_loss:.4g} test {self.final_test_loss:.4g}>")


def _report(title: str, runs: list[History], task: str) -> Report:
    score = "R^2" if task == "regression" else "acc"
    rows = [h.row(score) for h in runs]
    header = list(rows[0]) if rows else ["run"]
    if all(r["ended"] == "-" for r in rows):
        header.remove("ended")
    return Report(title, header, [tuple(r[h] for h in header) for r in rows])


class Histories(LabeledRuns[History]):
    """label -> ``History``, in the order the runs were given, with the data they trained on."""

    def __init__(self, runs: dict[str, History], data: Dataset, n_steps: int, seed: int) -> None:
        super().__init__(runs)
        self.data = data
        self.n_steps = n_steps
        self.seed = seed

    def report(self) -> Report:
        """The results table (``summary()``, ``str()``, the notebook's HTML): final train/test loss and accuracy
        (R^2 for regression), how the run ended (diverged, stopped early) and the diagnosis, per run."""
        return _report(f"{self.data.caption()}: {self.n_steps} steps", list(self.values()), self.data.task)

    def __repr__(self) -> str:
        return f"<Histories on {self.data.name}: {self._named()} ({self.n_steps} steps)>"
