"""The demo's narrator: who plays in the story, and how each chapter is told.

``Story`` prints what people do, what the images look like afterwards, what the ledger
recorded for an event and what Slack received; the chapters (``demo.py``,
``demo_<topic>.py``) call it.
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from govbot.ledger.records.base import LedgerRecord
from govbot.ledger.records.events import ActionRecord, DecisionRecord, EventRecord
from govbot.ledger.records.outbox import OutboxItem
from govbot_sandbox.emulator import ManualClock
from govbot_sandbox.fake_slack import FakeSlack
from govbot_sandbox.sandbox import Sandbox

REGION = "us-east-1"
OUTSIDER = "999999999999"
TRUSTED = "111111111111"
PARTNER = "222222222222"
APPROVER = "U0DEMO0001"  # policies/demo.yaml approvers


class Story:
    """Prints the chapters of the demo and what the ledger recorded for each."""

    def __init__(self, sandbox: Sandbox, slack: FakeSlack, clock: ManualClock, out: TextIO):
        self.sb = sandbox
        self.slack = slack
        self.clock = clock
        self.out = out
        self.chapter = 0
        self._slack_seen = 0

    def slack_messages(self) -> list[dict[str, Any]]:
        """Messages Slack received since the last call, as people saw them."""
        delivered = [m for m in self.slack.delivered() if isinstance(m, dict)]
        new, self._slack_seen = delivered[self._slack_seen :], len(delivered)
        for message in new:
            buttons = [b["text"]["text"] for b in message_buttons(message)]
            suffix = f"   [buttons: {' | '.join(buttons)}]" if buttons else ""
            self.say(f"   slack:  {message.get('text', '')}{suffix}")
        return new

    def say(self, text: str = "") -> None:
        print(text, file=self.out)

    def title(self, text: str) -> None:
        self.chapter += 1
        self.say()
        self.say(f"== {self.chapter}. {text}")

    def share(self, name: str, account: str, *, fleet: bool, builder: bool) -> str:
        grants = " + ".join(
            label for label, on in (("fleet", fleet), ("image builder", builder)) if on
        )
        self.say(f"   alice shares {name} with {account} ({grants})")
        self.sb.appstream(REGION).update_image_permissions(
            Name=name,
            SharedAccountId=account,
            ImagePermissions={"allowFleet": fleet, "allowImageBuilder": builder},
        )
        return str(self.sb.emulator.events.named("UpdateImagePermissions")[-1]["detail"]["eventID"])

    def permissions(self, name: str) -> None:
        listing = self.sb.appstream(REGION).describe_image_permissions(Name=name)
        shares = listing["SharedImagePermissionsList"]
        if not shares:
            self.say(f"   now: {name} is shared with nobody")
        for share in shares:
            perms = share["imagePermissions"]
            self.say(
                f"   now: {name} -> {share['sharedAccountId']}: "
                f"fleet={perms.get('allowFleet')} builder={perms.get('allowImageBuilder')}"
            )

    def ledger_story(self, event_id: str) -> None:
        bundle = self.sb.ledger.get_event(event_id)
        if bundle.event is not None:
            self._line(bundle.event)
        for record in (*bundle.decisions, *bundle.actions):
            self._line(record)

    def outbox(self) -> None:
        for status in ("pending", "delivered", "folded", "failed", "dead_letter", "rejected"):
            for item in self.sb.ledger.outbox_by_status(status, limit=100):
                self._line(item)

    def _line(self, record: LedgerRecord) -> None:
        if isinstance(record, EventRecord):
            why = record.note or record.reason or ""
            text = f"event    {record.event_name} [{record.status}] {why}"
        elif isinstance(record, DecisionRecord):
            how = record.applied_mode
            text = f"decision {record.rule_id}: {record.outcome} ({how}) - {record.reason}"
        elif isinstance(record, ActionRecord):
            granted = record.request.get("ImagePermissions")
            what = json.dumps(granted) if granted else "(whole share removed)"
            text = (
                f"action   {record.operation} {what} for {record.shared_account_id}: "
                f"{record.status}"
            )
        elif isinstance(record, OutboxItem):
            summary = record.payload.get("summary")
            text = f"outbox   {record.message_kind} [{record.severity}] {summary} ({record.status})"
        else:
            text = repr(record)
        self.say(f"   ledger: {text.rstrip()}")


def message_buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The buttons of a Slack message (its ``actions`` blocks' elements)."""
    return [
        element
        for block in message.get("blocks", [])
        if block.get("type") == "actions"
        for element in block.get("elements", [])
    ]
