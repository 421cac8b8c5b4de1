#!/usr/bin/env python3
"""Set up a private virtual environment and run optiviz or its tests: needs only Python 3.11+.

    python3 dev.py demo      # set up .venv, then: optiviz animate --surface ravine
    python3 dev.py test      # set up .venv, then: the whole test suite (pytest)
    python3 dev.py run ARGS  # set up .venv, then: optiviz ARGS
    python3 dev.py bench     # set up .venv, then: the speed table (bench/table.py; bench/bench_*.py in detail)
    python3 dev.py docs      # set up .venv, then: the Sphinx site into docs/_build/html
    python3 dev.py readme    # set up .venv, then: rewrite README's "What optiviz teaches" from `optiviz lessons`
    python3 dev.py durations # check in the last test run's times (tests/durations.json: a clean clone's work order)

The environment is rebuilt only when pyproject.toml changes (a stamp file records its hash).
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / "optiviz-install.sha256"


def _want() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


# Every command installs the same extras, so the test command has what the docs and their tests need.
EXTRAS = "test,mp4,docs,serve-test"


def setup(extras: str = EXTRAS) -> None:
    if sys.version_info < (3, 11):
        sys.exit(f"dev.py: error: optiviz needs Python 3.11 or newer, this is {sys.version.split()[0]}")
    if not PY.exists():
        print("dev.py: creating .venv ...", file=sys.stderr, flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    want = f"{_want()} {extras}"
    if STAMP.exists() and STAMP.read_text().strip() == want:
        return
    print("dev.py: installing optiviz and its test extras into .venv ...", file=sys.stderr, flush=True)
    pip = [str(PY), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run(pip + ["-e", f"{ROOT}[{extras}]"], check=True)
    STAMP.write_text(want)


def main(argv: list[str]) -> int:
    cmd, rest = (argv[0], argv[1:]) if argv else ("demo", [])
    if cmd in ("-h", "--help", "help"):
        print(__doc__)
        return 0
    if cmd == "durations":  # needs no .venv: the times the scheduler in tests/conftest.py reads on a clean clone
        import json

        recorded = ROOT / ".pytest_cache" / "v" / "optiviz" / "test-durations"
        if not recorded.is_file():
            sys.exit("dev.py: error: no recorded test times; run python3 dev.py test first")
        times = {k: round(v, 2) for k, v in sorted(json.loads(recorded.read_text()).items())}
        (ROOT / "tests" / "durations.json").write_text(json.dumps(times, indent=0) + "\n")
        print(f"dev.py: tests/durations.json: {len(times)} tests' times", file=sys.stderr)
        return 0
    setup()
    env = dict(os.environ)
    if cmd == "demo":
        return subprocess.call([str(BIN / "optiviz"), "animate", "--surface", "ravine", *rest], env=env)
    if cmd == "run":
        return subprocess.call([str(BIN / "optiviz"), *rest], env=env)
    if cmd == "test":
        # one worker per core (pytest-xdist); tests sharing a session result are grouped into one worker. Python
        # keeps bytecode, as it does by default (an environment may set PYTHONDONTWRITEBYTECODE): otherwise every
        # worker rewrites the test modules' asserts and every subprocess a test starts recompiles optiviz's sources
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        return subprocess.call([str(PY), "-m", "pytest", "-q", "-n", "auto", "--dist", "loadgroup", *rest], cwd=ROOT,
                               env=env)
    if cmd == "bench":  # the speed table, each row a ratio to its floor or peer; writes bench/results.json
        return subprocess.call([str(PY), str(ROOT / "bench" / "table.py"), *rest], cwd=ROOT, env=env)
    if cmd == "docs":
        out = ROOT / "docs" / "_build" / "html"
        code = subprocess.call([str(PY), "-m", "sphinx", "-b", "html", "-W", "--keep-going", "-q", str(ROOT / "docs"),
                                str(out), *rest], cwd=ROOT, env=env)
        if code == 0:
            print(f"dev.py: the site is in {out / 'index.html'}", file=sys.stderr)
        return code
    if cmd == "readme":  # the lessons table is generated, never typed: full sweeps, then the section is replaced
        done = subprocess.run([str(BIN / "optiviz"), "lessons", "--markdown", *rest], env=env, cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)
        if done.returncode not in (0, 1):
            return done.returncode
        sys.path.insert(0, str(ROOT))
        from optiviz.lessons.report import replace_block

        readme = ROOT / "README.md"
        readme.write_text(replace_block(readme.read_text(), done.stdout.strip()))
        print("dev.py: README.md's lessons section rewritten", file=sys.stderr)
        return done.returncode
    if cmd == "setup":
        return 0
    print(f"dev.py: error: unknown command {cmd!r} (choose demo, test, run, bench, docs, readme, durations, setup)",
          file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
