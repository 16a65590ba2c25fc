"""The Judge: one way to gather the engine's inputs, for every entry point."""

from __future__ import annotations

from datetime import timedelta

from govbot.governance import build_judge
from govbot.ledger.records import ExemptionRecord
from govbot.policy import Exemption, ImageSelector
from govbot.policy.judge import EngineInputs, Judge
from tests.unit.policy.builders import NOW, ORG_MEMBER, OUTSIDER, image, policy, share

TRUSTING = """\
organization: {trust_member_accounts: true}
rules: [{id: builders, type: no_image_builder_for_untrusted}]
"""
NOT_TRUSTING = "rules: [{id: builders, type: no_image_builder_for_untrusted}]\n"


class Calls:
    """Counts reads of the organization (a Lambda pays for each one)."""

    def __init__(self) -> None:
        self.org = 0

    def members(self) -> frozenset[str]:
        self.org += 1
        return frozenset({ORG_MEMBER})


def test_members_are_read_only_when_the_policy_trusts_them() -> None:
    calls = Calls()
    judge = Judge(lambda: policy(NOT_TRUSTING), org_accounts=calls.members, clock=lambda: NOW)
    assert judge.inputs().org_accounts == frozenset()
    assert calls.org == 0
    trusting = Judge(lambda: policy(TRUSTING), org_accounts=calls.members, clock=lambda: NOW)
    member_builder = image("prod-web", share(ORG_MEMBER, builder=True))
    (verdict,) = trusting.evaluate(member_builder).verdicts
    assert verdict.outcome == "allowed"
    assert calls.org == 1


def test_fixed_inputs_answer_every_image_of_a_run_the_same_way() -> None:
    loaded = policy(NOT_TRUSTING)
    reads: list[int] = []

    def read_policy() -> object:
        reads.append(1)
        return loaded

    judge = Judge(read_policy, clock=lambda: NOW)  # type: ignore[arg-type]
    run = judge.fixed(judge.inputs())
    for _ in range(3):
        run.evaluate(image("prod-web", share(OUTSIDER, builder=True)))
    assert len(reads) == 1


def test_build_judge_applies_exemptions_granted_from_slack() -> None:
    granted = ExemptionRecord(
        exemption_id="slack-1",
        image_arn="arn:aws:appstream:us-east-1:000000000000:image/prod-web",
        account_id=OUTSIDER,
        permission="image_builder",
        reason="vendor build",
        approver="U012ABCDEF",
        expires_at=NOW + timedelta(days=1),
        granted_at=NOW,
        source="slack",
        status="active",
    )

    class Store:
        """Hands back the grant whatever the time (not tests.fakes.FakeLedger, which filters
        lapsed grants itself): the "later" verdict below must come from the Judge's own
        expiry check."""

        def active_exemptions(self, now: object = None) -> list[ExemptionRecord]:
            return [granted]

    loaded = policy(NOT_TRUSTING)
    snapshot = image("prod-web", share(OUTSIDER, builder=True))
    with_ledger = build_judge(lambda: loaded, exemption_store=Store(), clock=lambda: NOW)
    without = build_judge(lambda: loaded, clock=lambda: NOW)
    assert [v.outcome for v in with_ledger.evaluate(snapshot).verdicts] == ["exempted"]
    assert [v.outcome for v in without.evaluate(snapshot).verdicts] == ["violation"]
    later = NOW + timedelta(days=2)
    assert [v.outcome for v in with_ledger.evaluate(snapshot, later).verdicts] == ["violation"]


def test_engine_inputs_propagate_only_what_the_policy_allows() -> None:
    exemption = Exemption(
        id="keep",
        images=ImageSelector(names=("prod-*",)),
        account=OUTSIDER,
        permission="fleet",
        reason="r",
        approver="a",
        expires=NOW + timedelta(hours=1),
    )
    inputs = EngineInputs(
        policy=policy("rules: [{id: never, type: never_share}]"),
        now=NOW,
        exemptions=(exemption,),
    )
    source = image("prod-web", share(OUTSIDER, fleet=True, builder=True))
    (kept,) = inputs.allowed_to_propagate(source, source.shared_with)
    assert kept.permissions.granted() == {"fleet"}
