"""Where the emulator's image exports land and imports come from: EC2 AMIs.

AppStream's CreateExportImageTask makes an EC2 AMI in the caller's account and region;
CreateImportedImage reads one. The backend talks to EC2 through ``AmiStore``: by default
``MotoAmis`` (moto's EC2 backend of that account and region, in process, so the AMI is
there for boto3 and the AWS CLI under ``mock_aws`` and ``govbot-sandbox serve``, launch
permissions included); ``InMemoryAmis`` stands in where moto's EC2 is not wanted.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class AmiInfo:
    """What AppStream checks of an AMI: its owner and name."""

    ami_id: str
    owner: str
    name: str | None


class AmiNameTaken(Exception):
    """EC2 refused the AMI: its name is already used in that account and region."""


class AmiStore(Protocol):
    """The EC2 AMIs the emulator makes (exports) and reads (imports)."""

    def register(
        self, account: str, region: str, name: str, description: str | None, tags: dict[str, str]
    ) -> str:
        """Make an AMI owned by ``account``; return its id (``AmiNameTaken`` if the name is)."""
        ...

    def find(self, account: str, region: str, ami_id: str) -> AmiInfo | None:
        """The AMI ``ami_id`` as ``account`` sees it in ``region`` (own, public or launch
        permission granted), or None."""
        ...


@dataclass
class InMemoryAmis:
    """A dict of AMIs keyed by (region, id): for backends run without moto's EC2."""

    amis: dict[tuple[str, str], tuple[AmiInfo, dict[str, str], set[str]]] = field(
        default_factory=dict
    )
    _ids: Any = field(default_factory=lambda: itertools.count(0xA000000001))

    def register(
        self, account: str, region: str, name: str, description: str | None, tags: dict[str, str]
    ) -> str:
        """See ``AmiStore.register``."""
        if any(
            info.owner == account and info.name == name and key[0] == region
            for key, (info, _, _) in self.amis.items()
        ):
            raise AmiNameTaken(name)
        ami_id = f"ami-{next(self._ids):017x}"
        self.amis[(region, ami_id)] = (AmiInfo(ami_id, account, name), dict(tags), set())
        return ami_id

    def find(self, account: str, region: str, ami_id: str) -> AmiInfo | None:
        """See ``AmiStore.find``."""
        entry = self.amis.get((region, ami_id))
        if entry is None:
            return None
        info, _, launchers = entry
        return info if info.owner == account or account in launchers else None

    def share(self, region: str, ami_id: str, account: str) -> None:
        """Grant ``account`` launch permission (tests)."""
        self.amis[(region, ami_id)][2].add(account)


class MotoAmis:
    """moto's EC2 AMIs: an export is a real moto AMI with the export's tags."""

    @staticmethod
    def _backend(account: str, region: str) -> Any:
        from moto.ec2.models import ec2_backends

        return ec2_backends[account][region]

    def register(
        self, account: str, region: str, name: str, description: str | None, tags: dict[str, str]
    ) -> str:
        """See ``AmiStore.register``."""
        backend = self._backend(account, region)
        if any(ami.name == name and ami.owner_id == account for ami in list(backend.amis.values())):
            raise AmiNameTaken(name)
        ami = backend.register_image(name=name, description=description)
        if tags:
            backend.create_tags([ami.id], dict(tags))
        return str(ami.id)

    def find(self, account: str, region: str, ami_id: str) -> AmiInfo | None:
        """See ``AmiStore.find``: searched in every account's EC2 of the region, as an AMI
        shared through launch permissions lives in its owner's account."""
        from moto.ec2.models import ec2_backends

        for owner in list(ec2_backends.keys()):
            ami = ec2_backends[owner][region].amis.get(ami_id)
            if ami is None:
                continue
            granted = any(
                lp.get("UserId") == account or lp.get("Group") == "all"
                for lp in ami.launch_permissions
            )
            if ami.owner_id == account or granted:
                return AmiInfo(ami.id, str(ami.owner_id), ami.name)
            return None
        return None
