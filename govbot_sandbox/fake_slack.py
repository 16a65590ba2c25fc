"""A local HTTP server standing in for Slack (incoming webhooks), on 127.0.0.1 only.

It answers webhook POSTs at ``/services/<route>`` and can be scripted per route: answer
500 then 200, 429 with ``Retry-After``, or be down for good. It records every request and
every message it accepted, so tests can assert "arrived exactly once".

It also builds what Slack sends to the actions endpoint: a signed (v0, HMAC-SHA256)
``block_actions`` interaction wrapped in a Lambda Function URL event.

Examples
--------
>>> with FakeSlack() as slack:  # doctest: +SKIP
...     slack.script("security", [(500, {}, "oops")])
...     url = slack.url("security")
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

Reply = tuple[int, dict[str, str], str]
OK: Reply = (200, {"Content-Type": "text/plain"}, "ok")


@dataclass
class ReceivedRequest:
    """One HTTP request the fake received (whatever it answered)."""

    route: str
    body: Any
    status: int


@dataclass
class _State:
    scripts: dict[str, deque[Reply]] = field(default_factory=lambda: defaultdict(deque))
    default: Reply = OK
    requests: list[ReceivedRequest] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    delay: float = 0.0  # seconds before answering (a slow Slack)
    # Messages containing one of these texts are posted, then the connection is closed
    # without an answer (the sender cannot know it was posted); each text once.
    drop_answer_for: set[str] = field(default_factory=set)


class FakeSlack:
    """Fake Slack incoming webhooks on ``127.0.0.1`` (an ephemeral port)."""

    def __init__(self) -> None:
        self._state = _State()
        state = self._state

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode("utf-8")
                route = self.path.rstrip("/").rsplit("/", 1)[-1]
                try:
                    body: Any = json.loads(raw)
                except json.JSONDecodeError:
                    body = raw
                with state.lock:
                    queue = state.scripts.get(route)
                    status, headers, text = queue.popleft() if queue else state.default
                    state.requests.append(ReceivedRequest(route, body, status))
                    dropped = next((k for k in state.drop_answer_for if k in raw), None)
                    if dropped is not None and 200 <= status < 300:
                        state.drop_answer_for.discard(dropped)
                    delay = state.delay
                if delay:
                    time.sleep(delay)
                if dropped is not None and 200 <= status < 300:
                    self.close_connection = True  # posted, but no answer ever comes back
                    return
                payload = text.encode("utf-8")
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:  # quiet test output
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # stop() waits for the next poll: stop quickly
            daemon=True,
        )

    # lifecycle -------------------------------------------------------------
    def start(self) -> FakeSlack:
        """Start serving in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # configuration ---------------------------------------------------------
    @property
    def port(self) -> int:
        """The ephemeral port the server listens on."""
        return int(self._server.server_address[1])

    def url(self, route: str) -> str:
        """The webhook URL of ``route``."""
        return f"http://127.0.0.1:{self.port}/services/{route}"

    def script(self, route: str, replies: list[Reply]) -> None:
        """Answer the next requests to ``route`` with ``replies``, then the default."""
        with self._state.lock:
            self._state.scripts[route].extend(replies)

    def go_down(self, status: int = 503) -> None:
        """Answer every request (all routes) with ``status`` until :meth:`come_back`."""
        with self._state.lock:
            self._state.default = (status, {}, "service_unavailable")

    def slow_down(self, seconds: float) -> None:
        """Answer every request ``seconds`` late (0: at once again)."""
        with self._state.lock:
            self._state.delay = seconds

    def post_without_answer(self, *texts: str) -> None:
        """The next message containing each text is posted, then the connection is closed
        unanswered (as when Slack's answer is lost or the sender dies waiting for it)."""
        with self._state.lock:
            self._state.drop_answer_for.update(texts)

    def come_back(self) -> None:
        """Answer 200 ``ok`` again."""
        with self._state.lock:
            self._state.default = OK

    def clear(self) -> None:
        """Forget every request received so far (a fresh world starts with none)."""
        with self._state.lock:
            self._state.requests.clear()

    # observations ----------------------------------------------------------
    @property
    def requests(self) -> list[ReceivedRequest]:
        """Every request received, in order, with the status answered."""
        with self._state.lock:
            return list(self._state.requests)

    def delivered(self, route: str | None = None) -> list[Any]:
        """Bodies of the messages accepted (answered 2xx), optionally for one route."""
        return [
            r.body
            for r in self.requests
            if 200 <= r.status < 300 and (route is None or r.route == route)
        ]


def sign(body: str, secret: str, timestamp: int) -> str:
    """Slack's v0 request signature of ``body`` at ``timestamp``."""
    signature = SignatureVerifier(secret).generate_signature(timestamp=str(timestamp), body=body)
    assert signature is not None
    return signature


def block_actions_payload(
    *, user_id: str, action_id: str, value: str, user_name: str = "approver"
) -> dict[str, Any]:
    """A minimal Slack ``block_actions`` interaction payload for one button."""
    return {
        "type": "block_actions",
        "user": {"id": user_id, "username": user_name, "team_id": "T0FAKE"},
        "team": {"id": "T0FAKE", "domain": "fake"},
        "trigger_id": "1.2.fake",
        "response_url": "https://hooks.slack.invalid/actions/fake",
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "govbot_actions_0",
                "value": value,
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }


def function_url_event(
    payload: dict[str, Any],
    *,
    secret: str,
    timestamp: int,
    signature: str | None = None,
    base64_body: bool = True,
) -> dict[str, Any]:
    """Wrap an interaction payload as Slack posts it, in a Lambda Function URL event."""
    body = urlencode({"payload": json.dumps(payload)})
    sig = signature if signature is not None else sign(body, secret, timestamp)
    return {
        "version": "2.0",
        "rawPath": "/",
        "headers": {
            "content-type": "application/x-www-form-urlencoded",
            "x-slack-request-timestamp": str(timestamp),
            "x-slack-signature": sig,
        },
        "requestContext": {"http": {"method": "POST", "path": "/"}},
        "body": base64.b64encode(body.encode()).decode() if base64_body else body,
        "isBase64Encoded": base64_body,
    }
