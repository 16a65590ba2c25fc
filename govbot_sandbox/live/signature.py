"""SigV4 checks for the live endpoint: a caller is who its signature proves, or nobody.

Every AWS request to ``govbot-sandbox serve`` must be signed with one of the configured
access key ids (:mod:`govbot_sandbox.live.accounts`) and the sandbox secret. botocore's
own signer recomputes the signature from what arrived (method, raw path, query, the
signed headers, the body) and the two are compared in constant time. The refusals are
the ones AWS gives: no signature -> ``MissingAuthenticationTokenException`` (403), an
access key nobody issued -> ``UnrecognizedClientException`` (400), a wrong signature ->
``InvalidSignatureException`` (403).
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

_AUTHORIZATION = re.compile(
    r"^AWS4-HMAC-SHA256\s+"
    r"Credential=(?P<akid>[^/\s,]+)/(?P<date>\d{8})/(?P<region>[^/\s,]+)/"
    r"(?P<service>[^/\s,]+)/aws4_request\s*,\s*"
    r"SignedHeaders=(?P<headers>[a-z0-9;._-]+)\s*,\s*"
    r"Signature=(?P<signature>[0-9a-f]{64})\s*$"
)


@dataclass(frozen=True)
class Refusal:
    """Why a request is refused: the AWS error code, HTTP status and message."""

    code: str
    status: int
    message: str


def _header(environ: Mapping[str, Any], name: str) -> str:
    key = name.upper().replace("-", "_")
    if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        return str(environ.get(key) or "")
    return str(environ.get(f"HTTP_{key}") or "")


def _raw_target(environ: Mapping[str, Any]) -> str:
    """Path and query as the client sent them (still percent-encoded)."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        return str(raw)
    query = f"?{environ['QUERY_STRING']}" if environ.get("QUERY_STRING") else ""
    return f"{environ.get('PATH_INFO') or '/'}{query}"


def expected_signature(
    environ: Mapping[str, Any],
    body: bytes,
    *,
    access_key_id: str,
    secret_access_key: str,
    region: str,
    service: str,
    signed_headers: list[str],
) -> str:
    """The SigV4 signature botocore computes for this request with this secret."""
    headers = {name: _header(environ, name) for name in signed_headers}
    if "content-length" in headers and not headers["content-length"]:
        headers["content-length"] = str(len(body))
    url = f"http://{_header(environ, 'Host') or 'localhost'}{_raw_target(environ)}"
    request = AWSRequest(
        method=str(environ.get("REQUEST_METHOD") or "GET"), url=url, headers=headers, data=body
    )
    request.context["timestamp"] = _header(environ, "X-Amz-Date")
    token = _header(environ, "X-Amz-Security-Token") or None
    signer = SigV4Auth(Credentials(access_key_id, secret_access_key, token), service, region)
    canonical = signer.canonical_request(request)
    return str(signer.signature(signer.string_to_sign(request, canonical), request))


def check_signature(
    environ: Mapping[str, Any], body: bytes, secrets: Mapping[str, str]
) -> tuple[str | None, Refusal | None]:
    """``(access_key_id, None)`` for a good signature by a known key, else ``(None, why)``.

    ``secrets`` maps each accepted access key id to its secret access key.
    """
    authorization = _header(environ, "Authorization")
    if not authorization:
        if "X-Amz-Signature=" in str(environ.get("QUERY_STRING") or ""):
            return None, Refusal(
                "MissingAuthenticationTokenException",
                403,
                "presigned (query-string) requests are not accepted by the sandbox; "
                "sign with the Authorization header",
            )
        return None, Refusal(
            "MissingAuthenticationTokenException",
            403,
            "Missing Authentication Token: the request is not signed "
            "(sign it with SigV4 and a sandbox access key; no --no-sign-request)",
        )
    match = _AUTHORIZATION.match(authorization.strip())
    if match is None:
        return None, Refusal(
            "IncompleteSignatureException",
            400,
            "Authorization header is not a complete AWS4-HMAC-SHA256 signature "
            "(Credential=KEY/DATE/REGION/SERVICE/aws4_request, SignedHeaders=..., Signature=...)",
        )
    access_key_id = match["akid"]
    secret = secrets.get(access_key_id)
    if secret is None:
        return None, Refusal(
            "UnrecognizedClientException",
            400,
            f"The security token included in the request is invalid: access key "
            f"{access_key_id} is not one of the sandbox's access keys",
        )
    amz_date = _header(environ, "X-Amz-Date")
    if not amz_date.startswith(match["date"]):
        return None, Refusal(
            "InvalidSignatureException",
            403,
            f"X-Amz-Date {amz_date!r} does not match the credential scope date {match['date']}",
        )
    signed = match["headers"].split(";")
    if "host" not in signed:
        return None, Refusal("InvalidSignatureException", 403, "SignedHeaders must include host")
    expected = expected_signature(
        environ,
        body,
        access_key_id=access_key_id,
        secret_access_key=secret,
        region=match["region"],
        service=match["service"],
        signed_headers=signed,
    )
    if not hmac.compare_digest(expected.encode(), match["signature"].encode()):
        return None, Refusal(
            "InvalidSignatureException",
            403,
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method.",
        )
    return access_key_id, None
