"""The artifact CloudFormation would upload, run as Lambda would run it (issue 8).

For every function of the synthesized hub template: its asset directory from the cloud
assembly, its ``Handler``, an interpreter holding only what Lambda gives (CPython 3.13, the
runtime's minor version, with a stand-in for its bundled boto3 and the pinned Powertools
layer's packages; see lambda_env.py) plus that directory and govbot's own SDK layer as
synthesized, and one real invocation against the sandbox served on loopback. Outcomes are read from
AppStream state, the ledger and the fake Slack, never from printed text.
"""

from __future__ import annotations

import json
import shutil
import textwrap
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest

from govbot.slack_buttons import ACTION_GRANT_RESTORE
from govbot_sandbox.fake_slack import FakeSlack, block_actions_payload, function_url_event
from govbot_sandbox.lambda_service import HUB_ACCOUNT, scheduled_event, sqs_record
from govbot_sandbox.sandbox import SLACK_SIGNING_SECRET, Sandbox
from infra.assembly import HubAssets
from infra.config import DEFAULTS
from tests.artifact.harness import LambdaProcess, ServedSandbox, synthesized_assets
from tests.artifact.lambda_env import RUNTIME_BOTO3

pytestmark = pytest.mark.xdist_group("artifact")  # one synth and one venv per worker run

REGION = "us-east-1"
OUTSIDER = "999999999999"
APPROVER = "U0DEMO0001"  # policies/demo.yaml approvers
IMAGE = "app-base"
# policies/demo.yaml: golden names golden-*, copied to eu-west-1
GOLDEN = "golden-base-1"
REPO = Path(__file__).resolve().parents[2]
HANDLERS = {
    "enforcer": "govbot.handlers.enforcer.handler",
    "notifier": "govbot.handlers.notifier.handler",
    "replicator": "govbot.handlers.replicator.handler",
    "actions": "govbot.handlers.actions.handler",
    "sweeper": "govbot.handlers.enforcer.sweep_handler",
}


# What the AppStream operations of issue 19 need from botocore (>= 1.44.3).
NEEDED_OPERATIONS = (
    "CreateExportImageTask", "GetExportImageTask", "ListExportImageTasks",
    "CreateImportedImage", "UpdateImageBuilder", "CreateImageBuilderStreamingURL",
)  # fmt: skip


@pytest.fixture(scope="module")
def assets(tmp_path_factory: pytest.TempPathFactory) -> HubAssets:
    found = synthesized_assets(tmp_path_factory.mktemp("cdk.out"))
    assert sorted(found.functions) == sorted(HANDLERS.values())
    return found


@pytest.fixture(scope="module")
def functions(assets: HubAssets) -> dict[str, Path]:
    return assets.functions


def _layers(assets: HubAssets, handler: str) -> list[Path]:
    """The function's own (synthesized) layers' directories, in its order."""
    return [assets.layers[logical_id] for logical_id in assets.function_layers[handler]]


@pytest.fixture
def served() -> Iterator[ServedSandbox]:
    with FakeSlack() as slack, Sandbox(slack=slack) as sandbox, ServedSandbox(sandbox) as s:
        yield s


@pytest.fixture
def lambdas(
    functions: dict[str, Any], assets: HubAssets, served: ServedSandbox
) -> Iterator[dict[str, Any]]:
    """One Lambda-like process per function, each on its own asset directory."""
    processes = {
        name: LambdaProcess(functions[handler], served.environment(), _layers(assets, handler))
        for name, handler in HANDLERS.items()
    }
    yield processes
    for process in processes.values():
        process.stop()


def _invoke(process: LambdaProcess, handler: str, event: dict[str, Any]) -> Any:
    answer = process.invoke(handler, event)
    assert answer["ok"], answer["error"]
    return answer["result"]


def _outsider(sandbox: Sandbox) -> dict[str, bool] | None:
    listing = sandbox.appstream(REGION).describe_image_permissions(Name=IMAGE)
    for entry in listing["SharedImagePermissionsList"]:
        if entry["sharedAccountId"] == OUTSIDER:
            return dict(entry["imagePermissions"])
    return None


def _queued_records(sandbox: Sandbox) -> list[dict[str, Any]]:
    assert sandbox.enforcer_queue is not None
    sqs = boto3.client("sqs", region_name=sandbox.hub_region)
    messages = sqs.receive_message(QueueUrl=sandbox.enforcer_queue.url, MaxNumberOfMessages=10).get(
        "Messages", []
    )
    for message in messages:
        sqs.delete_message(
            QueueUrl=sandbox.enforcer_queue.url, ReceiptHandle=message["ReceiptHandle"]
        )
    return [sqs_record(m["Body"], m["MessageId"], sandbox.enforcer_queue.arn) for m in messages]


