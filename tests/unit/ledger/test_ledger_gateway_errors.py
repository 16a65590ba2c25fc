"""Gateway behaviour on errors DynamoDB reports, with an in-memory fake client (no network)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from govbot.ledger import Ledger
from govbot.ledger.records.inputs import OutcomeCommit
from tests.unit.ledger.builders import T0, decision, outbox


class FailingClient:
    """Answers every write with the configured ClientError and remembers the calls."""

    def __init__(self, code: str, reasons: list[str] | None = None) -> None:
        self.calls: list[str] = []
        response: dict[str, Any] = {"Error": {"Code": code, "Message": code}}
        if reasons is not None:
            response["CancellationReasons"] = [{"Code": r} for r in reasons]
        self.error = ClientError(response, "Operation")  # type: ignore[arg-type]

    def __getattr__(self, name: str) -> Any:
        def call(**_: Any) -> Any:
            self.calls.append(name)
            raise self.error

        return call


def _ledger(client: Any) -> Ledger:
    return Ledger("t", client=client, clock=lambda: T0)


def test_transaction_conflict_is_not_mistaken_for_idempotency() -> None:
    client = FailingClient("TransactionCanceledException", ["None", "TransactionConflict"])
    with pytest.raises(ClientError, match="TransactionCanceledException"):
        _ledger(client).commit_outcome(OutcomeCommit("evt-1", decisions=[decision()]))
    assert client.calls == ["transact_write_items"]


def test_throttling_surfaces_after_botocore_retries() -> None:
    client = FailingClient("ProvisionedThroughputExceededException")
    with pytest.raises(ClientError, match="ProvisionedThroughputExceeded"):
        _ledger(client).add_outbox([outbox()])


class ScriptedTransactions:
    """transact_write_items answers from a script: a cancellation reason list, then success."""

    def __init__(self, *script: list[str] | None) -> None:
        self.script = list(script)
        self.requests: list[list[dict[str, Any]]] = []

    def transact_write_items(self, *, TransactItems: list[dict[str, Any]]) -> dict[str, Any]:
        self.requests.append(TransactItems)
        reasons = self.script.pop(0)
        if reasons is None:
            return {}
        raise ClientError(
            {
                "Error": {"Code": "TransactionCanceledException", "Message": "cancelled"},
                "CancellationReasons": [{"Code": r} for r in reasons],
            },
            "TransactWriteItems",
        )


def test_outbox_conflicts_are_dropped_then_retried_once() -> None:
    # event update ok, decision ok, first outbox item already exists -> retry without it
    client = ScriptedTransactions(["None", "None", "ConditionalCheckFailed", "None"], None)
    kept = outbox("evt-9")
    assert _ledger(client).commit_outcome(
        OutcomeCommit("evt-1", decisions=[decision()], outbox=[outbox(), kept])
    )
    assert [len(r) for r in client.requests] == [4, 3]
    retried_pks = [op["Put"]["Item"]["pk"]["S"] for op in client.requests[1][1:]]
    assert retried_pks[-1] == f"OUTBOX#{kept.outbox_id}"
    assert f"OUTBOX#{outbox().outbox_id}" not in retried_pks


def test_constructor_validates_and_creates_no_client() -> None:
    ledger = Ledger("govbot-ledger")
    assert ledger._client is None  # lazily created on first use, never at import/construct
    retries = getattr(ledger.client.meta.config, "retries", {})
    # Throttling is retried by botocore's standard conditions, without its quota
    # (govbot.gateways.retries, tested on its own).
    assert retries["mode"] == "standard"
    with pytest.raises(ValueError, match="LEDGER_TABLE_NAME"):
        Ledger("")
    with pytest.raises(ValueError, match="retention_days"):
        Ledger("t", retention_days=0)
    assert _ledger(object()).now() == T0
