"""A boto3-session stand-in whose clients are real botocore clients under a Stubber."""

from __future__ import annotations

from typing import Any

import botocore.session
from botocore.stub import Stubber

# One botocore session for every test: it caches the loaded service models, which makes
# creating a client cheap after the first one.
_BOTOCORE = botocore.session.get_session()


class StubSession:
    """Hands out one stubbed client per (service, region) and remembers how it was built."""

    def __init__(self, name: str = "base") -> None:
        self.name = name
        self._botocore = _BOTOCORE
        self.stubbers: dict[tuple[str, str | None], Stubber] = {}
        self.created: list[dict[str, Any]] = []

    def client(self, service_name: str, region_name: str | None = None, **kwargs: Any) -> Any:
        key = (service_name, region_name)
        if key not in self.stubbers:
            self.created.append({"service": service_name, "region": region_name, **kwargs})
            client = self._botocore.create_client(
                service_name,
                region_name=region_name,
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
                config=kwargs.get("config"),
            )
            stubber = Stubber(client)
            stubber.activate()
            self.stubbers[key] = stubber
        return self.stubbers[key].client

    def stub(self, service_name: str = "appstream", region: str = "eu-west-1") -> Stubber:
        """The Stubber of that client (creating the client if needed)."""
        self.client(service_name, region_name=region)
        return self.stubbers[(service_name, region)]

    def assert_all_consumed(self) -> None:
        for stubber in self.stubbers.values():
            stubber.assert_no_pending_responses()
