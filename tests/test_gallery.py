"""The gallery builder, on a tiny gallery folder: one script that works, one that fails.

The scripts here use matplotlib only (no JAX), so a whole build takes about a second per script. The headless
Chromium test opens the generated pages and checks that every image decodes and every link names a file.
"""
from __future__ import annotations

import contextlib
import html
import io
import json
import os
import re
import shutil
import signal
import subprocess
import textwrap
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

import pytest

from optiviz import gallery
from optiviz.cli import main
from optiviz.errors import InvalidValueError

OK_SCRIPT = '''\
"""A small figure
================

The lesson: x squared has area one third on [0, 1], and `np.trapezoid` agrees.
"""
# %%
# Draw the curve.
import matplotlib.pyplot as plt
import numpy as np

fig, ax = plt.subplots(figsize=(3, 2), dpi=60)
x = np.linspace(0, 1, 50)
ax.plot(x, x**2 + 0.01 * np.random.rand(50))  # the builder fixes NumPy's global seed, so this is reproducible

# %%
# Report the number.
print(f"Claim: the area under x^2 is {np.trapezoid(x**2, x):.3f}")
plt.show()
'''

BAD_SCRIPT = '''\
"""A script that fails"""
x = 1
y = x / 0
'''


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


def _cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """The tiny gallery built once through the command line: (src, out, exit code, stdout, stderr)."""
    root = tmp_path_factory.mktemp("gallery")
    src = root / "src"
    _write(src, "plot_ok.py", OK_SCRIPT)
    _write(src, "plot_bad.py", BAD_SCRIPT)
    _write(src, "helper.py", "raise RuntimeError('not a plot_ script: never run')\n")
    out = root / "out"
    code, stdout, stderr = _cli("gallery", "--src", str(src), "--out", str(out), "--jobs", "2")
    return src, out, code, stdout, stderr


def test_failing_script_is_reported_in_one_line_and_the_rest_still_builds(tiny):
    src, out, code, stdout, stderr = tiny
    assert code == 1
    lines = [ln for ln in (stdout + stderr).splitlines() if "plot_bad.py" in ln and "FAIL" in ln]
    assert len(lines) == 1 and "line 3: ZeroDivisionError: division by zero" in lines[0]
    assert "gallery: error: plot_bad.py: line 3: ZeroDivisionError" in stdout + stderr
    assert re.search(r"ok\s+plot_ok\.py\s+\d+\.\d s\s+ok\.png", stdout)
    assert re.search(r"1 built, 1 failed, \d+\.\d s in total", stdout)
    assert "Traceback" in (out / "_failed" / "plot_bad.log").read_text()
    assert not (out / "plot_bad").exists() and not (out / "plot_bad.html").exists()
    assert not (out / "helper").exists()
    assert not list(out.glob(".build-*")) and not list(out.rglob("*.tmp"))


def test_ok_script_gives_picture_thumbnail_page_and_caption(tiny):
    src, out, *_ = tiny
    from PIL import Image

    files = sorted(p.name for p in (out / "plot_ok").iterdir())
    assert files == ["meta.json", "ok.png", "plot_ok.py", "thumb.png"]
    umask = os.umask(0)
    os.umask(umask)
    for p in [out / "plot_ok", *(out / "plot_ok").iterdir()]:  # as readable as any other file the user writes
        assert p.stat().st_mode & 0o777 == (0o777 if p.is_dir() else 0o666) & ~umask, p
    with Image.open(out / "plot_ok" / "ok.png") as im:
        assert im.size == (180, 120)  # 3 x 2 inches at dpi 60: the script's own figure, saved as it set it up
    with Image.open(out / "plot_ok" / "thumb.png") as im:
        assert im.width <= gallery.THUMB_SIZE[0] and im.height <= gallery.THUMB_SIZE[1]
    meta = json.loads((out / "plot_ok" / "meta.json").read_text())
    assert meta["title"] == "A small figure"
    assert meta["caption"] == "the area under x^2 is 0.333"
    page = (out / "plot_ok.html").read_text()
    assert "the area under x^2 is 0.333" in page and "<p>The lesson: x squared" in page
    assert "<h1>A small figure</h1>" in page and "<code>np.trapezoid</code>" in page  # no RST underline in the title
    assert html.escape('print(f"Claim: the area under x^2') in page  # the source is shown
    index = (out / "index.html").read_text()
    assert 'href="plot_ok.html"' in index and "plot_bad" not in index
    assert "data:image/png;base64," in index  # self-contained: the thumbnail is inside the page
    assert not re.search(r"""(src|href)=["']https?:""", index)


