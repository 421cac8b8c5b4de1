"""``optiviz gallery``: run the gallery scripts headless, keep what they draw, and write an index page.

    optiviz gallery [--src DIR] [--out gallery-out] [--only PATTERN] [--jobs N] [--timeout SECONDS] [--list]

The scripts are sphinx-gallery examples, and the documentation site is built from them by sphinx-gallery itself
(``docs/conf.py``), which renders their ``# %%`` cells and printed output, captures their pictures and makes the
thumbnails and pages. This module is the thin runner for a look without Sphinx. It follows the same conventions,
so a script that works here works there:

* the module docstring's first line is the title (an RST underline may follow), the rest is the lesson;
* the script leaves its figures open in pyplot and binds its animations to module-level names; it writes no file
  (sphinx-gallery runs it in its source folder). As sphinx-gallery's matplotlib scraper does with
  ``matplotlib_animations``, every pyplot figure is kept: an animation's as ``<stem>.gif`` and ``<stem>.html``
  (the HTML player; a plain matplotlib animation gets the GIF only), any other as ``<stem>.png``, where
  ``<stem>`` is the script's name without ``plot_`` and a second picture of a kind is ``<stem>_2``. A file the
  script writes into its working folder is reported as a warning;
* the script prints one line starting with ``Claim:``, the index's caption for it; its thumbnail is made from its
  first picture, or from the one a ``# sphinx_gallery_thumbnail_number = N`` line names;
* :func:`reset_example` seeds Python's and NumPy's global generators before each script, here and in the docs
  build (sphinx-gallery's ``reset_modules``).

The scripts run in long-lived worker processes (``jobs`` of them, each taking the next script from a shared
queue, sharing JAX's persistent compilation cache on disk) with ``MPLBACKEND=Agg``, JAX on the CPU,
``PYTHONHASHSEED=0``, ``SOURCE_DATE_EPOCH=0``, ``TZ=UTC`` and a timeout per script. A worker imports JAX,
matplotlib and optiviz once and keeps what a script compiled for the next one; between scripts it resets what
sphinx-gallery resets and a little more (:func:`_fresh_state`), so a script's output does not depend on what ran
before it in the same worker. A script that hangs past its timeout or ends its process (a crash, ``os._exit``)
takes its worker down; a fresh worker runs the rest. So does a script that leaves a thread or a process running
(it could print into a later script's output, or end its worker in the middle of one): the worker retires after
it, and the script still passes, with a warning. A failure is reported on one line with the script's name and
error (its log is kept in ``<out>/_failed/``); the others still build, and ``build`` reports the failure so the
command exits 1. A worker that does not start (it hangs or ends while importing) is no script's failure: the
build stops with one error line (``RunFailure``, exit status 1).

Output (every file is written under a temporary name, then renamed)::

    <out>/index.html            self-contained: thumbnails embedded as data URIs
    <out>/<name>.html           one page per example: pictures, claim, lesson, printed output and source
    <out>/<name>/               the example's pictures, thumb.png, a copy of the script, meta.json

The parent process imports neither JAX nor matplotlib: only the workers (``python -m optiviz.gallery --worker``).
"""
from __future__ import annotations

import ast
import base64
import contextlib
import fnmatch
import gc
import html
import io
import json
import math
import os
import re
import secrets
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Callable, Iterator

from ._atomic import atomic_path, write_bytes
from ._check import expand_user
from .errors import InvalidValueError, OptivizError, RunFailure

SCRIPT_GLOB = "plot_*.py"
CLAIM_PREFIX = "Claim:"
THUMB_SIZE = (360, 270)
DEFAULT_TIMEOUT = 180.0
MANIFEST = ".ov-manifest.json"
ERROR_FILE = ".ov-error"
STDOUT_FILE, STDERR_FILE = ".ov-stdout", ".ov-stderr"  # a script's output, written by its worker
STARTUP_TIMEOUT = 120.0  # at least this long for a new worker's imports, whatever the scripts' timeout

__all__ = ["build", "find_scripts", "read_script", "read_header", "reset_example", "default_source", "make_thumbnail",
           "write_index", "BuildReport", "ExampleResult", "Header"]


# ------------------------------------------------------------------------------------------ reading scripts

def _title(text: str) -> tuple[str, list[str]]:
    """The first line of an RST text and the lines after it (an underline below the title dropped)."""
    lines = text.strip().splitlines() or [""]
    rest = lines[1:]
    if rest and rest[0].strip() and set(rest[0].strip()) <= set("=-~^*#"):
        rest = rest[1:]
    return lines[0].strip(), rest


def read_script(path: str | os.PathLike[str]) -> tuple[str, str]:
    """``(title, lesson)`` of a gallery script: its docstring's first line, and the rest of the docstring."""
    try:
        doc = ast.get_docstring(ast.parse(Path(path).read_text(encoding="utf-8"))) or ""
    except SyntaxError:
        doc = ""
    title, rest = _title(doc)
    return title or Path(path).stem, "\n".join(rest).strip()


