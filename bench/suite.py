"""Wall time of ``make test`` on a fresh clone: the figure issue 21 sets under 3 minutes.

``make suite-time`` (``python -m bench.run fresh_clone_make_test``) clones the committed
HEAD into a temporary directory, times ``make install`` (the venv, from the per-user caches
that every clone shares) and then ``make test`` (every layer, 2 xdist workers), and records
both with the machine's load average, since other work on the same cores slows the run.
Not part of a plain ``make bench``: it runs the whole suite.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.count_assertions import count_tree

REPO_ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 180.0
_SUMMARY = re.compile(r"^=* ?(.*\b\d+ (?:passed|failed)\b.*) in [\d.]+s", re.MULTILINE)


def _timed(argv: list[str], cwd: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    start = time.monotonic()
    run = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    return time.monotonic() - start, run


def _outcome_counts(pytest_output: str) -> dict[str, int]:
    """``{"passed": 1480, "failed": 2, ...}`` from pytest's closing line."""
    found = _SUMMARY.findall(pytest_output)
    if not found:
        return {}
    return {
        word: int(number)
        for number, word in re.findall(r"(\d+) (passed|failed|errors?|skipped)", found[-1])
    }


def bench_fresh_clone_suite() -> dict[str, Any]:
    """Clone HEAD, then time ``make install`` and ``make test`` in the clone."""
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="govbot-suite-") as tmp:
        clone = Path(tmp) / "govbot"
        clone_seconds, cloned = _timed(
            ["git", "clone", "-q", str(REPO_ROOT), str(clone)], REPO_ROOT
        )
        if cloned.returncode != 0:
            raise RuntimeError(f"git clone failed: {cloned.stderr}")
        install_seconds, installed = _timed(["make", "install"], clone)
        if installed.returncode != 0:
            raise RuntimeError(f"make install failed: {installed.stderr[-2000:]}")
        test_seconds, tested = _timed(["make", "test"], clone)
        counts = _outcome_counts(tested.stdout)
        checks = count_tree(clone / "tests")["total"]
    total = clone_seconds + install_seconds + test_seconds
    return {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "clone_seconds": round(clone_seconds, 1),
        "install_seconds": round(install_seconds, 1),
        "make_test_seconds": round(test_seconds, 1),
        "total_wall_seconds": round(total, 1),
        "make_test_exit": tested.returncode,
        "tests": counts,
        "assertion_checks": checks,
        "cpus": os.cpu_count(),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "target": f"fresh clone: install + make test under {TARGET_SECONDS:.0f} s wall",
        "met": total < TARGET_SECONDS and tested.returncode == 0,
    }
