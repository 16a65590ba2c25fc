"""Keeping a finished copy true to its source: which tags and shares drifted (pure).

A completed copy carries its source's tags plus govbot's provenance, and the source's
shares as the policy lets them propagate (``plan.plan_shares``). People can change a copy
afterwards; the replicator sweep compares and restores. These functions only compute
the differences; ``jobs.JobRunner`` applies them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from govbot.domain import ImageSnapshot, Permissions, SharedAccountPermission
from govbot.replicator.plan import TAG_COPIED_AT, replica_tags


@dataclass(frozen=True)
class TagDrift:
    """Tags to set (missing or changed) and tag keys to remove (not the source's)."""

    put: dict[str, str]
    remove: tuple[str, ...]

    def describe(self) -> list[str]:
        lines = [f"tag {k} restored to {v!r}" for k, v in sorted(self.put.items())]
        return lines + [f"tag {k} removed (not on the source)" for k in self.remove]


@dataclass(frozen=True)
class ShareDrift:
    """Shares to set (missing or changed) and accounts whose share is to be removed."""

    put: tuple[SharedAccountPermission, ...]
    remove: tuple[str, ...]

    def describe(self) -> list[str]:
        lines = [
            f"share with {s.account_id} restored to {', '.join(sorted(s.permissions.granted()))}"
            for s in self.put
        ]
        return lines + [
            f"share with {a} removed (not propagated from the source)" for a in self.remove
        ]


def tag_drift(source: ImageSnapshot, copy: ImageSnapshot, copied_at: datetime) -> TagDrift:
    """How the copy's tags differ from the source's tags plus provenance.

    The ``copied-at`` provenance keeps its value; only its absence is drift (it is then
    restored as ``copied_at``, when the copy was first tagged). ``aws:`` tags are
    AppStream's own and never touched.
    """
    expected, _ = replica_tags(source, copied_at)
    if TAG_COPIED_AT in copy.tags:
        expected[TAG_COPIED_AT] = copy.tags[TAG_COPIED_AT]
    put = {k: v for k, v in expected.items() if copy.tags.get(k) != v}
    remove = tuple(
        sorted(k for k in copy.tags if k not in expected and not k.lower().startswith("aws:"))
    )
    return TagDrift(put=put, remove=remove)


def share_drift(
    kept: Iterable[SharedAccountPermission], actual: Iterable[SharedAccountPermission]
) -> ShareDrift:
    """How the copy's shares differ from ``kept`` (the source's shares the policy allows)."""
    wanted: Mapping[str, Permissions] = {s.account_id: s.permissions for s in kept}
    current: Mapping[str, Permissions] = {s.account_id: s.permissions for s in actual}
    put = tuple(
        SharedAccountPermission(account_id=account, permissions=permissions)
        for account, permissions in sorted(wanted.items())
        if current.get(account) != permissions
    )
    remove = tuple(sorted(account for account in current if account not in wanted))
    return ShareDrift(put=put, remove=remove)
