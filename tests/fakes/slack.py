"""The notifier's Slack port (:class:`~govbot.notifier.sinks.MessageSink`) in memory."""

from __future__ import annotations

from typing import Any

from govbot.notifier.sinks import MessageSink
from govbot.policy.sections import Route


class RecordingSink:
    """Records every message it is given; fails the first ``fail_times`` sends with ``error``."""

    def __init__(self, fail_times: int = 0, error: Exception | None = None) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.fail_times = fail_times
        self.error = error
        self.calls = 0

    def send(self, route: Route, body: dict[str, Any]) -> int:
        self.calls += 1
        if self.fail_times > 0:
            self.fail_times -= 1
            assert self.error is not None, "RecordingSink(fail_times=...) needs an error"
            raise self.error
        self.sent.append((route.name, body))
        return 1

    def max_post_seconds(self) -> float:
        return 0.0


def _is_a_sink(fake: RecordingSink) -> MessageSink:
    return fake  # mypy proves the fake implements the port (never called)
