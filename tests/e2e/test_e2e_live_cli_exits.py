"""The AWS CLI from PyPI drives the image exits against ``govbot-sandbox serve``: export to
an AMI (moto's EC2 behind the same endpoint), its launch permissions, import back, builder
sessions and agent access.

The PyPI CLI's own botocore predates UpdateImageBuilder (botocore 1.44.3); the CLI takes
the current AppStream model through its documented ``aws configure add-model`` (copied
from this project's botocore), as a person would before the CLI catches up.
"""

from __future__ import annotations

import json
from pathlib import Path

import botocore.session
import pytest

from govbot_sandbox.lambda_service import HUB_ACCOUNT
from govbot_sandbox.live.accounts import EXTERNAL_ACCOUNT
from tests.e2e.test_e2e_live_cli import OWNER_KEY, Live, fresh, live

__all__ = ["fresh", "live"]  # the fixtures, shared with the live CLI tests

pytestmark = pytest.mark.xdist_group("live-endpoint")
ROLE = f"arn:aws:iam::{HUB_ACCOUNT}:role/export-role"


def _add_current_appstream_model(live: Live) -> None:
    loader = botocore.session.get_session().get_component("data_loader")
    model = loader.load_service_model("appstream", "service-2")
    path = live.home / "appstream-2016-12-01.json"
    path.write_text(json.dumps(model))
    live.cli(
        OWNER_KEY,
        "configure",
        "add-model",
        "--service-model",
        f"file://{path}",
        "--service-name",
        "appstream",
    )


def test_cli_exports_an_image_shares_the_ami_and_imports_it_back(fresh: Live) -> None:
    live = fresh
    task = live.json(
        OWNER_KEY,
        "appstream",
        "create-export-image-task",
        "--image-name",
        "dev-tools",
        "--ami-name",
        "dev-tools-ami",
        "--iam-role-arn",
        ROLE,
        "--tag-specifications",
        "team=vdi",
    )["ExportImageTask"]
    assert task["State"] == "EXPORTING"
    live.admin("clock/advance", "POST", {"seconds": 900})
    done = live.json(OWNER_KEY, "appstream", "get-export-image-task", "--task-id", task["TaskId"])[
        "ExportImageTask"
    ]
    assert done["State"] == "COMPLETED"
    listed = live.json(OWNER_KEY, "appstream", "list-export-image-tasks")["ExportImageTasks"]
    assert [t["TaskId"] for t in listed] == [task["TaskId"]]
    ami = live.json(OWNER_KEY, "ec2", "describe-images", "--image-ids", done["AmiId"])
    assert ami["Images"][0]["Tags"] == [{"Key": "team", "Value": "vdi"}]
    live.cli(
        OWNER_KEY,
        "ec2",
        "modify-image-attribute",
        "--image-id",
        done["AmiId"],
        "--launch-permission",
        f"Add=[{{UserId={EXTERNAL_ACCOUNT}}}]",
    )
    record = live.admin("events?eventName=ModifyImageAttribute")["records"][0]
    assert record["eventSource"] == "ec2.amazonaws.com"
    assert record["recipientAccountId"] == HUB_ACCOUNT
    assert record["requestParameters"]["launchPermission"] == {
        "add": {"items": [{"userId": EXTERNAL_ACCOUNT}]}
    }
    assert record["userIdentity"]["arn"] == f"arn:aws:iam::{HUB_ACCOUNT}:user/alice"
    imported = live.json(
        OWNER_KEY,
        "appstream",
        "create-imported-image",
        "--name",
        "dev-tools-back",
        "--source-ami-id",
        done["AmiId"],
        "--iam-role-arn",
        ROLE,
    )["Image"]
    assert imported["State"] == "IMPORTING"
    records = live.admin("events")["records"]
    names = {r["eventName"] for r in records if not r["readOnly"]}
    assert {"CreateExportImageTask", "CreateImportedImage"} <= names
    assert "GetExportImageTask" not in names  # recorded, but read-only


def test_cli_opens_a_builder_session_and_sets_agent_access(fresh: Live) -> None:
    live = fresh
    live.json(
        OWNER_KEY,
        "appstream",
        "create-image-builder",
        "--name",
        "b1",
        "--image-name",
        "dev-tools",
        "--instance-type",
        "stream.standard.medium",
    )
    live.admin("clock/advance", "POST", {"seconds": 120})
    url = live.json(OWNER_KEY, "appstream", "create-image-builder-streaming-url", "--name", "b1")
    assert url["StreamingURL"].startswith("https://appstream2.us-east-1.aws.amazon.com/")
    session = live.admin("events?eventName=CreateImageBuilderStreamingURL")["records"][0]
    assert session["responseElements"]["streamingURL"] == "HIDDEN_DUE_TO_SECURITY_REASONS"
    _add_current_appstream_model(live)
    access = {
        "Settings": [{"AgentAction": "COMPUTER_VISION", "Permission": "ENABLED"}],
        "ScreenResolution": "W_1280xH_720",
        "ScreenImageFormat": "PNG",
    }
    updated = live.json(
        OWNER_KEY,
        "appstream",
        "update-image-builder",
        "--name",
        "b1",
        "--agent-access-config",
        json.dumps(access),
    )["ImageBuilder"]
    assert updated["AgentAccessConfig"]["Settings"] == access["Settings"]
    stopped = live.json(OWNER_KEY, "appstream", "stop-image-builder", "--name", "b1")
    assert stopped["ImageBuilder"]["State"] == "STOPPING"
    live.admin("clock/advance", "POST", {"seconds": 60})
    started = live.json(OWNER_KEY, "appstream", "start-image-builder", "--name", "b1")
    assert started["ImageBuilder"]["State"] == "PENDING"
    assert Path(live.home / ".aws" / "models").exists()
