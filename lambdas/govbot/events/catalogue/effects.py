"""World effects the built-in specs share (``govbot simulate``): shares and tags changed."""

from __future__ import annotations

from collections.abc import Mapping

from govbot.domain import ImageSnapshot, Permissions, SharedAccountPermission


def shares_of(image: ImageSnapshot) -> dict[str, Permissions]:
    """``image``'s share list as account -> permissions."""
    return {s.account_id: s.permissions for s in image.shared_with}


def with_shares(image: ImageSnapshot, shares: Mapping[str, Permissions]) -> ImageSnapshot:
    """``image`` shared exactly as ``shares`` says (empty grants dropped, sorted)."""
    shared = tuple(
        SharedAccountPermission(account_id=a, permissions=p)
        for a, p in sorted(shares.items())
        if not p.is_empty()
    )
    return image.model_copy(update={"shared_with": shared})


def with_tags(image: ImageSnapshot, tags: Mapping[str, str]) -> ImageSnapshot:
    """``image`` with ``tags`` added (or overwritten)."""
    return image.model_copy(update={"tags": {**image.tags, **tags}})
