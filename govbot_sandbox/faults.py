"""Faults the sandbox injects beyond the emulator's: DynamoDB errors and process deaths.

- :class:`DynamoFaults`: the emulator's :class:`FaultConfig` (per operation: latency,
  transient 5xx, throttling, forced error codes) applied to DynamoDB calls made through
  the boto3 Session the sandbox hands the handlers' composition root (their ledger
  clients come from it). The failed call never reaches moto, so nothing is written.
- :class:`Crashes`: the next AppStream call of an operation kills the function's process,
  before AppStream applied it (between govbot's recorded intent and the call) or after
  (between the call and the ledger commit). :class:`ProcessDied` is a ``BaseException``:
  no ``except Exception`` in govbot or Powertools stops it, as nothing stops a real crash;
  the sandbox's Lambda service returns the whole batch to its queue.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Literal

from botocore.awsrequest import AWSResponse, HTTPHeaders

from govbot_sandbox.emulator.faults import FaultConfig


class ProcessDied(BaseException):
    """The function's process died (an injected crash)."""


class DynamoFaults(FaultConfig):
    """Fault rules for DynamoDB operations (``TransactWriteItems``, ``PutItem``, ``*``...)."""

    def __init__(self, seed: int = 0) -> None:
        super().__init__(seed=seed)
        self._session: Any = None

    def install(self, session: Any) -> None:
        """Hook into ``session`` (a boto3 Session): its clients created afterwards see the
        faults; the test's own clients (another Session) do not."""
        self.uninstall()
        self._session = session
        self._session.events.register_first(
            "before-call.dynamodb", self._before_call, unique_id="govbot-sandbox-faults"
        )

    def uninstall(self) -> None:
        if self._session is not None:
            self._session.events.unregister(
                "before-call.dynamodb", unique_id="govbot-sandbox-faults"
            )
            self._session = None

    def _before_call(self, model: Any, **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        decision = self.decide(model.name)
        if decision.latency:  # a slow DynamoDB: the call holds its caller this long
            time.sleep(decision.latency)
        error = decision.error
        if error is None:
            return None
        response = AWSResponse("https://dynamodb.sandbox/", error.status, HTTPHeaders(), None)
        parsed = {
            "Error": {"Code": error.code, "Message": error.message},
            "ResponseMetadata": {"HTTPStatusCode": error.status},
        }
        return response, parsed


class Crashes:
    """Kill the process at the next call of an AppStream operation (see the module doc)."""

    def __init__(self) -> None:
        self._plans: dict[str, list[Literal["before", "after"]]] = {}
        self._lock = threading.Lock()
        self.fired: list[tuple[str, str]] = []

    def next_call(self, operation: str, when: Literal["before", "after"]) -> None:
        """The next ``operation`` call dies ``before`` AppStream applies it, or ``after``."""
        if when not in ("before", "after"):
            raise ValueError(f"when must be 'before' or 'after', got {when!r}")
        with self._lock:
            self._plans.setdefault(operation, []).append(when)

    def pending(self) -> int:
        """Crashes planned that have not fired yet."""
        return sum(len(plans) for plans in self._plans.values())

    def wrap(self, dispatch: Callable[..., Any]) -> Callable[..., Any]:
        """``backend.dispatch`` with the planned crashes around it."""

        def dispatching(operation: str, params: dict[str, Any], ctx: Any) -> Any:
            with self._lock:
                plans = self._plans.get(operation) or []
                when = plans.pop(0) if plans else None
            if when == "before":
                self.fired.append((operation, when))
                raise ProcessDied(f"process died before {operation} reached AppStream")
            output = dispatch(operation, params, ctx)
            if when == "after":
                self.fired.append((operation, when))
                raise ProcessDied(f"process died after {operation}, before the ledger commit")
            return output

        return dispatching
