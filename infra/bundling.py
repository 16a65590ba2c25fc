"""Local (Docker-free) bundling of the Lambda asset.

The asset is ``lambdas/`` plus the one runtime dependency the Powertools layer does not
carry (slack_sdk), installed by pip for the Lambda platform. pip's output is cached under
``build/lambda-deps/`` keyed by version and platform, so repeated synths stay offline.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import jsii

REPO_ROOT = Path(__file__).resolve().parent.parent
LAMBDA_SOURCE = REPO_ROOT / "lambdas"
CACHE_ROOT = REPO_ROOT / "build" / "lambda-deps"
LAMBDA_PYTHON_VERSION = "3.13"
_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".mypy_cache", ".pytest_cache")


class BundlingError(RuntimeError):
    """The Lambda dependencies could not be installed for the target platform."""


@dataclass(frozen=True)
class DependencySpec:
    """What to vendor into the asset, and for which Lambda platform."""

    requirement: str  # e.g. "slack_sdk==3.48.0"
    architecture: str  # "arm64" | "x86_64"

    @property
    def platform(self) -> str:
        machine = "aarch64" if self.architecture == "arm64" else "x86_64"
        return f"manylinux2014_{machine}"

    @property
    def cache_key(self) -> str:
        safe = self.requirement.replace("==", "-").replace("/", "_")
        return f"{safe}-py{LAMBDA_PYTHON_VERSION}-{self.platform}"

    def pip_command(self, target: Path) -> list[str]:
        """The pip invocation that installs the dependency for the Lambda platform."""
        return [
            sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
            "--target", str(target), "--platform", self.platform, "--implementation", "cp",
            "--python-version", LAMBDA_PYTHON_VERSION, "--only-binary=:all:", self.requirement,
        ]  # fmt: skip


def _copy_installed_pure_python(spec: DependencySpec, target: Path) -> bool:
    """Offline fallback: vendor the same version from this environment if it is pure Python."""
    name, _, version = spec.requirement.partition("==")
    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return False
    wheel = dist.read_text("WHEEL") or ""
    if dist.version != version or "Root-Is-Purelib: true" not in wheel:
        return False
    for file in dist.files or []:
        source = Path(str(dist.locate_file(file)))
        if ".." in file.parts or not source.is_file() or "__pycache__" in file.parts:
            continue
        destination = target / file
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, destination)
    return True


def ensure_dependencies(spec: DependencySpec, cache_root: Path = CACHE_ROOT) -> Path:
    """Return a directory holding the installed dependency, installing it once if needed."""
    cached = cache_root / spec.cache_key
    if cached.is_dir():
        return cached
    staging = cache_root / f".{spec.cache_key}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    result = subprocess.run(  # noqa: S603 - fixed argv, no shell
        spec.pip_command(staging), capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        if not _copy_installed_pure_python(spec, staging):
            shutil.rmtree(staging, ignore_errors=True)
            raise BundlingError(
                f"pip could not install {spec.requirement} for {spec.platform} "
                f"(python {LAMBDA_PYTHON_VERSION}) and no matching pure-Python copy is "
                f"installed locally:\n{result.stderr.strip()}"
            )
    staging.rename(cached)
    return cached


@jsii.implements(cdk.ILocalBundling)
class LocalPipBundling:
    """``ILocalBundling`` that copies ``lambdas/`` and vendors the pinned dependency."""

    def __init__(
        self, spec: DependencySpec, source: Path = LAMBDA_SOURCE, cache_root: Path = CACHE_ROOT
    ) -> None:
        self._spec = spec
        self._source = source
        self._cache_root = cache_root

    def try_bundle(self, output_dir: str, *, image: Any = None, **_: Any) -> bool:
        """Bundle into ``output_dir``; always True (Docker is never used)."""
        out = Path(output_dir)
        shutil.copytree(self._source, out, dirs_exist_ok=True, ignore=_IGNORED)
        shutil.copytree(ensure_dependencies(self._spec, self._cache_root), out, dirs_exist_ok=True)
        return True


def lambda_code(spec: DependencySpec) -> Any:
    """The ``lambda_.Code`` asset for every govbot function (bundled locally)."""
    from aws_cdk import aws_lambda as lambda_

    return lambda_.Code.from_asset(
        str(LAMBDA_SOURCE),
        bundling=cdk.BundlingOptions(
            # Required by the API but never pulled: local bundling always succeeds.
            image=cdk.DockerImage.from_registry("local-bundling-only"),
            local=LocalPipBundling(spec),
        ),
        exclude=["**/__pycache__", "**/*.pyc"],
    )
