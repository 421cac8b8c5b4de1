"""Hostile and unlucky input, as tables: every case must end with its documented exit code and one line.

For each case through the command line (``main([...])`` in-process) the test asserts the exit code, one line
``optiviz: error: ...`` on stderr that says what is wrong and quotes at most ~80 characters of the input, no
traceback, nothing left in the folder and no child process left running. Through the API the same inputs raise an
``OptivizError`` that is a ``TypeError`` or ``ValueError``, with a one-line message, before any work (the engine's
program is replaced by a tripwire). A hypothesis test fuzzes option values and formula strings under the same
assertions; a few real subprocesses receive SIGTERM, SIGINT and SIGHUP in the middle of a render.
"""
from __future__ import annotations

import dataclasses
import errno
import importlib
import io
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import optiviz as ov
from optiviz import _atomic, _check
from optiviz.cli import main
from optiviz.errors import (InvalidTypeError, InvalidValueError, LimitError, OptivizError, RunFailure,
                            UserCodeError)

ROOT = Path(__file__).resolve().parents[1]
LONG = "x" * 200_000  # a 200 kB value: the message must not echo it
ECHO_BOUND = 480  # characters of one error line, all told (the input's share is ~80 of them)


# ------------------------------------------------------------------------------------------------ helpers

def _children() -> set[int]:
    """Live child processes of this process (from /proc; empty where there is none)."""
    me, found = os.getpid(), set()
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == me and fields[0] != "Z":
            found.add(int(entry.name))
    return found


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """An empty working folder; afterwards, no temporary file in it and no child process left."""
    monkeypatch.chdir(tmp_path)
    before = _children()
    yield tmp_path
    assert not [n for n in _files(tmp_path) if n.endswith(".part") or ".part." in n]
    assert _children() <= before


class _WorkStarted(BaseException):
    """Raised by the tripwires: the input got as far as the engine (it was valid)."""


