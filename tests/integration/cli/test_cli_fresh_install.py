"""``pip install .`` (not editable, no extra) in a fresh virtualenv gives a working ``govbot``.

The virtualenv is cached in the user's test cache (``~/.cache/govbot-tests``, like the
artifact and AWS CLI venvs), named by the declared dependencies and the Python, so a fresh
clone reuses it; its dependencies are installed once per such name; govbot itself is rebuilt
from a copy of the working tree on every run (under a lock, as clones share the venv), so
the test sees the code under test, never the checkout on sys.path.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tomllib
import venv
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.artifact.lambda_env import CACHE_ROOT
from tests.unit.cli.runner import REPO_ROOT

_DEPENDENCIES = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
_KEY = hashlib.sha256(
    repr((_DEPENDENCIES["dependencies"], sys.version_info[:2])).encode()
).hexdigest()[:16]
VENV = CACHE_ROOT / f"fresh-venv-{_KEY}"
STAMP = VENV / ".dependencies"
EXAMPLES = REPO_ROOT / "docs" / "examples" / "simulate"


def _run(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(
        list(argv), capture_output=True, text=True, timeout=900, check=False, cwd=cwd, env=env
    )


def _source_copy(destination: Path) -> Path:
    """The working tree's files (tracked and new, not ignored), symlinks kept."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=REPO_ROOT, capture_output=True, check=True,
    ).stdout.decode().split("\0")  # fmt: skip
    for name in filter(None, listed):
        source = REPO_ROOT / name
        if not source.exists() and not source.is_symlink():
            continue  # deleted in the working tree
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            target.symlink_to(os.readlink(source))
        else:
            shutil.copy2(source, target)
    return destination


@contextmanager
def _locked() -> Iterator[None]:
    CACHE_ROOT.mkdir(parents=True, exist_ok=True)
    with open(f"{VENV}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _fresh_venv(source: Path) -> Path:
    python = VENV / "bin" / "python"
    wanted = _KEY
    if not python.exists() or not STAMP.exists() or STAMP.read_text() != wanted:
        shutil.rmtree(VENV, ignore_errors=True)
        venv.create(VENV, with_pip=True)
        full = _run(str(python), "-m", "pip", "install", "--quiet", str(source), cwd=source)
        assert full.returncode == 0, full.stderr[-2000:]
        STAMP.write_text(wanted)
    else:  # dependencies unchanged: rebuild govbot only
        quick = _run(str(python), "-m", "pip", "install", "--quiet", "--no-deps",
                     "--force-reinstall", str(source), cwd=source)  # fmt: skip
        assert quick.returncode == 0, quick.stderr[-2000:]
    return VENV / "bin"


def test_pip_install_dot_gives_a_working_govbot(tmp_path: Path) -> None:
    source = _source_copy(tmp_path / "src")
    with _locked():
        _check_the_installed_govbot(_fresh_venv(source), tmp_path)


def _check_the_installed_govbot(bin_dir: Path, tmp_path: Path) -> None:
    work = tmp_path / "elsewhere"  # not the checkout: imports come from site-packages
    work.mkdir()
    policy = str(REPO_ROOT / "policies" / "demo.yaml")

    validated = _run(str(bin_dir / "govbot"), "policy", "validate", policy, cwd=work)
    assert validated.returncode == 0, validated.stderr
    assert validated.stdout.startswith(f"OK {policy} (11 rules")

    simulated = _run(
        str(bin_dir / "govbot"), "simulate", "--policy", policy,
        "--world", str(EXAMPLES / "world.yaml"), "--now", "2026-11-27T17:00:00Z",
        str(EXAMPLES / "events.jsonl"), cwd=work,
    )  # fmt: skip
    assert simulated.returncode == 0, simulated.stderr
    assert "summary: 7 event(s): 2 compliant, 1 ignored, 1 rejected, 2 remedied" in (
        simulated.stdout
    )

    sandbox = _run(str(bin_dir / "govbot-sandbox"), "--help", cwd=work)
    assert sandbox.returncode == 2
    assert sandbox.stderr.strip().splitlines() == [
        "govbot-sandbox: error: needs the sandbox extra (moto, cbor2 missing): "
        "pip install 'govbot[sandbox]'"
    ]

    probe = _run(
        str(bin_dir / "python"), "-c",
        "import importlib.util as u, importlib.resources as r;"
        "print(u.find_spec('infra') is None, u.find_spec('govbot_infra') is None,"
        " (r.files('govbot_sandbox') / 'policies' / 'demo.yaml').is_file(),"
        " u.find_spec('govbot_cli') is not None, u.find_spec('govbot.cli') is None)",
        cwd=work,
    )  # fmt: skip
    assert probe.stdout.split() == ["True"] * 5, probe.stderr
    # `python -m govbot_cli` runs the installed CLI; the Lambda package has no __main__.
    as_module = _run(str(bin_dir / "python"), "-m", "govbot_cli", "--version", cwd=work)
    version = f"govbot {_DEPENDENCIES['version']}"
    assert (as_module.returncode, as_module.stdout.strip()) == (0, version), as_module
    assert sys.prefix != str(VENV)
