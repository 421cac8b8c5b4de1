"""``optiviz network``: train small networks side by side and draw how they learn.

Also the network options and training that ``optiviz landscape`` shares.
"""
from __future__ import annotations

import argparse
import itertools
import time
from pathlib import Path
from typing import Any

from ..errors import InvalidValueError
from .options import IMAGE_FORMATS, add_command, add_output_options, choice, int_at_least, nonnegative_float, \
    number_list, pixels, probability, spec_list
from .output import check_output, default_output, offscreen, save_output, say
from .runs import optimizer_specs


NETWORK_PLOTS = ("boundary", "compare", "curves", "gradients", "weights")
BOUNDARY_FORMATS = (".gif", ".mp4", ".html", ".png")


def add_network_options(p: argparse.ArgumentParser, *, activations: str, optimizers: str, steps: int) -> None:
    g = p.add_argument_group("the network and its training")
    g.add_argument("--dataset", default="spiral", metavar="SPEC",
                   help="spiral, xor, circles, moons, gaussians (2D, two classes) or sine (1D regression), with "
                        "options as name:key=value,... such as spiral:noise=0.2,label_noise=0.1,n=600 "
                        "(default: %(default)s)")
    g.add_argument("--activation", default=activations, metavar="LIST",
                   help="comma-separated activations (optiviz list activations), each a name or name:key=value "
                        "such as leaky_relu:alpha=0.1 or maxout:pieces=3 (default: %(default)s)")
    g.add_argument("--depth", type=number_list(int_at_least(0, "depth"), "--depth"), default=[2], metavar="LIST",
                   help="hidden layers, or a comma-separated list of depths to compare, such as 2,4,6,8,10 "
                        "(default: 2)")
    g.add_argument("--width", type=int_at_least(1, "width"), default=16,
                   help="units per hidden layer (default: %(default)s)")
    g.add_argument("--optimizers", default=optimizers, metavar="LIST",
                   help="comma-separated optimizers, each a name or name:key=value,... such as adam:lr=0.01 "
                        "(default: %(default)s)")
    g.add_argument("--steps", type=int_at_least(1, "steps"), default=steps,
                   help="training steps (default: %(default)s)")
    g.add_argument("--l1", type=number_list(nonnegative_float, "--l1"), default=[0.0], metavar="LIST",
                   help="L1 penalty strength, or a list to compare such as 0,1e-3 (default: 0)")
    g.add_argument("--l2", type=number_list(nonnegative_float, "--l2"), default=[0.0], metavar="LIST",
                   help="L2 penalty strength, or a list to compare such as 0,1e-3 (default: 0)")
    g.add_argument("--dropout", type=number_list(probability, "--dropout"), default=[0.0], metavar="LIST",
                   help="probability of dropping a hidden unit while training, or a list to compare such as "
                        "0,0.5 (default: 0)")
    g.add_argument("--batch-size", type=int_at_least(1), default=None,
                   help="minibatch size (default: the full batch; sgd draws minibatches of 32)")
    g.add_argument("--seed", type=int_at_least(0), default=0,
                   help="seed of the data, the initial weights, minibatches and dropout (default: %(default)s)")


def network_runs(args: argparse.Namespace, *, one_activation: bool = False, boundary: bool = False,
                  every: int = 1) -> tuple[Any, Any]:
    """The dataset and the trained runs (every activation x every optimizer) the options ask for."""
    import optiviz as ov

    data = ov.nets.dataset(args.dataset, seed=args.seed)
    if boundary and (data.in_dim != 2 or data.task != "binary"):
        raise InvalidValueError(f"decision boundaries need a 2D two-class dataset; {data.name} is {data.in_dim}D "
                                f"{data.task}: use --plot curves")
    acts = [ov.activation(a) for a in spec_list(args.activation, "--activation")]
    if one_activation and len(acts) > 1:
        raise InvalidValueError("a landscape needs one parameter space: give one --activation")
    specs = optimizer_specs(args.optimizers)
    depths, l1s, l2s, rates = (_listed(getattr(args, k)) for k in ("depth", "l1", "l2", "dropout"))
    if one_activation and len(depths) > 1:
        raise InvalidValueError("a landscape needs one parameter space: give one --depth")
    if any(r > 0 for r in rates) and 0 in depths:
        raise InvalidValueError("dropout needs a hidden layer: --depth 0 has none")
    models = [ov.nets.mlp(args.width, d, a, in_dim=data.in_dim, out_dim=data.out_dim) for a in acts for d in depths]
    # a fair comparison: each optimizer whose lr was not given runs at its own tuned lr for each setting (model,
    # penalty, dropout), and says so; a single run is no comparison and keeps the optimizer's default lr. The
    # tuning grid is one more axis of the training program: each tuned run shown is the lr that won.
    settings = list(itertools.product(models, l1s, l2s, rates))
    runs_in = [(*key, s) for key in settings for s in specs]
    runs = ov.nets.train([r[0] for r in runs_in], data, [r[4] for r in runs_in], args.steps,
                         l1=[r[1] for r in runs_in], l2=[r[2] for r in runs_in], dropout=[r[3] for r in runs_in],
                         batch_size=args.batch_size, seed=args.seed, every=every, keep_path=True,
                         tune=len(runs_in) > 1)
    return data, runs


