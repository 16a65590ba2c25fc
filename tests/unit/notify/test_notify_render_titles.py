"""The ``violation_remedied`` title says whether the remedy worked."""

from __future__ import annotations

import pytest

from govbot.kinds.violation_remedied import remedied_title
from govbot.ledger.records.details import ChangeLine, RemediedDetails


def _change(status: str) -> ChangeLine:
    return ChangeLine(account_id="999999999999", operation="UpdateImagePermissions", status=status)


@pytest.mark.parametrize(
    ("details", "title"),
    [
        (RemediedDetails(changes=[_change("succeeded")]), "Share revoked"),
        (RemediedDetails(changes=[_change("failed")]), "Remedy failed"),
        (
            RemediedDetails(changes=[_change("succeeded"), _change("failed")]),
            "Remedy partly failed",
        ),
        (RemediedDetails(error="Throttling (attempt 5 of 5)", attempts=5), "Remedy failed"),
    ],
)
def test_remedied_title(details: RemediedDetails, title: str) -> None:
    assert remedied_title(details) == title
