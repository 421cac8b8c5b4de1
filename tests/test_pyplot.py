"""optiviz in the matplotlib world: pyplot-managed figures and animations, Jupyter's display.

Small runs and low dpi: every test draws a few small pictures. Pixels are checked only where the behaviour is
about pixels (a blank ``plt.savefig``); the rest is checked on figures, artists and bytes.
"""
from __future__ import annotations

import io
import sys

import matplotlib.pyplot as plt
import numpy as np
import pytest

import optiviz as ov
from optiviz.cli import main

SMALL = dict(frames=4, dpi=30, pace=False)


@pytest.fixture(scope="module")
def runs():
    return ov.run("ravine", ["gd", "adam:lr=0.1"], steps=12)


def _png_pixels(data: bytes) -> np.ndarray:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert("RGB"))


def test_plt_savefig_after_plot_writes_the_figure(runs):
    fig = ov.plot(runs, dpi=30)
    assert fig.number in plt.get_fignums() and plt.gcf() is fig
    buf = io.BytesIO()
    plt.savefig(buf, format="png")  # pyplot's current figure is the one ov.plot drew
    px = _png_pixels(buf.getvalue())
    assert px.shape[:2] == (round(fig.get_figheight() * 30), round(fig.get_figwidth() * 30))
    # not blank: the contour map and the paths put many colours on the page
    assert len(np.unique(px.reshape(-1, 3), axis=0)) > 50
    plt.close(fig)
    assert fig.number not in plt.get_fignums()


def test_animation_is_pyplot_managed_and_shows_the_whole_race_at_rest(runs):
    anim = ov.animate(runs, **SMALL)
    assert anim.fig.number in plt.get_fignums() and anim._fig is anim.fig  # what sphinx-gallery matches
    sc = anim.scene
    paths = [p for p in sc.primitives if type(p).__name__ == "Trace"]
    # at rest the figure shows the last frame: plt.savefig / a notebook still show the full paths
    assert all(len(p.line.get_xdata()) == p.counts[-1] for p in paths)


def test_repr_mimebundle_carries_a_png_still_and_the_player(runs):
    anim = ov.animate(runs, **SMALL)
    num = anim.fig.number
    bundle = anim._repr_mimebundle_()
    assert set(bundle) == {"text/html", "image/png"}
    assert bundle["image/png"].startswith(b"\x89PNG\r\n\x1a\n")
    px = _png_pixels(bundle["image/png"])
    assert px.shape[:2] == anim.fig.canvas.get_width_height()[::-1]
    assert "<script" in bundle["text/html"] and "optiviz-player" in bundle["text/html"]
    # the display took the figure over: the inline backend will not show it again as a second still
    assert num not in plt.get_fignums()
    only = anim._repr_mimebundle_(include={"image/png"})
    assert set(only) == {"image/png"} and only["image/png"] == bundle["image/png"]
    assert "optiviz-player" in anim._repr_html_()


def test_a_writer_name_takes_the_fast_path(runs, tmp_path, monkeypatch):
    """sphinx-gallery saves animations with ``anim.save(path, writer="ffmpeg" or "imagemagick", dpi=...)``."""
    anim = ov.animate(runs, **SMALL)
    from matplotlib.animation import FuncAnimation

    def slow(*a, **k):
        raise AssertionError("matplotlib's full-redraw save was used")

    monkeypatch.setattr(FuncAnimation, "save", slow)
    for writer in ("imagemagick", "ffmpeg", "pillow", None):
        out = anim.save(tmp_path / "a.gif", writer=writer, dpi=20)
        assert out.read_bytes().startswith(b"GIF89a")


def test_the_command_line_leaves_no_figure_in_pyplot(tmp_path, capsys):
    plt.close("all")
    assert main(["plot", "--surface", "ravine", "--optimizers", "gd", "--steps", "5", "--dpi", "30", "--quiet",
                 "--out", str(tmp_path / "p.png")]) == 0
    assert main(["animate", "--surface", "ravine", "--optimizers", "gd", "--steps", "5", "--frames", "3",
                 "--dpi", "30", "--quiet", "--out", str(tmp_path / "a.gif")]) == 0
    assert (tmp_path / "p.png").stat().st_size > 0 and (tmp_path / "a.gif").stat().st_size > 0
    assert plt.get_fignums() == []


def test_unmanaged_figures_stay_outside_pyplot(runs):
    plt.close("all")
    with ov.render.unmanaged():
        anim = ov.animate(runs, **SMALL)
        fig = ov.plot(runs, dpi=30)
    assert plt.get_fignums() == []
    assert anim._repr_mimebundle_()["image/png"].startswith(b"\x89PNG")
    assert fig._repr_png_().startswith(b"\x89PNG")  # shows itself in Jupyter without pyplot
    assert isinstance(ov.plot(runs, dpi=30).number, int)  # outside the block: pyplot's again


