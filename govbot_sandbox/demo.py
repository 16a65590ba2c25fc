"""``make demo``: govbot at work on the embedded sandbox, told as a short story.

Everything runs in this process: moto stands in for DynamoDB, SQS, EventBridge, SSM and
STS; govbot's AppStream emulator stands in for AppStream. People's calls go through real
boto3 clients; govbot's handlers run exactly as they would in Lambda.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TextIO

from botocore.exceptions import ClientError

from govbot.slack_buttons import ACTION_GRANT_RESTORE
from govbot_sandbox.demo_export import chapter_export_shared
from govbot_sandbox.demo_story import (
    APPROVER,
    OUTSIDER,
    PARTNER,
    REGION,
    TRUSTED,
    Story,
    message_buttons,
)
from govbot_sandbox.emulator import ManualClock
from govbot_sandbox.fake_slack import FakeSlack
from govbot_sandbox.sandbox import BOT_PRINCIPAL, HUB_ACCOUNT, Sandbox


def chapter_builder_revoked(story: Story) -> None:
    story.title("An outsider gets image-builder access: govbot revokes it, keeps fleet access")
    event_id = story.share("app-base", OUTSIDER, fleet=True, builder=True)
    report = story.sb.drain()
    story.permissions("app-base")
    story.ledger_story(event_id)
    own = [
        e
        for e in story.sb.emulator.events.named("UpdateImagePermissions")
        if e["detail"]["userIdentity"]["arn"] == BOT_PRINCIPAL
    ]
    story.say(
        f"   echo:   govbot's own call is a CloudTrail event too ({len(own)}); the rules kept "
        f"it off the queue: {report.records} record delivered, alice's"
    )
    story.slack_messages()


def chapter_never_share(story: Story) -> None:
    story.title("A confidential image is shared: govbot removes the share entirely")
    event_id = story.share("payroll", TRUSTED, fleet=True, builder=False)
    story.sb.drain()
    story.permissions("payroll")
    story.ledger_story(event_id)
    story.slack_messages()


def chapter_revocation_sticks(story: Story) -> None:
    story.title("Fleet access is revoked: the partner's fleet drops to 0 and cannot scale back")
    arn = story.sb.emulator.backend.seed_image(
        HUB_ACCOUNT, REGION, "partner-app", shared_with={PARTNER: (True, False)}
    )
    partner = story.sb.appstream(REGION, user="dave", account=PARTNER)
    partner.create_fleet(
        Name="dave-fleet",
        ImageArn=arn,
        InstanceType="stream.standard.medium",
        ComputeCapacity={"DesiredInstances": 2},
    )
    story.say(f"   alice stops sharing partner-app with {PARTNER}")
    story.sb.appstream(REGION).delete_image_permissions(Name="partner-app", SharedAccountId=PARTNER)
    story.sb.drain()
    fleet = partner.describe_fleets(Names=["dave-fleet"])["Fleets"][0]
    story.say(f"   now: dave-fleet desired capacity {fleet['ComputeCapacityStatus']['Desired']}")
    try:
        partner.update_fleet(Name="dave-fleet", ComputeCapacity={"DesiredInstances": 2})
    except ClientError as exc:
        story.say(f"   dave scales dave-fleet back to 2: refused, {exc.response['Error']['Code']}")


def chapter_trusted_and_exempt(story: Story) -> None:
    story.title("A trusted account and an exempted one are left alone, with the reason")
    trusted = story.share("app-base", TRUSTED, fleet=True, builder=True)
    exempt = story.share("prod-demo-exempt", OUTSIDER, fleet=False, builder=True)
    story.sb.drain()
    story.ledger_story(trusted)
    story.ledger_story(exempt)


def chapter_audit_rule(story: Story) -> None:
    story.title("An audit-mode rule reports without touching anything")
    event_id = story.share("dev-tools", PARTNER, fleet=True, builder=False)
    story.sb.drain()
    story.permissions("dev-tools")
    story.ledger_story(event_id)
    story.slack_messages()


def chapter_duplicates_and_garbage(story: Story) -> None:
    story.title("EventBridge delivers twice and a broken event arrives: nothing doubles")
    envelope = story.sb.emulator.events.named("UpdateImagePermissions")[0]
    before = {r.event_id for r in story.sb.ledger.events_by_status("rejected")}
    result = story.sb.deliver_raw([json.dumps(envelope), "{not json"])
    story.say(f"   batch result: {result} (no failures: the bad one is recorded as rejected)")
    for record in story.sb.ledger.events_by_status("rejected"):
        if record.event_id not in before:  # this batch's rejections only
            story.say(f"   ledger: event    rejected - {record.reason}")
    bundle = story.sb.ledger.get_event(str(envelope["detail"]["eventID"]))
    story.say(f"   the duplicate left {len(bundle.actions)} action(s) on that event, as before")
    story.sb.drain()  # the rejection's notification goes out like any other
    story.slack_messages()


def chapter_slack_buttons(story: Story) -> None:
    story.title("Slack buttons: a stranger is refused, an approver grants an exemption")
    (message,) = [m for m in story.slack.delivered() if "app-base" in m.get("text", "")][:1]
    value = {b["action_id"]: b["value"] for b in message_buttons(message)}[ACTION_GRANT_RESTORE]
    refused = story.sb.click(ACTION_GRANT_RESTORE, value, "U0STRANGER")
    story.say(f"   U0STRANGER clicks 'Exempt and restore': HTTP {refused['statusCode']}")
    accepted = story.sb.click(ACTION_GRANT_RESTORE, value, APPROVER)
    story.say(f"   {APPROVER} (an approver) clicks it: HTTP {accepted['statusCode']}")
    story.sb.drain()  # the restore was deferred to the enforcer's queue
    story.permissions("app-base")
    for record in story.sb.ledger.events_by_status("rejected"):
        if record.event_name == "SlackAction":
            story.say(f"   ledger: refused click - {record.reason}")
    story.slack_messages()


def chapter_drift_sweep(story: Story) -> None:
    story.title("A share govbot never heard about: the scheduled sweep finds and fixes it")
    story.sb.emulator.backend.seed_image(
        HUB_ACCOUNT, "eu-west-1", "legacy-eu", shared_with={OUTSIDER: (True, True)}
    )
    story.say("   (legacy-eu in eu-west-1 was shared with 999999999999 before govbot existed)")
    report = story.sb.drift_sweep()
    story.say(f"   sweep: {report['note']}")
    story.say(
        f"   {len(report['swept'])} of {report['lanes_total']} account/region(s) swept in "
        f"parallel; pass {'closed' if report['pass_closed'] else 'left open for the next run'}"
    )
    story.say(
        "   (dev-tools' audit violation from chapter 5 still stands: recorded again, "
        "not announced again)"
    )
    story.sb.drain()
    listing = story.sb.appstream("eu-west-1").describe_image_permissions(Name="legacy-eu")
    for share in listing["SharedImagePermissionsList"]:
        story.say(f"   now: legacy-eu -> {share['sharedAccountId']}: {share['imagePermissions']}")
    story.slack_messages()


def chapter_golden_copy(story: Story) -> None:
    story.title("A golden image is copied to eu-west-1, then tagged and shared there")
    sb = story.sb
    arn = sb.emulator.backend.seed_image(HUB_ACCOUNT, REGION, "golden-base-2026", tags={})
    sb.appstream(REGION).update_image_permissions(
        Name="golden-base-2026",
        SharedAccountId=TRUSTED,
        ImagePermissions={"allowFleet": True, "allowImageBuilder": True},
    )
    sb.appstream(REGION).tag_resource(ResourceArn=arn, Tags={"team": "platform"})
    story.say("   alice tags golden-base-2026 (a golden-* image) and shares it with 111111111111")
    sb.drain()
    copies = sb.appstream("eu-west-1").describe_images(Names=["golden-base-2026"])["Images"]
    story.say(f"   eu-west-1: {copies[0]['Name']} is {copies[0]['State']} (CopyImage started)")
    story.clock.advance(sb.emulator.backend.settings.copy_duration_seconds + 1)
    story.say("   ...the copy finishes (AppStream sends no event): the schedule sweeps")
    sb.sweep()
    sb.drain()
    eu = sb.appstream("eu-west-1")
    image = eu.describe_images(Names=["golden-base-2026"])["Images"][0]
    tags = eu.list_tags_for_resource(ResourceArn=image["Arn"])["Tags"]
    shares = eu.describe_image_permissions(Name="golden-base-2026")["SharedImagePermissionsList"]
    story.say(f"   eu-west-1: {image['Name']} is {image['State']}, tags {tags}")
    for share in shares:
        story.say(
            f"   eu-west-1: shared with {share['sharedAccountId']}: {share['imagePermissions']}"
        )
    job = sb.ledger.get_copy_job(arn, "eu-west-1")
    if job is not None:
        story.say(f"   ledger: copy job {' -> '.join(step.state for step in job.history)}")
    story.slack_messages()


def chapter_golden_pinned(story: Story) -> None:
    story.title("Golden sources are pinned: a person's own copy is reported, never copied on")
    sb = story.sb
    name = "golden-base-2027"
    arn = sb.emulator.backend.seed_image(HUB_ACCOUNT, REGION, name)
    sb.appstream(REGION, user="bob").copy_image(
        SourceImageName=name, DestinationImageName=name, DestinationRegion="eu-west-1"
    )
    who = sb.emulator.events.named("CopyImage")[-1]["detail"]["userIdentity"]["arn"]
    story.say(f"   {who} copies {name} to eu-west-1 by hand, under the golden name")
    sb.appstream(REGION).tag_resource(ResourceArn=arn, Tags={"team": "platform"})
    story.say(f"   alice tags {name} in {REGION} (the policy's source_region)")
    sb.drain()
    sb.sweep()
    sb.drain()
    names = [i["Name"] for i in sb.appstream("eu-west-1").describe_images()["Images"]]
    story.say(f"   eu-west-1 holds {sorted(n for n in names if n.startswith(name))} (no -2 copy)")
    job = sb.ledger.get_copy_job(arn, "eu-west-1")
    if job is not None:
        story.say(f"   ledger: copy job [{job.state}] {job.last_reason}")
    story.slack_messages()


def chapter_inbound(story: Story) -> None:
    story.title("Shared with me: a fleet on an outsider's image is reported, never stopped")
    backend: Any = story.sb.emulator.backend
    vendor = backend.seed_image(
        OUTSIDER, REGION, "vendor-app", shared_with={HUB_ACCOUNT: (True, False)}
    )
    story.say(f"   {OUTSIDER} shares its vendor-app with us; alice creates a fleet on it")
    client = story.sb.appstream(REGION)
    client.create_fleet(
        Name="call-center",
        ImageArn=vendor,
        InstanceType="stream.standard.medium",
        ComputeCapacity={"DesiredInstances": 2},
    )
    story.sb.drain()
    (fleet,) = client.describe_fleets(Names=["call-center"])["Fleets"]
    desired = fleet["ComputeCapacityStatus"]["Desired"]
    story.say(f"   now: call-center runs {fleet['ImageArn']}, desired {desired} (untouched)")
    story.ledger_story(str(story.sb.emulator.events.named("CreateFleet")[-1]["detail"]["eventID"]))
    story.slack_messages()


def chapter_reminder(story: Story) -> None:
    story.title("A day of hourly sweeps later: standing violations are recalled once, in a digest")
    for _hour in range(24):
        story.clock.advance(3600)
        story.sb.drift_sweep()
    story.say(
        "   24 sweeps ran; dev-tools (chapter 5) and call-center's image (chapter 11) were "
        "announced once, so Slack gets one reminder naming both"
    )
    story.sb.drain()
    story.slack_messages()


def chapter_simulate(story: Story) -> None:
    story.title("What if? `govbot simulate` runs the same enforcer offline, on a world file")
    from govbot.policy.loader import load_policy
    from govbot_cli.event_files import InputEvent
    from govbot_cli.simulation import Simulation
    from govbot_cli.world import World, WorldImage

    # The world as it was before chapter 1, and chapter 1's CloudTrail event.
    world = World(
        accounts=[HUB_ACCOUNT],
        regions=list(story.sb.regions),
        images=[WorldImage(name="app-base", tags={"team": "platform"})],
    )
    envelope = story.sb.emulator.events.named("UpdateImagePermissions")[0]
    simulation = Simulation(load_policy(str(story.sb.policy_path)), world, story.clock.now())
    outcome = simulation.run(InputEvent("chapter 1", envelope))
    story.say(f"   simulated {outcome.event_id}: {outcome.outcome} ({outcome.note})")
    deployed = story.sb.ledger.get_event(outcome.event_id).actions
    for mine, theirs in zip(outcome.result.actions, deployed, strict=False):
        same = "same as" if mine.request == theirs.request else "DIFFERENT from"
        story.say(f"   simulated {mine.operation} {mine.shared_account_id}: {same} the sandbox's")
    story.say(
        "   (try: govbot simulate --policy policies/demo.yaml "
        "--world docs/examples/simulate/world.yaml docs/examples/simulate/events.jsonl)"
    )


CHAPTERS: list[Callable[[Story], None]] = [
    chapter_builder_revoked,
    chapter_never_share,
    chapter_revocation_sticks,
    chapter_trusted_and_exempt,
    chapter_audit_rule,
    chapter_duplicates_and_garbage,
    chapter_slack_buttons,
    chapter_drift_sweep,
    chapter_golden_copy,
    chapter_golden_pinned,
    chapter_inbound,
    chapter_simulate,
    chapter_reminder,
    chapter_export_shared,
]


def seed(sandbox: Sandbox) -> None:
    """The world the story starts from: a few images in the hub account."""
    backend: Any = sandbox.emulator.backend
    backend.seed_image(HUB_ACCOUNT, REGION, "app-base", tags={"team": "platform"})
    backend.seed_image(HUB_ACCOUNT, REGION, "payroll", tags={"classification": "confidential"})
    backend.seed_image(HUB_ACCOUNT, REGION, "prod-demo-exempt")
    backend.seed_image(HUB_ACCOUNT, REGION, "dev-tools")


def main(out: TextIO = sys.stdout) -> int:
    """Run every chapter on a fresh sandbox; return a process exit code."""
    clock = ManualClock(datetime.now(UTC))
    with FakeSlack() as slack, Sandbox(slack=slack, clock=clock) as sandbox:
        story = Story(sandbox, slack, clock, out)
        story.say("govbot demo: AppStream image governance on the local sandbox")
        regions = ", ".join(sandbox.regions)
        story.say(f"(account {HUB_ACCOUNT}, regions {regions}; policy {sandbox.policy_path.name})")
        seed(sandbox)
        for chapter in CHAPTERS:
            chapter(story)
            # What the chapter set going reaches Slack before the next chapter starts.
            sandbox.drain()
            story.slack_messages()
        story.title("Every notification in the ledger's outbox, with its delivery status")
        story.outbox()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
