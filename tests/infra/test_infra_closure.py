"""The asset is the handlers' import closure: what is imported goes in, nothing else."""

from __future__ import annotations

import ast
import importlib.util
import io
import subprocess
import tokenize
from pathlib import Path

import pytest

from infra.bundling import DependencySpec, LocalPipBundling, ensure_dependencies
from infra.closure import ClosureError, import_closure
from infra.interpreter import lambda_interpreter
from infra.slim import blank_docs_and_comments
from tests.infra.source_tree import write_tree


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, Path, DependencySpec]:
    source = tmp_path / "lambdas"
    write_tree(
        source,
        {
            "govbot/__init__.py": "",
            "govbot/handlers/__init__.py": "",
            "govbot/handlers/one.py": """
                from typing import TYPE_CHECKING
                import boto3
                from govbot.core import thing
                from . import sibling
                if TYPE_CHECKING:
                    from govbot_cli import never_at_runtime
                def handler(event, context):
                    from govbot.lazy import later  # lazy: still in the asset
                    return later
            """,
            "govbot/handlers/sibling.py": "import json\n",
            "govbot/core.py": "from slack_sdk.web import WebClient\nthing = 1\n",
            "govbot/lazy.py": "later = 2\n",
            "govbot/unused.py": "import yaml\n",
            "govbot/__pycache__/core.cpython-311.pyc": "",
        },
    )
    spec = DependencySpec(requirement="slack_sdk==3.48.0", architecture="arm64")
    deps = tmp_path / "cache" / spec.cache_key
    write_tree(
        deps,
        {
            "slack_sdk/__init__.py": "",
            "slack_sdk/web/__init__.py": "from .client import WebClient\n",
            "slack_sdk/web/client.py": "import logging\nWebClient = object\n",
            "slack_sdk/socket_mode/__init__.py": "import websockets\n",
            "slack/__init__.py": "",
            "slack_sdk-3.48.0.dist-info/licenses/LICENSE": "MIT\n",
        },
    )
    return source, tmp_path / "cache", spec


def _cache_313(source: str) -> str:
    path = Path(source)
    return str(path.parent / "__pycache__" / f"{path.stem}.cpython-313.pyc")


def _magic_313() -> bytes:
    done = subprocess.run(
        [str(lambda_interpreter()), "-c", "import importlib.util, sys; "
         "sys.stdout.write(importlib.util.MAGIC_NUMBER.hex())"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    magic = bytes.fromhex(done.stdout)
    assert magic != importlib.util.MAGIC_NUMBER  # 3.13's, not this interpreter's
    return magic


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def test_the_asset_holds_exactly_what_the_handlers_import(project, tmp_path: Path) -> None:
    source, cache, spec = project
    assert ensure_dependencies(spec, cache) == cache / spec.cache_key
    out = tmp_path / "out"
    out.mkdir()
    bundler = LocalPipBundling(
        spec, source=source, cache_root=cache, bundle_cache=tmp_path / "bundles"
    )
    assert bundler.try_bundle(str(out)) is True
    sources = {
        "govbot/__init__.py",
        "govbot/handlers/__init__.py",
        "govbot/handlers/one.py",
        "govbot/handlers/sibling.py",
        "govbot/core.py",
        "govbot/lazy.py",
        "slack_sdk/__init__.py",
        "slack_sdk/web/__init__.py",
        "slack_sdk/web/client.py",
    }
    # Each source with its bytecode, compiled for the Lambda's Python (3.13), whatever runs
    # the synth (3.11 here).
    bytecode = {_cache_313(name) for name in sources}
    assert _files(out) == sources | bytecode | {"slack_sdk/LICENSE"}


def test_the_bytecode_is_checked_against_its_source_and_is_reproducible(
    project, tmp_path: Path
) -> None:
    source, cache, spec = project
    outs = [tmp_path / "a", tmp_path / "b"]
    for out in outs:
        out.mkdir()
        # Built afresh each time (no bundle cache): reproducible by construction.
        LocalPipBundling(spec, source=source, cache_root=cache, bundle_cache=None).try_bundle(
            str(out)
        )
    pyc = outs[0] / _cache_313("govbot/core.py")
    header = pyc.read_bytes()[:8]
    assert header[:4] == _magic_313()
    # PEP 552 flags: hash-based (bit 0) and check_source on (bit 1): the zip's file times
    # do not matter, and a source edited in place is not shadowed by stale bytecode.
    assert int.from_bytes(header[4:8], "little") == 0b11
    assert str(tmp_path) not in pyc.read_bytes().decode("latin-1")  # no build path inside
    assert {p.relative_to(outs[0]): p.read_bytes() for p in outs[0].rglob("*.pyc")} == {
        p.relative_to(outs[1]): p.read_bytes() for p in outs[1].rglob("*.pyc")
    }


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("import yaml", "govbot.lazy imports yaml (the functions read the policy as JSON"),
        ("import govbot_cli", "govbot.lazy imports govbot_cli (the CLI is not part of the Lambda"),
        ("from govbot_cli.memory import X", "govbot.lazy imports govbot_cli (the CLI is not"),
        ("import cbor2", "govbot.lazy imports cbor2"),
        ("import requests", "govbot.lazy imports requests, which neither the Lambda runtime"),
        ("import govbot.missing", "govbot.lazy imports govbot.missing, which does not exist"),
    ],
)
def test_a_module_lambda_cannot_have_stops_the_synth(project, line: str, message: str) -> None:
    source, cache, spec = project
    (source / "govbot" / "lazy.py").write_text(f"def f():\n    {line}\n")
    roots = {"govbot": source / "govbot", "slack_sdk": cache / spec.cache_key / "slack_sdk"}
    with pytest.raises(ClosureError) as error:
        import_closure(["govbot.handlers.one"], roots)
    assert message in str(error.value)


