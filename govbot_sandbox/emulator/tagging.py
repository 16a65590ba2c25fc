"""TagResource / UntagResource / ListTagsForResource on images, fleets and image builders."""

from __future__ import annotations

from typing import Any

from govbot_sandbox.emulator.contract import (
    LIMIT_EXCEEDED,
    RESOURCE_NOT_FOUND,
    VALIDATION,
    AppStreamError,
)
from govbot_sandbox.emulator.settings import OpEnv
from govbot_sandbox.emulator.state import parse_arn

MAX_KEY = 128
MAX_VALUE = 256


def check_tags(tags: dict[str, str], max_tags: int, op: str) -> None:
    """Tag rules: at most ``max_tags``; keys 1-128 chars not starting with ``aws:``
    (any case); values 0-256 chars."""
    if len(tags) > max_tags:
        raise AppStreamError(LIMIT_EXCEEDED, f"{op}: {len(tags)} tags given (limit {max_tags})")
    for key, value in tags.items():
        if not 1 <= len(key) <= MAX_KEY:
            raise AppStreamError(
                VALIDATION, f"{op}: tag key {key!r} must be 1-{MAX_KEY} characters long"
            )
        if key.lower().startswith("aws:"):
            raise AppStreamError(
                VALIDATION, f"{op}: tag key {key!r} uses the reserved prefix 'aws:'"
            )
        if len(value) > MAX_VALUE:
            raise AppStreamError(
                VALIDATION, f"{op}: value of tag {key!r} is longer than {MAX_VALUE} characters"
            )


def _tags_of(env: OpEnv, arn: str, op: str) -> dict[str, str]:
    """The live tag dict of the caller's resource ``arn`` (images, fleets, image builders)."""
    parsed = parse_arn(arn)
    ctx = env.ctx
    tables: dict[str, dict[str, Any]] = {
        "image": env.world.images,
        "fleet": env.world.fleets,
        "image-builder": env.world.builders,
    }
    table = tables.get(parsed.kind if parsed else "", {})
    record = table.get(arn)
    # Only the owner, in the region of the call, can see a resource's tags.
    if (
        record is None
        or parsed is None
        or parsed.account != ctx.account_id
        or parsed.region != ctx.region
    ):
        raise AppStreamError(
            RESOURCE_NOT_FOUND,
            f"{op}: resource {arn!r} not found in account {ctx.account_id} region {ctx.region}",
        )
    tags: dict[str, str] = record.tags
    return tags


def tag_resource(env: OpEnv, params: dict[str, Any]) -> dict[str, Any]:
    """TagResource: add or overwrite tags (the result may hold at most 50)."""
    tags = _tags_of(env, params["ResourceArn"], "TagResource")
    check_tags(params["Tags"], env.settings.max_tags, "TagResource")
    merged = {**tags, **params["Tags"]}
    if len(merged) > env.settings.max_tags:
        raise AppStreamError(
            LIMIT_EXCEEDED,
            f"TagResource: the resource would have {len(merged)} tags "
            f"(limit {env.settings.max_tags})",
        )
    tags.update(params["Tags"])
    return {}


def untag_resource(env: OpEnv, params: dict[str, Any]) -> dict[str, Any]:
    """UntagResource: remove the given keys (absent keys are ignored)."""
    tags = _tags_of(env, params["ResourceArn"], "UntagResource")
    for key in params["TagKeys"]:
        tags.pop(key, None)
    return {}


def list_tags_for_resource(env: OpEnv, params: dict[str, Any]) -> dict[str, Any]:
    """ListTagsForResource: the resource's tags."""
    return {"Tags": dict(_tags_of(env, params["ResourceArn"], "ListTagsForResource"))}
