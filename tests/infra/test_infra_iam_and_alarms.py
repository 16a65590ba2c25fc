"""IAM is scoped to ARNs (with '*' only where AWS allows nothing else); alarms are wired."""

from __future__ import annotations

from typing import Any

import pytest

# Actions the Service Authorization Reference lists without any resource type.
STAR_ONLY = {"appstream:ListTagsForResource", "organizations:ListAccounts",
             "xray:PutTraceSegments", "xray:PutTelemetryRecords",
             "dynamodb:ListStreams",
             # Exits: EC2 Describe* has no resource-level support; export tasks have no ARN.
             "ec2:DescribeImages", "appstream:ListExportImageTasks"}  # fmt: skip


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _render(value: Any) -> str:
    """Render a Fn::Join of literals and Refs as text (e.g. arn:<AWS::Partition>:...)."""
    if isinstance(value, str):
        return value
    if "Fn::Join" in value:
        sep, parts = value["Fn::Join"]
        return sep.join(_render(p) for p in parts)
    if "Ref" in value:
        return f"<{value['Ref']}>"
    if "Fn::GetAtt" in value:
        return f"<{'.'.join(value['Fn::GetAtt'])}>"
    raise AssertionError(f"unexpected intrinsic {value}")


def _statements_of_role(hub, role_prefix: str) -> list[dict[str, Any]]:
    (role_id,) = [r for r in hub.resources("AWS::IAM::Role") if r.startswith(role_prefix)]
    statements = []
    for policy in hub.resources("AWS::IAM::Policy").values():
        if {"Ref": role_id} in policy["Properties"]["Roles"]:
            statements.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return statements


def _grants(statements: list[dict[str, Any]]) -> dict[str, set[str]]:
    """action -> rendered resources."""
    grants: dict[str, set[str]] = {}
    for statement in statements:
        assert statement["Effect"] == "Allow"
        for action in _as_list(statement["Action"]):
            grants.setdefault(action, set()).update(
                _render(r) for r in _as_list(statement["Resource"])
            )
    return grants


def _image_arns(kind: str = "image") -> set[str]:
    return {
        f"arn:<AWS::Partition>:appstream:{region}:<AWS::AccountId>:{kind}/*"
        for region in ("us-east-1", "eu-west-1")
    }