def test_the_real_handlers_reach_no_yaml_cli_or_sandbox() -> None:
    import slack_sdk

    from infra.closure import handler_modules

    source = Path(__file__).resolve().parents[2] / "lambdas"
    slack = Path(slack_sdk.__file__).parent
    closure = import_closure(
        handler_modules(source), {"govbot": source / "govbot", "slack_sdk": slack}
    )
    assert "govbot.policy.loader" not in closure.modules  # the YAML loader
    assert "govbot.policy.document" in closure.modules  # the JSON one
    assert not any(m.startswith("slack_sdk.socket_mode") for m in closure.modules)
    # The CLI is a package of its own (govbot_cli), which no handler reaches.
    assert {"yaml", "cbor2", "moto", "govbot_sandbox", "govbot_cli", "slack"}.isdisjoint(
        closure.external
    )


# What each function's own wiring reaches that another function must not carry.
OWN_WIRING = {
    "enforcer": {
        "govbot.wiring.enforcer",
        "govbot.wiring.appstream_parts",
        "govbot.enforcer.sweep",
    },
    "replicator": {
        "govbot.wiring.replicator",
        "govbot.wiring.appstream_parts",
        "govbot.replicator",
    },
    "notifier": {"govbot.wiring.notifier", "govbot.wiring.secrets", "govbot.notifier.delivery"},
    "actions": {"govbot.wiring.actions", "govbot.wiring.secrets", "govbot.actions.endpoint"},
}


@pytest.mark.parametrize("handler", sorted(OWN_WIRING))
def test_each_handler_carries_only_its_own_wiring(handler: str) -> None:
    """The composition root is split per function: one handler's closure (its asset) holds
    its own builders and the shared core, never another function's."""
    import slack_sdk

    source = Path(__file__).resolve().parents[2] / "lambdas"
    roots = {"govbot": source / "govbot", "slack_sdk": Path(slack_sdk.__file__).parent}
    reached = set(import_closure([f"govbot.handlers.{handler}"], roots).modules)

    others = set().union(*(v for k, v in OWN_WIRING.items() if k != handler)) - OWN_WIRING[handler]
    assert OWN_WIRING[handler] <= reached
    assert {"govbot.wiring", "govbot.wiring.core"} <= reached
    assert reached.isdisjoint(others), sorted(reached & others)


def _without_docstrings(tree: ast.AST) -> str:
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            body[0].value.value = ""
    return ast.dump(tree)


def _statement_lines(tree: ast.AST) -> list[tuple[str, int]]:
    return [(type(n).__name__, n.lineno) for n in ast.walk(tree) if isinstance(n, ast.stmt)]


def test_blanking_keeps_the_code_and_every_line_number() -> None:
    repo = Path(__file__).resolve().parents[2]
    # The CLI never ships, but its sources (report_html's CSS) keep the '#'-in-a-string case.
    sources = sorted([*(repo / "lambdas").rglob("*.py"), *(repo / "govbot_cli").rglob("*.py")])
    assert len(sources) > 50
    for path in sources:
        before = path.read_text(encoding="utf-8")
        after = blank_docs_and_comments(before)
        assert len(after.splitlines()) == len(before.splitlines()), path
        old, new = ast.parse(before), ast.parse(after)
        assert _without_docstrings(new) == _without_docstrings(old), path
        assert _statement_lines(new) == _statement_lines(old), path
        # No comment is left (a '#' inside a string, such as CSS in report_html, is code).
        comments = [
            token.string
            for token in tokenize.generate_tokens(io.StringIO(after).readline)
            if token.type == tokenize.COMMENT
        ]
        assert comments == [], path


def test_blanking_example() -> None:
    source = 'def f():\n    """Doc\n    more."""  # why\n    return 1  # one\n'
    assert blank_docs_and_comments(source) == 'def f():\n    ""\n\n    return 1\n'


def test_parallel_synths_share_one_dependency_install(tmp_path: Path, monkeypatch) -> None:
    """Two workers of a fresh clone install the same dependency at once: both succeed, the
    first copy is kept, and no staging directory is left behind."""
    import subprocess

    from infra import bundling

    spec = DependencySpec(requirement="slack_sdk==3.48.0", architecture="arm64")
    cache = tmp_path / "cache"
    winner = cache / spec.cache_key

    def pip_that_loses_the_race(argv: list[str], **_: object) -> subprocess.CompletedProcess:
        target = Path(argv[argv.index("--target") + 1])
        (target / "slack_sdk").mkdir(parents=True)
        (target / "slack_sdk" / "__init__.py").write_text("# this worker\n")
        # Meanwhile another worker finished first and renamed its copy into place.
        (winner / "slack_sdk").mkdir(parents=True)
        (winner / "slack_sdk" / "__init__.py").write_text("# the other worker\n")
        return subprocess.CompletedProcess(argv, 0, "", "")

    monkeypatch.setattr(bundling.subprocess, "run", pip_that_loses_the_race)
    assert ensure_dependencies(spec, cache) == winner
    assert (winner / "slack_sdk" / "__init__.py").read_text() == "# the other worker\n"
    assert [p.name for p in cache.iterdir()] == [spec.cache_key]
