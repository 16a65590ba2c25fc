"""The judge: the policy engine with its inputs, gathered the same way for every caller.

The enforcer, the drift sweep, the replicator and ``govbot check`` all judge an image
against the policy, the AWS Organization's member accounts (read only when the policy
trusts them), the exemptions granted from Slack, and the current time. A ``Judge`` holds
where each comes from; ``Judge.inputs(now)`` reads them once into ``EngineInputs``, which
evaluates any number of images with one consistent view (a sweep run, a replicator run).
Build one with ``govbot.governance.build_judge``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from govbot.clock import Clock, utcnow
from govbot.domain import ImageSnapshot, SharedAccountPermission
from govbot.policy.engine import allowed_to_propagate, evaluate
from govbot.policy.exemptions import Exemption
from govbot.policy.models import Policy
from govbot.policy.results import Evaluation


def _no_members() -> frozenset[str]:
    return frozenset()


def _no_exemptions(_now: datetime) -> Sequence[Exemption]:
    return ()


@dataclass(frozen=True)
class EngineInputs:
    """Everything the engine needs besides the image, read once at ``now``."""

    policy: Policy
    now: datetime
    org_accounts: frozenset[str] = frozenset()
    exemptions: tuple[Exemption, ...] = ()  # granted outside the policy file (Slack)

    def evaluate(self, image: ImageSnapshot) -> Evaluation:
        """The policy's verdicts on ``image``."""
        return evaluate(
            image,
            self.policy,
            self.now,
            org_accounts=self.org_accounts,
            extra_exemptions=self.exemptions,
        )

    def allowed_to_propagate(
        self, image: ImageSnapshot, shares: Sequence[SharedAccountPermission]
    ) -> tuple[SharedAccountPermission, ...]:
        """The part of ``shares`` a copy of ``image`` may be given (see the engine)."""
        return allowed_to_propagate(
            image,
            shares,
            self.policy,
            self.now,
            org_accounts=self.org_accounts,
            extra_exemptions=self.exemptions,
        )


class Judge:
    """Where the engine's inputs come from; every entry point judges through one."""

    def __init__(
        self,
        policy: Callable[[], Policy],
        *,
        org_accounts: Callable[[], frozenset[str]] = _no_members,
        exemptions: Callable[[datetime], Sequence[Exemption]] = _no_exemptions,
        clock: Clock = utcnow,
        refresh: Callable[[], None] = lambda: None,
    ) -> None:
        self._policy = policy
        self._org_accounts = org_accounts
        self._exemptions = exemptions
        self._clock = clock
        self._refresh = refresh

    def refresh(self) -> None:
        """Forget cached inputs (exemptions): the next judgement reads them afresh."""
        self._refresh()

    def policy(self) -> Policy:
        """The current policy (for the sections the engine does not read: golden, ...)."""
        return self._policy()

    def now(self) -> datetime:
        """The judge's clock."""
        return self._clock()

    def inputs(self, now: datetime | None = None, *, policy: Policy | None = None) -> EngineInputs:
        """Read the policy, the members (only when trusted) and the exemptions at ``now``.

        ``policy``: one the caller already read this run (saves a second read).
        """
        now = now or self._clock()
        policy = policy or self._policy()
        members = self._org_accounts() if policy.organization.trust_member_accounts else frozenset()
        return EngineInputs(
            policy=policy,
            now=now,
            org_accounts=members,
            exemptions=tuple(self._exemptions(now)),
        )

    def evaluate(self, image: ImageSnapshot, now: datetime | None = None) -> Evaluation:
        """The policy's verdicts on ``image`` with inputs read now (one-off judgements)."""
        return self.inputs(now).evaluate(image)

    def fixed(self, inputs: EngineInputs) -> Judge:
        """A judge that always answers with ``inputs`` (one run, one view of the policy)."""
        return Judge(
            lambda: inputs.policy,
            org_accounts=lambda: inputs.org_accounts,
            exemptions=lambda _now: inputs.exemptions,
            clock=self._clock,
        )
