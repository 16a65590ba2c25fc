"""A content-keyed cache of finished Lambda asset bundles.

One function's bundle (infra/bundling.py) is a pure function of: its entry modules, the
bytes of every source file under ``lambdas/govbot``, the vendored dependency directory
(named by ``DependencySpec.cache_key``, whose content never changes under that name), the
Lambda's Python version and bytecode invalidation mode, and the bundler's own code
(bundling.py, closure.py, slim.py, interpreter.py, this module). The key hashes exactly
those, reading the ~300 small source files (milliseconds) rather than re-running the
closure, so the suite's dozen synths (in-process, ``python app.py``, ``cdk synth``, each
xdist worker) build each bundle once.

Kept under ``build/asset-bundles/`` of the clone, not in the per-user cache: a key changes
with every edit of a source file, so entries pile up as one works; per clone,
``make clean`` drops them with everything else built there. An entry is written in a
staging directory and renamed into place with its ``MANIFEST`` written last, so a reader
never sees a half-written bundle (a crashed writer's leftover without the manifest is
replaced, not used).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

INFRA = Path(__file__).resolve().parent
REPO_ROOT = INFRA.parent
BUNDLE_CACHE = REPO_ROOT / "build" / "asset-bundles"
# The bundler's code: an edit to any of these may change what a bundle holds.
BUNDLER_CODE = tuple(
    INFRA / name
    for name in ("bundle_cache.py", "bundling.py", "closure.py", "slim.py", "interpreter.py")
)
MANIFEST = "MANIFEST.govbot-bundle.json"  # written last: its presence marks a whole entry


def _digest_files(digest: hashlib._Hash, root: Path, files: Sequence[Path]) -> None:
    for path in files:
        data = path.read_bytes()
        name = path.relative_to(root).as_posix().encode()
        digest.update(b"%d:%s %d:" % (len(name), name, len(data)))
        digest.update(data)


def bundle_key(
    source: Path,
    entry_modules: Sequence[str],
    dependencies_key: str,
    *,
    python_version: str,
    invalidation: str,
    bundler_code: Sequence[Path] = BUNDLER_CODE,
) -> str:
    """Hash of every input the bundle of ``entry_modules`` depends on (see module doc)."""
    digest = hashlib.sha256()
    header = {
        "entry_modules": sorted(entry_modules),
        "dependencies": dependencies_key,
        "python": python_version,
        "invalidation": invalidation,
    }
    digest.update(json.dumps(header, sort_keys=True).encode() + b"\n")
    for path in sorted(bundler_code, key=lambda p: p.name):  # by name: no clone's path
        _digest_files(digest, path.parent, [path])
    package = source / "govbot"
    sources = sorted(p for p in package.rglob("*.py") if "__pycache__" not in p.parts)
    digest.update(b"\nsources\n")
    _digest_files(digest, source, sources)
    return digest.hexdigest()[:32]


def cached_entry(cache: Path, key: str) -> Path | None:
    """The finished entry of ``key``, or None (absent, or left half-written by a crash)."""
    entry = cache / key
    return entry if (entry / MANIFEST).is_file() else None


def build_or_reuse(cache: Path, key: str, build: Callable[[Path], Sequence[Path]]) -> Path:
    """The entry of ``key``, calling ``build(directory)`` to write it when there is none.

    Safe when several processes build the same key at once: each writes into a staging
    directory of its own; the first rename wins and the others discard their copy.
    """
    found = cached_entry(cache, key)
    if found is not None:
        return found
    cache.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=cache))
    try:
        written = build(staging)
        manifest = {"key": key, "files": sorted(p.as_posix() for p in written)}
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
        entry = cache / key
        if entry.exists() and cached_entry(cache, key) is None:
            shutil.rmtree(entry, ignore_errors=True)  # a crashed writer's leftover
        try:
            staging.rename(entry)
        except OSError:
            if cached_entry(cache, key) is None:  # not another process's finished copy
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return cache / key


def copy_entry(entry: Path, out: Path) -> None:
    """Copy a cached bundle into ``out`` (CDK's bundling directory), manifest left out."""
    shutil.copytree(entry, out, dirs_exist_ok=True, ignore=shutil.ignore_patterns(MANIFEST))
