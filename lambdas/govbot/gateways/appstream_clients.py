"""The AppStream gateway's clients: one per account+region, in a spoke through AssumeRole.

Clients are created lazily per (account, region) from one base boto3 session (injectable:
real AWS, moto, the sandbox emulator), retry throttling with backoff (govbot's own retry
conditions, see :mod:`govbot.gateways.retries`) and act in a spoke account with STS
credentials, refreshed before they expire. :class:`~govbot.gateways.appstream.AppStreamGateway`
owns one :class:`ClientPool`; the IAM both need is declared there.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import partial
from typing import Any, Literal

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from govbot import __version__
from govbot.gateways.appstream_wire import translate_error
from govbot.gateways.retries import RetrySettings, install_retries

USER_AGENT_MARKER = f"govbot/{__version__}"
ASSUMED_SESSION_NAME = "govbot"
# Refresh assumed-role credentials this long before they expire, so a call never starts
# with credentials that die mid-flight.
CREDENTIAL_REFRESH_MARGIN_SECONDS = 300
RetryMode = Literal["govbot", "adaptive", "standard"]

# A boto3 ``Session`` or anything with its ``client(service_name, region_name=, ...)``.
SessionLike = Any


class _AssumedRole:
    """Clients with assumed-role credentials, made by the process's one base Session.

    A Session per assumed role would reload botocore's endpoint and model data each time;
    the base Session's ``client(..., aws_access_key_id=...)`` reuses what it has loaded.
    """

    def __init__(self, base: SessionLike, credentials: Mapping[str, Any]) -> None:
        self._base = base
        self._credentials = {
            "aws_access_key_id": credentials["AccessKeyId"],
            "aws_secret_access_key": credentials["SecretAccessKey"],
            "aws_session_token": credentials["SessionToken"],
        }

    def client(self, service_name: str, **kwargs: Any) -> Any:
        return self._base.client(service_name, **self._credentials, **kwargs)


class ClientPool:
    """Cached clients per (account, region), each made with the credentials that place needs.

    ``role_arn_for``: ``account_id -> role ARN | None``; None means "use the base
    session's credentials". ``session_factory`` builds a session from STS credentials
    (default: clients of the base session with those credentials). ``clock``: epoch
    seconds, for assumed-credential expiry.
    """

    def __init__(
        self,
        session: SessionLike | None = None,
        *,
        role_arn_for: Callable[[str], str | None] | None = None,
        session_factory: Callable[[Mapping[str, Any]], SessionLike] | None = None,
        retry_mode: RetryMode = "govbot",
        max_attempts: int | None = None,
        retry: RetrySettings | None = None,
        endpoint_url: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._session = session or boto3.session.Session()
        self._role_arn_for = role_arn_for or (lambda _account: None)
        self._session_factory = session_factory or partial(_AssumedRole, self._session)
        self._endpoint_url = endpoint_url
        self._clock = clock
        # "govbot": botocore's retry conditions without its per-client quota (see
        # govbot.gateways.retries); "standard"/"adaptive" are botocore's own, quota included.
        self._retry = retry or RetrySettings()
        if max_attempts is not None:
            self._retry = RetrySettings(
                max_attempts, self._retry.base_seconds, self._retry.cap_seconds
            )
        self._retry_mode = retry_mode
        self._config = Config(
            retries={
                "mode": "standard" if retry_mode == "govbot" else retry_mode,
                "total_max_attempts": self._retry.max_attempts,
            },
            user_agent_extra=USER_AGENT_MARKER,
        )
        self._assumed: dict[str, tuple[SessionLike, float]] = {}
        self._clients: dict[tuple[str, str], tuple[Any, SessionLike]] = {}
        # Clients are thread-safe, sessions are not: the drift sweep calls from several
        # threads, so making a session or a client is serialised here.
        self._client_lock = threading.RLock()

    # -- sessions and clients --

    def session_for(self, account_id: str, region: str) -> SessionLike:
        role_arn = self._role_arn_for(account_id)
        if role_arn is None:
            return self._session
        cached = self._assumed.get(role_arn)
        if cached and cached[1] - CREDENTIAL_REFRESH_MARGIN_SECONDS > self._clock():
            return cached[0]
        sts = self._session.client("sts", region_name=region, config=self._config)
        try:
            credentials = sts.assume_role(RoleArn=role_arn, RoleSessionName=ASSUMED_SESSION_NAME)[
                "Credentials"
            ]
        except (ClientError, BotoCoreError) as exc:
            raise translate_error(exc, "AssumeRole") from exc
        expiration = credentials["Expiration"]
        expires_at = expiration.timestamp() if isinstance(expiration, datetime) else 0.0
        session = self._session_factory(credentials)
        self._assumed[role_arn] = (session, expires_at)
        return session

    def client(self, account_id: str, region: str) -> Any:
        """The AppStream client for ``account_id`` in ``region`` (created once, then reused).

        Safe to call from several threads (the drift sweep's lanes).
        """
        with self._client_lock:
            session = self.session_for(account_id, region)
            cached = self._clients.get((account_id, region))
            if cached is not None and cached[1] is session:
                return cached[0]
            new_client = session.client(
                "appstream",
                region_name=region,
                config=self._config,
                endpoint_url=self._endpoint_url,
            )
            if self._retry_mode == "govbot":
                install_retries(new_client, self._retry)
            self._clients[(account_id, region)] = (new_client, session)
            return new_client

    def service_client(self, service: str, account_id: str, region: str) -> Any:
        """A ``service`` client (EC2: exported AMIs) with the credentials this gateway uses
        in ``account_id`` (the remediation role in a spoke), made once per account+region."""
        with self._client_lock:
            session = self.session_for(account_id, region)
            key = (f"{service}:{account_id}", region)
            cached = self._clients.get(key)
            if cached is not None and cached[1] is session:
                return cached[0]
            new_client = session.client(service, region_name=region, config=self._config)
            self._clients[key] = (new_client, session)
            return new_client
