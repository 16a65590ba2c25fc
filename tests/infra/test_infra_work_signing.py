"""The enforcer's queue takes work only from EventBridge (govbot's rules) and the actions
role, and both functions reach the work-signing key by ARN (issue 18, finding 2)."""

from __future__ import annotations

from typing import Any

from infra.constructs.work_signing import ONLY_SENDERS_SID, WORK_KEY_ENV


def _one(hub, resource_type: str, prefix: str) -> str:
    (logical_id,) = [i for i in hub.resources(resource_type) if i.startswith(prefix)]
    return logical_id


def _events_queue_statements(hub) -> list[dict[str, Any]]:
    queue = _one(hub, "AWS::SQS::Queue", "EnforcementEventsQueue")
    (policy,) = [
        p
        for p in hub.resources("AWS::SQS::QueuePolicy").values()
        if p["Properties"]["Queues"] == [{"Ref": queue}]
    ]
    return list(policy["Properties"]["PolicyDocument"]["Statement"])


def test_only_eventbridge_and_the_actions_role_may_send_to_the_enforcer_queue(hub) -> None:
    statements = _events_queue_statements(hub)
    (deny,) = [s for s in statements if s.get("Sid") == ONLY_SENDERS_SID]
    assert (deny["Effect"], deny["Principal"], deny["Action"]) == (
        "Deny",
        {"AWS": "*"},
        "sqs:SendMessage",
    )
    actions_role = _one(hub, "AWS::IAM::Role", "NotificationsActionsRole")
    assert deny["Condition"] == {
        "ArnNotEquals": {"aws:PrincipalArn": {"Fn::GetAtt": [actions_role, "Arn"]}},
        "StringNotEquals": {"aws:PrincipalServiceName": "events.amazonaws.com"},
    }
    # EventBridge itself is admitted only for govbot's own rules (by rule ARN).
    (rules_only,) = [s for s in statements if s.get("Sid") == "OnlyGovbotRulesMaySend"]
    assert (rules_only["Effect"], rules_only["Principal"]) == (
        "Deny",
        {"Service": "events.amazonaws.com"},
    )
    governed_rules = sorted(
        i for i in hub.resources("AWS::Events::Rule") if i.startswith("EnforcementGovernedRule")
    )
    assert (
        sorted(
            arn["Fn::GetAtt"][0] for arn in rules_only["Condition"]["ArnNotEquals"]["aws:SourceArn"]
        )
        == governed_rules
    )
    # The only Allow to send is EventBridge's (which the Deny above scopes to the rules).
    senders = [
        s for s in statements if s["Effect"] == "Allow" and "sqs:SendMessage" in str(s["Action"])
    ]
    assert [s["Principal"] for s in senders] == [{"Service": "events.amazonaws.com"}]


def test_signer_and_verifier_get_the_work_key_by_arn_and_may_read_it(hub) -> None:
    secret_id = _one(hub, "AWS::SecretsManager::Secret", "WorkSigningWorkSigningKey")
    secret = hub.raw["Resources"][secret_id]
    assert "SecretString" not in secret["Properties"]  # generated: no value in the template
    assert secret["Properties"]["GenerateSecretString"]["PasswordLength"] == 64
    holders = {
        logical_id
        for logical_id, fn in hub.resources("AWS::Lambda::Function").items()
        if fn["Properties"].get("Environment", {}).get("Variables", {}).get(WORK_KEY_ENV)
        == {"Ref": secret_id}
    }
    assert holders == {
        _one(hub, "AWS::Lambda::Function", "NotificationsActionsFunction"),
        _one(hub, "AWS::Lambda::Function", "EnforcementEnforcerFunction"),
    }
    readers = {
        logical_id
        for logical_id, p in hub.resources("AWS::IAM::Policy").items()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        if "secretsmanager:GetSecretValue" in str(s["Action"])
        and {"Ref": secret_id}
        in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])
    }
    assert {r.split("RoleDefaultPolicy")[0] for r in readers} == {
        "EnforcementEnforcer",
        "NotificationsActions",
    }
