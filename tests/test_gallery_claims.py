"""Every gallery script's claim, asserted by calling the same public functions (recording only what is needed).

Each ``gallery/plot_<stem>.py`` states a claim in its docstring and prints the number behind it; the test
``test_<stem>`` below recomputes that number with the same calls and asserts the claim, so a change that makes
a picture tell a false story fails here, not in front of a class. ``test_every_script_follows_the_conventions``
checks that each script has its test, a title and a lesson, ``# %%`` cells, a ``Claim:`` line, and that it uses
only optiviz's public API.
"""
from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

import optiviz as ov
from optiviz.render.style import run_label

GALLERY = Path(__file__).resolve().parent.parent / "gallery"
SCRIPTS = sorted(GALLERY.glob("plot_*.py"))
ALLOWED_IMPORTS = ("optiviz", "matplotlib", "numpy", "jax")
#: the one submodule import the public API documents (network figures: ``from optiviz.render import nets``)
ALLOWED_FROM_OPTIVIZ = {("optiviz.render", "nets")}


# ---------------------------------------------------------------------------------------------- conventions

def _ov_attribute_chains(tree: ast.AST) -> list[list[str]]:
    """Every attribute chain rooted at the name ``ov``: ``ov.nets.train`` gives ["nets", "train"] (and ["nets"])."""
    chains = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            parts, cur = [], node
            while isinstance(cur, ast.Attribute):
                parts.append(cur.attr)
                cur = cur.value
            if isinstance(cur, ast.Name) and cur.id == "ov":
                chains.append(parts[::-1])
    return chains


def _module_level_values(tree: ast.Module) -> set[int]:
    """ids of the values bound by the script's top-level assignments (``anim = ov.animate(...)``)."""
    return {id(node.value) for node in tree.body if isinstance(node, (ast.Assign, ast.AnnAssign))}


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_every_script_follows_the_conventions(script):
    """Read the way the docs build reads it: sphinx-gallery's own parser gives the title and the cells."""
    from sphinx_gallery.gen_rst import extract_intro_and_title
    from sphinx_gallery.py_source_parser import split_code_and_text_blocks

    from optiviz.gallery import read_script

    source = script.read_text()
    tree = ast.parse(source)
    _, blocks = split_code_and_text_blocks(str(script))
    _, title = extract_intro_and_title(str(script), blocks[0].content)
    assert title == read_script(script)[0] and len(title) < 90, "the docstring's first line is the title"
    assert len(blocks[0].content) > 200 and "The claim" in blocks[0].content, "the docstring explains the lesson"
    kinds = [b.type for b in blocks[1:]]
    assert kinds.count("code") >= 2 and all(a == "text" for a, b in zip(kinds, kinds[1:]) if b == "code"), \
        "cells of code, each opened by prose"
    assert 'print(f"Claim: ' in source or 'print("Claim: ' in source, "the script prints its claim"
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)]
    writes = [ast.unparse(c.func) for c in calls if isinstance(c.func, ast.Attribute)
              and c.func.attr in ("save", "savefig", "write_text", "write_bytes", "to_html")]
    writes += [c.func.id for c in calls if isinstance(c.func, ast.Name) and c.func.id == "open"]
    assert not writes, f"{writes}: a gallery script writes no file (sphinx-gallery runs it in the source folder)"
    bound = _module_level_values(tree)
    for c in calls:  # an animation is captured only when bound to a module-level name, as sphinx-gallery needs
        if isinstance(c.func, ast.Attribute) and c.func.attr.startswith("animate"):
            assert id(c) in bound, f"line {c.lineno}: bind the animation to a module-level name"
    stem = script.stem[len("plot_"):]
    assert f"test_{stem}" in globals(), f"tests/test_gallery_claims.py has no test_{stem}"
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
            if (node.module or "").startswith("optiviz"):
                for alias in node.names:
                    assert (node.module, alias.name) in ALLOWED_FROM_OPTIVIZ, \
                        f"from {node.module} import {alias.name}: use `import optiviz as ov`, then ov.<name>"
        else:
            continue
        for name in names:
            assert name.split(".")[0] in ALLOWED_IMPORTS, f"{script.name} imports {name}"
    for chain in _ov_attribute_chains(tree):
        assert chain[0] in ov.__all__, f"ov.{'.'.join(chain)} is not public API"
        assert not any(part.startswith("_") for part in chain), f"ov.{'.'.join(chain)} uses a private name"