def _buttons(message: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    for block in message.get("blocks", []) if isinstance(message, dict) else []:
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            found[element["action_id"]] = element["value"]
    return found


def _click(action_id: str, value: str, secret: str) -> dict[str, Any]:
    payload = block_actions_payload(user_id=APPROVER, action_id=action_id, value=value)
    return function_url_event(payload, secret=secret, timestamp=int(time.time()))


def test_every_function_imports_from_its_asset_alone(functions, lambdas) -> None:
    for name, handler in HANDLERS.items():
        answer = lambdas[name].invoke(handler, {"__import_only__": True})
        assert answer["ok"], answer["error"]
        assert answer["file"].startswith(str(functions[handler]))


def test_no_asset_carries_the_cli(functions) -> None:
    """The CLI is its own package (govbot_cli), beside govbot: no function's asset holds it
    (nor a govbot/__main__.py from before it moved)."""
    for handler, asset in functions.items():
        assert (asset / "govbot" / "handlers").is_dir(), handler  # it is a function's asset
        assert not (asset / "govbot_cli").exists(), handler
        assert not (asset / "govbot" / "cli").exists(), handler
        assert not (asset / "govbot" / "__main__.py").exists(), handler


def test_every_function_works_from_the_uploaded_asset(served, lambdas) -> None:
    sandbox = served.sandbox
    assert sandbox.slack is not None

    # Enforcer: an outsider gets image-builder access; the enforce-mode rule revokes it.
    sandbox.emulator.backend.seed_image(HUB_ACCOUNT, REGION, IMAGE)
    sandbox.appstream(REGION).update_image_permissions(
        Name=IMAGE,
        SharedAccountId=OUTSIDER,
        ImagePermissions={"allowFleet": True, "allowImageBuilder": True},
    )
    records = _queued_records(sandbox)
    assert records, "the share did not reach the enforcer's queue"
    result = _invoke(lambdas["enforcer"], HANDLERS["enforcer"], {"Records": records})
    assert result["batchItemFailures"] == []
    assert _outsider(sandbox) == {"allowFleet": True, "allowImageBuilder": False}

    # Notifier: the outbox item the enforcer wrote reaches the (fake) Slack webhook.
    stream = sandbox.outbox_stream_records()
    assert stream, "the enforcer wrote no outbox item"
    result = _invoke(lambdas["notifier"], HANDLERS["notifier"], {"Records": stream})
    assert result["batchItemFailures"] == []
    (message,) = [m for m in sandbox.slack.delivered() if _buttons(m)]

    # Actions: a signed approver click is accepted (exemption granted); a forged one is not.
    grant = ACTION_GRANT_RESTORE
    value = _buttons(message)[grant]
    forged = _invoke(lambdas["actions"], HANDLERS["actions"], _click(grant, value, "forged"))
    assert forged["statusCode"] == 401
    assert sandbox.ledger.active_exemptions(datetime.now(UTC)) == []
    signed = _click(grant, value, SLACK_SIGNING_SECRET)
    accepted = _invoke(lambdas["actions"], HANDLERS["actions"], signed)
    assert accepted["statusCode"] == 200, accepted
    (exemption,) = sandbox.ledger.active_exemptions(datetime.now(UTC))
    assert (exemption.account_id, exemption.approver) == (OUTSIDER, APPROVER)

    # Replicator: its schedule finds a golden image and starts the copy to eu-west-1.
    source = sandbox.emulator.backend.seed_image(HUB_ACCOUNT, REGION, GOLDEN)
    now = sandbox.emulator.backend.clock.now()
    sweep = scheduled_event("govbot-replicator-sweep", now, REGION)
    _invoke(lambdas["replicator"], HANDLERS["replicator"], sweep)
    copies = [
        image
        for image in sandbox.emulator.backend.world.images.values()
        if image.copy_source_arn == source and image.region == "eu-west-1"
    ]
    assert len(copies) == 1

    # Drift sweeper: a builder grant no event announced (seeded, so nothing was emitted) is
    # found on schedule and revoked, fleet kept.
    drifted = "app-drifted"
    sandbox.emulator.backend.seed_image(
        HUB_ACCOUNT, REGION, drifted, shared_with={OUTSIDER: (True, True)}
    )
    tick = scheduled_event("govbot-drift-sweep", now, REGION)
    report = _invoke(lambdas["sweeper"], HANDLERS["sweeper"], tick)
    assert report["sweep"]["status"], report
    listing = sandbox.appstream(REGION).describe_image_permissions(Name=drifted)
    (entry,) = listing["SharedImagePermissionsList"]
    assert entry["imagePermissions"] == {"allowFleet": True, "allowImageBuilder": False}


def _import_in_lambda(asset: Path, served: ServedSandbox) -> dict[str, Any]:
    process = LambdaProcess(asset, served.environment())
    try:
        return process.invoke(HANDLERS["enforcer"], {"__import_only__": True})
    finally:
        process.stop()


def test_the_asset_before_issue_8_would_fail(tmp_path: Path, functions, served) -> None:
    """That asset read the policy with the YAML loader: `import yaml` on the handlers' path.

    Rebuilt here from today's asset plus that one import, it fails in the Lambda
    environment, as it did (the dev venv's PyYAML does not leak into the subprocess).
    """
    old = tmp_path / "asset"
    # Its sources only: the bundled bytecode is used without checking the source (it would
    # hide the edit below), and a rebuilt asset would carry the edited module's own.
    shutil.copytree(functions[HANDLERS["enforcer"]], old, ignore=shutil.ignore_patterns("*.pyc"))
    shutil.copyfile(
        REPO / "lambdas" / "govbot" / "policy" / "loader.py",
        old / "govbot" / "policy" / "loader.py",
    )
    core = old / "govbot" / "wiring" / "core.py"
    core.write_text(core.read_text() + "\nimport govbot.policy.loader  # as before\n")
    answer = _import_in_lambda(old, served)
    assert not answer["ok"]
    assert "No module named 'yaml'" in answer["error"]


def test_a_file_left_out_of_the_asset_fails(tmp_path: Path, functions, served) -> None:
    broken = tmp_path / "asset"
    shutil.copytree(functions[HANDLERS["enforcer"]], broken)
    # The handler module imports govbot.batch at import time (the rest is imported lazily
    # on the first call, and the real invocations above would fail without it).
    (broken / "govbot" / "batch.py").unlink()
    answer = _import_in_lambda(broken, served)
    assert not answer["ok"]
    assert "No module named 'govbot.batch'" in answer["error"]


# Dropped into a copy of the enforcer's asset: reports what the Lambda-like process runs on.
PROBE = textwrap.dedent(
    """
    import importlib.util, json, os, sys
    import botocore, botocore.session

    def handler(event, context):
        asset = os.path.dirname(__file__)
        stale = []
        for folder, _, files in os.walk(asset):
            for name in files:
                if name.endswith(".py") and name != "govbot_probe.py":
                    cached = importlib.util.cache_from_source(os.path.join(folder, name))
                    magic = b""
                    if os.path.exists(cached):
                        with open(cached, "rb") as f:
                            magic = f.read(4)
                    if magic != importlib.util.MAGIC_NUMBER:
                        stale.append(os.path.relpath(cached, asset))
        model = botocore.session.get_session().get_service_model("appstream")
        return json.dumps({
            "python": "%d.%d" % sys.version_info[:2],
            "botocore": botocore.__version__,
            "botocore_file": botocore.__file__,
            "operations": sorted(model.operation_names),
            "sources_without_bytecode": stale,
        })
    """
)


def _probe(asset: Path, tmp_path: Path, layers: list[Path]) -> dict[str, Any]:
    probed = tmp_path / "probed-asset"
    shutil.copytree(asset, probed)
    (probed / "govbot_probe.py").write_text(PROBE)
    process = LambdaProcess(probed, {"PATH": "/usr/bin:/bin"}, layers)
    try:
        answer = process.invoke("govbot_probe.handler", {})
    finally:
        process.stop()
    assert answer["ok"], answer["error"]
    found: dict[str, Any] = json.loads(answer["result"])
    return found


def test_the_functions_run_on_3_13_with_the_sdk_layer_and_matching_bytecode(
    tmp_path: Path, assets: HubAssets
) -> None:
    handler = HANDLERS["enforcer"]
    layers = _layers(assets, handler)
    assert len(layers) == 1, "every function carries govbot's SDK layer"
    found = _probe(assets.functions[handler], tmp_path, layers)
    assert found["python"] == "3.13"
    # Every module of the asset ships bytecode of the interpreter that runs it (3.13's
    # magic number): nothing is compiled at cold start.
    assert found["sources_without_bytecode"] == []
    # The SDK imported is the layer's pinned release (it comes before the runtime's), and
    # it knows every AppStream operation govbot governs.
    assert found["botocore"] == DEFAULTS["sdk_boto3_version"]
    assert found["botocore_file"].startswith(str(layers[0] / "python"))
    assert set(NEEDED_OPERATIONS) <= set(found["operations"])


def test_without_the_sdk_layer_the_runtime_boto3_lacks_the_operations(
    tmp_path: Path, assets: HubAssets
) -> None:
    """Why the layer exists: the runtime's own boto3 (here an older stand-in, since Lambda
    does not promise its version) need not know the new operations."""
    found = _probe(assets.functions[HANDLERS["enforcer"]], tmp_path, [])
    assert found["botocore"] == RUNTIME_BOTO3
    assert not set(NEEDED_OPERATIONS) <= set(found["operations"])
