"""The drift sweep through real boto3 (emulator + moto ledger), cut short by a small time
budget: it resumes across invocations, covers every region, and acts once per drifted image.

The scaled-down twin of ``make bench``'s sweep benchmark (same estate builder, same real
path); it checks coverage, resumption and exactly-once, never timing.
"""

from __future__ import annotations

from collections.abc import Callable

from bench.sweep import HUB, Estate, SweepWorld, invoke, remedied_arns, sweep_world
from govbot.enforcer.sweep import SweepSettings

ESTATE = Estate(regions=("us-east-1", "eu-west-1", "ap-southeast-2"), images=20, drift_every=4)


def _calls_budget(world: SweepWorld, calls: int) -> Callable[[], int]:
    """Remaining time that runs out after ``calls`` more AppStream calls (time = calls)."""
    start = sum(world.meter.calls.values())
    return lambda: 60_000 if sum(world.meter.calls.values()) - start < calls else 0


def test_a_sweep_cut_short_resumes_and_covers_every_region_acting_once() -> None:
    settings = SweepSettings(calls_in_flight=2, reserve_ms=1_000)
    with sweep_world(ESTATE, settings=settings) as world:
        reports = []
        for n in range(30):
            reports.append(invoke(world, f"tick-{n}", _calls_budget(world, 30)))
            if reports[-1].pass_closed:
                break
        writes = remedied_arns(world)
        outbox = world.ledger.outbox_by_status("pending")
        calls = world.emulator.calls

    assert len(reports) > 2, "the budget should have cut the pass short"
    last = reports[-1]
    assert last.pass_closed
    assert last.swept == sorted(f"{HUB}/{r}" for r in ESTATE.regions)
    assert last.images == 3 * 20
    assert {f.image_arn for f in last.findings} == world.drifted
    # Each drifted image remedied once, whichever invocation met it.
    assert len(writes) == len(world.drifted)
    assert set(writes.values()) == {1}
    # Each image's share list read once (resumed pages skip what was done), plus once more
    # right before each remedy (a remedy only takes away what is still there).
    assert calls["DescribeImagePermissions"] == 3 * 20 + len(world.drifted)
    assert calls["ListTagsForResource"] == 3 * 20
    # One notification for the pass, from the invocation that closed it.
    drift = [o for o in outbox if o.message_kind == "drift_found"]
    assert len(drift) == 1
    assert drift[0].payload["details"]["counts"]["drifted"] == len(world.drifted)
    assert all(r.pass_closed is False for r in reports[:-1])


def test_retried_invocations_and_a_new_pass_act_on_nothing_already_fixed() -> None:
    with sweep_world(ESTATE, settings=SweepSettings(reserve_ms=1_000)) as world:
        first = [invoke(world, f"tick-{n}", _calls_budget(world, 50)) for n in range(3)]
        while not first[-1].pass_closed:
            first.append(invoke(world, f"tick-{len(first)}", None))
        writes = remedied_arns(world)

        retried = [invoke(world, f"tick-{n}", None) for n in range(len(first))]
        next_pass = invoke(world, "tick-next", None)
        after = remedied_arns(world)
        drift = [
            o for o in world.ledger.outbox_by_status("pending") if o.message_kind == "drift_found"
        ]

    assert {r.status for r in retried} == {"duplicate"}
    assert next_pass.pass_id == "tick-next"
    assert next_pass.pass_closed
    assert next_pass.findings == []  # everything was fixed by the first pass
    assert after == writes
    assert len(drift) == 1  # the clean pass says nothing
