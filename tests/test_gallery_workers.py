"""The gallery's worker processes: several scripts share one process, and still cannot see each other.

``optiviz gallery`` runs the scripts in long-lived workers (one per job); between scripts a worker resets what a
fresh process would give a script. These tests build tiny matplotlib-only galleries with ``--jobs 1``, so every
script of a build runs in the same worker, one after the other, from the last name to the first (the index's
order taken from its end, as :func:`optiviz.gallery._take` gives the first worker).
"""
from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from optiviz import gallery
from optiviz.cli import main
from optiviz.errors import RunFailure

# Leaves behind everything a script can change in its process: pyplot figures, rcParams and the backend,
# plt.show, a module-level name, NumPy's global generator and print options, the environment, sys.path and
# sys.argv, a warnings filter, the working folder, a helper module imported from the script's folder, names in
# optiviz's registries (a surface registered before the surfaces' built-ins load, a schedule in a registry whose
# module it imports first; a library module outside the script's folder registers one as it is imported, as does
# the helper module), the logging configuration, a signal handler, a pending alarm and a blocked signal, the time
# zone, the umask, the recursion limit, the garbage collector, a profile hook and sys.stdout.
DIRTY = '''\
"""Leaves a mess"""
import gc, logging, os, signal, sys, time, warnings
import matplotlib.pyplot as plt
import numpy as np
import helper_mod
import optiviz as ov
from optiviz import schedules
from optiviz.surface import registry as surfaces

sys.path.append(helper_mod.LIB)
import lib_mod

@ov.register_surface
@ov.surface(domain=((-1, 1), (-1, 1)), start=(0.5, 0.5), minima=[(0.0, 0.0)])
def leaked_bowl(x, y):
    return x ** 2 + y ** 2

schedules.register("leaked_schedule")(lambda: 1.0)
assert "leaked_bowl" in surfaces.names() and "ravine" in surfaces.names()  # the built-ins load after the snapshot
logging.basicConfig(level=logging.DEBUG)
signal.signal(signal.SIGUSR1, lambda *args: print("the dirty script's handler"))
signal.signal(signal.SIGALRM, lambda *args: print("the dirty script's alarm"))
signal.setitimer(signal.ITIMER_REAL, 30)
os.environ["TZ"] = "Asia/Tokyo"
time.tzset()
os.umask(0o077)
sys.setrecursionlimit(5000)
gc.disable()
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR2})

helper_mod.CALLS.append("dirty")
open(helper_mod.RAN, "a").write("dirty\\n")
LEAKED = 42
plt.rcParams["lines.linewidth"] = 7.5
plt.rcParams["figure.facecolor"] = "black"
np.random.rand(7)
np.set_printoptions(precision=2)
os.environ["OV_TEST_LEAK"] = "1"
sys.path.append("/nowhere")
sys.argv.append("--extra")
warnings.simplefilter("error")
plt.switch_backend("pdf")
plt.show = lambda *args, **kwargs: print("shown by the dirty script's plt.show")
os.makedirs("sub", exist_ok=True)
os.chdir("sub")
open("note.txt", "w").close()
plt.figure(figsize=(1, 1), dpi=20)
plt.figure(figsize=(1, 1), dpi=20)
print(f"Claim: pid {os.getpid()}")
sys.stdout = open(os.devnull, "w")
sys.setprofile(lambda *args: None)
'''

