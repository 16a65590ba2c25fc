"""cdk-nag is live and clean on the hub; cfn-lint finds no error in any template."""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sqs as sqs
from cfnlint.api import lint

from infra.nag import WeakAcknowledgmentError, acknowledge, add_nag_checks


def _throwaway(outdir: Path, *, acknowledged: bool) -> cdk.App:
    app = cdk.App(outdir=str(outdir))
    stack = cdk.Stack(app, "Throwaway")
    queue = sqs.Queue(stack, "Plain", encryption=sqs.QueueEncryption.UNENCRYPTED)
    if acknowledged:
        for rule_id in ("AwsSolutions-SQS2", "AwsSolutions-SQS3", "AwsSolutions-SQS4",
                        "Serverless-SQSRedrivePolicy"):  # fmt: skip
            acknowledge(queue, rule_id, "Throwaway queue that only proves acknowledgments work.")
    add_nag_checks(app)
    return app


def _violations(report: Path) -> dict[str, list[str]]:
    document = json.loads(report.read_text())
    return {
        violation["ruleName"]: [c["constructPath"] for c in violation["violatingConstructs"]]
        for plugin in document["pluginReports"]
        for violation in plugin["violations"]
    }


def test_hub_synthesizes_with_no_unacknowledged_nag_finding(hub) -> None:
    report = hub.outdir / "validation-report.json"
    if report.exists():  # written on success too by some CDK versions: must be empty
        assert _violations(report) == {}
    assert (hub.outdir / "GovbotHub.template.json").is_file()


def test_nag_is_live_an_unencrypted_queue_fails_synth(tmp_path: Path) -> None:
    app = _throwaway(tmp_path, acknowledged=False)
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    violations = _violations(tmp_path / "validation-report.json")
    assert "Throwaway/Plain/Resource" in violations["AwsSolutions-SQS4"]
    assert "Throwaway/Plain/Resource" in violations["Serverless-SQSRedrivePolicy"]


def test_acknowledgments_are_honoured_by_the_nag_packs(tmp_path: Path) -> None:
    app = _throwaway(tmp_path, acknowledged=True)
    assembly = app.synth()
    assert assembly.get_stack_by_name("Throwaway").template["Resources"]


@pytest.mark.parametrize("reason", ["ok", "needed", "   ", "because it is fine"])
def test_vague_acknowledgment_reasons_are_refused(reason: str) -> None:
    stack = cdk.Stack(cdk.App(), "Reasons")
    with pytest.raises(WeakAcknowledgmentError, match="Reasons"):
        acknowledge(stack, "AwsSolutions-SQS4", reason)


def test_cfn_lint_finds_no_error_in_any_synthesized_template(hub) -> None:
    templates = sorted(hub.outdir.glob("*.template.json"))
    assert templates
    for template in templates:
        matches = lint(template.read_text(), regions=["us-east-1", "eu-west-1"])
        errors = [f"{m.rule.id} {m.message} ({m.path})" for m in matches
                  if m.rule.severity.lower() == "error"]  # fmt: skip
        assert errors == [], template.name
