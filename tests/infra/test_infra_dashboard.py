"""The hub dashboard graphs the metrics the functions really emit."""

from __future__ import annotations

import json
from typing import Any


def _body(hub: Any) -> dict[str, Any]:
    (dashboard,) = hub.resources("AWS::CloudWatch::Dashboard").values()
    body = dashboard["Properties"]["DashboardBody"]
    if isinstance(body, dict):  # Fn::Join of literals and tokens: tokens become a marker
        separator, parts = body["Fn::Join"]
        body = separator.join(p if isinstance(p, str) else "TOKEN" for p in parts)
    parsed: dict[str, Any] = json.loads(body)
    return parsed


def test_remedies_widget_graphs_remedies_by_rule_not_events(hub) -> None:
    widgets = _body(hub)["widgets"]
    (remedies,) = [w for w in widgets if w["properties"].get("title", "").startswith("Remedies")]
    expressions = [
        m[0]["expression"]
        for m in remedies["properties"]["metrics"]
        if isinstance(m[0], dict) and "expression" in m[0]
    ]
    assert expressions == [
        "SEARCH('{govbot,rule,service} MetricName=\"RemediesApplied\"', 'Sum', 300)",
        "SEARCH('{govbot,rule,service} MetricName=\"RemediesFailed\"', 'Sum', 300)",
    ]
    assert "Events_processed" not in json.dumps(remedies)
