"""Build the gallery: run every ``gallery/plot_*.py`` in a fresh process and turn what it draws into web pages.

    optiviz gallery [--src gallery] [--out gallery-out] [--only PATTERN] [--jobs N] [--timeout SECONDS]

The contract between a script and the builder (sphinx-gallery's conventions, so the scripts are also plain
examples a user can copy and run with ``python plot_x.py``):

* the module docstring's first line is the title (an RST underline below it is allowed); its body explains the
  lesson. ``# %%`` lines split the rest into cells; the comment lines that open a cell are its prose;
* the script draws with the public ``optiviz`` API and saves its pictures into its working directory with
  relative names, as a user's copy would: ``ov.save(anim, "ravine_race.gif")``. The builder runs it in a fresh
  folder (also named by the ``OPTIVIZ_GALLERY_OUT`` environment variable) and collects the media files
  (.png .gif .html .mp4 .svg .jpg) in the order they were written;
* a script that saves nothing (sphinx-gallery style, ending with ``plt.show()``) has its pictures scraped: every
  matplotlib ``Animation`` bound to a module-level name is saved with ``ov.save`` (or matplotlib's writers) as
  ``<stem>.gif`` and ``<stem>.html`` (GIF only, with a note, for an animation that has no page form); every
  other figure, open in pyplot or bound to a module-level name (a ``Figure`` or an ``Axes``), as ``<stem>.png``
  (``<stem>`` is the script name without ``plot_``; a second one gets ``_2``, ...);
* the script prints one line starting with ``Claim:`` that states its claim with the number that shows it;
  the builder uses that line as the example's caption.

Each script runs in its own process with a deterministic environment (``MPLBACKEND=Agg``, JAX on the CPU,
``PYTHONHASHSEED=0``, Python's and NumPy's global seeds fixed, ``SOURCE_DATE_EPOCH=0``, ``TZ=UTC``) and a timeout.
A script that fails or times out is reported on one line with its name and error (its full log is kept in
``<out>/_failed/``); the others still build, and ``build`` reports the failure so the command exits non-zero.

Output layout (every file is written to a temporary name in its folder, then renamed)::

    <out>/index.html            self-contained: inline CSS, thumbnails embedded as data URIs
    <out>/index.md              the same index in Markdown (thumbnails as files)
    <out>/<name>.html           one page per example: the pictures, the caption, the lesson and the source
    <out>/<name>/               the example's files: pictures, thumb.png, a copy of the script, meta.json

This module imports neither JAX nor matplotlib in the parent process: only the child runner (``_child_main``,
``python -m optiviz.gallery SCRIPT DIR``) loads them.
"""
from __future__ import annotations

import ast
import base64
import fnmatch
import html
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, ContextManager, Sequence

from ._atomic import atomic_path, write_bytes
from .errors import InvalidValueError, OptivizError

SCRIPT_GLOB = "plot_*.py"
CLAIM_PREFIX = "Claim:"
MEDIA_SUFFIXES = (".png", ".gif", ".html", ".mp4", ".svg", ".jpg", ".jpeg")
#: images a thumbnail can be made from, in order of preference (an animation shows the lesson best)
THUMB_SOURCES = (".gif", ".png", ".jpg", ".jpeg")
THUMB_SIZE = (360, 270)
ENV_OUT = "OPTIVIZ_GALLERY_OUT"
DEFAULT_TIMEOUT = 180.0
MANIFEST = ".ov-manifest.json"
ERROR_FILE = ".ov-error"

__all__ = ["build", "find_scripts", "parse_script", "read_header", "BuildReport", "ExampleResult", "Header", "Script",
           "default_source", "make_thumbnail", "write_index"]


# ------------------------------------------------------------------------------------------ reading scripts

@dataclass
class Script:
    """A gallery script split the sphinx-gallery way: title, lesson, and (prose, code) cells."""

    path: Path
    title: str
    lesson: str
    cells: list[tuple[str, str]]

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def stem(self) -> str:
        return self.name[len("plot_"):] if self.name.startswith("plot_") else self.name


