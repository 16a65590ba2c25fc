"""The hub's CloudWatch dashboard: what govbot handled, what it changed, and its health.

Metrics come from the functions (Powertools Metrics, namespace ``govbot``, dimension
``service``), the queues and Lambda itself; nothing here adds cost beyond the dashboard.
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cw
from constructs import Construct

from infra.constructs.function import SERVICE_NAME

PERIOD = cdk.Duration.minutes(5)


def _govbot(name: str, label: str, statistic: str = "Sum") -> cw.Metric:
    return cw.Metric(
        namespace=SERVICE_NAME,
        metric_name=name,
        dimensions_map={"service": SERVICE_NAME},
        statistic=statistic,
        period=PERIOD,
        label=label,
    )


def _search(metric_prefix: str, label: str) -> cw.MathExpression:
    """Every ``<prefix>_<outcome>`` metric, one line per outcome."""
    return cw.MathExpression(
        expression=(
            f"SEARCH('{{{SERVICE_NAME},service}} MetricName=\"{metric_prefix}\"', 'Sum', 300)"
        ),
        label=label,
        period=PERIOD,
    )


def by_rule(metric: str, label: str) -> cw.MathExpression:
    """One line per rule of a metric the enforcer emits with a ``rule`` dimension
    (``RemediesApplied``, ``RemediesFailed``: ``govbot.observability.add_counts``)."""
    return cw.MathExpression(
        expression=(
            f"SEARCH('{{{SERVICE_NAME},rule,service}} MetricName=\"{metric}\"', 'Sum', 300)"
        ),
        label=label,
        period=PERIOD,
    )


class GovbotDashboard(Construct):
    """``dashboard``: events by outcome, remedies, queues and DLQs, Slack, sweeps, functions."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        enforcement: Any,
        replication: Any,
        notifications: Any,
    ) -> None:
        super().__init__(scope, construct_id)
        functions = {
            "enforcer": enforcement.enforcer.function,
            "replicator": replication.replicator.function,
            "notifier": notifications.notifier.function,
            "actions": notifications.actions.function,
        }
        queues = {"enforcer": enforcement.queues, "replicator": replication.queues}
        self.dashboard = cw.Dashboard(self, "Dashboard", default_interval=cdk.Duration.days(1))
        self.dashboard.add_widgets(
            cw.GraphWidget(
                title="Events by outcome (enforcer)",
                left=[_search("Events_", "enforcer")],
                width=12,
            ),
            cw.GraphWidget(
                title="Replicator events by outcome",
                left=[_search("ReplicatorEvents_", "replicator")],
                width=12,
            ),
        )
        self.dashboard.add_widgets(
            cw.GraphWidget(
                title="Remedies by rule (applied, failed) and drift found",
                left=[
                    by_rule("RemediesApplied", "applied"),
                    by_rule("RemediesFailed", "failed"),
                ],
                right=[_govbot("DriftImages", "drift sweep: images that differed")],
                width=12,
            ),
            cw.GraphWidget(
                title="Slack deliveries (notifier)",
                left=[
                    _govbot("OutboxRecords", "outbox items"),
                    _govbot("OutboxRecordsFailed", "failed deliveries"),
                    _govbot("DigestsSent", "digests sent"),
                ],
                width=12,
            ),
        )
        self.dashboard.add_widgets(
            cw.GraphWidget(
                title="Queue depth (visible messages)",
                left=[
                    q.queue.metric_approximate_number_of_messages_visible(label=name, period=PERIOD)
                    for name, q in queues.items()
                ],
                width=8,
            ),
            cw.GraphWidget(
                title="Dead-letter queues (should stay 0)",
                left=[
                    q.dlq.metric_approximate_number_of_messages_visible(
                        label=f"{name} DLQ", period=PERIOD
                    )
                    for name, q in queues.items()
                ],
                width=8,
            ),
            cw.GraphWidget(
                title="Sweeps: runs, errors and duration",
                left=[
                    _govbot("DriftSweeps", "drift sweeps"),
                    _govbot("DriftSweepErrors", "drift sweep errors"),
                    _govbot("ReplicatorSweeps", "replication sweeps"),
                ],
                right=[
                    functions["enforcer"].metric_duration(
                        statistic="Maximum", label="enforcer max duration", period=PERIOD
                    ),
                    functions["replicator"].metric_duration(
                        statistic="Maximum", label="replicator max duration", period=PERIOD
                    ),
                ],
                width=8,
            ),
        )
        self.dashboard.add_widgets(
            cw.GraphWidget(
                title="Function errors",
                left=[
                    fn.metric_errors(label=name, period=PERIOD) for name, fn in functions.items()
                ],
                width=12,
            ),
            cw.GraphWidget(
                title="Function duration (p95)",
                left=[
                    fn.metric_duration(statistic="p95", label=name, period=PERIOD)
                    for name, fn in functions.items()
                ],
                width=12,
            ),
        )