@pytest.fixture
def tripwire(monkeypatch):
    """The engine's programs and the renderer's saving raise ``_WorkStarted``: a refusal must come before them."""
    def boom(*args, **kwargs):
        raise _WorkStarted

    patched = 0
    for name in ("optiviz.engine.program", "optiviz.trajectory"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        for attr in ("_execute", "_execute_grid", "_execute_sweep"):
            if hasattr(module, attr):
                monkeypatch.setattr(module, attr, boom)
                patched += 1
    assert patched, "no engine program found to guard"
    return boom


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line(code: int, err: str, pattern: str, exit_code: int = 2) -> None:
    assert code == exit_code, err
    assert "Traceback" not in err
    assert err.startswith("optiviz: ") and err.endswith("\n") and err.count("\n") == 1, err
    assert len(err) <= ECHO_BOUND, len(err)
    assert re.search(pattern, err), err


# ---------------------------------------------------------------------------------- the command line, refused

BOWL = ["--surface", "bowl", "--optimizers", "gd", "--steps", "5"]

CLI_REFUSED = [
    # (argv, pattern of the one line); all exit 2 before any work
    (["animate", "--steps", "2147483648"], r"--steps: must be at most 1,000,000, got 2147483648 .*OPTIVIZ_MAX_STEPS"),
    (["animate", "--steps", "1e9"], r"--steps: must be a whole number >= 1, got '1e9'"),
    (["animate", "--steps", "9" * 5000], r"--steps: must be a whole number >= 1, got '999+\.\.\.$"),
    (["animate", "--steps", "-1"], r"--steps: must be a whole number >= 1"),
    (["animate", "--frames", "99999999"], r"--frames: must be at most 10,000"),
    (["network", "--depth", "10000"], r"--depth: must be at most 100"),
    (["network", "--width", "1000000"], r"--width: must be at most 10,000"),
    (["network", "--dataset", "spiral:n=1e9"], r"n must be at most 1,000,000"),
    (["network", "--dataset", "spiral:n=50,n=60"], r"dataset spiral: n is given twice"),
    (["animate", "--lr", "nan"], r"--lr: must be a finite number > 0"),
    (["animate", "--lr", LONG], r"--lr: must be a finite number > 0, got 'xxx+\.\.\.$"),
    (["animate", "--start", "1e999,0"], r"--start: expected x,y"),
    (["animate", "--size", "100000x100000"], r"--size: expected WxH"),
    (["animate", "--optimizers", "adam:lr=0.1,lr=0.2"], r"optimizer adam: lr is given twice \(0.1 and 0.2\)"),
    (["animate", "--optimizers", "adam:lr=True"], r"adam: lr must be a number, got True"),
    (["animate", "--optimizers", "adam:b1=1e400"], r"adam: b1 must be finite"),
    (["animate", "--optimizers", LONG], r"unknown optimizer 'xxx+\.\.\.;"),
    (["animate", "--optimizers", "gd," * 200], r"optimizers in one run must be at most 100, got 200"),
    (["animate", "--surface", LONG], r"surface spec 'xxx.*\.\.\."),
    (["animate", "--title", "$x^$", *BOWL], r"--title '\$x\^\$' is not valid mathtext"),
    (["plot", "--title", r"$\foo$", *BOWL], r"not valid mathtext \(Unknown symbol: \\foo\)"),
    (["plot", "--out", "a" * 300 + ".png", *BOWL], r"the name 'aaa+\.\.\.' is 304 bytes long; this file system allows"),
    (["plot", "--out", "no/such/x.png", *BOWL], r"output folder 'no/such' does not exist"),
    (["plot", "--out", LONG + ".png", *BOWL], r"bytes long"),
    (["plot", "--out", "x.gif", *BOWL], r"unknown output format '.gif' in --out x.gif; choose from .png"),
    (["plot", "--batch-size", "4", *BOWL], r"batch_size applies to surfaces with a dataset .*bowl has none"),
    (["animate", "--fps", "0"], r"--fps: must be a whole number from 1 to 100, got '0'"),
    (["animate", "--dpi", "abc"], r"--dpi: must be a whole number from 10 to 600"),
    (["animate", "--seed", "-1"], r"--seed: must be a whole number >= 0"),
    (["animate", "--noise", "-1"], r"--noise: must be a finite number >= 0"),
    (["animate", "--domain", "1,0,0,1"], r"--domain: needs xmin < xmax and ymin < ymax"),
    (["animate", "--domain", "a,b,c,d"], r"--domain: expected xmin,xmax,ymin,ymax"),
    (["animate", "--layout", "diagonal"], r"--layout: unknown choice 'diagonal'"),
    (["animate", "--view", "4d"], r"--view: unknown choice '4d'; did you mean '3d'"),
    (["animate", "--internals", "--view", "3d"], r"--internals are drawn on contour panels"),
    (["animate", "--out", "x.mp5"], r"unknown output format '.mp5' .*did you mean '.mp4'"),
    (["animate", "--out", "x"], r"--out x: add a suffix"),
    (["animate", "--tune", "--lr", "0.1"], r"--tune picks every learning rate"),
    (["describe", "adamm"], r"nothing called 'adamm'; did you mean 'adam'"),
    (["list", "sufaces"], r"unknown choice 'sufaces'; did you mean 'surfaces'"),
    (["network", "--dropout", "1"], r"--dropout: must be a number from 0 up to \(not including\) 1"),
    (["network", "--dataset", "spirall"], r"unknown dataset 'spirall'; did you mean 'spiral'"),
    (["animate", "--optimizers", ""], r"names no optimizer"),
    (["animate", "--optimizers", "adam:lr"], r"write hyperparameters as adam:key=value"),
    (["animate", "--optimizers", "adam:lr=cosine(0.1,steps=0)"], r"schedule 'cosine': steps must be > 0, got 0"),
    (["animate", "--optimizers", "adam:foo=1"], r"adam has no hyperparameter 'foo'"),
    (["animate", "--surface", "bowl:condition=-1"], r"condition must be a finite number > 0"),
    (["animate", "--surface", "nosuch.py:f"], r"no file 'nosuch.py'"),
    (["animate", "--surface", "expr:__import__('os')"], r"'__import__' is not allowed in a formula"),
    (["animate", "--surface", "expr:x**"], r"the formula is not valid"),
    (["animate", "--surface", "bowl", "--start", "100,100"], r"--start 100,100 is outside bowl's domain"),
    (["animate", "--size", "10x10"], r"--size: expected WxH in pixels between 16 and 20000"),
    (["gallery", "--timeout", "0"], r"--timeout: must be a finite number > 0"),
    (["gallery", "--src", "nosuch"], r"gallery folder 'nosuch' does not exist"),
    (["frobnicate"], r"unknown command 'frobnicate'"),
    (["animate", "--stepz", "5"], r"unknown option '--stepz'; did you mean '--steps'"),
    # numbers float32 (the compute dtype) cannot hold: refused, not cast to inf
    (["animate", "--lr", "1e39", *BOWL], r"gd: lr must be <= 3.40282e\+38, got 1e\+39 \(beyond float32's range; "
                                          r"ov.enable_x64\(\) or --x64 computes in float64\)$"),
    (["animate", "--noise", "1e39", *BOWL], r"gd: noise must be <= 3.40282e\+38, got 1e\+39 \(beyond float32's"),
    (["animate", "--domain=-1e39,1,-1,1", *BOWL], r"domain must be >= -3.40282e\+38, got -1e\+39 \(beyond float32"),
]


@pytest.mark.parametrize("argv, pattern", CLI_REFUSED, ids=[" ".join(a)[:50] for a, _ in CLI_REFUSED])
def test_the_command_line_refuses_bad_input_in_one_line(capsys, folder, tripwire, argv, pattern):
    code, out, err = cli(capsys, *argv)
    assert_one_line(code, err, pattern)
    assert _files(folder) == []


def test_the_api_and_the_command_line_say_the_same(capsys, folder, tripwire):
    with pytest.raises(OptivizError) as info:
        ov.run("bowl", "adam:lr=0.1,lr=0.2", steps=5)
    code, _, err = cli(capsys, "plot", "--surface", "bowl", "--optimizers", "adam:lr=0.1,lr=0.2")
    assert err == f"optiviz: error: {info.value}\n" and code == 2


# -------------------------------------------------------------------------------------- user code contained

USER_CODE = '''
import sys
import jax.numpy as jnp

def exits(x, y):
    sys.exit(3)

def interrupts(x, y):
    raise KeyboardInterrupt

def integer(x, y):
    return 3

def boolean(x, y):
    return x > y

def complex_valued(x, y):
    return x + 1j * y

def text(x, y):
    return "low"

def fine(x, y):
    return x ** 2 + y ** 2
'''


@pytest.fixture
def user_file(folder):
    (folder / "mine.py").write_text(USER_CODE)
    (folder / "quits.py").write_text("import sys\nsys.exit(0)\n")
    (folder / "quits_later.py").write_text("raise SystemExit('bye')\n")
    return folder


USER_CASES = [
    ("mine.py:exits", r"'mine.py:exits': exits called sys.exit at its start"),
    ("mine.py:interrupts", r"'mine.py:interrupts': interrupts raised KeyboardInterrupt"),
    ("mine.py:integer", r"integer\(x, y\) must return a number .*got an integer"),
    ("mine.py:boolean", r"boolean\(x, y\) must return a number .*got a bool"),
    ("mine.py:complex_valued", r"complex_valued\(x, y\) must return a number .*got a complex number"),
    ("mine.py:text", r"text\(x, y\) must return a number"),
    ("quits.py:f", r"'quits.py:f': quits.py called sys.exit\(0\) while being imported"),
    ("quits_later.py:f", r"quits_later.py called sys.exit\('bye'\) while being imported"),
]


@pytest.mark.parametrize("spec, pattern", USER_CASES, ids=[s for s, _ in USER_CASES])
def test_user_code_that_exits_or_misbehaves_is_one_line_naming_it(capsys, user_file, tripwire, spec, pattern):
    code, out, err = cli(capsys, "plot", "--surface", spec, "--optimizers", "gd", "--steps", "5",
                         "--domain", "-1,1,-1,1", "--out", "x.png")
    assert_one_line(code, err, pattern)
    assert "x.png" not in _files(user_file)


def test_user_code_through_the_api_raises_a_user_code_error(user_file):
    with pytest.raises(UserCodeError, match="called sys.exit"):
        ov.load_surface("quits.py:f")
    with pytest.raises(ov.SurfaceError, match="got an integer"):
        ov.load_surface("mine.py:integer", domain=((-1, 1), (-1, 1))).check()


def test_a_real_interrupt_inside_user_code_is_still_an_interrupt(user_file):
    # outside the command line there is no telling a raised KeyboardInterrupt from Ctrl-C: never swallowed
    with pytest.raises(KeyboardInterrupt):
        ov.load_surface("mine.py:interrupts", domain=((-1, 1), (-1, 1))).check()


# ------------------------------------------------------------------------------------------ the API, refused

def _fig():
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2, 2), dpi=40)
    fig.add_subplot().plot([0, 1], [1, 0])
    return fig


