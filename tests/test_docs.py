"""The docs site's gallery, built by the real Sphinx and sphinx-gallery from ``gallery/`` on two examples.

The configuration is ``docs/conf.py`` itself with only ``filename_pattern`` narrowed (the other examples are
rendered without being run), so this checks what ``python3 dev.py docs`` does: each example's picture is captured,
an animation is captured as one, the build has no warning (``-W``), and the source folder is left as it was.
"""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GALLERY = ROOT / "gallery"
#: a pyplot figure, and an animation whose script imports a module next to it (my_surfaces.py)
EXAMPLES = ("plot_basins", "plot_custom_surface")


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    pytest.importorskip("sphinx_gallery", reason="the docs extra (python3 dev.py test installs it)")
    src = tmp_path_factory.mktemp("docs")
    (src / "conf.py").write_text(textwrap.dedent(f"""\
        import runpy
        globals().update((k, v) for k, v in runpy.run_path({str(ROOT / "docs" / "conf.py")!r}).items()
                         if not k.startswith("__"))
        extensions = ["sphinx_gallery.gen_gallery", "sphinx.ext.mathjax", "gallery_images", "optimizer_reference"]
        sphinx_gallery_conf = {{**sphinx_gallery_conf, "filename_pattern": r"/({"|".join(EXAMPLES)})\\.py$"}}
        """))
    (src / "index.rst").write_text("Two examples\n============\n\n.. toctree::\n\n   auto_examples/index\n   optimizers\n")
    # the API reference's named optimizers (docs/_ext/optimizer_reference.py), without autodoc's whole API
    (src / "optimizers.rst").write_text("Named optimizers\n================\n\n.. optiviz-optimizers::\n")
    before = _snapshot(GALLERY)
    done = subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-W", "--keep-going", "-q", str(src),
                           str(src / "_build")], capture_output=True, text=True, cwd=src, timeout=600)
    return src, done, before


def test_the_build_has_no_warning_and_leaves_the_source_folder_as_it_was(site):
    src, done, before = site
    assert done.returncode == 0 and "WARNING" not in done.stderr, done.stderr[-3000:]
    assert _snapshot(GALLERY) == before, "the build wrote into gallery/"
    times = (src / "auto_examples" / "sg_execution_times.rst").read_text()
    assert all(f"{name}.py" in times for name in EXAMPLES)


def test_each_example_captured_its_picture_and_the_animation_is_one(site):
    src, done, _ = site
    images = src / "auto_examples" / "images"
    assert (images / "sphx_glr_plot_basins_001.png").is_file()
    basins = (src / "auto_examples" / "plot_basins.rst").read_text()
    assert "sphx_glr_plot_basins_001.png" in basins and "PosixPath" not in basins
    custom = (src / "auto_examples" / "plot_custom_surface.rst").read_text()
    assert "sphx-glr-animation" in custom, "the animation was not captured"
    assert (images / "sphx_glr_plot_custom_surface_001.gif").is_file()
    page = (src / "_build" / "auto_examples" / "plot_custom_surface.html").read_text()
    assert "Claim: the straight line to the minimum" in page and "PosixPath" not in page


def test_the_named_optimizers_update_equations_render_as_math(site):
    src, done, _ = site
    page = (src / "_build" / "optimizers.html").read_text()
    adam = page[page.index('id="optiviz.optimizers.adam"'):page.index('id="optiviz.optimizers.adamax"')]
    assert 'class="math' in adam and r"\hat{m}_t" in adam and r"\sqrt{\hat{v}_t}" in adam
    assert "<code" in adam and "|g|" in adam  # the docstring's bare |g| kept, as a literal
