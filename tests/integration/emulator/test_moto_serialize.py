"""The sandbox's remembered alias keys give moto's own response bytes, service by service.

Every response below is serialized twice from the same result object, once with moto's
``ResponseSerializer.get_value`` and once with the sandbox's, and the two must be equal
byte for byte (status, headers, body): JSON (DynamoDB, Streams, SQS, SSM, Secrets
Manager), query XML (EC2 with its response transformers, STS, CloudFormation with its
``Meta`` alias), error bodies included.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import boto3
import pytest
from botocore.config import Config
from moto import mock_aws
from moto.core.serialize import ResponseSerializer

from govbot_sandbox import moto_serialize

REGION = "us-east-1"


@pytest.fixture
def compared(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Serialize every moto response with both ``get_value``s; count the equal ones."""
    serialize = ResponseSerializer.serialize
    counts: Counter[str] = Counter()

    def both(self: ResponseSerializer, result: Any) -> Any:
        monkeypatch.setattr(ResponseSerializer, "get_value", moto_serialize.moto_get_value)
        theirs = serialize(self, result)
        monkeypatch.setattr(ResponseSerializer, "get_value", moto_serialize.get_value)
        ours = serialize(self, result)
        assert ours == theirs, self.operation_name
        counts[self.operation_name] += 1
        counts["errors"] += self._is_error_result(result)
        return ours

    monkeypatch.setattr(ResponseSerializer, "serialize", both)
    return counts


def _dynamodb_and_its_stream() -> None:
    client: Any = boto3.client("dynamodb", region_name=REGION)
    client.create_table(
        TableName="ledger",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk", "g", "when")
        ],
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-g",
                "KeySchema": [
                    {"AttributeName": "g", "KeyType": "HASH"},
                    {"AttributeName": "when", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    for i in range(25):
        client.put_item(
            TableName="ledger",
            Item={
                "pk": {"S": f"p{i % 3}"},
                "sk": {"S": f"{i:03d}"},
                "g": {"S": "outbox" if i % 2 else "event"},
                "when": {"S": f"2026-11-02T{i:02d}"},
                "body": {"M": {"list": {"L": [{"N": str(i)}, {"BOOL": True}, {"NULL": True}]}}},
                "tags": {"SS": ["a", f"t{i}"]},
                "raw": {"B": bytes([i, 255 - i])},
            },
        )
    client.update_item(
        TableName="ledger",
        Key={"pk": {"S": "p0"}, "sk": {"S": "000"}},
        UpdateExpression="SET version = :v",
        ExpressionAttributeValues={":v": {"N": "2"}},
        ReturnValues="ALL_NEW",
    )
    client.delete_item(TableName="ledger", Key={"pk": {"S": "p1"}, "sk": {"S": "001"}})
    with pytest.raises(client.exceptions.ConditionalCheckFailedException):
        client.put_item(
            TableName="ledger",
            Item={"pk": {"S": "p2"}, "sk": {"S": "002"}},
            ConditionExpression="attribute_not_exists(pk)",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    client.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": "ledger", "Item": {"pk": {"S": "t"}, "sk": {"S": "1"}}}},
            {"Delete": {"TableName": "ledger", "Key": {"pk": {"S": "p2"}, "sk": {"S": "005"}}}},
        ]
    )
    table = client.describe_table(TableName="ledger")["Table"]
    pages = client.get_paginator("query").paginate(
        TableName="ledger",
        IndexName="by-g",
        KeyConditionExpression="g = :g",
        ExpressionAttributeValues={":g": {"S": "outbox"}},
        PaginationConfig={"PageSize": 4},
    )
    assert sum(page["Count"] for page in pages) == 10  # 12 odd items, 2 deleted
    client.query(
        TableName="ledger",
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "p0"}},
        ReturnConsumedCapacity="TOTAL",
    )
    client.scan(TableName="ledger", Limit=7)
    client.get_item(TableName="ledger", Key={"pk": {"S": "p0"}, "sk": {"S": "000"}})
    streams: Any = boto3.client(
        "dynamodbstreams", region_name=REGION, config=Config(account_id_endpoint_mode="disabled")
    )
    arn = table["LatestStreamArn"]
    (shard,) = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    iterator = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    records = streams.get_records(ShardIterator=iterator)["Records"]
    assert {r["eventName"] for r in records} == {"INSERT", "MODIFY", "REMOVE"}


