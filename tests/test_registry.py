"""The generic registry: did-you-mean, duplicates refused, entry-point plugins found lazily (from a fake installed
distribution on ``sys.path``), a plugin that shadows a built-in refused; and the same through the optimizer
registry."""
from __future__ import annotations

import itertools
import sys
import textwrap
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest

import optiviz as ov
from optiviz import optimizers as opt_module
from optiviz.errors import OptivizError, UnknownNameError
from optiviz.registry import Registry, did_you_mean

_ids = itertools.count()


def fresh_kind() -> str:
    """A registry kind (and so an entry-point group) of its own for each test."""
    return f"testfruit{next(_ids)}s"


def install_plugin(monkeypatch, tmp_path: Path, group: str, entries: dict[str, str], module: str | None = None,
                   source: str = "") -> None:
    """Fake an installed distribution: a dist-info folder with ``entry_points.txt`` (and a module) on sys.path."""
    dist = tmp_path / f"fake_plugin_{next(_ids)}-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist.name.split('-')[0]}\nVersion: 1.0\n")
    lines = "\n".join(f"{name} = {target}" for name, target in entries.items())
    (dist / "entry_points.txt").write_text(f"[{group}]\n{lines}\n")
    if module:
        (tmp_path / f"{module}.py").write_text(textwrap.dedent(source))
        monkeypatch.delitem(sys.modules, module, raising=False)
    monkeypatch.syspath_prepend(str(tmp_path))


@pytest.fixture
def fruits():
    reg = Registry(fresh_kind())
    for name in ("apple", "apricot", "banana"):
        reg.register(name, object())
    return reg


# ----------------------------------------------------------------------------------------- names

def test_unknown_name_suggests_close_matches(fruits):
    with pytest.raises(UnknownNameError) as info:
        fruits.get("aple")
    assert str(info.value) == f"unknown {fruits.kind[:-1]} 'aple'; did you mean 'apple'?"
    assert isinstance(info.value, LookupError)  # also a LookupError, for callers that catch those


def test_unknown_name_without_a_close_match_lists_every_name(fruits):
    with pytest.raises(UnknownNameError, match="'zzz'; choose from: apple, apricot, banana$"):
        fruits.get("zzz")


def test_did_you_mean_lists_up_to_three():
    assert did_you_mean("adm", ["adam", "adamw", "adamax", "gd"]).startswith("did you mean 'adam' or")


def test_duplicate_registration_is_refused(fruits):
    first = fruits.get("apple")
    with pytest.raises(OptivizError, match=f"{fruits.kind[:-1]} 'apple' is already registered"):
        fruits.register("apple", object())
    assert fruits.get("apple") is first


def test_a_duplicate_builtin_optimizer_is_refused():
    with pytest.raises(OptivizError, match="optimizer 'adam' is already registered"):
        opt_module.register("adam")(lambda lr=0.1: None)


def test_register_as_decorator_uses_the_given_name_or_the_functions(fruits):
    @fruits.register("cherry")
    def anything():
        return 1

    @fruits.register()
    def durian():
        return 2

    assert fruits.get("cherry") is anything and fruits.get("durian") is durian
    assert fruits.names() == ["apple", "apricot", "banana", "cherry", "durian"]
    assert "durian" in fruits and "elderberry" not in fruits


def test_builtins_module_is_imported_on_first_use(monkeypatch, tmp_path):
    kind = fresh_kind()
    module = f"fake_builtins_{next(_ids)}"
    (tmp_path / f"{module}.py").write_text("import registry_under_test as r\nr.REG.register('fig', 'a fig')\n")
    reg = Registry(kind, builtins=module)
    holder = type(sys)("registry_under_test")
    holder.REG = reg
    monkeypatch.setitem(sys.modules, "registry_under_test", holder)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, module, raising=False)
    assert module not in sys.modules
    assert reg.get("fig") == "a fig"
    assert module in sys.modules and reg.builtin_names() == ["fig"]


def test_a_snapshot_forgets_the_users_names_and_keeps_the_builtins(monkeypatch, tmp_path, fruits):
    """What ``optiviz gallery``'s workers call between scripts: names registered by user code since the snapshot
    go (in a registry made since too), plugins loaded since are forgotten (they load again when asked for), the
    names from before stay, and a module that registers names as it is imported keeps them while it stays
    imported (optiviz's built-ins register so, lazily too; the gallery's test checks those)."""
    from optiviz import schedules
    from optiviz.registry import snapshot

    module, library = f"fake_plugin_mod_{next(_ids)}", f"fake_library_{next(_ids)}"
    install_plugin(monkeypatch, tmp_path, fruits.group, {"mango": f"{module}:MANGO"}, module, "MANGO = 'a mango'\n")
    (tmp_path / f"{library}.py").write_text("from optiviz import schedules\nschedules.register('librarys')(min)\n")
    restore = snapshot()
    __import__(library)
    fruits.register("cherry", object())
    assert fruits.get("mango") == "a mango"
    later = Registry(fresh_kind())
    later.register("kiwi", object())
    schedules.register("users_schedule")(lambda: 1.0)
    restore()
    assert fruits.builtin_names() == ["apple", "apricot", "banana"] and "mango" not in fruits._plugins
    assert later.names() == [] and "users_schedule" not in schedules.names() and "cosine" in schedules.names()
    assert fruits.get("mango") == "a mango" and "librarys" in schedules.names()
    del sys.modules[library]
    restore()
    assert "librarys" not in schedules.names()