# Records what it finds when it starts, and draws a figure that depends on the rcParams.
CLEAN = '''\
"""Finds a fresh process"""
import gc, json, logging, os, signal, sys, time, warnings
import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import helper_mod
from optiviz import schedules
from optiviz.surface import registry as surfaces

sys.path.append(helper_mod.LIB)
import lib_mod

found = {
    "figures": plt.get_fignums(),
    "linewidth": matplotlib.rcParams["lines.linewidth"],
    "facecolor": matplotlib.rcParams["figure.facecolor"],
    "leaked": "LEAKED" in globals(),
    "rand": float(np.random.rand()),
    "precision": np.get_printoptions()["precision"],
    "env": os.environ.get("OV_TEST_LEAK"),
    "nowhere": "/nowhere" in sys.path,
    "argv": [os.path.basename(a) for a in sys.argv],
    "error_filter": any(f[0] == "error" for f in warnings.filters),
    "cwd": os.path.basename(os.getcwd()),
    "cwd_files": sorted(os.listdir(".")),
    "helper_calls": list(helper_mod.CALLS),
    "backend": matplotlib.get_backend(),
    "surfaces": surfaces.names(),
    "schedules": schedules.names(),
    "logging": [logging.root.level, len(logging.root.handlers)],
    "signals": [signal.getsignal(signal.SIGUSR1) == signal.SIG_DFL, signal.getitimer(signal.ITIMER_REAL),
                sorted(signal.pthread_sigmask(signal.SIG_BLOCK, ()))],
    "process": [time.timezone, os.umask(0o022), sys.getrecursionlimit(), gc.isenabled(), sys.getprofile() is None],
}
plt.show()
helper_mod.CALLS.append("clean")
open(helper_mod.RAN, "a").write("clean\\n")
fig, ax = plt.subplots(figsize=(2, 1.5), dpi=40)
ax.plot([0, 1, 0.5])
print("FOUND " + json.dumps(found, sort_keys=True))
print(f"Claim: pid {os.getpid()}")
'''


# Draws a figure and prints its worker's pid.
OK = '"""Fine"""\nimport os\nimport matplotlib.pyplot as plt\nplt.figure(figsize=(1, 1), dpi=20)\n' \
     'print(f"Claim: pid {os.getpid()}")\n'


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(textwrap.dedent(text))
    return folder / name


def _found(result: gallery.ExampleResult) -> dict:
    (line,) = [ln for ln in result.stdout.splitlines() if ln.startswith("FOUND ")]
    return json.loads(line[len("FOUND "):])


def _pid(result: gallery.ExampleResult) -> int:
    return int(result.caption.split()[-1])


def test_a_script_sees_a_fresh_process_after_another_ran_in_its_worker(tmp_path):
    src = tmp_path / "src"
    ran = tmp_path / "ran.txt"
    register = "from optiviz import schedules\nschedules.register({!r})(lambda: 1.0)\n"
    _write(src, "helper_mod.py", f"CALLS = []\nRAN = {str(ran)!r}\nLIB = {str(tmp_path / 'lib')!r}\n"
           + register.format("helper_schedule"))
    _write(tmp_path / "lib", "lib_mod.py", register.format("lib_schedule"))
    _write(src, "plot_c_dirty.py", DIRTY)
    _write(src, "plot_b_clean.py", CLEAN)
    shared = gallery.build(src, tmp_path / "shared", jobs=1, echo=None)
    alone = gallery.build(src, tmp_path / "alone", only="plot_b_clean", jobs=1, echo=None)
    assert shared.ok and alone.ok
    assert ran.read_text().split() == ["dirty", "clean", "clean"], "the dirty script ran first in the shared worker"
    clean, dirty = shared.results
    assert _pid(dirty) == _pid(clean), "both scripts ran in one worker"
    assert _pid(alone.results[0]) != _pid(clean)
    found = _found(clean)
    assert found == _found(alone.results[0])  # what a fresh worker gives it
    assert found["figures"] == [] and not found["leaked"] and found["env"] is None and not found["nowhere"]
    assert found["argv"] == ["plot_b_clean.py"] and not found["error_filter"] and found["cwd_files"] == []
    assert found["helper_calls"] == [] and found["rand"] == 0.5488135039273248  # np.random.seed(0)
    assert found["linewidth"] != 7.5 and found["facecolor"] != "black"
    assert found["backend"].lower() == "agg" and "shown" not in clean.stdout
    assert "leaked_bowl" not in found["surfaces"] and "ravine" in found["surfaces"]
    assert "leaked_schedule" not in found["schedules"] and "cosine" in found["schedules"]
    assert "helper_schedule" in found["schedules"] and "lib_schedule" in found["schedules"]
    assert found["logging"] == [logging.WARNING, 0] and found["signals"] == [True, [0.0, 0.0], []]
    umask = os.umask(0o022)
    os.umask(umask)
    assert found["process"] == [0, umask, 1000, True, True]
    assert clean.files == ["plot_b_clean/b_clean.png"] and len(dirty.files) == 2
    png = "plot_b_clean/b_clean.png"
    assert (tmp_path / "shared" / png).read_bytes() == (tmp_path / "alone" / png).read_bytes()
    # the dirty script's working folder is its own scratch folder: what it wrote there is reported, not kept
    assert dirty.warnings and "wrote sub/note.txt into its working folder" in dirty.warnings[0]
    assert not (src / "sub").exists()


