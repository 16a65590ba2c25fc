"""``govbot ledger ...``: read the ledger through its indexes (never a Scan)."""

from __future__ import annotations

import argparse
import os
from datetime import UTC, datetime
from typing import Any, get_args

from govbot.ledger import ExemptionRecord, LedgerRecord, OutboxStatus, format_ts
from govbot_cli.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    Output,
    UsageError,
    parse_account,
    parse_duration,
    parse_image_arn,
    parse_instant,
    parse_region,
)
from govbot_cli.deps import CliDeps, LedgerReader
from govbot_cli.ledger_view import ROW_HEADERS, record_json, record_row, rule_ids_of
from govbot_cli.tables import table as table_out

TABLE_ENV = "LEDGER_TABLE_NAME"
RECORD_KINDS = ("event", "decision", "action", "outbox", "exemption", "copyjob")
DEFAULT_LIMIT = 100
MAX_SINCE_DAYS = 800  # the ledger's by_time walks one partition per day
# --limit counts records shown, after --until/--rule/--kind: a query that came back full but
# filtered short is re-run with a larger page, up to this many records read.
MAX_FETCH = 10_000
FETCH_GROWTH = 4


class LedgerReadFailed(Exception):
    """DynamoDB could not be read; the message names the table and the cause."""


def add_parser(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Register ``ledger image|account|since|event|rejected|outbox``."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--table", help=f"ledger table name (default: environment variable {TABLE_ENV})"
    )
    common.add_argument("--region", help="region of the table (default: the ambient one)")
    common.add_argument(
        "--endpoint-url", metavar="URL", help="DynamoDB endpoint (e.g. the sandbox's moto)"
    )
    common.add_argument("--profile", help="AWS profile of the credentials to use")
    common.add_argument(
        "--now",
        metavar="ISO",
        help="the time 'since' and durations count back from (default: now; a fast-clock "
        "sandbox's clock is in GET /_govbot/health)",
    )
    common.add_argument(
        "--limit",
        type=_positive_int,
        default=DEFAULT_LIMIT,
        help=f"at most this many records (default {DEFAULT_LIMIT})",
    )
    filters = argparse.ArgumentParser(add_help=False)
    filters.add_argument(
        "--until",
        metavar="ISO|DURATION",
        help="only records up to this time (ISO, or a duration ago: 1h)",
    )
    filters.add_argument("--rule", metavar="RULE_ID", help="only records about this rule")
    filters.add_argument("--kind", choices=RECORD_KINDS, help="only records of this kind")
    shared = [*parents, common, filters]
    ledger = subparsers.add_parser("ledger", help="query the ledger (events, decisions, outbox)")
    commands = ledger.add_subparsers(dest="ledger_command", metavar="COMMAND", required=True)
    for name, arg, help_text in (
        ("image", "ARN", "records about an image (by-image index)"),
        ("account", "ID", "records about a grantee account (by-account index)"),
        ("since", "DURATION", "records of the last DURATION, e.g. 2h or 3d (by-time index)"),
        ("event", "EVENT_ID", "one event with its decisions and actions"),
        ("outbox", "STATUS", f"outbox items by status: {', '.join(get_args(OutboxStatus))}"),
    ):
        command = commands.add_parser(name, parents=shared, help=help_text)
        command.add_argument("value", metavar=arg)
        command.set_defaults(handler=run_ledger)
    rejected = commands.add_parser("rejected", parents=shared, help="events govbot rejected")
    rejected.set_defaults(handler=run_ledger, value=None)
    exemptions = commands.add_parser(
        "exemptions", help="exemptions granted from Slack: list, show ID, revoke ID"
    )
    actions = exemptions.add_subparsers(dest="exemption_command", metavar="ACTION", required=True)
    listing = actions.add_parser("list", parents=[*parents, common], help="exemptions in force")
    listing.set_defaults(handler=run_exemptions, value=None)
    for name, help_text in (
        ("show", "one exemption"),
        ("revoke", "revoke an exemption (the drift sweep then applies the policy again)"),
    ):
        action = actions.add_parser(name, parents=[*parents, common], help=help_text)
        action.add_argument("value", metavar="EXEMPTION_ID")
        action.set_defaults(handler=run_exemptions)


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a number >= 1, got {number}")
    return number


