"""Permission enforcement: one CloudTrail event in, a ledger story and minimal remedies out.

:class:`Enforcer` is the enforcer's face for its callers (the handler's intake, the drift
sweep, ``govbot simulate``, the sandbox): it puts together the three steps it is made of,

- :class:`~govbot.enforcer.router.Router`: reads a message body once and rejects it
  there if it must; routes events, deferred work and redriven sweeps;
- :class:`~govbot.enforcer.enforcement.EnforceStep`: re-reads the image, judges it,
  remedies it;
- :class:`~govbot.enforcer.commit.CommitStep`: the event's conditional writes and its one
  outcome commit (deferred work uses it too).
"""

from __future__ import annotations

from datetime import datetime

from govbot.domain import ImageSnapshot
from govbot.enforcer.commit import CommitStep
from govbot.enforcer.enforcement import EnforceStep
from govbot.enforcer.ports import EnforcementResult, EnforcerDeps
from govbot.enforcer.resilience import Attempt
from govbot.enforcer.router import Body, Router, is_principal
from govbot.events import ParsedEvent
from govbot.policy.results import Evaluation

__all__ = ["Enforcer", "is_principal"]


class Enforcer:
    """Handles one event at a time; safe to run again on the same event."""

    def __init__(self, deps: EnforcerDeps) -> None:
        self._deps = deps
        self.commit = CommitStep(deps)
        self.enforcement = EnforceStep(deps, self.commit)
        self.router = Router(deps, self.commit, self.enforcement)

    @property
    def deps(self) -> EnforcerDeps:
        """The injected dependencies (the drift sweep builds a run-scoped copy from them)."""
        return self._deps

    def evaluate(self, snapshot: ImageSnapshot, now: datetime | None = None) -> Evaluation:
        """The policy's verdicts on ``snapshot`` at ``now``, with the same inputs as an event."""
        return self.enforcement.evaluate(snapshot, now)

    def enforce_image(
        self, event: ParsedEvent, snapshot: ImageSnapshot | None = None
    ) -> EnforcementResult:
        """Enforce the policy on ``event``'s image as if the event had just arrived.

        For synthetic events (the drift sweep): record, re-read, evaluate, remedy, commit,
        exactly like a CloudTrail event; safe to call again with the same ``event_id``.
        ``snapshot`` is the image's state the caller has just read (the sweep's listing):
        given, it is used instead of reading the image again.
        """
        ref = event.image_ref
        if ref is None:
            raise ValueError(f"event {event.event_id!r} names no image to enforce")
        return self.enforcement.enforce(
            event, ref, fresh=snapshot, guess_announced=snapshot is None
        )

    def handle(self, body: Body, attempt: Attempt | None = None) -> EnforcementResult:
        """Parse, record, evaluate and remedy one EventBridge event (an SQS message body):
        see :meth:`Router.handle`."""
        return self.router.handle(body, attempt)