def test_modules_in_the_users_folder_do_not_reach_the_scripts(tmp_path, monkeypatch):
    """A worker starts in the build folder, not the user's: ``python -m`` puts its start folder first on sys.path
    for the worker's life, where a module of the user's folder would shadow optiviz's imports and every script's."""
    user = tmp_path / "user"
    _write(user, "only_in_users_folder.py", "X = 1\n")
    _write(tmp_path / "src", "plot_probe.py", '"""Probe"""\nimport matplotlib.pyplot as plt\n'
           'try:\n    import only_in_users_folder\n    seen = True\nexcept ImportError:\n    seen = False\n'
           'plt.figure(figsize=(1, 1), dpi=20)\nprint(f"Claim: seen {seen}")\n')
    monkeypatch.chdir(user)
    report = gallery.build(tmp_path / "src", tmp_path / "out", jobs=1, echo=None)
    assert report.ok and report.results[0].caption == "seen False"


@pytest.mark.slow  # ~8 s: four fresh workers and the hanging script's timeout
def test_a_crash_or_a_timeout_fails_only_its_script_and_a_new_worker_runs_the_rest(tmp_path):
    src = tmp_path / "src"
    ok = OK
    scripts = {
        "plot_a_raises.py": '"""Raises"""\nraise ValueError("bad value")\n',
        "plot_b_ok.py": ok,
        "plot_c_exits.py": '"""Exits"""\nimport sys\nsys.exit(1)\n',
        "plot_d_ok.py": ok,
        "plot_e_os_exit.py": '"""Ends its process"""\nimport os\nprint("bye", flush=True)\nos._exit(3)\n',
        "plot_f_ok.py": ok,
        "plot_g_segfault.py": '"""Segfaults"""\nimport ctypes\nctypes.string_at(0)\n',
        "plot_h_ok.py": ok,
        "plot_i_hangs.py": '"""Hangs"""\nimport time\ntime.sleep(600)\n',
        "plot_j_ok.py": ok,
    }
    for name, text in scripts.items():
        _write(src, name, text)
    out = tmp_path / "out"
    report = gallery.build(src, out, jobs=1, timeout=2, echo=None)  # from a worker's ready: ok scripts take ~0.1 s
    r = {res.name: res for res in report.results}
    assert [res.ok for res in report.results] == [False, True] * 5
    assert r["plot_a_raises"].error == "line 2: ValueError: bad value"
    assert r["plot_c_exits"].error == "exited with status 1"
    assert r["plot_e_os_exit"].error == "exited with status 3 before its pictures were saved"
    assert r["plot_g_segfault"].error == "crashed (SIGSEGV)"
    assert r["plot_i_hangs"].error == "timed out after 2 s"
    assert "bye" in (out / "_failed" / "plot_e_os_exit.log").read_text()
    assert "Segmentation fault" in (out / "_failed" / "plot_g_segfault.log").read_text()  # faulthandler's trace
    pids = [_pid(r[n]) for n in ("plot_b_ok", "plot_d_ok", "plot_f_ok", "plot_h_ok", "plot_j_ok")]
    assert pids[0] == pids[1], "an exception or sys.exit keeps the worker"
    assert len(set(pids[1:])) == 4, "os._exit, a crash and a timeout each cost a worker: a new one takes over"
    assert not list(out.glob(".build-*"))
    for n in ("plot_b_ok", "plot_d_ok", "plot_f_ok", "plot_h_ok", "plot_j_ok"):
        assert (out / n / f"{n[5:]}.png").is_file()