@dataclass
class Header:
    """The gallery's ``README.txt`` (sphinx-gallery's header file): the title on its first line (an RST underline
    is allowed) and intro paragraphs. Lines naming scripts (``* plot_ravine_race.py``), usually inside an RST
    comment (``..`` and the indented lines under it, which no page shows), give the order of the examples, here
    and in the docs (``docs/_ext/gallery_order.py``); scripts it does not name follow in name order."""

    title: str = "optiviz gallery"
    intro: str = ""
    order: list[str] = field(default_factory=list)


def read_header(src: str | os.PathLike[str]) -> Header:
    path = Path(src) / "README.txt"
    if not path.is_file():
        return Header()
    title, rest = _title(path.read_text(encoding="utf-8"))
    order, intro, in_comment = [], [], False
    for line in rest:
        m = re.fullmatch(r"\s*(?:[-*]\s+)?(plot_\w+)\.py\b.*", line)
        if m:
            order.append(m.group(1))
        in_comment = line.startswith("..") or (in_comment and (not line.strip() or line[:1].isspace()))
        if not m and not in_comment:
            intro.append(line)
    return Header(title or Header.title, "\n".join(intro).strip(), order)


def default_source() -> Path:
    """``./gallery`` when it exists, else the scripts installed with optiviz (a wheel ships them as
    ``optiviz/examples``; a source checkout has them in ``gallery/`` next to the package)."""
    here = Path(__file__).resolve().parent
    for folder in (Path.cwd() / "gallery", here / "examples", here.parent / "gallery"):
        if folder.is_dir():
            return folder
    raise InvalidValueError("this installation of optiviz has no gallery scripts and there is no ./gallery folder; "
                            "give --src DIR (the scripts are in the gallery/ folder of optiviz's source)")


def find_scripts(src: str | os.PathLike[str], only: str | None = None) -> list[Path]:
    """The ``plot_*.py`` scripts in ``src``, sorted; ``only`` keeps the names matching a glob or containing a
    substring (``"ravine"``, ``"plot_sgd*"``)."""
    src = expand_user(src)
    if not src.is_dir():
        what = "is not a folder" if src.exists() else "does not exist"
        raise InvalidValueError(f"gallery folder {str(src)!r} {what} (give --src DIR)")
    scripts = sorted(src.glob(SCRIPT_GLOB))
    if not scripts:
        raise InvalidValueError(f"gallery folder {str(src)!r} has no {SCRIPT_GLOB} scripts")
    if only:
        if any(c in only for c in "*?["):
            scripts_ = [p for p in scripts if fnmatch.fnmatchcase(p.name, only) or fnmatch.fnmatchcase(p.stem, only)]
        else:
            scripts_ = [p for p in scripts if only in p.name]
        if not scripts_:
            raise InvalidValueError(f"no gallery script matches {only!r}; scripts: "
                                    + ", ".join(p.stem for p in scripts))
        scripts = scripts_
    return scripts


# ----------------------------------------------------------------------------------------------- building

def _write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes(path, text.encode("utf-8"))


