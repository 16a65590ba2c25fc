"""``govbot check``: judge live images as the deployed enforcer would. Read-only, never remedies.

Same verdict inputs as the enforcer (see ``govbot.cli.scope``): the policy, the AWS
Organization's members when the policy trusts them, and Slack-granted exemptions from the
ledger with ``--table``. Several accounts and regions per run; ``--role-name`` assumes the
spoke remediation role in other accounts, for read calls only.
"""

from __future__ import annotations

import argparse
from typing import Any

from govbot.cli.common import EXIT_FINDINGS, EXIT_OK, Output, parse_image_name
from govbot.cli.deps import CliDeps
from govbot.cli.render import evaluation_json, evaluation_lines, permissions_text
from govbot.cli.scope import ScopeReadFailed, add_scope_arguments, read_images, read_scope
from govbot.cli.tables import table
from govbot.policy import Evaluation

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


def _row(evaluation: Evaluation) -> tuple[str, ...]:
    ref_parts = evaluation.image_arn.split(":")
    violations = evaluation.violations()
    outcome = "violation" if violations else ("exempted" if evaluation.exempted() else "compliant")
    shares = ", ".join(
        f"{s.account_id}:{permissions_text(s.permissions)}" for s in evaluation.shared_with
    )
    changes = evaluation.enforced_changes()
    return (
        evaluation.image_name,
        ref_parts[4],
        ref_parts[3],
        outcome,
        ",".join(evaluation.rule_ids()),
        shares or "nobody",
        "; ".join(f"{c.account_id} -{','.join(sorted(c.revoked))}" for c in changes),
    )


def run_check(args: argparse.Namespace, output: Output, deps: CliDeps) -> int:
    """Read the images, evaluate each, print the verdicts; exit 1 on any violation."""
    image_name = parse_image_name(args.image) if args.image else None
    scope = read_scope(args, deps)
    images = read_images(args, scope, deps, output.err, image_name=image_name)
    inputs = scope.judge()  # read once: one consistent view for every image
    evaluations = [inputs.evaluate(image) for image in images]
    violations = sum(len(e.violations()) for e in evaluations)
    failing = [e for e in evaluations if e.violations()]
    shown = failing if args.only_violations else evaluations
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
                [_row(e) for e in shown],
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
