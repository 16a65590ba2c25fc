"""A ``govbot-sandbox serve`` process shared by the live-endpoint modules that ask for it.

Starting one costs seconds of CPU (imports, a first world). Modules that would each start
the same command get one process instead, reset at the start of each module: a reset
world is the world a new process starts with (proven by
test_e2e_live_world.py::test_a_reset_world_keeps_nothing_of_the_old_one). The process
stops as soon as the next test does not use it, so it never idles through the session.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

import pytest

T = TypeVar("T")


class SharedServe(Generic[T]):
    """One running server at a time, started on first use (again after a stop)."""

    def __init__(self, start: Callable[[], contextlib.AbstractContextManager[T]]) -> None:
        self._start = start
        self._stack: contextlib.ExitStack | None = None
        self._server: T | None = None

    def get(self) -> T:
        """The running server (started now if none is)."""
        if self._server is None:
            stack = contextlib.ExitStack()
            self._server = stack.enter_context(self._start())
            self._stack = stack
        return self._server

    def stop(self) -> None:
        """Stop the server, if one runs."""
        stack, self._stack, self._server = self._stack, None, None
        if stack is not None:
            stack.close()


_SHARED: dict[str, SharedServe[Any]] = {}  # fixture name -> its server


@contextlib.contextmanager
def _shared(name: str, start: Callable[[], Any]) -> Iterator[SharedServe[Any]]:
    """The session's shared server of fixture ``name``, stopped at the session's end."""
    shared: SharedServe[Any] = SharedServe(start)
    _SHARED[name] = shared
    try:
        yield shared
    finally:
        shared.stop()
        del _SHARED[name]


@pytest.fixture(scope="session")
def guard_serve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedServe[Any]]:
    """``govbot-sandbox serve`` with no options (test_e2e_live_guard's ``server``)."""
    from tests.e2e.test_e2e_live_guard import serving

    with _shared("guard_serve", lambda: serving(tmp_path_factory.mktemp("guard"))) as shared:
        yield shared


@pytest.fixture(scope="session")
def cli_serve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedServe[Any]]:
    """``govbot-sandbox serve --cloudtrail-log`` (test_e2e_live_cli's ``live``)."""
    from tests.e2e.test_e2e_live_cli import serving

    with _shared("cli_serve", lambda: serving(tmp_path_factory.mktemp("live"))) as shared:
        yield shared


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """Stop each shared server the next test does not use."""
    for name, shared in _SHARED.items():
        if nextitem is None or name not in getattr(nextitem, "fixturenames", ()):
            shared.stop()
