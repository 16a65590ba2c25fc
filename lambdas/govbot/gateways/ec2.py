"""EC2 gateway: the only code in govbot that calls EC2, for AMIs exported from AppStream.

An exported image is an EC2 AMI whose launch permissions share it outside AppStream.
govbot reads them (DescribeImageAttribute), removes those of untrusted accounts
(ModifyImageAttribute) and reads an import's source AMI owner (DescribeImages). Clients
come from ``client_for(account, region)`` (the AppStream gateway's credentials, so the
remediation role in a spoke); botocore errors become ``Ec2GatewayError``.

IAM, per operation (the infra grants read these): ``ec2:DescribeImageAttribute`` and
``ec2:ModifyImageAttribute`` on ``arn:aws:ec2:REGION::image/*``; ``ec2:DescribeImages``
(Resource ``*`` only).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from govbot.exit_facts import PUBLIC_LAUNCH
from govbot.iam import declare

# What each operation needs, next to the call (infra/permissions.py grants these).
declare(
    "ec2",
    {
        "DescribeImageAttribute": "ec2-image",
        "ModifyImageAttribute": "ec2-image",
        "DescribeImages": "*",  # no resource-level permissions
    },
)
_GONE = frozenset({"InvalidAMIID.NotFound", "InvalidAMIID.Unavailable", "InvalidAMIID.Malformed"})


class Ec2GatewayError(Exception):
    """An EC2 call failed: ``code`` is AWS's error code, ``operation`` the API name."""

    def __init__(self, code: str, operation: str, message: str) -> None:
        super().__init__(f"{operation} failed with {code}: {message}")
        self.code = code
        self.operation = operation


class Ec2Gateway:
    """Launch permissions and owners of AMIs, per account and region."""

    def __init__(self, client_for: Callable[[str, str], Any]) -> None:
        self._client_for = client_for

    def _call(self, account_id: str, region: str, operation: str, **kwargs: Any) -> Any:
        client = self._client_for(account_id, region)
        method = getattr(
            client, "".join(f"_{c.lower()}" if c.isupper() else c for c in operation)[1:]
        )
        try:
            return method(**kwargs)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise Ec2GatewayError(
                str(error.get("Code") or "Unknown"), operation, str(error.get("Message") or exc)
            ) from exc
        except BotoCoreError as exc:
            raise Ec2GatewayError(type(exc).__name__, operation, str(exc)) from exc

    def launch_accounts(self, account_id: str, region: str, ami_id: str) -> tuple[str, ...] | None:
        """Who may launch ``ami_id`` (account ids; ``"all"`` when public); None when the AMI
        no longer exists."""
        try:
            found = self._call(
                account_id,
                region,
                "DescribeImageAttribute",
                ImageId=ami_id,
                Attribute="launchPermission",
            )
        except Ec2GatewayError as exc:
            if exc.code in _GONE:
                return None
            raise
        accounts = []
        for permission in found.get("LaunchPermissions") or []:
            if permission.get("UserId"):
                accounts.append(str(permission["UserId"]))
            elif permission.get("Group") == "all":
                accounts.append(PUBLIC_LAUNCH)
        return tuple(sorted(set(accounts)))

    def remove_launch_permissions(
        self, account_id: str, region: str, ami_id: str, accounts: Iterable[str]
    ) -> None:
        """Remove the launch permissions of ``accounts`` (``"all"``: make it private)."""
        removals = [
            {"Group": "all"} if account == PUBLIC_LAUNCH else {"UserId": account}
            for account in sorted(set(accounts))
        ]
        if removals:
            self._call(
                account_id,
                region,
                "ModifyImageAttribute",
                ImageId=ami_id,
                LaunchPermission={"Remove": removals},
            )

    def ami_owner(self, account_id: str, region: str, ami_id: str) -> str | None:
        """The owner account of ``ami_id`` as ``account_id`` sees it; None when not visible."""
        try:
            images = self._call(account_id, region, "DescribeImages", ImageIds=[ami_id])
        except Ec2GatewayError as exc:
            if exc.code in _GONE:
                return None
            raise
        found = images.get("Images") or []
        return str(found[0]["OwnerId"]) if found else None
