"""Zipped size of each Lambda function's asset, as synthesized, next to the 150 KB target."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path
from typing import Any

TARGET_BYTES = 150_000


def zipped_size(directory: Path) -> int:
    """Bytes of ``directory`` zipped with deflate level 9 (files in sorted order)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for path in sorted(p for p in directory.rglob("*") if p.is_file()):
            archive.write(path, path.relative_to(directory).as_posix())
    return len(buffer.getvalue())


def bench_asset_sizes() -> dict[str, Any]:
    """Synthesize the hub and measure every function's uploaded asset."""
    from infra.assembly import function_assets

    with tempfile.TemporaryDirectory() as outdir:
        assets = function_assets(Path(outdir))
        sizes = {
            handler.rpartition(".")[0].rpartition(".")[2]: {
                "zipped_kb": round(zipped_size(asset) / 1000, 1),
                "files": sum(1 for p in asset.rglob("*") if p.is_file()),
            }
            for handler, asset in sorted(assets.items())
        }
    return {
        "functions": sizes,
        "target": f"each function's zipped asset < {TARGET_BYTES // 1000} KB",
        "met": all(s["zipped_kb"] * 1000 < TARGET_BYTES for s in sizes.values()),
    }
