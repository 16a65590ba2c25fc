"""``govbot ledger ...``: read the ledger through its indexes (never a Scan)."""

from __future__ import annotations

import argparse
import os
from typing import Any, get_args

from govbot.cli.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    Output,
    UsageError,
    parse_account,
    parse_duration,
    parse_image_arn,
    parse_region,
)
from govbot.cli.deps import CliDeps, LedgerReader
from govbot.cli.ledger_view import record_json, record_line
from govbot.ledger import LedgerRecord, OutboxStatus

TABLE_ENV = "LEDGER_TABLE_NAME"
DEFAULT_LIMIT = 100
MAX_SINCE_DAYS = 800  # the ledger's by_time walks one partition per day


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
        "--limit",
        type=_positive_int,
        default=DEFAULT_LIMIT,
        help=f"at most this many records (default {DEFAULT_LIMIT})",
    )
    shared = [*parents, common]
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


def query(args: argparse.Namespace, ledger: LedgerReader, deps: CliDeps) -> list[LedgerRecord]:
    """Run the query ``args`` asks for, through the matching index."""
    command, value, limit = args.ledger_command, args.value, args.limit
    if command == "image":
        return ledger.by_image(parse_image_arn(value), limit=limit)
    if command == "account":
        return ledger.by_account(parse_account(value, "ID"), limit=limit)
    if command == "since":
        span = parse_duration(value)
        if span.days > MAX_SINCE_DAYS:
            raise UsageError(f"duration {value!r} is too long; at most {MAX_SINCE_DAYS} days")
        end = deps.now()
        return ledger.by_time(end - span, end, limit=limit)
    if command == "event":
        bundle = ledger.get_event(value)
        records = [bundle.event] if bundle.event is not None else []
        return [*records, *bundle.decisions, *bundle.actions]
    if command == "rejected":
        return list(ledger.events_by_status("rejected", limit=limit))
    return ledger.outbox_by_status(_outbox_status(value), limit=limit)


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


def run_ledger(args: argparse.Namespace, output: Output, deps: CliDeps) -> int:
    """Print one line per record, oldest first; ``event`` exits 1 when the id is unknown."""
    _validate_first(args)
    table = _table(args)
    region = parse_region(args.region) if args.region else None
    try:
        ledger = deps.ledger(table, region)
        records = query(args, ledger, deps)
    except UsageError:
        raise
    except Exception as exc:  # botocore and ledger errors: report, never a traceback
        raise LedgerReadFailed(f"cannot read ledger table {table!r}: {exc}") from None
    if output.as_json:
        output.json([record_json(r) for r in records])
    else:
        for record in records:
            output.line(record_line(record))
        if not records and args.ledger_command == "event":
            output.problem(f"no event {args.value!r} in ledger table {table!r}")
        elif not records:
            output.problem(f"no records ({args.ledger_command} {args.value or ''})".rstrip())
    if args.ledger_command == "event" and not records:
        return EXIT_FINDINGS
    return EXIT_OK
