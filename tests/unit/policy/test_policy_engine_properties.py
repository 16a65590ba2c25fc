"""Properties of the engine over generated images, policies and exemptions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from govbot.domain import ImageSnapshot, PermissionKind
from govbot.policy import Exemption, Policy, apply_changes, evaluate
from tests.unit.policy.builders import NOW, image, share

ACCOUNTS = ["111111111111", "222222222222", "333333333333", "999999999999"]
NAMES = ["prod-web", "prod-db", "dev-web", "golden-1"]
MODES = st.sampled_from(["audit", "enforce"])
selectors = st.one_of(
    st.just({}),
    st.just({"names": ["*"]}),
    st.builds(lambda g: {"names": [g]}, st.sampled_from(["prod-*", "*-web", "dev-*", "*"])),
    st.just({"tags": {"tier": "gold"}}),
    st.just({"exclude_names": ["dev-*"]}),
)


@st.composite
def rules(draw: st.DrawFn) -> list[dict[str, Any]]:
    kinds = draw(
        st.lists(
            st.sampled_from(
                [
                    "no_image_builder_for_untrusted",
                    "fleet_only_for_listed",
                    "never_share",
                    "max_shared_accounts",
                ]
            ),
            min_size=1,
            max_size=5,
        )
    )
    out: list[dict[str, Any]] = []
    for i, kind in enumerate(kinds):
        rule: dict[str, Any] = {"id": f"r{i}", "type": kind, "images": draw(selectors)}
        if draw(st.booleans()):
            rule["mode"] = draw(MODES)
        if kind == "fleet_only_for_listed":
            rule["accounts"] = draw(st.lists(st.sampled_from(ACCOUNTS), unique=True))
            rule["include_trusted"] = draw(st.booleans())
        if kind == "max_shared_accounts":
            rule["max"] = draw(st.integers(0, 4))
        out.append(rule)
    return out


@st.composite
def exemptions(draw: st.DrawFn, rule_ids: list[str], prefix: str) -> list[dict[str, Any]]:
    count = draw(st.integers(0, 3))
    scoped = st.lists(st.sampled_from(rule_ids), max_size=1) if rule_ids else st.just([])
    return [
        {
            "id": f"{prefix}{i}",
            "images": draw(selectors),
            "account": draw(st.sampled_from(ACCOUNTS)),
            "permission": draw(st.sampled_from(["fleet", "image_builder", "any"])),
            "reason": "because",
            "approver": "U0SEC",
            # Some expired, some exactly at the boundary, some active.
            "expires": NOW + timedelta(hours=draw(st.integers(-3, 3))),
            # Half the time every rule, else (when there are rules) one named rule.
            "rules": draw(st.one_of(st.just([]), scoped)),
        }
        for i in range(count)
    ]


@st.composite
def scenarios(
    draw: st.DrawFn,
) -> tuple[ImageSnapshot, Policy, frozenset[str], tuple[Exemption, ...]]:
    rule_list = draw(rules())
    ids = [r["id"] for r in rule_list]
    policy = Policy.model_validate(
        {
            "version": 1,
            "mode": draw(MODES),
            "trusted_accounts": draw(st.lists(st.sampled_from(ACCOUNTS), unique=True)),
            "organization": {"trust_member_accounts": draw(st.booleans())},
            "rules": rule_list,
            "exemptions": draw(exemptions(ids, "file-")),
        }
    )
    extra = tuple(Exemption.model_validate(e) for e in draw(exemptions(ids, "slack-")))
    accounts = draw(st.lists(st.sampled_from(ACCOUNTS), unique=True, min_size=1))
    shares = [share(a, fleet=draw(st.booleans()), builder=draw(st.booleans())) for a in accounts]
    tags = draw(st.sampled_from([{}, {"tier": "gold"}, {"tier": "silver"}]))
    snapshot = image(draw(st.sampled_from(NAMES)), *shares, tags=tags)
    org = frozenset(draw(st.lists(st.sampled_from(ACCOUNTS), unique=True)))
    return snapshot, policy, org, extra


Scenario = tuple[ImageSnapshot, Policy, frozenset[str], tuple[Exemption, ...]]


def run(s: Scenario, snapshot: ImageSnapshot | None = None) -> Any:
    img, policy, org, extra = s
    return evaluate(snapshot or img, policy, NOW, org_accounts=org, extra_exemptions=extra)


@settings(max_examples=75, deadline=None)
@given(scenarios(), st.randoms(use_true_random=False))
def test_evaluation_is_deterministic_and_order_independent(s: Scenario, rnd: Any) -> None:
    shuffled = list(s[0].shared_with)
    rnd.shuffle(shuffled)
    again = s[0].model_copy(update={"shared_with": tuple(shuffled)})
    assert run(s) == run(s)
    assert run(s, again) == run(s)


@settings(max_examples=75, deadline=None)
@given(scenarios())
def test_after_is_a_subset_of_before(s: Scenario) -> None:
    for change in run(s).enforced_changes():
        assert change.after.granted() < change.before.granted()
        assert change.before == s[0].permissions_of(change.account_id)


@settings(max_examples=75, deadline=None)
@given(scenarios())
def test_changes_only_touch_enforced_violations(s: Scenario) -> None:
    img, policy, _, extra = s
    evaluation = run(s)
    active_all_rule = [e for e in (*policy.exemptions, *extra) if e.is_active(NOW) and not e.rules]
    for change in evaluation.enforced_changes():
        for kind in change.revoked:
            about: list[Any] = [
                v
                for v in evaluation.verdicts
                if v.account_id == change.account_id and v.permission == kind
            ]
            # Revoked only because an enforce-mode, non-report-only rule said so.
            assert any(v.is_enforced for v in about)
            # Never a permission an all-rule exemption covers.
            assert not any(
                e.covers(
                    image_name=img.ref.name,
                    image_tags=img.tags,
                    account_id=change.account_id,
                    permission=kind,
                    rule_id="any",
                    now=NOW,
                )
                for e in active_all_rule
            )
    # Permissions that only got allowed/exempted verdicts are never touched.
    revoked = {(c.account_id, k) for c in evaluation.enforced_changes() for k in c.revoked}
    for verdict in evaluation.verdicts:
        key = (verdict.account_id, verdict.permission)
        peers = [v for v in evaluation.verdicts if (v.account_id, v.permission) == key]
        if all(v.outcome in ("allowed", "exempted") for v in peers):
            assert key not in revoked


@settings(max_examples=75, deadline=None)
@given(scenarios())
def test_expired_exemptions_never_apply(s: Scenario) -> None:
    _, policy, _, extra = s
    # Computed from the data, not with Exemption.is_active, so a bug there is caught.
    expired = {e.id for e in (*policy.exemptions, *extra) if e.expires <= NOW}
    active = {e.id for e in (*policy.exemptions, *extra) if e.expires > NOW}
    for verdict in run(s).verdicts:
        if verdict.outcome == "exempted":
            assert verdict.exemption_id in active
        # Ids may repeat between file and Slack; only flag ids that are purely expired.
        assert verdict.exemption_id not in expired - active


@settings(max_examples=75, deadline=None)
@given(scenarios())
def test_applying_changes_is_idempotent(s: Scenario) -> None:
    after = apply_changes(s[0], run(s))
    second = run(s, after)
    assert [v for v in second.violations() if v.is_enforced] == []
    assert second.enforced_changes() == ()
    # Nothing but the revoked kinds went away.
    for entry in s[0].shared_with:
        kept: set[PermissionKind] = set(after.permissions_of(entry.account_id).granted())
        assert kept <= entry.permissions.granted()


@settings(max_examples=75, deadline=None)
@given(scenarios())
def test_audit_only_policy_never_changes_anything(s: Scenario) -> None:
    img, policy, org, extra = s
    audit_rules = [r.model_copy(update={"mode": "audit"}) for r in policy.rules]
    audit = policy.model_copy(update={"mode": "audit", "rules": tuple(audit_rules)})
    result = evaluate(img, audit, NOW, org_accounts=org, extra_exemptions=extra)
    assert result.enforced_changes() == ()
    assert all(v.mode == "audit" for v in result.verdicts)


@settings(max_examples=75, deadline=None)
@given(scenarios(), st.integers(0, 48))
def test_once_expired_no_exemption_applies(s: Scenario, hours_late: int) -> None:
    img, policy, org, extra = s
    everything = (*policy.exemptions, *extra)
    late = max((e.expires for e in everything), default=NOW) + timedelta(hours=hours_late)
    result = evaluate(img, policy, late, org_accounts=org, extra_exemptions=extra)
    assert result.exempted() == ()


@settings(max_examples=75, deadline=None)
@given(scenarios(), st.data())
def test_an_active_blanket_exemption_protects_the_account(s: Scenario, data: st.DataObject) -> None:
    img, policy, org, extra = s
    account = data.draw(st.sampled_from([entry.account_id for entry in img.shared_with]))
    blanket = Exemption.model_validate(
        {
            "id": "blanket",
            "images": {},
            "account": account,
            "permission": "any",
            "reason": "r",
            "approver": "U0SEC",
            "expires": NOW + timedelta(seconds=1),
        }
    )
    result = evaluate(img, policy, NOW, org_accounts=org, extra_exemptions=(*extra, blanket))
    assert account not in {c.account_id for c in result.enforced_changes()}
    mine = [v for v in result.verdicts if v.account_id == account]
    assert all(v.outcome in ("allowed", "exempted") for v in mine)
