"""Handler settings, validated from the environment at call time (never at import time).

Each handler has one pydantic model; a missing or malformed variable fails the invocation
with a message that names the variable and what was expected.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Annotated, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from govbot.domain import ACCOUNT_ID_PATTERN
from govbot.queue_limits import MAX_RECEIVE_COUNT


class ConfigError(ValueError):
    """The function's environment is not what govbot needs."""


def _split_csv(value: object) -> object:
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


def _check_accounts(values: tuple[str, ...]) -> tuple[str, ...]:
    for value in values:
        if not ACCOUNT_ID_PATTERN.match(value):
            raise ValueError(f"expected 12-digit AWS account ids, got {value!r}")
    return values


CsvList = Annotated[tuple[str, ...], BeforeValidator(_split_csv)]
AccountList = Annotated[
    tuple[str, ...], BeforeValidator(_split_csv), AfterValidator(_check_accounts)
]


class _EnvModel(BaseModel):
    model_config = ConfigDict(defer_build=True, frozen=True, extra="ignore", populate_by_name=True)


class LedgerSettings(_EnvModel):
    ledger_table_name: str = Field(alias="LEDGER_TABLE_NAME", min_length=3)
    ledger_retention_days: int = Field(alias="LEDGER_RETENTION_DAYS", default=400, ge=1)


class GovernanceSettings(LedgerSettings):
    """What every function that reads AppStream and judges it with the policy needs."""

    policy_parameter_name: str = Field(alias="POLICY_PARAMETER_NAME", min_length=1)
    governed_account_ids: AccountList = Field(alias="GOVERNED_ACCOUNT_IDS", min_length=1)
    governed_regions: CsvList = Field(alias="GOVERNED_REGIONS", min_length=1)
    remediation_role_name: str = Field(alias="REMEDIATION_ROLE_NAME", default="")
    # The account the functions run in: they act there with their own role, and assume
    # the remediation role only in the other (spoke) accounts.
    hub_account_id: str = Field(alias="HUB_ACCOUNT_ID", default="", pattern=r"^(\d{12})?$")
    policy_cache_seconds: int = Field(alias="POLICY_CACHE_SECONDS", default=60, ge=0)
    # Slack-granted exemptions are read at most once per this many seconds per warm
    # container (0: on every evaluation); a grant applies within it.
    exemptions_cache_seconds: int = Field(
        alias="EXEMPTIONS_CACHE_SECONDS", default=30, ge=0, le=900
    )


class EnforcerSettings(GovernanceSettings):
    # Principal ARNs (or ARN prefixes) whose CloudTrail events are govbot's own remediation.
    self_principal_arns: CsvList = Field(alias="SELF_PRINCIPAL_ARNS", default=())
    # Drift sweep: AppStream calls at once per account+region (AppStream throttles per
    # account and region), and how many account+regions are swept at once.
    sweep_calls_in_flight: int = Field(alias="SWEEP_CALLS_IN_FLIGHT", default=2, ge=1, le=10)
    sweep_parallel_lanes: int = Field(alias="SWEEP_PARALLEL_LANES", default=16, ge=1, le=64)
    # The queue's maxReceiveCount: by default govbot.queue_limits', the value infra gives the
    # queues (the sandbox may set another). The enforcer knows the last delivery by it.
    max_receive_count: int = Field(alias="MAX_RECEIVE_COUNT", default=MAX_RECEIVE_COUNT, ge=1)
    # No record starts with less time left than this: the rest go back to SQS unprocessed.
    early_stop_margin_ms: int = Field(alias="EARLY_STOP_MARGIN_MS", default=15_000, ge=0)
    # AppStream client retries: attempts per call and the full-jitter backoff window.
    appstream_max_attempts: int = Field(alias="APPSTREAM_MAX_ATTEMPTS", default=6, ge=1, le=20)
    appstream_backoff_base_ms: int = Field(alias="APPSTREAM_BACKOFF_BASE_MS", default=200, ge=0)
    appstream_backoff_cap_ms: int = Field(alias="APPSTREAM_BACKOFF_CAP_MS", default=5_000, ge=0)


class ReplicatorSettings(GovernanceSettings):
    """The replicator reads nothing beyond the governance settings (yet)."""


class NotifierSettings(LedgerSettings):
    policy_parameter_name: str = Field(alias="POLICY_PARAMETER_NAME", min_length=1)
    slack_webhooks_secret_arn: str = Field(alias="SLACK_WEBHOOKS_SECRET_ARN", default="")


class ActionsSettings(LedgerSettings):
    policy_parameter_name: str = Field(alias="POLICY_PARAMETER_NAME", min_length=1)
    slack_signing_secret_arn: str = Field(alias="SLACK_SIGNING_SECRET_ARN", min_length=1)
    # The enforcer's queue: slow button work (re-apply, restore) is deferred there.
    work_queue_url: str = Field(alias="WORK_QUEUE_URL", default="")


S = TypeVar("S", bound=_EnvModel)


def load_settings(model: type[S], environ: Mapping[str, str] | None = None) -> S:
    """Validate ``model`` from the environment; raise ConfigError naming each bad variable.

    Examples
    --------
    >>> load_settings(LedgerSettings, {"LEDGER_TABLE_NAME": "ledger"}).ledger_table_name
    'ledger'
    """
    env = dict(os.environ if environ is None else environ)
    try:
        return model.model_validate(env)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            variable = ".".join(str(part) for part in error["loc"]) or "<environment>"
            problems.append(f"environment variable {variable}: {error['msg']}")
        raise ConfigError(f"{model.__name__}: " + "; ".join(problems)) from None
