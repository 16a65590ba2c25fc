"""``govbot report``: where the estate stands, from the live inventory and the ledger.

Images in scope and who they are shared with (and why that is allowed, exempted or a
violation), open violations, exemptions (expiring within 14 days flagged), golden coverage
by destination region and the actions govbot took in the period. Read-only.
"""

from __future__ import annotations

import argparse
from datetime import timedelta
from pathlib import Path
from typing import Any

from govbot.cli.common import EXIT_OK, Output, UsageError, parse_duration, parse_instant
from govbot.cli.deps import CliDeps
from govbot.cli.report_model import build_report
from govbot.cli.report_render import RENDERERS
from govbot.cli.scope import ScopeReadFailed, add_scope_arguments, read_images, read_scope
from govbot.ledger import ActionRecord, DecisionRecord

DEFAULT_SINCE = "7d"


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


def _ledger_period(scope: Any, since: Any) -> tuple[list[DecisionRecord], list[ActionRecord]]:
    if scope.ledger is None:
        return [], []
    try:
        records = scope.ledger.by_time(since, scope.now, ["decision", "action"], limit=None)
    except Exception as exc:  # botocore and ledger errors
        raise ScopeReadFailed(f"cannot read the ledger's period: {exc}") from None
    decisions = [r for r in records if isinstance(r, DecisionRecord)]
    actions = [r for r in records if isinstance(r, ActionRecord)]
    return decisions, actions


def run_report(args: argparse.Namespace, output: Output, deps: CliDeps) -> int:
    """Read, judge, render; exit 0 (a report is not a check: see ``govbot check``)."""
    fmt = "json" if output.as_json else args.format
    scope = read_scope(args, deps)
    since = _since(args.since, scope.now)
    if since > scope.now or scope.now - since > timedelta(days=800):
        raise UsageError(f"--since {args.since!r}: expected a period of at most 800 days")
    images = read_images(args, scope, deps, output.err)
    decisions, actions = _ledger_period(scope, since)
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
