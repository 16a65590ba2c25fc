"""The sandbox's one botocore loader per data path (govbot_sandbox/shared_models.py)."""

from __future__ import annotations

from pathlib import Path

import boto3
import botocore.session

from govbot_sandbox.shared_models import shared_loader


def test_sessions_share_one_loader_and_each_parses_nothing_again() -> None:
    first, second = botocore.session.Session(), botocore.session.Session()
    assert first.get_component("data_loader") is second.get_component("data_loader")
    model = first.get_service_model("appstream")
    again = second.get_service_model("appstream")
    # One parse: the second Session's model is built on the same loaded document.
    assert model.operation_names == again.operation_names
    loader = shared_loader(None)
    assert loader.load_service_model("appstream", "service-2") is loader.load_service_model(
        "appstream", "service-2"
    )


def test_clients_of_separate_sessions_still_work_apart() -> None:
    east = boto3.Session(region_name="us-east-1").client("sqs")
    west = boto3.Session(region_name="eu-west-1").client("sqs")
    assert east.meta.region_name == "us-east-1"
    assert west.meta.region_name == "eu-west-1"
    assert "eu-west-1" in west.meta.endpoint_url


def test_another_data_path_gets_a_loader_of_its_own(tmp_path: Path) -> None:
    assert shared_loader(str(tmp_path)) is not shared_loader(None)
    assert shared_loader(str(tmp_path)) is shared_loader(str(tmp_path))
    assert str(tmp_path) in shared_loader(str(tmp_path)).search_paths
