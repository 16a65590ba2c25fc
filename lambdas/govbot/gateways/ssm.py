"""SSM gateway: one GetParameter per name per ``max_age`` seconds (warm containers reuse it).

A plain GetParameter with a monotonic-clock cache, not Powertools Parameters: the policy is
the only parameter govbot reads, and importing ``parameters`` costs the enforcer's and
the replicator's cold start ~30 ms of CPU (measured, three fresh processes) for a cache of
a dozen lines. The notifier and the Slack endpoint read secrets through Powertools'
``SecretsProvider`` (gateways/secrets.py), which they need anyway.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from govbot.iam import declare

declare("ssm", {"GetParameter": "policy-parameter"})


class ParameterError(RuntimeError):
    """The parameter could not be read; names it and AWS's error code (never its value)."""


class ParameterStore:
    """String parameters from SSM, each cached for ``max_age`` seconds (0: read every time)."""

    def __init__(
        self,
        client_factory: Callable[[], Any],
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client_factory = client_factory
        self._client: Any = None
        self._clock = clock
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, str]] = {}

    def get(self, name: str, *, max_age: float) -> str:
        """The parameter's value (decrypted), from cache when younger than ``max_age``."""
        now = self._clock()
        with self._lock:
            cached = self._cache.get(name)
        if cached is not None and now - cached[0] < max_age:
            return cached[1]
        value = self._read(name)
        with self._lock:
            self._cache[name] = (now, value)
        return value

    def _read(self, name: str) -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        if self._client is None:
            self._client = self._client_factory()
        try:
            response = self._client.get_parameter(Name=name, WithDecryption=True)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "Unknown")
            raise ParameterError(f"SSM parameter {name}: GetParameter failed with {code}") from exc
        except BotoCoreError as exc:
            raise ParameterError(f"SSM parameter {name}: {type(exc).__name__}: {exc}") from exc
        return str(response["Parameter"]["Value"])
