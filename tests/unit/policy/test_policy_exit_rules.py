"""The exit rules: exports to AMIs, their launch permissions, imports, builder agents and
compute security settings, judged by the one engine from the snapshot's exit facts."""

from __future__ import annotations

from govbot.exit_facts import AgentAccess, ComputeSettings, ImageExport, ImportSource
from govbot.policy.engine import evaluate
from govbot.policy.rules import BuilderAgentAccess
from govbot.policy.rules.compute import agent_access_remedy
from govbot.policy.rules.exports import launch_removals
from tests.unit.policy.builders import NOW, OUTSIDER, OWNER, TRUSTED, image, policy

TRUSTING = "trusted_accounts:\n  - id: '111111111111'\n"
ADMIN = f"arn:aws:sts::{OWNER}:assumed-role/ImageAdmin/jo"


def _export(**overrides: object) -> ImageExport:
    fields: dict[str, object] = {
        "task_id": "t-1",
        "state": "COMPLETED",
        "ami_name": "prod-ami",
        "ami_id": "ami-0123456789abcdef0",
    }
    fields.update(overrides)
    return ImageExport.model_validate(fields)


def _outcomes(evaluation: object) -> list[tuple[str | None, str]]:
    return [(v.account_id, v.outcome) for v in evaluation.verdicts]  # type: ignore[attr-defined]


def test_no_export_allows_listed_principals_and_tagged_images_only() -> None:
    rules = policy(
        "rules:\n  - id: exp\n    type: no_export\n"
        "    principals: ['arn:aws:sts::*:assumed-role/ImageAdmin/*']\n"
        "    tagged: {export: approved}\n"
    )
    by_admin = image().model_copy(update={"exports": (_export(actor_arn=ADMIN),)})
    by_other = image().model_copy(
        update={"exports": (_export(actor_arn=f"arn:aws:iam::{OWNER}:user/eve"),)}
    )
    tagged = image(tags={"export": "approved"}).model_copy(update={"exports": (_export(),)})
    failed = image().model_copy(update={"exports": (_export(state="FAILED"),)})
    assert [v.outcome for v in evaluate(by_admin, rules, NOW).verdicts] == ["allowed"]
    denied = evaluate(by_other, rules, NOW).verdicts
    assert [v.outcome for v in denied] == ["violation"]
    assert "user/eve" in denied[0].reason
    assert denied[0].report_only
    assert [v.outcome for v in evaluate(tagged, rules, NOW).verdicts] == ["allowed"]
    assert evaluate(failed, rules, NOW).verdicts == ()


def test_exported_ami_launch_trusts_listed_and_trusted_accounts_never_public() -> None:
    rules = policy(TRUSTING + "rules:\n  - id: ami\n    type: exported_ami_launch_only_trusted\n")
    snap = image().model_copy(
        update={"exports": (_export(launch_accounts=(TRUSTED, OUTSIDER, "all")),)}
    )
    evaluation = evaluate(snap, rules, NOW)
    assert _outcomes(evaluation) == [
        (TRUSTED, "allowed"),
        (OUTSIDER, "violation"),
        ("all", "violation"),
    ]
    assert "everyone may launch AMI" in evaluation.verdicts[2].reason
    assert launch_removals(evaluation, snap.exports) == {
        "ami-0123456789abcdef0": ("999999999999", "all")
    }


def test_audit_mode_removes_no_launch_permission() -> None:
    rules = policy(
        "rules:\n  - id: ami\n    type: exported_ami_launch_only_trusted\n", mode="audit"
    )
    snap = image().model_copy(update={"exports": (_export(launch_accounts=(OUTSIDER,)),)})
    evaluation = evaluate(snap, rules, NOW)
    assert _outcomes(evaluation) == [(OUTSIDER, "violation")]
    assert launch_removals(evaluation, snap.exports) == {}


