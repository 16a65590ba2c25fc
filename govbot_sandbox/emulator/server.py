"""Loopback HTTP server for the emulator (CLI, demo, benchmarks, other SDKs).

A threaded ``http.server``; every request goes to ``AppStreamEmulator.handle``. boto3
clients created with ``endpoint_url=server.endpoint_url`` work unchanged.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Protocol

from govbot_sandbox.emulator import protocol

logger = logging.getLogger(__name__)


class RequestHandler(Protocol):
    """What the server forwards requests to (``AppStreamEmulator.handle``)."""

    def handle(
        self,
        method: str,
        url: str,
        headers: Mapping[str, Any],
        body: bytes | str | None,
        *,
        source_ip: str = "127.0.0.1",
    ) -> tuple[int, dict[str, str], bytes]: ...


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"  # keep-alive, as botocore's connection pool expects
    # Headers and body go out as two writes; without this, Nagle + delayed ACK add ~40 ms.
    disable_nagle_algorithm = True

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        url = f"http://{self.headers.get('Host', 'localhost')}{self.path}"
        emulator = self.server.emulator
        try:
            status, headers, payload = emulator.handle(
                self.command,
                url,
                dict(self.headers.items()),
                body,
                source_ip=self.client_address[0],
            )
        except Exception as exc:  # a transport must answer, even when the emulator breaks
            logger.exception("emulator failed on %s %s", self.command, self.path)
            status, headers, payload = protocol.encode_error(
                "json", "InternalFailure", f"emulator error: {exc}", "emulator-error"
            )
        self.send_response(status)
        for key, value in headers.items():
            if key.lower() != "content-length":
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_POST = _serve
    do_GET = _serve
    do_PUT = _serve
    do_DELETE = _serve

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("%s - " + format, self.address_string(), *args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], emulator: RequestHandler) -> None:
        self.emulator = emulator
        super().__init__(address, _Handler)


class EmulatorServer:
    """A running loopback server; ``endpoint_url`` for boto3, ``stop()`` or ``with``."""

    def __init__(
        self,
        emulator: RequestHandler,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        on_stop: Callable[[EmulatorServer], None] | None = None,
    ):
        self.emulator = emulator
        self._on_stop = on_stop
        self._httpd = _Server((host, port), emulator)
        self._thread: threading.Thread | None = None
        self.host = host
        self.port = int(self._httpd.server_address[1])

    @property
    def netloc(self) -> str:
        """``host:port`` the server listens on."""
        return f"{self.host}:{self.port}"

    @property
    def endpoint_url(self) -> str:
        """``http://host:port`` (pass as ``endpoint_url=`` to boto3)."""
        return f"http://{self.netloc}"

    @property
    def running(self) -> bool:
        """True between ``start()`` and ``stop()``."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> EmulatorServer:
        """Serve in a daemon thread (idempotent)."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.05},  # quick shutdown
                name=f"appstream-emulator-{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket (idempotent)."""
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()
        if self._on_stop is not None:
            self._on_stop(self)

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
