"""The engine: optimizers' paths on 2D surfaces, as one compiled program.

    runs = ov.run("ravine", ["gd", "momentum", "adam"], steps=300)     # api.run -> results.Trajectories
    best = ov.tune("ravine", ["gd", "adam"], steps=200)                # api.tune -> {label: results.TuneResult}

The rooms: ``api`` (``run``, ``tune``: inputs checked once, the program called once), ``program`` (the compiled
program), ``divergence`` (the one divergence rule, shared with ``nets.train``), ``results`` (the types handed
back), and what the network trainer shares with the 2D engine: ``labels``, ``hparams`` (traced vs static
hyperparameters) and ``batches`` (minibatches by epochs).
"""
from __future__ import annotations

from .api import run, tune
from .divergence import BOUND as DIVERGENCE_BOUND
from .results import Trajectories, Trajectory, TuneResult

__all__ = ["run", "tune", "Trajectory", "Trajectories", "TuneResult", "DIVERGENCE_BOUND"]
