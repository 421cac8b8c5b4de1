"""Custom surfaces: the four import routes (built-in, file, module, entry point), plain functions, safe ``expr:``
formulas, and every kind of bad input, each of which must give one ``SurfaceError`` naming the spec.

Plugins are installed for real: a ``*.dist-info`` folder with ``entry_points.txt`` in a temporary folder put on
``sys.path``, which ``importlib.metadata`` finds exactly as it finds a pip-installed package.
"""
from __future__ import annotations

import ast
import itertools
import math
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import optiviz as ov
from optiviz import expr
from optiviz.cli import main as cli

_counter = itertools.count()


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def unique(prefix: str) -> str:
    """A module name no other test uses (modules stay in sys.modules once imported)."""
    return f"{prefix}_{next(_counter)}_{id(object()) % 10**6}"


def fails(spec, match: str, **kw) -> str:
    """Load ``spec``; it must raise SurfaceError on one line, naming the spec, matching ``match``."""
    with pytest.raises(ov.SurfaceError, match=match) as info:
        ov.load_surface(spec, **kw)
    msg = str(info.value)
    assert "\n" not in msg, msg
    if isinstance(spec, str):
        assert repr(spec) in msg or spec in msg, msg
    assert isinstance(info.value, ov.OptivizError)
    return msg


