"""The Slack message kinds: one module per kind, each registering a ``KindSpec``.

Importing this package registers the built-in kinds (in this order: the order of
``govbot policy kinds`` and of the "expected one of" lists in errors). A new kind is one
more module here plus its import below (``tests/integration/notify/test_notify_new_kind.py``
adds one from a test module).
"""

from __future__ import annotations

# isort: off
from govbot.kinds import (  # noqa: F401  (each import registers its kind)
    violation_remedied,
    violation_audit,
    violation_resolved,
    violation_reminder,
    inbound_image_used,
    stop_sharing_impact,
    golden_copy_completed,
    golden_copy_failed,
    golden_source_deleted,
    golden_name_taken,
    drift_found,
    exemption_granted,
    exemption_expired,
    event_rejected,
)

# isort: on
from govbot.kinds.spec import (
    KindRegistryError,
    KindSpec,
    RenderedMessage,
    Renderer,
    kind_names,
    kind_spec,
    kind_specs,
    register_kind,
    unregister_kind,
)

__all__ = [
    "KindRegistryError",
    "KindSpec",
    "RenderedMessage",
    "Renderer",
    "kind_names",
    "kind_spec",
    "kind_specs",
    "register_kind",
    "unregister_kind",
]
