"""The ways out of AppStream, read and remedied: exports to AMIs and their launch
permissions, builders' agent access and security settings.

``ExitReader.enrich`` adds to an image snapshot what the exit rules judge (its export
tasks with each AMI's launch permissions, the owner's builders and fleets made from it)
only when the policy has such a rule; ``ExitReader.remedy`` carries out what enforce mode
asks of them: launch permissions of untrusted accounts removed from exported AMIs, and
disallowed agent actions disabled on builders (UpdateImageBuilder).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from govbot.domain import ImageSnapshot, highest_severity
from govbot.exit_facts import (
    COMPUTE_RULES,
    EXPORT_RULES,
    IMPORT_RULES,
    ImageExport,
    ImportSource,
)
from govbot.gateways.appstream import AppStreamGatewayError
from govbot.gateways.appstream_exits import AppStreamExits
from govbot.gateways.ec2 import Ec2Gateway, Ec2GatewayError
from govbot.ledger.keys import format_ts
from govbot.ledger.records.details import RemediedDetails, ViolationLine
from govbot.ledger.records.events import ActionRecord
from govbot.ledger.records.outbox import OutboxItem
from govbot.ledger.records.payload import ViolationRemedied
from govbot.policy.engine import reads_exits
from govbot.policy.models import Policy
from govbot.policy.results import Evaluation
from govbot.policy.rules.compute import BuilderAgentAccess, agent_access_remedy
from govbot.policy.rules.exports import launch_removals

__all__ = ["ExitAction", "ExitReader", "exit_records", "reads_exits", "remedy_and_record"]


@dataclass(frozen=True)
class ExitAction:
    """One remedy call: what, on which resource, and how it went (``error`` None = done)."""

    operation: str
    target: str
    detail: str
    error: str | None = None


class ExitReader:
    """Reads and remedies exits through the AppStream exits gateway and the EC2 gateway."""

    def __init__(self, appstream: AppStreamExits, ec2: Ec2Gateway) -> None:
        self.appstream = appstream
        self.ec2 = ec2

    def enrich(
        self,
        image: ImageSnapshot,
        policy: Policy,
        *,
        exports: Mapping[str, list[ImageExport]] | None = None,
        imported: object | None = None,
    ) -> ImageSnapshot:
        """``image`` with the exit facts ``policy`` judges; ``exports`` are the account's
        export tasks by image ARN when already listed (the sweep lists once per lane);
        ``imported`` the CreateImportedImage request that made it (AppStream's image
        shows no source: only the event tells it)."""
        types = {rule.type_name for rule in policy.rules}
        ref = image.ref
        update: dict[str, object] = {}
        if types & IMPORT_RULES and imported is not None:
            update["imported_from"] = self.import_source(ref.account_id, ref.region, imported)
        if types & EXPORT_RULES:
            listed = (
                exports if exports is not None else self.export_tasks(ref.account_id, ref.region)
            )
            update["exports"] = tuple(
                self.with_launch_permissions(export, ref.account_id, ref.region)
                for export in listed.get(ref.arn, [])
            )
        if types & COMPUTE_RULES:
            update["compute"] = tuple(
                self.appstream.compute_on(ref.arn, ref.account_id, ref.region)
            )
        return image.model_copy(update=update) if update else image

    def import_source(self, account: str, region: str, request: object) -> ImportSource:
        """Where an import came from: the request's AMI (with its owner, read from EC2) or
        WorkSpaces image, and role."""
        ami_id = getattr(request, "source_ami_id", None)
        return ImportSource(
            source_ami_id=ami_id,
            ami_owner=self.ec2.ami_owner(account, region, ami_id) if ami_id else None,
            workspace_image_id=getattr(request, "workspace_image_id", None),
            role_arn=getattr(request, "iam_role_arn", None),
        )

    def export_tasks(self, account_id: str, region: str) -> dict[str, list[ImageExport]]:
        """The export tasks of ``account_id`` in ``region``, by image ARN."""
        return self.appstream.export_tasks(account_id, region)

    def with_launch_permissions(
        self, export: ImageExport, account: str, region: str
    ) -> ImageExport:
        """``export`` with its AMI's launch permissions (none when it has no AMI or it is gone)."""
        if export.ami_id is None or export.state != "COMPLETED":
            return export
        accounts = self.ec2.launch_accounts(account, region, export.ami_id)
        return export.model_copy(update={"launch_accounts": accounts or ()})

    def remedy(
        self, image: ImageSnapshot, evaluation: Evaluation, policy: Policy
    ) -> list[ExitAction]:
        """Carry out the enforce-mode remedies of the exit rules on ``image``."""
        ref = image.ref
        actions: list[ExitAction] = []
        for ami_id, accounts in launch_removals(evaluation, image.exports).items():
            actions.append(self.remove_launch(ref.account_id, ref.region, ami_id, accounts))
        enforced = {
            v.rule_id
            for v in evaluation.verdicts
            if v.rule_type == "builder_agent_access"
            and v.outcome == "violation"
            and v.mode == "enforce"
        }
        for rule in policy.rules:
            if rule.id not in enforced or not isinstance(rule, BuilderAgentAccess):
                continue
            for item in image.compute:
                update = agent_access_remedy(rule, item) if item.kind == "image_builder" else None
                if update is not None:
                    actions.append(
                        self._update_builder(item.account_id, item.region, item.name, update)
                    )
        return actions

    def remove_launch(
        self, account: str, region: str, ami_id: str, accounts: Iterable[str]
    ) -> ExitAction:
        """Remove ``accounts``' launch permissions from ``ami_id``; a refusal is reported in
        the action, never raised (the other remedies still run)."""
        shown = ", ".join(accounts)
        try:
            self.ec2.remove_launch_permissions(account, region, ami_id, accounts)
        except Ec2GatewayError as exc:
            return ExitAction("ModifyImageAttribute", ami_id, f"remove launch: {shown}", str(exc))
        return ExitAction("ModifyImageAttribute", ami_id, f"removed launch permissions: {shown}")

    def _update_builder(
        self, account: str, region: str, builder: str, update: Mapping[str, object]
    ) -> ExitAction:
        detail = f"agent access set to {dict(update)}"
        try:
            self.appstream.update_agent_access(account, region, builder, update)
        except AppStreamGatewayError as exc:
            return ExitAction("UpdateImageBuilder", builder, detail, str(exc))
        return ExitAction("UpdateImageBuilder", builder, detail)


