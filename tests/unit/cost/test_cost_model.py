"""The cost section of docs/deploying.md is what bench/cost.py computes from the results."""

from __future__ import annotations

import json

import pytest

from bench.cost import PRICES, PerEvent, monthly, table
from tests.conftest import REPO_ROOT

RESULTS = json.loads((REPO_ROOT / "bench" / "results.json").read_text())
COST = RESULTS["benchmarks"]["monthly_cost_10_100_1000_accounts"]
PER_EVENT = {kind: PerEvent(**values) for kind, values in COST["per_event"].items()}


def test_the_guide_shows_the_table_the_script_computes() -> None:
    guide = (REPO_ROOT / "docs" / "deploying.md").read_text()
    start = guide.index("<!-- cost-table:start -->\n") + len("<!-- cost-table:start -->\n")
    end = guide.index("\n<!-- cost-table:end -->")
    assert guide[start:end] == table(PER_EVENT)


def test_results_hold_what_the_model_computes_from_the_measured_requests() -> None:
    for accounts in (10, 100, 1000):
        assert COST["monthly_usd"][str(accounts)] == monthly(accounts, PER_EVENT)


def test_a_violating_event_costs_more_writes_than_a_compliant_one() -> None:
    assert PER_EVENT["violating"].wru > PER_EVENT["compliant"].wru > 0
    assert PER_EVENT["violating"].notifier_invocations >= 1


@pytest.mark.parametrize(("smaller", "larger"), [(10, 100), (100, 1000)])
def test_every_usage_part_grows_with_the_accounts(smaller: int, larger: int) -> None:
    low, high = monthly(smaller, PER_EVENT), monthly(larger, PER_EVENT)
    for part in ("lambda", "dynamodb", "eventbridge", "forwarders", "total"):
        assert high[part] > low[part], part
    assert high["hub_fixed"] == low["hub_fixed"]


def test_forwarders_are_one_kms_key_and_one_alarm_per_account_and_region() -> None:
    per_forwarder = PRICES["kms_key_month"] + PRICES["alarm_month"]
    assert monthly(10, PER_EVENT)["forwarders"] == round(10 * 2 * per_forwarder, 2)
