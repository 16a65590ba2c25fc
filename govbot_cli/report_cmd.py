"""``govbot report``: where the estate stands, from the live inventory and the ledger.

Images in scope and who they are shared with (and why that is allowed, exempted or a
violation), open violations, exemptions (expiring within 14 days flagged), golden coverage
by destination region and the actions govbot took in the period. Read-only.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from govbot.domain import SEVERITY_ORDER
from govbot.ledger import ActionRecord, DecisionRecord, EventRecord
from govbot_cli.common import EXIT_OK, Output, UsageError, parse_duration, parse_instant
from govbot_cli.deps import CliDeps
from govbot_cli.report_formats import to_ocsf, to_sarif
from govbot_cli.report_html import to_html
from govbot_cli.report_model import STATUSES, build_report
from govbot_cli.report_render import to_json, to_markdown
from govbot_cli.report_table import to_csv
from govbot_cli.scope import ScopeReadFailed, add_scope_arguments, read_images, read_scope

DEFAULT_SINCE = "7d"
DEFAULT_EXPIRING_DAYS = 14
RENDERERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "md": to_markdown,
    "csv": to_csv,
    "json": to_json,
    "html": to_html,
    "ocsf": to_ocsf,
    "sarif": to_sarif,
}
# Prowler spells the lowest severity "informational"; govbot's policies say "info".
SEVERITY_ALIASES = {"informational": "info"}


def add_parser(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Register ``report``."""
    report = subparsers.add_parser(
        "report",
        parents=parents,
        help="images, shares, violations, exemptions, golden coverage and actions (read-only)",
    )
    add_scope_arguments(report)
    report.add_argument(
        "--format", choices=sorted(RENDERERS), default="md", help="output format (default md)"
    )
    report.add_argument(
        "--since",
        default=DEFAULT_SINCE,
        metavar="DURATION|ISO",
        help=f"start of the period, e.g. 7d or 2026-11-01T00:00:00Z (default {DEFAULT_SINCE})",
    )
    report.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of stdout")
    report.add_argument(
        "--severity", nargs="+", metavar="SEVERITY",
        help=f"only findings of these severities ({' '.join(reversed(SEVERITY_ORDER))})",
    )  # fmt: skip
    report.add_argument(
        "--status", nargs="+", metavar="STATUS",
        help="only findings of these statuses (FAIL: violation, PASS: allowed, "
        "MUTED: exempted)",
    )  # fmt: skip
    report.add_argument(
        "--expiring-days", type=int, default=DEFAULT_EXPIRING_DAYS, metavar="N",
        help=f"flag exemptions expiring within N days (default {DEFAULT_EXPIRING_DAYS})",
    )  # fmt: skip
    report.set_defaults(handler=run_report)


def _since(value: str, now: Any) -> Any:
    """A duration back from now (``7d``) or an ISO instant."""
    if "T" in value or value.count("-") >= 2:
        return parse_instant(value, "--since")
    try:
        return now - parse_duration(value)
    except UsageError:
        raise UsageError(
            f"--since: expected a duration such as 7d or an ISO time, got {value!r}"
        ) from None


def choices(values: list[str] | None, known: tuple[str, ...], option: str) -> tuple[str, ...]:
    """``values`` checked against ``known`` (case-insensitive); every one when None."""
    if values is None:
        return known
    chosen = []
    for raw in values:
        for value in raw.split(","):
            folded = value.strip()
            folded = SEVERITY_ALIASES.get(folded.lower(), folded)
            match = [k for k in known if k.lower() == folded.lower()]
            if not match:
                raise UsageError(
                    f"{option}: unknown value {value!r}; expected one or more of {', '.join(known)}"
                )
            chosen.append(match[0])
    return tuple(dict.fromkeys(chosen))


LedgerPeriod = tuple[list[EventRecord], list[DecisionRecord], list[ActionRecord]]


def _ledger_period(scope: Any, since: Any) -> LedgerPeriod:
    if scope.ledger is None:
        return [], [], []
    try:
        records = scope.ledger.by_time(
            since, scope.now, ["event", "decision", "action"], limit=None
        )
    except Exception as exc:  # botocore and ledger errors
        raise ScopeReadFailed(f"cannot read the ledger's period: {exc}") from None
    events = [r for r in records if isinstance(r, EventRecord)]
    decisions = [r for r in records if isinstance(r, DecisionRecord)]
    actions = [r for r in records if isinstance(r, ActionRecord)]
    return events, decisions, actions


def _account_names(args: argparse.Namespace, scope: Any, deps: CliDeps) -> dict[str, str]:
    """Organizations' names of member accounts, when the organization was asked at all."""
    if args.no_organizations or not scope.policy.organization.trust_member_accounts:
        return {}
    try:
        return deps.org_names(args.profile, args.org_endpoint_url)
    except Exception as exc:  # OrganizationsError and transport failures alike
        raise ScopeReadFailed(f"{exc} (pass --no-organizations to skip the names)") from None


def run_report(args: argparse.Namespace, output: Output, deps: CliDeps) -> int:
    """Read, judge, render; exit 0 (a report is not a check: see ``govbot check``)."""
    fmt = "json" if output.as_json else args.format
    severities = choices(args.severity, tuple(reversed(SEVERITY_ORDER)), "--severity")
    statuses = choices(args.status, STATUSES, "--status")
    if not 0 <= args.expiring_days <= 3650:
        raise UsageError(f"--expiring-days: expected 0 to 3650 days, got {args.expiring_days}")
    scope = read_scope(args, deps)
    since = _since(args.since, scope.now)
    if since > scope.now or scope.now - since > timedelta(days=800):
        raise UsageError(f"--since {args.since!r}: expected a period of at most 800 days")
    images = read_images(args, scope, deps, output.err)
    events, decisions, actions = _ledger_period(scope, since)
    inputs = scope.judge()
    report = build_report(
        policy=scope.policy,
        policy_file=args.policy,
        evaluations=[(image, inputs.evaluate(image)) for image in images],
        org_accounts=scope.org_accounts,
        granted=scope.granted,
        decisions=decisions,
        actions=actions,
        now=scope.now,
        since=since,
        events=events,
        regions=scope.regions,
        accounts=scope.accounts,
        account_names=_account_names(args, scope, deps),
        severities=severities,
        statuses=statuses,
        expiring_days=args.expiring_days,
    )
    text = RENDERERS[fmt](report)
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"--output {args.output}: cannot write ({exc.strerror})") from None
        output.problem(f"report written to {args.output} ({fmt})")
    else:
        output.out.write(text if text.endswith("\n") else text + "\n")
    return EXIT_OK