def test_the_gallery_header_lists_every_script_once():
    from optiviz.gallery import read_header

    order = read_header(GALLERY).order
    assert sorted(order) == sorted(p.stem for p in SCRIPTS) and len(set(order)) == len(order)


def test_every_test_has_its_script():
    stems = {p.stem[len("plot_"):] for p in SCRIPTS}
    tests = {name[len("test_"):] for name in globals() if name.startswith("test_")} - {
        "every_script_follows_the_conventions", "every_test_has_its_script",
        "the_gallery_header_lists_every_script_once"}
    assert tests == stems


# ------------------------------------------------------------------------------------------- surface lessons

FIVE = ["gd", "momentum", "adagrad", "rmsprop", "adam"]


def test_ravine_race():
    runs = ov.run("ravine", FIVE, steps=300, tol=1e-3, record="final")
    for label in ["momentum", "adagrad", "rmsprop", "adam"]:
        assert runs[label].reached_at is not None and runs[label].reached_at < 100, label
    assert runs["gd"].reached_at is None and float(runs["gd"].final_loss) > 1e-2


def test_adagrad_vs_rmsprop(quick_lesson):
    r = quick_lesson("adagrad_vs_rmsprop")  # the script shows the registry's claim
    assert r.holds and r.measured["min_rmsprop_recovery"] > 10
    runs = ov.run("steep_then_flat", ["adagrad", "rmsprop"], steps=300, tol=1e-2, internals=True)
    assert all(run_label(t).endswith("(tuned)") for t in runs.values())
    eff = {k: np.abs(t.updates[:, 0]) / np.maximum(np.abs(t.grads[:, 0]), 1e-30) for k, t in runs.items()}
    assert eff["adagrad"][100] < eff["adagrad"][0] and eff["rmsprop"][100] > 10 * eff["rmsprop"][0]


def _nearest_minimum(surface, points):
    minima = np.array(surface.minima)
    return np.argmin(np.linalg.norm(np.asarray(points)[..., None, :] - minima, axis=-1), axis=-1)


def test_momentum_escape(quick_lesson):
    r = quick_lesson("momentum_escapes")
    assert r.holds and r.measured["momentum"] > r.measured["gd"]
    surface = ov.load_surface("local_minima")
    band = np.array([row["lr"] for row in r.rows if row["in_band"]])
    ends = ov.run(surface, ["gd", "momentum"], lrs=band, steps=300, record="final")
    glob = np.array(surface.minima[0])
    escapes = [(np.linalg.norm(ends["momentum"].final[i] - glob) < 0.05) and
               (np.linalg.norm(ends["gd"].final[i] - glob) > 0.05) for i in range(len(band))]
    assert any(escapes), "from the surface's start, some in-band lr shows the lesson"


def test_saddle_and_plateau(quick_lesson):
    for name in ("saddle_slows_gd", "plateau_stalls_gd"):
        assert quick_lesson(name).holds, name
    saddle = ov.run("saddle", ["gd", "momentum", "rmsprop", "adam"], steps=200, tol=1e-2)
    assert all(run_label(t).endswith("(tuned)") and t.reached_at is not None for t in saddle.values())


def test_sgd_vs_gd_linreg():
    surface = ov.load_surface("linreg")
    runs = ov.run(surface, ["gd", "sgd"], steps=300, batch_size=8, seed=0)
    best = float(surface.value(np.array(surface.minima[0])))
    first = {k: int(np.nonzero(r.loss <= best + 0.05)[0][0]) for k, r in runs.items()}
    assert first["sgd"] * 8 < first["gd"] * 64  # data points touched to come within 0.05
    tail = {k: float(np.mean(r.loss[-100:]) - best) for k, r in runs.items()}
    assert tail["sgd"] > 0.005 and tail["gd"] < 1e-4


