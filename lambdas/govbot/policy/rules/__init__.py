"""Permission rules: one module per rule type, each registered once by its class.

To add a rule type: write ``policy/rules/<name>.py`` with a ``RuleConfig`` subclass
decorated with ``@register_rule`` (its ``type`` literal, config fields, ``check`` and
``default_severity``), import it below (the Lambda asset holds what the handlers import),
and add its tests. Nothing else changes: the policy loader and the engine read the registry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from pydantic import GetCoreSchemaHandler
from pydantic_core import CoreSchema

from govbot.policy.rules.base import PERMISSION_KINDS, RuleConfig, RuleContext
from govbot.policy.rules.registry import (
    RuleRegistryError,
    register_rule,
    rule_class,
    rule_types,
    rule_union,
    unregister_rule,
)

# The built-in rule types, in the order error messages list them.
from govbot.policy.rules.image_builder import NoImageBuilderForUntrusted  # isort: skip
from govbot.policy.rules.fleet import FleetOnlyForListed  # isort: skip
from govbot.policy.rules.never_share import NeverShare  # isort: skip
from govbot.policy.rules.share_cap import MaxSharedAccounts  # isort: skip
from govbot.policy.rules.inbound import InboundOnlyFromTrusted  # isort: skip
from govbot.policy.rules.exports import ExportedAmiLaunchOnlyTrusted, NoExport  # isort: skip
from govbot.policy.rules.imports import ImportedImageTrusted  # isort: skip
from govbot.policy.rules.compute import BuilderAgentAccess, ComputeSecuritySettings  # isort: skip


class _RegisteredRules:
    """Schema hook: validate as the union of the rule types registered at build time."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return handler.generate_schema(rule_union())


if TYPE_CHECKING:
    Rule = RuleConfig
else:
    #: A policy rule: validated as whichever registered type its ``type`` names.
    Rule = Annotated[RuleConfig, _RegisteredRules()]

#: Kept for type hints; any registered name is valid at run time.
RuleType = str

__all__ = [
    "PERMISSION_KINDS",
    "BuilderAgentAccess",
    "ComputeSecuritySettings",
    "ExportedAmiLaunchOnlyTrusted",
    "FleetOnlyForListed",
    "ImportedImageTrusted",
    "InboundOnlyFromTrusted",
    "MaxSharedAccounts",
    "NeverShare",
    "NoExport",
    "NoImageBuilderForUntrusted",
    "Rule",
    "RuleConfig",
    "RuleContext",
    "RuleRegistryError",
    "RuleType",
    "register_rule",
    "rule_class",
    "rule_types",
    "rule_union",
    "unregister_rule",
]