def test_no_role_uses_managed_policies_or_wildcard_actions(hub) -> None:
    for logical_id, role in hub.resources("AWS::IAM::Role").items():
        assert "ManagedPolicyArns" not in role["Properties"], logical_id
    for policy in hub.resources("AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            for action in _as_list(statement["Action"]):
                assert action != "*", statement
                assert not action.endswith(":*"), action


def test_star_resources_only_for_actions_without_resource_level_support(hub) -> None:
    for policy in hub.resources("AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if "*" in _as_list(statement["Resource"]):
                assert set(_as_list(statement["Action"])) <= STAR_ONLY, statement


def test_enforcer_appstream_grants_are_scoped_to_image_arns(hub) -> None:
    grants = _grants(_statements_of_role(hub, "EnforcementEnforcerRole"))
    appstream = {a: r for a, r in grants.items() if a.startswith("appstream:")}
    assert set(appstream) == {
        "appstream:DescribeImages",
        "appstream:DescribeImagePermissions",
        "appstream:UpdateImagePermissions",
        "appstream:DeleteImagePermissions",
        "appstream:ListTagsForResource",
        "appstream:DescribeFleets",
        "appstream:DescribeImageBuilders",
        "appstream:UpdateImageBuilder",
        "appstream:ListExportImageTasks",
    }
    kinds = {
        "appstream:DescribeFleets": "fleet",
        "appstream:DescribeImageBuilders": "image-builder",
        "appstream:UpdateImageBuilder": "image-builder",
    }
    star = {
        "appstream:ListTagsForResource",
        "appstream:ListExportImageTasks",
    }
    for action, resources in appstream.items():
        expected = {"*"} if action in star else _image_arns(kinds.get(action, "image"))
        assert resources == expected, action
    assert grants["organizations:ListAccounts"] == {"*"}
    assert grants["ssm:GetParameter"] == {
        "arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:parameter"
        f"<{next(iter(hub.resources('AWS::SSM::Parameter')))}>"
    }


def test_replicator_grants_images_and_fleets_of_its_own_account(hub) -> None:
    grants = _grants(_statements_of_role(hub, "ReplicationReplicatorRole"))
    for action in ("CopyImage", "DescribeImages", "DescribeImagePermissions", "TagResource",
                   "UpdateImagePermissions", "DeleteImage"):  # fmt: skip
        assert grants[f"appstream:{action}"] == _image_arns(), action
    # The replicator never reads fleets (tests/iam: granted only what its calls declare).
    assert "appstream:DescribeFleets" not in grants
    assert grants["appstream:ListTagsForResource"] == {"*"}
    assert "organizations:ListAccounts" not in grants


@pytest.mark.parametrize(
    "role_prefix",
    [
        "EnforcementEnforcerRole",
        "ReplicationReplicatorRole",
        "NotificationsNotifierRole",
        "NotificationsActionsRole",
    ],
)
def test_ledger_access_is_the_table_and_its_indexes_only(hub, role_prefix: str) -> None:
    (table_id,) = hub.resources("AWS::DynamoDB::Table")
    grants = _grants(_statements_of_role(hub, role_prefix))
    dynamo = {a: r for a, r in grants.items() if a.startswith("dynamodb:")}
    assert "dynamodb:PutItem" in dynamo
    for action, resources in dynamo.items():
        if action in STAR_ONLY:  # covered by the '*' test above
            continue
        allowed = {f"<{table_id}.Arn>", f"<{table_id}.Arn>/index/*", f"<{table_id}.StreamArn>"}
        assert resources <= allowed, action


@pytest.mark.parametrize(
    ("role_prefix", "secret_prefixes"),
    [
        ("NotificationsNotifierRole", ("NotificationsSlackWebhooks",)),
        # The actions function also signs deferred work; the enforcer verifies it.
        (
            "NotificationsActionsRole",
            ("NotificationsSlackSigningSecret", "WorkSigningWorkSigningKey"),
        ),
        ("EnforcementEnforcerRole", ("WorkSigningWorkSigningKey",)),
    ],
)
def test_each_function_reads_only_its_own_secret(
    hub, role_prefix: str, secret_prefixes: tuple[str, ...]
) -> None:
    grants = _grants(_statements_of_role(hub, role_prefix))
    secret_resources = set().union(
        *(r for a, r in grants.items() if a.startswith("secretsmanager:"))
    )
    secret_ids = [s for s in hub.resources("AWS::SecretsManager::Secret")
                  if s.startswith(secret_prefixes)]  # fmt: skip
    assert len(secret_ids) == len(secret_prefixes)
    assert secret_resources == {f"<{secret_id}>" for secret_id in secret_ids}


def test_every_dead_letter_queue_has_a_depth_alarm_to_the_topic(hub) -> None:
    (topic_id,) = hub.resources("AWS::SNS::Topic")
    alarms = hub.resources("AWS::CloudWatch::Alarm").values()
    for alarm in alarms:
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": topic_id}]
    watched_queues = {
        dim["Value"]["Fn::GetAtt"][0]
        for alarm in alarms
        if alarm["Properties"]["MetricName"] == "ApproximateNumberOfMessagesVisible"
        for dim in alarm["Properties"]["Dimensions"]
    }
    dlqs = {q for q in hub.resources("AWS::SQS::Queue") if "Dlq" in q or "Failures" in q}
    assert len(dlqs) == 3
    assert watched_queues == dlqs
    for alarm in alarms:
        if alarm["Properties"]["MetricName"] == "ApproximateNumberOfMessagesVisible":
            assert alarm["Properties"]["Threshold"] == 0
            assert alarm["Properties"]["ComparisonOperator"] == "GreaterThanThreshold"


def test_functions_have_error_and_throttle_alarms_and_notifier_iterator_age(hub) -> None:
    alarms = list(hub.resources("AWS::CloudWatch::Alarm").values())
    by_metric: dict[str, set[str]] = {}
    for alarm in alarms:
        for dim in alarm["Properties"].get("Dimensions", []):
            if dim["Name"] == "FunctionName":
                by_metric.setdefault(alarm["Properties"]["MetricName"], set()).add(
                    dim["Value"]["Ref"]
                )
    functions = set(hub.resources("AWS::Lambda::Function"))
    assert by_metric["Errors"] == functions
    assert by_metric["Throttles"] == functions
    (notifier,) = [f for f in functions if f.startswith("NotificationsNotifier")]
    assert by_metric["IteratorAge"] == {notifier}


def test_alarm_topic_invokes_the_notifier_so_alarms_reach_slack_without_the_ledger(hub) -> None:
    (topic_id,) = hub.resources("AWS::SNS::Topic")
    (notifier,) = [
        f for f in hub.resources("AWS::Lambda::Function") if f.startswith("NotificationsNotifier")
    ]
    lambda_subscriptions = [
        s["Properties"]
        for s in hub.resources("AWS::SNS::Subscription").values()
        if s["Properties"]["Protocol"] == "lambda"
    ]
    assert [(s["TopicArn"], s["Endpoint"]) for s in lambda_subscriptions] == [
        ({"Ref": topic_id}, {"Fn::GetAtt": [notifier, "Arn"]})
    ]
    permissions = [
        p["Properties"]
        for p in hub.resources("AWS::Lambda::Permission").values()
        if p["Properties"]["Principal"] == "sns.amazonaws.com"
    ]
    assert [p["SourceArn"] for p in permissions] == [{"Ref": topic_id}]
