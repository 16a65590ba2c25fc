"""The organization port: who is a member (``CliDeps.org_members`` and the Judge's input)."""

from __future__ import annotations

from collections.abc import Callable


class FakeOrganizations:
    """Answers the member list, or raises ``error``; records how it was asked."""

    def __init__(
        self, members: frozenset[str] = frozenset(), error: Exception | None = None
    ) -> None:
        self.members = members
        self.error = error
        self.asked: list[tuple[str | None, str | None, float]] = []

    def __call__(self, profile: str | None, endpoint: str | None, cache: float) -> frozenset[str]:
        self.asked.append((profile, endpoint, cache))
        if self.error:
            raise self.error
        return self.members


def _is_org_members(
    fake: FakeOrganizations,
) -> Callable[[str | None, str | None, float], frozenset[str]]:
    return fake  # mypy proves it fits CliDeps.org_members (never called)
