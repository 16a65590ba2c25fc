"""The demo chapter of an image that leaves AppStream: exported to an EC2 AMI, the AMI is
then shared with an outsider through EC2 launch permissions (outside AppStream's sharing);
the drift sweep finds it, records it, tells Slack and removes the outsider's permission."""

from __future__ import annotations

from typing import Any

from govbot_sandbox.demo_story import OUTSIDER, REGION, Story
from govbot_sandbox.sandbox import HUB_ACCOUNT

IMAGE = "kiosk"


def _launchers(story: Story, ami_id: str) -> str:
    found = story.sb.ec2(REGION).describe_image_attribute(
        ImageId=ami_id, Attribute="launchPermission"
    )
    accounts = sorted(p.get("UserId") or p.get("Group", "?") for p in found["LaunchPermissions"])
    return ", ".join(accounts) or "nobody"


def chapter_export_shared(story: Story) -> None:
    """Export -> AMI -> launch permission for an outsider -> caught and undone."""
    story.title("An image exported to an EC2 AMI, then shared with an outsider through EC2")
    story.sb.emulator.backend.seed_image(HUB_ACCOUNT, REGION, IMAGE, tags={"export": "approved"})
    appstream: Any = story.sb.appstream(REGION)
    story.say(f"   alice exports {IMAGE} (tagged export=approved) to an AMI")
    task = appstream.create_export_image_task(
        ImageName=IMAGE,
        AmiName=f"{IMAGE}-ami",
        IamRoleArn=f"arn:aws:iam::{HUB_ACCOUNT}:role/appstream-export",
        TagSpecifications={"team": "kiosks"},
    )["ExportImageTask"]
    story.clock.advance(story.sb.emulator.settings.export_duration_seconds)
    done = appstream.get_export_image_task(TaskId=task["TaskId"])["ExportImageTask"]
    ami_id = str(done["AmiId"])
    story.say(f"   export {done['State']}: AMI {ami_id} in EC2 (tags team=kiosks)")
    story.say(f"   alice lets {OUTSIDER} launch the AMI (ec2 modify-image-attribute)")
    story.sb.ec2(REGION).modify_image_attribute(
        ImageId=ami_id, LaunchPermission={"Add": [{"UserId": OUTSIDER}]}
    )
    story.say(f"   now: {ami_id} may be launched by {_launchers(story, ami_id)}")
    story.say("   (AppStream's share list of kiosk is empty: the AMI is shared outside it)")
    report = story.sb.drift_sweep()
    story.say(f"   sweep: {report['note']}")
    story.sb.drain()
    story.say(f"   now: {ami_id} may be launched by {_launchers(story, ami_id)}")
    story.slack_messages()