API_REFUSED = [
    # (call, error class, pattern)
    (lambda: ov.optimizer(None), InvalidTypeError, r"an optimizer is given by its name, such as .*, got None"),
    (lambda: ov.optimizer(3), InvalidTypeError, r"got 3"),
    (lambda: ov.optimizer("adam", lr=None), InvalidTypeError, r"adam: lr must be a number, got None"),
    (lambda: ov.optimizer("adam", lr=True), InvalidTypeError, r"adam: lr must be a number, got True"),
    (lambda: ov.optimizer("adam", lr=0.1j), InvalidTypeError, r"adam: lr must be a real number"),
    (lambda: ov.optimizer("adam", lr="0.1"), InvalidTypeError, r"adam: lr must be a number, got '0.1'"),
    (lambda: ov.optimizer("adam", lr=10**400), ValueError, r"adam: lr must be finite"),
    (lambda: ov.optimizer("adam", b1=1.0), ValueError, r"adam: b1 must be in \[0, 1\), got 1"),
    (lambda: ov.optimizer("rmsprop", eps_in_sqrt=None), InvalidTypeError, r"must be true or false"),
    (lambda: ov.optimizer(LONG), ValueError, r"unknown optimizer 'xxx+\.\.\.;"),
    (lambda: ov.activation("leaky_relu", alpha=None), InvalidTypeError, r"leaky_relu: alpha must be a number"),
    (lambda: ov.activation("maxout", pieces=10**12), ValueError, r"pieces must be a whole number"),
    (lambda: ov.activation("leaky_relu:alpha=0.1,alpha=0.2"), ValueError, r"alpha is given twice"),
    (lambda: ov.optimizer("adamm"), ValueError, r"unknown optimizer 'adamm'; did you mean 'adam'"),
    (lambda: ov.optimizer("adam", foo=1), ValueError, r"adam has no hyperparameter 'foo'"),
    (lambda: ov.schedule("cosine", lr=-1, steps=10), ValueError, r"schedule 'cosine': lr must be > 0, got -1"),
    (lambda: ov.schedule("cosine", lr=0.1, steps=None), InvalidTypeError, r"steps must be a number, got None"),
    (lambda: ov.activation(None), ValueError, r"an activation is a name like 'relu', got None"),
    (lambda: ov.load_surface(None), ValueError, r"cannot make a surface from NoneType"),
    (lambda: ov.load_surface(LONG), ValueError, r"surface spec 'xxx+\.\.\.: no built-in or plugin surface"),
    (lambda: ov.load_surface("expr:" + "x+" * 50_000 + "x"), ValueError, r"longer than 2000 characters"),
    (lambda: ov.load_surface("bowl:condition=-1"), ValueError, r"condition must be a finite number > 0"),
    (lambda: ov.load_surface("bowl:condition=1" + "0" * 400), ValueError, r"surface 'bowl': condition must be finite"),
    (lambda: ov.load_surface("bowl", condition=10**400), ValueError, r"surface 'bowl': condition must be finite"),
    (lambda: ov.run("bowl", "gd", start=(10**400, 0)), ValueError, r"start must be finite"),
    (lambda: ov.run("bowl", "gd", record=0), ValueError, r"record must be 'all', 'final' or a whole number"),
    (lambda: ov.run("bowl", "gd", noise=-1), ValueError, r"noise must be >= 0, got -1"),
    (lambda: ov.run("bowl", "gd", start=(0, 0), starts=[[0, 0]]), ValueError, r"give start or starts, not both"),
    (lambda: ov.run("bowl", []), ValueError, r"no optimizers given"),
    (lambda: ov.run("bowl", "gd", starts=np.zeros((4, 3))), ValueError, r"got shape \(4, 3\)"),
    (lambda: ov.tune("bowl", "gd", lrs=[]), ValueError, r"lrs must be a non-empty list"),
    (lambda: ov.save("notafigure", "x.png"), ValueError, r"save takes what ov.animate or ov.plot returned"),
    (lambda: ov.render.check_text("a" * 2000, "title"), ValueError, r"title is 2000 characters long"),
    (lambda: ov.run("bowl", None), InvalidTypeError, r"optimizers must be a name, a list or a dict"),
    (lambda: ov.run("bowl", {"adam:lr=0.1": {"lr": 0.2}}), ValueError, r"lr given twice"),
    (lambda: ov.run("bowl", 3), InvalidTypeError, r"optimizers must be"),
    (lambda: ov.run("bowl", "gd", steps=10**12), LimitError, r"steps must be at most 1,000,000"),
    (lambda: ov.run("bowl", "gd", steps=None), InvalidTypeError, r"steps must be a whole number >= 1, got None"),
    (lambda: ov.run("bowl", "gd", steps=2.5), ValueError, r"steps must be a whole number >= 1, got 2.5"),
    (lambda: ov.run("bowl", ["gd"] * 2000), LimitError, r"optimizers in one run must be at most 100"),
    (lambda: ov.run("bowl", "gd", seeds=10**7), LimitError, r"seeds must be at most 10,000"),
    (lambda: ov.run("bowl", "gd", seeds=[1, None]), InvalidTypeError, r"seeds must be a whole number"),
    (lambda: ov.run("bowl", "gd", starts=np.zeros((1_000_001, 2))), LimitError, r"at most 1,000,000"),
    (lambda: ov.run("bowl", "gd", start=(1j, 0)), InvalidTypeError, r"start must be real numbers"),
    (lambda: ov.run("bowl", "gd", start=LONG), InvalidTypeError, r"start must be numbers, got 'xxx+\.\.\.$"),
    (lambda: ov.run("bowl", "gd", batch_size=4), ValueError, r"batch_size applies to surfaces with a dataset"),
    (lambda: ov.run("bowl", "gd", seed=2**64), ValueError, r"seed must be a whole number from 0 to"),
    (lambda: ov.run("bowl", "gd", tol=float("nan")), ValueError, r"tol must be finite"),
    # numbers the compute dtype (float32) cannot hold: refused, not cast to inf
    (lambda: ov.run("bowl", "adam:eps=1e39"), ValueError, r"adam: eps must be <= 3.40282e\+38, got 1e\+39 \(beyond"),
    (lambda: ov.run("bowl", {"gd": {"lr": ov.schedule("cosine", lr=1e39, steps=9)}}), ValueError,
     r"gd: lr=cosine\(lr=1e\+39, steps=9, alpha=0\) must be <= 3.40282e\+38"),
    (lambda: ov.run("bowl", "gd", lrs=[0.1, 1e39]), ValueError, r"^lrs must be <= 3.40282e\+38, got 1e\+39"),
    (lambda: ov.run("bowl", "gd", starts=[(0, 0), (-1e39, 0)]), ValueError, r"^starts must be >= -3.40282e\+38, got"),
    (lambda: ov.run("bowl", "gd", tol=1e39), ValueError, r"^tol must be <= 3.40282e\+38, got 1e\+39"),
    (lambda: ov.run("expr:1/x + y**2", "gd", start=(0.0, 0.5)), ValueError,
     r"is inf at the start \(0, 0.5\); choose a start where it is finite"),
    (lambda: ov.nets.mlp(16, 10_000), LimitError, r"depth must be at most 100"),
    (lambda: ov.nets.mlp(10**6, 2), LimitError, r"width must be at most 10,000"),
    (lambda: ov.nets.mlp(None, 2), InvalidTypeError, r"width must be a whole number"),
    (lambda: ov.nets.dataset("spiral", n=10**9), LimitError, r"n must be at most 1,000,000"),
    (lambda: ov.nets.dataset("spiral:n=1e9"), LimitError, r"n must be at most 1,000,000"),
    (lambda: ov.nets.dataset("spiral", noise=None), InvalidTypeError, r"dataset spiral: noise must be a number"),
    (lambda: ov.render.check_text("$x^$", "title"), ValueError, r"title '\$x\^\$' is not valid mathtext"),
    (lambda: ov.render.check_text(None or 3, "title"), InvalidTypeError, r"title must be a string, got 3"),
    (lambda: ov.save(_fig(), "a" * 300 + ".png"), ValueError, r"is 304 bytes long"),
    (lambda: ov.save(_fig(), "x.gif"), OptivizError, r"a still picture cannot be saved as .gif"),
    (lambda: ov.save(_fig(), None), InvalidTypeError, r"an output path must be a string or a path"),
]


