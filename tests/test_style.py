"""The visual language (``optiviz.render.style``) checked on the figures' data, not on pixels: label lengths,
colour distances, dash patterns and markers, z-orders, axis scales and labels, frame counts, metadata, themes.

Runs are short and pictures small; the engine compiles once per module fixture.
"""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import optiviz as ov
from optiviz import optimizers as opt
from optiviz.errors import InvalidValueError
from optiviz.render import scene as scene_mod
from optiviz.render import style
from optiviz.render.primitives import Overlay, Trace

RACE = ["gd", "adagrad", "rmsprop", "momentum", "adam"]  # the default race


@pytest.fixture(scope="module")
def race():
    return ov.run("ravine", RACE, steps=60)


@pytest.fixture(scope="module")
def bowl_runs():
    # a race that settles well before its budget: adam and momentum on the bowl, 300 steps
    return ov.run("bowl", ["adam", "momentum"], steps=300)


# ------------------------------------------------------------------------------------------------ labels

def test_label_is_name_lr_and_only_changed_hyperparameters():
    assert style.label(opt.spec("adam", lr=0.05)) == "Adam lr 0.05"
    assert style.label(opt.spec("rmsprop", lr=0.01, decay=0.99)) == "RMSProp lr 0.01 decay 0.99"
    assert style.label(opt.spec("rmsprop", lr=0.01, bias_correction=True)) == "RMSProp lr 0.01 bias corr on"
    assert style.label(opt.spec("gd", lr=0.0183)) == "GD lr 0.018"  # two significant figures
    assert style.label(opt.spec("momentum", lr=1.234e-4)) == "Momentum lr 1.2e-4"


def test_label_states_how_the_lr_was_chosen():
    s = opt.spec("adam", lr=0.05)
    assert style.label(s, how="tuned") == "Adam lr 0.05 (tuned)"
    assert style.label(s, how="0.5 of stability limit") == "Adam lr 0.05 (0.5 of stability limit)"


@given(name=st.sampled_from(opt.names()), lr=st.floats(1e-6, 1e3), change=st.booleans())
def test_labels_stay_short(name, lr, change):
    hp = {"lr": lr}
    defaults = opt.get(name).defaults
    other = next((k for k, v in defaults.items() if k != "lr" and isinstance(v, float) and not isinstance(v, bool)),
                 None)
    if change and other is not None:
        hp[other] = 0.5 if defaults[other] != 0.5 else 0.25
    text = style.label(opt.spec(name, **hp))
    assert len(text) <= style.LABEL_MAX
    shown = text.split(" lr ")[1].split(" ")[0]
    assert math.isclose(float(shown), lr, rel_tol=0.05)  # lr to two significant figures
    assert "=" not in text and ("eps" not in text)  # never a dump of every hyperparameter


def test_run_labels_keep_a_chosen_label_and_say_tuned(race):
    runs = ov.run("ravine", {"fast": {"name": "adam", "lr": 0.2}, "gd": {}}, steps=3)
    assert style.run_label(runs["fast"]) == "fast: Adam lr 0.2"
    given = ov.run("ravine", {"gd": {"lr": 0.01}}, steps=3)["gd"]  # an lr the user chose: nothing to state
    assert style.run_label(given) == style.label(given.spec) == "GD lr 0.01"
    t = runs["gd"]  # the surface's suggested lr, a tuned one: the race says so
    t.caption = t.caption.split(" (")[0] + " (tuned: final loss 0.1 after 3 steps)"
    assert style.run_label(t) == style.label(t.spec, "tuned")
    runs2 = ov.run("ravine", {style.label(opt.spec("adam", lr=0.2), "tuned"): "adam:lr=0.2"}, steps=3)
    assert style.run_label(next(iter(runs2.values()))) == "Adam lr 0.2 (tuned)"  # already in the language


# ------------------------------------------------------------------------------------------------ colours

def _lab(hexes, cvd=None):
    colorspacious = pytest.importorskip("colorspacious")
    from matplotlib.colors import to_rgb

    rgb = np.array([to_rgb(h) for h in hexes])
    if cvd is not None:  # Machado et al. (2009) simulation at full severity
        rgb = np.clip(colorspacious.cspace_convert(rgb, {"name": "sRGB1+CVD", "cvd_type": cvd, "severity": 100},
                                                   "sRGB1"), 0, 1)
    return colorspacious.cspace_convert(rgb, "sRGB1", "CIELab")