def parse_script(path: str | os.PathLike[str]) -> Script:
    """Title (docstring's first line), lesson (the rest of the docstring) and cells of a gallery script."""
    path = Path(path)
    source = path.read_text(encoding="utf-8")
    try:
        module = ast.parse(source)
    except SyntaxError:
        return Script(path, path.stem, "", [("", source)])
    doc = ast.get_docstring(module, clean=True) or ""
    lines = doc.splitlines()
    title = lines[0].strip() if lines else path.stem
    rest = lines[1:]
    if rest and rest[0].strip() and set(rest[0].strip()) <= set("=-~^*#"):
        rest = rest[1:]  # an RST underline under the title
    lesson = "\n".join(rest).strip()
    body_start = 0
    if module.body and isinstance(module.body[0], ast.Expr) and isinstance(getattr(module.body[0], "value", None),
                                                                          ast.Constant) and doc:
        body_start = module.body[0].end_lineno or 0
    code_lines = source.splitlines()[body_start:]
    cells: list[tuple[str, str]] = []
    chunk: list[str] = []

    def flush() -> None:
        prose: list[str] = []
        i = 0
        if chunk and chunk[0].lstrip().startswith("# %%"):
            head = chunk[0].lstrip()[4:].strip()
            if head:
                prose.append(head)
            i = 1
            while i < len(chunk) and (chunk[i].startswith("#") or (not chunk[i].strip() and not prose)):
                prose.append(chunk[i][1:].strip() if chunk[i].startswith("#") else "")
                i += 1
        code = "\n".join(chunk[i:]).strip("\n")
        text = "\n".join(prose).strip()
        if text or code.strip():
            cells.append((text, code))

    for line in code_lines:
        if line.lstrip().startswith("# %%"):
            flush()
            chunk = [line]
        else:
            chunk.append(line)
    flush()
    return Script(path, title, lesson, cells)


def default_source() -> Path:
    """``./gallery`` when it exists, else the ``gallery/`` folder next to the package (a source checkout)."""
    here = Path.cwd() / "gallery"
    if here.is_dir():
        return here
    return Path(__file__).resolve().parent.parent / "gallery"


def find_scripts(src: str | os.PathLike[str], only: str | None = None) -> list[Path]:
    """The ``plot_*.py`` scripts in ``src``, sorted; ``only`` keeps the names matching a glob or containing a
    substring (``"ravine"``, ``"plot_sgd*"``)."""
    src = Path(src)
    if not src.is_dir():
        what = "is not a folder" if src.exists() else "does not exist"
        raise InvalidValueError(f"gallery folder {str(src)!r} {what} (give --src DIR)")
    scripts = sorted(src.glob(SCRIPT_GLOB))
    if not scripts:
        raise InvalidValueError(f"gallery folder {str(src)!r} has no {SCRIPT_GLOB} scripts")
    if only:
        globbing = any(c in only for c in "*?[")

        def match(p: Path) -> bool:
            if globbing:
                return fnmatch.fnmatchcase(p.name, only) or fnmatch.fnmatchcase(p.stem, only)
            return only in p.name

        keep = [p for p in scripts if match(p)]
        if not keep:
            raise InvalidValueError(f"no gallery script matches {only!r}; scripts: "
                                    + ", ".join(p.stem for p in scripts))
        scripts = keep
    return scripts


# ----------------------------------------------------------------------------------------- atomic writes

def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _umask()  # read once at import: os.umask can only be read by setting it, which is not thread-safe


def _atomic(path: Path) -> "ContextManager[Path]":
    """A temporary file next to ``path`` keeping its suffix (matplotlib picks the format from it); see _atomic."""
    return atomic_path(path, suffix=path.suffix)


def _write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, creating its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes(path, data)


def _write_text(path: Path, text: str) -> None:
    _write_bytes(path, text.encode("utf-8"))


