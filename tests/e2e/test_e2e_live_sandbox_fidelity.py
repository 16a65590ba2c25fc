"""``govbot-sandbox serve`` as issue 22 asks: the README's admin commands work as written,
CloudTrail records look like CloudTrail's, faults and resets behave.

Reuses the serve subprocess fixture of ``test_e2e_live_guard`` (boto3 and raw HTTP).
"""

from __future__ import annotations

import json
import re

import pytest

from tests.e2e.test_e2e_live_guard import REPO_README, Server, server  # noqa: F401

pytestmark = pytest.mark.xdist_group("live-endpoint")


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