def test_imported_image_source_role_and_tags() -> None:
    rules = policy(
        TRUSTING + "rules:\n  - id: imp\n    type: imported_image_trusted\n"
        "    roles: ['arn:aws:iam::*:role/AppStreamImport*']\n"
        "    required_tags: {source: vetted}\n"
    )
    good = image(tags={"source": "vetted"}).model_copy(
        update={
            "imported_from": ImportSource(
                source_ami_id="ami-11111111",
                ami_owner=TRUSTED,
                role_arn=f"arn:aws:iam::{OWNER}:role/AppStreamImportRole",
            )
        }
    )
    bad = image().model_copy(
        update={
            "imported_from": ImportSource(
                source_ami_id="ami-22222222",
                ami_owner=OUTSIDER,
                role_arn=f"arn:aws:iam::{OWNER}:role/Other",
            )
        }
    )
    assert [v.outcome for v in evaluate(good, rules, NOW).verdicts] == ["allowed", "allowed"]
    verdicts = evaluate(bad, rules, NOW).verdicts
    assert [v.outcome for v in verdicts] == ["violation", "violation", "violation"]
    assert "AMI ami-22222222 of account 999999999999" in verdicts[0].reason
    assert "source=vetted" in verdicts[2].reason
    assert all(v.report_only for v in verdicts)


def _builder(access: AgentAccess | None, **settings: object) -> ComputeSettings:
    return ComputeSettings.model_validate(
        {
            "kind": "image_builder",
            "name": "b1",
            "account_id": OWNER,
            "region": "us-east-1",
            "agent_access": access,
            **settings,
        }
    )


def test_builder_agent_access_limits_actions_and_screenshot_bucket() -> None:
    rules = policy(
        "rules:\n  - id: agents\n    type: builder_agent_access\n"
        "    allowed_actions: [COMPUTER_VISION]\n"
        "    screenshot_buckets: ['arn:aws:s3:::ok-bucket']\n"
    )
    risky = AgentAccess(
        enabled=("COMPUTER_VISION", "COMPUTER_INPUT"),
        screenshot_bucket_arn="arn:aws:s3:::elsewhere",
        screenshots_upload=True,
    )
    calm = AgentAccess(enabled=("COMPUTER_VISION",), screenshot_bucket_arn="arn:aws:s3:::ok-bucket")
    snap = image().model_copy(
        update={"compute": (_builder(risky), _builder(calm).model_copy(update={"name": "b2"}))}
    )
    verdicts = evaluate(snap, rules, NOW).verdicts
    assert [v.outcome for v in verdicts] == ["violation", "allowed"]
    assert "COMPUTER_INPUT is enabled" in verdicts[0].reason
    assert "arn:aws:s3:::elsewhere" in verdicts[0].reason
    rule = rules.rules[0]
    assert isinstance(rule, BuilderAgentAccess)
    assert agent_access_remedy(rule, _builder(risky)) == {
        "Settings": [{"AgentAction": "COMPUTER_INPUT", "Permission": "DISABLED"}],
        "ScreenshotsUploadEnabled": False,
    }
    assert agent_access_remedy(rule, _builder(calm)) is None


def test_compute_security_settings_imdsv1_and_root_volume() -> None:
    rules = policy(
        "rules:\n  - id: hard\n    type: compute_security_settings\n    min_root_volume_gb: 100\n"
    )
    snap = image().model_copy(
        update={
            "compute": (
                _builder(None, disable_imdsv1=True, root_volume_gb=200),
                _builder(None, disable_imdsv1=None, root_volume_gb=50).model_copy(
                    update={"name": "weak"}
                ),
            )
        }
    )
    verdicts = evaluate(snap, rules, NOW).verdicts
    assert [v.outcome for v in verdicts] == ["allowed", "violation"]
    assert "IMDSv1 is not disabled" in verdicts[1].reason
    assert "root volume 50 GB is under 100 GB" in verdicts[1].reason
