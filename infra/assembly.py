"""Read a synthesized cloud assembly: each function's handler and uploaded asset directory."""

from __future__ import annotations

import json
from pathlib import Path


def function_assets(outdir: Path, stack_name: str | None = None) -> dict[str, Path]:
    """Synthesize the hub into ``outdir``; handler -> the asset directory `cdk deploy` zips.

    The directory comes from the stack's asset manifest (what cdk-assets publishes), matched
    to each function's ``Code.S3Key`` in the template.
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
    return {
        resource["Properties"]["Handler"]: uploaded[resource["Properties"]["Code"]["S3Key"]]
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::Lambda::Function"
    }
