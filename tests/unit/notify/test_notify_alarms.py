"""govbot's alarms posted to the critical routes, straight from the SNS delivery."""

from __future__ import annotations

from typing import Any

from govbot.notifier.alarms import alarm_sns_event, announce_alarms, is_alarm_event
from govbot.policy.sections import Notifications, Route

ALARM = {
    "AlarmName": "govbot-enforcer-dlq-depth",
    "AlarmDescription": "govbot: messages in a dead-letter queue need a look",
    "NewStateValue": "ALARM",
    "NewStateReason": "Threshold Crossed: 1 datapoint [1.0] > 0",
    "AWSAccountId": "123456789012",
    "Region": "us-east-1",
    "Trigger": {"Dimensions": [{"name": "QueueName", "value": "govbot-enforcer-dlq"}]},
}
ROUTES = Notifications(
    routes=(
        Route(name="security", kinds=("violation_remedied",), min_severity="high", webhook="s"),
        Route(name="ops", kinds=("golden_copy_failed",), min_severity="info", webhook="o"),
    )
)


class Recording:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def send(self, route: Route, body: dict[str, Any]) -> int:
        self.sent.append((route.name, body))
        return 1

    def max_post_seconds(self) -> float:
        return 0.0


def test_an_alarm_goes_to_every_route_taking_critical_messages_whatever_its_kinds() -> None:
    sink = Recording()
    event = alarm_sns_event(ALARM, "arn:aws:sns:us-east-1:123456789012:alarms")

    assert is_alarm_event(event)
    answer = announce_alarms(event, ROUTES, sink)

    assert answer["alarms_announced"] == ["govbot-enforcer-dlq-depth"]
    assert [route for route, _ in sink.sent] == ["security", "ops"]
    text = sink.sent[0][1]["text"]
    assert text.startswith("[critical] govbot alarm: govbot-enforcer-dlq-depth")
    assert "QueueName=govbot-enforcer-dlq" in str(sink.sent[0][1]["blocks"])


def test_back_to_ok_and_stream_batches_are_not_alarms() -> None:
    sink = Recording()
    ok = alarm_sns_event({**ALARM, "NewStateValue": "OK"}, "arn:aws:sns:us-east-1:1:a")

    assert announce_alarms(ok, ROUTES, sink)["alarms_announced"] == []
    assert sink.sent == []
    assert not is_alarm_event({"Records": [{"eventSource": "aws:dynamodb"}]})
    assert not is_alarm_event({"Records": []})
