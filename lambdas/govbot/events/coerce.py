"""Tolerant coercion helpers for CloudTrail payloads (pure functions, no I/O).

CloudTrail records are written by many AWS services over many years: key casing drifts,
booleans arrive as strings, ARNs carry stray spaces and dates come in two formats. These
helpers absorb that variation in one place so the models stay declarative.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0", ""})
# "Thu Mar 21 22:32:05 UTC 2019": the Java Date.toString() form used in serviceEventDetails.
_JAVA_DATE_FORMAT = "%a %b %d %H:%M:%S %Z %Y"


def canonical_key(key: str) -> str:
    """Case- and separator-insensitive form of a key: ``ImageDisPlayName`` -> ``imagedisplayname``.

    Examples
    --------
    >>> canonical_key("shared_account_id") == canonical_key("SharedAccountId")
    True
    """
    return key.replace("_", "").replace("-", "").lower()


def get_key(data: Mapping[str, Any], key: str) -> Any:
    """Look ``key`` up in ``data`` ignoring case and separators; exact match wins."""
    if key in data:
        return data[key]
    wanted = canonical_key(key)
    for candidate, value in data.items():
        if isinstance(candidate, str) and canonical_key(candidate) == wanted:
            return value
    return None


def to_bool(value: Any) -> bool | None:
    """Interpret CloudTrail booleans: real bools, "True"/"false" strings, 0/1. None stays None.

    Raises ``ValueError`` for anything else, so a garbled flag is never read as False.
    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
    raise ValueError(f"expected a boolean or 'true'/'false', found {shorten(value)}")


def to_datetime(value: Any) -> datetime | None:
    """Parse ISO-8601 or Java-style dates into an aware UTC datetime (naive means UTC)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        text = value.strip()
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            try:
                parsed = datetime.strptime(text, _JAVA_DATE_FORMAT)
            except ValueError:
                raise ValueError(
                    "expected an ISO-8601 date or 'Thu Mar 21 22:32:05 UTC 2019', "
                    f"found {shorten(value)}"
                ) from None
    else:
        raise ValueError(f"expected a date string, found {type(value).__name__}")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def clean_arn(value: Any) -> str | None:
    """An ARN with every whitespace character removed (AWS's own samples contain spaces)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"expected an ARN string, found {type(value).__name__}")
    cleaned = "".join(value.split())
    return cleaned or None


def clean_str(value: Any) -> str | None:
    """A stripped string (a blank one stays ``""``); None stays None; numbers are stringified.

    Blank is not turned into None here: inside a required string field that would fail
    as "not a string". An optional field left blank is treated as absent by the models.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"expected a string, found {type(value).__name__}")
    return str(value).strip()


def to_tags(value: Any) -> dict[str, str]:
    """Tags as a ``{key: value}`` dict, from a dict or a ``[{"key":..,"value":..}]`` list.

    Null values become "" (AppStream allows empty tag values).
    """
    if value is None:
        return {}
    if isinstance(value, Mapping):
        pairs = list(value.items())
    elif isinstance(value, list):
        pairs = []
        for item in value:
            if not isinstance(item, Mapping):
                raise ValueError(f"expected tag entries as objects, found {shorten(item)}")
            pairs.append((get_key(item, "key"), get_key(item, "value")))
    else:
        raise ValueError(f"expected tags as an object, found {type(value).__name__}")
    tags: dict[str, str] = {}
    for key, val in pairs:
        if not isinstance(key, str) or not key:
            raise ValueError(f"expected a non-empty string tag key, found {shorten(key)}")
        tags[key] = "" if val is None else str(val)
    return tags


def to_str_tuple(value: Any) -> tuple[str, ...]:
    """A list of strings (e.g. ``tagKeys``) as a tuple; a lone string becomes one item."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"expected a list of strings, found {shorten(value)}")
    return tuple(value)


MAX_VALUE_CHARS = 60  # a value quoted in a problem message
MAX_REASON_CHARS = 400  # a whole rejection reason (ledger field, Slack message)


def shorten(value: Any, limit: int = MAX_VALUE_CHARS) -> str:
    """``repr(value)`` cut in the middle when longer than ``limit``, saying how long it was.

    Examples
    --------
    >>> shorten("a" * 5000, 30)
    "'aaaaaaa…(5002 chars)…aaaaaaa'"
    """
    text = repr(value)
    if len(text) <= limit:
        return text
    marker = f"…({len(text)} chars)…"
    keep = max(limit - len(marker), 2)
    return text[: keep - keep // 2] + marker + text[len(text) - keep // 2 :]


def squeeze(text: str, limit: int) -> str:
    """``text`` cut in the middle to at most ``limit`` characters (both ends are kept)."""
    if len(text) <= limit:
        return text
    keep = max(limit - 1, 2)
    return text[: keep - keep // 2] + "…" + text[len(text) - keep // 2 :]


def bounded_reason(problems: list[str], limit: int = MAX_REASON_CHARS) -> str:
    """Every problem, joined by "; ", within ``limit`` characters.

    When the whole is too long each problem gets an equal share and is shortened in the
    middle, so a long first problem never pushes the others out.

    Examples
    --------
    >>> len(bounded_reason(["x" * 900, "account id is bad"], 100)) <= 100
    True
    """
    joined = "; ".join(problems)
    if len(joined) <= limit or not problems:
        return joined
    separators = 2 * (len(problems) - 1)
    share = max((limit - separators) // len(problems), 8)
    short = [p for p in problems if len(p) <= share]
    # Short problems stay whole; the room they leave is shared by the long ones.
    spare = limit - separators - sum(len(p) for p in short)
    long_count = len(problems) - len(short)
    long_share = max(spare // long_count, 8) if long_count else share
    return "; ".join(p if len(p) <= share else squeeze(p, long_share) for p in problems)