def test_same_commit_same_bytes(tiny, tmp_path):
    src, out, *_ = tiny
    report = gallery.build(src, tmp_path / "again", only="plot_ok", echo=None)
    assert report.ok
    for name in ("ok.png", "thumb.png"):
        assert (tmp_path / "again" / "plot_ok" / name).read_bytes() == (out / "plot_ok" / name).read_bytes()


def test_only_rebuilds_one_keeps_the_rest_and_a_new_failure_removes_stale_output(tmp_path):
    src = tmp_path / "src"
    _write(src, "plot_ok.py", OK_SCRIPT)
    _write(src, "plot_ok2.py", OK_SCRIPT.replace("A small figure", "Another figure"))
    out = tmp_path / "out"
    assert gallery.build(src, out, echo=None).ok
    _write(src, "plot_ok2.py", BAD_SCRIPT)
    lines: list[str] = []
    report = gallery.build(src, out, only="ok2", echo=lines.append)
    assert [r.name for r in report.results] == ["plot_ok2"] and not report.ok
    assert any("FAIL plot_ok2.py" in ln for ln in lines)
    assert (out / "plot_ok" / "ok.png").is_file() and not (out / "plot_ok2").exists()
    index = (out / "index.html").read_text()
    assert "A small figure" in index and "Another figure" not in index
    # the script is fixed: the next build lists it again
    _write(src, "plot_ok2.py", OK_SCRIPT.replace("A small figure", "Another figure"))
    assert gallery.build(src, out, only="plot_ok2*", echo=None).ok
    assert "Another figure" in (out / "index.html").read_text()
    assert not (out / "_failed" / "plot_ok2.log").exists()


def test_timeout_kills_the_script_and_says_so(tmp_path):
    src = tmp_path / "src"
    _write(src, "plot_sleep.py", '"""Sleeps"""\nimport time\ntime.sleep(60)\n')
    report = gallery.build(src, tmp_path / "out", timeout=0.8, echo=None)
    (r,) = report.results
    assert not r.ok and r.error == "timed out after 0.8 s" and r.seconds < 30


def test_script_without_a_picture_fails_and_missing_claim_warns(tmp_path):
    src = tmp_path / "src"
    _write(src, "plot_nothing.py", '"""Draws nothing"""\nprint("Claim: nothing")\n')
    _write(src, "plot_quiet.py", OK_SCRIPT.replace('print(f"Claim:', 'print(f"'))
    report = gallery.build(src, tmp_path / "out", echo=None)
    nothing, quiet = report.results
    assert not nothing.ok and "made no picture" in nothing.error
    assert quiet.ok and quiet.caption == "" and any("Claim:" in w for w in quiet.warnings)


