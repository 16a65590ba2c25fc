"""Pure rendering of ledger records: one line each (time, kind, status, rule, account, text)."""

from __future__ import annotations

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
        error = f" error: {record.error}" if record.error else ""
        rules = ",".join(str(r) for r in record.request.get("rule_ids") or []) or "-"
        return (
            record.status,
            rules,
            record.shared_account_id or "-",
            f"{request_summary(record)}{error}",
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


def _perms(value: Any) -> str:
    if not isinstance(value, dict):
        return "?"
    kinds = [
        k
        for k, key in (("fleet", "allow_fleet"), ("builder", "allow_image_builder"))
        if value.get(key)
    ]
    return ",".join(kinds) or "none"


def request_summary(action: ActionRecord) -> str:
    """``UpdateImagePermissions prod-app 999999999999: fleet,builder -> fleet``: no raw JSON."""
    request = action.request
    image = (action.image_arn or "").rpartition("/")[2] or "-"
    account = request.get("SharedAccountId") or action.shared_account_id or "-"
    if "before" in request or "after" in request:
        after = (
            "none" if action.operation == "DeleteImagePermissions" else _perms(request.get("after"))
        )
        change = f": {_perms(request.get('before'))} -> {after}"
    else:
        change = ""
    return f"{action.operation} {image} {account}{change}"


def event_id_of(record: LedgerRecord) -> str:
    """The event a record belongs to (outbox: the event in its payload), or ``-``."""
    value = getattr(record, "event_id", None)
    if value is None and isinstance(record, OutboxItem):
        value = record.payload.get("event_id")
    if value is None and isinstance(record, ExemptionRecord):
        value = record.exemption_id
    return str(value) if value else "-"


def rule_ids_of(record: LedgerRecord) -> set[str]:
    """Every rule id a record names (for ``--rule``)."""
    _, rule, _, _ = _fields(record)
    return {r for r in rule.split(",") if r and r != "-"}


ROW_HEADERS = ("TIME", "EVENT ID", "KIND", "STATUS", "RULE", "ACCOUNT", "SUMMARY")


def record_row(record: LedgerRecord) -> tuple[str, ...]:
    """The table row of one record (see ``ROW_HEADERS``)."""
    ts = record.timestamp()
    status, rule, account, text = _fields(record)
    when = format_ts(ts) if ts is not None else "-"
    return (when, event_id_of(record), record.kind, status, rule, account, text)


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
