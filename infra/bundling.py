"""Local (Docker-free) bundling of the Lambda asset.

The asset holds exactly the import closure of the handlers (``infra.closure``): the
``govbot`` modules they reach and the ``slack_sdk`` modules those reach (slack_sdk is the
one dependency the Powertools layer does not carry), plus slack_sdk's licence. No
CLI, nothing only the sandbox or the tests use; docstrings and comments
blanked with every line kept in place (infra/slim.py). slack_sdk is installed by pip
once per user and cached (infra/user_cache.py, ``lambda-deps/``) keyed by version, so
repeated synths and fresh clones stay offline; each finished bundle is cached per clone
(infra/bundle_cache.py).

Each module ships with its bytecode (``__pycache__/*.cpython-313.pyc``, checked-hash):
``/var/task`` is read-only, so without it Python compiles every module the first call
imports on every cold start (about 80 ms of CPU for the enforcer, measured with
``bench/coldstart.py``). Hash-based bytecode does not depend on the files' times in the
zip and holds no path of the build machine, so the asset stays reproducible; it is checked
against its source (a hash of a few KB per module), so a source edited in place, say in the
Lambda console during an incident, is run as edited rather than silently shadowed.
The bytecode is compiled by CPython of the Lambda's minor version (its magic number must
match): this interpreter when it is that version, else the one ``infra.interpreter``
provisions (from Debian's packages, cached per user).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import jsii

from infra.bundle_cache import BUNDLE_CACHE, build_or_reuse, bundle_key, copy_entry
from infra.closure import handler_modules, import_closure
from infra.interpreter import LAMBDA_PYTHON_VERSION, lambda_interpreter
from infra.slim import blank_docs_and_comments
from infra.user_cache import user_cache_root

REPO_ROOT = Path(__file__).resolve().parent.parent
LAMBDA_SOURCE = REPO_ROOT / "lambdas"
CACHE_ROOT = user_cache_root() / "lambda-deps"
VENDORED = "slack_sdk"
# Checked against the source on import (see the module docstring).
BYTECODE_INVALIDATION = "CHECKED_HASH"
TRIMMED_INIT = (
    '"""Vendored by govbot: only the submodules govbot imports are here (infra/closure.py);\n'
    'this package\'s own re-exports are left out, since nothing imports them."""\n'
)


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
    """Return a directory holding the installed dependency, installing it once if needed.

    Safe when several processes synthesize at once (parallel test workers on a fresh
    clone): each installs into a staging directory of its own and renames it into place;
    the first rename wins and the others discard their copy.
    """
    cached = cache_root / spec.cache_key
    if cached.is_dir():
        return cached
    cache_root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{spec.cache_key}.", dir=cache_root))
    try:
        result = subprocess.run(  # noqa: S603 - fixed argv, no shell
            spec.pip_command(staging), capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir(parents=True)
            if not _copy_installed_pure_python(spec, staging):
                raise BundlingError(
                    f"pip could not install {spec.requirement} for {spec.platform} "
                    f"(python {LAMBDA_PYTHON_VERSION}) and no matching pure-Python copy is "
                    f"installed locally:\n{result.stderr.strip()}"
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
class LocalPipBundling:
    """``ILocalBundling`` that writes the handlers' import closure (see module docstring)."""

    def __init__(
        self,
        spec: DependencySpec,
        source: Path = LAMBDA_SOURCE,
        cache_root: Path = CACHE_ROOT,
        *,
        entry_modules: Sequence[str] | None = None,
        bundle_cache: Path | None = BUNDLE_CACHE,
    ) -> None:
        self._spec = spec
        self._source = source
        self._cache_root = cache_root
        self._entry_modules = entry_modules
        self._bundle_cache = bundle_cache  # None: always build afresh

    def try_bundle(self, output_dir: str, *, image: Any = None, **_: Any) -> bool:
        """Bundle into ``output_dir`` (from infra/bundle_cache.py when built before);
        always True (Docker is never used)."""
        dependencies = ensure_dependencies(self._spec, self._cache_root)
        entry_modules = self._entry_modules or handler_modules(self._source)
        if self._bundle_cache is None:
            bundle_closure(Path(output_dir), self._source, dependencies, entry_modules)
            return True
        key = bundle_key(
            self._source,
            entry_modules,
            self._spec.cache_key,
            python_version=LAMBDA_PYTHON_VERSION,
            invalidation=BYTECODE_INVALIDATION,
        )
        entry = build_or_reuse(
            self._bundle_cache,
            key,
            lambda staging: bundle_closure(staging, self._source, dependencies, entry_modules),
        )
        copy_entry(entry, Path(output_dir))
        return True


def bundle_closure(
    out: Path, source: Path, dependencies: Path, entry_modules: Sequence[str] | None = None
) -> list[Path]:
    """Copy the import closure of ``entry_modules`` (default: every handler) into ``out``.

    Returns the files written (relative to ``out``).
    """
    closure = import_closure(
        entry_modules or handler_modules(source),
        {"govbot": source / "govbot", VENDORED: dependencies / VENDORED},
    )
    written: list[Path] = []
    for root in (source, dependencies):
        for path, trimmed in closure.files_under(root):
            relative = path.relative_to(root)
            (out / relative).parent.mkdir(parents=True, exist_ok=True)
            if trimmed:
                (out / relative).write_text(TRIMMED_INIT, encoding="utf-8")
            else:
                text = blank_docs_and_comments(path.read_text(encoding="utf-8"))
                (out / relative).write_text(text, encoding="utf-8")
            written.append(relative)
    sources = [p for p in written if p.suffix == ".py"]
    written += compile_bytecode(out, sources, invalidation=BYTECODE_INVALIDATION)
    if any(p.parts[0] == VENDORED for p in written):
        licence = vendored_licence(dependencies)
        shutil.copyfile(licence, out / VENDORED / "LICENSE")
        written.append(Path(VENDORED, "LICENSE"))
    return written


# Run by the Lambda's CPython: compiles each listed source (relative to the asset root)
# to the bytecode file that version looks for, recording no build-machine path.
_COMPILE = """
import importlib.util, json, py_compile, sys
root, mode = sys.argv[1], py_compile.PycInvalidationMode[sys.argv[2]]
written = []
for relative in json.load(sys.stdin):
    cache = importlib.util.cache_from_source(relative)
    py_compile.compile(root + "/" + relative, cfile=root + "/" + cache, dfile=relative,
                       doraise=True, invalidation_mode=mode)
    written.append(cache)
print(json.dumps(written))
"""


def compile_bytecode(
    out: Path, sources: Sequence[Path], *, invalidation: str = "CHECKED_HASH"
) -> list[Path]:
    """Write each source's hash-based bytecode where the Lambda's Python looks for it.

    Compiled by CPython ``LAMBDA_PYTHON_VERSION`` (see the module docstring); returns the
    files written (relative to ``out``).
    """
    if not sources:
        return []
    done = subprocess.run(  # noqa: S603 - fixed argv, no shell
        [str(lambda_interpreter()), "-I", "-c", _COMPILE, str(out), invalidation],
        input=json.dumps([p.as_posix() for p in sources]),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise BundlingError(
            f"compiling the asset's bytecode with Python {LAMBDA_PYTHON_VERSION} failed:\n"
            f"{done.stderr.strip()[-2000:]}"
        )
    return [Path(p) for p in json.loads(done.stdout)]


def vendored_licence(dependencies: Path) -> Path:
    """slack_sdk's licence file from its installed metadata (it must ship with the code)."""
    found = sorted(
        p for p in dependencies.glob(f"{VENDORED}-*.dist-info/**/*") if p.name.startswith("LICEN")
    )
    if not found:
        raise BundlingError(f"no licence file for {VENDORED} under {dependencies}")
    return found[0]


def lambda_code(spec: DependencySpec, handler: str) -> Any:
    """The ``lambda_.Code`` asset of the function whose handler is ``handler`` (bundled
    locally): the import closure of that handler's module only."""
    from aws_cdk import aws_lambda as lambda_

    module = handler.rpartition(".")[0]
    return lambda_.Code.from_asset(
        str(LAMBDA_SOURCE),
        bundling=cdk.BundlingOptions(
            # Required by the API but never pulled: local bundling always succeeds.
            image=cdk.DockerImage.from_registry("local-bundling-only"),
            local=LocalPipBundling(spec, entry_modules=[module]),
            # Part of the CDK's bundling cache key (the local bundler is not): without it
            # the four functions would share the first function's bundle.
            environment={"GOVBOT_HANDLER_MODULE": module},
        ),
        # One asset per function: the hash of what is inside, not of lambdas/ (shared).
        asset_hash_type=cdk.AssetHashType.OUTPUT,
        exclude=["**/__pycache__", "**/*.pyc"],
    )