def _replace_dir(new: Path, final: Path) -> None:
    """Put the finished folder ``new`` at ``final``: each step is one rename, the old folder goes last."""
    os.chmod(new, 0o777 & ~_UMASK)  # mkdtemp makes 0700 folders
    for p in new.iterdir():
        if p.is_file():
            os.chmod(p, 0o666 & ~_UMASK)
    old = None
    if final.exists():
        old = Path(tempfile.mkdtemp(prefix=f".old-{final.name}-", dir=final.parent))
        os.replace(final, old / final.name)
    os.replace(new, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


# ---------------------------------------------------------------------------------------------- thumbnails

def make_thumbnail(image: str | os.PathLike[str], dest: str | os.PathLike[str], size: tuple[int, int] = THUMB_SIZE
                   ) -> None:
    """A PNG thumbnail of ``image`` fitting in ``size``; an animated GIF contributes its last frame (where the
    optimizers have arrived), on white."""
    from PIL import Image

    with Image.open(image) as im:
        if getattr(im, "n_frames", 1) > 1:
            im.seek(im.n_frames - 1)
        frame = im.convert("RGBA")
    canvas = Image.new("RGBA", frame.size, (255, 255, 255, 255))
    canvas.alpha_composite(frame)
    rgb = canvas.convert("RGB")
    rgb.thumbnail(size, Image.Resampling.LANCZOS)
    import io

    buf = io.BytesIO()
    rgb.save(buf, format="PNG", optimize=True)
    _write_bytes(Path(dest), buf.getvalue())


# ----------------------------------------------------------------------------------------------- building

@dataclass
class ExampleResult:
    """What building one script gave: its files (relative to the output folder) or its one-line error."""

    name: str
    ok: bool
    seconds: float
    title: str = ""
    caption: str = ""
    files: list[str] = field(default_factory=list)
    thumb: str | None = None
    error: str = ""
    log: str | None = None
    stdout: str = ""
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class BuildReport:
    results: list[ExampleResult]
    seconds: float
    out: Path
    jobs: int

    @property
    def failed(self) -> list[ExampleResult]:
        return [r for r in self.results if not r.ok]

    @property
    def ok(self) -> bool:
        return not self.failed


def _child_env(workdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHONSTARTUP", "MPLBACKEND"))}
    env.update({
        "MPLBACKEND": "Agg",
        "JAX_PLATFORMS": env.get("JAX_PLATFORMS", "cpu") or "cpu",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",  # importing a helper module next to the scripts leaves no __pycache__
        "PYTHONUNBUFFERED": "1",
        "SOURCE_DATE_EPOCH": "0",
        "TZ": "UTC",
        "LC_ALL": "C.UTF-8",
        ENV_OUT: str(workdir),
    })
    return env


class _Children:
    """The script processes of one build, so an interrupted build can stop them (each runs in its own session,
    out of reach of the terminal's Ctrl-C)."""

    def __init__(self) -> None:
        self._procs: set[subprocess.Popen] = set()
        self._lock = threading.Lock()
        self.stopped = False

    def run(self, cmd: list[str], cwd: Path, env: dict[str, str], timeout: float) -> tuple[int | None, str, str]:
        """Run ``cmd`` in its own process group; on timeout kill that group. Returns (code or None, out, err)."""
        with self._lock:
            if self.stopped:
                raise KeyboardInterrupt
            proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
            self._procs.add(proc)
        try:
            out, err = proc.communicate(timeout=timeout)
            return proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            out, err = proc.communicate()
            return None, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
        finally:
            with self._lock:
                self._procs.discard(proc)

    def stop(self) -> None:
        with self._lock:
            self.stopped = True
            for proc in self._procs:
                _kill_group(proc)


def _kill_group(proc: subprocess.Popen) -> None:
    """Kill the script's process group, and any descendant that left it (``setsid``) while its parent lives."""
    strays = _descendants(proc.pid)  # found before the kill: orphans are re-parented and lost from the tree
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    for pid in strays:
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _descendants(root: int) -> list[int]:
    """Every process below ``root`` (from /proc; empty where there is no /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        for pid in children.get(todo.pop(), []):
            found.append(pid)
            todo.append(pid)
    return found


def _last_error_line(stderr: str) -> str:
    lines = [ln.strip() for ln in stderr.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else "no error message"


def _claims(stdout: str) -> list[str]:
    return [ln.strip()[len(CLAIM_PREFIX):].strip() for ln in stdout.splitlines()
            if ln.strip().startswith(CLAIM_PREFIX)]


def build_one(script: Path, out: Path, *, timeout: float = DEFAULT_TIMEOUT, python: str | None = None,
              children: _Children | None = None) -> ExampleResult:
    """Run one script in a fresh process and install its pictures, thumbnail and source under ``out/<name>/``."""
    children = children or _Children()
    info = parse_script(script)
    name = info.name
    t0 = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix=f".build-{name}-", dir=out))
    try:
        cmd = [python or sys.executable, "-m", "optiviz.gallery", str(script.resolve()), str(work)]
        code, stdout, stderr = children.run(cmd, work, _child_env(work), timeout)
        if children.stopped:
            raise KeyboardInterrupt
        if code != 0:
            if code is None:
                error = f"timed out after {timeout:g} s"
            else:
                err_file = work / ERROR_FILE
                error = err_file.read_text().strip() if err_file.exists() else _last_error_line(stderr)
            return _fail(out, name, info.title, error, stdout, stderr, time.perf_counter() - t0)
        manifest = json.loads((work / MANIFEST).read_text()) if (work / MANIFEST).exists() else {"files": []}
        made = [f for f in manifest["files"] if (work / f).is_file()]
        # the files the script saved itself, in the order it saved them
        extra = [p.name for p in sorted(work.iterdir(), key=lambda p: (p.stat().st_mtime_ns, p.name))
                 if p.is_file() and p.suffix.lower() in MEDIA_SUFFIXES and p.name not in made
                 and not p.name.startswith(".")]
        files = made + extra
        for p in list(work.iterdir()):  # keep only the media (and nothing the script left half-written)
            if p.name not in files:
                shutil.rmtree(p) if p.is_dir() else p.unlink()
        warnings = []
        if not files:
            return _fail(out, name, info.title, "made no picture (leave a figure open or an animation in a "
                         "module-level variable)", stdout, stderr, time.perf_counter() - t0)
        claims = _claims(stdout)
        if not claims:
            warnings.append(f"printed no '{CLAIM_PREFIX} ...' line: the caption is empty")
        thumb = None
        source = next((f for suffix in THUMB_SOURCES for f in files if f.lower().endswith(suffix)), None)
        if source is not None:
            try:
                make_thumbnail(work / source, work / "thumb.png")
                thumb = f"{name}/thumb.png"
            except Exception as exc:  # a picture Pillow cannot read is the script's problem, not the gallery's
                return _fail(out, name, info.title, f"cannot make a thumbnail of {source}: {exc}", stdout, stderr,
                             time.perf_counter() - t0)
        else:
            warnings.append("no PNG or GIF to make a thumbnail from")
        shutil.copyfile(script, work / script.name)
        result = ExampleResult(name=name, ok=True, seconds=0.0, title=info.title, caption=" ".join(claims),
                               files=[f"{name}/{f}" for f in files], thumb=thumb, stdout=stdout, warnings=warnings,
                               notes=list(manifest.get("notes", [])))
        meta = {k: v for k, v in asdict(result).items() if k not in ("ok", "seconds", "error", "log")}
        meta["source"] = f"{name}/{script.name}"
        _write_text(work / "meta.json", json.dumps(meta, indent=1, sort_keys=True) + "\n")
        _replace_dir(work, out / name)
        (out / "_failed" / f"{name}.log").unlink(missing_ok=True)
        result.seconds = time.perf_counter() - t0
        return result
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)


def _output_folder(out: Path) -> Path:
    """``out`` made absolute and created, after checking that files can be created in it (tried for real: permission
    bits do not tell root or a read-only mount), so a bad ``--out`` fails before any script runs."""
    out = out.expanduser().resolve()
    if out.exists() and not out.is_dir():
        raise InvalidValueError(f"output folder {str(out)!r} is a file; give --out a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".ov-probe-", dir=out)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise OptivizError(f"cannot write to the output folder {str(out)!r} ({exc.strerror})") from None
    return out


def _fail(out: Path, name: str, title: str, error: str, stdout: str, stderr: str, seconds: float) -> ExampleResult:
    """Record a failure: keep the full log, and remove any earlier build's output so no stale picture shows."""
    log = out / "_failed" / f"{name}.log"
    _write_text(log, f"$ {name}.py\n--- stdout\n{stdout}\n--- stderr\n{stderr}")
    if (out / name).is_dir():
        shutil.rmtree(out / name, ignore_errors=True)
    (out / f"{name}.html").unlink(missing_ok=True)
    return ExampleResult(name=name, ok=False, seconds=seconds, title=title, error=" ".join(error.split()),
                         log=str(log), stdout=stdout)


def build(src: str | os.PathLike[str] | None = None, out: str | os.PathLike[str] = "gallery-out", *,
          only: str | None = None, jobs: int | None = None, timeout: float = DEFAULT_TIMEOUT,
          echo: Callable[[str], None] | None = print, python: str | None = None) -> BuildReport:
    """Build the gallery from the scripts in ``src`` into ``out``; see the module docstring.

    ``jobs`` scripts run at once (default: the number of CPUs, at most 4). ``echo`` receives one line per
    script (status, seconds, files or error) and a final total; pass ``None`` for silence. The index lists
    every example built in ``out`` whose script is still in ``src``, so ``only`` rebuilds a few and keeps the rest.
    """
    src = Path(src) if src is not None else default_source()
    scripts = find_scripts(src, only)
    if jobs is None:
        jobs = max(1, min(4, os.cpu_count() or 1))
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise InvalidValueError(f"jobs must be a whole number >= 1, got {jobs!r}")
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout < math.inf:
        raise InvalidValueError(f"timeout must be a finite number of seconds > 0, got {timeout!r}")
    out = _output_folder(Path(out))
    width = max(len(p.name) for p in scripts)
    done: list[ExampleResult] = []
    t0 = time.perf_counter()

    def one(script: Path) -> ExampleResult:
        r = build_one(script, out, timeout=timeout, python=python, children=children)
        done.append(r)
        if echo:
            where = ", ".join(Path(f).name for f in r.files) if r.ok else f"{r.error}  (log: {r.log})"
            status = "ok  " if r.ok else "FAIL"
            echo(f"[{len(done):>2}/{len(scripts)}] {status} {script.name:<{width}} {r.seconds:6.1f} s  {where}")
            for w in r.warnings:
                echo(f"        warning: {script.name}: {w}")
            for note in r.notes:
                echo(f"        note: {note}")
        return r

    children = _Children()
    pool = ThreadPoolExecutor(max_workers=jobs)
    try:
        results = list(pool.map(one, scripts))
    except KeyboardInterrupt:  # stop the running scripts now; their half-built folders are removed
        children.stop()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=True)
    write_index(out, src)
    report = BuildReport(results, time.perf_counter() - t0, out, jobs)
    if echo:
        n_ok = sum(r.ok for r in results)
        echo(f"gallery: {n_ok} built, {len(results) - n_ok} failed, {report.seconds:.1f} s in total "
             f"(jobs {jobs}) -> {out / 'index.html'}")
        for r in report.failed:
            echo(f"gallery: error: {r.name}.py: {r.error}")
    return report


# ------------------------------------------------------------------------------------------------ the index

_CSS = """
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1100px;padding:1.5em;
color:#222}
h1{font-size:1.7em;margin:.2em 0 .6em}a{color:#1f5fa8}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(250px,1fr));gap:1.1em}
.card{border:1px solid #ddd;border-radius:6px;padding:.6em;background:#fafafa;color:inherit;text-decoration:none}
.card:hover{border-color:#1f5fa8}.card h2{color:#1f5fa8}
.card img{width:100%;height:auto;display:block;background:#fff}
.card h2{font-size:1em;margin:.5em 0 .3em}.card p{font-size:.85em;margin:0;color:#444}
.claim{background:#eef5ee;border-left:4px solid #3a7d44;padding:.5em .8em;margin:1em 0}
pre{background:#f4f4f4;border:1px solid #e2e2e2;border-radius:4px;padding:.7em;overflow-x:auto;font-size:13px}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.media img,.media video{max-width:100%;height:auto;border:1px solid #ddd}
.out{color:#555}
"""


def _inline(text: str) -> str:
    """Escape text, then render ``code`` / `code` spans."""
    out = html.escape(text, quote=False)
    return re.sub(r"``(.+?)``|`([^`]+)`", lambda m: f"<code>{m.group(1) or m.group(2)}</code>", out)


def _paragraphs(text: str) -> str:
    blocks = [b for b in re.split(r"\n\s*\n", text.strip()) if b.strip()]
    return "\n".join(f"<p>{_inline(' '.join(b.split()))}</p>" for b in blocks)


def _page(title: str, body: str) -> str:
    return (f"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{html.escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n")


def _example_page(meta: dict[str, Any], script: Script, title: str = "optiviz gallery") -> str:
    parts = [f"<p><a href=\"index.html\">&larr; {html.escape(title)}</a></p>", f"<h1>{html.escape(meta['title'])}</h1>"]
    if meta.get("caption"):
        parts.append(f"<p class=\"claim\"><strong>Claim.</strong> {_inline(meta['caption'])}</p>")
    media = []
    for f in meta["files"]:
        href = html.escape(f, quote=True)
        base = html.escape(Path(f).name)
        suffix = Path(f).suffix.lower()
        if suffix in (".png", ".gif", ".jpg", ".jpeg", ".svg"):
            media.append(f"<p><a href=\"{href}\"><img src=\"{href}\" alt=\"{base}\"></a></p>")
        elif suffix == ".mp4":
            media.append(f"<p><video src=\"{href}\" controls loop></video></p>")
        elif suffix == ".html":
            media.append(f"<p><a href=\"{href}\">{base}</a>: the animation with play, pause and step controls</p>")
    parts.append("<div class=\"media\">" + "\n".join(media) + "</div>")
    parts.append(_paragraphs(script.lesson))
    parts.append("<h2>The code</h2>")
    for prose, code in script.cells:
        if prose:
            parts.append(_paragraphs(prose))
        if code.strip():
            parts.append(f"<pre><code>{html.escape(code)}</code></pre>")
    if meta.get("stdout", "").strip():
        parts.append(f"<p class=\"out\">Output:</p>\n<pre class=\"out\">{html.escape(meta['stdout'].rstrip())}</pre>")
    src = html.escape(meta["source"], quote=True)
    parts.append(f"<p>Download the script: <a href=\"{src}\">{html.escape(Path(meta['source']).name)}</a></p>")
    return _page(f"{meta['title']} - {title}", "\n".join(parts))


@dataclass
class Header:
    """The gallery's ``README.txt`` (sphinx-gallery's header file): the title on its first line (an RST
    underline is allowed), intro paragraphs, and optionally the order of the examples as lines naming scripts
    (``* plot_ravine_race.py``); scripts it does not name follow in name order. Lines starting with ``..``
    (RST comments) are not shown."""

    title: str = "optiviz gallery"
    intro: str = ("Every picture is made by a script in `gallery/` and rebuilt by `optiviz gallery`; each page "
                  "shows the claim, the number behind it and the code.")
    order: list[str] = field(default_factory=list)


def read_header(src: str | os.PathLike[str]) -> Header:
    path = Path(src) / "README.txt"
    if not path.is_file():
        return Header()
    lines = path.read_text(encoding="utf-8").splitlines()
    title = lines[0].strip() if lines else Header.title
    rest = lines[1:]
    if rest and rest[0].strip() and set(rest[0].strip()) <= set("=-~^*#"):
        rest = rest[1:]
    order, intro = [], []
    for line in rest:
        m = re.fullmatch(r"\s*(?:[-*]\s+)?(plot_\w+)\.py\b.*", line)
        if m:
            order.append(m.group(1))
        elif not line.lstrip().startswith(".."):  # an RST comment: for whoever edits the file
            intro.append(line)
    return Header(title or Header.title, "\n".join(intro).strip(), order)


def _collect(out: Path, src: Path) -> list[tuple[dict[str, Any], Script]]:
    """The examples built in ``out`` whose script is still in ``src``, in the header's order, then by name."""
    order = read_header(src).order
    scripts = sorted(src.glob(SCRIPT_GLOB), key=lambda p: (order.index(p.stem) if p.stem in order else len(order),
                                                           p.name))
    found = []
    for script in scripts:
        meta_file = out / script.stem / "meta.json"
        if meta_file.is_file():
            meta = json.loads(meta_file.read_text(encoding="utf-8"))
            found.append((meta, parse_script(out / meta["source"])))  # the copy that was run, not a newer edit
    return found


def write_index(out: str | os.PathLike[str], src: str | os.PathLike[str]) -> list[str]:
    """Write ``index.html``, ``index.md`` and one page per example; returns the example names listed."""
    out, src = Path(out), Path(src)
    examples = _collect(out, src)
    header = read_header(src)
    cards, md = [], [f"# {header.title}", "", header.intro, ""]
    for meta, script in examples:
        name = meta["name"]
        _write_text(out / f"{name}.html", _example_page(meta, script, header.title))
        thumb_html = ""
        if meta.get("thumb"):
            data = base64.b64encode((out / meta["thumb"]).read_bytes()).decode("ascii")
            thumb_html = f"<img src=\"data:image/png;base64,{data}\" alt=\"{html.escape(meta['title'], quote=True)}\">"
        cards.append(f"<a class=\"card\" href=\"{html.escape(name, quote=True)}.html\">{thumb_html}"
                     f"<h2>{html.escape(meta['title'])}</h2><p>{_inline(meta.get('caption', ''))}</p></a>")
        first = meta["files"][0]
        md += [f"## {meta['title']}", ""]
        if meta.get("thumb"):
            md += [f"[![{meta['title']}]({meta['thumb']})]({first})", ""]
        if meta.get("caption"):
            md += [f"**Claim.** {meta['caption']}", ""]
        links = ", ".join(f"[{Path(f).name}]({f})" for f in meta["files"])
        md += [f"Files: {links}. Page: [{name}.html]({name}.html). Source: [{Path(meta['source']).name}]"
               f"({meta['source']}).", ""]
    body = (f"<h1>{html.escape(header.title)}</h1>\n{_paragraphs(header.intro)}\n"
            "<div class=\"grid\">\n" + "\n".join(cards) + "\n</div>")
    _write_text(out / "index.html", _page(header.title, body))
    _write_text(out / "index.md", "\n".join(md).rstrip() + "\n")
    return [m["name"] for m, _ in examples]


# ------------------------------------------------------------------------------------- the child process

def _stem(path: Path) -> str:
    return path.stem[len("plot_"):] if path.stem.startswith("plot_") else path.stem


def _numbered(stem: str, i: int, suffix: str) -> str:
    return f"{stem}{'' if i == 0 else f'_{i + 1}'}{suffix}"


def _error_line(exc: BaseException, script: Path) -> str:
    """``line N: Type: message`` with N the last line of the script in the traceback."""
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if Path(frame.filename).resolve() == script:
            line = frame.lineno
    msg = (str(exc).strip().splitlines() or [""])[0]
    what = f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__
    return f"line {line}: {what}" if line else what


def _save_matplotlib_animation(anim: Any, path: Path, element_id: str) -> None:
    """GIF through Pillow, or matplotlib's JavaScript player as a page; written to a temporary name, then renamed.
    The page's random element id is replaced by ``element_id`` so the same script gives the same bytes."""
    from matplotlib.animation import PillowWriter

    fps = 1000.0 / float(getattr(anim, "_interval", 50) or 50)
    with _atomic(path) as tmp:
        if path.suffix == ".gif":
            anim.save(tmp, writer=PillowWriter(fps=fps))
        else:
            page = anim.to_jshtml(fps=fps, default_mode="loop")
            ids = sorted(set(re.findall(r"_anim_img([0-9a-f]{32})", page)))
            for k, old in enumerate(ids):
                page = page.replace(old, f"{re.sub(r'[^0-9A-Za-z]', '_', element_id)}_{k}")
            tmp.write_text(f"<!DOCTYPE html>\n<html>\n<head><meta charset=\"utf-8\"></head>\n<body>\n{page}\n"
                           "</body>\n</html>\n", encoding="utf-8")


def _scrape(namespace: dict[str, Any], stem: str, workdir: Path) -> tuple[list[str], list[str]]:
    """Save the animations bound to module-level names (GIF + HTML) and every other open figure (PNG).
    Returns the files written and notes (an animation that has no HTML form is saved as GIF only)."""
    import matplotlib.pyplot as plt
    from matplotlib.animation import Animation

    files: list[str] = []
    notes: list[str] = []
    anims: list[Any] = []
    for value in namespace.values():
        if isinstance(value, Animation) and all(value is not a for a in anims):
            anims.append(value)
    if anims:
        import optiviz as ov

        for i, anim in enumerate(anims):
            for suffix in (".gif", ".html"):
                name = _numbered(stem, i, suffix)
                if isinstance(anim, ov.render.Animation):
                    try:
                        ov.save(anim, str(workdir / name))
                    except OptivizError as exc:
                        if suffix == ".gif":
                            raise
                        notes.append(f"{name} not written: {exc}")
                        continue
                else:  # a plain matplotlib animation: matplotlib's own writers
                    _save_matplotlib_animation(anim, workdir / name, f"{stem}-{i}")
                files.append(name)
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    anim_figs = {id(getattr(a, "_fig", None)) for a in anims}
    # pyplot's figures, then figures (or axes) bound to module-level names: optiviz's figure functions make
    # figures without pyplot, so pyplot's list does not know them
    candidates = [plt.figure(n) for n in plt.get_fignums()]
    candidates += [v.figure if isinstance(v, Axes) else v for v in namespace.values() if isinstance(v, (Figure, Axes))]
    figs: list[Any] = []
    for f in candidates:
        if id(f) not in anim_figs and all(f is not g for g in figs):
            figs.append(f)
    for i, fig in enumerate(figs):
        name = _numbered(stem, i, ".png")
        with _atomic(workdir / name) as tmp:
            fig.savefig(tmp, format="png")
        files.append(name)
    plt.close("all")
    return files, notes


def _child_main(argv: Sequence[str]) -> int:
    """Run one gallery script as ``__main__`` in ``workdir`` and save what it drew (see the module docstring)."""
    import random
    import runpy

    script, workdir = Path(argv[0]).resolve(), Path(argv[1]).resolve()
    os.chdir(workdir)
    sys.path.insert(0, str(script.parent))
    sys.argv = [str(script)]
    random.seed(0)
    import numpy as np

    np.random.seed(0)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.show = lambda *args, **kwargs: None  # the script's plt.show() is where the builder takes over
    namespace: dict[str, Any] = {}
    try:
        namespace = runpy.run_path(str(script), run_name="__main__")
    except SystemExit as exc:
        if exc.code not in (0, None):
            (workdir / ERROR_FILE).write_text(f"exited with status {exc.code}")
            return 1
    except BaseException as exc:  # report every failure of the script as one line; the log keeps the traceback
        traceback.print_exc()
        (workdir / ERROR_FILE).write_text(_error_line(exc, script))
        return 1
    saved = [p for p in workdir.iterdir() if p.suffix.lower() in MEDIA_SUFFIXES and not p.name.startswith(".")]
    if saved:  # the script saved its pictures itself (ov.save): the builder takes those and adds nothing
        (workdir / MANIFEST).write_text(json.dumps({"files": [], "notes": []}))
        return 0
    try:
        files, notes = _scrape(namespace, _stem(script), workdir)
    except BaseException as exc:
        traceback.print_exc()
        first = (str(exc).strip().splitlines() or [""])[0]
        (workdir / ERROR_FILE).write_text(f"saving its pictures failed: {type(exc).__name__}: {first}")
        return 1
    (workdir / MANIFEST).write_text(json.dumps({"files": files, "notes": notes}))
    return 0


if __name__ == "__main__":
    sys.exit(_child_main(sys.argv[1:]))
