"""In-process mode: every botocore AppStream client answers from an emulator, no sockets.

Done the way moto does it: a ``before-send`` handler appended to
``botocore.handlers.BUILTIN_HANDLERS`` at import time, so every botocore session created
afterwards (boto3's default one included) carries it, and clients made before
``mock_appstream`` is entered are covered too. The handler listens on the more specific
``before-send.appstream`` event, which botocore emits before the generic ``before-send``
handlers (moto's stubber among them): with ``mock_aws`` active as well, our response
wins. Clients whose session predates this module get the same treatment from a guarded
fallback around ``Endpoint._send`` while a mock is active, or explicitly via
:func:`patch_client`.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Callable, Iterator
from io import BytesIO
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import urlsplit

import botocore.endpoint
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.handlers import BUILTIN_HANDLERS

from govbot_sandbox.emulator.facade import AppStreamEmulator

EVENT_NAME = "before-send.appstream"
_APPSTREAM_HOST = re.compile(r"^appstream2(?:-fips)?\.[a-z0-9-]+\.")
_F = TypeVar("_F", bound=Callable[..., Any])


class _RawResponse(BytesIO):
    """The raw body botocore reads: a BytesIO with urllib3's ``stream()``."""

    def stream(self, **_: Any) -> Iterator[bytes]:
        chunk = self.read()
        while chunk:
            yield chunk
            chunk = self.read()


_active: list[AppStreamEmulator] = []
_active_lock = threading.Lock()


def active_emulator() -> AppStreamEmulator | None:
    """The innermost emulator of the active ``mock_appstream`` contexts, if any."""
    with _active_lock:
        return _active[-1] if _active else None


def _wants(emulator: AppStreamEmulator, url: str) -> bool:
    parts = urlsplit(url)
    return bool(_APPSTREAM_HOST.match(parts.hostname or "")) or emulator.owns_netloc(parts.netloc)


def _answer(request: AWSPreparedRequest) -> AWSResponse | None:
    emulator = active_emulator()
    if emulator is None or not _wants(emulator, request.url):
        return None
    # If the handler ends up registered twice on one emitter, answer once per request.
    cached: AWSResponse | None = getattr(request, "_govbot_emulator_response", None)
    if cached is not None:
        return cached
    body = request.body
    if body is not None and not isinstance(body, bytes | bytearray | str):
        body = body.read()  # a file-like body (streaming input; AppStream has none)
    status, headers, reply = emulator.handle(
        request.method or "POST",
        request.url,
        dict(request.headers.items()),
        bytes(body) if isinstance(body, bytearray) else body,
    )
    response = AWSResponse(request.url, status, headers, _RawResponse(reply))  # type: ignore[arg-type]
    request._govbot_emulator_response = response  # type: ignore[attr-defined]
    return response


def before_send(request: AWSPreparedRequest, **_: Any) -> AWSResponse | None:
    """The botocore ``before-send.appstream`` handler (inactive outside ``mock_appstream``)."""
    return _answer(request)


# At import, like moto: sessions created from now on carry the handler.
if (EVENT_NAME, before_send) not in BUILTIN_HANDLERS:
    BUILTIN_HANDLERS.append((EVENT_NAME, before_send))

_original_send = getattr(botocore.endpoint.Endpoint, "_send")  # noqa: B009 (private, untyped)


def _send_fallback(self: botocore.endpoint.Endpoint, request: AWSPreparedRequest) -> Any:
    # Reached only when no before-send handler answered: sessions older than this module.
    response = _answer(request)
    return response if response is not None else _original_send(self, request)


def patch_client(client: Any) -> None:
    """Register the handler on a client made before this module was imported."""
    client.meta.events.register(EVENT_NAME, before_send, unique_id="govbot-appstream-emulator")


class mock_appstream(contextlib.ContextDecorator):
    """Route every botocore AppStream request to ``emulator`` while active.

    Use as a context manager (``with mock_appstream(emu) as emu:``) or a decorator. With
    no emulator a new ``AppStreamEmulator()`` is made. Contexts nest (innermost wins).
    """

    def __init__(self, emulator: AppStreamEmulator | None = None) -> None:
        self._given = emulator
        self.emulator: AppStreamEmulator | None = emulator

    def __enter__(self) -> AppStreamEmulator:
        emulator = self.emulator if self.emulator is not None else AppStreamEmulator()
        self.emulator = emulator
        with _active_lock:
            _active.append(emulator)
            setattr(botocore.endpoint.Endpoint, "_send", _send_fallback)  # noqa: B010
        return emulator

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with _active_lock:
            if self.emulator in _active:
                # Remove the last occurrence: the one this context pushed.
                index = len(_active) - 1 - _active[::-1].index(self.emulator)
                del _active[index]
            if not _active:
                setattr(botocore.endpoint.Endpoint, "_send", _original_send)  # noqa: B010
        if self._given is None:
            # A decorator reused across calls gets a fresh emulator each time.
            self.emulator = None

    def __call__(self, func: _F) -> _F:
        return super().__call__(func)
