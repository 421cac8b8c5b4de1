"""What keeps optiviz fast, asserted as behaviour (the timings themselves live in bench/):

* listing and describing read the registries' catalogs: no JAX, no matplotlib, nothing compiled;
* the persistent compilation cache: where it lives, that a second process compiles nothing, that it can be off;
* one command compiles few programs (a surface check, the run, the contour grid).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from optiviz.registry import CatalogEntry


def _python(code: str, env: dict[str, str] | None = None) -> str:
    """Run ``code`` in a fresh interpreter and return what it printed (failing the test on a crash)."""
    full = {**os.environ, **(env or {})}
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=full,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


HEAVY = "print(json.dumps(sorted(m for m in ('jax', 'matplotlib') if m in sys.modules)))"


LISTING = [["list"], ["list", "optimizers"], ["describe", "adam"], ["describe", "ravine"], ["describe", "cosine"],
           ["describe", "relu"], ["describe", "bowl"]]


def test_list_and_describe_import_neither_jax_nor_matplotlib():
    out = _python(f"""
        import contextlib, io, json, sys
        from optiviz.cli import main
        for argv in {LISTING!r}:
            with contextlib.redirect_stdout(io.StringIO()) as text:
                code = main(argv)
            assert code == 0 and text.getvalue().strip(), argv
        {HEAVY}
    """)
    assert json.loads(out.splitlines()[-1]) == []


def test_catalogs_read_metadata_without_jax():
    out = _python(f"""
        import json, sys
        import optiviz as ov
        from optiviz.surface import registry
        rows = {{r.kind: [e._asdict() for e in r.catalog()] for r in (
            registry, ov.optimizers._optimizers, ov.schedules._schedules, ov.activations._activations)}}
        print(json.dumps(rows, default=repr))
        {HEAVY}
    """)
    lines = out.splitlines()
    assert json.loads(lines[-1]) == []
    rows = {kind: {e["name"]: e for e in entries} for kind, entries in json.loads(lines[-2]).items()}
    adam = rows["optimizers"]["adam"]["hyperparameters"]  # the registered defaults (others may join them)
    assert {"lr": 0.1, "b1": 0.9, "b2": 0.999, "eps": 1e-08}.items() <= adam.items()
    assert rows["optimizers"]["adam"]["summary"].startswith("Adam: momentum on the gradient")
    assert rows["surfaces"]["bowl"]["hyperparameters"] == {"condition": 10.0}
    assert rows["surfaces"]["ravine"]["summary"] and "\n" not in rows["surfaces"]["ravine"]["summary"]
    assert rows["schedules"]["cosine"]["hyperparameters"]["lr"] is None  # required
    assert set(rows["surfaces"]) >= {"ravine", "rosenbrock", "linreg"}


def test_catalog_lists_a_plugin_without_importing_it(monkeypatch, tmp_path):
    from optiviz.registry import Registry

    dist = tmp_path / "fruit_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: fruit-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[optiviz.fruits]\nkiwi = no_such_module_anywhere:KIWI\n"
                                           "apple = no_such_module_anywhere:APPLE\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    reg: Registry = Registry("fruits", describe=lambda e: (e["doc"], e["params"]))
    reg.register("apple", {"doc": "A red fruit.\n\nMore text.", "params": {"size": 3}})
    rows = {e.name: e for e in reg.catalog()}
    assert rows["kiwi"] == CatalogEntry("kiwi", "", {}, rows["kiwi"].plugin, None)
    assert "kiwi = no_such_module_anywhere:KIWI" in rows["kiwi"].plugin
    assert rows["apple"].summary == "A red fruit." and rows["apple"].hyperparameters == {"size": 3}
    assert "shadows the built-in fruit 'apple'" in rows["apple"].problem


def test_surface_modules_register_without_jax():
    out = _python(f"""
        import json, sys
        import optiviz as ov
        s = ov.surfaces.builtin_names()
        from optiviz.surface import registry
        ravine = registry.get("ravine")
        print(ravine.domain, ravine.start, len(ravine.minima))
        {HEAVY}
    """)
    assert json.loads(out.splitlines()[-1]) == []


def test_listing_imports_no_numpy_and_a_lazy_surface_computes_its_data_when_read():
    out = _python("""
        import contextlib, io, json, sys
        from optiviz.cli import main
        with contextlib.redirect_stdout(io.StringIO()):
            assert main(["list"]) == 0
        before = "numpy" in sys.modules
        import optiviz as ov
        calls = []

        @ov.surface(lazy=True, minima=lambda k: calls.append("minima") or [(k, 0.0)],
                    data=lambda k: calls.append("data") or (k,))
        def lazy(x, y, k=1.0):
            return (x - k) ** 2 + y ** 2

        made = list(calls)
        first = (lazy.minima, lazy.data, lazy.minima, lazy.with_params(k=2.0).minima)
        print(json.dumps([before, made, calls, first]))
    """)
    before, made, calls, first = json.loads(out.splitlines()[-1])
    assert before is False  # the data surfaces' datasets and minima wait until a surface is used
    assert made == [] and calls == ["minima", "data", "minima"]  # computed once each, when first read
    assert first == [[[1.0, 0.0]], [1.0], [[1.0, 0.0]], [[2.0, 0.0]]]


# ------------------------------------------------------------------------------------- compilation cache

_COUNT = """
    import json, sys
    import jax
    events = []
    jax.monitoring.register_event_listener(lambda name, **kw: events.append(name))
    jax.monitoring.register_event_duration_secs_listener(lambda name, secs, **kw: events.append(name))
    import optiviz as ov
    runs = ov.run("ravine", ["gd", "adam"], steps=20)
    X, Y, Z = ov.load_surface("ravine").grid(30)
    print(json.dumps({"programs": events.count("/jax/core/compile/jaxpr_to_mlir_module_duration"),
                      "compiled": events.count("/jax/compilation_cache/cache_misses"),
                      "hits": events.count("/jax/compilation_cache/cache_hits"),
                      "where": str(ov.compilation_cache.location()),
                      "store": type(jax._src.compilation_cache._cache).__name__}))
