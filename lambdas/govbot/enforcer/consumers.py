"""What a consumer account did with a shared image, when govbot governs that account too.

Revoking fleet permission scales the consumer's fleets on the image to 0; an image-builder
permission lets the consumer build images govbot cannot take back. When the consumer is a
governed account, govbot can read its fleets and builders and name them in the message;
otherwise the message says what happens in general. Reads are best effort: a failure is
reported in the message, never fails the event.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from govbot.domain import ImageRef
from govbot.gateways.appstream import AppStreamGatewayError, BuilderUsage, FleetUsage
from govbot.ledger.keys import format_ts, parse_ts
from govbot.ledger.records.payload import ExposureWindow

MAX_LISTED = 30


class ConsumerReader(Protocol):
    """What this needs from the AppStream gateway."""

    def fleets_using(
        self, ref_or_arn: ImageRef | str, account_id: str, region: str
    ) -> list[FleetUsage]: ...
    def builders_using(
        self, ref_or_arn: ImageRef | str, account_id: str, region: str
    ) -> list[BuilderUsage]: ...


@dataclass(frozen=True)
class ConsumerView:
    """A governed consumer's fleets and image builders on one image (or why unknown)."""

    account_id: str
    fleets: tuple[FleetUsage, ...] = ()
    builders: tuple[BuilderUsage, ...] = ()
    error: str | None = None


def read_consumer(
    appstream: ConsumerReader, ref: ImageRef, account_id: str, governed: frozenset[str]
) -> ConsumerView | None:
    """The consumer's view when ``account_id`` is governed; None when it is not."""
    if account_id not in governed:
        return None
    try:
        fleets = appstream.fleets_using(ref, account_id, ref.region)
        builders = appstream.builders_using(ref, account_id, ref.region)
    except AppStreamGatewayError as exc:
        return ConsumerView(account_id, error=f"{exc.code}: {exc}")
    return ConsumerView(account_id, tuple(fleets), tuple(builders))


def stopped_fleets(view: ConsumerView | None) -> list[str] | None:
    """Names of the consumer's fleets on the image now at desired capacity 0 (None: unknown)."""
    if view is None or view.error is not None:
        return None
    return [f.name for f in view.fleets if f.desired_capacity == 0][:MAX_LISTED]


def fleet_impact_text(account_id: str, view: ConsumerView | None) -> str:
    """The stop-sharing sentence: named fleets when the consumer is governed."""
    tail = "Running sessions continue until they end; new sessions need another image."
    names = stopped_fleets(view)
    if names is None:
        why = (
            f" (its fleets could not be read: {view.error})"
            if view is not None and view.error
            else " (not a governed account: its fleets are not visible to govbot)"
        )
        return (
            f"If {account_id} had fleet access, the desired capacity of its fleets using this "
            f"image is now 0{why}. {tail}"
        )
    if not names:
        return f"{account_id} (governed) has no fleet on this image at desired capacity 0. {tail}"
    listed = ", ".join(names)
    return f"Desired capacity is now 0 for {account_id}'s fleet(s) on this image: {listed}. {tail}"


def _in_window(builder: BuilderUsage, window: ExposureWindow) -> bool:
    created = builder.created_time
    if created is None:
        return True  # unknown creation time: listed, to be safe
    start = parse_ts(window.granted_at) if window.granted_at else None
    return (start is None or created >= start) and created <= parse_ts(window.revoked_at)


def builder_exposure(
    account_id: str, window: ExposureWindow, view: ConsumerView | None
) -> dict[str, Any]:
    """How long ``account_id`` could build from the image, what stays theirs, and (when
    governed) the image builders it created from the image in that window."""
    span = window.text()
    held = (
        f"{account_id} held image-builder permission {span}"
        if span
        else f"{account_id} held image-builder permission until {window.revoked_at} "
        f"({window.note or 'grant time unknown'})"
    )
    text = (
        f"{held}. Images or image builders it made from this image meanwhile stay in its "
        "account: revoking the permission does not reach them."
    )
    shape: dict[str, Any] = {"account_id": account_id, "text": text, "builders": None}
    if view is None:
        return shape
    if view.error is not None:
        shape["text"] = f"{text} Its image builders could not be read: {view.error}"
        return shape
    made = [b for b in view.builders if _in_window(b, window)][:MAX_LISTED]
    shape["builders"] = [
        {
            "name": b.name,
            "state": b.state,
            "created": format_ts(b.created_time) if b.created_time else None,
        }
        for b in made
    ]
    return shape
