"""A fast stand-in for AWS at botocore's HTTP layer, for the cold-start and burst benchmarks.

Registered as a ``before-send`` hook on a boto3 Session, it answers each request botocore
has fully built and signed with a response botocore then parses, so the measured path is
govbot's real one (parse, policy, ledger codec, botocore request building and response
parsing) without a server, a socket or moto's own cost in the measured process.

It keeps no state, so it adds nothing to the memory it is used to measure: every image
exists, is AVAILABLE and is shared with ``OUTSIDER`` (fleet and image builder), every
conditional write succeeds, every query finds nothing. An operation it does not know is
answered with an error naming it (and counted), so a benchmark cannot pass silently over
a path it does not model. Standard library and botocore only: it runs in the Lambda-like
environment too; botocore is imported on the first answer, so importing this module
costs a benchmark nothing it would measure.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

OUTSIDER = "999999999999"
_JSON_11 = "application/x-amz-json-1.1"
_JSON_10 = "application/x-amz-json-1.0"


class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Any:
        yield self._data


def _image(account: str, region: str, name: str) -> dict[str, Any]:
    return {
        "Name": name,
        "Arn": f"arn:aws:appstream:{region}:{account}:image/{name}",
        "State": "AVAILABLE",
        "Visibility": "PRIVATE",
        "ImageSharedWithOthers": "TRUE",
        "Platform": "WINDOWS_SERVER_2022",
        "CreatedTime": 1764590400.0,
    }


class AwsStandIn:
    """Answers AppStream, DynamoDB, SSM, Secrets Manager and SQS calls (see module doc)."""

    def __init__(
        self,
        *,
        account: str,
        region: str,
        policy_json: str,
        secret: str = "bench-secret",  # noqa: S107 - a stand-in's answer
    ) -> None:
        self.account = account
        self.region = region
        self.calls: Counter[str] = Counter()
        self.unknown: Counter[str] = Counter()
        self._answers = {
            # AppStream (JSON 1.1)
            "appstream.DescribeImages": self._describe_images,
            "appstream.DescribeImagePermissions": self._describe_permissions,
            "appstream.ListTagsForResource": lambda _: {"Tags": {}},
            "appstream.UpdateImagePermissions": lambda _: {},
            "appstream.DeleteImagePermissions": lambda _: {},
            "appstream.DescribeFleets": lambda _: {"Fleets": []},
            "appstream.DescribeImageBuilders": lambda _: {"ImageBuilders": []},
            # DynamoDB (JSON 1.0): every conditional write succeeds, reads find nothing.
            "dynamodb.PutItem": lambda _: {},
            "dynamodb.UpdateItem": lambda _: {},
            "dynamodb.DeleteItem": lambda _: {},
            "dynamodb.TransactWriteItems": lambda _: {},
            "dynamodb.BatchWriteItem": lambda _: {"UnprocessedItems": {}},
            "dynamodb.GetItem": lambda _: {},
            "dynamodb.BatchGetItem": lambda _: {"Responses": {}, "UnprocessedKeys": {}},
            "dynamodb.Query": lambda _: {"Items": [], "Count": 0, "ScannedCount": 0},
            # The rest of what a first call reads.
            "ssm.GetParameter": lambda body: {
                "Parameter": {"Name": body.get("Name", ""), "Value": policy_json, "Version": 1}
            },
            "secrets-manager.GetSecretValue": lambda body: {
                "ARN": body.get("SecretId", ""),
                "Name": "govbot",
                "SecretString": secret,
            },
            # The organization holds the governed account only: OUTSIDER is not a member.
            "organizations.ListAccounts": lambda _: {
                "Accounts": [{"Id": account, "Status": "ACTIVE", "State": "ACTIVE"}]
            },
            "sqs.SendMessage": lambda _: {"MessageId": "1", "MD5OfMessageBody": ""},
        }

    def install(self, session: Any) -> None:
        """Answer every request of ``session``'s clients (made before or after this call)."""
        session.events.register("before-send", self)

    def __call__(self, request: Any, **kwargs: Any) -> Any:
        _, service, operation = kwargs["event_name"].split(".", 2)
        key = f"{service}.{operation}"
        self.calls[key] += 1
        answer = self._answers.get(key)
        content_type = _JSON_10 if service == "dynamodb" else _JSON_11
        if answer is None:
            self.unknown[key] += 1
            error = {"__type": "UnknownOperation", "message": f"stand-in: no answer for {key}"}
            return self._respond(request, 400, error, content_type)
        body = json.loads(request.body or b"{}") if request.body else {}
        return self._respond(request, 200, answer(body), content_type)

    @staticmethod
    def _respond(request: Any, status: int, payload: Any, content_type: str) -> Any:
        from botocore.awsrequest import AWSResponse

        headers: Any = {"Content-Type": content_type, "x-amzn-RequestId": "stand-in"}
        return AWSResponse(request.url, status, headers, _Body(json.dumps(payload).encode()))

    def _describe_images(self, body: dict[str, Any]) -> dict[str, Any]:
        names = body.get("Names") or []
        return {"Images": [_image(self.account, self.region, n) for n in names]}

    def _describe_permissions(self, body: dict[str, Any]) -> dict[str, Any]:
        return {
            "Name": body.get("Name", ""),
            "SharedImagePermissionsList": [
                {
                    "sharedAccountId": OUTSIDER,
                    "imagePermissions": {"allowFleet": True, "allowImageBuilder": True},
                }
            ],
        }
