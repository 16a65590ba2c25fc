"""The ledger table and the SQS queues, as synthesized."""

from __future__ import annotations

import json

import pytest
from aws_cdk.assertions import Match

from govbot.ledger.schema import INDEXES


def _key_arn_ref(hub) -> dict:
    (key_id,) = hub.resources("AWS::KMS::Key")
    return {"Fn::GetAtt": [key_id, "Arn"]}


def test_ledger_table_matches_the_architecture_contract(hub) -> None:
    hub.template.has_resource(
        "AWS::DynamoDB::Table",
        {
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "KeySchema": [
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "sk", "KeyType": "RANGE"},
                ],
                "BillingMode": "PAY_PER_REQUEST",
                "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                "SSESpecification": {
                    "SSEEnabled": True,
                    "SSEType": "KMS",
                    "KMSMasterKeyId": _key_arn_ref(hub),
                },
                "TimeToLiveSpecification": {"AttributeName": "expires_at", "Enabled": True},
                "StreamSpecification": {"StreamViewType": "NEW_AND_OLD_IMAGES"},
                "DeletionProtectionEnabled": True,
            },
        },
    )


def test_ledger_has_exactly_the_four_sparse_gsis(hub) -> None:
    (table,) = hub.resources("AWS::DynamoDB::Table").values()
    indexes = {gsi["IndexName"]: gsi for gsi in table["Properties"]["GlobalSecondaryIndexes"]}
    assert set(indexes) == {"by-image", "by-account", "by-time", "by-status"}
    # The construct reads govbot.ledger.schema: the deployed table is the one the code queries.
    for spec in INDEXES:
        assert indexes[spec.name]["KeySchema"] == [
            {"AttributeName": spec.partition_key, "KeyType": "HASH"},
            {"AttributeName": spec.sort_key, "KeyType": "RANGE"},
        ]
        assert indexes[spec.name]["Projection"] == {"ProjectionType": "ALL"}
    attributes = {
        a["AttributeName"]: a["AttributeType"] for a in table["Properties"]["AttributeDefinitions"]
    }
    assert attributes == {
        "pk": "S", "sk": "S", "ts": "S", "image_arn": "S", "shared_account_id": "S",
        "day": "S", "status_key": "S",
    }  # fmt: skip


def test_every_queue_is_encrypted_with_the_govbot_key(hub) -> None:
    queues = hub.resources("AWS::SQS::Queue")
    assert len(queues) == 5  # 2 work queues, 2 DLQs, 1 notifier failure queue
    for logical_id, queue in queues.items():
        assert queue["Properties"]["KmsMasterKeyId"] == _key_arn_ref(hub), logical_id


def test_every_queue_refuses_non_tls_access(hub) -> None:
    policies = hub.resources("AWS::SQS::QueuePolicy").values()
    protected: set[str] = set()
    for policy in policies:
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if statement["Effect"] == "Deny" and statement.get("Condition") == {
                "Bool": {"aws:SecureTransport": "false"}
            }:
                protected.update(q["Ref"] for q in policy["Properties"]["Queues"])
    assert protected == set(hub.resources("AWS::SQS::Queue"))


@pytest.mark.parametrize(("prefix", "visibility"), [("Enforcement", 360), ("Replication", 720)])
def test_work_queues_redrive_after_five_receives_and_wait_six_timeouts(
    hub, prefix: str, visibility: int
) -> None:
    queues = hub.resources("AWS::SQS::Queue")
    (work,) = [q for lid, q in queues.items() if lid.startswith(prefix) and "Queue" in lid
               and "Dlq" not in lid]  # fmt: skip
    (dlq_id,) = [lid for lid in queues if lid.startswith(prefix) and "Dlq" in lid]
    assert work["Properties"]["VisibilityTimeout"] == visibility
    assert work["Properties"]["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [dlq_id, "Arn"]},
        "maxReceiveCount": 5,
    }


def test_alarm_topic_is_encrypted_and_tls_only(hub) -> None:
    hub.template.has_resource_properties("AWS::SNS::Topic", {"KmsMasterKeyId": _key_arn_ref(hub)})
    hub.template.has_resource_properties(
        "AWS::SNS::TopicPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Effect": "Deny",
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        )
                    ]
                )
            }
        },
    )


def test_kms_key_rotates_and_log_groups_and_secrets_use_it(hub) -> None:
    hub.template.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})
    for group in hub.resources("AWS::Logs::LogGroup").values():
        assert group["Properties"]["KmsKeyId"] == _key_arn_ref(hub)
        assert group["Properties"]["RetentionInDays"] == 365
    for secret in hub.resources("AWS::SecretsManager::Secret").values():
        assert secret["Properties"]["KmsKeyId"] == _key_arn_ref(hub)


def test_key_policy_lets_logs_alarms_and_eventbridge_use_the_key(hub) -> None:
    (key,) = hub.resources("AWS::KMS::Key").values()
    statements = key["Properties"]["KeyPolicy"]["Statement"]
    services: set[str] = set()
    for statement in statements:
        principal = statement["Principal"].get("Service", [])
        for service in principal if isinstance(principal, list) else [principal]:
            services.add(json.dumps(service, sort_keys=True))
    assert json.dumps("cloudwatch.amazonaws.com") in services
    assert json.dumps("events.amazonaws.com") in services
    context_key = "kms:EncryptionContext:aws:logs:arn"
    (logs,) = [s for s in statements if context_key in s.get("Condition", {}).get("ArnLike", {})]
    assert "logs." in json.dumps(logs["Principal"]["Service"])
    assert logs["Effect"] == "Allow"
