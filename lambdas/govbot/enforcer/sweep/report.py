"""What a sweep invocation reports, and the findings it turns results and records into."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from govbot.domain import ImageRef
from govbot.enforcer.drift_summary import DriftFinding, LeftViolation
from govbot.enforcer.ports import EnforcementResult
from govbot.enforcer.recovery import INTERRUPTED
from govbot.ledger.records.events import ActionRecord, EventBundle


@dataclass
class DriftSweepReport:
    """What one invocation saw and did (the handler's return value, the summary's counts).

    ``pass_closed`` says whether the pass it worked on is now closed (every lane swept,
    summary notified) or still open (the next invocation resumes it). Counts are the
    pass's so far; ``findings`` are every finding of the pass once it closes.
    """

    run_event_id: str
    status: Literal["processed", "duplicate"] = "processed"
    pass_id: str = ""
    pass_closed: bool = False
    swept: list[str] = field(default_factory=list)  # "account/region" finished this pass
    lanes_total: int = 0
    images: int = 0
    compliant: int = 0
    standing: int = 0
    findings: list[DriftFinding] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    note: str = ""

    def counts(self) -> dict[str, int]:
        """The numbers kept on the summary record and in the notification."""
        remedies = [a for f in self.findings for a in f.remedies]
        failed = sum(1 for a in remedies if a.status != "succeeded")
        return {
            "regions_swept": len(self.swept),
            "images": self.images,
            "compliant": self.compliant,
            "standing": self.standing,
            "drifted": len(self.findings),
            "remedied": len(remedies) - failed,
            "failed": failed,
            "left": sum(len(f.left) for f in self.findings),
            "errors": len(self.errors),
        }

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready report (handler output and logs)."""
        return {
            "run_event_id": self.run_event_id,
            "status": self.status,
            "pass_id": self.pass_id,
            "pass_closed": self.pass_closed,
            "lanes_total": self.lanes_total,
            "counts": self.counts(),
            "swept": self.swept,
            "drifted": [f.image_arn for f in self.findings],
            "errors": self.errors,
            "note": self.note,
        }


def finding_from_result(ref: ImageRef, result: EnforcementResult) -> DriftFinding | None:
    """The finding of a fresh enforcement (None: nothing was wrong by then)."""
    # Only standing violations announced by this result (new or changed) are news; one
    # announced before is recalled by the reminder digest, not by every pass.
    left = tuple(
        LeftViolation(v.rule_id, v.account_id, v.permission, v.severity) for v in result.fresh
    )
    if not result.actions and not left:
        return None
    return new_finding(ref, result.event_id, result.actions, left)


def finding_from_bundle(ref: ImageRef, bundle: EventBundle) -> DriftFinding | None:
    """What an earlier attempt (or invocation) of the pass recorded for the image."""
    left = tuple(
        LeftViolation(d.rule_id, None if d.account_id == "-" else d.account_id, d.permission)
        for d in bundle.decisions
        if d.outcome == "violation" and d.mode == "audit"
    )
    if not bundle.actions and not left:
        return None
    return new_finding(ref, bundle.event_id, bundle.actions, left)


def new_finding(
    ref: ImageRef,
    event_id: str,
    actions: Iterable[ActionRecord],
    left: tuple[LeftViolation, ...],
) -> DriftFinding:
    """A finding; an attempt a crash interrupted was superseded, so it is not reported."""
    remedies = tuple(a for a in actions if a.error != INTERRUPTED)
    return DriftFinding(
        image_arn=ref.arn,
        image_name=ref.name,
        region=ref.region,
        owner_account_id=ref.account_id,
        event_id=event_id,
        remedies=remedies,
        left=left,
    )
