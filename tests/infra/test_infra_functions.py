"""Functions, their environment, triggers and the notifier's stream filter."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from govbot.policy.document import parse_policy_json
from govbot.policy.loader import parse_policy, policy_json
from infra.config import DEFAULTS

HANDLERS = {
    "govbot.handlers.enforcer.handler",
    "govbot.handlers.enforcer.sweep_handler",  # the drift sweeper: enforcer code, own timeout
    "govbot.handlers.replicator.handler",
    "govbot.handlers.notifier.handler",
    "govbot.handlers.actions.handler",
}
COMMON_ENV = {
    "LEDGER_TABLE_NAME", "POLICY_PARAMETER_NAME", "GOVERNED_ACCOUNT_IDS", "GOVERNED_REGIONS",
    "LEDGER_RETENTION_DAYS", "REMEDIATION_ROLE_NAME", "POWERTOOLS_SERVICE_NAME",
    "POWERTOOLS_METRICS_NAMESPACE",
}  # fmt: skip
# The only literal (non-reference) environment values the template may contain.
LITERAL_ENV_ALLOWED = {"govbot", "us-east-1,eu-west-1", "400", ""}


def _functions(hub) -> dict[str, dict]:
    return {f["Properties"]["Handler"]: f for f in hub.resources("AWS::Lambda::Function").values()}


def _id_of(hub, handler: str) -> str:
    for logical_id, function in hub.resources("AWS::Lambda::Function").items():
        if function["Properties"]["Handler"] == handler:
            return logical_id
    raise AssertionError(f"no function with handler {handler}")


def test_exactly_the_govbot_handlers_exist(hub) -> None:
    assert set(_functions(hub)) == HANDLERS


@pytest.mark.parametrize("handler", sorted(HANDLERS))
def test_function_runtime_layer_tracing_and_logging(hub, handler: str) -> None:
    props = _functions(hub)[handler]["Properties"]
    assert props["Runtime"] == "python3.13"
    assert props["Architectures"] == ["arm64"]
    assert props["TracingConfig"] == {"Mode": "Active"}
    assert props["LoggingConfig"]["LogFormat"] == "JSON"
    assert "LogGroup" in props["LoggingConfig"]
    layer, sdk_layer = props["Layers"]
    parts = layer["Fn::Join"][1]
    rendered = "".join(p if isinstance(p, str) else f"<{p['Ref']}>" for p in parts)
    assert rendered == (
        "arn:<AWS::Partition>:lambda:<AWS::Region>:017000801446:layer:"
        f"AWSLambdaPowertoolsPythonV3-python313-arm64:{DEFAULTS['powertools_layer_version']}"
    )
    # govbot's own SDK layer, built into this template, for this runtime and architecture.
    sdk = hub.resources("AWS::Lambda::LayerVersion")[sdk_layer["Ref"]]["Properties"]
    assert sdk["CompatibleRuntimes"] == ["python3.13"]
    assert sdk["CompatibleArchitectures"] == ["arm64"]
    assert DEFAULTS["sdk_boto3_version"] in sdk["Description"]
    assert props["Timeout"] >= 10
    assert props["MemorySize"] >= 256


@pytest.mark.parametrize("handler", sorted(HANDLERS))
def test_function_environment_has_the_contract_and_no_secret_values(hub, handler: str) -> None:
    env = _functions(hub)[handler]["Properties"]["Environment"]["Variables"]
    assert set(env) >= COMMON_ENV
    assert env["GOVERNED_REGIONS"] == "us-east-1,eu-west-1"
    assert env["GOVERNED_ACCOUNT_IDS"] == {"Ref": "AWS::AccountId"}
    assert env["LEDGER_RETENTION_DAYS"] == "400"
    for name, value in env.items():
        if isinstance(value, str):
            assert value in LITERAL_ENV_ALLOWED, f"{handler}: {name} holds a literal {value!r}"
        else:  # references only: names and ARNs, never values
            assert set(value) <= {"Ref", "Fn::GetAtt", "Fn::Join"}, (handler, name)


def test_secret_arns_go_only_to_the_function_that_uses_them(hub) -> None:
    envs = {h: f["Properties"]["Environment"]["Variables"] for h, f in _functions(hub).items()}
    assert "SLACK_WEBHOOKS_SECRET_ARN" in envs["govbot.handlers.notifier.handler"]
    assert "SLACK_SIGNING_SECRET_ARN" in envs["govbot.handlers.actions.handler"]
    for handler, env in envs.items():
        if handler != "govbot.handlers.notifier.handler":
            assert "SLACK_WEBHOOKS_SECRET_ARN" not in env
        if handler != "govbot.handlers.actions.handler":
            assert "SLACK_SIGNING_SECRET_ARN" not in env


def test_secrets_hold_no_value_in_the_template(hub) -> None:
    secrets = hub.resources("AWS::SecretsManager::Secret")
    assert len(secrets) == 3  # Slack webhooks, Slack signing secret, work-signing key
    for secret in secrets.values():
        assert "SecretString" not in secret["Properties"]


@pytest.mark.parametrize(
    ("handler", "queue_prefix"),
    [
        ("govbot.handlers.enforcer.handler", "EnforcementEventsQueue"),
        ("govbot.handlers.replicator.handler", "ReplicationTriggersQueue"),
    ],
)
def test_queue_consumers_batch_and_report_item_failures(
    hub, handler: str, queue_prefix: str
) -> None:
    function_id = _id_of(hub, handler)
    (mapping,) = [
        m["Properties"]
        for m in hub.resources("AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["FunctionName"] == {"Ref": function_id}
    ]
    assert mapping["EventSourceArn"]["Fn::GetAtt"][0].startswith(queue_prefix)
    assert mapping["BatchSize"] == 10
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert 0 < mapping["MaximumBatchingWindowInSeconds"] <= 10


def test_notifier_stream_mapping_passes_only_outbox_inserts(hub) -> None:
    function_id = _id_of(hub, "govbot.handlers.notifier.handler")
    (mapping,) = [
        m["Properties"]
        for m in hub.resources("AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["FunctionName"] == {"Ref": function_id}
    ]
    (table_id,) = hub.resources("AWS::DynamoDB::Table")
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": [table_id, "StreamArn"]}
    (only_filter,) = mapping["FilterCriteria"]["Filters"]
    assert json.loads(only_filter["Pattern"]) == {
        "eventName": ["INSERT"],
        "dynamodb": {"NewImage": {"kind": {"S": ["outbox"]}}},
    }
    assert mapping["BatchSize"] == 10
    assert mapping["BisectBatchOnFunctionError"] is True
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert 0 < mapping["MaximumRetryAttempts"] <= 10
    failure_queue = mapping["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0]
    assert failure_queue in hub.resources("AWS::SQS::Queue")


def test_actions_function_url_is_public_because_slack_cannot_sign_sigv4(hub) -> None:
    (url,) = hub.resources("AWS::Lambda::Url").values()
    assert url["Properties"]["AuthType"] == "NONE"
    assert url["Properties"]["TargetFunctionArn"] == {
        "Fn::GetAtt": [_id_of(hub, "govbot.handlers.actions.handler"), "Arn"]
    }


def test_replicator_sweep_runs_on_the_configured_schedule(hub) -> None:
    replicator = {"Fn::GetAtt": [_id_of(hub, "govbot.handlers.replicator.handler"), "Arn"]}
    rules = [r for r in hub.resources("AWS::Events::Rule").values()
             if "ScheduleExpression" in r["Properties"]
             and any(t["Arn"] == replicator for t in r["Properties"]["Targets"])]  # fmt: skip
    (sweep,) = rules
    assert sweep["Properties"]["ScheduleExpression"] == "rate(5 minutes)"
    (target,) = sweep["Properties"]["Targets"]
    assert target["Arn"] == {
        "Fn::GetAtt": [_id_of(hub, "govbot.handlers.replicator.handler"), "Arn"]
    }
    assert "DeadLetterConfig" in target


def test_policy_parameter_holds_the_policy_file_as_canonical_json(hub) -> None:
    (parameter,) = hub.resources("AWS::SSM::Parameter").values()
    source = Path(DEFAULTS["policy_file"]).read_text(encoding="utf-8")
    text = parameter["Properties"]["Value"]
    assert text == policy_json(source)
    # What the functions read back is the very policy the YAML file describes.
    assert parse_policy_json(text) == parse_policy(source)
    assert parameter["Properties"]["Name"] == "/govbot/policy"
    expected_tier = "Advanced" if len(text.encode()) > 4096 else "Standard"
    assert parameter["Properties"]["Tier"] == expected_tier


def test_actions_defer_slow_work_to_the_enforcer_queue_only(hub) -> None:
    env = _functions(hub)["govbot.handlers.actions.handler"]["Properties"]["Environment"]
    (queue_id,) = [
        logical_id
        for logical_id, queue in hub.resources("AWS::SQS::Queue").items()
        if "RedrivePolicy" in queue["Properties"] and "Enforcement" in logical_id
    ]
    assert env["Variables"]["WORK_QUEUE_URL"] == {"Ref": queue_id}
    actions_role = _functions(hub)["govbot.handlers.actions.handler"]["Properties"]["Role"]
    role_id = actions_role["Fn::GetAtt"][0]
    statements = [
        statement
        for policy in hub.resources("AWS::IAM::Policy").values()
        if {"Ref": role_id} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    sends = [s for s in statements if "sqs:SendMessage" in json.dumps(s["Action"])]
    assert [s["Resource"] for s in sends] == [{"Fn::GetAtt": [queue_id, "Arn"]}]


def test_digest_flush_schedule_invokes_the_notifier(hub) -> None:
    notifier = {"Fn::GetAtt": [_id_of(hub, "govbot.handlers.notifier.handler"), "Arn"]}
    (rule,) = [
        r
        for r in hub.resources("AWS::Events::Rule").values()
        if "ScheduleExpression" in r["Properties"]
        and any(t["Arn"] == notifier for t in r["Properties"]["Targets"])
    ]
    assert rule["Properties"]["ScheduleExpression"] == "rate(5 minutes)"
    (target,) = rule["Properties"]["Targets"]
    assert "DeadLetterConfig" in target


@pytest.mark.parametrize(
    "handler", ["govbot.handlers.enforcer.handler", "govbot.handlers.replicator.handler"]
)
def test_functions_know_their_hub_account_and_own_principals(hub, handler: str) -> None:
    env = _functions(hub)[handler]["Properties"]["Environment"]["Variables"]
    assert env["HUB_ACCOUNT_ID"] == {"Ref": "AWS::AccountId"}
    rendered = _render(env["SELF_PRINCIPAL_ARNS"])
    # Both functions' roles, each as an assumed-role prefix (the session name varies).
    assert rendered.split(",") == [
        "arn:<AWS::Partition>:sts::<AWS::AccountId>:assumed-role/<EnforcementEnforcerRole>/",
        "arn:<AWS::Partition>:sts::<AWS::AccountId>:assumed-role/<ReplicationReplicatorRole>/",
    ]


def _render(value: object) -> str:
    """A Fn::Join of literals and Refs as text, logical-id hashes dropped."""
    if isinstance(value, str):
        return value
    assert isinstance(value, dict)
    if "Ref" in value:
        ref = str(value["Ref"])
        return f"<{ref if ref.startswith('AWS::') else ref[:-8]}>"
    separator, parts = value["Fn::Join"]
    return str(separator).join(_render(part) for part in parts)
