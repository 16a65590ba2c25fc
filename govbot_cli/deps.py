"""What the CLI reaches outside the process, behind factories tests replace with fakes.

The defaults build the real gateways (ambient AWS credentials, or an ``--endpoint-url``
such as the sandbox emulator). Nothing is created until a command needs it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from govbot.clock import utcnow
from govbot.domain import ImageRef, ImageSnapshot


class ImageReader(Protocol):
    """The read-only part of ``AppStreamGateway`` that ``govbot check`` uses."""

    def describe_image(
        self, ref: ImageRef, *, listed: bool = True, tags: bool = True
    ) -> ImageSnapshot | None: ...

    def list_images(self, account_id: str, region: str) -> Iterator[ImageSnapshot]: ...


class UsageReader(Protocol):
    """What ``govbot check`` reads for images others share with the accounts (inbound)."""

    def list_images(
        self, account_id: str, region: str, *, visibility: Any = "PRIVATE", details: bool = True
    ) -> Iterator[ImageSnapshot]: ...

    def list_fleets(self, account_id: str, region: str) -> list[Any]: ...

    def list_image_builders(self, account_id: str, region: str) -> list[Any]: ...


class LedgerReader(Protocol):
    """The query part of ``govbot.ledger.Ledger`` that ``govbot ledger`` uses."""

    def by_image(
        self, image_arn: str, start: Any = None, end: Any = None, kinds: Any = None, *, limit: Any
    ) -> list[Any]: ...

    def by_account(
        self,
        shared_account_id: str,
        start: Any = None,
        end: Any = None,
        kinds: Any = None,
        *,
        limit: Any,
    ) -> list[Any]: ...

    def by_time(
        self, start: datetime, end: datetime, kinds: Iterable[str] | None = None, *, limit: Any
    ) -> list[Any]: ...

    def get_event(self, event_id: str) -> Any: ...

    def events_by_status(self, status: Any, *, limit: Any) -> list[Any]: ...

    def outbox_by_status(self, status: Any, limit: int = 100) -> list[Any]: ...


def default_appstream(endpoint_url: str | None) -> ImageReader:
    """An ``AppStreamGateway`` with the ambient credentials (no role assumption)."""
    from govbot import wiring
    from govbot.gateways.appstream import AppStreamGateway

    return AppStreamGateway(wiring.session(), endpoint_url=endpoint_url)


def default_exits(reader: Any) -> Any:
    """An ``ExitReader`` over an ``AppStreamGateway`` reader (its credentials per account,
    EC2 for exported AMIs); None for any other reader (no exit facts)."""
    from govbot.enforcer.exits import ExitReader
    from govbot.gateways.appstream import AppStreamGateway
    from govbot.gateways.appstream_exits import AppStreamExits
    from govbot.gateways.ec2 import Ec2Gateway

    if not isinstance(reader, AppStreamGateway):
        return None
    return ExitReader(
        AppStreamExits(reader),
        Ec2Gateway(lambda account, region: reader.service_client("ec2", account, region)),
    )


def default_appstream_as(
    endpoint_url: str | None, profile: str | None, role_arn_for: Callable[[str], str | None]
) -> ImageReader:
    """An ``AppStreamGateway`` with a named profile and/or a role to assume per account."""
    from govbot import wiring
    from govbot.gateways.appstream import AppStreamGateway

    return AppStreamGateway(
        wiring.session(profile=profile),
        role_arn_for=role_arn_for,
        endpoint_url=endpoint_url,
    )


def default_org_members(
    profile: str | None, endpoint_url: str | None, cache_seconds: float
) -> frozenset[str]:
    """ACTIVE members of the AWS Organization, through the functions' cached gateway."""
    from govbot import wiring
    from govbot.gateways.organizations import OrganizationAccounts

    def client() -> Any:
        return wiring.session(profile=profile).client("organizations", endpoint_url=endpoint_url)

    return OrganizationAccounts(client, cache_seconds=cache_seconds).member_account_ids()


def default_org_names(profile: str | None, endpoint_url: str | None) -> dict[str, str]:
    """Names of the AWS Organization's ACTIVE members (ListAccounts through the gateway)."""
    from govbot import wiring
    from govbot.gateways.organizations import OrganizationAccounts

    def client() -> Any:
        return wiring.session(profile=profile).client("organizations", endpoint_url=endpoint_url)

    return OrganizationAccounts(client, cache_seconds=0).account_names()


def default_caller_account(
    region: str, profile: str | None = None, endpoint_url: str | None = None
) -> str:
    """The account of the credentials in use (STS GetCallerIdentity): the named
    ``profile``'s (``--profile``) when given, else the ambient ones; ``endpoint_url`` asks
    another STS (the sandbox answers STS on its one endpoint)."""
    from govbot import wiring
    from govbot.gateways.sts import caller_account

    client = wiring.session(profile=profile).client(
        "sts", region_name=region, endpoint_url=endpoint_url
    )
    return caller_account(client)


def default_ledger(
    table_name: str,
    region: str | None,
    endpoint_url: str | None = None,
    *,
    profile: str | None = None,
) -> LedgerReader:
    """A ``Ledger`` on ``table_name`` with a DynamoDB client in ``region`` (None: ambient),
    with the named ``profile``'s credentials when given."""
    from govbot import wiring
    from govbot.ledger import Ledger
    from govbot.ledger._core import RETRY_CONFIG

    client = wiring.session(profile=profile).client(
        "dynamodb", region_name=region, endpoint_url=endpoint_url, config=RETRY_CONFIG
    )
    return Ledger(table_name, client=client)


def _default_secret_reader(region: str | None, endpoint_url: str | None) -> Callable[[str], str]:
    from govbot_cli.slack_cmd import default_secret_reader

    return default_secret_reader(region, endpoint_url)


@dataclass
class CliDeps:
    """Factories for everything outside the process; replace any of them in tests."""

    appstream: Callable[[str | None], ImageReader] = default_appstream
    # (region, profile[, endpoint_url]) -> the caller's account id (STS GetCallerIdentity)
    caller_account: Callable[..., str] = default_caller_account
    ledger: Callable[..., LedgerReader] = default_ledger
    appstream_as: Callable[[str | None, str | None, Callable[[str], str | None]], ImageReader] = (
        default_appstream_as
    )
    org_members: Callable[[str | None, str | None, float], frozenset[str]] = default_org_members
    # Member account names, for the report's labels (read when members are read).
    org_names: Callable[[str | None, str | None], dict[str, str]] = default_org_names
    # Exports to AMIs and builders' settings, read when a rule judges them (None: not read).
    exits: Callable[[Any], Any] = default_exits
    now: Callable[[], datetime] = field(default=utcnow)
    # (region, endpoint_url) -> read(secret name or ARN) -> its string (govbot slack check)
    secret_reader: Callable[[str | None, str | None], Callable[[str], str]] = field(
        default_factory=lambda: _default_secret_reader
    )