def test_what_is_captured_is_what_sphinx_gallery_captures(tmp_path):
    """pyplot's figures, in their order; a file written into the working folder is not taken, and is warned about
    (sphinx-gallery runs a script in its source folder); exit codes."""
    src = tmp_path / "src"
    _write(src, "plot_writes.py", '''\
        """Writes a file, draws two figures"""
        import matplotlib.pyplot as plt
        from PIL import Image
        Image.new("RGB", (20, 10), "red").save("own.png")
        plt.figure(figsize=(2, 1), dpi=50)
        plt.figure(figsize=(1, 1), dpi=50).add_subplot().plot([1, 2])
        print("Claim: red")
        # sphinx_gallery_thumbnail_number = 2
        raise SystemExit(0)
        ''')
    _write(src, "plot_exit.py", '"""Exits"""\nimport sys\nsys.exit(3)\n')
    exit_, writes = gallery.build(src, tmp_path / "out", echo=None).results
    assert writes.ok and writes.files == ["plot_writes/writes.png", "plot_writes/writes_2.png"]
    assert writes.warnings == ["wrote own.png into its working folder (sphinx-gallery runs it in the source "
                               "folder): leave figures open in pyplot instead"]
    assert sorted(p.name for p in (tmp_path / "out" / "plot_writes").iterdir()) == [
        "meta.json", "plot_writes.py", "thumb.png", "writes.png", "writes_2.png"]
    from PIL import Image

    with Image.open(tmp_path / "out" / "plot_writes" / "thumb.png") as im:
        assert im.size == (50, 50)  # the second figure's, as the script's sphinx-gallery comment asks
    assert not exit_.ok and exit_.error == "exited with status 3"


def test_a_figure_outside_pyplot_is_not_captured_as_under_sphinx_gallery(tmp_path):
    _write(tmp_path, "plot_outside.py", '''\
        """A figure outside pyplot"""
        from matplotlib.figure import Figure
        fig = Figure(figsize=(2, 1), dpi=50)
        fig.add_subplot().plot([1, 2])
        ''')
    (outside,) = gallery.build(tmp_path, tmp_path / "out", echo=None).results
    assert not outside.ok and "made no picture" in outside.error


def test_animations_are_saved_as_gif_and_html_deterministically(tmp_path):
    """An ``ov.animate`` animation goes through ``ov.save`` (GIF and player); a plain matplotlib one through
    matplotlib's Pillow writer."""
    src = tmp_path / "src"
    _write(src, "plot_race.py", '''\
        """A tiny race"""
        import matplotlib.pyplot as plt
        import optiviz as ov
        runs = ov.run("bowl", ["gd", "adam"], steps=10)
        print(f"Claim: adam ends at loss {runs['adam'].final_loss:.3g}")
        anim = ov.animate(runs, layout="overlay", frames=4, dpi=30, loss_panel=False)
        plt.show()
        ''')
    _write(src, "plot_wave.py", '''\
        """A plain matplotlib animation"""
        import matplotlib.pyplot as plt
        import numpy as np
        from matplotlib.animation import FuncAnimation
        fig, ax = plt.subplots(figsize=(2, 1.5), dpi=40)
        x = np.linspace(0, 6, 50)
        (line,) = ax.plot(x, np.sin(x))
        wave = FuncAnimation(fig, lambda k: line.set_ydata(np.sin(x + k)), frames=3, interval=100)
        print("Claim: three frames")
        ''')
    reports = [gallery.build(src, tmp_path / out, jobs=2, echo=None) for out in ("a", "b")]
    assert all(r.ok for r in reports)
    race, wave = reports[0].results
    assert race.files == ["plot_race/race.gif", "plot_race/race.html"]
    assert wave.files == ["plot_wave/wave.gif"]  # the HTML player is optiviz's
    from PIL import Image

    with Image.open(tmp_path / "a" / "plot_wave" / "wave.gif") as im:
        assert im.n_frames == 3
    with Image.open(tmp_path / "a" / "plot_race" / "race.gif") as im:
        assert im.n_frames == 4
    for f in [*race.files, *wave.files, "plot_race/thumb.png", "plot_wave/thumb.png"]:
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f


