"""One region validator (botocore's endpoint data, did-you-mean) wherever a region is read."""

from __future__ import annotations

from pathlib import Path

import pytest

from govbot.policy.errors import PolicyError
from govbot.policy.loader import load_policy
from govbot.regions import UnknownRegionError, check_region, check_regions, partition_of
from tests.fakes import FakeAppStream
from tests.unit.cli.runner import DEMO_POLICY, EXAMPLE_POLICY, run_cli


def test_known_regions_of_every_partition_pass() -> None:
    assert check_regions(["us-east-1", "eu-west-1", "us-gov-west-1", "cn-north-1"]) == (
        "us-east-1",
        "eu-west-1",
        "us-gov-west-1",
        "cn-north-1",
    )
    assert partition_of("us-gov-west-1") == "aws-us-gov"
    assert partition_of("cn-north-1") == "aws-cn"


@pytest.mark.parametrize(
    ("typo", "meant"),
    [("us-esat-1", "us-east-1"), ("eu-wst-1", "eu-west-1"), ("US-EAST-1", "us-east-1")],
)
def test_a_typo_names_where_it_was_read_and_the_nearest_region(typo: str, meant: str) -> None:
    with pytest.raises(UnknownRegionError) as caught:
        check_region(typo, "--regions")
    message = str(caught.value)
    assert message.startswith(f"--regions: unknown AWS region {typo!r}; did you mean {meant!r}")


def test_well_formed_but_nonexistent_region_is_refused() -> None:
    # It matches the old pattern (two letters, words, a digit); no partition has it.
    with pytest.raises(UnknownRegionError, match="unknown AWS region 'xy-central-9'"):
        check_region("xy-central-9")


def test_every_unknown_region_of_a_list_is_reported_at_once() -> None:
    with pytest.raises(UnknownRegionError) as caught:
        check_regions(["us-east-1", "eu-wst-1", "us-esat-1"], "context 'governed_regions'")
    assert "'eu-wst-1'" in str(caught.value)
    assert "'us-esat-1'" in str(caught.value)


def test_cli_check_with_a_misspelled_region_is_a_usage_error_not_zero_images() -> None:
    fake = FakeAppStream([])
    from tests.unit.cli.test_cli_check import _deps

    result = run_cli("check", "--regions", "us-esat-1", "--all", "--policy", DEMO_POLICY,
                     deps=_deps(fake))  # fmt: skip
    assert result.code == 2
    assert "unknown AWS region 'us-esat-1'; did you mean 'us-east-1'" in result.err
    assert "0 violations" not in result.out
    assert fake.calls == []


def test_policy_file_with_a_misspelled_destination_region_is_refused(tmp_path: Path) -> None:
    text = Path(EXAMPLE_POLICY).read_text(encoding="utf-8")
    assert "destinations: [eu-west-1]" in text
    bad = tmp_path / "policy.yaml"
    bad.write_text(text.replace("destinations: [eu-west-1]", "destinations: [eu-wst-1]"))
    load_policy(EXAMPLE_POLICY)  # the original loads
    with pytest.raises(PolicyError) as caught:
        load_policy(bad)
    assert "unknown AWS region 'eu-wst-1'; did you mean 'eu-west-1'" in str(caught.value)


def test_world_file_with_a_misspelled_region_is_refused(tmp_path: Path) -> None:
    world = tmp_path / "world.yaml"
    world.write_text(
        "accounts: ['123456789012']\nregions: [us-east-1, eu-wst-1]\n"
        "images:\n  - {name: app, region: us-esat-1}\n"
    )
    result = run_cli("simulate", "--policy", DEMO_POLICY, "--world", str(world), "--now",
                     "2026-11-27T16:00:00Z", str(tmp_path / "none.json"))  # fmt: skip
    assert result.code == 2
    assert "regions[1]: unknown AWS region 'eu-wst-1'; did you mean 'eu-west-1'" in result.err
    assert "images[0].region: unknown AWS region 'us-esat-1'" in result.err