@pytest.mark.parametrize("call, error, pattern", API_REFUSED, ids=[str(i) for i in range(len(API_REFUSED))])
def test_the_api_refuses_bad_input_before_any_work(folder, tripwire, call, error, pattern):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a ComplexWarning (or any other) leaking is a failure too
        with pytest.raises(error) as info:
            call()
    exc = info.value
    assert isinstance(exc, OptivizError) and isinstance(exc, (TypeError, ValueError)), type(exc)
    message = str(exc)
    assert "\n" not in message and len(message) <= ECHO_BOUND, message
    assert re.search(pattern, message), message
    assert _files(folder) == []


def test_a_network_number_too_large_for_float32_is_refused_before_any_draw(monkeypatch, tripwire):
    """The trainer checks its hyperparameters, l1 and l2 against the compute dtype before its first program
    (the keys, the initial weights); the bound is the dtype's: float64 holds what float32 cannot."""
    nets_train = importlib.import_module("optiviz.nets.train")  # the module (optiviz.nets.train is its function)
    monkeypatch.setattr(nets_train, "_fold_in", tripwire)
    monkeypatch.setattr(nets_train.MLP, "init", tripwire)
    data = ov.nets.dataset("xor", n=8)
    model = ov.nets.mlp(2, 1, in_dim=data.in_dim, out_dim=data.out_dim)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for kwargs, pattern in [({"l2": 1e39}, r"^l2 must be <= 3.40282e\+38"),
                                ({"optimizer": "momentum:momentum=0.9,lr=1e39"}, r"^momentum: lr must be <= 3.4")]:
            with pytest.raises(InvalidValueError, match=pattern):
                ov.nets.train(model, data, steps=2, **kwargs)
    from optiviz._dtype import fits
    assert fits(1e39, "lr", np.float64) == 1e39 and fits(-3e38, "x", np.float32) == -3e38
    with pytest.raises(InvalidValueError, match=r"^x must be >= -3.40282e\+38, got -1e\+39 \(beyond float32's range; ov"):
        fits(-1e39, "x", np.float32)


