"""The bundle cache (infra/bundle_cache.py): a hit is the fresh build, byte for byte; any
change of an input is a miss; a half-written entry is never served."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from infra import bundling
from infra.bundle_cache import (
    BUNDLER_CODE,
    MANIFEST,
    build_or_reuse,
    bundle_key,
    cached_entry,
)
from infra.bundling import DependencySpec, LocalPipBundling, ensure_dependencies
from infra.config import DEFAULTS
from tests.infra.source_tree import write_tree


def _contents(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _deps(cache: Path, spec: DependencySpec, client: str) -> None:
    write_tree(
        cache / spec.cache_key,
        {
            "slack_sdk/__init__.py": "",
            "slack_sdk/web/__init__.py": "from .client import WebClient\n",
            "slack_sdk/web/client.py": client,
            "slack_sdk-3.48.0.dist-info/licenses/LICENSE": "MIT\n",
        },
    )


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, Path, DependencySpec]:
    source = tmp_path / "lambdas"
    write_tree(
        source,
        {
            "govbot/__init__.py": "",
            "govbot/handlers/__init__.py": "",
            "govbot/handlers/one.py": "from govbot.core import thing  # why\n",
            "govbot/core.py": '"""Doc."""\nfrom slack_sdk.web import WebClient\nthing = 1\n',
        },
    )
    spec = DependencySpec(requirement="slack_sdk==3.48.0", architecture="arm64")
    _deps(tmp_path / "deps", spec, "WebClient = object\n")
    return source, tmp_path / "deps", spec


def _bundle(project, out: Path, bundles: Path | None, spec: DependencySpec | None = None) -> None:
    source, deps, default_spec = project
    out.mkdir()
    bundler = LocalPipBundling(
        spec or default_spec, source=source, cache_root=deps, bundle_cache=bundles
    )
    assert bundler.try_bundle(str(out)) is True


def _key(source: Path, spec: DependencySpec, code=BUNDLER_CODE) -> str:
    return bundle_key(
        source,
        ["govbot.handlers.one"],
        spec.cache_key,
        python_version="3.13",
        invalidation="CHECKED_HASH",
        bundler_code=code,
    )


def test_a_cached_real_bundle_is_byte_identical_to_a_fresh_one(tmp_path: Path, monkeypatch):
    """Differential, on the real sources and slack_sdk: built afresh, built into the cache,
    and served from the cache, the actions function's asset is the same bytes."""
    spec = DependencySpec(
        requirement=f"slack_sdk=={DEFAULTS['slack_sdk_version']}",
        architecture=str(DEFAULTS["architecture"]),
    )
    ensure_dependencies(spec)
    outs = {name: tmp_path / name for name in ("fresh", "first", "hit")}
    bundles = tmp_path / "bundles"
    entry = ["govbot.handlers.actions"]
    for name, out in outs.items():
        if name == "hit":  # a hit must not build: any call to the bundler fails the test
            monkeypatch.setattr(bundling, "bundle_closure", _must_not_build)
        out.mkdir()
        cache = None if name == "fresh" else bundles
        LocalPipBundling(spec, entry_modules=entry, bundle_cache=cache).try_bundle(str(out))
    fresh = _contents(outs["fresh"])
    assert "govbot/handlers/actions.py" in fresh
    assert any(name.endswith(".cpython-313.pyc") for name in fresh)
    assert _contents(outs["first"]) == fresh
    assert _contents(outs["hit"]) == fresh
    assert len([p for p in bundles.iterdir() if not p.name.startswith(".")]) == 1


def _must_not_build(*_: object, **__: object) -> list[Path]:
    raise AssertionError("a cache hit rebuilt the bundle")


def test_the_key_is_stable_and_ignores_bytecode_caches(project) -> None:
    source, _, spec = project
    before = _key(source, spec)
    write_tree(source, {"govbot/__pycache__/core.cpython-311.pyc": "stale"})
    assert _key(source, spec) == before
    other_entry = bundle_key(
        source, ["govbot.core"], spec.cache_key, python_version="3.13", invalidation="CHECKED_HASH"
    )
    assert other_entry != before


def test_one_changed_source_byte_rebuilds_the_bundle(project, tmp_path: Path) -> None:
    source, _, spec = project
    bundles = tmp_path / "bundles"
    _bundle(project, tmp_path / "a", bundles)
    key = _key(source, spec)
    core = source / "govbot" / "core.py"
    core.write_text(core.read_text().replace("thing = 1", "thing = 2"))
    assert _key(source, spec) != key
    _bundle(project, tmp_path / "b", bundles)
    assert "thing = 2" in (tmp_path / "b" / "govbot" / "core.py").read_text()
    # A new source file (not yet imported) changes the key too: it may become reachable.
    edited = _key(source, spec)
    write_tree(source, {"govbot/later.py": ""})
    assert _key(source, spec) != edited


def test_changed_bundler_code_gives_another_key(project, tmp_path: Path) -> None:
    source, _, spec = project
    copies = []
    for path in BUNDLER_CODE:
        copies.append(tmp_path / "infra" / path.name)
        copies[-1].parent.mkdir(exist_ok=True)
        shutil.copyfile(path, copies[-1])
    assert _key(source, spec, copies) == _key(source, spec)
    slim = tmp_path / "infra" / "slim.py"
    slim.write_text(slim.read_text() + "\n# one more line\n")
    assert _key(source, spec, copies) != _key(source, spec)


def test_another_dependency_key_rebuilds_the_bundle(project, tmp_path: Path) -> None:
    source, deps, spec = project
    other = DependencySpec(requirement="slack_sdk==3.49.0", architecture="arm64")
    _deps(deps, other, "WebClient = int\n")
    assert _key(source, other) != _key(source, spec)
    bundles = tmp_path / "bundles"
    _bundle(project, tmp_path / "a", bundles)
    _bundle(project, tmp_path / "b", bundles, other)
    client = "slack_sdk/web/client.py"
    assert (tmp_path / "a" / client).read_text() == "WebClient = object\n"
    assert (tmp_path / "b" / client).read_text() == "WebClient = int\n"


def test_a_half_written_entry_is_never_served(project, tmp_path: Path) -> None:
    """A writer killed mid-way leaves its staging directory, or (written in place by an
    older or foreign writer) an entry without its manifest: neither is used."""
    source, _, spec = project
    _bundle(project, tmp_path / "fresh", None)
    bundles = tmp_path / "bundles"
    key = _key(source, spec)
    write_tree(bundles, {f".{key}.crashed/govbot/core.py": "half", f"{key}/govbot/core.py": "half"})
    assert cached_entry(bundles, key) is None
    _bundle(project, tmp_path / "out", bundles)
    assert _contents(tmp_path / "out") == _contents(tmp_path / "fresh")
    assert (bundles / key / MANIFEST).is_file()
    assert (bundles / key / "govbot" / "core.py").read_text() != "half"


def test_two_builders_of_one_key_both_succeed_and_the_first_entry_stays(tmp_path: Path):
    bundles = tmp_path / "bundles"

    def build_while_another_finishes_first(staging: Path) -> list[Path]:
        (staging / "mine.py").write_text("mine\n")
        # Meanwhile another worker finished the same key and renamed it into place.
        write_tree(bundles, {"k/theirs.py": "theirs\n", f"k/{MANIFEST}": "{}\n"})
        return [Path("mine.py")]

    entry = build_or_reuse(bundles, "k", build_while_another_finishes_first)
    assert entry == bundles / "k"
    assert (entry / "theirs.py").is_file()
    assert not (entry / "mine.py").exists()
    assert [p.name for p in bundles.iterdir()] == ["k"]  # no staging directory left