def test_learning_rates():
    surface = ov.load_surface("bowl", condition=10.0)
    rates = {"too small": 0.005, "right": 0.09, "too large": 0.098, "diverges": 0.11}
    runs = ov.run(surface, {k: {"name": "gd", "lr": v} for k, v in rates.items()}, steps=150, record="final")
    assert runs["diverges"].diverged_at is not None
    assert all(runs[k].diverged_at is None for k in ["too small", "right", "too large"])
    loss = {k: float(r.final_loss) for k, r in runs.items()}
    assert loss["right"] < 1e-10 < loss["too large"] < 1e-2 < loss["too small"]


def test_schedules():
    surface = ov.load_surface("linreg")
    steps, lr = 400, 0.15
    schedules = {"constant": lr, "exponential": ov.schedule("exponential", lr=lr, decay_rate=0.99),
                 "inverse_sqrt": ov.schedule("inverse_sqrt", lr=lr),
                 "cosine": ov.schedule("cosine", lr=lr, steps=steps)}
    runs = ov.run(surface, {k: {"name": "sgd", "lr": s} for k, s in schedules.items()}, steps=steps,
                  batch_size=4, seed=1)
    best = float(surface.value(np.array(surface.minima[0])))
    excess = {k: float(np.mean(r.loss[-50:]) - best) for k, r in runs.items()}
    for k in ["exponential", "inverse_sqrt", "cosine"]:
        assert excess[k] * 3 < excess["constant"], k


def test_tuned_comparison():
    surface = ov.load_surface("steep_then_flat")
    shared = ov.run(surface, {n: {"lr": 0.05} for n in FIVE}, steps=200, record="final",
                    how=dict.fromkeys(FIVE, "one lr shared by all"))
    tuned_lrs = ov.tune(surface, FIVE, steps=200)
    tuned = ov.run(surface, [t.spec for t in tuned_lrs.values()], steps=200, record="final")

    def ranking(runs):
        return sorted(runs, key=lambda k: float(runs[k].final_loss))

    assert ranking(shared) != ranking(tuned)
    assert run_label(shared["gd"]).endswith("(one lr shared by all)")
    assert all(surface.lr[n] == float(f"{t.lr:.3g}") for n, t in tuned_lrs.items())


def test_basins():
    surface = ov.load_surface("local_minima")
    (x0, x1), (y0, y1) = surface.domain
    X, Y = np.meshgrid(np.linspace(x0, x1, 40), np.linspace(y0, y1, 40))
    grid = np.column_stack([X.ravel(), Y.ravel()])
    runs = ov.run(surface, {n: {"lr": 0.01} for n in ("gd", "momentum", "adam")}, starts=grid, steps=300,
                  record="final")
    basin = {k: _nearest_minimum(surface, r.final) for k, r in runs.items()}
    left, right = grid[:, 0] < -0.127, grid[:, 0] > -0.127
    assert np.mean(basin["gd"][left] == 0) == 0 and np.mean(basin["adam"][left] == 0) == 0
    assert np.mean(basin["momentum"][left] == 0) > 0.2
    assert np.mean(basin["gd"][right] == 1) == 0 and np.mean(basin["momentum"][right] == 1) > 0.1


def test_sgd_seeds():
    surface = ov.load_surface("bowl", condition=10.0)
    runs = ov.run(surface, {"a": {"name": "sgd", "lr": 0.04}, "b": {"name": "sgd", "lr": 0.01}}, steps=400,
                  seeds=64, noise=1.0, record="final")
    spread = {k: float(np.sqrt(np.mean(np.sum(r.final**2, axis=-1)))) for k, r in runs.items()}

    def predicted(lr):
        return np.sqrt(sum(lr / (h * (2 - lr * h)) for h in (2.0, 20.0)))

    assert spread["a"] == pytest.approx(predicted(0.04), rel=0.25)
    assert spread["b"] == pytest.approx(predicted(0.01), rel=0.25)
    assert 1.6 < spread["a"] / spread["b"] < 2.6


