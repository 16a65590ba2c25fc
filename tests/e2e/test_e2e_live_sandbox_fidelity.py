"""``govbot-sandbox serve`` as issue 22 asks: the README's admin commands work as written,
CloudTrail records look like CloudTrail's, faults and resets behave.

Reuses the serve subprocess fixture of ``test_e2e_live_guard`` (boto3 and raw HTTP).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from botocore.exceptions import ClientError

from govbot_sandbox.live.accounts import CONSUMER_ACCOUNT
from tests.e2e.test_e2e_live_guard import REPO_README, Server, server  # noqa: F401

BOB_KEY = "ASIAOWNERADMINBOB000"  # the owner account's assumed role Admin/bob

pytestmark = pytest.mark.xdist_group("live-endpoint")


def _arn(live: Server, name: str) -> str:
    return str(live.client("appstream").describe_images(Names=[name])["Images"][0]["Arn"])


def _readme_json(route: str) -> bytes:
    """The JSON body the README's curl command posts to ``route``."""
    found = re.search(rf"/_govbot/{re.escape(route)} -d '([^']+)'", REPO_README.read_text())
    assert found, f"README has no curl command for /_govbot/{route}"
    return found.group(1).encode()


def test_readme_image_build_command_works_as_written(server: Server) -> None:  # noqa: F811
    status, reply = server.admin("image-builds", _readme_json("image-builds"), "POST")
    assert status == 200, reply
    assert reply["builderCreated"] is True
    built = server.client("appstream").describe_images(Names=["new-image"])
    assert [(i["Name"], i["ImageBuilderName"]) for i in built["Images"]] == [("new-image", "b")]
    names = [r["eventName"] for r in server.admin("events?eventName=CreateImage")[1]["records"]]
    assert names == ["CreateImage"]


@pytest.mark.parametrize("operation", ["DescribeImagez", "describe-images", ""])
def test_fault_on_an_unknown_operation_is_refused_naming_the_valid_ones(
    server: Server,  # noqa: F811
    operation: str,
) -> None:
    body = json.dumps({"operation": operation, "latency": 1}).encode()
    status, reply = server.admin("faults", body, "POST")
    assert status == 400
    assert f"unknown operation {operation!r}" in reply["error"]
    assert "DescribeImages, " in reply["error"]
    assert (
        server.admin("faults", b'{"operation": "DescribeImages", "latency": NaN}', "POST")[0] == 400
    )
    assert server.admin("faults", b"", "DELETE")[0] == 200


# -- CloudTrail fidelity -----------------------------------------------------------------


def _strict_json(payload: bytes) -> Any:
    def refuse(name: str) -> Any:
        raise AssertionError(f"{name} written into JSON")

    return json.loads(payload, parse_constant=refuse)


def test_read_only_calls_are_recorded_read_only_with_management_and_tls(
    server: Server,  # noqa: F811
) -> None:
    owner = server.client("appstream")
    owner.describe_images(Names=["payroll"])
    owner.list_tags_for_resource(ResourceArn=_arn(server, "payroll"))
    owner.list_export_image_tasks()
    records = server.admin("events")[1]["records"]
    reads = {r["eventName"]: r for r in records if r["readOnly"]}
    assert {"DescribeImages", "ListTagsForResource", "ListExportImageTasks"} <= set(reads)
    assert all(r["readOnly"] is False for r in records if r["eventName"].startswith("Update"))
    for record in records:
        assert record["eventCategory"] == "Management"
        if record["eventType"] == "AwsApiCall":
            assert record["tlsDetails"]["tlsVersion"] == "TLSv1.3"


def test_session_creation_date_is_the_session_start_not_each_call(
    server: Server,  # noqa: F811
) -> None:
    bob = server.client("appstream", key=BOB_KEY)
    bob.describe_images(Names=["dev-tools"])
    assert server.admin("clock/advance", b'{"seconds": 7200}', "POST")[0] == 200
    bob.describe_image_permissions(Name="dev-tools")
    mine = [
        r
        for r in server.admin("events")[1]["records"]
        if r["userIdentity"].get("accessKeyId") == BOB_KEY
    ]
    created = {r["userIdentity"]["sessionContext"]["attributes"]["creationDate"] for r in mine}
    assert len(mine) >= 2
    assert len(created) == 1
    assert created.pop() <= min(r["eventTime"] for r in mine)
    assert mine[-1]["eventTime"] > mine[0]["eventTime"]


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_are_refused_and_never_recorded(
    server: Server,  # noqa: F811
    number: str,
) -> None:
    body = (
        '{"Name": "prod-app", "SharedAccountId": "333333333333", '
        f'"ImagePermissions": {{"allowFleet": {number}}}}}'
    ).encode()
    status, _, payload = server.signed_appstream("UpdateImagePermissions", body)
    assert status == 400
    assert _strict_json(payload)["__type"] == "ValidationException"
    _, _, events = server.raw("GET", "/_govbot/events", {})
    assert "333333333333" not in str(_strict_json(events))


# -- error codes -------------------------------------------------------------------------

CONSUMER_KEY = "AKIACONSUMERDAVE0000"


@pytest.mark.parametrize("operation", ["update_image_permissions", "delete_image_permissions"])
def test_consumer_naming_the_owners_image_with_his_own_id_is_not_found(
    server: Server,  # noqa: F811
    operation: str,
) -> None:
    consumer = server.client("appstream", key=CONSUMER_KEY)
    args: dict[str, Any] = {"Name": "prod-app", "SharedAccountId": CONSUMER_ACCOUNT}
    if operation == "update_image_permissions":
        args["ImagePermissions"] = {"allowFleet": True}
    with pytest.raises(ClientError) as caught:
        getattr(consumer, operation)(**args)
    error = caught.value.response["Error"]
    assert error["Code"] == "ResourceNotFoundException"
    assert "own account" not in error["Message"]
    assert "prod-app" in error["Message"]
