"""Stable names of the Slack secrets the hub stack creates (infra, docs and the CLI)."""

from __future__ import annotations

WEBHOOKS_SECRET_NAME = "govbot/slack/webhooks"  # noqa: S105 - a secret's name, not its value
SIGNING_SECRET_NAME = "govbot/slack/signing"  # noqa: S105 - a secret's name, not its value
