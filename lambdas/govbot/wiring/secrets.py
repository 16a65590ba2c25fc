"""Secrets Manager for the two Slack-facing functions (the notifier and the actions endpoint).

Its own module so the enforcer's and the replicator's assets do not carry it.
"""

from __future__ import annotations

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
