"""Validate data against a botocore shape: the emulator's contract with botocore's model.

One walker used by the contract tests and the benchmarks: structures (required members
present, no unknown members), lists, maps, strings (enums, length, pattern is not
enforced), booleans, integers/longs (with min/max), doubles/floats, timestamps (datetime
or epoch number) and blobs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.model import Shape

from govbot_sandbox.emulator.protocol import operation_model

# Keys botocore adds to every parsed response; not part of the output shape.
_BOTOCORE_EXTRA = frozenset({"ResponseMetadata"})


class ShapeViolation(AssertionError):
    """Data does not match its botocore shape; ``problems`` lists each mismatch by path."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def shape_problems(shape: Shape, value: Any, path: str = "$") -> list[str]:
    """Every mismatch between ``value`` and ``shape``, as ``path: what is wrong`` strings."""
    problems: list[str] = []
    _walk(shape, value, path, problems)
    return problems


def check_shape(shape: Shape, value: Any, path: str = "$") -> None:
    """Raise ``ShapeViolation`` unless ``value`` matches ``shape``."""
    problems = shape_problems(shape, value, path)
    if problems:
        raise ShapeViolation(problems)


def check_output(operation: str, output: dict[str, Any], *, parsed: bool = False) -> None:
    """Check an AppStream operation's output against its output shape.

    ``parsed=True`` accepts botocore's ``ResponseMetadata`` key (a boto3 response).
    """
    model = operation_model(operation)
    if model is None:
        raise ShapeViolation([f"$: AppStream has no operation {operation!r}"])
    data = dict(output)
    if parsed:
        for key in _BOTOCORE_EXTRA:
            data.pop(key, None)
    if model.output_shape is None:
        if data:
            raise ShapeViolation([f"$: {operation} has no output, got keys {sorted(data)}"])
        return
    check_shape(model.output_shape, data, f"{operation}Result")


def _walk(shape: Shape, value: Any, path: str, problems: list[str]) -> None:
    kind = shape.type_name
    checker = _CHECKERS.get(kind)
    if checker is None:
        problems.append(f"{path}: unsupported shape type {kind!r} ({shape.name})")
        return
    checker(shape, value, path, problems)


def _structure(shape: Shape, value: Any, path: str, problems: list[str]) -> None:
    if not isinstance(value, dict):
        problems.append(f"{path}: expected structure {shape.name}, got {type(value).__name__}")
        return
    members = shape.members  # type: ignore[attr-defined]
    for name in shape.required_members:
        if value.get(name) is None:
            problems.append(f"{path}: missing required member {name!r} of {shape.name}")
    for key, item in value.items():
        if key not in members:
            problems.append(f"{path}: unknown member {key!r} for {shape.name}")
        elif item is not None:
            _walk(members[key], item, f"{path}.{key}", problems)


def _list(shape: Shape, value: Any, path: str, problems: list[str]) -> None:
    if not isinstance(value, list):
        problems.append(f"{path}: expected list {shape.name}, got {type(value).__name__}")
        return
    _check_length(shape, len(value), path, problems)
    for index, item in enumerate(value):
        _walk(shape.member, item, f"{path}[{index}]", problems)  # type: ignore[attr-defined]


def _map(shape: Shape, value: Any, path: str, problems: list[str]) -> None:
    if not isinstance(value, dict):
        problems.append(f"{path}: expected map {shape.name}, got {type(value).__name__}")
        return
    for key, item in value.items():
        _walk(shape.key, key, f"{path}<key {key!r}>", problems)  # type: ignore[attr-defined]
        _walk(shape.value, item, f"{path}[{key!r}]", problems)  # type: ignore[attr-defined]


def _string(shape: Shape, value: Any, path: str, problems: list[str]) -> None:
    if not isinstance(value, str):
        problems.append(f"{path}: expected string {shape.name}, got {type(value).__name__}")
        return
    enum = shape.enum  # type: ignore[attr-defined]
    if enum and value not in enum:
        problems.append(f"{path}: {value!r} is not one of {shape.name} {list(enum)}")
    _check_length(shape, len(value), path, problems)


def _check_length(shape: Shape, length: int, path: str, problems: list[str]) -> None:
    low = shape.metadata.get("min")
    high = shape.metadata.get("max")
    if low is not None and length < low:
        problems.append(f"{path}: length {length} is below the minimum {low} of {shape.name}")
    if high is not None and length > high:
        problems.append(f"{path}: length {length} is above the maximum {high} of {shape.name}")


def _boolean(shape: Shape, value: Any, path: str, problems: list[str]) -> None:
    if not isinstance(value, bool):
        problems.append(f"{path}: expected boolean {shape.name}, got {type(value).__name__}")


def _integer(shape: Shape, value: Any, path: str, problems: list[str]) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        problems.append(f"{path}: expected integer {shape.name}, got {type(value).__name__}")
        return
    low = shape.metadata.get("min")
    high = shape.metadata.get("max")
    if low is not None and value < low:
        problems.append(f"{path}: {value} is below the minimum {low} of {shape.name}")
    if high is not None and value > high:
        problems.append(f"{path}: {value} is above the maximum {high} of {shape.name}")


def _number(shape: Shape, value: Any, path: str, problems: list[str]) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        problems.append(f"{path}: expected number {shape.name}, got {type(value).__name__}")


def _timestamp(shape: Shape, value: Any, path: str, problems: list[str]) -> None:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            problems.append(f"{path}: timestamp {shape.name} must be timezone-aware")
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        problems.append(
            f"{path}: expected timestamp {shape.name} (datetime or epoch seconds), "
            f"got {type(value).__name__}"
        )


def _blob(shape: Shape, value: Any, path: str, problems: list[str]) -> None:
    if not isinstance(value, bytes | bytearray | str):
        problems.append(f"{path}: expected blob {shape.name}, got {type(value).__name__}")


_CHECKERS = {
    "structure": _structure,
    "list": _list,
    "map": _map,
    "string": _string,
    "boolean": _boolean,
    "integer": _integer,
    "long": _integer,
    "double": _number,
    "float": _number,
    "timestamp": _timestamp,
    "blob": _blob,
}
