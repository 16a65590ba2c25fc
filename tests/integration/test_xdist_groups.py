"""`make test`'s two xdist workers keep a test group together with the pinned pytest.

With pytest 9, pytest-xdist 3.8's ``--dist loadgroup`` silently ignored every
``xdist_group``: each worker set up the same module fixtures (the IAM scenarios' child
pytest, the artifact synthesis, the demo), costing minutes. This runs a child pytest as
``make test`` does over a grouped module whose module fixture logs each setup.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

GROUPED = """
import os
import pytest

pytestmark = pytest.mark.xdist_group("shared")


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    with open(os.environ["SETUP_LOG"], "a") as log:
        log.write(f"{os.getpid()}\\n")


@pytest.mark.parametrize("n", range(8))
def test_uses_it(shared, n):
    assert n < 8
"""


def test_a_grouped_module_fixture_is_set_up_once_across_two_workers(tmp_path: Path) -> None:
    (tmp_path / "test_grouped.py").write_text(GROUPED)
    for n in range(8):
        (tmp_path / f"test_other_{n}.py").write_text(f"def test_{n}():\n    assert {n} >= 0\n")
    log = tmp_path / "setups.log"
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-n", "2", "--dist", "loadgroup",
         "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path, env={"SETUP_LOG": str(log), "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "16 passed" in run.stdout
    assert len(log.read_text().splitlines()) == 1, "the group's fixture ran on both workers"