def test_limits_can_be_raised_by_the_environment(monkeypatch):
    monkeypatch.setenv("OPTIVIZ_MAX_STEPS", "5")
    with pytest.raises(LimitError, match="OPTIVIZ_MAX_STEPS"):
        _check.whole(6, "steps", lo=1, limit_name="steps")
    monkeypatch.setenv("OPTIVIZ_MAX_STEPS", "2_000_000")
    assert _check.whole(1_500_000, "steps", lo=1, limit_name="steps") == 1_500_000


def test_work_larger_than_the_memory_is_refused_up_front(monkeypatch, tripwire):
    monkeypatch.setattr(_check, "available_memory", lambda: 10_000_000)  # 10 MB free
    with pytest.raises(LimitError, match=r"this run needs about .* of memory; 10.0 MB is available"):
        ov.run("bowl", ["gd", "adam"], steps=100_000, starts=np.zeros((20, 2)))


def test_a_network_larger_than_the_memory_is_refused_before_any_weight(monkeypatch):
    monkeypatch.setattr(_check, "available_memory", lambda: 100_000_000)  # 100 MB free
    data = ov.nets.dataset("spiral", n=2000)
    with pytest.raises(LimitError, match=r"this training needs about .* of memory; 100.0 MB is available"):
        ov.nets.train(ov.nets.mlp(10_000, 50), data, "adam", steps=10)


