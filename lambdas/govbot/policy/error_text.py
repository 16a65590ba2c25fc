"""Turn pydantic validation errors into one precise line per problem.

The wording is ours, not pydantic's: a policy author sees the field path, what was
expected and what was found, e.g.
``rules[2].accounts[0]: expected a 12-digit AWS account id, got '12345'``.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from govbot.policy.primitives import PATTERN_DESCRIPTIONS
from govbot.policy.rules import RuleConfig, rule_class, rule_types

Loc = tuple[int | str, ...]
_DATETIME_ERRORS = frozenset(
    {"timezone_aware", "datetime_parsing", "datetime_type", "datetime_from_date_parsing"}
)
_DATETIME_HINT = "an ISO-8601 datetime with a timezone (e.g. 2026-12-31T23:59:59Z)"


def clean_loc(loc: Sequence[int | str]) -> Loc:
    """Drop the discriminator tags pydantic inserts after ``rules[i]``."""
    out: list[int | str] = []
    for i, part in enumerate(loc):
        if i == 2 and loc[0] == "rules" and rule_class(str(part)) is not None:
            continue
        out.append(part)
    return tuple(out)


_PREFIXED = re.compile(r"^([A-Za-z_]\w*(?:\[\d+\]|\.[A-Za-z_]\w*)*): (.*)$")
_PART = re.compile(r"\[(\d+)\]|\.?([A-Za-z_]\w*)")


def parse_prefixed(line: str) -> tuple[Loc, str]:
    """``"rules[1].id: duplicate..."`` -> ``(("rules", 1, "id"), "duplicate...")``."""
    match = _PREFIXED.match(line)
    if match is None:
        return (), line
    loc = tuple(int(index) if index else name for index, name in _PART.findall(match.group(1)))
    return loc, match.group(2)


def render_path(loc: Sequence[int | str]) -> str:
    """``('rules', 2, 'accounts', 0)`` -> ``rules[2].accounts[0]``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(top level)"


def show(value: Any) -> str:
    """A short rendering of an input value for an error message."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def did_you_mean(word: object, candidates: Sequence[str]) -> str:
    """`` (did you mean 'x'?)`` when a close candidate exists, else empty."""
    close = difflib.get_close_matches(str(word), list(candidates), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def describe(error: ErrorDetails, root: type[BaseModel]) -> list[tuple[Loc, str]]:
    """One or more (field path, message) pairs for one pydantic error."""
    kind = error["type"]
    raw_loc = tuple(error["loc"])
    loc = clean_loc(raw_loc)
    ctx = error.get("ctx", {})
    got = show(error.get("input"))
    if kind == "value_error":
        text = str(ctx.get("error", error["msg"]))
        if not loc:
            # Cross-field checks name their own path at the start of each line.
            return [parse_prefixed(line) for line in text.splitlines()]
        return [(loc, text)]
    if kind == "extra_forbidden":
        allowed = _keys_at(root, raw_loc[:-1])
        hint = did_you_mean(loc[-1], allowed)
        if not hint and allowed:
            hint = "; expected one of: " + ", ".join(allowed)
        return [(loc, f"unknown key{hint}")]
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        known = rule_types()
        expected = ", ".join(repr(t) for t in known)
        if kind == "union_tag_not_found":
            return [((*loc, "type"), f"required key is missing (one of {expected})")]
        tag = ctx.get("tag")
        hint = did_you_mean(tag, known)
        return [((*loc, "type"), f"unknown rule type {tag!r}{hint}; expected one of {expected}")]
    return [(loc, _simple(kind, ctx, got, error))]


def _simple(kind: str, ctx: dict[str, Any], got: str, error: ErrorDetails) -> str:
    if kind == "missing":
        return "required key is missing"
    if kind == "string_type":
        return f"expected a string, got {got}"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"expected a whole number, got {got}"
    if kind in ("bool_parsing", "bool_type"):
        return f"expected true or false, got {got}"
    if kind in ("list_type", "tuple_type"):
        empty = " (write [] for an empty list)" if error.get("input") is None else ""
        return f"expected a list, got {got}{empty}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"expected a mapping, got {got}"
    if kind == "literal_error":
        expected = str(ctx.get("expected", ""))
        options = re.findall(r"'([^']*)'", expected)
        return f"expected {expected}, got {got}{did_you_mean(error.get('input'), options)}"
    if kind == "string_pattern_mismatch":
        what = PATTERN_DESCRIPTIONS.get(
            str(ctx.get("pattern")), f"a match for {ctx.get('pattern')}"
        )
        return f"expected {what}, got {got}"
    if kind == "string_too_short":
        return f"expected a non-empty string, got {got}"
    if kind == "too_short":
        minimum = ctx.get("min_length")
        noun = "entry" if minimum == 1 else "entries"
        return f"expected at least {minimum} {noun}, got {ctx.get('actual_length')}"
    if kind == "greater_than_equal":
        return f"expected a number >= {ctx.get('ge')}, got {got}"
    if kind in (
        "timezone_aware",
        "datetime_parsing",
        "datetime_type",
        "datetime_from_date_parsing",
    ):
        return f"expected {_DATETIME_HINT}, got {got}"
    return f"{error['msg']} (got {got})"


def _keys_at(root: type[BaseModel], loc: Sequence[int | str]) -> list[str]:
    """The keys the model at ``loc`` (walked from ``root``) accepts; [] if unknown."""
    current: Any = root
    for part in loc:
        current = _step(current, part)
        if current is None:
            return []
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _unwrap(tp: Any) -> Any:
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    return tp


def _step(tp: Any, part: int | str) -> Any:
    tp = _unwrap(tp)
    origin = typing.get_origin(tp)
    if isinstance(part, int):
        return typing.get_args(tp)[0] if origin in (tuple, list) else None
    if origin in (typing.Union, types.UnionType):
        members = [_unwrap(m) for m in typing.get_args(tp)]
        for member in members:
            if not (isinstance(member, type) and issubclass(member, BaseModel)):
                continue
            type_field = member.model_fields.get("type")
            if type_field is not None and typing.get_args(type_field.annotation) == (part,):
                return member  # the discriminator tag selects this rule type
        for member in members:
            is_model = isinstance(member, type) and issubclass(member, BaseModel)
            if is_model and part in member.model_fields:
                return member.model_fields[part].annotation
        return None
    if isinstance(tp, type) and issubclass(tp, RuleConfig) and rule_class(part) is not None:
        return rule_class(part)  # the discriminator tag selects this rule type
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        field = tp.model_fields.get(part)
        return field.annotation if field is not None else None
    return None
