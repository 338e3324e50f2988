"""A site on 127.0.0.1 that answers each path with bytes written by the test, byte for byte.

http.server would fix what a test must send broken (header bytes, repeated headers, a coding the
body does not have), so this one writes raw responses on the socket and closes the connection.
"""

from __future__ import annotations

import socket
import socketserver
import threading
from types import TracebackType


def response(body: bytes, *headers: tuple[str, bytes | str], status: str = "200 OK") -> bytes:
    """A complete HTTP/1.1 response with *headers* as given (bytes values are sent as they are)."""
    lines = [f"HTTP/1.1 {status}".encode()]
    for name, value in headers:
        lines.append(name.encode("latin-1") + b": " + (value if isinstance(value, bytes) else value.encode("latin-1")))
    lines.append(b"Content-Length: " + str(len(body)).encode())
    lines.append(b"Connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def closed_port() -> int:
    """A port on 127.0.0.1 with nothing listening: every connection to it is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RawSite:
    def __init__(self, routes: dict[str, bytes]) -> None:
        self.routes = routes  # path -> the whole response
        self.url = ""
        self._server: socketserver.ThreadingTCPServer | None = None

    def __enter__(self) -> RawSite:
        routes = self.routes

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                sock: socket.socket = self.request
                request = b""
                while b"\r\n\r\n" not in request:
                    chunk = sock.recv(65536)
                    if not chunk:
                        return
                    request += chunk
                path = request.split(b" ", 2)[1].decode("latin-1")
                sock.sendall(routes.get(path, response(b"not here", ("Content-Type", "text/plain"), status="404 No")))

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