def _listed(value: Any) -> list[Any]:
    """A list option's values (``--depth 2,4,6`` arrives as a list; a single value as itself)."""
    return list(value) if isinstance(value, (list, tuple)) else [value]


def network_command(sub: Any) -> None:
    p = add_command(sub, "network", help="train small networks side by side and draw how they learn", examples=[
        "optiviz network --dataset spiral --activation sigmoid,relu --depth 8 --optimizers sgd,adam --out net.gif",
        "optiviz network --dataset gaussians:label_noise=0.2 --width 64 --optimizers adam:lr=0.01 --dropout 0.5 "
        "--plot curves --out gap.png",
        "optiviz network --activation sigmoid,tanh,relu,maxout --depth 8 --width 32 --plot gradients",
        "optiviz network --dataset moons --activation sigmoid,relu --depth 2,4,6,8,10 --optimizers gd --out depth.png",
        "optiviz network --dataset moons:noise=0.3,n=80 --width 64 --dropout 0,0.5 --out dropout.png",
        "optiviz network --l1 0,3e-3 --l2 0,3e-3 --optimizers gd --plot weights --out penalties.png",
    ])
    add_network_options(p, activations="relu", optimizers="sgd,adam", steps=1000)
    g = p.add_argument_group("the picture")
    g.add_argument("--plot", type=choice(*NETWORK_PLOTS), default=None,
                   metavar="{" + ",".join(NETWORK_PLOTS) + "}",
                   help="boundary: the decision boundary over training, animated (2D datasets); compare: final "
                        "train and test accuracy and loss per run, side by side; curves: train and test learning "
                        "curves; gradients: per-layer gradient norms at initialization, per activation and depth; "
                        "weights: histograms of the final weights (default: compare when --depth, --dropout, --l1 "
                        "or --l2 lists several values, else boundary)")
    add_output_options(p, formats=(*BOUNDARY_FORMATS, ".svg", ".pdf"), animated=True, default_name="network")
    p.set_defaults(handler=offscreen(_network), frames=60)


def _network(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    if args.plot is None:
        listed = any(len(_listed(getattr(args, k))) > 1 for k in ("depth", "dropout", "l1", "l2"))
        args.plot = "compare" if listed else "boundary"
    animated = args.plot == "boundary"
    formats = BOUNDARY_FORMATS if animated else IMAGE_FORMATS
    out = check_output(args.out, formats, animated=animated)
    from ..render import style

    path = out or default_output(Path("."), "network", formats[0])
    size = pixels(args)
    with style.context(args.style):
        drawn = _draw(args, animated, size)
    save_output(drawn, path, args, started, fps=args.fps if animated else None)
    return 0


def _draw(args: argparse.Namespace, animated: bool, size: Any) -> Any:
    import optiviz as ov
    from ..render import nets as netviz

    if args.plot == "gradients":  # a property of the initialized networks: nothing to train
        data = ov.nets.dataset(args.dataset, seed=args.seed)
        acts = [ov.activation(a) for a in spec_list(args.activation, "--activation")]  # all valid before any work
        norms = {}
        depths = _listed(args.depth)
        for act, depth in itertools.product(acts, depths):
            model = ov.nets.mlp(args.width, depth, act, in_dim=data.in_dim, out_dim=data.out_dim)
            label = act.caption() + (f" depth {depth}" if len(depths) > 1 else "")
            norms[label] = ov.nets.grad_norms_at(model, model.init(args.seed), data)
        if not args.quiet:
            for label, v in norms.items():
                say(f"{label}: per-layer gradient norms from the input layer: "
                    + " ".join(f"{x:.3g}" for x in v) + f" (last / first = {v[-1] / v[0]:.3g}x)")
        drawn = netviz.plot_grad_norms(norms, dpi=args.dpi, size=size)
    else:
        data, runs = network_runs(args, boundary=animated,
                                   every=max(1, args.steps // (args.frames if animated else 1000)))
        if not args.quiet:
            say(runs.summary())
        if args.plot == "boundary":
            drawn = netviz.animate_decision_boundary(runs, frames=args.frames, fps=args.fps, dpi=args.dpi, size=size)
        elif args.plot == "compare":
            drawn = netviz.plot_comparison(runs, dpi=args.dpi, size=size)
        elif args.plot == "curves":
            drawn = netviz.plot_learning_curves(runs, dpi=args.dpi, size=size)
        else:
            drawn = netviz.plot_weight_histograms(runs, dpi=args.dpi, size=size)
    return drawn
