"""govbot's own Lambda layer: a pinned boto3/botocore, bundled locally (no Docker).

The AppStream operations govbot governs since issue 19 (export to an AMI, imported images,
agent access on builders) exist from botocore 1.44.3 on, and Lambda does not promise which
boto3 its python3.13 runtime bundles. Shipping the SDK in each function's asset would
break the asset budget (botocore alone is ~ 25 MB unpacked, the asset's limit is 512 KB
zipped), so all functions share one layer that carries exactly ``boto3==V`` and
``botocore==V``: Lambda puts ``/opt/python`` before the runtime's site-packages, so the
layer's SDK is the one imported. Its modules ship with bytecode compiled by the runtime's
CPython (unchecked-hash: a layer version is immutable and cannot be edited in the console,
so checking each module's source on import would be pure cost).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import jsii

from infra.bundling import CACHE_ROOT, BundlingError, compile_bytecode
from infra.interpreter import LAMBDA_PYTHON_VERSION, lambda_interpreter

# What must not travel in the layer: console scripts and pip's own records of them.
_DROPPED = ("bin",)


@dataclass(frozen=True)
class SdkLayerSpec:
    """The pinned SDK release, for which Lambda architecture."""

    version: str  # boto3 and botocore share release numbers, e.g. "1.44.8"
    architecture: str  # "arm64" | "x86_64"

    @property
    def requirements(self) -> tuple[str, str]:
        return (f"boto3=={self.version}", f"botocore=={self.version}")

    @property
    def platform(self) -> str:
        machine = "aarch64" if self.architecture == "arm64" else "x86_64"
        return f"manylinux2014_{machine}"

    @property
    def cache_key(self) -> str:
        return f"sdk-layer-boto3-{self.version}-py{LAMBDA_PYTHON_VERSION}-{self.platform}"

    def pip_command(self, target: Path) -> list[str]:
        """pip run by the runtime's CPython (markers judged for it), for Lambda's platform."""
        return [
            sys.executable, "-m", "pip", "--python", str(lambda_interpreter()), "install",
            "--quiet", "--disable-pip-version-check", "--no-compile", "--target", str(target),
            "--platform", self.platform, "--implementation", "cp",
            "--python-version", LAMBDA_PYTHON_VERSION, "--only-binary=:all:",
            *self.requirements,
        ]  # fmt: skip


def build_sdk_layer(spec: SdkLayerSpec, cache_root: Path = CACHE_ROOT) -> Path:
    """The layer's content (a ``python/`` directory with bytecode), built once and cached."""
    cached = cache_root / spec.cache_key
    if cached.is_dir():
        return cached
    cache_root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{spec.cache_key}.", dir=cache_root))
    try:
        target = staging / "python"
        done = subprocess.run(  # noqa: S603 - fixed argv, no shell
            spec.pip_command(target), capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise BundlingError(
                f"pip could not install {' '.join(spec.requirements)} for {spec.platform} "
                f"(python {LAMBDA_PYTHON_VERSION}):\n{done.stderr.strip()[-2000:]}"
            )
        for name in _DROPPED:
            shutil.rmtree(target / name, ignore_errors=True)
        sources = sorted(p.relative_to(target) for p in target.rglob("*.py"))
        compile_bytecode(target, sources, invalidation="UNCHECKED_HASH")
        (staging / "govbot-sdk-layer.json").write_text(
            json.dumps({"requirements": list(spec.requirements)}) + "\n"
        )
        try:
            staging.rename(cached)
        except OSError:
            if not cached.is_dir():  # not another process's finished copy: a real error
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return cached


@jsii.implements(cdk.ILocalBundling)
class LocalSdkLayerBundling:
    """``ILocalBundling`` that copies the cached layer content (see :func:`build_sdk_layer`)."""

    def __init__(self, spec: SdkLayerSpec, cache_root: Path = CACHE_ROOT) -> None:
        self._spec = spec
        self._cache_root = cache_root

    def try_bundle(self, output_dir: str, *, image: Any = None, **_: Any) -> bool:
        """Bundle into ``output_dir``; always True (Docker is never used)."""
        content = build_sdk_layer(self._spec, self._cache_root)
        shutil.copytree(content / "python", Path(output_dir) / "python", dirs_exist_ok=True)
        return True


def sdk_layer_code(spec: SdkLayerSpec) -> Any:
    """The ``lambda_.Code`` asset of the SDK layer (bundled locally)."""
    from aws_cdk import aws_lambda as lambda_

    return lambda_.Code.from_asset(
        str(Path(__file__).resolve().parent),  # required, unused: the bundler writes all
        bundling=cdk.BundlingOptions(
            image=cdk.DockerImage.from_registry("local-bundling-only"),
            local=LocalSdkLayerBundling(spec),
            environment={"GOVBOT_SDK_LAYER": spec.cache_key},  # part of the cache key
        ),
        asset_hash_type=cdk.AssetHashType.OUTPUT,
    )