@pytest.fixture
def plugins(tmp_path, monkeypatch):
    """install(entry_points={name: "module:attr"}, modules={module: source}): a plugin distribution on sys.path."""
    site = tmp_path / "site"

    def install(entry_points: dict[str, str], modules: dict[str, str], dist: str | None = None) -> None:
        dist = dist or unique("optiviz_test_plugin")
        for mod, source in modules.items():
            write(site, f"{mod}.py", source)
        info = site / f"{dist}-1.0.dist-info"
        write(info, "METADATA", f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
        write(info, "entry_points.txt", "[optiviz.surfaces]\n" + "".join(f"{k} = {v}\n" for k, v in entry_points.items()))
        monkeypatch.syspath_prepend(str(site))

    yield install
    for mod in list(sys.modules):
        if getattr(sys.modules[mod], "__file__", None) and str(site) in str(sys.modules[mod].__file__):
            del sys.modules[mod]


BUMP = """
    import jax.numpy as jnp
    import optiviz as ov

    @ov.surface(domain=((-2, 2), (-1, 1)), start=(-1.5, 0.5), minima=[(0.5, 0.0)], lr={"gd": 0.2})
    def bump(x, y, depth=1.0):
        \"\"\"A bump

        A quadratic bowl centred at (0.5, 0), for testing.
        \"\"\"
        return depth * ((x - 0.5) ** 2 + y ** 2)

    def plain(x, y):
        return (x - 6.0) ** 2 + (y + 5.0) ** 2

    def simple(x, y):
        return x ** 2 + 3 * y ** 2

    not_a_function = 3
"""


# ------------------------------------------------------------------------------------------------ routes

def test_builtin_route_returns_the_library_object():
    from optiviz.surface import registry

    s = ov.load_surface("ravine")
    assert s is registry.get("ravine") and s.name == "ravine"
    assert ov.surfaces.get("ravine") is s


def test_file_route_decorated_surface(tmp_path):
    path = write(tmp_path, "shapes.py", BUMP)
    s = ov.load_surface(f"{path}:bump")
    assert s.name == "bump" and s.title == "A bump"
    assert s.domain == ((-2.0, 2.0), (-1.0, 1.0)) and s.start == (-1.5, 0.5) and s.minima == ((0.5, 0.0),)
    runs = ov.run(s, ["gd"], steps=50)  # the file's suggested lr is used
    assert runs["gd"].spec.hparams["lr"] == 0.2
    assert np.allclose(runs["gd"].final, (0.5, 0.0), atol=1e-4)
    deep = ov.load_surface(f"{path}:bump:depth=3")  # parameters, as for a built-in
    assert float(deep(0.5, 1.0)) == 3.0
    assert ov.load_surface(str(path)) is s, "a file defining one Surface needs no :name"


def test_file_route_relative_path_and_plain_function(tmp_path, monkeypatch):
    write(tmp_path, "shapes.py", BUMP)
    monkeypatch.chdir(tmp_path)
    s = ov.load_surface("shapes.py:simple")
    assert s.domain == ((-3.0, 3.0), (-3.0, 3.0)), "a function with its minimum near the origin: [-3, 3]^2"
    assert s.name == "simple" and s.minima == ()
    far = ov.load_surface("shapes.py:plain")
    (x0, x1), (y0, y1) = far.domain
    assert x0 < 6 < x1 and y0 < -5 < y1, f"the inferred domain holds the minimum (6, -5): {far.domain}"
    assert x0 <= far.start[0] <= x1 and y0 <= far.start[1] <= y1
    given = ov.load_surface("shapes.py:plain", domain=((0, 10), (-10, 0)))
    assert given.domain == ((0.0, 10.0), (-10.0, 0.0))
    assert 0 <= given.start[0] <= 10 and -10 <= given.start[1] <= 0
    moved = ov.load_surface("shapes.py:plain", domain=((0, 10), (-10, 0)), start=(1, -1))
    assert moved.start == (1.0, -1.0)


def test_plain_function_object_is_accepted_directly():
    def saddle_free(x, y):
        return (x - 1.0) ** 2 + 2.0 * (y + 0.5) ** 2

    s = ov.load_surface(saddle_free)
    assert s.name == "saddle_free" and s.domain == ((-3.0, 3.0), (-3.0, 3.0))
    assert ov.load_surface(saddle_free) is s, "the same function gives the same Surface (and compiled program)"
    r = ov.run(saddle_free, ["adam"], steps=300)
    assert np.allclose(r["adam"].final, (1.0, -0.5), atol=0.05)


def test_loading_a_file_writes_nothing_beside_it(tmp_path, monkeypatch):
    """Python caches an imported file's bytecode in a __pycache__ next to it; naming a surface file must leave the
    user's folder as it was, whatever PYTHONDONTWRITEBYTECODE says."""
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    path = write(tmp_path, "mine.py", "def f(x, y):\n    return (x - 1) ** 2 + y ** 2\n")
    s = ov.load_surface(f"{path}:f")
    assert float(s(1.0, 0.0)) == 0.0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.py"]


def test_file_is_run_once_until_it_changes(tmp_path):
    marker = tmp_path / "runs.txt"
    source = f"""
        with open({str(marker)!r}, "a") as fh:
            fh.write("x")

        def f(x, y):
            return x ** 2 + y ** 2
    """
    path = write(tmp_path, "counted.py", source)
    a = ov.load_surface(f"{path}:f")
    b = ov.load_surface(f"{path}:f")
    assert a is b and marker.read_text() == "x"
    write(tmp_path, "counted.py", textwrap.dedent(source) + "# edited\n")
    import os

    os.utime(path, ns=(10**18, 10**18))  # a new mtime, whatever the clock's resolution
    c = ov.load_surface(f"{path}:f")
    assert c is not a and marker.read_text() == "xx", "an edited file is run afresh"


def test_module_route(tmp_path, monkeypatch):
    pkg = unique("optiviz_test_pkg")
    write(tmp_path, f"{pkg}/__init__.py", "")
    write(tmp_path, f"{pkg}/shapes.py", BUMP)
    monkeypatch.syspath_prepend(str(tmp_path))
    s = ov.load_surface(f"{pkg}.shapes:bump")
    assert s.name == "bump" and s.start == (-1.5, 0.5)
    assert ov.load_surface(f"{pkg}.shapes:bump:depth=2").params == {"depth": 2}
    plain = ov.load_surface(f"{pkg}.shapes:simple")
    assert plain.domain == ((-3.0, 3.0), (-3.0, 3.0))


def test_entry_point_route(plugins):
    mod = unique("optiviz_test_plugmod")
    plugins({"bumpy": f"{mod}:bump", "plainy": f"{mod}:plain"}, {mod: BUMP})
    names = ov.surfaces.names()
    assert {"bumpy", "plainy"} <= set(names)
    assert mod not in sys.modules, "listing names does not import a plugin"
    s = ov.load_surface("bumpy")
    assert s.name == "bump" and s.minima == ((0.5, 0.0),)
    assert mod in sys.modules
    assert ov.load_surface("bumpy:depth=2").params == {"depth": 2}
    p = ov.load_surface("plainy")
    assert p.name == "plainy"
    (x0, x1), _ = p.domain
    assert x0 < 6 < x1
    r = ov.run("bumpy", ["gd"], steps=40)
    assert np.allclose(r["gd"].final, (0.5, 0.0), atol=1e-3)


def test_user_code_runs_only_when_named(tmp_path, monkeypatch, plugins):
    """No scan of the working directory, no import of plugins that nobody asked for."""
    marker = tmp_path / "ran.txt"
    side_effect = f"open({str(marker)!r}, 'a').write('x')\n\ndef f(x, y):\n    return x ** 2 + y ** 2\n"
    for name in ("surfaces.py", "optiviz_surfaces.py", "ravine.py", "conftest_like.py"):
        write(tmp_path, name, side_effect)
    mod = unique("optiviz_test_sidefx")
    plugins({"sidefx": f"{mod}:f"}, {mod: side_effect})
    monkeypatch.chdir(tmp_path)
    ov.load_surface("ravine")
    ov.load_surface("expr:x**2 + y")
    ov.surfaces.names()
    assert not marker.exists()
    ov.load_surface("ravine.py:f")
    assert marker.read_text() == "x"
    ov.load_surface("sidefx")
    assert marker.read_text() == "xx"


def test_register_surface_adds_to_the_library():
    from optiviz.surface import registry

    name = unique("registered")

    def fn(x, y):
        return x**2 + y**2

    s = ov.register_surface(ov.surface(fn, name=name))
    try:
        assert ov.load_surface(name) is s
        with pytest.raises(ov.OptivizError, match="already registered"):
            ov.register_surface(ov.surface(fn, name=name))
    finally:
        registry._entries.pop(name)


# ----------------------------------------------------------------------------------------------- bad input

@pytest.fixture
def bad(tmp_path):
    """A file of broken surfaces, and a helper that turns an attribute into its spec."""
    path = write(tmp_path, "broken.py", """
        import math
        import jax.numpy as jnp
        import numpy as np
        import optiviz as ov

        def vector(x, y):
            return jnp.stack([x, y])

        def logx(x, y):
            return jnp.log(x) + y ** 2

        def uses_numpy(x, y):
            return np.sin(x) + y ** 2

        def uses_float(x, y):
            return float(x) ** 2 + y ** 2

        def uses_math(x, y):
            return math.sin(x) + y ** 2

        def branches(x, y):
            if x > 0:
                return x + y ** 2
            return -x + y ** 2

        def one_arg(x):
            return x ** 2

        def raises(x, y):
            raise ZeroDivisionError("oops")

        def returns_text(x, y):
            return "high"

        not_callable = [1, 2, 3]

        def fine(x, y):
            return x ** 2 + y ** 2
    """)
    return lambda attr: f"{path}:{attr}"


def test_missing_file(tmp_path):
    fails(f"{tmp_path}/nope.py:f", "no file")
    fails("no_such_dir/nope.py:f", "no file .*relative to")


def test_syntax_error_in_the_file(tmp_path):
    path = write(tmp_path, "typo.py", "def f(x, y):\n    return x ** 2 +\n")
    fails(f"{path}:f", r"syntax error in .*typo.py, line 2")


def test_file_that_fails_to_run(tmp_path):
    path = write(tmp_path, "crash.py", "import numpy\nraise RuntimeError('half-written')\n")
    fails(f"{path}:f", "running .*crash.py failed: RuntimeError: half-written")


def test_missing_attribute_suggests_close_names(bad):
    msg = fails(bad("fien"), "has no attribute 'fien'")
    assert "did you mean 'fine'" in msg
    fails(bad(""), "say which function")


def test_attribute_that_is_not_callable(bad):
    fails(bad("not_callable"), "'not_callable' is not a function f\\(x, y\\) or a Surface \\(it is list")


def test_function_returning_a_non_scalar(bad):
    fails(bad("vector"), r"must return a scalar .* got shape \(2,\)")
    fails(bad("returns_text"), "must return a number")


def test_nan_at_the_start(bad):
    fails(bad("logx"), r"is nan at its start \(-1, 1\); choose a start where it is finite", domain=((-2, 2), (-2, 2)),
          start=(-1, 1))
    assert ov.load_surface(bad("logx"), domain=((0.1, 3), (-2, 2))).start[0] > 0  # fine where log is defined


@pytest.mark.parametrize("attr, why", [
    ("uses_numpy", "it calls numpy on x or y"),
    ("uses_float", "it turns x or y into a Python number"),
    ("uses_math", "it turns x or y into a Python number"),
    ("branches", "it turns x or y into a Python number"),  # fine for an eager jax.grad, not under jit
])
def test_not_differentiable_by_jax(bad, attr, why):
    msg = fails(bad(attr), "cannot be differentiated by JAX: " + why)
    assert "jax.numpy" in msg


def test_function_with_the_wrong_signature_or_failing(bad):
    fails(bad("one_arg"), r"must take \(x, y\)")
    fails(bad("raises"), "failed at its start .*ZeroDivisionError: oops")


@pytest.mark.parametrize("domain, match", [
    (((1, 1), (0, 1)), "empty or inverted"),
    (((1, -1), (0, 1)), "empty or inverted"),
    (((0, 1), (2, 2)), "empty or inverted"),
    (((0, math.nan), (0, 1)), "empty or inverted"),
    ((0, 1, 2, 3), "must be \\(\\(xmin, xmax\\), \\(ymin, ymax\\)\\)"),
])
def test_empty_or_inverted_domain(bad, domain, match):
    fails(bad("fine"), match, domain=domain)
    fails("ravine", match, domain=domain)


def test_empty_or_inverted_domain_in_a_decorated_file(tmp_path):
    path = write(tmp_path, "inverted.py", """
        import optiviz as ov

        @ov.surface(domain=((3, -3), (-1, 1)))
        def flipped(x, y):
            return x ** 2 + y ** 2
    """)
    fails(f"{path}:flipped", "flipped.*empty or inverted")


def test_start_outside_the_domain(tmp_path, bad):
    fails("ravine", r"start \(10, 0\) is outside the domain", start=(10, 0))
    fails(bad("fine"), "is outside the domain", domain=((0, 1), (0, 1)), start=(2, 2))
    path = write(tmp_path, "away.py", """
        import optiviz as ov

        @ov.surface(domain=((-1, 1), (-1, 1)), start=(5, 0))
        def away(x, y):
            return x ** 2 + y ** 2
    """)
    fails(f"{path}:away", "outside the domain")


def test_a_plugin_that_shadows_a_builtin_is_refused(plugins):
    mod = unique("optiviz_test_shadow")
    plugins({"ravine": f"{mod}:bump"}, {mod: BUMP}, dist="evil_surfaces")
    msg = fails("ravine", "shadows the built-in surface 'ravine'")
    assert f"{mod}:bump" in msg and "evil_surfaces" in msg
    assert mod not in sys.modules, "refused without importing the plugin"


def test_a_broken_plugin_names_itself(plugins):
    mod = unique("optiviz_test_broken")
    plugins({"broken_plugin": f"{mod}:bump"}, {mod: "import no_such_dependency_xyz\n"})
    fails("broken_plugin", f"the plugin broken_plugin = {mod}:bump failed to load: ModuleNotFoundError")


def test_two_plugins_with_one_name(plugins):
    a, b = unique("optiviz_test_twin"), unique("optiviz_test_twin")
    plugins({"twin": f"{a}:bump"}, {a: BUMP}, dist="twin_a")
    plugins({"twin": f"{b}:bump"}, {b: BUMP}, dist="twin_b")
    fails("twin", "several installed plugins provide it")


@pytest.mark.parametrize("spec, match", [
    ("ravin", "no built-in or plugin surface 'ravin'; did you mean 'ravine'"),
    ("no_such_package_xyz.mod:f", "no module named 'no_such_package_xyz'"),
    ("no.such:f", "no module named 'no'"),
    ("not a name:f", "is not a module name"),
    ("   ", "empty surface spec"),
    ("bowl:condition", "key=value"),
])
def test_unknown_names_and_modules(spec, match):
    with pytest.raises(ov.SurfaceError, match=match):
        ov.load_surface(spec)


def test_module_whose_import_fails(tmp_path, monkeypatch):
    mod = unique("optiviz_test_importfail")
    write(tmp_path, f"{mod}.py", "import no_such_dependency_xyz\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    fails(f"{mod}:f", f"importing {mod} failed: ModuleNotFoundError: No module named 'no_such_dependency_xyz'")


def test_not_a_spec_at_all():
    with pytest.raises(ov.SurfaceError, match="cannot make a surface from int"):
        ov.load_surface(42)


@pytest.mark.parametrize("spec", ["nope.py:f", "expr:__import__('os')", "ravin", "bowl:condition=-2"])
def test_cli_prints_one_line_and_exits_2(capsys, spec, tmp_path):
    code = cli(["animate", "--surface", spec, "--steps", "2", "--out", str(tmp_path / "x.gif")])
    out, err = capsys.readouterr()
    assert code == 2
    assert err == f"optiviz: error: {message_of_load(spec)}\n", err
    assert "Traceback" not in err + out and list(tmp_path.iterdir()) == []


def message_of_load(spec: str) -> str:
    with pytest.raises(ov.SurfaceError) as info:
        ov.load_surface(spec)
    return str(info.value)


def test_cli_bad_file_surface_in_animate(capsys, bad, tmp_path):
    code = cli(["animate", "--surface", bad("uses_numpy"), "--steps", "2", "--out", str(tmp_path / "x.gif")])
    _, err = capsys.readouterr()
    assert code == 2 and "cannot be differentiated by JAX" in err and err.count("\n") == 1
    assert not (tmp_path / "x.gif").exists()


# ------------------------------------------------------------------------------------------------- expr:

@pytest.mark.parametrize("formula, x, y, want", [
    ("x**2 + 10*y**2", 1.0, 2.0, 41.0),
    ("-x**2", 3.0, 0.0, -9.0),  # unary minus binds looser than **, as in Python
    ("2**-1 * x", 4.0, 0.0, 2.0),
    ("sin(x)*cos(y) + exp(-x**2)", 0.5, 0.25, math.sin(0.5) * math.cos(0.25) + math.exp(-0.25)),
    ("where(x > 0, x, -x) + abs(y)", -2.0, -3.0, 5.0),
    ("maximum(x, y) - minimum(x, y)", 1.0, 4.0, 3.0),
    ("pi*x + e*y", 1.0, 1.0, math.pi + math.e),
    ("sqrt(x**2 + y**2)", 3.0, 4.0, 5.0),
    ("log(1 + x**2) + tanh(y)", 1.0, 0.5, math.log(2) + math.tanh(0.5)),
    ("1e-3 * x + 2.5e2 * y", 1000.0, 0.004, 2.0),
    ("x", 7.0, 1.0, 7.0),
    ("3", 7.0, 1.0, 3.0),
])
def test_expr_evaluates_like_python_math(formula, x, y, want):
    s = ov.load_surface(f"expr:{formula}")
    assert float(s(x, y)) == pytest.approx(want, rel=1e-6)
    assert s.name == f"expr:{formula}"


def test_expr_gradients_grids_and_runs():
    s = ov.load_surface("expr:x**2 + 10*y**2")
    assert np.allclose(np.asarray(s.grad(np.array([1.0, 1.0]))), [2.0, 20.0])
    X, Y, Z = ov.load_surface("expr:x**2").grid(11)
    assert Z.shape == X.shape and np.allclose(Z, X**2, atol=1e-5), "a formula in x alone still fills the grid"
    assert ov.load_surface("expr:x**2 + 10*y**2") is s, "the same formula, the same object"
    r = ov.run("expr:x**2 + 10*y**2", ["adam"], steps=300)
    assert np.linalg.norm(r["adam"].final) < 0.05
    far = ov.load_surface("expr:(x - 6)**2 + (y + 5)**2")
    assert far.domain[0][0] < 6 < far.domain[0][1]
    given = ov.load_surface("expr:(x - 6)**2 + y**2", domain=((4, 8), (-1, 1)))
    assert given.domain == ((4.0, 8.0), (-1.0, 1.0))
    fails("expr:x + y", "a formula takes no parameters", scale=2)


REFUSED = [
    ("__import__('os').system('echo pwned')", "attribute access"),
    ("x.real", "attribute access"),
    ("np.sin(x)", "attribute access"),
    ("x[0]", "indexing"),
    ("(lambda: 1)()", "a lambda"),
    ("[t for t in (x, y)][0]", "indexing"),
    ("sum(t for t in (x, y))", "the function 'sum'"),
    ("z + 1", "the name 'z'"),
    ("os", "the name 'os'"),
    ("__builtins__", "the name '__builtins__'"),
    ("eval('1')", "the function 'eval'"),
    ("open('/etc/passwd')", "the function 'open'"),
    ("sin(x=1)", "a keyword argument"),
    ("sin(*[x])", "a starred argument"),
    ("'x' * 3", "a string"),
    ("f'{x}'", "a string"),
    ("x and y", "'and' / 'or'"),
    ("x if x > 0 else y", "where\\(c, a, b\\)"),
    ("x ^ 2", "for a power write \\*\\*"),
    ("x % 2", "the operator '%'"),
    ("x // 2", "the operator '//'"),
    ("0 < x < 1", "a chained comparison"),
    ("(t := x) + t", "an assignment expression"),
    ("(x, y)", "a tuple"),
    ("{x: y}", "a dict"),
    ("True + x", "the constant True"),
    ("None", "the constant None"),
    ("1j * x", "the constant 1j"),
    ("sin", "the function name 'sin' without a call"),
    ("sin(x, y)", "sin\\(\\) takes 1 argument, got 2"),
    ("where(x > 0, x)", "where\\(\\) takes 3 arguments, got 2"),
    ("x +", "not valid"),
    ("", "empty formula"),
    ("x" + " + x" * 1200, "longer than"),
    ("not x", "the operator 'not'"),
    ("x in y", "the comparison 'in'"),
    ("1e39 * x", "the number 1e39 must be <= 3.40282e\\+38, got 1e\\+39 \\(beyond float32's range"),
    ("x - 1e400", "the number 1e400 \\(infinite as a float\\) is not allowed"),
]


@pytest.mark.parametrize("formula, match", REFUSED)
def test_expr_refuses_everything_outside_the_whitelist(formula, match):
    with pytest.raises(expr.ExprError, match=match) as info:
        ov.load_surface(f"expr:{formula}")
    msg = str(info.value)
    assert "\n" not in msg and ("not evaluated" in msg or "empty" in msg or "not valid" in msg or "longer" in msg)


def test_expr_never_evaluates_the_text(monkeypatch, tmp_path):
    """Neither an accepted nor a refused formula reaches eval, exec or compile, and a refused one has no effect."""

    def forbidden(*args, **kwargs):
        raise AssertionError("eval/exec/compile must never be called on a formula")

    import optiviz.loading
    import optiviz.surface

    # shadow the builtins inside optiviz's own loading code (patching builtins itself would break pytest)
    for module in (expr, optiviz.loading, optiviz.surface):
        for name in ("eval", "exec", "compile"):
            monkeypatch.setattr(module, name, forbidden, raising=False)
    marker = tmp_path / "pwned"
    with pytest.raises(expr.ExprError):
        ov.load_surface(f"expr:__import__('pathlib').Path({str(marker)!r}).touch()")
    with pytest.raises(expr.ExprError):
        ov.load_surface(f"expr:open({str(marker)!r}, 'w')")
    assert not marker.exists()
    s = optiviz.loading.from_formula("x**3 - 3*x + y**2 + sinh(x*y)")  # accepted: built by walking the tree
    assert float(s(1.0, 0.0)) == pytest.approx(-2.0)


def test_expr_validate_returns_the_tree_only_for_whitelisted_nodes():
    tree = expr.validate("cos(x) + y**2")
    assert isinstance(tree, ast.Expression)
    allowed = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Call, ast.Name, ast.Constant, ast.Compare, ast.Load,
               ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.USub, ast.UAdd)
    assert all(isinstance(n, allowed) for n in ast.walk(tree))


# A random formula and its reference value, built side by side from the same pieces. The reference computes in
# float64 and carries a rigorous bound on how far a float32 evaluation may stray: inputs and constants rounded to
# float32, each operation off by at most a few float32 ulps, and that error propagated (sin, cos, tanh, abs and
# arctan move their output by at most the input's error; exp by exp(v) * expm1(error)).
_U = 2.0**-24  # float32 unit roundoff
_ULPS = 4  # error of one jax.numpy float32 operation, in units of the result (XLA's transcendentals are not exact)


def _exp(v: float) -> float:
    return math.exp(v) if v < 700 else math.inf


def _lipschitz_1(f):
    return lambda v, e: (f(v), e + _ULPS * _U * (abs(f(v)) + abs(v)))  # |v|: range reduction of sin/cos


_UNARY = {"sin": _lipschitz_1(math.sin), "cos": _lipschitz_1(math.cos), "tanh": _lipschitz_1(math.tanh),
          "abs": _lipschitz_1(abs), "arctan": _lipschitz_1(math.atan),
          "exp": lambda v, e: (_exp(v), _exp(v) * math.expm1(e) + _ULPS * _U * _exp(v))}
_BINARY = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b}


