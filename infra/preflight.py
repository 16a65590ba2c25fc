"""Check the configuration before any construct is built (and before the CDK is imported).

``python app.py`` and ``cdk synth`` read the context keys and the policy file as the hub
stack will; a typo or an invalid policy then costs well under a second, not a CDK start
and half a synth. The same checks run again while the stack is built, so the app stays
correct when built without this step (the tests' ``build_app``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from infra.config import HubSettings, InfraConfigError, check_context_keys, settings_from_context
from infra.policy_source import read_policy

REPO_ROOT = Path(__file__).resolve().parent.parent
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


def cli_context() -> dict[str, Any]:
    """Context the CDK CLI hands the app (``-c`` and cdk.json, through CDK_CONTEXT_JSON)."""
    raw = os.environ.get("CDK_CONTEXT_JSON", "")
    try:
        value = json.loads(raw) if raw else {}
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def checked_context(context: dict[str, Any] | None = None) -> dict[str, Any]:
    """cdk.json's context under ``context``, once every key (these and the CDK CLI's) is
    known; raises InfraConfigError naming an unknown key."""
    merged = {**file_context(), **(context or {})}
    check_context_keys([*merged, *cli_context()])
    return merged


def preflight(context: dict[str, Any] | None = None) -> HubSettings:
    """The settings the hub will be built with, after checking the keys and the policy.

    Context is layered as ``cdk.App`` layers it: cdk.json, then ``context``, then what the
    CDK CLI passes (CDK_CONTEXT_JSON wins). Raises InfraConfigError or PolicySourceError
    with the same messages the synth would give.
    """
    effective = {**checked_context(context), **cli_context()}
    settings = settings_from_context(effective.get, REPO_ROOT)
    read_policy(
        settings.policy_file,
        settings.governed_regions,
        settings.governed_account_ids or tuple(a for a in (settings.account,) if a),
    )
    return settings
