"""DynamoDB Streams gateway: reads the ledger's stream (dead-letter replay of the notifier)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from govbot.iam import declare

declare(
    "dynamodbstreams",
    {"GetShardIterator": "ledger-stream", "GetRecords": "ledger-stream"},
    prefix="dynamodb",
)


def outbox_id_from_keys(keys: dict[str, Any]) -> str | None:
    """The outbox id of a stream record's keys (``pk=OUTBOX#<id>``), else None."""
    pk = keys.get("pk")
    text = pk.get("S") if isinstance(pk, dict) else pk
    if isinstance(text, str) and text.startswith("OUTBOX#"):
        return text[len("OUTBOX#") :]
    return None


class DynamoStreamReader:
    """``StreamReader`` over the DynamoDB Streams API; the client is made on first use."""

    def __init__(self, client: Any = None, *, client_factory: Callable[[], Any] | None = None):
        if client is None and client_factory is None:
            raise ValueError("DynamoStreamReader needs a client or a client_factory")
        self._client = client
        self._client_factory = client_factory

    @property
    def client(self) -> Any:
        if self._client is None:
            assert self._client_factory is not None
            self._client = self._client_factory()
        return self._client

    def outbox_ids(self, stream_arn: str, shard_id: str, start_seq: str, end_seq: str) -> list[str]:
        """Outbox ids INSERTed in the shard from ``start_seq`` to ``end_seq`` (inclusive)."""
        iterator = self.client.get_shard_iterator(
            StreamArn=stream_arn,
            ShardId=shard_id,
            ShardIteratorType="AT_SEQUENCE_NUMBER",
            SequenceNumber=start_seq,
        )["ShardIterator"]
        ids: list[str] = []
        while iterator:
            page = self.client.get_records(ShardIterator=iterator, Limit=1000)
            records = page.get("Records", [])
            for record in records:
                seq = record["dynamodb"]["SequenceNumber"]
                if int(seq) > int(end_seq):
                    return ids
                found = outbox_id_from_keys(record["dynamodb"].get("Keys", {}))
                if found and found not in ids and record.get("eventName") == "INSERT":
                    ids.append(found)
            if not records:
                return ids
            iterator = page.get("NextShardIterator")
        return ids
