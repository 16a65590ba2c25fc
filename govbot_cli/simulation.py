"""``govbot simulate``'s engine: the real ``Enforcer`` on an in-memory world and ledger.

Each event first changes the world as the AWS call it records did (a CloudTrail event is
written after the call succeeded), then goes to ``Enforcer.handle`` exactly as an SQS body
does in the deployed function: same parser, same policy engine, same remedies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from govbot.domain import ImageSnapshot
from govbot.enforcer.logic import Enforcer
from govbot.enforcer.ports import EnforcementResult, EnforcerDeps
from govbot.events import ParsedEvent, event_spec, parse_event
from govbot.governance import build_judge
from govbot.policy.models import Policy
from govbot_cli.event_files import InputEvent
from govbot_cli.memory import MemoryAppStream, MemoryLedger
from govbot_cli.world import World

Outcome = str  # compliant | remedied | violation | exempted | ignored | rejected


@dataclass
class EventOutcome:
    """What govbot did with one simulated event."""

    origin: str
    event_id: str
    event_name: str | None
    outcome: Outcome
    note: str
    result: EnforcementResult
    world_note: str = ""
    messages: list[dict[str, Any]] = field(default_factory=list)

    @property
    def found_violation(self) -> bool:
        """A violation was found (remedied or left for people)."""
        return self.outcome in ("remedied", "violation")


def outcome_of(result: EnforcementResult) -> Outcome:
    """The one-word outcome of an enforcer result."""
    if result.status == "rejected":
        return "rejected"
    evaluation = result.evaluation
    if result.status in ("ignored", "duplicate") or evaluation is None:
        return "ignored"
    failed = any(a.status == "failed" for a in result.actions)
    if evaluation.audit_violations() or failed:
        return "violation"
    if any(a.status == "succeeded" for a in result.actions):
        return "remedied"
    if evaluation.violations():
        return "violation"
    if evaluation.exempted():
        return "exempted"
    return "compliant"


def apply_event(appstream: MemoryAppStream, event: ParsedEvent) -> str:
    """Change the world as the recorded call did (its EventSpec's ``world`` effect);
    returns a note when the world was extended."""
    spec = event_spec(event.event_name)
    if event.failed or event.image_ref is None or spec is None:
        return ""
    ref = event.image_ref
    current = appstream.describe_image(ref)
    note = ""
    if current is None and spec.implies_image:
        current = ImageSnapshot(ref=ref)
        note = f"image {ref.name} was not in the world: added as the event implies"
    if current is None or spec.world is None:
        return note
    change = spec.world(current, event)
    for made in change.made:
        if appstream.describe_image(made) is None:
            appstream.apply(ImageSnapshot(ref=made, state="PENDING"))
    if change.image is None:
        appstream.images.pop(ref.arn, None)
    else:
        appstream.apply(change.image)
    return note


@dataclass
class Simulation:
    """A world, a ledger and an enforcer wired to both; ``run`` feeds it events."""

    policy: Policy
    world: World
    now: datetime
    appstream: MemoryAppStream = field(init=False)
    ledger: MemoryLedger = field(init=False)
    enforcer: Enforcer = field(init=False)

    def __post_init__(self) -> None:
        self.appstream = MemoryAppStream(self.world.snapshots())
        self.ledger = MemoryLedger(lambda: self.now)
        members = frozenset(self.world.organization_members)
        # The enforcer's own judge: the policy, the world's organization members and the
        # exemptions granted (from Slack) in this ledger.
        judge = build_judge(
            lambda: self.policy,
            exemption_store=self.ledger,
            org_accounts=lambda: members,
            clock=lambda: self.now,
        )
        self.enforcer = Enforcer(
            EnforcerDeps(
                appstream=self.appstream,
                ledger=self.ledger,
                judge=judge,
                governed_accounts=frozenset(self.world.accounts),
                governed_regions=frozenset(self.world.regions),
                self_principals=tuple(self.world.bot_principals),
                clock=lambda: self.now,
            )
        )

    def run(self, event: InputEvent) -> EventOutcome:
        """Apply ``event`` to the world, let the enforcer handle it, describe the outcome."""
        deps = self.enforcer.deps
        parsed = parse_event(
            event.body,
            governed_accounts=deps.governed_accounts,
            governed_regions=deps.governed_regions,
        )
        world_note = ""
        if (
            isinstance(parsed, ParsedEvent)
            and not self.enforcer.deps.ledger.get_event(parsed.event_id).exists
        ):
            world_note = apply_event(self.appstream, parsed)
        result = self.enforcer.handle(event.body)
        name = parsed.event_name if isinstance(parsed, ParsedEvent) else None
        outcome = EventOutcome(
            origin=event.origin,
            event_id=result.event_id,
            event_name=name,
            outcome=outcome_of(result),
            note=result.note,
            result=result,
            world_note=world_note,
        )
        outcome.messages = [rendered(item) for item in result.outbox]
        if result.status == "rejected":
            outcome.messages = [
                rendered(o) for o in self.ledger.outbox.values() if _about(o, result.event_id)
            ]
        return outcome


def _about(item: Any, ledger_id: str) -> bool:
    return bool(item.payload.get("details", {}).get("ledger_id") == ledger_id) or (
        ledger_id in item.outbox_id
    )


def rendered(item: Any) -> dict[str, Any]:
    """The message people would get for an outbox item (its Slack fallback text)."""
    from govbot.notifier.model import parse_payload
    from govbot.notifier.render import render

    try:
        message = render(parse_payload(item.payload, outbox_id=item.outbox_id), item.outbox_id)
        text = message.text
    except ValueError as exc:  # a payload the notifier would refuse: say so
        text = f"(not renderable: {exc})"
    return {
        "kind": item.message_kind,
        "severity": item.severity,
        "route": item.payload.get("route"),
        "text": text,
    }
