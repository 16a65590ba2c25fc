"""STS gateway: who am I (the CLI's default account). AssumeRole stays in the AppStream
gateway, which owns the assumed-role clients it makes with it."""

from __future__ import annotations

from typing import Any


class CallerIdentityError(RuntimeError):
    """GetCallerIdentity failed (no credentials, or no network)."""


def caller_account(client: Any) -> str:
    """The 12-digit account id of the credentials behind ``client`` (an STS client)."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return str(client.get_caller_identity()["Account"])
    except (ClientError, BotoCoreError) as exc:
        raise CallerIdentityError(
            f"cannot tell which account the credentials belong to: {exc}"
        ) from exc
