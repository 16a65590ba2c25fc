#!/usr/bin/env python3
"""CDK entry point: ``python app.py`` synthesizes govbot's stacks (offline).

The CDK CLI runs it (cdk.json ``app``) and tells it where to write through ``CDK_OUTDIR``
(``cdk --output``); run by hand it writes ``cdk.out``. ``-c key=value`` (or ``--context``)
works as with the CLI.
"""

from __future__ import annotations

import os
import sys

# jsii prints Node.js support banners (b'!!...') on every run; the README states which
# Node.js versions are supported instead.
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "18,20")

from infra.config import InfraConfigError, context_from_argv
from infra.policy_source import PolicySourceError
from infra.preflight import preflight


def main(argv: list[str]) -> int:
    """Synthesize; configuration and policy errors end with their message, not a trace.

    They are found before the CDK is even imported (infra/preflight.py).
    """
    try:
        context = context_from_argv(argv)
        preflight(context)
        from infra.app import build_app

        app, _ = build_app(outdir=os.environ.get("CDK_OUTDIR") or "cdk.out", context=context)
    except (InfraConfigError, PolicySourceError) as exc:
        print(f"govbot synth failed: {exc}", file=sys.stderr)
        return 1
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
