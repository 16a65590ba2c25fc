"""The ledger notes of an event: what the enforcer found and did, in one line."""

from __future__ import annotations

from collections.abc import Sequence

from govbot.events import ParsedEvent
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
    return (
        f"{len(violations)} violation(s); {len(actions) - failed - skipped} remedy call(s) "
        f"succeeded, {failed} failed{moot}; {len(evaluation.audit_violations())} left for "
        "people (audit)"
    )


def record_only_note(event: ParsedEvent) -> str:
    """The ledger note of an event nothing is evaluated for."""
    notes = {
        "CopyImage": (
            f"copy of {event.image_name} to {event.destination_region} as "
            f"{event.destination_image_name}: CopyImage copies neither tags nor sharing; "
            "golden images are restored by the replicator"
        ),
        "DeleteImage": (
            f"image {event.image_name} deleted; golden sources are handled by the replicator"
        ),
        "CreateImageBuilder": "image builder created from this image",
        "CreateFleet": "fleet created with this image",
        "UpdateFleet": "fleet updated",
    }
    return notes.get(event.event_name, "recorded; no image to evaluate")
