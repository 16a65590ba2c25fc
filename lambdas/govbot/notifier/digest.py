"""The storm digest: one message per route and window saying what was folded.

A digest is sent once its window has ended, by whichever notifier invocation flushes
first (every stream batch flushes; a schedule may call :func:`flush_digests` too so the
digest of a storm's last window does not wait for the next message).
"""

from __future__ import annotations

import logging
from datetime import datetime

from govbot.kinds.blocks import Block, context, divider, esc, header, section
from govbot.notifier.blockkit import validate_blocks
from govbot.notifier.model import RenderedMessage
from govbot.notifier.sinks import MessageSink
from govbot.notifier.storm import DIGEST_IMAGE_LIMIT, DigestWindow, WindowStore, epoch_iso
from govbot.policy.sections import Notifications, Route

logger = logging.getLogger(__name__)


def render_digest(window: DigestWindow) -> RenderedMessage:
    """Block Kit digest: how many messages were folded, of which kinds and images."""
    kinds = ", ".join(f"{esc(k)} x{n}" for k, n in sorted(window.kinds.items())) or "unknown"
    shown = window.images[:DIGEST_IMAGE_LIMIT]
    images = ", ".join(f"`{esc(i)}`" for i in shown) or "unknown"
    more = len(window.images) - len(shown)
    if more > 0:
        images += f" and {more} more"
    span = f"{epoch_iso(window.start)} → {epoch_iso(window.end)}"
    blocks: list[Block] = [
        header(f"Notification storm: {window.folded} messages folded"),
        section(
            f":cyclone: Route *{esc(window.route)}* reached its limit of {window.sent} "
            f"messages in the window {span}. *{window.folded}* further messages were folded "
            "into this digest; each is kept in the govbot ledger with status `folded`."
        ),
        section(f"*Kinds:* {kinds}\n*Images ({len(window.images)}):* {images}"),
        divider(),
        context(f"digest `{esc(window.digest_id)}`"),
    ]
    text = f"govbot storm digest: {window.folded} messages folded on {window.route} ({span})"
    validate_blocks(blocks)
    return RenderedMessage(text=text, blocks=blocks, kind="digest", outbox_id=window.digest_id)


def flush_digests(
    windows: WindowStore,
    notifications: Notifications,
    sink: MessageSink,
    *,
    now: datetime,
    lease_seconds: int = 60,
) -> list[str]:
    """Send every owed digest whose window has ended; return the digest ids sent.

    A digest that fails to send is released and retried by the next flush.
    """
    by_name = {route.name: route for route in notifications.routes}
    sent: list[str] = []
    for due in windows.due_digests(now):
        if due.end > now.timestamp():
            continue
        window = windows.claim_digest(due, now, lease_seconds)
        if window is None or window.folded == 0:
            continue
        route = by_name.get(window.route) or Route(name=window.route, webhook=window.webhook)
        try:
            sink.send(route, render_digest(window).body())
        except Exception as exc:
            windows.finish_digest(window, sent=False)
            logger.warning("digest %s not sent: %s", window.digest_id, type(exc).__name__)
            continue
        windows.finish_digest(window, sent=True)
        sent.append(window.digest_id)
    return sent
