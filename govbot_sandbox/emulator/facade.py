"""``AppStreamEmulator``: the one object tests, the sandbox and the demo hold.

It owns a backend (the core: state, rules, events), an identity resolver, a fault config
and the event sinks, and answers raw HTTP exchanges through :meth:`handle`, the single
entry shared by the in-process botocore hook (``mock_appstream``) and the HTTP server.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from govbot_sandbox.emulator import protocol
from govbot_sandbox.emulator.contract import AppStreamError, CallContext
from govbot_sandbox.emulator.faults import FaultConfig
from govbot_sandbox.emulator.identity import (
    DEFAULT_REGION,
    IdentityResolver,
    parse_authorization,
    region_from_host,
)
from govbot_sandbox.emulator.server import EmulatorServer
from govbot_sandbox.emulator.shape_check import ShapeViolation, shape_problems
from govbot_sandbox.emulator.sinks import EventSink, MotoEventBridgeSink, RecordingSink, SafeFanout

logger = logging.getLogger(__name__)

Reply = tuple[int, dict[str, str], bytes]


def _headers_dict(headers: Mapping[str, Any]) -> dict[str, str]:
    # botocore may hand header values as bytes; the transport speaks str.
    return {
        str(k): v.decode("latin-1") if isinstance(v, bytes | bytearray) else str(v)
        for k, v in headers.items()
    }


def _get(headers: Mapping[str, str], name: str) -> str:
    lowered = name.lower()
    return next((v for k, v in headers.items() if k.lower() == lowered), "")


class AppStreamEmulator:
    """An AppStream endpoint in a Python object.

    Parameters
    ----------
    backend:
        The core backend; by default a new ``AppStreamBackend`` whose events go to this
        emulator's sinks.
    clock:
        Passed to the default backend (e.g. a ``ManualClock``).
    sinks:
        Extra event sinks; default ``[MotoEventBridgeSink()]`` (active only under
        ``mock_aws``). ``emulator.events`` (a ``RecordingSink``) always records.
    faults:
        A ``FaultConfig``; default a new one seeded with 0.
    validate_responses:
        Check every output against botocore's output shape; a mismatch raises
        ``ShapeViolation`` (in-process) or answers 500 (server). For contract tests.
    sleep:
        How injected latency waits (``time.sleep``); tests pass a recorder.

    Example
    -------
    >>> emulator = AppStreamEmulator()
    >>> with mock_appstream(emulator):
    ...     boto3.client("appstream").describe_images()
    """

    def __init__(
        self,
        backend: Any | None = None,
        *,
        clock: Any | None = None,
        sinks: Iterable[EventSink] | None = None,
        faults: FaultConfig | None = None,
        validate_responses: bool = False,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.events = RecordingSink()
        self.sink = SafeFanout(
            [self.events, *(sinks if sinks is not None else [MotoEventBridgeSink()])]
        )
        if backend is None:
            from govbot_sandbox.emulator.backend import AppStreamBackend

            backend = AppStreamBackend(clock=clock, event_sink=self.sink)
        elif getattr(backend, "event_sink", None) is not self.sink:
            # A backend built elsewhere keeps its own sink, after ours.
            previous = getattr(backend, "event_sink", None)
            if previous is not None:
                self.sink.sinks.append(previous)
            backend.event_sink = self.sink
        self.backend = backend
        self.identities = IdentityResolver()
        self.faults = faults if faults is not None else FaultConfig()
        self.validate_responses = validate_responses
        self.calls: Counter[str] = Counter()
        self.shape_violations: list[str] = []
        # How injected latency waits; replaceable (the live sandbox releases its lock).
        self.latency_sleep = sleep
        self._servers: list[EmulatorServer] = []

    # -- configuration -------------------------------------------------------------------

    def register_identity(
        self,
        access_key_id: str,
        account_id: str,
        principal_arn: str | None = None,
        principal_type: str = "IAMUser",
    ) -> None:
        """Make calls signed with ``access_key_id`` act as this principal of ``account_id``."""
        self.identities.register(access_key_id, account_id, principal_arn, principal_type)

    def context_for(
        self, headers: Mapping[str, str], url: str, source_ip: str, request_id: str = ""
    ) -> CallContext:
        """The ``CallContext`` of a request: identity from the SigV4 key, region from scope."""
        scope = parse_authorization(_get(headers, "Authorization"))
        access_key_id = scope.access_key_id if scope else ""
        identity = self.identities.resolve(access_key_id)
        region = (scope.region if scope else None) or region_from_host(url) or DEFAULT_REGION
        return CallContext(
            account_id=identity.account_id,
            region=region,
            principal_arn=identity.principal_arn,
            principal_type=identity.principal_type,
            access_key_id=access_key_id,
            user_agent=_get(headers, "User-Agent"),
            source_ip=source_ip,
            request_id=request_id,
        )

    # -- the shared entry ----------------------------------------------------------------

    def handle(
        self,
        method: str,
        url: str,
        headers: Mapping[str, Any],
        body: bytes | str | None,
        *,
        source_ip: str = "127.0.0.1",
    ) -> Reply:
        """Answer one HTTP exchange: ``(status, headers, body)`` in the protocol asked."""
        request_id = str(uuid.uuid4())
        plain_headers = _headers_dict(headers)
        raw = body.encode("utf-8") if isinstance(body, str) else (body or b"")
        try:
            wire = protocol.identify(method, url, plain_headers)
            params = protocol.decode_request(wire.protocol, wire.operation, raw)
        except protocol.ProtocolError as exc:
            return protocol.encode_error(exc.protocol, exc.code, exc.message, request_id)
        operation = wire.operation
        self.calls[operation] += 1
        decision = self.faults.decide(operation)
        if decision.latency > 0:
            self.latency_sleep(decision.latency)
        if decision.error is not None:
            err = decision.error
            return protocol.encode_error(
                wire.protocol, err.code, err.message, request_id, err.status
            )
        ctx = self.context_for(plain_headers, url, source_ip, request_id)
        try:
            # The backend serialises calls itself (one world, one lock).
            output = self.backend.dispatch(operation, params, ctx)
        except AppStreamError as exc:
            return protocol.encode_error(wire.protocol, exc.code, exc.message, request_id)
        except Exception as exc:
            logger.exception("emulator backend failed on %s", operation)
            return protocol.encode_error(
                wire.protocol, "InternalFailure", f"{operation}: {exc}", request_id
            )
        self._check(operation, output)
        return protocol.encode_output(wire.protocol, operation, output or {}, request_id)

    def _check(self, operation: str, output: Any) -> None:
        if not self.validate_responses:
            return
        model = protocol.operation_model(operation)
        shape = model.output_shape if model is not None else None
        problems = shape_problems(shape, output or {}, f"{operation}Result") if shape else []
        if problems:
            self.shape_violations.extend(problems)
            raise ShapeViolation(problems)

    # -- servers -------------------------------------------------------------------------

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> EmulatorServer:
        """Start a threaded HTTP server on ``host:port`` (0 = any free port) and return it."""
        server = EmulatorServer(self, host, port, on_stop=self._server_stopped)
        server.start()
        self._servers.append(server)
        return server

    def owns_netloc(self, netloc: str) -> bool:
        """True when ``netloc`` (host:port) is one of this emulator's running servers."""
        return any(s.netloc == netloc for s in self._servers if s.running)

    def _server_stopped(self, server: EmulatorServer) -> None:
        if server in self._servers:
            self._servers.remove(server)

    # -- conveniences forwarded to the core ------------------------------------------------

    def __getattr__(self, name: str) -> Any:
        # seed_image, seed_fleet, finish_image_build, fail_next_copies, tick, settings...
        # live on the backend; forwarding keeps one object for tests to hold.
        if name.startswith("_") or name == "backend":
            raise AttributeError(name)
        return getattr(self.backend, name)
