"""What the live sandbox tells its watcher: one line per CloudTrail record."""

from __future__ import annotations

import io
import json

from govbot_sandbox.live.narrator import Narrator, describe_record

RECORD = {
    "eventName": "UpdateImagePermissions",
    "awsRegion": "us-east-1",
    "eventID": "e-1",
    "userIdentity": {"arn": "arn:aws:iam::123456789012:user/alice", "accountId": "123456789012"},
    "requestParameters": {"name": "app-base", "sharedAccountId": "999999999999"},
}


def test_a_record_is_one_line_naming_who_did_what() -> None:
    line = describe_record(RECORD)
    assert line == (
        "cloudtrail alice@123456789012 us-east-1 UpdateImagePermissions "
        '{"name":"app-base","sharedAccountId":"999999999999"}'
    )
    failed = describe_record({**RECORD, "errorCode": "ResourceNotFoundException"})
    assert failed.endswith(" -> ResourceNotFoundException")


def test_records_go_to_the_console_and_the_json_lines_file() -> None:
    out, jsonl = io.StringIO(), io.StringIO()
    narrator = Narrator(out, jsonl)
    narrator.cloudtrail({"detail": RECORD})
    narrator.cloudtrail({"detail": {**RECORD, "eventID": "e-2", "errorCode": "X"}})
    assert [json.loads(line)["eventID"] for line in jsonl.getvalue().splitlines()] == ["e-1", "e-2"]
    assert out.getvalue().count("cloudtrail alice@") == 2


def test_quiet_narrator_prints_nothing_but_still_logs() -> None:
    jsonl = io.StringIO()
    narrator = Narrator(None, jsonl)
    narrator.cloudtrail({"detail": RECORD})
    narrator.slack([{"text": "hello"}])
    assert len(jsonl.getvalue().splitlines()) == 1


def test_slack_messages_are_told_once() -> None:
    out = io.StringIO()
    narrator = Narrator(out)
    narrator.slack([{"text": "one"}])
    narrator.slack([{"text": "one"}, {"text": "two"}])
    assert out.getvalue().splitlines() == ["slack      one", "slack      two"]
