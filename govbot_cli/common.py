"""Shared CLI plumbing: the usage error, a parser that never exits, output and arg parsers.

Everything here is pure (no AWS calls): argument values are turned into domain types or a
``UsageError`` whose one-line message says which option was wrong and what was expected.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NoReturn, TextIO

from govbot.domain import (
    ACCOUNT_ID_PATTERN,
    IMAGE_NAME_PATTERN,
    ImageRef,
    Permissions,
    SharedAccountPermission,
)
from govbot.regions import UnknownRegionError, check_region

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2

_DURATION_PART = re.compile(r"(\d+)([smhdw])")
_DURATION = re.compile(r"^(?:\d+[smhdw])+$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_SHARE_PERMISSIONS = {
    "fleet": "fleet",
    "builder": "image_builder",
    "image_builder": "image_builder",
}
_REGION = re.compile(r"^[a-z]{2,4}(?:-[a-z]+)+-\d+$")


class UsageError(Exception):
    """Bad command-line input; ``str(error)`` is the message for stderr (exit 2).

    ``prog`` names the (sub)command the message is about, e.g. ``govbot policy explain``.
    """

    def __init__(self, message: str, *, prog: str = "govbot") -> None:
        super().__init__(message)
        self.prog = prog


class CliParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` that raises ``UsageError`` instead of printing usage and exiting.

    ``main`` turns the error into one precise stderr line, so tests and callers see
    ``argv`` problems the same way as bad values.
    """

    def error(self, message: str) -> NoReturn:
        raise UsageError(message, prog=self.prog)


@dataclass
class Output:
    """Where a command writes: ``out`` for results, ``err`` for problems."""

    out: TextIO
    err: TextIO
    as_json: bool = False

    def line(self, text: str = "") -> None:
        """Print one line of human-readable output."""
        print(text, file=self.out)

    def problem(self, text: str) -> None:
        """Print a problem on stderr."""
        print(text, file=self.err)

    def json(self, data: Any) -> None:
        """Print ``data`` as indented, key-sorted JSON."""
        print(json.dumps(data, indent=2, sort_keys=True, default=str), file=self.out)


def parse_account(value: str, option: str) -> str:
    """A 12-digit account id, or ``UsageError`` naming ``option``."""
    if not ACCOUNT_ID_PATTERN.match(value):
        raise UsageError(f"{option}: expected a 12-digit AWS account id, got {value!r}")
    return value


def parse_image_name(value: str, option: str = "--image") -> str:
    """A valid AppStream image name (``^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,100}$``)."""
    if not IMAGE_NAME_PATTERN.match(value):
        raise UsageError(
            f"{option}: invalid image name {value!r}; expected 1-101 characters of letters, "
            "digits, '_', '.', '-', starting with a letter or digit"
        )
    return value


def parse_region(value: str, option: str = "--region") -> str:
    """A known AWS region (botocore's endpoint data), with did-you-mean on a typo."""
    try:
        return check_region(value, option)
    except UnknownRegionError as exc:
        raise UsageError(str(exc)) from None


def parse_image_arn(value: str, option: str = "ARN") -> str:
    """An image ARN ``arn:aws:appstream:REGION:ACCOUNT:image/NAME`` (normalised)."""
    try:
        return ImageRef.from_arn(value).arn
    except ValueError:
        raise UsageError(
            f"{option}: expected an image ARN arn:aws:appstream:REGION:ACCOUNT:image/NAME, "
            f"got {value!r}"
        ) from None


def parse_tag(value: str) -> tuple[str, str]:
    """``KEY=VALUE`` -> ``(key, value)``; keys 1-128 chars not starting with ``aws:``."""
    key, sep, tag_value = value.partition("=")
    if not sep or not key:
        raise UsageError(f"--tag: expected KEY=VALUE, got {value!r}")
    if len(key) > 128 or key.lower().startswith("aws:"):
        raise UsageError(
            f"--tag: invalid key {key!r}; expected 1-128 characters not starting with 'aws:'"
        )
    if len(tag_value) > 256:
        raise UsageError(f"--tag: value of {key!r} is {len(tag_value)} characters; at most 256")
    return key, tag_value


def parse_tags(values: Sequence[str]) -> dict[str, str]:
    """Every ``--tag``; a key given twice is an error (which value would win is a guess)."""
    tags: dict[str, str] = {}
    for raw in values:
        key, value = parse_tag(raw)
        if key in tags:
            raise UsageError(f"--tag: key {key!r} is given more than once")
        tags[key] = value
    return tags


def parse_share(value: str) -> SharedAccountPermission:
    """``ACCOUNT:fleet,builder`` -> a share (``image_builder`` is accepted for ``builder``)."""
    account, sep, kinds_text = value.partition(":")
    expected = "expected ACCOUNT:PERMISSIONS such as 111111111111:fleet,builder"
    if not sep:
        raise UsageError(f"--share: {expected}, got {value!r}")
    if not ACCOUNT_ID_PATTERN.match(account):
        raise UsageError(f"--share {value!r}: expected a 12-digit account id, got {account!r}")
    kinds = [k.strip().lower() for k in kinds_text.split(",") if k.strip()]
    if not kinds:
        raise UsageError(f"--share {value!r}: no permission given; {expected}")
    unknown = [k for k in kinds if k not in _SHARE_PERMISSIONS]
    if unknown:
        raise UsageError(
            f"--share {value!r}: unknown permission {unknown[0]!r}; expected fleet and/or builder"
        )
    granted = {_SHARE_PERMISSIONS[k] for k in kinds}
    return SharedAccountPermission(
        account_id=account,
        permissions=Permissions(
            allow_fleet="fleet" in granted, allow_image_builder="image_builder" in granted
        ),
    )


def parse_shares(values: Sequence[str]) -> tuple[SharedAccountPermission, ...]:
    """Every ``--share``; an account given twice is an error."""
    shares = [parse_share(v) for v in values]
    seen: set[str] = set()
    for share in shares:
        if share.account_id in seen:
            raise UsageError(
                f"--share: account {share.account_id} is given more than once; "
                "list its permissions once, e.g. ACCOUNT:fleet,builder"
            )
        seen.add(share.account_id)
    return tuple(shares)


def parse_duration(value: str) -> timedelta:
    """``90s``, ``15m``, ``2h``, ``3d``, ``1w`` or combinations like ``1d12h``."""
    text = value.strip().lower()
    if not _DURATION.match(text):
        raise UsageError(
            f"invalid duration {value!r}; expected a number and a unit (s, m, h, d, w), "
            "e.g. 30m, 2h, 3d or 1d12h"
        )
    seconds = sum(int(n) * _UNIT_SECONDS[u] for n, u in _DURATION_PART.findall(text))
    if seconds <= 0:
        raise UsageError(f"invalid duration {value!r}; it must be longer than zero")
    return timedelta(seconds=seconds)


def parse_instant(value: str, option: str = "--now") -> datetime:
    """An ISO-8601 instant with a timezone (``Z`` accepted), e.g. ``2026-11-27T16:00:00Z``."""
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(
            f"{option}: expected an ISO-8601 time such as 2026-11-27T16:00:00Z, got {value!r}"
        ) from None
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise UsageError(
            f"{option}: {value!r} has no timezone; add one, e.g. {value}Z or {value}+00:00"
        )
    return instant