def _queues_and_secrets() -> None:
    sqs: Any = boto3.client("sqs", region_name=REGION)
    dlq = sqs.create_queue(QueueName="work-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])
    url = sqs.create_queue(
        QueueName="work",
        Attributes={
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": dlq_arn["Attributes"]["QueueArn"], "maxReceiveCount": 3}
            )
        },
    )["QueueUrl"]
    for i in range(3):
        sqs.send_message(
            QueueUrl=url,
            MessageBody=f"body {i}",
            MessageAttributes={"kind": {"DataType": "String", "StringValue": "x"}},
        )
    got = sqs.receive_message(
        QueueUrl=url,
        MaxNumberOfMessages=10,
        MessageSystemAttributeNames=["All"],
        MessageAttributeNames=["All"],
    )
    assert len(got["Messages"]) == 3
    sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.get_queue_url(QueueName="missing")
    ssm: Any = boto3.client("ssm", region_name=REGION)
    ssm.put_parameter(Name="/govbot/x", Value="1", Type="String")
    ssm.get_parameter(Name="/govbot/x")
    secrets: Any = boto3.client("secretsmanager", region_name=REGION)
    secrets.create_secret(Name="slack", SecretString="token")
    secrets.get_secret_value(SecretId="slack")
    secrets.describe_secret(SecretId="slack")


def _query_protocols() -> None:
    ec2: Any = boto3.client("ec2", region_name=REGION)
    # A few of moto's 1,300 public AMIs (all of them take seconds to list).
    few = [{"Name": "name", "Values": ["amzn2-ami-hvm-2.0.20*"]}]
    image = ec2.describe_images(Owners=["amazon"], Filters=few)["Images"][0]["ImageId"]
    ec2.run_instances(ImageId=image, MinCount=2, MaxCount=2)
    ec2.describe_instances()
    ec2.describe_images(ImageIds=[image])
    ec2.describe_vpcs()
    boto3.client("sts", region_name=REGION).get_caller_identity()
    cloudformation: Any = boto3.client("cloudformation", region_name=REGION)
    template = {
        "Parameters": {"Name": {"Type": "String"}},
        "Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "cfn-q"}}},
    }
    cloudformation.create_stack(
        StackName="s",
        TemplateBody=json.dumps(template),
        Parameters=[{"ParameterKey": "Name", "ParameterValue": "v"}],
    )
    stack = cloudformation.describe_stacks(StackName="s")["Stacks"][0]
    assert stack["Parameters"] == [{"ParameterKey": "Name", "ParameterValue": "v"}]
    cloudformation.describe_stack_resources(StackName="s")


def test_every_response_is_byte_identical_to_moto_own(compared: Counter[str]) -> None:
    with mock_aws():
        _dynamodb_and_its_stream()
        _queues_and_secrets()
        _query_protocols()
    assert {
        "GetRecords",
        "Query",
        "Scan",
        "DescribeTable",
        "PutItem",
        "UpdateItem",
        "TransactWriteItems",
        "ReceiveMessage",
        "GetQueueAttributes",
        "RunInstances",
        "DescribeInstances",
        "DescribeImages",
        "GetCallerIdentity",
        "DescribeStacks",
    } <= set(compared)
    assert compared["Query"] >= 4  # the index query came back in pages
    assert compared["errors"] >= 1


def test_the_sandbox_installs_it() -> None:
    import govbot_sandbox.sandbox  # noqa: F401

    assert ResponseSerializer.get_value is moto_serialize.get_value