# --------------------------------------------------------------------------------------- plugins

def test_entry_point_plugin_is_found_but_loaded_only_when_asked_for(monkeypatch, tmp_path, fruits):
    module = f"fake_plugin_mod_{next(_ids)}"
    install_plugin(monkeypatch, tmp_path, fruits.group, {"mango": f"{module}:MANGO"}, module,
                   "LOADS = []\nLOADS.append(1)\nMANGO = 'a mango'\n")
    assert "mango" in fruits.names() and "mango" in fruits
    assert fruits.builtin_names() == ["apple", "apricot", "banana"]
    assert module not in sys.modules  # listed, not imported
    assert fruits.get("mango") == "a mango"
    assert fruits.get("mango") == "a mango"
    assert sys.modules[module].LOADS == [1]  # imported once
    # a close miss now also suggests the plugin
    with pytest.raises(UnknownNameError, match="did you mean 'mango'"):
        fruits.get("mangoo")


def test_a_plugin_that_shadows_a_builtin_is_refused(monkeypatch, tmp_path, fruits):
    module = f"fake_shadow_{next(_ids)}"
    install_plugin(monkeypatch, tmp_path, fruits.group, {"apple": f"{module}:APPLE"}, module, "APPLE = 'fake'\n")
    with pytest.raises(OptivizError) as info:
        fruits.get("apple")
    message = str(info.value)
    assert f"apple = {module}:APPLE" in message and "shadows the built-in" in message and "rename" in message
    assert module not in sys.modules  # refused without running the plugin's code
    assert fruits.get("banana")  # the other built-ins are unaffected


def test_a_broken_plugin_is_named_in_the_error(monkeypatch, tmp_path, fruits):
    install_plugin(monkeypatch, tmp_path, fruits.group, {"kiwi": "no_such_module_anywhere:KIWI"})
    with pytest.raises(OptivizError, match=r"cannot load the .* plugin kiwi = no_such_module_anywhere:KIWI"
                                           r".*ModuleNotFoundError"):
        fruits.get("kiwi")


def test_two_plugins_claiming_one_name_are_refused(monkeypatch, tmp_path, fruits):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    install_plugin(monkeypatch, tmp_path / "a", fruits.group, {"lime": "mod_a:LIME"})
    install_plugin(monkeypatch, tmp_path / "b", fruits.group, {"lime": "mod_b:LIME"})
    with pytest.raises(OptivizError, match="several installed plugins provide .* 'lime'"):
        fruits.get("lime")


def test_the_entry_point_scan_is_cached_until_sys_path_changes(monkeypatch, tmp_path, fruits):
    calls = []
    real = metadata.entry_points

    def counting(**kw):
        calls.append(kw)
        return real(**kw)

    monkeypatch.setattr(metadata, "entry_points", counting)
    fruits.refresh()
    for _ in range(5):
        fruits.get("apple")
        fruits.names()
        assert "nope" not in fruits
    assert len(calls) == 1
    install_plugin(monkeypatch, tmp_path, fruits.group, {"plum": "x:PLUM"})  # sys.path changes
    assert "plum" in fruits.names() and len(calls) == 2


# ----------------------------------------------------------------------------- optimizer plugins

SIGN_GD = """
import jax
import jax.numpy as jnp
from optiviz.optimizers import Optimizer


def sign_gd(lr=0.1):
    '''Sign gradient descent: theta <- theta - lr * sign(g).'''

    def update(grads, state, params=None):
        return jax.tree_util.tree_map(lambda g: -lr * jnp.sign(g), grads), state

    return Optimizer(lambda params: (), update)
"""


def test_an_optimizer_plugin_factory_works_everywhere(monkeypatch, tmp_path):
    module = f"fake_signgd_{next(_ids)}"
    monkeypatch.setattr(opt_module._optimizers, "_plugins", {})  # forget the plugin after the test
    install_plugin(monkeypatch, tmp_path, "optiviz.optimizers", {"signgd": f"{module}:sign_gd"}, module, SIGN_GD)
    assert "signgd" in ov.optimizers.names()
    info = ov.optimizers.get("signgd")
    assert info.defaults == {"lr": 0.1} and info.summary.startswith("Sign gradient descent")
    with pytest.raises(OptivizError, match="signgd: lr must be > 0"):
        ov.optimizer("signgd", lr=-1.0)
    runs = ov.run("bowl", ["signgd:lr=0.25"], steps=4, start=(-2.0, 1.0))
    np.testing.assert_allclose(runs["signgd"].path, [[-2, 1], [-1.75, 0.75], [-1.5, 0.5], [-1.25, 0.25], [-1, 0]])


def test_an_optimizer_plugin_shadowing_a_builtin_is_refused_until_it_is_gone(monkeypatch, tmp_path):
    with monkeypatch.context() as m:
        module = f"fake_adam_{next(_ids)}"
        install_plugin(m, tmp_path, "optiviz.optimizers", {"adam": f"{module}:adam"}, module, "adam = None\n")
        with pytest.raises(OptivizError, match="shadows the built-in optimizer 'adam'"):
            ov.optimizer("adam")
        assert ov.optimizer("gd")  # the others still work
    assert ov.optimizer("adam")  # sys.path restored: the cached scan is redone, the plugin is gone