def test_unmanaged_is_per_thread():
    """The playground renders in worker threads: a thread's unmanaged block leaves other threads' figures alone."""
    import threading

    inside, outside = threading.Event(), threading.Event()
    seen = {}

    def worker():
        with ov.render.unmanaged():
            inside.set()
            outside.wait(5)
            seen["worker"] = ov.render.scene.managed()

    t = threading.Thread(target=worker)
    t.start()
    inside.wait(5)
    seen["main"] = ov.render.scene.managed()
    outside.set()
    t.join(5)
    assert seen == {"main": True, "worker": False}


def test_fig_show_and_plt_show_do_not_raise(runs):
    fig = ov.plot(runs, dpi=30)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Agg: "non-interactive, cannot be shown"
        fig.show()
        plt.show()
    assert "matplotlib.pyplot" in sys.modules


# ------------------------------------------------------------------------------------------ conventions

def _paths(scene):
    return [p for p in scene.primitives if type(p).__name__ == "Trace"]


def test_every_path_is_labelled_with_its_run(runs):
    fig = ov.plot(runs, layout="overlay", dpi=30)
    want = [ov.render.style.run_label(t) for t in runs.values()]
    for ax in fig.axes:
        handles, labels = ax.get_legend_handles_labels()
        assert not any(lb.startswith("_child") for lb in labels)
        if labels:  # the map and the loss panel (the colorbar has none)
            assert labels == want
    leg = fig.axes[0].legend()  # a user's own legend() call finds the paths
    assert [t.get_text() for t in leg.get_texts()] == want
    ov.plot(runs, dpi=30)  # a grid: pyplot's current axes is the loss panel (every run), not the colorbar
    assert [t.get_text() for t in plt.legend().get_texts()] == want


def test_ax_draws_the_overlay_into_the_given_axes_and_returns_it(runs):
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(6, 3), dpi=30)
    assert ov.plot(runs, ax=ax1) is ax1
    assert not ax0.lines and len(ax1.lines) >= 2 * len(runs)
    assert ax1.get_legend_handles_labels()[1] == [ov.render.style.run_label(t) for t in runs.values()]
    assert plt.get_fignums() == [fig.number]  # no figure of its own
    anim = ov.animate(runs, ax=ax0, **SMALL)
    assert anim.fig is fig and {p.line.axes for p in _paths(anim.scene)} == {ax0}
    with pytest.raises(ov.errors.InvalidValueError, match="not both"):
        ov.plot(runs, ax=ax0, fig=fig)


def test_fig_takes_a_subfigure_for_the_whole_scene(runs, tmp_path):
    root = plt.figure(figsize=(9, 3), dpi=30, layout="constrained")
    left, right = root.subfigures(1, 2)
    other = right.add_subplot()
    assert ov.plot(runs, fig=left) is left
    assert other in root.axes and len(left.axes) == len(runs) + 2  # a panel per run, the loss panel, the colorbar
    assert plt.get_fignums() == [root.number]
    anim = ov.animate(runs, fig=left, **SMALL)
    assert anim.fig is root and anim.dpi == 30  # the root figure, at its own dpi
    assert ov.save(anim, tmp_path / "sub.gif", quiet=True).stat().st_size > 0
    with pytest.raises(ov.errors.InvalidValueError, match="size"):
        ov.plot(runs, fig=left, size=(4, 3))


