"""Pure replication planning: what to copy where, under which name, with which tags/shares.

No I/O and no clock reads: callers pass snapshots, the policy and ``now``. The replicator
(``govbot.replicator.logic``) reads state, asks these functions, then acts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from govbot.domain import ImageRef, ImageSnapshot, PermissionKind, SharedAccountPermission
from govbot.ledger.records.state import CopyJob
from govbot.policy.engine import golden_rules_for
from govbot.policy.judge import EngineInputs
from govbot.policy.models import Policy
from govbot.policy.sections import Replication

# Provenance tags written on every copy (AppStream forbids the ``aws:`` prefix, not ours).
TAG_SOURCE_ARN = "govbot:source-arn"
TAG_SOURCE_REGION = "govbot:source-region"
TAG_COPIED_AT = "govbot:copied-at"
PROVENANCE_KEYS = (TAG_SOURCE_ARN, TAG_SOURCE_REGION, TAG_COPIED_AT)
# The copy's description carries the source ARN too: CopyImage sets it atomically, so a
# copy is recognisable as ours before it is tagged (e.g. after an interrupted run).
DESCRIPTION_PREFIX = "govbot golden copy of "
MAX_TAGS = 50  # AppStream's per-resource tag limit
MAX_NAME_LENGTH = 101  # ^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,100}$
MAX_NAME_SUFFIX = 99  # -2 .. -99: beyond that a human must look at the region


@dataclass(frozen=True)
class CopyTarget:
    """One copy a golden image needs: ``source`` -> ``destination_region`` as ``name``."""

    source: ImageRef
    destination_region: str
    destination_name: str
    rule_ids: tuple[str, ...]

    @property
    def key(self) -> tuple[str, str]:
        return self.source.arn, self.destination_region


@dataclass(frozen=True)
class DroppedShare:
    """A permission of the source the policy forbids on the copy (never propagated)."""

    account_id: str
    permission: PermissionKind
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"account_id": self.account_id, "permission": self.permission, "reason": self.reason}


@dataclass(frozen=True)
class SharePlan:
    """The shares a copy gets (``kept``) and those withheld by policy (``dropped``)."""

    kept: tuple[SharedAccountPermission, ...]
    dropped: tuple[DroppedShare, ...] = field(default_factory=tuple)


# --- recognising images -------------------------------------------------------------------


def copy_description(source_arn: str) -> str:
    """The ``DestinationImageDescription`` govbot gives a copy of ``source_arn``."""
    return f"{DESCRIPTION_PREFIX}{source_arn}"


def is_replica(image: ImageSnapshot) -> bool:
    """True when ``image`` is a copy govbot made (never itself a golden source)."""
    return TAG_SOURCE_ARN in image.tags or (image.description or "").startswith(DESCRIPTION_PREFIX)


def is_copy_of(image: ImageSnapshot, source_arn: str) -> bool:
    """True when ``image`` carries govbot's provenance pointing at ``source_arn``."""
    return image.tags.get(TAG_SOURCE_ARN) == source_arn or image.description == copy_description(
        source_arn
    )


# --- what to copy -------------------------------------------------------------------------


def golden_targets(image: ImageSnapshot, policy: Policy) -> tuple[CopyTarget, ...]:
    """Every copy ``image`` needs under the policy's golden rules (none for a replica).

    Destinations of several matching rules are merged; the source's own region is skipped.

    Examples
    --------
    >>> [t.destination_region for t in golden_targets(snapshot, policy)]  # doctest: +SKIP
    ['eu-west-1', 'us-west-2']
    """
    if is_replica(image):
        return ()
    by_region: dict[str, list[str]] = {}
    for rule in golden_rules_for(image, policy):
        for region in rule.destinations:
            if region != image.ref.region:
                by_region.setdefault(region, []).append(rule.id)
    return tuple(
        CopyTarget(
            source=image.ref,
            destination_region=region,
            destination_name=policy.replication.destination_name(
                image.ref.name, image.ref.region, region
            ),
            rule_ids=tuple(rule_ids),
        )
        for region, rule_ids in sorted(by_region.items())
    )


def superseded(images: Iterable[ImageSnapshot], policy: Policy) -> frozenset[str]:
    """ARNs of family members a newer image of the same family (and place) supersedes.

    Only golden rules with a ``family`` take part; the newest image by ``created_time``
    (ties: the greater name) of each (rule, account, region) family survives.
    """
    newest: dict[tuple[str, str, str], ImageSnapshot] = {}
    members: dict[tuple[str, str, str], list[ImageSnapshot]] = {}
    for image in images:
        if is_replica(image):
            continue
        for rule in golden_rules_for(image, policy):
            if rule.family is None:
                continue
            key = (rule.id, image.ref.account_id, image.ref.region)
            members.setdefault(key, []).append(image)
            best = newest.get(key)
            if best is None or _age_key(image) > _age_key(best):
                newest[key] = image
    return frozenset(
        image.ref.arn
        for key, group in members.items()
        for image in group
        if image.ref.arn != newest[key].ref.arn
    )


