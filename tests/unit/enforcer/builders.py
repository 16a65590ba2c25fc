"""Test data for the enforcer: CloudTrail envelopes, a small policy, wired dependencies."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from govbot.domain import ImageRef, Permissions
from govbot.enforcer.logic import Enforcer
from govbot.enforcer.ports import EnforcerDeps
from govbot.enforcer.work import signed_envelope
from govbot.policy.exemptions import Exemption
from govbot.policy.judge import Judge
from govbot.policy.loader import parse_policy
from govbot.policy.models import Policy
from tests.fakes import T0, FakeAppStream, FakeClock, FakeLedger

# The key the actions function signs deferred work with (Secrets Manager when deployed).
WORK_KEY = b"unit-test-work-signing-key-0123456789abcdef"

OWNER = "123456789012"
REGION = "us-east-1"
TRUSTED = "111111111111"
PARTNER = "222222222222"
OUTSIDER = "999999999999"
ALICE = f"arn:aws:iam::{OWNER}:user/alice"
BOT = f"arn:aws:sts::{OWNER}:assumed-role/govbot-remediation/enforcer"
BOT_PATTERN = "arn:aws:sts::*:assumed-role/govbot-remediation/*"
GRANT_TIME = "2026-11-27T15:59:30Z"

POLICY = """\
version: 1
mode: {mode}
trusted_accounts:
  - id: "111111111111"
    name: shared-services
rules:
  - id: no-untrusted-builders
    type: no_image_builder_for_untrusted
    description: Only trusted accounts may build from our images.
  - id: prod-fleet-consumers
    type: fleet_only_for_listed
    description: Production images run only in listed accounts.
    accounts: ["222222222222"]
    include_trusted: true
    images:
      names: ["prod-*"]
  - id: secrets-never-shared
    type: never_share
    description: Confidential images are never shared.
    images:
      tags: {{classification: confidential}}
approvers: [U0APPROVER]
"""


def policy(mode: str = "enforce") -> Policy:
    """The unit-test policy, in ``mode``."""
    return parse_policy(POLICY.format(mode=mode), source="tests/unit/enforcer")


def ref(name: str = "app-base", account: str = OWNER, region: str = REGION) -> ImageRef:
    return ImageRef(account_id=account, region=region, name=name)


def perms(fleet: bool = False, builder: bool = False) -> Permissions:
    return Permissions(allow_fleet=fleet, allow_image_builder=builder)


def envelope(
    event_name: str,
    params: dict[str, Any],
    *,
    event_id: str = "ev-1",
    actor: str = ALICE,
    event_time: str = GRANT_TIME,
    **record: Any,
) -> dict[str, Any]:
    """An EventBridge envelope of an AppStream API call by ``actor``."""
    detail: dict[str, Any] = {
        "eventVersion": "1.08",
        "userIdentity": {"type": "IAMUser", "arn": actor, "accountId": OWNER},
        "eventTime": event_time,
        "eventSource": "appstream.amazonaws.com",
        "eventName": event_name,
        "awsRegion": REGION,
        "requestParameters": params,
        "responseElements": None,
        "eventID": event_id,
        "eventType": "AwsApiCall",
        "recipientAccountId": OWNER,
    }
    detail.update(record)
    return {
        "version": "0",
        "id": f"env-{event_id}",
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.appstream",
        "account": OWNER,
        "time": event_time,
        "region": REGION,
        "resources": [],
        "detail": detail,
    }


def share_event(
    name: str, account: str, *, fleet: bool, builder: bool, **kwargs: Any
) -> dict[str, Any]:
    """UpdateImagePermissions as CloudTrail records it (lowerCamel parameters)."""
    params = {
        "name": name,
        "sharedAccountId": account,
        "imagePermissions": {"allowFleet": fleet, "allowImageBuilder": builder},
    }
    return envelope("UpdateImagePermissions", params, **kwargs)


def work(operation: str, image_arn: str, account: str, **extra: Any) -> str:
    """A deferred-work envelope as the actions endpoint puts it on the enforcer's queue."""
    detail = {
        "operation": operation,
        "image_arn": image_arn,
        "account_id": account,
        "requested_by": "slack:user/U0APPROVER",
        **extra,
    }
    return json.dumps(signed_envelope(detail, WORK_KEY, T0))


@dataclass
class World:
    """An enforcer wired to in-memory fakes, with the fakes at hand."""

    appstream: FakeAppStream
    ledger: FakeLedger
    clock: FakeClock
    enforcer: Enforcer


def world(
    mode: str = "enforce",
    *,
    exemptions: tuple[Exemption, ...] = (),
    self_principals: tuple[str, ...] = (BOT_PATTERN,),
    the_policy: Policy | None = None,
    org_accounts: frozenset[str] = frozenset(),
) -> World:
    """A fresh enforcer over empty fakes, governing ``OWNER`` in ``REGION``."""
    clock = FakeClock()
    appstream = FakeAppStream()
    ledger = FakeLedger(clock=clock)
    the_policy = the_policy or policy(mode)
    deps = EnforcerDeps(
        appstream=appstream,
        ledger=ledger,
        judge=Judge(
            lambda: the_policy,
            org_accounts=lambda: org_accounts,
            exemptions=lambda _now: exemptions,
            clock=clock,
        ),
        governed_accounts=frozenset({OWNER}),
        governed_regions=frozenset({REGION}),
        self_principals=self_principals,
        bot_principal_arn=BOT,
        clock=clock,
        work_key=lambda: WORK_KEY,
    )
    return World(appstream, ledger, clock, Enforcer(deps))
