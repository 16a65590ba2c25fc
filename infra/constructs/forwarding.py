"""Forwarding: a spoke region's AppStream events -> the hub account's default event bus.

AppStream CloudTrail events reach EventBridge only in the region and account of the call,
so every governed (account, region) other than the hub's own needs rules that forward the
governed events to the hub bus. Real EventBridge keeps the envelope's ``account`` and
``region`` (the origin) when it forwards an event to a bus in another region or account,
so the hub's handlers still see where the call happened and act there.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from govbot import routing
from infra.constructs.alarms import Alarms
from infra.constructs.worker import event_pattern
from infra.nag import acknowledge

DLQ_RETENTION = cdk.Duration.days(14)


def partition_for(region: str) -> str:
    """The ARN partition of ``region`` (``aws``, ``aws-cn`` or ``aws-us-gov``).

    Examples
    --------
    >>> partition_for("us-gov-west-1"), partition_for("cn-north-1"), partition_for("eu-west-1")
    ('aws-us-gov', 'aws-cn', 'aws')
    """
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    if region.startswith("cn-"):
        return "aws-cn"
    return "aws"


def hub_bus_arn(hub_account: str, hub_region: str) -> str:
    """ARN of the hub's default event bus, as a plain string.

    CloudFormation forbids cross-region references, so forwarder stacks never take a token
    from the hub stack: the ARN is built from the configured account and region.
    """
    if cdk.Token.is_unresolved(hub_account) or cdk.Token.is_unresolved(hub_region):
        raise ValueError(
            "hub_bus_arn needs a concrete hub account and region (set context 'account' and "
            "'region'); a token cannot cross regions"
        )
    return f"arn:{partition_for(hub_region)}:events:{hub_region}:{hub_account}:event-bus/default"


def _family(pattern: Mapping[str, Any]) -> tuple[str, ...]:
    # Patterns differ only in their eventName list within one (source, type, eventSource).
    try:
        return (
            *pattern["source"],
            "|",
            *pattern["detail-type"],
            "|",
            *pattern["detail"]["eventSource"],
        )
    except (KeyError, TypeError) as exc:
        raise ValueError(
            f"routing pattern {json.dumps(pattern, sort_keys=True)} lacks source, detail-type "
            f"or detail.eventSource ({exc}); forwarding cannot merge it"
        ) from exc


def merge_patterns(*families: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Union of pattern lists: one pattern per (source, detail-type, eventSource), with the
    eventNames of all lists merged in first-seen order, so no event is forwarded twice.

    Examples
    --------
    >>> merge_patterns(routing.enforcer_patterns(), routing.replicator_patterns()) == (
    ...     routing.enforcer_patterns())
    True
    """
    merged: dict[tuple[str, ...], dict[str, Any]] = {}
    for patterns in families:
        for pattern in patterns:
            key = _family(pattern)
            names = list(pattern["detail"].get("eventName", []))
            if key not in merged:
                merged[key] = json.loads(json.dumps(pattern))  # deep copy, plain types
                merged[key]["detail"]["eventName"] = names
                continue
            known = merged[key]["detail"]["eventName"]
            known.extend(name for name in names if name not in known)
    return list(merged.values())


def forwarded_patterns(own_principal_prefix: str | None = None) -> list[dict[str, Any]]:
    """Patterns a forwarder subscribes to: the union of everything the hub routes.

    The replicator's triggers are a subset of the enforcer's events today, so this equals
    ``routing.enforcer_patterns()``; merging (rather than assuming) keeps a future
    replicator-only event from being silently left in the spoke. ``own_principal_prefix``:
    govbot's calls in this account (the hub's roles, or the spoke's remediation role) are
    not forwarded at all.
    """
    return merge_patterns(
        routing.enforcer_patterns(own_principal_prefix),
        routing.replicator_patterns(own_principal_prefix),
    )


class HubForwarding(Construct):
    """Rules on this region's default bus forwarding governed events to ``hub_bus_arn``.

    One rule per pattern, all sharing one role (``events:PutEvents`` on the hub bus ARN
    only) and one SSE-encrypted DLQ for events EventBridge could not deliver. EventBridge
    does not accept a RetryPolicy on event-bus targets; its default policy applies (retries
    with back-off for up to 24 hours / 185 attempts), then the event lands in the DLQ.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        hub_bus_arn: str,
        patterns: Sequence[Mapping[str, Any]],
        alarms: Alarms,
    ) -> None:
        super().__init__(scope, construct_id)
        if not patterns:
            raise ValueError(f"{self.node.path}: at least one pattern is needed to forward")
        # SSE-SQS, not the hub's CMK: EventBridge writes here directly, and a per-region
        # customer key would need its own key policy for events.amazonaws.com.
        self.dlq = sqs.Queue(
            self,
            "Dlq",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=DLQ_RETENTION,
        )
        dlq_reason = (
            "This queue is the dead-letter queue of the forwarding rules' event-bus targets "
            "(EventBridge writes undeliverable events here); a DLQ of a DLQ adds nothing."
        )
        for rule_id in ("AwsSolutions-SQS3", "Serverless-SQSRedrivePolicy"):
            acknowledge(self.dlq, rule_id, dlq_reason)
        # An event parked here never reached the hub: alarm on the first one, to the topic.
        self.dlq_alarm = alarms.notify(
            cloudwatch.Alarm(
                self,
                "DlqDepth",
                alarm_description="govbot forwarder: governed events the hub bus never received",
                metric=self.dlq.metric_approximate_number_of_messages_visible(
                    period=cdk.Duration.minutes(1), statistic="Maximum"
                ),
                threshold=0,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                evaluation_periods=1,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
        )
        # Only EventBridge rules of this very account may use the role (confused deputy).
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("events.amazonaws.com").with_conditions(
                {"StringEquals": {"aws:SourceAccount": cdk.Aws.ACCOUNT_ID}}
            ),
            description="govbot forwarder: may only put events on the hub's default bus",
        )
        self.hub_bus = events.EventBus.from_event_bus_arn(self, "HubBus", hub_bus_arn)
        # The target grants events:PutEvents on exactly hub_bus_arn to the role.
        self.rules = [
            events.Rule(
                self,
                f"Rule{index}",
                description=(
                    f"govbot: forward governed AppStream events to the hub "
                    f"({pattern['detail-type'][0]})"
                ),
                event_pattern=event_pattern(pattern),
                targets=[
                    targets.EventBus(self.hub_bus, role=self.role, dead_letter_queue=self.dlq)
                ],
            )
            for index, pattern in enumerate(patterns)
        ]