"""


def _counts(env: dict[str, str]) -> dict:
    return json.loads(_python(_COUNT, env).splitlines()[-1])


@pytest.mark.slow
def test_processes_share_the_cache_and_a_later_one_compiles_nothing(tmp_path):
    """Two processes start on an empty cache at once (each compiles what the other has not stored yet, and neither
    may read half a file), then a third finds every program stored."""
    env = {**os.environ, "OPTIVIZ_CACHE_DIR": str(tmp_path / "cache"), "OPTIVIZ_NO_CACHE": ""}
    procs = [subprocess.Popen([sys.executable, "-c", textwrap.dedent(_COUNT)], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _, err in outs]
    for out, _ in outs:
        first = json.loads(out.splitlines()[-1])
        # one program each: the surface check, the run, the contour grid (not one per eager operation)
        assert 1 <= first["programs"] <= 3 and first["compiled"] + first["hits"] == first["programs"]
        assert first["where"] == str(tmp_path / "cache")
        assert first["store"] == "_Store"  # optiviz's folder (no per-store listing), not JAX's LRU cache
    later = _counts(env)
    assert later["hits"] == later["programs"] == first["programs"] and later["compiled"] == 0


def test_the_cache_folder_writes_whole_entries_and_trims_the_least_recently_used(tmp_path, monkeypatch):
    """optiviz's cache folder: a stored entry is renamed into place (no temporary file stays) with JAX's access-time
    file beside it (JAX's own cache, sharing the folder, reads one for every entry), a missing or vanished entry is
    a miss, and when the folder outgrows its bound the entries used longest ago go first, down to ``TRIM_TO`` of
    the bound, with their access-time files and any temporary file of ours a killed process left."""
    from optiviz import compilation_cache as cc

    monkeypatch.setattr(cc, "MAX_BYTES", 10_000)
    store = cc._store_type()(tmp_path)
    stale, other = tmp_path / ".k9-cache.00000000.part", tmp_path / "someone-elses.part"
    for f in (stale, other):
        f.write_bytes(b"half")
        os.utime(f, (0, 0))
    for i in range(4):  # 4 x 2,000 bytes, each older than the next
        store.put(f"k{i}", bytes([i]) * 2000)
        os.utime(tmp_path / f"k{i}-cache", (1000 + i, 1000 + i))

    def entries() -> list[str]:
        names = sorted(p.name for p in tmp_path.iterdir())
        assert all(n.replace("-cache", "-atime") in names for n in names if n.endswith("-cache"))
        return [n for n in names if not n.endswith("-atime")]

    assert entries() == ["k0-cache", "k1-cache", "k2-cache", "k3-cache", "someone-elses.part"]  # ours went
    assert store.get("k1") == bytes([1]) * 2000 and store.get("nope") is None
    store.put("k1", b"another value")  # an existing entry is kept as it is
    assert store.get("k1") == bytes([1]) * 2000
    store.put("k4", b"\4" * 3000)  # 11,000 > 10,000: trim to 8,000, oldest first; k1 was just read
    assert entries() == ["k1-cache", "k3-cache", "k4-cache", "someone-elses.part"]
    assert not (tmp_path / "k0-atime").exists()
    (tmp_path / "k3-cache").unlink()  # another process trimmed it
    assert store.get("k3") is None
    gone = cc._store_type()(tmp_path / "removed")  # a folder deleted under a running process: nothing is kept
    gone.put("k5", b"x")
    assert gone.get("k5") is None


def test_the_store_comes_back_after_jaxs_reset_and_leaves_a_users_jax_cache_settings_alone(tmp_path):
    import jax
    from jax._src import compilation_cache as jcc

    from optiviz import compilation_cache as cc

    assert cc.enable() is not None and isinstance(jcc._cache, cc._store_type())
    jcc.reset_cache()  # what JAX's own test utilities do
    cc.enable()
    assert isinstance(jcc._cache, cc._store_type()), "the store is put back, not replaced by JAX's unbounded cache"
    jax.config.update("jax_compilation_cache_max_size", 10**9)  # the user asked for JAX's bounded cache
    try:
        assert cc._install(tmp_path) is False
    finally:
        jax.config.update("jax_compilation_cache_max_size", -1)


def test_a_cache_folder_naming_no_user_is_one_line_naming_the_variable(monkeypatch):
    from optiviz import compilation_cache
    from optiviz.errors import InvalidValueError

    monkeypatch.setenv("OPTIVIZ_CACHE_DIR", "~no-such-user-ov/cache")
    with pytest.raises(InvalidValueError, match="^OPTIVIZ_CACHE_DIR: cannot expand '~no-such-user-ov'"):
        compilation_cache.directory()


def test_no_cache_on_the_command_line(tmp_path):
    env = {**os.environ, "OPTIVIZ_CACHE_DIR": str(tmp_path / "cache"), "OPTIVIZ_NO_CACHE": ""}
    done = subprocess.run([sys.executable, "-m", "optiviz", "plot", "--surface", "bowl", "--optimizers", "gd",
                           "--steps", "5", "--no-cache", "--out", str(tmp_path / "p.png"), "-q"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "p.png").exists() and not (tmp_path / "cache").exists()


# --------------------------------------------------------------------------------------------- engine keys

@pytest.mark.parametrize("seed", [0, 1, 12345, 2**31 - 1, 2**31, 2**32 + 5, 2**40 + 7, 2**63 - 1])
def test_host_keys_equal_jax_keys(seed):
    import jax

    from optiviz._keys import key_data

    assert np.array_equal(key_data(seed), np.asarray(jax.random.key_data(jax.random.PRNGKey(seed))))



def test_initial_weights_are_one_program_and_equal_drawing_op_by_op():
    import jax
    import jax.numpy as jnp

    import optiviz as ov
    from optiviz.nets.models import _init_std

    from optiviz.nets.models import _normals

    before = _normals()._cache_size()
    # depths 2-3 of widths 6-8 (3-4 weight layers of 37-64 numbers at most): one shared program
    for act, width, depth in (("sigmoid", 8, 3), ("relu", 8, 3), ("relu", 7, 2), ("tanh", 6, 3)):
        m = ov.nets.mlp(width, depth, act, in_dim=2, out_dim=1)
        keys = jax.random.split(jax.random.PRNGKey(3), m.n_layers)
        for k, (n_in, n_out), scheme, layer in zip(keys, m.layer_shapes(), m.init_schemes, m.init(3)):
            w = _init_std(scheme, n_in, n_out) * jax.random.normal(k, (n_in, n_out), jnp.float32)
            assert np.array_equal(np.asarray(w), np.asarray(layer.w)) and not np.asarray(layer.b).any()
    assert _normals()._cache_size() - before <= 1
