"""Read the policy YAML, validate it at synth time, and give the JSON the SSM parameter holds.

The file goes through the same validation the Lambda functions apply, so a policy the bot
would reject never reaches a deployment; and its golden destinations must be governed
regions, since govbot's roles are granted AppStream access in those regions only. The
parameter stores the policy's canonical JSON (``govbot.policy.loader.policy_json``), so the
functions need no YAML parser.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from govbot.policy.document import parse_policy_json
from govbot.policy.errors import PolicyError
from govbot.policy.loader import policy_json


class PolicySourceError(ValueError):
    """The policy file is missing, unreadable, invalid, or asks for ungoverned regions."""


def read_policy(path: Path, governed_regions: Sequence[str] | None = None) -> str:
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
    if governed_regions is not None:
        problems = [
            f"golden[{i}].destinations: {region} is not a governed region "
            f"(governed_regions: {', '.join(governed_regions)}); govbot has no AppStream "
            "permissions there"
            for i, rule in enumerate(policy.golden)
            for region in rule.destinations
            if region not in governed_regions
        ]
        if problems:
            raise PolicySourceError(f"policy file {path}: " + "; ".join(problems))
    return document
