"""The playground's ASGI app (Starlette): the static page and the JSON API of ``api.py``, behind the checks a
local server needs because every web page the user opens can reach it.

* **Host**: a request whose ``Host`` header is not an address this server answers to gets 403 (DNS rebinding: a
  foreign site whose name resolves to 127.0.0.1 still sends its own name).
* **POST** only with ``Content-Type: application/json`` (a plain cross-site form cannot send that without a CORS
  preflight, which this server never answers: it sends no CORS headers at all), bodies capped in size.
* **What runs**: a page names built-in surfaces and ``expr:`` formulas only (see ``api.Catalog``).
* **Memory**: at most ``limits.workers`` requests compute at once, in worker threads (one export at a time), at
  most ``limits.queue`` more wait; beyond that a request is refused with 503 at once. Every size a request
  controls is capped (``api.Limits``), so the memory in use is bounded.

Bad input answers 400 with ``{"error": "<the one line the CLI prints after 'optiviz: error:'>"}``; nothing
answers with a traceback.
"""
from __future__ import annotations

import json
import shutil
import socket
import tempfile
import time
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any, Callable

import anyio
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.background import BackgroundTask

import optiviz as ov
from optiviz.errors import OptivizError

from . import api
from .api import LIMITS, Limits

STATIC = resources.files("optiviz.serve") / "static"

_LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


def allowed_hosts(host: str, port: int) -> set[str]:
    """The ``Host`` header values a server bound to ``host:port`` answers: that address, plus the loopback names
    when it is a loopback address, plus this machine's name and addresses when it listens on every interface."""
    names = {host if ":" not in host or host.startswith("[") else f"[{host}]"}
    if host in _LOOPBACK or host.startswith("127."):
        names |= _LOOPBACK
    if host in ("0.0.0.0", "::", ""):
        names |= _LOOPBACK
        try:
            hostname = socket.gethostname()
            names |= {hostname, socket.getfqdn(), *socket.gethostbyname_ex(hostname)[2]}
        except OSError:
            pass
    out = set()
    for n in names:
        out.add(f"{n}:{port}".lower())
        if port == 80:
            out.add(n.lower())
    return out


def _parse_int(text: str) -> Any:
    """A JSON integer; one past float's range (over 308 digits) becomes +-inf, which every validator refuses as
    not finite (as an int it would overflow inside a float conversion instead)."""
    digits = text.lstrip("-")
    if len(digits) > 308:
        return float("-inf") if text.startswith("-") else float("inf")
    return int(text)


def _error(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
    # scripts only from this server's own files (no inline script, no eval); inline style attributes are allowed
    # (colour swatches). Framing is allowed: ov.playground() shows the page in a notebook, whatever the
    # notebook's origin, and the page shows nothing private and does nothing but compute and download.
    (b"content-security-policy", b"default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
                                 b"object-src 'none'; base-uri 'none'; form-action 'none'"),
]


class Guard:
    """ASGI middleware: the Host check (403) before anything else runs, and the security headers on every
    answer. Written as plain ASGI so that it also guards the static files."""

    def __init__(self, app: Any, hosts: set[str] | None) -> None:
        self.app = app
        self.hosts = hosts

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        host = next((v.decode("latin-1").lower() for k, v in scope["headers"] if k == b"host"), None)
        if self.hosts is not None and host not in self.hosts:
            resp = _error(f"host {host!r} is not served here (this server answers only to its own address)", 403)
            return await self._with_headers(resp)(scope, receive, send)

        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *_HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_headers)

    @staticmethod
    def _with_headers(resp: Response) -> Response:
        for k, v in _HEADERS:
            resp.headers[k.decode()] = v.decode()
        return resp


