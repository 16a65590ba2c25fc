"""The one builder every govbot Lambda function is made with.

Shared by all functions: the Powertools public layer, govbot's SDK layer (a pinned
boto3/botocore, infra/sdk_layer.py), runtime, architecture, active tracing, JSON logs into a
KMS-encrypted log group with retention, and a dedicated role that starts with no managed
policy at all. Each function gets its own locally bundled
asset: the import closure of its handler (infra/closure.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.bundling import DependencySpec, lambda_code
from infra.config import HubSettings
from infra.interpreter import LAMBDA_PYTHON_VERSION
from infra.nag import acknowledge
from infra.sdk_layer import SdkLayerSpec, sdk_layer_code

POWERTOOLS_LAYER_ACCOUNT = "017000801446"
# python3.13: the artifact test runs the asset on that minor version (infra/interpreter.py
# provisions it) and the bytecode is compiled by it (README "Runtime version"). The
# Powertools layer is its python313 build; all three follow LAMBDA_PYTHON_VERSION.
RUNTIME = lambda_.Runtime.PYTHON_3_13
LAYER_PYTHON = "python" + LAMBDA_PYTHON_VERSION.replace(".", "")
# The Powertools release the artifact test installs (tests/artifact/lambda_env.py) in place
# of the layer given by the `powertools_layer_version` context key. Change both together.
# Unverified: which release public layer version 27 carries (README "Runtime version").
POWERTOOLS_VERSION = "3.37.0"
SNAPSTART_ALIAS = "live"
SERVICE_NAME = "govbot"
_R = logs.RetentionDays
RETENTION_BY_DAYS: dict[int, logs.RetentionDays] = {
    1: _R.ONE_DAY, 3: _R.THREE_DAYS, 5: _R.FIVE_DAYS, 7: _R.ONE_WEEK, 14: _R.TWO_WEEKS,
    30: _R.ONE_MONTH, 60: _R.TWO_MONTHS, 90: _R.THREE_MONTHS, 120: _R.FOUR_MONTHS,
    150: _R.FIVE_MONTHS, 180: _R.SIX_MONTHS, 365: _R.ONE_YEAR, 400: _R.THIRTEEN_MONTHS,
    545: _R.EIGHTEEN_MONTHS, 731: _R.TWO_YEARS, 1096: _R.THREE_YEARS, 1827: _R.FIVE_YEARS,
    2192: _R.SIX_YEARS, 2557: _R.SEVEN_YEARS, 2922: _R.EIGHT_YEARS, 3288: _R.NINE_YEARS,
    3653: _R.TEN_YEARS,
}  # fmt: skip


def powertools_layer_arn(region: str, partition: str, architecture: str, version: int) -> str:
    """ARN of the public Powertools v3 layer for the runtime's Python on ``architecture``."""
    return (
        f"arn:{partition}:lambda:{region}:{POWERTOOLS_LAYER_ACCOUNT}:layer:"
        f"AWSLambdaPowertoolsPythonV3-{LAYER_PYTHON}-{architecture}:{version}"
    )


@dataclass(frozen=True)
class FunctionSpec:
    """What differs between govbot functions."""

    handler: str
    description: str
    environment: Mapping[str, str] = field(default_factory=dict)
    memory_size: int = 512
    timeout: cdk.Duration = field(default_factory=lambda: cdk.Duration.seconds(60))
    reserved_concurrency: int | None = None
    # Async invocations (schedules) need a DLQ; functions only ever invoked synchronously
    # (SQS/stream mappings, function URL) say why instead.
    dead_letter_queue: sqs.IQueue | None = None
    no_dlq_reason: str = ""
    # Why any further '*'-only action (added by an event source) shares the X-Ray statement.
    extra_star_note: str = ""
    # Run with an existing role instead of a new one (the drift sweeper runs with the
    # enforcer's: same actions on the same images, already trusted and recognised).
    role: iam.Role | None = None
    # A fixed role name (the roles spoke accounts trust by exact ARN); None: generated.
    role_name: str | None = None
    # SnapStart on published versions; triggers then invoke the alias (README "SnapStart").
    snapstart: bool = False

    def __post_init__(self) -> None:
        if self.dead_letter_queue is None and not self.no_dlq_reason:
            raise ValueError(
                f"FunctionSpec for {self.handler}: give a dead_letter_queue or explain in "
                "no_dlq_reason why the function is never invoked asynchronously"
            )


