"""The one region validator: a name must be a region of an AWS partition.

The list is botocore's endpoint data (``endpoints.json``: each partition's regions), the
same data boto3 resolves endpoints from, so no network is needed. A misspelled region
(``us-esat-1``) is an error with the nearest known names, wherever a region is read:
CDK context, policy files, CLI flags and world files.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from functools import lru_cache


class UnknownRegionError(ValueError):
    """A region name that no AWS partition has."""


@lru_cache(maxsize=1)
def known_regions() -> Mapping[str, str]:
    """Region name -> partition (``aws``, ``aws-cn``, ``aws-us-gov``, ...), from botocore."""
    from botocore.loaders import create_loader

    endpoints = create_loader().load_data("endpoints")
    return {
        region: partition["partition"]
        for partition in endpoints["partitions"]
        for region in partition.get("regions", {})
    }


def suggestions(value: str, limit: int = 3) -> list[str]:
    """The known region names closest to ``value`` (difflib), best first; a name with the
    same letters (a transposition, ``us-esat-1``) ranks before an equally close one."""
    wanted = value.strip().lower()
    close = difflib.get_close_matches(wanted, list(known_regions()), n=limit * 3)
    close.sort(key=lambda name: sorted(name) != sorted(wanted))  # stable: keeps difflib order
    return close[:limit]


def check_region(value: str, where: str = "region") -> str:
    """``value`` if it is a known region, else :class:`UnknownRegionError` naming ``where``.

    >>> check_region("eu-west-1")
    'eu-west-1'
    >>> suggestions("us-esat-1")[0]
    'us-east-1'
    """
    if value in known_regions():
        return value
    close = suggestions(value)
    hint = (
        f"; did you mean {' or '.join(repr(c) for c in close)}?"
        if close
        else "; expected a region name like 'us-east-1' (botocore's endpoint data lists "
        "every region; upgrade botocore if the region is new)"
    )
    raise UnknownRegionError(f"{where}: unknown AWS region {value!r}{hint}")


def check_regions(values: Iterable[str], where: str = "regions") -> tuple[str, ...]:
    """Every value checked; all unknown names are reported in one error."""
    values = tuple(values)
    problems = []
    for value in values:
        try:
            check_region(value, where)
        except UnknownRegionError as exc:
            problems.append(str(exc))
    if problems:
        raise UnknownRegionError("; ".join(problems))
    return values


def partition_of(region: str) -> str:
    """The partition of a known region (``aws-us-gov`` for ``us-gov-west-1``)."""
    return known_regions()[check_region(region)]
