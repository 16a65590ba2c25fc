"""``make demo``: govbot at work on the embedded sandbox, told as a short story.

Everything runs in this process: moto stands in for DynamoDB, SQS, EventBridge, SSM and
STS; govbot's AppStream emulator stands in for AppStream. People's calls go through real
boto3 clients; govbot's handlers run exactly as they would in Lambda.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any, TextIO

from govbot.ledger.records.base import LedgerRecord
from govbot.ledger.records.events import ActionRecord, DecisionRecord, EventRecord
from govbot.ledger.records.outbox import OutboxItem
from govbot_sandbox.sandbox import HUB_ACCOUNT, Sandbox

REGION = "us-east-1"
OUTSIDER = "999999999999"
TRUSTED = "111111111111"
PARTNER = "222222222222"


class Story:
    """Prints the chapters of the demo and what the ledger recorded for each."""

    def __init__(self, sandbox: Sandbox, out: TextIO) -> None:
        self.sb = sandbox
        self.out = out
        self.chapter = 0

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
        for item in self.sb.ledger.outbox_by_status("pending", limit=100):
            self._line(item)

    def _line(self, record: LedgerRecord) -> None:
        if isinstance(record, EventRecord):
            why = record.note or record.reason or ""
            text = f"event    {record.event_name} [{record.status}] {why}"
        elif isinstance(record, DecisionRecord):
            text = f"decision {record.rule_id}: {record.outcome} ({record.mode}) - {record.reason}"
        elif isinstance(record, ActionRecord):
            text = (
                f"action   {record.operation} {json.dumps(record.request.get('ImagePermissions'))}"
                f" for {record.shared_account_id}: {record.status}"
            )
        elif isinstance(record, OutboxItem):
            summary = record.payload.get("summary")
            text = f"outbox   {record.message_kind} [{record.severity}] {summary} ({record.status})"
        else:
            text = repr(record)
        self.say(f"   ledger: {text.rstrip()}")


def chapter_builder_revoked(story: Story) -> None:
    story.title("An outsider gets image-builder access: govbot revokes it, keeps fleet access")
    event_id = story.share("app-base", OUTSIDER, fleet=True, builder=True)
    story.sb.drain()
    story.permissions("app-base")
    story.ledger_story(event_id)


def chapter_never_share(story: Story) -> None:
    story.title("A confidential image is shared: govbot removes the share entirely")
    event_id = story.share("payroll", TRUSTED, fleet=True, builder=False)
    story.sb.drain()
    story.permissions("payroll")
    story.ledger_story(event_id)


def chapter_trusted_and_exempt(story: Story) -> None:
    story.title("A trusted account and an exempted one are left alone, with the reason")
    trusted = story.share("app-base", TRUSTED, fleet=True, builder=True)
    exempt = story.share("prod-demo-exempt", OUTSIDER, fleet=False, builder=True)
    story.sb.drain()
    story.ledger_story(trusted)
    story.ledger_story(exempt)


def chapter_audit_rule(story: Story) -> None:
    story.title("An audit-mode rule reports without touching anything")
    event_id = story.share("dev-tools", PARTNER, fleet=True, builder=False)
    story.sb.drain()
    story.permissions("dev-tools")
    story.ledger_story(event_id)


def chapter_duplicates_and_garbage(story: Story) -> None:
    story.title("EventBridge delivers twice and a broken event arrives: nothing doubles")
    envelope = story.sb.emulator.events.named("UpdateImagePermissions")[0]
    result = story.sb.deliver_raw([json.dumps(envelope), "{not json"])
    story.say(f"   batch result: {result} (no failures: the bad one is recorded as rejected)")
    for record in story.sb.ledger.events_by_status("rejected"):
        story.say(f"   ledger: event    rejected - {record.reason}")
    bundle = story.sb.ledger.get_event(str(envelope["detail"]["eventID"]))
    story.say(f"   the duplicate left {len(bundle.actions)} action(s) on that event, as before")


CHAPTERS: list[Callable[[Story], None]] = [
    chapter_builder_revoked,
    chapter_never_share,
    chapter_trusted_and_exempt,
    chapter_audit_rule,
    chapter_duplicates_and_garbage,
]


def seed(sandbox: Sandbox) -> None:
    """The world the story starts from: a few images in the hub account."""
    backend: Any = sandbox.emulator.backend
    backend.seed_image(HUB_ACCOUNT, REGION, "app-base", tags={"team": "platform"})
    backend.seed_image(HUB_ACCOUNT, REGION, "payroll", tags={"classification": "confidential"})
    backend.seed_image(HUB_ACCOUNT, REGION, "prod-demo-exempt")
    backend.seed_image(HUB_ACCOUNT, REGION, "dev-tools")


def main(out: TextIO = sys.stdout) -> int:
    """Run every chapter on a fresh sandbox; return a process exit code."""
    with Sandbox() as sandbox:
        story = Story(sandbox, out)
        story.say("govbot demo: AppStream image governance on the local sandbox")
        regions = ", ".join(sandbox.regions)
        story.say(f"(account {HUB_ACCOUNT}, regions {regions}; policy {sandbox.policy_path.name})")
        seed(sandbox)
        for chapter in CHAPTERS:
            chapter(story)
        story.title("Notifications waiting in the ledger's outbox")
        story.outbox()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
