"""The Slack actions endpoint's work queue (:class:`~govbot.actions.endpoint.WorkQueue`)."""

from __future__ import annotations

from typing import Any

from govbot.actions.endpoint import WorkQueue


class RecordingQueue:
    """Keeps every request handed to it, in order (the enforcer's SQS queue in AWS)."""

    def __init__(self) -> None:
        self.submitted: list[dict[str, Any]] = []

    def submit(self, request: dict[str, Any]) -> None:
        self.submitted.append(request)


def _is_a_work_queue(fake: RecordingQueue) -> WorkQueue:
    return fake  # mypy proves the fake implements the port (never called)
