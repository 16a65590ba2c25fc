"""``make install`` follows the lock: uv (cached per user) installs it, and a changed lock or
pyproject reinstalls. Only make's dry run is used here: the real install is what every other
test runs under."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]


def _make(workdir: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GOVBOT_TEST_CACHE": str(workdir / "cache")}
    return subprocess.run(
        ["make", "--no-print-directory", *argv], cwd=workdir, env=env,
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def _project_copy(tmp_path: Path) -> Path:
    for name in ("Makefile", "pyproject.toml", "requirements-lock.txt"):
        shutil.copy2(REPO_ROOT / name, tmp_path / name)
    uv = Path(_make(tmp_path, "--eval", "uv-path: ; @echo $(UV)", "uv-path").stdout.strip())
    assert uv.is_relative_to(tmp_path / "cache")
    uv.parent.mkdir(parents=True)
    uv.touch()  # the bootstrap as built: only the stamp's own inputs decide
    stamp = tmp_path / ".venv" / ".installed"
    stamp.parent.mkdir()
    stamp.touch()
    # Newer than both inputs, whichever a checkout happened to write last.
    later = max((tmp_path / n).stat().st_mtime for n in ("requirements-lock.txt", "pyproject.toml"))
    later += 10
    os.utime(stamp, (later, later))
    return tmp_path


def test_an_installed_venv_is_up_to_date_until_the_lock_or_pyproject_changes(
    tmp_path: Path,
) -> None:
    project = _project_copy(tmp_path)
    assert _make(project, "-q", ".venv/.installed").returncode == 0
    for changed in ("requirements-lock.txt", "pyproject.toml"):
        stamp = (project / ".venv" / ".installed").stat().st_mtime
        os.utime(project / changed, (stamp + 5, stamp + 5))
        assert _make(project, "-q", ".venv/.installed").returncode == 1, changed
        os.utime(project / ".venv" / ".installed", (stamp + 10, stamp + 10))


def test_the_install_uses_cached_uv_on_the_lock_and_keeps_a_pip_fallback(
    tmp_path: Path,
) -> None:
    project = _project_copy(tmp_path)
    shutil.rmtree(project / "cache")  # an empty cache, as on CI
    later = (project / ".venv" / ".installed").stat().st_mtime + 5
    os.utime(project / "requirements-lock.txt", (later, later))
    dry = _make(project, "-n", "install")
    assert dry.returncode == 0, dry.stderr
    plan = dry.stdout
    cache = str(project / "cache")
    assert f"{cache}/uv-venv-" in plan  # the bootstrap lives in the per-user cache
    assert 'pip install --quiet "uv==' in plan
    assert "pip install --quiet --python .venv/bin/python -c requirements-lock.txt" in plan
    assert "--offline" in plan  # the warm cache first, then the index
    assert '-m pip install --quiet -c requirements-lock.txt -e ".[dev]"' in plan
