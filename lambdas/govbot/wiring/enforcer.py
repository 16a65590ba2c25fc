"""The enforcer function's parts: the enforcer and its drift sweep.

Imports of what the parts are made of happen inside the builders: the handler imports this
module at cold start and pays only for what its first call builds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, partial
from typing import TYPE_CHECKING

from govbot.wiring.appstream_parts import appstream_gateway, governance_parts
from govbot.wiring.core import _once, session, settings

if TYPE_CHECKING:
    from govbot.clock import Clock
    from govbot.config import EnforcerSettings
    from govbot.enforcer.exits import ExitReader
    from govbot.enforcer.logic import Enforcer
    from govbot.enforcer.sweep import DriftSweep
    from govbot.gateways.appstream import AppStreamGateway
    from govbot.ledger import Ledger
    from govbot.policy.models import Policy


def build_enforcer(
    settings: EnforcerSettings,
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
            guards=parts.ledger,
            work_key=_work_key(settings.work_signing_secret_arn),
            exits=exit_readers(parts.appstream),
        )
    )


def _work_key(secret_arn: str) -> Callable[[], bytes] | None:
    """The deferred-work signing key, read (and cached) through the secrets gateway."""
    if not secret_arn:
        return None
    from govbot.gateways.secrets import SecretsGateway

    gateway = SecretsGateway(
        work_key_secret_arn=secret_arn, client_factory=lambda: session().client("secretsmanager")
    )
    return gateway.work_signing_key


def exit_readers(appstream: AppStreamGateway) -> Callable[[], ExitReader]:
    """The reader of exports and builders' settings over ``appstream``'s clients (EC2 with
    the same credentials per account), built on the first call and then kept."""
    built: list[ExitReader] = []

    def reader() -> ExitReader:
        if not built:
            from govbot.enforcer.exits import ExitReader
            from govbot.gateways.appstream_exits import AppStreamExits
            from govbot.gateways.ec2 import Ec2Gateway

            ec2 = Ec2Gateway(partial(appstream.service_client, "ec2"))
            built.append(ExitReader(AppStreamExits(appstream), ec2))
        return built[0]

    return reader


@dataclass(frozen=True)
class EnforcerParts:
    """The enforcer and its drift sweep, over one AppStream gateway (one client cache).

    The sweep is built (and its modules imported) when first asked for: only scheduled
    events need it, so an ordinary event's cold start does not pay for it.
    """

    enforcer: Enforcer
    appstream: AppStreamGateway
    clock: Clock
    settings: EnforcerSettings

    @cached_property
    def sweep(self) -> DriftSweep:
        """The drift sweep over the enforcer's AppStream gateway (built on first use)."""
        from govbot.enforcer.sweep import DriftSweep, SweepSettings

        return DriftSweep(
            self.enforcer,
            self.appstream,
            settings=SweepSettings(
                calls_in_flight=self.settings.sweep_calls_in_flight,
                parallel_lanes=self.settings.sweep_parallel_lanes,
            ),
            exits=self.enforcer.deps.exits() if self.enforcer.deps.exits else None,
        )


def enforcer_parts() -> EnforcerParts:
    """The enforcer handler's parts, built on its first call."""

    def build() -> EnforcerParts:
        from govbot.config import EnforcerSettings
        from govbot.gateways.retries import RetrySettings

        config = settings(EnforcerSettings)
        # One gateway for both paths: the sweep lists images through the clients it caches.
        retry = RetrySettings(
            max_attempts=config.appstream_max_attempts,
            base_seconds=config.appstream_backoff_base_ms / 1000,
            cap_seconds=config.appstream_backoff_cap_ms / 1000,
        )
        appstream = appstream_gateway(config, retry)
        enforcer = build_enforcer(config, appstream=appstream)
        return EnforcerParts(
            enforcer=enforcer, appstream=appstream, clock=enforcer.deps.clock, settings=config
        )

    return _once("enforcer", build)
