"""Build the govbot CDK app; shared by ``app.py`` and the infra tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk

from infra.config import HubSettings, InfraConfigError, settings_from_context
from infra.nag import add_nag_checks
from infra.stack import GovbotHubStack

REPO_ROOT = Path(__file__).resolve().parent.parent
STACK_NAME = "GovbotHub"
CDK_JSON = REPO_ROOT / "cdk.json"


def file_context(path: Path = CDK_JSON) -> dict[str, Any]:
    """The ``context`` block of cdk.json (``python app.py`` runs without the CDK CLI)."""
    if not path.is_file():
        return {}
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InfraConfigError(f"{path} is not valid JSON: {exc}") from exc
    context = document.get("context", {})
    if not isinstance(context, dict):
        raise InfraConfigError(f"{path}: 'context' must be an object, got {type(context).__name__}")
    return context


def build_app(
    outdir: str | None = None, context: dict[str, Any] | None = None, *, nag: bool = True
) -> tuple[cdk.App, GovbotHubStack]:
    """Create the app with the hub stack (and the cdk-nag packs unless ``nag`` is False)."""
    app = cdk.App(outdir=outdir, context={**file_context(), **(context or {})})
    settings: HubSettings = settings_from_context(app.node.try_get_context, REPO_ROOT)
    env = None
    if settings.account or settings.region:
        env = cdk.Environment(account=settings.account or None, region=settings.region or None)
    stack = GovbotHubStack(
        app,
        STACK_NAME,
        settings=settings,
        env=env,
        description="govbot hub: AppStream image governance (enforcement, replication, Slack)",
    )
    if nag:
        add_nag_checks(app)
    return app, stack
