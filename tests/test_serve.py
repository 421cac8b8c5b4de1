"""The playground's JSON API through Starlette's TestClient: every route, every error, the Host check, the limits,
what a page may name, the compiled-program reuse; plus the real server (a uvicorn subprocess) and ov.playground().

Small sizes throughout: the bowl surface, two optimizers, steps inside the first bucket (100), so the module
compiles only a few programs.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import urllib.request

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("starlette", reason="the serve extra is not installed (pip install 'optiviz[serve]')")
pytest.importorskip("httpx2", reason="Starlette's TestClient needs httpx2")

import optiviz as ov  # noqa: E402
from optiviz.serve import api  # noqa: E402
from optiviz.serve.app import create_app  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

BASE = "http://127.0.0.1:8765"
RACE = {"surface": "bowl", "optimizers": [{"name": "gd", "lr": 0.05}, {"name": "adam", "lr": 0.1}],
        "start": [-2.0, 1.0], "steps": 60, "seed": 0}


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(), base_url=BASE) as c:
        yield c


def post(client, path, body, **kw):
    return client.post(path, content=json.dumps(body), headers={"content-type": "application/json"}, **kw)


def bad(resp, *fragments, status=400):
    assert resp.status_code == status, resp.text
    data = resp.json()
    assert set(data) == {"error"}
    msg = data["error"]
    assert "\n" not in msg and "Traceback" not in msg
    for f in fragments:
        assert f in msg, msg
    return msg


# ---------------------------------------------------------------------------------------------- the routes

def test_version_reports_the_package_and_api_versions(client):
    data = client.get("/api/version").json()
    assert data["optiviz"] == ov.__version__
    assert data["api"] == api.API_VERSION
    assert data["limits"]["steps"] == api.LIMITS.steps


def test_surfaces_lists_every_builtin_with_its_geometry(client):
    data = client.get("/api/surfaces").json()
    assert [s["name"] for s in data] == ov.surfaces.builtin_names()
    ravine = next(s for s in data if s["name"] == "ravine")
    s = ov.load_surface("ravine")
    assert ravine["caption"] == s.title
    assert ravine["domain"] == [list(s.domain[0]), list(s.domain[1])]
    assert ravine["start"] == list(s.start)
    assert ravine["minima"] == [list(m) for m in s.minima]


def test_optimizers_lists_every_builtin_with_slider_ranges(client):
    data = client.get("/api/optimizers").json()
    names = [o["name"] for o in data]
    assert names[:5] == list(api.DEFAULT_OPTIMIZERS)
    assert sorted(names) == sorted(ov.optimizers.names())
    adam = next(o for o in data if o["name"] == "adam")
    assert adam["hyperparameters"]["lr"]["log"] is True
    assert adam["hyperparameters"]["b1"] == {"default": 0.9, "min": 0.0, "max": 0.999, "log": False, "type": "number"}
    rms = next(o for o in data if o["name"] == "rmsprop")
    assert rms["hyperparameters"]["bias_correction"]["type"] == "bool"
    assert rms["hyperparameters"]["convention"] == {
        "default": "optax", "type": "choice", "choices": ["optax", "torch"],
        # what picking a convention sets (lr stays the race's): torch's RMSprop decays 0.99, eps outside the root
        "sets": {"optax": {"decay": 0.9, "eps_in_sqrt": True}, "torch": {"decay": 0.99, "eps_in_sqrt": False}}}
    adagrad = next(o for o in data if o["name"] == "adagrad")["hyperparameters"]["convention"]["sets"]
    assert adagrad["torch"] == {"initial_accumulator_value": 0.0, "eps": 1e-10, "eps_in_sqrt": False}
    assert "convention" not in next(o for o in data if o["name"] == "lion")["hyperparameters"]  # torch has no Lion
    sgd = next(o for o in data if o["name"] == "sgd")
    assert sgd["hyperparameters"]["noise"]["default"] > 0


def test_grid_samples_the_surface(client):
    data = client.get("/api/grid", params={"surface": "bowl", "n": 12}).json()
    X, Y, Z = ov.load_surface("bowl").grid(12)
    assert data["n"] == 12 and len(data["x"]) == 12 and len(data["z"]) == 12
    np.testing.assert_allclose(data["x"], X[0], rtol=1e-6)
    np.testing.assert_allclose(data["y"], Y[:, 0], rtol=1e-6)
    np.testing.assert_allclose(data["z"], Z, rtol=1e-5)
    assert data["zmin"] == pytest.approx(Z.min())


def test_grid_errors(client):
    bad(client.get("/api/grid", params={"surface": "bowl", "n": 100000}), "limit is 400")
    bad(client.get("/api/grid", params={"surface": "bowl", "n": 1}), "from 2 to 400")
    bad(client.get("/api/grid", params={"surface": "bowl", "n": "many"}), "'many'")
    bad(client.get("/api/grid", params={"surface": "ravin"}), "did you mean 'ravine'")


def test_index_and_static_files_are_served(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<script src="/static/app.js"' in page.text
    assert "cdn" not in page.text.lower() and "https://" not in page.text
    js = client.get("/static/app.js")
    assert js.status_code == 200 and "/api/run" in js.text


# ---------------------------------------------------------------------------------------------- /api/run

def test_run_matches_the_engine_exactly_although_the_program_runs_a_whole_bucket(client):
    data = post(client, "/api/run", RACE).json()
    runs = ov.run("bowl", {"gd": {"lr": 0.05}, "adam": {"lr": 0.1}}, steps=60, start=(-2.0, 1.0),
                  tol=data["tol"])
    assert [r["label"] for r in data["runs"]] == ["gd", "adam"]
    assert data["steps"] == 60
    for r in data["runs"]:
        t = runs[r["label"]]
        assert len(r["path"]) == 61 and len(r["loss"]) == 61
        np.testing.assert_allclose(r["path"], t.path, rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(r["loss"], t.loss, rtol=1e-5, atol=1e-9)
        assert r["diverged_at"] == t.diverged_at and r["reached_at"] == t.reached_at
    from optiviz.render import style

    looks = style.assign(["gd", "adam"])  # the page draws each run as the figures do
    assert [(r["color"], r["marker"]) for r in data["runs"]] == [(lk.color, lk.marker) for lk in looks]
    # adam runs at the bowl's own lr, which its author suggested (not tuned): the label says so, as figures do
    assert [r["legend"] for r in data["runs"]] == ["GD lr 0.05", "Adam lr 0.1 (suggested)"]
    assert data["runs"][0]["reached_at"] is not None  # gd (lr 0.05) reaches the bowl's minimum within 60 steps


def test_run_labels_a_lr_on_the_surface_s_tuned_value_as_tuned_and_a_moved_one_as_given(client):
    lr = ov.load_surface("ravine").lr  # every built-in race's lrs are tuned (Surface.lr_tuned)
    body = {"surface": "ravine", "steps": 20, "optimizers": [{"name": "gd", "lr": lr["gd"]}, {"name": "adam", "lr": round(lr["adam"] * 0.7, 4)},
                                   {"name": "rmsprop", "lr": float(f"{lr['rmsprop']:.4g}")}]}
    legends = [r["legend"] for r in post(client, "/api/run", body).json()["runs"]]
    assert legends[0].endswith("(tuned)") and legends[2].endswith("(tuned)")  # the page keeps 4 significant figures
    assert "(" not in legends[1]  # the student's own lr claims nothing


def test_run_reports_the_server_s_time(client):
    timing = post(client, "/api/run", RACE).headers["server-timing"]
    parts = dict(p.strip().split(";dur=") for p in timing.split(","))
    assert set(parts) == {"compute", "json"} and all(float(v) >= 0 for v in parts.values())


def test_a_diverged_run_reports_its_step_and_a_finite_path(client):
    data = post(client, "/api/run", {**RACE, "optimizers": [{"name": "gd", "lr": 5.0}, {"name": "adam"}]}).json()
    gd = data["runs"][0]
    assert isinstance(gd["diverged_at"], int) and 0 < gd["diverged_at"] <= 60
    assert all(v is not None and np.isfinite(v) for p in gd["path"] for v in p)


def test_sliders_and_clicks_never_recompile(client):
    """A new lr, hyperparameter, start, seed or step count inside the bucket reuses the compiled program."""
    from jax import monitoring

    events: list[str] = []
    monitoring.register_event_duration_secs_listener(
        lambda event, duration, **kw: events.append(event) if "backend_compile" in event else None)
    first = post(client, "/api/run", RACE).json()
    events.clear()
    for change in ({"optimizers": [{"name": "gd", "lr": 0.01}, {"name": "adam", "lr": 0.3, "b1": 0.5}]},
                   {"start": [1.5, -1.0]}, {"seed": 3}, {"steps": 99}, {"steps": 7}):
        data = post(client, "/api/run", {**RACE, **change}).json()
        assert data["compiled"] is False, change
    assert events == [], events
    assert first["compiled"] in (True, False)  # the first may or may not have been compiled by an earlier test
    # crossing into another bucket compiles a new program, and says so
    assert post(client, "/api/run", {**RACE, "steps": 101}).json()["compiled"] is True


def test_internals_give_gradient_step_and_effective_lr(client):
    data = post(client, "/api/run", {**RACE, "internals": True}).json()
    gd = data["runs"][0]
    g, u, eff = (np.asarray(gd[k], dtype=float) for k in ("grad", "step", "effective_lr"))
    assert g.shape == u.shape == eff.shape == (60, 2)
    np.testing.assert_allclose(u, -0.05 * g, rtol=1e-5, atol=1e-8)  # gd's step is -lr * g
    np.testing.assert_allclose(eff[np.isfinite(eff)], 0.05, rtol=1e-4)


def test_basin_map_from_a_grid_of_starts(client):
    data = post(client, "/api/run", {**RACE, "starts": {"grid": 5}, "start": None} | {}).json() \
        if False else post(client, "/api/run", {k: v for k, v in RACE.items() if k != "start"}
                           | {"starts": {"grid": 5}}).json()
    assert data["n_starts"] == 25 and data["grid"] == 5
    for r in data["runs"]:
        assert len(r["basin"]) == len(r["final"]) == len(r["final_loss"]) == 25
    adam = data["runs"][1]
    assert set(adam["basin"]) == {0}  # the bowl has one minimum and adam reaches it from everywhere
    starts = api.grid_starts(ov.load_surface("bowl"), 5, api.LIMITS)
    runs = ov.run("bowl", {"adam": {"lr": 0.1}}, steps=60, starts=starts, record="final")
    np.testing.assert_allclose(adam["final"], runs["adam"].path[:, -1], rtol=1e-5, atol=1e-6)


def test_a_basin_map_answers_the_fields_asked_for(client):
    body = {k: v for k, v in RACE.items() if k != "start"} | {"starts": {"grid": 3}, "fields": ["basin"]}
    runs = post(client, "/api/run", body).json()["runs"]
    assert all("basin" in r and "final" not in r and "final_loss" not in r for r in runs)
    bad(post(client, "/api/run", {**body, "fields": ["path"]}), "fields must be a non-empty list drawn from final")
    bad(post(client, "/api/run", {**RACE, "fields": ["basin"]}), "give it with starts")


def test_basin_map_from_a_list_of_starts_marks_divergence(client):
    body = {k: v for k, v in RACE.items() if k != "start"} | {
        "optimizers": [{"name": "gd", "lr": 5.0}], "starts": [[-2.0, 1.0], [0.0, 0.0]]}
    gd = post(client, "/api/run", body).json()["runs"][0]
    assert gd["basin"] == [-2, 0]  # diverged from (-2, 1); already at the minimum from (0, 0)


def test_tune_returns_a_tuned_lr_per_optimizer(client):
    data = post(client, "/api/tune", {**RACE, "steps": 40}).json()
    assert [t["label"] for t in data["tuned"]] == ["gd", "adam"]
    tuned = ov.tune("bowl", {"gd": {}, "adam": {}}, steps=40, start=(-2.0, 1.0))
    assert [t["lr"] for t in data["tuned"]] == pytest.approx([tuned["gd"].lr, tuned["adam"].lr])


def test_export_renders_a_gif_with_the_real_renderer(client):
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    resp = post(client, "/api/export", {**RACE, "steps": 20, "frames": 6, "format": "gif"})
    assert resp.status_code == 200, resp.text
    assert plt.get_fignums() == before  # drawn in a worker thread outside pyplot: nothing left in its list
    assert resp.headers["content-type"] == "image/gif"
    assert resp.content[:6] == b"GIF89a"
    assert 'filename="optiviz-bowl.gif"' in resp.headers["content-disposition"]
    bad(post(client, "/api/export", {**RACE, "format": "avi"}), "format must be one of gif, mp4")
    bad(post(client, "/api/export", {**RACE, "frames": 100000}), "frames is 100000", "limit is 300")


# ---------------------------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("change, fragments", [
    ({"steps": 0}, ["steps must be", "got 0"]),
    ({"steps": 2.5}, ["steps must be a whole number"]),
    ({"steps": 10**6}, ["steps is 1000000", "limit is 5000"]),
    ({"optimizers": [{"name": "adam", "lr": -1}]}, ["adam: lr must be > 0"]),
    ({"optimizers": [{"name": "adam", "b1": 1.5}]}, ["adam: b1 must be in [0, 1)"]),
    ({"optimizers": [{"name": "adam", "beta": 0.5}]}, ["adam has no hyperparameter 'beta'"]),
    ({"optimizers": [{"name": "adma"}]}, ["unknown optimizer 'adma'", "did you mean", "'adam'"]),
    ({"optimizers": []}, ["optimizers must be a non-empty list"]),
    ({"optimizers": [{"lr": 0.1}]}, ['must be an object with a "name"']),
    ({"optimizers": [{"name": "gd"}] * 17}, ["the number of optimizers is 17", "limit is 16"]),
    ({"start": [1.0]}, ["start must be (x, y)"]),
    ({"start": ["a", "b"]}, ["start must be numbers"]),
    ({"seed": -1}, ["seed must be a whole number"]),
    ({"tol": "low"}, ["tol must be a number"]),
    ({"internals": "yes"}, ["internals must be true or false"]),
    ({"starts": {"grid": 1000}}, ["the number of starts is 1000 x 1000 = 1000000", "limit is 40000"]),
    ({"starts": {"rows": 3}}, ['starts must be a list of [x, y] points or {"grid": n}']),
    ({"colour": "red"}, ["unknown field 'colour'"]),
    ({"surface": "bowl:condition=-1"}, ["bowl"]),
    ({"surface": "expr:x**2 + y"[:5] + "+" * 3}, ["expr:"]),
    ({"surface": "expr:" + "x+" * 300 + "y"}, ["601 characters", "limit is 500 characters"]),
    ({"surface": "expr:__import__('os').system('true')"}, ["not allowed in a formula", "not evaluated"]),
])
def test_bad_input_is_a_400_with_the_cli_message(client, change, fragments):
    body = {**RACE, **change}
    if "starts" in change:
        body.pop("start")
    bad(post(client, "/api/run", body), *fragments)


BIG = "1" + "0" * 400  # a JSON integer past float's range


@pytest.mark.parametrize("raw, fragment", [
    ('{"steps": %s}' % BIG, "steps must be a whole number >= 1, got inf"),
    ('{"steps": 50, "start": [%s, 0]}' % BIG, "start must be finite"),
    ('{"steps": 50, "seed": -%s}' % BIG, "seed must be"),
    ('{"steps": 50, "optimizers": [{"name": "adam", "lr": NaN}]}', "adam: lr must be finite, got nan"),
    ('{"steps": 50, "starts": {"grid": %s}}' % BIG, "starts.grid must be a whole number >= 1, got inf"),
    ('{"steps": 50, "surface": "bowl:condition=%s"}' % BIG, "surface 'bowl': condition must be finite"),
    ('{"steps": 50, "surface": "expr:1/0"}', "is inf at its start"),
])
def test_numbers_past_a_float_are_a_400_too(client, raw, fragment):
    bad(client.post("/api/run", content=raw, headers={"content-type": "application/json"}), fragment)


def test_the_messages_are_the_library_s_own(client):
    from optiviz.errors import OptivizError

    with pytest.raises(OptivizError) as exc:
        ov.optimizers.spec("adam", lr=-1)
    assert bad(post(client, "/api/run", {**RACE, "optimizers": [{"name": "adam", "lr": -1}]})) == str(exc.value)


def test_body_must_be_a_json_object_with_json_content_type(client):
    bad(client.post("/api/run", data={"surface": "bowl"}), "Content-Type: application/json")
    bad(client.post("/api/run", content=json.dumps(RACE), headers={"content-type": "text/plain"}),
        "Content-Type: application/json", "'text/plain'")
    bad(client.post("/api/run", content=b"{nope", headers={"content-type": "application/json"}), "not valid JSON")
    bad(post(client, "/api/run", [1, 2]), "must be a JSON object")
    bad(client.post("/api/run", content=b"[" * 100000, headers={"content-type": "application/json"}))


def test_body_size_is_limited():
    with TestClient(create_app(limits=api.Limits(body=200)), base_url=BASE) as c:
        big = {**RACE, "starts": [[0.0, 0.0]] * 100}
        bad(post(c, "/api/run", big), "the request body is", "limit is 200 bytes")


def test_unknown_routes_and_methods_answer_json(client):
    bad(client.get("/api/nothing"), status=404)
    bad(client.get("/api/run"), status=405)
    bad(client.delete("/api/surfaces"), status=405)


# ---------------------------------------------------------------------------------------------- security

@pytest.mark.parametrize("method, path", [
    ("GET", "/"), ("GET", "/static/app.js"), ("GET", "/api/version"), ("GET", "/api/surfaces"),
    ("GET", "/api/optimizers"), ("GET", "/api/grid?surface=bowl&n=4"), ("POST", "/api/run"),
    ("POST", "/api/tune"), ("POST", "/api/export"), ("GET", "/api/nothing")])
def test_a_foreign_host_is_refused_on_every_route(client, method, path):
    for host in ("evil.example", "127.0.0.1:9999", "attacker.test:8765"):
        resp = client.request(method, path, headers={"host": host, "content-type": "application/json"},
                              content=json.dumps(RACE) if method == "POST" else None)
        msg = bad(resp, status=403)
        assert host in msg


def test_the_served_address_and_loopback_names_are_accepted(client):
    for host in ("127.0.0.1:8765", "localhost:8765", "LOCALHOST:8765"):
        assert client.get("/api/version", headers={"host": host}).status_code == 200


def test_no_cors_headers_anywhere(client):
    origin = {"origin": "https://evil.example"}
    responses = [client.get("/api/version", headers=origin),
                 client.options("/api/run", headers={**origin, "access-control-request-method": "POST",
                                                     "access-control-request-headers": "content-type"}),
                 client.post("/api/run", content=json.dumps(RACE),
                             headers={**origin, "content-type": "application/json"})]
    for resp in responses:
        assert not [h for h in resp.headers if h.lower().startswith("access-control-")]
    assert responses[1].status_code == 405  # a preflight is never granted


def test_security_headers(client):
    h = client.get("/").headers
    assert h["x-content-type-options"] == "nosniff"
    csp = dict(part.strip().split(" ", 1) for part in h["content-security-policy"].split(";"))
    assert csp["default-src"] == "'self'" and "script-src" not in csp  # scripts: this server's files only


_JSON = st.recursive(st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.floats() | st.text(max_size=8),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                                  max_size=3), max_leaves=6)


@settings(max_examples=int(os.environ.get("SERVE_FUZZ", 60)), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.dictionaries(st.sampled_from(sorted(api.RUN_FIELDS) + ["extra"]), _JSON, max_size=4),
       route=st.sampled_from(["/api/run", "/api/tune", "/api/export"]))
def test_any_json_body_is_answered_in_one_line_never_a_500(client, body, route):
    """Whatever JSON a page sends: a result or one line, never a crash. (Steps are kept out of the valid range,
    so no example compiles a new program or renders a long animation.)"""
    steps = body.get("steps", 0)
    whole = isinstance(steps, (int, float)) and not isinstance(steps, bool) and float(steps).is_integer()
    if route != "/api/run" or (whole and steps > 100):
        steps = 0
    body["steps"] = steps
    resp = post(client, route, body)
    assert resp.status_code in (200, 400), resp.text
    if resp.status_code == 400:
        bad(resp)


def test_a_page_cannot_name_a_file_a_module_or_a_plugin(client, tmp_path):
    marker = tmp_path / "imported"
    user = tmp_path / "evil_surface.py"
    user.write_text(f"open({str(marker)!r}, 'w').write('ran')\ndef bowl(x, y):\n    return x**2 + y**2\n")
    for spec in (f"{user}:bowl", "evil_surface:bowl", "os.path:join", "optiviz.surfaces.classic:bowl",
                 "../../etc/passwd", "bump"):
        msg = bad(post(client, "/api/run", {**RACE, "surface": spec}), "unknown surface")
        assert "built-in surfaces, 'expr:' formulas" in msg
        bad(client.get("/api/grid", params={"surface": spec, "n": 4}), "unknown surface")
    assert not marker.exists()


def test_a_surface_given_at_start_up_is_offered_by_its_spec(tmp_path):
    user = tmp_path / "mine.py"
    user.write_text("import optiviz as ov\n\n@ov.surface(domain=((-2, 2), (-2, 2)), start=(-1.5, 1.5), "
                    "minima=[(0, 0)])\ndef cup(x, y):\n    '''A round cup'''\n    return x**2 + y**2\n")
    spec = f"{user}:cup"
    with TestClient(create_app([spec, "ravine", spec, "bowl:condition=50"]), base_url=BASE) as c:
        listed = c.get("/api/surfaces").json()
        names = [s["name"] for s in listed]
        assert names == [*ov.surfaces.builtin_names(), spec, "bowl:condition=50"]  # each once
        assert listed[-2]["caption"] == "A round cup"
        data = post(c, "/api/run", {**RACE, "surface": spec, "start": [1.0, 1.0]}).json()
        assert data["runs"][1]["path"][0] == [1.0, 1.0]
        # the same file under another spelling is still refused
        bad(post(c, "/api/run", {**RACE, "surface": f"{tmp_path}/./mine.py:cup"}), "unknown surface")


def test_a_formula_runs(client):
    data = post(client, "/api/run", {**RACE, "surface": "expr:x**2 + 3*y**2", "steps": 20}).json()
    assert data["surface"] == "expr:x**2 + 3*y**2"
    assert data["f_min"] is None and data["tol"] is None  # a formula names no minimum
    assert len(data["runs"][0]["path"]) == 21


def test_busy_server_refuses_instead_of_queueing_without_bound():
    import anyio

    from optiviz.serve.app import Playground, _Busy

    pg = Playground(limits=api.Limits(workers=1, queue=1))
    release = threading.Event()

    async def main():
        results = []

        async def call():
            try:
                results.append(await pg.compute(lambda: release.wait(5) and "done"))
            except _Busy:
                results.append("busy")

        async with anyio.create_task_group() as tg:
            for _ in range(4):
                tg.start_soon(call)
            await anyio.sleep(0.3)
            assert pg.pending == 2  # one computing, one waiting
            release.set()
        return results

    results = anyio.run(main)
    assert sorted(results) == ["busy", "busy", "done", "done"]


def test_allowed_hosts():
    from optiviz.serve.app import allowed_hosts

    assert allowed_hosts("127.0.0.1", 8765) >= {"127.0.0.1:8765", "localhost:8765"}
    assert "127.0.0.1:8766" not in allowed_hosts("127.0.0.1", 8765)
    assert allowed_hosts("192.168.1.5", 80) == {"192.168.1.5:80", "192.168.1.5"}


# ---------------------------------------------------------------------------------------------- servers

def test_playground_serves_the_page_in_an_iframe():
    pg = ov.playground()
    try:
        assert pg.url.startswith("http://127.0.0.1:")
        html = pg._repr_html_()
        assert f'src="{pg.url}"' in html and html.startswith("<iframe")
        with urllib.request.urlopen(pg.url + "api/version", timeout=30) as resp:
            assert json.load(resp)["optiviz"] == ov.__version__
    finally:
        pg.stop()
    assert not pg.running


@pytest.mark.slow
def test_optiviz_serve_in_a_real_subprocess(tmp_path):
    """`optiviz serve --port 0 --no-browser`: the one line, a real request, SIGTERM ends it cleanly."""
    env = {**os.environ, "PYTHONUNBUFFERED": "0"}
    proc = subprocess.Popen([sys.executable, "-m", "optiviz", "serve", "--port", "0", "--no-browser"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    try:
        line = proc.stdout.readline()  # flushed by the command itself (stdout is a pipe here)
        assert line.startswith("optiviz: serving on http://127.0.0.1:") and line.endswith("/\n"), line
        url = line.split(" on ", 1)[1].strip()
        with urllib.request.urlopen(url + "api/version", timeout=60) as resp:
            assert json.load(resp)["api"] == api.API_VERSION
        req = urllib.request.Request(url + "api/version", headers={"Host": "evil.example"})
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(req, timeout=30)
        assert err.value.code == 403
        proc.send_signal(signal.SIGTERM)
        out, errtext = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 143, errtext  # SIGTERM's code, as for every command
    assert "Traceback" not in errtext and "optiviz: stopped" in errtext


def test_a_host_other_machines_can_reach_gets_a_warning():
    from optiviz.serve.server import host_warning

    assert host_warning("127.0.0.1") is None and host_warning("localhost") is None and host_warning("::1") is None
    msg = host_warning("0.0.0.0")
    assert msg.startswith("optiviz: warning: serving on 0.0.0.0, reachable from other machines") and "\n" not in msg


def test_serve_cli_reports_a_busy_port_in_one_line(capsys):
    import socket

    from optiviz.cli import main

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        assert main(["serve", "--port", str(port), "--no-browser"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"optiviz: error: cannot listen on 127.0.0.1:{port}") and "\n" not in err


def test_serve_cli_refuses_a_bad_user_surface_before_serving(capsys, tmp_path):
    from optiviz.cli import main

    assert main(["serve", "--port", "0", "--no-browser", "--surface", str(tmp_path / "missing.py") + ":f"]) == 2
    captured = capsys.readouterr()
    assert "serving on" not in captured.out
    assert captured.err.startswith("optiviz: error: surface spec")
