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

import botocore.session
from botocore.loaders import Loader, create_loader


@cache
def shared_loader(search_path_string: str | None = None) -> Loader:
    """The one loader of this data path (``AWS_DATA_PATH`` / ``data_path``)."""
    return create_loader(search_path_string)  # botocore.loaders' own, never replaced


if botocore.session.create_loader is create_loader:  # not installed yet
    botocore.session.create_loader = shared_loader
