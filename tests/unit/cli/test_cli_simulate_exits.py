"""``govbot simulate`` handles the exit events: an export is evaluated on the in-memory
world, builder sessions and agent changes are recorded with who did them."""

from __future__ import annotations

import json
from pathlib import Path

from tests.unit.cli.runner import DEMO_POLICY, REPO_ROOT, run_cli

WORLD = str(REPO_ROOT / "docs" / "examples" / "simulate" / "world.yaml")

ACTOR = "arn:aws:sts::123456789012:assumed-role/Admin/alice"


def _record(name: str, params: dict[str, object]) -> dict[str, object]:
    return {
        "eventVersion": "1.08",
        "userIdentity": {"type": "AssumedRole", "accountId": "123456789012", "arn": ACTOR},
        "eventTime": "2026-11-27T16:00:00Z", "eventSource": "appstream.amazonaws.com",
        "eventName": name, "awsRegion": "us-east-1", "requestParameters": params,
        "responseElements": None, "eventID": f"exit-{name}", "eventType": "AwsApiCall",
        "recipientAccountId": "123456789012",
    }  # fmt: skip


def test_exit_events_are_evaluated_or_recorded(tmp_path: Path) -> None:
    events = tmp_path / "exits.jsonl"
    records = [
        _record(
            "CreateExportImageTask",
            {"imageName": "app-base", "amiName": "app-base-ami",
             "iamRoleArn": "arn:aws:iam::123456789012:role/export"},
        ),
        _record("CreateImageBuilderStreamingURL", {"name": "b1"}),
        _record(
            "UpdateImageBuilder",
            {"name": "b1", "agentAccessConfig": {
                "settings": [{"agentAction": "COMPUTER_INPUT", "permission": "ENABLED"}]}},
        ),
    ]  # fmt: skip
    events.write_text("\n".join(json.dumps(r) for r in records))
    result = run_cli(
        "simulate", "--policy", DEMO_POLICY, "--world", WORLD, "--now",
        "2026-11-27T17:00:00Z", "--json", str(events),
    )  # fmt: skip
    assert result.code == 0, result.err
    rows = {e["event_id"]: e for e in json.loads(result.out)["events"]}
    # The export is evaluated on the world's image (the in-memory world holds no export
    # tasks: exit facts come from the sweep and the live reads, not from simulate).
    export = rows["exit-CreateExportImageTask"]
    assert (export["status"], export["outcome"]) == ("processed", "compliant")
    session = rows["exit-CreateImageBuilderStreamingURL"]
    assert session["outcome"] == "ignored"
    assert f"opened by {ACTOR}" in json.dumps(session)
    update = json.dumps(rows["exit-UpdateImageBuilder"])
    assert "agent actions enabled: COMPUTER_INPUT" in update
