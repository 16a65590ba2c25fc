"""Where rendered messages go: Slack webhooks, or JSON lines on a stream when Slack is off.

With no webhooks secret configured the notifier writes each message as one JSON line
(stdout by default): the sandbox and the demo read those lines.
"""

from __future__ import annotations

import json
import sys
import threading
from typing import Any, Protocol, TextIO

from govbot.gateways.secrets import SecretSource
from govbot.gateways.slack import SlackWebhookGateway
from govbot.policy.sections import Route


class RouteConfigError(LookupError):
    """A route names a webhook key the webhooks secret does not define."""


class MessageSink(Protocol):
    """Delivers one message body to one route; returns the HTTP attempts it took."""

    def send(self, route: Route, body: dict[str, Any]) -> int:
        """Deliver ``body``; raise on failure (``SlackSendError``, ``RouteConfigError``)."""
        ...

    def max_post_seconds(self) -> float:
        """The longest :meth:`send` may take before it returns or raises."""
        ...


class WebhookSink:
    """Sends to the Slack incoming webhook of the route's ``webhook`` key."""

    def __init__(self, secrets: SecretSource, gateway: SlackWebhookGateway | None = None):
        self._secrets = secrets
        self._gateway = gateway or SlackWebhookGateway()

    def url_for(self, route: Route) -> str:
        """The webhook URL of ``route`` (from the secret, cached by the secrets gateway)."""
        urls = self._secrets.webhook_urls()
        url = urls.get(route.webhook)
        if url is None:
            raise RouteConfigError(
                f"route {route.name!r} uses webhook key {route.webhook!r}, which the Slack "
                f"webhooks secret does not define (keys present: {sorted(urls) or 'none'})"
            )
        return url

    def send(self, route: Route, body: dict[str, Any]) -> int:
        """Post to Slack with the gateway's bounded retries."""
        return self._gateway.post(self.url_for(route), body).attempts

    def max_post_seconds(self) -> float:
        """Every HTTP attempt waiting its full timeout, plus the waits between them."""
        return self._gateway.worst_case_seconds()


class ConsoleSink:
    """Writes ``{"route", "webhook", "text", "blocks"}`` as one JSON line per message."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream
        self._lock = threading.Lock()
        self.lines: list[dict[str, Any]] = []  # what was written, for the sandbox and tests

    def send(self, route: Route, body: dict[str, Any]) -> int:
        """Write the message (never fails on content; the stream is the only I/O)."""
        line = {"route": route.name, "webhook": route.webhook, **body}
        with self._lock:
            stream = self._stream or sys.stdout
            stream.write(json.dumps(line, sort_keys=True) + "\n")
            stream.flush()
            self.lines.append(line)
        return 1

    def max_post_seconds(self) -> float:
        """Writing a line takes no time worth waiting for."""
        return 0.0
