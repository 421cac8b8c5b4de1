"""The package as a user installs it: every package is in the wheel, and the wheel installs into a fresh venv."""
from __future__ import annotations

import email.parser
import os
import re
import subprocess
import sys
import sysconfig
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _listed_packages() -> set[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return set(config["tool"]["setuptools"]["packages"])


def test_every_package_in_the_tree_is_listed_in_pyproject():
    # setuptools takes the explicit list (the built-in surfaces live in a top-level folder mapped to
    # optiviz.surfaces, which automatic discovery cannot express), so a new subpackage must be added by hand.
    in_tree = {"optiviz." + ".".join(p.parent.relative_to(ROOT / "optiviz").parts)
               for p in (ROOT / "optiviz").rglob("__init__.py")}
    in_tree = {name.rstrip(".") for name in in_tree} | {"optiviz.surfaces", "optiviz.examples"}
    assert in_tree == _listed_packages()


def test_license_and_type_marker_exist():
    assert "MIT License" in (ROOT / "LICENSE").read_text()
    assert (ROOT / "optiviz" / "py.typed").exists()


def _has_build_backend() -> bool:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return int(version("setuptools").split(".")[0]) >= 77
    except (PackageNotFoundError, ValueError):
        return False


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # Without an isolated build environment when this one has the setuptools pyproject.toml asks for (the test
    # extra installs it): seconds instead of a download and 20 s.
    isolation = ["--no-build-isolation"] if _has_build_backend() else []
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", *isolation, "-q", "-w", str(out), str(ROOT)],
                          capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        pytest.fail(f"building the wheel failed:\n{done.stderr[-2000:]}")
    (path,) = out.glob("optiviz-*.whl")
    return path


def test_wheel_carries_every_package_the_license_and_the_type_marker(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    for package in _listed_packages() - {"optiviz.examples"}:  # the gallery's scripts: a folder, not a package
        assert package.replace(".", "/") + "/__init__.py" in names, package
    assert {"optiviz/examples/README.txt", "optiviz/examples/my_surfaces.py", "optiviz/examples/plot_basins.py"} \
        <= set(names)
    assert "optiviz/py.typed" in names and "optiviz/__init__.pyi" in names  # the lazily loaded names' types
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert any(n.startswith("optiviz/surfaces/") and n.endswith("classic.py") for n in names)
    assert not any(n.startswith(("tests/", "bench/")) for n in names)


def test_the_package_description_has_no_relative_links(wheel):
    """The package index page shows the wheel's METADATA description: README.md without its relative pictures and
    links (they resolve to nothing there), every section kept."""
    (meta,) = [n for n in zipfile.ZipFile(wheel).namelist() if n.endswith(".dist-info/METADATA")]
    message = email.parser.Parser().parsestr(zipfile.ZipFile(wheel).read(meta).decode())
    assert message["Description-Content-Type"] == "text/markdown"
    description = message.get_payload()
    readme = (ROOT / "README.md").read_text()
    targets = re.findall(r"\]\(([^)\s]*)\)", description) + re.findall(r"^\s*\[[^\]]+\]:\s*(\S+)", description, re.M) \
        + re.findall(r"(?:src|href)=[\"']([^\"']*)", description)
    relative = [t for t in targets if not re.match(r"[a-z][a-z0-9+.-]*:", t, re.I)]
    assert not relative, f"relative links in the package description: {relative}"
    assert re.findall(r"\]\((?![a-z]+:)", readme), "the README has no relative link left: this test checks nothing"
    assert re.findall(r"^#+ .*$", description, re.M) == re.findall(r"^#+ .*$", readme, re.M)
    assert "*(picture: Five optimizers racing down a ravine)*" in description


# What a user does with optiviz installed from the wheel (issue #16's "done when"), run in the fresh venv in one
# process: each line checks one convention of the scientific Python stack.
AS_A_USER = """
import io
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import to_rgb
from PIL import Image
import optiviz as ov

runs = ov.run("ravine", ["gd", "adam"], steps=20)
fig = ov.plot(runs)
assert plt.get_fignums() == [fig.number], plt.get_fignums()  # pyplot knows optiviz's figure
plt.savefig("plot.png")  # ... so pyplot's savefig writes it, not a blank new figure
colours = len(np.unique(np.asarray(Image.open("plot.png").convert("RGB")).reshape(-1, 3), axis=0))
assert colours > 50, f"plt.savefig wrote a near-blank image ({colours} colours)"
plt.close("all")
ax = ov.plot(runs, layout="overlay", cmap="magma").axes[0]
labels = [t.get_text() for t in ax.legend().get_texts()]  # legend() finds every path by its optimizer's name
assert len(labels) == 2 and all(name in label.lower() for name, label in zip(["gd", "adam"], labels)), labels
assert ax.collections[0].get_cmap().name == "magma"  # cmap= colours the surface
with plt.style.context("dark_background"):  # a style context applies to optiviz's figure
    fig = ov.plot(runs, layout="overlay")
ax = fig.axes[0]
assert to_rgb(fig.get_facecolor()) == to_rgb(ax.get_facecolor()) == (0, 0, 0), fig.get_facecolor()
assert to_rgb(ax.title.get_color()) == to_rgb(ax.xaxis.label.get_color()) == (1, 1, 1)
texts = [t for lg in [*fig.legends, *(a.get_legend() for a in fig.axes)] if lg is not None for t in lg.get_texts()]
texts += ax.get_xticklabels()
assert texts and {to_rgb(t.get_color()) for t in texts} == {(1, 1, 1)}  # its legends and ticks readable on black
plt.close("all")
anim = ov.animate(runs, frames=3)
bundle = anim._repr_mimebundle_()  # what a notebook displays: the player and a still for GitHub/nbviewer
assert set(bundle) == {"text/html", "image/png"}, set(bundle)
assert Image.open(io.BytesIO(bundle["image/png"])).size[0] > 100
print("as a user: ok")
"""


def test_wheel_installs_and_runs_in_a_fresh_venv(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    bin_dir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    python = bin_dir / "python"
    # The dependencies (jax, matplotlib, numpy) come from this interpreter's site-packages through a .pth line, so
    # the test needs no network; optiviz itself comes only from the wheel (a .pth line's folder is not scanned for
    # further .pth files, so this environment's editable install of optiviz stays invisible).
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    Path(site, "_deps_from_test_env.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    # This environment's pip installs into the fresh one (--python), which saves bootstrapping pip there.
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q",
                    "--disable-pip-version-check", str(wheel)],
                   check=True, capture_output=True, timeout=300)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    probe = ("import optiviz, pathlib; p = pathlib.Path(optiviz.__file__); "
             "assert 'site-packages' in str(p), p; assert (p.parent / 'py.typed').exists(); "
             "import optiviz.surfaces; print(sorted(optiviz.surfaces.names())[:1])")
    done = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    helped = subprocess.run([str(bin_dir / "optiviz"), "--help"], capture_output=True, text=True, cwd=tmp_path, env=env,
                            timeout=120)
    assert helped.returncode == 0, helped.stderr
    assert "animate" in helped.stdout
    used = subprocess.run([str(python), "-c", AS_A_USER], capture_output=True, text=True, cwd=tmp_path,
                          env={**env, "MPLBACKEND": "Agg"}, timeout=300)
    assert used.returncode == 0 and "as a user: ok" in used.stdout, used.stderr[-3000:]
    # the gallery ships with the package: listed, and one script built, from a folder with no gallery/ in it
    listed = subprocess.run([str(bin_dir / "optiviz"), "gallery", "--list"], capture_output=True, text=True,
                            cwd=tmp_path, env=env, timeout=120)
    assert listed.returncode == 0 and "plot_ravine_race" in listed.stdout, listed.stderr
    built = subprocess.run([str(bin_dir / "optiviz"), "gallery", "--only", "plot_basins", "--out", "g"],
                           capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    assert built.returncode == 0 and (tmp_path / "g" / "plot_basins" / "basins.png").is_file(), built.stdout
