"""Who is calling: resolve the caller from the SigV4 access key id.

Order: (1) the emulator's explicit registry, (2) credentials issued by moto's STS
AssumeRole (so a hub that assumes a spoke role acts in the spoke account), (3) moto IAM
user access keys, (4) a default sandbox user in ``MOTO_ACCOUNT_ID`` or 123456789012.
Signatures are parsed, never verified: the emulator trusts its callers.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)

DEFAULT_ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"
PRINCIPAL_TYPES = frozenset({"IAMUser", "AssumedRole", "Root", "FederatedUser", "AWSService"})

_CREDENTIAL = re.compile(
    r"Credential=(?P<akid>[^/\s,]+)/(?P<date>\d{8})/(?P<region>[^/\s,]+)/(?P<service>[^/\s,]+)/"
)
_HOST_REGION = re.compile(r"^appstream2(?:-fips)?\.(?P<region>[a-z0-9-]+)\.")
_ACCOUNT = re.compile(r"^\d{12}$")


@dataclass(frozen=True)
class SigV4Scope:
    """The parts of a SigV4 credential scope the emulator uses."""

    access_key_id: str
    region: str
    service: str


@dataclass(frozen=True)
class Identity:
    """A resolved caller."""

    account_id: str
    principal_arn: str
    principal_type: str


def parse_authorization(authorization: str) -> SigV4Scope | None:
    """Read access key id, region and service from a SigV4 ``Authorization`` header."""
    match = _CREDENTIAL.search(authorization or "")
    if match is None:
        return None
    return SigV4Scope(match["akid"], match["region"], match["service"])


def region_from_host(url: str) -> str | None:
    """The region in an ``appstream2.<region>.amazonaws.com`` URL, if any."""
    host = urlsplit(url).hostname or ""
    match = _HOST_REGION.match(host)
    return match["region"] if match else None


def default_account_id() -> str:
    """The sandbox default account: env ``MOTO_ACCOUNT_ID`` or 123456789012."""
    return os.environ.get("MOTO_ACCOUNT_ID") or DEFAULT_ACCOUNT_ID


class IdentityResolver:
    """Maps access key ids to identities (registry, then moto STS/IAM, then default)."""

    def __init__(self) -> None:
        self._registry: dict[str, Identity] = {}
        self._lock = threading.Lock()

    def register(
        self,
        access_key_id: str,
        account_id: str,
        principal_arn: str | None = None,
        principal_type: str = "IAMUser",
    ) -> Identity:
        """Register who ``access_key_id`` is; the ARN defaults to a user named after the key."""
        if not access_key_id:
            raise ValueError("register_identity: access_key_id must be a non-empty string")
        if not _ACCOUNT.match(account_id):
            raise ValueError(
                f"register_identity({access_key_id!r}): account_id must be 12 digits, "
                f"got {account_id!r}"
            )
        if principal_type not in PRINCIPAL_TYPES:
            raise ValueError(
                f"register_identity({access_key_id!r}): principal_type must be one of "
                f"{sorted(PRINCIPAL_TYPES)}, got {principal_type!r}"
            )
        arn = principal_arn or f"arn:aws:iam::{account_id}:user/{access_key_id}"
        if not arn.startswith("arn:"):
            raise ValueError(
                f"register_identity({access_key_id!r}): principal_arn must be an ARN, got {arn!r}"
            )
        identity = Identity(account_id, arn, principal_type)
        with self._lock:
            self._registry[access_key_id] = identity
        return identity

    def resolve(self, access_key_id: str) -> Identity:
        """The identity of ``access_key_id`` (never fails: falls back to the default)."""
        with self._lock:
            registered = self._registry.get(access_key_id)
        if registered is not None:
            return registered
        if access_key_id:
            found = _from_moto(access_key_id)
            if found is not None:
                return found
        account = default_account_id()
        return Identity(account, f"arn:aws:iam::{account}:user/sandbox-user", "IAMUser")


def _from_moto(access_key_id: str) -> Identity | None:
    # Only look if moto is already imported: importing it here would be slow and pointless.
    if "moto.sts.models" not in sys.modules and "moto.iam.models" not in sys.modules:
        return None
    try:
        return _from_moto_sts(access_key_id) or _from_moto_iam(access_key_id)
    except Exception:  # moto internals may change; identity must still resolve
        logger.warning("moto identity lookup failed for %s", access_key_id, exc_info=True)
        return None


def _loaded_backends(backend_dict: Any) -> list[Any]:
    # dict.values() on moto's BackendDict/AccountSpecificBackend lists only backends that
    # exist, without creating new ones the way item access would.
    found: list[Any] = []
    for account in list(dict.values(backend_dict)):
        found.extend(list(dict.values(account)))
    return found


def _from_moto_sts(access_key_id: str) -> Identity | None:
    module = sys.modules.get("moto.sts.models")
    if module is None:
        return None
    for backend in _loaded_backends(module.sts_backends):
        role = backend.get_assumed_role_from_access_key(access_key_id)
        if role is not None:
            return Identity(role.account_id, role.arn, "AssumedRole")
    return None


def _from_moto_iam(access_key_id: str) -> Identity | None:
    module = sys.modules.get("moto.iam.models")
    if module is None:
        return None
    for backend in _loaded_backends(module.iam_backends):
        user = backend.get_user_from_access_key_id(access_key_id)
        if user is not None:
            return Identity(user.account_id, user.arn, "IAMUser")
    return None
