"""govbot's own alarms -> Slack, without the ledger.

The ledger is the outbox for every message, so a message about the ledger failing cannot
go through it: an event whose ledger writes fail on its last receive goes to the
dead-letter queue with nothing recorded to announce. CloudWatch watches the queues instead
(the ``DlqDepth`` alarms, ``infra/constructs/alarms.py``); the alarm topic invokes the
notifier, which posts one critical message per alarm straight to every route that takes
critical messages. Nothing here reads or writes DynamoDB.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from govbot.domain import SEVERITY_ORDER
from govbot.notifier.sinks import MessageSink
from govbot.policy.sections import Notifications, Route

MAX_TEXT = 2900  # under Slack's 3000-character section limit


def is_alarm_event(event: Mapping[str, Any]) -> bool:
    """True for an SNS delivery (the alarm topic), as opposed to a DynamoDB stream batch."""
    records = event.get("Records")
    return (
        isinstance(records, list)
        and bool(records)
        and all(isinstance(r, Mapping) and r.get("EventSource") == "aws:sns" for r in records)
    )


def critical_routes(notifications: Notifications) -> tuple[Route, ...]:
    """Every route that takes critical messages, whatever its kinds: an alarm is govbot
    itself failing, which whoever hears about critical violations must hear about too."""
    rank = SEVERITY_ORDER.index
    return tuple(r for r in notifications.routes if rank(r.min_severity) <= rank("critical"))


def alarm_message(alarm: Mapping[str, Any]) -> dict[str, Any]:
    """The Slack body for one CloudWatch alarm state change (SNS ``Message`` JSON)."""
    name = str(alarm.get("AlarmName") or "unnamed alarm")
    description = str(alarm.get("AlarmDescription") or "")
    reason = str(alarm.get("NewStateReason") or "")
    trigger = alarm.get("Trigger") if isinstance(alarm.get("Trigger"), Mapping) else {}
    dimensions = ", ".join(
        f"{d.get('name') or d.get('Name')}={d.get('value') or d.get('Value')}"
        for d in (trigger or {}).get("Dimensions") or []
        if isinstance(d, Mapping)
    )
    where = f"{alarm.get('AWSAccountId') or '?'} / {alarm.get('Region') or '?'}"
    text = (
        f"[critical] govbot alarm: {name} — {description or 'an alarm of govbot fired'}. "
        "What govbot could not finish is in the dead-letter queue and may not be in the "
        "ledger: a forbidden permission may still be in place until someone looks."
    )
    detail = f"*Alarm:* `{name}`\n*Where:* {where}\n*What:* {dimensions or 'see the alarm'}"
    detail += f"\n*Why:* {reason}" if reason else ""
    return {
        "text": text[:MAX_TEXT],
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "govbot alarm"[:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": text[:MAX_TEXT]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": detail[:MAX_TEXT]}},
        ],
    }


def announce_alarms(
    event: Mapping[str, Any], notifications: Notifications, sink: MessageSink
) -> dict[str, Any]:
    """Post each alarm that entered ALARM to the critical routes; returns what was sent.

    A failing post raises, so SNS retries the invocation (its own at-least-once delivery).
    """
    sent: list[str] = []
    routes = critical_routes(notifications)
    for record in event.get("Records") or []:
        alarm = _alarm(record)
        if alarm is None or alarm.get("NewStateValue") != "ALARM":
            continue  # back to OK, or not an alarm: nothing to say
        body = alarm_message(alarm)
        for route in routes:
            sink.send(route, body)
        sent.append(str(alarm.get("AlarmName") or "unnamed alarm"))
    return {"alarms_announced": sent, "routes": [r.name for r in routes]}


def _alarm(record: Mapping[str, Any]) -> Mapping[str, Any] | None:
    sns = record.get("Sns")
    message = sns.get("Message") if isinstance(sns, Mapping) else None
    try:
        alarm = json.loads(message) if isinstance(message, str) else None
    except ValueError:
        return None
    return alarm if isinstance(alarm, Mapping) else None


def alarm_sns_event(alarm: Mapping[str, Any], topic_arn: str) -> dict[str, Any]:
    """An SNS delivery of ``alarm`` as Lambda receives it (for the sandbox and tests)."""
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "Sns": {
                    "Type": "Notification",
                    "TopicArn": topic_arn,
                    "Message": json.dumps(alarm),
                },
            }
        ]
    }
