"""``optiviz describe``: what a surface, optimizer, schedule or activation is and how to try it."""
from __future__ import annotations

import argparse
import shlex
from typing import Any, Callable

from ..errors import UnknownNameError
from ..registry import did_you_mean
from .listing import Unavailable, first_paragraph, registry_module
from .options import add_command
from .runs import fmt_domain


def describe_command(sub: Any) -> None:
    p = add_command(sub, "describe", help="explain a surface, optimizer, schedule or activation", examples=[
        "optiviz describe ravine", "optiviz describe adam", "optiviz describe cosine",
        "optiviz describe bowl:condition=50", "optiviz describe my_surfaces.py:bowl"])
    p.add_argument("name", metavar="NAME", help="a name from optiviz list, or a surface spec")
    p.set_defaults(handler=_describe)


def _describe(args: argparse.Namespace) -> int:
    name = args.name.strip()
    if ":" in name or "/" in name or "\\" in name or name.endswith(".py"):  # a surface spec
        import optiviz as ov

        print(_describe_surface(ov.load_surface(name), spec=name))
        return 0
    found, every = [], set()
    for kind in ("surfaces", "optimizers", "schedules", "activations"):
        try:
            mod = registry_module(kind)
        except Unavailable:
            continue
        names = mod.names()
        every.update(names)
        if name in names:
            found.append(_DESCRIBE[kind](mod, name))
    if not found:
        hint = did_you_mean(name, sorted(every))
        if not hint.startswith("did you mean"):  # no close name: the whole list would not fit on one line
            hint = "not a surface, optimizer, schedule or activation"
        raise UnknownNameError(f"nothing called {name!r}; {hint} (optiviz list shows everything)")
    print("\n\n".join(found))
    return 0


def _wrap(text: str, width: int = 98) -> str:
    """Re-flow only the paragraphs with over-long lines (short lines may be formulas laid out by hand)."""
    import textwrap

    paragraphs = text.strip().split("\n\n")
    return "\n\n".join(textwrap.fill(" ".join(p.split()), width) if max(map(len, p.splitlines())) > width else p
                       for p in paragraphs)


def _field(label: str, value: str, width: int = 100) -> str:
    """``  label       value``, the value wrapped under itself."""
    import textwrap

    head = f"  {label:<12}"
    return textwrap.fill(value, width, initial_indent=head, subsequent_indent=" " * len(head),
                         break_on_hyphens=False, break_long_words=False)


def _indent(text: str, by: str = "  ") -> str:
    return "\n".join((by + line).rstrip() for line in text.splitlines())


def _g(v: Any) -> str:
    if isinstance(v, bool):
        return str(v).lower()
    try:
        return f"{float(v):g}"
    except (TypeError, ValueError):
        return str(v)


def _describe_surface(s: Any, spec: str | None = None) -> str:
    """What a surface teaches and where it lives; ``spec`` is what the user typed (the "try" line repeats it:
    a surface from a file or module is not reachable by its bare name)."""
    lines = [f"{s.name}: surface." + (f" {s.title}" if s.title and s.title != s.name else "")]
    if s.description:
        lines += ["", _indent(_wrap(s.description)), ""]
    lines.append(_field("domain", fmt_domain(s.domain)))
    lines.append(_field("start", f"({s.start[0]:g}, {s.start[1]:g})"))
    lines.append(_field("minima", ", ".join(f"({x:g}, {y:g})" for x, y in s.minima) or "not given"))
    if s.params:
        lines.append(_field("parameters", ", ".join(f"{k}={_g(v)}" for k, v in s.params.items())))
    if s.lr:
        lines.append(_field("lr", ", ".join(f"{k}={_g(v)}" for k, v in s.lr.items())
                            + " (suggested; used where no lr is given)"))
    if s.data is not None and s.batch_loss is not None:
        lines.append(_field("data", f"minibatches of {s.batch_size or 16} for stochastic optimizers"))
    lines.append(_field("try", f"optiviz animate --surface {shlex.quote(spec or s.name)}"))
    return "\n".join(lines)


