"""The cold-start and burst benchmarks' children run every handler's real path.

They measure, so nothing here is timed; this only keeps them from breaking unseen when the
wiring or the deps they reach into change (the cold-start child once stopped running after
a refactor), and checks that the in-process AWS stand-in answers every request they make.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.coldstart import HANDLERS, REPO, deployed_environment
from govbot.policy.loader import policy_json


def _child(module: str, args: list[str], tmp_path: Path) -> dict[str, Any]:
    policy_file = tmp_path / "policy.json"
    policy_file.write_text(policy_json((REPO / "policies" / "demo.yaml").read_text()))
    done = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=REPO,
        env=deployed_environment(policy_file),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    output = done.stderr if module == "bench.burst_child" else done.stdout
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize("handler", HANDLERS)
def test_each_handler_first_call_scenario_runs(handler: str, tmp_path: Path) -> None:
    result = _child("bench.coldstart_child", [f"govbot:{handler}:first-call"], tmp_path)
    assert result["cpu_ms"] > 0


def test_the_enforcers_whole_first_invocation_remedies_its_grant(tmp_path: Path) -> None:
    # The child raises (and exits non-zero) unless the batch had no failure.
    result = _child("bench.coldstart_child", ["govbot:enforcer:invoke"], tmp_path)
    assert result["cpu_ms"] > 0


def test_the_burst_child_takes_every_grant_the_whole_way(tmp_path: Path) -> None:
    result = _child("bench.burst_child", ["enforcer", "25"], tmp_path)

    assert result["events"] == 25
    assert result["failed_records"] == 0
    assert result["unanswered_calls"] == {}
    # Each grant was judged, remedied and recorded (3 batches of up to 10).
    calls = result["aws_calls"]
    remedies = calls.get("appstream.UpdateImagePermissions", 0) + calls.get(
        "appstream.DeleteImagePermissions", 0
    )
    assert remedies == 25
    writes = ("PutItem", "UpdateItem", "TransactWriteItems", "BatchWriteItem")
    assert sum(calls.get(f"dynamodb.{w}", 0) for w in writes) >= 25
    assert result["peak_rss_mb"] > 0
