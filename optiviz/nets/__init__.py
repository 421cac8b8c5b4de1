"""Small networks in plain JAX: models, datasets, training side by side, diagnostics, loss landscapes.

    import optiviz as ov
    data = ov.nets.dataset("spiral", noise=0.1, seed=0)
    model = ov.nets.mlp(width=16, depth=2, activation="relu")
    runs = ov.nets.train(model, data, ["sgd", "momentum", "adam"], steps=2000)   # one compiled program
    ov.nets.layer_grad_norms("sigmoid", depth=8)      # vanishing gradients, one norm per weight layer
    land = ov.nets.landscape(runs, plane="pca")        # the runs' paths on a 2D slice of the loss

Numerical only: nothing here imports matplotlib (the figures live in ``optiviz.render.nets``).
"""
from __future__ import annotations

from . import datasets, grid
from .datasets import Dataset, dataset
from .models import MLP, Dense, mlp
from .history import Histories, History
from .losses import data_loss
from .train import train
from .diagnostics import (decision_frames, decision_grid, diagnose, judge, grad_norms_at, jacobian, layer_grad_norms,
                          near_zero_fraction, weights)
from .landscape import Landscape, filter_normalized_direction, landscape, plane_loss

__all__ = ["Dataset", "dataset", "datasets", "grid", "MLP", "Dense", "mlp", "History", "Histories", "train",
           "data_loss",
           "layer_grad_norms", "grad_norms_at", "diagnose", "judge", "weights", "near_zero_fraction", "jacobian",
           "decision_frames", "decision_grid", "Landscape", "landscape", "filter_normalized_direction", "plane_loss"]
