"""The Python environment the deployed functions get, rebuilt locally and cached.

Lambda's python3.11 runtime gives boto3/botocore; the pinned Powertools public layer adds
``aws-lambda-powertools[all]`` at the version that layer carries. Nothing of the project
is installed: the asset directory is the only other thing on the import path.
``python -m tests.artifact.lambda_env`` (``make artifact-env``) builds it ahead of time.
It lives in the user's cache (``~/.cache/govbot-tests``), so every clone shares it.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from pathlib import Path

from infra.constructs.function import POWERTOOLS_VERSION

REPO_ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = (f"aws-lambda-powertools[all]=={POWERTOOLS_VERSION}", "boto3")
# Shared by every clone of the user (its name is its inputs: Python and Powertools
# versions), like pip's cache: a fresh clone reuses it. GOVBOT_TEST_CACHE moves it.
CACHE_ROOT = Path(
    os.environ.get("GOVBOT_TEST_CACHE")
    or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "govbot-tests"
)
ENV_DIR = (
    CACHE_ROOT
    / f"artifact-env-py{sys.version_info[0]}{sys.version_info[1]}-powertools-{POWERTOOLS_VERSION}"
)


def lambda_python() -> Path:
    """The interpreter of the cached environment, creating it on first use.

    Parallel test workers may ask at once on a fresh clone: one builds it under a file
    lock while the others wait, then find it complete.
    """
    python = ENV_DIR / "bin" / "python"
    if (ENV_DIR / ".complete").is_file():
        return python
    ENV_DIR.parent.mkdir(parents=True, exist_ok=True)
    with (ENV_DIR.parent / f"{ENV_DIR.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (ENV_DIR / ".complete").is_file():
            _build()
    return python


def _build() -> None:
    staging = ENV_DIR.with_name(ENV_DIR.name + ".tmp")
    shutil.rmtree(staging, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(staging)], check=True)
    subprocess.run(
        [str(staging / "bin" / "python"), "-m", "pip", "install", "--quiet", *REQUIREMENTS],
        check=True,
    )
    shutil.rmtree(ENV_DIR, ignore_errors=True)
    staging.rename(ENV_DIR)
    # venv scripts hold the staging path; the interpreter itself is used by path only.
    (ENV_DIR / ".complete").write_text("\n".join(REQUIREMENTS) + "\n")


if __name__ == "__main__":
    print(lambda_python())
