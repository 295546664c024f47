"""`trueopen index serve`: the site over HTTP on 127.0.0.1 only, nothing but its folder."""

from __future__ import annotations

import functools
from collections.abc import Callable
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's name
        pass


def make_server(folder: Path, port: int = 0) -> ThreadingHTTPServer:
    """A server for `folder` on 127.0.0.1:`port` (0: a free port), not yet serving."""
    handler = functools.partial(_Quiet, directory=str(folder.resolve()))
    return ThreadingHTTPServer(("127.0.0.1", port), handler)


def serve_folder(folder: Path, port: int, announce: Callable[[str], None]) -> None:
    """Serve until interrupted; `announce` is told the URL."""
    server = make_server(folder, port)
    announce(f"http://127.0.0.1:{server.server_address[1]}/")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
