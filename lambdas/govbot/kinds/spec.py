"""``KindSpec``: everything govbot knows about one Slack message kind, and their registry.

A kind is one module of ``govbot.kinds`` (or a plugin's, or a test's) that registers a
``KindSpec``: its name, the payload model producers build and the notifier parses, the
renderer, the highest severity it can carry and a one-line label. The notifier (parse and
render), the policy (route ``kinds``) and ``govbot policy kinds`` read the registry; none
keeps its own list of kinds.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from govbot.domain import SEVERITY_ORDER, Severity

if TYPE_CHECKING:
    from govbot.ledger.records.payload import PayloadEnvelope

_NAME = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
P = TypeVar("P", bound="PayloadEnvelope")


@dataclass(frozen=True)
class RenderedMessage:
    """A Slack message ready to send: fallback text plus Block Kit blocks (plain dicts)."""

    text: str
    blocks: list[dict[str, Any]]
    kind: str
    outbox_id: str

    def body(self) -> dict[str, Any]:
        """The JSON body an incoming webhook expects."""
        return {"text": self.text, "blocks": self.blocks}


# (payload of the kind, outbox id, exemption days offered on buttons) -> the message.
Renderer = Callable[[Any, str, int], RenderedMessage]


@dataclass(frozen=True)
class KindSpec(Generic[P]):
    """One message kind: ``payload`` (a ``PayloadEnvelope`` subclass whose
    ``message_kind`` literal is ``name``), ``render``, ``max_severity`` (the highest
    severity a message of this kind can carry: ``govbot policy`` warns of routes that
    can never receive it) and ``label`` (what the message says, for the CLI table)."""

    name: str
    payload: type[P]
    render: Renderer
    max_severity: Severity
    label: str
    # Its ``details.violations`` name (account, permission) pairs: the message offers the
    # exemption/revoke buttons for them and a click is checked against them.
    names_violations: bool = False


class KindRegistryError(TypeError):
    """A spec that cannot be registered (names the kind and what is wrong)."""


_SPECS: dict[str, KindSpec[Any]] = {}


def register_kind(spec: KindSpec[P]) -> KindSpec[P]:
    """Make ``spec`` a kind the notifier delivers; returns it (``SPEC = register_kind(...)``).

    Raises ``KindRegistryError`` for a malformed name, a payload model whose
    ``message_kind`` default is not the name, an unknown severity, or a name another
    spec already holds.
    """
    if not _NAME.match(spec.name):
        raise KindRegistryError(f"message kind {spec.name!r} is not a snake_case name")
    declared = spec.payload.model_fields.get("message_kind")
    if declared is None or declared.default != spec.name:
        raise KindRegistryError(
            f"{spec.name}: payload model {spec.payload.__name__} must declare "
            f'`message_kind: Literal["{spec.name}"] = "{spec.name}"`'
        )
    if spec.max_severity not in SEVERITY_ORDER:
        raise KindRegistryError(f"{spec.name}: unknown max_severity {spec.max_severity!r}")
    known = _SPECS.get(spec.name)
    if known is not None and known != spec:
        raise KindRegistryError(
            f"message kind {spec.name!r} is already registered (payload {known.payload.__name__})"
        )
    _SPECS[spec.name] = spec
    return spec


def unregister_kind(name: str) -> None:
    """Forget kind ``name`` (tests and plugins that register temporarily)."""
    _SPECS.pop(name, None)


def kind_spec(name: str) -> KindSpec[Any] | None:
    """The spec registered for ``name``, or None (not a kind govbot knows)."""
    return _SPECS.get(name)


def kind_specs() -> tuple[KindSpec[Any], ...]:
    """Registered specs in registration order."""
    return tuple(_SPECS.values())


def kind_names() -> tuple[str, ...]:
    """Registered kind names in registration order."""
    return tuple(_SPECS)
