"""The gallery's worker processes: several scripts share one process, and still cannot see each other.

``optiviz gallery`` runs the scripts in long-lived workers (one per job); between scripts a worker resets what a
fresh process would give a script. These tests build tiny matplotlib-only galleries with ``--jobs 1``, so every
script of a build runs in the same worker, one after the other, in name order.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from optiviz import gallery

# Leaves behind everything a script can change in its process: pyplot figures, rcParams and the backend,
# plt.show, a module-level name,
# NumPy's global generator and print options, the environment, sys.path and sys.argv, a warnings filter, the
# working folder, and a helper module imported from the script's folder.
DIRTY = '''\
"""Leaves a mess"""
import os, sys, warnings
import matplotlib.pyplot as plt
import numpy as np
import helper_mod

helper_mod.CALLS.append("dirty")
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
'''

# Records what it finds when it starts, and draws a figure that depends on the rcParams.
CLEAN = '''\
"""Finds a fresh process"""
import json, os, sys, warnings
import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import helper_mod

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
}
plt.show()
helper_mod.CALLS.append("clean")
fig, ax = plt.subplots(figsize=(2, 1.5), dpi=40)
ax.plot([0, 1, 0.5])
print("FOUND " + json.dumps(found, sort_keys=True))
print(f"Claim: pid {os.getpid()}")
'''


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
    _write(src, "helper_mod.py", "CALLS = []\n")
    _write(src, "plot_a_dirty.py", DIRTY)
    _write(src, "plot_b_clean.py", CLEAN)
    shared = gallery.build(src, tmp_path / "shared", jobs=1, echo=None)
    alone = gallery.build(src, tmp_path / "alone", only="plot_b_clean", jobs=1, echo=None)
    assert shared.ok and alone.ok
    dirty, clean = shared.results
    assert _pid(dirty) == _pid(clean), "both scripts ran in one worker"
    assert _pid(alone.results[0]) != _pid(clean)
    found = _found(clean)
    assert found == _found(alone.results[0])  # what a fresh worker gives it
    assert found["figures"] == [] and not found["leaked"] and found["env"] is None and not found["nowhere"]
    assert found["argv"] == ["plot_b_clean.py"] and not found["error_filter"] and found["cwd_files"] == []
    assert found["helper_calls"] == [] and found["rand"] == 0.5488135039273248  # np.random.seed(0)
    assert found["linewidth"] != 7.5 and found["facecolor"] != "black"
    assert found["backend"].lower() == "agg" and "shown" not in clean.stdout
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


def test_a_crash_or_a_timeout_fails_only_its_script_and_a_new_worker_runs_the_rest(tmp_path):
    src = tmp_path / "src"
    ok = '"""Fine"""\nimport os\nimport matplotlib.pyplot as plt\nplt.figure(figsize=(1, 1), dpi=20)\n' \
         'print(f"Claim: pid {os.getpid()}")\n'
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
    report = gallery.build(src, out, jobs=1, timeout=10, echo=None)
    r = {res.name: res for res in report.results}
    assert [res.ok for res in report.results] == [False, True] * 5
    assert r["plot_a_raises"].error == "line 2: ValueError: bad value"
    assert r["plot_c_exits"].error == "exited with status 1"
    assert r["plot_e_os_exit"].error == "exited with status 3 before its pictures were saved"
    assert r["plot_g_segfault"].error == "crashed (SIGSEGV)"
    assert r["plot_i_hangs"].error == "timed out after 10 s"
    assert "bye" in (out / "_failed" / "plot_e_os_exit.log").read_text()
    assert "Segmentation fault" in (out / "_failed" / "plot_g_segfault.log").read_text()  # faulthandler's trace
    pids = [_pid(r[n]) for n in ("plot_b_ok", "plot_d_ok", "plot_f_ok", "plot_h_ok", "plot_j_ok")]
    assert pids[0] == pids[1], "an exception or sys.exit keeps the worker"
    assert len(set(pids[1:])) == 4, "os._exit, a crash and a timeout each cost a worker: a new one takes over"
    assert not list(out.glob(".build-*"))
    for n in ("plot_b_ok", "plot_d_ok", "plot_f_ok", "plot_h_ok", "plot_j_ok"):
        assert (out / n / f"{n[5:]}.png").is_file()


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
