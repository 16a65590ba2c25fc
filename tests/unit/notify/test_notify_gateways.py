"""Pure helpers of the Slack gateway and the DLQ stream reader."""

from __future__ import annotations

from govbot.gateways.slack import mask_url, mask_urls_in, retry_after_seconds
from govbot.gateways.streams import DynamoStreamReader
from govbot.notifier.replay import outbox_ids_from_message


def test_urls_are_masked_down_to_scheme_and_host():
    url = "https://hooks.slack.com/services/T000/B000/XXXXSECRET"
    assert mask_url(url) == "https://hooks.slack.com/***"
    assert "XXXXSECRET" not in mask_urls_in(f"failed to post to {url} (HTTP 500)")
    assert mask_url("not a url") == "***"


def test_retry_after_header_is_read_in_any_case_and_defaults_to_one_second():
    assert retry_after_seconds({"retry-after": ["7"]}) == 7.0
    assert retry_after_seconds({"Retry-After": "3"}) == 3.0
    assert retry_after_seconds({"Retry-After": ["soon"]}) == 1.0
    assert retry_after_seconds({}) == 1.0


class FakeStreams:
    def __init__(self, records: list[dict]) -> None:
        self.records = records

    def get_shard_iterator(self, **kwargs):
        start = int(kwargs["SequenceNumber"])
        return {"ShardIterator": str(start)}

    def get_records(self, ShardIterator: str, Limit: int):
        start = int(ShardIterator)
        page = [r for r in self.records if int(r["dynamodb"]["SequenceNumber"]) >= start][:2]
        nxt = str(int(page[-1]["dynamodb"]["SequenceNumber"]) + 1) if page else None
        return {"Records": page, "NextShardIterator": nxt}


def _rec(seq: int, pk: str, event: str = "INSERT") -> dict:
    return {
        "eventName": event,
        "dynamodb": {"SequenceNumber": str(seq), "Keys": {"pk": {"S": pk}, "sk": {"S": "x"}}},
    }


def test_stream_reader_returns_outbox_inserts_in_the_dlq_range_only():
    reader = DynamoStreamReader(
        FakeStreams(
            [
                _rec(10, "OUTBOX#a"),
                _rec(11, "NOTIFY#STORM#x"),
                _rec(12, "OUTBOX#b", "MODIFY"),
                _rec(13, "OUTBOX#c"),
                _rec(14, "OUTBOX#d"),
                _rec(15, "OUTBOX#e"),
            ]
        )
    )
    body = {
        "DDBStreamBatchInfo": {
            "streamArn": "arn",
            "shardId": "s",
            "startSequenceNumber": "10",
            "endSequenceNumber": "14",
        }
    }
    assert outbox_ids_from_message(body, reader) == ["a", "c", "d"]


def test_dlq_bodies_that_name_items_directly():
    assert outbox_ids_from_message({"outbox_id": "z"}, None) == ["z"]
    keys = {"dynamodb": {"Keys": {"pk": {"S": "OUTBOX#y"}}}}
    assert outbox_ids_from_message(keys, None) == ["y"]
    assert outbox_ids_from_message({"DDBStreamBatchInfo": {}}, None) == []