def _describe_optimizer(mod: Any, name: str) -> str:
    info = mod.get(name)
    defaults = dict(info.defaults)
    if info.stochastic:
        defaults["noise"] = 1.0
    example = ",".join(f"{k}={_g(v)}" for k, v in list(info.defaults.items())[:2])
    conventions = getattr(info, "conventions", None) or {}
    lines = [f"{name}: optimizer", "", _indent(info.doc), ""]
    if "torch" in conventions:
        lines += _conventions_table(info, defaults)
    else:
        lines.append(_field("defaults", ", ".join(f"{k}={_g(v)}" for k, v in defaults.items() if k != "convention")))
        lines.append(_field("conventions", "optax's only: torch.optim has no such optimizer"))
    lines += [
        _field("also", "noise=<std>: Gaussian noise added to every gradient (stochastic gradients)"),
        _field("try", f"optiviz animate --optimizers gd,{name}:{example}"),
    ]
    if "torch" in conventions:
        lines.append(_field("", f"optiviz animate --optimizers {name},{name}:convention=torch"))
    return "\n".join(lines)


def _conventions_table(info: Any, defaults: dict[str, Any]) -> list[str]:
    """The defaults under optax's and PyTorch's conventions side by side, and where their formulas differ."""
    torch = {**defaults, **info.conventions["torch"]}
    keys = [k for k in defaults if k != "convention"]
    width = max(len(k) for k in keys) + 2
    rows = [f"  {'defaults':<12}{'':<{width}}{'default (optax)':<18}convention=torch (PyTorch)"]
    for k in keys:
        mark = "" if _g(defaults[k]) == _g(torch[k]) else "   <- differs"
        rows.append(f"  {'':<12}{k:<{width}}{_g(defaults[k]):<18}{_g(torch[k])}{mark}")
    formulas = getattr(info, "formulas", None) or {}
    if formulas:
        rows.append(_field("formulas", f"optax: {formulas.get('optax', 'the same')}"))
        rows.append(_field("", f"torch: {formulas.get('torch', 'the same')}"))
    else:
        rows.append(_field("formulas", "the same in both frameworks; only the defaults above differ"))
    return rows


def _describe_schedule(mod: Any, name: str) -> str:
    import inspect

    fn = mod.get(name)
    params = [p for p in inspect.signature(fn).parameters.values() if p.name not in ("t", "convention")]
    shown = ", ".join(p.name if p.default is p.empty else f"{p.name}={_g(p.default)}" for p in params)
    return "\n".join([
        f"{name}: learning-rate schedule", "", _indent(inspect.getdoc(fn) or ""), "",
        _field("parameters", f"{shown} (t counts updates from 0; lr is the initial step size)"),
        _field("conventions", "convention=optax or torch (torch.optim.lr_scheduler's formula, stepped after each "
                              "update); unset, the schedule follows its optimizer's convention"),
        _field("try", f'optiviz animate --optimizers "gd:lr={name}(0.1)"'),
    ])


def _describe_activation(mod: Any, name: str) -> str:
    entry = mod.get(name)
    lines = [f"{name}: activation", "", _indent(getattr(entry, "doc", None) or first_paragraph(entry)), ""]
    defaults = getattr(entry, "defaults", None)
    if defaults:
        lines.append(_field("parameters", ", ".join(f"{k}={_g(v)}" for k, v in defaults.items())))
    if getattr(entry, "init", None):
        lines.append(_field("init", f"{entry.init} (the weight initialization it suits)"))
    return "\n".join(lines).rstrip()


def _surface(name: str) -> Any:
    """A built-in surface as registered (its metadata: describing it neither checks nor compiles it), or a plugin's
    surface loaded and checked (a plugin is only run when named)."""
    from ..surface import registry

    if name in registry.builtin_names():
        return registry.get(name)
    import optiviz as ov

    return ov.load_surface(name)


_DESCRIBE: dict[str, Callable[[Any, str], str]] = {
    "surfaces": lambda mod, name: _describe_surface(_surface(name), spec=name),
    "optimizers": _describe_optimizer,
    "schedules": _describe_schedule,
    "activations": _describe_activation,
}