def test_a_script_that_leaves_threads_or_processes_running_passes_and_its_worker_retires(tmp_path):
    """What a script leaves running could print into a later script's output or end its worker in the middle of
    it: the worker retires after it, and ending the worker ends what the script left. A process the script forks
    that comes back into the runner (a bare ``os.fork()``) ends there, instead of running scripts beside it."""
    src = tmp_path / "src"  # one worker runs them from the last name to the first
    _write(src, "plot_b_leaves.py", OK.replace("Fine", "Leaves work") + 'import subprocess, threading, time\n'
           'for _ in range(2):\n    threading.Thread(target=time.sleep, args=(30,)).start()\n'
           'if os.fork():  # the child goes on to the end of the script, back into the runner\n    time.sleep(0.2)\n'
           '    print(f"child {subprocess.Popen([\'sleep\', \'30\']).pid}")\n')
    _write(src, "plot_a_ok.py", OK)
    report = gallery.build(src, tmp_path / "out", jobs=1, echo=None)
    assert report.ok, [r.error for r in report.results]
    ok, leaves = report.results
    assert _pid(leaves) != _pid(ok), "a worker retires after a script that left work"
    assert leaves.warnings == ["left 2 threads and a child process running when it ended: stopped with its worker "
                               "process (join threads and wait for processes before the end: sphinx-gallery runs the "
                               "next example in the same process)"]
    assert not ok.warnings and leaves.stdout.count("Claim:") == 1
    (child,) = [int(ln.split()[1]) for ln in leaves.stdout.splitlines() if ln.startswith("child ")]
    assert not Path(f"/proc/{child}").exists() or "zombie" in Path(f"/proc/{child}/status").read_text()


def test_a_worker_that_does_not_start_fails_the_build_not_a_script(tmp_path, monkeypatch, capsys):
    """A worker that cannot be started, or hangs or ends while importing, is not the first script's timeout or
    crash: the build stops with one line saying so (exit status 1), and no script is reported as failed."""
    src = tmp_path / "src"
    _write(src, "plot_a.py", OK)
    hangs = _write(tmp_path, "hangs", "#!/bin/sh\nexec sleep 30\n")
    dies = _write(tmp_path, "dies", "#!/bin/sh\necho 'No module named optiviz' >&2\nexit 3\n")
    for fake in (hangs, dies):
        fake.chmod(0o755)
    monkeypatch.setattr(gallery, "STARTUP_TIMEOUT", 0.1)
    with pytest.raises(RunFailure, match=r"^a gallery worker process \(\S*hangs -m optiviz.gallery --worker\) did not "
                                         r"start within 0.3 s; no script was run$"):
        gallery.build(src, tmp_path / "out", jobs=1, timeout=0.3, python=str(hangs), echo=None)
    with pytest.raises(RunFailure, match=r"^cannot start a gallery worker process \(\S*missing -m optiviz.gallery "
                                         r"--worker\): No such file or directory; no script was run$"):
        gallery.build(src, tmp_path / "out", jobs=1, python=str(tmp_path / "missing"), echo=None)
    monkeypatch.setattr(sys, "executable", str(dies))
    assert main(["gallery", "--src", str(src), "--out", str(tmp_path / "out"), "--jobs", "1"]) == 1
    assert capsys.readouterr().err.strip().endswith(" exited with status 3 while starting: No module named optiviz; "
                                                    "no script was run")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == []


