"""Opaque NextToken pagination shared by the Describe operations."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from typing import Any, TypeVar

from govbot_sandbox.emulator.contract import VALIDATION, AppStreamError

T = TypeVar("T")


def fingerprint(*parts: Any) -> str:
    """A short digest of the request parameters a token is bound to."""
    raw = json.dumps(parts, sort_keys=True, default=str).encode()
    return hashlib.sha256(raw).hexdigest()[:16]


def paginate(
    items: Sequence[T], token: str | None, page_size: int, bound_to: str, operation: str
) -> tuple[list[T], str | None]:
    """Return one page of ``items`` and the token of the next page (None on the last page).

    A token is only valid for the same operation, caller and filters (``bound_to``);
    anything else raises ``ValidationException`` (every JSON service may answer it;
    not every Describe operation models InvalidParameterCombination).
    """
    if page_size < 1:
        raise AppStreamError(VALIDATION, f"{operation}: MaxResults must be >= 1, got {page_size}")
    offset = 0 if token is None else _decode(token, bound_to, operation)
    end = offset + page_size
    next_token = _encode(end, bound_to) if end < len(items) else None
    return list(items[offset:end]), next_token


def _encode(offset: int, bound_to: str) -> str:
    raw = json.dumps({"o": offset, "f": bound_to}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _decode(token: str, bound_to: str, operation: str) -> int:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        offset = data["o"]
        valid = isinstance(offset, int) and offset >= 0 and data["f"] == bound_to
    except (ValueError, KeyError, TypeError):
        valid = False
    if not valid:
        raise AppStreamError(
            VALIDATION,
            f"{operation}: invalid NextToken {token!r} (not issued for this request's "
            "caller and filters)",
        )
    return int(offset)
