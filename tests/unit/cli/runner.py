"""Run the CLI in-process with captured streams (shared by the unit and integration tests)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from govbot_cli import CliDeps, main

REPO_ROOT = Path(__file__).resolve().parents[3]
DEMO_POLICY = str(REPO_ROOT / "policies" / "demo.yaml")
EXAMPLE_POLICY = str(REPO_ROOT / "policies" / "example.yaml")


@dataclass
class Run:
    """The outcome of one ``main(argv)`` call."""

    code: int
    out: str
    err: str


def run_cli(*argv: str, deps: CliDeps | None = None) -> Run:
    """``main(argv)`` with StringIO stdout/stderr."""
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err, deps=deps)
    return Run(code, out.getvalue(), err.getvalue())