def _binary(op: str, a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    (va, ea), (vb, eb) = a, b
    r = _BINARY[op](va, vb)
    e = ea + eb if op in "+-" else abs(va) * eb + abs(vb) * ea + ea * eb
    return r, e + _ULPS * _U * abs(r)


def _leaf(v: float) -> tuple[float, float]:
    return v, _U * abs(v)  # rounded to float32 on the way in


def _formulas():
    leaves = st.one_of(
        st.sampled_from([("x", lambda x, y: _leaf(x)), ("y", lambda x, y: _leaf(y)),
                         ("pi", lambda x, y: _leaf(math.pi))]),
        st.floats(0.0, 5.0, allow_nan=False).map(lambda c: (repr(round(c, 3)),
                                                            lambda x, y, c=round(c, 3): _leaf(c))),
    )

    def extend(children):
        unary = st.tuples(st.sampled_from(sorted(_UNARY)), children).map(
            lambda t: (f"{t[0]}({t[1][0]})", lambda x, y, f=_UNARY[t[0]], g=t[1][1]: f(*g(x, y))))
        binary = st.tuples(st.sampled_from(sorted(_BINARY)), children, children).map(
            lambda t: (f"({t[1][0]}) {t[0]} ({t[2][0]})",
                       lambda x, y, op=t[0], a=t[1][1], b=t[2][1]: _binary(op, a(x, y), b(x, y))))
        neg = children.map(lambda c: (f"-({c[0]})", lambda x, y, g=c[1]: (-g(x, y)[0], g(x, y)[1])))
        return st.one_of(unary, binary, neg)

    return st.recursive(leaves, extend, max_leaves=8)


@settings(deadline=None)
@given(f=_formulas(), x=st.floats(-2.0, 2.0), y=st.floats(-2.0, 2.0))
def test_expr_matches_a_reference_evaluation(f, x, y):
    text, reference = f
    from optiviz.expr import compile_formula, validate

    fn = compile_formula(validate(text))  # no Surface: avoids a start check for every random formula
    want, bound = reference(x, y)
    assume(math.isfinite(want) and math.isfinite(bound) and abs(want) < 1e30)  # float32 overflows near 3.4e38
    got = float(fn(np.float32(x), np.float32(y)))
    assert abs(got - want) <= 2 * bound + 1e-30, f"{text} at ({x}, {y}): {got} vs {want} +- {bound}"
