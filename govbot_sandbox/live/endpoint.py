"""One loopback endpoint for everything: AppStream (the emulator), the moto services govbot
uses, and the live sandbox's admin API under ``/_govbot/``.

A WSGI application: AppStream requests (``X-Amz-Target: PhotonAdminProxyService.*``, the
rpc-v2-cbor path ``/service/PhotonAdminProxyService/...``, or a SigV4 credential scope for
the ``appstream`` service) go to the emulator; everything else goes to moto's own server
application, told the caller's account through moto's ``x-moto-account-id`` header.

Admin API (JSON in, JSON out):

=======  ===========================  ==================================================
GET      ``/_govbot/health``          status, clock, region, accounts
POST     ``/_govbot/reset``           a fresh world (moto, emulator, ledger, demo images)
POST     ``/_govbot/clock/advance``   ``{"seconds": 600}``: copies, builds, schedules due
POST     ``/_govbot/faults``          ``{"operation": "CopyImage", "throttle_rate": 1}``
DELETE   ``/_govbot/faults``          every fault off
POST     ``/_govbot/image-builds``    ``{"account", "region", "builder", "image"}``
GET      ``/_govbot/events``          CloudTrail records (``?eventName=`` filters)
GET      ``/_govbot/slack``           messages the fake Slack received
=======  ===========================  ==================================================
"""

from __future__ import annotations

import io
import json
import logging
import math
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from govbot_sandbox.emulator import protocol
from govbot_sandbox.emulator.identity import parse_authorization
from govbot_sandbox.live.accounts import SECRET_ACCESS_KEY, LiveIdentity
from govbot_sandbox.live.signature import Refusal, check_signature
from govbot_sandbox.live.sts import answer_caller_identity
from govbot_sandbox.live.world import MAX_ADVANCE_SECONDS, LiveSandbox

logger = logging.getLogger(__name__)

ADMIN_PREFIX = "/_govbot/"
StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
Reply = tuple[int, dict[str, str], bytes]


class BadRequest(Exception):
    """An admin request the endpoint refuses (answered 400 with the message)."""