def _table(args: argparse.Namespace) -> str:
    table = args.table or os.environ.get(TABLE_ENV, "")
    if not table:
        raise UsageError(f"no ledger table: pass --table NAME or set {TABLE_ENV}")
    return str(table)


def _outbox_status(value: str) -> OutboxStatus:
    statuses: tuple[OutboxStatus, ...] = get_args(OutboxStatus)
    for status in statuses:
        if status == value:
            return status
    raise UsageError(f"unknown outbox status {value!r}; expected one of {', '.join(statuses)}")


def query(
    args: argparse.Namespace, ledger: LedgerReader, deps: CliDeps, limit: int | None = None
) -> list[LedgerRecord]:
    """Run the query ``args`` asks for, through the matching index (at most ``limit``
    records read, default ``--limit``); ``--until`` bounds the index range where it can."""
    command, value = args.ledger_command, args.value
    limit = args.limit if limit is None else limit
    now = _now(args, deps)
    until = _until(args, now)
    if command == "image":
        return ledger.by_image(parse_image_arn(value), None, until, limit=limit)
    if command == "account":
        return ledger.by_account(parse_account(value, "ID"), None, until, limit=limit)
    if command == "since":
        span = parse_duration(value)
        if span.days > MAX_SINCE_DAYS:
            raise UsageError(f"duration {value!r} is too long; at most {MAX_SINCE_DAYS} days")
        end = min(until or now, now)
        return ledger.by_time(now - span, end, limit=limit)
    if command == "event":
        bundle = ledger.get_event(value)
        records = [bundle.event] if bundle.event is not None else []
        return [*records, *bundle.decisions, *bundle.actions]
    if command == "rejected":
        return list(ledger.events_by_status("rejected", limit=limit))
    return ledger.outbox_by_status(_outbox_status(value), limit=limit)


def _now(args: argparse.Namespace, deps: CliDeps) -> datetime:
    """``--now`` when given (a sandbox's fast clock runs ahead of real time), else the clock."""
    value = getattr(args, "now", None)
    return parse_instant(value, "--now") if value else deps.now()


def _until(args: argparse.Namespace, now: datetime) -> datetime | None:
    value = getattr(args, "until", None)
    if not value:
        return None
    if "T" in value or value.count("-") >= 2:
        return parse_instant(value, "--until")
    return now - parse_duration(value)


def _filtered(
    args: argparse.Namespace, records: list[LedgerRecord], now: datetime
) -> list[LedgerRecord]:
    until = _until(args, now)
    out = []
    for record in records:
        ts = record.timestamp()
        if until is not None and ts is not None and ts > until:
            continue
        if args.kind and record.kind != args.kind:
            continue
        if args.rule and args.rule not in rule_ids_of(record):
            continue
        out.append(record)
    return out


def collect(args: argparse.Namespace, ledger: LedgerReader, deps: CliDeps) -> list[LedgerRecord]:
    """The first ``--limit`` records that pass ``--until``/``--rule``/``--kind``, oldest first.

    Records the filters drop do not count against the limit: a page that came back full
    but filtered short is read again, larger, until enough pass or the index is exhausted
    (at most ``MAX_FETCH`` records read).
    """
    limit: int = args.limit
    fetch = limit
    now = _now(args, deps)
    if args.ledger_command == "event":  # one event's bundle, whole
        return _filtered(args, query(args, ledger, deps), now)
    while True:
        read = query(args, ledger, deps, fetch)
        shown = _filtered(args, read, now)
        if len(shown) >= limit or len(read) < fetch or fetch >= MAX_FETCH:
            return shown[:limit]
        fetch = min(fetch * FETCH_GROWTH, MAX_FETCH)


