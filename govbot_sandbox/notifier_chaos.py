"""The notifier under trouble: killed mid-delivery, a slow or silent Slack, ledger faults.

Used by the resilience suite and by ``make bench``. Three parts:

- :class:`NotifierKills`: the notifier's process dies at a chosen DynamoDB call (or at
  random ones), before DynamoDB applied it or after, as :class:`ProcessDied` (nothing in
  govbot can catch it, as nothing catches a real crash);
- :class:`StreamService`: plays Lambda's DynamoDB stream event source mapping (batches of
  10, a failed record retried ``STREAM_RETRY_ATTEMPTS`` times, then the on-failure queue)
  and the notifier's schedule (the sweep of stalled items), with the sandbox's manual clock
  moved past the delivery lease between rounds;
- :func:`slack_tally`: what reached Slack per outbox item, judged on the fake Slack's
  records and the ledger, never on logs.
"""

from __future__ import annotations

import json
import random
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

from govbot.ledger.records.outbox import OutboxItem
from govbot.notifier.delivery import NotifierDeps
from govbot_sandbox.fake_slack import FakeSlack
from govbot_sandbox.faults import ProcessDied
from govbot_sandbox.lambda_service import HUB_ACCOUNT, scheduled_event
from govbot_sandbox.sandbox import Sandbox

When = Literal["before", "after"]
STREAM_RETRY_ATTEMPTS = 5  # as deployed (infra.constructs.notifications)
BATCH_SIZE = 10
LEASE_SECONDS = NotifierDeps.lease_seconds


class NotifierKills:
    """Kill the process at a DynamoDB call made through the sandbox's handler Session."""

    def __init__(self, sandbox: Sandbox) -> None:
        self._session = sandbox.session
        self._lock = threading.Lock()
        self._plan: dict[int, When] = {}
        self._rate = 0.0
        self._rng = random.Random(0)
        self.calls = 0
        self.fired: list[tuple[int, str, When]] = []
        events = self._session.events
        events.register_first("before-call.dynamodb", self._before, unique_id="govbot-kill-b")
        events.register_first("after-call.dynamodb", self._after, unique_id="govbot-kill-a")

    def uninstall(self) -> None:
        events = self._session.events
        events.unregister("before-call.dynamodb", unique_id="govbot-kill-b")
        events.unregister("after-call.dynamodb", unique_id="govbot-kill-a")

    def at(self, call: int, when: When) -> None:
        """Die at the ``call``-th DynamoDB call from now (0 = the next one)."""
        with self._lock:
            self._plan = {self.calls + call: when}

    def at_random(self, rate: float, seed: int = 0) -> None:
        """Each call dies with probability ``rate`` (half before, half after)."""
        with self._lock:
            self._rate, self._rng = rate, random.Random(seed)

    def _decide(self) -> When | None:
        with self._lock:
            index = self.calls
            self.calls += 1
            when = self._plan.pop(index, None)
            if when is None and self._rate and self._rng.random() < self._rate:
                when = "before" if self._rng.random() < 0.5 else "after"
            return when

    def _before(self, model: Any, context: Any, **_: Any) -> None:
        when = self._decide()
        context["govbot_kill_after"] = when == "after"
        if when == "before":
            self.fired.append((self.calls - 1, model.name, "before"))
            raise ProcessDied(f"notifier died before {model.name}")

    def _after(self, model: Any, context: Any, **_: Any) -> None:
        if context.get("govbot_kill_after"):
            self.fired.append((self.calls - 1, model.name, "after"))
            raise ProcessDied(f"notifier died after {model.name} was applied")


@dataclass
class StreamService:
    """Lambda's stream mapping and the notifier's schedule, played on the sandbox."""

    sandbox: Sandbox
    retry_attempts: int = STREAM_RETRY_ATTEMPTS
    retries: list[tuple[dict[str, Any], int]] = field(default_factory=list)
    on_failure: list[dict[str, Any]] = field(default_factory=list)
    invocations: int = 0
    crashes: int = 0

    def stream_round(self) -> bool:
        """New stream records plus the records due for a retry, in batches; True if any."""
        from govbot.handlers import notifier

        work = [(r, 0) for r in self.sandbox.outbox_stream_records()] + self.retries
        self.retries = []
        for first in range(0, len(work), BATCH_SIZE):
            batch = work[first : first + BATCH_SIZE]
            records = [record for record, _ in batch]
            self.invocations += 1
            try:
                result = notifier.handler(
                    {"Records": records}, self.sandbox.lambda_context("govbot-notifier")
                )
                failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
            except (Exception, ProcessDied):  # a crash fails the whole batch
                self._crashed()
                failed = {r["dynamodb"]["SequenceNumber"] for r in records}
            for record, tries in batch:
                if record["dynamodb"]["SequenceNumber"] not in failed:
                    continue
                if tries >= self.retry_attempts:
                    self.on_failure.append(record)
                else:
                    self.retries.append((record, tries + 1))
        return bool(work)

    def schedule(self) -> None:
        """The notifier's schedule fires (a crash of it is retried by the next one)."""
        from govbot.handlers import notifier

        now = self.sandbox.emulator.backend.clock.now()
        event = scheduled_event("govbot-notifier-schedule", now, self.sandbox.hub_region)
        self.invocations += 1
        try:
            notifier.handler(event, self.sandbox.lambda_context("govbot-notifier"))
        except (Exception, ProcessDied):
            self._crashed()

    def _crashed(self) -> None:
        """A dead process forgets what it posted (the next invocation is a cold start)."""
        from govbot.wiring import notifier as wiring

        self.crashes += 1
        memory = getattr(wiring.notifier_parts(), "posted_here", None)
        if memory is not None:
            memory.clear()

    def run(self, outbox_ids: list[str], *, max_rounds: int = 40) -> int:
        """Stream until quiet, then let leases expire and the schedule sweep, until every
        item is final or ``max_rounds`` is spent; returns the rounds used."""
        for round_number in range(1, max_rounds + 1):
            while self.stream_round():
                pass
            if all(_final(self.sandbox, oid) for oid in outbox_ids):
                return round_number
            clock: Any = self.sandbox.emulator.backend.clock  # a ManualClock in these runs
            clock.advance(LEASE_SECONDS + 1)
            self.schedule()
        return max_rounds