def test_internals():
    runs = ov.run("ravine", {"gd": {"lr": 0.018}, "momentum": {"lr": 0.015}, "adam": {"lr": 0.1}}, steps=120,
                  internals=True, how={"gd": "0.9 of its stability limit"})
    eff = {k: np.abs(r.updates[20]) / np.abs(r.grads[20]) for k, r in runs.items()}  # per coordinate
    ratio = {k: float(e[0] / e[1]) for k, e in eff.items()}
    assert ratio["gd"] == pytest.approx(1.0, rel=1e-5)
    assert ratio["adam"] > 100 and ratio["momentum"] > 1
    assert run_label(runs["gd"]).endswith("(0.9 of its stability limit)")


def test_3d_view():
    surface = ov.load_surface("local_minima")
    runs = ov.run(surface, {"gd": {"lr": 0.006}, "momentum": {"lr": 0.006}}, steps=200)
    assert np.any(runs["momentum"].path[:, 0] > -0.127) and runs["momentum"].final[0] > 1
    assert np.max(np.diff(runs["momentum"].loss)) > 0.01  # it climbs the ridge
    assert np.max(np.diff(runs["gd"].loss)) <= 0 and runs["gd"].final[0] < -0.127
    barrier = float(surface(-0.127, 0.0) - surface(*surface.minima[1]))
    assert barrier == pytest.approx(0.55, abs=0.01)


def test_custom_surface():
    surface = ov.load_surface(f"{GALLERY / 'my_surfaces.py'}:bump")
    assert surface.title == "A bowl with a bump in the way"
    runs = ov.run(surface, {"gd": {"lr": 0.02}, "adam": {"lr": 0.05}}, steps=300)
    straight = float(np.linalg.norm(np.array(surface.minima[0]) - np.array(surface.start)))
    length = float(np.sum(np.linalg.norm(np.diff(runs["gd"].path, axis=0), axis=1)))
    assert length > 1.1 * straight
    assert np.linalg.norm(runs["gd"].final - np.array(surface.minima[0])) < 1e-2


# ------------------------------------------------------------------------------------------- network lessons

def test_activations():
    z = np.linspace(-8, 8, 1601)
    sig = np.asarray(ov.activation("sigmoid").derivative(z))
    assert sig.max() == pytest.approx(0.25, abs=1e-6) and sig[np.abs(z) > 5].max() < 0.01
    assert np.asarray(ov.activation("tanh").derivative(z)).max() == pytest.approx(1.0, abs=1e-6)
    assert set(np.unique(np.asarray(ov.activation("relu").derivative(z))).tolist()) == {0.0, 1.0}


def test_vanishing_gradients():
    ratio = {}
    for name in ["sigmoid", "relu", "maxout"]:
        g = ov.nets.layer_grad_norms(name, depth=8, width=32, seed=0)
        ratio[name] = g[0] / g[-1]
    assert ratio["sigmoid"] < 1e-4
    assert 0.1 < ratio["relu"] < 10 and 0.1 < ratio["maxout"] < 10


def test_l1_vs_l2():
    data = ov.nets.dataset("moons", n=200, noise=0.15, seed=0)
    model = ov.nets.mlp(width=32, depth=2, activation="relu")
    runs = ov.nets.train(model, data, "adam:lr=0.01", 1500, l1=[3e-3, 0.0], l2=[0.0, 3e-3], labels=["L1", "L2"],
                         keep_path=False, every=1500)
    sparse = {k: ov.nets.near_zero_fraction(h.params, tol=1e-2) for k, h in runs.items()}
    assert sparse["L1"] > 0.8 and sparse["L2"] < sparse["L1"] - 0.2
    assert abs(float(runs["L1"].test_acc[-1]) - float(runs["L2"].test_acc[-1])) < 0.1


