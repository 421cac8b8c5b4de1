"""The ``optiviz`` command, tested in-process through ``main([...])``, plus one real subprocess run.

Most tests replace the renderer (``ov.animate``/``ov.save``/``ov.plot``) by a recorder, so they check what the
CLI asks for (options, captions, files) in milliseconds; a few at the end draw for real. Runs use few steps on
a handful of (surface, optimizers, steps) combinations, so the engine compiles each program once.
"""
from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import optiviz
from optiviz import cli
from optiviz.cli import main

FAST = ["--steps", "20", "--frames", "5", "--dpi", "40"]
SMALL = ["--surface", "bowl", "--optimizers", "gd,adam", *FAST]
ROOT = Path(__file__).resolve().parents[1]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def message_of(fn) -> str:
    """The one-line message the API raises for this input: the CLI must print exactly that."""
    with pytest.raises(optiviz.OptivizError) as info:
        fn()
    return str(info.value)


def files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


class FakeAnimation:
    def __init__(self, runs, surface, options):
        self.runs, self.surface, self.options = runs, surface, options


class FakeRender:
    """Stands in for optiviz.render: records each call, writes a few bytes where asked."""

    def __init__(self) -> None:
        self.animated: list[FakeAnimation] = []
        self.saved: list[tuple[object, Path, dict]] = []
        self.plotted: list[FakeAnimation] = []

    def animate(self, runs, surface=None, **options):
        anim = FakeAnimation(runs, surface, options)
        self.animated.append(anim)
        return anim

    def plot(self, runs, surface=None, ax=None, **options):
        drawn = FakeAnimation(runs, surface, options)
        self.plotted.append(drawn)
        return drawn

    def save(self, obj, path, **kwargs):
        path = Path(path)
        self.saved.append((obj, path, kwargs))
        path.write_bytes(b"fake output " * 10)
        return path


@pytest.fixture
def fake(monkeypatch, tmp_path) -> FakeRender:
    """Run in an empty folder with the renderer replaced by a recorder."""
    monkeypatch.chdir(tmp_path)
    f = FakeRender()
    for name in ("animate", "plot", "save"):
        monkeypatch.setattr(optiviz, name, getattr(f, name), raising=False)
    return f


@pytest.fixture
def no_work(monkeypatch):
    """Fail the test if the CLI gets as far as loading a surface or running optimizers."""

    def boom(*args, **kwargs):
        raise AssertionError("the CLI computed before rejecting its input")

    monkeypatch.setattr(optiviz, "load_surface", boom)
    monkeypatch.setattr(optiviz, "run", boom, raising=False)
    monkeypatch.setattr(optiviz, "tune", boom, raising=False)


def assert_one_line_error(code: int, err: str, message: str, exit_code: int = 2) -> None:
    assert code == exit_code
    assert "Traceback" not in err
    assert err == f"optiviz: error: {message}\n"


# ------------------------------------------------------------------------------------------ help and version

def test_version(capsys):
    code, out, err = run(capsys, "--version")
    assert (code, out, err) == (0, f"optiviz {optiviz.__version__}\n", "")


COMMANDS = sorted(cli.build_parser().commands)


def test_the_commands_the_issues_name_are_all_there():
    assert {"animate", "plot", "list", "describe", "gallery", "network", "landscape", "plot-activations"} <= \
        set(COMMANDS)


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_every_help_shows_examples(capsys, command):
    code, out, _ = run(capsys, *([command] if command else []), "--help")
    assert code == 0
    examples = out.split("examples:\n", 1)[1].splitlines()
    # each example is a command line of this very command, and it parses (no stale option in the help)
    assert examples and all(e.startswith(f"  optiviz {command or ''}".rstrip()) for e in examples if e.strip()
                            and not e.startswith("'optiviz COMMAND"))
    parser = cli.build_parser()
    for line in filter(None, (e.split("#")[0].strip() for e in examples)):
        if line.startswith("optiviz "):
            argv = shlex.split(line)[1:]
            args, extra = parser.parse_known_args(argv)
            assert extra == [], line


def test_no_command_prints_help(capsys):
    code, out, _ = run(capsys)
    assert code == 0 and "COMMAND" in out and "animate" in out


@pytest.mark.parametrize("command", COMMANDS)
def test_every_option_states_its_default(command):
    """Every option that takes a value says in --help what it is when not given (flags are off by default)."""
    sub = cli.build_parser().commands[command]
    flags = (argparse._HelpAction, argparse._StoreTrueAction, argparse._StoreFalseAction)
    for action in sub._actions:
        if isinstance(action, flags) or action.required:
            continue
        assert "(default: " in " ".join((action.help or "").split()), f"{command} {action.option_strings}"


def test_defaults_written_out_by_hand_are_the_real_ones():
    parser = cli.build_parser()
    assert parser.parse_args(["plot-activations"]).range == (-4.0, 4.0)  # "(default: -4,4)"
    assert parser.parse_args(["list"]).kind == "all"  # "(default: all)"


def test_animate_states_the_issue_defaults(capsys):
    code, out, _ = run(capsys, "animate", "--help")
    flat = " ".join(out.split())
    for option, default in [("--surface", "ravine"), ("--optimizers", "gd,adagrad,rmsprop,momentum,adam"),
                            ("--steps", "200"), ("--layout", "grid"), ("--view", "contour"), ("--fps", "20"),
                            ("--frames", "200"), ("--dpi", "100"), ("--out", "<surface name>.gif")]:
        assert f"(default: {default}" in flat.split(option, 2)[2], option


