"""SQS gateway: the only code in govbot that sends to a queue (the enforcer's work queue)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from govbot.iam import declare

declare("sqs", {"SendMessage": "work-queue"})


class QueueSendError(RuntimeError):
    """SendMessage failed; ``code`` is AWS's error code."""

    def __init__(self, code: str, queue_url: str) -> None:
        super().__init__(f"SendMessage to {queue_url} failed with {code}")
        self.code = code


class SqsQueue:
    """One queue, JSON bodies. The client is made on first send (never at import or build)."""

    def __init__(self, queue_url: str, client_factory: Callable[[], Any]) -> None:
        if not queue_url:
            raise ValueError("queue_url must not be empty")
        self.queue_url = queue_url
        self._client_factory = client_factory
        self._client: Any = None

    def send_json(self, body: dict[str, Any]) -> str:
        """Send ``body`` as one JSON message; returns its MessageId."""
        from botocore.exceptions import BotoCoreError, ClientError

        if self._client is None:
            self._client = self._client_factory()
        try:
            sent = self._client.send_message(QueueUrl=self.queue_url, MessageBody=json.dumps(body))
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", "Unknown"))
            raise QueueSendError(code, self.queue_url) from exc
        except BotoCoreError as exc:
            raise QueueSendError(type(exc).__name__, self.queue_url) from exc
        return str(sent.get("MessageId", ""))
