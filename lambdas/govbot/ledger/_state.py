"""Exemptions and golden copy jobs: long-lived state with optimistic locking."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from govbot.ledger._core import LedgerCore
from govbot.ledger.keys import (
    ANNOUNCED_SK,
    BY_STATUS,
    COPYJOB_SK,
    EXEMPTION_SK,
    announced_pk,
    copy_job_pk,
    ensure_utc,
    exemption_pk,
    status_key,
)
from govbot.ledger.records import AnnouncedState, CopyJob, ExemptionRecord

_exemption_writes = 0


def exemption_writes() -> int:
    """How many exemptions this process has written: a cache of them compares it to know
    that one it holds may be stale (the sandbox runs the Slack endpoint in-process)."""
    return _exemption_writes


class StateMixin(LedgerCore):
    """Exemptions (put/get/active) and copy jobs (get/put with version/active)."""

    # -- exemptions -----------------------------------------------------------------------
    def put_exemption(self, rec: ExemptionRecord) -> ExemptionRecord:
        """Upsert an exemption (grant, revoke or expire it); returns the stored record."""
        global _exemption_writes
        stored = self._put(rec)
        _exemption_writes += 1
        assert isinstance(stored, ExemptionRecord)
        return stored

    def get_exemption(self, exemption_id: str) -> ExemptionRecord | None:
        """The exemption, or None."""
        record = self._get(exemption_pk(exemption_id), EXEMPTION_SK)
        assert record is None or isinstance(record, ExemptionRecord)
        return record

    def active_exemptions(self, now: datetime | None = None) -> list[ExemptionRecord]:
        """Exemptions in force at ``now`` (default: the ledger clock), via ``by-status``.

        Expired-but-not-yet-marked ones are filtered out here; the drift sweep marks them.
        """
        at = ensure_utc(now) if now is not None else self.now()
        return [
            r
            for r in self._by_status(status_key("EXEMPTION", "active"))
            if isinstance(r, ExemptionRecord) and r.is_active(at)
        ]

    def lapsed_exemptions(self, now: datetime | None = None) -> list[ExemptionRecord]:
        """Exemptions still marked active whose time is up: the sweep marks them expired."""
        at = ensure_utc(now) if now is not None else self.now()
        return [
            r
            for r in self._by_status(status_key("EXEMPTION", "active"))
            if isinstance(r, ExemptionRecord) and not r.is_active(at)
        ]

    # -- announced state (notification dedupe) ---------------------------------------------
    def get_announced(
        self, image_arn: str, viewer_account_id: str | None = None
    ) -> AnnouncedState | None:
        """What people were last told about ``image_arn``'s standing findings, or None
        (with ``viewer_account_id``: about that account's use of another's image)."""
        record = self._get(announced_pk(image_arn, viewer_account_id), ANNOUNCED_SK)
        assert record is None or isinstance(record, AnnouncedState)
        return record

    def put_announced(self, rec: AnnouncedState) -> AnnouncedState:
        """Upsert the announced state of one image (stamped with the ledger clock)."""
        stored = self._put(rec.model_copy(update={"updated_at": None}))
        assert isinstance(stored, AnnouncedState)
        return stored

    def open_announcements(self) -> list[AnnouncedState]:
        """Every image with a standing announced finding (``ANNOUNCED#open``)."""
        records = self._by_status(status_key("ANNOUNCED", "open"))
        return [r for r in records if isinstance(r, AnnouncedState)]

    # -- copy jobs ------------------------------------------------------------------------
    def get_copy_job(self, source_arn: str, destination_region: str) -> CopyJob | None:
        """The copy job of ``source_arn`` to ``destination_region``, or None."""
        record = self._get(copy_job_pk(source_arn, destination_region), COPYJOB_SK)
        assert record is None or isinstance(record, CopyJob)
        return record

    def put_copy_job(self, job: CopyJob, *, expected_version: int | None) -> CopyJob:
        """Write ``job`` if the stored version is still ``expected_version``.

        ``expected_version=None`` creates the job (it must not exist). The stored job has
        ``version = expected_version + 1`` (1 when created) and is returned. Raises
        :class:`ConcurrentUpdate` when another writer got there first.
        """
        return self._put_versioned(
            job, expected_version, f"copy job {job.source_arn} -> {job.destination_region}"
        )

    def active_copy_jobs(self) -> list[CopyJob]:
        """Every job not done/abandoned (``by-status`` = ``COPYJOB#active``), oldest first."""
        records = self._by_status(status_key("COPYJOB", "active"))
        return [r for r in records if isinstance(r, CopyJob)]

    def _by_status(self, key: str) -> list[Any]:
        return list(
            self._query(
                index=BY_STATUS,
                key_condition="#sk = :sk",
                names={"#sk": "status_key"},
                values={":sk": key},
            )
        )
