"""Peak memory of the enforcer through a 10,000-event burst, against the floor process's.

Two fresh processes of the Lambda-like interpreter (bench/coldstart.py's deployed
environment and asset): the floor (``import boto3`` plus the AppStream and DynamoDB
clients) and the real enforcer handler taking the whole burst in SQS batches of 10, the
worst case of one warm container receiving every event. Each violating grant goes the
whole way (parse, policy, ledger codec, remedy, botocore request building and response
parsing) against ``bench.stand_in``, which answers in-process and keeps no state, so the
figure is govbot's and botocore's memory, not a server's. See bench/burst_child.py.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from bench.coldstart import REPO, WORK, bundle_assets, deployed_environment, sdk_layer_python
from govbot.policy.loader import policy_json

TARGET_MB = 128


def _run(python: Path, scenario: str, events: int, env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run(
        [str(python), "-B", "-s", "-m", "bench.burst_child", scenario, str(events)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,  # the handler's JSON logs, as Lambda would ship them
        stderr=subprocess.PIPE,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"burst scenario {scenario} failed:\n{done.stderr[-2000:]}")
    summary: dict[str, Any] = json.loads(done.stderr.strip().splitlines()[-1])
    return summary


def bench_burst_memory(events: int = 10_000) -> dict[str, Any]:
    """Peak RSS of one enforcer process through ``events`` violating grants."""
    from tests.artifact.lambda_env import lambda_python

    WORK.mkdir(exist_ok=True)
    policy_file = WORK / "policy.json"
    policy_file.write_text(policy_json((REPO / "policies" / "demo.yaml").read_text()))
    asset = bundle_assets(WORK / "burst-assets", ("enforcer",))["enforcer"]
    env = {
        **deployed_environment(policy_file),
        "GOVBOT_BENCH_ASSET": str(asset),
        "GOVBOT_BENCH_LAYERS": str(sdk_layer_python()),
    }
    python = lambda_python()
    floor = _run(python, "floor", 0, env)
    burst = _run(python, "enforcer", events, env)
    peak, floor_mb = burst["peak_rss_mb"], floor["peak_rss_mb"]
    calls = {name: round(n / events, 2) for name, n in burst["aws_calls"].items()}
    return {
        "events": events,
        "batch_size": 10,
        "failed_records": burst["failed_records"],
        "unanswered_calls": burst["unanswered_calls"],
        "aws_calls_per_event": calls,
        "aws_calls_total": burst["aws_calls"],
        "seconds": burst["seconds"],
        "peak_rss_mb": peak,
        "floor_rss_mb": floor_mb,
        "peak_rss_vs_floor": round(peak / floor_mb, 2),
        "includes": "one process of the real enforcer handler (Lambda-like interpreter, the "
        "asset as bundled): parse, policy, ledger codec, remedy, Powertools logs and "
        "metrics, tracing on, botocore building and parsing every request; AWS answered "
        "in-process by a stateless stand-in",
        "target": f"peak RSS < {TARGET_MB} MB per process (the floor's, measured in the same "
        "run, for scale); every record handled, no request left unanswered",
        "met": peak < TARGET_MB and burst["failed_records"] == 0 and not burst["unanswered_calls"],
    }


if __name__ == "__main__":
    import sys

    print(json.dumps(bench_burst_memory(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)))
