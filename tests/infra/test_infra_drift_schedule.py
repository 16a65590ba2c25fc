"""The drift sweep's schedule and function: rate, target, timeout, retries, DLQ, scope."""

from __future__ import annotations

from typing import Any

import pytest

from infra.config import DEFAULTS, InfraConfigError, settings_from_context


def _function_id(hub: Any, handler: str) -> str:
    (logical_id,) = [
        k
        for k, f in hub.resources("AWS::Lambda::Function").items()
        if f["Properties"]["Handler"] == handler
    ]
    return logical_id


def _sweeper_id(hub: Any) -> str:
    return _function_id(hub, "govbot.handlers.enforcer.sweep_handler")


def _enforcer_id(hub: Any) -> str:
    return _function_id(hub, "govbot.handlers.enforcer.handler")


def _drift_rule(hub: Any) -> dict[str, Any]:
    (rule,) = [
        r
        for k, r in hub.resources("AWS::Events::Rule").items()
        if k.startswith("EnforcementDriftSweepSchedule")
    ]
    return rule


def test_drift_sweep_runs_hourly_by_default_and_targets_the_sweeper(hub: Any) -> None:
    rule = _drift_rule(hub)["Properties"]
    assert rule["ScheduleExpression"] == "rate(60 minutes)"
    assert rule["State"] == "ENABLED"
    (target,) = rule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [_sweeper_id(hub), "Arn"]}
    # No Input: the enforcer receives EventBridge's "Scheduled Event" envelope with its id.
    assert "Input" not in target
    assert target["RetryPolicy"] == {"MaximumEventAgeInSeconds": 3600, "MaximumRetryAttempts": 2}


def test_drift_sweep_failures_land_in_an_alarmed_dead_letter_queue(hub: Any) -> None:
    (target,) = _drift_rule(hub)["Properties"]["Targets"]
    dlq_id = target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0]
    assert hub.raw["Resources"][dlq_id]["Type"] == "AWS::SQS::Queue"
    assert dlq_id.startswith("EnforcementEventsDlq")
    function = hub.raw["Resources"][_sweeper_id(hub)]["Properties"]
    # Async invocations that still fail after Lambda's own retries go to the same DLQ.
    assert function["DeadLetterConfig"]["TargetArn"] == {"Fn::GetAtt": [dlq_id, "Arn"]}
    watched = {
        dim["Value"]["Fn::GetAtt"][0]
        for alarm in hub.resources("AWS::CloudWatch::Alarm").values()
        for dim in alarm["Properties"].get("Dimensions", [])
        if dim["Name"] == "QueueName"
    }
    assert dlq_id in watched


def test_the_sweeper_has_a_timeout_for_the_work_and_the_enforcer_keeps_its_short_one(
    hub: Any,
) -> None:
    functions = hub.raw["Resources"]
    sweeper = functions[_sweeper_id(hub)]["Properties"]
    enforcer = functions[_enforcer_id(hub)]["Properties"]
    assert sweeper["Timeout"] == 900
    assert enforcer["Timeout"] == 60
    # The same role: the same actions on the same images, trusted by the spoke roles.
    assert sweeper["Role"] == enforcer["Role"]
    assert sweeper["Environment"]["Variables"]["GOVERNED_REGIONS"] == "us-east-1,eu-west-1"
    # Only the schedule invokes the sweeper; nothing else in the template may.
    invokers = [
        p["Properties"]
        for p in hub.resources("AWS::Lambda::Permission").values()
        if p["Properties"]["FunctionName"] == {"Fn::GetAtt": [_sweeper_id(hub), "Arn"]}
    ]
    assert [p["Principal"] for p in invokers] == ["events.amazonaws.com"]
    mappings = [
        m["Properties"]["FunctionName"]
        for m in hub.resources("AWS::Lambda::EventSourceMapping").values()
    ]
    assert {"Ref": _sweeper_id(hub)} not in mappings


def test_only_events_may_invoke_the_sweeper_from_the_drift_rule(hub: Any) -> None:
    (rule_id,) = [
        k
        for k in hub.resources("AWS::Events::Rule")
        if k.startswith("EnforcementDriftSweepSchedule")
    ]
    permissions = [
        p["Properties"]
        for p in hub.resources("AWS::Lambda::Permission").values()
        if p["Properties"].get("SourceArn") == {"Fn::GetAtt": [rule_id, "Arn"]}
    ]
    (permission,) = permissions
    assert permission["Principal"] == "events.amazonaws.com"
    assert permission["FunctionName"] == {"Fn::GetAtt": [_sweeper_id(hub), "Arn"]}


def test_the_sweep_adds_no_appstream_scope_to_the_enforcer(hub: Any) -> None:
    """list_images needs DescribeImages, DescribeImagePermissions and ListTagsForResource,
    which the enforcer already had: still only image ARNs of its account, governed regions
    (DescribeFleets/DescribeImageBuilders are the enforcer's own, on fleet/image-builder)."""
    (role_id,) = [
        r for r in hub.resources("AWS::IAM::Role") if r.startswith("EnforcementEnforcerRole")
    ]
    resources: dict[str, list[Any]] = {}
    for policy in hub.resources("AWS::IAM::Policy").values():
        if {"Ref": role_id} not in policy["Properties"]["Roles"]:
            continue
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"]
            for action in actions if isinstance(actions, list) else [actions]:
                if action.startswith("appstream:"):
                    found = statement["Resource"]
                    resources.setdefault(action, []).extend(
                        found if isinstance(found, list) else [found]
                    )
    assert set(resources) == {
        "appstream:DescribeImages",
        "appstream:DescribeImagePermissions",
        "appstream:UpdateImagePermissions",
        "appstream:DeleteImagePermissions",
        "appstream:ListTagsForResource",
        "appstream:DescribeFleets",
        "appstream:DescribeImageBuilders",
        # ways out: export tasks read, builders' agent access removed in enforce mode
        "appstream:ListExportImageTasks",
        "appstream:UpdateImageBuilder",
    }
    for action in ("DescribeImages", "UpdateImagePermissions", "DeleteImagePermissions"):
        rendered = [
            "".join(
                p if isinstance(p, str) else "<" + str(p.get("Ref")) + ">" for p in r["Fn::Join"][1]
            )
            for r in resources[f"appstream:{action}"]
        ]
        assert sorted(rendered) == [
            f"arn:<AWS::Partition>:appstream:{region}:<AWS::AccountId>:image/*"
            for region in ("eu-west-1", "us-east-1")
        ], action


def test_drift_sweep_minutes_is_a_documented_validated_setting() -> None:
    assert DEFAULTS["drift_sweep_minutes"] == 60
    assert settings_from_context(lambda _key: None).drift_sweep_minutes == 60
    assert settings_from_context({"drift_sweep_minutes": "15"}.get).drift_sweep_minutes == 15
    for bad, message in ((2, "in [5, 1440]"), ("hourly", "expected an integer")):
        with pytest.raises(InfraConfigError, match="'drift_sweep_minutes'") as error:
            settings_from_context({"drift_sweep_minutes": bad}.get)
        assert message in str(error.value)