# Action sequence numbers of exit remedies in the event's ledger item (after AppStream's).
EXIT_ACTION_SEQ = 900


def exit_records(
    event_id: str,
    image: ImageSnapshot,
    evaluation: Evaluation,
    actions: list[ExitAction],
    *,
    actor_arn: str | None,
    now: datetime,
) -> tuple[list[ActionRecord], OutboxItem | None]:
    """The ledger's account of exit remedies: one action record per call, and one
    ``violation_remedied`` message naming what was removed (or that it failed)."""
    ref = image.ref
    records = [
        ActionRecord(
            event_id=event_id,
            seq=EXIT_ACTION_SEQ + n,
            operation=action.operation,
            request={"target": action.target, "detail": action.detail},
            status="failed" if action.error else "succeeded",
            error=action.error,
            image_arn=ref.arn,
            region=ref.region,
            account_id=ref.account_id,
            actor_arn=actor_arn,
        )
        for n, action in enumerate(actions)
    ]
    if not actions:
        return records, None
    exit_types = EXPORT_RULES | COMPUTE_RULES
    violations = [
        ViolationLine(
            account_id=v.account_id,
            permission="launch" if v.rule_type == "exported_ami_launch_only_trusted" else "agent",
            rule_id=v.rule_id,
            mode=v.mode,
            report_only=v.report_only,
            reason=v.reason,
        )
        for v in evaluation.verdicts
        if v.outcome == "violation" and v.rule_type in exit_types and not v.report_only
    ]
    failed = [a for a in actions if a.error]
    done = "; ".join(f"{a.operation} {a.target}: {a.detail}" for a in actions if not a.error)
    payload = ViolationRemedied(
        severity=highest_severity(
            (v.severity for v in evaluation.verdicts if v.outcome == "violation"),
            failed=bool(failed),
        ),
        image_arn=ref.arn,
        image_name=ref.name,
        region=ref.region,
        account_id=ref.account_id,
        shared_account_ids=sorted({v.account_id for v in violations if v.account_id}),
        actor_arn=actor_arn,
        rule_ids=sorted({v.rule_id for v in violations if v.rule_id}),
        summary=f"{ref.name} ({ref.region}): {done or 'exit remedy failed'}",
        event_id=event_id,
        occurred_at=format_ts(now),
        details=RemediedDetails(
            violations=violations,
            action=done or None,
            error="; ".join(f"{a.operation} {a.target}: {a.error}" for a in failed) or None,
        ),
    )
    return records, OutboxItem.from_payload(payload, discriminators=(event_id, "exits"))


def remedy_and_record(
    exits: ExitReader,
    ledger: Any,
    event_id: str,
    image: ImageSnapshot,
    evaluation: Evaluation,
    policy: Policy,
    *,
    actor_arn: str | None,
    now: datetime,
) -> tuple[list[ActionRecord], list[str]]:
    """Carry out the exit remedies of ``image`` and write their action records and message
    under ``event_id``; returns the records and the errors (one line per failed call)."""
    actions = exits.remedy(image, evaluation, policy)
    records, item = exit_records(event_id, image, evaluation, actions, actor_arn=actor_arn, now=now)
    for record in records:
        ledger.put_action(record)
    if item is not None:
        ledger.add_outbox([item])
    errors = [f"{a.operation} {a.target}: {a.error}" for a in actions if a.error is not None]
    return records, errors
