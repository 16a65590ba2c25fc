"""STS GetCallerIdentity for the live endpoint's configured identities.

moto answers GetCallerIdentity for an access key it never issued with a generic
``arn:aws:sts::ACCOUNT:user/moto``. The live sandbox knows who each access key id is
(:mod:`govbot_sandbox.live.accounts`, the same identities its CloudTrail records name), so
it answers for them itself: the caller's account and principal ARN, as AWS would. Other
STS calls, and unknown keys, still go to moto.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from govbot_sandbox.live.accounts import LiveIdentity

STS_NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/"
_FORM = "application/x-www-form-urlencoded"


def _unique_id(who: LiveIdentity) -> str:
    """AWS's ``UserId``: ``AIDA...`` for a user, ``AROA...:SESSION`` for an assumed role."""
    digest = hashlib.sha256(who.principal_arn.encode()).hexdigest().upper()[:17]
    if who.principal_type == "AssumedRole":
        return f"AROA{digest}:{who.name}"
    return f"AIDA{digest}"


def caller_identity_xml(who: LiveIdentity, request_id: str) -> bytes:
    """The query-protocol response body of GetCallerIdentity for ``who``."""
    return (
        f'<GetCallerIdentityResponse xmlns="{STS_NAMESPACE}">'
        "<GetCallerIdentityResult>"
        f"<Arn>{escape(who.principal_arn)}</Arn>"
        f"<UserId>{escape(_unique_id(who))}</UserId>"
        f"<Account>{escape(who.account_id)}</Account>"
        "</GetCallerIdentityResult>"
        f"<ResponseMetadata><RequestId>{escape(request_id)}</RequestId></ResponseMetadata>"
        "</GetCallerIdentityResponse>"
    ).encode()


def sts_action(environ: dict[str, Any]) -> str | None:
    """The query-protocol ``Action`` of an STS request (query string or form body).

    Reading the body consumes ``wsgi.input``: it is put back so moto can read it again.
    """
    query = parse_qs(str(environ.get("QUERY_STRING") or ""))
    if "Action" in query:
        return query["Action"][-1]
    if not str(environ.get("CONTENT_TYPE") or "").startswith(_FORM):
        return None
    length = int(environ.get("CONTENT_LENGTH") or 0)
    stream = environ.get("wsgi.input")
    body = stream.read(length) if length and stream is not None else b""
    environ["wsgi.input"] = io.BytesIO(body)
    form = parse_qs(body.decode("utf-8", "replace"))
    return form["Action"][-1] if "Action" in form else None


def answer_caller_identity(
    environ: dict[str, Any], who: LiveIdentity
) -> tuple[int, Mapping[str, str], bytes] | None:
    """(status, headers, body) when the request is GetCallerIdentity; None otherwise."""
    if sts_action(environ) != "GetCallerIdentity":
        return None
    request_id = hashlib.sha256(repr(sorted(environ.items(), key=str)).encode()).hexdigest()
    rid = (
        f"{request_id[:8]}-{request_id[8:12]}-{request_id[12:16]}-{request_id[16:20]}-"
        + (request_id[20:32])
    )
    headers = {"Content-Type": "text/xml", "x-amzn-RequestId": rid}
    return 200, headers, caller_identity_xml(who, rid)
