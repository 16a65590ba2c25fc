"""``govbot simulate``: the real enforcer on an in-memory world (no network)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from govbot_cli.world import world_schema
from tests.unit.cli.runner import DEMO_POLICY, REPO_ROOT, run_cli

EXAMPLES = REPO_ROOT / "docs" / "examples" / "simulate"
WORLD = str(EXAMPLES / "world.yaml")
EVENTS = str(EXAMPLES / "events.jsonl")
NOW = "2026-11-27T17:00:00Z"


def _simulate(*argv: str) -> tuple[int, dict, str]:
    result = run_cli("simulate", "--policy", DEMO_POLICY, "--now", NOW, "--json", *argv)
    return result.code, json.loads(result.out) if result.out else {}, result.err


def _record(tmp_path: Path, name: str, params: dict, **extra: object) -> dict:
    return {
        "eventVersion": "1.08",
        "userIdentity": {"type": "AssumedRole", "accountId": "123456789012",
                         "arn": "arn:aws:sts::123456789012:assumed-role/Admin/alice"},
        "eventTime": "2026-11-27T16:00:00Z", "eventSource": "appstream.amazonaws.com",
        "eventName": name, "awsRegion": "us-east-1", "requestParameters": params,
        "responseElements": None, "eventID": f"bare-{name}", "eventType": "AwsApiCall",
        "recipientAccountId": "123456789012", **extra,
    }  # fmt: skip


def test_example_events_give_every_outcome() -> None:
    code, doc, err = _simulate("--world", WORLD, EVENTS)
    assert code == 0, err
    outcomes = {e["event_id"]: e["outcome"] for e in doc["events"]}
    assert outcomes == {
        "sim-1-UpdateImagePermissions": "remedied",  # outsider's builder removed
        "sim-2-UpdateImagePermissions": "compliant",  # trusted account
        "sim-3-UpdateImagePermissions": "remedied",  # confidential: share deleted
        "sim-4-UpdateImagePermissions": "violation",  # audit mode: left for people
        "sim-5-UpdateImagePermissions": "ignored",  # the call failed
        "sim-6-UpdateImagePermissions": "compliant",  # organization member (world)
        next(k for k in outcomes if k.startswith("REJECTED#")): "rejected",
    }
    first = doc["events"][0]
    assert first["rules"] == ["no-untrusted-builders"]
    assert first["actions"] == [
        {
            "operation": "UpdateImagePermissions",
            "shared_account_id": "999999999999",
            "image_arn": "arn:aws:appstream:us-east-1:123456789012:image/app-base",
            "parameters": {
                "SharedAccountId": "999999999999",
                "ImagePermissions": {"allowFleet": True, "allowImageBuilder": False},
            },
            "status": "succeeded",
            "error": None,
        }
    ]
    (message,) = first["messages"]
    assert message["kind"] == "violation_remedied"
    assert "Share revoked: app-base" in message["text"]
    assert doc["summary"] == {
        "remedied": 2, "compliant": 2, "violation": 1, "ignored": 1, "rejected": 1
    }  # fmt: skip
    # The final world: remedies applied, the failed call changed nothing.
    images = {i["name"]: i for i in doc["world"]["images"]}
    assert images["app-base"]["permissions"] == [
        {"account": "111111111111", "fleet": True, "image_builder": True},
        {"account": "999999999999", "fleet": True, "image_builder": False},
    ]
    assert images["secret-app"]["permissions"] == []
    assert images["prod-web"]["permissions"] == [
        {"account": "333333333333", "fleet": True, "image_builder": False}
    ]
    kinds = {r["kind"] for r in doc["ledger"]}
    assert kinds == {"event", "decision", "action", "outbox"}


def test_human_output_is_a_table_then_details() -> None:
    result = run_cli("simulate", "--policy", DEMO_POLICY, "--world", WORLD, "--now", NOW, EVENTS)
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].split() == ["SOURCE", "EVENT", "ID", "EVENT", "OUTCOME", "RULES", "NOTE"]
    assert f"{EVENTS}:1" in lines[1]
    assert "remedied" in lines[1]
    assert (
        "  action: UpdateImagePermissions SharedAccountId=999999999999 allowFleet=True "
        "allowImageBuilder=False (succeeded)"
    ) in lines
    assert any(line.startswith("  message [violation_remedied/high]: ") for line in lines)
    assert lines[-1].startswith("summary: 7 event(s): 2 compliant, 1 ignored, 1 rejected")


def test_fail_on_violation_sets_exit_1() -> None:
    result = run_cli("simulate", "--policy", DEMO_POLICY, "--world", WORLD, "--now", NOW,
                     "--fail-on-violation", EVENTS)  # fmt: skip
    assert result.code == 1


def test_bare_record_and_cloudtrail_log_file_on_the_default_world(tmp_path: Path) -> None:
    share = {"name": "app-base", "sharedAccountId": "999999999999",
             "imagePermissions": {"allowFleet": True, "allowImageBuilder": True}}  # fmt: skip
    bare = tmp_path / "bare.json"
    bare.write_text(json.dumps(_record(tmp_path, "UpdateImagePermissions", share)))
    log = tmp_path / "log.json"
    tag = {"resourceArn": "arn:aws:appstream:us-east-1:123456789012:image/app-base",
           "tags": {"classification": "confidential"}}  # fmt: skip
    log.write_text(json.dumps({"Records": [_record(tmp_path, "TagResource", tag)]}))
    code, doc, err = _simulate(str(bare), str(log))
    assert code == 0, err
    first, second = doc["events"]
    assert first["outcome"] == "remedied"
    assert "was not in the world: added as the event implies" in first["world_note"]
    # Tagging it confidential makes its remaining share a violation: deleted.
    assert second["outcome"] == "remedied"
    assert second["rules"] == ["secrets-never-shared"]
    assert second["actions"][0]["operation"] == "DeleteImagePermissions"


def test_the_same_event_twice_is_handled_once(tmp_path: Path) -> None:
    twice = tmp_path / "twice.json"
    line = Path(EVENTS).read_text().splitlines()[0]
    twice.write_text(f"[{line}, {line}]")
    code, doc, _ = _simulate("--world", WORLD, str(twice))
    assert code == 0
    assert [e["outcome"] for e in doc["events"]] == ["remedied", "ignored"]
    assert doc["events"][1]["note"] == "already handled"


@pytest.mark.parametrize(
    ("files", "world_text", "message"),
    [
        ({"e.json": "{not json"}, None, "e.json: not valid JSON"),
        ({"e.json": "{}\n{oops\n"}, None, "e.json:2: not valid JSON Lines"),
        ({"e.json": ""}, None, "e.json: empty; expected one or more events"),
        ({"e.json": "[]"}, None, "e.json: an empty list; expected one or more events"),
        ({"e.json": "{}"}, "images: [{name: x, permissions: [{account: '12'}]}]",
         "images[0].permissions[0].account: expected a 12-digit AWS account id, got '12' "
         "(line 1)"),
        ({"e.json": "{}"}, "accounts: [abc]", "accounts[0]: 'abc' does not match"),
        ({"e.json": "{}"}, "- a list", "expected a mapping (accounts, regions, images, fleets)"),
        ({"e.json": "{}"}, "images: [{name: x, colour: red}]",
         "images[0].colour: unknown key; expected one of: name, owner, region, state, tags, "
         "permissions (line 1)"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_exit_2(
    tmp_path: Path, files: dict[str, str], world_text: str | None, message: str
) -> None:
    paths = []
    for name, text in files.items():
        (tmp_path / name).write_text(text)
        paths.append(str(tmp_path / name))
    argv = ["simulate", "--policy", DEMO_POLICY, *paths]
    if world_text is not None:
        (tmp_path / "w.yaml").write_text(world_text)
        argv += ["--world", str(tmp_path / "w.yaml")]
    result = run_cli(*argv)
    assert result.code == 2, result.out
    assert message in result.err
    assert len(result.err.strip().splitlines()) == 1, result.err


def test_missing_files_and_arguments(tmp_path: Path) -> None:
    missing = run_cli("simulate", "--policy", DEMO_POLICY, str(tmp_path / "nope.json"))
    assert missing.code == 2
    assert "nope.json: cannot read the events file (No such file or directory)" in missing.err
    no_policy = run_cli("simulate", EVENTS)
    assert no_policy.code == 2
    assert "required: --policy" in no_policy.err
    no_world = run_cli("simulate", "--policy", DEMO_POLICY, "--world", "/nonexistent.yaml", EVENTS)
    assert no_world.code == 2
    assert "--world /nonexistent.yaml: cannot read the world file" in no_world.err


def test_world_schema_is_printed_and_documented() -> None:
    result = run_cli("simulate", "--world-schema")
    assert result.code == 0
    assert json.loads(result.out) == world_schema()
    documented = json.loads((REPO_ROOT / "docs" / "world.schema.json").read_text())
    assert documented == world_schema(), "regenerate: govbot simulate --world-schema"


def test_progress_and_colour_only_on_a_terminal() -> None:
    import io

    from govbot_cli.tables import progress, table

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    piped, terminal = io.StringIO(), Terminal()
    for stream in (piped, terminal):
        with progress(stream, 2, "reading images") as advance:
            advance("123456789012 us-east-1")
            advance("123456789012 eu-west-1")
        table(stream, ("OUTCOME",), [("violation",)], style_column=0)
    assert piped.getvalue() == "OUTCOME\nviolation\n"
    assert "reading images" in terminal.getvalue()
    assert "\x1b[" in terminal.getvalue()  # coloured outcome