def test_find_scripts_only_patterns_and_errors(tmp_path):
    src = tmp_path / "src"
    for n in ("plot_ravine.py", "plot_saddle.py", "plot_sgd_seeds.py", "helper.py"):
        _write(src, n, '"""t"""\n')
    names = lambda only: [p.name for p in gallery.find_scripts(src, only)]  # noqa: E731
    assert names(None) == ["plot_ravine.py", "plot_saddle.py", "plot_sgd_seeds.py"]
    assert names("sad") == ["plot_saddle.py"]
    assert names("plot_s*") == ["plot_saddle.py", "plot_sgd_seeds.py"]
    with pytest.raises(InvalidValueError, match="no gallery script matches 'zzz'; scripts: plot_ravine"):
        gallery.find_scripts(src, "zzz")
    with pytest.raises(InvalidValueError, match="does not exist"):
        gallery.find_scripts(tmp_path / "nope")
    code, _, err = _cli("gallery", "--src", str(src), "--out", str(tmp_path / "o"), "--only", "zzz")
    assert code == 2 and err.startswith("optiviz: error: no gallery script matches") and "Traceback" not in err
    code, _, err = _cli("gallery", "--src", str(src), "--jobs", "0")
    assert (code, err) == (2, "optiviz: error: argument --jobs: must be a whole number >= 1, got '0'\n")
    with pytest.raises(InvalidValueError, match="jobs must be a whole number >= 1, got 0"):
        gallery.build(src, tmp_path / "o", jobs=0, echo=None)
    for timeout in (0, -1.0, float("nan"), float("inf"), "60"):
        with pytest.raises(InvalidValueError, match="timeout must be a finite number of seconds > 0"):
            gallery.build(src, tmp_path / "o", timeout=timeout, echo=None)
    assert not (tmp_path / "o").exists(), "nothing is created for a refused build"


def test_readme_header_gives_title_intro_and_order(tmp_path):
    src = tmp_path / "src"
    _write(src, "plot_a.py", OK_SCRIPT.replace("A small figure", "Figure A"))
    _write(src, "plot_b.py", OK_SCRIPT.replace("A small figure", "Figure B"))
    _write(src, "plot_c.py", OK_SCRIPT.replace("A small figure", "Figure C"))
    _write(src, "README.txt", "My gallery\n==========\n\nIntro with `code`.\n\n.. an editor's note\n* plot_c.py\n"
                              "* plot_a.py\n")
    out = tmp_path / "out"
    assert gallery.build(src, out, echo=None).ok
    index = (out / "index.html").read_text()
    assert "<h1>My gallery</h1>" in index and "<p>Intro with <code>code</code>.</p>" in index
    assert "editor" not in index and "plot_c.py" not in index
    assert index.index("Figure C") < index.index("Figure A") < index.index("Figure B")
    assert "&larr; My gallery" in (out / "plot_a.html").read_text()


def test_read_script_title_and_lesson_and_list(tmp_path):
    path = _write(tmp_path, "plot_x.py", OK_SCRIPT)
    title, lesson = gallery.read_script(path)
    assert title == "A small figure" and lesson.startswith("The lesson: x squared") and "===" not in lesson
    code, out, _ = _cli("gallery", "--src", str(tmp_path), "--list")
    assert (code, out) == (0, "plot_x                       A small figure\n")


def test_thumbnail_of_an_animated_gif_shows_its_last_frame(tmp_path):
    from PIL import Image

    frames = [Image.new("RGB", (800, 400), c) for c in ("red", "green", "blue")]
    frames[0].save(tmp_path / "a.gif", save_all=True, append_images=frames[1:], duration=50)
    gallery.make_thumbnail(tmp_path / "a.gif", tmp_path / "t.png")
    with Image.open(tmp_path / "t.png") as im:
        assert im.size == (360, 180)  # aspect kept, fits in 360 x 270
        r, g, b = im.convert("RGB").getpixel((10, 10))
        assert b > 200 and r < 50 and g < 50


# ---------------------------------------------------------------------------------------- headless Chromium

CHECKER = """
<script>
window.addEventListener("load", function () {
  var imgs = Array.prototype.map.call(document.images, function (i) {
    return {src: i.getAttribute("src").slice(0, 80), complete: i.complete, width: i.naturalWidth};
  });
  var links = Array.prototype.map.call(document.links, function (a) { return a.href; });
  var pre = document.createElement("pre");
  pre.id = "ov-check";
  pre.textContent = JSON.stringify({images: imgs, links: links});
  document.body.appendChild(pre);
});
</script>
"""


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


