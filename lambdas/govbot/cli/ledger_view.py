"""Pure rendering of ledger records: one line each (time, kind, status, rule, account, text)."""

from __future__ import annotations

import json
from typing import Any

from govbot.ledger import (
    ActionRecord,
    CopyJob,
    DecisionRecord,
    EventRecord,
    ExemptionRecord,
    LedgerRecord,
    OutboxItem,
    format_ts,
)


def _fields(record: LedgerRecord) -> tuple[str, str, str, str]:
    """(status or outcome, rule, account, reason or summary) of any record family."""
    if isinstance(record, EventRecord):
        why = record.reason or record.note or ""
        text = " ".join(p for p in (record.event_name or "", record.image_arn or "", why) if p)
        return record.status, "-", record.shared_account_id or "-", text
    if isinstance(record, DecisionRecord):
        status = f"{record.outcome}/{record.mode}"
        return status, record.rule_id, record.account_id, f"{record.permission}: {record.reason}"
    if isinstance(record, ActionRecord):
        request = json.dumps(record.request, sort_keys=True, separators=(",", ":"))
        error = f" error: {record.error}" if record.error else ""
        return (
            record.status,
            "-",
            record.shared_account_id or "-",
            (f"{record.operation} {request}{error}"),
        )
    if isinstance(record, OutboxItem):
        rules = ",".join(str(r) for r in record.payload.get("rule_ids") or []) or "-"
        accounts = ",".join(str(a) for a in record.payload.get("shared_account_ids") or []) or "-"
        summary = record.payload.get("summary") or ""
        return (
            record.status,
            rules,
            accounts,
            (f"{record.message_kind} [{record.severity}] {summary}".rstrip()),
        )
    if isinstance(record, ExemptionRecord):
        target = record.image_arn or record.image_selector or "-"
        return (
            record.status,
            "-",
            record.account_id,
            (
                f"{record.permission} on {target} until {format_ts(record.expires_at)} "
                f"(approved by {record.approver}: {record.reason})"
            ),
        )
    if isinstance(record, CopyJob):
        reason = f": {record.last_reason}" if record.last_reason else ""
        return (
            record.state,
            "-",
            "-",
            (
                f"copy {record.source_arn} -> {record.destination_region}/"
                f"{record.destination_name}{reason}"
            ),
        )
    return "-", "-", "-", type(record).__name__


def record_line(record: LedgerRecord) -> str:
    """``time  kind  status  rule  account  text`` for one record."""
    ts = record.timestamp()
    status, rule, account, text = _fields(record)
    when = format_ts(ts) if ts is not None else "-"
    return f"{when}  {record.kind:<9} {status:<18} {rule:<24} {account:<12}  {text}".rstrip()


def record_json(record: LedgerRecord) -> dict[str, Any]:
    """The record as JSON-ready data, with its ``kind`` and ``ts``."""
    ts = record.timestamp()
    return {
        "kind": record.kind,
        "ts": format_ts(ts) if ts is not None else None,
        **record.model_dump(mode="json"),
    }
