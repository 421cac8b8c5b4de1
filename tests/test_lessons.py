"""The lessons registry: the verdict rule, the result type, the API (the experiments' own tests are below)."""
from __future__ import annotations

import json

import numpy as np
import pytest

import optiviz as ov
from optiviz.errors import InvalidValueError, OptivizError, UnknownNameError
from optiviz.lessons import core
from optiviz.registry import Registry


@pytest.fixture
def private_registry(monkeypatch):
    reg = Registry("lessons")
    monkeypatch.setattr(core, "registry", reg)
    return reg


def test_verdict_holds_only_when_every_row_in_the_band_holds():
    rows = [{"lr": 0.01, "holds": False, "in_band": False}, {"lr": 0.1, "holds": True},
            {"lr": 1.0, "holds": True}, {"lr": 10.0, "holds": False, "in_band": False}]
    r = core.verdict("x", "a claim.", core.Sweep(rows=rows, measured={"m": np.float32(0.5)}))
    assert r.holds and r.robustness == 0.5 and r.settings == 4
    assert [f["lr"] for f in r.failures] == [0.01, 10.0]
    assert "holds" not in r.failures[0] and "in_band" not in r.failures[0]
    # one failing row inside the band flips the verdict
    rows[1] = {"lr": 0.1, "holds": False}
    assert not core.verdict("x", "a claim.", core.Sweep(rows=rows)).holds
    # no row in the band: nothing was shown
    assert not core.verdict("x", "c.", core.Sweep(rows=[{"holds": True, "in_band": False}])).holds


def test_result_is_frozen_and_json_ready():
    r = core.verdict("x", "c.", core.Sweep(rows=[{"lr": np.float64(0.1), "holds": np.bool_(True)}],
                                           measured={"frac": np.array([0.5, float("nan")])}, claim="refined."))
    with pytest.raises(Exception):
        r.holds = False
    d = json.loads(json.dumps(r.to_dict(rows=True)))
    assert d["claim"] == "refined." and d["holds"] is True and d["robustness"] == 1.0
    assert d["measured"]["frac"] == [0.5, None] and d["rows"][0]["lr"] == 0.1
    assert set(d) >= {"name", "claim", "holds", "robustness", "settings", "failures", "measured", "seconds"}


def test_malformed_sweeps_are_refused():
    with pytest.raises(OptivizError, match="tried no setting"):
        core.verdict("x", "c.", core.Sweep(rows=[]))
    with pytest.raises(OptivizError, match="'holds'"):
        core.verdict("x", "c.", core.Sweep(rows=[{"lr": 1.0}]))
    with pytest.raises(OptivizError, match="not a Sweep"):
        core.verdict("x", "c.", [{"holds": True}])


def test_check_runs_a_registered_lesson_with_overrides(private_registry):
    @core.lesson("toy", claim="Two is more than one.", topic="test")
    def toy(quick=False, *, scale=1.0):
        n = 3 if quick else 9
        return core.Sweep(rows=[{"k": k, "holds": 2 * scale > k} for k in range(n)], measured={"n": n})

    assert core.names() == ["toy"]
    r = core.check("toy", quick=True)
    assert (r.settings, r.holds, r.quick, r.topic) == (3, False, True, "test")
    assert r.robustness == pytest.approx(2 / 3) and r.failures == ({"k": 2},)
    assert core.check("toy", quick=True, scale=10.0).holds
    assert toy(quick=True).measured == {"n": 3}  # the decorator hands back the function itself
    with pytest.raises(InvalidValueError, match="takes no option 'lr'.*scale"):
        core.check("toy", lr=0.1)
    with pytest.raises(UnknownNameError, match="did you mean 'toy'"):
        core.check("tyo")
    with pytest.raises(OptivizError, match="already registered"):
        core.lesson("toy", claim="again.")(toy)


def test_band_is_the_widest_run_that_holds():
    assert core.band([1, 2, 3, 4, 5, 6], [False, True, True, False, True, False]) == (2, 3)
    assert core.band([3, 1, 2], [True, True, False]) == (1, 1)  # sorted by value; the first of equal runs
    assert core.band([1, 2], [False, False]) is None


def test_lessons_are_reachable_lazily_from_the_package():
    assert ov.lessons.check is core.check and ov.lessons.Sweep is core.Sweep


# ------------------------------------------------------------------------------ the optimizer claims (quick sweeps)

OPTIMIZER_CLAIMS = ["adagrad_vs_rmsprop", "adam_is_rmsprop_momentum", "l1_vs_l2_geometry", "momentum_escapes",
                    "plateau_stalls_gd", "saddle_slows_gd"]


@pytest.fixture(scope="module")
def quick_results(quick_lesson):
    return {name: quick_lesson(name) for name in OPTIMIZER_CLAIMS}


@pytest.mark.parametrize("name", OPTIMIZER_CLAIMS)
def test_each_optimizer_claim_holds_as_stated_on_a_quick_sweep(quick_results, name):
    r = quick_results[name]
    assert r.holds, (r.claim, r.failures)
    assert r.settings >= 7 and 0 < r.robustness <= 1 and r.claim != core.get(name).claim  # refined by the numbers
    lrs = sorted({row["lr"] for row in r.rows})
    assert len(lrs) >= 7 and lrs[-1] / lrs[0] >= 99  # >= 7 learning rates over >= 2 decades
    json.dumps(r.to_dict(rows=True))


