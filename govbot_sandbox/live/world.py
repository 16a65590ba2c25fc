"""The live sandbox: govbot's closed loop kept running behind one loopback endpoint.

``LiveSandbox`` holds a :class:`~govbot_sandbox.sandbox.Sandbox` (moto + the AppStream
emulator + govbot's handlers) and plays the Lambda service continuously: a pump thread
delivers queued events to the functions, feeds the ledger stream to the notifier, and
fires the two schedules (drift sweep, replication sweep) on a clock that can run fast
(``speed``) or be advanced. It uses the Sandbox only through its public methods.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from govbot_sandbox.emulator import AppStreamEmulator, ScaledClock
from govbot_sandbox.emulator.state import DEFAULT_BASE_IMAGE, resource_arn
from govbot_sandbox.fake_slack import FakeSlack
from govbot_sandbox.lambda_service import HUB_ACCOUNT
from govbot_sandbox.live.accounts import CONSUMER_ACCOUNT, EXTERNAL_ACCOUNT, LiveIdentity
from govbot_sandbox.live.narrator import Narrator
from govbot_sandbox.sandbox import Sandbox

logger = logging.getLogger(__name__)

REGION = "us-east-1"
# The deployed defaults (infra/config.py): drift sweep hourly, replication every 5 minutes.
DRIFT_SWEEP_SECONDS = 60 * 60
REPLICATION_SWEEP_SECONDS = 5 * 60
PUMP_INTERVAL_SECONDS = 0.2
# CloudTrail records /_govbot/events keeps (the newest): govbot's own Describe calls are
# records too, so an unbounded list would grow for as long as the server runs.
RECORDS_KEPT = 20_000
# One advance may move the clock at most a year: enough for any expiry, far from datetime's end.
MAX_ADVANCE_SECONDS = 366 * 24 * 60 * 60  # real time between two rounds of the pump

# (name, tags, shared_with {account: (allow_fleet, allow_image_builder)}) in the owner account.
LIVE_IMAGES: tuple[tuple[str, dict[str, str], dict[str, tuple[bool, bool]]], ...] = (
    ("app-base", {"team": "platform"}, {"111111111111": (True, True)}),
    ("prod-app", {}, {CONSUMER_ACCOUNT: (True, False)}),
    ("payroll", {"classification": "confidential"}, {}),
    ("dev-tools", {}, {}),
    ("golden-base-2026", {}, {}),
)
CONSUMER_FLEET = "dave-prod-fleet"


def seed_live_world(emulator: AppStreamEmulator, region: str = REGION) -> None:
    """The owner's images, and the listed consumer's fleet running on ``prod-app``."""
    backend: Any = emulator.backend
    arns = {
        name: backend.seed_image(HUB_ACCOUNT, region, name, tags=tags, shared_with=shares)
        for name, tags, shares in LIVE_IMAGES
    }
    backend.seed_fleet(CONSUMER_ACCOUNT, region, CONSUMER_FLEET, arns["prod-app"], desired=2)


class WorldReset(BaseException):
    """Ends a pump round whose world was reset while it waited out a faulted call.

    A BaseException, so no handler's ``except Exception`` records it in the new world.
    """


class LiveSandbox:
    """govbot running continuously on the sandbox; thread-safe controls for the admin API.

    Parameters
    ----------
    identities:
        Access keys the emulator maps to accounts and principals.
    narrator:
        Where records, decisions, actions and Slack messages are told.
    speed:
        How many clock seconds pass per real second (copies, builds, schedules).
    """

    def __init__(
        self,
        identities: Iterable[LiveIdentity],
        narrator: Narrator,
        *,
        speed: float = 1.0,
        seed: bool = True,
    ) -> None:
        self.identities = list(identities)
        self.narrator = narrator
        self.clock = ScaledClock(speed)
        self.seed = seed
        self.slack = FakeSlack()
        self._sandbox: Sandbox | None = None
        self._lock = threading.RLock()
        # Waiting on it releases the lock (however deeply held) for a faulted call's latency.
        self._latency = threading.Condition(self._lock)
        self._generation = 0  # worlds opened so far: a reset makes a new one
        self._stop = threading.Event()
        self._pump: threading.Thread | None = None
        self._next_drift = self.clock.now()
        self._next_replication = self.clock.now()
        self.pump_errors = 0

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> LiveSandbox:
        """Start Slack, the sandbox and the pump thread."""
        self.slack.start()
        with self._lock:
            self._open()
        self._pump = threading.Thread(target=self._run, name="govbot-live-pump", daemon=True)
        self._pump.start()
        return self

    def stop(self) -> None:
        """Stop the pump, close the sandbox and Slack."""
        self._stop.set()
        if self._pump is not None:
            self._pump.join()
        with self._lock:
            self._close()
        self.slack.stop()

    def _open(self) -> None:
        sandbox = Sandbox(slack=self.slack, clock=self.clock)
        sandbox.__enter__()
        self._sandbox = sandbox
        for who in self.identities:
            sandbox.emulator.register_identity(
                who.access_key_id, who.account_id, who.principal_arn, who.principal_type
            )
        sandbox.emulator.sink.sinks.append(self.narrator.cloudtrail)
        sandbox.emulator.latency_sleep = self._latency_sleep
        sandbox.emulator.events.limit = RECORDS_KEPT
        self._generation += 1
        if self.seed:
            seed_live_world(sandbox.emulator)
        now = self.clock.now()
        self._next_drift = now + timedelta(seconds=DRIFT_SWEEP_SECONDS)
        self._next_replication = now + timedelta(seconds=REPLICATION_SWEEP_SECONDS)

    def _close(self) -> None:
        if self._sandbox is not None:
            self._sandbox.__exit__(None, None, None)
            self._sandbox = None

    def _latency_sleep(self, seconds: float) -> None:
        """An injected latency: the govbot loop (holding the lock) lets go of it meanwhile,
        so the admin API never waits behind a faulted call; a person's call just sleeps."""
        # RLock._is_owned: what threading.Condition itself asks of the lock.
        if not self._lock._is_owned():  # type: ignore[attr-defined]
            time.sleep(seconds)
            return
        generation = self._generation
        with self._latency:  # re-entered: wait() releases every level, then restores it
            self._latency.wait(seconds)  # nobody notifies: returns after ``seconds``
            if self._generation != generation:
                raise WorldReset("the world was reset while a faulted call waited")

    # -- what the admin API needs ------------------------------------------------------

    @property
    def sandbox(self) -> Sandbox:
        """The running sandbox (changes on ``reset``)."""
        if self._sandbox is None:
            raise RuntimeError("the live sandbox is not running")
        return self._sandbox

    @property
    def emulator(self) -> AppStreamEmulator:
        """The AppStream emulator the endpoint answers from."""
        return self.sandbox.emulator

    def reset(self) -> None:
        """A new world: fresh moto services, emulator, ledger and seeded demo images."""
        with self._lock:
            self._close()
            self.narrator.reset()
            self.slack.clear()  # the old world's messages are gone, not told again
            self.clock = ScaledClock(self.clock.speed)  # advances made before are undone
            self._open()
        self.narrator.say("reset      a fresh world")

    def advance(self, seconds: float) -> str:
        """Move the clock forward, then run one pump round; return the new time (ISO).

        ``seconds`` must be finite and within 0..``MAX_ADVANCE_SECONDS``: ``ValueError``.
        """
        if not math.isfinite(seconds) or not 0 <= seconds <= MAX_ADVANCE_SECONDS:
            raise ValueError(
                f"clock advance must be finite seconds in 0..{MAX_ADVANCE_SECONDS:.0f}, "
                f"got {seconds!r}"
            )
        now = self.clock.advance(seconds)
        self.pump_once()
        return now.isoformat()

    def finish_image_build(
        self, account_id: str, region: str, builder_name: str, image_name: str, **kwargs: Any
    ) -> tuple[str, bool]:
        """A builder starts creating an image (the CreateImage service event).

        A builder that does not exist yet is made first (RUNNING, on the default public
        base image), as the README's one-line example expects. Returns the new image's
        ARN and whether the builder was created.
        """
        with self._lock:
            backend = self.emulator.backend
            builder_arn = resource_arn(region, account_id, "image-builder", builder_name)
            created = builder_arn not in backend.world.builders
            if created:
                base = resource_arn(region, None, "image", DEFAULT_BASE_IMAGE)
                backend.seed_image_builder(account_id, region, builder_name, base)
            arn = str(
                backend.finish_image_build(account_id, region, builder_name, image_name, **kwargs)
            )
        # The pump tells the rest on its next round: no wait behind a faulted call here.
        return arn, created

    def cloudtrail_records(self, event_name: str | None = None) -> list[dict[str, Any]]:
        """The CloudTrail records the emulator emitted (``detail`` of each envelope)."""
        envelopes = (
            self.emulator.events.named(event_name) if event_name else self.emulator.events.events
        )
        return [dict(e.get("detail") or {}) for e in envelopes]

    def slack_messages(self) -> list[Any]:
        """Every message the fake Slack accepted."""
        return list(self.slack.delivered())

    # -- the pump ------------------------------------------------------------------------

    def pump_once(self) -> None:
        """Settle copies and builds, fire due schedules, drain queues and the stream, and
        tell what happened. A round whose world is reset meanwhile just ends."""
        try:
            self._pump_round()
        except WorldReset:
            logger.info("a pump round of the world before a reset ended")

    def _pump_round(self) -> None:
        with self._lock:
            sandbox = self.sandbox
            sandbox.emulator.backend.tick()
            now = self.clock.now()
            if now >= self._next_drift:
                self._next_drift = now + timedelta(seconds=DRIFT_SWEEP_SECONDS)
                report = sandbox.drift_sweep()
                self.narrator.say(f"schedule   {report.get('note') or 'drift sweep'}")
            if now >= self._next_replication:
                self._next_replication = now + timedelta(seconds=REPLICATION_SWEEP_SECONDS)
                self.narrator.replication_sweep(sandbox.sweep().get("sweep") or {})
            sandbox.drain()
            self.narrator.follow(sandbox.ledger)
            self.narrator.slack(self.slack_messages())

    def _run(self) -> None:
        while not self._stop.wait(PUMP_INTERVAL_SECONDS):
            try:
                self.pump_once()
            except Exception:  # keep serving; the next round tries again
                self.pump_errors += 1
                logger.exception("live sandbox pump round failed")


__all__ = ["EXTERNAL_ACCOUNT", "LiveSandbox", "seed_live_world"]
