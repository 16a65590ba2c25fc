"""The closed-loop local sandbox: moto + the AppStream emulator + govbot's handlers.

An AppStream call made with boto3 emits its CloudTrail event to the EventBridge bus of its
region; spoke regions forward it to the hub bus, envelope intact (as deployed); the hub's
rules, built from the same patterns as the CDK stack, route it to the enforcer's queue;
``drain()`` plays the Lambda service: it feeds queue batches to the real handlers, deletes
what succeeded, lets failures come back (and dead-letter after the queue's maxReceiveCount:
by default the deployed one, ``govbot.routing.MAX_RECEIVE_COUNT``), and feeds the ledger's
stream through the notifier's filter.

``Sandbox`` composes the parts: ``hub_stack`` (govbot's identities, settings and the hub's
resources, as deployed), ``lambda_triggers`` (every way Lambda invokes the functions),
``forwarding`` (the spokes' rules) and the emulator.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

import boto3
from moto import mock_aws

from govbot import observability, routing, wiring
from govbot.ledger import Ledger
from govbot_sandbox import (
    moto_serialize,  # noqa: F401 (response alias keys worked out once per shape)
    moto_sorting,  # noqa: F401 (index queries sorted once per item)
    moto_threads,  # noqa: F401 (moto's DynamoDB made thread-safe)
    moto_transactions,  # noqa: F401 (a cancelled commit streams nothing)
    shared_models,  # noqa: F401 (botocore's models parsed once per process)
)
from govbot_sandbox.ec2_trail import ec2_image_trail
from govbot_sandbox.emulator import AppStreamEmulator, MotoEventBridgeSink, mock_appstream
from govbot_sandbox.fake_slack import FakeSlack
from govbot_sandbox.faults import Crashes, DynamoFaults
from govbot_sandbox.forwarding import SpokeForwarders
from govbot_sandbox.hub_stack import (
    BOT_PRINCIPAL,
    DEMO_POLICY,
    FUNCTIONS_ACCESS_KEY,
    FUNCTIONS_ROLE,
    MAX_RECEIVE_COUNT,
    REMEDIATION_ROLE,
    SLACK_SIGNING_SECRET,
    QueuePair,
    deploy_hub,
    functions_environment,
    own_principal_prefix,
)
from govbot_sandbox.lambda_service import HUB_ACCOUNT, LambdaContextStub
from govbot_sandbox.lambda_triggers import DrainReport, LambdaTriggers

# What other code imports from here: the sandbox's settings live in hub_stack.
__all__ = [
    "BOT_PRINCIPAL",
    "DEMO_POLICY",
    "FUNCTIONS_ACCESS_KEY",
    "FUNCTIONS_ROLE",
    "HUB_ACCOUNT",
    "MAX_RECEIVE_COUNT",
    "REMEDIATION_ROLE",
    "SLACK_SIGNING_SECRET",
    "DrainReport",
    "QueuePair",
    "Sandbox",
    "own_principal_prefix",
]


class Sandbox:
    """A running govbot on moto and the emulator; use as a context manager.

    Parameters
    ----------
    policy_path:
        The policy YAML stored in SSM for the handlers (default: ``policies/demo.yaml``).
    regions:
        Governed regions; the first is the hub region.
    accounts:
        Governed accounts (default: the hub account only).
    environment:
        Handler settings to use instead of the sandbox's (e.g. ``POLICY_CACHE_SECONDS``,
        which the sandbox sets to 0 so a test's new policy applies at once).
    sleep:
        How the handlers' in-process retries wait (Slack's back-off); default
        ``time.sleep``, as deployed. Tests pass a recorder, so nothing really waits.
    slack_timeout:
        Seconds a Slack post waits for its answer (default: the deployed 30 s); a test of a
        slow Slack scales its delay to this instead of really waiting past 5 s.
    """

    def __init__(
        self,
        *,
        policy_path: Path = DEMO_POLICY,
        regions: tuple[str, ...] = ("us-east-1", "us-west-2", "eu-west-1"),
        accounts: tuple[str, ...] = (HUB_ACCOUNT,),
        clock: Any | None = None,
        slack: FakeSlack | None = None,
        notify: bool = True,
        max_receive_count: int = MAX_RECEIVE_COUNT,
        remaining_ms: Callable[[], int] | None = None,
        environment: Mapping[str, str] | None = None,
        sleep: Callable[[float], None] | None = None,
        slack_timeout: int | None = None,
    ) -> None:
        self.policy_path = policy_path
        self.sleep = sleep
        self.slack_timeout = slack_timeout
        self.regions = regions
        self.hub_region = regions[0]
        self.accounts = accounts
        self.table_name = "govbot-ledger"
        self.policy_parameter = "/govbot/policy"
        self.emulator = AppStreamEmulator(clock=clock)
        self.slack = slack
        self.notify = notify
        # The queues' maxReceiveCount (and the enforcer's MAX_RECEIVE_COUNT, as deployed).
        self.max_receive_count = max_receive_count
        # What the Lambda context says is left of the invocation (default: plenty).
        self.remaining_ms = remaining_ms
        # Settings that differ from the sandbox's (e.g. the deployed cache ages, for a bench).
        self.environment_overrides = dict(environment or {})
        # The boto3 Session the handlers' clients come from (hooks see govbot's calls only).
        self.session: Any = None
        # Fault injection beyond the emulator's: DynamoDB errors, process deaths.
        self.dynamodb_faults = DynamoFaults()
        self.crashes = Crashes()
        self.slack_secret_arn = ""
        self.signing_secret_arn = ""
        self.work_key_secret_arn = ""
        self._aws = mock_aws()
        self._appstream = mock_appstream(self.emulator)
        # EC2 launch permissions of exported AMIs reach the buses like AppStream's calls.
        self._ec2_trail = ec2_image_trail(
            self.emulator.sink, self.emulator.context_for, lambda: self.emulator.backend.clock.now()
        )
        self._hub_sink = MotoEventBridgeSink(deliver_to=(HUB_ACCOUNT, self.hub_region))
        self.forwarders = SpokeForwarders(
            (HUB_ACCOUNT, self.hub_region), accounts, own_principal_prefix, self._hub_sink
        )
        self.emulator.sink.sinks.append(self.forwarders)
        self._environ: dict[str, str] = {}
        # Lambda's side: everything that invokes the functions (queues, stream, schedules...).
        self.triggers = LambdaTriggers(
            self.hub_region,
            self.table_name,
            self.lambda_context,
            lambda: self.emulator.backend.clock.now(),
        )
        self.enforcer_queue: QueuePair | None = None
        self.replicator_queue: QueuePair | None = None
        # People's clients, made once each (a botocore client costs ~20 ms).
        self._clients: dict[tuple[str, ...], Any] = {}

    # -- lifecycle -----------------------------------------------------------------------

    def __enter__(self) -> Sandbox:
        self._aws.start()
        self._appstream.__enter__()
        self._ec2_trail.__enter__()
        backend = self.emulator.backend
        backend.dispatch = self.crashes.wrap(backend.dispatch)  # type: ignore[method-assign]
        self._environ = self.handler_environment()
        self.emulator.register_identity(
            FUNCTIONS_ACCESS_KEY, HUB_ACCOUNT, BOT_PRINCIPAL, "AssumedRole"
        )
        self._wire_handlers()
        hub = deploy_hub(
            self.hub_region,
            table_name=self.table_name,
            max_receive_count=self.max_receive_count,
            policy_path=self.policy_path,
            slack=self.slack,
        )
        self.put_policy(self.policy_path.read_text())
        self.enforcer_queue, self.replicator_queue = hub.enforcer_queue, hub.replicator_queue
        self.slack_secret_arn = hub.slack_secret_arn
        self.signing_secret_arn = hub.signing_secret_arn
        self.work_key_secret_arn = hub.work_key_secret_arn
        self._environ.update(hub.environment)
        self._wire_handlers()
        return self

    def __exit__(self, *exc: object) -> None:
        self.dynamodb_faults.uninstall()
        self._ec2_trail.__exit__(None, None, None)
        self._appstream.__exit__(None, None, None)
        self._aws.stop()
        wiring.configure()
        observability.configure()

    def _wire_handlers(self) -> None:
        """Give the handlers the sandbox's settings, credentials and clock (the public seam).

        The functions' credentials are the ones the emulator knows as the functions' role,
        so govbot's own calls show in CloudTrail as deployed. Governance time follows the
        emulator's (possibly manual) clock, for the enforcer and the replicator alike.
        """
        session = boto3.session.Session(
            aws_access_key_id=FUNCTIONS_ACCESS_KEY,
            aws_secret_access_key="sandbox",
            region_name=self.hub_region,
        )
        self.dynamodb_faults.install(session)
        self.session = session
        wiring.configure(
            environ=self._environ,
            session=session,
            clock=self.emulator.backend.clock.now,
            sleep=self.sleep,
            slack_timeout=self.slack_timeout,
        )
        observability.configure(emit_metrics=False)
        observability.logger.setLevel(os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"))

    def handler_environment(self) -> dict[str, str]:
        """The settings the deployed stack gives the functions, sandbox flavoured.

        Credentials and region travel in the boto3 Session the sandbox hands the
        composition root; nothing here is written to the process environment.
        """
        return functions_environment(
            table_name=self.table_name,
            policy_parameter=self.policy_parameter,
            accounts=self.accounts,
            regions=self.regions,
            max_receive_count=self.max_receive_count,
            overrides=self.environment_overrides,
        )

    # -- people and their tools ------------------------------------------------------------

    def appstream(self, region: str, *, user: str = "alice", account: str = HUB_ACCOUNT) -> Any:
        """A boto3 AppStream client acting as a person (``user``) of ``account``."""
        return self._person_client("appstream", region, user, account)

    def ec2(self, region: str, *, user: str = "alice", account: str = HUB_ACCOUNT) -> Any:
        """A boto3 EC2 client acting as ``user`` of ``account`` (moto's EC2 of that account,
        where the emulator's exports put their AMIs)."""
        client = self._person_client("ec2", region, user, account)

        def in_account(request: Any, **_: Any) -> None:
            request.headers["x-moto-account-id"] = account

        # The client is the harness's cached one: the same hook is registered once.
        client.meta.events.register("before-sign.ec2", in_account, unique_id=f"acct-{account}")
        return client

    def _person_client(
        self, service: Literal["appstream", "ec2"], region: str, user: str, account: str
    ) -> Any:
        """A boto3 client with credentials the emulator knows as IAM user ``user``."""
        access_key = f"AKIA{user.upper():0<8.8}{account}"[:20]
        self.emulator.register_identity(
            access_key, account, f"arn:aws:iam::{account}:user/{user}", "IAMUser"
        )
        key = (service, region, access_key)
        if key not in self._clients:
            self._clients[key] = boto3.client(
                service,
                region_name=region,
                aws_access_key_id=access_key,
                aws_secret_access_key="sandbox",
            )
        return self._clients[key]

    @property
    def ledger(self) -> Ledger:
        """The ledger gateway on the sandbox table."""
        return Ledger(self.table_name, client=self.triggers.client("dynamodb"))

    def put_policy(self, text: str) -> None:
        """Store a policy version (YAML text) in SSM as the CDK deployment does: its JSON."""
        from govbot.policy.loader import policy_json

        self.triggers.client("ssm").put_parameter(
            Name=self.policy_parameter,
            Value=policy_json(text, "sandbox policy"),
            Type="String",
            Tier="Advanced",
            Overwrite=True,
        )

    # -- the Lambda service, played locally -------------------------------------------------

    def drain(self, *, max_rounds: int = 25) -> DrainReport:
        """Deliver queued events to the handlers until every queue and the stream are quiet."""
        assert self.enforcer_queue is not None
        return self.triggers.drain(
            self.enforcer_queue, self.replicator_queue, notify=self.notify, max_rounds=max_rounds
        )

    def deliver_raw(self, bodies: list[str]) -> dict[str, Any]:
        """Invoke the enforcer with one SQS batch of raw message bodies (bypassing the rule)."""
        return self.triggers.deliver_raw(bodies)

    def sweep(self) -> dict[str, Any]:
        """Invoke the replicator as its schedule does (EventBridge "Scheduled Event")."""
        return self.triggers.replicator_schedule()

    def drift_sweep(self, *, event_id: str | None = None) -> dict[str, Any]:
        """Invoke the enforcer as its drift-sweep schedule does; returns the sweep report.

        Pass the same ``event_id`` twice to replay a retried scheduled invocation.
        """
        return self.triggers.drift_schedule(event_id)

    def click(
        self, button_action_id: str, value: str, user_id: str, *, secret: str | None = None
    ) -> dict[str, Any]:
        """A Slack user clicks a button: the signed Function URL request, to the actions handler.

        ``secret`` signs with another key (a forged request); the default is the sandbox's.
        Returns the handler's HTTP response (``statusCode``, ``body``).
        """
        return self.triggers.click(button_action_id, value, user_id, secret)

    def replay_notifications(self, messages: list[Any] | None = None) -> dict[str, Any]:
        """An operator replays the notifier's on-failure queue (``replay-dead-letters``).

        ``messages`` are what the queue holds; by default one on-failure record of the
        stream's first shard, as Lambda writes it (``DDBStreamBatchInfo`` only). moto cannot
        open a shard at a sequence number, so reading that range fails as a trimmed one
        would on AWS: the notifier must fall back to the ledger.
        """
        return self.triggers.replay_notifications(messages)

    def cloudwatch_alarms(self) -> list[dict[str, Any]]:
        """Play CloudWatch for the dead-letter queues' depth alarms (as deployed: ``DlqDepth``
        alarms -> the alarm topic -> the notifier): a queue whose DLQ went from empty to
        holding messages raises its alarm once; returns the notifier's answers."""
        queues = {"enforcer": self.enforcer_queue, "replicator": self.replicator_queue}
        return self.triggers.dlq_alarms(queues)

    def lambda_context(self, function_name: str) -> LambdaContextStub:
        """The context Lambda gives ``function_name``: the sandbox's ``remaining_ms`` when
        set; else the notifier has its deployed timeout, the others plenty of time."""
        if self.remaining_ms is not None:
            return LambdaContextStub(function_name, remaining=self.remaining_ms)
        if function_name == "govbot-notifier":  # as deployed: time to wait for Slack
            timeout_ms = routing.NOTIFIER_TIMEOUT_SECONDS * 1000
            return LambdaContextStub(function_name, remaining=lambda: timeout_ms)
        return LambdaContextStub(function_name)

    def dead_letters(self) -> list[str]:
        """Bodies waiting in the enforcer's dead-letter queue (all of them; left in place)."""
        assert self.enforcer_queue is not None
        return self.triggers.dead_letters(self.enforcer_queue)

    def outbox_stream_records(self) -> list[dict[str, Any]]:
        """The ledger stream's new records that pass the notifier's filter (read once)."""
        return list(self.triggers.stream_records())
