"""``govbot slack check``: are the Slack secrets the hub reads well formed?

The hub stack creates two secrets with stable names and placeholder values
(docs/deploying.md, "Slack"): the incoming webhooks, a JSON object ``{route: URL}``, and the
Slack app's signing secret. This reads both (never printing a value) and says what is
wrong: still the generated placeholder, not JSON, a URL that is not a Slack webhook, a
route the policy names that has no webhook, a signing secret of the wrong shape.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Callable
from typing import Any

from govbot.slack_secrets import SIGNING_SECRET_NAME, WEBHOOKS_SECRET_NAME
from govbot_cli.common import EXIT_FINDINGS, EXIT_OK, Output, UsageError, parse_region

WEBHOOK_URL = re.compile(r"^https://hooks\.slack\.com/(services|workflows|triggers)/\S+$")
# Slack app signing secrets are 32 lowercase hexadecimal characters.
SIGNING_SHAPE = re.compile(r"^[0-9a-f]{32}$")


class SecretReadFailed(Exception):
    """A secret could not be read (missing, no access, no network)."""


def webhook_problems(text: str, routes: tuple[str, ...] = ()) -> list[str]:
    """What is wrong with the webhooks secret's value (empty: nothing).

    >>> webhook_problems('{"default": "https://hooks.slack.com/services/T0/B0/x"}')
    []
    >>> webhook_problems('{"default": "http://example.com"}', ("default", "security"))
    ["route 'default': not a Slack incoming webhook URL (https://hooks.slack.com/...)", \
"route 'security' (used by the policy) has no webhook"]
    """
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return [
            "not JSON (still the placeholder CloudFormation generated?); expected "
            '{"route": "https://hooks.slack.com/services/..."}'
        ]
    if not isinstance(value, dict) or not value:
        return ['expected a non-empty JSON object {"route": "https://hooks.slack.com/..."}']
    problems = [
        f"route {route!r}: not a Slack incoming webhook URL (https://hooks.slack.com/...)"
        for route, url in value.items()
        if not isinstance(url, str) or not WEBHOOK_URL.match(url)
    ]
    problems += [
        f"route {route!r} (used by the policy) has no webhook"
        for route in routes
        if route not in value
    ]
    return problems


def signing_problems(text: str) -> list[str]:
    """What is wrong with the signing secret's value (empty: nothing).

    >>> signing_problems("0123456789abcdef0123456789abcdef")
    []
    """
    if SIGNING_SHAPE.match(text.strip()):
        return []
    return [
        "not a Slack signing secret (32 hexadecimal characters, from the app's Basic "
        "Information > App Credentials); still the generated placeholder?"
    ]


def default_secret_reader(region: str | None, endpoint_url: str | None) -> Callable[[str], str]:
    """Read a secret's string value by name or ARN (the ambient credentials)."""
    from govbot.wiring.secrets import secret_string_reader

    read = secret_string_reader(region, endpoint_url)

    def checked(secret_id: str) -> str:
        try:
            return read(secret_id)
        except LookupError as exc:
            raise SecretReadFailed(str(exc)) from exc

    return checked


def add_parser(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Register ``slack check``."""
    slack = subparsers.add_parser("slack", help="Slack setup checks")
    commands = slack.add_subparsers(dest="slack_command", metavar="COMMAND", required=True)
    check = commands.add_parser(
        "check", parents=parents, help="check the Slack secrets the hub reads are well formed"
    )
    check.add_argument("--region", help="the hub's region (default: the ambient one)")
    check.add_argument("--endpoint-url", metavar="URL", help="Secrets Manager endpoint")
    check.add_argument("--webhooks-secret", default=WEBHOOKS_SECRET_NAME, metavar="NAME|ARN")
    check.add_argument("--signing-secret", default=SIGNING_SECRET_NAME, metavar="NAME|ARN")
    check.add_argument("--policy", help="policy file: every route it names needs a webhook")
    check.set_defaults(handler=run_check)


def run_check(args: argparse.Namespace, output: Output, deps: Any) -> int:
    """Read both secrets and report; exit 1 when one is malformed, 2 when unreadable."""
    region = parse_region(args.region, "--region") if args.region else None
    routes: tuple[str, ...] = ()
    if args.policy:
        from govbot.policy import PolicyError
        from govbot.policy.loader import load_policy

        try:
            policy = load_policy(args.policy)
        except PolicyError as exc:
            raise UsageError(str(exc), prog="govbot slack check") from None
        routes = tuple(sorted({r.webhook for r in policy.notifications.routes}))
    read = deps.secret_reader(region, args.endpoint_url)
    try:
        results = {
            args.webhooks_secret: webhook_problems(read(args.webhooks_secret), routes),
            args.signing_secret: signing_problems(read(args.signing_secret)),
        }
    except SecretReadFailed as exc:
        raise UsageError(str(exc), prog="govbot slack check") from None
    if output.as_json:
        output.json({name: {"ok": not p, "problems": p} for name, p in results.items()})
    else:
        for name, problems in results.items():
            output.line(f"OK {name}" if not problems else f"BAD {name}: " + "; ".join(problems))
    return EXIT_FINDINGS if any(results.values()) else EXIT_OK
