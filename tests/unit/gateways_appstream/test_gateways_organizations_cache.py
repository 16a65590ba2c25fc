"""OrganizationAccounts: ACTIVE filter, caching, stale-on-failure, clear errors (no network)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from govbot.gateways.organizations import OrganizationAccounts, OrganizationsError, clear_cache


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    clear_cache()
    yield
    clear_cache()


class FakeOrganizations:
    """In-memory ListAccounts with a paginator, which can be told to fail."""

    def __init__(self, pages: list[list[dict[str, str]]]) -> None:
        self.pages = pages
        self.fail_with: str | None = None
        self.reads = 0

    def get_paginator(self, name: str) -> FakeOrganizations:
        assert name == "list_accounts"
        return self

    def paginate(self) -> Iterator[dict[str, Any]]:
        self.reads += 1
        if self.fail_with:
            raise ClientError({"Error": {"Code": self.fail_with, "Message": "no"}}, "ListAccounts")
        for page in self.pages:
            yield {"Accounts": page}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _acct(account_id: str, status: str = "ACTIVE", **extra: str) -> dict[str, str]:
    return {"Id": account_id, "Status": status, **extra}


def test_only_active_accounts_across_pages() -> None:
    fake = FakeOrganizations(
        [
            [_acct("111111111111"), _acct("222222222222", "SUSPENDED")],
            [_acct("333333333333", "PENDING_CLOSURE"), _acct("444444444444")],
            [_acct("555555555555", "ACTIVE", State="CLOSED")],  # the newer State field wins
        ]
    )
    ids = OrganizationAccounts(lambda: fake, cache_seconds=60).member_account_ids()
    assert ids == frozenset({"111111111111", "444444444444"})


def test_failure_serves_the_stale_answer_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    fake, clock = FakeOrganizations([[_acct("111111111111")]]), Clock()
    accounts = OrganizationAccounts(lambda: fake, cache_seconds=60, clock=clock)
    assert accounts.member_account_ids() == frozenset({"111111111111"})
    clock.now += 120
    fake.fail_with = "TooManyRequestsException"
    with caplog.at_level(logging.WARNING):
        assert accounts.member_account_ids() == frozenset({"111111111111"})
    assert fake.reads == 2
    assert "TooManyRequestsException" in caplog.text
    assert "120 s ago" in caplog.text


def test_failure_without_a_cached_answer_raises() -> None:
    fake = FakeOrganizations([])
    fake.fail_with = "AccessDeniedException"
    with pytest.raises(OrganizationsError) as caught:
        OrganizationAccounts(lambda: fake, cache_seconds=60).member_account_ids()
    assert "ListAccounts failed with AccessDeniedException" in str(caught.value)
    assert "organizations:ListAccounts" in str(caught.value)


def test_zero_cache_seconds_reads_every_time() -> None:
    fake = FakeOrganizations([[_acct("111111111111")]])
    accounts = OrganizationAccounts(lambda: fake, cache_seconds=0)
    accounts.member_account_ids()
    accounts.member_account_ids()
    assert fake.reads == 2


def test_separate_cache_keys_do_not_share_answers() -> None:
    one, two = FakeOrganizations([[_acct("111111111111")]]), FakeOrganizations([[]])
    assert OrganizationAccounts(lambda: one, cache_key="a").member_account_ids()
    assert OrganizationAccounts(lambda: two, cache_key="b").member_account_ids() == frozenset()


def test_negative_cache_seconds_is_refused() -> None:
    with pytest.raises(ValueError, match="cache_seconds must be >= 0, got -1"):
        OrganizationAccounts(lambda: None, cache_seconds=-1)


def test_account_names_of_active_members_for_the_report() -> None:
    fake = FakeOrganizations(
        [
            [_acct("111111111111", Name="shared-services"), _acct("222222222222", "SUSPENDED")],
            [_acct("444444444444", Name="payments-prod"), _acct("555555555555")],
        ]
    )
    names = OrganizationAccounts(lambda: fake, cache_seconds=60).account_names()
    assert names == {
        "111111111111": "shared-services", "444444444444": "payments-prod", "555555555555": ""
    }  # fmt: skip
    fake.fail_with = "AccessDeniedException"
    with pytest.raises(OrganizationsError, match="account names"):
        OrganizationAccounts(lambda: fake, cache_seconds=60).account_names()
