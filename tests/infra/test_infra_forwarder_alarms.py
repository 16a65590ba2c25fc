"""A forwarder stack alone, with an alarm e-mail: its alarms, topic and subscription."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
from cfnlint.api import lint

from infra.nag import add_nag_checks
from infra.spoke_stack import GovbotForwarderStack

SPOKE = "210987654321"
REGION = "eu-west-1"


def _synth(tmp_path: Any, email: str) -> dict[str, Any]:
    app = cdk.App(outdir=str(tmp_path))
    stack = GovbotForwarderStack(
        app,
        "Forwarder",
        hub_account="123456789012",
        hub_region="us-east-1",
        alarm_email=email,
        env=cdk.Environment(account=SPOKE, region=REGION),
    )
    add_nag_checks(app)
    assembly = app.synth()  # raises if any cdk-nag finding is left unacknowledged
    template: dict[str, Any] = assembly.get_stack_by_name(stack.stack_name).template
    return template


def _of(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == kind}


def test_with_an_email_every_alarm_reaches_the_subscribed_topic(tmp_path: Any) -> None:
    template = _synth(tmp_path, "oncall@example.com")
    (topic_id,) = _of(template, "AWS::SNS::Topic")
    (subscription,) = _of(template, "AWS::SNS::Subscription").values()
    assert subscription["Properties"]["Protocol"] == "email"
    assert subscription["Properties"]["Endpoint"] == "oncall@example.com"
    assert subscription["Properties"]["TopicArn"] == {"Ref": topic_id}
    alarms = _of(template, "AWS::CloudWatch::Alarm")
    # The forwarding DLQ's depth, and the depth of the undelivered-e-mail queue.
    assert len(alarms) == 2
    for alarm in alarms.values():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": topic_id}]
    (policy,) = _of(template, "AWS::SNS::TopicPolicy").values()
    (deny,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    errors = [
        f"{m.rule.id} {m.message}"
        for m in lint(json.dumps(template), regions=[REGION])
        if m.rule.severity.lower() == "error"
    ]
    assert errors == []


def test_without_an_email_the_topic_has_no_subscription_but_the_alarm_its_action(
    tmp_path: Any,
) -> None:
    template = _synth(tmp_path, "")
    (topic_id,) = _of(template, "AWS::SNS::Topic")
    assert _of(template, "AWS::SNS::Subscription") == {}
    (alarm,) = _of(template, "AWS::CloudWatch::Alarm").values()
    assert alarm["Properties"]["AlarmActions"] == [{"Ref": topic_id}]
