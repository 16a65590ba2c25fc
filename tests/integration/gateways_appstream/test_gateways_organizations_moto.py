"""OrganizationAccounts against moto's Organizations (real boto3 client, mock_aws)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from govbot.gateways.organizations import OrganizationAccounts, clear_cache


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    clear_cache()
    yield
    clear_cache()


@pytest.fixture
def org() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("organizations", region_name="us-east-1")
        client.create_organization(FeatureSet="ALL")
        yield client


def _create(client: Any, n: int) -> list[str]:
    ids = []
    for i in range(n):
        status = client.create_account(Email=f"member{i}@example.com", AccountName=f"m{i}")
        ids.append(status["CreateAccountStatus"]["AccountId"])
    return ids


def test_lists_every_active_member_across_pages(org: Any) -> None:
    created = _create(org, 25)  # more than one ListAccounts page (moto pages at 20)
    accounts = OrganizationAccounts(lambda: org, cache_seconds=60)
    ids = accounts.member_account_ids()
    master = org.describe_organization()["Organization"]["MasterAccountId"]
    assert ids == frozenset([*created, master])
    assert all(len(i) == 12 and i.isdigit() for i in ids)


def test_answer_is_cached_until_it_expires(org: Any) -> None:
    now = [0.0]
    accounts = OrganizationAccounts(lambda: org, cache_seconds=60, clock=lambda: now[0])
    first = accounts.member_account_ids()
    added = _create(org, 1)[0]
    now[0] = 59.0
    assert accounts.member_account_ids() == first  # cached: the new account is not seen
    now[0] = 61.0
    assert added in accounts.member_account_ids()


def test_cache_survives_a_new_instance_like_a_warm_lambda(org: Any) -> None:
    calls = []

    def factory() -> Any:
        calls.append(1)
        return org

    OrganizationAccounts(factory, cache_seconds=60, clock=lambda: 0.0).member_account_ids()
    OrganizationAccounts(factory, cache_seconds=60, clock=lambda: 1.0).member_account_ids()
    assert len(calls) == 1