class Playground:
    """The app's state: what it serves, its limits, its worker pool and its log of compiled programs."""

    def __init__(self, surfaces: tuple[str, ...] = (), *, limits: Limits = LIMITS, warm: bool = False) -> None:
        self.catalog = api.Catalog(surfaces, limits)
        self.limits = limits
        self.log = api.ProgramLog()
        self.warm = warm
        self.pending = 0
        self._workers: anyio.CapacityLimiter | None = None
        self._render: anyio.CapacityLimiter | None = None

    # -- plumbing ------------------------------------------------------------------------------------------
    async def compute(self, fn: Callable[[], Any], *, render: bool = False) -> Any:
        """Run ``fn`` in a worker thread, at most ``limits.workers`` at once (one render), at most
        ``limits.queue`` waiting; beyond that refuse at once (503) rather than queue without bound."""
        if self._workers is None:
            self._workers = anyio.CapacityLimiter(self.limits.workers)
            self._render = anyio.CapacityLimiter(1)
        if self.pending >= self.limits.workers + self.limits.queue:
            raise _Busy()
        self.pending += 1
        try:
            if render:
                async with self._render:
                    return await anyio.to_thread.run_sync(fn, limiter=self._workers)
            return await anyio.to_thread.run_sync(fn, limiter=self._workers)
        finally:
            self.pending -= 1

    async def body(self, request: Request) -> Any:
        """The request's JSON body: Content-Type application/json, at most ``limits.body`` bytes."""
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype != "application/json":
            raise OptivizError("POST requests must have Content-Type: application/json"
                               f"{f', got {ctype!r}' if ctype else ''}")
        limit = self.limits.body
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise api.over("the request body", f"{int(declared)} bytes", f"{limit} bytes")
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise api.over("the request body", f"over {limit} bytes", f"{limit} bytes")
            chunks.append(chunk)
        try:
            return json.loads(b"".join(chunks), parse_int=_parse_int)
        except RecursionError:
            raise OptivizError("the request body is nested too deeply") from None
        except ValueError as exc:
            raise OptivizError(f"the request body is not valid JSON: {_first_line(exc)}") from None

    # -- routes --------------------------------------------------------------------------------------------
    async def index(self, request: Request) -> Response:
        return FileResponse(str(STATIC / "index.html"), media_type="text/html")

    async def version(self, request: Request) -> Response:
        return JSONResponse({"optiviz": ov.__version__, "api": api.API_VERSION,
                             "limits": {k: getattr(self.limits, k) for k in self.limits.__dataclass_fields__},
                             "step_buckets": list(api.STEP_BUCKETS), "compiled_programs": self.log.compiled})

    async def surfaces(self, request: Request) -> Response:
        return _json(await self.compute(self.catalog.surfaces))

    async def optimizers(self, request: Request) -> Response:
        return _json(await self.compute(api.optimizers_catalog))

    async def grid(self, request: Request) -> Response:
        params = dict(request.query_params)
        return _json(await self.compute(lambda: api.grid(params, self.catalog)))

    async def run(self, request: Request) -> Response:
        body = await self.body(request)
        timed: dict[str, float] = {}

        def work() -> Any:
            t = time.perf_counter()
            out = api.run(body, self.catalog, self.log)
            timed["compute"] = time.perf_counter() - t
            return out

        out = await self.compute(work)
        t = time.perf_counter()
        resp = _json(out)
        # what the server spent, for a client to tell it from the network and its own parsing (bench_serve.py)
        resp.headers["server-timing"] = (f"compute;dur={timed['compute'] * 1e3:.2f}, "
                                         f"json;dur={(time.perf_counter() - t) * 1e3:.2f}")
        return resp

    async def tune(self, request: Request) -> Response:
        body = await self.body(request)
        return _json(await self.compute(lambda: api.tune(body, self.catalog)))

    async def export(self, request: Request) -> Response:
        body = await self.body(request)
        folder = tempfile.mkdtemp(prefix="optiviz-export-")
        try:
            path, media, name = await self.compute(lambda: api.export(body, self.catalog, folder), render=True)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return FileResponse(path, media_type=media, filename=name,
                            background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True))

    def warm_up(self) -> None:
        """Compile the first page's race (the default surface and optimizers) before anyone asks."""
        try:
            api.run({"surface": "ravine", "steps": 300}, self.catalog, self.log)
        except Exception:  # noqa: BLE001  (a warm-up is an optimization; a real request reports any error)
            pass


class _Busy(Exception):
    pass


def _json(data: Any) -> Response:
    """orjson: numpy arrays serialized natively (10x faster than lists through json), NaN and inf as null."""
    import orjson

    return Response(orjson.dumps(data, option=orjson.OPT_SERIALIZE_NUMPY), media_type="application/json")


def create_app(surfaces: tuple[str, ...] | list[str] = (), *, host: str = "127.0.0.1", port: int = 8765,
               hosts: set[str] | None = None, limits: Limits = LIMITS, warm: bool = False) -> Starlette:
    """The playground app for a server bound to ``host:port``.

    ``surfaces``: extra surface specs (files, modules, plugins) offered by name, loaded now. ``hosts``: the
    ``Host`` header values to answer (default: ``allowed_hosts(host, port)``). ``warm``: compile the first
    page's race in the background at start-up.
    """
    pg = Playground(tuple(surfaces), limits=limits, warm=warm)

    async def on_error(request: Request, exc: Exception) -> Response:
        if isinstance(exc, OptivizError):
            return _error(_first_line(exc), 400 if exc.exit_code == 2 else 500)
        if isinstance(exc, OverflowError):  # a number from the request too large for a float, met in validation
            return _error(f"a number in the request is too large ({_first_line(exc)})")
        if isinstance(exc, _Busy):
            return _error("the server is busy: too many requests at once; try again", 503)
        if isinstance(exc, HTTPException):
            return _error(exc.detail if isinstance(exc.detail, str) else "error", exc.status_code)
        return _error(f"unexpected {type(exc).__name__}: {_first_line(exc)}", 500)

    @asynccontextmanager
    async def lifespan(app: Starlette):
        warm = None
        if pg.warm:
            import threading

            warm = threading.Thread(target=pg.warm_up, name="optiviz-warm-up")
            warm.start()
        yield
        if warm is not None:  # never leave a compilation running while the interpreter exits (XLA aborts)
            await anyio.to_thread.run_sync(warm.join)

    routes = [
        Route("/", pg.index, methods=["GET"]),
        Route("/api/version", pg.version, methods=["GET"]),
        Route("/api/surfaces", pg.surfaces, methods=["GET"]),
        Route("/api/optimizers", pg.optimizers, methods=["GET"]),
        Route("/api/grid", pg.grid, methods=["GET"]),
        Route("/api/run", pg.run, methods=["POST"]),
        Route("/api/tune", pg.tune, methods=["POST"]),
        Route("/api/export", pg.export, methods=["POST"]),
        Mount("/static", app=StaticFiles(directory=str(STATIC)), name="static"),
    ]
    app = Starlette(routes=routes, lifespan=lifespan,
                    exception_handlers={Exception: on_error, HTTPException: on_error, OptivizError: on_error,
                                        _Busy: on_error, OverflowError: on_error})
    app.state.playground = pg
    hosts = allowed_hosts(host, port) if hosts is None else {h.lower() for h in hosts}
    guard = Guard(app, hosts)
    guard.playground = pg
    return guard  # type: ignore[return-value]
