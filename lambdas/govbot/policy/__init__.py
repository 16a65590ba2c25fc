"""Policy as code: YAML -> typed models, and the one pure policy engine.

Public API::

    from govbot.policy import load_policy, parse_policy, evaluate, Policy, PolicyError
"""

from govbot.domain import MessageKind, Severity
from govbot.policy.engine import allowed_to_propagate, apply_changes, evaluate, golden_rules_for
from govbot.policy.errors import PolicyError
from govbot.policy.exemptions import Exemption
from govbot.policy.loader import load_policy, parse_policy, validate_policy
from govbot.policy.models import Policy
from govbot.policy.primitives import severity_at_least
from govbot.policy.results import Evaluation, Outcome, PermissionChange, Verdict
from govbot.policy.rules import (
    FleetOnlyForListed,
    MaxSharedAccounts,
    NeverShare,
    NoImageBuilderForUntrusted,
    Rule,
    RuleConfig,
    RuleContext,
    RuleType,
    register_rule,
    rule_types,
)
from govbot.policy.sections import (
    GoldenRule,
    Notifications,
    OrganizationTrust,
    Replication,
    Retention,
    Route,
    Storm,
    TrustedAccount,
)
from govbot.policy.selectors import ImageSelector

__all__ = [
    "Evaluation",
    "Exemption",
    "FleetOnlyForListed",
    "GoldenRule",
    "ImageSelector",
    "MaxSharedAccounts",
    "MessageKind",
    "NeverShare",
    "NoImageBuilderForUntrusted",
    "Notifications",
    "OrganizationTrust",
    "Outcome",
    "PermissionChange",
    "Policy",
    "PolicyError",
    "Replication",
    "Retention",
    "Route",
    "Rule",
    "RuleConfig",
    "RuleContext",
    "RuleType",
    "Severity",
    "Storm",
    "TrustedAccount",
    "Verdict",
    "allowed_to_propagate",
    "apply_changes",
    "evaluate",
    "golden_rules_for",
    "load_policy",
    "parse_policy",
    "register_rule",
    "rule_types",
    "severity_at_least",
    "validate_policy",
]
