"""Organizations gateway: which accounts are members of the organization (ACTIVE only).

The answer changes rarely and ListAccounts is throttled hard, so it is cached at module
level: the cache survives warm Lambda invocations. When Organizations fails, a previously
read value is served (stale, with a warning) rather than stopping governance; with no
cached value the failure is raised as ``OrganizationsError``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from govbot.iam import declare

declare("organizations", {"ListAccounts": "*"})  # lists the whole organization: no resource

logger = logging.getLogger(__name__)

DEFAULT_CACHE_SECONDS = 900.0

# cache_key -> (read at, per ``clock``; account ids). Module level on purpose (warm starts).
_CACHE: dict[str, tuple[float, frozenset[str]]] = {}


class OrganizationsError(RuntimeError):
    """The member accounts could not be read and no earlier answer is cached."""


def clear_cache() -> None:
    """Forget every cached answer (tests; or after an account was added on purpose)."""
    _CACHE.clear()


def _default_client() -> Any:
    return boto3.session.Session().client("organizations")


class OrganizationAccounts:
    """Member account ids of the organization, cached for ``cache_seconds``.

    Examples
    --------
    >>> accounts = OrganizationAccounts(cache_seconds=600)  # doctest: +SKIP
    >>> "111122223333" in accounts.member_account_ids()  # doctest: +SKIP
    True
    """

    def __init__(
        self,
        client_factory: Callable[[], Any] = _default_client,
        cache_seconds: float = DEFAULT_CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        *,
        cache_key: str = "default",
    ) -> None:
        if cache_seconds < 0:
            raise ValueError(f"cache_seconds must be >= 0, got {cache_seconds}")
        self._client_factory = client_factory
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._cache_key = cache_key

    def member_account_ids(self) -> frozenset[str]:
        """ACTIVE member account ids (from cache when younger than ``cache_seconds``)."""
        now = self._clock()
        cached = _CACHE.get(self._cache_key)
        if cached is not None and now - cached[0] < self._cache_seconds:
            return cached[1]
        try:
            accounts = self._read()
        except (ClientError, BotoCoreError) as exc:
            code = (
                exc.response.get("Error", {}).get("Code", "Unknown")
                if isinstance(exc, ClientError)
                else type(exc).__name__
            )
            if cached is not None:
                logger.warning(
                    "Organizations ListAccounts failed (%s); serving the member list read "
                    "%.0f s ago",
                    code,
                    now - cached[0],
                )
                return cached[1]
            raise OrganizationsError(
                f"cannot list the organization's accounts: ListAccounts failed with {code} "
                "and no earlier answer is cached (the caller needs "
                "organizations:ListAccounts on the management or delegated admin account)"
            ) from exc
        _CACHE[self._cache_key] = (now, accounts)
        return accounts

    def account_names(self) -> dict[str, str]:
        """Name of every ACTIVE member account (ListAccounts, not cached: the CLI's report
        labels accounts with them once per run)."""
        try:
            return {account["Id"]: account.get("Name") or "" for account in self._active_accounts()}
        except (ClientError, BotoCoreError) as exc:
            raise OrganizationsError(
                f"cannot list the organization's account names: {exc}"
            ) from exc

    def _active_accounts(self) -> list[dict[str, Any]]:
        paginator = self._client_factory().get_paginator("list_accounts")
        return [
            account
            for page in paginator.paginate()
            for account in page.get("Accounts", [])
            # ``Status`` is being replaced by ``State``; accept whichever is present.
            if (account.get("State") or account.get("Status")) == "ACTIVE"
        ]

    def _read(self) -> frozenset[str]:
        return frozenset(account["Id"] for account in self._active_accounts())
