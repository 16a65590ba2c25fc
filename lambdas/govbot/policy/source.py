"""The policy the functions run with: read from SSM through the gateway, parsed once per version."""

from __future__ import annotations

import hashlib
import threading
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from govbot.policy.models import Policy


class ParameterReader(Protocol):
    """The SSM gateway's read (``govbot.gateways.ssm.ParameterStore``)."""

    def get(self, name: str, *, max_age: float) -> str: ...


class PolicySource:
    """The policy text from SSM (cached ``max_age`` seconds), parsed once per version.

    >>> PolicySource(store, "/govbot/policy", max_age=60)()  # doctest: +SKIP
    """

    def __init__(self, store: ParameterReader, parameter_name: str, *, max_age: int = 60) -> None:
        self._store = store
        self._name = parameter_name
        self._max_age = max_age
        self._lock = threading.Lock()
        self._digest = ""
        self._policy: Policy | None = None

    def __call__(self) -> Policy:
        from govbot.policy.document import parse_policy_json

        text = self._store.get(self._name, max_age=self._max_age)
        digest = hashlib.sha256(text.encode()).hexdigest()
        with self._lock:
            if self._policy is None or digest != self._digest:
                # A bad policy raises PolicyError naming the parameter and the field.
                self._policy = parse_policy_json(text, source=f"ssm:{self._name}")
                self._digest = digest
            return self._policy

    def latest(self) -> Policy:
        """The policy last read, without another SSM round trip (reads it if none yet)."""
        return self._policy if self._policy is not None else self()
