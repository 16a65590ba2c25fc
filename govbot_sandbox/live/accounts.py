"""Who is who on the live endpoint: access key ids mapped to accounts and identities.

Every request must carry a valid SigV4 signature by one of these access key ids and the
secret ``sandbox`` (:mod:`govbot_sandbox.live.signature`); the access key id then says
which account and principal is calling. Unknown or unsigned callers are refused.
The demo world has four accounts ready, each with a person:

==========================  ============  =========================================
access key id               account       identity
==========================  ============  =========================================
``AKIAOWNERALICE000000``    123456789012  owner: IAM user ``alice``
``ASIAOWNERADMINBOB000``    123456789012  owner: assumed role ``Admin/bob``
``AKIATRUSTEDCAROL0000``    111111111111  trusted account (policy): user ``carol``
``AKIACONSUMERDAVE0000``    222222222222  listed fleet consumer: user ``dave``
``AKIAEXTERNALMALLORY0``    999999999999  external account: user ``mallory``
==========================  ============  =========================================

``--accounts KEY=ARN`` adds (or replaces) one entry; the
account is read from the ARN (``arn:aws:iam::ACCOUNT:user/NAME`` or
``arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from govbot_sandbox.lambda_service import HUB_ACCOUNT

TRUSTED_ACCOUNT = "111111111111"
CONSUMER_ACCOUNT = "222222222222"
EXTERNAL_ACCOUNT = "999999999999"
SECRET_ACCESS_KEY = "sandbox"

_USER_ARN = re.compile(r"^arn:aws:iam::(?P<account>\d{12}):user/(?:[\w+=,.@-]+/)*[\w+=,.@-]+$")
_ROLE_ARN = re.compile(r"^arn:aws:sts::(?P<account>\d{12}):assumed-role/[\w+=,.@-]+/[\w+=,.@-]+$")
_ACCESS_KEY = re.compile(r"^[A-Z0-9]{16,128}$")


@dataclass(frozen=True)
class LiveIdentity:
    """One caller of the live endpoint."""

    access_key_id: str
    account_id: str
    principal_arn: str
    principal_type: str  # "IAMUser" or "AssumedRole"
    role: str = ""  # what the person stands for in the demo world

    @property
    def name(self) -> str:
        """The user or session name (last part of the ARN)."""
        return self.principal_arn.rsplit("/", 1)[-1]


def _user(key: str, account: str, name: str, role: str) -> LiveIdentity:
    return LiveIdentity(key, account, f"arn:aws:iam::{account}:user/{name}", "IAMUser", role)


DEMO_IDENTITIES: tuple[LiveIdentity, ...] = (
    _user("AKIAOWNERALICE000000", HUB_ACCOUNT, "alice", "owner"),
    LiveIdentity(
        "ASIAOWNERADMINBOB000",
        HUB_ACCOUNT,
        f"arn:aws:sts::{HUB_ACCOUNT}:assumed-role/Admin/bob",
        "AssumedRole",
        "owner (assumed role)",
    ),
    _user("AKIATRUSTEDCAROL0000", TRUSTED_ACCOUNT, "carol", "trusted"),
    _user("AKIACONSUMERDAVE0000", CONSUMER_ACCOUNT, "dave", "listed fleet consumer"),
    _user("AKIAEXTERNALMALLORY0", EXTERNAL_ACCOUNT, "mallory", "external"),
)


def parse_identity(spec: str) -> LiveIdentity:
    """``KEY=ARN`` -> a ``LiveIdentity``; ``ValueError`` says what is wrong.

    Example: ``AKIAEXAMPLE000000001=arn:aws:iam::444455556666:user/erin``.
    """
    key, sep, arn = spec.partition("=")
    if not sep:
        raise ValueError(f"--accounts {spec!r}: expected KEY=ARN")
    if not _ACCESS_KEY.match(key):
        raise ValueError(
            f"--accounts {spec!r}: access key id must be 16-128 upper-case letters or digits"
        )
    user = _USER_ARN.match(arn)
    if user:
        return LiveIdentity(key, user["account"], arn, "IAMUser", "custom")
    role = _ROLE_ARN.match(arn)
    if role:
        return LiveIdentity(key, role["account"], arn, "AssumedRole", "custom")
    raise ValueError(
        f"--accounts {spec!r}: ARN must be arn:aws:iam::<12 digits>:user/NAME or "
        "arn:aws:sts::<12 digits>:assumed-role/ROLE/SESSION"
    )


def identity_map(extra: list[LiveIdentity] | None = None) -> dict[str, LiveIdentity]:
    """The demo identities plus ``extra`` (which win on the same access key id)."""
    found = {i.access_key_id: i for i in DEMO_IDENTITIES}
    found.update({i.access_key_id: i for i in extra or []})
    return found
