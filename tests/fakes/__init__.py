"""In-memory implementations of govbot's ports, one per port, shared by every test layer.

Each fake extends or mirrors the real gateway's contract, and each module ends with
never-called functions that return the fake as the Protocol it implements, so ``make
typecheck`` (mypy over ``tests/``) proves the fakes still fit the ports after any change.
"""

from tests.fakes.appstream import Call, FakeAppStream, shares_of
from tests.fakes.clock import T0, FakeClock
from tests.fakes.ledger import Commit, Crash, FakeLedger
from tests.fakes.organizations import FakeOrganizations
from tests.fakes.queue import RecordingQueue
from tests.fakes.slack import RecordingSink
from tests.fakes.storm import InMemoryWindowStore

__all__ = [
    "T0",
    "Call",
    "Commit",
    "Crash",
    "FakeAppStream",
    "FakeClock",
    "FakeLedger",
    "FakeOrganizations",
    "InMemoryWindowStore",
    "RecordingQueue",
    "RecordingSink",
    "shares_of",
]
