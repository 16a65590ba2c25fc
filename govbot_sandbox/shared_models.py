"""One botocore data loader per data path for the whole process, not one per Session.

botocore gives every ``Session`` its own ``Loader``, and the loader's cache lives on that
instance. The sandbox makes a Session for each person's client and the handlers' wiring
makes one per invocation, so the same service-model JSON files (AppStream, DynamoDB, SQS,
endpoints, partitions...) were parsed again for nearly every client: a quarter of the e2e
tests' CPU went to ``json.loads`` of botocore's data. Within one Session, botocore already
shares a loader's models between all its clients, so the models are treated as read-only
data; sharing the loader between Sessions of one process is the same contract. Only the
sandbox and the tests install it (a Lambda container keeps one Session anyway); importing
this module is enough.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import botocore.session
from botocore.loaders import Loader, create_loader

_botocore_create_loader = create_loader


@cache
def shared_loader(search_path_string: str | None = None) -> Loader:
    """The one loader of this data path (``AWS_DATA_PATH`` / ``data_path``)."""
    return _botocore_create_loader(search_path_string)


def _create_loader(search_path_string: Any = None) -> Loader:
    return shared_loader(search_path_string)


_create_loader.govbot_shared = True  # type: ignore[attr-defined]

if not getattr(botocore.session.create_loader, "govbot_shared", False):
    botocore.session.create_loader = _create_loader