def test_dropout(quick_lesson):
    r = quick_lesson("dropout_reduces_overfitting")
    assert r.holds and r.measured["test_loss_improvement"] > 0  # the test loss, not only the gap
    assert r.measured["ensemble_error_linear"] < 1e-5 < r.measured["ensemble_error"]["relu"]


def test_linear_network(quick_lesson):
    r = quick_lesson("linear_without_activations")
    assert r.holds and r.measured["linear_best_acc"] <= 0.75 and r.measured["relu_min_acc"] >= 0.95


def test_deep_sigmoid(quick_lesson):
    r = quick_lesson("deep_sigmoid_trains_worse")
    acc = r.measured["best_train_acc"]
    assert r.holds and acc["sigmoid"][max(acc["sigmoid"])] < acc["sigmoid"][min(acc["sigmoid"])] - 0.2
    g = quick_lesson("sigmoid_gradients_vanish")
    assert g.holds and max(g.measured["grad_ratio_peak"].values()) < 1


def test_relu_regions(quick_lesson):
    r = quick_lesson("relu_piecewise_linear")
    assert r.holds and min(r.measured["sub_networks"].values()) >= 2


def test_maxout(quick_lesson):
    r = quick_lesson("maxout_generalizes_relu")
    assert r.holds and 0 < r.measured["pieces_win"] <= 1


def test_early_stopping(quick_lesson):
    r = quick_lesson("early_stopping")
    assert r.holds and r.measured["held_out_gain"] > 0


def test_diagnose(quick_lesson):
    r = quick_lesson("diagnose_train_then_test")
    assert r.holds and r.measured["correct"] > r.measured["correct_old_rule"]


def test_decision_boundary():
    data = ov.nets.dataset("spiral", n=300, noise=0.05, seed=0)
    models = [ov.nets.mlp(width=32, depth=2, activation=a) for a in ("relu", "tanh")]
    runs = ov.nets.train(models, data, "adam:lr=0.01", 2000, every=2000, keep_path=False, labels=["relu", "tanh"])
    for h in runs.values():
        assert float(h.test_acc[0]) < 0.65 and float(h.test_acc[-1]) > 0.8, h.label


def test_network_landscape():
    data = ov.nets.dataset("moons", n=200, noise=0.1, seed=0)
    model = ov.nets.mlp(width=8, depth=2, activation="tanh")
    runs = ov.nets.train(model, data, {"sgd": "sgd:lr=0.3", "momentum": "momentum:lr=0.05", "adam": "adam:lr=0.02"},
                         400, every=4, keep_path=True)
    land = ov.nets.landscape(runs, plane="pca", n=5)  # the plane does not depend on the grid
    assert float(land.explained.sum()) > 0.8
    final = {k: float(h.train_loss[-1]) for k, h in runs.items()}
    assert min(final, key=final.get) == "adam"


def test_adam_ablation(quick_lesson):
    r = quick_lesson("adam_is_rmsprop_momentum")
    assert r.holds and r.measured["max_difference"] < 1e-5
    best = r.measured["side_by_side"]["ravine"]
    assert best["adam"]["steps"] > 0 and best["rmsprop_momentum"]["steps"] > 0


def test_l1_l2_geometry(quick_lesson):
    r = quick_lesson("l1_vs_l2_geometry")
    assert r.holds
    lo, hi = r.measured["band_gd"]
    lr = (lo * hi) ** 0.5
    l1 = ov.run(ov.lessons.penalized_surface("l1"), {"gd": {"lr": lr}}, steps=3000, record="final")
    l2 = ov.run(ov.lessons.penalized_surface("l2"), {"gd": {"lr": lr}}, steps=3000, record="final")
    assert abs(float(l1["gd"].final[1])) <= 0.025 < 0.1 <= abs(float(l2["gd"].final[1]))
