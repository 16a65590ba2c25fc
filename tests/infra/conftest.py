"""Synthesize the hub ONCE per test session; every infra test reads that result."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")

GOVERNED_REGIONS = ["us-east-1", "eu-west-1"]
HUB_GROUP = "infra"  # the xdist group of every test reading the session's hub


@pytest.hookimpl(tryfirst=True)  # before xdist turns the groups into node id suffixes
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test reading ``hub`` joins the infra group, so one worker synthesizes it once."""
    for item in items:
        if "hub" in getattr(item, "fixturenames", ()) and not item.get_closest_marker(
            "xdist_group"
        ):
            item.add_marker(pytest.mark.xdist_group(HUB_GROUP))


@dataclass(frozen=True)
class Synth:
    """The synthesized hub: CDK objects, the raw template and the cloud assembly dir."""

    app: Any
    stack: Any
    template: Any  # aws_cdk.assertions.Template
    raw: dict[str, Any]
    outdir: Path

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        """Logical id -> resource of one CloudFormation type."""
        return {
            logical_id: resource
            for logical_id, resource in self.raw["Resources"].items()
            if resource["Type"] == resource_type
        }


@pytest.fixture(scope="session")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """The full app (nag packs on) synthesized with two governed regions."""
    from aws_cdk.assertions import Template

    from infra.app import build_app

    outdir = tmp_path_factory.mktemp("cdk-out")
    app, stack = build_app(str(outdir), {"governed_regions": GOVERNED_REGIONS})
    app.synth()  # raises if any cdk-nag finding is left unacknowledged
    template = Template.from_stack(stack)
    raw = json.loads((outdir / f"{stack.artifact_id}.template.json").read_text())
    return Synth(app=app, stack=stack, template=template, raw=raw, outdir=outdir)
