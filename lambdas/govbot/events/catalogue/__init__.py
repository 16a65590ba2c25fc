"""The event catalogue: one ``EventSpec`` per AppStream event govbot governs, one file each.

To add an event: write ``events/catalogue/<operation>.py`` with its params model (an
``EventParams`` subclass whose ``operation`` literal is the event name), a ``facts``
function and ``SPEC = register_event(EventSpec(...))`` (routing, enforcer step,
replicator step, world effect...), import it below (the Lambda assets hold what the
handlers import), and add its tests. Routing, the parser, the enforcer, the replicator,
``govbot simulate`` and the emulator tests read the registry: nothing else changes.
"""

from __future__ import annotations

from govbot.events.catalogue.spec import (
    API_CALL,
    EVENT_SOURCE,
    SERVICE_EVENT,
    SOURCE,
    EnforcerStep,
    EventRegistryError,
    EventSpec,
    Facts,
    MakesImage,
    ReplicatorStep,
    WorldChange,
    WorldEffect,
    event_names,
    event_spec,
    event_specs,
    no_record_note,
    register_event,
    unregister_event,
)

# The built-in events, in the order the EventBridge rules list them.
from govbot.events.catalogue.update_image_permissions import UpdateImagePermissionsParams  # isort: skip
from govbot.events.catalogue.delete_image_permissions import DeleteImagePermissionsParams  # isort: skip
from govbot.events.catalogue.copy_image import CopyImageParams  # isort: skip
from govbot.events.catalogue.delete_image import DeleteImageParams  # isort: skip
from govbot.events.catalogue.create_updated_image import CreateUpdatedImageParams  # isort: skip
from govbot.events.catalogue.create_image_builder import CreateImageBuilderParams  # isort: skip
from govbot.events.catalogue.create_fleet import CreateFleetParams  # isort: skip
from govbot.events.catalogue.update_fleet import UpdateFleetParams  # isort: skip
from govbot.events.catalogue.tag_resource import TagResourceParams  # isort: skip
from govbot.events.catalogue.untag_resource import UntagResourceParams  # isort: skip
from govbot.events.catalogue.create_export_image_task import CreateExportImageTaskParams  # isort: skip
from govbot.events.catalogue.create_imported_image import CreateImportedImageParams  # isort: skip
from govbot.events.catalogue.update_image_builder import UpdateImageBuilderParams  # isort: skip
from govbot.events.catalogue.builder_sessions import (  # isort: skip
    CreateImageBuilderStreamingURLParams,
    StartImageBuilderParams,
    StopImageBuilderParams,
)
from govbot.events.catalogue.create_image import CreateImageServiceDetails  # isort: skip

__all__ = [
    "API_CALL",
    "EVENT_SOURCE",
    "SERVICE_EVENT",
    "SOURCE",
    "CopyImageParams",
    "CreateExportImageTaskParams",
    "CreateFleetParams",
    "CreateImageBuilderParams",
    "CreateImageBuilderStreamingURLParams",
    "CreateImageServiceDetails",
    "CreateImportedImageParams",
    "CreateUpdatedImageParams",
    "DeleteImageParams",
    "DeleteImagePermissionsParams",
    "EnforcerStep",
    "EventRegistryError",
    "EventSpec",
    "Facts",
    "MakesImage",
    "ReplicatorStep",
    "StartImageBuilderParams",
    "StopImageBuilderParams",
    "TagResourceParams",
    "UntagResourceParams",
    "UpdateFleetParams",
    "UpdateImageBuilderParams",
    "UpdateImagePermissionsParams",
    "WorldChange",
    "WorldEffect",
    "event_names",
    "event_spec",
    "event_specs",
    "no_record_note",
    "register_event",
    "unregister_event",
]
