"""The composition root: builds every handler's dependencies from its settings.

One place decides what the four handlers run on. Handlers ask for their parts here
(``enforcer_parts()``, ``replicator()``, ``notifier_parts()``, ``actions_parts()``) and hold
no construction code. Parts are built on a handler's first call (so a bad environment fails
that invocation with a clear ConfigError, never the import) and kept for the warm container.

The public seam is :func:`configure`: tests and the local sandbox give it the settings
environment, the boto3 Session and the clock to use; it forgets everything built so the
next call builds afresh. Nothing else swaps dependencies (no os.environ writes, no private
caches). Every AWS client of the process comes from :func:`session`, one boto3 Session.

Imports of what the parts are made of happen inside the builders: a handler module imports
this one at cold start, and pays only for what its first call builds.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from govbot.config import EnforcerSettings, GovernanceSettings, _EnvModel
    from govbot.enforcer.logic import Enforcer
    from govbot.enforcer.sweep import DriftSweep
    from govbot.gateways.appstream import AppStreamGateway
    from govbot.gateways.secrets import SecretsGateway
    from govbot.gateways.ssm import ParameterStore
    from govbot.gateways.streams import DynamoStreamReader
    from govbot.ledger import Ledger
    from govbot.notify.sinks import MessageSink
    from govbot.policy.judge import Judge
    from govbot.policy.models import Policy
    from govbot.policy.source import PolicySource
    from govbot.replicator.logic import Replicator
    from govbot.slack_actions.endpoint import WorkQueue

from govbot.clock import Clock, utcnow

T = TypeVar("T")


@dataclass(frozen=True)
class Seams:
    """What the process runs on. None means the deployed default for that seam."""

    environ: Mapping[str, str] | None = None  # settings source (None: os.environ)
    session: Any = None  # boto3 Session for every client (None: one made on first use)
    clock: Clock | None = None  # governance time: enforcer, sweep, replicator, their ledger


_lock = threading.RLock()
_seams = Seams()
_built: dict[str, Any] = {}


def configure(
    *,
    environ: Mapping[str, str] | None = None,
    session: Any = None,
    clock: Clock | None = None,
) -> None:
    """Run the handlers on these settings, Session and clock (None: the deployed default).

    Forgets every part built so far (and the organization member cache, a warm-container
    cache), so the next invocation builds from the new seams. ``configure()`` with no
    arguments returns to the deployed defaults.
    """
    global _seams
    from govbot.gateways import organizations

    with _lock:
        _seams = Seams(
            environ=dict(environ) if environ is not None else None,
            session=session,
            clock=clock,
        )
        _built.clear()
    organizations.clear_cache()


def _once(name: str, build: Callable[[], T]) -> T:
    with _lock:
        if name not in _built:
            _built[name] = build()
        value: T = _built[name]
        return value


def session(*, profile: str | None = None) -> Any:
    """The process's one boto3 Session: the seam's, else one created on first use.

    ``profile`` (the CLI's ``--profile``): a Session of that named profile instead, one per
    profile per process.
    """
    if profile:
        import boto3

        return _once(f"session:{profile}", lambda: boto3.session.Session(profile_name=profile))

    def build() -> Any:
        if _seams.session is not None:
            return _seams.session
        import boto3

        return boto3.session.Session()

    return _once("session", build)


def clock() -> Clock:
    """The governance clock (the seam's, else the wall clock)."""
    return _seams.clock or utcnow


S = TypeVar("S", bound="_EnvModel")


def settings(model: type[S]) -> S:
    """``model`` validated from the seam's environment (default: os.environ)."""
    from govbot.config import load_settings

    return load_settings(model, _seams.environ)


def parameter_store() -> ParameterStore:
    """SSM parameters (the policy), one cache per process."""
    from govbot.gateways.ssm import ParameterStore

    return _once("ssm", lambda: ParameterStore(lambda: session().client("ssm")))


def role_arn_resolver(role_name: str, hub_account_id: str = "") -> Callable[[str], str | None]:
    """Account -> remediation role ARN there; None means "act with our own credentials".

    The hub's own account has no remediation role (the spoke role stacks exist only in
    spoke accounts), so govbot acts there with the function's role.
    """
    if not role_name:
        return lambda _account: None
    return lambda account: (
        None if account == hub_account_id else f"arn:aws:iam::{account}:role/{role_name}"
    )


def organization_accounts(policy: Callable[[], Policy]) -> Callable[[], frozenset[str]]:
    """Member accounts of the AWS Organization, cached for the policy's ``cache_seconds``.

    The cache lives in the organizations gateway's module, so it survives warm invocations
    and is shared by every instance made here.
    """
    from govbot.gateways.organizations import OrganizationAccounts
    from govbot.policy.source import PolicySource

    # The caller has just read the policy to evaluate with it: reuse that read.
    current = policy.latest if isinstance(policy, PolicySource) else policy

    def members() -> frozenset[str]:
        seconds = current().organization.cache_seconds
        return OrganizationAccounts(
            client_factory=lambda: session().client("organizations"), cache_seconds=seconds
        ).member_account_ids()

    return members


@dataclass(frozen=True)
class GovernanceParts:
    """The gateways and policy views the enforcer and the replicator are both built from."""

    ledger: Ledger
    appstream: AppStreamGateway
    policy: Callable[[], Policy]
    judge: Judge
    clock: Clock


def governance_parts(
    settings: GovernanceSettings,
    *,
    appstream: AppStreamGateway | None = None,
    ledger: Ledger | None = None,
    policy: Callable[[], Policy] | None = None,
    clock: Clock | None = None,
) -> GovernanceParts:
    """Real gateways from ``settings`` on the process Session; each one replaceable."""
    from govbot.gateways.appstream import AppStreamGateway
    from govbot.governance import build_judge
    from govbot.ledger import Ledger
    from govbot.policy.source import PolicySource

    clock = clock or _seams.clock or utcnow
    ledger = ledger or Ledger(
        settings.ledger_table_name,
        session=session(),
        retention_days=settings.ledger_retention_days,
        clock=clock,
    )
    appstream = appstream or AppStreamGateway(
        session(),
        role_arn_for=role_arn_resolver(settings.remediation_role_name, settings.hub_account_id),
    )
    policy = policy or PolicySource(
        parameter_store(), settings.policy_parameter_name, max_age=settings.policy_cache_seconds
    )
    return GovernanceParts(
        ledger=ledger,
        appstream=appstream,
        policy=policy,
        judge=build_judge(
            policy,
            exemption_store=ledger,
            org_accounts=organization_accounts(policy),
            clock=clock,
        ),
        clock=clock,
    )


def build_enforcer(
    settings: Any,
    *,
    appstream: AppStreamGateway | None = None,
    ledger: Ledger | None = None,
    policy: Callable[[], Policy] | None = None,
    clock: Clock | None = None,
) -> Enforcer:
    """The enforcer wired to real gateways (each replaceable for tests and the sandbox)."""
    from govbot.enforcer.logic import Enforcer
    from govbot.enforcer.ports import EnforcerDeps

    parts = governance_parts(
        settings, appstream=appstream, ledger=ledger, policy=policy, clock=clock
    )
    return Enforcer(
        EnforcerDeps(
            appstream=parts.appstream,
            ledger=parts.ledger,
            judge=parts.judge,
            governed_accounts=frozenset(settings.governed_account_ids),
            governed_regions=frozenset(settings.governed_regions),
            self_principals=settings.self_principal_arns,
            clock=parts.clock,
        )
    )


def build_replicator(
    settings: GovernanceSettings,
    *,
    appstream: AppStreamGateway | None = None,
    ledger: Ledger | None = None,
    policy: Callable[[], Policy] | None = None,
    clock: Clock | None = None,
) -> Replicator:
    """The replicator wired to real gateways (each replaceable for tests and the sandbox)."""
    from govbot.replicator.logic import Replicator
    from govbot.replicator.ports import ReplicatorDeps

    parts = governance_parts(
        settings, appstream=appstream, ledger=ledger, policy=policy, clock=clock
    )
    return Replicator(
        ReplicatorDeps(
            appstream=parts.appstream,
            ledger=parts.ledger,
            judge=parts.judge,
            governed_accounts=frozenset(settings.governed_account_ids),
            governed_regions=frozenset(settings.governed_regions),
            clock=parts.clock,
        )
    )


# -- per handler: what survives across warm invocations --------------------------------


@dataclass(frozen=True)
class EnforcerParts:
    """The enforcer and its drift sweep, over one AppStream gateway (one client cache)."""

    enforcer: Enforcer
    sweep: DriftSweep
    clock: Clock
    settings: EnforcerSettings


def enforcer_parts() -> EnforcerParts:
    """The enforcer handler's parts, built on its first call."""

    def build() -> EnforcerParts:
        from govbot.config import EnforcerSettings
        from govbot.enforcer.sweep import DriftSweep, SweepSettings
        from govbot.gateways.appstream import AppStreamGateway
        from govbot.gateways.retries import RetrySettings

        config = settings(EnforcerSettings)
        # One gateway for both paths: the sweep lists images through the clients it caches.
        appstream = AppStreamGateway(
            session(),
            role_arn_for=role_arn_resolver(config.remediation_role_name, config.hub_account_id),
            retry=RetrySettings(
                max_attempts=config.appstream_max_attempts,
                base_seconds=config.appstream_backoff_base_ms / 1000,
                cap_seconds=config.appstream_backoff_cap_ms / 1000,
            ),
        )
        enforcer = build_enforcer(config, appstream=appstream)
        sweep = DriftSweep(
            enforcer,
            appstream,
            settings=SweepSettings(
                calls_in_flight=config.sweep_calls_in_flight,
                parallel_lanes=config.sweep_parallel_lanes,
            ),
        )
        return EnforcerParts(
            enforcer=enforcer, sweep=sweep, clock=enforcer.deps.clock, settings=config
        )

    return _once("enforcer", build)


def replicator() -> Replicator:
    """The replicator handler's replicator, built on its first call."""

    def build() -> Replicator:
        from govbot.config import ReplicatorSettings

        return build_replicator(settings(ReplicatorSettings))

    return _once("replicator", build)


@dataclass(frozen=True)
class NotifierParts:
    """What the notifier keeps warm; its per-invocation deps are made from these."""

    ledger: Ledger
    policy: PolicySource
    sink: MessageSink
    streams: DynamoStreamReader


def notifier_parts() -> NotifierParts:
    """The notifier handler's parts, built on its first call."""

    def build() -> NotifierParts:
        from govbot.config import NotifierSettings
        from govbot.gateways.streams import DynamoStreamReader
        from govbot.ledger import Ledger
        from govbot.notify.sinks import ConsoleSink, WebhookSink
        from govbot.policy.source import PolicySource

        config = settings(NotifierSettings)
        sink: MessageSink = (
            WebhookSink(secrets_gateway(webhooks_secret_arn=config.slack_webhooks_secret_arn))
            if config.slack_webhooks_secret_arn
            # No Slack configured: people read the same messages as JSON lines in the logs.
            else ConsoleSink()
        )
        return NotifierParts(
            ledger=Ledger(
                config.ledger_table_name,
                session=session(),
                retention_days=config.ledger_retention_days,
            ),
            policy=PolicySource(parameter_store(), config.policy_parameter_name),
            sink=sink,
            streams=DynamoStreamReader(client_factory=lambda: session().client("dynamodbstreams")),
        )

    return _once("notifier", build)


@dataclass(frozen=True)
class ActionsParts:
    """What the Slack actions endpoint keeps warm."""

    ledger: Ledger
    policy: PolicySource
    secrets: SecretsGateway
    work_queue: WorkQueue | None


def actions_parts() -> ActionsParts:
    """The actions endpoint's parts, built on its first call."""

    def build() -> ActionsParts:
        from govbot.config import ActionsSettings
        from govbot.enforcer.work import QueuedWork
        from govbot.gateways.sqs import SqsQueue
        from govbot.ledger import Ledger
        from govbot.policy.source import PolicySource

        config = settings(ActionsSettings)
        queue = (
            QueuedWork(SqsQueue(config.work_queue_url, lambda: session().client("sqs")))
            if config.work_queue_url
            else None
        )
        return ActionsParts(
            ledger=Ledger(
                config.ledger_table_name,
                session=session(),
                retention_days=config.ledger_retention_days,
            ),
            policy=PolicySource(parameter_store(), config.policy_parameter_name),
            secrets=secrets_gateway(signing_secret_arn=config.slack_signing_secret_arn),
            work_queue=queue,
        )

    return _once("actions", build)


def secrets_gateway(
    *, webhooks_secret_arn: str | None = None, signing_secret_arn: str | None = None
) -> SecretsGateway:
    """Secrets Manager on the process Session (the client is made when first read)."""
    from govbot.gateways.secrets import SecretsGateway

    return SecretsGateway(
        webhooks_secret_arn=webhooks_secret_arn,
        signing_secret_arn=signing_secret_arn,
        client_factory=lambda: session().client("secretsmanager"),
    )
