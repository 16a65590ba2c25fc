"""``govbot simulate``: what govbot would do with these events, offline, on a world file."""

from __future__ import annotations

import argparse
from collections import Counter
from typing import Any

from govbot.ledger.records.events import ActionRecord
from govbot_cli.common import EXIT_FINDINGS, EXIT_OK, Output, UsageError, parse_instant
from govbot_cli.deps import CliDeps
from govbot_cli.event_files import EventFileError, read_event_files
from govbot_cli.ledger_view import record_json
from govbot_cli.policy_cmd import load_policy_or_usage
from govbot_cli.simulation import EventOutcome, Simulation
from govbot_cli.tables import table
from govbot_cli.world import World, WorldError, load_world, world_from_snapshots, world_schema

# The AppStream request parameters of a remedy (the rest of the request is govbot's notes).
AWS_PARAMETERS = ("SharedAccountId", "ImagePermissions")


def add_parser(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Register ``simulate``."""
    sim = subparsers.add_parser(
        "simulate",
        parents=parents,
        help="what govbot would do with these events on a world (offline; changes nothing)",
        description=(
            "Run the enforcer on EVENTS against an in-memory WORLD. EVENTS files hold an "
            "EventBridge envelope, a JSON list of them, JSON Lines, a bare CloudTrail record "
            "or a CloudTrail log file ({'Records': [...]})."
        ),
    )
    sim.add_argument("events", nargs="*", metavar="EVENTS", help="event files, in order")
    sim.add_argument("--policy", metavar="FILE", help="policy YAML file (required)")
    sim.add_argument(
        "--world-schema", action="store_true", help="print the world file's JSON Schema and exit"
    )
    sim.add_argument(
        "--world",
        metavar="FILE",
        help="world file, JSON or YAML (default: account 123456789012, us-east-1, no images)",
    )
    sim.add_argument("--now", metavar="ISO", help="the enforcer's clock (default: now)")
    sim.add_argument(
        "--fail-on-violation",
        action="store_true",
        help="exit 1 when any event finds a violation (remedied or not)",
    )
    sim.set_defaults(handler=run_simulate)


def _action_text(action: ActionRecord) -> str:
    request = action.request
    perms = request.get("ImagePermissions")
    what = (
        f" allowFleet={perms.get('allowFleet')} allowImageBuilder={perms.get('allowImageBuilder')}"
        if isinstance(perms, dict)
        else ""
    )
    return f"{action.operation} SharedAccountId={action.shared_account_id}{what} ({action.status})"


def _event_json(outcome: EventOutcome) -> dict[str, Any]:
    evaluation = outcome.result.evaluation
    return {
        "origin": outcome.origin,
        "event_id": outcome.event_id,
        "event_name": outcome.event_name,
        "outcome": outcome.outcome,
        "status": outcome.result.status,
        "note": outcome.note,
        "world_note": outcome.world_note or None,
        "rules": list(evaluation.rule_ids()) if evaluation else [],
        "verdicts": [v.model_dump(mode="json") for v in evaluation.verdicts] if evaluation else [],
        "actions": [
            {
                "operation": a.operation,
                "shared_account_id": a.shared_account_id,
                "image_arn": a.image_arn,
                "parameters": {
                    k: v
                    for k, v in a.request.items()
                    if k in ("SharedAccountId", "ImagePermissions")
                },
                "status": a.status,
                "error": a.error,
            }
            for a in outcome.result.actions
        ],
        "messages": outcome.messages,
    }


def _print_human(output: Output, outcomes: list[EventOutcome]) -> None:
    rows = []
    for o in outcomes:
        evaluation = o.result.evaluation
        rules = ",".join(evaluation.rule_ids()) if evaluation else ""
        rows.append((o.origin, o.event_id, o.event_name or "", o.outcome, rules, o.note))
    table(
        output.out,
        ("SOURCE", "EVENT ID", "EVENT", "OUTCOME", "RULES", "NOTE"),
        rows,
        style_column=3,
    )
    for o in outcomes:
        details = [f"  action: {_action_text(a)}" for a in o.result.actions]
        details += [f"  message [{m['kind']}/{m['severity']}]: {m['text']}" for m in o.messages]
        if o.world_note:
            details.insert(0, f"  world: {o.world_note}")
        if details:
            output.line()
            output.line(f"{o.event_id} ({o.origin}): {o.outcome}")
            for line in details:
                output.line(line)
    counts = Counter(o.outcome for o in outcomes)
    output.line()
    output.line(
        f"summary: {len(outcomes)} event(s): "
        + ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
        + " (simulated: nothing was changed)"
    )


def _load_inputs(args: argparse.Namespace) -> World:
    try:
        return load_world(args.world) if args.world else World()
    except WorldError as exc:
        lines = "\n".join(f"--world {line}" for line in str(exc).splitlines())
        raise UsageError(lines, prog="govbot simulate") from None


def run_simulate(args: argparse.Namespace, output: Output, deps: CliDeps) -> int:
    """Simulate every event in order; exit 1 on violations only with ``--fail-on-violation``."""
    if args.world_schema:
        output.json(world_schema())
        return EXIT_OK
    if not args.policy:
        raise UsageError("the following arguments are required: --policy", prog="govbot simulate")
    if not args.events:
        raise UsageError("the following arguments are required: EVENTS", prog="govbot simulate")
    now = parse_instant(args.now) if args.now else deps.now()
    policy = load_policy_or_usage(args.policy)
    world = _load_inputs(args)
    try:
        events = read_event_files(args.events)
    except EventFileError as exc:
        raise UsageError(str(exc), prog="govbot simulate") from None
    simulation = Simulation(policy=policy, world=world, now=now)
    outcomes = [simulation.run(event) for event in events]
    if output.as_json:
        ledger = simulation.ledger
        records: list[Any] = [*ledger.events.values()]
        for group in (ledger.decisions, ledger.actions):
            for per_event in group.values():
                records += list(per_event.values())
        records += list(ledger.outbox.values())
        output.json(
            {
                "now": now.isoformat(),
                "policy": args.policy,
                "events": [_event_json(o) for o in outcomes],
                "summary": dict(Counter(o.outcome for o in outcomes)),
                "world": world_from_snapshots(
                    world, list(simulation.appstream.images.values())
                ).model_dump(mode="json"),
                "ledger": [record_json(r) for r in records],
            }
        )
    else:
        _print_human(output, outcomes)
    if args.fail_on_violation and any(o.found_violation for o in outcomes):
        return EXIT_FINDINGS
    return EXIT_OK