def test_show_bounds_every_echo():
    assert len(_check.show(LONG)) == _check.ECHO
    assert _check.show(10**5000) == "an integer of many digits"
    assert "digits" in _check.show(10**300)


# ---------------------------------------------------------------------------------------------- writing

def test_writing_through_a_symlink_replaces_its_target(folder):
    (folder / "real.png").write_bytes(b"old")
    (folder / "link.png").symlink_to("real.png")
    ov.save(_fig(), "link.png")
    assert (folder / "link.png").is_symlink() and (folder / "real.png").read_bytes()[:4] == b"\x89PNG"
    assert _files(folder) == ["link.png", "real.png"]


def test_a_legal_254_byte_name_is_written(folder):
    name = "b" * 250 + ".png"
    ov.save(_fig(), name)
    assert _files(folder) == [name]


def _enospc(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_full_disk_is_exit_1_with_nothing_left(capsys, folder, monkeypatch):
    from optiviz.render import writers

    real_get = writers.registry.get
    monkeypatch.setattr(writers.registry, "get", lambda name: dataclasses.replace(real_get(name), write=_enospc))
    with pytest.raises(RunFailure, match="the disk is full"):
        ov.save(_fig(), "full.png")
    assert _files(folder) == []
    monkeypatch.setattr(ov, "plot", lambda *a, **k: _fig())
    code, out, err = cli(capsys, "plot", *BOWL, "--out", "full.png")
    assert_one_line(code, err, r"cannot write full.png: the disk is full \(nothing was written\)", exit_code=1)
    assert _files(folder) == []


class _NoRuns(dict):
    """What a stubbed ``ov.run`` returns: no runs, nothing tuned."""

    tuned = None

    def summary(self) -> str:
        return ""


class _Full(io.StringIO):
    def write(self, s):  # /dev/full
        raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize("stdout, name", [(_Full, "x.png"), ("ascii", "é.png")], ids=["dev-full", "ascii-locale"])
def test_a_report_that_cannot_be_printed_keeps_exit_0(folder, monkeypatch, stdout, name):
    stream = _Full() if stdout is _Full else io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    monkeypatch.setattr(sys, "stdout", stream)
    monkeypatch.setattr(ov, "plot", lambda *a, **k: _fig())
    monkeypatch.setattr(ov, "run", lambda *a, **k: _NoRuns())
    assert main(["plot", *BOWL, "--out", name]) == 0
    assert _files(folder) == [name]


@pytest.mark.parametrize("suffix", [".svg", ".pdf", ".png"])
def test_vector_and_raster_files_are_reproducible(folder, suffix):
    ov.save(_fig(), f"a{suffix}")
    ov.save(_fig(), f"b{suffix}")
    assert (folder / f"a{suffix}").read_bytes() == (folder / f"b{suffix}").read_bytes()


def test_an_exception_or_interrupt_inside_a_write_leaves_nothing(folder):
    for exc in (RuntimeError("boom"), KeyboardInterrupt()):
        with pytest.raises(type(exc)):
            with _atomic.atomic_path("x.png") as tmp:
                tmp.write_bytes(b"half")
                raise exc
    assert _files(folder) == []


def test_temporary_names_fit_the_file_system(tmp_path):
    tmp = _atomic.temp_name(tmp_path / ("c" * 255))
    assert len(os.fsencode(tmp.name)) <= 255 and tmp.name.startswith(".c") and tmp.name.endswith(".part")


def test_an_interrupt_swallowed_below_never_ends_in_success(capsys, folder, monkeypatch):
    """SIGTERM lands inside code that swallows it (as a JAX callback or a writer's broad except would): the
    command still ends with 143 and writes nothing."""

    def swallowing_plot(*args, **kwargs):
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(1)
        except BaseException:  # noqa: B036 - the point of the test
            pass
        return _fig()

    monkeypatch.setattr(ov, "plot", swallowing_plot)
    monkeypatch.setattr(ov, "run", lambda *a, **k: _NoRuns())
    code, out, err = cli(capsys, "plot", *BOWL, "--out", "x.png")
    assert (code, err) == (143, "optiviz: terminated by SIGTERM\n")
    assert _files(folder) == []
    assert signal.getsignal(signal.SIGTERM) is not _atomic._raise  # the previous handler is back


# ---------------------------------------------------------------------------------------------- fuzzing

OPTIONS = ["--steps", "--frames", "--lr", "--seed", "--start", "--domain", "--size", "--dpi", "--fps", "--noise",
           "--batch-size", "--title", "--optimizers", "--layout", "--view", "--out"]
VALUES = st.one_of(
    st.text(max_size=40),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["1e9", "-0", "0x10", "1_000", "nan", "inf", "$x^$", "$", "$$", "gd,", ",", "adam:lr=",
                     "adam:lr=1,lr=2", "a" * 300 + ".gif", "../", "/dev/null/x.gif", "\x00", "1,2,3", "1e999,0"]),
)
FORMULA = st.lists(st.sampled_from(["x", "y", "+", "-", "*", "/", "**", "(", ")", "1", "2.5", "1e308", "sin", "exp",
                                    "log", "sqrt", "abs", "__import__", "'a'", "[", "]", ",", ".", "j", "=", " "]),
                   max_size=12).map("".join)


