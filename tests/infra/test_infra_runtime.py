"""Runtime choices: govbot's SDK layer, its pinned release, and SnapStart on the enforcer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from infra.config import DEFAULTS, InfraConfigError, settings_from_context
from infra.interpreter import LAMBDA_PYTHON_VERSION
from infra.sdk_layer import SdkLayerSpec, build_sdk_layer

pytestmark = pytest.mark.xdist_group("infra")

ENFORCER = "govbot.handlers.enforcer.handler"


def _settings(**context: Any) -> Any:
    return settings_from_context(context.get)


def test_the_sdk_release_must_have_the_governed_appstream_operations() -> None:
    assert _settings(sdk_boto3_version="1.44.3").sdk_boto3_version == "1.44.3"
    with pytest.raises(InfraConfigError, match=r"older than 1\.44\.3, the first botocore"):
        _settings(sdk_boto3_version="1.44.2")
    with pytest.raises(InfraConfigError, match="not a release number"):
        _settings(sdk_boto3_version="1.44")
    with pytest.raises(InfraConfigError, match="'enforcer_snapstart': expected true or false"):
        _settings(enforcer_snapstart="yes")
    assert _settings(enforcer_snapstart="true").enforcer_snapstart is True
    assert _settings().enforcer_snapstart is False  # off unless asked for (README "SnapStart")


def test_the_sdk_layer_pins_boto3_and_botocore_for_the_lambda_python() -> None:
    spec = SdkLayerSpec(DEFAULTS["sdk_boto3_version"], "arm64")
    command = spec.pip_command(Path("/out"))
    assert command[-2:] == [f"boto3=={spec.version}", f"botocore=={spec.version}"]
    assert command[command.index("--platform") + 1] == "manylinux2014_aarch64"
    assert command[command.index("--python-version") + 1] == LAMBDA_PYTHON_VERSION
    # Run by the runtime's CPython, so environment markers are judged for 3.13, not 3.11.
    assert Path(command[command.index("--python") + 1]).name.startswith("python")

    python = build_sdk_layer(spec) / "python"
    versions = dict(
        p.name.removesuffix(".dist-info").split("-") for p in python.glob("*.dist-info")
    )
    assert versions["boto3"] == versions["botocore"] == spec.version
    assert not (python / "bin").exists()
    pyc = python / "botocore" / "__pycache__" / "client.cpython-313.pyc"
    # PEP 552 flags: hash-based, source not checked (a layer version is immutable).
    assert int.from_bytes(pyc.read_bytes()[4:8], "little") == 0b01
    assert not list(python.rglob("*.cpython-311.pyc"))


@pytest.fixture(scope="module")
def snapstart_hub(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from infra.app import build_app

    outdir = tmp_path_factory.mktemp("cdk-out-snapstart")
    app, stack = build_app(str(outdir), {"enforcer_snapstart": True})
    app.synth()  # cdk-nag packs on: raises on any unacknowledged finding
    template: dict[str, Any] = json.loads(
        (outdir / f"{stack.artifact_id}.template.json").read_text()
    )
    return template["Resources"]


def _of_type(resources: dict[str, Any], kind: str) -> dict[str, Any]:
    return {k: v for k, v in resources.items() if v["Type"] == kind}


def _enforcer_id(resources: dict[str, Any]) -> str:
    (found,) = [
        k
        for k, v in _of_type(resources, "AWS::Lambda::Function").items()
        if v["Properties"]["Handler"] == ENFORCER
    ]
    return found


def test_without_the_flag_no_function_has_snapstart_and_the_queue_invokes_it(hub) -> None:
    resources = hub.raw["Resources"]
    functions = _of_type(resources, "AWS::Lambda::Function")
    assert all("SnapStart" not in f["Properties"] for f in functions.values())
    assert not _of_type(resources, "AWS::Lambda::Alias")
    mappings = _of_type(resources, "AWS::Lambda::EventSourceMapping").values()
    targets = [m["Properties"]["FunctionName"] for m in mappings]
    assert {"Ref": _enforcer_id(resources)} in targets


def test_the_flag_gives_the_enforcer_snapstart_through_an_alias(snapstart_hub) -> None:
    resources = snapstart_hub
    enforcer = _enforcer_id(resources)
    functions = _of_type(resources, "AWS::Lambda::Function")
    with_snapstart = {k for k, f in functions.items() if "SnapStart" in f["Properties"]}
    assert with_snapstart == {enforcer}
    assert functions[enforcer]["Properties"]["SnapStart"] == {"ApplyOn": "PublishedVersions"}
    ((alias_id, alias),) = _of_type(resources, "AWS::Lambda::Alias").items()
    assert alias["Properties"]["Name"] == "live"
    assert alias["Properties"]["FunctionName"] == {"Ref": enforcer}
    version = resources[alias["Properties"]["FunctionVersion"]["Fn::GetAtt"][0]]
    assert version["Type"] == "AWS::Lambda::Version"
    assert version["Properties"]["FunctionName"] == {"Ref": enforcer}
    # The queue invokes the alias (SnapStart restores published versions only), never the
    # unpublished $LATEST: the mapping names the enforcer qualified by ":live".
    mappings = _of_type(resources, "AWS::Lambda::EventSourceMapping").values()
    targets = [m["Properties"]["FunctionName"] for m in mappings]
    assert {"Ref": enforcer} not in targets
    qualified = [t for t in targets if "Fn::Join" in t]
    assert len(qualified) == 1
    delimiter, (name, suffix) = qualified[0]["Fn::Join"]
    assert (delimiter, suffix) == ("", ":live")
    # The function's name, read off the alias's ARN (arn:...:function:NAME:live).
    assert name == {"Fn::Select": [6, {"Fn::Split": [":", {"Ref": alias_id}]}]}


def test_an_unsupported_machine_gets_a_clear_error(monkeypatch, tmp_path: Path) -> None:
    import infra.interpreter as interpreter

    monkeypatch.setenv("GOVBOT_TEST_CACHE", str(tmp_path))
    monkeypatch.setattr(interpreter, "running_version", lambda: "3.11")
    monkeypatch.setattr(interpreter.platform, "machine", lambda: "riscv64")
    with pytest.raises(
        interpreter.InterpreterError, match=r"no Debian CPython 3\.13 for 'riscv64'"
    ):
        interpreter.lambda_interpreter()


def test_the_provisioned_interpreter_is_the_lambda_minor_version() -> None:
    import subprocess

    from infra.interpreter import lambda_interpreter

    done = subprocess.run(
        [str(lambda_interpreter()), "-c", "import sys, ssl; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == LAMBDA_PYTHON_VERSION == "3.13"
