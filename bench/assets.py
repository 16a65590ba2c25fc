"""Zipped size of each Lambda function's asset, as synthesized, next to its targets.

The asset ships each module's bytecode beside its source (infra/bundling.py: it saves the
cold start compiling them, about 80 ms of CPU for the enforcer), which roughly triples the
zip; the sources alone, the part the import closure decides, keep their own target.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path
from typing import Any

TARGET_BYTES = 512_000
SOURCES_TARGET_BYTES = 150_000


def zipped_size(directory: Path, *, bytecode: bool = True) -> int:
    """Bytes of ``directory`` zipped with deflate level 9 (files in sorted order);
    ``bytecode=False`` leaves the ``.pyc`` files out."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for path in sorted(p for p in directory.rglob("*") if p.is_file()):
            if bytecode or path.suffix != ".pyc":
                archive.write(path, path.relative_to(directory).as_posix())
    return len(buffer.getvalue())


def bench_asset_sizes() -> dict[str, Any]:
    """Synthesize the hub and measure every function's uploaded asset, and govbot's SDK
    layer (shared by all functions, outside the per-function budget)."""
    from infra.assembly import hub_assets

    with tempfile.TemporaryDirectory() as outdir:
        synthesized = hub_assets(Path(outdir))
        assets = synthesized.functions
        layers = {
            logical_id: {
                "zipped_kb": round(zipped_size(layer) / 1000, 1),
                "unzipped_kb": round(
                    sum(p.stat().st_size for p in layer.rglob("*") if p.is_file()) / 1000, 1
                ),
                "files": sum(1 for p in layer.rglob("*") if p.is_file()),
            }
            for logical_id, layer in sorted(synthesized.layers.items())
        }
        sizes = {
            handler.rpartition(".")[0].rpartition(".")[2]: {
                "zipped_kb": round(zipped_size(asset) / 1000, 1),
                "sources_zipped_kb": round(zipped_size(asset, bytecode=False) / 1000, 1),
                "files": sum(1 for p in asset.rglob("*") if p.is_file()),
                "bytecode_files": sum(1 for _ in asset.rglob("*.pyc")),
            }
            for handler, asset in sorted(assets.items())
        }
    return {
        "python": "3.13",
        "functions": sizes,
        "layers": layers,
        "layers_note": "govbot's SDK layer (pinned boto3/botocore with 3.13 bytecode), one "
        "for all functions: Lambda's limits apply (50 MB zipped per direct upload, 250 MB "
        "unzipped for a function and its layers), not the per-function asset budget",
        "target": f"each function's zipped asset < {TARGET_BYTES // 1000} KB with its bytecode, "
        f"its sources alone < {SOURCES_TARGET_BYTES // 1000} KB",
        "met": all(
            s["zipped_kb"] * 1000 < TARGET_BYTES
            and s["sources_zipped_kb"] * 1000 < SOURCES_TARGET_BYTES
            for s in sizes.values()
        ),
    }
