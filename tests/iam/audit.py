"""Check recorded calls against synthesized IAM policies: nothing denied, nothing unused.

A tiny evaluator for what govbot's templates contain: Allow statements, actions and
resources with ``*``/``?`` wildcards (IAM's matching), resources after resolving the
template's intrinsic functions with a table of what each logical id stands for.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Statement:
    """An Allow statement, resolved to plain strings."""

    actions: tuple[str, ...]
    resources: tuple[str, ...]


@dataclass(frozen=True)
class Request:
    """One authorization request a call makes."""

    action: str
    resource: str
    call: str = ""


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def resolve(value: Any, refs: Mapping[str, str], attrs: Mapping[tuple[str, str], str]) -> Any:
    """Resolve Ref / Fn::GetAtt / Fn::Join / Fn::Select+Fn::Split (what CDK emits in policies).

    An unknown reference resolves to ``<LogicalId.Attr>``, which matches no real ARN.
    """
    if isinstance(value, list):
        return [resolve(v, refs, attrs) for v in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Ref"}:
        return refs.get(value["Ref"], f"<{value['Ref']}>")
    if set(value) == {"Fn::GetAtt"}:
        logical_id, attr = value["Fn::GetAtt"]
        return attrs.get((logical_id, attr), f"<{logical_id}.{attr}>")
    if set(value) == {"Fn::Join"}:
        separator, parts = value["Fn::Join"]
        return separator.join(str(resolve(p, refs, attrs)) for p in parts)
    if set(value) == {"Fn::Select"}:
        index, items = value["Fn::Select"]
        return resolve(items, refs, attrs)[int(index)]
    if set(value) == {"Fn::Split"}:
        separator, text = value["Fn::Split"]
        return str(resolve(text, refs, attrs)).split(separator)
    return {k: resolve(v, refs, attrs) for k, v in value.items()}


def role_statements(
    template: Mapping[str, Any],
    role_id: str,
    refs: Mapping[str, str],
    attrs: Mapping[tuple[str, str], str],
) -> list[Statement]:
    """Every Allow statement of role ``role_id`` (inline and ``AWS::IAM::Policy``)."""
    documents = []
    resources = template["Resources"]
    role = resources[role_id]["Properties"]
    documents += [p["PolicyDocument"] for p in role.get("Policies", [])]
    for resource in resources.values():
        if resource["Type"] == "AWS::IAM::Policy" and {"Ref": role_id} in resource[
            "Properties"
        ].get("Roles", []):
            documents.append(resource["Properties"]["PolicyDocument"])
    statements = []
    for document in documents:
        for raw in resolve(document, refs, attrs)["Statement"]:
            if raw["Effect"] != "Allow":
                continue
            statements.append(
                Statement(tuple(_as_list(raw["Action"])), tuple(_as_list(raw["Resource"])))
            )
    return statements


def _matches(pattern: str, value: str, *, case: bool) -> bool:
    if case:
        return fnmatch.fnmatchcase(value, pattern)
    return fnmatch.fnmatchcase(value.lower(), pattern.lower())


def allowed(statements: Sequence[Statement], request: Request) -> bool:
    """Whether an Allow statement covers the request (actions case-insensitive, like IAM)."""
    return any(
        any(_matches(a, request.action, case=False) for a in s.actions)
        and any(_matches(r, request.resource, case=True) for r in s.resources)
        for s in statements
    )


@dataclass(frozen=True)
class Findings:
    """What the audit found: requests no statement allows, grants no request used."""

    denied: list[Request]
    unused: list[tuple[str, tuple[str, ...]]]  # (action, the statement's resources)


@dataclass(frozen=True)
class Explained:
    """A grant no code of the function calls, and why it is there anyway."""

    action: str  # pattern
    resource: str  # pattern every resource of the statement must match
    why: str


def audit(
    statements: Sequence[Statement],
    requests: Iterable[Request],
    explained: Sequence[Explained],
) -> Findings:
    """Every request allowed; every granted action used by a request inside that statement,
    unless ``explained`` (granted though the code never calls it: for the Lambda service,
    an event source mapping, KMS behind another service)."""
    requests = list(requests)
    denied = [r for r in requests if not allowed(statements, r)]
    unused = []
    for statement in statements:
        for action in statement.actions:
            if any(
                _matches(e.action, action, case=False)
                and all(_matches(e.resource, r, case=True) for r in statement.resources)
                for e in explained
            ):
                continue
            used = any(
                _matches(action, r.action, case=False)
                and any(_matches(res, r.resource, case=True) for res in statement.resources)
                for r in requests
            )
            if not used:
                unused.append((action, statement.resources))
    return Findings(denied, unused)
