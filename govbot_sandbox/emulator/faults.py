"""Fault injection for the emulator: latency, throttling, transient 5xx and forced errors.

Faults are set per operation name or for ``"*"`` (every operation). For a call, the
``"*"`` rule is evaluated first, then the operation's own rule: latencies add up and the
first error wins. Randomness comes from a seeded RNG and time from an injectable
monotonic clock, so a test that sets the same seed sees the same faults. Counters record
every fault that fired (tests assert on them, never on wall time).
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from govbot_sandbox.emulator.protocol import error_status

ALL_OPERATIONS = "*"
TRANSIENT_CODES = {500: "InternalFailure", 503: "ServiceUnavailable"}
_CODE_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")


@dataclass
class OperationFaults:
    """The fault rule of one operation (or of ``"*"``)."""

    latency: float = 0.0
    throttle_rate: float = 0.0
    bucket_capacity: float | None = None
    bucket_refill_per_second: float = 0.0
    transient_rate: float = 0.0
    transient_next: int = 0
    transient_status: int = 500
    error_code: str | None = None
    error_message: str = "Injected fault"
    error_next: int | None = None  # None with error_code set: always
    # Token bucket state (level, last refill time); not user settable.
    _tokens: float = field(default=0.0, repr=False)
    _refilled_at: float | None = field(default=None, repr=False)


@dataclass(frozen=True)
class FaultError:
    """An error a fault produced: HTTP status, error code and message."""

    status: int
    code: str
    message: str


@dataclass(frozen=True)
class FaultDecision:
    """What to do to one call: wait ``latency`` seconds, then fail with ``error`` if set."""

    latency: float = 0.0
    error: FaultError | None = None


_SETTABLE = frozenset(
    name for name in OperationFaults.__dataclass_fields__ if not name.startswith("_")
)


def _validate(operation: str, rule: OperationFaults) -> None:
    where = f"faults[{operation!r}]"
    if rule.latency < 0:
        raise ValueError(f"{where}.latency must be >= 0 seconds, got {rule.latency}")
    for name in ("throttle_rate", "transient_rate"):
        rate = getattr(rule, name)
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"{where}.{name} must be a probability in [0, 1], got {rate}")
    if rule.bucket_capacity is not None and rule.bucket_capacity <= 0:
        raise ValueError(f"{where}.bucket_capacity must be > 0, got {rule.bucket_capacity}")
    if rule.bucket_refill_per_second < 0:
        raise ValueError(
            f"{where}.bucket_refill_per_second must be >= 0, got {rule.bucket_refill_per_second}"
        )
    if rule.transient_next < 0:
        raise ValueError(f"{where}.transient_next must be >= 0, got {rule.transient_next}")
    if rule.transient_status not in TRANSIENT_CODES:
        raise ValueError(
            f"{where}.transient_status must be one of {sorted(TRANSIENT_CODES)}, "
            f"got {rule.transient_status}"
        )
    if rule.error_code is not None and not _CODE_PATTERN.match(rule.error_code):
        raise ValueError(f"{where}.error_code must be an error code name, got {rule.error_code!r}")
    if rule.error_next is not None and rule.error_next < 0:
        raise ValueError(f"{where}.error_next must be >= 0 or None, got {rule.error_next}")


class FaultConfig:
    """Per-operation fault rules with a seeded RNG and counters of fired faults.

    Example
    -------
    >>> faults = FaultConfig(seed=7)
    >>> faults.set("CopyImage", throttle_rate=1.0)
    >>> faults.decide("CopyImage").error.code
    'ThrottlingException'
    """

    def __init__(self, seed: int = 0, clock: Callable[[], float] = time.monotonic) -> None:
        self._rules: dict[str, OperationFaults] = {}
        self._rng = random.Random(seed)
        self._clock = clock
        self._lock = threading.Lock()
        self.counters: Counter[tuple[str, str]] = Counter()

    def set(self, operation: str = ALL_OPERATIONS, **settings: Any) -> OperationFaults:
        """Set (merge into) the rule of ``operation``; unknown settings raise ``TypeError``."""
        unknown = sorted(set(settings) - _SETTABLE)
        if unknown:
            raise TypeError(
                f"faults.set({operation!r}): unknown setting(s) {unknown}; "
                f"expected some of {sorted(_SETTABLE)}"
            )
        with self._lock:
            current = self._rules.get(operation, OperationFaults())
            rule = replace(current, **settings)
            _validate(operation, rule)
            if "bucket_capacity" in settings and rule.bucket_capacity is not None:
                # A new bucket starts full.
                rule._tokens = rule.bucket_capacity
                rule._refilled_at = self._clock()
            self._rules[operation] = rule
            return rule

    def clear(self, operation: str | None = None) -> None:
        """Remove the rule of ``operation`` or, with no argument, every rule and counter."""
        with self._lock:
            if operation is None:
                self._rules.clear()
                self.counters.clear()
            else:
                self._rules.pop(operation, None)

    def rule(self, operation: str) -> OperationFaults | None:
        """The rule set for ``operation`` (not merged with ``"*"``), if any."""
        return self._rules.get(operation)

    def count(self, operation: str, kind: str) -> int:
        """How often fault ``kind`` (latency/throttle/transient/error) fired for ``operation``."""
        return self.counters[(operation, kind)]

    def decide(self, operation: str) -> FaultDecision:
        """Decide the faults of one call of ``operation`` (consumes RNG, tokens, counts)."""
        with self._lock:
            latency = 0.0
            error: FaultError | None = None
            for key in (ALL_OPERATIONS, operation):
                rule = self._rules.get(key)
                if rule is None:
                    continue
                if rule.latency > 0:
                    latency += rule.latency
                    self.counters[(operation, "latency")] += 1
                if error is None:
                    error = self._error_for(operation, rule)
            return FaultDecision(latency=latency, error=error)

    def _error_for(self, operation: str, rule: OperationFaults) -> FaultError | None:
        if rule.error_code is not None and (rule.error_next is None or rule.error_next > 0):
            if rule.error_next is not None:
                rule.error_next -= 1
            self.counters[(operation, "error")] += 1
            return FaultError(error_status(rule.error_code), rule.error_code, rule.error_message)
        if rule.transient_next > 0 or (
            rule.transient_rate > 0 and self._rng.random() < rule.transient_rate
        ):
            rule.transient_next = max(0, rule.transient_next - 1)
            self.counters[(operation, "transient")] += 1
            code = TRANSIENT_CODES[rule.transient_status]
            return FaultError(rule.transient_status, code, f"{code} (injected)")
        if self._throttled(rule):
            self.counters[(operation, "throttle")] += 1
            return FaultError(400, "ThrottlingException", "Rate exceeded")
        return None

    def _throttled(self, rule: OperationFaults) -> bool:
        if rule.throttle_rate > 0 and self._rng.random() < rule.throttle_rate:
            return True
        if rule.bucket_capacity is None:
            return False
        now = self._clock()
        last = rule._refilled_at if rule._refilled_at is not None else now
        rule._tokens = min(
            rule.bucket_capacity, rule._tokens + (now - last) * rule.bucket_refill_per_second
        )
        rule._refilled_at = now
        if rule._tokens >= 1.0:
            rule._tokens -= 1.0
            return False
        return True
