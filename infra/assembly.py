"""Read a synthesized cloud assembly: each function's handler and uploaded asset directory,
and the asset directory of each layer the hub builds itself."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class HubAssets:
    """What `cdk deploy` would zip and upload, by function handler and by layer."""

    functions: dict[str, Path]  # handler -> asset directory
    layers: dict[str, Path]  # the layer's logical id -> asset directory (holds python/)
    function_layers: dict[str, list[str]]  # handler -> its layers' logical ids, in order


def hub_assets(outdir: Path, stack_name: str | None = None) -> HubAssets:
    """Synthesize the hub into ``outdir`` and read its assets (see :class:`HubAssets`).

    Each directory comes from the stack's asset manifest (what cdk-assets publishes),
    matched to the function's ``Code.S3Key`` or the layer's ``Content.S3Key``.
    """
    from infra.app import STACK_NAME, build_app

    name = stack_name or STACK_NAME
    app, _ = build_app(str(outdir), nag=False)
    directory = Path(app.synth().directory)
    template = json.loads((directory / f"{name}.template.json").read_text())
    manifest = json.loads((directory / f"{name}.assets.json").read_text())
    uploaded = {
        destination["objectKey"]: directory / asset["source"]["path"]
        for asset in manifest["files"].values()
        if asset["source"].get("packaging") == "zip"
        for destination in asset["destinations"].values()
    }
    resources = template["Resources"]
    layers = {
        logical_id: uploaded[resource["Properties"]["Content"]["S3Key"]]
        for logical_id, resource in resources.items()
        if resource["Type"] == "AWS::Lambda::LayerVersion"
    }
    functions: dict[str, Path] = {}
    function_layers: dict[str, list[str]] = {}
    for resource in resources.values():
        if resource["Type"] != "AWS::Lambda::Function":
            continue
        handler = resource["Properties"]["Handler"]
        functions[handler] = uploaded[resource["Properties"]["Code"]["S3Key"]]
        function_layers[handler] = [
            entry["Ref"]
            for entry in resource["Properties"].get("Layers", [])
            if isinstance(entry, dict) and entry.get("Ref") in layers
        ]
    return HubAssets(functions, layers, function_layers)


def function_assets(outdir: Path, stack_name: str | None = None) -> dict[str, Path]:
    """Synthesize the hub into ``outdir``; handler -> the asset directory `cdk deploy` zips."""
    return hub_assets(outdir, stack_name).functions