def _min_delta_e(hexes, cvd=None):
    lab = _lab(hexes, cvd)
    return min(float(np.linalg.norm(a - b)) for a, b in itertools.combinations(lab, 2))


def test_default_race_colours_are_far_apart_in_cielab_also_for_colour_blind_readers():
    colors = style.assign_colors(RACE)
    assert len(set(colors)) == len(RACE)
    assert _min_delta_e(colors) >= 25  # CIE76 delta E; ~2.3 is a just-noticeable difference
    assert _min_delta_e(colors, "deuteranomaly") >= 24
    assert _min_delta_e(colors, "protanomaly") >= 24


def test_every_palette_colour_differs_from_every_other():
    assert _min_delta_e(style.CYCLE) >= 25
    assert _min_delta_e(style.CYCLE, "deuteranomaly") >= 15


def test_each_slot_has_its_own_dashes_and_marker():
    looks = style.assign(RACE + ["lion", "adadelta"])
    assert len({str(lk.dashes) for lk in looks}) == len(looks)
    assert len({lk.marker for lk in looks}) == len(looks)
    assert style.assign(["adam"])[0] == style.assign(["gd", "adam"])[1]  # adam looks the same in every race


# ------------------------------------------------------------------------------------------------ scenes

def test_titles_and_legends_use_short_labels_and_metadata_keeps_the_full_configuration(race):
    sc = ov.animate(race, frames=4, dpi=40, pace=False).scene
    titles = [p.ax.get_title() for p in sc.panels if p.kind == "contour"]
    assert titles == [style.run_label(t) for t in race.values()]
    assert all(len(t) <= style.LABEL_MAX for t in titles)
    loss = next(p.ax for p in sc.panels if p.kind == "loss")
    assert [t.get_text() for t in loss.get_legend().get_texts()] == titles
    meta = style.description(sc.fig)
    assert all(t.caption in meta for t in race.values())  # every hyperparameter, where the file carries it


def test_layers_minima_and_starts_over_heads_over_paths_over_contours(race):
    sc = ov.animate(race, layout="overlay", frames=4, dpi=40, pace=False).scene
    ax = next(p.ax for p in sc.panels if p.kind == "contour")
    traces = [p for p in sc.primitives if isinstance(p, Trace) and p.ax is ax]
    overlay = next(p for p in sc.primitives if isinstance(p, Overlay) and p.ax is ax)
    contour_z = max(c.get_zorder() for c in ax.collections)
    path_z = {tr.line.get_zorder() for tr in traces}
    head_z = {tr.head.get_zorder() for tr in traces}
    mark_z = {a.get_zorder() for a in overlay.artists}
    assert contour_z < min(path_z) and max(path_z) < min(head_z) and max(head_z) < min(mark_z)
    stars = [a for a in overlay.artists if a.get_marker() == "*"]
    assert stars and all(a.get_markerfacecolor() == "none" for a in stars)  # hollow minima
    # sharing one map, the paths differ by dash pattern and marker too, not by colour alone
    assert len({str(t.dashes) for t in sc.tracks}) == len(sc.tracks)
    assert all(tr.line.is_dashed() == (t.dashes != "-") for tr, t in zip(traces, sc.tracks))
    assert len({tr.head.get_marker() for tr in traces}) == len(traces)


def test_fast_frames_with_dashed_paths_equal_a_full_redraw(race):
    from optiviz.render.frames import FrameRenderer

    sc = ov.animate(race, layout="overlay", frames=3, dpi=40, pace=False).scene
    with FrameRenderer(sc) as fr:
        fast = fr.render(1).copy()
    sc.update(1)
    sc.fig.canvas.draw()
    full = np.asarray(sc.fig.canvas.buffer_rgba())
    assert np.mean(np.any(fast != full, axis=-1)) < 0.002  # antialiasing of a few edge pixels at most


def test_loss_panel_plots_the_gap_to_the_known_minimum_on_a_log_axis(race):
    sc = ov.animate(race, frames=2, dpi=40, pace=False).scene
    loss = next(p.ax for p in sc.panels if p.kind == "loss")
    assert loss.get_yscale() == "log"
    assert loss.get_ylabel().startswith("loss − f*")
    fstar = float(race.surface.value(np.array(race.surface.minima[0])))
    sc.update(sc.n_frames - 1)
    tr = next(p for p in sc.primitives if isinstance(p, Trace) and p.ax is loss)
    y = tr.line.get_xydata()[:, 1]
    gap = race["gd"].loss - fstar
    np.testing.assert_allclose(y[gap > 1e-6], gap[gap > 1e-6], rtol=1e-6)


