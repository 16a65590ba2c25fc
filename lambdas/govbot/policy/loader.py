"""Load a policy from YAML text or a file into a validated ``Policy`` (CLI, synth, sandbox).

The Lambda functions never import this module (it needs PyYAML): they read the canonical
JSON that :func:`policy_json` makes and the synth stores in SSM
(``govbot.policy.document.parse_policy_json``).

Every problem found is reported at once, one line each, naming the source, the field
path, what was expected and the YAML line (see ``PolicyError``).

YAML is read with a stricter resolver than PyYAML's default: numbers and dates stay
text (pydantic converts them where a number is expected), so ``012345670123`` is an
account id, not an octal integer, and only ``true``/``false`` are booleans (not
``yes``/``no``/``on``/``off``). Duplicate keys in a mapping are errors.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from govbot.policy.document import canonical_json, validate_policy
from govbot.policy.error_text import Loc
from govbot.policy.errors import PolicyError
from govbot.policy.models import Policy

_BOOL_TAG = "tag:yaml.org,2002:bool"
_TEXT_TAGS = {"tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:timestamp"}


class _PolicyYamlLoader(yaml.SafeLoader):
    """SafeLoader with literal scalars and duplicate-key detection."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while reading a mapping",
                    node.start_mark,
                    f"duplicate key {key!r}",
                    key_node.start_mark,
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_PolicyYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in _TEXT_TAGS | {_BOOL_TAG}]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_PolicyYamlLoader.add_implicit_resolver(
    _BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def load_policy(path: str | Path) -> Policy:
    """Read and validate the policy file at ``path``.

    Raises ``PolicyError`` naming the file for unreadable files and every invalid field.

    Examples
    --------
    >>> policy = load_policy("policies/example.yaml")  # doctest: +SKIP
    """
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError(source, ["file not found"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(source, [f"cannot read the file: {exc}"]) from None
    return parse_policy(text, source)


def parse_policy(text: str, source: str = "<string>") -> Policy:
    """Validate policy YAML ``text``; ``source`` names it in error messages."""
    return validate_policy(*_read(text, source))


def policy_json(text: str, source: str = "<string>") -> str:
    """Validate policy YAML ``text`` and return its canonical JSON (what SSM holds).

    The one place that JSON is made: sorted keys, no spaces, non-ASCII kept. The synth and
    the sandbox both store it; the functions read it with ``parse_policy_json``.
    """
    data, _, line_of = _read(text, source)
    validate_policy(data, source, line_of)
    try:
        return canonical_json(data)
    except (TypeError, ValueError) as exc:  # e.g. a !!binary value
        raise PolicyError(source, [f"the policy cannot be stored as JSON: {exc}"]) from None


def _read(text: str, source: str) -> tuple[Any, str, Callable[[Loc], int | None]]:
    data, line_of = read_yaml(text, source)
    if data is None:
        raise PolicyError(
            source, ["the policy is empty; expected a mapping that starts with 'version: 1'"]
        )
    return data, source, line_of


def read_yaml(text: str, source: str) -> tuple[Any, Callable[[Loc], int | None]]:
    """YAML ``text`` read as the policy is (literal scalars, duplicate keys refused), and
    a function giving the 1-based line of a field path; ``PolicyError`` names ``source`` and
    the line of a syntax problem. None when the text holds no document. Other YAML files
    the CLI reads (``govbot simulate``'s world) use it for the same precise errors."""
    try:
        loader = _PolicyYamlLoader(text)
    except yaml.YAMLError as exc:  # e.g. a control character the YAML reader refuses
        raise PolicyError(source, [f"not readable as YAML text: {exc}"]) from None
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        raise PolicyError(source, [_yaml_problem(exc)]) from None
    except yaml.YAMLError as exc:
        raise PolicyError(source, [f"not readable as YAML text: {exc}"]) from None
    finally:
        loader.dispose()
    if node is None:
        return None, lambda loc: None
    root = node
    return data, lambda loc: _line_of(root, loc)


def _yaml_problem(exc: yaml.MarkedYAMLError) -> str:
    mark = exc.problem_mark or exc.context_mark
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
    context = ""
    if exc.context and exc.context_mark:
        context = (
            f" ({exc.context} at line {exc.context_mark.line + 1}, "
            f"column {exc.context_mark.column + 1})"
        )
    problem = (exc.problem or exc.context or "").removeprefix("but ")
    return f"{where}invalid YAML: {problem}{context}"


def _line_of(node: Node, loc: Loc) -> int | None:
    """The 1-based YAML line of the deepest node along ``loc``."""
    current = node
    for part in loc:
        if isinstance(current, MappingNode) and isinstance(part, str):
            match = next(
                ((k, v) for k, v in current.value if isinstance(k, ScalarNode) and k.value == part),
                None,
            )
            if match is None:
                break
            key_node, value_node = match
            # A key with an empty/scalar value: point at the key itself.
            current = value_node if not isinstance(value_node, ScalarNode) else key_node
            if current is key_node:
                return int(key_node.start_mark.line) + 1
        elif isinstance(current, SequenceNode) and isinstance(part, int):
            if part >= len(current.value):
                break
            current = current.value[part]
        else:
            break
    return int(current.start_mark.line) + 1
