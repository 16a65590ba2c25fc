"""The drift sweep's checkpoint: one pass record and one lane record per account+region.

A *pass* sweeps every governed account+region once; it may span several invocations. Each
*lane* (one account in one region) keeps where it stands in the current pass: the page
token of the page being swept and the names already done on it, its counts, the images it
found drifted, and when it last finished a pass (so a new pass starts with what was least
recently swept). All of them live under one partition key (``pk=SWEEP``) so one Query
reads the whole checkpoint. Writes are optimistic (``version``), like copy jobs: a lane is
claimed by writing its lease, and only one invocation can win that write.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal, Self

from pydantic import Field

from govbot.ledger.keys import UtcDatetime, sweep_lane_sk
from govbot.ledger.records.base import LedgerRecord

SWEEP_PK = "SWEEP"
SWEEP_PASS_SK = "PASS"  # noqa: S105 (a sweep pass, no secret)
PassStatus = Literal["open", "closed"]
LaneState = Literal["pending", "listing", "done", "failed"]
FINISHED_LANE_STATES: frozenset[str] = frozenset({"done", "failed"})
# Bounded so a lane item stays far below DynamoDB's 400 KB whatever the estate does.
MAX_LANE_ERRORS = 10
MAX_LANE_DRIFTED = 2_000


class SweepPass(LedgerRecord):
    """The pass in progress or the last one closed (``pk=SWEEP``, ``sk=PASS``).

    ``pass_id`` is the schedule event id of the invocation that opened it; the run summary
    of that invocation (``DRIFTRUN-<digest(pass_id)>``) names the pass in notifications.
    """

    kind: ClassVar[str] = "sweeppass"

    pass_id: str = Field(min_length=1)
    status: PassStatus = "open"
    opened_at: UtcDatetime
    closed_at: UtcDatetime | None = None
    actor_arn: str = ""
    region: str = ""
    account_id: str = ""
    invocations: int = Field(default=0, ge=0)
    version: int = Field(default=0, ge=0)
    updated_at: UtcDatetime | None = None

    def keys(self) -> tuple[str, str]:
        return SWEEP_PK, SWEEP_PASS_SK

    def timestamp(self) -> datetime | None:
        return self.updated_at

    def stamped(self, now: datetime) -> Self:
        return self.model_copy(update={"updated_at": now})

    def ttl_anchor(self) -> datetime | None:
        return None  # one item, rewritten every pass: it must never expire


class SweepLane(LedgerRecord):
    """One account+region's progress (``pk=SWEEP``, ``sk=LANE#<account>#<region>``).

    ``page_token`` is the token that fetches the page being swept (None: the first page)
    and ``done_names`` the images of that page already handled, so a resumed lane neither
    skips nor repeats an image. ``owner``/``lease_until`` say which invocation is sweeping
    it; an expired lease may be taken over.
    """

    kind: ClassVar[str] = "sweeplane"

    account_id: str = Field(min_length=1)
    region: str = Field(min_length=1)
    pass_id: str | None = None
    state: LaneState = "pending"
    page_token: str | None = None
    done_names: tuple[str, ...] = ()
    images: int = Field(default=0, ge=0)
    compliant: int = Field(default=0, ge=0)
    # Images whose violations still stand, already announced (neither compliant nor news).
    standing: int = Field(default=0, ge=0)
    drifted: tuple[str, ...] = ()  # image ARNs with a finding in this pass
    errors: tuple[str, ...] = ()
    error_count: int = Field(default=0, ge=0)
    owner: str | None = None
    lease_until: UtcDatetime | None = None
    last_swept_at: UtcDatetime | None = None  # when the lane last finished a pass
    version: int = Field(default=0, ge=0)
    updated_at: UtcDatetime | None = None

    @property
    def name(self) -> str:
        """``account/region``, as the sweep reports it."""
        return f"{self.account_id}/{self.region}"

    def finished(self, pass_id: str) -> bool:
        """Done (or failed) in pass ``pass_id``."""
        return self.pass_id == pass_id and self.state in FINISHED_LANE_STATES

    def held_by_other(self, owner: str, now: datetime) -> bool:
        """Another invocation holds a lease on the lane that has not run out."""
        return (
            self.owner is not None
            and self.owner != owner
            and self.lease_until is not None
            and self.lease_until > now
        )

    def keys(self) -> tuple[str, str]:
        return SWEEP_PK, sweep_lane_sk(self.account_id, self.region)

    def timestamp(self) -> datetime | None:
        return self.updated_at

    def stamped(self, now: datetime) -> Self:
        return self.model_copy(update={"updated_at": now})

    def ttl_anchor(self) -> datetime | None:
        return None  # lives as long as the lane is governed
