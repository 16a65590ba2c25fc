"""Optional family retention: keep the newest K copies of a golden family per region.

Only govbot's own copies are ever candidates, and one is deleted only when no fleet uses
it and it is shared with nobody; otherwise it is reported and left alone.
"""

from __future__ import annotations

from collections.abc import Sequence

from govbot.domain import ImageSnapshot
from govbot.gateways.appstream import AppStreamGatewayError
from govbot.policy.models import Policy
from govbot.replicator.plan import TAG_SOURCE_ARN, is_replica
from govbot.replicator.run import Run


def retention_candidates(
    images: Sequence[ImageSnapshot], policy: Policy
) -> list[tuple[str, ImageSnapshot]]:
    """(rule id, copy) pairs beyond each family's ``retention.keep`` newest, per region.

    Pure: ``images`` is the inventory of the governed regions.
    """
    out: list[tuple[str, ImageSnapshot]] = []
    for rule in policy.golden:
        if rule.family is None or rule.retention is None:
            continue
        family = rule.family
        for region in rule.destinations:
            copies = [
                i
                for i in images
                if i.ref.region == region
                and is_replica(i)
                and TAG_SOURCE_ARN in i.tags
                and i.ref.name.startswith(family)
                and i.state == "AVAILABLE"
            ]
            by_account: dict[str, list[ImageSnapshot]] = {}
            for image in copies:
                by_account.setdefault(image.ref.account_id, []).append(image)
            for group in by_account.values():
                group.sort(
                    key=lambda i: (
                        i.created_time.timestamp() if i.created_time else 0.0,
                        i.ref.name,
                    ),
                    reverse=True,
                )
                out.extend((rule.id, old) for old in group[rule.retention.keep :])
    return out


def apply_retention(run: Run, sources: Sequence[ImageSnapshot]) -> list[str]:
    """Delete surplus family copies that nothing uses; return one line per decision."""
    del sources  # the inventory already holds every copy; kept for a symmetric call
    images = run.inventory()
    lines: list[str] = []
    for rule_id, image in retention_candidates(images, run.policy):
        ref = image.ref
        if image.shared_with:
            lines.append(f"{ref.arn}: kept (rule {rule_id}): still shared, delete by hand")
            continue
        try:
            fleets = run.deps.appstream.fleets_using(ref, ref.account_id, ref.region)
            if fleets:
                names = ", ".join(f.name for f in fleets)
                lines.append(f"{ref.arn}: kept (rule {rule_id}): used by fleet(s) {names}")
                continue
            run.deps.appstream.delete_image(ref)
        except AppStreamGatewayError as exc:
            lines.append(f"{ref.arn}: kept (rule {rule_id}): {exc}")
            continue
        run.forget(ref)
        lines.append(f"{ref.arn}: deleted (rule {rule_id}): older than the newest kept copies")
    return lines