def test_loss_panel_without_a_known_minimum_measures_from_the_best_seen():
    s = ov.surface(domain=((-2, 2), (-2, 2)), start=(1.5, 1.5))(lambda x, y: x ** 2 + y ** 2 + 3.0)
    runs = ov.run(s, ["gd"], steps=5)
    sc = ov.animate(runs, frames=2, dpi=40).scene
    loss = next(p.ax for p in sc.panels if p.kind == "loss")
    assert loss.get_yscale() == "log" and loss.get_ylabel() == "loss − best seen (log scale)"


def test_a_converging_race_ends_early_and_the_counter_shows_the_real_step(bowl_runs):
    sc = ov.animate(bowl_runs, dpi=40).scene
    assert sc.n_frames < 0.5 * bowl_runs.n_steps
    assert sc.frame_steps[0] == 0 and sc.frame_steps[-1] == bowl_runs.n_steps
    assert np.all(np.diff(sc.frame_steps) > 0)
    # nothing visible moves between the last two frames: the jump is over settled paths
    for t in bowl_runs.values():
        a, b = t.path[sc.frame_index[-2]], t.path[sc.frame_index[-1]]
        assert np.linalg.norm(a - b) < 0.01 * 6
    digits = [p for p in sc.primitives if getattr(p, "cacheable", False)]
    sc.update(sc.n_frames - 1)
    assert "".join(p.text.get_text() for p in digits).strip() == str(bowl_runs.n_steps)


def test_paced_frames_respect_the_frame_budget(race):
    tracks = scene_mod.make_tracks(race)
    for budget in (1, 2, 5, 17):
        idx = scene_mod.paced_indices(tracks, race.surface.domain, budget)
        assert 1 <= len(idx) <= budget and idx[-1] == len(race["gd"].steps) - 1
        assert len(idx) == 1 or idx[0] == 0
    with pytest.raises(InvalidValueError):
        scene_mod.paced_indices(tracks, race.surface.domain, 0)


def test_3d_view_clips_the_walls_to_the_height_the_paths_visit(bowl_runs):
    sc = ov.animate(bowl_runs, view="3d", frames=2, dpi=40, loss_panel=False).scene
    ax = next(p.ax for p in sc.panels if p.kind == "3d")
    lo, hi = ax.get_zlim()
    Z = bowl_runs.surface.grid(48, exact=False)[2]
    assert any("walls cut" in t.get_text() for t in ax.texts)  # and the figure says so
    assert hi < 0.7 * np.nanmax(Z)  # the walls far above the paths are cut away
    paths = [p.xy for p in sc.primitives if isinstance(p, Trace) and p.ax is ax]
    assert max(float(np.nanmax(xyz[:, 2])) for xyz in paths) <= hi  # every path stays inside the box


# ------------------------------------------------------------------------------------------------ themes

def test_themes_reach_every_element(race):
    for name in style.STYLES:
        sc = ov.animate(race, frames=2, dpi=40, style=name, pace=False).scene
        th = style.THEMES[name]
        from matplotlib.colors import to_hex

        assert to_hex(sc.fig.get_facecolor()) == to_hex(th.rc["figure.facecolor"])
        ax = sc.panels[0].ax
        assert to_hex(ax.title.get_color()) == to_hex(th.rc["text.color"])
        assert to_hex(ax.xaxis.label.get_color()) == to_hex(th.rc["axes.labelcolor"])
    with pytest.raises(InvalidValueError, match="did you mean 'dark'"):
        ov.animate(race, style="drak")


def test_the_users_style_context_is_respected_unless_a_style_is_named(race):
    import matplotlib as mpl
    from matplotlib.colors import to_hex

    with mpl.rc_context({"text.color": "#123456", "axes.labelcolor": "#123456"}):
        own = ov.animate(race, frames=2, dpi=40, pace=False).scene
        named = ov.animate(race, frames=2, dpi=40, pace=False, style="light").scene
    assert to_hex(own.panels[0].ax.title.get_color()) == "#123456"
    assert to_hex(named.panels[0].ax.title.get_color()) == style.TEXT.lower()


