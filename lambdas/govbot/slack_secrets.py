"""Stable names of the Slack secrets the hub stack creates (infra, docs and the CLI)."""

from __future__ import annotations

WEBHOOKS_SECRET_NAME = "govbot/slack/webhooks"  # noqa: S105 - a secret's name, not its value
SIGNING_SECRET_NAME = "govbot/slack/signing"  # noqa: S105 - a secret's name, not its value
# Not Slack's: the key the actions function signs deferred work with (enforcer verifies).
WORK_SIGNING_SECRET_NAME = "govbot/internal/work-signing"  # noqa: S105 - a name, not a value
