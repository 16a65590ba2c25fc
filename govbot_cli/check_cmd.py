"""``govbot check``: judge live images as the deployed enforcer would. Read-only, never remedies.

Same verdict inputs as the enforcer (see ``govbot_cli.scope``): the policy, the AWS
Organization's members when the policy trusts them, and Slack-granted exemptions from the
ledger with ``--table``. Several accounts and regions per run; ``--role-name`` assumes the
spoke remediation role in other accounts, for read calls only.
"""

from __future__ import annotations

import argparse
from typing import Any

from govbot.domain import ImageSnapshot
from govbot.exit_facts import ImageExport
from govbot.policy import Evaluation
from govbot.policy.rules.exports import launch_removals
from govbot_cli.common import EXIT_FINDINGS, EXIT_OK, Output, parse_image_name
from govbot_cli.deps import CliDeps
from govbot_cli.render import evaluation_json, evaluation_lines, permissions_text
from govbot_cli.scope import (
    ScopeReadFailed,
    add_scope_arguments,
    read_exits,
    read_images,
    read_inbound,
    read_scope,
)
from govbot_cli.tables import table

CheckFailed = ScopeReadFailed  # the name other modules and tests know


def add_parser(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Register ``check``."""
    check = subparsers.add_parser(
        "check",
        parents=parents,
        help="judge live images like the deployed enforcer (read-only; exit 1 on violations)",
    )
    add_scope_arguments(check)
    target = check.add_mutually_exclusive_group()
    target.add_argument("--image", metavar="NAME", help="one image by name")
    target.add_argument("--all", action="store_true", help="every private image (the default)")
    check.add_argument(
        "--only-violations", action="store_true", help="show only images with a violation"
    )
    check.add_argument(
        "--details", action="store_true", help="every verdict of every image, not one table"
    )
    check.set_defaults(handler=run_check)


def _used_by(image: ImageSnapshot) -> str:
    """``used by 1234...: fleet f, image builder b`` for another account's image."""
    uses = ", ".join(f"{u.kind.replace('_', ' ')} {u.name}" for u in image.used_by)
    return f"shared with {image.viewer_account_id}; used by: {uses or 'nothing'}"


def _row(
    evaluation: Evaluation, used_by: str | None = None, exports: tuple[ImageExport, ...] = ()
) -> tuple[str, ...]:
    ref_parts = evaluation.image_arn.split(":")
    violations = evaluation.violations()
    outcome = "violation" if violations else ("exempted" if evaluation.exempted() else "compliant")
    shares = ", ".join(
        f"{s.account_id}:{permissions_text(s.permissions)}" for s in evaluation.shared_with
    )
    # What enforce mode would do, in audit mode too (that is the column's question).
    changes = evaluation.changes_if_enforced()
    return (
        evaluation.image_name,
        ref_parts[4],
        ref_parts[3],
        outcome,
        ",".join(evaluation.rule_ids()),
        used_by or shares or "nobody",
        "; ".join(
            [f"{c.account_id} -{','.join(sorted(c.revoked))}" for c in changes]
            + [
                f"{ami} -launch {','.join(accounts)}"
                for ami, accounts in launch_removals(evaluation, exports, if_enforced=True).items()
            ]
        ),
    )


def run_check(args: argparse.Namespace, output: Output, deps: CliDeps) -> int:
    """Read the images, evaluate each, print the verdicts; exit 1 on any violation."""
    image_name = parse_image_name(args.image) if args.image else None
    scope = read_scope(args, deps)
    images = read_exits(
        args, scope, deps, read_images(args, scope, deps, output.err, image_name=image_name)
    )
    inbound: list[ImageSnapshot] = []
    if image_name is None and any(rule.reads_uses for rule in scope.policy.rules):
        inbound = read_inbound(args, scope, deps, output.err)
    inputs = scope.judge()  # read once: one consistent view for every image
    evaluations = [inputs.evaluate(image) for image in (*images, *inbound)]
    exports = {i.ref.arn: i.exports for i in images}
    used_by = {(i.ref.arn, i.viewer_account_id): _used_by(i) for i in inbound}
    viewers = [i.viewer_account_id for i in images] + [i.viewer_account_id for i in inbound]
    violations = sum(len(e.violations()) for e in evaluations)
    failing = [e for e in evaluations if e.violations()]
    pairs = [
        (e, viewer)
        for e, viewer in zip(evaluations, viewers, strict=True)
        if e.violations() or not args.only_violations
    ]
    shown = [e for e, _viewer in pairs]
    if output.as_json:
        output.json(
            {
                "account_ids": scope.accounts,
                "regions": scope.regions,
                "now": scope.now.isoformat(),
                "organization_members": sorted(scope.org_accounts),
                "ledger_exemptions": [r.exemption_id for r in scope.granted],
                "images": [evaluation_json(e) for e in shown],
                "violations": violations,
            }
        )
    else:
        output.line(
            f"checked {len(evaluations)} image(s) in account {', '.join(scope.accounts)} "
            f"{', '.join(scope.regions)} against {args.policy} (read-only: nothing was changed)"
        )
        if args.details:
            for evaluation in shown:
                for line in evaluation_lines(evaluation):
                    output.line(line)
        else:
            table(
                output.out,
                ("IMAGE", "ACCOUNT", "REGION", "VERDICT", "RULES", "SHARED WITH", "ENFORCE WOULD"),
                [
                    _row(e, used_by.get((e.image_arn, viewer)), exports.get(e.image_arn, ()))
                    for e, viewer in pairs
                ],
                style_column=3,
            )
            for evaluation in failing:
                for verdict in evaluation.violations():
                    output.line(
                        f"VIOLATION {evaluation.image_name} {verdict.rule_id} "
                        f"account={verdict.account_id} permission={verdict.permission} "
                        f"mode={verdict.mode}: {verdict.reason}"
                    )
        output.line(f"summary: {violations} violation(s) on {len(failing)} image(s)")
    return EXIT_FINDINGS if violations else EXIT_OK
