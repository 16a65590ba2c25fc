"""Input validation against botocore's AppStream service model.

The emulator checks what the real service checks before any business rule: required
members, types, lengths, patterns, enums and ranges, plus unknown members. Violations
raise ``ValidationException`` naming the operation, the member path and the constraint.
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


def validate_input(operation: str, params: dict[str, Any]) -> None:
    """Check ``params`` against the input shape of ``operation``; raise on the first error."""
    op = operation_model(operation)
    if op.input_shape is None:
        return
    if not isinstance(params, dict):
        raise AppStreamError(VALIDATION, f"{operation}: request must be an object")
    _check(op.input_shape, params, operation, "")


def _fail(operation: str, path: str, value: Any, constraint: str) -> AppStreamError:
    shown = "null" if value is None else repr(value)
    return AppStreamError(
        VALIDATION,
        f"{operation}: value {shown} at '{path or 'request'}' failed to satisfy constraint: "
        f"{constraint}",
    )


def _check(shape: Shape, value: Any, op: str, path: str) -> None:
    kind = shape.type_name
    meta = shape.metadata
    if kind == "structure":
        _check_structure(shape, value, op, path)
    elif kind == "list":
        if not isinstance(value, list):
            raise _fail(op, path, value, "Member must be a list")
        _check_size(meta, len(value), op, path, value, "list length")
        for i, item in enumerate(value):
            _check(shape.member, item, op, f"{path}[{i}]")  # type: ignore[attr-defined]
    elif kind == "map":
        if not isinstance(value, dict):
            raise _fail(op, path, value, "Member must be a map")
        _check_size(meta, len(value), op, path, value, "map size")
        for key, item in value.items():
            _check(shape.key, key, op, f"{path}.key({key!r})")  # type: ignore[attr-defined]
            _check(shape.value, item, op, f"{path}[{key!r}]")  # type: ignore[attr-defined]
    elif kind == "string":
        _check_string(shape, value, op, path)
    elif kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise _fail(op, path, value, "Member must be an integer")
        if "min" in meta and value < meta["min"]:
            raise _fail(op, path, value, f"Member must have value >= {meta['min']}")
        if "max" in meta and value > meta["max"]:
            raise _fail(op, path, value, f"Member must have value <= {meta['max']}")
    elif kind == "boolean":
        if not isinstance(value, bool):
            raise _fail(op, path, value, "Member must be a boolean")
    elif kind == "timestamp" and not isinstance(value, datetime):
        raise _fail(op, path, value, "Member must be a timestamp")


def _check_structure(shape: Shape, value: Any, op: str, path: str) -> None:
    if not isinstance(value, dict):
        raise _fail(op, path, value, "Member must be an object")
    members = shape.members  # type: ignore[attr-defined]
    unknown = sorted(set(value) - set(members))
    if unknown:
        raise AppStreamError(
            VALIDATION,
            f"{op}: unknown member {unknown[0]!r} at '{path or 'request'}'; "
            f"expected one of {sorted(members)}",
        )
    for name in shape.required_members:
        if value.get(name) is None:
            raise _fail(op, _join(path, name), None, "Member must not be null")
    for name, item in value.items():
        if item is not None:
            _check(members[name], item, op, _join(path, name))


def _check_string(shape: Shape, value: Any, op: str, path: str) -> None:
    meta = shape.metadata
    if not isinstance(value, str):
        raise _fail(op, path, value, "Member must be a string")
    _check_size(meta, len(value), op, path, value, "length")
    enum = shape.enum  # type: ignore[attr-defined]
    if enum and value not in enum:
        raise _fail(op, path, value, f"Member must satisfy enum value set: {enum}")
    pattern = meta.get("pattern")
    if pattern and not _compiled(pattern).fullmatch(value):
        raise _fail(op, path, value, f"Member must satisfy regular expression pattern: {pattern}")


def _check_size(meta: dict[str, Any], size: int, op: str, path: str, value: Any, what: str) -> None:
    if "min" in meta and size < meta["min"]:
        raise _fail(op, path, value, f"Member must have {what} >= {meta['min']}")
    if "max" in meta and size > meta["max"]:
        raise _fail(op, path, value, f"Member must have {what} <= {meta['max']}")


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name