def test_cmap_changes_the_map(runs):
    house = ov.plot(runs, layout="overlay", loss_panel=False, dpi=30)
    magma = ov.plot(runs, layout="overlay", loss_panel=False, dpi=30, cmap="magma")
    assert magma._optiviz_contourf.get_cmap().name == "magma"
    assert house._optiviz_contourf.get_cmap().name != "magma"
    a, b = (np.asarray(_png_pixels(_png(x.figure)), float) for x in (house, magma))
    assert np.abs(a - b).mean() > 5  # the map is most of the picture
    with plt.rc_context({"image.cmap": "cividis"}):  # the user's default colormap
        assert ov.plot(runs, layout="overlay", loss_panel=False, dpi=30)._optiviz_contourf.get_cmap().name == "cividis"
    with pytest.raises(ov.errors.InvalidValueError, match="colormap"):
        ov.plot(runs, cmap="magmaa")


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def test_a_style_context_is_applied_whole(runs):
    from matplotlib.colors import to_hex

    with plt.style.context("dark_background"):
        fig = ov.plot(runs, layout="overlay", dpi=30)
    px = _png_pixels(_png(fig))
    assert px[2, 2].max() < 30  # the page is dark
    ax = fig.axes[0]
    ramp = ax._optiviz_contourf.get_cmap()
    assert max(ramp(0.0)[:3]) < 0.6 and max(ramp(1.0)[:3]) < 0.2  # the map is dark too, not the light ramp
    dark_cycle = plt.style.library["dark_background"]["axes.prop_cycle"].by_key()["color"]
    assert _paths_colors(fig) == [c.lower() for c in dark_cycle[:len(runs)]]  # the style's own line colours
    # every text on the page is the style's (white): the figure's own legends and the tick labels too
    legends = [lg for lg in [*fig.legends, *(a.get_legend() for a in fig.axes)] if lg is not None]
    assert legends and {to_hex(t.get_color()) for lg in legends for t in lg.get_texts()} == {"#ffffff"}
    assert {to_hex(t.get_color()) for t in ax.get_xticklabels() + ax.get_yticklabels()} == {"#ffffff"}
    light = ov.plot(runs, layout="overlay", dpi=30)  # outside: the house look, its colour-blind-safe palette
    assert _png_pixels(_png(light))[2, 2].min() > 225
    assert _paths_colors(light) == [c.lower() for c in ov.render.style.assign_colors(["gd", "adam"])]


def _paths_colors(fig) -> list[str]:
    from matplotlib.colors import to_hex

    h, _ = fig.axes[0].get_legend_handles_labels()
    return [to_hex(line.get_color()) for line in h]


def test_line_width_and_prop_cycle_from_rcparams(runs):
    from cycler import cycler

    with plt.rc_context({"lines.linewidth": 3.8, "axes.prop_cycle": cycler(color=["#111111", "#222222"])}):
        fig = ov.plot(runs, layout="overlay", dpi=30)
    h, _ = fig.axes[0].get_legend_handles_labels()
    assert [line.get_linewidth() for line in h] == [3.8, 3.8]  # alone: the main path width, as the user set it
    assert _paths_colors(fig) == ["#111111", "#222222"]


def test_network_figures_take_ax_and_fig():
    from optiviz.render import nets as netviz

    fig, ax = plt.subplots(dpi=30)
    assert netviz.plot_grad_norms({"a": [1.0, 0.5, 0.1], "b": [1.0, 1.0, 1.0]}, ax=ax) is ax
    assert [lb.split(":")[0] for lb in ax.get_legend_handles_labels()[1]] == ["a", "b"]
    root = plt.figure(figsize=(8, 3), dpi=30, layout="constrained")
    sub = root.subfigures(1, 2)[1]
    assert netviz.plot_activations(["relu", "tanh"], n=21, fig=sub) is sub and len(sub.axes) == 2
    assert plt.get_fignums() == [fig.number, root.number]


def test_a_notebook_shows_an_animation_once_with_its_png_still():
    """In a real kernel with the inline backend: a displayed animation is one output carrying the player and a
    PNG still (no second still from pyplot at the end of the cell); one built and not displayed shows as a still,
    like any pyplot figure. Needs a Jupyter kernel (ipykernel, nbclient), which the test extra does not install."""
    nbformat = pytest.importorskip("nbformat", reason="needs nbformat, nbclient and ipykernel (not test deps)")
    nbclient = pytest.importorskip("nbclient", reason="needs nbformat, nbclient and ipykernel (not test deps)")
    pytest.importorskip("ipykernel", reason="needs nbformat, nbclient and ipykernel (not test deps)")
    cells = ["%matplotlib inline\nimport optiviz as ov\nruns = ov.run('ravine', ['gd', 'adam'], steps=12)",
             "anim = ov.animate(runs, frames=3, dpi=30)\nanim",
             "built = ov.animate(runs, frames=3, dpi=30)"]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3").execute()
    shown = [o for o in nb.cells[1].outputs if "data" in o]
    assert len(shown) == 1 and {"text/html", "image/png"} <= set(shown[0]["data"])
    stills = [o for o in nb.cells[2].outputs if "data" in o]
    assert len(stills) == 1 and set(stills[0]["data"]) == {"image/png", "text/plain"}


def test_frames_are_drawn_on_agg_whatever_canvas_the_figure_has(runs, tmp_path):
    """A figure shown by another backend (a GUI window, a vector backend) is rendered on an Agg canvas of the
    renderer's own, and gets its canvas back."""
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from PIL import Image

    anim = ov.animate(runs, **SMALL)
    svg = FigureCanvasSVG(anim.fig)
    with Image.open(ov.save(anim, tmp_path / "a.gif", quiet=True)) as im:
        assert im.n_frames == anim.n_frames
    assert anim.fig.canvas is svg
    assert anim.to_png().startswith(b"\x89PNG") and anim.fig.canvas is svg