class GovbotFunction(Construct):
    """A govbot Lambda function with its role and encrypted log group."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        spec: FunctionSpec,
        factory: FunctionFactory,
    ) -> None:
        super().__init__(scope, construct_id)
        settings = factory.settings
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            encryption_key=factory.key,
            retention=RETENTION_BY_DAYS[settings.log_retention_days],
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        # A role of our own: the default one would attach AWSLambdaBasicExecutionRole.
        self.role = spec.role or iam.Role(
            self,
            "Role",
            role_name=spec.role_name,
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"govbot {construct_id}: least-privilege execution role",
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[self.log_group.log_group_arn],
            )
        )
        environment = {
            "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
            "POWERTOOLS_METRICS_NAMESPACE": SERVICE_NAME,
            **spec.environment,
        }
        self.function = lambda_.Function(
            self,
            "Function",
            description=spec.description,
            runtime=RUNTIME,
            architecture=factory.architecture,
            handler=spec.handler,
            code=factory.code_for(spec.handler),
            # Order matters only for readers: /opt/python holds both, the SDK layer's boto3
            # comes before the runtime's (Lambda's import path), Powertools has none.
            layers=[factory.powertools_layer, factory.sdk_layer],
            memory_size=spec.memory_size,
            timeout=spec.timeout,
            role=self.role,
            environment=environment,
            environment_encryption=factory.key,
            tracing=lambda_.Tracing.ACTIVE,
            log_group=self.log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            application_log_level_v2=lambda_.ApplicationLogLevel.INFO,
            system_log_level_v2=lambda_.SystemLogLevel.INFO,
            reserved_concurrent_executions=spec.reserved_concurrency,
            dead_letter_queue=spec.dead_letter_queue,
            snap_start=lambda_.SnapStartConf.ON_PUBLISHED_VERSIONS if spec.snapstart else None,
        )
        # What triggers invoke: the function itself, or with SnapStart the alias of its
        # latest published version (SnapStart applies only to published versions).
        self.invocable: lambda_.IFunction = self.function
        if spec.snapstart:
            self.invocable = lambda_.Alias(
                self,
                "Live",
                alias_name=SNAPSTART_ALIAS,
                version=self.function.current_version,
                description="govbot: the published version SnapStart restores from",
            )
        if spec.dead_letter_queue is None:
            acknowledge(self.function, "Serverless-LambdaDLQ", spec.no_dlq_reason)
        for rule_id in ("AwsSolutions-L1", "Serverless-LambdaLatestVersion"):
            acknowledge(
                self.function,
                rule_id,
                f"Runtime pinned to {RUNTIME.name}: the version the artifact test runs the "
                "asset on and compiles its bytecode with, and the Powertools public layer in "
                f"use is its AWSLambdaPowertoolsPythonV3-{LAYER_PYTHON} build; runtime, "
                "layer and test move together.",
            )
        acknowledge(
            self.role,
            "AwsSolutions-IAM5[Resource::*]",
            "X-Ray PutTraceSegments and PutTelemetryRecords (active tracing) do not support "
            "resource-level permissions, so their statement can only name '*'."
            + (f" {spec.extra_star_note}" if spec.extra_star_note else ""),
        )


class FunctionFactory(Construct):
    """Holds what all functions share (asset, layer, key) and builds them."""

    def __init__(
        self, scope: Construct, construct_id: str, *, settings: HubSettings, key: kms.IKey
    ) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        self.settings = settings
        self.key = key
        self.architecture = (
            lambda_.Architecture.ARM_64
            if settings.architecture == "arm64"
            else lambda_.Architecture.X86_64
        )
        self.dependencies = DependencySpec(
            requirement=f"slack_sdk=={settings.slack_sdk_version}",
            architecture=settings.architecture,
        )
        self.powertools_layer = lambda_.LayerVersion.from_layer_version_arn(
            self,
            "PowertoolsLayer",
            powertools_layer_arn(
                stack.region,
                stack.partition,
                settings.architecture,
                settings.powertools_layer_version,
            ),
        )
        sdk = SdkLayerSpec(settings.sdk_boto3_version, settings.architecture)
        self.sdk_layer = lambda_.LayerVersion(
            self,
            "SdkLayer",
            code=sdk_layer_code(sdk),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[self.architecture],
            description=f"govbot: boto3 and botocore {sdk.version} (pinned; README 'Bundled SDK')",
            license="Apache-2.0",
        )

    def code_for(self, handler: str) -> lambda_.Code:
        """The function's own asset: the import closure of its handler module."""
        code: lambda_.Code = lambda_code(self.dependencies, handler)
        return code

    def build(self, scope: Construct, construct_id: str, spec: FunctionSpec) -> GovbotFunction:
        """Create one govbot function under ``scope``."""
        return GovbotFunction(scope, construct_id, spec=spec, factory=self)
