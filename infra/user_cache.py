"""The per-user cache of what the synth builds from pinned inputs, shared by every clone.

CPython 3.13 unpacked from Debian's packages (infra/interpreter.py), the vendored
slack_sdk and the SDK layer's boto3 (infra/bundling.py, infra/sdk_layer.py) depend only on
pinned versions, so like pip's cache they are built once per user, not in every clone:
``$GOVBOT_TEST_CACHE``, else ``$XDG_CACHE_HOME/govbot-tests``, else
``~/.cache/govbot-tests`` (the Makefile's TEST_CACHE, where the test environments live).
Each entry's name is its inputs, and each is built under a lock or renamed into place
whole, so concurrent builders (test workers, two clones) are safe.
"""

from __future__ import annotations

import os
from pathlib import Path


def user_cache_root() -> Path:
    """The cache directory (read from the environment at each call)."""
    explicit = os.environ.get("GOVBOT_TEST_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "govbot-tests"
