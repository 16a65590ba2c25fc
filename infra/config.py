"""Hub settings read from CDK context, validated before any construct is built.

Everything the operator can tune lives in ``cdk.json`` (or ``-c key=value``). A bad value
stops the synth with a message naming the context key and what was expected; nothing is
silently defaulted except the documented defaults below.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from govbot.regions import UnknownRegionError, check_regions

ACCOUNT_PATTERN = re.compile(r"^\d{12}$")
ORGANIZATION_PATTERN = re.compile(r"^o-[a-z0-9]{10,32}$")
# The retention periods CloudWatch Logs accepts (aws_logs.RetentionDays values).
LOG_RETENTION_DAYS = frozenset(
    (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
     2922, 3288, 3653)
)  # fmt: skip

Architecture = Literal["arm64", "x86_64"]
# The first botocore with the AppStream operations govbot governs since issue 19 (export to
# an AMI, imported images, agent access on builders): govbot's SDK layer pins one at least.
MINIMUM_BOTOCORE = (1, 44, 3)

# Documented defaults (also written out in cdk.json so operators see them).
DEFAULTS: Mapping[str, Any] = {
    "governed_regions": ["us-east-1", "eu-west-1"],
    "governed_account_ids": [],
    "policy_file": "policies/example.yaml",
    "policy_parameter_name": "/govbot/policy",
    "ledger_retention_days": 400,
    "log_retention_days": 365,
    "powertools_layer_version": 27,
    "slack_sdk_version": "3.48.0",
    "sdk_boto3_version": "1.44.8",
    "enforcer_snapstart": False,
    "architecture": "arm64",
    "replication_sweep_minutes": 5,
    "drift_sweep_minutes": 60,
    "remediation_role_name": "",
    "alarm_email": "",
    "account": "",
    "region": "",
    "spoke_accounts": [],
    "organization_id": "",
}


class InfraConfigError(ValueError):
    """A CDK context value is missing or malformed."""


@dataclass(frozen=True)
class HubSettings:
    """Validated hub configuration (one instance per synth)."""

    governed_regions: tuple[str, ...]
    governed_account_ids: tuple[str, ...]  # empty = the stack's own account
    policy_file: Path
    policy_parameter_name: str
    ledger_retention_days: int
    log_retention_days: int
    powertools_layer_version: int
    slack_sdk_version: str
    architecture: Architecture
    replication_sweep_minutes: int
    remediation_role_name: str
    alarm_email: str
    account: str  # empty = environment-agnostic stack
    region: str  # empty = environment-agnostic stack
    # Other accounts that forward their AppStream events to the hub and hold the
    # remediation role (infra/spoke_stack.py). Empty = the hub governs its own account only.
    spoke_accounts: tuple[str, ...] = ()
    # How often the enforcer's drift sweep re-checks every private image (minutes).
    drift_sweep_minutes: int = 60
    # AWS Organizations id (o-...): spoke roles then trust the hub roles only from inside it.
    organization_id: str = ""
    # boto3/botocore release of govbot's own SDK layer (infra/sdk_layer.py).
    sdk_boto3_version: str = "1.44.8"
    # Lambda SnapStart on the enforcer (published version + alias; README "SnapStart").
    enforcer_snapstart: bool = False


# Context keys the CDK itself and its CLI set (feature flags, lookups, CLI settings).
CDK_KEYS = frozenset({"acknowledged-issue-numbers", "cli-telemetry"})


def is_cdk_key(key: str) -> bool:
    """Keys owned by the CDK: feature flags (@aws-cdk/...), aws:cdk:..., lookup caches."""
    return key.startswith("@") or ":" in key or key in CDK_KEYS


def check_context_keys(keys: Iterable[str]) -> None:
    """Refuse keys govbot does not know (a typo would silently keep the default)."""
    problems = []
    for key in sorted(set(keys)):
        if key in DEFAULTS or is_cdk_key(key):
            continue
        close = difflib.get_close_matches(key, list(DEFAULTS), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f"; known keys: {', '.join(DEFAULTS)}"
        problems.append(f"unknown context key {key!r}{hint}")
    if problems:
        raise InfraConfigError("; ".join(problems))


def context_from_argv(argv: Sequence[str]) -> dict[str, str]:
    """``-c key=value`` / ``--context key=value`` arguments, as the CDK CLI accepts them."""
    context: dict[str, str] = {}
    args = list(argv)
    while args:
        flag = args.pop(0)
        if flag not in ("-c", "--context") or not args or "=" not in args[0]:
            raise InfraConfigError(
                f"unexpected argument {flag!r}; usage: python app.py [-c key=value ...]"
            )
        key, _, value = args.pop(0).partition("=")
        context[key.strip()] = value
    return context


def _as_list(key: str, value: Any) -> tuple[str, ...]:
    # `-c key=a,b` or `-c 'key=["a","b"]'` arrive as strings; cdk.json gives a real list.
    if isinstance(value, str) and value.strip().startswith("["):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise InfraConfigError(
                f"context {key!r}: {value!r} is not a JSON array ({exc.msg}); give a JSON "
                'array like ["a","b"] or a comma list like a,b'
            ) from None
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return tuple(v.strip() for v in value)
    raise InfraConfigError(f"context {key!r}: expected a list of strings, got {value!r}")


def _as_int(key: str, value: Any, minimum: int, maximum: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InfraConfigError(f"context {key!r}: expected an integer, got {value!r}") from None
    if isinstance(value, bool) or not minimum <= number <= maximum:
        raise InfraConfigError(
            f"context {key!r}: expected an integer in [{minimum}, {maximum}], got {value!r}"
        )
    return number


def _as_bool(key: str, value: Any) -> bool:
    # `-c key=true` arrives as a string; cdk.json gives a real boolean.
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise InfraConfigError(f"context {key!r}: expected true or false, got {value!r}")


def parse_version(text: str) -> tuple[int, ...]:
    """``"1.44.8"`` -> ``(1, 44, 8)``; ValueError on anything else."""
    parts = text.split(".")
    if len(parts) != 3 or not all(part.isdigit() for part in parts):
        raise ValueError(f"{text!r} is not a release number like 1.44.8")
    return tuple(int(part) for part in parts)


def _sdk_version(value: Any) -> str:
    text = _as_str("sdk_boto3_version", value)
    try:
        release = parse_version(text)
    except ValueError as exc:
        raise InfraConfigError(f"context 'sdk_boto3_version': {exc}") from None
    if release < MINIMUM_BOTOCORE:
        minimum = ".".join(map(str, MINIMUM_BOTOCORE))
        raise InfraConfigError(
            f"context 'sdk_boto3_version': {text} is older than {minimum}, the first "
            "botocore with the AppStream operations govbot governs (export to AMI, imported "
            "images, agent access on builders)"
        )
    return text


def _as_str(key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise InfraConfigError(f"context {key!r}: expected a string, got {value!r}")
    return value.strip()


def settings_from_context(get: Callable[[str], Any], base_dir: Path | None = None) -> HubSettings:
    """Build :class:`HubSettings` from a context getter (``app.node.try_get_context``).

    Examples
    --------
    >>> settings_from_context({"governed_regions": "eu-west-1"}.get).governed_regions
    ('eu-west-1',)
    """

    def value(key: str) -> Any:
        got = get(key)
        return DEFAULTS[key] if got is None else got

    regions = _as_list("governed_regions", value("governed_regions"))
    if not regions:
        raise InfraConfigError("context 'governed_regions': expected at least one region")
    _check_regions("governed_regions", regions)
    accounts = _as_list("governed_account_ids", value("governed_account_ids"))
    for account in accounts:
        if not ACCOUNT_PATTERN.match(account):
            raise InfraConfigError(
                f"context 'governed_account_ids': {account!r} is not a 12-digit account id"
            )
    architecture = _as_str("architecture", value("architecture"))
    if architecture not in ("arm64", "x86_64"):
        raise InfraConfigError(
            f"context 'architecture': expected 'arm64' or 'x86_64', got {architecture!r}"
        )
    account = _as_str("account", value("account"))
    if account and not ACCOUNT_PATTERN.match(account):
        raise InfraConfigError(f"context 'account': {account!r} is not a 12-digit account id")
    region = _as_str("region", value("region"))
    if region:
        _check_regions("region", (region,))
    slack_version = _as_str("slack_sdk_version", value("slack_sdk_version"))
    if not re.fullmatch(r"\d+\.\d+\.\d+", slack_version):
        raise InfraConfigError(
            f"context 'slack_sdk_version': expected an exact version like 3.48.0, "
            f"got {slack_version!r}"
        )
    parameter_name = _as_str("policy_parameter_name", value("policy_parameter_name"))
    if not re.fullmatch(r"/[A-Za-z0-9_.\-/]{1,1010}", parameter_name):
        raise InfraConfigError(
            f"context 'policy_parameter_name': expected an SSM path like /govbot/policy, "
            f"got {parameter_name!r}"
        )
    log_retention = _as_int("log_retention_days", value("log_retention_days"), 1, 3653)
    if log_retention not in LOG_RETENTION_DAYS:
        raise InfraConfigError(
            f"context 'log_retention_days': expected one of {sorted(LOG_RETENTION_DAYS)}, "
            f"got {log_retention}"
        )
    organization_id = _as_str("organization_id", value("organization_id"))
    if organization_id and not ORGANIZATION_PATTERN.match(organization_id):
        raise InfraConfigError(
            f"context 'organization_id': {organization_id!r} is not an organization id like "
            "'o-a1b2c3d4e5' (aws organizations describe-organization)"
        )
    policy_file = Path(_as_str("policy_file", value("policy_file")))
    if not policy_file.is_absolute() and base_dir is not None:
        policy_file = base_dir / policy_file
    return HubSettings(
        governed_regions=regions,
        governed_account_ids=accounts,
        policy_file=policy_file,
        policy_parameter_name=parameter_name,
        ledger_retention_days=_as_int(
            "ledger_retention_days", value("ledger_retention_days"), 1, 3650
        ),
        log_retention_days=log_retention,
        powertools_layer_version=_as_int(
            "powertools_layer_version", value("powertools_layer_version"), 1, 10_000
        ),
        slack_sdk_version=slack_version,
        architecture="arm64" if architecture == "arm64" else "x86_64",
        replication_sweep_minutes=_as_int(
            "replication_sweep_minutes", value("replication_sweep_minutes"), 1, 1440
        ),
        drift_sweep_minutes=_as_int("drift_sweep_minutes", value("drift_sweep_minutes"), 5, 1440),
        sdk_boto3_version=_sdk_version(value("sdk_boto3_version")),
        enforcer_snapstart=_as_bool("enforcer_snapstart", value("enforcer_snapstart")),
        remediation_role_name=_as_str("remediation_role_name", value("remediation_role_name")),
        alarm_email=_as_str("alarm_email", value("alarm_email")),
        account=account,
        region=region,
        organization_id=organization_id,
        spoke_accounts=_spoke_accounts(
            _as_list("spoke_accounts", value("spoke_accounts")),
            governed=accounts,
            hub_account=account,
            role_name=_as_str("remediation_role_name", value("remediation_role_name")),
        ),
    )


def _check_regions(key: str, regions: Sequence[str]) -> None:
    # The one validator (govbot.regions): the partition's region list, with did-you-mean.
    try:
        check_regions(regions, f"context {key!r}")
    except UnknownRegionError as exc:
        raise InfraConfigError(str(exc)) from None


def _spoke_accounts(
    spokes: tuple[str, ...], *, governed: tuple[str, ...], hub_account: str, role_name: str
) -> tuple[str, ...]:
    # A spoke must be governed (else the hub rejects its forwarded events), must not be the
    # hub itself (same-account regions need no resource policy) and needs a role to assume.
    seen: set[str] = set()
    for spoke in spokes:
        if not ACCOUNT_PATTERN.match(spoke):
            raise InfraConfigError(
                f"context 'spoke_accounts': {spoke!r} is not a 12-digit account id"
            )
        if spoke in seen:
            raise InfraConfigError(f"context 'spoke_accounts': {spoke!r} is listed twice")
        seen.add(spoke)
        if spoke == hub_account:
            raise InfraConfigError(
                f"context 'spoke_accounts': {spoke!r} is the hub account ('account'); list "
                "only the other accounts, the hub's own regions are forwarded without it"
            )
        if spoke not in governed:
            raise InfraConfigError(
                f"context 'spoke_accounts': {spoke!r} is missing from "
                "'governed_account_ids', so the hub would reject its forwarded events"
            )
    if spokes and not role_name:
        raise InfraConfigError(
            "context 'spoke_accounts' is set but 'remediation_role_name' is empty: the hub "
            "needs a role name to assume in each spoke account"
        )
    return spokes
