"""Secrets Manager gateway: Slack webhook URLs, the Slack signing secret and the key that
signs govbot's deferred work (actions function -> enforcer).

Reads go through Powertools Parameters (``SecretsProvider.get`` with ``max_age`` caching,
the same machinery ``parameters.get_secret`` uses) so a warm Lambda does not call Secrets
Manager on every message, and a rotated secret is picked up within ``max_age`` seconds.
Secret values never appear in an error message or a log line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from govbot.iam import declare

declare("secretsmanager", {"GetSecretValue": "slack-secret"})

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.parameters import SecretsProvider

DEFAULT_MAX_AGE_SECONDS = 300


class SecretError(RuntimeError):
    """A secret is missing or has the wrong shape (never includes the secret's value)."""


class SecretSource(Protocol):
    """What the notifier and the actions endpoint need from a secret store."""

    def webhook_urls(self) -> dict[str, str]:
        """``{route_name: webhook_url}``."""
        ...

    def signing_secret(self) -> str:
        """The Slack app's signing secret."""
        ...


class SecretsGateway:
    """Secrets Manager via Powertools Parameters, cached for ``max_age`` seconds.

    Examples
    --------
    >>> gw = SecretsGateway(webhooks_secret_arn=arn)  # doctest: +SKIP
    >>> gw.webhook_urls()["security"]  # doctest: +SKIP
    """

    def __init__(
        self,
        *,
        webhooks_secret_arn: str | None = None,
        signing_secret_arn: str | None = None,
        work_key_secret_arn: str | None = None,
        max_age: int = DEFAULT_MAX_AGE_SECONDS,
        client: Any = None,
        client_factory: Callable[[], Any] | None = None,
        provider: SecretsProvider | None = None,
    ) -> None:
        self._webhooks_arn = webhooks_secret_arn
        self._signing_arn = signing_secret_arn
        self._work_key_arn = work_key_secret_arn
        self._max_age = max_age
        self._client = client
        self._client_factory = client_factory
        # A provider per gateway keeps caches of different tests/tables apart. Made on the
        # first read: Powertools Parameters and the client cost nothing until a secret is.
        self._provider_value = provider

    @property
    def _provider(self) -> SecretsProvider:
        if self._provider_value is None:
            from aws_lambda_powertools.utilities.parameters import SecretsProvider

            client = self._client
            if client is None and self._client_factory is not None:
                client = self._client_factory()
            self._provider_value = SecretsProvider(boto3_client=client)
        return self._provider_value

    def webhook_urls(self) -> dict[str, str]:
        """Read the webhooks secret: a JSON object ``{route_name: https URL}``."""
        from aws_lambda_powertools.utilities.parameters.exceptions import (
            GetParameterError,
            TransformParameterError,
        )

        arn = self._require(self._webhooks_arn, "SLACK_WEBHOOKS_SECRET_ARN")
        try:
            value = self._provider.get(arn, max_age=self._max_age, transform="json")
        except TransformParameterError as exc:
            raise SecretError(
                f"secret {arn}: expected a JSON object {{route_name: webhook_url}}, "
                "got text that is not JSON"
            ) from exc
        except GetParameterError as exc:
            raise SecretError(
                f"secret {arn}: cannot read it ({type(exc.__cause__).__name__})"
            ) from exc
        if not isinstance(value, dict):
            raise SecretError(
                f"secret {arn}: expected a JSON object {{route_name: webhook_url}}, "
                f"got {type(value).__name__}"
            )
        bad = sorted(
            str(k) for k, v in value.items() if not isinstance(v, str) or not v.startswith("http")
        )
        if bad:
            raise SecretError(f"secret {arn}: values of keys {bad} are not http(s) URLs")
        return {str(k): str(v) for k, v in value.items()}

    def signing_secret(self) -> str:
        """Read the Slack signing secret (a plain string secret)."""
        from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

        arn = self._require(self._signing_arn, "SLACK_SIGNING_SECRET_ARN")
        try:
            value = self._provider.get(arn, max_age=self._max_age)
        except GetParameterError as exc:
            raise SecretError(
                f"secret {arn}: cannot read it ({type(exc.__cause__).__name__})"
            ) from exc
        if not isinstance(value, str) or not value.strip():
            raise SecretError(f"secret {arn}: expected a non-empty string signing secret")
        return value.strip()

    def work_signing_key(self) -> bytes:
        """Read the key that signs deferred work (a plain string secret, >= 32 bytes)."""
        from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

        arn = self._require(self._work_key_arn, "WORK_SIGNING_SECRET_ARN")
        try:
            value = self._provider.get(arn, max_age=self._max_age)
        except GetParameterError as exc:
            raise SecretError(
                f"secret {arn}: cannot read it ({type(exc.__cause__).__name__})"
            ) from exc
        if not isinstance(value, str) or len(value.strip().encode("utf-8")) < 32:
            raise SecretError(f"secret {arn}: expected a string of at least 32 bytes")
        return value.strip().encode("utf-8")

    @staticmethod
    def _require(arn: str | None, env_name: str) -> str:
        if not arn:
            raise SecretError(f"no secret configured: set {env_name} to a Secrets Manager ARN")
        return arn


class StaticSecrets:
    """In-memory :class:`SecretSource` for tests and the sandbox."""

    def __init__(self, webhooks: dict[str, str] | None = None, signing: str | None = None):
        self._webhooks = dict(webhooks or {})
        self._signing = signing

    def webhook_urls(self) -> dict[str, str]:
        """The configured webhooks."""
        return dict(self._webhooks)

    def signing_secret(self) -> str:
        """The configured signing secret."""
        if not self._signing:
            raise SecretError("no signing secret configured")
        return self._signing
