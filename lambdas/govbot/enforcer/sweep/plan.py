"""Which pass an invocation works on and in which order it sweeps the lanes (pure).

- No pass yet, or the last one closed: open a new pass (its id is this tick's id).
- A pass is open: resume it, whichever tick opened it. A retried tick whose own pass is
  already closed resumes it too (to finish its summary), never opens a second one.
- Lanes are every governed account x region. A lane whose record belongs to an older
  pass starts afresh; one already finished in this pass is not swept again.
- Order: lanes this pass had started first (resume where we stopped), then the least
  recently swept (never swept first), so no lane starves when time or threads run short.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from govbot.enforcer.sweep.schedule import ScheduleTick
from govbot.ledger.records.sweep import SweepLane, SweepPass

_NEVER = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class PassPlan:
    """The pass to work on and every governed lane as it stands in that pass."""

    sweep_pass: SweepPass
    opens: bool  # True: the pass must be written (created or replacing a closed one)
    expected_version: int | None  # of the stored pass record, for that write
    lanes: tuple[SweepLane, ...]  # sweep order

    @property
    def pass_id(self) -> str:
        """The id of the pass."""
        return self.sweep_pass.pass_id

    def unfinished(self) -> list[SweepLane]:
        """Lanes still to sweep in this pass, in sweep order."""
        return [lane for lane in self.lanes if not lane.finished(self.pass_id)]


def plan_pass(
    current: SweepPass | None,
    stored_lanes: Iterable[SweepLane],
    accounts: Iterable[str],
    regions: Iterable[str],
    tick: ScheduleTick,
    now: datetime,
) -> PassPlan:
    """Decide the pass and the lane order for ``tick`` from the stored checkpoint."""
    resume = current is not None and (current.status == "open" or current.pass_id == tick.event_id)
    expected: int | None
    if resume:
        assert current is not None
        sweep_pass, opens, expected = current, False, current.version
    else:
        sweep_pass = SweepPass(
            pass_id=tick.event_id,
            opened_at=now,
            actor_arn=tick.actor_arn,
            region=tick.region,
            account_id=tick.account_id,
            version=current.version if current else 0,
        )
        opens, expected = True, (current.version if current else None)
    by_key = {(lane.account_id, lane.region): lane for lane in stored_lanes}
    lanes = [
        lane_for_pass(
            by_key.get((account, region)) or SweepLane(account_id=account, region=region),
            sweep_pass.pass_id,
        )
        for account in sorted(set(accounts))
        for region in sorted(set(regions))
    ]
    return PassPlan(sweep_pass, opens, expected, tuple(sweep_order(lanes)))


def lane_for_pass(lane: SweepLane, pass_id: str) -> SweepLane:
    """``lane`` as it stands in ``pass_id``: progress of an older pass is dropped."""
    if lane.pass_id == pass_id:
        return lane
    return lane.model_copy(
        update={
            "pass_id": pass_id,
            "state": "pending",
            "page_token": None,
            "done_names": (),
            "images": 0,
            "compliant": 0,
            "standing": 0,
            "drifted": (),
            "errors": (),
            "error_count": 0,
        }
    )


def sweep_order(lanes: Sequence[SweepLane]) -> list[SweepLane]:
    """Started lanes first, then least recently swept first; finished ones last."""

    def key(lane: SweepLane) -> tuple[int, datetime, str, str]:
        rank = {"listing": 0, "pending": 1}.get(lane.state, 2)
        return (rank, lane.last_swept_at or _NEVER, lane.account_id, lane.region)

    return sorted(lanes, key=key)
