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
