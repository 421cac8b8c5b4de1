"""Running the playground: ``serve`` (the ``optiviz serve`` command, in the foreground until Ctrl-C or SIGTERM)
and ``playground`` (a server on a free port in a background thread, shown in a Jupyter IFrame)."""
from __future__ import annotations

import contextlib
import html
import signal
import socket
import sys
import threading
import time
import webbrowser
from typing import Any, TextIO

from optiviz.errors import OptivizError, RunFailure

_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _require() -> Any:
    try:
        import uvicorn
        import starlette  # noqa: F401
        import orjson  # noqa: F401
    except ImportError as exc:
        raise OptivizError(f"optiviz serve needs the serve extra ({exc.name} is missing): "
                           "pip install 'optiviz[serve]'") from None
    return uvicorn


def _bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (port 0: a free one), or one line saying why not."""
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise OptivizError(f"--port must be a whole number from 0 to 65535, got {port!r}")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise OptivizError(f"--host {host!r} is not an address of this machine ({exc.strerror})") from None
    family, kind, proto, _, addr = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(addr)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        hint = "; choose another with --port" if exc.errno in (98, 48, 10048) else ""
        raise OptivizError(f"cannot listen on {host}:{port}: {exc.strerror or exc}{hint}") from None
    sock.setblocking(False)
    return sock


def host_warning(host: str) -> str | None:
    """The warning ``serve`` prints for an address other machines can reach (None for a loopback address)."""
    if host in _LOOPBACK or host.startswith("127."):
        return None
    return (f"optiviz: warning: serving on {host or 'every address'}, reachable from other machines: anyone who "
            f"can reach this port can use the playground (the default --host 127.0.0.1 keeps it to this machine)")


def _url(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    return f"http://{f'[{shown}]' if ':' in shown else shown}:{port}/"


def _server(app: Any, uvicorn: Any) -> Any:
    class Server(uvicorn.Server):
        """uvicorn's server, which on SIGINT/SIGTERM/SIGHUP shuts down gracefully and then returns (uvicorn's own
        re-raises the signal afterwards, which would end the command with a traceback or a kill status); the
        command then exits with the signal's code (130/143/129), as every command does."""

        @contextlib.contextmanager
        def capture_signals(self):
            if threading.current_thread() is not threading.main_thread():
                yield
                return
            old = {s: signal.signal(s, self.handle_exit) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
            try:
                yield
            finally:
                for s, h in old.items():
                    signal.signal(s, h)

    # limit_concurrency: past 64 open connections uvicorn answers 503 itself, so bodies being read (each capped
    # by the app) cannot pile up in memory either; the app bounds the work itself (api.Limits.workers/queue)
    return Server(uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False, limit_concurrency=64))


def serve(port: int = 8765, host: str = "127.0.0.1", *, open_browser: bool = True, surfaces: Any = (),
          out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Serve the playground on ``host:port`` until SIGINT, SIGTERM or SIGHUP; after a clean shutdown returns the
    signal's exit code (130, 143, 129), as every command does.

    Prints ``optiviz: serving on http://HOST:PORT/`` (flushed) once listening, and opens the browser unless
    ``open_browser`` is false. ``surfaces``: extra surface specs (``my.py:bowl``) offered to the page, loaded
    first (a bad one fails before the server starts). A host other than a loopback address makes the server
    reachable from other machines: a warning says so.
    """
    out = out or sys.stdout
    err = err or sys.stderr
    uvicorn = _require()
    from .app import create_app

    surfaces = tuple(surfaces or ())
    sock = _bind(host, port)
    try:
        port = sock.getsockname()[1]
        app = create_app(surfaces, host=host, port=port, warm=True)
        warning = host_warning(host)
        if warning:
            print(warning, file=err, flush=True)
        url = _url(host, port)
        server = _server(app, uvicorn)
        print(f"optiviz: serving on {url}", file=out, flush=True)
        if open_browser:
            threading.Timer(0.3, webbrowser.open, [url]).start()
        server.run(sockets=[sock])
    finally:
        sock.close()
    captured = getattr(server, "_captured_signals", None) or [0]
    print("optiviz: stopped", file=err, flush=True)
    return 128 + int(captured[0]) if captured[0] else 0


class Playground:
    """A playground server running in a background thread. In Jupyter it shows itself as the page in an IFrame;
    ``url`` is its address, ``stop()`` shuts it down (also at interpreter exit: the thread is a daemon)."""

    def __init__(self, url: str, server: Any, thread: threading.Thread, height: int = 720) -> None:
        self.url, self._server, self._thread, self.height = url, server, thread, height

    def stop(self, timeout: float = 5.0) -> None:
        self._server.should_exit = True
        self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive() and not self._server.should_exit

    def _repr_html_(self) -> str:
        src = html.escape(self.url, quote=True)
        return (f'<iframe src="{src}" width="100%" height="{int(self.height)}" style="border:1px solid #ddd" '
                f'title="optiviz playground"></iframe>')

    def __repr__(self) -> str:
        return f"<optiviz playground at {self.url}{'' if self.running else ' (stopped)'}>"


def start_background(port: int = 0, host: str = "127.0.0.1", *, surfaces: Any = (), warm: bool = True,
                     height: int = 720, timeout: float = 30.0) -> Playground:
    """Start a playground server in a daemon thread (port 0: a free port) and return once it listens."""
    uvicorn = _require()
    from .app import create_app

    sock = _bind(host, port)
    port = sock.getsockname()[1]
    app = create_app(tuple(surfaces or ()), host=host, port=port, warm=warm)
    server = _server(app, uvicorn)

    def run() -> None:
        try:
            server.run(sockets=[sock])
        finally:
            sock.close()

    thread = threading.Thread(target=run, name=f"optiviz-playground-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RunFailure("the playground server did not start")
        time.sleep(0.02)
    return Playground(_url(host, port), server, thread, height)


def playground(*, port: int = 0, surfaces: Any = (), height: int = 720) -> Playground:
    """The live playground in a notebook: ``ov.playground()`` starts a server on a free port in a background
    thread and returns a handle that Jupyter shows as the page in an IFrame (``.url``, ``.stop()``)."""
    return start_background(port, surfaces=surfaces, height=height)