def _replace_dir(new: Path, final: Path) -> None:
    """Put the finished folder ``new`` at ``final``: each step is one rename, the old folder goes last."""
    old = None
    if final.exists():
        old = Path(tempfile.mkdtemp(prefix=f".old-{final.name}-", dir=final.parent))
        os.replace(final, old / final.name)
    os.replace(new, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


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
    buf = io.BytesIO()
    rgb.save(buf, format="PNG", optimize=True)
    Path(dest).parent.mkdir(parents=True, exist_ok=True)
    write_bytes(dest, buf.getvalue())


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


def _child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHONSTARTUP", "MPLBACKEND"))}
    env.update({"MPLBACKEND": "Agg", "JAX_PLATFORMS": env.get("JAX_PLATFORMS", "cpu") or "cpu",
                "PYTHONHASHSEED": "0", "PYTHONUNBUFFERED": "1", "SOURCE_DATE_EPOCH": "0", "TZ": "UTC",
                "PYTHONDONTWRITEBYTECODE": "1",  # importing a helper next to the scripts leaves no __pycache__
                "LC_ALL": "C.UTF-8"})
    return env


class _Workers:
    """The worker processes of one build, so an interrupted build can stop them (each runs in its own session, out
    of reach of the terminal's Ctrl-C)."""

    def __init__(self, python: str | None = None, cwd: Path | None = None) -> None:
        self.cmd = [python or sys.executable, "-m", "optiviz.gallery", "--worker"]
        # where a worker starts: ``-m`` puts that folder first on sys.path for the worker's life, so it must not be
        # the user's current folder (its modules would shadow optiviz and reach every script)
        self._cwd = cwd
        self._procs: set[subprocess.Popen] = set()
        self._lock = threading.Lock()
        self.stopped = False

    def start(self) -> subprocess.Popen:
        with self._lock:
            if self.stopped:
                raise KeyboardInterrupt
            log = tempfile.TemporaryFile()  # the worker's own output, before and between scripts
            try:
                proc = subprocess.Popen(self.cmd, env=_child_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=log, bufsize=0, start_new_session=True, cwd=self._cwd)
            except OSError as exc:  # no such interpreter, no process left to fork: no script is to blame
                log.close()
                raise RunFailure(f"cannot start a gallery worker process ({' '.join(self.cmd)}): "
                                 f"{exc.strerror or exc}; no script was run") from None
            proc.log = log  # type: ignore[attr-defined]
            self._procs.add(proc)
        return proc

    def end(self, proc: subprocess.Popen) -> int:
        """End a worker (idle between scripts, or stuck in one) and any process a script left behind; its status."""
        _kill_group(proc)
        code = proc.wait()
        with self._lock:
            self._procs.discard(proc)
        for f in (proc.stdin, proc.stdout, proc.log):  # type: ignore[attr-defined]
            f.close()
        return code

    def stop(self) -> None:
        with self._lock:
            self.stopped = True
            for proc in self._procs:
                _kill_group(proc)


class _Worker:
    """One lane of the build: a long-lived process that runs script after script (``_worker_main``), replaced
    by a fresh one when a script kills it, runs out of time or leaves a thread or a process running."""

    def __init__(self, workers: _Workers) -> None:
        self._workers = workers
        self._proc: subprocess.Popen | None = None
        self._buf = b""

    def run(self, script: Path, work: Path, timeout: float) -> tuple[str, int | None, list[str]]:
        """Run ``script`` with ``work`` as its build folder (its output goes to files there): ``("done", 0, left)``,
        ``("done", 1, left)`` when it failed (its error is in ``work``), ``("timeout", None, [])``, or ``("died",
        status, [])`` when it ended the worker (a negative status is a signal); ``left`` says what the script left
        running (the worker then retires). The timeout counts from the moment the worker is ready: a fresh
        worker's imports are not the script's time, and a worker that does not start raises ``RunFailure``."""
        if self._proc is not None and self._proc.poll() is not None:  # died idle (killed from outside)
            self.close()
        if self._proc is None:
            self._proc, self._buf = self._workers.start(), b""
            waited = max(timeout, STARTUP_TIMEOUT)
            ready = self._reply(waited)
            if not isinstance(ready, dict):
                raise self._not_started(ready, waited)
        try:
            self._proc.stdin.write((json.dumps({"script": str(script), "work": str(work)}) + "\n").encode())
        except OSError:
            return self._ended("eof", work)
        reply = self._reply(timeout)
        if not isinstance(reply, dict):
            return self._ended(reply, work)
        if reply["left"]:  # a thread or a process of the script still runs: it must not reach the next script
            self.close()
        return "done", int(reply["code"]), reply["left"]

    def _not_started(self, how: str, waited: float) -> BaseException:
        """Why a fresh worker never said it was ready (it hung or ended while importing): the build stops, as a
        second worker would fail the same way, and no script is to blame. KeyboardInterrupt when the build was
        being stopped."""
        log = self._proc.log  # type: ignore[attr-defined]
        log.seek(0)
        said = [ln.strip() for ln in log.read().decode("utf-8", "replace").splitlines() if ln.strip()]
        cmd = " ".join(self._workers.cmd)
        code = self.close()
        if self.stopped:
            return KeyboardInterrupt()
        why = f"did not start within {waited:g} s" if how == "timeout" else f"{_status(code)} while starting"
        return RunFailure(f"a gallery worker process ({cmd}) {why}" + (f": {said[-1]}" if said else "")
                          + "; no script was run")

    def _reply(self, timeout: float) -> dict | str:
        """The worker's next line, or "timeout", or "eof" (it ended)."""
        deadline = time.monotonic() + timeout
        fd = self._proc.stdout.fileno()
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return "timeout"
            chunk = os.read(fd, 4096)
            if not chunk:
                return "eof"
            self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        return json.loads(line)

    def _ended(self, how: str, work: Path) -> tuple[str, int | None, list[str]]:
        """The worker timed out (it is killed) or ended by itself (a crash, ``os._exit``, or the build being
        stopped): what it said before a script's output was redirected goes to the script's log."""
        log = self._proc.log  # type: ignore[attr-defined]
        log.seek(0)
        early = log.read()
        code = self.close()
        if how == "timeout":
            return "timeout", None, []
        if early and not (work / STDERR_FILE).exists():
            (work / STDERR_FILE).write_bytes(early)
        return "died", code, []

    @property
    def stopped(self) -> bool:
        return self._workers.stopped

    def close(self) -> int | None:
        proc, self._proc = self._proc, None
        return None if proc is None else self._workers.end(proc)


def _status(code: int | None) -> str:
    """How a process ended, from its status: ``crashed (SIGSEGV)`` or ``exited with status 3``."""
    return f"crashed ({signal.Signals(-code).name})" if code is not None and code < 0 else f"exited with status {code}"


def _kill_group(proc: subprocess.Popen) -> None:
    """Kill the script's process group, and any descendant that left it (``setsid``) while its parent lives."""
    strays = _descendants(proc.pid)  # found before the kill: orphans are re-parented and lost from the tree
    for kill, pid in [(os.killpg, proc.pid)] + [(os.kill, p) for p in strays]:
        try:
            kill(pid, signal.SIGKILL)
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


def build_one(script: Path, out: Path, *, timeout: float = DEFAULT_TIMEOUT, python: str | None = None,
              worker: _Worker | None = None) -> ExampleResult:
    """Run one script in a worker process (``worker``, or a fresh one) and install its pictures, thumbnail and
    source under ``out/<name>/``."""
    own = worker is None
    worker = worker or _Worker(_Workers(python, out))
    name, (title, _) = script.stem, read_script(script)
    t0 = time.perf_counter()
    work = out / f".build-{name}-{secrets.token_hex(4)}"  # not mkdtemp: the folder keeps the umask's permissions
    work.mkdir()
    try:
        status, code, left = worker.run(script.resolve(), work, timeout)
        if worker.stopped:
            raise KeyboardInterrupt
        stdout, stderr = ((work / f).read_text("utf-8", "replace") if (work / f).exists() else ""
                          for f in (STDOUT_FILE, STDERR_FILE))

        def fail(error: str) -> ExampleResult:
            return _fail(out, name, title, error, stdout, stderr, time.perf_counter() - t0)

        if status == "timeout":
            return fail(f"timed out after {timeout:g} s")
        if (work / ERROR_FILE).exists():
            return fail((work / ERROR_FILE).read_text())
        if status == "died":  # a signal, or os._exit
            return fail(_status(code) + ("" if code is not None and code < 0 else " before its pictures were saved"))
        # the script ran to its end and passed: a worker answers 1 only with the error in ERROR_FILE
        made = json.loads((work / MANIFEST).read_text())
        files, notes = made["files"], made["warnings"] + left
        if not files:
            return fail("made no picture (leave its figures open in pyplot, its animations bound to module-level "
                        "names)")
        claims = [ln.strip()[len(CLAIM_PREFIX):].strip() for ln in stdout.splitlines()
                  if ln.strip().startswith(CLAIM_PREFIX)]
        if not claims:
            notes.append(f"printed no '{CLAIM_PREFIX} ...' line: the caption is empty")
        # sphinx-gallery's rule: the first picture, or the one a `# sphinx_gallery_thumbnail_number = N` line names
        pictures = [f for f in files if not f.endswith(".html")]
        pick = re.search(r"^# sphinx_gallery_thumbnail_number = (-?\d+)", script.read_text(encoding="utf-8"), re.M)
        i = int(pick.group(1)) - 1 if pick else 0
        i = i + 1 if i < 0 else i  # -1 is the last, as in sphinx-gallery
        make_thumbnail(work / pictures[i if -len(pictures) <= i < len(pictures) else 0], work / "thumb.png")
        shutil.copyfile(script, work / script.name)
        for p in work.iterdir():  # keep the pictures, the thumbnail and the script
            if p.name not in {*files, "thumb.png", script.name}:
                shutil.rmtree(p) if p.is_dir() else p.unlink()
        result = ExampleResult(name=name, ok=True, seconds=0.0, title=title, caption=" ".join(claims),
                               files=[f"{name}/{f}" for f in files], thumb=f"{name}/thumb.png", stdout=stdout,
                               warnings=notes)
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
        if own:
            worker.close()


def _output_folder(out: Path) -> Path:
    """``out`` made absolute and created, after checking that files can be created in it (tried for real: permission
    bits do not tell root or a read-only mount), so a bad ``--out`` fails before any script runs."""
    out = expand_user(out).resolve()
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
    shutil.rmtree(out / name, ignore_errors=True)
    (out / f"{name}.html").unlink(missing_ok=True)
    return ExampleResult(name=name, ok=False, seconds=seconds, title=title, error=" ".join(error.split()),
                         log=str(log), stdout=stdout)


def _index_order(scripts: list[Path], src: Path) -> list[Path]:
    """``scripts`` in the index's order: the header's list, then the scripts it does not name, by name."""
    order = {stem: i for i, stem in enumerate(read_header(src).order)}
    return sorted(scripts, key=lambda p: (order.get(p.stem, len(order)), p.name))


def _take(queue: list[Path], lane: int) -> Path:
    """The next script for worker ``lane`` from ``queue`` (the index's order). Neighbours in the index are related
    lessons (one sweep read by two claims, one surface raced twice), so a worker takes them one after the other
    and finds what the first compiled or computed in its own process; the even workers start from the end
    (the tutorial's network sweeps, the costliest) and the odd ones from the start (single races), so the two
    ends never compile the same program at once, and the workers meet in the middle and finish together."""
    return queue.pop() if lane % 2 == 0 else queue.pop(0)


def build(src: str | os.PathLike[str] | None = None, out: str | os.PathLike[str] = "gallery-out", *,
          only: str | None = None, jobs: int | None = None, timeout: float = DEFAULT_TIMEOUT,
          echo: Callable[[str], None] | None = print, python: str | None = None) -> BuildReport:
    """Build the gallery from the scripts in ``src`` into ``out``; see the module docstring.

    ``jobs`` worker processes run scripts at once (default: the number of CPUs, at most 4), taking them as
    :func:`_take` says; ``report.results`` keeps the scripts' name order. ``echo`` receives one line per script as
    it finishes (status, seconds, files or error) and a final total; pass ``None`` for silence. The index lists
    every example built in ``out`` whose script is still in ``src``, so ``only`` rebuilds a few and keeps the rest.
    """
    src = expand_user(src) if src is not None else default_source()
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

    def one(script: Path, worker: _Worker) -> ExampleResult:
        r = build_one(script, out, timeout=timeout, worker=worker)
        with lock:
            done.append(r)
            if echo:
                where = ", ".join(Path(f).name for f in r.files) if r.ok else f"{r.error}  (log: {r.log})"
                echo(f"[{len(done):>2}/{len(scripts)}] {'ok  ' if r.ok else 'FAIL'} {script.name:<{width}} "
                     f"{r.seconds:6.1f} s  {where}")
                for w in r.warnings:
                    echo(f"        warning: {script.name}: {w}")
        return r

    def lane(number: int) -> None:
        """One worker process runs scripts from the shared queue until it is empty."""
        worker = _Worker(workers)
        try:
            while True:
                with lock:
                    if not queue:
                        return
                    script = _take(queue, number)
                one(script, worker)
        finally:
            worker.close()

    workers, lock, queue = _Workers(python, out), threading.Lock(), _index_order(scripts, src)
    pool = ThreadPoolExecutor(max_workers=min(jobs, len(scripts)))
    try:
        for future in [pool.submit(lane, i) for i in range(min(jobs, len(scripts)))]:
            future.result()
    except BaseException:  # Ctrl-C, or a lane failed: stop the running scripts now, their half-built folders go
        workers.stop()
        with lock:
            queue.clear()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=True)
    by_name = {r.name: r for r in done}
    results = [by_name[p.stem] for p in scripts]
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
body{font:15px/1.5 system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:1.5em;color:#222}
a{color:#1f5fa8}.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(250px,1fr));gap:1.1em}
.card{border:1px solid #ddd;border-radius:6px;padding:.6em;background:#fafafa;color:inherit;text-decoration:none}
.card img,.media img{max-width:100%;height:auto;display:block}.card h2{font-size:1em;margin:.5em 0 .3em;color:#1f5fa8}
.card p{font-size:.85em;margin:0;color:#444}.claim{background:#eef5ee;border-left:4px solid #3a7d44;padding:.5em .8em}
pre{background:#f4f4f4;border:1px solid #e2e2e2;padding:.7em;overflow-x:auto;font-size:13px}
"""


def _inline(text: str) -> str:
    """Escape text, then render ``code`` / `code` spans."""
    return re.sub(r"``(.+?)``|`([^`]+)`", lambda m: f"<code>{m.group(1) or m.group(2)}</code>",
                  html.escape(text, quote=False))


def _paragraphs(text: str) -> str:
    return "\n".join(f"<p>{_inline(' '.join(b.split()))}</p>" for b in re.split(r"\n\s*\n", text.strip()) if b.strip())


def _page(title: str, body: str) -> str:
    return (f"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{html.escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n")


def _example_page(meta: dict[str, Any], lesson: str, source: str, title: str) -> str:
    parts = [f"<p><a href=\"index.html\">&larr; {html.escape(title)}</a></p>", f"<h1>{html.escape(meta['title'])}</h1>"]
    if meta.get("caption"):
        parts.append(f"<p class=\"claim\"><strong>Claim.</strong> {_inline(meta['caption'])}</p>")
    for f in meta["files"]:
        href, base = html.escape(f, quote=True), html.escape(Path(f).name)
        if f.endswith(".html"):
            parts.append(f"<p><a href=\"{href}\">{base}</a>: the animation with play, pause and step controls</p>")
        else:
            parts.append(f"<p class=\"media\"><a href=\"{href}\"><img src=\"{href}\" alt=\"{base}\"></a></p>")
    parts.append(_paragraphs(lesson))
    if meta.get("stdout", "").strip():
        parts.append(f"<h2>What it prints</h2>\n<pre>{html.escape(meta['stdout'].rstrip())}</pre>")
    link = f"<a href=\"{html.escape(meta['source'], quote=True)}\">{html.escape(Path(meta['source']).name)}</a>"
    parts.append(f"<h2>The code ({link})</h2>\n<pre><code>{html.escape(source)}</code></pre>")
    return _page(f"{meta['title']} - {title}", "\n".join(parts))


def write_index(out: str | os.PathLike[str], src: str | os.PathLike[str]) -> list[str]:
    """Write ``index.html`` and one page per example built in ``out`` whose script is still in ``src``, in the
    header's order; returns the example names listed."""
    out, src = Path(out), Path(src)
    header = read_header(src)
    cards, names = [], []
    for script in _index_order(list(src.glob(SCRIPT_GLOB)), src):
        meta_file = out / script.stem / "meta.json"
        if not meta_file.is_file():
            continue
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        copy = out / meta["source"]  # the copy that was run, not a newer edit
        _write_text(out / f"{script.stem}.html", _example_page(meta, read_script(copy)[1], copy.read_text(
            encoding="utf-8"), header.title))
        thumb = base64.b64encode((out / meta["thumb"]).read_bytes()).decode("ascii")
        cards.append(f"<a class=\"card\" href=\"{html.escape(script.stem, quote=True)}.html\">"
                     f"<img src=\"data:image/png;base64,{thumb}\" alt=\"{html.escape(meta['title'], quote=True)}\">"
                     f"<h2>{html.escape(meta['title'])}</h2><p>{_inline(meta.get('caption', ''))}</p></a>")
        names.append(script.stem)
    body = (f"<h1>{html.escape(header.title)}</h1>\n{_paragraphs(header.intro)}\n"
            "<div class=\"grid\">\n" + "\n".join(cards) + "\n</div>")
    _write_text(out / "index.html", _page(header.title, body))
    return names


# ------------------------------------------------------------------------------------- the child process

def reset_example(gallery_conf: Any = None, fname: Any = None) -> None:
    """Seed Python's and NumPy's global generators with 0 before an example runs: the runner's child calls it, and
    the docs build through sphinx-gallery's ``reset_modules`` (whose signature this has)."""
    import random

    import numpy as np

    random.seed(0)
    np.random.seed(0)


def _error_line(exc: BaseException, script: Path) -> str:
    """``line N: Type: message`` with N the last line of the script in the traceback."""
    lines = [f.lineno for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename).resolve() == script]
    msg = (str(exc).strip().splitlines() or [""])[0]
    what = f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__
    return f"line {lines[-1]}: {what}" if lines else what


def _scrape(namespace: dict[str, Any], stem: str, work: Path) -> list[str]:
    """Save every figure open in pyplot, as sphinx-gallery's matplotlib scraper does: an animation bound to a
    module-level name as GIF and HTML player (GIF only for a plain matplotlib animation), any other as PNG."""
    import matplotlib.pyplot as plt
    from matplotlib.animation import Animation, PillowWriter

    from .render import Animation as OvAnimation
    from .render import save

    anims = {id(v._fig): v for v in namespace.values() if isinstance(v, Animation)}
    files: list[str] = []
    for fig in map(plt.figure, plt.get_fignums()):
        anim = anims.get(id(fig))
        suffixes = (".png",) if anim is None else (".gif", ".html") if isinstance(anim, OvAnimation) else (".gif",)
        for suffix in suffixes:
            n = sum(f.endswith(suffix) for f in files)
            name = f"{stem}{f'_{n + 1}' if n else ''}{suffix}"
            if isinstance(anim, OvAnimation):
                save(anim, work / name, progress=False)
                files.append(name)
                continue
            with atomic_path(work / name, suffix=suffix) as tmp:
                if anim is None:
                    fig.savefig(tmp, format="png")
                else:
                    anim.save(tmp, writer=PillowWriter(fps=1000.0 / float(getattr(anim, "_interval", 50) or 50)))
            files.append(name)
    plt.close("all")
    return files


def _run_script(script: Path, work: Path) -> int:
    """Run one gallery script as ``__main__`` in the scratch folder ``work/.cwd`` and save what it drew into
    ``work`` (see the module docstring): 0, or 1 with its one-line error in ``work/.ov-error``."""
    import runpy

    scratch = work / ".cwd"
    scratch.mkdir()
    stem = script.stem[len("plot_"):] if script.stem.startswith("plot_") else script.stem
    worker = os.getpid()
    with _fresh_state(script, scratch):
        try:
            try:
                try:
                    namespace = runpy.run_path(str(script), run_name="__main__")
                finally:
                    if os.getpid() != worker:  # a process the script forked came back here: only the worker goes on
                        os._exit(0)
            except SystemExit as exc:
                if exc.code not in (0, None):
                    (work / ERROR_FILE).write_text(f"exited with status {exc.code}")
                    return 1
                namespace = {}
            files = _scrape(namespace, stem, work)
            namespace.clear()
        except BaseException as exc:  # every failure as one line; the log keeps the traceback
            traceback.print_exc()
            (work / ERROR_FILE).write_text(_error_line(exc, script))
            return 1
    stray = sorted(str(p.relative_to(scratch)) for p in scratch.rglob("*") if p.is_file())
    notes = [f"wrote {', '.join(stray)} into its working folder (sphinx-gallery runs it in the source folder): "
                "leave figures open in pyplot instead"] if stray else []
    (work / MANIFEST).write_text(json.dumps({"files": files, "warnings": notes}))
    return 0


@contextlib.contextmanager
def _fresh_state(script: Path, scratch: Path) -> Iterator[None]:
    """Give a script what a fresh process would, and take back what it changed, so the scripts a worker runs in
    turn cannot see each other (sphinx-gallery's resets, and a few more): pyplot's figures closed, the rcParams
    and the backend restored, ``plt.show`` a no-op, Python's and NumPy's seeds (:func:`reset_example`), the
    working folder, ``sys.argv``, ``sys.path``, the environment (and the time zone), the process-wide settings of
    ``_SETTINGS`` (``sys.stdout``, the umask, trace and profile hooks, the garbage collector...), NumPy's error
    and print options, warning filters, the logging configuration, signal handlers and interval timers, JAX's
    flags, the names the script registered in optiviz's registries (:func:`optiviz.registry.snapshot`), and the
    modules imported from the script's own folder (a helper such as ``my_surfaces.py`` is imported afresh). What
    stays is what only makes a second script faster: imported libraries, compiled programs, the persistent
    compilation cache's settings and memoized lesson experiments (pure functions of their arguments). A thread or a
    process the script leaves running is not undone here: the worker retires (:func:`_left_running`)."""
    import matplotlib
    import matplotlib.pyplot as plt
    import numpy as np

    from .registry import snapshot

    saved = os.getcwd(), sys.argv, sys.path[:], dict(os.environ), set(sys.modules), [read() for read, _ in _SETTINGS]
    np_err, np_print = np.geterr(), np.get_printoptions()
    backend, flags, logs, signals = matplotlib.get_backend(), _jax_flags(), _logging_state(), _signal_state()
    restore_registries = snapshot()
    plt.show = _no_show  # the script's plt.show() is where the runner takes over
    os.chdir(scratch)
    sys.argv = [str(script)]
    sys.path.insert(0, str(script.parent))
    reset_example()
    try:
        with warnings.catch_warnings(), matplotlib.rc_context():
            try:
                yield
            finally:
                plt.close("all")
    finally:
        cwd, sys.argv, sys.path[:], environ, modules, settings = saved
        os.chdir(cwd)
        if dict(os.environ) != environ:
            os.environ.clear()
            os.environ.update(environ)
            time.tzset()  # the C library read TZ if the script called time.tzset()
        for (read, write), value in zip(_SETTINGS, settings):
            if read() != value:
                write(value)
        np.seterr(**np_err)
        np.set_printoptions(**np_print)
        if matplotlib.get_backend() != backend:
            plt.switch_backend(backend)
        _restore_jax_flags(flags)
        _restore_logging(logs)
        _restore_signals(signals)
        for name in set(sys.modules) - modules:
            file = getattr(sys.modules[name], "__file__", None)
            if file and Path(file).resolve().parent == script.parent:
                del sys.modules[name]
        restore_registries()  # after: what a forgotten helper module registered goes with it
        gc.collect()


def _no_show(*args: Any, **kwargs: Any) -> None:
    pass


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _set_gc(state: tuple[bool, tuple[int, ...]]) -> None:
    gc.set_threshold(*state[1])
    (gc.enable if state[0] else gc.disable)()


def _set_streams(streams: tuple[Any, Any, Any]) -> None:
    sys.stdin, sys.stdout, sys.stderr = streams


#: process-wide settings that a script may change and a fresh process has at their defaults, as (read, write)
#: pairs: a value that differs after the script is written back (a umask would change the permissions of a later
#: script's pictures, a profile hook or a disabled collector its speed, a replaced sys.stdout swallow its output,
#: blocked signals never reach it)
_SETTINGS: tuple[tuple[Callable[[], Any], Callable[[Any], Any]], ...] = (
    (lambda: (sys.stdin, sys.stdout, sys.stderr), _set_streams),
    (_umask, os.umask),
    (sys.getrecursionlimit, sys.setrecursionlimit),
    (sys.gettrace, sys.settrace), (sys.getprofile, sys.setprofile),
    (threading.gettrace, threading.settrace), (threading.getprofile, threading.setprofile),
    (lambda: (gc.isenabled(), gc.get_threshold()), _set_gc),
    (lambda: signal.pthread_sigmask(signal.SIG_BLOCK, ()), partial(signal.pthread_sigmask, signal.SIG_SETMASK)),
)


#: JAX flags a worker keeps from one script to the next: the persistent compilation cache's, which optiviz sets on
#: first use (undone, the next script would compile without the cache), shared like the compiled programs
_SHARED_JAX_FLAGS = ("jax_compilation_cache_", "jax_persistent_cache_", "jax_enable_compilation_cache")


def _jax_flags() -> dict[str, Any] | None:
    """JAX's configuration (``jax.config.values``: ~130 flags, a few microseconds), or None before JAX is imported."""
    jax = sys.modules.get("jax")
    return dict(jax.config.values) if jax is not None else None


def _restore_jax_flags(flags: dict[str, Any] | None) -> None:
    """Set back every JAX flag the script changed. When the script is the first of its worker to import JAX, the
    values a fresh import gives are not known (JAX keeps its defaults private): the x64 switch goes back to its
    default, False, and any other flag the script changed stays (importing JAX before each worker's first script
    would cost a matplotlib-only gallery ~1.5 s a worker)."""
    jax = sys.modules.get("jax")
    if jax is None:
        return
    now = jax.config.values
    for name, value in (flags if flags is not None else {"jax_enable_x64": False}).items():
        if now.get(name) != value and not name.startswith(_SHARED_JAX_FLAGS):
            jax.config.update(name, value)


def _logging_state() -> tuple[int, list[tuple[Any, int, list[Any], bool, bool]]]:
    """The logging configuration: ``logging.disable``'s level, and each existing logger's level, handlers,
    propagation and disabled flag (``basicConfig`` adds a handler to the root logger; a later script would log
    through it)."""
    import logging

    loggers = [logging.root, *(lg for lg in logging.Logger.manager.loggerDict.values()
                               if isinstance(lg, logging.Logger))]
    return logging.root.manager.disable, [(lg, lg.level, lg.handlers[:], lg.propagate, lg.disabled)
                                          for lg in loggers]


def _restore_logging(state: tuple[int, list[tuple[Any, int, list[Any], bool, bool]]]) -> None:
    """Put the loggers that existed back as they were (a logger made by the script, such as a library's module
    logger created on import, keeps its own configuration)."""
    import logging

    disable, loggers = state
    if logging.root.manager.disable != disable:
        logging.disable(disable)
    for lg, level, handlers, propagate, disabled in loggers:
        if lg.level != level:
            lg.setLevel(level)
        if lg.handlers != handlers:
            lg.handlers[:] = handlers
        lg.propagate, lg.disabled = propagate, disabled


def _signal_state() -> dict[signal.Signals, Any]:
    return {s: signal.getsignal(s) for s in signal.valid_signals()}


def _restore_signals(handlers: dict[signal.Signals, Any]) -> None:
    """Put back the signal handlers the script changed and stop the interval timers it started (an alarm it set
    would go off in a later script)."""
    for timer in (signal.ITIMER_REAL, signal.ITIMER_VIRTUAL, signal.ITIMER_PROF):
        if signal.getitimer(timer) != (0.0, 0.0):
            signal.setitimer(timer, 0)
    changed = [(s, h) for s, h in handlers.items() if h is not None and signal.getsignal(s) is not h]
    for s, h in changed:
        signal.signal(s, h)
    if changed:
        import faulthandler

        if faulthandler.is_enabled():  # restoring SIGSEGV's handler (or SIGABRT's...) replaced faulthandler's
            faulthandler.enable()


def _worker_main() -> int:
    """A worker: read ``{"script": ..., "work": ...}`` lines on stdin, run each script with its output sent to
    files in its build folder, and answer ``{"code": 0 or 1}`` on stdout; end at the end of stdin.

    Importing JAX, matplotlib and optiviz once, and keeping the programs a script compiled (and the lessons'
    memoized experiments), is what makes a worker faster than a process per script; :func:`_fresh_state` keeps
    the scripts independent."""
    import faulthandler

    commands = os.fdopen(os.dup(0), "r", encoding="utf-8")
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)  # a script reading stdin reads nothing, and cannot eat the commands
    os.dup2(null, 1)
    faulthandler.enable()  # a crash leaves its Python traceback on fd 2: the script's log
    _adopt_orphans()
    try:  # JAX and optiviz are imported by the first script that needs them (none, for a matplotlib-only one)
        import matplotlib.pyplot  # noqa: F401
    except BaseException:  # noqa: S110  a broken installation: each script then fails with its own message
        traceback.print_exc()
    replies.write(json.dumps({"ready": True}) + "\n")
    for line in commands:
        job = json.loads(line)
        work = Path(job["work"])
        sys.stdout.flush()
        sys.stderr.flush()
        for fd, name in ((1, STDOUT_FILE), (2, STDERR_FILE)):
            f = os.open(work / name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(f, fd)
            os.close(f)
        threads = set(threading.enumerate())
        try:
            code = _run_script(Path(job["script"]), work)
            left = _left_running(threads)
        except BaseException:  # the runner itself failed (resetting the state): the worker ends, the log says why
            traceback.print_exc()
            raise
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(null, 1)
            os.dup2(null, 2)
        replies.write(json.dumps({"code": code, "left": left}) + "\n")
    return 0


def _adopt_orphans() -> None:
    """Make the worker the reaper of its orphaned descendants (Linux's ``PR_SET_CHILD_SUBREAPER``): a process a
    script starts in the background (``sh -c "cmd &"``, a daemon's double fork) stays the worker's child, so
    :func:`_left_running` sees it and ending the worker ends it. Elsewhere only direct children are seen."""
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER


def _left_running(threads: set[threading.Thread]) -> list[str]:
    """What the script that just ran left running besides ``threads`` (those alive before it): threads and child
    processes, which could print into a later script's output or end its worker in the middle of it. They
    cannot be stopped safely from inside, so the worker retires after such a script (a fresh one runs the
    rest); the parent ends its process group. Finished children are reaped here. Costs microseconds."""
    new = [t for t in threading.enumerate() if t not in threads and not isinstance(t, threading._DummyThread)]
    children = False
    with contextlib.suppress(ChildProcessError):  # no child at all
        while True:
            pid, _ = os.waitpid(-1, os.WNOHANG)
            if pid == 0:  # a child still runs
                children = True
                break
    what = [f"{len(new)} threads" if len(new) > 1 else "a thread"] if new else []
    what += ["a child process"] if children else []
    return [f"left {' and '.join(what)} running when it ended: stopped with its worker process (join threads and "
            "wait for processes before the end: sphinx-gallery runs the next example in the same process)"
            ] if what else []


if __name__ == "__main__":
    if sys.argv[1:] == ["--worker"]:
        sys.exit(_worker_main())
    sys.exit("usage: python -m optiviz.gallery --worker (the runner's worker process; see optiviz gallery --help)")