def _open(args: argparse.Namespace, deps: CliDeps) -> tuple[str, LedgerReader]:
    table = _table(args)
    region = parse_region(args.region) if args.region else None
    try:
        if args.profile:
            return table, deps.ledger(table, region, args.endpoint_url, profile=args.profile)
        if args.endpoint_url:
            return table, deps.ledger(table, region, args.endpoint_url)
        return table, deps.ledger(table, region)
    except Exception as exc:  # botocore: bad endpoint, no region
        raise LedgerReadFailed(f"cannot open ledger table {table!r}: {exc}") from None


def _validate_first(args: argparse.Namespace) -> None:
    # Bad values fail before any client is built (no AWS call for a typo).
    command, value = args.ledger_command, args.value
    if command == "image":
        parse_image_arn(value)
    elif command == "account":
        parse_account(value, "ID")
    elif command == "since":
        parse_duration(value)
    elif command == "outbox":
        _outbox_status(value)
    elif command == "event" and not value.strip():
        raise UsageError("EVENT_ID must not be empty")
    now = parse_instant(args.now, "--now") if args.now else datetime.now(UTC)
    _until(args, now)


def run_ledger(args: argparse.Namespace, output: Output, deps: CliDeps) -> int:
    """Print one line per record, oldest first; ``event`` exits 1 when the id is unknown."""
    _validate_first(args)
    table, ledger = _open(args, deps)
    try:
        records = collect(args, ledger, deps)
    except UsageError:
        raise
    except Exception as exc:  # botocore and ledger errors: report, never a traceback
        raise LedgerReadFailed(f"cannot read ledger table {table!r}: {exc}") from None
    if output.as_json:
        output.json([record_json(r) for r in records])
    else:
        if records:
            table_out(output.out, ROW_HEADERS, [record_row(r) for r in records], style_column=3)
        if not records and args.ledger_command == "event":
            output.problem(f"no event {args.value!r} in ledger table {table!r}")
        elif not records:
            output.problem(f"no records ({args.ledger_command} {args.value or ''})".rstrip())
    if args.ledger_command == "event" and not records:
        return EXIT_FINDINGS
    return EXIT_OK


def _exemption_row(record: ExemptionRecord, now: datetime) -> tuple[str, ...]:
    state: str = record.status
    if state == "active" and not record.is_active(now):
        state = "lapsed"
    return (
        record.exemption_id,
        state,
        record.account_id,
        record.permission,
        record.image_arn or record.image_selector or "-",
        format_ts(record.expires_at),
        record.approver,
        record.reason,
    )


def run_exemptions(args: argparse.Namespace, output: Output, deps: CliDeps) -> int:
    """``exemptions list|show|revoke``: Slack-granted exemptions in the ledger."""
    command = args.exemption_command
    if command != "list" and not str(args.value).strip():
        raise UsageError("EXEMPTION_ID must not be empty")
    table, ledger = _open(args, deps)
    now = deps.now()
    store: Any = ledger
    try:
        if command == "list":
            records = [*store.active_exemptions(now), *store.lapsed_exemptions(now)]
        else:
            found = store.get_exemption(args.value)
            if found is None:
                raise UsageError(f"no exemption {args.value!r} in ledger table {table!r}")
            records = [found]
            if command == "revoke":
                if found.status != "active":
                    raise UsageError(f"exemption {args.value!r} is already {found.status}")
                records = [store.put_exemption(found.model_copy(update={"status": "revoked"}))]
    except UsageError:
        raise
    except Exception as exc:  # botocore and ledger errors
        raise LedgerReadFailed(f"cannot use ledger table {table!r}: {exc}") from None
    if output.as_json:
        output.json([record_json(r) for r in records])
        return EXIT_OK
    headers = ("EXEMPTION ID", "STATUS", "ACCOUNT", "PERMISSION", "IMAGE", "EXPIRES",
               "APPROVER", "REASON")  # fmt: skip
    table_out(output.out, headers, [_exemption_row(r, now) for r in records], style_column=1)
    if command == "revoke":
        output.line(
            f"revoked {args.value}: the next drift sweep (or event) applies the policy again"
        )
    elif not records:
        output.problem("no exemptions in force")
    return EXIT_OK
