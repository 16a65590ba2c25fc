"""Reading the EVENTS files of ``govbot simulate``.

A file holds one EventBridge envelope, a JSON list of them, JSON Lines (one per line), a bare
CloudTrail record (wrapped the way EventBridge delivers it) or a CloudTrail log file
(``{"Records": [...]}``). A file that cannot be read or is not JSON is a usage error; an item
that is JSON but not a valid event goes to the enforcer, which records it as rejected.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govbot.events.envelope import envelope_for


class EventFileError(ValueError):
    """The file cannot be read or holds no JSON; the message names the file and line."""


@dataclass(frozen=True)
class InputEvent:
    """One event body for the enforcer, and where it came from (``file:item``)."""

    origin: str
    body: Any


def _is_cloudtrail_record(item: Any) -> bool:
    return isinstance(item, dict) and "eventName" in item and "detail" not in item


def _envelope(item: Any, origin: str) -> Any:
    if not _is_cloudtrail_record(item):
        return item
    # A stable envelope id: simulating the same file twice gives the same ids.
    digest = hashlib.sha256(origin.encode()).hexdigest()[:32]
    envelope_id = f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:]}"
    return envelope_for(item, envelope_id=envelope_id)


def _items(path: str, text: str) -> list[Any]:
    try:
        data = json.loads(text)
    except ValueError as whole_error:
        lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
        if len(lines) < 2:
            raise EventFileError(f"{path}: not valid JSON ({whole_error})") from None
        items = []
        for number, line in lines:
            try:
                items.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise EventFileError(
                    f"{path}:{number}: not valid JSON Lines ({exc.msg} at column {exc.colno})"
                ) from None
        return items
    if isinstance(data, dict) and isinstance(data.get("Records"), list):
        return list(data["Records"])
    if isinstance(data, list):
        return data
    return [data]


def read_event_files(paths: list[str]) -> list[InputEvent]:
    """Every event of every file, in order; ``EventFileError`` for an unreadable file."""
    events: list[InputEvent] = []
    for path in paths:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise EventFileError(f"{path}: cannot read the events file ({exc.strerror})") from None
        except UnicodeDecodeError:
            raise EventFileError(f"{path}: not UTF-8 text") from None
        if not text.strip():
            raise EventFileError(f"{path}: empty; expected one or more events")
        items = _items(path, text)
        if not items:
            raise EventFileError(f"{path}: an empty list; expected one or more events")
        for index, item in enumerate(items, 1):
            origin = f"{path}:{index}"
            events.append(InputEvent(origin=origin, body=_envelope(item, origin)))
    return events
