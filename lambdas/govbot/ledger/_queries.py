"""History queries, each through its GSI (never a Scan), paginated internally."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Final, get_args

from govbot.ledger._core import LedgerCore, kinds_filter, ts_condition
from govbot.ledger.keys import BY_ACCOUNT, BY_IMAGE, BY_STATUS, BY_TIME, days_between, status_key
from govbot.ledger.records import EventRecord, EventStatus, LedgerRecord

# by_time walks one day partition per Query; past the retention nothing is left anyway.
MAX_DAYS_PER_QUERY: Final = 800


class QueriesMixin(LedgerCore):
    """by_image, by_account, by_time, events_by_status. Ranges are inclusive, oldest first."""

    def by_image(
        self,
        image_arn: str,
        start: datetime | None = None,
        end: datetime | None = None,
        kinds: Iterable[str] | None = None,
        *,
        limit: int | None = None,
    ) -> list[LedgerRecord]:
        """Records about an image (``by-image``), optionally within ``[start, end]``."""
        return self._index_query(BY_IMAGE, "image_arn", image_arn, start, end, kinds, limit)

    def by_account(
        self,
        shared_account_id: str,
        start: datetime | None = None,
        end: datetime | None = None,
        kinds: Iterable[str] | None = None,
        *,
        limit: int | None = None,
    ) -> list[LedgerRecord]:
        """Records about a grantee account (``by-account``), optionally within a range."""
        return self._index_query(
            BY_ACCOUNT, "shared_account_id", shared_account_id, start, end, kinds, limit
        )

    def by_time(
        self,
        start: datetime,
        end: datetime,
        kinds: Iterable[str] | None = None,
        *,
        limit: int | None = None,
    ) -> list[LedgerRecord]:
        """Records with ``ts`` in ``[start, end]``: one ``by-time`` Query per UTC day."""
        days = days_between(start, end)
        if len(days) > MAX_DAYS_PER_QUERY:
            raise ValueError(
                f"by_time spans {len(days)} days; at most {MAX_DAYS_PER_QUERY} are allowed"
            )
        out: list[LedgerRecord] = []
        for day in days:
            remaining = None if limit is None else limit - len(out)
            if remaining is not None and remaining <= 0:
                break
            out += self._index_query(BY_TIME, "day", day, start, end, kinds, remaining)
        return out

    def events_by_status(
        self, status: EventStatus, *, limit: int | None = None
    ) -> list[EventRecord]:
        """Events still ``received`` (never committed) or ``rejected``, oldest first."""
        if status not in ("received", "rejected"):
            raise ValueError(
                f"only open statuses are indexed ('received', 'rejected'), got {status!r}; "
                f"known statuses: {get_args(EventStatus)}"
            )
        records = self._index_query(
            BY_STATUS, "status_key", status_key("EVENT", status), None, None, None, limit
        )
        return [r for r in records if isinstance(r, EventRecord)]

    def _index_query(
        self,
        index: str,
        attribute: str,
        value: str,
        start: datetime | None,
        end: datetime | None,
        kinds: Iterable[str] | None,
        limit: int | None,
    ) -> list[LedgerRecord]:
        if not value:
            raise ValueError(f"{attribute} must not be empty for a {index} query")
        if limit is not None and limit < 1:
            raise ValueError(f"limit must be >= 1, got {limit}")
        range_expr, range_values = ts_condition(start, end)
        filter_expr, filter_values = kinds_filter(kinds)
        names = {"#pk": attribute}
        if range_expr:
            names["#ts"] = "ts"
        if filter_expr:
            names["#kind"] = "kind"
        return list(
            self._query(
                index=index,
                key_condition="#pk = :pk" + range_expr,
                names=names,
                values={":pk": value, **range_values, **filter_values},
                filter_expression=filter_expr,
                limit=limit,
            )
        )
