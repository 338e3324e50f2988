"""A site on 127.0.0.1 that answers each path with bytes written by the test, byte for byte.

http.server would fix what a test must send broken (header bytes, repeated headers, a coding the
body does not have), so this one writes raw responses on the socket. A response without
``Connection: close`` keeps the connection open for the next request (keep-alive). Every exchange
is logged as the server read and wrote it (``exchanges``), over plain TCP or TLS (``tls``).
"""

from __future__ import annotations

import datetime as dt
import socket
import socketserver
import ssl
import threading
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

CLOSE = b"connection: close"


def response(body: bytes, *headers: tuple[str, bytes | str], status: str = "200 OK", close: bool = True) -> bytes:
    """A complete HTTP/1.1 response with *headers* as given (bytes values are sent as they are),
    then Content-Length and, unless *close* is false, ``Connection: close``."""
    lines = [f"HTTP/1.1 {status}".encode()]
    for name, value in headers:
        lines.append(name.encode("latin-1") + b": " + (value if isinstance(value, bytes) else value.encode("latin-1")))
    lines.append(b"Content-Length: " + str(len(body)).encode())
    if close:
        lines.append(b"Connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def chunked_response(chunks: list[bytes], *headers: tuple[str, bytes | str], status: str = "200 OK") -> bytes:
    """A ``Transfer-Encoding: chunked`` response of *chunks* (hex sizes, a chunk extension on the
    first, the empty last chunk); the connection stays open."""
    lines = [f"HTTP/1.1 {status}".encode()]
    for name, value in [*headers, ("Transfer-Encoding", "chunked")]:
        lines.append(name.encode("latin-1") + b": " + (value if isinstance(value, bytes) else value.encode("latin-1")))
    framed = b""
    for index, chunk in enumerate(chunks):
        extension = b";note=first" if index == 0 else b""
        framed += f"{len(chunk):x}".encode() + extension + b"\r\n" + chunk + b"\r\n"
    return b"\r\n".join(lines) + b"\r\n\r\n" + framed + b"0\r\n\r\n"


@dataclass(frozen=True)
class Exchange:
    request: bytes  # as read from the connection
    response: bytes  # as written to it
    connection: int  # which connection carried it (keep-alive: several exchanges per connection)

    @property
    def path(self) -> str:
        return self.request.split(b" ", 2)[1].decode("latin-1")


def _read_request(sock: socket.socket, buffered: bytes) -> tuple[bytes, bytes] | None:
    """One request (head and Content-Length body) and what was read past it; None at end of stream."""
    data = buffered
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
    head_end = data.index(b"\r\n\r\n") + 4
    length = 0
    for line in data[:head_end].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(data) < head_end + length:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
    return data[: head_end + length], data[head_end + length :]


def closed_port() -> int:
    """A port on 127.0.0.1 with nothing listening: every connection to it is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LocalServer:
    """A threading server on a free port of 127.0.0.1 while in its ``with`` block; ``_serve`` gets
    each connection, and ``url`` is ``SCHEME://127.0.0.1:PORT``."""

    url = ""
    _server: socketserver.ThreadingTCPServer | None = None

    def _scheme(self) -> str:
        return "http"

    def _serve(self, sock: socket.socket) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        serve = self._serve

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                try:
                    serve(self.request)
                except OSError:  # ssl.SSLError included
                    return  # the other side went away mid-exchange

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.url = f"{self._scheme()}://127.0.0.1:{self._server.server_address[1]}"
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


class RawSite(LocalServer):
    def __init__(self, routes: dict[str, bytes], *, tls: ssl.SSLContext | None = None) -> None:
        self.routes = routes  # path -> the whole response
        self.tls = tls
        self.exchanges: list[Exchange] = []
        self._lock = threading.Lock()
        self._connections = 0

    @property
    def connections(self) -> int:
        return self._connections

    def _serve(self, sock: socket.socket) -> None:
        with self._lock:
            self._connections += 1
            connection = self._connections
        if self.tls is not None:
            sock = self.tls.wrap_socket(sock, server_side=True)
        buffered = b""
        while (read := _read_request(sock, buffered)) is not None:
            request, buffered = read
            path = request.split(b" ", 2)[1].decode("latin-1")
            answer = self.routes.get(path, response(b"not here", ("Content-Type", "text/plain"), status="404 No"))
            sock.sendall(answer)
            with self._lock:
                self.exchanges.append(Exchange(request, answer, connection))
            if CLOSE in answer.split(b"\r\n\r\n", 1)[0].lower():
                return

    def _scheme(self) -> str:
        return "https" if self.tls is not None else "http"


def self_signed_tls(directory: Path) -> ssl.SSLContext:
    """A server TLS context with a fresh self-signed certificate for 127.0.0.1 (Scrapy does not
    verify certificates by default, as browsers-for-archiving do not)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=7))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "site.crt", directory / "site.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    return context
