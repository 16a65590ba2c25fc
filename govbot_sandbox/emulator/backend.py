"""The AppStream emulator backend: one world, one lock, one dispatch entry point.

The transport calls :meth:`AppStreamBackend.dispatch` with the operation name, the
request members (as botocore builds them) and the :class:`CallContext`. Tests also use
the seeding and control methods (``seed_image``, ``finish_image_build``, ``tick``...).

Time: nothing runs in the background. Copies and builds settle lazily against the clock
at every call and on :meth:`tick`. Events: each call emits one CloudTrail envelope to
``event_sink`` (after the lock is released, so a sink may call back into the backend); a
failed one carries ``errorCode``; a read-only one ``readOnly: true``.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from govbot.domain import Permissions
from govbot_sandbox.emulator import builders, exits, fleets, images, lifecycle, tagging
from govbot_sandbox.emulator.amis import AmiStore, MotoAmis
from govbot_sandbox.emulator.clock import Clock, SystemClock
from govbot_sandbox.emulator.contract import (
    UNSUPPORTED_OPERATION,
    AppStreamError,
    CallContext,
)
from govbot_sandbox.emulator.events import api_call_envelope, create_image_service_event
from govbot_sandbox.emulator.settings import Handler, OpEnv, Settings
from govbot_sandbox.emulator.state import (
    DEFAULT_BASE_IMAGE,
    BuilderRecord,
    FleetRecord,
    ImageRecord,
    World,
    resource_arn,
)
from govbot_sandbox.emulator.validation import validate_input

__all__ = ["AppStreamBackend", "AppStreamError", "CallContext", "EventSink"]

EventSink = Callable[[dict[str, Any]], None]

READ_ONLY: dict[str, Handler] = {
    "DescribeImages": images.describe_images,
    "DescribeImagePermissions": images.describe_image_permissions,
    "ListTagsForResource": tagging.list_tags_for_resource,
    "DescribeFleets": fleets.describe_fleets,
    "DescribeImageBuilders": builders.describe_image_builders,
    "GetExportImageTask": exits.get_export_image_task,
    "ListExportImageTasks": exits.list_export_image_tasks,
}
MUTATING: dict[str, Handler] = {
    "UpdateImagePermissions": images.update_image_permissions,
    "DeleteImagePermissions": images.delete_image_permissions,
    "DeleteImage": images.delete_image,
    "CopyImage": lifecycle.copy_image,
    "CreateUpdatedImage": lifecycle.create_updated_image,
    "TagResource": tagging.tag_resource,
    "UntagResource": tagging.untag_resource,
    "CreateFleet": fleets.create_fleet,
    "UpdateFleet": fleets.update_fleet,
    "StartFleet": fleets.start_fleet,
    "StopFleet": fleets.stop_fleet,
    "DeleteFleet": fleets.delete_fleet,
    "CreateImageBuilder": builders.create_image_builder,
    "UpdateImageBuilder": builders.update_image_builder,
    "StartImageBuilder": builders.start_image_builder,
    "StopImageBuilder": builders.stop_image_builder,
    "CreateImageBuilderStreamingURL": builders.create_image_builder_streaming_url,
    "CreateExportImageTask": exits.create_export_image_task,
    "CreateImportedImage": exits.create_imported_image,
}


class AppStreamBackend:
    """In-memory AppStream: images, sharing, copies, fleets, builders, CloudTrail events.

    Parameters
    ----------
    clock:
        Time source; pass a ``ManualClock`` in tests. Default: ``SystemClock``.
    event_sink:
        Receives each CloudTrail EventBridge envelope; replaceable later through the
        ``event_sink`` attribute. None drops events.
    settings:
        Durations and quotas (``copy_duration_seconds``, ``build_duration_seconds``,
        ``max_concurrent_copies``, ``max_shared_accounts``...); mutable on ``.settings``.
    amis:
        The EC2 AMIs exports make and imports read; default ``MotoAmis`` (moto's EC2 of
        the caller's account and region).

    Examples
    --------
    ::

        events: list[dict] = []
        backend = AppStreamBackend(clock=ManualClock(), event_sink=events.append)
        backend.seed_image("111111111111", "us-east-1", "golden")
        ctx = CallContext("111111111111", "us-east-1", "arn:aws:iam::111111111111:user/a")
        backend.dispatch("DescribeImages", {"Names": ["golden"]}, ctx)
    """

    def __init__(
        self,
        clock: Clock | None = None,
        event_sink: EventSink | None = None,
        settings: Settings | None = None,
        amis: AmiStore | None = None,
    ) -> None:
        self.clock: Clock = clock or SystemClock()
        self.amis: AmiStore = amis if amis is not None else MotoAmis()
        self.event_sink: EventSink | None = event_sink
        self.settings = settings or Settings()
        self.world = World()
        self._copy_failures: dict[str, deque[str]] = {}
        self._sessions: dict[str, datetime] = {}  # access key -> when its session began
        self._lock = threading.RLock()

    # ----------------------------------------------------------------- API entry point
    @staticmethod
    def supported_operations() -> frozenset[str]:
        """Operation names :meth:`dispatch` implements."""
        return frozenset(READ_ONLY) | frozenset(MUTATING)

    def dispatch(self, operation: str, params: dict[str, Any], ctx: CallContext) -> dict[str, Any]:
        """Run one API call for ``ctx``; return the output structure or raise AppStreamError.

        A mutating call emits its CloudTrail envelope whether it succeeds or fails (a failed
        one with ``errorCode``/``errorMessage``), as CloudTrail records both.
        """
        handler = MUTATING.get(operation) or READ_ONLY.get(operation)
        try:
            params = validate_input(operation, params)  # unknown operations fail here first
        except AppStreamError as exc:
            if handler is not None:
                self._emit_failure(operation, params, ctx, exc)
            raise
        if handler is None:
            raise AppStreamError(
                UNSUPPORTED_OPERATION,
                f"The AppStream emulator does not implement {operation}; supported: "
                f"{', '.join(sorted(self.supported_operations()))}",
            )
        with self._lock:
            now = self.clock.now()
            self._settle(now)
            self.world.ensure_region(ctx.region)
            failure: AppStreamError | None = None
            output: dict[str, Any] | None = None
            try:
                output = handler(self._env(ctx, now), params)
            except AppStreamError as exc:
                failure = exc
            event = api_call_envelope(
                operation,
                params,
                output,
                ctx,
                now,
                error=(failure.code, failure.message) if failure else None,
                read_only=operation in READ_ONLY,
                session_start=self._session_start(ctx, now),
            )
        self._emit(event)
        if failure is not None:
            raise failure
        return output or {}

    def _emit_failure(
        self, operation: str, params: Any, ctx: CallContext, exc: AppStreamError
    ) -> None:
        with self._lock:
            now = self.clock.now()
            started = self._session_start(ctx, now)
        safe = params if isinstance(params, dict) else {}
        self._emit(
            api_call_envelope(
                operation,
                safe,
                None,
                ctx,
                now,
                error=(exc.code, exc.message),
                read_only=operation in READ_ONLY,
                session_start=started,
            )
        )

    def _session_start(self, ctx: CallContext, now: datetime) -> datetime:
        """When the caller's session began: its first call here (CloudTrail's
        ``sessionContext.attributes.creationDate`` stays the same for the session)."""
        return self._sessions.setdefault(ctx.access_key_id or ctx.principal_arn, now)

    def _settle(self, now: datetime) -> int:
        return (
            lifecycle.settle(self.world, now)
            + fleets.settle(self.world, now)
            + exits.settle_exports(self.world, self.amis, now)
        )

    def _env(self, ctx: CallContext, now: datetime) -> OpEnv:
        return OpEnv(self.world, self.settings, now, ctx, self._copy_failures, self.amis)

    def _emit(self, event: dict[str, Any]) -> None:
        sink = self.event_sink
        if sink is not None:
            sink(event)

    # ----------------------------------------------------------------- clock controls
    def tick(self) -> int:
        """Apply every transition due at the clock's current time; return how many."""
        with self._lock:
            return self._settle(self.clock.now())

    def fail_next_copies(
        self, dest_region: str, count: int = 1, message: str = lifecycle.DEFAULT_COPY_FAILURE
    ) -> None:
        """Make the next ``count`` CopyImage calls into ``dest_region`` (any account) end
        FAILED with ``StateChangeReason {Code: IMAGE_COPY_FAILURE, Message: message}`` when
        their copy duration elapses."""
        if count < 1:
            raise ValueError(f"fail_next_copies: count must be >= 1, got {count}")
        with self._lock:
            self._copy_failures.setdefault(dest_region, deque()).extend([message] * count)

    # ----------------------------------------------------------------- world seeding
    def seed_image(
        self,
        account_id: str,
        region: str,
        name: str,
        *,
        tags: dict[str, str] | None = None,
        shared_with: dict[str, tuple[bool, bool]] | None = None,
        state: str = "AVAILABLE",
        description: str | None = None,
        platform: str = "WINDOWS_SERVER_2022",
    ) -> str:
        """Create an image owned by ``account_id`` directly (no event); return its ARN.

        ``shared_with`` maps account id -> (allow_fleet, allow_image_builder).
        """
        with self._lock:
            self.world.ensure_region(region)
            arn = resource_arn(region, account_id, "image", name)
            if arn in self.world.images:
                raise ValueError(f"seed_image: {arn} already exists")
            now = self.clock.now()
            base = self.world.images[resource_arn(region, None, "image", DEFAULT_BASE_IMAGE)]
            image = ImageRecord(
                name=name,
                region=region,
                owner=account_id,
                state=state,
                created_time=now - timedelta(days=1),
                platform=platform,
                base_image_arn=base.arn,
                display_name=name,
                description=description,
                public_base_image_released_date=base.public_base_image_released_date,
                tags=dict(tags or {}),
                shares={
                    acct: Permissions(allow_fleet=fleet, allow_image_builder=builder)
                    for acct, (fleet, builder) in (shared_with or {}).items()
                    if fleet or builder
                },
            )
            self.world.images[arn] = image
            return arn

    def seed_fleet(
        self, account_id: str, region: str, name: str, image_arn: str, desired: int = 2
    ) -> str:
        """Create a RUNNING fleet of ``account_id`` on ``image_arn`` (no permission check,
        no event); return its ARN."""
        with self._lock:
            self.world.ensure_region(region)
            image = self.world.images.get(image_arn)
            if image is None:
                raise ValueError(f"seed_fleet: image {image_arn} does not exist")
            fleet = FleetRecord(
                name=name,
                region=region,
                account=account_id,
                image_arn=image_arn,
                image_name=image.name,
                instance_type="stream.standard.medium",
                desired=desired,
                state="RUNNING",
                created_time=self.clock.now(),
                platform=image.platform,
            )
            if fleet.arn in self.world.fleets:
                raise ValueError(f"seed_fleet: {fleet.arn} already exists")
            self.world.fleets[fleet.arn] = fleet
            return fleet.arn

    def seed_image_builder(self, account_id: str, region: str, name: str, image_arn: str) -> str:
        """Create a RUNNING image builder of ``account_id`` on ``image_arn`` (no checks,
        no event); return its ARN."""
        with self._lock:
            self.world.ensure_region(region)
            image = self.world.images.get(image_arn)
            if image is None:
                raise ValueError(f"seed_image_builder: image {image_arn} does not exist")
            builder = BuilderRecord(
                name=name,
                region=region,
                account=account_id,
                image_arn=image_arn,
                instance_type="stream.standard.medium",
                state="RUNNING",
                created_time=self.clock.now(),
                platform=image.platform,
            )
            self.world.builders[builder.arn] = builder
            return builder.arn

    def finish_image_build(
        self,
        account_id: str,
        region: str,
        builder_name: str,
        image_name: str,
        *,
        tags: dict[str, str] | None = None,
        display_name: str | None = None,
        description: str | None = None,
    ) -> str:
        """The builder starts creating ``image_name``: a PENDING image (AVAILABLE after
        ``build_duration_seconds``) and the ``CreateImage`` service event. Returns its ARN."""
        with self._lock:
            now = self.clock.now()
            self._settle(now)
            builder = self.world.builders.get(
                resource_arn(region, account_id, "image-builder", builder_name)
            )
            if builder is None:
                raise ValueError(
                    f"finish_image_build: no image builder {builder_name!r} in "
                    f"{account_id}/{region}"
                )
            if self.world.owned_image(account_id, region, image_name) is not None:
                raise ValueError(f"finish_image_build: image {image_name!r} already exists")
            source = self.world.images.get(builder.image_arn)
            # The new image descends from the builder's base: a public image is the base
            # itself, any other image passes its own base on.
            base_arn = builder.image_arn
            released = None
            if source is not None:
                base_arn = source.arn if source.is_public else (source.base_image_arn or source.arn)
                released = source.public_base_image_released_date
            image = ImageRecord(
                name=image_name,
                region=region,
                owner=account_id,
                state="PENDING",
                created_time=now,
                platform=builder.platform,
                base_image_arn=base_arn,
                display_name=display_name or image_name,
                description=description,
                image_builder_name=builder_name,
                public_base_image_released_date=released,
                tags=dict(tags or {}),
                ready_at=now + timedelta(seconds=self.settings.build_duration_seconds),
                fail_code="INTERNAL_ERROR",
            )
            self.world.images[image.arn] = image
            event = create_image_service_event(image, builder.arn, released, now)
        self._emit(event)
        return image.arn