def test_the_claims_state_the_numbers_measured(quick_results):
    m = quick_results["momentum_escapes"].measured
    lo, hi = m["band"]
    assert hi >= 10 * lo and m["momentum"] > m["gd"]
    assert f"Momentum {round(100 * m['momentum'])}%" in quick_results["momentum_escapes"].claim
    assert quick_results["adam_is_rmsprop_momentum"].measured["max_difference"] < 1e-5
    l1 = quick_results["l1_vs_l2_geometry"]
    assert all(row["l1_max_abs_y"] <= 0.025 and row["l2_min_abs_y"] >= 0.1 for row in l1.rows if row["in_band"])


def test_a_grid_override_that_leaves_the_band_fails_the_claim():
    # momentum_escapes holds from lr 0.002 to 0.06; above 0.1 GD overshoots into the global basin too
    r = core.check("momentum_escapes", quick=True, lrs=np.logspace(-1, 0, 7))
    assert not r.holds and "no lr band" in r.claim and len(r.failures) >= 5


# ------------------------------------------------------------------------------------------ optiviz lessons

def test_cli_one_claim_prints_its_sweep_and_json(capsys, monkeypatch, quick_lesson):
    from optiviz import lessons
    from optiviz.cli import main

    # the sweep is the session's (its verdict is tested above): the command is asked for the quick one, by name
    real = lessons.check
    monkeypatch.setattr(lessons, "check", lambda name, quick=False, **kw: quick_lesson(name) if quick and not kw
                        else real(name, quick, **kw))

    assert main(["lessons", "momentum_escapes", "--quick"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("momentum_escapes (optimizers): holds") and "(out)" in out and "Momentum" in out
    assert main(["lessons", "momentum_escapes", "--quick", "--json"]) == 0
    (obj,) = json.loads(capsys.readouterr().out)
    assert obj["name"] == "momentum_escapes" and obj["holds"] is True and len(obj["rows"]) == obj["settings"] == 7
    assert {"claim", "robustness", "failures", "measured", "seconds"} <= set(obj)


def test_cli_exit_codes_follow_the_verdicts(private_registry, capsys):
    from optiviz.cli import main

    @core.lesson("true_one", claim="This holds.")
    def true_one(quick=False):
        return core.Sweep(rows=[{"k": 1, "holds": True}])

    @core.lesson("false_one", claim="This does not.")
    def false_one(quick=False):
        return core.Sweep(rows=[{"k": 1, "holds": True}, {"k": 2, "holds": False}], measured={"k": 2})

    assert main(["lessons", "true_one"]) == 0
    assert main(["lessons"]) == 1
    out = capsys.readouterr().out
    assert "false_one" in out and "FAILS" in out and "50% of 2" in out and "1 of 2 claims hold" in out
    assert main(["lessons", "--json"]) == 1
    objs = json.loads(capsys.readouterr().out)
    assert [o["holds"] for o in objs] == [False, True] and objs[0]["failures"] == [{"k": 2}]
    assert main(["lessons", "ture_one"]) == 2
    assert "did you mean 'true_one'" in capsys.readouterr().err


def test_cli_lists_the_claims_in_a_real_process_and_the_package_imports_light():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "optiviz", "lessons", "--list"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "momentum_escapes" in done.stdout and "Momentum rolls past" in done.stdout
    code = "import sys, optiviz; optiviz.lessons.check; print('jax' in sys.modules, 'numpy' in sys.modules)"
    light = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert light.stdout.split() == ["False", "False"], light.stderr


# ------------------------------------------------------------------------------------------ README

README = __import__("pathlib").Path(__file__).resolve().parent.parent / "README.md"


def test_the_readme_table_is_the_registry_s_claims():
    from optiviz.lessons import report

    rows = report.readme_rows(README.read_text())
    assert [name for name, _ in rows] == core.names(), "run `python3 dev.py readme` after adding or renaming a lesson"
    for name, claim in rows:
        assert claim == core.get(name).claim, f"{name}: the README states another claim; run `python3 dev.py readme`"


def test_the_readme_section_is_written_from_results(private_registry):
    from optiviz.lessons import report

    @core.lesson("toy", claim="A | B.")
    def toy(quick=False):
        return core.Sweep(rows=[{"holds": True}, {"holds": False, "in_band": False}], claim="A | B, measured.")

    block = report.readme_block([core.check("toy")])
    text = report.replace_block(f"intro\n{report.README_START}\nold\n{report.README_END}\nrest", block)
    assert text.startswith("intro\n") and text.endswith("\nrest") and "\nold\n" not in text
    assert "| `toy` | A \\| B. | A \\| B, measured. | holds | 50% of 2 |" in text
    assert report.readme_rows(text) == [("toy", "A | B.")]
    with pytest.raises(ValueError):
        report.replace_block("no markers", block)
