"""A forged flood on the Slack actions endpoint, with Lambda's reserved concurrency played.

Real threads send requests to the actions handler through :class:`ReservedConcurrency`,
which plays Lambda: at most ``limit`` invocations run at once, any more are throttled (the
caller gets 429 ``TooManyRequestsException`` and the function never runs). Forgers send
requests signed with a wrong secret from their own addresses; an approver clicks a real
button, signed by Slack, from Slack's. The ledger answers with a set latency (its calls
hold their invocation as they would on AWS), so an invocation that writes to the ledger
holds its concurrency slot that long. Used by the resilience suite and ``make bench``.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from govbot.ledger.records.outbox import OutboxItem
from govbot_sandbox.fake_slack import block_actions_payload, function_url_event
from govbot_sandbox.lambda_service import HUB_ACCOUNT, LambdaContextStub
from govbot_sandbox.sandbox import SLACK_SIGNING_SECRET, Sandbox

OUTSIDER = "999999999999"
SLACK_IP = "3.80.0.10"


class ReservedConcurrency:
    """Lambda's reserved concurrency: at most ``limit`` invocations at once, the rest 429."""

    def __init__(self, limit: int) -> None:
        self._slots = threading.BoundedSemaphore(limit)
        self.throttled = 0
        self._lock = threading.Lock()

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        """Run the actions handler if a slot is free, else answer as Lambda's throttle does."""
        from govbot.handlers import actions

        if not self._slots.acquire(blocking=False):
            with self._lock:
                self.throttled += 1
            return {"statusCode": 429, "body": "TooManyRequestsException (throttled)"}
        try:
            result: dict[str, Any] = actions.handler(event, LambdaContextStub("govbot-actions"))
            return result
        finally:
            self._slots.release()


def button_to_click(sandbox: Sandbox) -> tuple[str, str]:
    """An outbox item with a violation, as the enforcer writes it; its grant button value."""
    from govbot.ledger.records.details import RemediedDetails, ViolationLine
    from govbot.ledger.records.payload import ViolationRemedied
    from govbot.slack_buttons import ButtonValue

    image_arn = f"arn:aws:appstream:{sandbox.hub_region}:{HUB_ACCOUNT}:image/flooded"
    payload = ViolationRemedied(
        severity="critical",
        image_arn=image_arn,
        image_name="flooded",
        account_id=HUB_ACCOUNT,
        shared_account_ids=[OUTSIDER],
        rule_ids=["builder-trusted-only"],
        details=RemediedDetails(
            violations=[ViolationLine(account_id=OUTSIDER, permission="image_builder")]
        ),
    )
    item = OutboxItem.from_payload(payload, discriminators=("flood-event",))
    sandbox.ledger.add_outbox([item])
    value = ButtonValue.model_validate(
        {"o": item.outbox_id, "i": image_arn, "a": OUTSIDER, "p": "image_builder", "d": 1}
    )
    return item.outbox_id, value.encode()


def _request(value: str, user: str, *, secret: str, source_ip: str) -> dict[str, Any]:
    payload = block_actions_payload(user_id=user, action_id="govbot_grant_exemption", value=value)
    event = function_url_event(payload, secret=secret, timestamp=int(time.time()))
    event["requestContext"]["http"]["sourceIp"] = source_ip
    return event


@dataclass
class FloodReport:
    """What the approver and the forgers got back."""

    real_clicks: int
    real_served: int
    forged_sent: int
    forged_statuses: Counter[int] = field(default_factory=Counter)
    throttled: int = 0
    ledger_writes: int = 0

    @property
    def served_ratio(self) -> float:
        return self.real_served / self.real_clicks if self.real_clicks else 0.0


def run_flood(
    sandbox: Sandbox,
    approver: str,
    *,
    forgers: int = 8,
    real_clicks: int = 10,
    concurrency: int = 5,
    ledger_latency: float = 0.05,
    click_gap: float = 0.02,
    round_trip: float = 0.002,
) -> FloodReport:
    """Forgers flood while the approver clicks ``real_clicks`` times; report who was served."""
    _, value = button_to_click(sandbox)
    counted = Counter[str]()

    def count_writes(model: Any, **_: Any) -> None:
        if model.name in ("PutItem", "UpdateItem", "TransactWriteItems", "DeleteItem"):
            counted["writes"] += 1

    sandbox.session.events.register("before-call.dynamodb", count_writes, "flood-writes")
    sandbox.dynamodb_faults.set("*", latency=ledger_latency)
    lambda_ = ReservedConcurrency(concurrency)
    # A warm container, as under any steady traffic (cold starts are not the point here).
    lambda_.invoke(_request(value, approver, secret="warm-up", source_ip="192.0.2.1"))
    stop = threading.Event()
    forged: Counter[int] = Counter()
    lock = threading.Lock()

    def forge(n: int) -> None:
        while not stop.is_set():
            event = _request(value, approver, secret="guessed", source_ip=f"203.0.113.{n}")
            status = lambda_.invoke(event)["statusCode"]
            with lock:
                forged[status] += 1
            time.sleep(round_trip)  # the network between requests (a thread per connection)

    threads = [threading.Thread(target=forge, args=(n,), daemon=True) for n in range(forgers)]
    for thread in threads:
        thread.start()
    time.sleep(0.2)  # the flood is on before the first click
    served = 0
    try:
        for _ in range(real_clicks):
            event = _request(value, approver, secret=SLACK_SIGNING_SECRET, source_ip=SLACK_IP)
            served += lambda_.invoke(event)["statusCode"] == 200
            time.sleep(click_gap)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
        sandbox.dynamodb_faults.set("*", latency=0.0)
        sandbox.session.events.unregister("before-call.dynamodb", unique_id="flood-writes")
    return FloodReport(
        real_clicks=real_clicks,
        real_served=served,
        forged_sent=sum(forged.values()),
        forged_statuses=forged,
        throttled=lambda_.throttled,
        ledger_writes=counted["writes"],
    )