def test_importing_the_cli_and_help_load_neither_jax_nor_matplotlib():
    code = (
        "import sys\n"
        "import optiviz.cli as cli\n"
        "heavy = lambda: sorted(m for m in ('jax', 'matplotlib') if m in sys.modules)\n"
        "assert heavy() == [], heavy()\n"
        "for argv in ([], ['--help'], ['--version'], *[[c, '--help'] for c in cli.build_parser().commands]):\n"
        "    assert cli.main(argv) == 0, argv\n"
        "assert heavy() == [], heavy()\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr


def test_optiviz_help_in_a_real_process():
    exe = Path(sys.executable).with_name("optiviz")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "optiviz"]
    proc = subprocess.run([*cmd, "--help"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stderr == ""
    assert proc.stdout.startswith("usage: optiviz") and "optiviz animate --surface ravine" in proc.stdout


def test_a_subcommand_is_one_function_and_one_line(capsys, monkeypatch):
    def hello_command(sub):
        p = cli.add_command(sub, "hello", help="say hello", examples=["optiviz hello --name you"])
        p.add_argument("--name", default="world")
        p.set_defaults(handler=lambda args: print(f"hello {args.name}") or 0)

    monkeypatch.setattr(cli, "COMMANDS", [*cli.COMMANDS, hello_command])
    assert run(capsys, "hello", "--name", "you")[:2] == (0, "hello you\n")
    assert "optiviz hello --name you" in run(capsys, "hello", "--help")[1]
    assert "hello" in run(capsys, "--help")[1]


# ------------------------------------------------------------------------------------------- list, describe

def test_list_everything(capsys):
    code, out, err = run(capsys, "list")
    assert code == 0 and err == ""
    for heading, name in [("surfaces:", "ravine"), ("optimizers:", "adam"), ("schedules:", "cosine")]:
        assert heading in out
        assert name in out.split(heading, 1)[1]
    assert "  ravine  " in out and optiviz.load_surface("ravine").title in out


def test_list_names_only_for_scripts(capsys):
    code, out, _ = run(capsys, "list", "optimizers", "--names")
    assert code == 0 and out == "\n".join(optiviz.optimizers.names()) + "\n"
    # the singular is accepted too
    assert run(capsys, "list", "optimizer", "--names")[1] == out


def test_list_shows_each_surface_title(capsys):
    out = run(capsys, "list", "surfaces")[1]
    for name in optiviz.surfaces.names():
        assert f"  {name} " in out and optiviz.surfaces.get(name).title in out


def test_list_activations_before_the_registry_exists(capsys, monkeypatch):
    # None in sys.modules makes "import optiviz.activations" fail as if the module were not there
    monkeypatch.setitem(sys.modules, "optiviz.activations", None)
    code, out, err = run(capsys, "list")
    assert code == 0 and "activations:\n  (not available in this version)" in out and "surfaces:" in out
    code, out, err = run(capsys, "list", "activations")
    assert_one_line_error(code, err, "activations are not available in this version of optiviz")
    assert out == ""


def test_list_activations(capsys):
    code, out, _ = run(capsys, "list", "activations", "--names")
    assert code == 0 and out.split() == optiviz.activations.names()
    out = run(capsys, "list", "activations")[1]
    row = next(line for line in out.splitlines() if line.startswith("  relu "))
    assert " ".join(optiviz.activations.get("relu").summary.split())[:60] in row


def install_plugin(folder: Path, group: str, name: str, marker: Path, monkeypatch) -> str:
    """A plugin distribution on sys.path (a ``*.dist-info`` folder, as pip leaves one) whose module, once
    imported, writes ``marker``. Returns the distribution's name."""
    module, dist = f"optiviz_cli_plugin_{group.split('.')[1]}", "optiviz-cli-test-plugin"
    folder.mkdir(exist_ok=True)
    (folder / f"{module}.py").write_text(f"open({str(marker)!r}, 'a').write('imported')\ndef thing(x, y):\n"
                                         "    return x ** 2 + y ** 2\n")
    info = folder / f"{dist.replace('-', '_')}-1.0.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    with open(info / "entry_points.txt", "a") as fh:
        fh.write(f"[{group}]\n{name} = {module}:thing\n")
    monkeypatch.syspath_prepend(str(folder))
    return dist


@pytest.mark.parametrize("kind", ["surfaces", "optimizers", "activations", "schedules"])
def test_list_names_plugins_without_importing_them(capsys, tmp_path, monkeypatch, kind):
    marker = tmp_path / "imported.txt"
    dist = install_plugin(tmp_path, f"optiviz.{kind}", "zz_plugin", marker, monkeypatch)
    for argv in (["list"], ["list", kind]):
        code, out, err = run(capsys, *argv)
        assert (code, err) == (0, "")
        block = out.split(f"{kind}:\n", 1)[1].split("\n\n")[0]
        row = next(line for line in block.splitlines() if line.startswith("  zz_plugin "))
        assert row.split(None, 1)[1] == (f"plugin zz_plugin = optiviz_cli_plugin_{kind}:thing from the distribution "
                                         f"{dist!r} (not loaded until used)")
    assert "zz_plugin" in run(capsys, "list", kind, "--names")[1].split()
    assert not marker.exists(), "listing imported a plugin nobody named"


def test_list_says_a_builtin_is_shadowed_without_importing_the_plugin(capsys, tmp_path, monkeypatch):
    marker = tmp_path / "imported.txt"
    dist = install_plugin(tmp_path, "optiviz.surfaces", "ravine", marker, monkeypatch)
    code, out, err = run(capsys, "list", "surfaces")
    assert (code, err) == (0, "")
    row = next(line for line in out.splitlines() if line.startswith("  ravine "))
    assert "(cannot load: " in row and "shadows the built-in surface 'ravine'" in row and dist in row
    assert not marker.exists()


def test_list_unknown_kind(capsys):
    code, out, err = run(capsys, "list", "surfacez")
    assert_one_line_error(code, err, "argument KIND: unknown choice 'surfacez'; did you mean 'surfaces'?")


def test_describe_a_surface(capsys):
    s = optiviz.load_surface("ravine")
    code, out, _ = run(capsys, "describe", "ravine")
    assert code == 0
    assert out.startswith(f"ravine: surface. {s.title}\n")
    flat = " ".join(out.split())
    assert " ".join(s.description.split())[:60] in flat
    (x0, x1), (y0, y1) = s.domain
    assert f"domain x in [{x0:g}, {x1:g}], y in [{y0:g}, {y1:g}]" in flat
    assert f"start ({s.start[0]:g}, {s.start[1]:g})" in flat
    assert f"minima ({s.minima[0][0]:g}, {s.minima[0][1]:g})" in flat


def test_describe_a_surface_spec_with_parameters(capsys):
    code, out, _ = run(capsys, "describe", "bowl:condition=50")
    assert code == 0 and "parameters  condition=50" in out and "--surface bowl:condition=50" in out


def test_describe_suggests_a_command_that_reaches_the_same_surface(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine.py").write_text("def f(x, y):\n    return x**2 + y**2\n")
    install_plugin(tmp_path / "site", "optiviz.surfaces", "zz_bowl", tmp_path / "imported.txt", monkeypatch)
    for spec in ["mine.py:f", "zz_bowl", "bowl", "expr:x**2 + y"]:  # the plugin's function is called "thing"
        code, out, _ = run(capsys, "describe", spec)
        assert code == 0
        try_line = out.strip().splitlines()[-1].split()
        assert try_line[:4] == ["try", "optiviz", "animate", "--surface"]
        typed = shlex.split(" ".join(try_line[4:]))
        assert typed == [spec]
        assert optiviz.load_surface(typed[0]).title == optiviz.load_surface(spec).title
    assert run(capsys, "describe", "mine.py:f")[1].startswith("f: surface.\n"), "no title repeating the name"


def test_describe_an_optimizer_gives_its_equations_and_defaults(capsys):
    code, out, _ = run(capsys, "describe", "adam")
    assert code == 0
    info = optiviz.optimizers.get("adam")
    assert info.doc.splitlines()[0] in out
    # the defaults of both conventions side by side, the ones that differ marked
    assert "defaults" in out and "default (optax)" in out and "convention=torch (PyTorch)" in out
    assert any(line.split() == ["lr", "0.1", "0.001", "<-", "differs"] for line in out.splitlines())
    assert any(line.split() == ["b1", "0.9", "0.9"] for line in out.splitlines())


def test_describe_a_schedule(capsys):
    code, out, _ = run(capsys, "describe", "cosine")
    assert code == 0 and "learning-rate schedule" in out and "steps=1000" in out and "eta_t" in out


def test_describe_unknown_name(capsys):
    code, out, err = run(capsys, "describe", "adma")
    assert code == 2 and out == "" and "Traceback" not in err
    assert err.startswith("optiviz: error: nothing called 'adma'; did you mean ") and "'adam'" in err
    assert err.count("\n") == 1
    code, out, err = run(capsys, "describe", "zzzzzz")
    assert_one_line_error(code, err, "nothing called 'zzzzzz'; not a surface, optimizer, schedule or activation "
                                     "(optiviz list shows everything)")


# --------------------------------------------------------------------------------------- animate: the run

def test_animate_defaults(capsys, fake, tmp_path):
    code, out, err = run(capsys, "animate", *FAST)
    assert (code, err) == (0, "")
    (anim,) = fake.animated
    assert list(anim.runs) == ["gd", "adagrad", "rmsprop", "momentum", "adam"]
    assert anim.surface.name == "ravine"
    assert anim.options == dict(layout="grid", view="contour", internals=False, dpi=40, size=None, loss_panel=True,
                                title=None, frames=5, fps=20, style=None)
    (obj, path, kwargs) = fake.saved[0]
    assert obj is anim and path.suffix == ".gif" and kwargs == dict(fps=20, dpi=40, quiet=False)
    # the table first, then one line naming the file, its size and the time taken
    assert anim.runs.summary() in out
    last = out.strip().splitlines()[-1]
    assert last.startswith("wrote ravine.gif (120 B, 5 frames, ") and last.endswith(" s)")
    assert files(tmp_path) == ["ravine.gif"]


def test_animate_passes_every_picture_option(capsys, fake):
    code, _, _ = run(capsys, "animate", *SMALL, "--layout", "overlay", "--view", "both", "--internals",
                     "--fps", "7", "--size", "300x200", "--title", "T", "--no-loss-panel", "--style", "dark",
                     "--out", "o.html")
    assert code == 0
    (anim,) = fake.animated
    assert anim.options == dict(layout="overlay", view="both", internals=True, dpi=40, size="300x200",
                                loss_panel=False, title="T", frames=5, fps=7, style="dark")
    # --internals also records what the renderer draws: each step's gradient and update
    assert anim.runs["adam"].grads.shape == (20, 2) and anim.runs["adam"].updates.shape == (20, 2)
    assert fake.saved[0][1].suffix == ".html" and Path("o.html").exists()


def test_optimizer_specs_and_lr(capsys, fake):
    code, _, _ = run(capsys, "animate", "--surface", "bowl", "--optimizers", "gd,adam:lr=0.2,b1=0.8,adam:lr=0.01",
                     "--lr", "0.05", *FAST)
    assert code == 0
    runs = fake.animated[0].runs
    assert list(runs) == ["gd", "adam(lr=0.2, b1=0.8)", "adam(lr=0.01, b1=0.9)"]
    assert runs["gd"].spec.hparams["lr"] == pytest.approx(0.05)  # --lr for the one that set none
    assert runs["adam(lr=0.2, b1=0.8)"].caption == "adam lr=0.2 b1=0.8 b2=0.999 eps=1e-08"


def test_start_seed_noise(capsys, fake):
    argv = ["animate", *SMALL, "--start", "-2,1.5", "--noise", "0.5"]
    assert run(capsys, *argv, "--seed", "3")[0] == 0
    assert run(capsys, *argv, "--seed", "3")[0] == 0
    assert run(capsys, *argv, "--seed", "4")[0] == 0
    a, b, c = (f.runs["gd"] for f in fake.animated)
    np.testing.assert_array_equal(a.path[0], [-2.0, 1.5])  # the start, written "--start -2,1.5" unquoted
    np.testing.assert_array_equal(a.path, b.path)  # same seed, same path
    assert not np.array_equal(a.path, c.path)  # another seed, other noise
    assert a.spec.noise == 0.5 and "noise=0.5" in a.caption


@pytest.mark.slow
def test_batch_size_reaches_sgd_on_a_data_surface(capsys, fake):
    argv = ["animate", "--surface", "linreg", "--optimizers", "sgd", "--steps", "20", "--frames", "5", "--dpi", "40"]
    n = len(optiviz.load_surface("linreg").data[0])
    assert run(capsys, *argv, "--batch-size", "2")[0] == 0
    assert run(capsys, *argv, "--batch-size", str(n))[0] == 0
    small, full = (f.runs["sgd"] for f in fake.animated)
    gd = optiviz.run("linreg", {"sgd": {"lr": small.spec.hparams["lr"]}}, steps=20, batch_size=n)["sgd"]
    np.testing.assert_allclose(full.path, gd.path)  # the flag reached the engine: a full batch is that run
    assert not np.allclose(small.path, full.path)  # and a batch of 2 is another path
    code, _, err = run(capsys, *argv, "--batch-size", str(n + 1))
    assert_one_line_error(code, err, f"batch_size {n + 1} is larger than linreg's dataset ({n} points)")


def test_tune_prints_and_uses_the_chosen_learning_rates(capsys, fake):
    code, out, _ = run(capsys, "animate", *SMALL, "--tune")
    assert code == 0
    runs = fake.animated[0].runs
    expected = optiviz.tune("bowl", ["gd", "adam"], steps=20)
    assert out.startswith("tuned learning rates: 25 values from 0.0001 to 10, budget 20 steps, objective: final loss")
    for label, r in expected.items():
        assert runs[label].spec.hparams["lr"] == pytest.approx(r.lr)
        line = next(x for x in out.splitlines() if x.startswith(f"  {label} "))
        assert f"lr={r.lr:.3g} " in line and f"final loss {r.objective:.4g} " in line
        assert runs[label].caption.endswith(f"(tuned: final loss {r.objective:.3g} after 20 steps)")
        assert f"lr={r.lr:g}" in runs[label].caption


def test_domain_for_a_plain_function(capsys, fake, tmp_path):
    (tmp_path / "mine.py").write_text("def f(x, y):\n    return x**2 + 3 * y**2\n")
    code, _, _ = run(capsys, "animate", "--surface", "mine.py:f", "--optimizers", "gd", "--domain", "-1,2,-3,4",
                     *FAST)
    assert code == 0
    runs = fake.animated[0].runs
    assert fake.animated[0].surface.domain == ((-1.0, 2.0), (-3.0, 4.0))
    x, y = runs["gd"].path[0]
    assert -1 <= x <= 2 and -3 <= y <= 4  # the start moved onto the new map
    assert files(tmp_path) == ["f.gif", "mine.py"]


@pytest.mark.parametrize("domain, start", [("-4,4,-3,3", (-2.5, 1.5)),  # the surface's own start is on the map
                                           ("0,2,0,1", (0.5, 0.75))])  # it is not: the new map's default spot
def test_domain_of_a_builtin_is_the_api_view(capsys, fake, domain, start):
    code, _, err = run(capsys, "animate", *SMALL, "--domain", domain)
    assert (code, err) == (0, "")
    x0, x1, y0, y1 = map(float, domain.split(","))
    drawn = fake.animated[0].surface
    assert drawn is optiviz.load_surface("bowl", domain=((x0, x1), (y0, y1))), "the CLI calls the API"
    assert drawn.domain == ((x0, x1), (y0, y1)) and drawn.start == start
    np.testing.assert_allclose(fake.animated[0].runs["gd"].path[0], start)


def test_quiet_prints_nothing(capsys, fake, tmp_path):
    code, out, err = run(capsys, "animate", *SMALL, "--tune", "--quiet", "--out", "q.mp4")
    assert (code, out, err) == (0, "", "")
    assert fake.saved[0][2]["quiet"] is True and files(tmp_path) == ["q.mp4"]


def test_x64_computes_in_float64(capsys, fake):
    import jax

    assert run(capsys, "animate", *SMALL)[0] == 0
    try:
        assert run(capsys, "animate", *SMALL, "--x64")[0] == 0
    finally:
        jax.config.update("jax_enable_x64", False)  # a process-wide switch: the other tests run in float32
    single, double = (a.runs["adam"] for a in fake.animated)
    assert single.path.dtype == np.float32 and double.path.dtype == np.float64
    np.testing.assert_allclose(double.path, single.path, rtol=1e-4, atol=1e-5)  # the same run, more digits


def test_plot_writes_one_still(capsys, fake, tmp_path):
    code, out, err = run(capsys, "plot", *SMALL[:4], "--steps", "20", "--layout", "overlay")
    assert (code, err) == (0, "")
    (drawn,) = fake.plotted
    assert drawn.options == dict(layout="overlay", view="contour", internals=False, dpi=100, size=None,
                                 loss_panel=True, title=None, style=None)
    assert fake.saved[0][1].suffix == ".png" and fake.saved[0][2] == dict(dpi=100, quiet=False)
    assert out.startswith("wrote bowl.png (120 B, ") and files(tmp_path) == ["bowl.png"]


def test_default_file_name_of_a_formula_surface(capsys, fake, tmp_path):
    assert run(capsys, "animate", "--surface", "expr:x**2 + 10*y**2", "--optimizers", "gd", *FAST, "-q")[0] == 0
    assert files(tmp_path) == ["expr.gif"]


def test_out_in_a_subfolder(capsys, fake, tmp_path):
    (tmp_path / "sub").mkdir()
    assert run(capsys, "animate", *SMALL, "--out", "sub/race.gif")[0] == 0
    assert files(tmp_path / "sub") == ["race.gif"]


# ------------------------------------------------------------------------------------------------ bad input

@pytest.mark.parametrize("argv, message", [
    (["animat"], "unknown command 'animat'; did you mean 'animate'?"),
    (["animate", "--stepz", "3"], "unknown option '--stepz'; did you mean '--steps'?"),
    (["animate", "ravine"], "unexpected argument 'ravine'; did you mean '--surface ravine'?"),
    (["plot", "bowl:condition=5"], "unexpected argument 'bowl:condition=5'; did you mean '--surface "
                                   "bowl:condition=5'?"),
    (["network", "spiral"], "unexpected argument 'spiral'; did you mean '--dataset spiral'?"),
    (["network", "adam"], "unexpected argument 'adam'; did you mean '--optimizers adam'?"),
    (["plot-activations", "relu"], "unexpected argument 'relu'; did you mean '--activations relu'?"),
    (["animate", "--surface", "ravine", "extra"], "unexpected argument 'extra'; see 'optiviz animate --help'"),
    (["list", "surfaces", "extra"], "unexpected argument 'extra'; see 'optiviz list --help'"),
    (["animate", "--out", "x.avi"], "unknown output format '.avi' in --out x.avi; choose from .gif, .mp4, .html, "
                                    ".png"),
    (["animate", "--out", "x.gfi"], "unknown output format '.gfi' in --out x.gfi; did you mean '.gif'? (formats: "
                                    ".gif, .mp4, .html, .png)"),
    (["animate", "--out", "x"], "--out x: add a suffix to choose the format (.gif, .mp4, .html, .png)"),
    (["plot", "--out", "x.gif"], "unknown output format '.gif' in --out x.gif; choose from .png, .svg, .pdf"),
    (["plot", "--out", "x.mp4"], "unknown output format '.mp4' in --out x.mp4; choose from .png, .svg, .pdf"),
    (["animate", "--start", "1"], "argument --start: expected x,y (2 finite numbers), got '1'"),
    (["animate", "--start", "1,2,3"], "argument --start: expected x,y (2 finite numbers), got '1,2,3'"),
    (["animate", "--start", "a,b"], "argument --start: expected x,y (2 finite numbers), got 'a,b'"),
    (["animate", "--start", "nan,1"], "argument --start: expected x,y (2 finite numbers), got 'nan,1'"),
    (["animate", "--size", "12x"], "argument --size: expected WxH in pixels between 16 and 20000, such as "
                                   "1200x600, got '12x'"),
    (["animate", "--size", "0x100"], "argument --size: expected WxH in pixels between 16 and 20000, such as "
                                     "1200x600, got '0x100'"),
    (["animate", "--domain", "1,0,0,1"], "argument --domain: needs xmin < xmax and ymin < ymax, got '1,0,0,1'"),
    (["animate", "--lr", "0"], "argument --lr: must be a finite number > 0, got '0'"),
    (["animate", "--lr", "-0.1"], "argument --lr: must be a finite number > 0, got '-0.1'"),
    (["animate", "--lr", "nan"], "argument --lr: must be a finite number > 0, got 'nan'"),
    (["animate", "--lr", "inf"], "argument --lr: must be a finite number > 0, got 'inf'"),
    (["animate", "--steps", "0"], "argument --steps: must be a whole number >= 1, got '0'"),
    (["animate", "--steps", "-5"], "argument --steps: must be a whole number >= 1, got '-5'"),
    (["animate", "--steps", "2.5"], "argument --steps: must be a whole number >= 1, got '2.5'"),
    (["animate", "--noise", "-1"], "argument --noise: must be a finite number >= 0, got '-1'"),
    (["animate", "--seed", "-1"], "argument --seed: must be a whole number >= 0, got '-1'"),
    (["animate", "--fps", "0"], "argument --fps: must be a whole number from 1 to 100, got '0'"),
    (["animate", "--dpi", "5000"], "argument --dpi: must be a whole number from 10 to 600, got '5000'"),
    (["animate", "--layout", "gird"], "argument --layout: unknown choice 'gird'; did you mean 'grid'?"),
    (["describe"], "the following arguments are required: NAME"),
    (["animate", "--out", "/no/such/folder/x.gif"], "output folder '/no/such/folder' does not exist"),
])
def test_bad_arguments_are_rejected_before_any_work(capsys, fake, no_work, tmp_path, argv, message):
    code, out, err = run(capsys, *argv)
    assert_one_line_error(code, err, message)
    assert out == "" and files(tmp_path) == [] and fake.animated == []


@pytest.mark.parametrize("optimizers, api", [
    ("gd,adma", lambda: optiviz.optimizers.parse("adma")),
    ("adam:lr", lambda: optiviz.optimizers.parse("adam:lr")),
    ("adam:lr=abc", lambda: optiviz.optimizers.parse("adam:lr=abc")),
    ("adam:lr=0", lambda: optiviz.optimizers.parse("adam:lr=0")),
    ("adam:lr=nan", lambda: optiviz.optimizers.parse("adam:lr=nan")),
    ("gd:lr=-1", lambda: optiviz.optimizers.parse("gd:lr=-1")),
    ("adam:b1=1.5", lambda: optiviz.optimizers.parse("adam:b1=1.5")),
    ("adam:beta=0.9", lambda: optiviz.optimizers.parse("adam:beta=0.9")),
    (",,", lambda: cli.optimizer_specs(",,")),
])
def test_bad_optimizers(capsys, fake, tmp_path, optimizers, api):
    code, out, err = run(capsys, "animate", *SMALL[:2], "--optimizers", optimizers, *FAST)
    assert_one_line_error(code, err, message_of(api))
    assert out == "" and files(tmp_path) == []


def test_unknown_optimizer_and_surface_say_did_you_mean(capsys, fake, tmp_path):
    err = run(capsys, "animate", "--optimizers", "gd,adma", *FAST)[2]
    assert "did you mean " in err and "'adam'" in err
    code, out, err = run(capsys, "animate", "--surface", "ravin", *FAST)
    assert_one_line_error(code, err, message_of(lambda: optiviz.load_surface("ravin")))
    assert "did you mean 'ravine'" in err and files(tmp_path) == []


@pytest.mark.parametrize("source, spec", [
    ("def f(x, y):\n    return x**2 +\n", "broken.py:f"),  # a syntax error
    ("import jax.numpy as jnp\ndef f(x, y):\n    return jnp.stack([x, y])\n", "broken.py:f"),  # not a scalar
    ("raise RuntimeError('cannot import me')\n", "broken.py:f"),  # fails on import
    ("def f(x, y):\n    return x + y\n", "broken.py:g"),  # no such function
    ("import math\ndef f(x, y):\n    return math.sin(x) + y**2\n", "broken.py:f"),  # not differentiable by JAX
    (None, "missing.py:f"),  # no such file
    ("import jax.numpy as jnp\ndef f(x, y):\n    return jnp.log(x) + y\n", "broken.py:f"),  # NaN at the start
    ("f = 3\n", "broken.py:f"),  # not callable
    ("import optiviz as ov\n@ov.surface(domain=((3, -3), (0, 1)))\ndef f(x, y):\n    return x + y\n",
     "broken.py:f"),  # an inverted domain
    ("import optiviz as ov\n@ov.surface(domain=((-1, 1), (0, 1)), start=(5, 0))\ndef f(x, y):\n    return x + y\n",
     "broken.py:f"),  # a start outside the domain
])
def test_broken_custom_surface_file(capsys, fake, tmp_path, source, spec):
    if source is not None:
        (tmp_path / "broken.py").write_text(source)
    before = files(tmp_path)
    code, out, err = run(capsys, "animate", "--surface", spec, *FAST)
    assert_one_line_error(code, err, message_of(lambda: optiviz.load_surface(spec)))
    assert err.startswith(f"optiviz: error: surface spec {spec!r}")
    assert files(tmp_path) == before and fake.animated == []


def test_a_plugin_shadowing_a_builtin_surface_is_refused(capsys, fake, tmp_path, monkeypatch):
    marker = tmp_path / "imported.txt"
    install_plugin(tmp_path / "site", "optiviz.surfaces", "ravine", marker, monkeypatch)
    code, out, err = run(capsys, "animate", "--surface", "ravine", *FAST)
    assert_one_line_error(code, err, message_of(lambda: optiviz.load_surface("ravine")))
    assert "shadows the built-in surface 'ravine'" in err and not marker.exists()
    assert files(tmp_path) == ["site"] and fake.animated == []


@pytest.mark.parametrize("spec", ["expr:__import__('os').system('true')", "expr:x +", "bowl:condition=-1",
                                  "bowl:tilt=2", "rosenbrock:a=nan"])
def test_bad_surface_specs(capsys, fake, tmp_path, spec):
    code, out, err = run(capsys, "animate", "--surface", spec, *FAST)
    assert_one_line_error(code, err, message_of(lambda: optiviz.load_surface(spec)))
    assert out == "" and files(tmp_path) == [] and fake.animated == []


def test_start_outside_the_domain(capsys, fake, tmp_path):
    code, out, err = run(capsys, "animate", *SMALL, "--start", "10,0")
    assert_one_line_error(code, err, "--start 10,0 is outside bowl's domain (x in [-3, 3], y in [-2, 2]); move it "
                                     "or widen the map with --domain")
    assert files(tmp_path) == []


def test_tune_with_a_given_lr(capsys, fake, tmp_path):
    message = ("--tune picks every learning rate: drop --lr and lr=... from --optimizers (a schedule such as "
               "lr=cosine(0.1) may stay: --tune picks its peak)")
    assert_one_line_error(*run(capsys, "animate", *SMALL, "--tune", "--lr", "0.1")[::2], message)
    code, _, err = run(capsys, "animate", "--optimizers", "gd,adam:lr=0.1", "--tune", *FAST)
    assert_one_line_error(code, err, message)


def unwritable_folder(tmp_path: Path) -> Path:
    if os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o555)
        return locked
    if sys.platform.startswith("linux") and os.path.isdir("/sys"):
        return Path("/sys")  # root may write anywhere but sysfs, which refuses new files even to root
    pytest.skip("no folder this user cannot write to")  # pragma: no cover


def test_output_folder_not_writable(capsys, fake, no_work, tmp_path):
    target = unwritable_folder(tmp_path)
    code, out, err = run(capsys, "animate", "--out", str(target / "x.gif"))
    assert_one_line_error(code, err, f"output folder {str(target)!r} is not writable (Permission denied)")
    assert not (target / "x.gif").exists() and out == ""


def test_default_output_needs_a_writable_current_folder(capsys, fake, no_work, tmp_path, monkeypatch):
    monkeypatch.chdir(unwritable_folder(tmp_path))
    code, out, err = run(capsys, "animate")
    assert_one_line_error(code, err, "the current folder is not writable (Permission denied)")


def test_out_is_a_folder(capsys, fake, no_work, tmp_path):
    (tmp_path / "d.gif").mkdir()
    code, out, err = run(capsys, "animate", "--out", "d.gif")
    assert_one_line_error(code, err, "--out d.gif is a folder; give a file name such as d.gif/out.gif")


@pytest.mark.parametrize("command", ["animate", "network", "landscape"])
def test_missing_ffmpeg_for_mp4(capsys, fake, no_work, no_training, tmp_path, monkeypatch, command):
    from optiviz import render

    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)  # as if the mp4 extra were not installed
    code, out, err = run(capsys, command, "--out", "race.mp4")
    assert_one_line_error(code, err, message_of(lambda: render.writer_for("race.mp4").check()))
    assert "pip install 'optiviz[mp4]'" in err and files(tmp_path) == []


def test_internals_in_a_3d_only_view(capsys, fake, no_work, tmp_path):
    code, out, err = run(capsys, "animate", "--internals", "--view", "3d")
    assert_one_line_error(code, err, "--internals are drawn on contour panels: use --view contour or --view both")


def test_every_advertised_format_has_a_writer():
    from optiviz import render

    for suffix in cli.ANIMATION_FORMATS:
        assert render.writer_for(f"x{suffix}").name == suffix[1:]
    for suffix in cli.IMAGE_FORMATS:
        assert render.writer_for(f"x{suffix}").stills


def test_verbose_shows_the_traceback(capsys, fake, tmp_path):
    code, out, err = run(capsys, "-v", "animate", "--surface", "ravin", *FAST)
    assert code == 2 and "Traceback (most recent call last)" in err and "SurfaceError" in err
    assert err.splitlines()[-1] == f"optiviz: error: {message_of(lambda: optiviz.load_surface('ravin'))}"
    code, _, err = run(capsys, "animate", "--surface", "ravin", *FAST, "--verbose")
    assert code == 2 and "Traceback" in err


# ------------------------------------------------------------ bad input: network, landscape, activations, gallery

@pytest.fixture
def no_training(monkeypatch, tmp_path):
    """Run in an empty folder; fail the test if the CLI gets as far as training, drawing or building."""
    import optiviz.nets
    import optiviz.render.nets

    def boom(*args, **kwargs):
        raise AssertionError("the CLI started work before rejecting its input")

    for name in ("train", "grad_norms_at", "landscape"):
        monkeypatch.setattr(optiviz.nets, name, boom)
    for name in ("plot_activations", "animate_decision_boundary", "plot_learning_curves", "plot_grad_norms",
                 "plot_weight_histograms", "animate_landscape"):
        monkeypatch.setattr(optiviz.render.nets, name, boom)
    import optiviz.gallery

    monkeypatch.setattr(optiviz.gallery, "build_one", boom)
    monkeypatch.chdir(tmp_path)


NETWORK_BAD = [  # (argv after the command, the message, or a call whose message the CLI must print)
    (["--optimizers", "adamm"], lambda: optiviz.optimizers.parse("adamm")),
    (["--optimizers", "sgd,adam:lr=-1"], lambda: optiviz.optimizers.parse("adam:lr=-1")),
    (["--optimizers", "adam:lr=nan"], lambda: optiviz.optimizers.parse("adam:lr=nan")),
    (["--optimizers", ","], "--optimizers ',' names no optimizer; for example --optimizers gd,adam"),
    (["--activation", "rellu"], lambda: optiviz.activation("rellu")),
    (["--activation", "leaky_relu:alpha=-1"], lambda: optiviz.activation("leaky_relu:alpha=-1")),
    (["--dataset", "spirall"], lambda: optiviz.nets.dataset("spirall")),
    (["--dataset", "spiral:noise=-1"], lambda: optiviz.nets.dataset("spiral:noise=-1")),
    (["--steps", "0"], "argument --steps: must be a whole number >= 1, got '0'"),
    (["--width", "0"], "argument --width: must be a whole number >= 1, got '0'"),
    (["--depth", "-1"], "argument --depth: must be a whole number >= 0, got '-1'"),
    (["--l1", "-1"], "argument --l1: must be a finite number >= 0, got '-1'"),
    (["--l2", "nan"], "argument --l2: must be a finite number >= 0, got 'nan'"),
    (["--dropout", "1"], "argument --dropout: must be a number from 0 up to (not including) 1, got '1'"),
    (["--dropout", "-0.1"], "argument --dropout: must be a number from 0 up to (not including) 1, got '-0.1'"),
    (["--batch-size", "0"], "argument --batch-size: must be a whole number >= 1, got '0'"),
    (["--seed", "-1"], "argument --seed: must be a whole number >= 0, got '-1'"),
    (["--frames", "0"], "argument --frames: must be a whole number >= 1, got '0'"),
    (["--out", "/no/such/folder/x.gif"], "output folder '/no/such/folder' does not exist"),
    (["--activaton", "relu"], "unknown option '--activaton'; did you mean '--activation'?"),
]


@pytest.mark.parametrize("command", ["network", "landscape"])
@pytest.mark.parametrize("argv, message", NETWORK_BAD)
def test_bad_network_input_is_one_line_exit_2_before_any_training(capsys, no_training, tmp_path, command, argv,
                                                                    message):
    code, out, err = run(capsys, command, *argv)
    assert_one_line_error(code, err, message if isinstance(message, str) else message_of(message))
    assert out == "" and files(tmp_path) == []


@pytest.mark.parametrize("argv, message", [
    (["network", "--plot", "boundry"], "argument --plot: unknown choice 'boundry'; did you mean 'boundary'?"),
    (["network", "--dataset", "sine"], "decision boundaries need a 2D two-class dataset; sine is 1D regression: "
                                       "use --plot curves"),
    (["network", "--out", "net.avi"], "unknown output format '.avi' in --out net.avi; choose from .gif, .mp4, "
                                      ".html, .png"),
    (["network", "--plot", "curves", "--out", "c.gif"], "unknown output format '.gif' in --out c.gif; choose from "
                                                        ".png, .svg, .pdf"),
    (["network", "--plot", "gradients", "--activation", "relu,rellu"], lambda: optiviz.activation("rellu")),
    (["landscape", "--activation", "relu,tanh"], "a landscape needs one parameter space: give one --activation"),
    (["landscape", "--plane", "pcb"], "argument --plane: unknown choice 'pcb'; did you mean 'pca'?"),
    (["landscape", "--grid", "2"], "argument --grid: must be a whole number from 3 to 201, got '2'"),
    (["landscape", "--out", "l.svg"], "unknown output format '.svg' in --out l.svg; choose from .gif, .mp4, .html, "
                                      ".png"),
    (["plot-activations", "--activations", "relu,rellu"], lambda: optiviz.activation("rellu")),
    (["plot-activations", "--activations", "maxout:pieces=0"], lambda: optiviz.activation("maxout:pieces=0")),
    (["plot-activations", "--activations", ","], "--activations ',' names nothing; for example --activations relu"),
    (["plot-activations", "--range", "3,1"], "argument --range: needs min < max, got '3,1'"),
    (["plot-activations", "--range", "nan,1"], "argument --range: expected min,max (2 finite numbers), got 'nan,1'"),
    (["plot-activations", "--out", "a.gif"], "unknown output format '.gif' in --out a.gif; choose from .png, .svg, "
                                             ".pdf"),
    (["plot-activations", "--out", "/no/such/a.png"], "output folder '/no/such' does not exist"),
    (["gallery", "--src", "no_such_folder"], "gallery folder 'no_such_folder' does not exist (give --src DIR)"),
    (["gallery", "--jobs", "0"], "argument --jobs: must be a whole number >= 1, got '0'"),
    (["gallery", "--timeout", "0"], "argument --timeout: must be a finite number > 0, got '0'"),
    (["gallery", "--timeout", "nan"], "argument --timeout: must be a finite number > 0, got 'nan'"),
    (["gallery", "--timeout", "-5"], "argument --timeout: must be a finite number > 0, got '-5'"),
    # a ~user that does not exist (Path.expanduser raises RuntimeError): one line, exit 2
    (["plot", "--surface", "bowl", "--out", "~no-such-user-ov/p.png"],
     "cannot expand '~no-such-user-ov' in '~no-such-user-ov/p.png': no such user or home directory"),
    (["plot", "--surface", "~no-such-user-ov/s.py:f"],
     "cannot expand '~no-such-user-ov' in '~no-such-user-ov/s.py': no such user or home directory"),
    (["gallery", "--out", "~no-such-user-ov"],
     "cannot expand '~no-such-user-ov' in '~no-such-user-ov': no such user or home directory"),
    (["gallery", "--src", "~no-such-user-ov/g"],
     "cannot expand '~no-such-user-ov' in '~no-such-user-ov/g': no such user or home directory"),
])
def test_bad_input_of_the_newer_commands(capsys, no_training, tmp_path, argv, message):
    code, out, err = run(capsys, *argv)
    assert_one_line_error(code, err, message if isinstance(message, str) else message_of(message))
    assert out == "" and files(tmp_path) == []


def test_gallery_refuses_a_file_as_source_or_output_and_an_unknown_pattern(capsys, no_training, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "plot_one.py").write_text('"""One"""\n')
    (tmp_path / "taken").write_text("a file")
    code, out, err = run(capsys, "gallery", "--src", "taken")
    assert_one_line_error(code, err, "gallery folder 'taken' is not a folder (give --src DIR)")
    code, out, err = run(capsys, "gallery", "--src", "src", "--out", "taken")
    assert_one_line_error(code, err, f"output folder {str(tmp_path / 'taken')!r} is a file; give --out a folder")
    code, out, err = run(capsys, "gallery", "--src", "src", "--out", "new", "--only", "two")
    assert_one_line_error(code, err, "no gallery script matches 'two'; scripts: plot_one")
    code, out, err = run(capsys, "gallery", "--src", "src", "--out", "new", "--only", "one", "--jobs", "0")
    assert_one_line_error(code, err, "argument --jobs: must be a whole number >= 1, got '0'")
    assert files(tmp_path) == ["src", "taken"] and (tmp_path / "taken").read_text() == "a file"


@pytest.mark.parametrize("argv", [
    ["network", "--out", "{}/net.gif"],
    ["network", "--plot", "curves", "--out", "{}/c.png"],
    ["landscape", "--out", "{}/l.gif"],
    ["plot-activations", "--out", "{}/a.png"],
    ["plot", "--out", "{}/p.png"],
])
def test_unwritable_output_folder_of_every_drawing_command(capsys, no_training, no_work, tmp_path, argv):
    target = unwritable_folder(tmp_path)
    code, out, err = run(capsys, *[a.format(target) for a in argv])
    assert_one_line_error(code, err, f"output folder {str(target)!r} is not writable (Permission denied)")
    assert out == "" and not any(target.glob("*.*"))


@pytest.mark.parametrize("command", ["network", "landscape", "plot-activations"])
def test_default_output_of_the_newer_commands_needs_a_writable_current_folder(capsys, no_training, tmp_path,
                                                                             monkeypatch, command):
    monkeypatch.chdir(unwritable_folder(tmp_path))
    code, out, err = run(capsys, command)
    assert_one_line_error(code, err, "the current folder is not writable (Permission denied)")


def test_gallery_output_folder_not_writable(capsys, no_training, tmp_path):
    target = unwritable_folder(tmp_path)
    src = tmp_path / "src"
    src.mkdir()
    (src / "plot_one.py").write_text('"""One"""\n')
    code, out, err = run(capsys, "gallery", "--src", str(src), "--out", str(target))
    assert code == 2 and out == "" and "Traceback" not in err
    assert err.startswith(f"optiviz: error: cannot write to the output folder {str(target)!r} (") \
        and err.count("\n") == 1, err
    assert not any(p.name.startswith((".build-", ".ov-probe")) for p in target.iterdir())


# --------------------------------------------------------------------------------- failures while running
# These go through the real ov.animate and ov.save (whose atomic write is what keeps partial files away), with
# the GIF writer replaced by one that writes half a file and then fails as asked.

@pytest.fixture
def failing_gif(monkeypatch, tmp_path):
    """Make the GIF writer write some bytes, then call ``failing_gif.fail(path)``; record the paths it got."""
    import dataclasses

    from optiviz.render import writers

    written: list[Path] = []
    real = writers.registry.get("gif")

    def write(source, path, opts):
        written.append(Path(path))
        Path(path).write_bytes(b"GIF89a half a race")
        hook.fail(Path(path))

    hook = type("Hook", (), {"fail": None, "written": written})()
    monkeypatch.setitem(writers.registry._entries, "gif", dataclasses.replace(real, write=write))
    monkeypatch.chdir(tmp_path)
    return hook


def test_ctrl_c_leaves_no_partial_file(capsys, failing_gif, tmp_path):
    (tmp_path / "race.gif").write_bytes(b"the previous race")

    def interrupt(path):
        raise KeyboardInterrupt

    failing_gif.fail = interrupt
    code, out, err = run(capsys, "animate", *SMALL, "--out", "race.gif")
    assert code == 130 and err == "optiviz: interrupted\n"
    (tmp,) = failing_gif.written  # written next to the output, under another name
    assert tmp.resolve().parent == tmp_path and tmp.name != "race.gif"
    # no temporary file left, and the old output untouched
    assert files(tmp_path) == ["race.gif"] and (tmp_path / "race.gif").read_bytes() == b"the previous race"


def test_a_bug_while_running_is_one_line_and_exit_1(capsys, failing_gif, tmp_path):
    def crash(path):
        raise RuntimeError("the encoder fell over\nsecond line")

    failing_gif.fail = crash
    code, out, err = run(capsys, "animate", *SMALL)
    assert code == 1 and files(tmp_path) == []
    assert err == "optiviz: error: unexpected RuntimeError: the encoder fell over (run with -v for the traceback)\n"
    code, out, err = run(capsys, "animate", *SMALL, "-v")
    assert code == 1 and "Traceback (most recent call last)" in err and "second line" in err
    assert err.splitlines()[-1] == "optiviz: error: unexpected RuntimeError: the encoder fell over"
    assert files(tmp_path) == []


def test_a_render_error_is_exit_2(capsys, failing_gif, tmp_path):
    def refuse(path):
        raise optiviz.RenderError("cannot encode this")

    failing_gif.fail = refuse
    code, out, err = run(capsys, "animate", *SMALL)
    assert_one_line_error(code, err, "cannot encode this")
    assert files(tmp_path) == []


# ----------------------------------------------------------------------------------------- real rendering

def test_real_gif_and_png(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "animate", *SMALL, "--out", "race.gif")
    assert code == 0, err
    assert (tmp_path / "race.gif").read_bytes()[:6] in (b"GIF87a", b"GIF89a")
    code, out, err = run(capsys, "plot", *SMALL[:4], "--steps", "20", "--dpi", "40")
    assert code == 0, err
    assert (tmp_path / "bowl.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert files(tmp_path) == ["bowl.png", "race.gif"]


@pytest.mark.parametrize("thread", [False, True])
def test_the_program_ends_with_its_exit_handlers_run_and_its_output_flushed(thread):
    """``optiviz`` (``cli.run``) ends the process without tearing the interpreter down, after the exit handlers
    and with every line written, Python's and the C library's (a line C code left in its stdio buffer); a thread
    still running is waited for, as at a normal exit."""
    code = ("import atexit, ctypes, sys, threading, time\n"
            "import optiviz.cli as cli\n"
            "atexit.register(print, 'exit handler ran')\n"
            "done, real = threading.Event(), cli.main\n"
            "def main():\n"
            "    try:\n"
            "        return real()\n"
            "    finally:\n"
            "        ctypes.CDLL(None).printf(b'C stdio flushed\\n')\n"  # buffered: stdout is a pipe
            "        done.set()\n"
            "cli.main = main\n"
            + ("threading.Thread(target=lambda: (done.wait(), time.sleep(0.3), print('thread done'))).start()\n"
               if thread else "")  # still running when the command returns
            + "sys.argv = ['optiviz', 'describe', 'adam']\n"
              "cli.run()\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # which also unbuffers C's stdout
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60,
                          env=env)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.strip().splitlines()
    assert "C stdio flushed" in out  # (the two buffers are written in an order of their own)
    out.remove("C stdio flushed")
    assert out[0].startswith("adam") and out[-1] == "exit handler ran"
    assert ("thread done" in out) == thread  # (printed without a flush: the normal exit's flush wrote it)
    bad = subprocess.run([sys.executable, "-m", "optiviz", "describe", "nosuch"], capture_output=True, text=True,
                         cwd=ROOT, timeout=60)
    assert bad.returncode == 2 and bad.stderr.startswith("optiviz: error: ")


def test_real_subprocess(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "optiviz", "animate", *SMALL, "--out", "x.gif"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "x.gif").read_bytes()[:3] == b"GIF"
    lines = proc.stdout.strip().splitlines()
    assert lines[0].startswith("bowl: 20 steps from") and lines[-1].startswith("wrote x.gif (")
    assert files(tmp_path) == ["x.gif"]
