"""The playground page in a real headless Chromium (Debian's, driven by playwright; no browser download): load it,
pick a surface, click a start, move a slider with the keyboard, see the paths redrawn (read back from the page's
state and the canvas), reload the shared URL and get the same race, with no console errors."""
from __future__ import annotations

import shutil
import time

import numpy as np
import pytest

pytest.importorskip("starlette", reason="the serve extra is not installed (pip install 'optiviz[serve]')")
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [pytest.mark.chromium, pytest.mark.slow,
              pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH: .ci/run installs Debian's "
                                                          "(apt-get install -y chromium)")]


@pytest.fixture(scope="module")
def server():
    from optiviz.serve.server import start_background

    pg = start_background(0, warm=False)
    yield pg
    pg.stop()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


def until(page, script, timeout=60.0):
    """Poll ``script`` (a JS function) until it returns something truthy. (The page's CSP forbids eval, so
    playwright's wait_for_function on an expression cannot be used.)"""
    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(script)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {script}")
        page.wait_for_timeout(50)


def state(page):
    return page.evaluate("""() => ({runs: optiviz.runs, surface: optiviz.surface, start: optiviz.start,
        runStart: optiviz.run && optiviz.run.start, labels: optiviz.run && optiviz.run.runs.map(r => r.label),
        paths: optiviz.run && optiviz.run.runs.map(r => r.path), drawn: optiviz.drawn, draws: optiviz.draws,
        steps: optiviz.run && optiviz.run.steps, errors: optiviz.errors, url: location.search})""")


def test_the_page_races_reruns_and_restores_from_its_url(server, browser):
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    console: list[str] = []
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
    page.goto(server.url + "?steps=80")
    page.wait_for_selector("body[data-ready='1']", timeout=120_000)
    s = state(page)
    assert s["surface"] == "ravine" and s["steps"] == 80
    assert s["labels"] == ["gd", "momentum", "adagrad", "rmsprop", "adam"]

    # pick a surface: its grid and a new race arrive
    page.select_option("#surface", "bowl")
    until(page, "() => optiviz.surface === 'bowl' && optiviz.run && optiviz.run.surface === 'bowl'")
    assert page.text_content("#caption") == "Ill-conditioned quadratic bowl"

    # click a start on the map: the race reruns from there and is drawn
    box = page.locator("#map").bounding_box()
    before = state(page)["runs"]
    page.mouse.click(box["x"] + box["width"] * 0.8, box["y"] + box["height"] * 0.25)
    until(page, f"() => optiviz.runs > {before} && optiviz.run.start[0] > 0")
    s = state(page)
    x, y = s["runStart"]
    assert x > 0 and y > 0  # the right, upper part of the map
    for path in s["paths"]:
        assert path[0] == pytest.approx([x, y], abs=1e-5)
    until(page, "() => optiviz.drawn && optiviz.drawn.every(d => d.points > 1)")

    # move adam's learning-rate slider with the keyboard: a new race, adam's path changes, the others do not
    adam_before = s["paths"][s["labels"].index("adam")]
    gd_before = s["paths"][s["labels"].index("gd")]
    runs_before = s["runs"]
    page.focus("#hp-adam-lr")
    for _ in range(40):
        page.keyboard.press("ArrowLeft")
    until(page, f"() => optiviz.runs > {runs_before} && !optiviz.pending")  # the last queued rerun has landed
    assert page.get_attribute("#message", "class") != "error"
    s = state(page)
    adam_after = s["paths"][s["labels"].index("adam")]
    assert adam_after != adam_before
    assert s["paths"][s["labels"].index("gd")] == gd_before
    assert "adam%3Alr%3D" in s["url"]

    # PyTorch's convention for RMSprop: its own defaults move onto the sliders (decay 0.99) and into the request
    runs_before = s["runs"]
    page.select_option("#hp-rmsprop-convention", "torch")
    until(page, f"() => optiviz.runs > {runs_before} && !optiviz.pending")
    assert page.text_content("output[for='hp-rmsprop-decay']") == "0.99"
    assert page.evaluate("() => document.getElementById('hp-rmsprop-eps_in_sqrt').checked") is False
    s = state(page)
    assert "convention%3Dtorch" in s["url"] and "decay%3D0.99" in s["url"]

    # the canvas shows coloured paths over the grey map (adam's blue, #0072B2, somewhere)
    blue = page.evaluate("""() => { const c = document.getElementById('map'), d = c.getContext('2d')
        .getImageData(0, 0, c.width, c.height).data; let n = 0;
        for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i]) < 30 && Math.abs(d[i+1] - 114) < 30 && Math.abs(d[i+2] - 178) < 30) n++;
        return n; }""")
    assert blue > 20

    # the URL restores the same race
    url = page.url
    page2 = browser.new_page(viewport={"width": 1366, "height": 768})
    page2.on("console", lambda m: console.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
    page2.goto(url)
    page2.wait_for_selector("body[data-ready='1']", timeout=120_000)
    s2 = state(page2)
    assert s2["surface"] == "bowl" and s2["runStart"] == pytest.approx([x, y], abs=1e-3)
    np.testing.assert_allclose(s2["paths"][s2["labels"].index("adam")], adam_after, atol=1e-3)
    assert page2.input_value("#hp-rmsprop-convention") == "torch"  # the convention comes back from the URL

    assert console == [] and s["errors"] == [] and s2["errors"] == []
    page.close()
    page2.close()


def test_basin_map_internals_export_and_a_formula(server, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    console: list[str] = []
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}") if m.type == "error" else None)
    page.goto(server.url + "?surface=bowl&steps=80")  # the first test compiled this race already
    page.wait_for_selector("body[data-ready='1']", timeout=120_000)
    page.select_option("#basin-n", "50")
    page.check("#basin")
    basin = until(page, "() => optiviz.basinRun && optiviz.basinRun.n_starts")
    assert basin == 2500
    assert page.is_visible("#basin-legend")
    page.check("#internals")  # the race reruns with the gradient, step and effective lr of each step
    until(page, "() => optiviz.run && optiviz.run.runs[0].grad && !document.getElementById('internals-panel').hidden")
    with page.expect_download(timeout=120_000) as download:
        page.click("#export")  # the same race, rendered by optiviz's renderer
    path = download.value.path()
    assert open(path, "rb").read(6) == b"GIF89a" and download.value.suggested_filename == "optiviz-race.gif"
    page.fill("#formula", "x**2 + 3*y**2")
    page.press("#formula", "Enter")
    until(page, "() => optiviz.run && optiviz.run.surface === 'expr:x**2 + 3*y**2'")
    assert "expr%3Ax" in page.url
    assert console == []
    page.close()
