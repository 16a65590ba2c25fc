"""The ledger notes of an event: what the enforcer found and did, in one line."""

from __future__ import annotations

from collections.abc import Sequence

from govbot.events import ParsedEvent, event_spec
from govbot.events.catalogue import no_record_note
from govbot.ledger.records.events import ActionRecord
from govbot.policy.results import Evaluation


def summary_note(evaluation: Evaluation, actions: Sequence[ActionRecord]) -> str:
    """The event's ledger note: violations found, remedies made or failed, audit left."""
    violations = evaluation.violations()
    if not violations and not actions:
        return "compliant: nothing to remedy"
    failed = sum(1 for a in actions if a.status == "failed")
    skipped = sum(1 for a in actions if a.status == "skipped")
    moot = f", {skipped} moot (the share had changed)" if skipped else ""
    note = (
        f"{len(violations)} violation(s); {len(actions) - failed - skipped} remedy call(s) "
        f"succeeded, {failed} failed{moot}"
    )
    left = evaluation.audit_violations()
    if not left:  # everything found was remedied: nothing is left, so say nothing of it
        return note
    report_only = sum(1 for v in left if v.report_only)
    why = (
        "report-only rule"
        if report_only == len(left)
        else "audit mode"
        if not report_only
        else "audit mode or report-only rule"
    )
    return f"{note}; {len(left)} left for people ({why})"


def record_only_note(event: ParsedEvent) -> str:
    """The ledger note of an event nothing is evaluated for (its EventSpec's note)."""
    spec = event_spec(event.event_name)
    return (spec.record_note if spec is not None else no_record_note)(event)
