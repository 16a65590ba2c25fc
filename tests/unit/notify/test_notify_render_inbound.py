"""The ``inbound_image_used`` message: what runs the image, who owns it, why, no buttons."""

from __future__ import annotations

import json

from govbot.notifier.blockkit import validate_blocks
from govbot.notifier.model import parse_payload
from govbot.notifier.render import render

VIEWER = "123456789012"
VENDOR = "999999999999"
ARN = f"arn:aws:appstream:us-east-1:{VENDOR}:image/vendor-app"


def test_inbound_image_used_names_the_uses_the_image_and_its_owner() -> None:
    stored = {
        "message_kind": "inbound_image_used",
        "severity": "high",
        "image_arn": ARN,
        "image_name": "vendor-app",
        "region": "us-east-1",
        "account_id": VENDOR,
        "shared_account_ids": [VIEWER],
        "rule_ids": ["trusted-image-owners"],
        "summary": "1 fleet(s) or image builder(s) of account 123456789012 run vendor-app",
        "details": {
            "owner_account_id": VENDOR,
            "uses": [
                {"kind": "fleet", "name": "call-center", "account_id": VIEWER, "state": "RUNNING"},
                {"kind": "image_builder", "name": "b<1>", "account_id": VIEWER, "state": "PENDING"},
            ],
            "violations": [{"reason": "account 123456789012's fleet call-center runs image"}],
            "action": "reported only: govbot never stops or changes a fleet or an image builder",
        },
    }
    message = render(parse_payload(stored), "ob-1")

    validate_blocks(message.blocks)
    text = json.dumps(message.blocks)
    assert message.text.startswith("[high] Image from an untrusted owner in use: vendor-app")
    assert "fleet `call-center` in account `123456789012` (RUNNING)" in text
    assert "image builder `b&lt;1&gt;`" in text  # escaped for Slack
    assert ARN in text
    assert f"*Owned by:* `{VENDOR}`" in text
    assert "never stops" in text
    assert not [b for b in message.blocks if b["type"] == "actions"]  # nothing to revoke
