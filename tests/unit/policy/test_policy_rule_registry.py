"""The rule registry: a rule type defined here, outside govbot, loads and evaluates.

Nothing in ``govbot.policy.engine`` or the loader names rule types: registering the class
below is all it takes. The fixture unregisters it so other tests see the built-in set.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar, Literal

import pytest

from govbot.policy import PolicyError, RuleConfig, RuleContext, Verdict, evaluate, rule_types
from govbot.policy.engine import reads_tags, reads_uses
from govbot.policy.primitives import Severity
from govbot.policy.rules import (
    MaxSharedAccounts,
    NoImageBuilderForUntrusted,
    RuleRegistryError,
    register_rule,
    rule_class,
    unregister_rule,
)
from tests.unit.policy.builders import LISTED, NOW, OUTSIDER, image, policy, share

BUILT_IN = (
    "no_image_builder_for_untrusted",
    "fleet_only_for_listed",
    "never_share",
    "max_shared_accounts",
    "inbound_only_from_trusted",
    "no_export",
    "exported_ami_launch_only_trusted",
    "imported_image_trusted",
    "builder_agent_access",
    "compute_security_settings",
)


class NoFleetWithoutTag(RuleConfig):
    """Test-only rule type: fleet shares need the image to carry ``tag`` = "yes"."""

    default_severity: ClassVar[Severity] = "low"
    reads_tags: ClassVar[bool] = True

    type: Literal["no_fleet_without_tag"]
    tag: str

    def check(self, ctx: RuleContext) -> Iterator[Verdict]:
        tagged = ctx.image.tags.get(self.tag) == "yes"
        for entry in ctx.shares:
            if entry.permissions.allow_fleet:
                yield ctx.share_verdict(
                    self,
                    entry.account_id,
                    "fleet",
                    allowed_because=f"the image is tagged {self.tag}" if tagged else None,
                    violation_because=f"but the image is not tagged {self.tag}=yes",
                )


@pytest.fixture
def registered() -> Iterator[type[NoFleetWithoutTag]]:
    register_rule(NoFleetWithoutTag)
    yield NoFleetWithoutTag
    unregister_rule("no_fleet_without_tag")


TAG_RULE = """\
rules:
  - {id: tagged-fleet, type: no_fleet_without_tag, tag: shareable}
"""


def test_built_in_rule_types_are_registered_in_order() -> None:
    assert rule_types() == BUILT_IN
    assert rule_class("max_shared_accounts") is MaxSharedAccounts


def test_each_rule_type_carries_its_default_severity() -> None:
    assert NoImageBuilderForUntrusted.default_severity == "critical"
    assert MaxSharedAccounts.default_severity == "medium"
    assert MaxSharedAccounts.report_only
    assert not NoImageBuilderForUntrusted.report_only


def test_a_rule_type_from_a_test_module_loads_and_evaluates(
    registered: type[NoFleetWithoutTag],
) -> None:
    # Build the policy model first with the built-ins, so registration must rebuild it.
    policy("rules: [{id: cap, type: max_shared_accounts, max: 1}]")
    loaded = policy(TAG_RULE)
    (rule,) = loaded.rules
    assert isinstance(rule, registered)
    untagged = evaluate(image("prod-web", share(OUTSIDER, fleet=True)), loaded, NOW)
    (verdict,) = untagged.verdicts
    assert (verdict.rule_type, verdict.outcome, verdict.severity) == (
        "no_fleet_without_tag",
        "violation",
        "low",
    )
    assert verdict.reason.endswith("but the image is not tagged shareable=yes")
    (change,) = untagged.enforced_changes()
    assert change.account_id == OUTSIDER
    assert change.deletes_share
    tagged = image("prod-web", share(LISTED, fleet=True), tags={"shareable": "yes"})
    assert [v.outcome for v in evaluate(tagged, loaded, NOW).verdicts] == ["allowed"]


def test_a_rule_that_reads_tags_makes_the_engine_fetch_them(
    registered: type[NoFleetWithoutTag],
) -> None:
    # No selector of this policy reads tags: only the rule type's declaration says so.
    loaded = policy(TAG_RULE)
    assert not any(rule.images.tags for rule in loaded.rules)
    assert reads_tags(loaded)
    assert not reads_tags(policy("rules: [{id: cap, type: max_shared_accounts, max: 1}]"))
    assert not reads_uses(loaded)
    assert reads_uses(policy("rules: [{id: in, type: inbound_only_from_trusted}]"))


def test_a_registered_rule_gets_the_same_field_errors(
    registered: type[NoFleetWithoutTag],
) -> None:
    with pytest.raises(PolicyError) as caught:
        policy("rules:\n  - {id: t, type: no_fleet_without_tag, tags: x}\n")
    problems = caught.value.problems
    assert "rules[0].tag: required key is missing (line 4)" in problems
    assert "rules[0].tags: unknown key (did you mean 'tag'?) (line 4)" in problems


def test_unregistered_type_is_an_error_naming_the_registered_ones() -> None:
    with pytest.raises(PolicyError) as caught:
        policy(TAG_RULE)
    (problem,) = caught.value.problems
    expected = ", ".join(repr(t) for t in BUILT_IN)
    assert problem == (
        f"rules[0].type: unknown rule type 'no_fleet_without_tag'; expected one of {expected}"
        " (line 4)"
    )


def test_a_type_name_is_registered_once() -> None:
    class Impostor(RuleConfig):
        type: Literal["never_share"]

    with pytest.raises(RuleRegistryError, match="already registered"):
        register_rule(Impostor)
    assert rule_types() == BUILT_IN


def test_a_rule_class_without_a_type_literal_is_refused() -> None:
    class Untyped(RuleConfig):
        pass

    with pytest.raises(RuleRegistryError, match="must declare"):
        register_rule(Untyped)
