"""Fixtures shared by every test layer."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from govbot_sandbox import shared_models  # noqa: F401 (botocore's models parsed once per process)
from tests.iam import in_run, recorder

REPO_ROOT = Path(__file__).resolve().parent.parent

# CDK's built-in CloudFormation validation compiles a WebAssembly engine in every process
# that synthesizes (python app.py: 14 s of CPU with it, 5 s without). The tests check
# every template with cfn-lint and cdk-nag instead, and run the built-in validation, strict,
# once, where a user synthesizes: tests/infra/test_infra_deploying.py's `npx cdk synth`.
# Set before any test imports aws_cdk (the jsii Node process reads it when it starts).
CDK_VALIDATION = "CDK_VALIDATION"
os.environ.setdefault(CDK_VALIDATION, "false")
SAMPLES_DIR = REPO_ROOT / "tests" / "fixtures" / "samples"


# `make test` runs two xdist workers with --dist loadgroup: a module whose tests share an
# expensive module- or session-scoped fixture (a synthesis, a served sandbox, a child
# pytest) marks itself `pytest.mark.xdist_group(...)`, so one worker sets it up once
# instead of each worker doing it again. xdist applies a group by suffixing the test's
# node id with "@<group>"; with pytest 9, xdist 3.8's suffix is silently lost (pytest 9
# keeps the id elsewhere), every group is ignored and those fixtures run twice, which is
# why pytest is pinned below 9. This check makes a silently ignored group an error.
@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Fail the run on an xdist worker whose scheduler would not see the test groups."""
    if not getattr(config.option, "loadgroup", False):
        return
    lost = [
        item.nodeid
        for item in items
        if item.get_closest_marker("xdist_group") and "@" not in item.nodeid
    ]
    if lost:
        # Raised here, the reason would be lost between worker and controller; a stop
        # request reaches the controller, which prints it and fails the run.
        items[0].session.shouldstop = (
            f"--dist loadgroup ignores the xdist_group of {len(lost)} tests (first: {lost[0]}); "
            "pytest-xdist no longer suffixes node ids with this pytest: see tests/conftest.py"
        )


def pytest_configure(config: pytest.Config) -> None:
    """The IAM audit records the scenarios as they run here (a child run records itself)."""
    if not os.environ.get(recorder.ENV):
        config.pluginmanager.register(in_run.InRunRecording(), in_run.NAME)


@pytest.fixture(autouse=True)
def _fake_aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Never let a test find real credentials or reach a real endpoint."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "1")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "govbot-tests")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "govbot")
    os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")


@pytest.fixture
def samples_dir() -> Path:
    """The CloudTrail records AWS publishes, copied verbatim into the repo."""
    return SAMPLES_DIR
