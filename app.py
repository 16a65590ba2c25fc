#!/usr/bin/env python3
"""CDK entry point: ``python app.py`` synthesizes the govbot hub into cdk.out (offline)."""

from __future__ import annotations

import os
import sys

os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")

from infra.app import build_app
from infra.config import InfraConfigError
from infra.policy_source import PolicySourceError


def main() -> int:
    """Synthesize; configuration and policy errors end with their message, not a trace."""
    try:
        app, _ = build_app(outdir="cdk.out")
    except (InfraConfigError, PolicySourceError) as exc:
        print(f"govbot synth failed: {exc}", file=sys.stderr)
        return 1
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