def test_the_reset_puts_back_jax_flags_but_keeps_the_compilation_cache(tmp_path, monkeypatch):
    """Checked in this process (a worker imports JAX only for scripts that use it)."""
    import jax
    import matplotlib.pyplot as plt

    monkeypatch.setattr(plt, "show", plt.show)  # the reset makes it a no-op
    min_time = jax.config.jax_persistent_cache_min_compile_time_secs
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    try:
        with gallery._fresh_state(_write(tmp_path, "plot_x.py", ""), scratch):
            jax.config.update("jax_debug_nans", True)
            jax.config.update("jax_enable_x64", True)
            jax.config.update("jax_persistent_cache_min_compile_time_secs", min_time + 1.0)
        assert not jax.config.jax_debug_nans and not jax.config.jax_enable_x64
        assert jax.config.jax_persistent_cache_min_compile_time_secs == min_time + 1.0  # optiviz sets the cache's
    finally:  # the other tests of this process compute in float32 with these flags
        for name, value in (("jax_debug_nans", False), ("jax_enable_x64", False),
                            ("jax_persistent_cache_min_compile_time_secs", min_time)):
            jax.config.update(name, value)


def test_the_command_line_runs_scripts_in_shared_workers_and_exits_1_on_a_failure(tmp_path):
    """A real ``optiviz gallery`` process: progress lines, one failure line, exit status 1, every worker gone."""
    src = tmp_path / "src"
    ok = '"""Fine"""\nimport os\nimport matplotlib.pyplot as plt\nplt.figure(figsize=(1, 1), dpi=20)\n' \
         'print(f"Claim: pid {os.getpid()}")\nopen(os.path.join(os.environ["PIDS"], str(os.getpid())), "w").close()\n'
    for name in ("plot_a.py", "plot_b.py", "plot_c.py", "plot_d.py"):
        _write(src, name, ok)
    _write(src, "plot_bad.py", '"""Segfaults"""\nimport ctypes\nctypes.string_at(0)\n')
    pids = tmp_path / "pids"
    pids.mkdir()
    env = {**os.environ, "PIDS": str(pids)}
    done = subprocess.run([sys.executable, "-m", "optiviz", "gallery", "--src", str(src), "--out",
                           str(tmp_path / "out"), "--jobs", "2"], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert sum(ln.startswith("[") and " ok   plot_" in ln for ln in lines) == 4
    assert any("FAIL plot_bad.py" in ln and "crashed (SIGSEGV)" in ln for ln in lines)
    assert "gallery: 4 built, 1 failed" in done.stdout
    assert "gallery: error: plot_bad.py: crashed (SIGSEGV)" in done.stdout
    workers = {int(p.name) for p in pids.iterdir()}
    assert len(workers) <= 3, "four scripts in at most two workers and the one that replaced the crashed one"
    for pid in workers:  # the build ended its workers
        assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text()


def test_one_worker_takes_the_index_order_backwards_and_the_report_keeps_name_order(tmp_path):
    """The index (README.txt) runs from cheap races to costly network sweeps: a lone worker starts from its end
    (scripts it does not name come last in the index, so first here)."""
    src = tmp_path / "src"
    log = tmp_path / "ran.txt"
    for name in ("plot_a.py", "plot_b.py", "plot_c.py"):
        _write(src, name, f'"""Logs"""\nimport matplotlib.pyplot as plt\nplt.figure(figsize=(1, 1), dpi=20)\n'
                          f'open({str(log)!r}, "a").write({name!r} + "\\n")\n')
    _write(src, "README.txt", "Gallery\n=======\n\n..\n   * plot_c.py\n   * plot_a.py\n")
    report = gallery.build(src, tmp_path / "out", jobs=1, echo=None)
    assert log.read_text().split() == ["plot_b.py", "plot_a.py", "plot_c.py"]
    assert [r.name for r in report.results] == ["plot_a", "plot_b", "plot_c"]


def test_workers_take_neighbours_in_the_index_from_its_two_ends():
    queue = [Path(f"plot_{c}.py") for c in "abcde"]
    taken = [gallery._take(queue, lane).stem for lane in (0, 1, 0, 1, 0)]
    assert taken == ["plot_e", "plot_a", "plot_d", "plot_b", "plot_c"] and queue == []
    queue = [Path(f"plot_{c}.py") for c in "abcdef"]  # four workers: two from each end
    assert [gallery._take(queue, lane).stem for lane in (0, 1, 2, 3)] == ["plot_f", "plot_a", "plot_e", "plot_b"]