def request_headers(environ: Mapping[str, Any]) -> dict[str, str]:
    """The HTTP headers of a WSGI request, with their usual names."""
    headers = {
        key[5:].replace("_", "-").title(): str(value)
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    if environ.get("CONTENT_TYPE"):
        headers["Content-Type"] = str(environ["CONTENT_TYPE"])
    if environ.get("CONTENT_LENGTH"):
        headers["Content-Length"] = str(environ["CONTENT_LENGTH"])
    return headers


def is_appstream(environ: Mapping[str, Any]) -> bool:
    """True for a request to AppStream, in either wire protocol or by its signature."""
    target = str(environ.get("HTTP_X_AMZ_TARGET") or "")
    if target.startswith(f"{protocol.TARGET_PREFIX}."):
        return True
    if str(environ.get("PATH_INFO") or "").startswith(f"/service/{protocol.TARGET_PREFIX}/"):
        return True
    scope = parse_authorization(str(environ.get("HTTP_AUTHORIZATION") or ""))
    return scope is not None and scope.service == "appstream"


MAX_BODY_BYTES = 16 * 1024 * 1024  # far above any AppStream or admin request


def _body(environ: dict[str, Any]) -> bytes:
    """The request body, read once and put back for whoever reads it next.

    ``Content-Length`` must be a non-negative integer; a chunked body (no length, the
    server de-chunks it) is read to its end.
    """
    if "govbot.body" in environ:
        return bytes(environ["govbot.body"])
    stream = environ.get("wsgi.input")
    declared = str(environ.get("CONTENT_LENGTH") or "").strip()
    if declared:
        if not declared.isdigit():
            raise BadRequest(f"Content-Length must be a non-negative integer, got {declared!r}")
        length = int(declared)
        if length > MAX_BODY_BYTES:
            raise BadRequest(f"request body of {length} bytes is over {MAX_BODY_BYTES}")
        body = stream.read(length) if length and stream is not None else b""
    elif stream is not None and (
        environ.get("wsgi.input_terminated")
        or "chunked" in str(environ.get("HTTP_TRANSFER_ENCODING") or "").lower()
    ):
        body = stream.read(MAX_BODY_BYTES + 1)
        if len(body) > MAX_BODY_BYTES:
            raise BadRequest(f"chunked request body is over {MAX_BODY_BYTES} bytes")
    else:
        body = b""
    environ["govbot.body"] = body
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    environ.pop("HTTP_TRANSFER_ENCODING", None)
    environ["wsgi.input_terminated"] = False
    return body


def aws_error(environ: Mapping[str, Any], code: str, status: int, message: str) -> Reply:
    """An error in the caller's wire protocol: CBOR, JSON (``__type``) or query XML."""
    request_id = str(uuid.uuid4())
    target = str(environ.get("HTTP_X_AMZ_TARGET") or "")
    path = str(environ.get("PATH_INFO") or "")
    if environ.get("HTTP_SMITHY_PROTOCOL") or path.startswith(protocol.CBOR_PATH_PREFIX):
        return protocol.encode_error("cbor", code, message, request_id, status)
    if target.startswith(f"{protocol.TARGET_PREFIX}.") or is_appstream(environ):
        return protocol.encode_error("json", code, message, request_id, status)
    if target or "json" in str(environ.get("CONTENT_TYPE") or ""):
        body = json.dumps({"__type": code, "message": message}).encode()
        return (
            status,
            {
                "Content-Type": str(environ.get("CONTENT_TYPE") or "application/x-amz-json-1.0"),
                "x-amzn-RequestId": request_id,
                "x-amzn-ErrorType": code,
            },
            body,
        )
    xml = (
        "<ErrorResponse><Error><Type>Sender</Type>"
        f"<Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
        f"<RequestId>{request_id}</RequestId></ErrorResponse>"
    ).encode()
    return status, {"Content-Type": "text/xml", "x-amzn-RequestId": request_id}, xml


def _reply(
    start_response: StartResponse, status: int, headers: dict[str, str], body: bytes
) -> list[bytes]:
    reason = {
        200: "OK",
        400: "Bad Request",
        403: "Forbidden",
        404: "Not Found",
        500: "Internal Server Error",
    }
    head = [(k, v) for k, v in headers.items() if k.lower() != "content-length"]
    head.append(("Content-Length", str(len(body))))
    start_response(f"{status} {reason.get(status, 'Status')}", head)
    return [body]


def _json(start_response: StartResponse, status: int, payload: Any) -> list[bytes]:
    body = json.dumps(payload, default=str, indent=1, allow_nan=False).encode()
    return _reply(start_response, status, {"Content-Type": "application/json"}, body)


class LiveEndpoint:
    """The WSGI application behind ``govbot-sandbox serve``."""

    def __init__(
        self, live: LiveSandbox, moto_app: WsgiApp, identities: Mapping[str, LiveIdentity]
    ) -> None:
        self.live = live
        self.moto_app = moto_app
        self.identities = dict(identities)
        self.region = "us-east-1"

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = str(environ.get("PATH_INFO") or "/")
        if path.startswith(ADMIN_PREFIX):
            return self._admin(environ, start_response, path[len(ADMIN_PREFIX) :].strip("/"))
        try:
            return self._aws(environ, start_response)
        except BadRequest as exc:
            reply = aws_error(environ, "SerializationException", 400, str(exc))
        except RecursionError:
            reply = aws_error(
                environ, "SerializationException", 400, "request body is nested too deeply"
            )
        except Exception as exc:
            logger.exception("live endpoint failed on %s", path)
            reply = aws_error(environ, "InternalFailure", 500, f"{type(exc).__name__}: {exc}")
        return _reply(start_response, *reply)

    def _aws(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        body = _body(environ)
        secrets = dict.fromkeys(self.identities, SECRET_ACCESS_KEY)
        access_key_id, refusal = check_signature(environ, body, secrets)
        if refusal is not None or access_key_id is None:
            why = refusal or Refusal("MissingAuthenticationTokenException", 403, "not signed")
            return _reply(start_response, *aws_error(environ, why.code, why.status, why.message))
        who = self.identities[access_key_id]
        if is_appstream(environ):
            return self._appstream(environ, start_response)
        scope = parse_authorization(str(environ.get("HTTP_AUTHORIZATION") or ""))
        if scope is not None and scope.service == "sts":
            # The sandbox's own identities, not moto's generic ARN (govbot_sandbox.live.sts).
            answered = answer_caller_identity(environ, who)
            if answered is not None:
                return _reply(start_response, answered[0], dict(answered[1]), answered[2])
        environ["HTTP_X_MOTO_ACCOUNT_ID"] = who.account_id
        return list(self.moto_app(environ, start_response))

    # -- AppStream -------------------------------------------------------------------------

    def _appstream(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        query = f"?{environ['QUERY_STRING']}" if environ.get("QUERY_STRING") else ""
        host = environ.get("HTTP_HOST") or "127.0.0.1"
        url = f"http://{host}{environ.get('PATH_INFO') or '/'}{query}"
        status, headers, payload = self.live.emulator.handle(
            str(environ.get("REQUEST_METHOD") or "POST"),
            url,
            request_headers(environ),
            _body(environ),
            source_ip=str(environ.get("REMOTE_ADDR") or "127.0.0.1"),
        )
        return _reply(start_response, status, headers, payload)

    # -- admin -----------------------------------------------------------------------------

    def _admin(
        self, environ: dict[str, Any], start_response: StartResponse, route: str
    ) -> list[bytes]:
        method = str(environ.get("REQUEST_METHOD") or "GET").upper()
        try:
            raw = _body(environ)
            try:
                payload = json.loads(raw) if raw else {}
            except (ValueError, RecursionError) as exc:
                raise BadRequest(f"/_govbot/{route}: body is not JSON: {exc}") from None
            if not isinstance(payload, dict):
                raise BadRequest(f"/_govbot/{route}: body must be a JSON object")
            query = {k: v[-1] for k, v in parse_qs(str(environ.get("QUERY_STRING") or "")).items()}
            handler = self._routes().get((method, route))
            if handler is None:
                known = ", ".join(f"{m} /_govbot/{r}" for m, r in sorted(self._routes()))
                return _json(
                    start_response,
                    404,
                    {"error": f"no admin route {method} /_govbot/{route}; known: {known}"},
                )
            return _json(start_response, 200, handler(payload, query))
        except (BadRequest, ValueError, TypeError) as exc:
            return _json(start_response, 400, {"error": str(exc)})
        except Exception as exc:
            logger.exception("admin route %s %s failed", method, route)
            return _json(start_response, 500, {"error": f"{type(exc).__name__}: {exc}"})

    def _routes(self) -> dict[tuple[str, str], Callable[[dict[str, Any], dict[str, str]], Any]]:
        return {
            ("GET", "health"): self._health,
            ("POST", "reset"): self._reset,
            ("POST", "clock/advance"): self._advance,
            ("POST", "faults"): self._faults_on,
            ("DELETE", "faults"): self._faults_off,
            ("POST", "image-builds"): self._image_build,
            ("GET", "events"): self._events,
            ("GET", "slack"): self._slack,
        }

    def _health(self, _: dict[str, Any], __: dict[str, str]) -> dict[str, Any]:
        return {
            "status": "ok",
            "clock": self.live.clock.now().isoformat(),
            "speed": self.live.clock.speed,
            "region": self.region,
            "accounts": {
                key: {"account": who.account_id, "arn": who.principal_arn, "role": who.role}
                for key, who in sorted(self.identities.items())
            },
            "pump_errors": self.live.pump_errors,
        }

    def _reset(self, _: dict[str, Any], __: dict[str, str]) -> dict[str, Any]:
        self.live.reset()
        return {"status": "reset"}

    def _advance(self, body: dict[str, Any], _: dict[str, str]) -> dict[str, Any]:
        seconds = body.get("seconds")
        if (
            isinstance(seconds, bool)
            or not isinstance(seconds, int | float)
            or not math.isfinite(seconds)
            or not 0 <= seconds <= MAX_ADVANCE_SECONDS
        ):
            raise BadRequest(
                "/_govbot/clock/advance: 'seconds' must be a finite number from 0 to "
                f"{MAX_ADVANCE_SECONDS} (one year), got {seconds!r}"
            )
        return {"clock": self.live.advance(float(seconds))}

    def _faults_on(self, body: dict[str, Any], _: dict[str, str]) -> dict[str, Any]:
        settings = dict(body)
        operation = settings.pop("operation", "*")
        known = sorted(self.live.emulator.backend.supported_operations())
        if operation != "*" and operation not in known:
            raise BadRequest(
                f"/_govbot/faults: unknown operation {operation!r}; use '*' or one of: "
                f"{', '.join(known)}"
            )
        for name, value in settings.items():
            if isinstance(value, float) and not math.isfinite(value):
                raise BadRequest(f"/_govbot/faults: {name} must be a finite number, got {value}")
        rule = self.live.emulator.faults.set(operation, **settings)
        return {
            "operation": operation,
            "rule": {k: v for k, v in vars(rule).items() if not k.startswith("_")},
        }

    def _faults_off(self, _: dict[str, Any], __: dict[str, str]) -> dict[str, Any]:
        self.live.emulator.faults.clear()
        return {"faults": "off"}

    def _image_build(self, body: dict[str, Any], _: dict[str, str]) -> dict[str, Any]:
        missing = [k for k in ("account", "builder", "image") if not body.get(k)]
        if missing:
            raise BadRequest(f"/_govbot/image-builds: missing {', '.join(missing)}")
        arn, builder_created = self.live.finish_image_build(
            account_id=str(body["account"]),
            region=str(body.get("region") or self.region),
            builder_name=str(body["builder"]),
            image_name=str(body["image"]),
            tags=body.get("tags"),
        )
        return {"imageArn": arn, "state": "PENDING", "builderCreated": builder_created}

    def _events(self, _: dict[str, Any], query: dict[str, str]) -> dict[str, Any]:
        return {"records": self.live.cloudtrail_records(query.get("eventName"))}

    def _slack(self, _: dict[str, Any], __: dict[str, str]) -> dict[str, Any]:
        return {"messages": self.live.slack_messages()}