def _fuzz_once(argv: list[str], folder: Path) -> None:
    err = io.StringIO()
    saved_err, saved_out = sys.stderr, sys.stdout
    sys.stderr, sys.stdout = err, io.StringIO()
    try:
        code = main(argv)
    except _WorkStarted:  # valid input: it reached the engine
        return
    finally:
        sys.stderr, sys.stdout = saved_err, saved_out
    text = err.getvalue()
    assert code in (0, 2), text
    if code == 2:
        assert_one_line(code, text, r"^optiviz: error: ")
    assert not [n for n in _files(folder) if ".part" in n]


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(option=st.sampled_from(OPTIONS), value=VALUES)
def test_fuzzed_option_values_end_in_one_line_or_work(folder, tripwire, option, value):
    _fuzz_once(["plot", "--surface", "bowl", "--optimizers", "gd", option, value], folder)


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(formula=FORMULA)
def test_fuzzed_formulas_end_in_one_line_or_work(folder, tripwire, formula):
    _fuzz_once(["plot", "--surface", f"expr:{formula}", "--optimizers", "gd", "--steps", "3"], folder)


HOSTILE = st.one_of(st.none(), st.booleans(), st.text(max_size=20), st.integers(min_value=-(2**80), max_value=2**80),
                   st.floats(), st.complex_numbers(), st.lists(st.floats(), max_size=3), st.binary(max_size=5))


@settings(deadline=None)
@given(name=st.sampled_from(["adam", "sgd", "rmsprop", "adagrad", "momentum", "lion"]),
       key=st.sampled_from(["lr", "b1", "b2", "eps", "momentum", "decay", "weight_decay", "noise", "eps_in_sqrt"]),
       value=HOSTILE)
