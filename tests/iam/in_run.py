"""The IAM audit's calls, recorded while the scenarios run in the main test run.

When a run collects the audit (tests/iam) together with every scenario module, this
plugin (registered by tests/conftest.py) puts the scenarios and the audit in one xdist
group, the audit last, and records the scenarios' calls as they run in that process: the
audit then reads them instead of running the scenarios a second time in a child pytest.
It uses them only when every scenario test collected (before any ``-k``/``-m``
deselection) ran here and passed, setup and teardown included; otherwise
(a subset was selected, a scenario failed, or they ran on another worker) the audit
falls back to its child run (tests/iam/test_iam_declared.py), so a partial recording is
never audited.
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from tests.iam.recorder import Recorder

NAME = "govbot-iam-in-run"
GROUP = "iam"  # the xdist group of the audit module, joined by the scenarios
AUDIT_DIR = "tests/iam"
# The sandbox scenarios that, together, make every declared call (about a minute).
SCENARIOS = (
    "tests/e2e/test_e2e_enforcement.py",
    "tests/e2e/test_e2e_consumers.py",
    "tests/e2e/test_e2e_drift.py",
    "tests/e2e/test_e2e_golden.py",
    "tests/e2e/test_e2e_slack.py",
    "tests/e2e/test_e2e_inbound.py",
    "tests/e2e/test_e2e_exits.py",
    "tests/integration/handlers",
)


def _under(path: Path, root: Path, prefix: str) -> bool:
    relative = path.relative_to(root).as_posix() if path.is_relative_to(root) else ""
    return relative == prefix or relative.startswith(prefix.rstrip("/") + "/")


def _key(nodeid: str) -> str:
    """A node id without the group suffix xdist adds after collection."""
    return nodeid.removesuffix(f"@{GROUP}")


class InRunRecording:
    """Records the scenarios' calls in this process and says whether they are complete."""

    def __init__(self) -> None:
        self.recorder = Recorder(active=False)
        self.scenarios: dict[str, str] = {}  # node id -> the SCENARIOS entry it belongs to
        self.passed: set[str] = set()
        self.spoiled: set[str] = set()  # failed or skipped in some phase

    @pytest.hookimpl(tryfirst=True)  # before -k/-m deselect, and before xdist's suffixes
    def pytest_collection_modifyitems(
        self, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        root = config.rootpath
        audits = [i for i in items if _under(i.path, root, AUDIT_DIR)]
        if not audits:
            return
        for item in items:
            entry = next((s for s in SCENARIOS if _under(item.path, root, s)), None)
            if entry is not None:
                self.scenarios[item.nodeid] = entry
                item.add_marker(pytest.mark.xdist_group(GROUP))
        if self.scenarios:
            # The audit last: its worker runs a group's tests in this order.
            items[:] = [i for i in items if i not in audits] + audits
            self.recorder.install()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, Any, None]:
        self.recorder.active = _key(item.nodeid) in self.scenarios
        try:
            yield
        finally:
            self.recorder.active = False

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        key = _key(report.nodeid)
        if key not in self.scenarios:
            return
        if report.failed or report.skipped:
            self.spoiled.add(key)
        elif report.when == "call":
            self.passed.add(key)

    def pytest_unconfigure(self) -> None:
        self.recorder.uninstall()

    def calls(self) -> list[dict[str, Any]] | None:
        """The recorded calls, or None unless every scenario collected passed here."""
        complete = (
            {*self.scenarios.values()} == set(SCENARIOS)
            and self.passed == set(self.scenarios)
            and not self.spoiled
        )
        if not complete:
            return None
        return self.recorder.unique()


def calls_recorded_in_this_run(config: pytest.Config) -> list[dict[str, Any]] | None:
    """What the scenarios called in this run (see the module docstring), if complete."""
    plugin = config.pluginmanager.get_plugin(NAME)
    return plugin.calls() if isinstance(plugin, InRunRecording) else None
