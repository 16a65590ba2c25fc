"""The drift sweep: on a schedule, enforce the policy on every private image it can list.

Events can be missed (a spoke forwarder down, a delivery failure, a share made before
govbot was deployed). A *pass* lists every private image of every governed account and
region, evaluates it with the same engine as an event, and hands each image that breaks
the policy (with the snapshot just read) to ``Enforcer.enforce_image`` under a synthetic
``DriftSweep`` event, so it leaves the same ledger story as a CloudTrail event would.

Account+regions ("lanes") are swept in parallel, each with a bounded number of AppStream
calls in flight. A pass that does not fit in one invocation is resumed by the next one
from the checkpoint in the ledger (``plan``: which pass, which order; ``lanes``: one lane
with its checkpoint; ``run``: one invocation). One ``drift_found`` item per pass says what
was found; an account or region that cannot be read is reported and the rest is swept.
"""

from govbot.enforcer.sweep.context import CheckpointPort, Deadline, InventoryPort
from govbot.enforcer.sweep.plan import PassPlan, plan_pass, sweep_order
from govbot.enforcer.sweep.report import DriftSweepReport
from govbot.enforcer.sweep.run import DEFAULT_RESERVE_MS, DriftSweep, SweepSettings
from govbot.enforcer.sweep.schedule import (
    IMAGE_PREFIX,
    RUN_PREFIX,
    SWEEP_EVENT_NAME,
    PassIdentity,
    ScheduleTick,
    drift_event,
    image_event_id,
    parse_schedule,
    run_event_id,
)

__all__ = [
    "DEFAULT_RESERVE_MS",
    "IMAGE_PREFIX",
    "RUN_PREFIX",
    "SWEEP_EVENT_NAME",
    "CheckpointPort",
    "Deadline",
    "DriftSweep",
    "DriftSweepReport",
    "InventoryPort",
    "PassIdentity",
    "PassPlan",
    "ScheduleTick",
    "SweepSettings",
    "drift_event",
    "image_event_id",
    "parse_schedule",
    "plan_pass",
    "run_event_id",
    "sweep_order",
]