# ------------------------------------------------------------------------------------------------ files

def test_every_format_carries_the_full_configuration(race, tmp_path):
    from PIL import Image

    anim = ov.animate(race, frames=3, dpi=30, pace=False)
    captions = [t.caption for t in race.values()]
    ov.save(anim, tmp_path / "a.png")
    with Image.open(tmp_path / "a.png") as im:
        assert all(c in im.text["Description"] for c in captions)  # PNG text chunk
    ov.save(anim, tmp_path / "a.gif")
    with Image.open(tmp_path / "a.gif") as im:
        assert all(c in im.info["comment"].decode() for c in captions)  # GIF comment extension
        assert im.n_frames == anim.n_frames
    ov.save(anim, tmp_path / "a.html")
    page = (tmp_path / "a.html").read_text()
    assert all(c in page for c in captions)
    ov.save(ov.plot(race, dpi=30), tmp_path / "s.svg")
    assert all(c in (tmp_path / "s.svg").read_text() for c in captions)


def test_cli_style_and_verbose_configuration(tmp_path, capsys):
    from optiviz.cli import main

    out = tmp_path / "p.svg"
    assert main(["plot", "--surface", "bowl", "--optimizers", "gd,adam", "--steps", "5", "--style", "paper",
                 "--dpi", "30", "--out", str(out), "-v"]) == 0
    printed = capsys.readouterr().out
    assert "configuration" in printed and "adam lr=0.1 b1=0.9 b2=0.999 eps=1e-08" in printed
    assert "<text" in out.read_text()  # paper: text stays text in the vector file
    assert main(["plot", "--surface", "bowl", "--style", "drak", "--out", str(out)]) == 2
    assert "did you mean 'dark'" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------------ network figures

def test_activation_panels_share_one_y_scale():
    from optiviz.render import nets as netviz

    fig = netviz.plot_activations(["sigmoid", "tanh", "relu"], dpi=30)
    panels = [ax for ax in fig.axes if ax.get_title()]
    assert len(panels) == 3 and len({ax.get_ylim() for ax in panels}) == 1


def test_weight_histograms_side_by_side_on_shared_axes():
    from optiviz.render import nets as netviz

    rng = np.random.default_rng(0)
    params = {"L1": ((rng.laplace(size=(20, 10)) * 0.01, np.zeros(10)),),
              "L2": ((rng.normal(size=(20, 10)) * 0.3, np.zeros(10)),)}
    fig = netviz.plot_weight_histograms(params, dpi=30)
    axes = [ax for ax in fig.axes if ax.get_title()]
    assert len(axes) == 2 and axes[0].get_xlim() == axes[1].get_xlim() and axes[0].get_ylim() == axes[1].get_ylim()
    assert [ax.get_title().split(":")[0] for ax in axes] == ["L1", "L2"]


def test_linreg_axes_are_w_and_b_and_gd_vs_sgd_is_drawn_against_data_points_seen():
    runs = ov.run("linreg", ["gd", "sgd"], steps=10, batch_size=8, seed=0)
    assert runs.surface.axis_labels == ("w", "b")
    sc = ov.animate(runs, frames=3, dpi=30, samples={"gd": 64, "sgd": 8}).scene
    contour = next(p.ax for p in sc.panels if p.kind == "contour")
    assert (contour.get_xlabel(), contour.get_ylabel()) == ("w", "b")
    loss = next(p.ax for p in sc.panels if p.kind == "loss")
    assert loss.get_xlabel().startswith("data points seen")
    sc.update(sc.n_frames - 1)
    gd, sgd = [p.line.get_xdata() for p in sc.primitives if isinstance(p, Trace) and p.ax is loss]
    assert gd[-1] == 64 * 10 and sgd[-1] == 8 * 10
    with pytest.raises(InvalidValueError, match="samples"):
        ov.animate(runs, frames=3, dpi=30, samples={"gd": 64})


def test_a_dark_page_is_dark_all_over(race, tmp_path):
    ov.save(ov.animate(race, frames=2, dpi=30, style="dark"), tmp_path / "d.html")
    assert f"background:{style.THEMES['dark'].rc['figure.facecolor'].lower()}" in (tmp_path / "d.html").read_text()
