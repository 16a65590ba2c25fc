"""The cold-start benchmark's child runs every handler's real first-call path.

It measures, so nothing here is timed; this only keeps it from breaking unseen when the
wiring or the deps it reaches into change (it once stopped running after a refactor).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.coldstart import HANDLERS, REPO, deployed_environment
from govbot.policy.loader import policy_json


@pytest.mark.parametrize("handler", HANDLERS)
def test_each_handler_first_call_scenario_runs(handler: str, tmp_path: Path) -> None:
    policy_file = tmp_path / "policy.json"
    policy_file.write_text(policy_json((REPO / "policies" / "demo.yaml").read_text()))
    done = subprocess.run(
        [sys.executable, "-m", "bench.coldstart_child", f"govbot:{handler}:first-call"],
        cwd=REPO,
        env=deployed_environment(policy_file),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["cpu_ms"] > 0
