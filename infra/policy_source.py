"""Read the policy YAML, validate it at synth time, and give the JSON the SSM parameter holds.

The file goes through the same validation the Lambda functions apply, so a policy the bot
would reject never reaches a deployment. Its golden source region and destinations must be
governed regions, since govbot's roles are granted AppStream access in those regions
only; with several governed accounts each golden rule must pin its source account (a
governed one), or any account's image of that name would be a source. The parameter
stores the policy's canonical JSON (``govbot.policy.loader.policy_json``), so the
functions need no YAML parser.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from govbot.policy.document import parse_policy_json
from govbot.policy.errors import PolicyError
from govbot.policy.loader import policy_json
from govbot.policy.models import Policy


class PolicySourceError(ValueError):
    """The policy file is missing, unreadable, invalid, or asks for ungoverned regions."""


def read_policy(
    path: Path,
    governed_regions: Sequence[str] | None = None,
    governed_accounts: Sequence[str] | None = None,
) -> str:
    """Return the policy file's canonical JSON after validating it; PolicySourceError if bad.

    Examples
    --------
    >>> read_policy(Path("does/not/exist.yaml"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    infra.policy_source.PolicySourceError: policy file does/not/exist.yaml not found ...
    """
    if not path.is_file():
        raise PolicySourceError(
            f"policy file {path} not found (set the CDK context key 'policy_file' "
            "to a policy YAML, e.g. -c policy_file=policies/example.yaml)"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicySourceError(f"policy file {path} cannot be read as UTF-8: {exc}") from exc
    try:
        document = policy_json(text, str(path))
        policy = parse_policy_json(document, str(path))
    except PolicyError as exc:
        raise PolicySourceError(f"policy file {path} is invalid: {exc}") from exc
    problems = golden_problems(policy, governed_regions, governed_accounts)
    if problems:
        raise PolicySourceError(f"policy file {path}: " + "; ".join(problems))
    return document


def golden_problems(
    policy: Policy,
    governed_regions: Sequence[str] | None,
    governed_accounts: Sequence[str] | None,
) -> list[str]:
    """Why the golden section cannot run in this deployment (empty when it can)."""
    problems: list[str] = []
    regions = list(governed_regions) if governed_regions is not None else None
    accounts = sorted(set(governed_accounts or ()))
    for i, rule in enumerate(policy.golden):
        if regions is not None:
            if rule.source_region not in regions:
                problems.append(
                    f"golden[{i}].source_region: {rule.source_region} is not a governed region "
                    f"(governed_regions: {', '.join(regions)}); govbot cannot read sources there"
                )
            problems += [
                f"golden[{i}].destinations: {region} is not a governed region "
                f"(governed_regions: {', '.join(regions)}); govbot has no AppStream "
                "permissions there"
                for region in rule.destinations
                if region not in regions
            ]
        if rule.source_account is None and len(accounts) > 1:
            problems.append(
                f"golden[{i}].source_account: required when several accounts are governed "
                f"({', '.join(accounts)}); expected the account whose images are the sources"
            )
        if rule.source_account is not None and accounts and rule.source_account not in accounts:
            problems.append(
                f"golden[{i}].source_account: {rule.source_account} is not a governed account "
                f"(governed: {', '.join(accounts)})"
            )
    return problems
