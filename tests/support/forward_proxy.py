"""A forward proxy on 127.0.0.1, as users put between a crawler and the web: absolute-form requests
for http, CONNECT tunnels for https, optional Basic credentials.

Like most proxies (Squid, tinyproxy), a forwarded request reaches the origin in origin form
without its ``Proxy-*`` header lines, and the origin's response comes back byte for byte (read to
its end by its own framing, so client connections stay alive). A CONNECT tunnel carries bytes both
ways untouched after ``200 Connection established``. Everything asked of it is logged
(``asked``), answered or refused.
"""

from __future__ import annotations

import base64
import contextlib
import socket
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

from tests.support.raw_site import LocalServer

ESTABLISHED = b"HTTP/1.1 200 Connection established\r\n\r\n"
# What the proxy answers itself when it cannot reach the origin, as Squid and tinyproxy answer:
# an error page of its own, nothing saying it is not the origin's.
UNREACHABLE = b"<html><body><h1>502 Bad Gateway</h1><p>The proxy could not connect to the server.</p></body></html>"
BAD_GATEWAY = (
    b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\nContent-Length: "
    + str(len(UNREACHABLE)).encode()
    + b"\r\n\r\n"
    + UNREACHABLE
)
AUTH_REQUIRED = (
    b'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test proxy"\r\n'
    b"Content-Length: 0\r\n\r\n"
)


@dataclass(frozen=True)
class Asked:
    head: bytes  # the request head as the client sent it to the proxy
    answered: bool  # forwarded (or tunnelled) rather than refused

    @property
    def method(self) -> str:
        return self.head.split(b" ", 1)[0].decode("latin-1")

    @property
    def target(self) -> str:
        return self.head.split(b" ", 2)[1].decode("latin-1")

    def header(self, name: str) -> str | None:
        for line in self.head.split(b"\r\n")[1:]:
            key, _, value = line.partition(b":")
            if key.strip().lower() == name.lower().encode():
                return value.strip().decode("latin-1")
        return None


