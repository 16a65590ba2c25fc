"""Emergency switch: put the deployed policy in audit mode (or back) with one command.

    .venv/bin/python -m infra.mode_switch audit --region <hub region>

reads the policy parameter (canonical JSON, as the synth stores it), sets the policy-wide
``mode`` and every rule's own ``mode`` to the given value, validates the result with the
functions' own parser and writes it back. The functions pick it up within their policy
cache (``POLICY_CACHE_SECONDS``, 60 s by default). The next ``cdk deploy`` writes the policy
file's content again, so set ``mode`` in the file before redeploying.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from govbot.policy.document import canonical_json, parse_policy_json
from govbot.policy.errors import PolicyError

DEFAULT_PARAMETER = "/govbot/policy"


def switched(text: str, mode: str, source: str) -> str:
    """``text`` (the stored policy JSON) with every mode set to ``mode``, validated."""
    parse_policy_json(text, source)  # refuse to rewrite a policy that is already broken
    data: dict[str, Any] = json.loads(text)
    data["mode"] = mode
    for rule in data.get("rules") or []:
        if isinstance(rule, dict) and "mode" in rule:
            rule["mode"] = mode
    result = canonical_json(data)
    parse_policy_json(result, source)
    return result


def switch_mode(ssm: Any, parameter: str, mode: str) -> str:
    """Rewrite ``parameter`` with every mode set to ``mode``; returns the new value."""
    current = ssm.get_parameter(Name=parameter)["Parameter"]["Value"]
    new = switched(current, mode, f"ssm:{parameter}")
    if new != current:
        ssm.put_parameter(Name=parameter, Value=new, Overwrite=True)
    return new


def main(argv: list[str] | None = None) -> int:
    """CLI entry point; a mistake is one line on stderr and exit 2."""
    parser = argparse.ArgumentParser(
        prog="python -m infra.mode_switch", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("mode", choices=("audit", "enforce"))
    parser.add_argument("--parameter", default=DEFAULT_PARAMETER, help="policy parameter name")
    parser.add_argument("--region", default=None, help="hub region (default: AWS config)")
    args = parser.parse_args(argv)
    try:
        ssm = boto3.client("ssm", region_name=args.region)
        switch_mode(ssm, args.parameter, args.mode)
    except (PolicyError, ClientError, BotoCoreError) as exc:
        print(f"govbot mode switch failed: {exc}", file=sys.stderr)
        return 2
    print(f"{args.parameter}: every rule now in {args.mode} mode")
    return 0


if __name__ == "__main__":
    sys.exit(main())
