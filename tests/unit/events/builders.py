"""Builders for EventBridge envelopes of AppStream CloudTrail records (test data only)."""

from __future__ import annotations

import copy
from typing import Any

ACCOUNT = "111122223333"
OTHER = "444455556666"
REGION = "eu-west-1"
ACCOUNTS = frozenset({ACCOUNT})
REGIONS = frozenset({REGION})
ACTOR = "arn:aws:sts::111122223333:assumed-role/Admin/jane"

# One well-formed requestParameters per governed API call, lowerCamel as CloudTrail writes.
REQUESTS: dict[str, dict[str, Any]] = {
    "UpdateImagePermissions": {
        "name": "Gold",
        "sharedAccountId": OTHER,
        "imagePermissions": {"allowFleet": True, "allowImageBuilder": False},
    },
    "DeleteImagePermissions": {"name": "Gold", "sharedAccountId": OTHER},
    "CopyImage": {
        "sourceImageName": "Gold",
        "destinationImageName": "Gold-copy",
        "destinationRegion": "us-west-2",
        "destinationImageDescription": "copy",
    },
    "DeleteImage": {"name": "Gold"},
    "CreateUpdatedImage": {
        "existingImageName": "Gold",
        "newImageName": "Gold-v2",
        "newImageTags": {"team": "euc"},
        "dryRun": False,
    },
    "CreateImageBuilder": {"name": "builder1", "imageName": "Gold", "instanceType": "x"},
    "CreateFleet": {"name": "fleet1", "imageName": "Gold", "instanceType": "stream.standard"},
    "UpdateFleet": {
        "name": "fleet1",
        "imageArn": f"arn:aws:appstream:{REGION}:{ACCOUNT}:image/Gold",
    },
    "TagResource": {
        "resourceArn": f"arn:aws:appstream:{REGION}:{ACCOUNT}:image/Gold",
        "tags": {"golden": "true"},
    },
    "UntagResource": {
        "resourceArn": f"arn:aws:appstream:{REGION}:{ACCOUNT}:image/Gold",
        "tagKeys": ["golden"],
    },
    "CreateExportImageTask": {
        "imageName": "Gold",
        "amiName": "gold-ami",
        "iamRoleArn": f"arn:aws:iam::{ACCOUNT}:role/export",
        "tagSpecifications": {"team": "vdi"},
    },
    "CreateImportedImage": {
        "name": "Gold",
        "sourceAmiId": "ami-0123456789abcdef0",
        "iamRoleArn": f"arn:aws:iam::{ACCOUNT}:role/import",
        "tags": {"source": "ami"},
    },
    "UpdateImageBuilder": {
        "name": "builder-1",
        "agentAccessConfig": {
            "settings": [{"agentAction": "COMPUTER_INPUT", "permission": "ENABLED"}],
        },
    },
    "CreateImageBuilderStreamingURL": {"name": "builder-1"},
    "StartImageBuilder": {"name": "builder-1"},
    "StopImageBuilder": {"name": "builder-1"},
}


def api_call(
    event_name: str, request: dict[str, Any] | None = None, **detail: Any
) -> dict[str, Any]:
    """An EventBridge envelope for an API call (``detail`` overrides record fields)."""
    params = copy.deepcopy(REQUESTS.get(event_name, {})) if request is None else request
    record: dict[str, Any] = {
        "eventVersion": "1.08",
        "userIdentity": {"type": "AssumedRole", "arn": ACTOR, "accountId": ACCOUNT},
        "eventTime": "2026-11-27T16:00:00Z",
        "eventSource": "appstream.amazonaws.com",
        "eventName": event_name,
        "awsRegion": REGION,
        "sourceIPAddress": "198.51.100.15",
        "userAgent": "aws-cli/2.15",
        "requestParameters": params,
        "responseElements": None,
        "eventID": f"ev-{event_name}",
        "eventType": "AwsApiCall",
        "recipientAccountId": ACCOUNT,
    }
    record.update(detail)
    return {
        "version": "0",
        "id": f"env-{event_name}",
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.appstream",
        "account": ACCOUNT,
        "time": "2026-11-27T16:00:00Z",
        "region": REGION,
        "resources": [],
        "detail": record,
    }


def service_event(details: dict[str, Any] | None = None, **detail: Any) -> dict[str, Any]:
    """An EventBridge envelope for the CreateImage service event."""
    envelope = api_call("CreateImage", request=None)
    envelope["detail-type"] = "AWS Service Event via CloudTrail"
    record = envelope["detail"]
    del record["requestParameters"]
    record["eventType"] = "AwsServiceEvent"
    record["userIdentity"] = {
        "arn": f"arn:aws:appstream:{REGION}: {ACCOUNT}:image-builder/builder1",
        "accountId": ACCOUNT,
    }
    record["serviceEventDetails"] = (
        {
            "ImageName": "Built1",
            "ImagePlatform": "WINDOWS",
            "ImageDisPlayName": "Built 1",
            "ImageBuilderSupported": "True",
            "ImageCreatedTime": "Thu Mar 21 22:32:05 UTC 2019",
            "ImageState": "PENDING",
        }
        if details is None
        else details
    )
    record.update(detail)
    return envelope
