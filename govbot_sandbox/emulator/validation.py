"""Input validation against botocore's AppStream service model.

The emulator checks what the real service checks before any business rule: required
members, types, lengths, patterns, enums and ranges (and 12-digit account ids). Unknown
members are dropped, not refused. Violations raise one ``ValidationException`` listing
each, worded as AWS words them.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache
from typing import Any

import botocore.session
from botocore.model import OperationModel, ServiceModel, Shape

from govbot_sandbox.emulator.contract import VALIDATION, AppStreamError

# Python's `re` has no Unicode property classes; these stand-ins are close enough for the
# tag patterns (\w covers letters and digits, which the patterns allow anyway).
_UNICODE_CLASSES = {
    r"\p{L}": r"\w",
    r"\p{N}": r"\d",
    r"\p{Z}": r" \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000",
}


@lru_cache(maxsize=1)
def service_model() -> ServiceModel:
    """botocore's AppStream service model (loaded once)."""
    return botocore.session.get_session().get_service_model("appstream")


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    for prop, replacement in _UNICODE_CLASSES.items():
        pattern = pattern.replace(prop, replacement)
    return re.compile(pattern)


def operation_model(operation: str) -> OperationModel:
    """The model of ``operation``; ``UnknownOperationException`` when AppStream has none."""
    model = service_model()
    if operation not in model.operation_names:
        raise AppStreamError(
            "UnknownOperationException",
            f"AppStream has no operation named {operation!r}",
        )
    return model.operation_model(operation)


# Shapes holding AWS account ids: the model's pattern is ^\d+$, but the service wants 12.
ACCOUNT_ID_SHAPES = frozenset({"AwsAccountId"})
ACCOUNT_ID_CONSTRAINT = "Member must satisfy regular expression pattern: ^\\d{12}$"
_ACCOUNT_ID = re.compile(r"\d{12}")


class _Problems:
    """The validation errors of one request, in AWS's wording."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, path: str, value: Any, constraint: str) -> None:
        self.items.append(
            f"Value {_shown(value)} at '{path or 'request'}' failed to satisfy constraint: "
            f"{constraint}"
        )

    def error(self) -> AppStreamError:
        count = len(self.items)
        noun = "validation error" if count == 1 else "validation errors"
        return AppStreamError(VALIDATION, f"{count} {noun} detected: {'; '.join(self.items)}")


def _shown(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, list):
        return "'[" + ", ".join(str(v) for v in value) + "]'"
    if isinstance(value, bool):
        return "'" + str(value).lower() + "'"
    return f"'{value}'"


def validate_input(operation: str, params: dict[str, Any]) -> dict[str, Any]:
    """Check ``params`` against the input shape of ``operation``; return them without
    unknown members (ignored, as a service ignores members a newer SDK sends).

    Every violation is reported at once, in AWS's form: ``1 validation error detected:
    Value 'x' at 'name' failed to satisfy constraint: Member must ...``.
    """
    op = operation_model(operation)
    if op.input_shape is None:
        return {}
    if not isinstance(params, dict):
        raise AppStreamError(VALIDATION, f"{operation}: request must be an object")
    problems = _Problems()
    cleaned = _check(op.input_shape, params, problems, "")
    if problems.items:
        raise problems.error()
    return dict(cleaned)


def _check(shape: Shape, value: Any, problems: _Problems, path: str) -> Any:
    """Record ``value``'s violations of ``shape``; return it without unknown members."""
    kind = shape.type_name
    meta = shape.metadata
    if kind == "structure":
        return _check_structure(shape, value, problems, path)
    if kind == "list":
        if not isinstance(value, list):
            problems.add(path, value, "Member must be a list")
            return value
        _check_size(meta, len(value), problems, path, value, "length")
        member = shape.member  # type: ignore[attr-defined]
        return [
            _check(member, item, problems, f"{path}.{i}.member") for i, item in enumerate(value, 1)
        ]
    if kind == "map":
        if not isinstance(value, dict):
            problems.add(path, value, "Member must be a map")
            return value
        _check_size(meta, len(value), problems, path, value, "length")
        for key, item in value.items():
            _check(shape.key, key, problems, f"{path}.key")  # type: ignore[attr-defined]
            _check(shape.value, item, problems, f"{path}.{key}")  # type: ignore[attr-defined]
        return value
    if kind == "string":
        _check_string(shape, value, problems, path)
    elif kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            problems.add(path, value, "Member must be an integer")
        elif "min" in meta and value < meta["min"]:
            problems.add(
                path, value, f"Member must have value greater than or equal to {meta['min']}"
            )
        elif "max" in meta and value > meta["max"]:
            problems.add(path, value, f"Member must have value less than or equal to {meta['max']}")
    elif kind == "boolean":
        if not isinstance(value, bool):
            problems.add(path, value, "Member must be a boolean")
    elif kind == "timestamp" and not isinstance(value, datetime):
        problems.add(path, value, "Member must be a timestamp")
    return value


def _check_structure(shape: Shape, value: Any, problems: _Problems, path: str) -> Any:
    if not isinstance(value, dict):
        problems.add(path, value, "Member must be an object")
        return value
    members = shape.members  # type: ignore[attr-defined]
    cleaned: dict[str, Any] = {}
    for name in shape.required_members:
        if value.get(name) is None:
            problems.add(_join(path, name), None, "Member must not be null")
    for name, item in value.items():
        if name not in members:
            continue  # unknown member: ignored, as the service does
        cleaned[name] = (
            _check(members[name], item, problems, _join(path, name)) if item is not None else None
        )
    return cleaned


def _check_string(shape: Shape, value: Any, problems: _Problems, path: str) -> None:
    meta = shape.metadata
    if not isinstance(value, str):
        problems.add(path, value, "Member must be a string")
        return
    before = len(problems.items)
    _check_size(meta, len(value), problems, path, value, "length")
    enum = shape.enum  # type: ignore[attr-defined]
    if enum and value not in enum:
        problems.add(path, value, f"Member must satisfy enum value set: [{', '.join(enum)}]")
    pattern = meta.get("pattern")
    if pattern and not _compiled(pattern).fullmatch(value):
        problems.add(path, value, f"Member must satisfy regular expression pattern: {pattern}")
    if (
        shape.name in ACCOUNT_ID_SHAPES
        and len(problems.items) == before
        and not _ACCOUNT_ID.fullmatch(value)
    ):
        problems.add(path, value, ACCOUNT_ID_CONSTRAINT)


def _check_size(
    meta: dict[str, Any], size: int, problems: _Problems, path: str, value: Any, what: str
) -> None:
    if "min" in meta and size < meta["min"]:
        problems.add(path, value, f"Member must have {what} greater than or equal to {meta['min']}")
    if "max" in meta and size > meta["max"]:
        problems.add(path, value, f"Member must have {what} less than or equal to {meta['max']}")


def _join(path: str, name: str) -> str:
    """AWS names members lowerCamel in validation messages (``sharedAccountId``)."""
    camel = name[:1].lower() + name[1:]
    return f"{path}.{camel}" if path else camel
