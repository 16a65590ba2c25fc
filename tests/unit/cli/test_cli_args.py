"""Pure argument parsers of the CLI and argparse errors as one-line messages (exit 2)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from govbot.domain import Permissions
from govbot_cli.common import (
    UsageError,
    parse_account,
    parse_duration,
    parse_image_arn,
    parse_image_name,
    parse_instant,
    parse_region,
    parse_share,
    parse_shares,
    parse_tags,
)
from tests.unit.cli.runner import run_cli


@pytest.mark.parametrize(
    ("text", "fleet", "builder"),
    [
        ("111111111111:fleet", True, False),
        ("111111111111:builder", False, True),
        ("111111111111:fleet,builder", True, True),
        ("111111111111:image_builder, FLEET", True, True),
    ],
)
def test_share_syntax(text: str, fleet: bool, builder: bool) -> None:
    share = parse_share(text)
    assert share.account_id == "111111111111"
    assert share.permissions == Permissions(allow_fleet=fleet, allow_image_builder=builder)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("111111111111", "expected ACCOUNT:PERMISSIONS"),
        ("1111:fleet", "expected a 12-digit account id, got '1111'"),
        ("111111111111:", "no permission given"),
        ("111111111111:fleet,admin", "unknown permission 'admin'; expected fleet and/or builder"),
    ],
)
def test_bad_share_names_the_problem(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message) as info:
        parse_share(text)
    assert "--share" in str(info.value)
    assert "\n" not in str(info.value)


def test_same_account_twice_is_refused() -> None:
    with pytest.raises(UsageError, match="account 111111111111 is given more than once"):
        parse_shares(["111111111111:fleet", "111111111111:builder"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("15m", timedelta(minutes=15)),
        ("2h", timedelta(hours=2)),
        ("3d", timedelta(days=3)),
        ("1w", timedelta(days=7)),
        ("1d12h", timedelta(days=1, hours=12)),
    ],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["2", "h", "2x", "-2h", "2 h", "", "0h", "1.5h"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(UsageError, match="duration"):
        parse_duration(text)


def test_instant_needs_a_timezone() -> None:
    assert parse_instant("2026-11-27T16:00:00Z") == datetime(2026, 11, 27, 16, tzinfo=UTC)
    with pytest.raises(UsageError, match="has no timezone"):
        parse_instant("2026-11-27T16:00:00")
    with pytest.raises(UsageError, match="expected an ISO-8601 time"):
        parse_instant("yesterday")


def test_tags() -> None:
    assert parse_tags(["team=platform", "empty="]) == {"team": "platform", "empty": ""}
    with pytest.raises(UsageError, match="expected KEY=VALUE"):
        parse_tags(["team"])
    with pytest.raises(UsageError, match="not starting with 'aws:'"):
        parse_tags(["aws:cloudformation=x"])
    with pytest.raises(UsageError, match="given more than once"):
        parse_tags(["a=1", "a=2"])
    with pytest.raises(UsageError, match="at most 256"):
        parse_tags(["a=" + "x" * 257])


def test_scalars() -> None:
    assert parse_account("123456789012", "--account") == "123456789012"
    with pytest.raises(UsageError, match="--org-account: expected a 12-digit"):
        parse_account("12345", "--org-account")
    assert parse_image_name("prod-app_1.0") == "prod-app_1.0"
    with pytest.raises(UsageError, match="invalid image name '-bad'"):
        parse_image_name("-bad")
    assert parse_region("eu-west-1") == "eu-west-1"
    with pytest.raises(UsageError, match="unknown AWS region 'Europe'"):
        parse_region("Europe")
    arn = "arn:aws:appstream:us-east-1:123456789012:image/Gold"
    assert parse_image_arn(arn) == arn
    with pytest.raises(UsageError, match="expected an image ARN"):
        parse_image_arn("arn:aws:s3:::bucket")


def test_no_command_is_a_usage_error() -> None:
    result = run_cli()
    assert result.code == 2
    assert result.err.startswith("govbot: error: the following arguments are required: COMMAND")
    assert len(result.err.strip().splitlines()) == 1


def test_unknown_option_is_one_line() -> None:
    result = run_cli("policy", "validate", "--frobnicate", "x.yaml")
    assert result.code == 2
    assert result.err == "govbot: error: unrecognized arguments: --frobnicate\n"
    assert "Traceback" not in result.err


def test_help_and_version_exit_zero() -> None:
    result = run_cli("--help")
    assert result.code == 0
    assert "policy" in result.out
    assert "check" in result.out
    assert "ledger" in result.out
    version = run_cli("--version")
    assert version.code == 0
    assert version.out.startswith("govbot ")


def test_check_image_and_all_exclude_each_other() -> None:
    both = run_cli("check", "--region", "us-east-1", "--policy", "p.yaml", "--all", "--image", "x")
    assert both.code == 2
    assert "not allowed with argument" in both.err


def test_ledger_limit_must_be_positive() -> None:
    result = run_cli("ledger", "rejected", "--table", "t", "--limit", "0")
    assert result.code == 2
    assert "argument --limit: expected a number >= 1, got 0" in result.err