class _Reader:
    """Buffered reads off a socket: lines, exact lengths, or up to the end of the stream."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""

    def _fill(self) -> bool:
        chunk = self.sock.recv(65536)
        self.buffer += chunk
        return bool(chunk)

    def until(self, marker: bytes) -> bytes | None:
        while marker not in self.buffer:
            if not self._fill():
                return None
        end = self.buffer.index(marker) + len(marker)
        data, self.buffer = self.buffer[:end], self.buffer[end:]
        return data

    def exactly(self, length: int) -> bytes:
        while len(self.buffer) < length:
            if not self._fill():
                break
        data, self.buffer = self.buffer[:length], self.buffer[length:]
        return data

    def to_end(self) -> bytes:
        while self._fill():
            pass
        data, self.buffer = self.buffer, b""
        return data


def _content_length(head: bytes) -> int | None:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
    return None


def _is_chunked(head: bytes) -> bool:
    return any(
        line.partition(b":")[0].strip().lower() == b"transfer-encoding" and b"chunked" in line.lower()
        for line in head.split(b"\r\n")[1:]
    )


def _response_from(origin: _Reader, method: bytes) -> bytes:
    """One whole response (interim 1xx responses included) as the origin wrote it."""
    data = b""
    while True:
        head = origin.until(b"\r\n\r\n")
        if head is None:
            return data
        data += head
        status = head.split(b" ", 2)[1]
        if not status.startswith(b"1"):
            break
    if method == b"HEAD" or status in (b"204", b"304"):
        return data
    if _is_chunked(head):
        while True:
            size_line = origin.until(b"\r\n") or b""
            data += size_line
            size = int(size_line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while (trailer := origin.until(b"\r\n")) is not None:
                    data += trailer
                    if trailer == b"\r\n":
                        break
                return data
            data += origin.exactly(size + 2)
    length = _content_length(head)
    return data + (origin.exactly(length) if length is not None else origin.to_end())


def _origin_form(head: bytes) -> tuple[bytes, tuple[str, int]]:
    """The request head as the origin reads it (origin-form target, no Proxy-* lines), and where to."""
    request_line, _, rest = head.partition(b"\r\n")
    method, target, version = request_line.split(b" ", 2)
    parts = urlsplit(target.decode("latin-1"))
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    lines = [line for line in rest.split(b"\r\n") if not line.lower().startswith(b"proxy-")]
    new_head = b" ".join([method, path.encode("latin-1"), version]) + b"\r\n" + b"\r\n".join(lines)
    return new_head, (parts.hostname or "", parts.port or 80)


def _pipe(source: socket.socket, target: socket.socket) -> None:
    try:
        while chunk := source.recv(65536):
            target.sendall(chunk)
    except OSError:
        pass
    finally:
        for sock in (source, target):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class ForwardProxy(LocalServer):
    """The proxy, started as a context manager: ``url`` is ``http://127.0.0.1:PORT``.

    With *credentials* (``"user:pass"``) a request without the matching ``Proxy-Authorization``
    is answered 407; *connect_status* other than 200 answers every CONNECT so (a 502 gateway); an
    absolute-form request for an origin it cannot connect to is answered ``BAD_GATEWAY``.
    """

    def __init__(self, *, credentials: str | None = None, connect_status: int = 200) -> None:
        self.credentials = credentials
        self.connect_status = connect_status
        self.asked: list[Asked] = []
        self._lock = threading.Lock()

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def url_with_credentials(self, credentials: str) -> str:
        return f"http://{credentials}@127.0.0.1:{self.port}"

    def _authorized(self, asked: Asked) -> bool:
        if self.credentials is None:
            return True
        expected = "Basic " + base64.b64encode(self.credentials.encode()).decode()
        return asked.header("Proxy-Authorization") == expected

    def _log(self, head: bytes, answered: bool) -> Asked:
        asked = Asked(head, answered)
        with self._lock:
            self.asked.append(asked)
        return asked

    def _serve(self, client: socket.socket) -> None:
        reader = _Reader(client)
        origin: socket.socket | None = None
        origin_reader: _Reader | None = None
        try:
            while (head := reader.until(b"\r\n\r\n")) is not None:
                asked = Asked(head, True)
                if not self._authorized(asked):
                    self._log(head, answered=False)
                    client.sendall(AUTH_REQUIRED)
                    continue
                if asked.method == "CONNECT":
                    self._tunnel(client, reader, head)
                    return
                body = reader.exactly(_content_length(head) or 0)
                forwarded, address = _origin_form(head)
                self._log(head, answered=True)
                if origin is None:  # one origin connection per client connection, kept alive alike
                    try:
                        origin = socket.create_connection(address)
                    except OSError:
                        client.sendall(BAD_GATEWAY)
                        continue
                    origin_reader = _Reader(origin)
                assert origin_reader is not None
                origin.sendall(forwarded + body)
                answer = _response_from(origin_reader, asked.method.encode())
                client.sendall(answer)
                if not answer or b"connection: close" in answer.split(b"\r\n\r\n", 1)[0].lower():
                    return
        finally:
            if origin is not None:
                origin.close()

    def _tunnel(self, client: socket.socket, reader: _Reader, head: bytes) -> None:
        if self.connect_status != 200:
            self._log(head, answered=False)
            client.sendall(f"HTTP/1.1 {self.connect_status} Bad Gateway\r\nContent-Length: 0\r\n\r\n".encode())
            return
        host, _, port = Asked(head, True).target.rpartition(":")
        origin = socket.create_connection((host, int(port)))
        self._log(head, answered=True)
        client.sendall(ESTABLISHED)
        if reader.buffer:
            origin.sendall(reader.buffer)
        back = threading.Thread(target=_pipe, args=(origin, client), daemon=True)
        back.start()
        _pipe(client, origin)
        back.join()
        origin.close()