def write_messages(sandbox: Sandbox, count: int, *, prefix: str = "chaos") -> list[str]:
    """Put ``count`` critical ``violation_remedied`` items in the outbox (as the enforcer's
    commit does), stamped with the sandbox clock; returns their outbox ids."""
    import boto3

    from govbot.ledger import Ledger
    from govbot.ledger.records.payload import ViolationRemedied

    clock = sandbox.emulator.backend.clock
    client = boto3.client("dynamodb", region_name=sandbox.hub_region)
    ledger = Ledger(sandbox.table_name, client=client, clock=clock.now)
    items = []
    for i in range(count):
        name = f"{prefix}-{i:03d}"
        payload = ViolationRemedied(
            severity="critical",
            image_arn=f"arn:aws:appstream:{sandbox.hub_region}:{HUB_ACCOUNT}:image/{name}",
            image_name=name,
            region=sandbox.hub_region,
            account_id=HUB_ACCOUNT,
            shared_account_ids=["999999999999"],
            summary=f"builder access of 999999999999 to {name} revoked",
            event_id=f"{prefix}-event-{i}",
        )
        items.append(OutboxItem.from_payload(payload, discriminators=(f"{prefix}-event-{i}",)))
    ledger.add_outbox(items)
    return [item.outbox_id for item in items]


def chaos_policy(max_messages: int = 1000) -> str:
    """The demo policy with a storm limit no test run reaches (every message is posted)."""
    from govbot_sandbox.sandbox import DEMO_POLICY

    text = DEMO_POLICY.read_text()
    assert "max_messages: 20" in text, "the demo policy's storm limit moved"
    return text.replace("max_messages: 20", f"max_messages: {max_messages}")


def _final(sandbox: Sandbox, outbox_id: str) -> bool:
    try:
        item = sandbox.ledger.get_outbox(outbox_id)
    except Exception:
        return False
    return item is not None and item.status in ("delivered", "folded", "rejected", "dead_letter")


@dataclass
class SlackTally:
    """Per outbox item: the posts Slack accepted, and what the ledger says about them."""

    posts: Counter[str]
    marked: Counter[str]  # posts carrying the possible-duplicate mark
    statuses: Counter[str]
    recorded_duplicates: dict[str, int]

    @property
    def delivered(self) -> int:
        return sum(1 for n in self.posts.values() if n >= 1)

    @property
    def duplicated(self) -> list[str]:
        return [oid for oid, n in self.posts.items() if n > 1]

    @property
    def over_one_duplicate(self) -> list[str]:
        return [oid for oid, n in self.posts.items() if n > 2]

    @property
    def unrecorded_duplicates(self) -> list[str]:
        """Items posted twice whose second post is unmarked or whose ledger item says 0."""
        return [
            oid
            for oid in self.duplicated
            if self.marked[oid] < self.posts[oid] - 1 or self.recorded_duplicates[oid] < 1
        ]


def slack_tally(sandbox: Sandbox, slack: FakeSlack, outbox_ids: list[str]) -> SlackTally:
    """Count what Slack accepted per item (by the outbox id every message carries)."""
    bodies = [json.dumps(body) for body in slack.delivered()]
    posts: Counter[str] = Counter()
    marked: Counter[str] = Counter()
    for text in bodies:
        for oid in outbox_ids:
            if oid in text:
                posts[oid] += 1
                if "possible duplicate" in text.lower():
                    marked[oid] += 1
    statuses: Counter[str] = Counter()
    recorded: dict[str, int] = {}
    for oid in outbox_ids:
        item = sandbox.ledger.get_outbox(oid)
        statuses[item.status if item else "missing"] += 1
        recorded[oid] = getattr(item, "possible_duplicates", 0) if item else 0
    return SlackTally(posts=posts, marked=marked, statuses=statuses, recorded_duplicates=recorded)
