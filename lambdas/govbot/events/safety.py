"""Text that must never reach a store unescaped or unbounded (pure functions, no I/O).

JSON may carry a lone surrogate (``"\\ud800"``): Python decodes it into a ``str`` that no
UTF-8 store (DynamoDB, Slack) accepts, so one such character in any field used to fail every
write of its event. Intake rejects such input with the path of each bad string, and
everything recorded about a rejection goes through :func:`safe_text` first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# EventBridge refuses events above 256 KB: a larger body did not come from a rule.
MAX_BODY_BYTES = 256 * 1024
MAX_PATHS = 5  # bad strings named in one problem
MAX_WALK = 100_000  # values looked at in one body (a body is at most 256 KB anyway)


def is_valid_unicode(text: str) -> bool:
    """False when ``text`` holds a lone surrogate (it cannot be encoded as UTF-8)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def safe_text(text: str, limit: int | None = None) -> str:
    """``text`` with lone surrogates escaped (``\\ud800``), cut to ``limit`` characters.

    Examples
    --------
    >>> safe_text("a\\ud800b")
    'a\\\\ud800b'
    >>> safe_text("x" * 10, 4)
    'xxx…'
    """
    escaped = text if is_valid_unicode(text) else _escape(text)
    if limit is not None and len(escaped) > limit:
        return escaped[: max(limit - 1, 0)] + "…"
    return escaped


def _escape(text: str) -> str:
    return text.encode("utf-8", errors="backslashreplace").decode("utf-8")


def unencodable_paths(data: object, *, limit: int = MAX_PATHS) -> list[str]:
    """Where ``data`` (decoded JSON) holds a string, key or value, with a lone surrogate.

    Paths look like ``detail.userIdentity.arn`` or ``detail.resources[2]``; at most
    ``limit`` are returned, in document order. Iterative, so nesting depth costs nothing.

    Examples
    --------
    >>> unencodable_paths({"detail": {"eventID": "\\ud800", "ok": ["a", "\\udcff"]}})
    ['detail.eventID', 'detail.ok[1]']
    """
    found: list[str] = []
    stack: list[tuple[str, Any]] = [("", data)]
    seen = 0
    while stack and len(found) < limit and seen < MAX_WALK:
        path, value = stack.pop()
        seen += 1
        if isinstance(value, str):
            if not is_valid_unicode(value):
                found.append(path or "(the body)")
        elif isinstance(value, Mapping):
            children = []
            for key, item in value.items():
                name = key if isinstance(key, str) else repr(key)
                child = f"{path}.{safe_text(name, 60)}" if path else safe_text(name, 60)
                if not is_valid_unicode(name):
                    found.append(f"{child} (the key)")
                children.append((child, item))
            stack.extend(reversed(children))
        elif isinstance(value, list | tuple):
            stack.extend(reversed([(f"{path}[{i}]", item) for i, item in enumerate(value)]))
    return found[:limit]


def unencodable_problem(paths: list[str]) -> str:
    """One rejection sentence naming where the invalid text is."""
    return (
        "text that is not valid Unicode (a lone surrogate such as \\ud800, which no store "
        f"or Slack accepts) at {', '.join(paths)}"
    )
