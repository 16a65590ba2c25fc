"""The audit uses calls recorded in the main run only when every scenario passed there."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from botocore.client import BaseClient

from tests.iam.in_run import GROUP, SCENARIOS, InRunRecording
from tests.iam.recorder import Call

ROOT = Path("/repo")


@dataclass
class _Item:
    """What the plugin reads of a collected test."""

    path: Path
    nodeid: str
    marks: list[Any] = field(default_factory=list)

    def add_marker(self, mark: Any) -> None:
        self.marks.append(mark)


@dataclass
class _Config:
    rootpath: Path = ROOT


@dataclass
class _Report:
    nodeid: str
    when: str
    outcome: str

    @property
    def failed(self) -> bool:
        return self.outcome == "failed"

    @property
    def skipped(self) -> bool:
        return self.outcome == "skipped"


def _item(relative: str, name: str) -> _Item:
    file = relative if relative.endswith(".py") else f"{relative}/test_x.py"
    return _Item(ROOT / file, f"{file}::{name}")


AUDIT = _item("tests/iam/test_iam_declared.py", "test_audit")
OTHER = _item("tests/unit/test_other.py", "test_other")


def _collected(plugin: InRunRecording, *extra: _Item) -> list[_Item]:
    items = [AUDIT, OTHER, *(_item(s, "test_scenario") for s in SCENARIOS), *extra]
    plugin.pytest_collection_modifyitems(_Config(), items)  # type: ignore[arg-type]
    return items


def _run(plugin: InRunRecording, item: _Item, outcome: str = "passed", when: str = "call") -> None:
    suffixed = f"{item.nodeid}@{GROUP}"  # as xdist names it after collection
    for phase in ("setup", "call", "teardown"):
        result = outcome if phase == when else "passed"
        plugin.pytest_runtest_logreport(_Report(suffixed, phase, result))  # type: ignore[arg-type]


@pytest.fixture
def plugin() -> Any:
    made = InRunRecording()
    yield made
    made.pytest_unconfigure()  # the recorder's patch never outlives the test


def _patched() -> Any:
    """The botocore entry point the recorder wraps."""
    return getattr(BaseClient, "_make_api_call")  # noqa: B009 - private, untyped in stubs


def _record_one(plugin: InRunRecording) -> None:
    plugin.recorder.calls.append(Call("enforcer", "1", "us-east-1", "s:Op", "s:Op", "*"))


def test_every_scenario_passed_gives_the_calls_and_the_audit_runs_last(plugin: Any) -> None:
    items = _collected(plugin)
    assert items[-1] is AUDIT
    scenarios = [i for i in items if i not in (AUDIT, OTHER)]
    assert all(i.marks and i.marks[0].args == (GROUP,) for i in scenarios)
    assert OTHER.marks == []
    for item in scenarios:
        _run(plugin, item)
    _record_one(plugin)
    assert plugin.calls() == [
        {"function": "enforcer", "account": "1", "region": "us-east-1", "call": "s:Op",
         "action": "s:Op", "resource": "*"}
    ]  # fmt: skip


@pytest.mark.parametrize("when", ["setup", "call", "teardown"])
@pytest.mark.parametrize("outcome", ["failed", "skipped"])
def test_a_scenario_failed_or_skipped_in_any_phase_gives_none(
    plugin: Any, when: str, outcome: str
) -> None:
    items = _collected(plugin)
    scenarios = [i for i in items if i not in (AUDIT, OTHER)]
    for item in scenarios[1:]:
        _run(plugin, item)
    _run(plugin, scenarios[0], outcome, when)
    _record_one(plugin)
    assert plugin.calls() is None


def test_a_scenario_that_did_not_run_here_gives_none(plugin: Any) -> None:
    items = _collected(plugin, _item(SCENARIOS[0], "test_deselected_or_elsewhere"))
    for item in items[:-2]:  # all but the extra scenario (and the audit)
        _run(plugin, item)
    _record_one(plugin)
    assert plugin.calls() is None


def test_a_scenario_module_missing_from_the_run_gives_none(plugin: Any) -> None:
    items = [AUDIT, *(_item(s, "test_scenario") for s in SCENARIOS[1:])]
    plugin.pytest_collection_modifyitems(_Config(), items)
    for item in items[1:]:
        _run(plugin, item)
    assert plugin.calls() is None


def test_without_the_audit_nothing_is_grouped_or_patched(plugin: Any) -> None:
    original = _patched()
    items = [OTHER, *(_item(s, "test_scenario") for s in SCENARIOS)]
    plugin.pytest_collection_modifyitems(_Config(), items)
    assert all(i.marks == [] for i in items)
    assert _patched() is original
    assert plugin.calls() is None


def test_with_the_audit_the_recorder_is_installed_for_the_run_only(
    plugin: Any,
) -> None:
    original = _patched()
    _collected(plugin)
    assert _patched() is not original
    plugin.pytest_unconfigure()
    assert _patched() is original