def _browse(chrome: str, page: Path, profile: Path) -> dict:
    """Open a copy of ``page`` (same folder, so relative links resolve alike) with a script that records every
    image's decoded width and every link's URL, and return what it recorded."""
    probe = page.with_name(f".probe-{page.name}")
    probe.write_text(page.read_text().replace("</body>", CHECKER + "</body>"))
    cmd = [chrome, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-default-apps",
           f"--user-data-dir={profile}", "--virtual-time-budget=5000", "--dump-dom", probe.as_uri()]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        dom, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"chromium did not finish loading {page.name} in 60 s")
    finally:
        probe.unlink()
    m = re.search(r'<pre id="ov-check">(.*?)</pre>', dom.decode("utf-8", "replace"), re.S)
    assert m, f"chromium ran no script on {page.name}: {err.decode()[-500:]}"
    return json.loads(html.unescape(m.group(1)))


@pytest.mark.chromium
def test_index_in_headless_chromium_has_no_broken_image_or_link(tiny, tmp_path):
    chrome = _chromium()
    if chrome is None:
        pytest.skip("no chromium on PATH: .ci/run installs Debian's chromium (apt-get install -y chromium)")
    _, out, *_ = tiny
    pages = [out / "index.html", *sorted(out.glob("plot_*.html"))]
    assert len(pages) == 2
    for page in pages:
        seen = _browse(chrome, page, tmp_path / f"profile-{page.stem}")
        assert seen["images"], f"{page.name} shows no image"
        for img in seen["images"]:
            assert img["complete"] and img["width"] > 0, f"{page.name}: broken image {img['src']}"
        assert seen["links"], f"{page.name} has no link"
        for href in seen["links"]:
            assert href.startswith("file://"), f"{page.name} links outside the gallery: {href}"
            target = Path(url2pathname(urlparse(href).path))
            assert target.is_file(), f"{page.name}: link to a missing file {target}"
    index = _browse(chrome, out / "index.html", tmp_path / "profile-again")
    assert len(index["images"]) == 1 and index["links"] == [(out / "plot_ok.html").as_uri()]


def test_readme_images_are_small_used_pictures_made_by_optiviz():
    """docs/images holds the README's pictures: each a valid image under 300 KB that the README or the docs show,
    either a gallery output (refresh: optiviz gallery, then copy plot_<stem>/<stem>.<ext>) or the playground's
    screenshot (taken by the browser test's page)."""
    from PIL import Image

    root = Path(__file__).resolve().parent.parent
    images = sorted((root / "docs" / "images").glob("*.*"))
    shown = (root / "README.md").read_text() + "".join(p.read_text() for p in (root / "docs").glob("*.rst"))
    assert images
    for path in images:
        assert path.stat().st_size < 300_000, path.name
        assert f"images/{path.name}" in shown, f"{path.name} is shown nowhere"
        assert path.stem == "playground" or (root / "gallery" / f"plot_{path.stem}.py").is_file(), \
            f"{path.name} is no gallery output"
        with Image.open(path) as im:
            im.verify()


def test_ctrl_c_stops_the_running_scripts_and_leaves_no_half_built_folder(tmp_path):
    import sys
    import time

    src = tmp_path / "src"
    _write(src, "plot_sleep.py", '''\
        """Sleeps"""
        import os, time
        open(os.path.join(os.environ["PIDS"], str(os.getpid())), "w").close()
        time.sleep(60)
        ''')
    pids = tmp_path / "pids"
    pids.mkdir()
    out = tmp_path / "out"
    env = {**os.environ, "PIDS": str(pids)}
    proc = subprocess.Popen([sys.executable, "-m", "optiviz", "gallery", "--src", str(src), "--out", str(out)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while not list(pids.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.1)
    (child,) = [int(p.name) for p in pids.iterdir()]
    proc.send_signal(signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        os.kill(child, signal.SIGKILL)
        pytest.fail("optiviz gallery did not stop on Ctrl-C")
    assert proc.returncode == 130 and b"interrupted" in err
    time.sleep(0.2)
    with pytest.raises(ProcessLookupError):
        os.kill(child, 0)
    assert not list(out.glob(".build-*"))
