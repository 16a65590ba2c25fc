"""Storm-control state the ledger stores: one digest window per route (see ledger/_storm.py)."""

from __future__ import annotations

from dataclasses import dataclass, field


def digest_id_for(route: str, start: int) -> str:
    """The id of the digest of ``route`` for the window starting at ``start``."""
    return f"digest-{route}-{start}"


@dataclass(frozen=True)
class DigestWindow:
    """What was folded on one route in one window."""

    route: str
    webhook: str
    start: int
    window_seconds: int
    folded: int
    sent: int
    kinds: dict[str, int] = field(default_factory=dict)
    images: tuple[str, ...] = ()

    @property
    def end(self) -> int:
        """Epoch second the window ends (exclusive)."""
        return self.start + self.window_seconds

    @property
    def digest_id(self) -> str:
        """Id written on every item folded into this digest."""
        return digest_id_for(self.route, self.start)