def test_fuzzed_hyperparameters_build_or_raise_one_bounded_line(name, key, value):
    """Any value for any hyperparameter: a built optimizer, or a TypeError/ValueError OptivizError, one line."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            ov.optimizer(name, **{key: value})
        except OptivizError as exc:
            assert isinstance(exc, (TypeError, ValueError)), type(exc)
            assert "\n" not in str(exc) and len(str(exc)) <= ECHO_BOUND, str(exc)


# ------------------------------------------------------------------------------------------ real signals

def _spawn(argv: list[str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "optiviz", *argv], cwd=cwd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


def _wait_for(predicate, timeout: float = 90.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.slow
def test_signals_mid_render_end_with_their_code_and_leave_nothing(tmp_path):
    """SIGTERM, SIGINT and SIGHUP, each sent once a render's temporary file exists: exit 143/130/129, one line,
    no temporary file and no output. The three renders run side by side."""
    # 4,000 frames: minutes of drawing, so no render can end before its signal (at 400, one that started first
    # sometimes finished while the test was still signalling another); each ends at its signal, so the length
    # costs nothing. Every render is watched in one loop and signalled as soon as its temporary file exists.
    render = ["animate", "-q", "--surface", "bowl", "--optimizers", "gd,adam", "--steps", "4000", "--frames", "4000",
              "--dpi", "50", "--out", "race.gif"]
    sigs = {"SIGTERM": 143, "SIGINT": 130, "SIGHUP": 129}
    runs = {}
    for name in sigs:
        d = tmp_path / name
        d.mkdir()
        runs[name] = (d, _spawn(render, d))
    waiting = set(sigs)

    def signal_the_started() -> bool:
        for name in sorted(waiting):
            d, proc = runs[name]
            if proc.poll() is not None:
                return True  # ended on its own: reported below
            if any(".part" in n for n in _files(d)):
                proc.send_signal(getattr(signal, name))
                waiting.discard(name)
        return not waiting

    assert _wait_for(signal_the_started), f"never started: {sorted(waiting)}"
    for name in sorted(waiting):
        _, proc = runs[name]
        assert False, f"{name}: the render ended before the signal: {proc.stderr.read()}"
    for name, (d, proc) in runs.items():
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == sigs[name], err
        assert "Traceback" not in err and err.count("\n") == 1, err
        assert _files(d) == [], _files(d)


@pytest.mark.slow
def test_a_gallery_timeout_stops_a_grandchild_that_left_the_process_group(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    pids = tmp_path / "pids"
    (src / "plot_escape.py").write_text(textwrap.dedent(f'''
        """Hang, with a grandchild in a session of its own."""
        import subprocess, sys, time
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"], start_new_session=True)
        open({str(pids)!r}, "w").write(str(child.pid))
        time.sleep(300)
    '''))
    from optiviz import gallery

    report = gallery.build(src, tmp_path / "out", timeout=1, echo=None, jobs=1)  # the grandchild starts in ~0.05 s
    assert [r.ok for r in report.results] == [False] and "timed out" in report.results[0].error
    assert _wait_for(lambda: _gone(int(pids.read_text())), timeout=10)


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] == "Z"


def test_sigterm_stops_the_gallery_and_every_process_it_started(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    pids = tmp_path / "pids"
    (src / "plot_hang.py").write_text(textwrap.dedent(f'''
        """Hang, with a grandchild."""
        import os, subprocess, sys, time
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
        open({str(pids)!r}, "w").write(f"{{os.getpid()}} {{child.pid}}")
        time.sleep(300)
    '''))
    proc = _spawn(["gallery", "--src", str(src), "--out", str(tmp_path / "out"), "--jobs", "1"], tmp_path)
    assert _wait_for(lambda: pids.exists() and len(pids.read_text().split()) == 2), proc.stderr.read()
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert "Traceback" not in err
    assert _wait_for(lambda: all(_gone(int(p)) for p in pids.read_text().split()), timeout=10)


def test_an_interrupt_swallowed_twice_is_still_delivered(monkeypatch):
    """A signal lands where Python cannot raise it (a __del__): the unraisable hook sends it again from a thread. On
    a loaded machine the resent signal can land while that thread is still starting, inside the hook, where it is
    swallowed again: the hook must send it once more, so the main thread still ends with the interrupt."""
    import threading
    import types

    real_start = threading.Thread.start
    calls = []

    def start_interrupted_once(self):
        calls.append(self)
        if len(calls) == 1:  # the first resend thread's signal lands while start() waits for the thread
            raise _atomic._interrupted(signal.SIGTERM)
        return real_start(self)

    with pytest.raises(ov.errors.Interrupted) as info:
        with _atomic.handle_signals():
            monkeypatch.setattr(threading.Thread, "start", start_interrupted_once)
            try:
                sys.unraisablehook(types.SimpleNamespace(exc_value=_atomic._interrupted(signal.SIGTERM)))
            except BaseException:  # noqa: S110  Python ignores what its unraisable hook raises: so do we here
                pass
            monkeypatch.setattr(threading.Thread, "start", real_start)
            assert len(calls) >= 2  # the hook swallowed nothing: it sent the signal again
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                time.sleep(0.01)
    assert info.value.signum == signal.SIGTERM
