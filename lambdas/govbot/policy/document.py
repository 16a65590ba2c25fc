"""Validate a policy document that is already plain data, e.g. the JSON stored in SSM.

The synth validates the YAML policy file and stores its canonical JSON in the SSM
parameter (``govbot.policy.loader.policy_json``); the Lambda functions read it back with
:func:`parse_policy_json`. Nothing here imports PyYAML, so the functions' asset needs no
YAML parser; YAML is read only by ``govbot.policy.loader`` (CLI, synth, sandbox).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ValidationError

from govbot.policy.error_text import Loc, describe, render_path
from govbot.policy.errors import PolicyError
from govbot.policy.models import Policy


def validate_policy(
    data: Any, source: str = "<data>", line_of: Callable[[Loc], int | None] | None = None
) -> Policy:
    """Validate already-parsed data (e.g. a dict); ``line_of`` adds source line numbers."""
    if not isinstance(data, dict):
        raise PolicyError(
            source,
            [
                "expected a mapping at the top level (version, mode, rules, ...), "
                f"got {_kind_of(data)}"
            ],
        )
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        raise PolicyError(source, validation_problems(exc, Policy, line_of)) from None


def validation_problems(
    exc: ValidationError,
    root: type[BaseModel],
    line_of: Callable[[Loc], int | None] | None = None,
) -> list[str]:
    """One line per problem of ``exc``: field path, what was expected (did-you-mean for an
    unknown key) and the source line. Shared by the policy and ``govbot simulate``'s world."""
    problems: list[str] = []
    for error in exc.errors(include_url=False):
        for loc, message in describe(error, root):
            line = line_of(loc) if loc and line_of is not None else None
            where = f" (line {line})" if line else ""
            problems.append(f"{render_path(loc)}: {message}{where}" if loc else message)
    return problems


def canonical_json(data: dict[str, Any]) -> str:
    """The one JSON form of a policy document: sorted keys, no spaces, non-ASCII kept."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def parse_policy_json(text: str, source: str = "<string>") -> Policy:
    """Validate a policy stored as JSON (the SSM parameter); PolicyError naming ``source``."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PolicyError(
            source,
            [
                f"line {exc.lineno}, column {exc.colno}: invalid JSON: {exc.msg} (the "
                "parameter must hold the canonical JSON that govbot's synth writes, "
                "see govbot.policy.loader.policy_json)"
            ],
        ) from None
    return validate_policy(data, source)


def _kind_of(data: Any) -> str:
    if isinstance(data, list):
        return "a list"
    return f"a single value {data!r}"
