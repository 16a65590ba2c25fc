"""cdk-nag wiring (v3 API) and the one way govbot acknowledges a finding.

Every acknowledgment must say *why* the finding does not apply; short or generic reasons
are refused at synth so a lazy suppression can never slip in.
"""

from __future__ import annotations

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks, ServerlessChecks
from constructs import IConstruct

_WEAK_REASONS = frozenset({"ok", "needed", "required", "n/a", "na", "todo", "fine", "ignore"})
MIN_REASON_LENGTH = 40


class WeakAcknowledgmentError(ValueError):
    """An acknowledgment reason is too vague to audit."""


def add_nag_checks(app: cdk.App) -> None:
    """Run the AwsSolutions and Serverless packs on ``app``; synth fails on any finding."""
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app), ServerlessChecks(app))


def acknowledge(scope: IConstruct, rule_id: str, reason: str) -> None:
    """Acknowledge ``rule_id`` (e.g. ``AwsSolutions-IAM5[Resource::*]``) on ``scope``.

    Raises
    ------
    WeakAcknowledgmentError
        If the reason is generic or shorter than ``MIN_REASON_LENGTH`` characters.
    """
    text = reason.strip()
    if text.lower() in _WEAK_REASONS or len(text) < MIN_REASON_LENGTH:
        raise WeakAcknowledgmentError(
            f"acknowledgment of {rule_id} on {scope.node.path}: reason {reason!r} is too "
            f"vague; explain in at least {MIN_REASON_LENGTH} characters why it does not apply"
        )
    cdk.Validations.of(scope).acknowledge(cdk.Acknowledgment(id=rule_id, reason=text))
