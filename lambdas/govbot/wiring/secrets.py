"""Secrets Manager for the two Slack-facing functions (the notifier and the actions endpoint).

Its own module so the enforcer's and the replicator's assets do not carry it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from govbot.wiring.core import session

if TYPE_CHECKING:
    from govbot.gateways.secrets import SecretsGateway


def secrets_gateway(
    *,
    webhooks_secret_arn: str | None = None,
    signing_secret_arn: str | None = None,
    work_key_secret_arn: str | None = None,
) -> SecretsGateway:
    """Secrets Manager on the process Session (the client is made when first read)."""
    from govbot.gateways.secrets import SecretsGateway

    return SecretsGateway(
        webhooks_secret_arn=webhooks_secret_arn,
        signing_secret_arn=signing_secret_arn,
        work_key_secret_arn=work_key_secret_arn,
        client_factory=lambda: session().client("secretsmanager"),
    )


def secret_string_reader(region: str | None, endpoint_url: str | None) -> Callable[[str], str]:
    """``read(name or ARN) -> SecretString`` on the process Session (``govbot slack check``);
    a secret that cannot be read raises LookupError naming it and the error code."""
    from botocore.exceptions import BotoCoreError, ClientError

    client = session().client("secretsmanager", region_name=region, endpoint_url=endpoint_url)

    def read(secret_id: str) -> str:
        try:
            return str(client.get_secret_value(SecretId=secret_id).get("SecretString", ""))
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "Unknown")
            raise LookupError(f"secret {secret_id!r}: cannot read it ({code})") from exc
        except BotoCoreError as exc:
            raise LookupError(f"secret {secret_id!r}: cannot read it ({exc})") from exc

    return read
