"""``govbot policy kinds``: the Slack message kinds (one row per registered ``KindSpec``),
their highest severity and, given a policy, the routes that can receive each; and the
warnings ``policy validate`` gives about routes and kinds that reach nobody."""

from __future__ import annotations

from typing import Any

from govbot.kinds import kind_specs
from govbot.policy import Policy
from govbot.policy.primitives import severity_at_least
from govbot_cli.common import EXIT_OK, Output


def kinds_table(policy: Policy | None) -> list[dict[str, Any]]:
    """One row per registered kind: name, max severity, label and (with a policy) the
    routes whose kinds and ``min_severity`` let it through."""
    rows: list[dict[str, Any]] = []
    for spec in kind_specs():
        row: dict[str, Any] = {
            "kind": spec.name,
            "max_severity": spec.max_severity,
            "label": spec.label,
        }
        if policy is not None:
            row["routes"] = [
                r.name
                for r in policy.notifications.routes
                if r.accepts(spec.name, spec.max_severity)
            ]
        rows.append(row)
    return rows


def route_warnings(policy: Policy) -> list[str]:
    """Routes that can deliver nothing, and kinds no route delivers."""
    top = {spec.name: spec.max_severity for spec in kind_specs()}
    warnings: list[str] = []
    routes = policy.notifications.routes
    for i, route in enumerate(routes):
        kinds = route.kinds or tuple(top)
        if not any(severity_at_least(top[k], route.min_severity) for k in kinds if k in top):
            warnings.append(
                f"notifications.routes[{i}] {route.name!r}: delivers nothing: "
                f"{', '.join(kinds)} never reach min_severity {route.min_severity}"
            )
    for kind, severity in top.items():
        if not any(r.accepts(kind, severity) for r in routes):
            warnings.append(f"notifications: no route delivers {kind} messages")
    return warnings


def run_kinds(policy: Policy | None, output: Output) -> int:
    """Print the message kinds table (with the routes of ``policy`` when given)."""
    rows = kinds_table(policy)
    if output.as_json:
        output.json(rows)
        return EXIT_OK
    width = max(len(r["kind"]) for r in rows)
    for row in rows:
        routes = f"  -> {', '.join(row['routes']) or 'no route'}" if "routes" in row else ""
        output.line(f"{row['kind']:<{width}}  {row['max_severity']:<8}  {row['label']}{routes}")
    return EXIT_OK