def _age_key(image: ImageSnapshot) -> tuple[float, str]:
    created = image.created_time.timestamp() if image.created_time else 0.0
    return created, image.ref.name


def candidate_names(base: str) -> Iterator[str]:
    """``base``, then ``base-2`` .. ``base-99``, each a valid AppStream image name."""
    yield base
    for n in range(2, MAX_NAME_SUFFIX + 1):
        suffix = f"-{n}"
        yield base[: MAX_NAME_LENGTH - len(suffix)] + suffix


# --- the copy's tags and shares -----------------------------------------------------------


def replica_tags(source: ImageSnapshot, copied_at: datetime) -> tuple[dict[str, str], list[str]]:
    """The tags of a copy: the source's tags plus provenance; and the source keys left out.

    Provenance always fits: source tags beyond AppStream's limit of 50 are left out (in key
    order, so the choice is deterministic) and returned so the caller can record them.
    ``aws:`` keys (reserved) and the source's own ``govbot:`` provenance are never copied.
    """
    provenance = {
        TAG_SOURCE_ARN: source.ref.arn,
        TAG_SOURCE_REGION: source.ref.region,
        TAG_COPIED_AT: copied_at.isoformat(timespec="seconds"),
    }
    copied = sorted(
        (k, v)
        for k, v in source.tags.items()
        if not k.lower().startswith("aws:") and k not in provenance
    )
    room = MAX_TAGS - len(provenance)
    tags = dict(copied[:room]) | provenance
    return tags, [k for k, _ in copied[room:]]


def plan_shares(source: ImageSnapshot, inputs: EngineInputs) -> SharePlan:
    """Which of the source's shares the copy gets, and why the others are withheld."""
    kept = inputs.allowed_to_propagate(source, source.shared_with)
    allowed = {(s.account_id, kind) for s in kept for kind in s.permissions.granted()}
    evaluation = inputs.evaluate(source)
    reasons = {
        (v.account_id, v.permission): v.reason
        for v in evaluation.verdicts
        if v.outcome == "violation" and v.account_id and v.permission
    }
    dropped = tuple(
        DroppedShare(share.account_id, kind, reasons.get((share.account_id, kind), "forbidden"))
        for share in evaluation.shared_with
        for kind in sorted(share.permissions.granted())
        if (share.account_id, kind) not in allowed
    )
    return SharePlan(kept=kept, dropped=dropped)


# --- scheduling ---------------------------------------------------------------------------


def backoff(attempts: int, replication: Replication) -> timedelta:
    """Wait before retry number ``attempts + 1``: ``backoff_seconds * 2**(attempts-1)``."""
    exponent = max(attempts - 1, 0)
    return timedelta(seconds=replication.backoff_seconds * (2**exponent))


def is_due(job: CopyJob, now: datetime) -> bool:
    """True when a queued/failed job may try now (not waiting out a backoff)."""
    if job.state == "failed" and job.next_attempt_at is None:
        return False  # attempts exhausted and reported: a person has to look
    return job.next_attempt_at is None or job.next_attempt_at <= now


def start_order(jobs: Iterable[CopyJob]) -> list[CopyJob]:
    """Jobs waiting to start, first come first served (retries by their due time)."""
    waiting = [j for j in jobs if j.state in ("queued", "failed")]

    def key(job: CopyJob) -> tuple[float, str, str]:
        stamp = job.next_attempt_at or job.created_at
        return (stamp.timestamp() if stamp else 0.0, job.source_arn, job.destination_region)

    return sorted(waiting, key=key)


class SlotBook:
    """Copies in flight per (account, destination region), capped by the policy.

    Counts govbot's own jobs in ``copying``; copies started by people still count against
    AppStream's quota, which is why a LimitExceeded answer closes the region for the run.
    """

    def __init__(self, limit: int, jobs: Iterable[CopyJob] = ()) -> None:
        self.limit = limit
        self._in_flight: Counter[tuple[str, str]] = Counter()
        self._full: set[tuple[str, str]] = set()
        for job in jobs:
            if job.state == "copying":
                self._in_flight[_place(job)] += 1

    def in_flight(self, account_id: str, region: str) -> int:
        return self._in_flight[(account_id, region)]

    def take(self, job: CopyJob) -> bool:
        """Reserve a slot for ``job``'s destination; False when the region is full."""
        place = _place(job)
        if place in self._full or self._in_flight[place] >= self.limit:
            return False
        self._in_flight[place] += 1
        return True

    def release(self, job: CopyJob) -> None:
        """Give back the slot of a copy that ended (or never started)."""
        place = _place(job)
        if self._in_flight[place] > 0:
            self._in_flight[place] -= 1

    def is_closed(self, job: CopyJob) -> bool:
        """True when AppStream refused a copy into this place during this run."""
        return _place(job) in self._full

    def close(self, job: CopyJob) -> None:
        """AppStream says the region is full: start nothing more there in this run."""
        self._full.add(_place(job))


def _place(job: CopyJob) -> tuple[str, str]:
    return ImageRef.from_arn(job.source_arn).account_id, job.destination_region
