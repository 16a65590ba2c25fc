"""The Python environment the deployed functions get, rebuilt locally and cached.

CPython 3.13, the Lambda runtime's minor version (infra/interpreter.py provisions it from
Debian's packages), in a virtualenv holding:

* ``boto3`` and ``botocore`` ``==RUNTIME_BOTO3``: a stand-in for the SDK the python3.13
  runtime bundles, whose version Lambda does not promise; deliberately older than the
  AppStream operations govbot calls need (botocore >= 1.44.3), so only govbot's own SDK
  layer can supply them;
* ``aws-lambda-powertools[all]`` at the version the pinned public layer carries, without
  the SDK (the public layer leaves boto3/botocore to the runtime).

Nothing of the project is installed: the function's asset and govbot's SDK layer (both as
synthesized) are put on the import path per process, in Lambda's order
(``/var/task`` first, then ``/opt/python``, then the runtime's site-packages).
``python -m tests.artifact.lambda_env`` (``make artifact-env``) builds it ahead of time.
It lives in the user's cache (``~/.cache/govbot-tests``), so every clone shares it.
"""

from __future__ import annotations

import fcntl
import shutil
import subprocess
import sys
from pathlib import Path

from infra.constructs.function import POWERTOOLS_VERSION
from infra.interpreter import LAMBDA_PYTHON_VERSION, lambda_interpreter
from infra.user_cache import user_cache_root

REPO_ROOT = Path(__file__).resolve().parents[2]
RUNTIME_BOTO3 = "1.40.4"
REQUIREMENTS = (
    f"aws-lambda-powertools[all]=={POWERTOOLS_VERSION}",
    f"boto3=={RUNTIME_BOTO3}",
    f"botocore=={RUNTIME_BOTO3}",
)
STAMP = "\n".join(REQUIREMENTS) + "\n"
# Shared by every clone of the user (its name is its inputs: Python and Powertools
# versions), like pip's cache: a fresh clone reuses it. GOVBOT_TEST_CACHE moves it.
CACHE_ROOT = user_cache_root()
ENV_DIR = (
    CACHE_ROOT / f"artifact-env-py{LAMBDA_PYTHON_VERSION}-powertools-{POWERTOOLS_VERSION}"
    f"-runtime-boto3-{RUNTIME_BOTO3}"
)


def lambda_python() -> Path:
    """The interpreter of the cached environment, creating it on first use.

    Parallel test workers may ask at once on a fresh clone: one builds it under a file
    lock while the others wait, then find it complete.
    """
    python = ENV_DIR / "bin" / "python"
    if _complete():
        return python
    ENV_DIR.parent.mkdir(parents=True, exist_ok=True)
    with (ENV_DIR.parent / f"{ENV_DIR.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _complete():
            _build()
    return python


def _complete() -> bool:
    stamp = ENV_DIR / ".complete"
    return stamp.is_file() and stamp.read_text() == STAMP


def _build() -> None:
    interpreter = lambda_interpreter()
    # No rename afterwards: a virtualenv holds its own path (pyvenv.cfg, scripts).
    shutil.rmtree(ENV_DIR, ignore_errors=True)
    subprocess.run([str(interpreter), "-m", "venv", "--without-pip", str(ENV_DIR)], check=True)
    # This environment's pip, run by the 3.13 interpreter (`pip --python`): markers and
    # wheel tags are judged for 3.13.
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(ENV_DIR / "bin" / "python"), "install",
         "--quiet", "--disable-pip-version-check", *REQUIREMENTS],
        check=True,
    )  # fmt: skip
    (ENV_DIR / ".complete").write_text(STAMP)


if __name__ == "__main__":
    print(lambda_python())
